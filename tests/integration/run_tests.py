#!/usr/bin/env python3
"""lockhound integration tests.

    python3 tests/integration/run_tests.py --build build [--only NAME,...] [-j N]
    python3 tests/integration/run_tests.py --list        # parsed expectations
    python3 tests/integration/run_tests.py --self-test   # checker self-check

Every testprogs/NAME.c and testprogs/NAME.cpp (not testprogs/lib*) is one
scenario; its first line states the expected verdict:

    /* lockhound-expect: clean */
    /* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=a,b */
    // lockhound-expect: ...
    /* lockhound-expect: deadlock count=1 ; misuse what=unlock-not-held */

Clauses are separated by " ; ".  A clause is a finding kind followed by
key=value pairs (or just `clean`, which means no findings at all).  Keys:

  per clause (about the findings of that kind):
    count=N            exactly N findings of this kind (default: at least 1)
    locks=N            every such finding has N locks
    concurrent=B       every such finding has "concurrent" == B (true|false)
    single_thread=B    every such finding has "single_thread" == B
    functions=a,b      in every such finding, each name is a substring of
                       the "function" of some frame of its stacks: edges'
                       held_stack / acquired_stack, waits' blocked_stack,
                       holds' acquired_stack, and the finding's own stack
    what=X             some finding of this kind has "what" == X
    what_all=X         every finding of this kind has "what" == X
    min_occurrences=N  every such finding has "count" >= N (the number of
                       times it was seen, after de-duplication)
    ended_process=B    every such finding has "ended_process" == B
    processes=N        every such finding spans N processes
                       ("spans_processes": a lock-order cycle no single
                       process formed, from the logs of N processes)
  data-race clauses (one finding per racy variable; see docs/DESIGN.md):
    variable=NAME      some finding's variable.name == NAME, or (heap) a
                       frame of its variable.block.alloc_stack has a
                       "function" containing NAME
    var_kind=K         K is global|heap|stack|unknown: some finding's
                       variable.kind == K
    ops=a,b            a multiset of "write"/"read": some pair of the
                       finding has exactly these ops (order-free)
                       variable, var_kind and ops must all hold for one
                       and the same finding; functions= looks at the
                       stacks of both accesses of every pair
  global (may appear in any clause):
    exit=N             expected exit status of `lockhound run` (default 66
                       if any finding is expected, else 0)
    args=a,b           program arguments (comma-separated, no spaces)
    timeout=S          seconds before the run is killed (default 60)
    logs=N             the JSON report lists exactly N logs (processes)
    max_seconds=S      the run (lockhound run, start to exit) must take less
                       than S seconds of wall time
    options=OPTS       passed as `--options OPTS` to lockhound run (shim
                       options, name=value pairs separated by ':')
    complete=B         every log's "complete" is B (default true; false for
                       programs that abort, crash or are killed)
    min_edges=N        the logs recorded at least N lock orders in all
                       (sum of "lock_orders").  Default for `clean`: 1, so
                       a clean verdict from a shim that recorded nothing
                       fails; a clean scenario that never nests locks says
                       min_edges=0 and min_threads=N instead
    min_threads=N      the processes ran at least N threads in all (sum of
                       the logs' "threads_run", from their end records: the
                       shim saw the threads start)

  Python frames (programs run by a CPython interpreter):
    py_functions=a,b   in every such finding, each name is a substring of
                       the "function" of some Python frame ("lang":
                       "python") of its stacks (the stacks functions=
                       looks at)
    py_every_stack=true  in every such finding, every stack of its edges
                       (the held and the acquired one) has Python frames:
                       the held lock's frames were kept with it

Every testprogs/python/NAME.py is a scenario too, named NAME.py, with its
expectations on line 1 as a # comment (# lockhound-expect: ...); it runs
as `lockhound run ... -- PYTHON testprogs/python/NAME.py ARGS`, PYTHON
being the interpreter that runs this harness (sys.executable: the
machine's python3, past any wrapper script such as pyenv's).

Line 2 may say how the Makefile builds the program:

    /* lockhound-build: cc */         built with `lockhound cc` (exact mode)
    /* lockhound-build: c++ */        built with `lockhound c++`
    /* lockhound-build: cc clang */   also built with clang, as
                                      BUILD/testprogs/clang/NAME: one more
                                      scenario, NAME.clang, same expectations

Each scenario runs as `BUILD/lockhound run --json OUT [--options OPTS] --
BUILD/testprogs/NAME ARGS`.  Besides the expectations, every report must be
valid JSON with "tool" == "lockhound", every log must be complete without
errors, the summary must agree with the findings, ids referenced by edges,
waits and holds must exist, and no finding may be of a kind that was not
expected.

A few named extra tests check the CLI and the shim beyond what line 1 can
say (see EXTRA_TESTS).  Output: one `PASS name` / `FAIL name: reason` (or
`SKIP name: reason`) line per test, then `N passed, N failed`; exit status 1
if anything failed.  Python 3 standard library only.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TESTPROGS = os.path.join(ROOT, "testprogs")
PY_TESTPROGS = os.path.join(TESTPROGS, "python")
PY_SUFFIX = ".py"
# the interpreter of the Python scenarios: the real binary running this
# harness (python3 on PATH may be a wrapper script that forks helpers)
PYTHON = sys.executable

FINDINGS_EXIT = 66
DEFAULT_TIMEOUT = 60.0
STDERR_TAIL = 40

EXPECT_RE = re.compile(
    r"^\s*(?:/\*|//|#)\s*lockhound-expect:\s*(?P<body>.*?)\s*(?:\*/\s*)?$")
KIND_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
CLANG_BUILD_RE = re.compile(
    r"^\s*(?:/\*|//)\s*lockhound-build:\s*(?:cc|c\+\+)\s+clang\b")
CLANG_SUFFIX = ".clang"


class ExpectError(Exception):
    pass


# ---------------------------------------------------------------- parsing

def _parse_int(key, v):
    if not re.fullmatch(r"-?\d+", v):
        raise ExpectError("%s=%r: not an integer" % (key, v))
    return int(v)


def _parse_nonneg(key, v):
    n = _parse_int(key, v)
    if n < 0:
        raise ExpectError("%s=%r: must be >= 0" % (key, v))
    return n


def _parse_bool(key, v):
    if v not in ("true", "false"):
        raise ExpectError("%s=%r: must be true or false" % (key, v))
    return v == "true"


def _parse_list(key, v):
    items = [x for x in v.split(",")]
    if v == "":
        return []
    if any(x == "" for x in items):
        raise ExpectError("%s=%r: empty item" % (key, v))
    return items


def _parse_timeout(key, v):
    try:
        t = float(v)
    except ValueError:
        raise ExpectError("%s=%r: not a number" % (key, v))
    if not t > 0:
        raise ExpectError("%s=%r: must be > 0" % (key, v))
    return t


def _parse_str(key, v):
    if v == "":
        raise ExpectError("%s: empty value" % key)
    return v


VAR_KINDS = ("global", "heap", "stack", "unknown")
RACE_OPS = ("write", "read")
RACE_DETECTORS = ("instrumentation", "watchpoint", "write-protect")


def _parse_var_kind(key, v):
    if v not in VAR_KINDS:
        raise ExpectError("%s=%r: must be one of %s"
                          % (key, v, "|".join(VAR_KINDS)))
    return v


def _parse_ops(key, v):
    ops = _parse_list(key, v)
    if len(ops) != 2 or any(o not in RACE_OPS for o in ops):
        raise ExpectError("%s=%r: must be two of write|read, e.g. write,read"
                          % (key, v))
    if ops == ["read", "read"]:
        raise ExpectError("%s=%r: two reads never race" % (key, v))
    return sorted(ops)


CLAUSE_KEYS = {
    "count": _parse_nonneg,
    "locks": _parse_nonneg,
    "concurrent": _parse_bool,
    "single_thread": _parse_bool,
    "functions": _parse_list,
    "py_functions": _parse_list,
    "py_every_stack": _parse_bool,
    "what": _parse_str,
    "what_all": _parse_str,
    "min_occurrences": _parse_nonneg,
    "ended_process": _parse_bool,
    "processes": _parse_nonneg,
    "variable": _parse_str,
    "var_kind": _parse_var_kind,
    "ops": _parse_ops,
}
# keys that only make sense for data-race findings
RACE_ONLY_KEYS = ("variable", "var_kind", "ops")
GLOBAL_KEYS = {
    "exit": _parse_nonneg,
    "args": _parse_list,
    "timeout": _parse_timeout,
    "logs": _parse_nonneg,
    "max_seconds": _parse_timeout,
    "options": _parse_str,
    "complete": _parse_bool,
    "min_edges": _parse_nonneg,
    "min_threads": _parse_nonneg,
}

CLEAN_MIN_EDGES = 1  # min_edges of a clean scenario that does not say


class Expect:
    """Parsed line 1 of a scenario."""

    def __init__(self):
        self.clean = False
        self.clauses = []  # [(kind, {key: value})]
        self.exit = None
        self.args = []
        self.timeout = DEFAULT_TIMEOUT
        self.logs = None
        self.max_seconds = None
        self.options = None
        self.complete = True
        self.min_edges = None
        self.min_threads = None

    @property
    def expected_exit(self):
        if self.exit is not None:
            return self.exit
        return 0 if self.clean else FINDINGS_EXIT

    def kinds(self):
        return {k for k, _ in self.clauses}

    def describe(self):
        parts = []
        if self.clean:
            parts.append("clean")
        for kind, keys in self.clauses:
            s = kind
            for k, v in keys.items():
                s += " %s=%s" % (k, _fmt(v))
            parts.append(s)
        g = "exit=%d timeout=%g" % (self.expected_exit, self.timeout)
        if self.args:
            g += " args=%s" % json.dumps(self.args)
        if self.logs is not None:
            g += " logs=%d" % self.logs
        if self.max_seconds is not None:
            g += " max_seconds=%g" % self.max_seconds
        if self.options is not None:
            g += " options=%s" % self.options
        if not self.complete:
            g += " complete=false"
        if self.min_edges is not None:
            g += " min_edges=%d" % self.min_edges
        if self.min_threads is not None:
            g += " min_threads=%d" % self.min_threads
        return " ; ".join(parts) + "  [" + g + "]"


def _fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ",".join(v)
    return str(v)


def parse_expect_body(body):
    exp = Expect()
    seen_global = set()
    if not body.strip():
        raise ExpectError("empty lockhound-expect")
    for clause in body.split(";"):
        tokens = clause.split()
        if not tokens:
            raise ExpectError("empty clause in %r" % body)
        kind = tokens[0]
        if "=" in kind or not KIND_RE.match(kind):
            raise ExpectError("clause must start with a finding kind, got %r"
                              % kind)
        keys = {}
        for tok in tokens[1:]:
            if "=" not in tok:
                raise ExpectError("expected key=value, got %r" % tok)
            key, val = tok.split("=", 1)
            if key in GLOBAL_KEYS:
                if key in seen_global:
                    raise ExpectError("%s given twice" % key)
                seen_global.add(key)
                setattr(exp, key, GLOBAL_KEYS[key](key, val))
            elif key in CLAUSE_KEYS:
                if key in keys:
                    raise ExpectError("%s given twice in one clause" % key)
                if kind == "clean":
                    raise ExpectError("clean takes no %s=" % key)
                if key in RACE_ONLY_KEYS and kind != "data-race":
                    raise ExpectError("%s= is only for data-race clauses"
                                      % key)
                keys[key] = CLAUSE_KEYS[key](key, val)
            else:
                raise ExpectError("unknown key %r" % key)
        if kind == "clean":
            exp.clean = True
        else:
            exp.clauses.append((kind, keys))
    if exp.clean and exp.clauses:
        raise ExpectError("clean cannot be combined with other clauses")
    return exp


def parse_expect_file(path):
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        first = f.readline().rstrip("\n")
    m = EXPECT_RE.match(first)
    if not m:
        raise ExpectError("line 1 is not a lockhound-expect comment: %r"
                          % first)
    return parse_expect_body(m.group("body"))


def discover_scenarios():
    names = {}
    for pat in ("*.c", "*.cpp"):
        for path in glob.glob(os.path.join(TESTPROGS, pat)):
            base = os.path.basename(path)
            if base.startswith("lib"):  # a library a scenario loads
                continue
            name = os.path.splitext(base)[0]
            if name in names:
                raise SystemExit("run_tests: two sources for scenario %s"
                                 % name)
            names[name] = path
            if CLANG_BUILD_RE.match(_second_line(path)):
                names[name + CLANG_SUFFIX] = path
    for path in glob.glob(os.path.join(PY_TESTPROGS, "*" + PY_SUFFIX)):
        names[os.path.basename(path)] = path
    return dict(sorted(names.items()))


def _second_line(path):
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        f.readline()
        return f.readline()


def scenario_argv(ctx, name, src):
    """The command of a scenario, without its arguments, and the file that
    must be executable: a Python scenario runs with PYTHON."""
    if name.endswith(PY_SUFFIX):
        return [PYTHON, src], PYTHON
    prog = scenario_prog(ctx, name)
    return [prog], prog


def scenario_prog(ctx, name):
    """The binary of a scenario: BUILD/testprogs/NAME, or for the clang
    build of an exact-mode scenario BUILD/testprogs/clang/NAME."""
    if name.endswith(CLANG_SUFFIX):
        return os.path.join(ctx.progdir, "clang", name[:-len(CLANG_SUFFIX)])
    return os.path.join(ctx.progdir, name)


# --------------------------------------------------------------- checking

def _frames_functions(edge, lang=None):
    out = []
    for key in ("held_stack", "acquired_stack", "blocked_stack"):
        for fr in edge.get(key) or []:
            if (isinstance(fr, dict) and isinstance(fr.get("function"), str)
                    and (lang is None or fr.get("lang") == lang)):
                out.append(fr["function"])
    return out


def _finding_functions(f, lang=None):
    """Function names of every stack of a finding: lock-order edges, the
    waits and holds of deadlock and misuse findings, the misuse's own
    stack.  lang "python": of its Python frames only."""
    funcs = []
    for key in ("edges", "waits", "holds"):
        for e in f.get(key) or []:
            if isinstance(e, dict):
                funcs.extend(_frames_functions(e, lang))
    funcs.extend(_frames_functions({"held_stack": f.get("stack")}, lang))
    # data-race findings: both accesses of every pair
    for p in f.get("pairs") or []:
        if isinstance(p, dict):
            for a in p.get("accesses") or []:
                if isinstance(a, dict):
                    funcs.extend(_frames_functions({"held_stack":
                                                    a.get("stack")}))
    return funcs


def _stack_functions(stack):
    return _frames_functions({"held_stack": stack})


def _race_matches(f, keys):
    """Does data-race finding f satisfy variable=, var_kind= and ops=?
    Returns a list of reasons it does not (empty: it does)."""
    why = []
    var = f.get("variable")
    if not isinstance(var, dict):
        return ["no variable"]
    if "var_kind" in keys and var.get("kind") != keys["var_kind"]:
        why.append("variable.kind %s" % json.dumps(var.get("kind")))
    if "variable" in keys:
        name = keys["variable"]
        ok = var.get("name") == name
        if not ok and var.get("kind") == "heap":
            block = var.get("block")
            if isinstance(block, dict):
                ok = any(name in fn for fn in
                         _stack_functions(block.get("alloc_stack")))
        if not ok:
            why.append("variable.name %s" % json.dumps(var.get("name")))
    if "ops" in keys:
        seen = []
        for p in f.get("pairs") or []:
            if not isinstance(p, dict):
                continue
            ops = sorted(a.get("op") for a in p.get("accesses") or []
                         if isinstance(a, dict) and
                         isinstance(a.get("op"), str))
            seen.append(",".join(ops))
            if ops == keys["ops"]:
                break
        else:
            why.append("pairs' ops %s" % (" ".join(seen) or "none"))
    return why


def check_report(exp, doc):
    """Check a parsed JSON report against the expectations; returns a list
    of reasons (empty: fine)."""
    errs = []
    if not isinstance(doc, dict):
        return ["JSON report is not an object"]
    if doc.get("tool") != "lockhound":
        errs.append('JSON "tool" is %r, not "lockhound"' % doc.get("tool"))
    findings = doc.get("findings")
    if not isinstance(findings, list):
        return errs + ['JSON "findings" is missing or not a list']
    logs = doc.get("logs")
    if not isinstance(logs, list) or not logs:
        errs.append('JSON "logs" is missing or empty')
        logs = []
    pids = set()
    for i, lg in enumerate(logs):
        if not isinstance(lg, dict):
            errs.append("logs[%d] is not an object" % i)
            continue
        pids.add(lg.get("pid"))
        if lg.get("complete") is not exp.complete:
            errs.append("log %s (pid %s): complete is %s, expected %s"
                        % (lg.get("path"), lg.get("pid"), lg.get("complete"),
                           exp.complete))
        if lg.get("errors"):
            errs.append("log %s has errors: %s"
                        % (lg.get("path"), "; ".join(map(str, lg["errors"]))))
    if exp.logs is not None and len(logs) != exp.logs:
        errs.append("expected %d logs, report lists %d" % (exp.logs, len(logs)))
    # what was recorded: a verdict is only worth something if the shim
    # really watched the program
    need_edges = exp.min_edges
    if need_edges is None and exp.clean:
        need_edges = CLEAN_MIN_EDGES
    if need_edges:
        got = sum(lg.get("lock_orders") or 0 for lg in logs
                  if isinstance(lg, dict))
        if got < need_edges:
            errs.append("the logs recorded %d lock order(s), expected at "
                        "least %d (min_edges): a verdict from a shim that "
                        "recorded nothing proves nothing" % (got, need_edges))
    if exp.min_threads:
        runs = [lg.get("threads_run") for lg in logs if isinstance(lg, dict)]
        got = sum(r for r in runs if isinstance(r, int))
        if None in runs or got < exp.min_threads:
            errs.append("the processes ran %d thread(s)%s, expected at least "
                        "%d (min_threads)"
                        % (got, " (a log has no count)" if None in runs else "",
                           exp.min_threads))

    summary = doc.get("summary")
    if not isinstance(summary, dict):
        errs.append('JSON "summary" is missing')
    else:
        if summary.get("findings") != len(findings):
            errs.append("summary.findings is %r but there are %d findings"
                        % (summary.get("findings"), len(findings)))
        by_kind = {}
        for f in findings:
            if isinstance(f, dict):
                by_kind[f.get("kind")] = by_kind.get(f.get("kind"), 0) + 1
        got = summary.get("by_kind")
        if not isinstance(got, dict):
            errs.append("summary.by_kind is missing")
        else:
            nz = {k: v for k, v in got.items() if v}
            if nz != by_kind:
                errs.append("summary.by_kind %s does not match findings %s"
                            % (json.dumps(got, sort_keys=True),
                               json.dumps(by_kind, sort_keys=True)))

    for f in findings:
        if not isinstance(f, dict):
            errs.append("a finding is not an object")
            continue
        errs.extend(_check_finding_shape(f, pids))

    def label(f):
        return "%s(%s)" % (f.get("id"), f.get("kind"))

    if exp.clean:
        if findings:
            errs.append("expected clean, got %d finding(s): %s"
                        % (len(findings),
                           ", ".join(label(f) for f in findings
                                     if isinstance(f, dict))))
        return errs

    kinds = exp.kinds()
    for f in findings:
        if isinstance(f, dict) and f.get("kind") not in kinds:
            errs.append("unexpected finding %s" % label(f))

    for kind, keys in exp.clauses:
        fs = [f for f in findings
              if isinstance(f, dict) and f.get("kind") == kind]
        if "count" in keys:
            if len(fs) != keys["count"]:
                errs.append("expected %d %s finding(s), got %d"
                            % (keys["count"], kind, len(fs)))
        elif not fs:
            errs.append("expected a %s finding, got none" % kind)
        for f in fs:
            if "locks" in keys:
                n = len(f.get("locks") or [])
                if n != keys["locks"]:
                    errs.append("%s: expected %d locks, got %d"
                                % (label(f), keys["locks"], n))
            for key in ("concurrent", "single_thread"):
                if key in keys and f.get(key) is not keys[key]:
                    errs.append("%s: expected %s=%s, got %s"
                                % (label(f), key, _fmt(keys[key]),
                                   json.dumps(f.get(key))))
            if "min_occurrences" in keys:
                c = f.get("count")
                if not isinstance(c, int) or c < keys["min_occurrences"]:
                    errs.append("%s: expected count >= %d, got %s"
                                % (label(f), keys["min_occurrences"],
                                   json.dumps(c)))
            if "processes" in keys and \
                    f.get("spans_processes", 1) != keys["processes"]:
                errs.append("%s: expected spans_processes=%d, got %s"
                            % (label(f), keys["processes"],
                               json.dumps(f.get("spans_processes"))))
            if "ended_process" in keys and \
                    f.get("ended_process") is not keys["ended_process"]:
                errs.append("%s: expected ended_process=%s, got %s"
                            % (label(f), _fmt(keys["ended_process"]),
                               json.dumps(f.get("ended_process"))))
            if "functions" in keys:
                funcs = _finding_functions(f)
                missing = [n for n in keys["functions"]
                           if not any(n in fn for fn in funcs)]
                if missing:
                    errs.append("%s: function(s) %s not in any stack "
                                "(have: %s)"
                                % (label(f), ",".join(missing),
                                   ", ".join(sorted(set(funcs))[:20])
                                   or "none"))
            if "py_functions" in keys:
                funcs = _finding_functions(f, "python")
                missing = [n for n in keys["py_functions"]
                           if not any(n in fn for fn in funcs)]
                if missing:
                    errs.append("%s: Python function(s) %s not in any "
                                "stack's Python frames (have: %s)"
                                % (label(f), ",".join(missing),
                                   ", ".join(sorted(set(funcs))[:20])
                                   or "none"))
            if keys.get("py_every_stack"):
                for e in f.get("edges") or []:
                    for k in ("held_stack", "acquired_stack"):
                        st = e.get(k) if isinstance(e, dict) else None
                        if not isinstance(st, list) or not any(
                                isinstance(fr, dict) and fr.get("lang") == "python"
                                for fr in st):
                            errs.append("%s: an edge's %s has no Python frames"
                                        % (label(f), k))
        if fs and any(k in keys for k in RACE_ONLY_KEYS):
            misses = [(f, _race_matches(f, keys)) for f in fs]
            if all(why for _, why in misses):
                want = " ".join("%s=%s" % (k, _fmt(keys[k]))
                                for k in RACE_ONLY_KEYS if k in keys)
                errs.append("no %s finding has %s (%s)"
                            % (kind, want,
                               "; ".join("%s: %s" % (label(f), ", ".join(w))
                                         for f, w in misses)))
        if "what" in keys and not any(f.get("what") == keys["what"]
                                      for f in fs):
            errs.append('no %s finding has what="%s" (got: %s)'
                        % (kind, keys["what"],
                           ", ".join(str(f.get("what")) for f in fs)
                           or "none"))
        if "what_all" in keys and any(f.get("what") != keys["what_all"] for f in fs):
            errs.append('not every %s finding has what="%s" (got: %s)'
                        % (kind, keys["what_all"],
                           ", ".join(str(f.get("what")) for f in fs)))
    return errs


def _finding_stacks(f):
    for key in ("edges", "waits", "holds"):
        for e in f.get(key) or []:
            if isinstance(e, dict):
                for k in ("held_stack", "acquired_stack", "blocked_stack"):
                    if isinstance(e.get(k), list):
                        yield e[k]
    if isinstance(f.get("stack"), list):
        yield f["stack"]


def check_python_stacks(doc):
    """A Python scenario's findings: every stack with Python frames keeps
    its native frames too (after them), and every frame is marked."""
    errs = []
    for f in doc.get("findings") or []:
        if not isinstance(f, dict):
            continue
        for st in _finding_stacks(f):
            langs = [fr.get("lang") for fr in st if isinstance(fr, dict)]
            if any(l not in ("python", "native") for l in langs):
                errs.append("%s: a frame without lang python|native" % f.get("id"))
            elif "python" in langs:
                k = langs.index("native") if "native" in langs else len(langs)
                if k == len(langs) or "python" in langs[k:]:
                    errs.append("%s: a stack with Python frames lacks its native "
                                "frames after them: %s" % (f.get("id"), langs))
    return errs


def _check_finding_shape(f, pids):
    """Contract checks that hold for every finding."""
    errs = []
    fid = "%s(%s)" % (f.get("id"), f.get("kind"))
    if pids and f.get("pid") not in pids:
        errs.append("%s: pid %s is not the pid of any log" % (fid, f.get("pid")))
    if "spans_processes" in f:
        # a cycle across processes: its processes, edges, locks and
        # threads name logs that are in the report, at least two of them
        procs = [p.get("pid") for p in f.get("processes") or [] if isinstance(p, dict)]
        if len(set(procs)) != f.get("spans_processes") or f.get("spans_processes", 0) < 2:
            errs.append("%s: spans_processes %s but processes %s"
                        % (fid, json.dumps(f.get("spans_processes")), procs))
        for key in ("edges", "locks", "threads"):
            for x in f.get(key) or []:
                if isinstance(x, dict) and (x.get("pid") not in procs or
                                            (pids and x.get("pid") not in pids)):
                    errs.append("%s: a %s entry has pid %s, not one of its processes"
                                % (fid, key[:-1], json.dumps(x.get("pid"))))
    locks = f.get("locks") or []
    threads = f.get("threads") or []
    edges = f.get("edges") or []
    lock_ids = {l.get("id") for l in locks if isinstance(l, dict)}
    thread_ids = {t.get("id") for t in threads if isinstance(t, dict)}
    for e in edges:
        if not isinstance(e, dict):
            errs.append("%s: an edge is not an object" % fid)
            continue
        for end in ("from", "to"):
            if e.get(end) not in lock_ids:
                errs.append("%s: edge %s %r is not one of its locks"
                            % (fid, end, e.get(end)))
        if "thread" in e and e["thread"] not in thread_ids:
            errs.append("%s: edge thread %r is not one of its threads"
                        % (fid, e.get("thread")))
    # deadlock and misuse findings: waits, holds and the finding's own
    # lock/thread must name locks and threads the finding lists
    for key in ("waits", "holds"):
        for w in f.get(key) or []:
            if not isinstance(w, dict):
                errs.append("%s: an item of %s is not an object" % (fid, key))
                continue
            if w.get("thread") not in thread_ids:
                errs.append("%s: %s thread %r is not one of its threads"
                            % (fid, key, w.get("thread")))
            if "lock" in w and w["lock"] not in lock_ids:
                errs.append("%s: %s lock %r is not one of its locks"
                            % (fid, key, w.get("lock")))
            if "joins" in w and w["joins"] not in thread_ids:
                errs.append("%s: %s joins %r is not one of its threads"
                            % (fid, key, w.get("joins")))
    if f.get("kind") in ("deadlock", "misuse"):
        if "lock" in f and f["lock"] not in lock_ids:
            errs.append("%s: lock %r is not one of its locks"
                        % (fid, f.get("lock")))
        if "thread" in f and f["thread"] not in thread_ids:
            errs.append("%s: thread %r is not one of its threads"
                        % (fid, f.get("thread")))
    if f.get("kind") == "data-race":
        errs.extend(_check_race_shape(f, fid, lock_ids, thread_ids))
    if f.get("kind") == "deadlock" and not f.get("waits"):
        errs.append("%s: deadlock finding has no waits" % fid)
    if f.get("kind") == "lock-order-cycle":
        if not edges:
            errs.append("%s: no edges" % fid)
        else:
            froms = {e.get("from") for e in edges if isinstance(e, dict)}
            tos = {e.get("to") for e in edges if isinstance(e, dict)}
            if froms != lock_ids or tos != lock_ids:
                errs.append("%s: edges do not form a cycle over its locks"
                            % fid)
    return errs


def _check_race_shape(f, fid, lock_ids, thread_ids):
    """The data-race finding's contract: a variable of a known kind, pairs
    of two accesses from different threads, at least one a write, not both
    atomic, each with a stack; every thread and lock named is listed by the
    finding; counts add up."""
    errs = []
    if f.get("detected_by") not in RACE_DETECTORS:
        errs.append("%s: detected_by %s is not one of %s"
                    % (fid, json.dumps(f.get("detected_by")),
                       "|".join(RACE_DETECTORS)))
    var = f.get("variable")
    if not isinstance(var, dict):
        errs.append("%s: no variable object" % fid)
        var = {}
    vk = var.get("kind")
    if vk not in VAR_KINDS:
        errs.append("%s: variable.kind %s" % (fid, json.dumps(vk)))
    if not isinstance(var.get("address"), str) or \
            not var["address"].startswith("0x"):
        errs.append("%s: variable.address %s is not a hex string"
                    % (fid, json.dumps(var.get("address"))))
    if not isinstance(var.get("size"), int) or var.get("size") <= 0:
        errs.append("%s: variable.size %s" % (fid, json.dumps(var.get("size"))))
    if vk == "global" and not isinstance(var.get("name"), str):
        errs.append("%s: a global variable without a name" % fid)
    if vk == "heap":
        block = var.get("block")
        if not isinstance(block, dict):
            errs.append("%s: heap variable without a block" % fid)
        else:
            if not isinstance(block.get("size"), int):
                errs.append("%s: block.size %s"
                            % (fid, json.dumps(block.get("size"))))
            if not isinstance(block.get("alloc_stack"), list):
                errs.append("%s: block.alloc_stack is not a list" % fid)
            at = block.get("alloc_thread")
            if at is not None and at not in thread_ids:
                errs.append("%s: block.alloc_thread %r is not one of its "
                            "threads" % (fid, at))
    if vk == "stack" and var.get("thread") not in thread_ids:
        errs.append("%s: stack variable's thread %r is not one of its threads"
                    % (fid, var.get("thread")))
    pairs = f.get("pairs")
    if not isinstance(pairs, list) or not pairs:
        errs.append("%s: no pairs" % fid)
        return errs
    total = 0
    last = None
    for i, p in enumerate(pairs):
        where = "%s pair %d" % (fid, i + 1)
        if not isinstance(p, dict):
            errs.append("%s is not an object" % where)
            continue
        c = p.get("count")
        if not isinstance(c, int) or c < 1:
            errs.append("%s: count %s" % (where, json.dumps(c)))
        else:
            total += c
            if last is not None and c > last:
                errs.append("%s: pairs not ordered most frequent first"
                            % where)
            last = c
        acc = p.get("accesses")
        if not isinstance(acc, list) or len(acc) != 2 or \
                not all(isinstance(a, dict) for a in acc):
            errs.append("%s: accesses is not a list of two objects" % where)
            continue
        for j, a in enumerate(acc):
            side = "%s access %d" % (where, j)
            if a.get("thread") not in thread_ids:
                errs.append("%s: thread %r is not one of its threads"
                            % (side, a.get("thread")))
            if a.get("op") not in RACE_OPS:
                errs.append("%s: op %s" % (side, json.dumps(a.get("op"))))
            if not isinstance(a.get("atomic"), bool):
                errs.append("%s: atomic is not a boolean" % side)
            if not isinstance(a.get("size"), int) or a.get("size") <= 0:
                errs.append("%s: size %s" % (side, json.dumps(a.get("size"))))
            st = a.get("stack")
            if not isinstance(st, list) or not st:
                errs.append("%s: no stack" % side)
            held = a.get("locks_held")
            if not isinstance(held, list):
                errs.append("%s: locks_held is not a list" % side)
            else:
                for lk in held:
                    if lk not in lock_ids:
                        errs.append("%s: held lock %r is not one of its locks"
                                    % (side, lk))
        if acc[0].get("thread") == acc[1].get("thread"):
            errs.append("%s: both accesses from thread %s"
                        % (where, acc[0].get("thread")))
        if "write" not in (acc[0].get("op"), acc[1].get("op")):
            errs.append("%s: no write among the accesses" % where)
        if acc[0].get("atomic") is True and acc[1].get("atomic") is True:
            errs.append("%s: both accesses atomic" % where)
    if f.get("count") != total:
        errs.append("%s: count %s is not the sum of its pairs' counts (%d)"
                    % (fid, json.dumps(f.get("count")), total))
    return errs


# ---------------------------------------------------------------- running

class RunResult:
    def __init__(self):
        self.rc = None
        self.timed_out = False
        self.stderr = ""
        self.stdout = ""


# ---- process groups of running commands --------------------------------
# (tests/integration/procgroups.py: each command runs in its own session;
# the groups still live when the harness ends are killed)
from procgroups import live as _live_groups, kill_live_groups, guard_process_groups  # noqa: E402,F401


def _alive(pid):
    """pid names a process that is not a zombie"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def run_cmd(argv, timeout, cwd, env=None):
    """Run argv in its own process group with stdout/stderr to files; on
    timeout kill the whole group.  Never hangs."""
    res = RunResult()
    out_path = os.path.join(cwd, ".stdout.%d" % threading.get_ident())
    err_path = os.path.join(cwd, ".stderr.%d" % threading.get_ident())
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        try:
            p = subprocess.Popen(argv, cwd=cwd, env=env,
                                 stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=err, start_new_session=True)
        except OSError as e:
            res.rc = None
            res.stderr = "cannot start %s: %s" % (argv[0], e)
            return res
        _live_groups[p.pid] = True
        try:
            res.rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            res.timed_out = True
            # p is not reaped yet, so its pid still names our group.
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
            res.rc = p.wait()
        finally:
            _live_groups.pop(p.pid, None)
    for path, attr in ((out_path, "stdout"), (err_path, "stderr")):
        with open(path, "rb") as f:
            setattr(res, attr, f.read().decode("utf-8", "replace"))
        os.unlink(path)
    return res


