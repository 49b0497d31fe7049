#!/usr/bin/env python3
"""Integration tests of `lockhound cc` / `lockhound c++` and of programs built
with them run on their own.

    python3 tests/integration/test_cc.py --build build [--only NAME,...]

Each test builds small programs with the driver (gcc and clang), then checks
what the build produced (instrumented objects, the runtime linked before
libc with an rpath, no libtsan) and what the programs do standalone: the
text report on stderr at exit and exit status 66 when there are findings,
`exitcode=N`, the program's own status and silence when there are none, no
log left behind, the same findings under `lockhound run`.  Also make and
CMake builds with the driver as their compiler, a shared library built with
`lockhound cc -shared`, a mixed build, response files and the driver's
errors.  Output as run_tests.py: `PASS name` / `FAIL name: reason` /
`SKIP name: reason`, then `N passed, N failed`; exit status 1 on failure.
Python 3 standard library only.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TESTPROGS = os.path.join(ROOT, "testprogs")
FINDINGS_EXIT = 66


class Fail(Exception):
    pass


class Skip(Exception):
    pass


# ---- process groups of running commands --------------------------------
# (tests/integration/procgroups.py: each command runs in its own session;
# the groups still live when the harness ends are killed)
from procgroups import live as _live_groups, kill_live_groups, guard_process_groups  # noqa: E402,F401


def run(argv, cwd, env=None, timeout=120, stdin=None):
    """(rc, stdout, stderr); the process group is killed on timeout."""
    p = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    _live_groups[p.pid] = True
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise Fail("%s timed out after %ds" % (argv[0], timeout))
    finally:
        _live_groups.pop(p.pid, None)
    return p.returncode, out.decode("utf-8", "replace"), err.decode(
        "utf-8", "replace")


class Ctx:
    def __init__(self, build):
        self.build = build
        self.lockhound = os.path.join(build, "lockhound")
        self.shim = os.path.join(build, "liblockhound.so")
        self.rtdir = os.path.realpath(build)

    def env(self, **kw):
        env = dict(os.environ)
        for k in ("LD_PRELOAD", "LOCKHOUND_OPTIONS", "CC", "CXX",
                  "LOCKHOUND_CC", "LOCKHOUND_CXX", "LOCKHOUND_SHIM",
                  "LOCKHOUND_CC_NESTED"):
            env.pop(k, None)
        env.update(kw)
        return env


def need(tool):
    if not shutil.which(tool):
        raise Skip("%s not installed" % tool)


def cc(ctx, d, args, compiler="gcc", cxx=False, env=None):
    """Build with the driver; raise Fail with the compiler's output."""
    e = env or ctx.env()
    if cxx:
        e["CXX"] = {"gcc": "g++", "clang": "clang++"}[compiler]
    else:
        e["CC"] = compiler
    rc, out, err = run([ctx.lockhound, "c++" if cxx else "cc"] + args, d, e)
    if rc != 0:
        raise Fail("lockhound %s %s failed (%d): %s"
                   % ("c++" if cxx else "cc", " ".join(args), rc,
                      err.strip()[-600:]))
    return out, err


def undefined_symbols(path, d):
    rc, out, err = run(["nm", "-u", path], d)
    if rc != 0:
        raise Fail("nm %s: %s" % (path, err.strip()))
    return {l.split()[-1] for l in out.splitlines() if l.strip()}


def dynamic(path, d):
    """(NEEDED list in order, RUNPATH/RPATH list)"""
    rc, out, err = run(["readelf", "-d", path], d)
    if rc != 0:
        raise Fail("readelf %s: %s" % (path, err.strip()))
    needed, runpath = [], []
    for line in out.splitlines():
        if "(NEEDED)" in line:
            needed.append(line.split("[", 1)[1].rstrip("]"))
        elif "(RUNPATH)" in line or "(RPATH)" in line:
            runpath += line.split("[", 1)[1].rstrip("]").split(":")
    return needed, runpath


