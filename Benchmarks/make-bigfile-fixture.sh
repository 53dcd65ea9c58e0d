#!/usr/bin/env bash
# A repository with one commit on main: a README and one MB-megabyte file of random bytes
# (data/blob.bin; incompressible, like media or model files).
# Usage: make-bigfile-fixture.sh DIR [MB]
set -euo pipefail
dir=$1
megabytes=${2:-200}
rm -rf "$dir"
mkdir -p "$dir/data"
cd "$dir"
git init -q -b main
echo "A repository with one big file." > README.md
python3 - "$megabytes" data/blob.bin <<'PY'
import random, sys
random.seed(200)
with open(sys.argv[2], "wb") as f:
    for _ in range(int(sys.argv[1])):
        f.write(random.randbytes(1 << 20))
PY
git add -A
git commit -q -m "fixture: one ${megabytes} MB file"
