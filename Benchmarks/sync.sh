#!/usr/bin/env bash
# ppds sync at scale: 20 simulated machines on one file:// remote, 100, 1,000 and 5,000 sessions.
# Measured on machine m0 (its own sessions plus mirrors of everyone else's):
#   - a no-change sync;
#   - a sync after K sessions changed elsewhere (machine m1 edits K session files and syncs
#     first), K = 10 and 50;
#   - the baseline: `git fetch` of refs/ppds/* plus `git push` of refs/ppds/sessions/* with the
#     git CLI, in a plain clone, after the same change (so it fetches the same objects).
# Runs alternate ppds and the baseline (after one warm-up each); figures are the medians of
# BENCH_RUNS runs (default 9) with min–max. Writes a markdown table (BENCH_OUT, default
# .build/sync-benchmark.md) and plots milliseconds against total sessions to docs/sync-scaling.png
# (gnuplot, installed with apt when missing).
# Environment: PPDS_BIN (a prebuilt binary), BENCH_DIR (default /dev/shm), BENCH_RUNS,
#   BENCH_TOTALS (default "100 1000 5000").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${BENCH_RUNS:-9}
read -r -a totals <<< "${BENCH_TOTALS:-100 1000 5000}"
out_file=${BENCH_OUT:-$root/.build/sync-benchmark.md}
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
# shellcheck source=Benchmarks/lib.sh
source "$root/Benchmarks/lib.sh"
command -v gnuplot >/dev/null || apt_install gnuplot-nox
if [ -n "${PPDS_BIN:-}" ]; then ppds=$PPDS_BIN; else swift build -c release --product ppds >/dev/null; ppds="$root/.build/release/ppds"; fi
base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
work="$base/ppds-sync-bench-$$"
mkdir -p "$work"; trap 'rm -rf "$work"' EXIT

thousands() { printf '%d' "$1" | sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta'; }
ms_since() { echo $(( ($(now_us) - $1) / 1000 )); }
sync_m() { (cd "$dir/m$1" && PPDS_HOME="$dir/h$1" PPDS_MACHINE_ID="bench-m$1" PPDS_MACHINE_LABEL="m$1" "$ppds" sync >/dev/null); }
git_baseline() {
  git -C "$dir/g0" fetch -q origin '+refs/ppds/*:refs/ppds-remote/origin/*'
  git -C "$dir/g0" push -q origin 'refs/ppds/sessions/*:refs/ppds/sessions/*' 2>/dev/null || true
}
# change K: machine m1 edits K session files (its own, then its mirrors) and syncs them out.
round=0
change() {
  local k=$1; round=$((round + 1))
  (( k == 0 )) && return 0
  python3 - "$dir/h1" "$k" "$round" <<'PY'
import glob, json, sys
home, k, round_ = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = sorted(glob.glob(home + "/sessions/work-*.json")) + sorted(glob.glob(home + "/registry/*/sessions/work-*.json"))
for path in files[:k]:
    with open(path) as f: session = json.load(f)
    session["title"] = f"changed in round {round_}"
    with open(path + ".tmp", "w") as f: json.dump(session, f, indent=2); f.write("\n")
    import os; os.replace(path + ".tmp", path)
PY
  sync_m 1
}
# series NAME K: $runs alternating pairs (ppds on m0, the git baseline on g0), each after change K.
series() {
  local name=$1 k=$2 i t ppds_ms=() git_ms=()
  change "$k"; sync_m 0; change "$k"; git_baseline
  for ((i = 0; i < runs; i++)); do
    if (( i % 2 == 0 )); then
      change "$k"; t=$(now_us); sync_m 0; ppds_ms+=("$(ms_since "$t")")
      change "$k"; t=$(now_us); git_baseline; git_ms+=("$(ms_since "$t")")
    else
      change "$k"; t=$(now_us); git_baseline; git_ms+=("$(ms_since "$t")")
      change "$k"; t=$(now_us); sync_m 0; ppds_ms+=("$(ms_since "$t")")
    fi
  done
  printf '%s\n' "${ppds_ms[@]}" > "$work/$name.ppds"
  printf '%s\n' "${git_ms[@]}" > "$work/$name.git"
}
stats() { sort -n "$1" | awk '{a[NR]=$1} END {printf "%d %d %d", a[int((NR+1)/2)], a[1], a[NR]}'; }

: > "$work/plot.dat"
{
  echo "| sessions (20 machines) | changed elsewhere | ppds sync median [min–max] | git fetch + push median [min–max] | ratio | goal | met? |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
} > "$work/table.md"
for total in "${totals[@]}"; do
  dir="$work/fixture-$total"
  echo "== $total sessions: making the fixture"
  bash "$root/Benchmarks/make-registry-fixture.sh" "$ppds" "$dir" "$total" 20
  line="$total"
  for k in 0 10 50; do
    echo "   measuring: $k changed"
    series "s$total-k$k" "$k"
    read -r pm pmin pmax <<< "$(stats "$work/s$total-k$k.ppds")"
    read -r gm gmin gmax <<< "$(stats "$work/s$total-k$k.git")"
    goal="report"; met="—"
    if (( total == 1000 && k == 0 )); then goal="≤ 150 ms"; met=$( (( pm <= 150 )) && echo yes || echo no); fi
    if (( total == 1000 && k == 10 )); then
      nochange=$(stats "$work/s1000-k0.ppds" | cut -d' ' -f1)
      goal="≤ 2× no-change ($((2 * nochange)) ms)"; met=$( (( pm <= 2 * nochange )) && echo yes || echo no)
    fi
    ratio=$(awk -v a="$pm" -v b="$gm" 'BEGIN { printf "%.2f×", (b > 0 ? a / b : 0) }')
    echo "| $(thousands "$total") | $k | $pm ms [$pmin–$pmax] | $gm ms [$gmin–$gmax] | $ratio | $goal | $met |" >> "$work/table.md"
    line="$line $pm $gm"
  done
  echo "$line" >> "$work/plot.dat"
  rm -rf "$dir"
done
cp "$work/table.md" "$out_file"
cat "$out_file"
gnuplot <<EOF
set terminal pngcairo size 900,520 font "DejaVu Sans,11"
set output "$root/docs/sync-scaling.png"
set title "ppds sync on machine m0 of 20 (one file:// remote): time vs total sessions"
set xlabel "sessions in the registry"
set ylabel "milliseconds (median of $runs)"
set logscale x
set xrange [70:7000]
set xtics ("100" 100, "1,000" 1000, "5,000" 5000)
set key left top
set grid
plot "$work/plot.dat" using 1:2 with linespoints lw 2 title "ppds, nothing changed", \
     "" using 1:4 with linespoints lw 2 title "ppds, 10 changed elsewhere", \
     "" using 1:6 with linespoints lw 2 title "ppds, 50 changed elsewhere", \
     "" using 1:3 with linespoints dt 2 title "git fetch + push, nothing changed", \
     "" using 1:5 with linespoints dt 2 title "git fetch + push, 10 changed"
EOF
echo "plot: docs/sync-scaling.png"
