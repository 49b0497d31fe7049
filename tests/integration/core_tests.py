"""Integration tests of the limits of the shim's core (preload/edges.c,
preload/condtab.c) that a scenario's line 1 cannot express: the limit is
reached, the log carries the note, and the report says it may be
incomplete.  Each test is a function ctx -> Outcome, listed in CORE_TESTS;
run_tests calls register(itself) and merges them into its EXTRA_TESTS.
Python 3 standard library only.
"""

import os

rt = None  # the run_tests module (its helpers), set by register()

# scenario -> what its log's notes must mention
LIMITS = [
    ("limits_gates_kinds_clean", ["recorded as its gate set", "kinds of context"]),
    ("cond_table_full_clean", ["condition variables"]),
]


def core_limits_noted(ctx):
    """Gates beyond LH_MAX_GATES, contexts beyond LH_CTX_KINDS_PER_EDGE and
    the condition-variable table's probe limit each leave one note, and
    the report says the result may be incomplete."""
    name = "core_limits_noted"
    why = []
    stderr = ""
    for prog_name, needles in LIMITS:
        prog = os.path.join(ctx.progdir, prog_name)
        if not os.access(prog, os.X_OK):
            return rt.Outcome(name, "fail", "%s not built" % prog)
        d = ctx.tmpdir(name + "_" + prog_name)
        try:
            out = os.path.join(d, "report.json")
            r = rt.run_cmd([ctx.lockhound, "run", "--json", out, "--", prog],
                           60, d, rt.base_env())
            stderr += r.stderr
            if r.timed_out or r.rc != 0:
                why.append("%s: %s (expected exit 0)"
                           % (prog_name, "timed out" if r.timed_out
                              else rt.describe_rc(r.rc)))
                continue
            doc, err = rt._load_json(out)
            if doc is None:
                why.append("%s: no JSON report: %s" % (prog_name, err))
                continue
            notes = [n for lo in doc.get("logs", []) for n in lo.get("notes", [])]
            for needle in needles:
                hits = [n for n in notes if needle in n]
                if len(hits) != 1:
                    why.append("%s: %d notes mention %r, expected 1 (notes: %r)"
                               % (prog_name, len(hits), needle, notes))
            if not doc.get("summary", {}).get("may_be_incomplete"):
                why.append("%s: summary.may_be_incomplete is not true"
                           % prog_name)
            if "may be incomplete" not in r.stdout + r.stderr:
                why.append("%s: the text report does not say it may be "
                           "incomplete" % prog_name)
        finally:
            ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why), stderr)


CORE_TESTS = {
    "core_limits_noted": core_limits_noted,
}


def register(run_tests_module):
    global rt
    rt = run_tests_module
    return CORE_TESTS
