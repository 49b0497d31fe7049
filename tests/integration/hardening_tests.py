"""Integration tests of issue 14's hardening: the analyzer and `lockhound
run` never hang, never lie, and are safe on any input.  Each test is a
function ctx -> Outcome, listed in HARDENING_TESTS; run_tests calls
register(itself) and merges them into its EXTRA_TESTS.
Python 3 standard library only.
"""

import os
import re
import resource
import select
import shutil
import signal
import subprocess
import time

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


def _json_strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from _json_strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from _json_strings(x)


FORGED_NAME = "\n==== lockhound"
BAD_UTF8_NAME = "bad\\xff\\xfe\x1b[2Jname"  # as the JSON keeps it


def report_escapes_program_strings(ctx):
    """Thread names are the program's: one that starts with a newline and
    spells a report header appears escaped in the text report (no forged
    line, no terminal escape), and one that is not UTF-8 survives into the
    JSON with its bad bytes as \\xNN (testprogs/forged_names_cycle.c)."""
    name = "report_escapes_program_strings"
    prog = os.path.join(ctx.progdir, "forged_names_cycle")
    if not os.access(prog, os.X_OK):
        return rt.Outcome(name, "fail", "%s not built" % prog)
    d = ctx.tmpdir(name)
    try:
        out = os.path.join(d, "report.json")
        r = rt.run_cmd([ctx.lockhound, "run", "--json", out, "--", prog],
                       60, d, rt.base_env())
        why = []
        if r.timed_out or r.rc != rt.FINDINGS_EXIT:
            why.append("run: %s (expected %d)"
                       % ("timed out" if r.timed_out
                          else rt.describe_rc(r.rc), rt.FINDINGS_EXIT))
        text = r.stderr
        for line in text.split("\n"):
            if line.startswith("==== lockhound") and not re.match(
                    r"==== lockhound: [FR]\d+: ", line):
                why.append("forged report line: %r" % line)
        if "\x1b" in text:
            why.append("the text report sends an escape character")
        if '"\\n==== lockhound"' not in text:
            why.append("the forged name is not shown escaped as "
                       "\"\\n==== lockhound\"")
        if "bad\\xff\\xfe\\e[2Jname" not in text:
            why.append("the non-UTF-8 name is not shown escaped in the text")
        doc, err = rt._load_json(out)
        if doc is None:
            why.append("no JSON report: %s" % err)
        else:
            strs = set(_json_strings(doc))
            if FORGED_NAME not in strs:
                why.append("the JSON lost the name %r" % FORGED_NAME)
            if BAD_UTF8_NAME not in strs:
                why.append("the JSON lost the non-UTF-8 name (expected %r)"
                           % BAD_UTF8_NAME)
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why),
                          r.stderr)
    finally:
        ctx.done(d)


