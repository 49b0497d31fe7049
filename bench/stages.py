#!/usr/bin/env python3
"""stages.py - the stage table of one benchmark session (bench/run.sh).

    python3 bench/stages.py STAGES.tsv OUT.md

bench/run.sh appends one line per stage it runs or skips to STAGES.tsv
(BENCH_STAGES), and bench/bench.py one per section it runs:

    NAME <TAB> START <TAB> END <TAB> LOAD0 <TAB> LOAD1 <TAB> STATUS

START and END are Unix times (s), LOAD0 and LOAD1 the three load averages
at the start and end, STATUS an exit status, "ok" or "skipped (WHY)".  A
name with a colon ("bench.py: main tables") is a part of the stage before
it.  This script turns the file into the block between STAGE_BEGIN and
STAGE_END of OUT (replacing the previous one, or appended), with the
BENCH_* settings of the session, so that RESULTS.md says what ran when,
how long each part took and how loaded the machine was; a stage that
failed or was skipped says so.  Python 3 standard library only.
"""

import datetime
import os
import sys

STAGE_BEGIN = "<!-- run stages: begin -->"
STAGE_END = "<!-- run stages: end -->"


def read_stages(path):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 6:
                continue
            name, t0, t1, l0, l1, status = parts
            try:
                rows.append((name, float(t0), float(t1), l0, l1, status))
            except ValueError:
                continue
    return rows


def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc)


def took(s):
    s = int(round(s))
    return "%d s" % s if s < 120 else "%d min %02d s" % (s // 60, s % 60)


def status_text(status):
    if status in ("0", "ok"):
        return "ok"
    if status.startswith("skipped"):
        return status
    return "**failed (exit %s)**" % status


def block(rows, env):
    """the markdown block (without its markers) for rows"""
    top = [r for r in rows if ":" not in r[0]]
    ran = [r for r in top if not r[5].startswith("skipped")]
    lines = ["## This run: stages", ""]
    if not ran:
        return lines + ["No stage ran.", ""]
    t0 = min(r[1] for r in ran)
    t1 = max(r[2] for r in ran)
    settings = ", ".join("%s=%s" % (k, env[k]) for k in sorted(env)
                         if k.startswith("BENCH_") and k != "BENCH_STAGES") or "none (defaults)"
    lines += ["`bash bench/run.sh` (make bench / make bench-all) from %s to %s UTC: "
              "**%s** on %d cores, load average %s at the start and %s at the end. "
              "Settings: %s. Each block below says when it was measured; a block whose "
              "stage did not run in this session keeps its own older date."
              % (utc(t0).strftime("%Y-%m-%d %H:%M"), utc(t1).strftime("%H:%M"), took(t1 - t0),
                 os.cpu_count() or 0, ran[0][3], ran[-1][4], settings), "",
              "| stage | started (UTC) | took | load average at start | at end | status |",
              "|---|---|---:|---|---|---|"]
    # a part is written before the stage that contains it ends: it belongs
    # to the next stage in the file (times are whole seconds: a part and
    # the next stage may start in the same one)
    ordered, pending = [], []
    for r in rows:
        if ":" in r[0]:
            pending.append(r)
        else:
            ordered += [r] + pending
            pending = []
    ordered += pending
    for name, a, z, l0, l1, status in ordered:
        if status.startswith("skipped"):
            lines.append("| %s | - | - | - | - | %s |" % (name, status))
            continue
        label = ("&nbsp;&nbsp;" + name) if ":" in name else name
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            label, utc(a).strftime("%H:%M:%S"), took(z - a), l0, l1, status_text(status)))
    return lines + [""]


def put_block(path, lines):
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = ""
    body = STAGE_BEGIN + "\n" + "\n".join(lines).rstrip() + "\n" + STAGE_END
    if STAGE_BEGIN in text and STAGE_END in text:
        a = text.index(STAGE_BEGIN)
        z = text.index(STAGE_END) + len(STAGE_END)
        text = text[:a] + body + text[z:]
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + body + "\n"
    with open(path, "w") as f:
        f.write(text)


def main(argv):
    if len(argv) != 3:
        print("usage: stages.py STAGES.tsv OUT.md", file=sys.stderr)
        return 2
    try:
        rows = read_stages(argv[1])
    except OSError as e:
        print("stages: %s: %s" % (argv[1], e.strerror), file=sys.stderr)
        return 1
    lines = block(rows, os.environ)
    print("\n".join(lines))
    put_block(argv[2], lines)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
