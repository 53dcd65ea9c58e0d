#!/usr/bin/env bash
# Makes a repository of FILES files of about 1 KB in 50 folders, with one commit on main.
# Usage: make-fixture.sh DIR [FILES]
set -euo pipefail
dir=$1
files=${2:-5000}
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
git init -q -b main
python3 - "$files" <<'PY'
import os, sys, random
random.seed(42)
n = int(sys.argv[1])
words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau".split()
for i in range(n):
    folder = f"pkg{i % 50:02d}"
    os.makedirs(folder, exist_ok=True)
    lines = []
    size = 0
    while size < 1000:
        line = " ".join(random.choice(words) for _ in range(8)) + f" {i}\n"
        lines.append(line)
        size += len(line)
    with open(f"{folder}/file{i:05d}.txt", "w") as f:
        f.write("".join(lines))
PY
git add -A
git -c user.name=bench -c user.email=bench@ppds.invalid commit -q -m "fixture: $files files"