def run_ignores_earlier_runs_logs(ctx):
    """A kept --log-dir holding an earlier run's logs whose pid repeats
    (always so in a fresh container) does not give a clean program that
    run's finding: copies of a cycle log are planted under the names that
    run's pid-only prefix gave (lockhound.runPID.*.log) for the next pids,
    then a clean program runs there and must come out clean, with its own
    log only."""
    name = "run_ignores_earlier_runs_logs"
    cyc = os.path.join(ctx.progdir, "abba_two_threads")
    clean = os.path.join(ctx.progdir, "abba_two_threads_clean")
    for p in (cyc, clean):
        if not os.access(p, os.X_OK):
            return rt.Outcome(name, "fail", "%s not built" % p)
    d = ctx.tmpdir(name)
    try:
        first = os.path.join(d, "first")
        kept = os.path.join(d, "kept")
        os.mkdir(first)
        os.mkdir(kept)
        r = rt.run_cmd([ctx.lockhound, "run", "--log-dir", first, "--", cyc],
                       60, d, rt.base_env())
        logs = rt._find_logs(first)
        if r.rc != rt.FINDINGS_EXIT or len(logs) != 1:
            return rt.Outcome(name, "fail", "the cycle run gave %s and %d logs"
                              % (rt.describe_rc(r.rc), len(logs)), r.stderr)
        try:
            with open("/proc/sys/kernel/ns_last_pid") as f:
                last = int(f.read())
        except (OSError, ValueError):
            return rt.Outcome(name, "skip", "no /proc/sys/kernel/ns_last_pid")
        # the pids the next run (and its program) will likely get; hard
        # links, so thousands cost nothing
        for pid in range(last + 1, last + 3000):
            os.link(logs[0], os.path.join(kept, "lockhound.run%d.%d.log"
                                          % (pid, pid + 1)))
        out = os.path.join(d, "report.json")
        r = rt.run_cmd([ctx.lockhound, "run", "--log-dir", kept, "--json",
                        out, "--", clean], 60, d, rt.base_env())
        why = []
        if r.timed_out or r.rc != 0:
            why.append("the clean program's run: %s (expected exit 0)"
                       % ("timed out" if r.timed_out
                          else rt.describe_rc(r.rc)))
        doc, err = rt._load_json(out)
        if doc is None:
            why.append("no JSON report: %s" % err)
        else:
            if doc.get("findings"):
                why.append("%d findings of another run"
                           % len(doc["findings"]))
            if len(doc.get("logs", [])) != 1:
                why.append("%d logs analyzed, expected the run's one"
                           % len(doc.get("logs", [])))
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why),
                          r.stderr)
    finally:
        ctx.done(d)


REPLACE_LOG_C = r"""
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* argv[1]: the log's path without ".PID.log"; argv[2]: fifo | file.
 * Closes every descriptor (the shim's log too), removes the log and puts a
 * FIFO or a file of its own at its name, then records a new lock order. */
int main(int argc, char **argv)
{
	static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
	char path[4096];
	int fd;

	if (argc != 3)
		return 2;
	snprintf(path, sizeof(path), "%s.%d.log", argv[1], (int)getpid());
	pthread_mutex_lock(&a);
	pthread_mutex_lock(&b);
	pthread_mutex_unlock(&b);
	pthread_mutex_unlock(&a);
	for (fd = 3; fd < 4096; fd++)
		close(fd);
	if (unlink(path) != 0) {
		perror(path);
		return 3;
	}
	if (!strcmp(argv[2], "fifo")) {
		if (mkfifo(path, 0666) != 0)
			return 4;
	} else {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, "PLANTED\n", 8) != 8)
			return 5;
		close(fd);
	}
	pthread_mutex_lock(&b);
	pthread_mutex_lock(&a);
	pthread_mutex_unlock(&a);
	pthread_mutex_unlock(&b);
	return 0;
}
"""


def shim_reopen_keeps_exclusive(ctx):
    """The shim reopens its log by name when the program closed its
    descriptor; that reopen keeps the creation's O_EXCL/O_NOFOLLOW
    guarantees: a FIFO put at the log's name after a removal neither
    blocks the program nor gets records, a file put there is left as it
    was."""
    name = "shim_reopen_keeps_exclusive"
    d = ctx.tmpdir(name)
    try:
        src = os.path.join(d, "replace_log.c")
        prog = os.path.join(d, "replace_log")
        with open(src, "w") as f:
            f.write(REPLACE_LOG_C)
        r = rt.run_cmd(["cc", "-O1", "-pthread", "-o", prog, src], 120, d,
                       rt.base_env())
        if r.rc != 0:
            return rt.Outcome(name, "fail", "cannot build the program",
                              r.stderr)
        why = []
        for kind in ("fifo", "file"):
            logdir = os.path.join(d, kind)
            os.mkdir(logdir)
            env = rt.base_env()
            env["LD_PRELOAD"] = os.path.abspath(ctx.shim)
            env["LOCKHOUND_OPTIONS"] = "log_dir=%s:log_prefix=lh:quiet=1" % logdir
            r = rt.run_cmd([prog, os.path.join(logdir, "lh"), kind], 20, d, env)
            if r.timed_out:
                why.append("%s: the program hung (the shim opened the %s "
                           "at its log's name)" % (kind, kind))
                continue
            if r.rc != 0:
                why.append("%s: the program exited %s" % (kind, rt.describe_rc(r.rc)))
            planted = [p for p in os.listdir(logdir) if p.startswith("lh.")]
            if kind == "file":
                for p in planted:
                    with open(os.path.join(logdir, p), "rb") as f:
                        data = f.read()
                    if data != b"PLANTED\n":
                        why.append("file: the shim wrote %d bytes into a file "
                                   "it did not create" % (len(data) - 8))
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why))
    finally:
        ctx.done(d)


