#!/usr/bin/env bash
# Baseline for `ppds status --json`: what a script would do. Usage: status-baseline.sh REPO SESSIONS_DIR
set -euo pipefail
cd "$1"
git worktree list --porcelain > /dev/null
for file in "$2"/work-*.json; do
  cat "$file" > /dev/null
  branch=$(sed -n 's/.*"branch": "\([^"]*\)".*/\1/p' "$file")
  git rev-list --left-right --count "main...$branch" > /dev/null
done
