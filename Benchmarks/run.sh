#!/usr/bin/env bash
# ppds benchmarks: what users run, each figure a ratio against a fair baseline measured side by
# side in the same run. Pairs alternate the two commands (the baseline first in even pairs, ppds
# first in odd ones) after one warm-up pair; the table gives the medians of each side and the
# median and range of the per-pair ratio. Fixtures are generated or cloned here; nothing is committed.
#
# Usage: bash Benchmarks/run.sh [PART...]     (default: every part, in this order)
#   start    start-work of one issue vs `git worktree add -b`, on swift-nio, swift-protobuf and
#            vapor (cloned from the local mirrors) and on generated repositories: 5,000 files
#            loose, the same packed, and packed with git/git's kinds of .gitattributes
#   bigfile  start-work on a repository with one 200 MB file: time and peak memory vs git
#   bulk     start-work of 8 issues with --jobs 2 vs xargs -P 2 running `git worktree add -b`
#   ladder   `ppds merged` of 100 branches vs the plumbing ladder, two branches at a time
#   history  a 5,000-commit history: every squash found at 50, 600 and 3,000 commits behind,
#            no false "merged", and `merged` of one branch in milliseconds
#   graph    a 5,700-commit history with 100 branches (squashes, merges, rebases, unmerged): `merged`
#            of all 100 vs the ladder with -P 2, and of one branch, without and with git's
#            commit-graph (`git commit-graph write --reachable --changed-paths`; git gets it too)
#   hot      what agents run on every step: `hook claude` (each payload kind) vs `git status
#            --porcelain`, `update --status working` and `path` vs `git rev-parse HEAD`,
#            `--version`/`--help` vs `git --version`, and peak memory of hook and update
#   status20 `status` of 20 sessions vs worktree list + `git status --porcelain` per worktree
#   prune    `prune --dry-run` of 100 finished sessions vs `merged` alone on the same branches
#   removal  prune of a finished, merged worktree holding 30,000 ignored files (node_modules/) vs
#            `git worktree remove --force` of an equal worktree
#   status   `status --json` with 200 sessions vs worktree list + rev-list per session
#   serve    Benchmarks/serve.sh (wrk against `ppds serve`), reported in the table
# Environment: BENCH_DIR (default /dev/shm), BENCH_PAIRS (pairs per row, default 9, at least 5),
#   BENCH_MS_RUNS (runs of the millisecond rows, default 15), BENCH_OUT (the table's file,
#   default .build/benchmarks.md), BENCH_MIRRORS (default /opt/swift-packages), BENCH_REPOS
#   (OWNER/NAME of the mirrors for `start`, default "apple/swift-nio apple/swift-protobuf
#   vapor/vapor"), PPDS_BIN (a prebuilt binary instead of `swift build -c release`, with ppds-full next to it),
#   BENCH_KEEP=1 (keep the fixtures).
# shellcheck disable=SC2016 # backquotes in table cells are markdown
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
all_parts=(start bigfile bulk ladder history graph hot status20 prune removal status serve)
if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then sed -n '2,/^# shellcheck/{/^# shellcheck/d;s/^# \{0,1\}//;p}' "$0"; exit 0; fi
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=("${all_parts[@]}")
for part in "${parts[@]}"; do
  case " ${all_parts[*]} " in *" $part "*) ;; *) echo "unknown part '$part' (parts: ${all_parts[*]})" >&2; exit 2 ;; esac
done

pairs=${BENCH_PAIRS:-9}
(( pairs >= 5 )) || { echo "BENCH_PAIRS must be at least 5" >&2; exit 2; }
ms_runs=${BENCH_MS_RUNS:-15}
mirrors=${BENCH_MIRRORS:-/opt/swift-packages}
read -r -a real_repos <<< "${BENCH_REPOS:-apple/swift-nio apple/swift-protobuf vapor/vapor}"
out_file=${BENCH_OUT:-$root/.build/benchmarks.md}

