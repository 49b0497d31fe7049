"""Integration tests of the shim's robustness that a scenario's line 1
cannot express: the program runs under bare LD_PRELOAD with a changed
environment (resource limits, a second allocator, fork storms), and its
log is then analyzed with `lockhound report`.

Each test is a function ctx -> Outcome, listed in SHIM_TESTS; run_tests
calls register(itself) and merges them into its EXTRA_TESTS.  Python 3
standard library only.
"""

import os
import sys

rt = None  # the run_tests module (its helpers), set by register()


def _preload_env(ctx, logdir, options=""):
    env = rt.base_env()
    env["LD_PRELOAD"] = os.path.abspath(ctx.shim)
    opts = "log_dir=" + logdir
    if options:
        opts += ":" + options
    env["LOCKHOUND_OPTIONS"] = opts
    return env


def _report_json(ctx, d, logs):
    """`lockhound report --format json` of logs; (doc, rc, stderr)."""
    out = os.path.join(d, "report.json")
    r = rt.run_cmd([ctx.lockhound, "report", "--format", "json", "--output",
                    out] + logs, 60, d, rt.base_env())
    doc, err = rt._load_json(out)
    return doc, r, err


def _one_report(ctx, d, logdir, what, why):
    """The JSON report of the one log in logdir, or None with the reason
    appended to why."""
    logs = rt._find_logs(logdir)
    if len(logs) != 1:
        why.append("%s: expected 1 log, found %d" % (what, len(logs)))
        return None
    doc, rr, err = _report_json(ctx, d, logs)
    if doc is None:
        why.append("%s: no JSON report: %s" % (what, err))
    return doc


# sets RLIMIT_FSIZE, then execs argv[1] with the shim preloaded (python
# itself runs without it, so it writes no log) and SIGXFSZ at its default
# action, which kills (python ignores it, and exec would keep that)
_LIMIT_WRAPPER = ("import os, resource, signal, sys; "
                  "resource.setrlimit(resource.RLIMIT_FSIZE, (%d, %d)); "
                  "signal.signal(signal.SIGXFSZ, signal.SIG_DFL); "
                  "os.environ['LD_PRELOAD'] = os.environ.pop('LH_TEST_PRELOAD'); "
                  "os.execv(sys.argv[1], sys.argv[1:])")


def shim_file_size_limit(ctx):
    """Under `ulimit -f` the log stops short of the limit with a note; the
    program is not killed by SIGXFSZ and the log still ends properly."""
    name = "shim_file_size_limit"
    prog = os.path.join(ctx.progdir, "many_objects_inversion")
    if not os.access(prog, os.X_OK):
        return rt.Outcome(name, "fail", "%s not built" % prog)
    limit = 64 * 1024  # the program's log is about 150 KiB unlimited
    d = ctx.tmpdir(name)
    try:
        logdir = os.path.join(d, "logs")
        os.mkdir(logdir)
        # set the limit in the child only: the harness and the report
        # stay unlimited
        env = _preload_env(ctx, logdir, "quiet=1")
        env["LH_TEST_PRELOAD"] = env.pop("LD_PRELOAD")
        r = rt.run_cmd([sys.executable, "-c", _LIMIT_WRAPPER % (limit, limit),
                        prog], 60, d, env)
        why = []
        if r.timed_out:
            why.append("timed out")
        elif r.rc != 0:
            why.append("program under ulimit -f: %s (expected exit 0)"
                       % rt.describe_rc(r.rc))
        logs = rt._find_logs(logdir)
        if len(logs) != 1:
            why.append("expected 1 log, found %d" % len(logs))
            return rt.Outcome(name, "fail", "; ".join(why), r.stderr)
        size = os.path.getsize(logs[0])
        if size > limit:
            why.append("log is %d bytes, past the %d limit" % (size, limit))
        doc, rr, err = _report_json(ctx, d, logs)
        if doc is None:
            why.append("no JSON report (%s): %s" % (rt.describe_rc(rr.rc), err))
        else:
            lo = doc["logs"][0]
            notes = " ".join(lo.get("notes", []))
            if "file size limit" not in notes:
                why.append("no note about the file size limit (notes: %r)"
                           % lo.get("notes"))
            if "incomplete" not in notes:
                why.append("the note does not say the result may be "
                           "incomplete")
            if not lo.get("complete"):
                why.append("the cut log has no end record (complete=false)")
            if lo.get("errors"):
                why.append("report errors: %r" % lo["errors"])
            if not lo.get("lock_orders"):
                why.append("no lock orders recorded before the cut")
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why),
                          r.stderr + rr.stderr)
    finally:
        ctx.done(d)


