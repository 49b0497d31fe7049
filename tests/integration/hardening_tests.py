"""Integration tests of issue 14's hardening: the analyzer and `lockhound
run` never hang, never lie, and are safe on any input.  Each test is a
function ctx -> Outcome, listed in HARDENING_TESTS; run_tests calls
register(itself) and merges them into its EXTRA_TESTS.
Python 3 standard library only.
"""

import os

rt = None  # the run_tests module (its helpers), set by register()


def report_fifo_log(ctx):
    """A FIFO given as a log (or planted in a shared --log-dir) is refused
    with a one-line error instead of waiting for a writer forever."""
    name = "report_fifo_log"
    d = ctx.tmpdir(name)
    try:
        fifo = os.path.join(d, "lockhound.fifo.log")
        os.mkfifo(fifo)
        r = rt.run_cmd([ctx.lockhound, "report", fifo], 20, d, rt.base_env())
        why = []
        if r.timed_out:
            why.append("report on a FIFO timed out")
        elif r.rc is None or r.rc <= 0 or r.rc >= 128:
            why.append("expected a nonzero exit below 128, got %s"
                       % rt.describe_rc(r.rc))
        if not r.timed_out and not rt._one_line_error(r.stderr):
            why.append("expected a one-line error, got %r" % r.stderr[:300])
        elif not r.timed_out and "regular file" not in r.stderr:
            why.append("the error does not say it is not a regular file")
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why),
                          r.stderr)
    finally:
        ctx.done(d)


def run_keeps_debuginfod_urls(ctx):
    """The analyzer keeps off the network, but the program's environment
    is the program's: DEBUGINFOD_URLS reaches the program under run."""
    name = "run_keeps_debuginfod_urls"
    d = ctx.tmpdir(name)
    try:
        out = os.path.join(d, "seen")
        env = rt.base_env()
        env["DEBUGINFOD_URLS"] = "http://debuginfod.invalid/ x"
        r = rt.run_cmd([ctx.lockhound, "run", "--", "/bin/sh", "-c",
                        'printf %s "$DEBUGINFOD_URLS" > "$0"', out],
                       60, d, env)
        why = []
        if r.timed_out or r.rc != 0:
            why.append("run: %s" % ("timed out" if r.timed_out
                                    else rt.describe_rc(r.rc)))
        try:
            with open(out) as f:
                seen = f.read()
        except OSError as e:
            seen = None
            why.append("the program wrote nothing: %s" % e)
        if seen is not None and seen != env["DEBUGINFOD_URLS"]:
            why.append("the program saw DEBUGINFOD_URLS=%r, expected %r"
                       % (seen, env["DEBUGINFOD_URLS"]))
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why),
                          r.stderr)
    finally:
        ctx.done(d)


HARDENING_TESTS = {
    "report_fifo_log": report_fifo_log,
    "run_keeps_debuginfod_urls": run_keeps_debuginfod_urls,
}


def register(run_tests_module):
    global rt
    rt = run_tests_module
    return HARDENING_TESTS