def check_linked(ctx, path, d):
    needed, runpath = dynamic(path, d)
    if "liblockhound.so" not in needed:
        raise Fail("%s: liblockhound.so not in NEEDED %s" % (path, needed))
    if any("tsan" in n for n in needed):
        raise Fail("%s: libtsan linked: %s" % (path, needed))
    libc = [i for i, n in enumerate(needed) if n.startswith("libc.so")]
    if libc and needed.index("liblockhound.so") > libc[0]:
        raise Fail("%s: liblockhound.so comes after libc: %s" % (path, needed))
    if ctx.rtdir not in runpath:
        raise Fail("%s: no rpath to %s (%s)" % (path, ctx.rtdir, runpath))
    rc, out, _ = run(["nm", "--defined-only", path], d)
    if any(l.split()[-1].startswith("__tsan_") for l in out.splitlines()
           if l.strip()):
        raise Fail("%s: has a thread-sanitizer runtime of its own" % path)


def write(d, name, text):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write(text)
    return p


def standalone(ctx, d, prog, args=(), options=None, timeout=60):
    """Run a built program on its own, with a private TMPDIR; checks that no
    log is left behind; returns (rc, stdout, stderr)."""
    tmp = os.path.join(d, "tmp")
    os.makedirs(tmp, exist_ok=True)
    env = ctx.env(TMPDIR=tmp)
    if options:
        env["LOCKHOUND_OPTIONS"] = options
    rc, out, err = run([prog] + list(args), d, env, timeout=timeout)
    left = []
    for root, dirs, files in os.walk(tmp):
        left += [os.path.join(root, x) for x in dirs + files]
    if left:
        raise Fail("left behind in TMPDIR: %s" % left[:5])
    return rc, out, err


# ------------------------------------------------------------------ tests

def t_compile_instruments(ctx, d):
    """-c with gcc and clang, C and C++: instrumented objects, no link."""
    src = write(d, "u.c", "int g; void f(void) { g++; }\n")
    srcxx = write(d, "u.cpp", "struct S { int m; void f() { m++; } };\n"
                  "void g(S &s) { s.f(); }\n")
    for comp in ("gcc", "clang"):
        need(comp)
        for cxx, s in ((False, src), (True, srcxx)):
            obj = os.path.join(d, "%s%s.o" % (comp, "xx" if cxx else ""))
            cc(ctx, d, ["-c", s, "-o", obj], comp, cxx)
            u = undefined_symbols(obj, d)
            if not any(x.startswith(("__tsan_read", "__tsan_write"))
                       for x in u):
                raise Fail("%s -c %s: not instrumented (undefined: %s)"
                           % (comp, s, sorted(u)))


def t_link_uninstrumented(ctx, d):
    """A link step (gcc, clang) puts the runtime before libc, with an rpath,
    and no libtsan; a -fno-sanitize=thread program links without the ABI."""
    src = os.path.join(TESTPROGS, "abba_two_threads.c")
    for comp in ("gcc", "clang"):
        need(comp)
        exe = os.path.join(d, "abba_" + comp)
        cc(ctx, d, ["-g", "-pthread", "-fno-sanitize=thread", "-I" + TESTPROGS,
                    src, "-o", exe], comp)
        check_linked(ctx, exe, d)


def t_standalone_cycle(ctx, d):
    """An ABBA program built with lockhound cc reports the cycle on stderr
    and exits 66 on its own; its stdout is untouched; no log is left."""
    src = os.path.join(TESTPROGS, "abba_two_threads.c")
    exe = os.path.join(d, "abba")
    flags = []
    cc(ctx, d, ["-g", "-pthread", "-I" + TESTPROGS] + flags + [src, "-o", exe])
    rc, out, err = standalone(ctx, d, exe)
    if rc != FINDINGS_EXIT:
        raise Fail("expected exit %d, got %d; stderr: %s"
                   % (FINDINGS_EXIT, rc, err[-400:]))
    if "lock-order cycle" not in err or "worker_ab" not in err:
        raise Fail("no cycle report on stderr: %r" % err[-400:])
    if err.count("==== lockhound: F1") != 1:
        raise Fail("the report is not printed exactly once")
    # exitcode=0: the program's own status, report still printed
    rc, out, err = standalone(ctx, d, exe, options="exitcode=0")
    if rc != 0 or "lock-order cycle" not in err:
        raise Fail("exitcode=0: expected exit 0 with the report, got %d" % rc)
    rc, out, err = standalone(ctx, d, exe, options="exitcode=7")
    if rc != 7:
        raise Fail("exitcode=7: got %d" % rc)