TCMALLOC = "libtcmalloc.so.4"  # gperftools' full tcmalloc (libgoogle-perftools4)
TCMALLOC_DIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                 "/usr/lib64", "/usr/lib"]


def _tcmalloc():
    """the path of libtcmalloc, or None"""
    return next((os.path.join(d, TCMALLOC) for d in TCMALLOC_DIRS
                 if os.path.exists(os.path.join(d, TCMALLOC))), None)


def _no_tcmalloc(name):
    return rt.Outcome(name, "fail", "%s not installed (make deps installs "
                      "libgoogle-perftools4)" % TCMALLOC)


def shim_with_tcmalloc(ctx):
    """A program with gperftools' tcmalloc preloaded next to the shim (in
    both orders) starts, finishes, and its lock-order cycle is found.
    tcmalloc unwinds through libunwind while it initializes (libunwind then
    calls pthread_mutex_init holding its own lock) and starts the shim from
    inside its own initialization (pthread_once)."""
    name = "shim_with_tcmalloc"
    lib = _tcmalloc()
    if lib is None:
        return _no_tcmalloc(name)
    prog = os.path.join(ctx.progdir, "abba_two_threads")
    if not os.access(prog, os.X_OK):
        return rt.Outcome(name, "fail", "%s not built" % prog)
    why, errs = [], ""
    d = ctx.tmpdir(name)
    try:
        shim = os.path.abspath(ctx.shim)
        for order in ([shim, lib], [lib, shim]):
            label = "LD_PRELOAD=%s" % ":".join(os.path.basename(x) for x in order)
            logdir = os.path.join(d, "logs%d" % len(os.listdir(d)))
            os.mkdir(logdir)
            env = _preload_env(ctx, logdir, "quiet=1")
            env["LD_PRELOAD"] = ":".join(order)
            r = rt.run_cmd([prog], 30, d, env)
            errs += r.stderr
            if r.timed_out:
                why.append("%s: hung (killed after 30 s)" % label)
                continue
            if r.rc != 0:
                why.append("%s: %s" % (label, rt.describe_rc(r.rc)))
            doc = _one_report(ctx, d, logdir, label, why)
            if doc is None:
                continue
            cycles = [f for f in doc.get("findings", [])
                      if f.get("kind") == "lock-order-cycle"]
            if len(cycles) != 1:
                why.append("%s: expected 1 lock-order cycle, got %d"
                           % (label, len(cycles)))
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why), errs)
    finally:
        ctx.done(d)


JEMALLOC = "libjemalloc.so.2"  # libjemalloc2: not in make deps, optional

# a shell script whose output and exit status do not depend on the
# allocator: ls and sort call reallocarray, which tcmalloc and jemalloc lack
_SH_SCRIPT = ("ls -a \"$1\" | sort -r; x=$(ls \"$1\" | sort | head -n 2); "
              "echo \"x=$x\"; exit 3")


