"""Integration tests of what lockhound gives CI: the SARIF report (checked
against the OASIS schema in tests/schemas/, fingerprints stable across runs
with ASLR on), suppressions, baselines, the DOT and HTML reports (the HTML
rendered in headless Chromium), the help texts and the man page.  Each test
is a function ctx -> Outcome, listed in CI_TESTS; run_tests calls
register(itself) and merges them into its EXTRA_TESTS.  Needs
python3-jsonschema, graphviz and chromium (Makefile DEB_PKGS).
"""

import json
import os
import re
import shutil
import struct
import subprocess
import zlib

rt = None  # the run_tests module (its helpers), set by register()

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(os.path.dirname(HERE), "schemas", "sarif-schema-2.1.0.json")
FP_RE = re.compile(r"^[0-9a-f]{16}$")

# program -> the kinds of findings it must report
SARIF_PROGS = [
    "abba_two_threads",           # lock-order-cycle
    "deadlock_abba",              # deadlock
    "misuse_unlock_not_locked",   # misuse/unlock-not-locked
    "race_relaxed_flag",          # data-race on a global
    "race_heap_two_locks",        # data-race on a heap block
]


def _prog(ctx, name):
    return os.path.join(ctx.progdir, name)


def _run(ctx, d, prog, extra, args=(), env=None):
    """lockhound run EXTRA -- PROG ARGS in d; returns the result."""
    return rt.run_cmd([ctx.lockhound, "run"] + list(extra) + ["--", prog] + list(args),
                      120, d, env or rt.base_env())


def _load(path):
    doc, err = rt._load_json(path)
    return doc, err


def _rule_id(f):
    k = f.get("kind")
    if k == "misuse":
        return "misuse/" + f.get("what", "")
    return k


def _validator():
    try:
        import jsonschema
    except ImportError:
        return None, "python3-jsonschema is not installed (make deps)"
    with open(SCHEMA, encoding="utf-8") as fh:
        schema = json.load(fh)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema), None


def _schema_errors(validator, doc):
    errs = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    return ["%s at /%s" % (e.message[:200], "/".join(str(p) for p in e.path))
            for e in errs[:5]]


def _check_location(loc, where, why, need_file=True):
    pl = loc.get("physicalLocation")
    if not pl:
        if need_file:
            why.append("%s: no physicalLocation" % where)
        return
    al = pl.get("artifactLocation", {})
    if al.get("uriBaseId") != "SRCROOT" or not al.get("uri", "").startswith("testprogs/"):
        why.append("%s: artifactLocation %r is not testprogs/... relative to SRCROOT"
                   % (where, al))
    if pl.get("region", {}).get("startLine", 0) < 1:
        why.append("%s: no region.startLine" % where)


def check_sarif(doc, jdoc, root, why, validator):
    """The SARIF doc against the JSON report jdoc of the same run."""
    why.extend(_schema_errors(validator, doc))
    if doc.get("version") != "2.1.0" or len(doc.get("runs", [])) != 1:
        why.append("not one SARIF 2.1.0 run")
        return
    run = doc["runs"][0]
    rules = run["tool"]["driver"].get("rules", [])
    base = run.get("originalUriBaseIds", {}).get("SRCROOT", {}).get("uri")
    if base != "file://" + root.rstrip("/") + "/":
        why.append("SRCROOT is %r, expected the source root %r" % (base, root))
    results = run.get("results", [])
    findings = jdoc.get("findings", [])
    if len(results) != len(findings):
        why.append("%d results for %d findings" % (len(results), len(findings)))
        return
    for res, f in zip(results, findings):
        where = "%s (%s)" % (f.get("id"), res.get("ruleId"))
        if res.get("ruleId") != _rule_id(f):
            why.append("%s: ruleId %r, expected %r" % (where, res.get("ruleId"), _rule_id(f)))
        ri = res.get("ruleIndex", -1)
        if not (0 <= ri < len(rules)) or rules[ri].get("id") != res.get("ruleId"):
            why.append("%s: ruleIndex %r does not name its rule" % (where, ri))
        if len(res.get("message", {}).get("text", "")) < 20:
            why.append("%s: no readable message" % where)
        fp = res.get("partialFingerprints", {}).get("lockhound/v1", "")
        if not FP_RE.match(fp) or fp != f.get("fingerprint"):
            why.append("%s: fingerprint %r, JSON has %r" % (where, fp, f.get("fingerprint")))
        locs = res.get("locations", [])
        if len(locs) != 1:
            why.append("%s: %d locations" % (where, len(locs)))
        else:
            _check_location(locs[0], where + " location", why)
        flows = res.get("codeFlows", [])
        if f["kind"] == "lock-order-cycle":
            tfs = flows[0].get("threadFlows", []) if len(flows) == 1 else []
            if len(flows) != 1 or len(tfs) != len(f["edges"]):
                why.append("%s: %d codeFlows / %d threadFlows for %d edges"
                           % (where, len(flows), len(tfs), len(f["edges"])))
            for k, tf in enumerate(tfs):
                if len(tf.get("locations", [])) != 2:
                    why.append("%s: edge %d's threadFlow has %d steps, expected 2"
                               % (where, k, len(tf.get("locations", []))))
                for st in tf.get("locations", []):
                    _check_location(st.get("location", {}), where + " step", why)
                    if not st.get("stack", {}).get("frames"):
                        why.append("%s: a step has no stack frames" % where)
        elif f["kind"] == "data-race":
            if len(flows) != len(f["pairs"]):
                why.append("%s: %d codeFlows for %d pairs" % (where, len(flows), len(f["pairs"])))
            for cf in flows:
                tfs = cf.get("threadFlows", [])
                if len(tfs) != 2:
                    why.append("%s: a pair's codeFlow has %d threadFlows" % (where, len(tfs)))
                for tf in tfs:
                    for st in tf.get("locations", []):
                        _check_location(st.get("location", {}), where + " access", why)
        else:
            if len(flows) != 1 or not flows[0].get("threadFlows"):
                why.append("%s: no codeFlow" % where)
    text = json.dumps(doc)
    for f in findings:
        for t in f.get("threads", []):
            if t.get("tid") and ('"%d"' % t["tid"]) in text:
                why.append("an OS thread id appears as a string in the SARIF")


