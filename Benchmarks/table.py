#!/usr/bin/env python3
"""Rows of the benchmark table, from the pair files that Benchmarks/lib.sh writes.

  table.py row KIND WORK BASELINE PAIRS_FILE GOAL [NOTE]   one computed row (see lib.sh's row)
  table.py text WORK BASELINE PPDS BASE RATIO GOAL MET      one row of given values
  table.py print ROWS_FILE [LOAD_FILE]                      the header, the rows, the notes

A pair file has one line per pair: baseline seconds, ppds seconds, baseline KB, ppds KB.
"""
import statistics
import sys

HEADER = ("| work | baseline | ppds median | baseline median | ratio median [min–max] | goal | met? |\n"
          "| --- | --- | --- | --- | --- | --- | --- |")


def cell(text):
    return text.replace("|", "\\|")


def ms(seconds):
    value = seconds * 1000
    if value < 100:
        return f"{value:.1f} ms"
    return f"{value:,.0f} ms"


def mb(kb):
    return f"{kb / 1024:,.0f} MB"


def ratio_cell(ratios):
    return f"{statistics.median(ratios):.2f}× [{min(ratios):.2f}–{max(ratios):.2f}]"


def computed(kind, work, baseline, path, goal, note=None):
    pairs = [tuple(map(float, line.split())) for line in open(path) if line.strip()]
    if not pairs:
        sys.exit(f"{path}: no pairs")
    n = len(pairs)
    if kind == "rss":
        base = [p[2] for p in pairs]
        mine = [p[3] for p in pairs]
        show = mb
    else:
        base = [p[0] for p in pairs]
        mine = [p[1] for p in pairs]
        show = ms
    if kind == "ms":
        median = statistics.median(mine) * 1000
        spread = f"{min(mine) * 1000:.1f}–{max(mine) * 1000:.1f} ms over {n} runs"
        met = "yes" if median <= float(goal) else "no"
        if note:
            met = note
        baseline_value = ms(statistics.median(base)) if baseline != "—" else "—"
        ratio = ratio_cell([m / b for m, b in zip(mine, base)]) if baseline != "—" else spread
        if baseline != "—":
            ratio += f"; ppds {spread}"
        return [work, baseline, show(statistics.median(mine)), baseline_value, ratio, f"≤ {goal} ms", met]
    ratios = [m / b for m, b in zip(mine, base) if b > 0]
    median = statistics.median(ratios)
    if goal == "-":
        goal_cell, met = "report", "—"
    else:
        goal_cell, met = f"≤ {goal}×", ("yes" if median <= float(goal) else "no")
    if note:
        met = note
    return [work, f"{baseline} ({n} pairs)", show(statistics.median(mine)), show(statistics.median(base)),
            ratio_cell(ratios), goal_cell, met]


def line(cells):
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def main(argv):
    if argv[0] == "row":
        print(line(computed(*argv[1:])))
    elif argv[0] == "text":
        print(line(argv[1:8]))
    elif argv[0] == "print":
        print(HEADER)
        print(open(argv[1]).read().rstrip("\n"))
        if len(argv) > 2:
            try:
                notes = open(argv[2]).read().rstrip("\n")
            except FileNotFoundError:
                notes = ""
            if notes:
                print()
                print("How busy the machine was during each part (other processes' CPU, averaged over the part):")
                print()
                print(notes)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