def t_standalone_clean(ctx, d):
    """A clean program: its own exit status and output, nothing on stderr."""
    src = write(d, "clean.c", r'''
#include <pthread.h>
#include <stdio.h>
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int n;
static void *w(void *a) { pthread_mutex_lock(&mu); n++; pthread_mutex_unlock(&mu); return a; }
int main(void) {
    pthread_t t[2];
    for (int i = 0; i < 2; i++) pthread_create(&t[i], 0, w, 0);
    for (int i = 0; i < 2; i++) pthread_join(t[i], 0);
    printf("n=%d\n", n);
    return 3;
}
''')
    exe = os.path.join(d, "clean")
    flags = []
    cc(ctx, d, ["-g", "-pthread"] + flags + [src, "-o", exe])
    rc, out, err = standalone(ctx, d, exe)
    if rc != 3 or out != "n=2\n" or err.strip():
        raise Fail("expected exit 3, 'n=2' and a silent stderr; got %d %r %r"
                   % (rc, out, err[-300:]))


def t_standalone_fork_and_deadlock(ctx, d):
    """A cycle found in a fork child that leaves with _exit is reported by
    the parent; a live deadlock is reported and ends the process with 66."""
    src = write(d, "forkcycle.c", r'''
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static void in_child_ab(void) { pthread_mutex_lock(&a); pthread_mutex_lock(&b); pthread_mutex_unlock(&b); pthread_mutex_unlock(&a); }
static void in_child_ba(void) { pthread_mutex_lock(&b); pthread_mutex_lock(&a); pthread_mutex_unlock(&a); pthread_mutex_unlock(&b); }
int main(void) {
    pid_t p = fork();
    if (p == 0) { in_child_ab(); in_child_ba(); _exit(0); }
    waitpid(p, NULL, 0);
    return 0;
}
''')
    exe = os.path.join(d, "forkcycle")
    flags = []
    cc(ctx, d, ["-g", "-pthread"] + flags + [src, "-o", exe])
    rc, out, err = standalone(ctx, d, exe)
    if rc != FINDINGS_EXIT or "in_child_ba" not in err:
        raise Fail("fork child's cycle: expected exit 66 and a report naming "
                   "in_child_ba, got %d %r" % (rc, err[-300:]))
    src = os.path.join(TESTPROGS, "deadlock_abba.c")
    exe = os.path.join(d, "deadlock")
    cc(ctx, d, ["-g", "-pthread", "-I" + TESTPROGS] + flags + [src, "-o", exe])
    rc, out, err = standalone(ctx, d, exe, timeout=30)
    if rc != FINDINGS_EXIT or "deadlock" not in err or \
            "hold_a_then_lock_b" not in err:
        raise Fail("live deadlock: expected exit 66 and the report, got %d %r"
                   % (rc, err[-300:]))


def t_under_run(ctx, d):
    """Under lockhound run the program does not report itself: one report,
    the same JSON finding."""
    src = os.path.join(TESTPROGS, "abba_two_threads.c")
    exe = os.path.join(d, "abba")
    flags = []
    cc(ctx, d, ["-g", "-pthread", "-I" + TESTPROGS] + flags + [src, "-o", exe])
    js = os.path.join(d, "r.json")
    rc, out, err = run([ctx.lockhound, "run", "--json", js, "--", exe], d,
                       ctx.env())
    if rc != FINDINGS_EXIT:
        raise Fail("lockhound run: expected 66, got %d" % rc)
    if err.count("==== lockhound: F1") != 1:
        raise Fail("lockhound run printed %d reports, expected one"
                   % err.count("==== lockhound: F1"))
    with open(js) as f:
        doc = json.load(f)
    kinds = [x.get("kind") for x in doc.get("findings", [])]
    if kinds != ["lock-order-cycle"] or len(doc.get("logs", [])) != 1:
        raise Fail("lockhound run JSON: findings %s, %d logs"
                   % (kinds, len(doc.get("logs", []))))