def ci_sarif_schema(ctx):
    """`run --sarif` of a cycle, a deadlock, a misuse and two races: valid
    against the OASIS SARIF 2.1.0 schema, one result per finding with the
    rule id of its kind, a source location relative to SRCROOT with a
    line, codeFlows walking the cycle's edges or each race pair's two
    accesses with their stacks, the JSON report's fingerprint."""
    name = "sarif_schema_valid"
    validator, err = _validator()
    if validator is None:
        return rt.Outcome(name, "fail", err)
    why, stderr = [], ""
    for p in SARIF_PROGS:
        d = ctx.tmpdir(name)
        try:
            s, j = os.path.join(d, "r.sarif"), os.path.join(d, "r.json")
            r = _run(ctx, d, _prog(ctx, p), ["--sarif", s, "--json", j,
                                            "--source-root", ctx.root])
            stderr += r.stderr
            if r.rc != 66:
                why.append("%s: %s (expected 66)" % (p, rt.describe_rc(r.rc)))
                continue
            doc, e1 = _load(s)
            jdoc, e2 = _load(j)
            if doc is None or jdoc is None:
                why.append("%s: %s" % (p, e1 or e2))
                continue
            w = []
            check_sarif(doc, jdoc, ctx.root, w, validator)
            why.extend("%s: %s" % (p, x) for x in w)
        finally:
            ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why[:8]), stderr)


def ci_sarif_multitool(ctx):
    """The SARIF Multitool's stricter validation, when it is installed (it
    is optional: npm's @microsoft/sarif-multitool)."""
    name = "sarif_multitool"
    tool = shutil.which("sarif-multitool") or shutil.which("sarif")
    if not tool:
        return rt.Outcome(name, "skip", "SARIF Multitool not installed (npm i -g @microsoft/sarif-multitool)")
    d = ctx.tmpdir(name)
    try:
        s = os.path.join(d, "r.sarif")
        r = _run(ctx, d, _prog(ctx, "abba_two_threads"), ["--sarif", s])
        if r.rc != 66:
            return rt.Outcome(name, "fail", "run: %s" % rt.describe_rc(r.rc), r.stderr)
        v = rt.run_cmd([tool, "validate", s, "--output", os.path.join(d, "v.sarif")], 120, d)
        if v.rc != 0:
            return rt.Outcome(name, "fail", "multitool validate: %s" % rt.describe_rc(v.rc),
                              v.stdout + v.stderr)
        return rt.Outcome(name, "pass")
    finally:
        ctx.done(d)


def _aslr_on():
    try:
        with open("/proc/sys/kernel/randomize_va_space") as fh:
            return fh.read().strip() != "0"
    except OSError:
        return False


def _addresses(jdoc):
    return sorted(l.get("address") for f in jdoc.get("findings", [])
                  for l in f.get("locks", []) + [f.get("variable") or {}] if l.get("address"))


