#!/usr/bin/env bash
# A long history: COMMITS commits on main (default 5,200; each edits one line of one of 400
# files), written with git fast-import and packed, and these branches:
#   squash-AGE-clean-K   two commits squash-merged AGE commits behind main's tip (AGE = 50, 600,
#                        3000), in files main never touches again: the merge adds nothing
#   squash-AGE-edited-K  the same, but main rewrites the squashed lines 10 commits later, so
#                        a merge simulation conflicts and only a patch-id search finds it
#   partial-AGE          two commits of which only the first was squash-merged: NOT merged
#   open-K               1-3 commits of random edits forked anywhere in the history (some more
#                        than 5,000 commits back): NOT merged
# With BRANCHES above 35 (the default), the rest are split in three:
#   merge-K              1-2 commits merged into main with a merge commit later on
#   rebase-K             2 commits re-applied to main as new commits later on (a rebase merge)
#   open-K               more unmerged branches, as above
# Writes DIR/expected.tsv: branch, "merged" or "unmerged", a description.
# Usage: make-history-fixture.sh DIR [COMMITS [BRANCHES]]
set -euo pipefail
dir=$1
commits=${2:-5200}
branches=${3:-35}
rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
git init -q -b main
python3 - "$commits" expected.tsv "$branches" <<'PY' | git fast-import --quiet
import random, sys
random.seed(5000)
N = int(sys.argv[1])
expected = open(sys.argv[2], "w")
extra = max(0, int(sys.argv[3]) - 35)
out = sys.stdout.buffer
words = "parse render cache index queue socket buffer channel future promise".split()

def token():
    return " ".join(random.choice(words) for _ in range(5)) + f" {random.getrandbits(32):08x}"

# Shared files main edits all the time, and reserved ones only the squashes (and their
# later rewrites) touch.
files = {f"src/m{k:03d}.swift": [f"// {k}.{j} {token()}" for j in range(30)] for k in range(400)}
reserved = {}
def reserve(name):
    reserved[name] = [f"// reserved {name} {j} {token()}" for j in range(30)]
    files[name] = list(reserved[name])
    return name

clock = 1_600_000_000
def stamp():
    global clock
    clock += 60
    return f"bench <bench@ppds.invalid> {clock} +0000"

def data(text):
    raw = text.encode()
    return b"data %d\n" % len(raw) + raw

def commit(ref, mark, parent, message, changes, merge=None):
    """changes: {path: list of lines}; merge: a second parent's mark"""
    chunks = [f"commit {ref}\nmark :{mark}\n".encode(),
              f"author {stamp()}\ncommitter {stamp()}\n".encode(), data(message + "\n")]
    if parent is not None:
        chunks.append(f"from :{parent}\n".encode())
    if merge is not None:
        chunks.append(f"merge :{merge}\n".encode())
    for path, lines in sorted(changes.items()):
        chunks.append(f"M 100644 inline {path}\n".encode())
        chunks.append(data("\n".join(lines) + "\n"))
    chunks.append(b"\n")
    out.write(b"".join(chunks))

marks = iter(range(1, 10**9))
# Plans: each squash happens at main index `at`; its branch forks 20 commits earlier.
plans = []
for age in (50, 600, 3000):
    # Two main commits apart, so that squashes, forks (20 earlier) and rewrites (10 later)
    # never fall on the same commit.
    variants = [("clean", 1), ("clean", 2), ("edited", 1), ("edited", 2), ("partial", 0)]
    for index, (variant, k) in enumerate(variants):
        name = f"partial-{age}" if variant == "partial" else f"squash-{age}-{variant}-{k}"
        plans.append({"name": name, "at": N - age - 2 * index, "variant": variant,
                      "file": reserve(f"feature/{name}.swift")})
forks = {p["at"] - 20: p for p in plans}
squashes = {p["at"]: p for p in plans}
rewrites = {p["at"] + 10: p for p in plans if p["variant"] == "edited"}
used = set(forks) | set(squashes) | set(rewrites)
def free_index(low, high, span=1):
    while True:
        at = random.choice(range(low, high))
        if all(a not in used for a in range(at, at + span)):
            used.update(range(at, at + span))
            return at
