#!/usr/bin/env python3
"""bench.py - run the lockhound benchmarks and write bench/RESULTS.md.

Started by bench/run.sh (which installs packages and builds the programs
into build/bench/).  Python standard library only.

What it runs (see bench/README.md for the why):
  * microbenchmarks (bench/micro/*.c) and two real programs from Debian
    packages (pigz, memcached), each under every configuration:
        native, lockhound (races=0), lockhound (default), helgrind, drd,
        and the gcc -fsanitize=thread build (microbenchmarks only);
    configurations are interleaved: every repetition runs each of them once
    (the fast ones in a rotating order, valgrind last), BENCH_RUNS times;
  * growth: the same programs 10x longer, native and lockhound (default):
    log size and the shim's memory must not grow 10x;
  * shim memory and log bytes per lock-order edge (manyedges);
  * the analyzer on large generated logs (bench/genlog.c);
  * exact mode: each workload built natively, with gcc's and clang's
    ThreadSanitizer and with `lockhound cc` (gcc and clang) by
    bench/exact_build.py, run interleaved; time, peak RSS, races reported,
    lockhound against TSan, and perf profiles (exact_section).
Nothing asserts anything about time: the targets are reported met / not met.
The harness's own rules are tested by bench/selftest.py (make check).

Environment:
  BENCH_RUNS       repetitions per configuration (5)
  BENCH_THREADS    threads of the microbenchmarks (4)
  BENCH_PIGZ_THREADS  pigz -p (4)
  BENCH_MC_THREADS memcached -t (4); BENCH_MC_CONNS client connections (4)
  BENCH_MC_KEYS    memcached keys (50000); BENCH_MC_ROUNDS rounds (2):
                   each round sets every key then gets it back
  BENCH_MCMIX_KEYS, BENCH_MCMIX_OPS, BENCH_MCMIX_MB  memcached-mix: a
                   set-heavy load (mcload mix: half sets, half gets, random
                   keys of 16-64 bytes, values of 16-1200 bytes) of OPS
                   operations (200000) over KEYS keys (100000), memcached
                   -m MB (64: it evicts)
  BENCH_PIGZ_MB    size of the generated pigz input (64)
  BENCH_TIMEOUT    cap of a helgrind/drd run, seconds (120)
  BENCH_RUN_TIMEOUT  cap of a native, lockhound or tsan run of the main
                   tables, seconds (300): a run stopped there (a hang) is
                   noted, keeps its log in bench/work/failed/ and is not
                   repeated
  BENCH_VG_FACTOR  a helgrind/drd run is stopped after this many times the
                   reference run of the same repetition (60): lockhound
                   (default) for microbenchmarks, so a timeout still proves
                   "more than 60x slower than lockhound"; native for the
                   real programs
  BENCH_VG_FLOOR   but never before this many seconds (20)
  BENCH_SLOW       a helgrind/drd/tsan configuration whose first run takes
                   longer than this (s) is not repeated (5)
  BENCH_GROWTH_RUNS  runs per configuration in the growth section (1)
  BENCH_GROWTH_TIMEOUT  cap of one growth run, seconds (360)
  BENCH_GROWTH_ONLY  comma-separated benchmarks of the growth section
                   (default: every benchmark of the main tables)
  BENCH_GROWTH_CFG the lockhound configuration of the growth section: lh0
                   (races=0, the default: lock-order recording, issue 11's
                   growth target) or lh (default configuration)
  BENCH_ANALYZER_RUNS  runs per generated log (3)
  BENCH_ONLY       comma-separated benchmark names to run (default all)
  BENCH_SKIP       comma-separated sections to skip: main, growth, edges,
                   analyzer, exact (with main skipped, only the exact-mode
                   block of BENCH_OUT is replaced)
  BENCH_EXACT_RUNS repetitions in the exact-mode section (BENCH_RUNS)
  BENCH_EXACT_TIMEOUT  cap of one exact-mode run, seconds (300)
  BENCH_EXACT_SLOW a build whose first run takes longer (s) is not repeated (30)
  BENCH_EXACT_PROFILE  perf profiles of the worst microbenchmark (1)
  BENCH_EXACT_PROFILE_S  seconds of a microbenchmark's run that are sampled (15)
  BENCH_EXACT_BUDGET  seconds for the exact-mode runs; past them no new
                   repetition starts and no profile is taken (0: no limit)
  BENCH_STAGES     a file (bench/run.sh's stage table) to which each
                   section's start, end and load averages are appended
                   (bench/stages.py)
  BENCH_OUT        where to write the markdown (bench/RESULTS.md); the
                   blocks other scripts write there between their markers
                   (sampled.py, analyzer_stress.py, python_bench.py, the
                   run's stage table, the exact-mode block when exact mode
                   did not run) are kept as they were, each with its date;
                   so is the `race watching cost` block of another host
                   kind (hostkind.py): this session writes its own host
                   kind's (the default and races=0 columns, race watching
                   alone, issue 10's cost targets)
"""

import datetime
import gzip
import hashlib
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostkind  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BUILD = os.path.join(ROOT, "build")
BB = os.path.join(BUILD, "bench")
WORK = os.path.join(HERE, "work")
SHIM = os.path.join(BUILD, "liblockhound.so")
LOCKHOUND = os.path.join(BUILD, "lockhound")
RUSAGE = os.path.join(BB, "rusage")
SHIM_SHA = None
TRAPCOST = os.path.join(BB, "trapcost")
# the block of the race watching cost with the defaults, one per host kind
# (hostkind.py): its numbers depend on the trap sources that work here
COST_NAME = "race watching cost"


def env_int(name, default):
    v = os.environ.get(name, "")
    return int(v) if v.strip() else default


def env_float(name, default):
    v = os.environ.get(name, "")
    return float(v) if v.strip() else default


RUNS = max(1, env_int("BENCH_RUNS", 5))
THREADS = env_int("BENCH_THREADS", 4)
PIGZ_THREADS = env_int("BENCH_PIGZ_THREADS", 4)
PIGZ_MB = env_int("BENCH_PIGZ_MB", 64)
MC_THREADS = env_int("BENCH_MC_THREADS", 4)
MC_CONNS = env_int("BENCH_MC_CONNS", 4)
MC_KEYS = env_int("BENCH_MC_KEYS", 50000)
MC_ROUNDS = env_int("BENCH_MC_ROUNDS", 2)
MCMIX_KEYS = env_int("BENCH_MCMIX_KEYS", 100000)
MCMIX_OPS = env_int("BENCH_MCMIX_OPS", 200000)
MCMIX_MB = env_int("BENCH_MCMIX_MB", 64)
TIMEOUT = env_float("BENCH_TIMEOUT", 120)
RUN_TIMEOUT = env_float("BENCH_RUN_TIMEOUT", 300)
VG_FACTOR = env_float("BENCH_VG_FACTOR", 60)
VG_FLOOR = env_float("BENCH_VG_FLOOR", 20)
SLOW = env_float("BENCH_SLOW", 5)
GROWTH_RUNS = max(1, env_int("BENCH_GROWTH_RUNS", 1))
GROWTH_TIMEOUT = env_float("BENCH_GROWTH_TIMEOUT", 360)
GROWTH_ONLY = [s for s in os.environ.get("BENCH_GROWTH_ONLY", "").split(",") if s]
GROWTH_CFG = os.environ.get("BENCH_GROWTH_CFG", "lh0")
if GROWTH_CFG not in ("lh0", "lh"):
    sys.exit("bench.py: BENCH_GROWTH_CFG must be lh0 or lh, not %r" % GROWTH_CFG)
ANALYZER_RUNS = max(1, env_int("BENCH_ANALYZER_RUNS", 3))
ONLY = [s for s in os.environ.get("BENCH_ONLY", "").split(",") if s]
SKIP = [s for s in os.environ.get("BENCH_SKIP", "").split(",") if s]
OUT = os.environ.get("BENCH_OUT") or os.path.join(HERE, "RESULTS.md")
STAGES = os.environ.get("BENCH_STAGES", "")
GROWTH = 10  # the "10x longer" factor

CONFIGS = ["native", "lh0", "lh", "helgrind", "drd", "tsan"]
LABEL = {
    "native": "native",
    "lh0": "lockhound (races=0)",
    "lh": "lockhound (default)",
    "helgrind": "helgrind",
    "drd": "drd",
    "tsan": "tsan (gcc -fsanitize=thread)",
}
FAST = ["native", "lh0", "lh", "tsan"]  # rotated each repetition
VALGRIND = ["helgrind", "drd"]  # last in every repetition

# The exact-mode section (exact_section): every workload built five ways by
# bench/exact_build.py, which writes build/bench/exact/builds.json.
RACE_EXIT = 66  # exit status of a run that reported races (TSan's and lockhound's default)
X_CONFIGS = ["native", "tsan-gcc", "tsan-clang", "lh-gcc", "lh-clang"]
X_TSAN = ["tsan-gcc", "tsan-clang"]
X_LH = ["lh-gcc", "lh-clang"]
X_DETECTORS = X_TSAN + X_LH
X_PEER = {"lh-gcc": "tsan-gcc", "lh-clang": "tsan-clang"}  # same compiler, same instrumentation
X_LABEL = {"native": "native (gcc -O2)", "tsan-gcc": "gcc TSan", "tsan-clang": "clang TSan",
           "lh-gcc": "lockhound cc (gcc)", "lh-clang": "lockhound cc (clang)"}
X_JSON = os.path.join(BB, "exact", "builds.json")
X_RUNS = max(1, env_int("BENCH_EXACT_RUNS", RUNS))
X_TIMEOUT = env_float("BENCH_EXACT_TIMEOUT", 300)
X_SLOW = env_float("BENCH_EXACT_SLOW", 30)
X_PROFILE = env_int("BENCH_EXACT_PROFILE", 1)
X_PROFILE_S = env_int("BENCH_EXACT_PROFILE_S", 15)  # seconds a microbenchmark is sampled
X_BUDGET = env_float("BENCH_EXACT_BUDGET", 0)  # s; past it no new repetition starts (0: none)
X_BEGIN = "<!-- exact-mode section: begin -->"
X_END = "<!-- exact-mode section: end -->"

MICROS = [
    ("uncontended", "lock/unlock of a private mutex, 40M pairs"),
    ("nested", "private A then private B, 20M rounds"),
    ("itemlru", "one of 4096 item locks, then one of 16 LRU locks, 8M rounds"),
    ("contended", "one mutex shared by all threads, 8M sections"),
    ("rwlock", "rwlock, read-mostly (1 write in 64), 8M acquisitions"),
    ("condvar", "cond-var ping-pong between thread pairs, 100k hand-overs"),
    ("churn", "4000 short threads created and joined (nested A->B each)"),
    ("compute", "compute loop over 4 MiB of shared data, 768 passes"),
]
REALS = [
    ("pigz", "pigz -p %d compressing %d MiB of generated data" % (PIGZ_THREADS, PIGZ_MB)),
    ("memcached", "memcached -t %d, %d set + %d get over 127.0.0.1 (%d conns)"
     % (MC_THREADS, MC_KEYS * MC_ROUNDS, MC_KEYS * MC_ROUNDS, MC_CONNS)),
    ("memcached-mix", "memcached -t %d -m %d, set-heavy: %d ops, half sets, %d random keys "
     "of 16-64 B, values 16-1200 B (%d conns)"
     % (MC_THREADS, MCMIX_MB, MCMIX_OPS, MCMIX_KEYS, MC_CONNS)),
]

