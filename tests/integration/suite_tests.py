"""Integration tests of lock-order cycles across a test suite (issue 12):
`lockhound report` over the logs of many processes finds the cycles no
single process formed (analyzer/findings.c, fd_analyze_joined).  Each test
is a function ctx -> Outcome, listed in SUITE_TESTS; run_tests calls
register(itself) and merges them into its EXTRA_TESTS.
Python 3 standard library only.
"""

import glob
import json
import os

rt = None  # the run_tests module (its helpers), set by register()

# scenario program, its two test cases, whether together they form a cycle
SUITES = [
    ("suite_halves_cycle", ("lookup", "store"), True),
    ("suite_halves_clean", ("queue", "pool"), False),
]


def _run_case(ctx, prog, case, d):
    """one test case under the shim, as a suite runner would: its log in d"""
    env = rt.base_env()
    env["LD_PRELOAD"] = ctx.shim
    env["LOCKHOUND_OPTIONS"] = "log_dir=%s:quiet=1" % d
    return rt.run_cmd([prog, case], 60, d, env)


def _report(ctx, logs, d):
    out = os.path.join(d, "report.json")
    r = rt.run_cmd([ctx.lockhound, "report", "--format", "json", "--output", out]
                   + logs, 60, d, rt.base_env())
    doc, err = rt._load_json(out)
    return r, doc, err


def suite_log_dir_cycle(ctx):
    """Two test cases run as separate processes with log_dir=DIR, each clean
    alone: `lockhound report DIR/*.log` finds the cycle their logs give
    together (one finding, spanning both processes, naming their pids and
    exe); the clean twin's cases (other heap-lock classes) give nothing."""
    name = "suite_log_dir_cycle"
    why = []
    stderr = ""
    for prog_name, cases, cycle in SUITES:
        prog = os.path.join(ctx.progdir, prog_name)
        if not os.access(prog, os.X_OK):
            return rt.Outcome(name, "fail", "%s not built" % prog)
        d = ctx.tmpdir(name)
        try:
            logdir = os.path.join(d, "logs")
            os.mkdir(logdir)
            per_case = {}
            for case in cases:
                before = set(glob.glob(os.path.join(logdir, "*.log")))
                r = _run_case(ctx, prog, case, logdir)
                stderr += r.stderr
                if r.timed_out or r.rc != 0:
                    why.append("%s %s: %s" % (prog_name, case, "timed out" if r.timed_out
                                              else rt.describe_rc(r.rc)))
                per_case[case] = sorted(set(glob.glob(os.path.join(logdir, "*.log"))) - before)
                if len(per_case[case]) != 1:
                    why.append("%s %s: %d logs, expected 1" % (prog_name, case,
                                                              len(per_case[case])))
            if why:
                continue
            pids = set()
            # each case alone: no finding
            for case in cases:
                r, doc, err = _report(ctx, per_case[case], d)
                if doc is None:
                    why.append("%s %s alone: no JSON report: %s" % (prog_name, case, err))
                    continue
                if r.rc != 0 or doc["summary"]["findings"] != 0:
                    why.append("%s %s alone: exit %s, %d findings (expected a clean log)"
                               % (prog_name, case, r.rc, doc["summary"]["findings"]))
                pids.update(lo.get("pid") for lo in doc.get("logs", []))
            # together
            logs = sorted(per_case[cases[0]] + per_case[cases[1]])
            r, doc, err = _report(ctx, logs, d)
            if doc is None:
                why.append("%s together: no JSON report: %s" % (prog_name, err))
                continue
            fs = doc.get("findings", [])
            if not cycle:
                if r.rc != 0 or fs:
                    why.append("%s together: exit %s, %d findings (expected none: other "
                               "lock classes)" % (prog_name, r.rc, len(fs)))
                continue
            if r.rc != 66 or len(fs) != 1:
                why.append("%s together: exit %s, %d findings (expected 66 and one cycle)"
                           % (prog_name, r.rc, len(fs)))
                continue
            f = fs[0]
            procs = f.get("processes") or []
            if f.get("kind") != "lock-order-cycle" or f.get("spans_processes") != 2:
                why.append("%s together: %s, spans_processes %s"
                           % (prog_name, f.get("kind"), json.dumps(f.get("spans_processes"))))
            if {p.get("pid") for p in procs} != pids:
                why.append("%s together: processes %s, the logs' pids %s"
                           % (prog_name, procs, sorted(pids)))
            if not all(isinstance(p.get("exe"), str) and p["exe"].endswith(prog_name)
                       for p in procs):
                why.append("%s together: processes do not name the exe: %s" % (prog_name, procs))
            if {e.get("pid") for e in f.get("edges", [])} != pids:
                why.append("%s together: edges' pids %s" % (
                    prog_name, [e.get("pid") for e in f.get("edges", [])]))
            # the text report says it spans processes and names them
            t = rt.run_cmd([ctx.lockhound, "report"] + logs, 60, d, rt.base_env())
            if "across processes" not in t.stdout or not all(
                    ("Process %d (" % p) in t.stdout for p in pids):
                why.append("%s together: the text report does not say the cycle is across "
                           "processes %s" % (prog_name, sorted(pids)))
        finally:
            ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why), stderr)


def run_lists_processes(ctx):
    """`lockhound run` of a driver that starts its test cases as processes
    of their own (posix_spawn: fork and exec) analyzes every process (the
    exec'd cases' logs too) and says which."""
    name = "run_lists_processes"
    prog = os.path.join(ctx.progdir, "suite_halves_cycle")
    if not os.access(prog, os.X_OK):
        return rt.Outcome(name, "fail", "%s not built" % prog)
    d = ctx.tmpdir(name)
    try:
        out = os.path.join(d, "report.json")
        r = rt.run_cmd([ctx.lockhound, "run", "--json", out, "--", prog], 60, d,
                       rt.base_env())
        why = []
        doc, err = rt._load_json(out)
        if r.timed_out or r.rc != 66:
            why.append("run: %s (expected 66)" % ("timed out" if r.timed_out
                                                  else rt.describe_rc(r.rc)))
        if doc is None:
            why.append("no JSON report: %s" % err)
        else:
            cmdlines = [lo.get("cmdline") or "" for lo in doc.get("logs", [])]
            for case in ("lookup", "store"):
                if not any(c.split()[1:] == [case] for c in cmdlines):
                    why.append("no log of the exec'd case %r (command lines: %s)"
                               % (case, cmdlines))
        line = [l for l in r.stderr.splitlines() if l.startswith("lockhound: processes analyzed:")]
        if len(line) != 1 or (doc and not all(
                ("pid %d (" % lo.get("pid")) in line[0] for lo in doc.get("logs", []))):
            why.append("the report does not list the processes analyzed: %r" % line)
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why), r.stderr)
    finally:
        ctx.done(d)


SUITE_TESTS = {
    "suite_log_dir_cycle": suite_log_dir_cycle,
    "run_lists_processes": run_lists_processes,
}


def register(run_tests_module):
    global rt
    rt = run_tests_module
    return SUITE_TESTS