[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
# shellcheck source=Benchmarks/lib.sh
source "$root/Benchmarks/lib.sh"
bash .ci/deps
[ -x /usr/bin/time ] || apt_install time
if [ -n "${PPDS_BIN:-}" ]; then
  ppds=$PPDS_BIN
else
  # Both executables: the front (`ppds`) and the full program it runs (`ppds-full`).
  swift build -c release --product ppds >/dev/null
  swift build -c release --product ppds-full >/dev/null
  ppds="$root/.build/release/ppds"
fi
base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work="$base/ppds-bench-$$"
rm -rf "$work"; mkdir -p "$work"
if [ "${BENCH_KEEP:-0}" = 1 ]; then trap 'echo "fixtures kept in $work"' EXIT; else trap 'rm -rf "$work"' EXIT; fi
results="$work/results"; mkdir -p "$results"
: > "$results/rows.md"; : > "$results/load.md"
echo "== ppds $("$ppds" --version) in $work; $pairs pairs per row; $(nproc) cores"

files_of() { git -C "$1" ls-files | wc -l | tr -d ' '; }
thousands() { printf '%d' "$1" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'; }

# --- start: one issue ---------------------------------------------------------------------------
# sw_repo, sw_base, sw_git_wt, sw_ppds_wt: the repository being measured.
start_prep_git() { rm -rf "$sw_git_wt"; git -C "$sw_repo" worktree prune; git -C "$sw_repo" branch -q -D bench-git >/dev/null 2>&1 || true; }
start_run_git() { measure git -C "$sw_repo" worktree add -q -b bench-git "$sw_git_wt" "$sw_base"; }
start_prep_ppds() {
  rm -rf "$sw_ppds_wt" "$PPDS_HOME"; git -C "$sw_repo" worktree prune
  git -C "$sw_repo" branch -q -D feat/bench >/dev/null 2>&1 || true
}
start_run_ppds() { measure "$ppds" start-work 1 --offline --no-hooks --title bench --base "$sw_base" --repo "$sw_repo"; }

# start_row KEY DESCRIPTION REPO GOAL: pairs, then a check that both made the same files.
start_row() {
  local key=$1 description=$2 goal=$4 note=""
  sw_repo=$3
  sw_base=$(git -C "$sw_repo" symbolic-ref --short HEAD)
  sw_git_wt="$(dirname "$sw_repo")/wt-git"
  sw_ppds_wt="$sw_repo-bench"   # the default worktree template: {parent}/{repo}-{slug}
  PPDS_HOME="$(dirname "$sw_repo")/home"; export PPDS_HOME
  echo "   $description"
  pairs "start-$key" start_prep_git start_run_git start_prep_ppds start_run_ppds
  if ! same_checkout "$sw_ppds_wt" "$sw_git_wt"; then
    note="no: files differ from git's or git status is not clean"
    echo "   !! $description: ppds's worktree differs from git's" >&2
  fi
  row ratio "start-work, 1 issue: $description" '`git worktree add -b`' "$results/start-$key.pairs" "$goal" ${note:+"$note"}
  rm -rf "$sw_git_wt" "$sw_ppds_wt" "$PPDS_HOME"
  reset_repo "$sw_repo" "$sw_base"
}

cp_prep() { rm -rf "$work/cp"; }
cp_run() { cp -r "$work/tree-only" "$work/cp"; }

part_start() {
  local fx="$work/start" owner_name name n
  mkdir -p "$fx"
  echo "== start: fixtures"
  bash Benchmarks/make-fixture.sh "$fx/loose/repo" 5000
  mkdir -p "$fx/packed" && cp -a "$fx/loose/repo" "$fx/packed/repo"
  git -C "$fx/packed/repo" repack -adq && git -C "$fx/packed/repo" prune-packed
  bash Benchmarks/make-attributes-fixture.sh "$fx/attrs/repo" 5000
  echo "== start: start-work of one issue vs git worktree add -b"
  for owner_name in "${real_repos[@]}"; do
    name=${owner_name#*/}
    if [ ! -d "$mirrors/$owner_name.git" ]; then
      text_row "start-work, 1 issue: $owner_name" '`git worktree add -b`' "—" "—" "—" "≤ 0.8×" "skipped: no mirror at $mirrors/$owner_name.git"
      continue
    fi
    git clone -q --no-local "$mirrors/$owner_name.git" "$fx/$name/repo"
    n=$(files_of "$fx/$name/repo")
    local attrs=""
    [ -n "$(git -C "$fx/$name/repo" ls-files -- '.gitattributes' '*/.gitattributes')" ] && attrs=", .gitattributes"
    # The issue's goals: ≤ 1.0× for a repository of about 300 files (process start dominates),
    # ≤ 0.8× for the others.
    local goal=0.8
    (( n < 500 )) && goal=1.0
    start_row "$name" "$owner_name ($(thousands "$n") files, packed$attrs)" "$fx/$name/repo" "$goal"
  done
  start_row loose "generated, 5,000 files of 1 KB, loose objects" "$fx/loose/repo" 0.8
  start_row packed "generated, 5,000 files of 1 KB, packed" "$fx/packed/repo" 0.8
  start_row attrs "generated like git/git, $(thousands "$(files_of "$fx/attrs/repo")") files, packed, .gitattributes with text=auto, eol=lf/crlf, linguist-*" "$fx/attrs/repo" 0.8
  echo "   physical limit: cp -r of the 5,000 loose files"
  mkdir -p "$work/tree-only" && git -C "$fx/loose/repo" archive main | tar -x -C "$work/tree-only"
  sw_repo="$fx/loose/repo"; sw_base=main; sw_ppds_wt="$sw_repo-bench"; export PPDS_HOME="$fx/loose/home"
  pairs start-cp cp_prep cp_run start_prep_ppds start_run_ppds
  row ratio "start-work, 1 issue: generated, 5,000 files, loose (physical limit)" '`cp -r` of the same files' "$results/start-cp.pairs" -
  rm -rf "$work/cp" "$work/tree-only" "$fx"
}

# --- bigfile: 200 MB ------------------------------------------------------------------------------
part_bigfile() {
  local fx="$work/bigfile" note=""
  echo "== bigfile: fixture (one 200 MB file)"
  bash Benchmarks/make-bigfile-fixture.sh "$fx/repo" 200
  echo "== bigfile: start-work vs git worktree add -b, time and peak memory (/usr/bin/time)"
  sw_repo="$fx/repo"; sw_base=main; sw_git_wt="$fx/wt-git"; sw_ppds_wt="$fx/repo-bench"; export PPDS_HOME="$fx/home"
  rss_mode=1
  pairs bigfile start_prep_git start_run_git start_prep_ppds start_run_ppds
  rss_mode=0
  cmp -s "$sw_ppds_wt/data/blob.bin" "$sw_git_wt/data/blob.bin" || note="no: the file differs from git's"
  row ratio "start-work, 1 issue: one 200 MB file (one commit), time" '`git worktree add -b`' "$results/bigfile.pairs" 1.2 ${note:+"$note"}
  row rss "start-work, 1 issue: one 200 MB file, peak memory (maximum resident set size)" '`git worktree add -b`' "$results/bigfile.pairs" 1.2
  rm -rf "$fx"
}

# --- bulk: 8 issues, two at a time --------------------------------------------------------------
bulk_prep() { reset_repo "$bk_repo" "$bk_base"; rm -rf "$PPDS_HOME"; }
bulk_run_git() {
  seq 1 8 | xargs -P 2 -I '{}' git -C "$bk_repo" worktree add -q -b 'bulk-{}' "$bk_dir/bulk-{}" "$bk_base"
}
bulk_run_ppds() { "$ppds" start-work --offline --no-hooks --jobs 2 --base "$bk_base" --repo "$bk_repo" 1 2 3 4 5 6 7 8; }
part_bulk() {
  local owner_name=${real_repos[1]:-${real_repos[0]}} n description
  bk_dir="$work/bulk"; bk_repo="$bk_dir/repo"; mkdir -p "$bk_dir"
  export PPDS_HOME="$bk_dir/home"
  echo "== bulk: fixture"
  if [ -d "$mirrors/$owner_name.git" ]; then
    git clone -q --no-local "$mirrors/$owner_name.git" "$bk_repo"
    description="$owner_name, $(thousands "$(files_of "$bk_repo")") files"
  else
    bash Benchmarks/make-fixture.sh "$bk_repo" 5000
    description="generated, 5,000 files"
  fi
  bk_base=$(git -C "$bk_repo" symbolic-ref --short HEAD)
  echo "== bulk: start-work --jobs 2 of 8 issues vs xargs -P 2 git worktree add -b ($description)"
  pairs bulk bulk_prep bulk_run_git bulk_prep bulk_run_ppds
  # Whichever side ran last, check what ppds makes: 8 worktrees, each with a clean status.
  bulk_prep; bulk_run_ppds > /dev/null
  local note="" path dirty=0
  n=$(git -C "$bk_repo" worktree list --porcelain | grep -c '^worktree ')
  while IFS= read -r path; do
    [ "$path" = "$bk_repo" ] || [ -z "$(git -C "$path" status --porcelain)" ] || dirty=$((dirty + 1))
  done < <(git -C "$bk_repo" worktree list --porcelain | sed -n 's/^worktree //p')
  [ "$n" = 9 ] || note="no: $((n - 1)) worktrees instead of 8"
  [ "$dirty" = 0 ] || note="no: git status is not clean in $dirty worktrees"
  row ratio "bulk start-work, 8 issues, \`--jobs 2\` ($description)" '`xargs -P 2` running `git worktree add -b`' "$results/bulk.pairs" 0.9 ${note:+"$note"}
  rm -rf "$bk_dir"
}

# --- ladder: 100 branches ------------------------------------------------------------------------
noop() { :; }
ladder_run_git() { bash "$root/Benchmarks/ladder-baseline.sh" "$ld_repo" main 2; }
ladder_run_ppds() { "$ppds" merged --base main --repo "$ld_repo"; }
part_ladder() {
  ld_repo="$work/merges"
  echo "== ladder: fixture (100 branches, 20 of each kind)"
  bash Benchmarks/make-merge-fixture.sh "$ld_repo" 20
  "$ppds" merged --base main --repo "$ld_repo" > "$work/ppds-merged.txt"
  local correct
  correct=$(python3 - "$ld_repo/expected.tsv" "$work/ppds-merged.txt" <<'PY'
import sys
expected = dict(line.rstrip("\n").split("\t") for line in open(sys.argv[1]))
right = 0
for line in open(sys.argv[2]):
    branch, check = line.rstrip("\n").split("\t")
    check = "none" if check == "not merged" else check
    right += check in expected[branch].split()
print(f"{right}/{len(expected)}")
PY
)
  echo "== ladder: ppds merged of 100 branches vs the plumbing ladder with -P 2 ($correct right)"
  pairs ladder noop ladder_run_git noop ladder_run_ppds
  local note=""
  [ "${correct%/*}" = "${correct#*/}" ] || note="no: $correct classified right"
  row ratio "\`merged\`, 100 branches: 20 each of merge commit, squash after main moved on, rebase merge, squash that conflicts in simulation, unmerged ($correct right)" \
    "worktrunk's ladder in git plumbing, \`xargs -P 2\`" "$results/ladder.pairs" 0.2 ${note:+"$note"}
  rm -rf "$ld_repo"
}

# --- history: 5,000+ commits -------------------------------------------------------------------
# merge_verdict EXPECTED.tsv MERGED.json: "found/merged<TAB>false/unmerged<TAB>yes|no: …", comparing
# `merged --json` of every branch with the fixture's answers (every squash found, none false,
# no error, an answer for every branch).
merge_verdict() {
  python3 - "$1" "$2" <<'PY'
import json, sys
expected = {}
for line in open(sys.argv[1]):
    branch, kind, _ = line.rstrip("\n").split("\t")
    expected[branch] = kind
answers = {item["branch"]: item for item in json.load(open(sys.argv[2]))["branches"]}
merged = [b for b, k in expected.items() if k == "merged"]
unmerged = [b for b, k in expected.items() if k == "unmerged"]
found = [b for b in merged if answers.get(b, {}).get("merged")]
false = [b for b in unmerged if answers.get(b, {}).get("merged")]
errors = [b for b, a in answers.items() if a.get("error")]
missed = sorted(set(merged) - set(found))
unanswered = sorted(set(expected) - set(answers))
detail = (" missed: " + ", ".join(missed) if missed else "") + (" false: " + ", ".join(false) if false else "") \
    + (" errors: " + ", ".join(errors) if errors else "") + (" unanswered: " + ", ".join(unanswered) if unanswered else "")
ok = not missed and not false and not errors and not unanswered
print(f"{len(found)}/{len(merged)}\t{len(false)}/{len(unmerged)}\t{'yes' if ok else 'no:' + detail}")
PY
}
history_run_git() { bash "$root/Benchmarks/ladder-baseline.sh" "$hs_repo" main 1 "$hs_branch"; }
history_run_ppds() { "$ppds" merged --base main --repo "$hs_repo" "$hs_branch"; }
part_history() {
  hs_repo="$work/history"
  echo "== history: fixture (5,200 commits on main, squashes 50, 600 and 3,000 commits behind)"
  bash Benchmarks/make-history-fixture.sh "$hs_repo" 5200
  "$ppds" merged --base main --json --repo "$hs_repo" > "$work/history.json" || true
  local verdict
  verdict=$(merge_verdict "$hs_repo/expected.tsv" "$work/history.json")
  local found false_merged met
  IFS=$'\t' read -r found false_merged met <<< "$verdict"
  echo "   squashes found $found, false merged $false_merged"
  text_row "\`merged\` of every branch on 5,200 commits: squashes 50, 600 and 3,000 commits behind, half of them with the lines rewritten by main later; branches with random unmerged changes (2 forked over 5,000 commits back) and partly squashed ones" \
    "—" "squashes found $found, false merged $false_merged" "—" "—" "every squash found, 0 false" "$met"
  echo "== history: merged of one branch, $ms_runs pairs with the ladder on the same branch"
  local saved=$pairs
  pairs=$ms_runs
  hs_branch=squash-3000-edited-1
  pairs history-squash noop history_run_git noop history_run_ppds
  row ms "\`merged\` of one branch on 5,200 commits: squash 3,000 commits behind, lines rewritten since (needs patch-id)" \
    "the ladder on that branch (patch-id capped at 500: misses it)" "$results/history-squash.pairs" 30
  hs_branch=open-1
  pairs history-open noop history_run_git noop history_run_ppds
  row ms "\`merged\` of one branch on 5,200 commits: unmerged, forked 5,180 commits behind" \
    "the ladder on that branch" "$results/history-open.pairs" 30
  pairs=$saved
  rm -rf "$hs_repo"
}

# --- graph: 5,700 commits, 100 branches, with and without the commit-graph ------------------------
graph_run_git() { bash "$root/Benchmarks/ladder-baseline.sh" "$gr_repo" main 2; }
graph_run_ppds() { "$ppds" merged --base main --repo "$gr_repo"; }
graph_one_git() { bash "$root/Benchmarks/ladder-baseline.sh" "$gr_repo" main 1 "$gr_branch"; }
graph_one_ppds() { "$ppds" merged --base main --repo "$gr_repo" "$gr_branch"; }
# graph_verdict: "found/merged<TAB>false/unmerged<TAB>yes|no: …" from `merged --json` of every branch.
graph_verdict() {
  "$ppds" merged --base main --json --repo "$gr_repo" > "$work/graph.json" || true
  merge_verdict "$gr_repo/expected.tsv" "$work/graph.json"
}
part_graph() {
  gr_repo="$work/graph"
  echo "== graph: fixture (5,700 commits on main, 100 branches)"
  bash Benchmarks/make-history-fixture.sh "$gr_repo" 5700 100
  local mode verdict found false_merged met saved=$pairs label
  for mode in without with; do
    if [ "$mode" = with ]; then
      git -C "$gr_repo" commit-graph write --reachable --changed-paths
      label="with git's commit-graph (--changed-paths), both sides"
    else
      rm -rf "$gr_repo/.git/objects/info/commit-graph" "$gr_repo/.git/objects/info/commit-graphs"
      label="no commit-graph"
    fi
    verdict=$(graph_verdict)
    IFS=$'\t' read -r found false_merged met <<< "$verdict"
    echo "   $label: merged found $found, false merged $false_merged"
    text_row "\`merged\` of 100 branches on 5,700 commits, $label: squashes 50/600/3,000 behind, merge commits, rebases, unmerged" \
      "—" "merged found $found, false merged $false_merged" "—" "—" "every one found, 0 false" "$met"
    echo "== graph ($label): merged of 100 branches vs the ladder with -P 2"
    pairs "graph-$mode" noop graph_run_git noop graph_run_ppds
    row ratio "\`merged\`, 100 branches on 5,700 commits, $label" "the ladder in git plumbing, \`xargs -P 2\`" "$results/graph-$mode.pairs" 0.2
    pairs=$ms_runs
    for gr_branch in squash-3000-edited-1 open-1; do
      pairs "graph-$mode-$gr_branch" noop graph_one_git noop graph_one_ppds
      row ms "\`merged\` of one branch ($gr_branch) on 5,700 commits, $label" "the ladder on that branch" "$results/graph-$mode-$gr_branch.pairs" 30
    done
    pairs=$saved
  done
  rm -rf "$gr_repo"
}

# --- hot: the commands agents run on every step -------------------------------------------------
hot_git_status() { git -C "$hot_wt" status --porcelain; }
hot_git_rev() { git -C "$hot_wt" rev-parse HEAD; }
hot_git_version() { git --version; }
hot_hook() { (cd "$hot_wt" && measure "$ppds" hook claude 1 < "$work/payload-$hot_kind.json"); }
hot_update() { (cd "$hot_wt" && measure "$ppds" update --status working); }
hot_status_rss() { measure git -C "$hot_wt" status --porcelain; }
hot_rev_rss() { measure git -C "$hot_wt" rev-parse HEAD; }
hot_path() { (cd "$hot_wt" && "$ppds" path); }
hot_version() { "$ppds" --version; }
hot_help() { "$ppds" --help; }
part_hot() {
  local owner_name=vapor/vapor saved=$pairs kind
  hot_repo="$work/hot/repo"; export PPDS_HOME="$work/hot/home"
  echo "== hot: fixture (one session in a clone of $owner_name)"
  if [ -d "$mirrors/$owner_name.git" ]; then
    git clone -q --no-local "$mirrors/$owner_name.git" "$hot_repo"
  else
    bash Benchmarks/make-fixture.sh "$hot_repo" 300
  fi
  "$ppds" start-work 1 --offline --no-hooks --title hot --repo "$hot_repo" > /dev/null
  hot_wt=$("$ppds" path 1 --repo "$hot_repo")
  "$ppds" update 1 --status working --repo "$hot_repo" > /dev/null
  for kind in PreToolUse PostToolUse Notification UserPromptSubmit Stop; do
    python3 - "$kind" "$hot_wt" > "$work/payload-$kind.json" <<'PY'
import json, sys
kind, cwd = sys.argv[1:]
payload = {"session_id": "bench", "transcript_path": "/tmp/bench.jsonl", "cwd": cwd, "hook_event_name": kind}
payload.update({"PreToolUse": {"tool_name": "Bash", "tool_input": {"command": "ls"}},
                "PostToolUse": {"tool_name": "Bash", "tool_input": {"command": "ls"}, "tool_response": {}},
                "Notification": {"message": "Claude is waiting for your input", "notification_type": "idle_prompt"},
                "UserPromptSubmit": {"prompt": "go on"}, "Stop": {"stop_hook_active": False}}[kind])
print(json.dumps(payload))
PY
  done
  pairs=$ms_runs
  for kind in PreToolUse PostToolUse Notification UserPromptSubmit Stop; do
    hot_kind=$kind
    pairs "hot-hook-$kind" noop hot_git_status noop hot_hook
    row ratio "\`ppds hook claude 1\` with a $kind payload, in the worktree" '`git status --porcelain` in the same worktree' "$results/hot-hook-$kind.pairs" 2
  done
  pairs hot-update noop hot_git_rev noop hot_update
  row ratio '`ppds update --status working`, in the worktree' '`git rev-parse HEAD`' "$results/hot-update.pairs" 2
  pairs hot-path noop hot_git_rev noop hot_path
  row ratio '`ppds path`, in the worktree' '`git rev-parse HEAD`' "$results/hot-path.pairs" 2
  pairs hot-version noop hot_git_version noop hot_version
  row ratio '`ppds --version`' '`git --version`' "$results/hot-version.pairs" 3
  pairs hot-help noop hot_git_version noop hot_help
  row ratio '`ppds --help`' '`git --version`' "$results/hot-help.pairs" 3
  rss_mode=1
  hot_kind=PostToolUse
  pairs hot-hook-rss noop hot_status_rss noop hot_hook
  row rss '`ppds hook claude 1` (PostToolUse), peak memory' '`git status --porcelain`' "$results/hot-hook-rss.pairs" 2
  pairs hot-update-rss noop hot_rev_rss noop hot_update
  row rss '`ppds update --status working`, peak memory' '`git rev-parse HEAD`' "$results/hot-update-rss.pairs" 2
  rss_mode=0
  pairs=$saved
  rm -rf "$work/hot"
}

# --- status20: 20 sessions, against git run serially ---------------------------------------------
status20_run_git() {
  local path
  git -C "$s20_repo" worktree list --porcelain | sed -n 's/^worktree //p' | while IFS= read -r path; do
    git -C "$path" status --porcelain
  done
}
status20_run_ppds() { "$ppds" status --repo "$s20_repo"; }
part_status20() {
  s20_repo="$work/status20/repo"; export PPDS_HOME="$work/status20/home"
  echo "== status20: fixture (20 sessions in a 300-file repository)"
  bash Benchmarks/make-fixture.sh "$s20_repo" 300
  "$ppds" start-work --offline --no-hooks --jobs 2 --repo "$s20_repo" $(seq 1 20) > /dev/null
  pairs status20 noop status20_run_git noop status20_run_ppds
  row ratio '`status`, 20 sessions (300-file worktrees)' '`git worktree list` + one `git status --porcelain` per worktree, serially' "$results/status20.pairs" 1
  rm -rf "$work/status20"
}

# --- prune: 100 finished sessions --------------------------------------------------------------
prune_run_merged() { "$ppds" merged --base main --repo "$pr_repo" "${pr_branches[@]}"; }
prune_run_prune() { "$ppds" prune --dry-run --repo "$pr_repo"; }
part_prune() {
  pr_repo="$work/prune/repo"; export PPDS_HOME="$work/prune/home"
  echo "== prune: fixture (100 finished sessions in a 300-file repository, merged and shipped)"
  bash Benchmarks/make-prune-fixture.sh "$pr_repo" "$ppds" 100 300
  mapfile -t pr_branches < <(cut -f2 "$pr_repo.sessions.tsv")
  local would note=""
  would=$("$ppds" prune --dry-run --json --repo "$pr_repo" | python3 -c 'import json,sys; print(sum(r["outcome"] == "wouldRemove" for r in json.load(sys.stdin)["results"]))')
  [ "$would" = 100 ] || note="no: the dry run would remove $would of 100"
  echo "== prune: prune --dry-run ($would of 100 would be removed) vs merged of the same 100 branches"
  pairs prune noop prune_run_merged noop prune_run_prune
  row ratio "\`prune --dry-run\`, 100 finished sessions (merged, shipped; 300-file worktrees), $would would be removed" \
    "\`ppds merged\` alone on the same 100 branches" "$results/prune.pairs" 2 ${note:+"$note"}
  rm -rf "$work/prune"
}

# --- removal: one finished worktree with 30,000 ignored files ---------------------------------
# Each side gets a fresh worktree with the same node_modules/ (copied from one template, not
# timed); ppds's is a shipped session merged into main. Only the removal is timed.
rm_n=0
removal_prep_git() {
  rm_n=$((rm_n + 1))
  git -C "$rm_repo" worktree add -q -b "g-$rm_n" "$work/removal/g-$rm_n" main
  cp -a "$work/removal/node_modules" "$work/removal/g-$rm_n/node_modules"
  rm_git_wt="$work/removal/g-$rm_n"
}
removal_run_git() { git -C "$rm_repo" worktree remove --force "$rm_git_wt"; }
removal_prep_ppds() {
  rm_n=$((rm_n + 1))
  local wt
  wt=$("$ppds" start-work --offline --no-hooks --repo "$rm_repo" --title "removal $rm_n" --json "$rm_n" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["worktree"])')
  echo "$rm_n" > "$wt/change-$rm_n.txt"
  git -C "$wt" add "change-$rm_n.txt"; git -C "$wt" commit -qm "change $rm_n"
  "$ppds" ship "$rm_n" --pr "https://example.com/pull/$rm_n" --force --repo "$rm_repo" > /dev/null
  git -C "$rm_repo" merge -q --no-ff -m "merge $rm_n" "$(git -C "$wt" rev-parse --abbrev-ref HEAD)"
  cp -a "$work/removal/node_modules" "$wt/node_modules"
  rm_issue=$rm_n
}
removal_run_ppds() { "$ppds" prune "$rm_issue" --repo "$rm_repo"; }
part_removal() {
  rm_repo="$work/removal/repo"; export PPDS_HOME="$work/removal/home"
  echo "== removal: fixture (a 300-file repository; node_modules/ of 30,000 files, ignored)"
  bash Benchmarks/make-fixture.sh "$rm_repo" 300
  printf 'node_modules/\n' > "$rm_repo/.gitignore"
  git -C "$rm_repo" add .gitignore; git -C "$rm_repo" commit -qm ignore
  mkdir -p "$work/removal/node_modules"
  for d in $(seq 1 300); do
    mkdir -p "$work/removal/node_modules/p$d"
    for f in $(seq 1 100); do echo "module.exports = $f" > "$work/removal/node_modules/p$d/f$f.js"; done
  done
  echo "== removal: prune of a merged worktree vs git worktree remove --force (each with 30,000 ignored files)"
  pairs removal removal_prep_git removal_run_git removal_prep_ppds removal_run_ppds
  row ratio "\`prune\` of one merged, finished worktree holding 30,000 ignored files (moved to the trash)" \
    "\`git worktree remove --force\` of an equal worktree" "$results/removal.pairs" 0.25
  rm -rf "$work/removal"
}

# --- status: 200 sessions -----------------------------------------------------------------------
status_run_git() { bash "$root/Benchmarks/status-baseline.sh" "$st_repo" "$PPDS_HOME/sessions"; }
status_run_ppds() { "$ppds" status --json --repo "$st_repo"; }
part_status() {
  st_repo="$work/status/repo"; export PPDS_HOME="$work/status/home"
  echo "== status: fixture (200 sessions)"
  bash Benchmarks/make-fixture.sh "$st_repo" 50
  "$ppds" start-work --offline --no-hooks --jobs 2 --repo "$st_repo" $(seq 1 200) > /dev/null
  echo "== status: status --json vs worktree list + rev-list per session + reading the files"
  pairs status noop status_run_git noop status_run_ppds
  row ratio "\`status --json\`, 200 sessions" \
    "\`git worktree list --porcelain\` + one \`git rev-list --left-right --count\` per session + reading the files" "$results/status.pairs" 0.1
  rm -rf "$work/status"
}

# --- serve ---------------------------------------------------------------------------------------
part_serve() {
  echo "== serve: Benchmarks/serve.sh"
  PPDS_BIN=$ppds BENCH_DIR=$base bash Benchmarks/serve.sh | tee "$work/serve.txt"
  local label value
  while IFS= read -r line; do
    case $line in
      "GET "*:*" req/s, p99 "*)
        label=${line%%: *}; value=${line#*: }
        text_row "\`ppds serve\`: $label, wrk with 8 connections" "—" "$value" "—" "—" "report" "—"
        ;;
    esac
  done < "$work/serve.txt"
}

started=$(now_us)
for part in "${parts[@]}"; do
  busy_begin
  "part_$part"
  busy_end "$part"
done

mkdir -p "$(dirname "$out_file")"
{
  python3 Benchmarks/table.py print "$results/rows.md" "$results/load.md"
  echo
  echo "ppds $("$ppds" --version), $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- Sources Package.swift || echo ' (with uncommitted changes)'); $(nproc) cores; parts: ${parts[*]}; $(( ($(now_us) - started) / 1000000 )) s in all; $(date -u '+%Y-%m-%d %H:%M UTC')."
} > "$out_file"
echo
cat "$out_file"
echo
echo "(written to $out_file)"