def ci_fingerprint_stable(ctx):
    """Two runs of the same program (ASLR on: the locks' and variables'
    addresses differ) give the same fingerprints, in the JSON and the
    SARIF; different findings give different ones."""
    name = "sarif_fingerprint_stable"
    if not _aslr_on():
        return rt.Outcome(name, "skip", "ASLR is off (kernel.randomize_va_space=0)")
    why, stderr, all_fps = [], "", {}
    for p in ["abba_two_threads", "deadlock_abba", "race_heap_two_locks", "cycle3_three_threads"]:
        runs = []
        for k in range(2):
            d = ctx.tmpdir(name)
            try:
                s, j = os.path.join(d, "r.sarif"), os.path.join(d, "r.json")
                r = _run(ctx, d, _prog(ctx, p), ["--sarif", s, "--json", j])
                stderr += r.stderr
                doc, _ = _load(s)
                jdoc, _ = _load(j)
                if r.rc != 66 or doc is None or jdoc is None:
                    why.append("%s run %d: %s" % (p, k, rt.describe_rc(r.rc)))
                    break
                sfp = [x["partialFingerprints"]["lockhound/v1"] for x in doc["runs"][0]["results"]]
                jfp = [f.get("fingerprint") for f in jdoc["findings"]]
                if sfp != jfp:
                    why.append("%s: SARIF %r and JSON %r fingerprints differ" % (p, sfp, jfp))
                runs.append((sorted(jfp), _addresses(jdoc)))
            finally:
                ctx.done(d)
        if len(runs) != 2:
            continue
        if runs[0][1] == runs[1][1]:
            why.append("%s: the addresses did not move between runs (%r): ASLR not shown"
                       % (p, runs[0][1][:2]))
        if runs[0][0] != runs[1][0]:
            why.append("%s: fingerprints changed between runs: %r vs %r" % (p, runs[0][0], runs[1][0]))
        all_fps[p] = set(runs[0][0])
    seen = {}
    for p, fps in all_fps.items():
        for fp in fps:
            if fp in seen:
                why.append("%s and %s share fingerprint %s" % (seen[fp], p, fp))
            seen[fp] = p
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why[:6]), stderr)


# ------------------------------------------------------------ suppressions

def _logs_of(ctx, d, progs):
    """Run each program with --log-dir d; returns the logs written."""
    for p in progs:
        r = _run(ctx, d, _prog(ctx, p), ["--log-dir", d])
        if r.rc != 66:
            raise RuntimeError("%s: %s (expected 66)" % (p, rt.describe_rc(r.rc)))
    return rt._find_logs(d)


def _report(ctx, d, args, env=None):
    return rt.run_cmd([ctx.lockhound, "report"] + list(args), 120, d, env or rt.base_env())


SUPP = """# lockhound suppressions for the tests
lock-order-cycle: worker_ab

race:nothing_races_here
   misuse:*unlock_not_locked.c
deadlock:*
"""


def ci_suppressions(ctx):
    """A cycle (abba_two_threads) and a misuse (misuse_unlock_not_locked):
    a function-name line suppresses the cycle, a file glob the misuse; the
    report says 2 suppressed by lines 2 and 5, lists lines 4 and 6 as
    unused, exits 0, and the JSON counts each line.  The same file through
    LOCKHOUND_OPTIONS=suppressions=FILE; a line of the wrong kind
    suppresses nothing; a module base name matches; `run --suppressions`
    of a program whose only finding is suppressed exits with the program's
    status."""
    name = "suppressions_counts"
    d = ctx.tmpdir(name)
    why = []
    try:
        logs = _logs_of(ctx, d, ["abba_two_threads", "misuse_unlock_not_locked"])
        sp = os.path.join(d, "supp.txt")
        with open(sp, "w") as fh:
            fh.write(SUPP)
        r = _report(ctx, d, ["--suppressions", sp] + logs)
        out = r.stdout
        if r.rc != 0:
            why.append("all suppressed: exit %s, expected 0" % rt.describe_rc(r.rc))
        want = "2 findings suppressed: 1 by %s:2 (lock-order-cycle:worker_ab), 1 by %s:5 " \
               "(misuse:*unlock_not_locked.c)" % (sp, sp)
        if want not in out:
            why.append("text lacks %r" % want)
        for ln, txt in ((4, "race:nothing_races_here"), (6, "deadlock:*")):
            if ("unused suppression %s:%d: %s" % (sp, ln, txt)) not in out:
                why.append("line %d not listed as unused" % ln)
        if "unused suppression %s:2" % sp in out or "unused suppression %s:5" % sp in out:
            why.append("a used line is listed as unused")
        if "no findings" not in out:
            why.append("summary does not say no findings")
        # JSON, and the same file through LOCKHOUND_OPTIONS
        env = rt.base_env()
        env["LOCKHOUND_OPTIONS"] = "suppressions=" + sp
        r = _report(ctx, d, ["--format", "json"] + logs, env)
        doc = json.loads(r.stdout) if r.rc == 0 else None
        if doc is None:
            why.append("LOCKHOUND_OPTIONS suppressions: exit %s" % rt.describe_rc(r.rc))
        else:
            filt = doc["summary"].get("filtered", {})
            counts = [(e["line"], e["matched"]) for e in filt.get("suppressions", [])]
            if filt.get("suppressed") != 2 or counts != [(2, 1), (4, 0), (5, 1), (6, 0)]:
                why.append("JSON filtered: %r" % filt)
            if doc["findings"]:
                why.append("JSON still lists %d findings" % len(doc["findings"]))
        # the wrong kind suppresses nothing; a module base name does
        with open(sp, "w") as fh:
            fh.write("deadlock:worker_ab\nmisuse:abba_two_threads\n*:misuse_unlock_not_locked\n")
        r = _report(ctx, d, ["--format", "json", "--suppressions", sp] + logs)
        doc = json.loads(r.stdout) if r.stdout.strip() else {}
        kinds = [f["kind"] for f in doc.get("findings", [])]
        if r.rc != 66 or kinds != ["lock-order-cycle"]:
            why.append("kind/module lines: exit %s, kept %r (expected the cycle alone)"
                       % (rt.describe_rc(r.rc), kinds))
        # run: the program's status when its one finding is suppressed
        with open(sp, "w") as fh:
            fh.write("lock-order-cycle:*abba_two_threads.c\n")
        r = _run(ctx, d, _prog(ctx, "abba_two_threads"), ["--suppressions", sp])
        if r.rc != 0 or "1 finding suppressed" not in r.stderr:
            why.append("run --suppressions: exit %s" % rt.describe_rc(r.rc))
    except RuntimeError as e:
        why.append(str(e))
    finally:
        ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why))


