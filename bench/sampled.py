#!/usr/bin/env python3
"""sampled.py - detection harness of sampled race watching (issue 10).

    python3 bench/sampled.py [--build build] [--runs N] [--only A,B] [--curve]
                             [--configs default,watchpoint,write-protect]
                             [--memcached [--mc-seconds S]] [--out bench/RESULTS.md]
    python3 bench/sampled.py --check     # the fast subset run by make check

Runs the natively built programs of testprogs/sampled/ (make sampled-progs)
under bare LD_PRELOAD of the shim, where race watching is the only race
detector (nothing is instrumented), and counts the runs in which the
program's race was reported.  Line 1 of each program says what is expected:

    /* lockhound-sampled: racy variable=NAME var_kind=K [sees=reads|oneshot] */
    /* lockhound-sampled: clean */

variable / var_kind: a sampled data-race finding (detected_by watchpoint or
write-protect) must name this variable (a global's symbol; for a heap block
a function of its allocation stack) to count as found.  also=A,B: other
globals the program truly races on (found too, never false alarms).  sees=reads: the
race has a read on one side only, which a source that traps writes only
(write-protect) cannot see; such a program is "n/a" for that source, not a
miss.  sees=oneshot: every write of one racing side comes right after a
write of the same thread to the same page (a flag stored just after its
payload), and write-protect's protection is one shot: the first write
ends it, the next tick protects the page again, so that side's writes of
the variable are never seen; the program is run for its output and
false alarms under write-protect, its detection is "n/a".  Any other sampled finding in a run is a false alarm (in a clean
program, any finding at all).  Every run's stdout and exit status must be
the native run's (the program sees nothing of the watching).

Configurations, each run separately:
  default        the shim's defaults (race watching on, every source that
                 works); the finding's detected_by says which source found it
  watchpoint     SOURCE_OPTION=hw: hardware watchpoints only
  write-protect  SOURCE_OPTION=wp: userfaultfd write-protect only
A configuration that cannot run says why in one SKIP line: the machine
lacks the source (bench/tools/trapcost.c saw no trap from it), the shim
does not know the option (it warns "unknown option" and skips it: no
source would be selected), or it prints "race watching unavailable" (the trap
source's self-test failed, or it lacks privileges).

Results: "k/N" per program and configuration, with the targets of issue 10
(racy >= 19/20, clean 0/20).  When no racy program was reported in any run
the block says so plainly ("not yet reported"): the numbers are measured,
never assumed.  --curve: detection rate against the slowdown of one
microbenchmark over the budget settings in BUDGETS.  --memcached: Debian's
memcached under load, every sampled finding listed with a verdict.
The block goes into RESULTS.md under the host kind (hostkind.py: the CPU
vendor and the sources that trap here): a run replaces only its own host
kind's block and keeps every other kind's, with its date, machine and
commit.

--check (make check): first the programs' ground truth: each one built
with `lockhound cc` (exact mode) must race on exactly its variables (racy)
or not at all (clean).  Then each racy program must be found within
CHECK_RACY_RUNS runs, each clean one in none of CHECK_CLEAN_RUNS runs, per
configuration that can run; output `PASS name` / `FAIL name: why` /
`SKIP name: why`, exit status 1 on any FAIL.  Until the shim knows
SOURCE_OPTION the whole check is skipped with one SKIP line per source
(no other way to tell that the shim does sampled watching at all); until
it accepts HEAP_PROBE (sampled heap blocks handed to race watching) a
heap program's source configurations are skipped the same way.

Python 3 standard library only.  Environment: BENCH_SAMPLED_RUNS (20),
BENCH_SAMPLED_MS (300: the racing part of each program, ms).
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROGS = os.path.join(ROOT, "testprogs", "sampled")

# the shim option the harness selects one trap source with
SOURCE_OPTION = "race_source"
SOURCES = [("watchpoint", SOURCE_OPTION + "=hw"),
           ("write-protect", SOURCE_OPTION + "=wp")]
SAMPLED_BY = ("watchpoint", "write-protect")  # detected_by of sampled findings

TARGET_RACY = 19  # of 20 runs (issue 10)
CHECK_RACY_RUNS = 5   # make check: a racy program must be found within these
CHECK_CLEAN_RUNS = 2  # make check: a clean one must be silent in all of these
CHECK_MS = 300
RUN_TIMEOUT = 60      # one program run, seconds

# the shim option that sizes sampled heap blocks (pages of their own);
# HEAP_PROBE is the setting that hands them to race watching (-1: as many
# as the pool holds, once a source works).  Until the shim accepts it, no
# heap block is watched, and make check skips the heap programs' source
# configurations with that reason
HEAP_OPTION = "heap_guards"
HEAP_PROBE = HEAP_OPTION + "=-1"

# detection against cost: (label, extra shim options).  Hits per second is
# the budget that bounds the cost whatever the program does.
BUDGET_OPTION = "race_hits_per_sec"
# the budget settings of --curve: the cost budget (race_budget, per mille of
# the program's time; 20 is the default) and the hits per second (4000)
BUDGETS = [("race_budget=%d" % n, "race_budget=%d" % n) for n in (5, 20, 80, 1000)] + \
          [("%s=%d" % (BUDGET_OPTION, n), "%s=%d" % (BUDGET_OPTION, n)) for n in (250, 1000, 16000)]
CURVE_TIMEOUT = 30  # s: a run of the curve's microbenchmark is stopped here (not repeated)

# memcached: variables whose races are true and benign (statistics counters,
# the clock the event loop updates); anything else sampled is a false alarm
MC_TRUE = re.compile(r"^(current_time|process_started|stats.*|settings.*|.*_stats.*)$")

# RESULTS.md keeps one sampled block per host kind (hostkind.py): its
# markers are <!-- sampled section (KEY): begin/end -->
B_NAME = "sampled section"


class Prog:
    def __init__(self, name, path, racy, keys):
        self.name, self.path, self.racy, self.keys = name, path, racy, keys


def parse_header(line):
    """(racy, keys) from line 1 of a program; ValueError if malformed"""
    m = re.match(r"\s*(?:/\*|//)\s*lockhound-sampled:\s*(.*?)\s*(?:\*/)?\s*$", line)
    if not m:
        raise ValueError("no lockhound-sampled: line")
    words = m.group(1).split()
    if not words or words[0] not in ("racy", "clean"):
        raise ValueError("verdict must be racy or clean")
    keys = {}
    for w in words[1:]:
        k, eq, v = w.partition("=")
        if not eq or k not in ("variable", "var_kind", "sees", "also"):
            raise ValueError("bad key %r" % w)
        keys[k] = v
    racy = words[0] == "racy"
    if racy and "variable" not in keys:
        raise ValueError("a racy program names its variable")
    if not racy and keys:
        raise ValueError("clean takes no keys")
    return racy, keys


def load_progs(build, only=None):
    progs = []
    for f in sorted(os.listdir(PROGS)):
        base, ext = os.path.splitext(f)
        if ext not in (".c", ".cpp"):
            continue
        if only and base not in only:
            continue
        with open(os.path.join(PROGS, f)) as fh:
            racy, keys = parse_header(fh.readline())
        progs.append(Prog(base, os.path.join(build, "sampled", base), racy, keys))
    return progs


def sampled_findings(doc):
    return [f for f in doc.get("findings", [])
            if f.get("kind") == "data-race" and f.get("detected_by") in SAMPLED_BY]


def names_variable(f, keys):
    """does data-race finding f name the expected variable?"""
    var = f.get("variable") or {}
    if var.get("name") and var.get("name") in keys.get("also", "").split(","):
        return True  # another variable the program truly races on
    if "var_kind" in keys and var.get("kind") != keys["var_kind"]:
        return False
    name = keys.get("variable")
    if var.get("name") == name:
        return True
    if var.get("kind") == "heap":
        stack = (var.get("block") or {}).get("alloc_stack") or []
        return any(name in (fr.get("function") or "") for fr in stack
                   if isinstance(fr, dict))
    return False


def judge(prog, doc, source=None):
    """(found, false_alarms, other_findings) of one run's report.
    found: the program's race was reported (by `source` if given);
    false_alarms: sampled findings that are not the program's race;
    other: findings of other kinds (lock order, misuse) - reported, never
    expected here."""
    fs = sampled_findings(doc)
    found = False
    false = []
    for f in fs:
        if prog.racy and names_variable(f, prog.keys) and \
                (source is None or f.get("detected_by") == source):
            found = True
        elif not (prog.racy and names_variable(f, prog.keys)):
            false.append(f)
    other = [f for f in doc.get("findings", []) if f.get("kind") != "data-race"]
    return found, false, other


def run_problem(prog, got, want, doc, i):
    """why run i of prog failed (None: it did not): its (exit status,
    stdout) differ from the native run's, or a false alarm"""
    if got != want:
        return "run %d: exit %d, stdout %r; natively exit %d, %r" % (
            i, got[0], got[1], want[0], want[1])
    _, false, _ = judge(prog, doc)
    if false:
        return "run %d: false alarm on %s" % (i, ", ".join(describe(f) for f in false))
    return None