def report_huge_log_bounded(ctx):
    """A 2 GB log (a valid header, then zeros: a sparse file) is refused
    at its first bad record with one line, under a 256 MB data limit and
    in seconds: the reader maps the file instead of reading it whole."""
    name = "report_huge_log_bounded"
    d = ctx.tmpdir(name)
    try:
        path = os.path.join(d, "huge.log")
        with open(path, "wb") as f:
            f.write(rt._log_header(1))
            f.truncate(2 << 30)

        def limit():
            resource.setrlimit(resource.RLIMIT_DATA, (256 << 20, 256 << 20))

        t0 = time.monotonic()
        try:
            p = subprocess.run([ctx.lockhound, "report", path], cwd=d,
                               env=rt.base_env(), capture_output=True,
                               timeout=60, preexec_fn=limit)
        except subprocess.TimeoutExpired:
            return rt.Outcome(name, "fail", "report timed out")
        took = time.monotonic() - t0
        err = p.stderr.decode("utf-8", "replace")
        why = []
        if p.returncode <= 0 or p.returncode >= 128:
            why.append("expected a nonzero exit below 128, got %s"
                       % rt.describe_rc(p.returncode))
        if not rt._one_line_error(err):
            why.append("expected a one-line error, got %r" % err[:300])
        if "out of memory" in err:
            why.append("the reader ran out of memory: %r" % err.strip())
        if took > 20:
            why.append("took %.1f s" % took)
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why), err)
    finally:
        ctx.done(d)


def symbolize_fifo_debuglink(ctx):
    """A program whose .gnu_debuglink names a FIFO (planted next to it)
    is still reported: symbolization does not open the FIFO and hang."""
    name = "symbolize_fifo_debuglink"
    prog = os.path.join(ctx.progdir, "abba_two_threads")
    tools = [shutil.which(t) for t in ("objcopy", "strip")]
    if not all(tools):
        return rt.Outcome(name, "skip", "no objcopy/strip")
    objcopy, strip = tools
    d = ctx.tmpdir(name)
    try:
        exe = os.path.join(d, "abba_linked")
        dbg = exe + ".debug"
        shutil.copy(prog, exe)
        for argv in ([objcopy, "--only-keep-debug", exe, dbg],
                     [strip, "--strip-debug", exe],
                     [objcopy, "--add-gnu-debuglink=" + dbg, exe]):
            c = rt.run_cmd(argv, 60, d, rt.base_env())
            if c.rc != 0:
                return rt.Outcome(name, "fail", "%s failed" % argv[0], c.stderr)
        os.unlink(dbg)
        os.mkfifo(dbg)
        out = os.path.join(d, "r.json")
        r = rt.run_cmd([ctx.lockhound, "run", "--json", out, "--", exe], 30,
                       d, rt.base_env())
        why = []
        if r.timed_out:
            why.append("run hung (symbolization opened the FIFO)")
        elif r.rc != rt.FINDINGS_EXIT:
            why.append("expected exit %d, got %s"
                       % (rt.FINDINGS_EXIT, rt.describe_rc(r.rc)))
        else:
            doc, err = rt._load_json(out)
            if doc is None:
                why.append("no JSON report: %s" % err)
            elif len(doc.get("findings", [])) != 1:
                why.append("expected 1 finding, got %d"
                           % len(doc.get("findings", [])))
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why),
                          r.stderr)
    finally:
        ctx.done(d)