def ci_suppressions_bad(ctx):
    """A bad suppressions line is one error naming FILE:LINE, exit 2, for
    report and for run (which then never starts the program)."""
    name = "suppressions_bad_line"
    d = ctx.tmpdir(name)
    why = []
    try:
        logs = _logs_of(ctx, d, ["abba_two_threads"])
        sp = os.path.join(d, "bad.txt")
        cases = [("# ok\nrace:x\nbogus:foo\n", 3, "unknown kind 'bogus'"),
                 ("\nno_colon_here\n", 2, "not KIND:PATTERN"),
                 ("race:   \n", 1, "empty pattern"),
                 ("race:" + "x" * 5000 + "\n", 1, "longer than")]
        for text, line, needle in cases:
            with open(sp, "w") as fh:
                fh.write(text)
            r = _report(ctx, d, ["--suppressions", sp] + logs)
            where = "%s:%d:" % (sp, line)
            if r.rc != 2 or not rt._one_line_error(r.stderr) or where not in r.stderr \
                    or needle not in r.stderr:
                why.append("%r: exit %s, stderr %r" % (needle, rt.describe_rc(r.rc), r.stderr[:200]))
        r = _report(ctx, d, ["--suppressions", d] + logs)
        if r.rc != 2 or "not a regular file" not in r.stderr:
            why.append("a directory as suppressions: exit %s" % rt.describe_rc(r.rc))
        ld = os.path.join(d, "runlogs")
        os.mkdir(ld)
        r = _run(ctx, d, _prog(ctx, "abba_two_threads"), ["--log-dir", ld, "--suppressions", sp])
        if r.rc != 2 or not rt._one_line_error(r.stderr) or rt._find_logs(ld):
            why.append("run with a bad file: exit %s, %d logs (expected 2 and none)"
                       % (rt.describe_rc(r.rc), len(rt._find_logs(ld))))
    except RuntimeError as e:
        why.append(str(e))
    finally:
        ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why))


def ci_suppressions_misuse_what(ctx):
    """KIND misuse/WHAT suppresses one kind of misuse only: with the logs
    of misuse_cond_signal_unlocked and misuse_unlock_not_locked,
    misuse/cond-signal-without-mutex:* takes the signal's finding and
    leaves the unlock's; misuse/unlock-not-locked:announce_* (the right
    what, a pattern of the other finding's stack) takes nothing; a
    misuse/WHAT with no such what is a bad line (exit 2)."""
    name = "suppressions_misuse_what"
    d = ctx.tmpdir(name)
    why = []
    try:
        logs = _logs_of(ctx, d, ["misuse_cond_signal_unlocked", "misuse_unlock_not_locked"])
        sp = os.path.join(d, "supp.txt")
        for text, kept in (("misuse/cond-signal-without-mutex:*\n", ["unlock-not-locked"]),
                           ("misuse/unlock-not-locked:announce_*\n",
                            ["cond-signal-without-mutex", "unlock-not-locked"])):
            with open(sp, "w") as fh:
                fh.write(text)
            r = _report(ctx, d, ["--format", "json", "--suppressions", sp] + logs)
            doc = json.loads(r.stdout) if r.stdout.strip() else {}
            whats = sorted(f.get("what", "") for f in doc.get("findings", []))
            if r.rc != 66 or whats != kept:
                why.append("%r: exit %s, kept %r (expected %r)"
                           % (text.strip(), rt.describe_rc(r.rc), whats, kept))
        with open(sp, "w") as fh:
            fh.write("misuse/no-such-misuse:*\n")
        r = _report(ctx, d, ["--suppressions", sp] + logs)
        if r.rc != 2 or not rt._one_line_error(r.stderr) or "unknown kind" not in r.stderr:
            why.append("misuse/no-such-misuse: exit %s, stderr %r" % (rt.describe_rc(r.rc), r.stderr[:200]))
    except RuntimeError as e:
        why.append(str(e))
    finally:
        ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why))


