#!/usr/bin/env bash
# ppds serve under load: GET /api/v1/sessions on a repository with 200 sessions, wrk with 8
# connections for about 10 s, then the same with If-None-Match (the 304 path). Prints req/s
# and the 99th percentile latency of each run. Fixtures are generated here; nothing is committed.
# Usage: bash Benchmarks/serve.sh        (BENCH_DIR picks the folder; default /dev/shm;
#        BENCH_SECONDS the length of each run; PPDS_BIN a prebuilt binary to use instead)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
bash .ci/deps
if ! command -v wrk >/dev/null; then
  [ "$(id -u)" -eq 0 ] && sudo_cmd="" || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq wrk >/dev/null
fi
if [ -n "${PPDS_BIN:-}" ]; then
  ppds=$PPDS_BIN
else
  swift build -c release --product ppds >/dev/null
  ppds="$root/.build/release/ppds"
fi
seconds=${BENCH_SECONDS:-10}
base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work="$base/ppds-serve-bench-$$"
rm -rf "$work"; mkdir -p "$work"
server=""
cleanup() {
  if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@ppds.invalid GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@ppds.invalid
export PPDS_HOME="$work/home"

echo "== fixture: 200 sessions in $work"
bash Benchmarks/make-fixture.sh "$work/repo" 50
"$ppds" start-work --offline --no-hooks --jobs 2 --repo "$work/repo" $(seq -s ' ' 1 200) > /dev/null

echo "== ppds serve"
"$ppds" serve --port 0 --repo "$work/repo" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 300); do grep -q "listening on" "$work/serve.log" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$work/serve.log" | head -1)
[ -n "$url" ] || { cat "$work/serve.log"; echo "serve did not start" >&2; exit 1; }
endpoint="$url/api/v1/sessions"
# Every request needs the token serve wrote at its start.
auth="Authorization: Bearer $(cat "$PPDS_HOME/serve-token")"
sessions=$(curl -s -H "$auth" "$endpoint" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["sessions"]))')
[ "$sessions" = 200 ] || { echo "expected 200 sessions, the server shows $sessions" >&2; exit 1; }
etag=$(curl -s -o /dev/null -D - -H "$auth" "$endpoint" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')

# wrk's --latency prints "Requests/sec: N" and a distribution with a "99% N(us|ms|s)" line.
report() {
  python3 - "$1" "$2" <<'PY'
import re, sys
label, path = sys.argv[1], sys.argv[2]
text = open(path).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\b", text, re.M)
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
if not rps or not p99:
    sys.exit(f"could not read wrk's output:\n{text}")
scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
line = f"{label}: {float(rps.group(1)):.0f} req/s, p99 {float(p99.group(1)) * scale:.2f} ms"
if errors:
    line += f" ({errors.group(1)} error responses)"
print(line)
PY
}

echo "== wrk: 8 connections, ${seconds}s, GET $endpoint"
wrk -t 2 -c 8 -d "${seconds}s" --latency -H "$auth" "$endpoint" > "$work/full.txt"
if [ -n "$etag" ]; then
  wrk -t 2 -c 8 -d "${seconds}s" --latency -H "$auth" -H "If-None-Match: $etag" "$endpoint" > "$work/cached.txt"
fi
echo
report "GET /api/v1/sessions (200 sessions, full body)" "$work/full.txt"
if [ -n "$etag" ]; then
  report "GET /api/v1/sessions with If-None-Match (304)" "$work/cached.txt"
else
  echo "GET /api/v1/sessions with If-None-Match: skipped (the server sends no ETag)"
fi