def t_response_file_and_queries(ctx, d):
    src = write(d, "r.c", "int g; int main(void) { return g; }\n")
    rsp = write(d, "args.rsp", "-c '%s' -o \"%s\"\n"
                % (src, os.path.join(d, "r.o")))
    cc(ctx, d, ["@" + rsp])
    if "__tsan_func_entry" not in undefined_symbols(os.path.join(d, "r.o"), d):
        raise Fail("@file compile: not instrumented")
    out, err = cc(ctx, d, ["--version"])
    if not out.strip():
        raise Fail("--version printed nothing")
    # a CC that names lockhound itself (make exports CC="lockhound cc")
    e = ctx.env(CC="%s cc" % ctx.lockhound)
    rc, out, err = run([ctx.lockhound, "cc", "-c", src, "-o",
                        os.path.join(d, "r2.o")], d, e, timeout=30)
    if rc != 0:
        raise Fail("CC naming lockhound: exit %d %r" % (rc, err[-200:]))


def t_errors(ctx, d):
    src = write(d, "e.c", "int main(void) { return 0; }\n")
    for env, args, word in (
            (ctx.env(CC="/nonexistent/lh-no-cc"), ["-c", src], "lh-no-cc"),
            (ctx.env(LOCKHOUND_SHIM="/nonexistent/liblockhound.so"),
             [src, "-o", os.path.join(d, "e")], "runtime")):
        rc, out, err = run([ctx.lockhound, "cc"] + args, d, env, timeout=30)
        lines = [l for l in err.splitlines() if l.strip()]
        if rc == 0 or len(lines) != 1 or word not in err:
            raise Fail("expected a one-line error naming %s and a nonzero "
                       "exit, got %d %r" % (word, rc, err[-300:]))


def t_make_build(ctx, d):
    """make CC="lockhound cc" builds objects and links them."""
    need("make")
    write(d, "a.c", "int shared_counter;\nvoid bump(void) { shared_counter++; }\n")
    write(d, "m.c", "void bump(void);\nint main(void) { bump(); return 0; }\n")
    write(d, "Makefile", "prog: a.o m.o\n\t$(CC) -o $@ a.o m.o\n"
          "%.o: %.c\n\t$(CC) -c $< -o $@\n")
    rc, out, err = run(["make", "CC=%s cc" % ctx.lockhound], d, ctx.env())
    if rc != 0:
        raise Fail("make failed: %s" % err[-400:])
    check_linked(ctx, os.path.join(d, "prog"), d)
    rc, out, err = standalone(ctx, d, os.path.join(d, "prog"))
    if rc != 0:
        raise Fail("prog: exit %d %r" % (rc, err[-300:]))