# --------------------------------------------------------------- baselines

def ci_baseline(ctx):
    """A baseline of one program's report (JSON and SARIF): the report of
    that program's log with a new program's log lists and fails on the new
    finding only, and says one was in the baseline; with both in the
    baseline it exits 0.  A file that is no report, or a report without
    fingerprints, is one error and exit 2."""
    name = "baseline_diff"
    d = ctx.tmpdir(name)
    why = []
    try:
        old = os.path.join(d, "old")
        new = os.path.join(d, "new")
        os.mkdir(old)
        os.mkdir(new)
        old_logs = _logs_of(ctx, old, ["abba_two_threads"])
        new_logs = _logs_of(ctx, new, ["abba_two_threads", "cycle3_three_threads"])
        bj, bs = os.path.join(d, "base.json"), os.path.join(d, "base.sarif")
        for fmt, path in (("json", bj), ("sarif", bs)):
            r = _report(ctx, d, ["--format", fmt, "--output", path] + old_logs)
            if r.rc != 66:
                why.append("baseline %s: exit %s" % (fmt, rt.describe_rc(r.rc)))
        for path in (bj, bs):
            r = _report(ctx, d, ["--format", "json", "--baseline", path] + new_logs)
            doc = json.loads(r.stdout) if r.stdout.strip() else {}
            locks = [len(f.get("locks", [])) for f in doc.get("findings", [])]
            filt = doc.get("summary", {}).get("filtered", {})
            if r.rc != 66 or locks != [3] or filt.get("in_baseline") != 1:
                why.append("--baseline %s: exit %s, findings with %r locks, %r"
                           % (os.path.basename(path), rt.describe_rc(r.rc), locks, filt))
            r = _report(ctx, d, ["--baseline", path] + new_logs)
            if "1 finding already in the baseline" not in r.stdout:
                why.append("text does not say one was in the baseline")
        both = os.path.join(d, "both.sarif")
        _report(ctx, d, ["--format", "sarif", "--output", both] + new_logs)
        r = _report(ctx, d, ["--baseline", both] + new_logs)
        if r.rc != 0:
            why.append("everything in the baseline: exit %s, expected 0" % rt.describe_rc(r.rc))
        junk = os.path.join(d, "junk.json")
        with open(junk, "w") as fh:
            fh.write("{not json")
        stripped = os.path.join(d, "old.json")
        with open(bj) as fh:
            doc = json.load(fh)
        for f in doc["findings"]:
            del f["fingerprint"]
        with open(stripped, "w") as fh:
            json.dump(doc, fh)
        for path, needle in ((junk, "not JSON"), (stripped, "no lockhound fingerprint"),
                             (os.path.join(d, "missing.json"), "No such file")):
            r = _report(ctx, d, ["--baseline", path] + new_logs)
            if r.rc != 2 or not rt._one_line_error(r.stderr) or needle not in r.stderr:
                why.append("bad baseline %s: exit %s, %r" % (os.path.basename(path),
                                                           rt.describe_rc(r.rc), r.stderr[:200]))
    except RuntimeError as e:
        why.append(str(e))
    finally:
        ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why))


# ------------------------------------------------------------- DOT and HTML

RED = (0xd6, 0x27, 0x28)  # RP_CYCLE_COLOUR (analyzer/graph_report.c)


def ci_dot(ctx):
    """--format dot over a cycle's log and a clean program's log: one
    cluster per process, every recorded lock order an edge, the cycle's
    two edges and locks red and labelled F1, the clean log's edges not;
    graphviz accepts the text."""
    name = "dot_lock_graph"
    d = ctx.tmpdir(name)
    why = []
    try:
        logs = _logs_of(ctx, d, ["abba_two_threads"])
        r = _run(ctx, d, _prog(ctx, "consistent_order_many_threads"), ["--log-dir", d])
        logs = rt._find_logs(d)
        if r.rc != 0 or len(logs) != 2:
            raise RuntimeError("clean program: %s, %d logs" % (rt.describe_rc(r.rc), len(logs)))
        r = _report(ctx, d, ["--format", "dot"] + logs)
        text = r.stdout
        if r.rc != 66:
            why.append("exit %s" % rt.describe_rc(r.rc))
        edges = re.findall(r"^\s*(p\d+)_L\d+ -> (p\d+)_L\d+ \[(.*)\];$", text, re.M)
        red = [e for e in edges if "#d62728" in e[2]]
        if len(red) != 2 or not all('label="F1' in e[2] for e in red):
            why.append("%d red edges labelled F1, expected 2: %r" % (len(red), red))
        procs = {e[0] for e in red}
        others = [e for e in edges if e[0] not in procs]
        if not others or any("#d62728" in e[2] for e in others):
            why.append("the clean process's edges: %r" % others[:3])
        if "subgraph cluster_p0" not in text or "subgraph cluster_p1" not in text:
            why.append("no cluster per process")
        nodes = re.findall(r"^\s*p\d+_L\d+ \[label=\"([^\"]*)\"(.*)\];$", text, re.M)
        if sum(1 for n in nodes if "#d62728" in n[1]) != 2:
            why.append("red nodes: %r" % nodes)
        with open(os.path.join(d, "g.dot"), "w") as fh:
            fh.write(text)
        g = rt.run_cmd(["dot", "-Tsvg", "-o", os.path.join(d, "g.svg"), os.path.join(d, "g.dot")],
                       60, d)
        if g.rc != 0:
            why.append("dot refuses it: %s %s" % (rt.describe_rc(g.rc), g.stderr[:200]))
    except RuntimeError as e:
        why.append(str(e))
    finally:
        ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why))