def _other_allocator(ctx, name, soname, required):
    """The program runs under the shim with another allocator preloaded, in
    both orders and with sampled heap blocks off and on (heap_guards): its
    output and exit status are the native ones, the lock orders it forms are
    in the log, and sampled heap blocks are on only when the whole malloc
    family is the shim's (the shim first), with a note otherwise.  Programs:
    dash and bash running ls | sort (reallocarray), a realloc-heavy threaded
    program (realloc_churn_clean), and abba_two_threads (its cycle found)."""
    lib = next((os.path.join(d, soname) for d in TCMALLOC_DIRS
                if os.path.exists(os.path.join(d, soname))), None)
    if lib is None:
        if required:
            return rt.Outcome(name, "fail", "%s not installed (make deps "
                              "installs libgoogle-perftools4)" % soname)
        return rt.Outcome(name, "skip", "%s not installed (apt-get install "
                          "libjemalloc2)" % soname)
    progs = {}
    for p in ("realloc_churn_clean", "abba_two_threads"):
        progs[p] = os.path.join(ctx.progdir, p)
        if not os.access(progs[p], os.X_OK):
            return rt.Outcome(name, "fail", "%s not built" % progs[p])
    shells = [s for s in ("/bin/dash", "/bin/bash") if os.access(s, os.X_OK)]
    why, errs = [], ""
    d = ctx.tmpdir(name)
    try:
        listed = os.path.join(d, "listed")
        os.mkdir(listed)
        for i in range(40):
            open(os.path.join(listed, "f%02d-%s" % (i, "x" * (i % 7))), "w").close()
        runs = [("realloc_churn_clean", [progs["realloc_churn_clean"]]),
                ("abba_two_threads", [progs["abba_two_threads"]])]
        runs += [(os.path.basename(s), [s, "-c", _SH_SCRIPT, "sh", listed])
                 for s in shells]
        native = {}
        for label, argv in runs:
            r = rt.run_cmd(argv, 60, d, rt.base_env())
            native[label] = (r.rc, r.stdout)
        shim = os.path.abspath(ctx.shim)
        n = 0
        for order in ([shim, lib], [lib, shim]):
            for guards in ("0", "64"):
                tag = "LD_PRELOAD=%s heap_guards=%s" % (
                    ":".join(os.path.basename(x) for x in order), guards)
                for label, argv in runs:
                    n += 1
                    logdir = os.path.join(d, "logs%d" % n)
                    os.mkdir(logdir)
                    env = _preload_env(ctx, logdir, "quiet=1:heap_guards=" + guards)
                    env["LD_PRELOAD"] = ":".join(order)
                    r = rt.run_cmd(argv, 60, d, env)
                    errs += r.stderr
                    what = "%s %s" % (tag, label)
                    if r.timed_out:
                        why.append("%s: hung (killed after 60 s)" % what)
                        continue
                    if (r.rc, r.stdout) != native[label]:
                        why.append("%s: %s, stdout %r; natively %s, %r" % (
                            what, rt.describe_rc(r.rc), r.stdout[-200:],
                            rt.describe_rc(native[label][0]),
                            native[label][1][-200:]))
                        continue
                    if label not in progs:
                        continue
                    doc = _one_report(ctx, d, logdir, what, why)
                    if doc is None:
                        continue
                    lo = doc["logs"][0]
                    if not lo.get("lock_orders"):
                        why.append("%s: no lock orders in the log" % what)
                    cycles = [f for f in doc.get("findings", [])
                              if f.get("kind") == "lock-order-cycle"]
                    want = 1 if label == "abba_two_threads" else 0
                    if len(cycles) != want:
                        why.append("%s: %d lock-order cycles, expected %d"
                                   % (what, len(cycles), want))
                    off = [t for t in lo.get("notes", [])
                           if "sampled heap blocks are off" in t]
                    if guards != "0" and order[0] == shim and off:
                        why.append("%s: sampled heap blocks off with the shim "
                                   "first: %r" % (what, off))
                    if guards != "0" and order[0] == lib and not off:
                        why.append("%s: no note that sampled heap blocks are "
                                   "off with %s first" % (what, soname))
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why), errs)
    finally:
        ctx.done(d)


def shim_other_allocators(ctx):
    return _other_allocator(ctx, "shim_other_allocators", TCMALLOC, True)


def shim_other_allocators_jemalloc(ctx):
    return _other_allocator(ctx, "shim_other_allocators_jemalloc", JEMALLOC, False)


