#!/usr/bin/env python3
"""analyzer_stress.py - the analyzer on generated dense lock graphs.

    python3 bench/analyzer_stress.py [--build build] [--runs 3]
                                     [--before OTHER-LOCKHOUND] [--before-timeout S]
                                     [--out bench/RESULTS.md]

The stress cases of the bounded lock-order analysis (analyzer/findings.c,
docs/DESIGN.md section 8), written by bench/genlog.c:

  rotated N: N locks, each round taking all of them in a rotated order while
             holding every one taken before (N rounds; 16 for N = 200, whose
             N rounds would make a 1.3 GB log);
  random N:  4 rounds, each a random order of all N locks, likewise.

Each round is its own thread, the rounds one after another; every edge has
one call site, so all cycles of one length fold into one finding.  For each
case: the log's size and edges, `lockhound report --format json` wall time
and peak RSS (median of --runs), the findings, the 2-lock finding's count
(its folded cycles), and whether a cap or the budget was reached.  With
--before, the same cases under another analyzer binary (e.g. one built
from an older commit), stopped after --before-timeout seconds.

Scaling (issue 11): `genlog OUT LOCKS EDGES` logs (a large acyclic graph
with 8 planted cycles the report must find) of 100k, 1M and 10M edges,
the same measures, bytes of peak RSS per edge, and the ratio of CPU time
and of peak RSS to the row before (10x the edges: near-linear is about
10x); then the 10M-edge log made cycle-rich (`genlog ... 8 16 10`: 1% of
the acyclic part's edges reversed, one huge component with more cycles
than any search can enumerate), which must finish within the analysis
budgets (FD_*), capped, saying so.  --no-scale leaves them out; --before
measures them too.

Replaces the block between its markers in --out (or appends it), keeping
the rest of the file.  `make bench-analyzer` runs it; bench/run.sh runs it
after bench.py.  Timing is informational: nothing fails on a number, but a
report that is not valid JSON or an analyzer that fails is an error.
Python 3 standard library only.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BEGIN = "<!-- analyzer-stress section: begin -->"
END = "<!-- analyzer-stress section: end -->"

SCALE = [(10000, 100000), (100000, 1000000), (1000000, 10000000)]
# the cycle-rich case: (locks, edges, reversed edges per 1000)
RICH = (1000000, 10000000, 10)

CASES = [
    ("rotated", 10, 10), ("rotated", 64, 64), ("rotated", 200, 16),
    ("random", 10, 4), ("random", 64, 4), ("random", 200, 4),
]


def genlog_bin(build):
    exe = os.path.join(build, "bench", "genlog")
    src = os.path.join(HERE, "genlog.c")
    if not os.access(exe, os.X_OK) or os.path.getmtime(exe) < os.path.getmtime(src):
        os.makedirs(os.path.dirname(exe), exist_ok=True)
        subprocess.run(["gcc", "-O2", "-g", "-Wall", "-Wextra", "-I", os.path.join(ROOT, "include"),
                        "-o", exe, src], check=True)
    return exe


def timed(cmd, timeout):
    """run cmd; (wall seconds, CPU seconds (user + system), peak RSS KiB,
    exit status or None if killed)"""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = t0 + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            p.kill()
            pid, status, ru = os.wait4(p.pid, 0)
            return time.monotonic() - t0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, None
        time.sleep(0.01)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.monotonic() - t0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, p.returncode


def summarize(doc):
    two = [f for f in doc["findings"] if f.get("kind") == "lock-order-cycle"
           and len(f.get("locks", [])) == 2]
    s = doc["summary"]
    return {
        "findings": s["findings"],
        "lengths": sorted(len(f.get("locks", [])) for f in doc["findings"]
                          if f.get("kind") == "lock-order-cycle"),
        "two": two[0].get("count") if two else 0,
        "capped": s.get("cycle_search_capped"),
        "budget": s.get("analysis_budget_hit"),
        "undecided": s.get("cycles_undecided"),
    }


def compact(s):
    """a summary for printing: cycle lengths as length x count"""
    c = dict(s)
    hist = {}
    for n in s["lengths"]:
        hist[n] = hist.get(n, 0) + 1
    c["lengths"] = " ".join("%dx%d" % (n, hist[n]) for n in sorted(hist))
    return c


def measure(lockhound, log, jpath, runs, timeout):
    """median wall s, median CPU s, median peak RSS KiB, summary; Nones if
    stopped at the timeout"""
    walls, cpus, rss = [], [], []
    rc = None
    for _ in range(runs):
        w, c, m, rc = timed([lockhound, "report", "--format", "json", "--output", jpath, log],
                            timeout)
        if rc is None:
            return None, c, None, None
        if rc not in (0, 66):
            raise SystemExit("analyzer_stress: %s failed on %s (exit %d)" % (lockhound, log, rc))
        walls.append(w)
        cpus.append(c)
        rss.append(m)
    with open(jpath) as f:
        doc = json.load(f)
    return statistics.median(walls), statistics.median(cpus), statistics.median(rss), summarize(doc)


def as_format_1(log):
    """--before: a generated log says format 1, which an older analyzer
    reads (genlog writes no record that format 2 added: the same bytes are
    a valid format-1 log; the current analyzer reads both)"""
    with open(log, "r+b") as f:
        f.seek(8)  # after the 8-byte magic: format_version
        f.write((1).to_bytes(4, "little"))


def fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--before", default="")
    ap.add_argument("--before-label", default="")
    ap.add_argument("--before-timeout", type=float, default=20.0)
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--no-scale", action="store_true")
    ap.add_argument("--before-scale-timeout", type=float, default=900.0)
    a = ap.parse_args()

    lockhound = os.path.join(a.build, "lockhound")
    genlog = genlog_bin(a.build)
    work = os.path.join(a.build, "bench", "stress")
    os.makedirs(work, exist_ok=True)
    rows = []
    load0 = os.getloadavg()
    for kind, n, rounds in CASES:
        log = os.path.join(work, "%s-%d.log" % (kind, n))
        g = subprocess.run([genlog, log, "--" + kind, str(n), str(rounds)],
                           capture_output=True, text=True)
        if g.returncode != 0:
            raise SystemExit("analyzer_stress: genlog failed: " + g.stderr.strip())
        edges = int(g.stdout.split(" edges")[0].rsplit(" ", 1)[1])
        size = os.path.getsize(log)
        if a.before:
            as_format_1(log)
        wall, cpu, rss, s = measure(lockhound, log, os.path.join(work, "report.json"), a.runs, 600)
        row = {"kind": kind, "n": n, "rounds": rounds, "edges": edges, "size": size,
               "wall": wall, "cpu": cpu, "rss": rss, "s": s}
        if a.before:
            bw, bcpu, brss, _ = measure(a.before, log, os.path.join(work, "before.json"), 1,
                                        a.before_timeout)
            row["before"], row["before_cpu"] = bw, bcpu
        print("%-7s N=%-3d rounds=%-3d %7d edges %9s: %.3f s (CPU %.3f s), %.1f MiB, %s%s" % (
            kind, n, rounds, edges, fmt_bytes(size), wall, cpu, rss / 1024.0, compact(s),
            "" if not a.before else ", before: %s" % (
                "> %.0f s (stopped, CPU %.1f s)" % (a.before_timeout, row["before_cpu"])
                if row["before"] is None else "%.3f s (CPU %.3f s)" % (row["before"],
                                                                         row["before_cpu"]))))
        rows.append(row)
        os.unlink(log)
    scale = []
    cases = [] if a.no_scale else [(l, e, 0) for l, e in SCALE] + [RICH]
    for locks, nedges, back in cases:
        log = os.path.join(work, "scale-%d.log" % nedges)
        g = subprocess.run([genlog, log, str(locks), str(nedges)] +
                           (["8", "16", str(back)] if back else []),
                           capture_output=True, text=True)
        if g.returncode != 0:
            raise SystemExit("analyzer_stress: genlog failed: " + g.stderr.strip())
        size = os.path.getsize(log)
        if a.before:
            as_format_1(log)
        wall, cpu, rss, s = measure(lockhound, log, os.path.join(work, "report.json"), a.runs, 900)
        row = {"locks": locks, "edges": nedges, "back": back, "size": size, "wall": wall,
               "cpu": cpu, "rss": rss, "s": s}
        if a.before:
            bw, bcpu, brss, _ = measure(a.before, log, os.path.join(work, "before.json"), 1,
                                        a.before_scale_timeout)
            row["before"], row["before_cpu"], row["before_rss"] = bw, bcpu, brss
        print("scale %7d locks %8d edges%s %9s: %.3f s (CPU %.3f s), %.1f MiB, %.0f bytes/edge, "
              "%s%s" % (
            locks, nedges, " (cycle-rich)" if back else "", fmt_bytes(size), wall, cpu,
            rss / 1024.0, rss * 1024.0 / nedges, compact(s),
            "" if not a.before or row["before"] is None else
            ", before: %.3f s (CPU %.3f s), %.1f MiB" % (row["before"], row["before_cpu"],
                                                         row["before_rss"] / 1024.0)))
        scale.append(row)
        os.unlink(log)
    load1 = os.getloadavg()

    L = [BEGIN, "## Analyzer: dense lock graphs (bounded analysis)", ""]
    L.append("Generated by `make bench-analyzer` (bench/analyzer_stress.py, logs from "
             "`bench/genlog.c --rotated/--random`) on %s, %d cores, load average %.1f at the "
             "start and %.1f at the end." % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                                             os.cpu_count() or 0, load0[0], load1[0]))
    L.append("`lockhound report --format json` on one log, median of %d runs; wall time and "
             "peak RSS of the analyzer process. *rotated N*: each round takes all N locks in a "
             "rotated order while holding the earlier ones; *random N*: each round a random "
             "order. Every round is a thread, the rounds one after another, one call site for "
             "all edges, so each cycle length is one finding; *2-lock cycles* is that "
             "finding's count. The enumeration stops at 10,000 cycles on every case "
             "(*capped*), shortest first; *budget* says whether the analysis budget "
             "(FD_CHOICE_BUDGET) was reached." % a.runs)
    L.append("")
    hdr = "| case | rounds | edges | log | time (s) | CPU (s) | peak RSS (MiB) | " \
          "findings (cycle lengths) | 2-lock cycles | capped | budget |"
    sep = "|---|---:|---:|---:|---:|---:|---:|---|---:|---|---|"
    if a.before:
        hdr += " before: time (s) | before: CPU (s) |"
        sep += "---:|---:|"
    L += [hdr, sep]
    for r in rows:
        s = r["s"]
        line = "| %s %d | %d | %d | %s | %.3f | %.3f | %.1f | %d (%s) | %d | %s | %s |" % (
            r["kind"], r["n"], r["rounds"], r["edges"], fmt_bytes(r["size"]), r["wall"],
            r["cpu"], r["rss"] / 1024.0, s["findings"], ", ".join(str(x) for x in s["lengths"]) or "-",
            s["two"], "yes" if s["capped"] else "no",
            "yes (%s undecided)" % s["undecided"] if s["budget"] else "no")
        if a.before:
            line += " %s | %.3f |" % ("> %.0f (stopped)" % a.before_timeout
                                      if r["before"] is None else "%.3f" % r["before"],
                                      r["before_cpu"])
        L.append(line)
    if a.before:
        L.append("")
        L.append("*before*: %s, one run, stopped after %.0f s of wall time." % (
            a.before_label or a.before, a.before_timeout))
    L.append("")
    L.append("The machine is shared (2 cores, several builds at once): wall time is "
             "inflated by the load, CPU time (user + system of the analyzer) is the measure.")
    plain = [r for r in scale if not r["back"]]
    rich = [r for r in scale if r["back"]]
    if plain:
        L.append("")
        L.append("### Scaling: large generated logs")
        L.append("")
        L.append("`bench/genlog.c OUT LOCKS EDGES`: an acyclic graph (one edge in ten with a gate) "
                 "plus 8 planted cycles, which the report must find (*cycle findings*). Same "
                 "measures; *bytes/edge* is peak RSS over edges; *x CPU* and *x RSS* are the "
                 "ratios to the row before (10x the edges: near-linear is about 10x).")
        L.append("")
        hdr = "| locks | edges | log | time (s) | CPU (s) | peak RSS (MiB) | bytes/edge | " \
              "cycle findings | x CPU | x RSS |"
        sep = "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        if a.before:
            hdr += " before: time (s) | before: CPU (s) | before: peak RSS (MiB) |"
            sep += "---:|---:|---:|"
        L += [hdr, sep]
        prev = None
        for r in plain:
            line = "| %d | %d | %s | %.3f | %.3f | %.1f | %.0f | %d | %s | %s |" % (
                r["locks"], r["edges"], fmt_bytes(r["size"]), r["wall"], r["cpu"],
                r["rss"] / 1024.0, r["rss"] * 1024.0 / r["edges"], r["s"]["findings"],
                "%.1fx" % (r["cpu"] / prev["cpu"]) if prev and prev["cpu"] > 0 else "-",
                "%.1fx" % (r["rss"] / prev["rss"]) if prev else "-")
            if a.before:
                line += " %.3f | %.3f | %.1f |" % (r["before"], r["before_cpu"],
                                                   r["before_rss"] / 1024.0) \
                    if r.get("before") is not None else \
                    " > %.0f (stopped) | > %.1f | - |" % (a.before_scale_timeout,
                                                         r["before_cpu"])
            L.append(line)
            prev = r
        for r in rich:
            s = r["s"]
            L.append("")
            L.append("Cycle-rich: the %d-edge log with %d edges in 1000 of the acyclic part "
                     "reversed (`genlog OUT %d %d 8 16 %d`: back edges close cycles all over "
                     "the graph): %.3f s wall, %.3f s CPU, %.1f MiB peak RSS (%.0f bytes/edge); "
                     "%d findings, search capped: %s, analysis budget reached: %s%s. The "
                     "enumeration stops at its caps (FD_MAX_CYCLES, FD_MAX_SEARCH_STEPS), "
                     "and the report says it may be incomplete." % (
                         r["edges"], r["back"], r["locks"], r["edges"], r["back"], r["wall"],
                         r["cpu"], r["rss"] / 1024.0, r["rss"] * 1024.0 / r["edges"],
                         s["findings"], "yes" if s["capped"] else "no",
                         "yes" if s["budget"] else "no",
                         " (%s cycles undecided)" % s["undecided"] if s["budget"] else ""))
    L.append(END)
    block = "\n".join(L)

    try:
        with open(a.out) as f:
            text = f.read()
    except OSError:
        text = ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    with open(a.out, "w") as f:
        f.write(text)
    print("wrote %s" % os.path.relpath(a.out, ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