def applies(prog, source):
    """can `source` see this program's race at all?"""
    return not (prog.racy and prog.keys.get("sees") in ("reads", "oneshot")
                and source == "write-protect")


NA_WHY = {"reads": "a read-side race; %s sees writes only",
          "oneshot": "one side's writes each follow a write of its own to the same page at "
                     "once; %s's one-shot protection ends at the first"}


def describe(f):
    var = f.get("variable") or {}
    return "%s %s (%s)" % (var.get("kind"), var.get("name") or "?", f.get("detected_by"))


# ---- process groups of running commands --------------------------------
# (tests/integration/procgroups.py: each command runs in its own session;
# the groups still live when the harness ends are killed)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from procgroups import live as _live_groups, kill_live_groups, guard_process_groups  # noqa: E402,F401
sys.path.insert(0, HERE)
import hostkind  # noqa: E402


class Shim:
    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.so = os.path.join(self.build, "liblockhound.so")
        self.lockhound = os.path.join(self.build, "lockhound")

    def env(self, opts):
        env = dict(os.environ)
        env.pop("LOCKHOUND_OPTIONS", None)
        env["LD_PRELOAD"] = self.so
        env["LOCKHOUND_OPTIONS"] = opts
        return env

    def probe(self, extra):
        """None if the shim runs with these options, else why not"""
        d = tempfile.mkdtemp(prefix="lh-sprobe-")
        try:
            opts = "log_dir=%s:quiet=1" % d + (":" + extra if extra else "")
            p = subprocess.run(["/bin/true"], cwd=d, env=self.env(opts),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=RUN_TIMEOUT)
            err = p.stderr.decode("utf-8", "replace")
            m = re.search(r"unknown option '([^']*)'", err)
            if m:
                return "the shim does not know option %s" % m.group(1)
            m = re.search(r"LOCKHOUND_OPTIONS: (.*?) \(ignored", err)
            if m:
                return "the shim refuses %s: %s" % (extra, m.group(1))
            m = re.search(r"race watching unavailable: *(.*)", err)
            if m:
                return "race watching unavailable: " + m.group(1).strip()
            return None
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def run(self, argv, extra, timeout=RUN_TIMEOUT):
        """(rc, stdout, report doc, notes, seconds) of one run under the shim"""
        d = tempfile.mkdtemp(prefix="lh-srun-")
        try:
            opts = "log_dir=%s:quiet=1" % d + (":" + extra if extra else "")
            t0 = time.monotonic()
            p = subprocess.Popen(argv, cwd=d, env=self.env(opts), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 start_new_session=True)
            _live_groups[p.pid] = True
            try:
                out, _ = p.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.communicate()
                raise RuntimeError("%s timed out after %ds" % (argv[0], timeout))
            finally:
                _live_groups.pop(p.pid, None)
            secs = time.monotonic() - t0
            logs = [os.path.join(d, f) for f in os.listdir(d) if f.endswith(".log")]
            doc = {"findings": [], "logs": []}
            if logs:
                r = subprocess.run([self.lockhound, "report", "--format", "json"] + logs,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   timeout=RUN_TIMEOUT)
                doc = json.loads(r.stdout.decode("utf-8", "replace"))
            notes = [n for lg in doc.get("logs", []) for n in (lg.get("notes") or [])]
            return p.returncode, out.decode("utf-8", "replace"), doc, notes, secs
        finally:
            shutil.rmtree(d, ignore_errors=True)