MAIN_EXIT_C = r"""
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static void *worker(void *arg)
{
	return arg;
}

/* starts a thread (and so the shim's watchdog), joins it, prints the
 * monotonic time and ends main with pthread_exit */
int main(void)
{
	pthread_t t;
	struct timespec ts;

	if (pthread_create(&t, NULL, worker, NULL) || pthread_join(t, NULL))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
	fflush(stdout);
	pthread_exit(NULL);
}
"""


def shim_main_pthread_exit_prompt(ctx):
    """After pthread_exit from main (its last thread), the process ends at
    once instead of when the watchdog's tick (250 ms) runs out: the median
    of three runs, from main's exit to the process's end, is under 100 ms."""
    name = "shim_main_pthread_exit_prompt"
    d = ctx.tmpdir(name)
    try:
        src = os.path.join(d, "main_exit.c")
        prog = os.path.join(d, "main_exit")
        with open(src, "w") as f:
            f.write(MAIN_EXIT_C)
        r = rt.run_cmd(["cc", "-O1", "-pthread", "-o", prog, src], 120, d,
                       rt.base_env())
        if r.rc != 0:
            return rt.Outcome(name, "fail", "cannot build the program", r.stderr)
        env = rt.base_env()
        env["LD_PRELOAD"] = os.path.abspath(ctx.shim)
        env["LOCKHOUND_OPTIONS"] = "log_dir=%s:quiet=1" % d
        lags, why = [], []
        for _ in range(3):
            p = subprocess.Popen([prog], stdout=subprocess.PIPE, env=env, cwd=d)
            try:
                out, _ = p.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
                return rt.Outcome(name, "fail", "the program hung")
            end = time.monotonic()
            if p.returncode != 0:
                why.append("exit %s" % rt.describe_rc(p.returncode))
                break
            lags.append(end - float(out.decode().strip()))
        if lags:
            lags.sort()
            med = lags[len(lags) // 2]
            if med > 0.1:
                why.append("the process lingered %.0f ms (median of %s) after "
                           "main's pthread_exit" % (med * 1000,
                                                    ["%.0f" % (x * 1000) for x in lags]))
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why))
    finally:
        ctx.done(d)


DAEMON_C = r"""
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* a daemonizing program: the child detaches (setsid) and, after its parent
 * has exited, takes two locks in both orders (a lock-order cycle) */
int main(void)
{
	static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
	pid_t p = fork();

	if (p < 0)
		return 1;
	if (p > 0)
		return 0;
	setsid();
	usleep(300000); /* the parent is gone by then */
	pthread_mutex_lock(&a);
	pthread_mutex_lock(&b);
	pthread_mutex_unlock(&b);
	pthread_mutex_unlock(&a);
	pthread_mutex_lock(&b);
	pthread_mutex_lock(&a);
	pthread_mutex_unlock(&a);
	pthread_mutex_unlock(&b);
	return 0;
}
"""


