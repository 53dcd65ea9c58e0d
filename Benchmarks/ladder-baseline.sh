#!/usr/bin/env bash
# Baseline for `ppds merged`: worktrunk's cheap-first ladder done with git plumbing, one branch
# at a time. Usage: ladder-baseline.sh REPO BASE  (prints "branch<TAB>check" lines)
set -uo pipefail
cd "$1"
base=$2
base_tip=$(git rev-parse "$base")
base_tree=$(git rev-parse "$base^{tree}")
for branch in $(git for-each-ref --format='%(refname:short)' refs/heads/); do
  [ "$branch" = "$base" ] && continue
  tip=$(git rev-parse "$branch")
  if [ "$tip" = "$base_tip" ]; then echo -e "$branch\tsame-commit"; continue; fi
  if git merge-base --is-ancestor "$branch" "$base"; then echo -e "$branch\tancestor"; continue; fi
  mb=$(git merge-base "$branch" "$base")
  tree=$(git rev-parse "$branch^{tree}")
  if [ "$tree" = "$(git rev-parse "$mb^{tree}")" ]; then echo -e "$branch\tno-changes"; continue; fi
  if [ "$tree" = "$base_tree" ]; then echo -e "$branch\ttree-equal"; continue; fi
  if merged=$(git merge-tree --write-tree "$base" "$branch" 2>/dev/null) && [ "$(echo "$merged" | head -1)" = "$base_tree" ]; then
    echo -e "$branch\tmerge-adds-nothing"; continue
  fi
  own=$(git diff-tree -p "$mb" "$branch" | git patch-id --stable | cut -d' ' -f1)
  if [ -n "$own" ] && git log -p --no-merges -n 500 "$base" --not "$mb" | git patch-id --stable | cut -d' ' -f1 | grep -qx "$own"; then
    echo -e "$branch\tpatch-id"; continue
  fi
  echo -e "$branch\tnot merged"
done