def t_cmake_build(ctx, d):
    """A CMake project (a shared library and a program) configured with
    CC=lockhound-cc / CXX=lockhound-c++."""
    need("cmake")
    src = os.path.join(d, "src")
    os.makedirs(src)
    write(src, "CMakeLists.txt", "cmake_minimum_required(VERSION 3.13)\n"
          "project(lhdemo C CXX)\n"
          "find_package(Threads REQUIRED)\n"
          "add_library(stats SHARED stats.c)\n"
          "add_executable(app app.cpp)\n"
          "target_link_libraries(app stats Threads::Threads)\n")
    write(src, "stats.c", "int stats_hits;\nvoid stats_hit(void) { stats_hits++; }\n")
    write(src, "app.cpp", "extern \"C\" void stats_hit(void);\n"
          "int main() { stats_hit(); return 0; }\n")
    bld = os.path.join(d, "bld")
    os.makedirs(bld)
    env = ctx.env(CC=os.path.join(ctx.build, "lockhound-cc"),
                  CXX=os.path.join(ctx.build, "lockhound-c++"))
    rc, out, err = run(["cmake", "-S", src, "-B", bld], d, env, timeout=300)
    if rc != 0:
        raise Fail("cmake configure failed: %s" % (out + err)[-600:])
    rc, out, err = run(["cmake", "--build", bld], d, env, timeout=300)
    if rc != 0:
        raise Fail("cmake build failed: %s" % (out + err)[-600:])
    app = os.path.join(bld, "app")
    check_linked(ctx, app, d)
    check_linked(ctx, os.path.join(bld, "libstats.so"), d)
    rc, out, err = standalone(ctx, d, app)
    if rc != 0:
        raise Fail("app: exit %d %r" % (rc, err[-300:]))


def _race_findings(doc):
    return [f for f in doc.get("findings", []) if f.get("kind") == "data-race"]


def _names_variable(f, name):
    """the finding's variable is NAME (a global), or (heap) allocated in a
    function whose name contains NAME"""
    var = f.get("variable") or {}
    if var.get("name") == name:
        return True
    block = var.get("block") or {}
    return any(name in (fr.get("function") or "")
               for fr in block.get("alloc_stack") or [])


def run_json(ctx, d, prog, args=()):
    js = os.path.join(d, "r.json")
    if os.path.exists(js):
        os.unlink(js)
    rc, out, err = run([ctx.lockhound, "run", "--json", js, "--", prog]
                       + list(args), d, ctx.env())
    try:
        with open(js) as f:
            return rc, json.load(f), err
    except (OSError, ValueError) as e:
        raise Fail("%s: no JSON report (%s); stderr: %s"
                   % (prog, e, err[-300:]))


# each clean exact-mode scenario, and the variable that races when it is
# run with the argument "unsync" (the same accesses, the synchronization
# skipped): proof that the clean run was watched, not ignored
CLEAN_TWINS = {
    "clean_locked_counter": "counter",
    "clean_atomics": "hits",
    "clean_release_acquire": "payload",
    "clean_per_thread_slots": "slots",
    "clean_join_handoff": "new_result",
    "clean_condvar_queue": "produce_items",
    "clean_sem_handoff": "mailbox",
    "clean_barrier_phases": "grid",
    "clean_pthread_once": "lookup_table",
    "clean_rwlock_readers": "settings",
    "clean_thread_create": "config",
    "clean_c11_threads": "counter",
    "clean_fences": "payload",
    "clean_fork_child": "table",
    "clean_heap_reuse": "last_writer",
    "clean_spin_counter": "counter",
}


def t_clean_twins_watched(ctx, d):
    """Every clean exact-mode scenario run with "unsync" reports the race
    its synchronization prevents (gcc build, and the clang build if any)."""
    progdir = os.path.join(ctx.build, "testprogs")
    why = []
    for name, var in sorted(CLEAN_TWINS.items()):
        for prog in (os.path.join(progdir, name),
                     os.path.join(progdir, "clang", name)):
            if not os.path.exists(prog):
                if "/clang/" not in prog:
                    why.append("%s not built" % prog)
                continue
            rc, doc, err = run_json(ctx, d, prog, ["unsync"])
            races = _race_findings(doc)
            if rc != FINDINGS_EXIT or not any(_names_variable(f, var)
                                              for f in races):
                why.append("%s unsync: exit %d, races on %s, expected %s"
                           % (os.path.relpath(prog, progdir), rc,
                              [(f.get("variable") or {}).get("name")
                               for f in races], var))
    if why:
        raise Fail("; ".join(why))


