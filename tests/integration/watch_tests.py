"""Hazard tests of sampled race watching: programs that the kernel writes
into, that have their own SIGTRAP handler, and that fork and exec
(testprogs/watch_*_clean.c) must behave under the shim exactly as they do
natively: the same standard output and exit status.  Race watching is on
by default, so these runs have it on wherever a trap source works; the
trap sources themselves are tested with real traps in
tests/unit/test_watch.c.

Each test is a function ctx -> Outcome, listed in WATCH_TESTS; run_tests
calls register(itself) and merges them into its EXTRA_TESTS.  Python 3
standard library only.
"""

import os

rt = None  # the run_tests module (its helpers), set by register()

HAZARD_PROGS = ("watch_kernel_writes_clean", "watch_own_sigtrap_clean",
                "watch_fork_exec_clean")
# every allocation sampled onto guarded pages (up to the budget)
HEAP_ALL = "heap_guards=512:heap_dense=1000000000"


def _preloaded_env(ctx, logdir, options):
    env = rt.base_env()
    env["LD_PRELOAD"] = os.path.abspath(ctx.shim)
    env["LOCKHOUND_OPTIONS"] = "log_dir=" + logdir + (":" + options if options else "")
    return env


def _native_vs_preloaded(ctx, name, prog_name, options=""):
    prog = os.path.join(ctx.progdir, prog_name)
    if not os.access(prog, os.X_OK):
        return rt.Outcome(name, "fail", "%s not built" % prog)
    d = ctx.tmpdir(name)
    native = rt.run_cmd([prog], 60, d, rt.base_env())
    logdir = os.path.join(d, "logs")
    os.mkdir(logdir)
    pre = rt.run_cmd([prog], 60, d, _preloaded_env(ctx, logdir, options))
    why = []
    if native.timed_out or pre.timed_out:
        why.append("timed out (native %s, preloaded %s)" % (native.timed_out, pre.timed_out))
    if native.rc != pre.rc:
        why.append("exit status: native %s, preloaded %s"
                   % (rt.describe_rc(native.rc), rt.describe_rc(pre.rc)))
    if native.stdout != pre.stdout:
        why.append("output differs: native %r, preloaded %r"
                   % (native.stdout[-400:], pre.stdout[-400:]))
    if "lockhound: warning" in pre.stderr:
        why.append("the shim warned")
    if not rt._find_logs(logdir):
        why.append("no log written (the shim did not run)")
    if why:
        return rt.Outcome(name, "fail", "; ".join(why), pre.stderr)
    return rt.Outcome(name, "pass")


def _make(prog_name, options="", suffix=None):
    name = "hazard_" + prog_name + (suffix if suffix is not None
                                    else "_races0" if options else "")

    def test(ctx):
        return _native_vs_preloaded(ctx, name, prog_name, options)
    test.__name__ = name
    test.__doc__ = "%s gives its native output and status under the shim" % prog_name
    return name, test


def test_heap_guard_pages(ctx):
    """Under the shim, with every allocation sampled, small blocks start on
    pages of their own, a freed block's page is returned to the kernel
    (mincore: not resident) and its slot is given out again, zeroed
    (watch_heap_semantics_clean probe; natively every answer differs)."""
    name = "heap_guard_pages_returned_and_reused"
    prog = os.path.join(ctx.progdir, "watch_heap_semantics_clean")
    if not os.access(prog, os.X_OK):
        return rt.Outcome(name, "fail", "%s not built" % prog)
    d = ctx.tmpdir(name)
    logdir = os.path.join(d, "logs")
    os.mkdir(logdir)
    want = ["page-aligned small blocks: 100 of 100", "resident while in use: 1",
            "resident after free: 0", "same slot again: 1", "zero again: 1"]
    r = rt.run_cmd([prog, "probe"], 60, d, _preloaded_env(ctx, logdir, HEAP_ALL))
    got = r.stdout.strip().splitlines()
    if r.timed_out or r.rc != 0 or got != want:
        return rt.Outcome(name, "fail", "probe printed %r (status %s), wanted %r"
                          % (got, rt.describe_rc(r.rc), want), r.stderr)
    # a budget of two guarded blocks (stdout's buffer takes one): the 100
    # blocks in turn reuse the other's slot
    r = rt.run_cmd([prog, "probe"], 60, d,
                   _preloaded_env(ctx, logdir, "heap_guards=2:heap_dense=1000000000"))
    got = r.stdout.strip().splitlines()
    if r.timed_out or r.rc != 0 or got != want:
        return rt.Outcome(name, "fail", "heap_guards=2: probe printed %r, wanted %r"
                          % (got, want), r.stderr)
    # heap_guards=0: none at all
    r = rt.run_cmd([prog, "probe"], 60, d, _preloaded_env(ctx, logdir, "heap_guards=0"))
    if "page-aligned small blocks: 0 of 100" not in r.stdout:
        return rt.Outcome(name, "fail", "heap_guards=0 still gave guarded blocks: %r"
                          % r.stdout, r.stderr)
    return rt.Outcome(name, "pass")


WATCH_TESTS = dict(_make(p) for p in HAZARD_PROGS)
WATCH_TESTS.update(dict(_make(p, "races=0") for p in HAZARD_PROGS))
WATCH_TESTS.update(dict([_make("watch_heap_semantics_clean"),
                         _make("watch_heap_semantics_clean", HEAP_ALL, "_all_guarded")]))
WATCH_TESTS["heap_guard_pages_returned_and_reused"] = test_heap_guard_pages


def register(run_tests_module):
    global rt
    rt = run_tests_module
    return WATCH_TESTS