notes = []  # problems worth a line in RESULTS.md


def log(msg):
    print("bench: " + msg, flush=True)


def note(msg):
    notes.append(msg)
    log("note: " + msg)


# ---------------------------------------------------------------- running

class Run:
    """One process run: wall time, peak RSS (KiB), exit code, timeout."""

    def __init__(self, wall, rss_kb, rc, timed_out, timeout=None):
        self.wall = wall
        self.rss_kb = rss_kb
        self.rc = rc
        self.timed_out = timed_out
        self.timeout = timeout
        self.ok = (rc == 0 and not timed_out)
        self.why = ""  # why it is not ok
        self.log_bytes = None
        self.log_path = None
        self.stderr_path = None  # the program's stderr (the server's for memcached)
        self.race_exit = False  # an exact-mode detector exited RACE_EXIT (it reported races)


def clean_env():
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "LOCKHOUND_OPTIONS", "TSAN_OPTIONS"):
        env.pop(k, None)
    env["LC_ALL"] = "C"
    return env


def config_env(cfg, logdir=None):
    """the variables a configuration adds to the program's environment"""
    env = {}
    if cfg in ("lh0", "lh"):
        env["LD_PRELOAD"] = SHIM
        opts = "log_dir=%s:quiet=1" % logdir
        if cfg == "lh0":
            opts += ":races=0"
        env["LOCKHOUND_OPTIONS"] = opts
    elif cfg in X_LH and logdir:
        # a `lockhound cc` program runs on its own: only its log goes
        # elsewhere; its at-exit report (stderr) is part of what it costs
        env["LOCKHOUND_OPTIONS"] = "log_dir=%s" % logdir
    return env


def exit_ok(cfg, r):
    """a run's exit status counts as success: 0, or RACE_EXIT from a race
    detector of the exact-mode section (it found races: counted apart)"""
    if r.rc == RACE_EXIT and cfg in X_DETECTORS and not r.timed_out:
        r.race_exit = True
        r.ok = True
    return r.rc == 0 or r.race_exit


def valgrind_prefix(cfg):
    if cfg in VALGRIND:
        return ["valgrind", "--tool=" + cfg, "-q"]
    return []


def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


_rusage_seq = [0]


def spawn(argv, extra_env=None, stdout=None, stderr=None):
    """start argv under build/bench/rusage (peak RSS of the program itself,
    not inflated by this python process it is forked from), with extra_env
    set for the program only"""
    _rusage_seq[0] += 1
    rfile = os.path.join(WORK, "rusage.%d" % _rusage_seq[0])
    full = [RUSAGE, rfile]
    for k, v in (extra_env or {}).items():
        full += ["-e", "%s=%s" % (k, v)]
    p = subprocess.Popen(full + ["--"] + argv, env=clean_env(), stdin=subprocess.DEVNULL,
                         stdout=stdout if stdout is not None else subprocess.DEVNULL,
                         stderr=stderr if stderr is not None else subprocess.DEVNULL,
                         start_new_session=True)
    p.rfile = rfile
    _active.add(p.pid)
    return p


_active = set()  # process groups running now: killed if we are stopped


def _on_signal(sig, _frame):
    for pid in list(_active):
        _kill_group(pid)
    raise SystemExit(128 + sig)


def reap(p, timeout=None, t0=None):
    """wait for p with wait4 (its own rusage), killing its process group
    after timeout seconds; returns a Run"""
    fired = []
    timer = None
    if timeout:
        def fire():
            fired.append(1)
            _kill_group(p.pid)
        timer = threading.Timer(timeout, fire)
        timer.daemon = True
        timer.start()
    while True:
        try:
            _, status, ru = os.wait4(p.pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:  # reaped elsewhere: no usage known
            if timer:
                timer.cancel()
            _active.discard(p.pid)
            p.returncode = p.returncode if p.returncode is not None else -1
            return Run(time.monotonic() - (t0 or 0), 0, p.returncode, bool(fired), timeout)
    wall = time.monotonic() - (t0 if t0 is not None else 0)
    if timer:
        timer.cancel()
    _active.discard(p.pid)
    p.returncode = os.waitstatus_to_exitcode(status)
    rss, rc = 0, p.returncode
    try:
        with open(p.rfile) as f:
            a, b = f.read().split()
        rss, rc = int(a), int(b)
        os.unlink(p.rfile)
    except (OSError, ValueError):
        pass  # killed before it could write
    return Run(wall, rss, rc, bool(fired), timeout)


def run_proc(argv, extra_env=None, timeout=None, stdout=None, stderr=None):
    t0 = time.monotonic()
    p = spawn(argv, extra_env, stdout, stderr)
    return reap(p, timeout, t0)


def tail(path, n=3):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").strip().splitlines()
        return " | ".join(lines[-n:])
    except OSError:
        return ""


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def logs_in(d):
    if not d or not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".log"))


def log_size(d):
    """total bytes of the lockhound logs in d, and the largest log"""
    files = logs_in(d)
    if not files:
        return None, None
    sizes = [(os.path.getsize(f), f) for f in files]
    return sum(s for s, _ in sizes), max(sizes)[1]