def t_standalone_race(ctx, d):
    """A racy program run on its own: the race report on stderr, exit 66;
    exitcode=0 keeps the program's status."""
    exe = os.path.join(d, "racy")
    cc(ctx, d, ["-g", "-pthread", "-I" + TESTPROGS,
                os.path.join(TESTPROGS, "race_unguarded_counter.c"),
                "-o", exe])
    rc, out, err = standalone(ctx, d, exe)
    if rc != FINDINGS_EXIT or "data race on counter" not in err or \
            "bump_counter" not in err or "counter = " not in out:
        raise Fail("expected exit 66, the report on stderr and the "
                   "program's output; got %d %r" % (rc, err[-400:]))
    rc, out, err = standalone(ctx, d, exe, options="exitcode=0")
    if rc != 0 or "data race on counter" not in err:
        raise Fail("exitcode=0: got %d" % rc)
    # gcc's -static-libtsan must not bring libtsan.a in either
    exe2 = os.path.join(d, "racy_static_libtsan")
    cc(ctx, d, ["-g", "-pthread", "-static-libtsan", "-I" + TESTPROGS,
                os.path.join(TESTPROGS, "race_unguarded_counter.c"),
                "-o", exe2])
    check_linked(ctx, exe2, d)


LIB_SRC = r'''
#include <pthread.h>
long lib_total;                      /* racy: bumped with no lock */
static pthread_mutex_t lib_mu = PTHREAD_MUTEX_INITIALIZER;
static long lib_locked;
void lib_record(long v)
{
    lib_total += v;
    pthread_mutex_lock(&lib_mu);
    lib_locked += v;
    pthread_mutex_unlock(&lib_mu);
}
'''

MAIN_SRC = r'''
#include <pthread.h>
#include <stdio.h>
void lib_record(long v);
void helper_plain(int *p);           /* uninstrumented in the mixed build */
static int helper_data;
static void *client(void *a)
{
    for (int i = 0; i < 100; i++)
        lib_record(i);
    helper_plain(&helper_data);
    return a;
}
int main(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, client, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("done %d\n", helper_data);
    return 0;
}
'''

HELPER_SRC = "void helper_plain(int *p) { (*p)++; }\n"


def t_shared_library_and_mixed(ctx, d):
    """A race inside a library built with `lockhound cc -shared`, called by
    an instrumented program that also links one object compiled without
    instrumentation (plain cc): the library's race is found; the
    uninstrumented object's unsynchronized increment is invisible in this
    mode (documented), and nothing else is reported."""
    for comp in ("gcc", "clang"):
        need(comp)
        sub = os.path.join(d, comp)
        os.makedirs(sub)
        lib_c = write(sub, "libstats.c", LIB_SRC)
        main_c = write(sub, "main.c", MAIN_SRC)
        helper_c = write(sub, "helper.c", HELPER_SRC)
        lib = os.path.join(sub, "libstats.so")
        cc(ctx, sub, ["-g", "-fPIC", "-shared", lib_c, "-o", lib], comp)
        check_linked(ctx, lib, sub)
        rc, out, err = run([comp, "-g", "-c", helper_c, "-o",
                            os.path.join(sub, "helper.o")], sub)
        if rc != 0:
            raise Fail("plain %s -c helper.c: %s" % (comp, err[-300:]))
        exe = os.path.join(sub, "app")
        cc(ctx, sub, ["-g", "-pthread", main_c, os.path.join(sub, "helper.o"),
                      "-L" + sub, "-lstats", "-Wl,-rpath," + sub, "-o", exe],
           comp)
        check_linked(ctx, exe, sub)
        rc, doc, err = run_json(ctx, sub, exe)
        races = _race_findings(doc)
        names = [(f.get("variable") or {}).get("name") for f in races]
        if rc != FINDINGS_EXIT or names != ["lib_total"]:
            raise Fail("%s: expected one race, on lib_total (in the "
                       "library), got exit %d and %s" % (comp, rc, names))
        fn = [fr.get("function") for p in races[0].get("pairs", [])
              for a in p.get("accesses", []) for fr in a.get("stack", [])]
        if "lib_record" not in fn:
            raise Fail("%s: lib_record not in the race's stacks: %s"
                       % (comp, fn))
        rc, out, err = standalone(ctx, sub, exe)
        if rc != FINDINGS_EXIT or "lib_total" not in err:
            raise Fail("%s standalone: exit %d %r" % (comp, rc, err[-300:]))