def run_waits_for_daemon_child(ctx):
    """A child that outlives the program (a daemonizing server) keeps its
    log and its finding: run waits for every process of the run, says so,
    and reports the child's lock-order cycle (exit 66)."""
    name = "run_waits_for_daemon_child"
    d = ctx.tmpdir(name)
    try:
        src = os.path.join(d, "daemon.c")
        prog = os.path.join(d, "daemon")
        with open(src, "w") as f:
            f.write(DAEMON_C)
        r = rt.run_cmd(["cc", "-O0", "-g", "-pthread", "-o", prog, src], 120,
                       d, rt.base_env())
        if r.rc != 0:
            return rt.Outcome(name, "fail", "cannot build the program", r.stderr)
        out = os.path.join(d, "r.json")
        r = rt.run_cmd([ctx.lockhound, "run", "--json", out, "--", prog], 60,
                       d, rt.base_env())
        why = []
        if r.timed_out or r.rc != rt.FINDINGS_EXIT:
            why.append("expected exit %d, got %s" % (
                rt.FINDINGS_EXIT, "a time-out" if r.timed_out
                else rt.describe_rc(r.rc)))
        if "outlived" not in r.stderr:
            why.append("run does not say it waited for a process that "
                       "outlived the program")
        doc, err = rt._load_json(out)
        if doc is None:
            why.append("no JSON report: %s" % err)
        else:
            kinds = [f.get("kind") for f in doc.get("findings", [])]
            if kinds != ["lock-order-cycle"]:
                why.append("findings %r, expected the child's cycle" % kinds)
            if len(doc.get("logs", [])) != 2:
                why.append("%d logs, expected 2" % len(doc.get("logs", [])))
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why),
                          r.stderr)
    finally:
        ctx.done(d)


def run_forwards_sigterm(ctx):
    """A SIGTERM sent to `lockhound run`'s pid alone (kill PID, a service
    manager's stop) reaches the program, which stops the way it does
    natively (exit 0, its own output), and a report follows: run neither
    dies of it nor leaves the program running."""
    name = "run_forwards_sigterm"
    prog = os.path.join(ctx.progdir, "run_forwards_sigterm_clean")
    if not os.access(prog, os.X_OK):
        return rt.Outcome(name, "fail", "%s not built" % prog)
    d = ctx.tmpdir(name)
    p = None
    try:
        out = os.path.join(d, "r.json")
        p = subprocess.Popen([ctx.lockhound, "run", "--json", out, "--", prog, "wait"],
                             cwd=d, env=rt.base_env(), stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True)
        ready, _, _ = select.select([p.stdout], [], [], 30)
        first = p.stdout.readline().decode(errors="replace") if ready else ""
        if first != "ready\n":
            return rt.Outcome(name, "fail", "the program did not say ready (%r)" % first)
        os.kill(p.pid, signal.SIGTERM)  # run's pid, not its process group
        try:
            rest, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            rest, err = p.communicate()
            return rt.Outcome(name, "fail", "run did not end after SIGTERM",
                              err.decode(errors="replace"))
        err = err.decode(errors="replace")
        why = []
        if p.returncode != 0:
            why.append("expected exit 0 (the program's), got %s" % rt.describe_rc(p.returncode))
        if b"got SIGTERM" not in rest:
            why.append("the program did not get the SIGTERM (stdout %r)" % rest[-200:])
        doc, jerr = rt._load_json(out)
        if doc is None:
            why.append("no JSON report: %s" % jerr)
        elif doc.get("findings"):
            why.append("findings %r on a clean program"
                       % [f.get("kind") for f in doc["findings"]])
        return rt.Outcome(name, "fail" if why else "pass", "; ".join(why), err)
    finally:
        if p is not None and p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            p.wait()
        ctx.done(d)


HARDENING_TESTS = {
    "run_forwards_sigterm": run_forwards_sigterm,
    "run_waits_for_daemon_child": run_waits_for_daemon_child,
    "shim_main_pthread_exit_prompt": shim_main_pthread_exit_prompt,
    "symbolize_fifo_debuglink": symbolize_fifo_debuglink,
    "report_huge_log_bounded": report_huge_log_bounded,
    "shim_reopen_keeps_exclusive": shim_reopen_keeps_exclusive,
    "run_ignores_earlier_runs_logs": run_ignores_earlier_runs_logs,
    "report_escapes_program_strings": report_escapes_program_strings,
    "report_fifo_log": report_fifo_log,
    "run_keeps_debuginfod_urls": run_keeps_debuginfod_urls,
}


def register(run_tests_module):
    global rt
    rt = run_tests_module
    return HARDENING_TESTS