def describe_rc(rc):
    if rc is None:
        return "did not start"
    if rc < 0:
        return "killed by signal %d" % -rc
    return "exit %d" % rc


def tail(text, n=STDERR_TAIL):
    lines = text.rstrip("\n").split("\n") if text.strip() else []
    return lines[-n:]


def base_env():
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


class Ctx:
    def __init__(self, build, keep):
        self.build = build
        self.lockhound = os.path.join(build, "lockhound")
        self.shim = os.path.join(build, "liblockhound.so")
        self.progdir = os.path.join(build, "testprogs")
        self.keep = keep
        # the source tree: this file is tests/integration/run_tests.py
        self.root = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))

    def tmpdir(self, name):
        return tempfile.mkdtemp(prefix="lockhound-it-%s-" % name)

    def done(self, d):
        if not self.keep:
            shutil.rmtree(d, ignore_errors=True)


class Outcome:
    def __init__(self, name, status, reason="", stderr=""):
        self.name = name
        self.status = status  # "pass" | "fail" | "skip"
        self.reason = reason
        self.stderr = stderr


def run_scenario(ctx, name, src):
    try:
        exp = parse_expect_file(src)
    except ExpectError as e:
        return Outcome(name, "fail", "bad lockhound-expect line: %s" % e)
    cmd, prog = scenario_argv(ctx, name, src)
    if not os.access(prog, os.X_OK):
        return Outcome(name, "fail", "%s not built" % prog)
    d = ctx.tmpdir(name)
    try:
        out_json = os.path.join(d, "report.json")
        argv = [ctx.lockhound, "run", "--json", out_json]
        if exp.options is not None:
            argv += ["--options", exp.options]
        argv += ["--"] + cmd + exp.args
        t0 = time.monotonic()
        r = run_cmd(argv, exp.timeout, d, base_env())
        elapsed = time.monotonic() - t0
        reasons = []
        if r.timed_out:
            reasons.append("timed out after %gs (process group killed)"
                           % exp.timeout)
        elif r.rc != exp.expected_exit:
            reasons.append("expected exit %d, got %s"
                           % (exp.expected_exit, describe_rc(r.rc)))
        if (not r.timed_out and exp.max_seconds is not None
                and elapsed >= exp.max_seconds):
            reasons.append("took %.1fs, expected less than %gs"
                           % (elapsed, exp.max_seconds))
        if not r.timed_out:
            try:
                with open(out_json, "r", encoding="utf-8") as f:
                    doc = json.load(f)
            except FileNotFoundError:
                reasons.append("no JSON report written")
            except (ValueError, UnicodeDecodeError) as e:
                reasons.append("JSON report is not valid JSON: %s" % e)
            else:
                reasons.extend(check_report(exp, doc))
                if name.endswith(PY_SUFFIX):
                    reasons.extend(check_python_stacks(doc))
        if reasons:
            if ctx.keep:
                reasons.append("kept %s" % d)
            return Outcome(name, "fail", "; ".join(reasons), r.stderr)
        return Outcome(name, "pass")
    finally:
        ctx.done(d)


