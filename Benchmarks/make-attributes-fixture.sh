#!/usr/bin/env bash
# A packed repository of FILES files laid out like git/git (C sources, shell tests, Perl,
# Python, AsciiDoc, Windows batch files, images) with git/git's kinds of .gitattributes:
# `text=auto`, `eol=lf` and `eol=crlf` lines, whitespace and diff drivers, conflict-marker-size,
# linguist-* and `binary`, plus a nested t/.gitattributes. Checking it out converts the batch
# files to CRLF, so no byte-copy shortcut may apply. One commit on main.
# Usage: make-attributes-fixture.sh DIR [FILES]
set -euo pipefail
dir=$1
files=${2:-5000}
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
git init -q -b main
python3 - "$files" <<'PY'
import os, random, sys
random.seed(7)
n = int(sys.argv[1])
words = "object commit tree blob index refs pack delta merge rebase worktree status".split()
kinds = [  # (folder, extension, share, executable)
    ("builtin", ".c", 30, False), ("builtin", ".h", 8, False), ("t", ".sh", 20, True),
    ("perl", ".perl", 5, False), ("contrib", ".py", 5, False), ("Documentation", ".adoc", 17, False),
    ("compat/win32", ".bat", 5, False), ("vendor/lib", ".c", 4, False), ("generated", ".h", 3, False),
    ("images", ".png", 3, False),
]
weights = [k[2] for k in kinds]
for i in range(n):
    folder, ext, _, executable = random.choices(kinds, weights)[0]
    sub = f"{folder}/d{i % 20:02d}"
    os.makedirs(sub, exist_ok=True)
    name = f"{sub}/t{i:04d}-file{ext}" if ext == ".sh" else f"{sub}/file{i:05d}{ext}"
    if ext == ".png":
        data = random.randbytes(random.randint(500, 4000))
    else:
        lines = []
        size, target = 0, random.randint(300, 3000)
        while size < target:
            line = "\t" * random.randint(0, 2) + " ".join(random.choice(words) for _ in range(7)) + f" {i}\n"
            lines.append(line)
            size += len(line)
        data = "".join(lines).encode()
    with open(name, "wb") as f:
        f.write(data)
    if executable:
        os.chmod(name, 0o755)
PY
cat > .gitattributes <<'ATTR'
* text=auto
* whitespace=!indent,trail,space
*.[ch] whitespace=indent,trail,space diff=cpp
*.sh whitespace=indent,trail,space text eol=lf
*.perl text eol=lf diff=perl
*.pl text eol=lf diff=perl
*.py text eol=lf diff=python
*.bat text eol=crlf
*.png binary
/Documentation/**/*.adoc text eol=lf whitespace=trail,space,incomplete
/t/t????-*.sh conflict-marker-size=32
/vendor/** linguist-vendored
/generated/** linguist-generated=true
/Documentation/** linguist-documentation
*.adoc linguist-detectable
ATTR
cat > t/.gitattributes <<'ATTR'
t[0-9][0-9][0-9][0-9]/* -whitespace
/d00/** eol=lf
/d01/** -text
ATTR
git -c core.safecrlf=false add -A
git commit -q -m "fixture: $files files with git/git's kinds of .gitattributes"
# The working tree as git would check it out (CRLF batch files).
git rm -q -r --cached . && git -c core.safecrlf=false reset -q --hard
git repack -adq
git prune-packed
