#!/usr/bin/env python3
"""The module map of docs/DESIGN.md matches the source files.

    python3 tests/docs/check_module_map.py

Every .c and .h file under preload/, analyzer/, common/ and include/ must
have one row in the module map table (section "Module map" of
docs/DESIGN.md, rows of the form "| `path` | owns | calls |"), and every
row must name a file that exists.  Exit status 1, with the differences, if
not.
"""

import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIRS = ("preload", "analyzer", "common", "include")
# | `a.c`, `a.h` | owns | calls |
ROW_RE = re.compile(r"^\|\s*((?:`[^`]+`\s*,?\s*)+)\|(.*)\|(.*)\|\s*$")


def mapped_files(design):
    """path -> list of (owns, calls), one per row of the module map"""
    rows, in_map = {}, False
    for line in design.splitlines():
        if line.startswith("## "):
            in_map = "module map" in line.lower()
            continue
        m = ROW_RE.match(line) if in_map else None
        if m:
            for path in re.findall(r"`([^`]+)`", m.group(1)):
                rows.setdefault(path, []).append(
                    (m.group(2).strip(), m.group(3).strip()))
    return rows


def main():
    with open(os.path.join(ROOT, "docs", "DESIGN.md"), encoding="utf-8") as f:
        rows = mapped_files(f.read())
    files = set()
    for d in DIRS:
        for ext in ("c", "h"):
            for p in glob.glob(os.path.join(ROOT, d, "*." + ext)):
                files.add(os.path.relpath(p, ROOT))
    problems = []
    if not rows:
        problems.append("docs/DESIGN.md has no module map section (\"## ... Module map\")")
    for p in sorted(files - set(rows)):
        problems.append("%s: not in the module map" % p)
    for p in sorted(set(rows) - files):
        if not os.path.isfile(os.path.join(ROOT, p)):
            problems.append("%s: in the module map, but no such file" % p)
    for p, rs in sorted(rows.items()):
        if len(rs) > 1:
            problems.append("%s: %d rows" % (p, len(rs)))
        if any(not owns or not calls for owns, calls in rs):
            problems.append("%s: its row says nothing about what it owns or calls" % p)
    for p in problems:
        print("module map: " + p)
    if not problems:
        print("module map: %d files, all mapped" % len(files))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