# Merge and rebase branches: forked at `fork`, landing on main at `at` (a merge commit, or two
# re-applied commits at at and at + 1).
landings = {}
for k in range(1, extra // 3 + 1):
    for kind in ("merge", "rebase"):
        fork = free_index(1, N - 60)
        at = free_index(fork + 2, min(N - 5, fork + 400), 2 if kind == "rebase" else 1)
        plan = {"name": f"{kind}-{k}", "kind": kind, "fork": fork, "at": at}
        landings.setdefault(fork, []).append(plan)
        if kind == "rebase":
            plan["step"] = 0
            landings.setdefault(("land", at), plan)
            landings.setdefault(("land", at + 1), plan)
        else:
            landings.setdefault(("land", at), plan)
opens = {}
for k in range(1, 21 + extra - 2 * (extra // 3)):
    # The first two fork more than 5,000 commits back when the history is long enough.
    at = {1: 20, 2: 150}.get(k) or random.choice(range(1, N - 30))
    while at in forks or at in opens or at in landings or ("land", at) in landings:
        at += 1
    opens[at] = k

main_mark = None
for i in range(N):
    if i == 0:
        changes = dict(files)
        message = "initial"
    elif i in squashes:
        plan = squashes[i]
        changes = dict(plan["squash"])
        message = f"{plan['name']} (#{i})"
    elif ("land", i) in landings:
        plan = landings[("land", i)]
        if plan["kind"] == "merge":
            changes = dict(plan["changes"][0])
            for more in plan["changes"][1:]:
                changes.update(more)
            files.update(changes)
            mark = next(marks)
            commit("refs/heads/main", mark, main_mark, f"Merge branch {plan['name']}", changes, merge=plan["tip"])
            main_mark = mark
            continue
        changes = dict(plan["changes"][plan["step"]])
        plan["step"] += 1
        message = f"{plan['name']} re-applied {plan['step']}"
    elif i in rewrites:
        plan = rewrites[i]
        path = plan["file"]
        lines = list(files[path])
        for j in plan["lines"]:
            lines[j] = f"// main rewrote this {token()}"
        changes = {path: lines}
        message = f"main rewrites what {plan['name']} added"
    else:
        path = f"src/m{random.randrange(400):03d}.swift"
        lines = list(files[path])
        lines[random.randrange(30)] = f"// edit {i} {token()}"
        changes = {path: lines}
        message = f"main commit {i}"
    files.update(changes)
    mark = next(marks)
    commit("refs/heads/main", mark, main_mark, message, changes)
    main_mark = mark

    if i in forks:  # a squash branch forks here: two commits in its reserved file and a new file
        plan = forks[i]
        path = plan["file"]
        first = list(files[path])
        plan["lines"] = sorted(random.sample(range(5, 25), 3))
        for j in plan["lines"]:
            first[j] = f"// {plan['name']} changed this {token()}"
        new_file = f"feature/{plan['name']}-new.swift"
        new_lines = [f"// {plan['name']} {token()}" for _ in range(12)]
        m1 = next(marks)
        commit(f"refs/heads/{plan['name']}", m1, main_mark, f"{plan['name']} one", {path: first})
        m2 = next(marks)
        commit(f"refs/heads/{plan['name']}", m2, m1, f"{plan['name']} two", {new_file: new_lines})
        if plan["variant"] == "partial":
            plan["squash"] = {path: first}
            expected.write(f"{plan['name']}\tunmerged\tonly its first commit was squash-merged, {N - plan['at']} commits behind\n")
        else:
            plan["squash"] = {path: first, new_file: new_lines}
            how = "main rewrote the lines later" if plan["variant"] == "edited" else "untouched since"
            expected.write(f"{plan['name']}\tmerged\tsquash-merged {N - plan['at']} commits behind main, {how}\n")
    for plan in landings.get(i, []):  # a merge or rebase branch forks here, in files of its own
        parent = main_mark
        plan["changes"] = []
        for c in range(2 if plan["kind"] == "rebase" else random.randint(1, 2)):
            change = {f"landed/{plan['name']}-{c}.swift": [f"// {plan['name']} {token()}" for _ in range(8)]}
            plan["changes"].append(change)
            m = next(marks)
            commit(f"refs/heads/{plan['name']}", m, parent, f"{plan['name']} commit {c}", change)
            parent = m
        plan["tip"] = parent
        how = "merged with a merge commit" if plan["kind"] == "merge" else "re-applied as new commits"
        expected.write(f"{plan['name']}\tmerged\t{how}, {N - plan['at']} commits behind main\n")
    if i in opens:  # an unmerged branch: random edits, sometimes in files main edits too
        k = opens[i]
        name = f"open-{k}"
        parent = main_mark
        state = {}
        for c in range(random.randint(1, 3)):
            change = {}
            if random.random() < 0.5:
                path = f"src/m{random.randrange(400):03d}.swift"
                lines = list(state.get(path, files[path]))
                lines[random.randrange(30)] = f"// {name} {token()}"
                change[path] = lines
            else:
                change[f"open/{name}-{c}.swift"] = [f"// {name} {token()}" for _ in range(8)]
            state.update(change)
            m = next(marks)
            commit(f"refs/heads/{name}", m, parent, f"{name} commit {c}", change)
            parent = m
        expected.write(f"{name}\tunmerged\trandom edits forked {N - i} commits behind main\n")
expected.close()
PY
git repack -adq
git reset -q --hard main
