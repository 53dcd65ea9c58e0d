#!/usr/bin/env python3
"""Renders a tmux pane (`tmux capture-pane -e -p`, SGR colours kept) as a PNG screenshot.

Usage: pane_to_png.py CAPTURE.txt OUT.png [COLUMNS ROWS]

The capture's text is escaped into HTML cell by cell (nothing in it is markup), the SGR
colour and weight codes become styles, and headless Chromium takes the picture. Only SGR
(`ESC [ … m`) is read; every other escape sequence is dropped.
"""
import html
import re
import subprocess
import sys
import tempfile
import os

PALETTE = ["#1e1e1e", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
           "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"]
FG, BG = "#d4d4d4", "#1e1e1e"


def xterm256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (level, level, level)


def apply_sgr(state, params):
    codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            state.clear()
        elif c == 1:
            state["bold"] = True
        elif c == 22:
            state.pop("bold", None)
        elif c == 7:
            state["reverse"] = True
        elif c == 27:
            state.pop("reverse", None)
        elif 30 <= c <= 37:
            state["fg"] = PALETTE[c - 30]
        elif 90 <= c <= 97:
            state["fg"] = PALETTE[c - 90 + 8]
        elif c == 39:
            state.pop("fg", None)
        elif 40 <= c <= 47:
            state["bg"] = PALETTE[c - 40]
        elif 100 <= c <= 107:
            state["bg"] = PALETTE[c - 100 + 8]
        elif c == 49:
            state.pop("bg", None)
        elif c in (38, 48) and i + 2 < len(codes) and codes[i + 1] == 5:
            state["fg" if c == 38 else "bg"] = xterm256(codes[i + 2])
            i += 2
        elif c in (38, 48) and i + 4 < len(codes) and codes[i + 1] == 2:
            state["fg" if c == 38 else "bg"] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
            i += 4
        i += 1


def render(text):
    state = {}
    out = []
    for line in text.split("\n"):
        parts = re.split(r"(\x1b\[[0-9;]*m|\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b.)", line)
        spans = []
        for part in parts:
            if not part:
                continue
            m = re.fullmatch(r"\x1b\[([0-9;]*)m", part)
            if m:
                apply_sgr(state, m.group(1))
                continue
            if part.startswith("\x1b"):
                continue
            fg, bg = state.get("fg", FG), state.get("bg", None)
            if state.get("reverse"):
                fg, bg = bg or BG, fg
            style = "color:%s;" % fg
            if bg:
                style += "background:%s;" % bg
            if state.get("bold"):
                style += "font-weight:bold;"
            clean = "".join(ch if ch >= " " else "\ufffd" for ch in part)
            spans.append('<span style="%s">%s</span>' % (style, html.escape(clean)))
        out.append("".join(spans))
    return "\n".join(out)


def main():
    capture, png = sys.argv[1], sys.argv[2]
    columns = int(sys.argv[3]) if len(sys.argv) > 3 else 80
    rows = int(sys.argv[4]) if len(sys.argv) > 4 else 24
    with open(capture, encoding="utf-8", errors="replace") as f:
        text = f.read().rstrip("\n")
    body = render(text)
    page = f"""<!doctype html><meta charset="utf-8"><style>
html,body{{margin:0;background:{BG};}}
pre{{margin:0;padding:12px;font:15px/1.25 'DejaVu Sans Mono',monospace;color:{FG};white-space:pre;}}
</style><pre>{body}</pre>"""
    width = int(columns * 9.1) + 24
    height = int(rows * 18.75) + 24
    with tempfile.TemporaryDirectory() as folder:
        page_file = os.path.join(folder, "pane.html")
        with open(page_file, "w", encoding="utf-8") as f:
            f.write(page)
        browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if subprocess.run(
            ["which", b], capture_output=True).returncode == 0), None)
        if browser is None:
            sys.exit("pane_to_png.py: no chromium on PATH (bash .ci/deps --browser installs it)")
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--user-data-dir={folder}/profile", f"--window-size={width},{height}",
                        f"--screenshot={os.path.abspath(png)}", "file://" + page_file],
                       check=True, capture_output=True, timeout=120)


if __name__ == "__main__":
    main()