# built without PIE: taking malloc's and free's addresses in code makes
# the executable's undefined symbols for them carry its PLT entries, which
# the global scope then answers for the names (as /usr/bin/python3 does);
# reallocarray, which tcmalloc lacks, is the shim's on the next realloc
NON_PIE_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
void *(*volatile call_malloc)(size_t);
void (*volatile call_free)(void *);
int main(void)
{
	unsigned long sum = 0;

	call_malloc = malloc;
	call_free = free;
	for (int i = 1; i <= 2000; i++) {
		char *p = call_malloc(i), *q = malloc(2 * i);
		memset(p, i & 0xff, i);
		q[0] = 1;
		p = reallocarray(p, i + 100, 1); /* tcmalloc has none: the shim's */
		sum += (unsigned char)p[i - 1] + q[0];
		call_free(p);
		free(q);
	}
	printf("%lu\n", sum);
	return 0;
}
"""


def shim_non_pie_takes_malloc_address(ctx):
    """A non-PIE program that takes malloc's and free's addresses runs
    under the shim as natively (alone, and with tcmalloc preloaded before
    or after it), and sampled heap blocks are on unless tcmalloc comes
    first: the global scope answers malloc with the executable's PLT entry,
    which is no allocator (taken for one, the shim's malloc called itself
    through it forever).  /usr/bin/python3, non-PIE on Debian, runs too."""
    name = "shim_non_pie_takes_malloc_address"
    d = ctx.tmpdir(name)
    try:
        src = os.path.join(d, "non_pie.c")
        prog = os.path.join(d, "non_pie")
        with open(src, "w") as f:
            f.write(NON_PIE_C)
        r = rt.run_cmd(["cc", "-O1", "-g", "-fno-pie", "-no-pie", "-o", prog, src],
                       120, d, rt.base_env())
        if r.rc != 0:
            return rt.Outcome(name, "skip", "cannot build a non-PIE program: " + r.stderr[-200:])
        shim = os.path.abspath(ctx.shim)
        lib = _tcmalloc()
        runs = [("non_pie", [prog])]
        if os.access("/usr/bin/python3", os.X_OK):
            runs.append(("python3", ["/usr/bin/python3", "-c",
                                     "print(sum(len(str(i) * i) for i in range(3000)))"]))
        orders = [[shim]] + ([[shim, lib], [lib, shim]] if lib else [])
        why, errs, n = [], "", 0
        for label, argv in runs:
            native = rt.run_cmd(argv, 60, d, rt.base_env())
            for order in orders:
                n += 1
                what = "LD_PRELOAD=%s %s" % (":".join(os.path.basename(x) for x in order), label)
                logdir = os.path.join(d, "logs%d" % n)
                os.mkdir(logdir)
                env = _preload_env(ctx, logdir, "quiet=1:heap_guards=64")
                env["LD_PRELOAD"] = ":".join(order)
                r = rt.run_cmd(argv, 30, d, env)
                errs += r.stderr
                if r.timed_out:
                    why.append("%s: hung (killed after 30 s)" % what)
                    continue
                if (r.rc, r.stdout) != (native.rc, native.stdout):
                    why.append("%s: %s, stdout %r; natively %s, %r" % (
                        what, rt.describe_rc(r.rc), r.stdout[-100:],
                        rt.describe_rc(native.rc), native.stdout[-100:]))
                    continue
                doc = _one_report(ctx, d, logdir, what, why)
                if doc is None:
                    continue
                off = [t for t in doc["logs"][0].get("notes", [])
                       if "sampled heap blocks are off" in t]
                if order[0] == shim and off:
                    why.append("%s: sampled heap blocks off with the shim first: %r"
                               % (what, off))
                if order[0] != shim and not off:
                    why.append("%s: no note that sampled heap blocks are off with "
                               "tcmalloc first" % what)
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why), errs)
    finally:
        ctx.done(d)


def shim_many_modules(ctx):
    """More loaded objects than the module map holds (MAX_MODS, 4096): the
    program runs on, and the log carries a note that the result may be
    incomplete."""
    name = "shim_many_modules"
    prog = os.path.join(ctx.progdir, "many_modules_clean")
    if not os.access(prog, os.X_OK):
        return rt.Outcome(name, "fail", "%s not built" % prog)
    d = ctx.tmpdir(name)
    try:
        logdir = os.path.join(d, "logs")
        os.mkdir(logdir)
        r = rt.run_cmd([prog, "4200"], 120, d, _preload_env(ctx, logdir, "quiet=1"))
        why = []
        if r.timed_out:
            why.append("timed out")
        elif r.rc != 0:
            why.append("program: %s" % rt.describe_rc(r.rc))
        logs = rt._find_logs(logdir)
        if len(logs) != 1:
            why.append("expected 1 log, found %d" % len(logs))
            return rt.Outcome(name, "fail", "; ".join(why), r.stderr)
        doc, rr, err = _report_json(ctx, d, logs)
        if doc is None:
            why.append("no JSON report: %s" % err)
        else:
            lo = doc["logs"][0]
            notes = [n for n in lo.get("notes", []) if "MAX_MODS" in n]
            if len(notes) != 1:
                why.append("expected one note about MAX_MODS, got %r"
                           % lo.get("notes"))
            elif "incomplete" not in notes[0]:
                why.append("the note does not say the result may be incomplete")
            if not lo.get("lock_orders"):
                why.append("no lock order recorded")
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why),
                          r.stderr + rr.stderr)
    finally:
        ctx.done(d)


# sets RLIMIT_AS, then execs argv[1] with the shim preloaded
_AS_WRAPPER = ("import os, resource, sys; "
               "resource.setrlimit(resource.RLIMIT_AS, (%d, %d)); "
               "os.environ['LD_PRELOAD'] = os.environ.pop('LH_TEST_PRELOAD'); "
               "os.execv(sys.argv[1], sys.argv[1:])")


def shim_stack_table_full(ctx):
    """The shim's memory runs out (little address space) while the stack
    table grows: the program goes on, and the log says the table could not
    grow and the result may be incomplete."""
    name = "shim_stack_table_full"
    prog = os.path.join(ctx.progdir, "many_stacks_clean")
    if not os.access(prog, os.X_OK):
        return rt.Outcome(name, "fail", "%s not built" % prog)
    d = ctx.tmpdir(name)
    try:
        why = []
        # the address space a short run needs, shim included
        small_dir = os.path.join(d, "small")
        os.mkdir(small_dir)
        r0 = rt.run_cmd([prog, "64"], 60, d, _preload_env(ctx, small_dir, "quiet=1"))
        peak = [l.split()[1] for l in r0.stdout.split("\n") if l.startswith("VmPeak:")]
        if r0.rc != 0 or not peak:
            return rt.Outcome(name, "fail", "short run: %s, no VmPeak"
                              % rt.describe_rc(r0.rc), r0.stderr)
        limit = (int(peak[0]) + 6 * 1024) * 1024  # 6 MiB more than that
        logdir = os.path.join(d, "logs")
        os.mkdir(logdir)
        env = _preload_env(ctx, logdir, "quiet=1")
        env["LH_TEST_PRELOAD"] = env.pop("LD_PRELOAD")
        r = rt.run_cmd([sys.executable, "-c", _AS_WRAPPER % (limit, limit),
                        prog, "100000"], 120, d, env)
        if r.timed_out:
            why.append("timed out")
        elif r.rc != 0:
            why.append("program with %d KiB of address space: %s"
                       % (limit // 1024, rt.describe_rc(r.rc)))
        logs = rt._find_logs(logdir)
        if len(logs) != 1:
            why.append("expected 1 log, found %d" % len(logs))
            return rt.Outcome(name, "fail", "; ".join(why), r.stderr)
        doc, rr, err = _report_json(ctx, d, logs)
        if doc is None:
            why.append("no JSON report: %s" % err)
        else:
            lo = doc["logs"][0]
            notes = [n for n in lo.get("notes", [])
                     if "stack table" in n or "call stacks" in n]
            if len(notes) != 1:
                why.append("expected one note about the stack table, got %r"
                           % lo.get("notes"))
            elif "incomplete" not in notes[0]:
                why.append("the note does not say the result may be incomplete")
            if not lo.get("complete"):
                why.append("the log has no end record")
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why),
                          r.stderr + rr.stderr)
    finally:
        ctx.done(d)


def _mapped_tail(path, counts=None):
    """(flags of the log header, bytes after the last record): the records
    are walked as the reader does, a type-0 header ends a mapped log; with
    counts (a dict), the records of each type are counted into it"""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    flags = struct.unpack_from("<I", data, 60)[0]
    off = struct.unpack_from("<I", data, 12)[0]
    while off + 8 <= len(data):
        typ, _fl, size = struct.unpack_from("<HHI", data, off)
        if typ == 0:
            break
        if counts is not None:
            counts[typ] = counts.get(typ, 0) + 1
        off += 8 + size
    return flags, len(data) - off


LH_REC_EDGE, LH_REC_EDGE_CTX, LH_REC_EDGE_PAIR = 8, 15, 16  # include/lockhound_log.h
LH_REC_CLS_MEMBER, LH_REC_CLS_MAP = 17, 18


def shim_orders_without_syscalls(ctx):
    """5000 new lock orders at two known call sites cost no write system
    call each (the log is written through a mapping, LH_HDR_MAPPED), and
    every order is in the log, as bits of class maps (format 5: the 200
    locks are one class, initialized at one call path), with no pair
    record: after a normal exit (no tail left) and after SIGKILL (the zero
    tail the reader stops at; the bits set before it are in the file)."""
    name = "shim_orders_without_syscalls"
    prog = os.path.join(ctx.progdir, "many_orders_clean")
    if not os.access(prog, os.X_OK):
        return rt.Outcome(name, "fail", "%s not built" % prog)
    if not os.path.exists("/proc/self/io"):
        return rt.Outcome(name, "skip", "no /proc/self/io (task I/O accounting)")
    d = ctx.tmpdir(name)
    try:
        why, errs = [], ""
        for mode in ("exit", "kill"):
            logdir = os.path.join(d, mode)
            os.mkdir(logdir)
            argv = [prog, "5000"] + (["kill"] if mode == "kill" else [])
            r = rt.run_cmd(argv, 60, d, _preload_env(ctx, logdir, "quiet=1"))
            errs += r.stderr
            want_rc = -9 if mode == "kill" else 0
            if r.timed_out or r.rc != want_rc:
                why.append("%s: %s (expected %s)" % (mode, rt.describe_rc(r.rc),
                                                     rt.describe_rc(want_rc)))
                continue
            line = [l for l in r.stdout.split("\n") if l.startswith("many_orders ")]
            fields = dict(f.split("=") for f in line[0].split()[1:]) if line else {}
            if fields.get("orders") != "5000":
                why.append("%s: unexpected output %r" % (mode, r.stdout))
                continue
            writes = int(fields["write_syscalls"])
            if writes < 0:
                return rt.Outcome(name, "skip", "/proc/self/io has no syscw")
            if writes > 50:
                why.append("%s: %d write system calls for 5000 new orders"
                           % (mode, writes))
            logs = rt._find_logs(logdir)
            if len(logs) != 1:
                why.append("%s: expected 1 log, found %d" % (mode, len(logs)))
                continue
            counts = {}
            flags, tail = _mapped_tail(logs[0], counts)
            # one thread, two call paths (the warm-up's and the loop's):
            # two contexts, then the orders as bits of their class maps
            # (a segment record per 16 rows used), a member record per lock,
            # no pair record and none written whole
            if counts.get(LH_REC_EDGE_CTX) != 2 or counts.get(LH_REC_EDGE_PAIR) \
                    or counts.get(LH_REC_EDGE) or not counts.get(LH_REC_CLS_MAP) \
                    or counts.get(LH_REC_CLS_MEMBER) != 200:
                why.append("%s: expected 2 edge contexts, class maps, 200 class members and "
                           "no pair or whole edge record, found %d, %d, %d, %d, %d" % (
                               mode, counts.get(LH_REC_EDGE_CTX, 0),
                               counts.get(LH_REC_CLS_MAP, 0), counts.get(LH_REC_CLS_MEMBER, 0),
                               counts.get(LH_REC_EDGE_PAIR, 0), counts.get(LH_REC_EDGE, 0)))
            if not flags & 0x2:
                why.append("%s: the log header has no LH_HDR_MAPPED" % mode)
            if mode == "exit" and tail != 0:
                why.append("exit: %d bytes after the last record" % tail)
            if mode == "kill" and tail == 0:
                why.append("kill: no unwritten tail (was the log mapped?)")
            # the tail allocated ahead grows with the log (LH_LOG_MAP_FIRST
            # to LH_LOG_MAP_CHUNK): a process that ends without its end
            # record keeps a tail no larger than its records
            if mode == "kill" and tail > os.path.getsize(logs[0]) - tail + 64 * 1024:
                why.append("kill: a %d-byte tail after %d bytes of records"
                           % (tail, os.path.getsize(logs[0]) - tail))
            doc, rr, err = _report_json(ctx, d, logs)
            if doc is None:
                why.append("%s: no JSON report: %s" % (mode, err))
                continue
            lo = doc["logs"][0]
            if lo.get("errors"):
                why.append("%s: the reader found errors: %r" % (mode, lo["errors"]))
            if lo.get("lock_orders") != 5000:
                why.append("%s: %r lock orders in the log, expected 5000"
                           % (mode, lo.get("lock_orders")))
            if bool(lo.get("complete")) != (mode == "exit"):
                why.append("%s: complete=%r" % (mode, lo.get("complete")))
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why), errs)
    finally:
        ctx.done(d)


def shim_dep_library_noted(ctx):
    """xz -T2 creates its worker threads and locks from liblzma, a library
    the shim itself uses (libunwind needs it), whose calls pass through
    unwatched: the report must say so in a note naming liblzma, and say the
    result may be incomplete.  Skipped when xz is not installed."""
    name = "shim_dep_library_noted"
    import base64
    import shutil
    xz = shutil.which("xz")
    if xz is None:
        return rt.Outcome(name, "skip", "xz is not installed")
    d = ctx.tmpdir(name)
    try:
        data = os.path.join(d, "input")
        with open(data, "wb") as f:  # several 3 MiB blocks of xz -1
            f.write(base64.b64encode(os.urandom(9 * 1024 * 1024)))
        out = os.path.join(d, "report.json")
        r = rt.run_cmd([ctx.lockhound, "run", "--json", out, "--", xz, "-T2",
                        "-1", "-k", "-f", data], 120, d, rt.base_env())
        why = []
        if r.timed_out:
            why.append("timed out")
        elif r.rc != 0:
            why.append("xz under lockhound: %s" % rt.describe_rc(r.rc))
        doc, err = rt._load_json(out)
        if doc is None:
            why.append("no JSON report: %s" % err)
        else:
            notes = [n for lo in doc.get("logs", []) for n in lo.get("notes", [])]
            hit = [n for n in notes if "liblzma" in n and "not watched" in n]
            if len(hit) != 1:
                why.append("expected one note naming liblzma, got %r" % notes)
            elif "incomplete" not in hit[0]:
                why.append("the note does not say the result may be incomplete")
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why),
                          r.stderr)
    finally:
        ctx.done(d)


def shim_decoder_loaded_lazily(ctx):
    """Capstone (the instruction decoder of race watching) is not linked:
    the shim loads it when race watching starts, so a run with races=0 never
    maps it, and a default run does, also when tcmalloc, preloaded first,
    starts the shim from inside its own initialization (race watching then
    starts from the shim's constructor, where the dlopen is safe)."""
    name = "shim_decoder_loaded_lazily"
    lib = _tcmalloc()
    if lib is None:
        return _no_tcmalloc(name)
    py = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
    prog = [py, "-c", "print(open('/proc/self/maps').read().count('libcapstone'))"]
    why, errs = [], ""
    d = ctx.tmpdir(name)
    try:
        shim = os.path.abspath(ctx.shim)
        for order in ([shim], [lib, shim]):
            for opts, want in (("races=0", False), ("", True)):
                label = "LD_PRELOAD=%s %s" % (":".join(os.path.basename(x) for x in order),
                                              opts or "(default)")
                logdir = os.path.join(d, "logs%d" % len(os.listdir(d)))
                os.mkdir(logdir)
                env = _preload_env(ctx, logdir, "quiet=1" + (":" + opts if opts else ""))
                env["LD_PRELOAD"] = ":".join(order)
                r = rt.run_cmd(prog, 60, d, env)
                errs += r.stderr
                if r.timed_out or r.rc != 0:
                    why.append("%s: %s" % (label, "hung" if r.timed_out
                                           else rt.describe_rc(r.rc)))
                    continue
                n = r.stdout.strip()
                if not n.isdigit():
                    why.append("%s: unexpected output %r" % (label, r.stdout[:100]))
                elif (int(n) > 0) != want:
                    why.append("%s: libcapstone %s" % (label, "not mapped" if want
                                                         else "mapped (%s lines)" % n))
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why), errs)
    finally:
        ctx.done(d)


