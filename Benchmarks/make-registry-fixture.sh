#!/usr/bin/env bash
# Usage: make-registry-fixture.sh PPDS DIR SESSIONS MACHINES
# A bare remote (DIR/remote.git) holding SESSIONS sessions of MACHINES machines, as `ppds sync`
# wrote them, and two of those machines set up to measure: DIR/m0 and DIR/m1 (clones, homes
# DIR/h0 and DIR/h1), each with its own sessions and mirrors of every other machine's.
# Each machine's sessions are written as files and synced once to a bare remote of its own; the
# registry refs are then gathered into remote.git with the git CLI (so making the fixture does
# not cost MACHINES² mirror copies). DIR/g0 is a plain clone for the git CLI baseline.
set -euo pipefail
ppds=$1 dir=$2 total=$3 machines=$4
per=$((total / machines))
rm -rf "$dir"; mkdir -p "$dir"
git init -q -b main "$dir/seed"
echo seed > "$dir/seed/README"
git -C "$dir/seed" add -A
git -C "$dir/seed" -c user.name=b -c user.email=b@x commit -qm seed
git clone -q --bare "$dir/seed" "$dir/remote.git"
for ((k = 0; k < machines; k++)); do
  git clone -q --bare "$dir/seed" "$dir/r$k.git"
  git clone -q "file://$dir/r$k.git" "$dir/m$k" 2>/dev/null
  mkdir -p "$dir/h$k/sessions"
  python3 - "$dir" "$k" "$per" <<'PY'
import json, sys
folder, k, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
repo = f"{folder}/m{k}"
for i in range(per):
    n = k * per + i + 1
    session = {"id": f"work-{n}", "status": "working", "issue": f"#{n}", "branch": f"feat/issue-{n}",
               "worktree": f"{repo}-issue-{n}", "started": "2026-01-01T00:00:00Z", "lastUpdate": "2026-01-01T00:00:00Z",
               "stuck": None, "title": f"Issue {n}", "repo": repo, "base": "main",
               "machine": {"id": f"bench-m{k}", "label": f"m{k}"}}
    with open(f"{folder}/h{k}/sessions/work-{n}.json", "w") as out:
        json.dump(session, out, indent=2)
        out.write("\n")
PY
  (cd "$dir/m$k" && PPDS_HOME="$dir/h$k" PPDS_MACHINE_ID="bench-m$k" PPDS_MACHINE_LABEL="m$k" "$ppds" sync >/dev/null)
  git -C "$dir/remote.git" fetch -q "$dir/r$k.git" 'refs/ppds/*:refs/ppds/*'
  if (( k > 1 )); then rm -rf "$dir/m$k" "$dir/h$k" "$dir/r$k.git"; fi
done
for k in 1 0; do
  git -C "$dir/m$k" remote set-url origin "file://$dir/remote.git"
  (cd "$dir/m$k" && PPDS_HOME="$dir/h$k" PPDS_MACHINE_ID="bench-m$k" PPDS_MACHINE_LABEL="m$k" "$ppds" sync >/dev/null)
  (cd "$dir/m$k" && PPDS_HOME="$dir/h$k" PPDS_MACHINE_ID="bench-m$k" PPDS_MACHINE_LABEL="m$k" "$ppds" sync >/dev/null)
done
rm -rf "$dir/r0.git" "$dir/r1.git"
git clone -q "file://$dir/remote.git" "$dir/g0" 2>/dev/null
git -C "$dir/g0" fetch -q origin '+refs/ppds/*:refs/ppds-remote/origin/*'
git -C "$dir/g0" fetch -q origin '+refs/ppds/*:refs/ppds/*'
git -C "$dir/g0" pack-refs --all