def native(prog, ms):
    p = subprocess.run([prog.path, str(ms)], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=RUN_TIMEOUT)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def machine_sources(shim):
    """{source: why it does not trap on this machine} from trapcost (100
    traps each, no shim), so that a source the machine lacks is skipped
    whatever the shim does with it; {} when the tool is not built"""
    got = hostkind.machine_sources(os.path.join(shim.build, "bench", "trapcost"), RUN_TIMEOUT)
    return got[1] if got else {}


def host_of(shim):
    """this host's kind (hostkind.py): the CPU vendor and the sources that
    trap here; the key of this run's block in RESULTS.md"""
    got = hostkind.machine_sources(os.path.join(shim.build, "bench", "trapcost"), RUN_TIMEOUT)
    return hostkind.host_key(hostkind.cpu_vendor(), got[0] if got else None)


HOST_WHY = "this machine: "  # a configuration's reason when the host lacks its source


def configs(shim):
    """[(name, extra options, why not or None)]"""
    out = [("default", "", shim.probe(""))]
    lacks = machine_sources(shim)
    for name, opt in SOURCES:
        why = lacks.get(name)
        out.append((name, opt, HOST_WHY + "the self-test of bench/tools/trapcost.c (no shim): "
                    + why if why else shim.probe(opt)))
    return out