# ------------------------------------------------------------ extra tests

def _one_line_error(text):
    lines = [l for l in text.split("\n") if l.strip()]
    return len(lines) == 1


def extra_missing_program(ctx):
    name = "cli_missing_program"
    d = ctx.tmpdir(name)
    try:
        missing = os.path.join(d, "lockhound-no-such-program")
        r = run_cmd([ctx.lockhound, "run", "--", missing], 30, d, base_env())
        why = []
        if r.timed_out:
            why.append("timed out")
        elif r.rc is None or r.rc == 0 or r.rc < 0 or r.rc >= 128:
            why.append("expected a nonzero exit below 128, got %s"
                       % describe_rc(r.rc))
        if not _one_line_error(r.stderr):
            why.append("expected a one-line error on stderr, got %d lines"
                       % len([l for l in r.stderr.split("\n") if l.strip()]))
        elif "lockhound-no-such-program" not in r.stderr:
            why.append("the error does not name the program")
        return Outcome(name, "fail" if why else "pass", "; ".join(why),
                       r.stderr)
    finally:
        ctx.done(d)


def _find_logs(d):
    return sorted(glob.glob(os.path.join(d, "lockhound.*.log")))


def extra_truncated_log(ctx):
    name = "report_truncated_log"
    prog = os.path.join(ctx.progdir, "abba_two_threads")
    if not os.access(prog, os.X_OK):
        return Outcome(name, "fail", "%s not built" % prog)
    d = ctx.tmpdir(name)
    try:
        logdir = os.path.join(d, "logs")
        os.mkdir(logdir)
        r = run_cmd([ctx.lockhound, "run", "--log-dir", logdir, "--", prog],
                    60, d, base_env())
        if r.timed_out:
            return Outcome(name, "fail", "lockhound run timed out", r.stderr)
        logs = _find_logs(logdir)
        if len(logs) != 1:
            return Outcome(name, "fail",
                           "expected 1 lockhound.*.log in --log-dir, found %d"
                           " (run: %s)" % (len(logs), describe_rc(r.rc)),
                           r.stderr)
        intact = logs[0]
        size = os.path.getsize(intact)
        if size < 64:
            return Outcome(name, "fail", "log is only %d bytes" % size)
        # The untouched log must be readable.
        r0 = run_cmd([ctx.lockhound, "report", intact], 60, d, base_env())
        if r0.timed_out or r0.rc not in (0, FINDINGS_EXIT):
            return Outcome(name, "fail",
                           "report on the intact log: %s"
                           % ("timed out" if r0.timed_out
                              else describe_rc(r0.rc)), r0.stderr)
        if "truncated" in r0.stderr.lower():
            return Outcome(name, "fail",
                           "report calls the intact log truncated", r0.stderr)
        cut = os.path.join(d, "truncated.log")
        shutil.copyfile(intact, cut)
        with open(cut, "r+b") as f:
            f.truncate(size // 2)
        r1 = run_cmd([ctx.lockhound, "report", cut], 60, d, base_env())
        why = []
        if r1.timed_out:
            why.append("report timed out")
        elif r1.rc is None or r1.rc == 0 or r1.rc < 0 or r1.rc >= 128:
            why.append("expected a nonzero exit below 128, got %s"
                       % describe_rc(r1.rc))
        if "truncated" not in r1.stderr.lower():
            why.append('stderr does not mention "truncated"')
        return Outcome(name, "fail" if why else "pass", "; ".join(why),
                       r1.stderr)
    finally:
        ctx.done(d)


def _report_must_fail(ctx, d, path, one_line, must_contain=None):
    r = run_cmd([ctx.lockhound, "report", path], 60, d, base_env())
    why = []
    if r.timed_out:
        why.append("report timed out")
    elif r.rc is None or r.rc < 0 or r.rc >= 128:
        why.append("report crashed: %s" % describe_rc(r.rc))
    elif r.rc == 0:
        why.append("report exited 0")
    if not r.stderr.strip():
        why.append("no error on stderr")
    elif one_line and not _one_line_error(r.stderr):
        why.append("expected a one-line error, got %d lines"
                   % len([l for l in r.stderr.split("\n") if l.strip()]))
    if must_contain and must_contain not in r.stderr.lower():
        why.append('stderr does not mention "%s"' % must_contain)
    return why, r.stderr


def extra_random_bytes(ctx):
    name = "report_random_bytes"
    d = ctx.tmpdir(name)
    try:
        path = os.path.join(d, "random.log")
        rng = random.Random(20240601)
        with open(path, "wb") as f:
            f.write(bytes(rng.getrandbits(8) for _ in range(8192)))
        why, err = _report_must_fail(ctx, d, path, one_line=True)
        return Outcome(name, "fail" if why else "pass", "; ".join(why), err)
    finally:
        ctx.done(d)


def _log_header(version):
    # struct lh_file_header (include/lockhound_log.h), 64 bytes.
    hdr = struct.pack("<8sIIII QQ 16s II",
                      b"LHNDLOG\n", version, 0, 4242, 1,
                      0, 0, b"0.1.0", 8, 0)
    return hdr[:12] + struct.pack("<I", len(hdr)) + hdr[16:]


def extra_corrupt_inputs(ctx):
    """Empty file, a newer format version, a valid header followed by
    garbage: each is refused with an error, never a crash."""
    name = "report_corrupt_inputs"
    d = ctx.tmpdir(name)
    try:
        rng = random.Random(7)
        cases = [
            ("empty.log", b"", None),
            ("future.log", _log_header(999), "version"),
            ("garbage.log", _log_header(1)
             + bytes(rng.getrandbits(8) for _ in range(4096)), None),
            ("magic-only.log", b"LHNDLOG\n", None),
        ]
        all_why, errs = [], []
        for fname, data, needle in cases:
            path = os.path.join(d, fname)
            with open(path, "wb") as f:
                f.write(data)
            why, err = _report_must_fail(ctx, d, path, one_line=False,
                                         must_contain=needle)
            all_why.extend("%s: %s" % (fname, w) for w in why)
            if why:
                errs.append("[%s]\n%s" % (fname, err))
        return Outcome(name, "fail" if all_why else "pass",
                       "; ".join(all_why), "\n".join(errs))
    finally:
        ctx.done(d)


def extra_bare_preload(ctx):
    name = "bare_preload_log"
    prog = os.path.join(ctx.progdir, "abba_two_threads_clean")
    if not os.access(prog, os.X_OK):
        return Outcome(name, "fail", "%s not built" % prog)
    if not os.path.exists(ctx.shim):
        return Outcome(name, "fail", "%s not built" % ctx.shim)
    d = ctx.tmpdir(name)
    try:
        logdir = os.path.join(d, "logs")
        os.mkdir(logdir)
        env = base_env()
        env["LD_PRELOAD"] = os.path.abspath(ctx.shim)
        env["LOCKHOUND_OPTIONS"] = "log_dir=" + logdir
        r = run_cmd([prog], 60, d, env)
        why = []
        if r.timed_out:
            why.append("timed out")
        elif r.rc != 0:
            why.append("program under bare LD_PRELOAD: %s" % describe_rc(r.rc))
        logs = _find_logs(logdir)
        if len(logs) != 1:
            why.append("expected 1 lockhound.*.log in %s, found %d (files: %s)"
                       % (logdir, len(logs),
                          ", ".join(sorted(os.listdir(logdir))) or "none"))
        else:
            mode = os.stat(logs[0]).st_mode & 0o777
            if mode != 0o600:
                why.append("log mode is %o, not 600" % mode)
            # stderr is a file here, as when a program reads its child's
            # stderr (Tcl's exec fails on any byte): the program's own
            # output only, which is none
            if r.stderr:
                why.append("stderr to a file is not the program's own (empty): %r"
                           % r.stderr[:200])
        # a person at a terminal is told where the log went
        tty_line = _bare_preload_tty_line(prog, d, env)
        if "writing log to %s/" % logdir not in tty_line:
            why.append("stderr on a terminal does not name the log: %r" % tty_line[:200])
        return Outcome(name, "fail" if why else "pass", "; ".join(why),
                       r.stderr)
    finally:
        ctx.done(d)


def _bare_preload_tty_line(prog, cwd, env):
    """What prog writes on stderr when stderr is a terminal (a pty)."""
    import pty
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([prog], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=slave,
                             start_new_session=True)
        os.close(slave)
        slave = -1
        out = b""
        end = time.time() + 60
        while time.time() < end:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every writer closed the pty
                break
            if not chunk:
                break
            out += chunk
        try:
            p.wait(timeout=max(1, end - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        return out.decode("utf-8", "replace")
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)


def extra_static_binary(ctx):
    name = "static_binary_refused"
    cc = shutil.which(os.environ.get("CC", "") or "gcc") or shutil.which("cc")
    if not cc:
        return Outcome(name, "skip", "no C compiler")
    d = ctx.tmpdir(name)
    try:
        src = os.path.join(d, "static_prog.c")
        exe = os.path.join(d, "static_prog")
        with open(src, "w") as f:
            f.write("#include <pthread.h>\n"
                    "static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;\n"
                    "int main(void) { pthread_mutex_lock(&m);\n"
                    "  pthread_mutex_unlock(&m); return 0; }\n")
        c = run_cmd([cc, "-static", "-pthread", "-o", exe, src], 120, d,
                    base_env())
        if c.timed_out or c.rc != 0:
            return Outcome(name, "skip", "cannot link statically (%s)"
                           % (tail(c.stderr, 1) or ["?"])[0])
        n = run_cmd([exe], 30, d, base_env())
        if n.rc != 0:
            return Outcome(name, "skip", "static test binary does not run")
        r = run_cmd([ctx.lockhound, "run", "--", exe], 60, d, base_env())
        why = []
        if r.timed_out:
            why.append("timed out")
        elif r.rc is None or r.rc == 0 or r.rc < 0 or r.rc >= 128:
            why.append("expected a nonzero exit below 128, got %s"
                       % describe_rc(r.rc))
        if "static" not in r.stderr.lower():
            why.append('stderr does not mention "static"')
        return Outcome(name, "fail" if why else "pass", "; ".join(why),
                       r.stderr)
    finally:
        ctx.done(d)


def _load_json(path):
    try:
        with open(path, "r", encoding="utf-8") as f:
            return json.load(f), None
    except (OSError, ValueError) as e:
        return None, str(e)


def extra_stripped_binary(ctx):
    """A stripped program still gets a usable report: every frame has its
    module and offset; frames in the stripped program have no file:line."""
    name = "stripped_binary_report"
    prog = os.path.join(ctx.progdir, "abba_two_threads")
    strip = shutil.which("strip")
    if not strip:
        return Outcome(name, "skip", "no strip")
    d = ctx.tmpdir(name)
    try:
        exe = os.path.join(d, "abba_stripped")
        shutil.copy(prog, exe)
        c = run_cmd([strip, "--strip-all", exe], 60, d, base_env())
        if c.rc != 0:
            return Outcome(name, "fail", "strip failed", c.stderr)
        out = os.path.join(d, "r.json")
        r = run_cmd([ctx.lockhound, "run", "--json", out, "--", exe], 60, d,
                    base_env())
        why = []
        if r.rc != FINDINGS_EXIT:
            why.append("expected exit %d, got %s" % (FINDINGS_EXIT,
                                                     describe_rc(r.rc)))
        doc, err = _load_json(out)
        if doc is None:
            why.append("no JSON report: %s" % err)
        else:
            cyc = [f for f in doc.get("findings", [])
                   if f.get("kind") == "lock-order-cycle"]
            if len(cyc) != 1:
                why.append("expected 1 lock-order-cycle, got %d" % len(cyc))
            frames = [fr for f in cyc for e in f.get("edges", [])
                      for st in ("held_stack", "acquired_stack")
                      for fr in e.get(st, [])]
            if not frames:
                why.append("no frames")
            for fr in frames:
                if "module" not in fr or "offset" not in fr:
                    why.append("frame without module+offset: %r" % fr)
                    break
            own = [fr for fr in frames
                   if fr.get("module", "").endswith("abba_stripped")]
            if not own:
                why.append("no frame in the stripped program")
            if any("file" in fr for fr in own):
                why.append("a frame of the stripped program claims a file")
        return Outcome(name, "fail" if why else "pass", "; ".join(why),
                       r.stderr)
    finally:
        ctx.done(d)


def extra_installed_layout(ctx):
    """`make install PREFIX=DIR` gives a lockhound that finds its shim."""
    name = "installed_layout"
    make = shutil.which("make")
    if not make:
        return Outcome(name, "skip", "no make")
    d = ctx.tmpdir(name)
    try:
        prefix = os.path.join(d, "prefix")
        c = run_cmd([make, "-C", ctx.root, "install", "PREFIX=" + prefix,
                     "B=" + os.path.abspath(ctx.build)], 300, d, base_env())
        if c.rc != 0:
            return Outcome(name, "fail", "make install failed",
                           c.stdout + c.stderr)
        lh = os.path.join(prefix, "bin", "lockhound")
        why = []
        for f in (lh, os.path.join(prefix, "lib", "lockhound",
                                   "liblockhound.so"),
                  os.path.join(prefix, "include", "lockhound.h")):
            if not os.path.exists(f):
                why.append("%s not installed" % f)
        if not why:
            env = base_env()
            env.pop("LOCKHOUND_SHIM", None)
            out = os.path.join(d, "r.json")
            prog = os.path.join(ctx.progdir, "abba_two_threads")
            r = run_cmd([lh, "run", "--json", out, "--", prog], 60, d, env)
            if r.rc != FINDINGS_EXIT:
                why.append("installed lockhound: expected exit %d, got %s"
                           % (FINDINGS_EXIT, describe_rc(r.rc)))
            doc, err = _load_json(out)
            if doc is None or len(doc.get("findings", [])) != 1:
                why.append("installed lockhound did not report the cycle")
            return Outcome(name, "fail" if why else "pass", "; ".join(why),
                           r.stderr)
        return Outcome(name, "fail", "; ".join(why))
    finally:
        ctx.done(d)


def extra_setuid_refused(ctx):
    """A setuid program owned by someone else cannot take LD_PRELOAD."""
    name = "setuid_refused"
    if os.geteuid() != 0:
        return Outcome(name, "skip", "needs root to make a setuid file of "
                       "another user")
    d = ctx.tmpdir(name)
    try:
        exe = os.path.join(d, "suid_prog")
        shutil.copy(os.path.join(ctx.progdir, "abba_two_threads_clean"), exe)
        os.chown(exe, 65534, 65534)
        os.chmod(exe, 0o4755)
        r = run_cmd([ctx.lockhound, "run", "--", exe], 60, d, base_env())
        why = []
        if r.rc is None or r.rc == 0 or r.rc >= 128:
            why.append("expected a nonzero exit below 128, got %s"
                       % describe_rc(r.rc))
        if "setuid" not in r.stderr:
            why.append('stderr does not mention "setuid"')
        if not _one_line_error(r.stderr):
            why.append("expected a one-line error")
        return Outcome(name, "fail" if why else "pass", "; ".join(why),
                       r.stderr)
    finally:
        ctx.done(d)


def extra_bad_options(ctx):
    """Bad command-line and shim options: one-line error, exit 2, and the
    program does not run."""
    name = "cli_bad_options"
    d = ctx.tmpdir(name)
    try:
        marker = os.path.join(d, "ran")
        why = []
        for args, word in (
                (["run", "--frobnicate", "--", "/bin/touch", marker],
                 "--frobnicate"),
                (["run", "--options", "bogus_option=1", "--", "/bin/touch",
                  marker], "bogus_option"),
                (["run", "--options", "deadlock_grace_ms=abc", "--",
                  "/bin/touch", marker], "deadlock_grace_ms"),
                (["run", "--exitcode", "999", "--", "/bin/touch", marker],
                 "--exitcode"),
                (["report", "--format", "xml", "x.log"], "xml"),
                (["frobnicate"], "frobnicate")):
            r = run_cmd([ctx.lockhound] + args, 30, d, base_env())
            if r.rc != 2:
                why.append("%s: expected exit 2, got %s"
                           % (" ".join(args), describe_rc(r.rc)))
            if not _one_line_error(r.stderr) or word not in r.stderr:
                why.append("%s: expected a one-line error naming %s, got %r"
                           % (" ".join(args), word, r.stderr[:200]))
        if os.path.exists(marker):
            why.append("the program ran despite a bad option")
        return Outcome(name, "fail" if why else "pass", "; ".join(why))
    finally:
        ctx.done(d)


EXTRA_TESTS = {
    "cli_missing_program": extra_missing_program,
    "report_truncated_log": extra_truncated_log,
    "report_random_bytes": extra_random_bytes,
    "report_corrupt_inputs": extra_corrupt_inputs,
    "bare_preload_log": extra_bare_preload,
    "static_binary_refused": extra_static_binary,
    "stripped_binary_report": extra_stripped_binary,
    "installed_layout": extra_installed_layout,
    "setuid_refused": extra_setuid_refused,
    "cli_bad_options": extra_bad_options,
}

# the shim's robustness tests live in shim_tests.py (imported late: it uses
# this module's helpers)
sys.path.insert(0, HERE)
import shim_tests  # noqa: E402
EXTRA_TESTS.update(shim_tests.register(sys.modules[__name__]))
# ... and the limits of the shim's core in core_tests.py
import core_tests  # noqa: E402
EXTRA_TESTS.update(core_tests.register(sys.modules[__name__]))
# ... and the hazards of sampled race watching in watch_tests.py
import watch_tests  # noqa: E402
EXTRA_TESTS.update(watch_tests.register(sys.modules[__name__]))
# ... and the analyzer's and run's hardening (issue 14) in hardening_tests.py
import hardening_tests  # noqa: E402
EXTRA_TESTS.update(hardening_tests.register(sys.modules[__name__]))
# ... and SARIF, suppressions, baselines, DOT, HTML and the help in ci_tests.py
import ci_tests  # noqa: E402
EXTRA_TESTS.update(ci_tests.register(sys.modules[__name__]))
# ... and cycles across the processes of a test suite in suite_tests.py
import suite_tests  # noqa: E402
EXTRA_TESTS.update(suite_tests.register(sys.modules[__name__]))


# ------------------------------------------------------------- self-test

def self_test():
    """Check the parser and the checker on synthetic reports."""
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    e = parse_expect_body("lock-order-cycle count=1 locks=2 concurrent=true "
                          "functions=worker_ab,worker_ba")
    expect(e.clauses == [("lock-order-cycle",
                          {"count": 1, "locks": 2, "concurrent": True,
                           "functions": ["worker_ab", "worker_ba"]})],
           "parse basic clause")
    expect(e.expected_exit == 66, "default exit 66")
    e = parse_expect_body("clean args=-n,3 timeout=5")
    expect(e.clean and e.args == ["-n", "3"] and e.timeout == 5.0
           and e.expected_exit == 0, "parse clean with globals")
    e = parse_expect_body("deadlock count=1 exit=137 ; misuse what=unlock-not-held")
    expect([k for k, _ in e.clauses] == ["deadlock", "misuse"]
           and e.expected_exit == 137
           and e.clauses[1][1] == {"what": "unlock-not-held"},
           "parse two clauses")
    m = EXPECT_RE.match("// lockhound-expect: clean")
    expect(m and m.group("body") == "clean", "C++ comment form")
    m = EXPECT_RE.match("/* lockhound-expect: clean */")
    expect(m and m.group("body") == "clean", "C comment form")
    for bad in ("", "count=1", "lock-order-cycle count=x",
                "lock-order-cycle bogus=1", "clean ; lock-order-cycle",
                "clean count=0", "x concurrent=yes", "x count=1 count=2",
                "x exit=1 ; y exit=2", "x ;; y"):
        try:
            parse_expect_body(bad)
            failures.append("accepted bad line %r" % bad)
        except ExpectError:
            pass

    def frame(fn):
        return {"pc": "0x1", "function": fn}

    def cycle(fid, fns, concurrent=True, single=False, count=1, pid=10):
        return {"id": fid, "kind": "lock-order-cycle", "pid": pid,
                "count": count, "concurrent": concurrent,
                "single_thread": single,
                "locks": [{"id": "M1"}, {"id": "M2"}],
                "threads": [{"id": "T1"}, {"id": "T2"}],
                "edges": [{"from": "M1", "to": "M2", "thread": "T1",
                           "held_stack": [frame(fns[0])],
                           "acquired_stack": [frame("pthread_mutex_lock")]},
                          {"from": "M2", "to": "M1", "thread": "T2",
                           "held_stack": [frame("x")],
                           "acquired_stack": [frame(fns[1])]}]}

    def doc(findings, nlogs=1):
        by = {}
        for f in findings:
            by[f["kind"]] = by.get(f["kind"], 0) + 1
        return {"tool": "lockhound", "version": "0.1.0",
                "logs": [{"path": "l%d" % i, "pid": 10 + i, "complete": True,
                          "errors": [], "lock_orders": 2, "threads_run": 3}
                         for i in range(nlogs)],
                "findings": findings,
                "summary": {"findings": len(findings), "by_kind": by}}

    abba = parse_expect_body("lock-order-cycle count=1 locks=2 concurrent=true "
                             "functions=worker_ab,worker_ba")
    good = doc([cycle("F1", ["worker_ab", "static worker_ba(void*)"])])
    expect(check_report(abba, good) == [], "good report passes: %s"
           % check_report(abba, good))
    expect(check_report(abba, doc([])) != [], "missing finding fails")
    m = EXPECT_RE.match("# lockhound-expect: clean")
    expect(m and m.group("body") == "clean", "Python comment form")
    pyab = parse_expect_body("lock-order-cycle count=1 py_functions=ab,ba")
    pyf = cycle("F1", ["x", "y"])
    pyf["edges"][0]["held_stack"].insert(0, {"lang": "python", "function": "ab",
                                             "file": "app.py", "line": 3})
    pyf["edges"][1]["acquired_stack"].insert(0, {"lang": "python",
                                                 "function": "ba",
                                                 "file": "app.py", "line": 9})
    expect(check_report(pyab, doc([pyf])) == [], "Python frames pass: %s"
           % check_report(pyab, doc([pyf])))
    expect(check_report(pyab, doc([cycle("F1", ["ab", "ba"])])) != [],
           "native frames named like the Python functions fail py_functions")
    expect(check_report(abba, doc([cycle("F1", ["a", "worker_ba"])])) != [],
           "missing function fails")
    expect(check_report(abba, doc([cycle("F1", ["worker_ab", "worker_ba"],
                                         concurrent=False)])) != [],
           "concurrent mismatch fails")
    two = doc([cycle("F1", ["worker_ab", "worker_ba"]),
               cycle("F2", ["worker_ab", "worker_ba"])])
    expect(check_report(abba, two) != [], "count mismatch fails")
    clean = parse_expect_body("clean")
    expect(check_report(clean, doc([])) == [], "clean passes")
    expect(check_report(clean, good) != [], "clean with finding fails")
    other = doc([cycle("F1", ["worker_ab", "worker_ba"]),
                 {"id": "F2", "kind": "misuse", "what": "x", "pid": 10}])
    expect(check_report(abba, other) != [], "unexpected kind fails")
    mixed = parse_expect_body("lock-order-cycle ; misuse what=x")
    expect(check_report(mixed, other) == [], "two kinds pass: %s"
           % check_report(mixed, other))
    expect(check_report(parse_expect_body("lock-order-cycle ; misuse what=y"),
                        other) != [], "what mismatch fails")
    two_whats = doc([{"id": "F1", "kind": "misuse", "what": "x", "pid": 10},
                     {"id": "F2", "kind": "misuse", "what": "y", "pid": 10}])
    expect(check_report(parse_expect_body("misuse what=x"), two_whats) == [],
           "what= is some finding's")
    expect(check_report(parse_expect_body("misuse what_all=x"), two_whats) != [],
           "what_all= fails when one finding has another what")
    expect(check_report(parse_expect_body("misuse what_all=x"), doc([two_whats["findings"][0]])) == [],
           "what_all= passes when every finding has it")
    bad_summary = doc([cycle("F1", ["worker_ab", "worker_ba"])])
    bad_summary["summary"]["findings"] = 0
    expect(check_report(abba, bad_summary) != [], "summary mismatch fails")
    incomplete = doc([])
    incomplete["logs"][0]["complete"] = False
    expect(check_report(clean, incomplete) != [], "incomplete log fails")
    broken = doc([cycle("F1", ["worker_ab", "worker_ba"])])
    broken["findings"][0]["edges"][1]["to"] = "M9"
    expect(check_report(abba, broken) != [], "dangling lock id fails")
    occ = parse_expect_body("lock-order-cycle min_occurrences=2")
    expect(check_report(occ, good) != [], "min_occurrences fails on count 1")
    expect(check_report(occ, doc([cycle("F1", ["a", "b"], count=999)])) == [],
           "min_occurrences passes on 999")
    expect(check_report(parse_expect_body("clean logs=2"), doc([], 2)) == [],
           "logs=2 passes")
    expect(check_report(parse_expect_body("clean logs=2"), doc([], 1)) != [],
           "logs=2 fails on 1 log")
    nothing = doc([])
    nothing["logs"][0]["lock_orders"] = 0
    expect(check_report(clean, nothing) != [],
           "clean with no lock orders recorded fails")
    expect(check_report(parse_expect_body("clean min_edges=3"), doc([])) != [],
           "min_edges=3 fails on 2")
    expect(check_report(parse_expect_body("clean min_edges=2"), doc([])) == [],
           "min_edges=2 passes on 2")
    expect(check_report(parse_expect_body("clean min_edges=0 min_threads=3"),
                        nothing) == [], "min_edges=0 min_threads=3 passes")
    expect(check_report(parse_expect_body("clean min_edges=0 min_threads=4"),
                        nothing) != [], "min_threads=4 fails on 3")
    unknown = doc([])
    unknown["logs"][0]["threads_run"] = None
    expect(check_report(parse_expect_body("clean min_threads=1"), unknown) != [],
           "min_threads fails without a count")
    e = parse_expect_body("deadlock ended_process=false timeout=20 "
                          "max_seconds=10 options=deadlock_grace_ms=300:"
                          "deadlock_exit=0")
    expect(e.max_seconds == 10.0 and e.timeout == 20.0
           and e.options == "deadlock_grace_ms=300:deadlock_exit=0"
           and e.clauses == [("deadlock", {"ended_process": False})],
           "parse max_seconds, options, ended_process")
    dl = {"id": "F1", "kind": "deadlock", "what": "cycle", "pid": 10,
          "count": 1, "ended_process": True,
          "locks": [{"id": "M1"}], "threads": [{"id": "T1"}, {"id": "T2"}],
          "waits": [{"thread": "T2", "lock": "M1",
                     "blocked_stack": [frame("worker_b")]},
                    {"thread": "T1", "joins": "T2",
                     "blocked_stack": [frame("main")]}],
          "holds": [{"thread": "T1", "lock": "M1",
                     "acquired_stack": [frame("hold_it")]}]}
    dle = parse_expect_body("deadlock count=1 what=cycle ended_process=true "
                            "functions=worker_b,hold_it")
    expect(check_report(dle, doc([dl])) == [], "deadlock passes: %s"
           % check_report(dle, doc([dl])))
    expect(check_report(parse_expect_body("deadlock ended_process=false"),
                        doc([dl])) != [], "ended_process mismatch fails")
    bad_dl = json.loads(json.dumps(dl))
    bad_dl["waits"][1]["joins"] = "T9"
    expect(check_report(dle, doc([bad_dl])) != [], "dangling joins fails")
    st = parse_expect_body("lock-order-cycle single_thread=true")
    expect(check_report(st, doc([cycle("F1", ["a", "b"], single=True)])) == [],
           "single_thread passes")
    expect(check_report(st, good) != [], "single_thread mismatch fails")
    expect(check_report(abba, {"tool": "other", "findings": []}) != [],
           "wrong tool fails")

    # data-race clauses and the race finding's shape
    def race(fid="R1", kind="global", name="counter", pairs=None,
             alloc_fn="make_stats"):
        if pairs is None:
            pairs = [(3, "write", "T2", ["M1"], "write", "T3", []),
                     (1, "read", "T3", [], "write", "T2", ["M1"])]
        var = {"kind": kind, "name": name if kind == "global" else None,
               "module": "/p", "address": "0x4010", "offset": 0, "size": 4}
        if kind == "heap":
            var["block"] = {"size": 64, "alloc_thread": "T1",
                            "alloc_stack": [frame("malloc"),
                                            frame(alloc_fn)]}
        if kind == "stack":
            var["thread"] = "T1"
            var["function"] = "main"
        ps = []
        for c, op0, t0, l0, op1, t1, l1 in pairs:
            ps.append({"count": c, "accesses": [
                {"thread": t0, "op": op0, "atomic": False, "size": 4,
                 "address": "0x4010", "stack": [frame("reader_" + t0)],
                 "locks_held": l0},
                {"thread": t1, "op": op1, "atomic": False, "size": 4,
                 "address": "0x4010", "stack": [frame("writer_" + t1)],
                 "locks_held": l1}]})
        return {"id": fid, "kind": "data-race", "pid": 10,
                "detected_by": "instrumentation", "variable": var,
                "count": sum(p["count"] for p in ps), "pairs": ps,
                "locks": [{"id": "M1"}],
                "threads": [{"id": "T1"}, {"id": "T2"}, {"id": "T3"}]}

    re1 = parse_expect_body("data-race count=1 variable=counter "
                            "var_kind=global ops=write,read "
                            "functions=writer_T3,reader_T2")
    expect(re1.clauses == [("data-race", {"count": 1, "variable": "counter",
                                          "var_kind": "global",
                                          "ops": ["read", "write"],
                                          "functions": ["writer_T3",
                                                        "reader_T2"]})],
           "parse data-race clause")
    expect(check_report(re1, doc([race()])) == [], "race passes: %s"
           % check_report(re1, doc([race()])))
    expect(check_report(re1, doc([race(name="other")])) != [],
           "race variable mismatch fails")
    expect(check_report(re1, doc([race(kind="heap")])) != [],
           "race var_kind mismatch fails")
    expect(check_report(parse_expect_body("data-race ops=write,write"),
                        doc([race()])) == [], "race ops write,write passes")
    expect(check_report(parse_expect_body("data-race ops=write,write"),
                        doc([race(pairs=[(1, "read", "T2", [], "write", "T3",
                                          [])])])) != [],
           "race ops mismatch fails")
    expect(check_report(parse_expect_body("data-race functions=nowhere"),
                        doc([race()])) != [], "race functions fails")
    heap = parse_expect_body("data-race variable=make_stats var_kind=heap")
    expect(check_report(heap, doc([race(kind="heap")])) == [],
           "heap race by allocation function passes: %s"
           % check_report(heap, doc([race(kind="heap")])))
    expect(check_report(heap, doc([race(kind="heap", alloc_fn="x")])) != [],
           "heap race with another allocation site fails")
    # variable, var_kind and ops must hold for one finding
    two = doc([race("R1", "global", "counter"),
               race("R2", "heap", None, alloc_fn="other")])
    expect(check_report(parse_expect_body("data-race count=2 "
                                          "variable=counter var_kind=heap"),
                        two) != [], "race keys split over two findings fail")
    expect(check_report(parse_expect_body("data-race count=2 "
                                          "variable=counter var_kind=global"),
                        two) == [], "race keys on one of two findings pass")
    expect(check_report(parse_expect_body("data-race var_kind=stack"),
                        doc([race(kind="stack")])) == [],
           "stack race passes")
    for mutate, what in (
            (lambda f: f["pairs"][0]["accesses"][1].update(thread="T9"),
             "dangling access thread"),
            (lambda f: f["pairs"][0]["accesses"][0].update(locks_held=["M7"]),
             "dangling held lock"),
            (lambda f: f["pairs"][0]["accesses"][0].update(stack=[]),
             "access without stack"),
            (lambda f: f["pairs"][0]["accesses"].pop(),
             "pair with one access"),
            (lambda f: f["pairs"][1]["accesses"][0].update(thread="T2"),
             "pair from one thread"),
            (lambda f: [a.update(op="read") for a in
                        f["pairs"][0]["accesses"]], "pair without a write"),
            (lambda f: [a.update(atomic=True) for a in
                        f["pairs"][0]["accesses"]], "pair both atomic"),
            (lambda f: f.update(count=5), "count not the sum of pairs"),
            (lambda f: f["pairs"].reverse(), "pairs not most frequent first"),
            (lambda f: f.update(pairs=[]), "no pairs"),
            (lambda f: f.update(detected_by="luck"), "unknown detected_by"),
            (lambda f: f["variable"].update(kind="register"),
             "unknown variable kind"),
            (lambda f: f["variable"].update(name=None), "global without name")):
        bad = race()
        mutate(bad)
        expect(check_report(parse_expect_body("data-race"), doc([bad])) != [],
               "race shape: %s fails" % what)
    bad = race(kind="heap")
    bad["variable"]["block"]["alloc_thread"] = "T8"
    expect(check_report(parse_expect_body("data-race"), doc([bad])) != [],
           "race shape: dangling alloc_thread fails")
    bad = race(kind="stack")
    bad["variable"]["thread"] = "T8"
    expect(check_report(parse_expect_body("data-race"), doc([bad])) != [],
           "race shape: dangling stack owner fails")
    for bad in ("deadlock variable=x", "data-race var_kind=tls",
                "data-race ops=read,read", "data-race ops=write",
                "data-race ops=write,read,read", "data-race ops=write,frob",
                "data-race variable="):
        try:
            parse_expect_body(bad)
            failures.append("accepted bad line %r" % bad)
        except ExpectError:
            pass

    # Every scenario's line 1 must parse.
    for name, src in discover_scenarios().items():
        try:
            parse_expect_file(src)
        except ExpectError as ex:
            failures.append("%s: %s" % (name, ex))

    # run_cmd kills a hanging process group.
    d = tempfile.mkdtemp(prefix="lockhound-it-selftest-")
    try:
        r = run_cmd(["sh", "-c", "sleep 30 & sleep 30"], 0.5, d)
        expect(r.timed_out, "run_cmd timeout")
        # ... and a harness ended by SIGTERM takes its running groups along
        pidf = os.path.join(d, "pid")
        code = ("import sys, threading, time; sys.path.insert(0, %r); import run_tests as rt; "
                "rt.guard_process_groups(); "
                "threading.Thread(target=rt.run_cmd, daemon=True, args=(['sh', '-c', "
                "'sleep 60 & echo $! > %s; wait'], 60, %r)).start(); time.sleep(60)"
                % (HERE, pidf, d))
        h = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
        left = None
        try:
            for _ in range(200):
                if os.path.exists(pidf) and os.path.getsize(pidf):
                    break
                time.sleep(0.05)
            with open(pidf) as f:
                left = int(f.read())
            h.send_signal(signal.SIGTERM)
            h.wait(timeout=10)
            for _ in range(100):
                if not _alive(left):
                    break
                time.sleep(0.05)
            expect(not _alive(left), "a SIGTERM'd harness left its command running")
        except (OSError, ValueError, subprocess.TimeoutExpired) as ex:
            failures.append("harness SIGTERM: %s" % ex)
        finally:
            os.killpg(h.pid, signal.SIGKILL) if h.poll() is None else None
            if left and _alive(left):
                os.kill(left, signal.SIGKILL)
    finally:
        shutil.rmtree(d, ignore_errors=True)

    for f in failures:
        print("self-test FAIL: %s" % f)
    print("self-test: %s" % ("ok" if not failures
                             else "%d failure(s)" % len(failures)))
    return 1 if failures else 0


# ------------------------------------------------------------------ main

def main(argv=None):
    guard_process_groups()
    ap = argparse.ArgumentParser(description="lockhound integration tests")
    ap.add_argument("--build", default="build",
                    help="build directory (default: build)")
    ap.add_argument("--only", default="",
                    help="comma-separated test names to run")
    ap.add_argument("-j", "--jobs", type=int, default=2,
                    help="tests to run in parallel (default 2)")
    ap.add_argument("--list", action="store_true",
                    help="print the parsed expectations and exit")
    ap.add_argument("--self-test", action="store_true",
                    help="check the harness itself (no lockhound needed)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directories of the tests")
    a = ap.parse_args(argv)

    if a.self_test:
        return self_test()

    scenarios = discover_scenarios()
    if a.list:
        bad = 0
        for name, src in scenarios.items():
            try:
                print("%-34s %s" % (name, parse_expect_file(src).describe()))
            except ExpectError as e:
                bad += 1
                print("%-34s ERROR: %s" % (name, e))
        for name in EXTRA_TESTS:
            print("%-34s (extra test)" % name)
        return 1 if bad else 0

    build = a.build
    if not os.path.isabs(build) and not os.path.isdir(build):
        build = os.path.join(ROOT, build)
    build = os.path.abspath(build)
    ctx = Ctx(build, a.keep)
    if not os.access(ctx.lockhound, os.X_OK):
        print("run_tests: %s not found; build it first (make)" % ctx.lockhound,
              file=sys.stderr)
        return 2

    tests = [(n, lambda n=n, s=s: run_scenario(ctx, n, s))
             for n, s in scenarios.items()]
    tests += [(n, lambda f=f: f(ctx)) for n, f in EXTRA_TESTS.items()]
    if a.only:
        wanted = [w for w in a.only.split(",") if w]
        known = {n for n, _ in tests}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            print("run_tests: unknown test(s): %s" % ", ".join(unknown),
                  file=sys.stderr)
            return 2
        tests = [(n, fn) for n, fn in tests if n in wanted]

    print_lock = threading.Lock()
    counts = {"pass": 0, "fail": 0, "skip": 0}

    def report(o):
        with print_lock:
            counts[o.status] += 1
            if o.status == "pass":
                print("PASS %s" % o.name)
            elif o.status == "skip":
                print("SKIP %s: %s" % (o.name, o.reason))
            else:
                print("FAIL %s: %s" % (o.name, " ".join(o.reason.split("\n"))))
                for line in tail(o.stderr):
                    print("    | %s" % line)
            sys.stdout.flush()

    def guarded(name, fn):
        try:
            return fn()
        except Exception as e:  # a harness bug must not hide other results
            return Outcome(name, "fail", "harness error: %s: %s"
                           % (type(e).__name__, e))

    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
        futs = [pool.submit(guarded, n, fn) for n, fn in tests]
        for fut in concurrent.futures.as_completed(futs):
            report(fut.result())

    print("%d passed, %d failed" % (counts["pass"], counts["fail"]))
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