def log_stats(path):
    """record counts of a lockhound log, by type (include/lockhound_log.h),
    and the text of its notes (warnings such as a limit reached)"""
    names = {3: "stacks", 4: "threads", 7: "locks", 8: "edges", 2: "modules", 9: "findings",
             10: "end", 12: "races"}
    counts = {v: 0 for v in names.values()}
    counts["notes"] = []
    try:
        with open(path, "rb") as f:
            data = f.read()
        off = struct.unpack_from("<I", data, 12)[0]
        while off + 8 <= len(data):
            typ, _flags, size = struct.unpack_from("<HHI", data, off)
            if typ == 0:  # a mapped log's unwritten tail (LH_HDR_MAPPED)
                break
            if typ in names:
                counts[names[typ]] += 1
            elif typ == 16:  # LH_REC_EDGE_PAIR (format 4): an edge in a context
                counts["edges"] += 1
            elif typ in (18, 19) and size >= 28:
                # LH_REC_CLS_MAP / LH_REC_CLS_TUPLE (format 5): a set bit of
                # the bitmap at payload offset bits_off is one order (a
                # tuple's bit: n_part - 1 of them)
                w = struct.unpack_from("<7I", data, off + 8)
                n_rows, n_from, bits_off = w[4], w[5], w[6]  # the same fields in both
                bits = data[off + 8 + bits_off:off + 8 + bits_off + n_rows * n_from // 8]
                per_bit = max(1, w[0] - 1) if typ == 19 else 1
                counts["edges"] += per_bit * sum(bin(b).count("1") for b in bits)
            elif typ == 11 and size > 8:  # LH_REC_NOTE: level, len, text
                counts["notes"].append(
                    data[off + 16:off + 8 + size].split(b"\0")[0].decode("utf-8", "replace"))
            off += 8 + size
    except (OSError, struct.error):
        return None
    return counts


def analyze_log(path, output="/dev/null"):
    """time `lockhound report` on a log; returns a Run (rc 0 or 66 is ok)"""
    r = run_proc([LOCKHOUND, "report", "--format", "json", "--output", output, path],
                 None, timeout=600,
                 stderr=open(os.path.join(WORK, "analyzer.err"), "wb"))
    r.ok = r.rc in (0, 66) and not r.timed_out
    if not r.ok:
        r.why = "analyzer rc=%d %s" % (r.rc, tail(os.path.join(WORK, "analyzer.err")))
    return r


# ------------------------------------------------------------- benchmarks

def have_valgrind():
    return shutil.which("valgrind") is not None


def tsan_bin(name):
    return os.path.join(BB, "tsan", name)


class Bench:
    """A benchmark: knows how to run itself once under a configuration."""
    kind = "micro"

    def __init__(self, name, desc):
        self.name = name
        self.desc = desc
        self.reference_out = None  # what a correct run prints / produces
        self.skip = {}  # cfg -> reason the column is empty
        self.exes = {}  # cfg -> the program built for it (exact-mode section)

    def configs(self):
        return CONFIGS

    def prepare(self):
        return True

    def cleanup(self):
        pass


class Micro(Bench):
    kind = "micro"

    def prepare(self):
        if not os.access(os.path.join(BB, self.name), os.X_OK):
            return False
        if not have_valgrind():
            for c in VALGRIND:
                self.skip[c] = "valgrind not installed"
        if not os.access(tsan_bin(self.name), os.X_OK):
            self.skip["tsan"] = "no tsan build"
        return True

    def run(self, cfg, scale=1, timeout=None, logdir=None):
        exe = self.exes.get(cfg) or (tsan_bin(self.name) if cfg == "tsan"
                                     else os.path.join(BB, self.name))
        argv = valgrind_prefix(cfg) + [exe, str(THREADS)] + ([str(scale)] if scale > 1 else [])
        out = os.path.join(WORK, "stdout")
        err = os.path.join(WORK, "stderr")
        with open(out, "wb") as fo, open(err, "wb") as fe:
            r = run_proc(argv, config_env(cfg, logdir), timeout=timeout, stdout=fo, stderr=fe)
        r.stderr_path = err
        with open(out, "rb") as f:
            text = f.read().decode("utf-8", "replace").strip()
        if r.timed_out:
            r.why = "timeout"
        elif not exit_ok(cfg, r):
            r.why = "rc=%d %s" % (r.rc, tail(err))
        elif scale == 1:
            if cfg == "native" and self.reference_out is None:
                self.reference_out = text
            elif self.reference_out is not None and text != self.reference_out:
                r.ok = False
                r.why = "output differs: %r vs native %r" % (text, self.reference_out)
        return r


class Pigz(Bench):
    kind = "real"

    def configs(self):
        return [c for c in CONFIGS if c != "tsan"]

    def prepare(self):
        if not shutil.which("pigz"):
            return False
        self.skip["tsan"] = "needs a rebuild of the package"
        if not have_valgrind():
            for c in VALGRIND:
                self.skip[c] = "valgrind not installed"
        self.input = os.path.join(WORK, "pigz-input.dat")
        gen_semi_compressible(self.input, PIGZ_MB)
        with open(self.input, "rb") as f:
            self.input_sha = hashlib.sha256(f.read()).hexdigest()
        return True

    def run(self, cfg, scale=1, timeout=None, logdir=None):
        inputs = [self.input] * scale
        out = os.path.join(WORK, "pigz-out.gz")
        err = os.path.join(WORK, "stderr")
        argv = valgrind_prefix(cfg) + [self.exes.get(cfg, "pigz"), "-c", "-6", "-p",
                                       str(PIGZ_THREADS)] + inputs
        with open(out, "wb") as fo, open(err, "wb") as fe:
            r = run_proc(argv, config_env(cfg, logdir), timeout=timeout, stdout=fo, stderr=fe)
        r.stderr_path = err
        if r.timed_out:
            r.why = "timeout"
        elif not exit_ok(cfg, r):
            r.why = "rc=%d %s" % (r.rc, tail(err))
        elif scale == 1:
            with open(out, "rb") as f:
                sha = hashlib.sha256(f.read()).hexdigest()
            if cfg == "native" and self.reference_out is None:
                # check once that the native output really is the input
                h = hashlib.sha256()
                with gzip.open(out, "rb") as g:
                    for block in iter(lambda: g.read(1 << 20), b""):
                        h.update(block)
                if h.hexdigest() != self.input_sha:
                    note("pigz: native output does not decompress to the input")
                self.reference_out = sha
            elif self.reference_out is not None and sha != self.reference_out:
                r.ok = False
                r.why = "compressed output differs from native (sha256)"
        try:
            os.unlink(out)
        except OSError:
            pass
        return r

    def cleanup(self):
        try:
            os.unlink(self.input)
        except OSError:
            pass


def gen_semi_compressible(path, mib):
    """mib MiB of deterministic, semi-compressible data: 64 KiB blocks of
    8 KiB random bytes followed by 56 KiB of random words, blocks picked at
    random from 256 distinct ones (repeats are too far apart for deflate's
    32 KiB window to see)"""
    r = random.Random(20240601)
    words = ["".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(2, 10)))
             for _ in range(4096)]
    blocks = []
    for _ in range(256):
        text = " ".join(r.choices(words, k=9000)).encode()[: 65536 - 8192]
        blocks.append(r.randbytes(8192) + text)
    with open(path, "wb") as f:
        for _ in range(mib * 16):
            f.write(blocks[r.randrange(256)])


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_listening(port, proc, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        # has it exited?  (WNOWAIT: leave it for reap's wait4)
        if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def perf_attach(wrapper_pid, data, seconds=None, min_threads=1):
    """`perf record` attached to the program the rusage wrapper started,
    until SIGINT (or for that many seconds), once it runs min_threads
    threads (perf -p follows only the threads there when it attaches)"""
    try:
        with open("/proc/%d/task/%d/children" % (wrapper_pid, wrapper_pid)) as f:
            kids = f.read().split()
    except OSError:
        return None
    for _ in range(100):  # the wrapper forks at once: wait for its child
        if kids:
            break
        time.sleep(0.01)
        try:
            with open("/proc/%d/task/%d/children" % (wrapper_pid, wrapper_pid)) as f:
                kids = f.read().split()
        except OSError:
            return None
    if not kids:
        return None
    for _ in range(500):
        try:
            if len(os.listdir("/proc/%s/task" % kids[0])) >= min_threads:
                break
        except OSError:
            return None
        time.sleep(0.01)
    return subprocess.Popen(["perf", "record", "-q", "-F", "999", "-o", data, "-p", kids[0]] +
                            (["--", "sleep", str(seconds)] if seconds else []),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def mc_maxconns():
    """memcached sets both limits of RLIMIT_NOFILE to its -c; under valgrind
    that only works if -c is what valgrind reports as the hard limit (the
    real one minus the 12 descriptors valgrind keeps), so every
    configuration uses that value"""
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard > 1 << 20:
        hard = 1 << 20
    return max(64, hard - 12)


class Memcached(Bench):
    kind = "real"
    mix = False  # mcload's mode: check (set all, get all) or mix (set-heavy)

    def configs(self):
        return [c for c in CONFIGS if c != "tsan"]

    def prepare(self):
        if not shutil.which("memcached") or not os.access(os.path.join(BB, "mcload"), os.X_OK):
            return False
        self.skip["tsan"] = "needs a rebuild of the package"
        if not have_valgrind():
            for c in VALGRIND:
                self.skip[c] = "valgrind not installed"
        return True

    def run(self, cfg, scale=1, timeout=None, logdir=None, perf_data=None):
        """the server under cfg, the client (mcload) native; the time is the
        client's load phase (all connections open -> last reply); with
        perf_data, `perf record` samples the server during that phase"""
        port = free_port()
        argv = valgrind_prefix(cfg) + [
            self.exes.get(cfg, "memcached"), "-p", str(port), "-U", "0", "-l", "127.0.0.1",
            "-t", str(MC_THREADS), "-m", str(MCMIX_MB if self.mix else 256),
            "-c", str(mc_maxconns())]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]  # memcached refuses to run as root
        serr = os.path.join(WORK, "server.err")
        cout = os.path.join(WORK, "client.out")
        cerr = os.path.join(WORK, "client.err")
        with open(serr, "wb") as fe:
            server = spawn(argv, config_env(cfg, logdir), stdout=fe, stderr=fe)
        try:
            up = wait_listening(port, server, 120 if cfg in VALGRIND + X_DETECTORS else 30)
            c = None
            perf = None
            if up and perf_data:
                perf = perf_attach(server.pid, perf_data)
            if up:
                with open(cout, "wb") as fo, open(cerr, "wb") as fe:
                    if self.mix:  # OPS = KEYS * ROUNDS operations
                        load = [str(MCMIX_KEYS), str(max(1, MCMIX_OPS * scale // MCMIX_KEYS)),
                                "30", "mix"]
                    else:
                        load = [str(MC_KEYS), str(MC_ROUNDS * scale), "30"]
                    c = run_proc([os.path.join(BB, "mcload"), "127.0.0.1", str(port),
                                  str(MC_CONNS)] + load,
                                 None, timeout=timeout, stdout=fo, stderr=fe)
            if perf:
                perf.send_signal(signal.SIGINT)
                try:
                    perf.wait(60)
                except subprocess.TimeoutExpired:
                    perf.kill()
                    perf.wait()
        finally:
            try:
                os.kill(server.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            s = reap(server, 30)  # SIGKILL if it does not end in 30 s
        if c is None:
            r = Run(0.0, s.rss_kb, 1, False, timeout)
            r.why = "server did not start: %s" % tail(serr)
            return r
        with open(cout, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        m = re.search(r"elapsed=([0-9.]+)", text)
        r = Run(float(m.group(1)) if m else c.wall, s.rss_kb, c.rc, c.timed_out, timeout)
        r.stderr_path = serr
        r.race_exit = s.rc == RACE_EXIT and cfg in X_DETECTORS
        if c.timed_out:
            r.why = "timeout"
        elif c.rc != 0 or " ok " not in text:
            r.ok = False
            r.why = "client: %s %s; server exit status %d (after SIGTERM), stderr: %s" % (
                text.strip(), tail(cerr), s.rc, tail(serr) or "(empty)")
        elif s.timed_out:
            note("memcached under %s did not exit within 30 s of SIGTERM (killed)" % LABEL[cfg])
        return r


# ------------------------------------------------------------- main loop

results = {}  # bench name -> cfg -> [Run]
analyzer = {}  # bench name -> [Run] (lockhound report on the default run's log)
logrecs = {}  # bench name -> record counts of a default run's log


def valgrind_timeout(bench, ref):
    if ref is None:
        return TIMEOUT
    return round(min(TIMEOUT, max(VG_FLOOR, VG_FACTOR * ref)))


def main_section(benches):
    for b in benches:
        cfgs = [c for c in b.configs() if c not in b.skip]
        results[b.name] = {c: [] for c in b.configs()}
        analyzer[b.name] = []
        done = set()
        log("== %s (%s): %s" % (b.name, b.desc, ", ".join(LABEL[c] for c in cfgs)))
        for rep in range(RUNS):
            fast = [c for c in FAST if c in cfgs]
            k = rep % len(fast)
            order = fast[k:] + fast[:k] + [c for c in VALGRIND if c in cfgs]
            ref = {}
            for cfg in order:
                if cfg in done:
                    continue
                timeout = RUN_TIMEOUT
                if cfg in VALGRIND:
                    base = ref.get("lh" if b.kind == "micro" else "native")
                    timeout = valgrind_timeout(b, base)
                logdir = fresh_dir(os.path.join(WORK, "logs", "%s.%s.%d" % (b.name, cfg, rep))) \
                    if cfg in ("lh0", "lh") else None
                r = b.run(cfg, 1, timeout, logdir)
                if logdir:
                    r.log_bytes, r.log_path = log_size(logdir)
                    if r.log_path is None and r.ok:
                        note("%s under %s wrote no log" % (b.name, LABEL[cfg]))
                if cfg == "lh" and r.log_path:
                    a = analyze_log(r.log_path)
                    analyzer[b.name].append(a)
                    if not a.ok:
                        note("%s: %s" % (b.name, a.why))
                    if rep == RUNS - 1 or b.name not in logrecs:
                        logrecs[b.name] = log_stats(r.log_path)
                        for n in (logrecs[b.name] or {}).get("notes", []):
                            if rep == 0:
                                note("%s: the shim noted: %s" % (b.name, n))
                if r.timed_out and cfg not in VALGRIND:
                    note("%s under %s: stopped after %gs (BENCH_RUN_TIMEOUT): it hung or is "
                         "far slower than expected; not repeated" % (b.name, LABEL[cfg], timeout))
                if logdir and not r.ok:
                    keep = os.path.join(WORK, "failed", os.path.basename(logdir))
                    shutil.rmtree(keep, ignore_errors=True)
                    os.makedirs(os.path.dirname(keep), exist_ok=True)
                    shutil.move(logdir, keep)
                    for lp in logs_in(keep):
                        st = log_stats(lp) or {}
                        note("%s under %s failed; its log is kept in %s (%d findings, %s, "
                             "notes: %s)" % (b.name, LABEL[cfg], os.path.relpath(lp, ROOT),
                                            st.get("findings", 0),
                                            "complete" if st.get("end") else "no end record",
                                            "; ".join(st.get("notes", [])) or "none"))
                elif logdir:
                    shutil.rmtree(logdir, ignore_errors=True)
                results[b.name][cfg].append(r)
                if r.ok:
                    ref[cfg] = r.wall
                status = "ok" if r.ok else ("TIMEOUT >%ss" % r.timeout if r.timed_out
                                            else "FAIL " + r.why)
                log("  rep %d %-28s %8.3f s %8.1f MiB %s%s" % (
                    rep + 1, LABEL[cfg], r.wall, r.rss_kb / 1024, status,
                    "" if r.log_bytes is None else "  log %s" % fmt_bytes(r.log_bytes)))
                if not r.ok and r.why and not r.timed_out:
                    note("%s under %s: %s" % (b.name, LABEL[cfg], r.why))
                if cfg not in ("native", "lh0", "lh") and (r.timed_out or r.wall > SLOW):
                    done.add(cfg)  # slow: one run is enough
                if not r.ok:
                    done.add(cfg)  # broken or hung: do not repeat the failure


# ------------------------------------------------------------- summaries

def med(runs, attr="wall"):
    vals = [getattr(r, attr) for r in runs if r.ok and getattr(r, attr) is not None]
    return statistics.median(vals) if vals else None


def timeout_of(runs):
    t = [r.timeout for r in runs if r.timed_out]
    return max(t) if t else None


def fmt_s(s):
    if s is None:
        return "-"
    if s < 10:
        return "%.3f" % s
    return "%.1f" % s


def fmt_x(x):
    if x is None:
        return "-"
    if x >= 100:
        return "%.0fx" % x
    if x >= 10:
        return "%.1fx" % x
    return "%.2fx" % x


def fmt_bytes(n):
    if n is None:
        return "-"
    if n < 1024:
        return "%d B" % n
    if n < 1 << 20:
        return "%.1f KiB" % (n / 1024)
    return "%.1f MiB" % (n / (1 << 20))


def fmt_mib(kb):
    return "-" if kb is None else "%.1f" % (kb / 1024)


def time_cell(b, cfg):
    """'0.412 (1.52x)', '>24s (>91x)', 'FAIL', or the skip reason"""
    if cfg in b.skip:
        return "n/a"
    runs = results[b.name].get(cfg) or []
    if not runs:
        return "-"
    nat = med(results[b.name]["native"])
    m = med(runs)
    t = timeout_of(runs)
    if m is None and t is not None:
        return ">%ds (>%s)" % (t, fmt_x(t / nat) if nat else "?")
    if m is None:
        return "FAIL"
    n_ok = sum(1 for r in runs if r.ok)
    cell = fmt_s(m)
    if cfg != "native":
        cell += " (%s)" % (fmt_x(m / nat) if nat else "?")
    if n_ok < RUNS:
        cell += " n=%d" % n_ok
    return cell


def ratio(b, cfg, against="native"):
    """median(cfg) / median(against); (value, is_lower_bound)"""
    a = med(results[b.name][against])
    runs = results[b.name].get(cfg) or []
    m = med(runs)
    if a is None:
        return None, False
    if m is None:
        t = timeout_of(runs)
        return (t / a, True) if t else (None, False)
    return m / a, False


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return model


def cmd_out(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


# ---------------------------------------------------------------- growth

growth = []  # rows


def growth_section(benches):
    """every benchmark GROWTH times longer, native and GROWTH_CFG: peak RSS
    and log size against the 1x medians of the same configuration"""
    gc = GROWTH_CFG
    log("== growth: %dx longer runs (native and %s)" % (GROWTH, LABEL[gc]))
    for b in benches:
        if GROWTH_ONLY and b.name not in GROWTH_ONLY:
            continue
        if gc in b.skip or not any(r.ok for r in results.get(b.name, {}).get(gc, [])):
            continue  # no valid 1x run to compare with (a hang is not run again 10x)
        nat1 = med(results[b.name]["native"], "rss_kb")
        lh1 = med(results[b.name][gc], "rss_kb")
        lhruns = [r for r in results[b.name][gc] if r.ok and r.log_bytes is not None]
        log1 = statistics.median([r.log_bytes for r in lhruns]) if lhruns else None
        n10, l10 = [], []
        for rep in range(GROWTH_RUNS):
            for cfg in ("native", gc):
                logdir = fresh_dir(os.path.join(WORK, "logs", "%s.g.%s" % (b.name, cfg))) \
                    if cfg == gc else None
                r = b.run(cfg, GROWTH, GROWTH_TIMEOUT, logdir)
                if logdir:
                    r.log_bytes, r.log_path = log_size(logdir)
                    shutil.rmtree(logdir, ignore_errors=True)
                log("  %-12s %2dx %-22s %8.3f s %8.1f MiB %s%s" % (
                    b.name, GROWTH, LABEL[cfg], r.wall, r.rss_kb / 1024,
                    "ok" if r.ok else "FAIL " + r.why,
                    "" if r.log_bytes is None else "  log %s" % fmt_bytes(r.log_bytes)))
                if not r.ok:
                    note("growth %s %dx under %s: %s" % (b.name, GROWTH, LABEL[cfg], r.why))
                (n10 if cfg == "native" else l10).append(r)
        nat10, lh10 = med(n10, "rss_kb"), med(l10, "rss_kb")
        okl = [r.log_bytes for r in l10 if r.ok and r.log_bytes is not None]
        log10 = statistics.median(okl) if okl else None
        growth.append({
            "name": b.name,
            "log1": log1, "log10": log10,
            "d1": None if nat1 is None or lh1 is None else lh1 - nat1,
            "d10": None if nat10 is None or lh10 is None else lh10 - nat10,
            "t_nat10": med(n10), "t_lh10": med(l10),
        })


edges_rows = []


def edges_section():
    """shim memory and log size per lock-order edge"""
    exe = os.path.join(BB, "manyedges")
    if not os.access(exe, os.X_OK):
        return
    log("== shim memory per edge (manyedges)")
    for edges, repeat in ((10000, 1), (100000, 1), (100000, GROWTH)):
        row = {"edges": edges, "repeat": repeat}
        for cfg in ("native", "lh"):
            runs = []
            for _ in range(max(GROWTH_RUNS, 3)):  # short runs: medians of 3 at least
                logdir = fresh_dir(os.path.join(WORK, "logs", "edges.%s" % cfg)) \
                    if cfg == "lh" else None
                r = run_proc([exe, str(edges), str(repeat)], config_env(cfg, logdir),
                             timeout=600)
                if logdir:
                    r.log_bytes, lp = log_size(logdir)
                    st = log_stats(lp) if lp else None
                    r.recorded = st["edges"] if st else None
                    for n in (st or {}).get("notes", []):
                        note("manyedges %d x%d: the shim noted: %s" % (edges, repeat, n))
                    shutil.rmtree(logdir, ignore_errors=True)
                if not r.ok:
                    note("manyedges %d x%d under %s: rc=%d" % (edges, repeat, LABEL[cfg], r.rc))
                runs.append(r)
            row[cfg] = runs
            log("  %6d edges x%-2d %-22s %8.3f s %8.1f MiB%s" % (
                edges, repeat, LABEL[cfg], runs[0].wall, runs[0].rss_kb / 1024,
                "" if runs[0].log_bytes is None else "  log %s" % fmt_bytes(runs[0].log_bytes)))
        row["d"] = med(row["lh"], "rss_kb") - med(row["native"], "rss_kb") \
            if med(row["lh"], "rss_kb") and med(row["native"], "rss_kb") else None
        logs = [r.log_bytes for r in row["lh"] if r.log_bytes]
        row["log"] = statistics.median(logs) if logs else None
        row["t_nat"], row["t_lh"] = med(row["native"]), med(row["lh"])
        recs = [r.recorded for r in row["lh"] if getattr(r, "recorded", None)]
        row["rec"] = min(recs) if recs else None
        edges_rows.append(row)
    # the cost of one more new order, start-up left out: the difference of
    # the first two rows (the call sites are the same two in both)
    if len(edges_rows) >= 2:
        a, b = edges_rows[0], edges_rows[1]
        na, nb = a["rec"] or a["edges"], b["rec"] or b["edges"]
        if None not in (a["t_lh"], b["t_lh"], a["t_nat"], b["t_nat"]) and nb > na:
            edges_rows[0]["us"] = ((b["t_lh"] - b["t_nat"]) - (a["t_lh"] - a["t_nat"])) \
                / (nb - na) * 1e6


analyzer_rows = []


def analyzer_section():
    exe = os.path.join(BB, "genlog")
    if not os.access(exe, os.X_OK):
        return
    log("== analyzer on generated logs")
    for locks, edges in ((10000, 100000), (100000, 1000000)):
        path = os.path.join(WORK, "gen-%d-%d.log" % (locks, edges))
        g = subprocess.run([exe, path, str(locks), str(edges)], capture_output=True, text=True)
        if g.returncode != 0:
            note("genlog %d %d failed: %s" % (locks, edges, g.stderr.strip()))
            continue
        size = os.path.getsize(path)
        # one run with the report kept, to check the cycles were found
        jpath = os.path.join(WORK, "gen-report.json")
        chk = analyze_log(path, jpath)
        found = "?"
        try:
            import json
            with open(jpath) as f:
                rep = json.load(f)
            found = rep["summary"]["findings"]
            errs = sum(len(lg.get("errors", [])) for lg in rep.get("logs", []))
            if errs:
                note("analyzer reported %d read errors on the generated log" % errs)
        except (OSError, ValueError, KeyError):
            note("could not read the analyzer's JSON report on the generated log")
        runs = [analyze_log(path) for _ in range(ANALYZER_RUNS)]
        row = {"locks": locks, "edges": edges, "size": size, "found": found,
               "t": med(runs), "rss": med(runs, "rss_kb"), "ok": chk.ok}
        log("  %6d locks %7d edges (%s): %s s, %s MiB, %s findings" % (
            locks, edges, fmt_bytes(size), fmt_s(row["t"]), fmt_mib(row["rss"]), found))
        analyzer_rows.append(row)
        os.unlink(path)


# ------------------------------------------------------- exact mode

xinfo = {}      # build/bench/exact/builds.json
xbenches = []   # the workloads of the exact-mode section
xresults = {}   # bench name -> cfg -> [Run]
xfound = {}     # bench name -> cfg -> data-race findings in lockhound's JSON report of one run
xprofile = []   # (title, command, [lines of perf report])
xload = {}      # "start" / "end": uptime at the section's start and end


def uptime():
    return cmd_out(["uptime"]) or ("load average: " + loadavg())


def x_cell_reason(status, why):
    return {"not built": "not built", "not measured": "not measured"}.get(status, why)


def x_workloads(info):
    """the exact-mode workloads, each with its programs per configuration
    and, for a configuration without one, the reason shown in its cell"""
    cfgs = {c["key"]: c for c in info.get("configs", [])}
    benches = []
    descs = dict(MICROS)
    names = [n for n, _ in MICROS] + ["memcached", "pigz"]
    src = info.get("sources", {})
    for name in names:
        if ONLY and name not in ONLY:
            continue
        if name in ("memcached", "pigz"):
            ver = (src.get(name) or {}).get("version")
            if name == "memcached":
                b = Memcached(name, "memcached %s built from source, -t %d, %d set + %d get (%d conns)"
                              % (ver, MC_THREADS, MC_KEYS * MC_ROUNDS, MC_KEYS * MC_ROUNDS, MC_CONNS))
            else:
                b = Pigz(name, "pigz %s built from source, -p %d, %d MiB" % (ver, PIGZ_THREADS, PIGZ_MB))
        else:
            b = Micro(name, descs[name])
        for k in X_CONFIGS:
            c = cfgs.get(k)
            if c is None:
                b.skip[k] = "not built"
            elif c["status"] != "ok":
                b.skip[k] = x_cell_reason(c["status"], c["why"])
            elif name in c.get("programs", {}):
                b.exes[k] = c["programs"][name]
            elif name in c.get("failed", {}):
                b.skip[k] = "build failed"
            else:
                b.skip[k] = "not built"
        if "native" not in b.exes:
            if name in ("memcached", "pigz") and (src.get(name) or {}).get("status") != "ok":
                note("exact mode: %s not run: its source is unavailable (%s)"
                     % (name, (src.get(name) or {}).get("why") or "not fetched"))
            elif name in ("memcached", "pigz") and name not in src:
                pass  # not asked for (BENCH_EXACT_SOURCES)
            else:
                note("exact mode: %s not run: no native build (%s)" % (
                    name, (cfgs.get("native") or {}).get("failed", {}).get(name, "missing")))
            continue
        if name == "memcached" and not os.access(os.path.join(BB, "mcload"), os.X_OK):
            note("exact mode: memcached not run: build/bench/mcload is missing")
            continue
        if name == "pigz":
            b.input = os.path.join(WORK, "pigz-input.dat")
            gen_semi_compressible(b.input, PIGZ_MB)
            with open(b.input, "rb") as f:
                b.input_sha = hashlib.sha256(f.read()).hexdigest()
        benches.append(b)
    return benches


def count_lines(path, pattern):
    try:
        with open(path, "rb") as f:
            return len(re.findall(pattern, f.read()))
    except OSError:
        return None


def race_findings(log_path):
    """data-race findings in lockhound's JSON report of a log, or None"""
    import json
    jpath = os.path.join(WORK, "exact-report.json")
    a = analyze_log(log_path, jpath)
    if not a.ok:
        note("exact mode: lockhound report on %s failed: %s" % (log_path, a.why))
        return None
    try:
        with open(jpath) as f:
            rep = json.load(f)
        return sum(1 for x in rep.get("findings", []) if x.get("kind") == "data-race")
    except (OSError, ValueError, AttributeError):
        return None


def exact_section():
    import json
    try:
        with open(X_JSON) as f:
            info = json.load(f)
    except (OSError, ValueError) as e:
        note("exact-mode section skipped: %s unreadable (%s); bench/run.sh runs "
             "bench/exact_build.py first" % (os.path.relpath(X_JSON, ROOT), e))
        return
    xinfo.update(info)
    for c in info.get("configs", []):
        X_LABEL[c["key"]] = c.get("label", X_LABEL.get(c["key"], c["key"]))
    lh_ok = [c for c in info.get("configs", []) if c["key"] in X_LH and c["status"] == "ok"]
    if lh_ok and info.get("shim_sha256") != sha_of(os.path.join(BUILD, "liblockhound.so")):
        note("exact mode: build/liblockhound.so changed after the `lockhound cc` programs were "
             "built (they load it at run time): the lockhound columns measure the new one")
    benches = x_workloads(info)
    xbenches.extend(benches)
    xload["start"] = uptime()
    deadline = time.monotonic() + X_BUDGET if X_BUDGET > 0 else None
    log("== exact mode: %s; %d runs; %s" % (", ".join(X_LABEL[c] for c in X_CONFIGS), X_RUNS,
                                            xload["start"]))
    for b in benches:
        cfgs = [c for c in X_CONFIGS if c in b.exes]
        xresults[b.name] = {c: [] for c in X_CONFIGS}
        xfound[b.name] = {}
        done = set()
        log("== exact %s (%s): %s" % (b.name, b.desc, ", ".join(X_LABEL[c] for c in cfgs)))
        for c, why in sorted(b.skip.items()):
            log("  %s: %s" % (X_LABEL[c], why))
        for rep in range(X_RUNS):
            if rep and deadline and time.monotonic() > deadline:
                note("exact %s: %d of %d repetitions: BENCH_EXACT_BUDGET (%gs) was used up"
                     % (b.name, rep, X_RUNS, X_BUDGET))
                break
            k = rep % len(cfgs)
            for cfg in cfgs[k:] + cfgs[:k]:
                if cfg in done:
                    continue
                logdir = fresh_dir(os.path.join(WORK, "logs", "x.%s.%s.%d" % (b.name, cfg, rep))) \
                    if cfg in X_LH else None
                r = b.run(cfg, 1, X_TIMEOUT, logdir)
                if cfg in X_TSAN:
                    r.reports = count_lines(r.stderr_path, rb"WARNING: ThreadSanitizer: data race")
                elif cfg in X_LH:
                    r.log_bytes, r.log_path = log_size(logdir)
                    st = log_stats(r.log_path) if r.log_path else None
                    r.reports = st["races"] if st else None
                    for n in (st or {}).get("notes", []):
                        if rep == 0:
                            note("exact %s under %s: the shim noted: %s" % (b.name, X_LABEL[cfg], n))
                    if r.ok and r.log_path and cfg not in xfound[b.name]:
                        xfound[b.name][cfg] = race_findings(r.log_path)
                    shutil.rmtree(logdir, ignore_errors=True)
                results_ok = "ok" if r.ok else ("TIMEOUT >%ss" % r.timeout if r.timed_out
                                               else "FAIL " + r.why)
                log("  rep %d %-22s %8.3f s %8.1f MiB %s%s" % (
                    rep + 1, X_LABEL[cfg], r.wall, r.rss_kb / 1024, results_ok,
                    "" if getattr(r, "reports", None) is None else "  races reported: %d" % r.reports))
                if not r.ok and r.why and not r.timed_out:
                    note("exact %s under %s: %s" % (b.name, X_LABEL[cfg], r.why))
                xresults[b.name][cfg].append(r)
                if cfg != "native" and (r.timed_out or r.wall > X_SLOW):
                    done.add(cfg)  # slow: one run is enough
                if not r.ok and not r.timed_out:
                    done.add(cfg)  # broken: do not repeat the failure
    xload["end"] = uptime()
    if X_PROFILE and shutil.which("perf"):
        if deadline and time.monotonic() > deadline:
            note("exact mode: no profiles: BENCH_EXACT_BUDGET (%gs) was used up" % X_BUDGET)
        else:
            exact_profile(benches)


def x_ratio(b, cfg, against="native", attr="wall"):
    a = med(xresults[b.name].get(against) or [], attr)
    m = med(xresults[b.name].get(cfg) or [], attr)
    if a is None or m is None or a == 0:
        return None
    return m / a


def exact_profile(benches):
    """perf profiles, to say why lockhound misses where it does: its build
    and its TSan peer's on the microbenchmark where it does worst against
    that peer, and on the real program(s) where it is slower than TSan"""
    worst = None
    reals = []
    for b in benches:
        for lh, ts in X_PEER.items():
            if lh not in b.exes or ts not in b.exes:
                continue
            x = x_ratio(b, lh, ts)
            if x is None:
                continue
            if b.kind == "micro" and (worst is None or x > worst[0]):
                worst = (x, b, lh, ts)
            elif b.kind == "real" and x > 1 and (not reals or reals[-1][1] is not b):
                reals.append((x, b, lh, ts))
    for x, b, lh, ts in ([worst] if worst else []) + reals:
        log("== exact mode: perf profile of %s (%s is %s its peer %s)" % (
            b.name, X_LABEL[lh], fmt_x(x), X_LABEL[ts]))
        for cfg in (lh, ts):
            profile_one(b, cfg)


def perf_top(data):
    """the top entries of perf report on a perf.data file"""
    rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                          "--sort", "dso,symbol", "--percent-limit", "1"],
                         capture_output=True, text=True, timeout=300)
    # perf prints empty IPC columns ("-  -") on machines without branch
    # records: dropped, with the padding before them
    return [re.sub(r"(\s+-)*\s*$", "", l) for l in rep.stdout.splitlines()
            if l.strip() and not l.startswith("#")][:20]


def profile_one(b, cfg):
    data = os.path.join(WORK, "perf.%s.data" % cfg)
    err = os.path.join(WORK, "perf.err")
    logdir = fresh_dir(os.path.join(WORK, "logs", "x.perf")) if cfg in X_LH else None
    if b.kind == "micro":
        # the first X_PROFILE_S seconds of the run (the loops are steady):
        # a whole slow run would cost minutes for the same picture
        with open(err, "wb") as fe:
            p = spawn([b.exes[cfg], str(THREADS)], config_env(cfg, logdir), stderr=fe)
            perf = perf_attach(p.pid, data, X_PROFILE_S, THREADS + 1)
            if perf:
                try:
                    perf.wait(X_PROFILE_S + 60)
                except subprocess.TimeoutExpired:
                    perf.kill()
                    perf.wait()
            r = reap(p, 1, time.monotonic())  # killed if still running 1 s later
        ok = perf is not None and perf.returncode == 0 and os.path.exists(data)
        why = "perf exit status %s, program %s" % (
            None if perf is None else perf.returncode, "stopped" if r.timed_out else "rc=%d" % r.rc)
        cmd = "perf record -F 999 -p PID -- sleep %d (%s %d)" % (
            X_PROFILE_S, os.path.relpath(b.exes[cfg], ROOT), THREADS)
    else:
        r = b.run(cfg, 1, X_TIMEOUT, logdir, perf_data=data)
        ok = r.ok and os.path.exists(data)
        why = r.why or "no perf data"
        cmd = "perf record -F 999 -p SERVER during the client's load phase"
    if logdir:
        shutil.rmtree(logdir, ignore_errors=True)
    if not ok:
        note("exact mode: perf record of %s under %s failed: %s" % (b.name, X_LABEL[cfg], why))
        return
    xprofile.append(("%s under %s" % (b.name, X_LABEL[cfg]),
                     cmd + "; perf report --no-children --sort dso,symbol", perf_top(data)))
    try:
        os.unlink(data)
    except OSError:
        pass


def x_time_cell(b, cfg):
    if cfg in b.skip:
        return b.skip[cfg]
    runs = xresults[b.name].get(cfg) or []
    if not runs:
        return "-"
    m = med(runs)
    t = timeout_of(runs)
    nat = med(xresults[b.name]["native"])
    if m is None and t is not None:
        return ">%ds (>%s)" % (t, fmt_x(t / nat) if nat else "?")
    if m is None:
        return "FAIL"
    cell = fmt_s(m)
    if cfg != "native":
        cell += " (%s)" % (fmt_x(m / nat) if nat else "?")
    n_ok = sum(1 for r in runs if r.ok)
    if n_ok < X_RUNS:
        cell += " n=%d" % n_ok
    return cell


def x_rss_cell(b, cfg):
    if cfg in b.skip:
        return b.skip[cfg]
    runs = xresults[b.name].get(cfg) or []
    m = med(runs, "rss_kb")
    if m is None:
        return "timeout" if timeout_of(runs) else "-"
    x = x_ratio(b, cfg, attr="rss_kb")
    return fmt_mib(m) + ("" if cfg == "native" or x is None else " (%s)" % fmt_x(x))


def x_reports_cell(b, cfg):
    if cfg in b.skip:
        return b.skip[cfg]
    vals = [r.reports for r in xresults[b.name].get(cfg) or [] if r.ok and
            getattr(r, "reports", None) is not None]
    if not vals:
        return "-"
    cell = "%d" % min(vals) if min(vals) == max(vals) else "%d-%d" % (min(vals), max(vals))
    if cfg in X_LH:
        f = xfound[b.name].get(cfg)
        cell += " records / %s findings" % ("?" if f is None else f)
    return cell


def x_versus(b, lh):
    """lockhound against its TSan peer: (time cell, memory cell, verdict)"""
    ts = X_PEER[lh]
    if lh in b.skip or ts in b.skip:
        return "-", "-", "%s: %s" % (X_LABEL[lh] if lh in b.skip else X_LABEL[ts],
                                     b.skip.get(lh) or b.skip.get(ts))
    t = x_ratio(b, lh, ts)
    m = x_ratio(b, lh, ts, "rss_kb")
    if t is None or m is None:
        return "-", "-", "no valid run"
    miss = []
    if t > 1:
        miss.append("%.0f%% slower" % (100 * (t - 1)))
    if m > 1:
        miss.append("%.0f%% more memory" % (100 * (m - 1)))
    return fmt_x(t), fmt_x(m), ("misses: " + ", ".join(miss)) if miss else "beats or matches"


def exact_report(add):
    """the exact-mode block of RESULTS.md (between X_BEGIN and X_END, so a
    run of this section alone can replace it in place)"""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cfgs = {c["key"]: c for c in xinfo.get("configs", [])}
    add(X_BEGIN)
    add("## Exact mode: `lockhound cc` against gcc's and clang's ThreadSanitizer")
    add("")
    add("Every workload is built five ways with the same flags (`-O2 -g`) by "
        "bench/exact_build.py and run interleaved (each repetition runs every build once, in "
        "an order that rotates), %d repetitions (BENCH_EXACT_RUNS); cells are medians, the "
        "ratio is to native. A build whose first run takes longer than %gs is not repeated "
        "(`n=1`). Before a column is measured, its build of bench/tools/raceprobe.c must report "
        "an unguarded counter (exit status %d) and not its locked twin; a column that fails "
        "this shows `not measured`, one whose compiler cannot build it `not built`, never a "
        "number. TSan runs with its defaults (no TSAN_OPTIONS); lockhound's programs run on "
        "their own with `LOCKHOUND_OPTIONS=log_dir=DIR` (their at-exit report is in the time). "
        "Exit status %d (races reported) counts as a valid run; outputs are checked against "
        "native as in the main tables." % (X_RUNS, X_SLOW, RACE_EXIT, RACE_EXIT))
    add("")
    add("| | |")
    add("|---|---|")
    add("| date | %s |" % now)
    add("| load at start | %s |" % xload.get("start", "?"))
    add("| load at end | %s |" % xload.get("end", "?"))
    add("| machine | %s, %s CPUs, %s %s |" % (machine(), cmd_out(["nproc"]) or os.cpu_count(),
                                             platform.system(), platform.release()))
    add("| lockhound | git %s; shim sha256 %s (the `lockhound cc` programs load build/"
        "liblockhound.so) |" % (cmd_out(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]) or "?",
                                (xinfo.get("shim_sha256") or "?")[:12]))
    for k in X_CONFIGS:
        c = cfgs.get(k)
        if not c:
            add("| %s | not built (no entry in builds.json) |" % X_LABEL[k])
            continue
        p = c.get("probe") or {}
        state = c["status"] + ((": " + c["why"]) if c.get("why") else "")
        probe_txt = "" if k == "native" or "racy_rc" not in p else \
            "; raceprobe racy exit %s, clean exit %s" % (p.get("racy_rc"), p.get("clean_rc"))
        add("| %s | `%s` (%s); runtime %s; %s%s |" % (
            X_LABEL[k], c.get("command", "?"), c.get("compiler", "?"), c.get("runtime", "-"),
            state, probe_txt))
    for pkg, s in sorted(xinfo.get("sources", {}).items()):
        add("| %s source | %s |" % (pkg, ("Debian %s, fetched by %s" % (s["version"], s["how"]))
                                     if s["status"] == "ok" else "unavailable: %s (tried %s)"
                                     % (s["why"], s["how"])))
    add("")
    add("### Wall time (median s, ratio to native)")
    add("")
    add("| workload | what | " + " | ".join(X_LABEL[c] for c in X_CONFIGS) + " | native spread |")
    add("|---|---|" + "---:|" * len(X_CONFIGS) + "---:|")
    for b in xbenches:
        nat = [r.wall for r in xresults[b.name]["native"] if r.ok]
        spread = "%.0f%%" % (100 * (max(nat) - min(nat)) / statistics.median(nat)) \
            if len(nat) > 1 else "-"
        add("| %s | %s | %s | %s |" % (b.name, b.desc, " | ".join(x_time_cell(b, c)
                                                                  for c in X_CONFIGS), spread))
    add("")
    add("### Peak RSS (median MiB, ratio to native)")
    add("")
    add("| workload | " + " | ".join(X_LABEL[c] for c in X_CONFIGS) + " |")
    add("|---|" + "---:|" * len(X_CONFIGS))
    for b in xbenches:
        add("| %s | %s |" % (b.name, " | ".join(x_rss_cell(b, c) for c in X_CONFIGS)))
    add("")
    add("### Races reported")
    add("")
    add("TSan: `WARNING: ThreadSanitizer: data race` blocks on stderr (one per distinct pair "
        "of stacks, per run); lockhound: race records in the log (one per variable and pair "
        "of calling contexts) and data-race findings in `lockhound report` (one per variable) "
        "of one run. The microbenchmarks are race-free: any report there is a false alarm.")
    add("")
    add("| workload | " + " | ".join(X_LABEL[c] for c in X_DETECTORS) + " |")
    add("|---|" + "---:|" * len(X_DETECTORS))
    for b in xbenches:
        add("| %s | %s |" % (b.name, " | ".join(x_reports_cell(b, c) for c in X_DETECTORS)))
    add("")
    add("### lockhound against ThreadSanitizer (same compiler)")
    add("")
    add("Target (issue 9): no slower than TSan and no more memory, on every workload. "
        "Ratio = lockhound's median / TSan's median; below 1 is better than TSan.")
    add("")
    add("| workload | time gcc | memory gcc | gcc | time clang | memory clang | clang |")
    add("|---|---:|---:|---|---:|---:|---|")
    for b in xbenches:
        g = x_versus(b, "lh-gcc")
        c = x_versus(b, "lh-clang")
        add("| %s | %s | %s | %s | %s | %s | %s |" % ((b.name,) + g + c))
    add("")
    if xprofile:
        add("### Profiles")
        add("")
        for title, cmd, lines in xprofile:
            add("%s: `%s` (entries above 1%%)" % (title, cmd))
            add("")
            add("```")
            L_ = lines or ["(no samples)"]
            for l in L_:
                add(l)
            add("```")
            add("")
    xnotes = [n for n in notes if n.startswith("exact")]
    if xnotes:
        add("### Notes from the exact-mode runs")
        add("")
        for n in xnotes:
            add("- " + n)
        add("")
    add(X_END)


def splice_exact(text_block, path):
    """put the exact-mode block into an existing RESULTS.md in place of the
    previous one (or at its end), leaving the other sections as they were"""
    try:
        with open(path) as f:
            old = f.read()
    except OSError:
        old = ""
    if X_BEGIN in old and X_END in old:
        a = old.index(X_BEGIN)
        z = old.index(X_END) + len(X_END)
        return old[:a] + text_block + old[z:]
    return (old.rstrip("\n") + "\n\n" if old else "") + text_block + "\n"


BLOCK_RE = re.compile(r"<!-- ([^>]+?): begin -->.*?<!-- \1: end -->", re.S)


def keep_blocks(text, path):
    """text (this run's report) followed by every marked block of the old
    file at path that text does not have: the sections other scripts write
    (sampled.py, analyzer_stress.py, python_bench.py, run.sh's stage
    table; the exact-mode block when exact mode did not run) stay as they
    were, in their order, each with its own date, instead of vanishing"""
    try:
        with open(path) as f:
            old = f.read()
    except OSError:
        old = ""
    kept = [m.group(0) for m in BLOCK_RE.finditer(old)
            if "<!-- %s: begin -->" % m.group(1) not in text]
    return "\n\n".join([text.rstrip("\n")] + kept) + "\n"


# ---------------------------------------------------------------- report

def build_report(benches, started, elapsed, load0, load1):
    L = []
    add = L.append
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    add("# lockhound benchmark results")
    add("")
    add("Generated by `make bench` (bench/run.sh, bench/bench.py); do not edit by hand.")
    add("Timing is informational: nothing here fails on a number.")
    add("")
    add("## Machine")
    add("")
    add("| | |")
    add("|---|---|")
    add("| date | %s (took %.1f min) |" % (now, elapsed / 60))
    add("| nproc | %s |" % (cmd_out(["nproc"]) or os.cpu_count()))
    add("| CPU | %s |" % machine())
    add("| kernel | %s %s |" % (platform.system(), platform.release()))
    add("| load average (start / end) | %s / %s |" % (load0, load1))
    key, lacks = host_kind()
    add("| host kind | %s: the lockhound (default) column watches with %s |" % (
        hostkind.describe(key), sources_words(key, lacks)))
    gcc = cmd_out(["gcc", "--version"]).splitlines()
    vg = cmd_out(["valgrind", "--version"])
    add("| gcc | %s |" % (gcc[0] if gcc else "?"))
    add("| valgrind | %s |" % (vg or "not installed"))
    add("| pigz | %s |" % (cmd_out(["pigz", "--version"]) or "not installed"))
    mv = cmd_out(["memcached", "-V"])
    add("| memcached | %s |" % (mv or "not installed"))
    head = cmd_out(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = [l for l in cmd_out(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"])
             .splitlines() if l.strip()]
    add("| lockhound | %s (git %s%s; shim sha256 %s) |" % (
        cmd_out([LOCKHOUND, "--version"]), head or "?",
        " + %d modified files" % len(dirty) if dirty else "", (SHIM_SHA or "?")[:12]))
    add("")
    add("## Method")
    add("")
    add("- Every benchmark runs under each configuration; configurations are interleaved "
        "(each repetition runs all of them once, fast ones in a rotating order, "
        "helgrind/drd last). %d repetitions (BENCH_RUNS); cells show the **median wall "
        "time in seconds** and the ratio to native. `n=k`: only k runs counted "
        "(helgrind/drd/tsan runs slower than %gs are not repeated)." % (RUNS, SLOW))
    add("- lockhound runs the program with `LD_PRELOAD=build/liblockhound.so` and "
        "`LOCKHOUND_OPTIONS=log_dir=DIR:quiet=1` (plus `races=0` for the races=0 column), so "
        "the analyzer is not in the timing; `build/lockhound report` on the log is timed "
        "separately. Both run from copies taken at the start of the session "
        "(build/bench/snapshot/). The two lockhound columns differ by `races=0` alone: "
        "the default column has sampled race watching on, so default against races=0 is "
        "the cost of race watching alone. A native, lockhound or tsan run is stopped after "
        "%gs (BENCH_RUN_TIMEOUT) and then counts as failed (a note says so)." % RUN_TIMEOUT)
    add("- helgrind/drd: `valgrind --tool=helgrind|drd -q`, same workload. A run is stopped "
        "after min(%gs, max(%gs, %gx the reference run of the same repetition)), reference = "
        "lockhound (default) for microbenchmarks (so a timeout still proves helgrind is more "
        "than %gx slower than lockhound) and native for real programs; a stopped run shows "
        "as `>Ns`." % (TIMEOUT, VG_FLOOR, VG_FACTOR, VG_FACTOR))
    add("- tsan: the microbenchmark rebuilt with `gcc -O2 -fsanitize=thread`; real programs "
        "would need a rebuild of the Debian package (n/a).")
    add("- Microbenchmarks: %d threads (BENCH_THREADS), fixed total work split over them. "
        "Peak RSS is the process's ru_maxrss (wait4). Every run's output is checked against "
        "native: micro benchmarks print a deterministic result line; pigz's compressed output "
        "must have the same sha256 (and the native one decompresses to the input); the "
        "memcached client checks every get returns the value set. The memcached time is the "
        "client's load phase (server started and listening first); its RSS is the server's. "
        "native spread = (slowest - fastest) / median of the native runs: how noisy the "
        "machine was." % THREADS)
    add("")

    cfg_all = CONFIGS
    add("## Wall time (median s, ratio to native)")
    add("")
    add("| benchmark | what | " + " | ".join(LABEL[c] for c in cfg_all) +
        " | race watching alone (default / races=0) | native spread | outputs |")
    add("|---|---|" + "---:|" * len(cfg_all) + "---:|---:|---|")
    for b in benches:
        bad = sorted({LABEL[c] for c in b.configs() if c not in b.skip
                      for r in results[b.name].get(c, []) if not r.ok and not r.timed_out})
        nat = [r.wall for r in results[b.name]["native"] if r.ok]
        spread = "%.0f%%" % (100 * (max(nat) - min(nat)) / statistics.median(nat)) \
            if len(nat) > 1 else "-"
        z, d = med(results[b.name].get("lh0", [])), med(results[b.name].get("lh", []))
        alone = "%.2fx" % (d / z) if z and d else "-"
        add("| %s | %s | %s | %s | %s | %s |" % (b.name, b.desc,
                                                 " | ".join(time_cell(b, c) for c in cfg_all),
                                                 alone, spread,
                                                 "identical" if not bad else
                                                 "differ/fail: " + ", ".join(bad)))
    add("")
    add("## Peak RSS (median MiB)")
    add("")
    add("| benchmark | " + " | ".join(LABEL[c] for c in cfg_all) + " | shim: default - native |")
    add("|---|" + "---:|" * len(cfg_all) + "---:|")
    for b in benches:
        cells = []
        for c in cfg_all:
            if c in b.skip:
                cells.append("n/a")
                continue
            runs = results[b.name].get(c) or []
            m = med(runs, "rss_kb")
            cells.append(fmt_mib(m) if m is not None else ("timeout" if timeout_of(runs) else "-"))
        n = med(results[b.name]["native"], "rss_kb")
        lh = med(results[b.name]["lh"], "rss_kb")
        add("| %s | %s | %s |" % (b.name, " | ".join(cells),
                                  "-" if n is None or lh is None else "%+.1f" % ((lh - n) / 1024)))
    add("")
    add("## lockhound log and analyzer (default configuration)")
    add("")
    add("| benchmark | log size (median) | edges | locks | threads | stacks | analyzer time "
        "(median s) | analyzer peak RSS (MiB) |")
    add("|---|---:|---:|---:|---:|---:|---:|---:|")
    for b in benches:
        runs = [r for r in results[b.name]["lh"] if r.ok and r.log_bytes is not None]
        lb = statistics.median([r.log_bytes for r in runs]) if runs else None
        st = logrecs.get(b.name) or {}
        a = analyzer.get(b.name) or []
        add("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            b.name, fmt_bytes(lb), st.get("edges", "-"), st.get("locks", "-"),
            st.get("threads", "-"), st.get("stacks", "-"), fmt_s(med(a)),
            fmt_mib(med(a, "rss_kb"))))
    add("")

    if growth:
        add("## Growth: the same programs %dx longer" % GROWTH)
        add("")
        add("Microbenchmarks with SCALE=%d, pigz compressing the input %d times in one run, "
            "memcached with %dx the rounds over the same keys, memcached-mix with %dx the "
            "operations over the same keys (evicting). Shim memory = peak RSS %s - native. "
            "Target (issue 11): log and shim memory grow at most 1.5x for the %dx run. The 1x "
            "columns are the medians above; the %dx runs are %d run(s) each, so their times "
            "are only indicative on a noisy machine."
            % (GROWTH, GROWTH, GROWTH, GROWTH, LABEL[GROWTH_CFG], GROWTH, GROWTH, GROWTH_RUNS))
        if GROWTH_ONLY:
            add("")
            add("Only the benchmarks of BENCH_GROWTH_ONLY (%s) were run %dx longer in this "
                "session." % (", ".join(GROWTH_ONLY), GROWTH))
        add("")
        add("| benchmark | log 1x | log %dx | log growth (<= 1.5x) | shim mem 1x (MiB) | "
            "shim mem %dx (MiB) | shim mem growth (<= 1.5x) | native %dx (s) | "
            "lockhound %dx (s) |" % ((GROWTH,) * 4))
        add("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for g in growth:
            gr = g["log10"] / g["log1"] if g["log1"] and g["log10"] else None
            mr = g["d10"] / g["d1"] if g["d1"] and g["d10"] is not None and g["d1"] > 0 else None
            add("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                g["name"], fmt_bytes(g["log1"]), fmt_bytes(g["log10"]), fmt_x(gr),
                "-" if g["d1"] is None else "%+.1f" % (g["d1"] / 1024),
                "-" if g["d10"] is None else "%+.1f" % (g["d10"] / 1024),
                fmt_x(mr), fmt_s(g["t_nat10"]), fmt_s(g["t_lh10"])))
        add("")
    if edges_rows:
        add("## Shim memory and log per lock-order edge (manyedges)")
        add("")
        add("One thread takes E distinct A-then-B pairs of 1000 mutexes, R times over; "
            "'recorded' counts the edge records in the log.")
        add("")
        add("| edges E | repeat R | recorded | native (s) | lockhound (s) | us per new edge | "
            "shim mem (MiB) | log | log bytes/edge |")
        add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in edges_rows:
            n = r["rec"] or r["edges"]
            per = (r["t_lh"] - r["t_nat"]) / n * 1e6 \
                if r["t_lh"] is not None and r["t_nat"] is not None else None
            add("| %d | %d | %s | %s | %s | %s | %s | %s | %s |" % (
                r["edges"], r["repeat"], r["rec"] if r["rec"] is not None else "-",
                fmt_s(r["t_nat"]), fmt_s(r["t_lh"]),
                "-" if per is None or r["repeat"] != 1 else "%.1f" % per,
                "-" if r["d"] is None else "%+.1f" % (r["d"] / 1024), fmt_bytes(r["log"]),
                "-" if not r["log"] else "%.0f" % (r["log"] / n)))
        add("")
    if analyzer_rows:
        add("## Analyzer on generated logs (bench/genlog.c)")
        add("")
        add("`lockhound report --format json --output /dev/null LOG`, median of %d runs. The "
            "graph is acyclic except for 8 planted cycles, which the report must find."
            % ANALYZER_RUNS)
        add("")
        add("| locks | edges | log size | time (s) | peak RSS (MiB) | cycle findings |")
        add("|---:|---:|---:|---:|---:|---:|")
        for r in analyzer_rows:
            add("| %d | %d | %s | %s | %s | %s |" % (r["locks"], r["edges"], fmt_bytes(r["size"]),
                                                   fmt_s(r["t"]), fmt_mib(r["rss"]), r["found"]))
        if len(analyzer_rows) == 2 and analyzer_rows[0]["t"] and analyzer_rows[1]["t"]:
            add("")
            add("10x the log: %.1fx the time, %.1fx the memory." % (
                analyzer_rows[1]["t"] / analyzer_rows[0]["t"],
                analyzer_rows[1]["rss"] / analyzer_rows[0]["rss"]))
        add("")

    add("## Targets")
    add("")
    add("| target | measured | status |")
    add("|---|---|---|")
    for t in targets(benches):
        add("| %s | %s | %s |" % t)
    add("")
    if benches:
        for ln in cost_block(benches, key, lacks, now, load0, load1, head):
            add(ln)
        add("")
    other = [n for n in notes if not (xresults and n.startswith("exact"))]
    if other:
        add("## Notes from this run")
        add("")
        for n in other:
            add("- " + n)
        add("")
    if xresults:
        exact_report(add)
    return "\n".join(L)


def host_kind():
    """(this host's kind, {trap source: why it does not trap here})"""
    got = hostkind.machine_sources(TRAPCOST)
    return hostkind.host_key(hostkind.cpu_vendor(), got[0] if got else None), \
        (got[1] if got else {})


def sources_words(key, lacks):
    srcs = key.partition("; ")[2]
    words = "every trap source that traps here (%s)" % srcs
    if srcs == hostkind.NO_SOURCE:
        words = "no trap source (none traps here)"
    for name, why in sorted(lacks.items()):
        words += "; %s cannot run here: %s" % (name, why)
    return words


# issue 10: the cost of everything on (the default configuration)
COST_TARGETS = [("micro", 1.5), ("pigz", 1.2), ("memcached", 1.2), ("memcached-mix", 1.2)]


def cost_block(benches, key, lacks, now, load0, load1, head):
    """the main tables' numbers that depend on the trap sources, as this
    host kind's marked block (keep_blocks keeps another kind's): each
    benchmark's default and races=0 columns, race watching alone, and
    issue 10's cost targets"""
    begin, end = hostkind.markers(COST_NAME, key)
    L = [begin, "## Race watching cost with the defaults: %s" % hostkind.describe(key), "",
         "From the main tables of `make bench` measured %s on %s (%d CPUs, kernel %s), git %s, "
         "load average %s at the start and %s at the end; medians of %d interleaved runs. "
         "The default column watches with %s; races=0 turns race watching off. A run "
         "replaces only the block of its own host kind (hostkind.py); a block of another "
         "kind keeps its own date, machine and commit." % (
             now, machine(), os.cpu_count() or 0, platform.release(), head or "?", load0, load1,
             RUNS, sources_words(key, lacks)), "",
         "| benchmark | native (s) | lockhound (races=0) | lockhound (default) | "
         "race watching alone (default / races=0) |",
         "|---|---:|---:|---:|---:|"]
    for b in benches:
        z, d = med(results[b.name].get("lh0", [])), med(results[b.name].get("lh", []))
        L.append("| %s | %s | %s | %s | %s |" % (
            b.name, fmt_s(med(results[b.name]["native"])), time_cell(b, "lh0"),
            time_cell(b, "lh"), "%.2fx" % (d / z) if z and d else "-"))
    L += ["", "| issue 10 target (everything on) | measured | status |", "|---|---|---|"]
    for kind, limit in COST_TARGETS:
        for b in benches:
            if (b.kind if kind == "micro" else b.name) != kind or "lh" in b.skip:
                continue
            r, lb = ratio(b, "lh")
            L.append("| lockhound (default) <= %gx native: %s | %s | %s |" % (
                limit, b.name, "no valid run" if r is None else
                ("> " if lb else "") + fmt_x(r),
                "unknown" if r is None else "not met" if lb or r > limit else "met"))
    return L + [end]


def targets(benches):
    rows = []
    byname = {b.name: b for b in benches}

    def tgt_ratio(name, cfg, limit, label):
        if name not in byname or cfg in byname[name].skip:
            rows.append((label, "not run", "unknown"))
            return
        r, lb = ratio(byname[name], cfg)
        if r is None:
            rows.append((label, "no valid run", "unknown"))
        elif lb:
            rows.append((label, "> %s (timed out)" % fmt_x(r), "not met"))
        else:
            rows.append((label, fmt_x(r), "met" if r <= limit else "not met"))

    # issue 11: lock-order recording near native, measured with race
    # watching off (races=0)
    for name, limit in (("uncontended", 1.2), ("nested", 1.2), ("condvar", 1.2),
                        ("contended", 1.1), ("rwlock", 1.1), ("pigz", 1.03),
                        ("memcached", 1.1), ("memcached-mix", 1.1)):
        tgt_ratio(name, "lh0", limit, "lockhound (races=0) <= %gx native: %s" % (limit, name))
    if edges_rows and edges_rows[0].get("us") is not None:
        us = edges_rows[0]["us"]
        rows.append(("one new lock order (manyedges, call sites seen before) < 0.5 us",
                     "%.2f us (between the first two rows)" % us, "met" if us < 0.5 else "not met"))
    for g in growth:
        if g["name"] in ("memcached", "memcached-mix") and g["d10"] is not None:
            d = g["d10"] / 1024
            rows.append(("shim memory on %s %dx <= native + 16 MiB (%s)"
                         % (g["name"], GROWTH, LABEL[GROWTH_CFG]),
                         "+%.1f MiB" % d, "met" if d <= 16 else "not met"))
        if g["name"] == "memcached-mix":
            # issue 11: a steady-state program stops growing once its code
            # paths are seen: at most 1.5x for the 10x run
            if g["log1"] and g["log10"]:
                gr = g["log10"] / g["log1"]
                rows.append(("log growth, memcached-mix %dx <= 1.5x" % GROWTH,
                             "%s (%s -> %s)" % (fmt_x(gr), fmt_bytes(g["log1"]),
                                                fmt_bytes(g["log10"])),
                             "met" if gr <= 1.5 else "not met"))
            if g["d1"] and g["d1"] > 0 and g["d10"] is not None:
                mr = g["d10"] / g["d1"]
                rows.append(("shim memory growth, memcached-mix %dx <= 1.5x" % GROWTH,
                             "%s (%+.1f -> %+.1f MiB)" % (fmt_x(mr), g["d1"] / 1024,
                                                          g["d10"] / 1024),
                             "met" if mr <= 1.5 else "not met"))
    tgt_ratio("uncontended", "lh", 1.5, "lockhound (default) <= 1.5x native: uncontended")
    tgt_ratio("nested", "lh", 1.5, "lockhound (default) <= 1.5x native: nested")

    for b in benches:
        if b.kind != "micro" or "helgrind" in b.skip:
            continue
        lh = med(results[b.name]["lh"])
        runs = results[b.name]["helgrind"]
        hg = med(runs)
        label = "lockhound (default) >= 50x faster than helgrind: %s" % b.name
        if lh is None or not runs:
            rows.append((label, "no valid run", "unknown"))
        elif hg is not None:
            x = hg / lh
            rows.append((label, fmt_x(x), "met" if x >= 50 else "not met"))
        elif timeout_of(runs):
            x = timeout_of(runs) / lh
            rows.append((label, "> %s (helgrind stopped at %ds)" % (fmt_x(x), timeout_of(runs)),
                         "met" if x >= 50 else "unknown (raise BENCH_TIMEOUT)"))
        else:
            rows.append((label, "helgrind failed", "unknown"))

    # shim memory: fixed part < 16 MiB over every benchmark
    deltas = []
    for b in benches:
        n = med(results[b.name]["native"], "rss_kb")
        lh = med(results[b.name]["lh"], "rss_kb")
        if n is not None and lh is not None:
            deltas.append(((lh - n) / 1024, b.name))
    for g in growth:
        if g["d10"] is not None:
            deltas.append((g["d10"] / 1024, g["name"] + " %dx" % GROWTH))
    if deltas:
        d, where = max(deltas)
        rows.append(("shim memory < 16 MiB (max RSS delta vs native, every benchmark, 1x and "
                     "%dx)" % GROWTH, "%.1f MiB (%s)" % (d, where), "met" if d < 16 else "not met"))
    if len(edges_rows) >= 2 and all(r["d"] is not None for r in edges_rows[:2]):
        a, b2 = edges_rows[0], edges_rows[1]
        ea, eb = a["rec"] or a["edges"], b2["rec"] or b2["edges"]
        if eb > ea:
            per = (b2["d"] - a["d"]) * 1024 / (eb - ea)
            per_a = a["d"] * 1024 / ea
            per_b = b2["d"] * 1024 / eb
            bounded = per < 1024 and per_b <= 2 * max(per_a, 1)
            rows.append(("shim memory bounded per edge",
                         "%.0f bytes per extra recorded edge (%d -> %d edges); %.0f / %.0f bytes "
                         "per edge overall" % (per, ea, eb, per_a, per_b),
                         "met" if bounded else "not met"))
    if growth:
        bad = []
        worst = (0, "")
        for g in growth:
            if g["log1"] and g["log10"]:
                gr = g["log10"] / g["log1"]
                worst = max(worst, (gr, g["name"]))
                if gr > 1.5:
                    bad.append("%s %s" % (g["name"], fmt_x(gr)))
        if worst[1]:
            rows.append(("log size independent of run length (%dx longer run: log grows "
                         "<= 1.5x)" % GROWTH,
                         "worst %s (%s)%s" % (fmt_x(worst[0]), worst[1],
                                              "; over: " + ", ".join(bad) if bad else ""),
                         "met" if not bad else "not met"))
    return rows


def sha_of(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def snapshot_tools():
    """copy the shim and the analyzer to build/bench/snapshot/ and use the
    copies: the build tree may be rebuilt while the benchmarks run, and one
    session must measure one build"""
    global SHIM, LOCKHOUND
    d = fresh_dir(os.path.join(BB, "snapshot"))
    for name in ("liblockhound.so", "lockhound"):
        shutil.copy2(os.path.join(BUILD, name), os.path.join(d, name))
    SHIM = os.path.join(d, "liblockhound.so")
    LOCKHOUND = os.path.join(d, "lockhound")
    return sha_of(SHIM)


def section(name, fn, *args):
    """run one section, logging how long it took; with BENCH_STAGES, its
    line of the session's stage table (bench/stages.py)"""
    t0, l0, status = time.time(), loadavg(), "failed"
    try:
        fn(*args)
        status = "ok"
    finally:
        log("== %s: took %.0f s" % (name, time.time() - t0))
        if STAGES:
            with open(STAGES, "a") as f:
                f.write("bench.py: %s\t%.0f\t%.0f\t%s\t%s\t%s\n"
                        % (name, t0, time.time(), l0, loadavg(), status))


def main():
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    started = time.monotonic()
    load0 = loadavg()
    for f in (SHIM, LOCKHOUND):
        if not os.path.exists(f):
            print("bench: %s missing: build lockhound first (make)" % f, file=sys.stderr)
            return 1
    os.makedirs(WORK, exist_ok=True)
    shutil.rmtree(os.path.join(WORK, "logs"), ignore_errors=True)
    shutil.rmtree(os.path.join(WORK, "failed"), ignore_errors=True)
    global SHIM_SHA
    SHIM_SHA = snapshot_tools()
    log("runs=%d threads=%d timeout=%gs (valgrind: %gx reference, floor %gs)"
        % (RUNS, THREADS, TIMEOUT, VG_FACTOR, VG_FLOOR))

    mcmix = Memcached(*REALS[2])
    mcmix.mix = True
    benches = [Micro(n, d) for n, d in MICROS] + [Pigz(*REALS[0]), Memcached(*REALS[1]), mcmix]
    if "main" in SKIP:
        benches = []  # no other section uses them
    if ONLY:
        benches = [b for b in benches if b.name in ONLY]
    ready = []
    for b in benches:
        if b.prepare():
            ready.append(b)
        else:
            note("%s skipped: its program or tool is missing" % b.name)
    benches = ready
    for b in benches:
        for c, why in b.skip.items():
            if c not in ("tsan",) or b.kind == "micro":
                log("%s: %s column skipped (%s)" % (b.name, LABEL[c], why))

    try:
        if "main" not in SKIP:
            section("main tables", main_section, benches)
        else:
            for b in benches:
                results[b.name] = {c: [] for c in b.configs()}
        if "growth" not in SKIP and "main" not in SKIP:
            section("growth", growth_section, benches)
        if "edges" not in SKIP:
            section("manyedges", edges_section)
        if "analyzer" not in SKIP:
            section("generated logs", analyzer_section)
        if "exact" not in SKIP:
            section("exact mode", exact_section)
    finally:
        for b in benches + xbenches:
            b.cleanup()
    if sha_of(os.path.join(BUILD, "liblockhound.so")) != SHIM_SHA:
        note("build/liblockhound.so was rebuilt during this session; every run used the copy "
             "taken at the start (sha256 %s)" % SHIM_SHA[:12])
    if "main" in SKIP and xresults:
        # the exact-mode section alone: replace its block, keep the rest
        block = []
        exact_report(block.append)
        text = "\n".join(block)
        whole = splice_exact(text, OUT)
    else:
        text = build_report(benches, started, time.monotonic() - started, load0, loadavg())
        whole = keep_blocks(text, OUT)
    with open(OUT, "w") as f:
        f.write(whole)
    print()
    print(text)
    log("wrote %s" % os.path.relpath(OUT, ROOT))
    shutil.rmtree(os.path.join(WORK, "logs"), ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
