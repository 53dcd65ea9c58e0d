#!/usr/bin/env bash
# COUNT finished sessions, all ready to prune: a FILES-file repository, `ppds start-work` of
# issues 1..COUNT from main, one commit in each worktree, every branch merged into main (odd
# issues squash-merged, even ones with a merge commit), and each session shipped (complete).
# Sessions go to $PPDS_HOME, which the caller sets. Writes DIR.sessions.tsv: issue, branch, worktree.
# Usage: make-prune-fixture.sh DIR PPDS_BINARY [COUNT [FILES]]
set -euo pipefail
dir=$1 ppds=$2 count=${3:-100} files=${4:-300}
: "${PPDS_HOME:?set PPDS_HOME}"
here=$(cd "$(dirname "$0")" && pwd)
bash "$here/make-fixture.sh" "$dir" "$files"
"$ppds" start-work --offline --no-hooks --jobs 2 --base main --json --repo "$dir" $(seq 1 "$count") > "$dir.start.json"
python3 - "$dir.start.json" > "$dir.sessions.tsv" <<'PY'
import json, sys
for result in json.load(open(sys.argv[1]))["results"]:
    if result["outcome"] != "started":
        sys.exit(f"start-work {result['issue']}: {result['outcome']} {result.get('reason')}")
    print(f"{result['issue'].lstrip('#')}\t{result['branch']}\t{result['worktree']}")
PY
while IFS=$'\t' read -r issue branch worktree; do
  printf 'work for issue %s\n' "$issue" > "$worktree/issue-$issue.txt"
  git -C "$worktree" add "issue-$issue.txt"
  git -C "$worktree" commit -q -m "issue $issue"
  if (( issue % 2 == 1 )); then
    git -C "$dir" merge -q --squash "$branch" > /dev/null 2>&1 || { echo "squash-merging $branch failed" >&2; exit 1; }
    git -C "$dir" commit -q -m "Squash $branch (#$issue)"
  else
    git -C "$dir" merge -q --no-ff -m "Merge $branch (#$issue)" "$branch"
  fi
  "$ppds" ship "$issue" --pr "https://example.invalid/pull/$issue" --repo "$dir" --force > /dev/null  # never pushed: ship past the guardrail
done < "$dir.sessions.tsv"