def ci_dot_cut(ctx):
    """A lock graph of more distinct lock orders than RP_DOT_MAX_EDGES
    (many_orders_clean: 5000) is cut there, and the graph says so."""
    name = "dot_graph_cut"
    d = ctx.tmpdir(name)
    why = []
    try:
        r = _run(ctx, d, _prog(ctx, "many_orders_clean"), ["--log-dir", d])
        logs = rt._find_logs(d)
        if r.rc != 0 or len(logs) != 1:
            raise RuntimeError("many_orders_clean: %s, %d logs" % (rt.describe_rc(r.rc), len(logs)))
        r = _report(ctx, d, ["--format", "dot"] + logs)
        edges = re.findall(r"^\s*p\d+_L\d+ -> p\d+_L\d+ ", r.stdout, re.M)
        if r.rc != 0 or len(edges) != 2000:
            why.append("exit %s, %d edges drawn (expected RP_DOT_MAX_EDGES, 2000)"
                       % (rt.describe_rc(r.rc), len(edges)))
        if not re.search(r'label="2000 of 5000 lock orders drawn \(RP_DOT_MAX_EDGES\)"', r.stdout):
            why.append("the graph does not say it was cut")
    except RuntimeError as e:
        why.append(str(e))
    finally:
        ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why))


def _html_parse(text):
    from html.parser import HTMLParser

    class P(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.tags, self.attrs, self.stack = [], [], []
            self.sections, self.cur = [], None

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            self.tags.append(tag)
            self.attrs.extend((tag, k, v or "") for k, v in attrs)
            if tag == "section":
                self.cur = {"id": a.get("id"), "class": a.get("class", ""), "details": 0}
                self.sections.append(self.cur)
            if tag == "details" and self.cur is not None:
                self.cur["details"] += 1

        def handle_endtag(self, tag):
            if tag == "section":
                self.cur = None

    p = P()
    p.feed(text)
    return p


def _html_logs(ctx, d):
    logs = []
    for i, prog in enumerate(["abba_two_threads", "deadlock_abba", "misuse_unlock_not_locked",
                              "race_heap_two_locks"]):
        sub = os.path.join(d, "l%d" % i)
        os.mkdir(sub)
        logs += _logs_of(ctx, sub, [prog])
    return logs


def ci_html_structure(ctx):
    """--format html of a cycle, a deadlock, a misuse and a race: one page
    with no script, no link, no request (a CSP of default-src 'none', no
    external URL in any attribute), the graph as inline SVG with the
    cycle's edges red, a section per finding with its id and collapsible
    stacks, source snippets whose marked line is the file's; with the
    source root elsewhere, no snippet (files outside it are not read)."""
    name = "html_structure"
    d = ctx.tmpdir(name)
    why = []
    try:
        logs = _html_logs(ctx, d)
        out, j = os.path.join(d, "r.html"), os.path.join(d, "r.json")
        r = _report(ctx, d, ["--format", "html", "--output", out, "--source-root", ctx.root] + logs)
        _report(ctx, d, ["--format", "json", "--output", j] + logs)
        with open(j) as fh:
            jdoc = json.load(fh)
        if r.rc != 66:
            why.append("exit %s" % rt.describe_rc(r.rc))
        with open(out, encoding="utf-8") as fh:
            text = fh.read()
        p = _html_parse(text)
        for bad in ("script", "link", "iframe", "object", "embed", "img"):
            if bad in p.tags:
                why.append("a <%s> element" % bad)
        for tag, k, v in p.attrs:
            if k.startswith("on"):
                why.append("an event handler attribute %s" % k)
            if k in ("src", "href", "xlink:href", "action") or \
                    (re.match(r"^\s*(https?|ftp|file)?:?//", v) and not k.startswith("xmlns")):
                why.append("<%s %s=%r>" % (tag, k, v[:80]))
        if "default-src 'none'" not in text:
            why.append("no Content-Security-Policy")
        ids = [f["id"] for f in jdoc["findings"]]
        got = [s["id"] for s in p.sections]
        if got != ids:
            why.append("sections %r, findings %r" % (got, ids))
        for s in p.sections:
            if s["details"] < 1:
                why.append("%s has no collapsible stack" % s["id"])
        svg = text[text.find("<svg"):text.find("</svg>")]
        if "<svg" not in text or svg.count('class="node') < 2:
            why.append("no SVG graph with its nodes")
        if svg.count('stroke="#d62728"') < 2:
            why.append("the cycle's edges are not red in the SVG")
        # each marked line is the line its frame names, as the file has it
        n_snippets = 0
        for m in re.finditer(r'<span class="loc">([^<]*):(\d+)</span><pre class="src">(.*?)</pre>',
                             text, re.S):
            path, line, pre = m.group(1), int(m.group(2)), m.group(3)
            hm = re.search(r'<span class="hit"><span class="ln">\s*(\d+)</span> (.*?)</span>', pre)
            if not hm or int(hm.group(1)) != line:
                why.append("%s:%d: snippet marks %r" % (path, line, hm and hm.group(1)))
                continue
            with open(os.path.join(ctx.root, path), encoding="utf-8", errors="replace") as fh:
                src = fh.read().split("\n")[line - 1]
            import html as htmlmod
            if htmlmod.unescape(hm.group(2)) != src:
                why.append("%s:%d: snippet %r is not the file's line %r" % (path, line, hm.group(2), src))
            n_snippets += 1
        if n_snippets < len(ids):
            why.append("%d source snippets for %d findings" % (n_snippets, len(ids)))
        # a source root that holds none of the files: no snippet at all
        out2 = os.path.join(d, "r2.html")
        _report(ctx, d, ["--format", "html", "--output", out2, "--source-root",
                         os.path.join(ctx.root, "docs")] + logs)
        with open(out2, encoding="utf-8") as fh:
            if 'class="src"' in fh.read():
                why.append("snippets read from outside the source root")
    except RuntimeError as e:
        why.append(str(e))
    finally:
        ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why[:8]))


