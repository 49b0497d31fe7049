#!/usr/bin/env python3
"""Golden tests of lockhound's text report.

    python3 tests/golden/run_golden.py --build build            # check
    python3 tests/golden/run_golden.py --build build --regen    # rewrite all
    python3 tests/golden/run_golden.py --build build --regen NAME...  # some

Every tests/golden/NAME.txt is the expected text report for the scenario
testprogs/NAME.c (or .cpp, or testprogs/python/NAME for NAME.py, run from
the top of the tree as `PYTHON testprogs/python/NAME`, PYTHON being the
interpreter running this script): the program runs as `lockhound run
--log-dir D --options races=0[:OPTS] -- build/testprogs/NAME ARGS` (options,
args and timeout from the scenario's lockhound-expect line; sampled race
watching off, see produce()), then `lockhound report D/*.log`
prints the text report, and the last line records the exit status of
`run`.  Before comparing, both sides go through filter_report(), which
replaces what changes from run to run or machine to machine, as Valgrind's
expected-output tests do:

  - hexadecimal numbers (addresses, pcs, module offsets) -> 0x...
  - kernel thread ids "(tid 1234)" -> "(tid N)"; pids -> N
  - directories in paths -> removed (only the file name stays)
  - line numbers in files outside testprogs/ (system headers, Python's
    standard library) -> :N; line numbers in the scenario's own source
    are kept (a path with testprogs/ in it, absolute for Python scripts)
  - log file names (they carry the pid) -> lockhound.PID.log
  - Python scenarios: the number of lock orders recorded -> N (the
    interpreter's own GIL locking adds a number that depends on scheduling)

Thread names T1, T2, ... are kept: the shim numbers threads in creation
order, and these scenarios create their threads from one thread.  Add a
scenario by running with --regen NAME and reading the new file before
committing it; after a deliberate change to the report, --regen with no
names rewrites every file (review the diff).  Output: PASS/FAIL per file,
then "N passed, N failed"; exit status 1 if anything failed.
"""

import argparse
import difflib
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import run_tests  # noqa: E402  (the scenario expectation parser)

HEX_RE = re.compile(r"0x[0-9a-fA-F]+")
TID_RE = re.compile(r"\(tid \d+\)")
PID_RE = re.compile(r"\b(pid|Process) \d+")
# a path with at least one directory: keep only its last component
PATH_RE = re.compile(r"(?<![\w.+-])/?(?:[\w.+-]+/)+([\w.+-]+)")
# file:line of a file that is not one of the scenarios' sources
SYSLINE_RE = re.compile(r"(?<![\w./+-])((?![\w./+-]*testprogs/)[\w./+-]+\.[\w+]+):\d+")
PY_ORDERS_RE = re.compile(r"\b\d+ (lock orders? recorded)")
LOGNAME_RE = re.compile(r"\blockhound\.[\w.]+\.log\b")
# golden runs leave sampled race watching off (see produce())
RACES_OFF = "races=0"


def filter_report(text):
    out = []
    for line in text.splitlines():
        line = SYSLINE_RE.sub(r"\1:N", line)
        line = PATH_RE.sub(r"\1", line)
        line = LOGNAME_RE.sub("lockhound.PID.log", line)
        line = HEX_RE.sub("0x...", line)
        line = TID_RE.sub("(tid N)", line)
        line = PID_RE.sub(r"\1 N", line)
        out.append(line.rstrip())
    return "\n".join(out).rstrip("\n") + "\n"


def scenario_source(name):
    if name.endswith(run_tests.PY_SUFFIX):
        p = os.path.join(ROOT, "testprogs", "python", name)
        return p if os.path.exists(p) else None
    for ext in (".c", ".cpp"):
        p = os.path.join(ROOT, "testprogs", name + ext)
        if os.path.exists(p):
            return p
    return None


def produce(build, name):
    """Run the scenario and return its filtered report, or raise."""
    src = scenario_source(name)
    if not src:
        raise RuntimeError("no testprogs/%s.c or .cpp" % name)
    exp = run_tests.parse_expect_file(src)
    cmd = [os.path.join(build, "testprogs", name)]
    cwd = None
    if name.endswith(run_tests.PY_SUFFIX):
        # relative to the tree, as the scenarios' own sources are in the
        # native frames (their line numbers are kept)
        cmd = [run_tests.PYTHON, os.path.relpath(src, ROOT)]
        cwd = ROOT
    lockhound = os.path.join(build, "lockhound")
    d = tempfile.mkdtemp(prefix="lockhound-golden-%s-" % name)
    try:
        argv = [lockhound, "run", "--log-dir", d]
        # Sampled race watching is off here (races=0): it watches a random
        # sample of the program's memory for a share of its time, and its
        # budget notes (a hot address backing off, the hits-per-second cap)
        # depend on scheduling, so a golden file could not pin them.  The
        # integration suite runs every one of these programs with race
        # watching on (the default) and fails on any finding its
        # expectation does not name, so no sampled race goes unseen.
        opts = RACES_OFF
        if exp.options is not None:
            opts = exp.options if "races=" in exp.options else RACES_OFF + ":" + exp.options
        argv += ["--options", opts]
        argv += ["--"] + cmd + exp.args
        env = run_tests.base_env()
        r = run_tests.run_cmd(argv, exp.timeout, cwd or d, env)
        if r.timed_out:
            raise RuntimeError("timed out after %gs" % exp.timeout)
        logs = sorted(glob.glob(os.path.join(d, "*.log")))
        if not logs:
            raise RuntimeError("no log written")
        rep = subprocess.run([lockhound, "report"] + logs, cwd=d, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=120)
        text = rep.stdout.decode("utf-8", "replace")
        text += "exit status of lockhound run: %s\n" % r.rc
        if name.endswith(run_tests.PY_SUFFIX):
            # the interpreter's own locks (the GIL's mutexes) add orders
            # that depend on how the threads were scheduled
            text = PY_ORDERS_RE.sub(r"N \1", text)
        return filter_report(text)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    run_tests.guard_process_groups()  # lockhound run's groups die with this harness
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--regen", action="store_true",
                    help="write the expected files instead of checking")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    names = a.names or sorted(os.path.splitext(os.path.basename(p))[0]
                              for p in glob.glob(os.path.join(HERE, "*.txt")))
    passed = failed = 0
    for name in names:
        path = os.path.join(HERE, name + ".txt")
        try:
            got = produce(build, name)
        except Exception as e:  # one line per scenario, whatever broke
            print("FAIL %s: %s" % (name, e))
            failed += 1
            continue
        if a.regen:
            with open(path, "w", encoding="utf-8") as f:
                f.write(got)
            print("WROTE %s" % os.path.relpath(path, ROOT))
            continue
        try:
            with open(path, "r", encoding="utf-8") as f:
                want = f.read()  # stored filtered
        except FileNotFoundError:
            print("FAIL %s: no %s (run with --regen %s)" % (name, path, name))
            failed += 1
            continue
        if got == want:
            print("PASS %s" % name)
            passed += 1
        else:
            print("FAIL %s: the report differs from %s:" % (name, os.path.relpath(path, ROOT)))
            for l in difflib.unified_diff(want.splitlines(), got.splitlines(),
                                          "expected", "got", lineterm="", n=2):
                print("    | " + l)
            failed += 1
    if not a.regen:
        print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
