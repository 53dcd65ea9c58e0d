# shellcheck shell=bash disable=SC2154
# Shared by the benchmark scripts (sourced, not run). Needs: $root (the checkout), $work (an
# empty folder), $results (where rows and pair files go), $ppds (the binary), $pairs (how many).
# Nothing here builds a shell string: commands are bash functions and argument arrays.

export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@ppds.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@ppds.invalid

# Installs Debian packages that are missing (hyperfine, time, wrk, …).
apt_install() {
  local sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "$@" >/dev/null
}

now_us() { local t=$EPOCHREALTIME; echo "${t/[.,]/}"; }

# Run a measured command; under pairs' RSS mode through /usr/bin/time, which writes the
# peak resident set size (KB) of that process to $rss_file.
rss_mode=0
rss_file=""
measure() {
  if [ "$rss_mode" = 1 ]; then
    /usr/bin/time -f '%M' -o "$rss_file" "$@"
  else
    "$@"
  fi
}

# pairs NAME PREP_BASELINE RUN_BASELINE PREP_PPDS RUN_PPDS
# One unmeasured warm-up pair, then $pairs pairs; the baseline goes first in even pairs and
# ppds first in odd ones, so drift in the machine's load falls on both sides alike. Only the
# RUN functions are timed. Writes $results/NAME.pairs: "baseline_s ppds_s baseline_kb ppds_kb".
pairs() {
  local name=$1 prep_a=$2 run_a=$3 prep_b=$4 run_b=$5
  local out="$results/$name.pairs" i side t0 t1 ta tb ra rb
  : > "$out"
  for ((i = -1; i < pairs; i++)); do
    local order=(a b)
    (( i >= 0 && i % 2 == 1 )) && order=(b a)
    for side in "${order[@]}"; do
      rss_file="$work/rss-$side"; : > "$rss_file"
      if [ "$side" = a ]; then
        "$prep_a"; t0=$(now_us); "$run_a" >/dev/null; t1=$(now_us); ta=$((t1 - t0))
        ra=$(cat "$rss_file"); ra=${ra:-0}
      else
        "$prep_b"; t0=$(now_us); "$run_b" >/dev/null; t1=$(now_us); tb=$((t1 - t0))
        rb=$(cat "$rss_file"); rb=${rb:-0}
      fi
    done
    (( i >= 0 )) && printf '%s %s %s %s\n' "$(us_to_s "$ta")" "$(us_to_s "$tb")" "$ra" "$rb" >> "$out"
  done
  return 0
}
us_to_s() { printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); }

# row KIND WORK BASELINE NAME GOAL [NOTE]: one line of the table, computed from NAME.pairs.
#   ratio: ppds/baseline time per pair, met when the median ≤ GOAL (GOAL "-" reports only)
#   rss:   the same with peak memory
#   ms:    met when ppds's median ≤ GOAL milliseconds
# NOTE, when given, is "no: why" to force the met column (a correctness check failed).
row() {
  python3 "$root/Benchmarks/table.py" row "$@" >> "$results/rows.md"
}
# text_row WORK BASELINE PPDS BASELINE_VALUE RATIO GOAL MET: a row of given values.
text_row() {
  python3 "$root/Benchmarks/table.py" text "$@" >> "$results/rows.md"
}

# How busy the machine was during a part: the CPU time every process used over the part's
# wall time, minus what this script's own children used, in cores (of $(nproc)).
busy_begin() {
  read -r _ busy_u busy_n busy_s _ _ busy_q busy_sq _ < /proc/stat
  busy_start=$((busy_u + busy_n + busy_s + busy_q + busy_sq))
  busy_wall=$(now_us)
  times > "$work/times"; busy_own=$(own_cpu_ticks)
}
busy_end() {
  local part=$1 u n s q sq end own wall hz
  read -r _ u n s _ _ q sq _ < /proc/stat
  end=$((u + n + s + q + sq))
  times > "$work/times"; own=$(own_cpu_ticks)
  wall=$(( $(now_us) - busy_wall ))
  hz=$(getconf CLK_TCK)
  python3 - "$part" "$((end - busy_start))" "$((own - busy_own))" "$wall" "$hz" "$(nproc)" "$(cut -d' ' -f1 /proc/loadavg)" >> "$results/load.md" <<'PY'
import sys
part, total, own, wall_us, hz, cores, load = sys.argv[1:]
other = max(0, int(total) - int(own)) / int(hz) / (int(wall_us) / 1e6)
busy = "busy" if other >= 0.25 else "quiet"
print(f"- {part}: {int(wall_us)/1e6:.0f} s; other processes used {other:.2f} of {cores} cores on average "
      f"(load average {load} at the end): {busy}")
PY
}
# The children's user+system time from `times` (second line), in clock ticks.
own_cpu_ticks() {
  python3 - "$work/times" "$(getconf CLK_TCK)" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
total = 0.0
for m, s in re.findall(r"(\d+)m([\d.]+)s", lines[1]):
    total += int(m) * 60 + float(s)
print(int(total * int(sys.argv[2])))
PY
}

# Removes every linked worktree (folders under $work only) and every branch but KEEP.
reset_repo() {
  local repo=$1 keep=$2 path first=1
  while IFS= read -r path; do
    if [ $first = 1 ]; then first=0; continue; fi
    case $path in "$work"/*) rm -rf -- "$path" ;; esac
  done < <(git -C "$repo" worktree list --porcelain | sed -n 's/^worktree //p')
  git -C "$repo" worktree prune
  git -C "$repo" for-each-ref --format='%(refname:short)' refs/heads/ | { grep -vxF -- "$keep" || true; } \
    | xargs -r -d '\n' git -C "$repo" branch -q -D --
}

# The files of two worktrees are the same (bytes and executable bits), and the first one's
# `git status` is clean.
same_checkout() {
  local a=$1 b=$2
  diff -r -q --no-dereference --exclude=.git -- "$a" "$b" >/dev/null || return 1
  [ "$(cd "$a" && find . -path ./.git -prune -o -type f -perm -u+x -print | sort)" = \
    "$(cd "$b" && find . -path ./.git -prune -o -type f -perm -u+x -print | sort)" ] || return 1
  [ -z "$(git -C "$a" status --porcelain)" ]
}