def _png_rows(path):
    """The rows of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium
    writes) as bytes, with the bytes per pixel; standard library only."""
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    w, hgt, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("PNG of depth %d, colour type %d, interlace %d" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(hgt):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return rows, bpp, (w, hgt)


def _red_pixels(png):
    rows, bpp, size = _png_rows(png)
    n = 0
    for row in rows:
        for i in range(0, len(row), bpp):
            if abs(row[i] - RED[0]) < 24 and abs(row[i + 1] - RED[1]) < 24 and \
                    abs(row[i + 2] - RED[2]) < 24:
                n += 1
    return n, size


def _screenshot(ctx, d, html, png):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    return rt.run_cmd([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                       "--user-data-dir=" + os.path.join(d, "profile"), "--window-size=1280,1000",
                       "--screenshot=" + png, "file://" + html], 180, d)


def ci_html_browser(ctx):
    """The HTML report rendered in headless Chromium: the screenshot of a
    cycle's report shows the graph's cycle colour (hundreds of pixels);
    a clean program's report shows none (the colour is the graph's
    alone)."""
    name = "html_browser_render"
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return rt.Outcome(name, "fail", "chromium not installed (make deps)")
    d = ctx.tmpdir(name)
    why = []
    try:
        for prog, want in (("abba_two_threads", True), ("consistent_order_many_threads", False)):
            sub = os.path.join(d, prog)
            os.mkdir(sub)
            html = os.path.join(sub, "r.html")
            png = os.path.join(sub, "r.png")
            r = _run(ctx, sub, _prog(ctx, prog), ["--html", html])
            if r.rc != (66 if want else 0):
                why.append("%s: %s" % (prog, rt.describe_rc(r.rc)))
                continue
            s = _screenshot(ctx, sub, html, png)
            if s.rc != 0 or not os.path.exists(png):
                why.append("%s: chromium: %s %s" % (prog, rt.describe_rc(s.rc), s.stderr[-300:]))
                continue
            n, size = _red_pixels(png)
            if want and n < 300:
                why.append("%s: %d cycle-coloured pixels in the %dx%d screenshot" % (prog, n, size[0], size[1]))
            if not want and n:
                why.append("%s (no cycle): %d cycle-coloured pixels" % (prog, n))
    finally:
        ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why))


# ------------------------------------------------------ help and man page

OPT_RE = re.compile(r"(?<![\w-])(--[a-z][a-z-]+)")