def _findings_sig(doc):
    """What must not change with the mutex path: each finding's kind,
    what, count, lock symbols and fingerprint, sorted."""
    sig = []
    for f in doc.get("findings", []):
        sig.append((f.get("kind"), f.get("what"), f.get("count"),
                    tuple(sorted(str(lk.get("symbol")) for lk in f.get("locks", []))),
                    f.get("fingerprint")))
    return sorted(sig)


def _cpu_has_rtm():
    """does /proc/cpuinfo list the rtm flag (glibc elides only there)?"""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return "rtm" in line.split(":", 1)[1].split()
    except OSError:
        pass
    return False


def shim_builtin_mutex_same(ctx):
    """A program mixing lock, trylock, timedlock and condition waits on
    default, recursive and errorcheck mutexes, and a spinlock (testprogs/
    mutex_mixed_calls_cycle) prints what it prints natively, and gets the
    same findings, whether the shim's built-in paths take the free mutexes
    and spinlocks (builtin_mutex=1, the default: no note says either is
    off), glibc takes them all (builtin_mutex=0), or glibc elides locks
    (GLIBC_TUNABLES=glibc.elision.enable=1: on a CPU with RTM one note says
    the mutex path is off; without RTM glibc elides nothing and no note
    says so)."""
    name = "shim_builtin_mutex_same"
    prog = os.path.join(ctx.progdir, "mutex_mixed_calls_cycle")
    d = ctx.tmpdir(name)
    try:
        why = []
        nat = rt.run_cmd([prog], 60, d, rt.base_env())
        if nat.rc != 0:
            return rt.Outcome(name, "fail", "native run: %s" % rt.describe_rc(nat.rc),
                              nat.stderr)
        runs = {}
        rtm = _cpu_has_rtm()
        for label, opts, tunables in (("on", "builtin_mutex=1", None),
                                      ("off", "builtin_mutex=0", None),
                                      ("elision", "builtin_mutex=1",
                                       "glibc.elision.enable=1")):
            env = rt.base_env()
            env.pop("GLIBC_TUNABLES", None)
            if tunables:
                env["GLIBC_TUNABLES"] = tunables
            out = os.path.join(d, "%s.json" % label)
            r = rt.run_cmd([ctx.lockhound, "run", "--json", out, "--options", opts,
                            "--", prog], 60, d, env)
            if r.timed_out or r.rc != 66:
                why.append("%s: %s (expected exit 66)" % (label, "timed out" if r.timed_out
                                                          else rt.describe_rc(r.rc)))
                continue
            if r.stdout != nat.stdout:
                why.append("%s: output %r, natively %r" % (label, r.stdout, nat.stdout))
            doc, err = rt._load_json(out)
            if doc is None:
                why.append("%s: no JSON report: %s" % (label, err))
                continue
            notes = [n for lo in doc.get("logs", []) for n in lo.get("notes", [])]
            off = [n for n in notes if "built-in mutex path off" in n]
            spin_off = [n for n in notes if "built-in spinlock path off" in n]
            if spin_off:
                why.append("%s: unexpected note %r" % (label, spin_off))
            if label == "elision" and rtm and not (len(off) == 1 and "elision" in off[0]):
                why.append("elision: expected one note that the path is off, got %r" % notes)
            if (label != "elision" or not rtm) and off:
                why.append("%s: unexpected note %r" % (label, off))
            runs[label] = _findings_sig(doc)
        if "on" in runs:
            kinds = sorted(k for k, _, _, _, _ in runs["on"])
            if kinds != ["lock-order-cycle", "misuse"]:
                why.append("on: findings %r, expected a cycle and a misuse" % runs["on"])
            for other in ("off", "elision"):
                if other in runs and runs[other] != runs["on"]:
                    why.append("findings differ: on %r, %s %r" % (runs["on"], other,
                                                                 runs[other]))
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why))
    finally:
        ctx.done(d)


SHIM_TESTS = {
    "shim_builtin_mutex_same": shim_builtin_mutex_same,
    "shim_decoder_loaded_lazily": shim_decoder_loaded_lazily,
    "shim_orders_without_syscalls": shim_orders_without_syscalls,
    "shim_stack_table_full": shim_stack_table_full,
    "shim_many_modules": shim_many_modules,
    "shim_file_size_limit": shim_file_size_limit,
    "shim_with_tcmalloc": shim_with_tcmalloc,
    "shim_other_allocators": shim_other_allocators,
    "shim_other_allocators_jemalloc": shim_other_allocators_jemalloc,
    "shim_non_pie_takes_malloc_address": shim_non_pie_takes_malloc_address,
    "shim_dep_library_noted": shim_dep_library_noted,
}



def register(run_tests_module):
    global rt
    rt = run_tests_module
    return SHIM_TESTS
