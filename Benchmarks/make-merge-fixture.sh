#!/usr/bin/env bash
# A repository with 100 branches, 20 of each kind: merge commit, squash merge after main moved
# on, rebase merge (cherry-picks), squash merge that conflicts in a merge simulation, unmerged.
# Prints nothing; writes DIR/expected.tsv (branch, kinds the classification may answer).
set -euo pipefail
dir=$1
per=${2:-20}
rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
git init -q -b main
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@ppds.invalid GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@ppds.invalid
for i in $(seq 1 200); do printf 'file %d\nline 2\nline 3\nline 4\nline 5\n' "$i" > "f$i.txt"; done
git add -A; git commit -q -m base
: > expected.tsv
commit_file() { printf '%s\n' "$2" > "$1"; git add "$1"; git commit -q -m "$3"; }
for i in $(seq 1 "$per"); do
  # merge commit
  git checkout -q -b "merge-$i" main
  commit_file "m$i.txt" "merge $i" "merge-$i work"
  git checkout -q main; git merge -q --no-ff -m "Merge merge-$i" "merge-$i"
  echo -e "merge-$i\tancestor" >> expected.tsv
  # squash after main moved on
  git checkout -q -b "squash-$i" main
  commit_file "s$i.txt" "squash $i a" "squash-$i one"
  commit_file "s$i-b.txt" "squash $i b" "squash-$i two"
  git checkout -q main; git merge -q --squash "squash-$i" >/dev/null; git commit -q -m "Squash squash-$i"
  commit_file "after-s$i.txt" "moved on" "main moves on after squash-$i"
  echo -e "squash-$i\tmerge-adds-nothing tree-equal patch-id" >> expected.tsv
  # rebase merge
  git checkout -q -b "rebase-$i" main
  commit_file "r$i.txt" "rebase $i a" "rebase-$i one"
  commit_file "r$i-b.txt" "rebase $i b" "rebase-$i two"
  git checkout -q main; commit_file "before-r$i.txt" "main first" "main moves before rebase-$i"
  git cherry-pick "main..rebase-$i" >/dev/null
  echo -e "rebase-$i\tmerge-adds-nothing patch-id" >> expected.tsv
  # squash that conflicts in a merge simulation
  git checkout -q -b "conflict-$i" main
  sed -i 's/^line 3$/branch edit/' "f$i.txt"; git commit -q -am "conflict-$i edit"
  git checkout -q main; git merge -q --squash "conflict-$i" >/dev/null; git commit -q -m "Squash conflict-$i"
  sed -i 's/^branch edit$/main rewrote it/' "f$i.txt"; git commit -q -am "main edits f$i again"
  echo -e "conflict-$i\tpatch-id" >> expected.tsv
  # unmerged
  git checkout -q -b "open-$i" main
  commit_file "o$i.txt" "open $i" "open-$i work"
  git checkout -q main
  echo -e "open-$i\tnone" >> expected.tsv
done
