#!/usr/bin/env bash
# Baseline for `ppds merged`: worktrunk's cheap-first ladder done with git plumbing, JOBS
# branches at a time (xargs -P; default 2, the machine's cores). Prints "branch<TAB>check" lines.
# Usage: ladder-baseline.sh REPO BASE [JOBS [BRANCH...]]   (default: every local branch but BASE)
set -euo pipefail

# One branch: ladder-baseline.sh --one REPO BASE BASE_TIP BASE_TREE BRANCH
if [ "${1:-}" = "--one" ]; then
  cd "$2"
  base=$3 base_tip=$4 base_tree=$5 branch=$6
  tip=$(git rev-parse "refs/heads/$branch")
  if [ "$tip" = "$base_tip" ]; then printf '%s\tsame-commit\n' "$branch"; exit 0; fi
  if git merge-base --is-ancestor "$tip" "$base_tip"; then printf '%s\tancestor\n' "$branch"; exit 0; fi
  mb=$(git merge-base "$tip" "$base_tip")
  tree=$(git rev-parse "$tip^{tree}")
  if [ "$tree" = "$(git rev-parse "$mb^{tree}")" ]; then printf '%s\tno-changes\n' "$branch"; exit 0; fi
  if [ "$tree" = "$base_tree" ]; then printf '%s\ttree-equal\n' "$branch"; exit 0; fi
  if merged=$(git merge-tree --write-tree "$base_tip" "$tip" 2>/dev/null) && [ "${merged%%$'\n'*}" = "$base_tree" ]; then
    printf '%s\tmerge-adds-nothing\n' "$branch"; exit 0
  fi
  own=$(git diff-tree -p "$mb" "$tip" | git patch-id --stable | cut -d' ' -f1)
  if [ -n "$own" ] && git log -p --no-merges -n 500 "$base_tip" --not "$mb" | git patch-id --stable | cut -d' ' -f1 | grep -qxF "$own"; then
    printf '%s\tpatch-id\n' "$branch"; exit 0
  fi
  printf '%s\tnot merged\n' "$branch"
  exit 0
fi

repo=$1 base=$2 jobs=${3:-2}
shift $(( $# < 3 ? $# : 3 ))
base_tip=$(git -C "$repo" rev-parse "$base^{commit}")
base_tree=$(git -C "$repo" rev-parse "$base^{tree}")
{
  if [ $# -gt 0 ]; then
    printf '%s\n' "$@"
  else
    git -C "$repo" for-each-ref --format='%(refname:short)' refs/heads/ | { grep -vxF -- "$base" || true; }
  fi
} | xargs -r -d '\n' -n 1 -P "$jobs" bash "$0" --one "$repo" "$base" "$base_tip" "$base_tree"