# ---- the programs' ground truth, from exact mode ---------------------------
# runs of a racy program before its exact-mode check fails (oracle)
ORACLE_TRIES = 3


def oracle(shim, progs, ms):
    """Each program built with `lockhound cc` (exact mode: every access
    instrumented, every race the run leaves unordered reported): a racy one
    must race on its variable and nothing else, a clean one on nothing.
    This checks the programs themselves, whatever the sampler does.  A
    racy program gets up to ORACLE_TRIES runs: the programs race until a
    deadline (sb_running), and on a loaded machine a thread first scheduled
    after it never writes, so that run has no race and exact mode rightly
    reports none; a false report fails at once.
    Returns (failures, passes); prints PASS/FAIL/SKIP lines."""
    fails = npass = 0
    d = tempfile.mkdtemp(prefix="lh-soracle-")
    try:
        for prog in progs:
            tname = "sampled_%s_exact_truth" % prog.name
            src = os.path.join(PROGS, prog.name + (".cpp" if os.path.exists(
                os.path.join(PROGS, prog.name + ".cpp")) else ".c"))
            exe = os.path.join(d, prog.name)
            drv = ["c++", "-std=c++17"] if src.endswith(".cpp") else ["cc"]
            b = subprocess.run([shim.lockhound] + drv + ["-O2", "-g", "-pthread", "-D_GNU_SOURCE",
                                                          "-o", exe, src],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
            if b.returncode != 0:
                print("SKIP %s: lockhound cc cannot build it here: %s" % (
                    tname, b.stdout.decode("utf-8", "replace").strip().splitlines()[-1:]))
                continue
            for attempt in range(ORACLE_TRIES if prog.racy else 1):
                logd = os.path.join(d, "%s.%d.logs" % (prog.name, attempt))
                os.mkdir(logd)
                env = dict(os.environ)
                env.pop("LD_PRELOAD", None)
                env["LOCKHOUND_OPTIONS"] = "log_dir=%s" % logd
                p = subprocess.run([exe, str(ms)], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, timeout=RUN_TIMEOUT)
                logs = [os.path.join(logd, f) for f in os.listdir(logd) if f.endswith(".log")]
                r = subprocess.run([shim.lockhound, "report", "--format", "json"] + logs,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   timeout=RUN_TIMEOUT)
                doc = json.loads(r.stdout.decode("utf-8", "replace") or "{}")
                races = [f for f in doc.get("findings", []) if f.get("kind") == "data-race"]
                wrong = [f for f in races if not (prog.racy and names_variable(f, prog.keys))]
                hit = [f for f in races if prog.racy and names_variable(f, {
                    k: v for k, v in prog.keys.items() if k != "also"})]
                why = None
                if wrong:
                    why = "exact mode reports %s" % ", ".join(describe(f) for f in wrong)
                    break
                if prog.racy and not hit:
                    why = "exact mode does not report %s in %d runs (exit %d)" % (
                        prog.keys["variable"], attempt + 1, p.returncode)
                else:
                    break
            if why:
                print("FAIL %s: %s" % (tname, why))
                fails += 1
            else:
                print("PASS %s" % tname)
                npass += 1
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return fails, npass


# ---- make check: the fast subset ------------------------------------------
def check(shim, progs, ms):
    fails, npass = oracle(shim, progs, 100)
    cfgs = configs(shim)
    for name, opt, why in cfgs:
        if why:
            print("SKIP sampled_%s: %s" % (name, why))
    runnable = [(n, o) for n, o, w in cfgs if not w]
    heap_why = shim.probe(HEAP_PROBE)
    if not any(n != "default" for n, _ in runnable):
        # without a source option the shim cannot be told to watch, and
        # the default configuration alone cannot tell "no watching in this
        # build" from "watching missed": detection is not asserted
        print("SKIP sampled_detection: no trap source can be selected; "
              "sampled race watching not yet reported by this shim")
    for prog in progs:
        nrc, nout = native(prog, ms)
        for cname, opt in runnable:
            if cname == "default":
                # the defaults: the program's output is the native one and
                # nothing but its own race is reported (one run)
                tname = "sampled_%s_default" % prog.name
                try:
                    rc, out, doc, notes, _ = shim.run([prog.path, str(ms)], opt)
                    why = run_problem(prog, (rc, out), (nrc, nout), doc, 1)
                except RuntimeError as e:
                    why = str(e)
                if why:
                    print("FAIL %s: %s" % (tname, why))
                    fails += 1
                else:
                    npass += 1
                    print("PASS %s" % tname)
                continue
            tname = "sampled_%s_%s" % (prog.name, cname)
            output_only = False
            if not applies(prog, cname):
                if prog.keys.get("sees") != "oneshot":
                    print("SKIP %s: %s" % (tname, NA_WHY[prog.keys["sees"]] % cname))
                    continue
                output_only = True  # still run: its output and no false alarm
            if prog.keys.get("var_kind") == "heap" and heap_why:
                print("SKIP %s: a heap block's race; no heap block is watched (%s)"
                      % (tname, heap_why))
                continue
            runs = CHECK_CLEAN_RUNS if output_only or not prog.racy else CHECK_RACY_RUNS
            why = None
            found_at = None
            for i in range(runs):
                try:
                    rc, out, doc, notes, _ = shim.run([prog.path, str(ms)], opt)
                except RuntimeError as e:
                    why = str(e)
                    break
                why = run_problem(prog, (rc, out), (nrc, nout), doc, i + 1)
                if why:
                    break
                found, _, _ = judge(prog, doc, cname)
                if found:
                    found_at = i + 1
                    break
            if why is None and prog.racy and found_at is None and not output_only:
                why = "%s not reported in %d runs" % (prog.keys["variable"], runs)
            if why:
                print("FAIL %s: %s" % (tname, why))
                fails += 1
            else:
                npass += 1
                print("PASS %s%s" % (tname, " (run %d)" % found_at if found_at else
                                     " (output only: %s)" % (NA_WHY["oneshot"] % cname)
                                     if output_only else ""))
    print("%d passed, %d failed" % (npass, fails))
    return 1 if fails else 0


# ---- the benchmark: N runs per program and configuration ------------------
def detect(shim, progs, runs, ms, cfgs, extra=""):
    """{(prog, config): {"found", "false", "bad", "runs", "na", "secs"}}"""
    res = {}
    for prog in progs:
        nrc, nout = native(prog, ms)
        for cname, opt, why in cfgs:
            if why:
                continue
            src = None if cname == "default" else cname
            r = {"found": 0, "false": 0, "bad": 0, "runs": 0, "secs": 0.0,
                 "na": src is not None and not applies(prog, src), "by": {}, "what": set()}
            for _ in range(runs):
                o = ":".join(x for x in (opt, extra) if x)
                try:
                    rc, out, doc, notes, secs = shim.run([prog.path, str(ms)], o)
                except RuntimeError:
                    r["bad"] += 1
                    r["runs"] += 1
                    continue
                r["runs"] += 1
                r["secs"] += secs
                if (rc, out) != (nrc, nout):
                    r["bad"] += 1
                found, false, _ = judge(prog, doc, src)
                r["found"] += found
                r["false"] += bool(false)
                for f in sampled_findings(doc):
                    r["by"][f.get("detected_by")] = r["by"].get(f.get("detected_by"), 0) + 1
                for f in false:
                    r["what"].add(describe(f))
            res[(prog.name, cname)] = r
    return res


def cell(prog, r):
    if r is None:
        return "-"
    if r["na"]:
        return "n/a (%s)" % {"reads": "a read on one side: writes only",
                             "oneshot": "one side's writes follow its own at once: one-shot protection"}.get(
            prog.keys.get("sees"), "?")
    n = r["runs"]
    s = "%d/%d" % (r["found"] if prog.racy else r["false"], n)
    if prog.racy and r["false"]:
        s += ", %d false" % r["false"]
    if r["bad"]:
        s += ", %d output differs" % r["bad"]
    return s


def verdict(prog, r, runs):
    """met / not met against issue 10's targets, scaled to the run count"""
    if r is None or r["na"]:
        return None
    if r["bad"] or r["false"] and not prog.racy:
        return False
    if prog.racy:
        return r["found"] * 20 >= TARGET_RACY * r["runs"] and not r["false"]
    return True


def detection_block(progs, res, cfgs, runs, ms):
    lines = ["### Detection: sampled race watching on native binaries", "",
             "`python3 bench/sampled.py --runs %d` (BENCH_SAMPLED_MS=%d: each program "
             "races for %d ms). Racy: runs in which the program's variable was reported; "
             "clean: runs with any sampled finding (false alarms). Target: racy >= %d/20, "
             "clean 0/20." % (runs, ms, ms, TARGET_RACY), ""]
    for cname, opt, why in cfgs:
        if why and why.startswith(HOST_WHY):
            lines.append("- %s: cannot run on this host: %s" % (cname, why[len(HOST_WHY):]))
        elif why:
            lines.append("- %s: not measured: %s" % (cname, why))
    run_cfgs = [c for c in cfgs if not c[2]]
    if not run_cfgs:
        lines.append("")
        return lines
    lines += ["", "| program | expected | " + " | ".join(c[0] for c in run_cfgs) + " |",
              "|---|---|" + "---|" * len(run_cfgs)]
    met = {c[0]: [0, 0, 0, 0] for c in run_cfgs}  # racy met, racy, clean met, clean
    for prog in progs:
        row = ["`%s`" % prog.name, "race on `%s`" % prog.keys["variable"] if prog.racy else "clean"]
        for cname, _, _ in run_cfgs:
            r = res.get((prog.name, cname))
            row.append(cell(prog, r))
            v = verdict(prog, r, runs)
            if v is not None:
                k = 0 if prog.racy else 2
                met[cname][k + 1] += 1
                met[cname][k] += bool(v)
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    for cname, _, _ in run_cfgs:
        m = met[cname]
        lines.append("- %s: %d of %d racy programs and %d of %d clean ones meet the target"
                     % (cname, m[0], m[1], m[2], m[3]))
    any_found = any(r["found"] for r in res.values())
    if not any_found:
        lines.append("- **not yet reported**: no racy program was reported in any run of any "
                     "configuration; this shim does not (yet) report sampled races, so the "
                     "clean programs' 0/N says nothing about false alarms yet")
    falses = sorted({w for r in res.values() for w in r["what"]})
    if falses:
        lines.append("- false alarms named: " + ", ".join(falses))
    by = {}
    for (pname, cname), r in res.items():
        if cname == "default":
            for k, v in r["by"].items():
                by[k] = by.get(k, 0) + v
    if by:
        lines.append("- default configuration, sampled findings by source: " +
                     ", ".join("%s %d" % kv for kv in sorted(by.items())))
    lines.append("")
    return lines


def timed(argv, env, timeout=300):
    t0 = time.monotonic()
    p = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=timeout)
    return time.monotonic() - t0, p.returncode