def ci_help(ctx):
    """lockhound --help, run --help, report --help and --version exit 0 on
    stdout and name their options; an unknown option says which --help to
    read; no command is a usage on stderr with status 2."""
    name = "cli_help_texts"
    d = ctx.tmpdir(name)
    why = []
    try:
        def lh(*args):
            return rt.run_cmd([ctx.lockhound] + list(args), 30, d)
        cases = [(("--help",), ["run", "report", "cc", "--version", "man lockhound"]),
                 (("run", "--help"), ["--json", "--sarif", "--html", "--suppressions", "--baseline",
                                      "--source-root", "--log-dir", "--exitcode", "--options"]),
                 (("report", "--help"), ["--format", "sarif", "dot", "html", "--output",
                                         "--suppressions", "--baseline", "--source-root",
                                         "--exitcode"])]
        for args, needles in cases:
            r = lh(*args)
            if r.rc != 0 or r.stderr.strip():
                why.append("%s: exit %s, stderr %r" % (" ".join(args), rt.describe_rc(r.rc),
                                                        r.stderr[:100]))
            for n in needles:
                if n not in r.stdout:
                    why.append("%s does not mention %s" % (" ".join(args), n))
        r = lh("--version")
        if r.rc != 0 or not re.match(r"^lockhound \d+\.\d+\.\d+ \(log format \d+\)$", r.stdout.strip()):
            why.append("--version: %r" % r.stdout)
        for args, want in ((("report", "--bogus", "x.log"), "lockhound report --help"),
                           (("run", "--bogus", "true"), "lockhound run --help"),
                           (("report",), "lockhound report --help"),
                           (("report", "--format", "xml", "x"), "text, json, sarif, dot or html")):
            r = lh(*args)
            if r.rc != 2 or not rt._one_line_error(r.stderr) or want not in r.stderr:
                why.append("%s: exit %s, %r" % (" ".join(args), rt.describe_rc(r.rc), r.stderr[:200]))
        r = lh()
        if r.rc != 2 or "usage:" not in r.stderr:
            why.append("no command: exit %s" % rt.describe_rc(r.rc))
    finally:
        ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why))


def ci_man_page(ctx):
    """make install puts the man page in PREFIX/share/man/man1; man
    renders it without warnings, with the sections commands, options, exit
    status, suppressions and formats, and it names every option the help
    texts name."""
    name = "man_page_installed"
    d = ctx.tmpdir(name)
    why = []
    try:
        prefix = os.path.join(d, "usr")
        make = shutil.which("make") or "make"
        r = rt.run_cmd([make, "-C", ctx.root, "-s", "install", "PREFIX=" + prefix,
                        "B=" + os.path.relpath(ctx.build, ctx.root)], 600, d)
        page = os.path.join(prefix, "share", "man", "man1", "lockhound.1")
        if r.rc != 0 or not os.path.exists(page):
            return rt.Outcome(name, "fail", "make install: %s, %s missing" % (rt.describe_rc(r.rc), page),
                              r.stdout + r.stderr)
        env = rt.base_env()
        env.update(MANWIDTH="100", LC_ALL="C.UTF-8", MANPATH=os.path.join(prefix, "share", "man"))
        m = rt.run_cmd(["man", "--warnings", "lockhound"], 60, d, env)
        if m.rc != 0 or m.stderr.strip():
            why.append("man lockhound: %s, warnings %r" % (rt.describe_rc(m.rc), m.stderr[:300]))
        text = re.sub(r".\x08", "", m.stdout)
        for sec in ("NAME", "SYNOPSIS", "COMMANDS", "OPTIONS OF RUN", "OPTIONS OF REPORT",
                    "SUPPRESSIONS", "FORMATS", "FINGERPRINTS", "EXIT STATUS", "ENVIRONMENT"):
            if not re.search(r"^%s$" % sec, text, re.M):
                why.append("no section %s" % sec)
        helps = ""
        for args in (("run", "--help"), ("report", "--help")):
            helps += rt.run_cmd([ctx.lockhound] + list(args), 30, d).stdout
        flat = text.replace("\u2010", "-").replace("\u2011", "-")
        for opt in sorted(set(OPT_RE.findall(helps))):
            if opt not in flat:
                why.append("the man page does not document %s" % opt)
        for word in ("lock-order-cycle", "deadlock", "misuse", "race", "sarif", "dot", "html", "66"):
            if word not in flat:
                why.append("the man page does not mention %s" % word)
    finally:
        ctx.done(d)
    return rt.Outcome(name, "fail" if why else "pass", "; ".join(why))


CI_TESTS = {
    "sarif_schema_valid": ci_sarif_schema,
    "sarif_multitool": ci_sarif_multitool,
    "sarif_fingerprint_stable": ci_fingerprint_stable,
    "suppressions_counts": ci_suppressions,
    "suppressions_bad_line": ci_suppressions_bad,
    "suppressions_misuse_what": ci_suppressions_misuse_what,
    "baseline_diff": ci_baseline,
    "dot_lock_graph": ci_dot,
    "dot_graph_cut": ci_dot_cut,
    "html_structure": ci_html_structure,
    "html_browser_render": ci_html_browser,
    "cli_help_texts": ci_help,
    "man_page_installed": ci_man_page,
}


def register(run_tests_module):
    global rt
    rt = run_tests_module
    return CI_TESTS
