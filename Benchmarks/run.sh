#!/usr/bin/env bash
# ppds benchmarks: every figure is a ratio against a baseline measured in the same run, with
# hyperfine medians. Fixtures are generated here; nothing is committed.
# Usage: bash Benchmarks/run.sh            (BENCH_DIR picks the folder; default /dev/shm)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
bash .ci/deps
if ! command -v hyperfine >/dev/null; then
  [ "$(id -u)" -eq 0 ] && sudo_cmd="" || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq hyperfine >/dev/null
fi
swift build -c release >/dev/null
ppds="$root/.build/release/ppds"
base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work="$base/ppds-bench-$$"
rm -rf "$work"; mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
results="$work/results"; mkdir -p "$results"
runs=${BENCH_RUNS:-10}
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@ppds.invalid GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@ppds.invalid

echo "== fixtures in $work"
bash Benchmarks/make-fixture.sh "$work/repo" 5000
mkdir -p "$work/tree-only" && (cd "$work/repo" && git archive main | tar -x -C "$work/tree-only")

echo "== 1. start-work of one issue (5,000 files) vs git worktree add -b; cp -r as the physical limit"
hyperfine -N --warmup 1 --runs "$runs" --export-json "$results/single.json" \
  --prepare "sh -c 'rm -rf $work/wt-git; git -C $work/repo worktree prune; git -C $work/repo branch -q -D bench-git || true'" \
  -n git "git -C $work/repo worktree add -q -b bench-git $work/wt-git main" \
  --prepare "sh -c 'rm -rf $work/repo-bench $work/home; git -C $work/repo worktree prune; git -C $work/repo branch -q -D feat/bench || true'" \
  -n ppds "env PPDS_HOME=$work/home $ppds start-work 1 --offline --no-hooks --title bench --repo $work/repo" \
  --prepare "rm -rf $work/cp" \
  -n cp "cp -r $work/tree-only $work/cp" > /dev/null
rm -rf "$work/wt-git" "$work/repo-bench" "$work/cp" "$work/home"; git -C "$work/repo" worktree prune
git -C "$work/repo" branch -q -D bench-git feat/bench 2>/dev/null || true

echo "== 2. bulk start-work of 16 issues --jobs 2 vs a sequential loop of git worktree add -b"
cat > "$work/git-loop.sh" <<LOOP
for i in \$(seq 1 16); do git -C $work/repo worktree add -q -b loop-\$i $work/loop-\$i main; done
LOOP
cat > "$work/clean.sh" <<CLEAN
rm -rf $work/loop-* $work/repo-issue-* $work/home
git -C $work/repo worktree prune
for b in \$(git -C $work/repo for-each-ref --format='%(refname:short)' refs/heads/ | grep -v '^main\$'); do git -C $work/repo branch -q -D "\$b"; done
CLEAN
hyperfine -N --warmup 0 --runs "$(( runs < 5 ? runs : 5 ))" --export-json "$results/bulk.json" \
  --prepare "sh $work/clean.sh" -n git "sh $work/git-loop.sh" \
  --prepare "sh $work/clean.sh" -n ppds "env PPDS_HOME=$work/home $ppds start-work --offline --no-hooks --jobs 2 --repo $work/repo $(seq -s ' ' 1 16)" > /dev/null
sh "$work/clean.sh"

echo "== 3. merge classification of 100 branches vs the ladder in git plumbing"
bash Benchmarks/make-merge-fixture.sh "$work/merges" 20
"$ppds" merged --base main --repo "$work/merges" > "$work/ppds-merged.txt"
correct=$(python3 - "$work/merges/expected.tsv" "$work/ppds-merged.txt" <<'PY'
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
hyperfine -N --warmup 1 --runs "$runs" --export-json "$results/merged.json" \
  -n git "bash $root/Benchmarks/ladder-baseline.sh $work/merges main" \
  -n ppds "$ppds merged --base main --repo $work/merges" > /dev/null

echo "== 4. status --json with 200 sessions vs worktree list + rev-list per session + reading the files"
mkdir -p "$work/small"
bash Benchmarks/make-fixture.sh "$work/small" 50
PPDS_HOME="$work/home200" "$ppds" start-work --offline --no-hooks --jobs 2 --repo "$work/small" $(seq -s ' ' 1 200) > /dev/null
hyperfine -N --warmup 1 --runs "$runs" --export-json "$results/status.json" \
  -n git "bash $root/Benchmarks/status-baseline.sh $work/small $work/home200/sessions" \
  -n ppds "env PPDS_HOME=$work/home200 $ppds status --json --repo $work/small" > /dev/null

python3 - "$results" "$correct" <<'PY'
import json, sys, statistics
folder, correct = sys.argv[1], sys.argv[2]
def medians(name):
    data = json.load(open(f"{folder}/{name}.json"))
    return {r["command"]: statistics.median(r["times"]) for r in data["results"]}
rows = []
single = medians("single")
rows.append(("start-work, 1 issue, 5,000 files", "git worktree add -b", single["git"], single["ppds"], "<= 1.0x"))
bulk = medians("bulk")
rows.append(("bulk start-work, 16 issues, --jobs 2", "loop of git worktree add -b", bulk["git"], bulk["ppds"], "<= 0.6x"))
merged = medians("merged")
rows.append((f"classify 100 branches ({correct} right)", "git plumbing ladder", merged["git"], merged["ppds"], "<= 0.1x"))
status = medians("status")
rows.append(("status --json, 200 sessions", "worktree list + rev-list each", status["git"], status["ppds"], "<= 0.1x"))
print()
print("| work | baseline | baseline median | ppds median | ratio | target |")
print("| --- | --- | --- | --- | --- | --- |")
for work, baseline, b, p, target in rows:
    print(f"| {work} | {baseline} | {b*1000:.0f} ms | {p*1000:.0f} ms | {p/b:.2f}x | {target} |")
print(f"| physical limit: cp -r of the 5,000-file tree | start-work | {single['ppds']*1000:.0f} ms | cp -r {single['cp']*1000:.0f} ms | {single['ppds']/single['cp']:.2f}x of cp | report |")
PY