def curve_time(argv, env, runs=3, limit=CURVE_TIMEOUT):
    """(median wall time of runs runs, False), or (limit, True) once a run
    is stopped at limit seconds: one such run is enough"""
    ts = []
    for _ in range(runs):
        try:
            ts.append(timed(argv, env, limit)[0])
        except subprocess.TimeoutExpired:
            return limit, True
    return sorted(ts)[len(ts) // 2], False


def curve_block(shim, progs, ms, runs):
    """detection rate of the racy programs and the slowdown of one
    microbenchmark, for each budget setting: against native, and against
    races=0 (the cost of race watching alone)"""
    lines = ["### Detection against cost over the budget", ""]
    micro = os.path.join(shim.build, "bench", "contended")
    why = shim.probe(BUDGETS[0][1])
    if why:
        return lines + ["Not measured: %s." % why, ""]
    if not os.access(micro, os.X_OK):
        return lines + ["Not measured: %s is missing (bash bench/run.sh builds it)." % micro, ""]
    racy = [p for p in progs if p.racy]

    def micro_time(opt):
        """(median of 3 runs, stopped at CURVE_TIMEOUT?)"""
        d = tempfile.mkdtemp(prefix="lh-scurve-")
        try:
            env = shim.env("log_dir=%s:quiet=1%s" % (d, ":" + opt if opt else ""))
            return curve_time([micro, "4"], env)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    nat = sorted(timed([micro, "4"], None)[0] for _ in range(3))[1]
    off = micro_time("races=0")[0]
    lines += ["`race_budget` (per mille of the program's time watching may spend; 20 is the "
              "default) and `%s` (4000), %d runs of each racy program per setting; "
              "slowdown: median of 3 runs of `contended 4` against native (%.2f s) and against "
              "`races=0` (%.2f s: race watching alone)." % (BUDGET_OPTION, runs, nat, off), "",
              "| setting | racy programs found (runs) | contended 4 / native | watching alone (/ races=0) |",
              "|---|---|---|---|"]
    for label, opt in BUDGETS:
        res = detect(shim, racy, runs, ms, [("default", "", None)], opt)
        found = sum(r["found"] for r in res.values())
        total = sum(r["runs"] for r in res.values())
        t, stopped = micro_time(opt)
        if stopped:
            lines.append("| %s | %d/%d | > %.0fx (stopped after %d s) | > %.0fx |"
                         % (label, found, total, t / nat, t, t / off))
        else:
            lines.append("| %s | %d/%d | %.2fx | %.2fx |" % (label, found, total, t / nat, t / off))
    return lines + [""]


def memcached_block(shim, seconds=0):
    """memcached under the shim with its defaults (race watching on, every
    source that works), loaded by mcload: one check run, or, with seconds,
    check and mix runs one after the other until that long has passed;
    every sampled finding listed with a verdict"""
    lines = ["### memcached (Debian's binary) under load", ""]
    mc = shutil.which("memcached")
    load = os.path.join(shim.build, "bench", "mcload")
    if not mc or not os.access(load, os.X_OK):
        return lines + ["Not measured: memcached or build/bench/mcload missing.", ""]
    d = tempfile.mkdtemp(prefix="lh-smc-")
    try:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        argv = [mc, "-t", "4", "-p", str(port), "-U", "0", "-l", "127.0.0.1"]
        if os.getuid() == 0:
            argv += ["-u", "nobody"]
        os.chmod(d, 0o777)
        srv = subprocess.Popen(argv, cwd=d, env=shim.env("log_dir=%s:quiet=1" % d),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
        t0 = time.monotonic()
        n_runs, bad_runs = 0, 0
        try:
            while True:
                mode = ["check", "mix"][n_runs % 2] if seconds else "check"
                c = subprocess.run([load, "127.0.0.1", str(port), "4", "20000", "2", "60", mode],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
                n_runs += 1
                bad_runs += c.returncode != 0
                if time.monotonic() - t0 >= seconds:
                    break
            elapsed = time.monotonic() - t0
        finally:
            srv.send_signal(signal.SIGTERM)
            try:
                srv.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(srv.pid, signal.SIGKILL)
                srv.wait()
        logs = [os.path.join(d, f) for f in os.listdir(d) if f.endswith(".log")]
        if not logs:
            return lines + ["Not measured: the server left no log.", ""]
        r = subprocess.run([shim.lockhound, "report", "--format", "json"] + logs,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=300)
        doc = json.loads(r.stdout.decode("utf-8", "replace"))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    fs = sampled_findings(doc)
    if seconds:
        lines.append("`memcached -t 4` with the shim's defaults, %d runs of "
                     "`mcload 127.0.0.1 PORT 4 20000 2 60 check|mix` one after the other "
                     "for %.0f s (%d client runs failed). %d sampled findings."
                     % (n_runs, elapsed, bad_runs, len(fs)))
    else:
        lines.append("`memcached -t 4`, `mcload 127.0.0.1 PORT 4 20000 2` (client exit %d). "
                     "%d sampled findings." % (c.returncode, len(fs)))
    for f in fs:
        var = f.get("variable") or {}
        name = var.get("name") or ""
        ok = bool(MC_TRUE.match(name))
        lines.append("- %s, decided %s: %s" % (
            describe(f), f.get("decided_by") or "?",
            "true race (statistics/clock)" if ok else "**not a known true race: check it**"))
    return lines + [""]


parse_trapcost = hostkind.parse_trapcost


def trapcost_block(shim, reps=5):
    """the cost of one trap per source (bench/tools/trapcost.c, without the
    shim): the median of reps runs of 2000 traps each"""
    lines = ["### What one trap costs here", ""]
    tool = os.path.join(shim.build, "bench", "trapcost")
    if not os.access(tool, os.X_OK):
        return lines + ["Not measured: %s is missing (bash bench/run.sh builds it)." % tool, ""]
    per = {"hw": [], "wp": []}
    why = {}
    for _ in range(reps):
        p = subprocess.run([tool, "2000"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           timeout=300)
        got, no = parse_trapcost(p.stdout.decode("utf-8", "replace"))
        for k, v in got.items():
            per[k].append(v)
        why.update(no)
    names = {"hw": "hardware watchpoint (SIGTRAP to the storing thread)",
             "wp": "userfaultfd write-protect (protect, fault, handler thread, un-protect)"}
    lines += ["`build/bench/trapcost 2000`, %d runs, median (min-max):" % reps, ""]
    for k in ("hw", "wp"):
        v = sorted(per[k])
        if v:
            lines.append("- %s: %.1f us per trap (%.1f-%.1f)" % (names[k], v[len(v) // 2], v[0], v[-1]))
        else:
            lines.append("- %s: unavailable: %s" % (names[k], why.get(k, "no result")))
    return lines + [""]


def machine_lines(key):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for ln in fh:
                if ln.startswith("model name"):
                    cpu = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode().strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode().strip()
    if rev and dirty:
        rev += " (with uncommitted changes)"
    return ["Measured %s on %s, kernel %s, %d CPUs, commit %s." % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), cpu, os.uname().release,
        os.cpu_count() or 0, rev or "?"), "",
        "Host kind: %s (the CPU vendor and the trap sources that trap here, "
        "bench/tools/trapcost.c without the shim). A run replaces only the block of its own "
        "host kind; a block of another kind keeps its own date, machine and commit." %
        hostkind.describe(key), ""]


def put_block(path, block, key):
    """replace this host kind's sampled block in path (or add it after the
    others): the blocks of other host kinds stay as they are"""
    hostkind.put_block(path, B_NAME, key, block)


def main():
    guard_process_groups()
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_SAMPLED_RUNS", "20")))
    ap.add_argument("--ms", type=int, default=int(os.environ.get("BENCH_SAMPLED_MS", "300")))
    ap.add_argument("--only", default="")
    ap.add_argument("--configs", default="",
                    help="comma-separated subset of default,watchpoint,write-protect")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--curve", action="store_true")
    ap.add_argument("--memcached", action="store_true")
    ap.add_argument("--mc-seconds", type=int, default=0,
                    help="--memcached: load it for this long (check and mix runs in turn)")
    ap.add_argument("--curve-runs", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    a = ap.parse_args()
    shim = Shim(a.build)
    for f in (shim.so, shim.lockhound):
        if not os.path.exists(f):
            print("sampled: %s is missing: run make first" % f, file=sys.stderr)
            return 2
    only = [s for s in a.only.split(",") if s]
    try:
        progs = load_progs(shim.build, only)
    except ValueError as e:
        print("sampled: %s" % e, file=sys.stderr)
        return 2
    missing = [p.path for p in progs if not os.access(p.path, os.X_OK)]
    if missing:
        print("sampled: %s missing: run make sampled-progs" % missing[0], file=sys.stderr)
        return 2
    if a.check:
        return check(shim, progs, CHECK_MS)
    cfgs = configs(shim)
    if a.configs:
        want = [c for c in a.configs.split(",") if c]
        bad = [c for c in want if c not in [n for n, _, _ in cfgs]]
        if bad:
            print("sampled: unknown configuration %s" % bad[0], file=sys.stderr)
            return 2
        cfgs = [c for c in cfgs if c[0] in want]
    res = detect(shim, progs, a.runs, a.ms, cfgs)
    key = host_of(shim)
    block = ["## Sampled race watching (issue 10): %s" % hostkind.describe(key), ""]
    block += machine_lines(key)
    block += trapcost_block(shim)
    block += detection_block(progs, res, cfgs, a.runs, a.ms)
    if a.curve:
        block += curve_block(shim, progs, a.ms, a.curve_runs)
    if a.memcached:
        block += memcached_block(shim, a.mc_seconds)
    print("\n".join(block))
    put_block(a.out, block, key)
    print("sampled: wrote %s" % a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