def t_installed_layout(ctx, d):
    """After make install, PREFIX/bin/lockhound-cc finds the runtime in
    PREFIX/lib/lockhound, and the program finds PREFIX/bin/lockhound for
    its report at exit."""
    need("make")
    prefix = os.path.join(d, "prefix")
    rc, out, err = run(["make", "-C", ROOT, "install", "PREFIX=" + prefix,
                        "B=" + ctx.build], d, ctx.env(), timeout=300)
    if rc != 0:
        raise Fail("make install failed: %s" % err[-400:])
    lcc = os.path.join(prefix, "bin", "lockhound-cc")
    exe = os.path.join(d, "abba")
    flags = []
    rc, out, err = run([lcc, "-g", "-pthread", "-I" + TESTPROGS] + flags +
                       [os.path.join(TESTPROGS, "abba_two_threads.c"), "-o",
                        exe], d, ctx.env())
    if rc != 0:
        raise Fail("installed lockhound-cc failed: %s" % err[-400:])
    needed, runpath = dynamic(exe, d)
    libdir = os.path.realpath(os.path.join(prefix, "lib", "lockhound"))
    if libdir not in runpath:
        raise Fail("rpath %s does not name the installed runtime %s"
                   % (runpath, libdir))
    rc, out, err = standalone(ctx, d, exe)
    if rc != FINDINGS_EXIT or "lock-order cycle" not in err:
        raise Fail("installed: expected exit 66 and the report, got %d %r"
                   % (rc, err[-300:]))


TESTS = [
    ("cc_compile_instruments", t_compile_instruments),
    ("cc_link_uninstrumented", t_link_uninstrumented),
    ("cc_standalone_cycle", t_standalone_cycle),
    ("cc_standalone_clean", t_standalone_clean),
    ("cc_standalone_fork_and_deadlock", t_standalone_fork_and_deadlock),
    ("cc_under_run", t_under_run),
    ("cc_response_file_and_queries", t_response_file_and_queries),
    ("cc_errors", t_errors),
    ("cc_make_build", t_make_build),
    ("cc_standalone_race", t_standalone_race),
    ("cc_clean_twins_watched", t_clean_twins_watched),
    ("cc_shared_library_and_mixed", t_shared_library_and_mixed),
    ("cc_cmake_build", t_cmake_build),
    ("cc_installed_layout", t_installed_layout),
]


def main(argv=None):
    guard_process_groups()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--only", default="")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args(argv)
    build = os.path.abspath(a.build if os.path.isdir(a.build)
                            else os.path.join(ROOT, a.build))
    ctx = Ctx(build)
    if not os.access(ctx.lockhound, os.X_OK):
        print("test_cc: %s not found; build it first (make)" % ctx.lockhound,
              file=sys.stderr)
        return 2
    wanted = [w for w in a.only.split(",") if w]
    counts = {"pass": 0, "fail": 0, "skip": 0}
    for name, fn in TESTS:
        if wanted and name not in wanted:
            continue
        d = tempfile.mkdtemp(prefix="lockhound-cc-%s-" % name)
        try:
            fn(ctx, d)
            print("PASS %s" % name)
            counts["pass"] += 1
        except Skip as e:
            print("SKIP %s: %s" % (name, e))
            counts["skip"] += 1
        except Fail as e:
            print("FAIL %s: %s" % (name, " ".join(str(e).split("\n"))))
            counts["fail"] += 1
        except Exception as e:  # a harness bug must not hide other results
            print("FAIL %s: harness error: %s: %s"
                  % (name, type(e).__name__, e))
            counts["fail"] += 1
        finally:
            if a.keep:
                print("    kept %s" % d)
            else:
                shutil.rmtree(d, ignore_errors=True)
        sys.stdout.flush()
    print("%d passed, %d failed" % (counts["pass"], counts["fail"]))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
