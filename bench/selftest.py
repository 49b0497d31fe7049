#!/usr/bin/env python3
"""selftest.py - the benchmark harness's own rules, tested without running
any benchmark (part of `make check`; Python standard library only).

What is checked: a detector build is measured only if it reports the race
probe and not its clean twin; a lockhound build must link liblockhound.so
and no ThreadSanitizer runtime; exit status 66 is a valid run only for a
race detector; a column without a measurable build shows its reason, never
a number; the verdict against TSan; the exact-mode block replaces only
itself in RESULTS.md; deb-src lines come from the enabled apt sources.
The sampled-mode harness (sampled.py): the program headers, what counts as
found and as a false alarm, read-side races and write-only sources, the
targets, "not yet reported", its block of RESULTS.md.  The whole session:
bench.py keeps every other block of RESULTS.md, a hung run is stopped at
BENCH_RUN_TIMEOUT, noted and not repeated; the stage table (stages.py).
"""

import importlib.util
import os
import shutil
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


eb = load("exact_build")
bench = load("bench")
sampled = load("sampled")
stages = load("stages")
hostkind = load("hostkind")


class ProbeVerdict(unittest.TestCase):
    def test_reports_racy_and_not_clean(self):
        self.assertEqual(eb.probe_verdict(66, 0, "", False), ("ok", ""))

    def test_missed_race_is_not_measured(self):
        status, why = eb.probe_verdict(0, 0, "", False)
        self.assertEqual(status, "not measured")
        self.assertIn("misses the probe race", why)

    def test_false_alarm_is_not_measured(self):
        status, why = eb.probe_verdict(66, 66, "data race on counter", False)
        self.assertEqual(status, "not measured")
        self.assertIn("reports the race-free probe", why)
        self.assertIn("data race on counter", why)

    def test_crash_is_not_a_report(self):
        self.assertEqual(eb.probe_verdict(139, 0, "", False)[0], "not measured")

    def test_force_measures_but_keeps_the_reason(self):
        status, why = eb.probe_verdict(0, 0, "", True)
        self.assertEqual(status, "ok")
        self.assertIn("BENCH_EXACT_FORCE", why)
        self.assertIn("misses the probe race", why)


class Runtime(unittest.TestCase):
    LH = ["liblockhound.so", "libc.so.6"]

    def wrong(self, key, libs, static=False, calls=True):
        return eb.judge_runtime(key, libs, static, calls, "/x/liblockhound.so")[1]

    def test_lockhound_build_ok(self):
        self.assertIsNone(self.wrong("lh-gcc", self.LH))

    def test_lockhound_build_with_libtsan(self):
        self.assertIn("ThreadSanitizer", self.wrong("lh-gcc", self.LH + ["libtsan.so.2"]))

    def test_lockhound_build_with_static_tsan(self):
        self.assertIn("ThreadSanitizer", self.wrong("lh-clang", self.LH, static=True))

    def test_lockhound_build_without_lockhound(self):
        self.assertIn("liblockhound", self.wrong("lh-gcc", ["libc.so.6"]))

    def test_lockhound_build_not_instrumented(self):
        self.assertIn("not instrumented", self.wrong("lh-gcc", self.LH, calls=False))

    def test_tsan_builds(self):
        self.assertIsNone(self.wrong("tsan-gcc", ["libtsan.so.2", "libc.so.6"]))
        self.assertIsNone(self.wrong("tsan-clang", ["libc.so.6"], static=True))
        self.assertIsNotNone(self.wrong("tsan-gcc", ["libc.so.6"]))


class AptSources(unittest.TestCase):
    def test_deb_lines_become_deb_src(self):
        with tempfile.TemporaryDirectory() as etc:
            os.makedirs(os.path.join(etc, "sources.list.d"))
            with open(os.path.join(etc, "sources.list"), "w") as f:
                f.write("# comment\ndeb http://m/debian bookworm main\n"
                        "deb-src http://m/debian bookworm main\n")
            with open(os.path.join(etc, "sources.list.d", "d.sources"), "w") as f:
                f.write("Types: deb\nURIs: http://a/debian\nSuites: s1 s2\nComponents: main contrib\n"
                        "Signed-By: /k.gpg\n\n"
                        "Types: deb\nURIs: http://off/\nSuites: x\nComponents: main\nEnabled: no\n\n"
                        "Types: deb-src\nURIs: http://srconly/\nSuites: y\nComponents: main\n")
            with open(os.path.join(etc, "sources.list.d", "z.list.disabled"), "w") as f:
                f.write("deb http://disabled/ z main\n")
            lines = eb.apt_source_lines(etc)
        self.assertEqual(lines, [
            "deb-src http://m/debian bookworm main",
            "deb-src [signed-by=/k.gpg] http://a/debian s1 main contrib",
            "deb-src [signed-by=/k.gpg] http://a/debian s2 main contrib",
        ])


class ExitStatus(unittest.TestCase):
    def test_race_exit_counts_for_detectors_only(self):
        r = bench.Run(1.0, 100, 66, False)
        self.assertTrue(bench.exit_ok("lh-gcc", r))
        self.assertTrue(r.ok and r.race_exit)
        r = bench.Run(1.0, 100, 66, False)
        self.assertTrue(bench.exit_ok("tsan-clang", r))
        for cfg in ("native", "lh", "tsan"):
            r = bench.Run(1.0, 100, 66, False)
            self.assertFalse(bench.exit_ok(cfg, r), cfg)
            self.assertFalse(r.ok)
        r = bench.Run(1.0, 100, 1, False)
        self.assertFalse(bench.exit_ok("lh-gcc", r))


def fake_info(lh_status="ok", lh_why=""):
    def cfg(key, status="ok", why=""):
        # like exact_build.py: a "not measured" build has its programs
        return {"key": key, "label": key, "status": status, "why": why,
                "programs": {"compute": "/bin/" + key} if status != "not built" else {},
                "failed": {}}
    return {"configs": [cfg("native"), cfg("tsan-gcc"), cfg("tsan-clang"),
                        cfg("lh-gcc", lh_status, lh_why), cfg("lh-clang", "not built", "no cc")],
            "sources": {}}


class Columns(unittest.TestCase):
    def setUp(self):
        bench.ONLY[:] = ["compute"]
        bench.notes[:] = []

    def tearDown(self):
        bench.ONLY[:] = []
        bench.xresults.clear()

    def runs(self, *walls, rss=100):
        return [bench.Run(w, rss, 0, False) for w in walls]

    def test_unmeasured_column_has_no_number(self):
        (b,) = bench.x_workloads(fake_info("not measured", "misses the probe race"))
        self.assertNotIn("lh-gcc", b.exes)
        self.assertNotIn("lh-clang", b.exes)
        self.assertEqual(b.exes["tsan-gcc"], "/bin/tsan-gcc")
        bench.xresults["compute"] = {c: [] for c in bench.X_CONFIGS}
        bench.xresults["compute"]["native"] = self.runs(1.0)
        self.assertEqual(bench.x_time_cell(b, "lh-gcc"), "not measured")
        self.assertEqual(bench.x_time_cell(b, "lh-clang"), "not built")
        self.assertEqual(bench.x_rss_cell(b, "lh-gcc"), "not measured")
        self.assertIn("not measured", bench.x_versus(b, "lh-gcc")[2])

    def test_versus_tsan(self):
        (b,) = bench.x_workloads(fake_info())
        res = {c: [] for c in bench.X_CONFIGS}
        res["native"] = self.runs(1.0, 1.0, 1.0, rss=10)
        res["tsan-gcc"] = self.runs(5.0, 4.0, 6.0, rss=100)
        res["lh-gcc"] = self.runs(10.0, 9.0, 11.0, rss=50)
        bench.xresults["compute"] = res
        t, m, verdict = bench.x_versus(b, "lh-gcc")
        self.assertEqual((t, m), ("2.00x", "0.50x"))
        self.assertEqual(verdict, "misses: 100% slower")
        res["lh-gcc"] = self.runs(4.0, 4.0, 4.0, rss=120)
        self.assertEqual(bench.x_versus(b, "lh-gcc")[2], "misses: 20% more memory")
        res["lh-gcc"] = self.runs(4.0, 4.0, 4.0, rss=90)
        self.assertEqual(bench.x_versus(b, "lh-gcc")[2], "beats or matches")
        self.assertEqual(bench.x_time_cell(b, "lh-gcc"), "4.000 (4.00x) n=3" if bench.X_RUNS > 3
                         else "4.000 (4.00x)")


class Splice(unittest.TestCase):
    BLOCK = bench.X_BEGIN + "\nnew\n" + bench.X_END

    def test_replaces_only_its_block(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("# head\n\n" + bench.X_BEGIN + "\nold\n" + bench.X_END + "\n\n## tail\n")
        try:
            out = bench.splice_exact(self.BLOCK, f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(out, "# head\n\n" + self.BLOCK + "\n\n## tail\n")

    def test_appends_when_absent(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("# head\n")
        try:
            out = bench.splice_exact(self.BLOCK, f.name)
        finally:
            os.unlink(f.name)
        self.assertEqual(out, "# head\n\n" + self.BLOCK + "\n")


class KeepBlocks(unittest.TestCase):
    """bench.py rewrites the top of RESULTS.md: every other script's block
    stays, and a block this run wrote replaces the old one"""
    OLD = ("# old main tables\n\nold targets\n\n"
           "<!-- sampled section: begin -->\nS\n<!-- sampled section: end -->\n\n"
           + bench.X_BEGIN + "\nold exact\n" + bench.X_END + "\n\n"
           "<!-- python section: begin -->\nP\n<!-- python section: end -->\n")

    def keep(self, text):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(self.OLD)
        try:
            return bench.keep_blocks(text, f.name)
        finally:
            os.unlink(f.name)

    def test_other_blocks_are_kept_in_order(self):
        out = self.keep("# new main tables\n")
        self.assertNotIn("old main tables", out)
        self.assertNotIn("old targets", out)
        self.assertTrue(out.startswith("# new main tables\n\n<!-- sampled section: begin -->"))
        self.assertLess(out.index("\nS\n"), out.index("old exact"))
        self.assertLess(out.index("old exact"), out.index("\nP\n"))

    def test_a_block_of_this_run_replaces_the_old_one(self):
        out = self.keep("# new\n" + bench.X_BEGIN + "\nnew exact\n" + bench.X_END + "\n")
        self.assertIn("new exact", out)
        self.assertNotIn("old exact", out)
        self.assertEqual(out.count(bench.X_BEGIN), 1)
        self.assertIn("\nP\n", out)

    def test_no_old_file(self):
        self.assertEqual(bench.keep_blocks("# new\n", "/nonexistent/RESULTS.md"), "# new\n")


class RunTimeout(unittest.TestCase):
    """a native/lockhound/tsan run of the main tables has a cap
    (BENCH_RUN_TIMEOUT): a hang is stopped, noted and not repeated"""

    class Hangs(bench.Bench):
        kind = "micro"

        def __init__(self):
            super().__init__("hangs", "a program that hangs under the shim")
            self.calls = []
            for c in ("helgrind", "drd", "tsan"):
                self.skip[c] = "left out"

        def run(self, cfg, scale=1, timeout=None, logdir=None):
            self.calls.append((cfg, timeout))
            hung = cfg == "lh"
            r = bench.Run(timeout if hung else 0.1, 1024, -9 if hung else 0, hung, timeout)
            if hung:
                r.why = "timeout"
            return r

    def test_hang_is_stopped_noted_and_not_repeated(self):
        saved = (bench.RUNS, bench.WORK, list(bench.notes))
        work = tempfile.mkdtemp()
        try:
            bench.RUNS, bench.WORK = 3, work
            b = self.Hangs()
            bench.main_section([b])
            lh = [t for c, t in b.calls if c == "lh"]
            self.assertEqual(lh, [bench.RUN_TIMEOUT])
            self.assertEqual(sorted({c for c, _ in b.calls}), ["lh", "lh0", "native"])
            self.assertTrue(all(t == bench.RUN_TIMEOUT for _, t in b.calls))
            self.assertEqual(len([c for c, _ in b.calls if c == "native"]), 3)
            self.assertTrue(any("BENCH_RUN_TIMEOUT" in n and "hangs" in n for n in bench.notes))
            r, lower = bench.ratio(b, "lh")
            self.assertTrue(lower)
        finally:
            bench.RUNS, bench.WORK = saved[0], saved[1]
            bench.notes[:] = saved[2]
            bench.results.pop("hangs", None)
            shutil.rmtree(work, ignore_errors=True)


class Stages(unittest.TestCase):
    ROWS = [("packages", 1000.0, 1002.0, "0.10 0.20 0.30", "0.11 0.20 0.30", "0"),
            ("bench.py: main tables", 1002.0, 1302.0, "0.11 0.20 0.30", "1.80 1.00 0.50", "ok"),
            ("main (bench/bench.py)", 1002.0, 1602.0, "0.11 0.20 0.30", "1.90 1.00 0.50", "0"),
            ("sampled race watching (bench/sampled.py)", 1602.0, 1700.0, "1.90 1.00 0.50",
             "1.00 1.00 0.50", "1"),
            ("Python programs (bench/python_bench.py)", 0.0, 0.0, "-", "-",
             "skipped (BENCH_SKIP)")]

    def test_block(self):
        text = "\n".join(stages.block(self.ROWS, {"BENCH_RUNS": "3", "HOME": "/x"}))
        self.assertIn("**11 min 40 s**", text)  # 1000 -> 1700
        self.assertIn("Settings: BENCH_RUNS=3.", text)
        self.assertNotIn("HOME", text)
        self.assertIn("| &nbsp;&nbsp;bench.py: main tables | 00:16:42 | 5 min 00 s |", text)
        self.assertLess(text.index("| main (bench/bench.py)"), text.index("bench.py: main tables"))
        # a part that started in the same second as a later stage: it
        # belongs to the stage written after it
        rows = self.ROWS[:3] + [
            ("bench.py: exact mode", 1602.0, 1602.0, "1 1 1", "1 1 1", "ok"),
            ("main 2 (bench/bench.py)", 1601.0, 1602.0, "1 1 1", "1 1 1", "0"),
            ("sampled", 1602.0, 1700.0, "1 1 1", "1 1 1", "0")]
        later = "\n".join(stages.block(rows, {}))
        self.assertLess(later.index("| main 2"), later.index("bench.py: exact mode"))
        self.assertLess(later.index("bench.py: exact mode"), later.index("| sampled"))
        self.assertIn("| sampled race watching (bench/sampled.py) | 00:26:42 | 98 s | "
                      "1.90 1.00 0.50 | 1.00 1.00 0.50 | **failed (exit 1)** |", text)
        self.assertIn("| Python programs (bench/python_bench.py) | - | - | - | - | "
                      "skipped (BENCH_SKIP) |", text)
        self.assertIn("load average 0.10 0.20 0.30 at the start and 1.00 1.00 0.50 at the end",
                      text)

    def test_file_round_trip_and_splice(self):
        d = tempfile.mkdtemp()
        try:
            tsv, md = os.path.join(d, "s.tsv"), os.path.join(d, "R.md")
            with open(tsv, "w") as f:
                for r in self.ROWS:
                    f.write("\t".join(str(x) for x in r) + "\n")
                f.write("garbage line\n")
            self.assertEqual(len(stages.read_stages(tsv)), len(self.ROWS))
            with open(md, "w") as f:
                f.write("# top\n\n" + stages.STAGE_BEGIN + "\nold\n" + stages.STAGE_END +
                        "\n\n## tail\n")
            stages.put_block(md, ["new"])
            with open(md) as f:
                self.assertEqual(f.read(), "# top\n\n" + stages.STAGE_BEGIN + "\nnew\n" +
                                 stages.STAGE_END + "\n\n## tail\n")
        finally:
            shutil.rmtree(d, ignore_errors=True)


def race(name, kind="global", by="watchpoint", alloc_fn=None):
    var = {"kind": kind, "name": name}
    if alloc_fn:
        var["block"] = {"alloc_stack": [{"function": "malloc"}, {"function": alloc_fn}]}
    return {"kind": "data-race", "detected_by": by, "variable": var}


class SampledHeader(unittest.TestCase):
    def test_racy(self):
        self.assertEqual(sampled.parse_header(
            "/* lockhound-sampled: racy variable=counter var_kind=global */"),
            (True, {"variable": "counter", "var_kind": "global"}))

    def test_clean(self):
        self.assertEqual(sampled.parse_header("// lockhound-sampled: clean"), (False, {}))

    def test_bad(self):
        for line in ("/* lockhound-expect: clean */", "/* lockhound-sampled: racy */",
                     "/* lockhound-sampled: clean variable=x */",
                     "/* lockhound-sampled: racy variable=x colour=red */",
                     "/* lockhound-sampled: maybe */"):
            with self.assertRaises(ValueError, msg=line):
                sampled.parse_header(line)

    def test_every_program_parses(self):
        progs = sampled.load_progs("build")
        self.assertGreaterEqual(sum(p.racy for p in progs), 7)
        self.assertGreaterEqual(sum(not p.racy for p in progs), 10)


class SampledJudge(unittest.TestCase):
    counter = sampled.Prog("racy_counter", "x", True, {"variable": "counter", "var_kind": "global"})
    heap = sampled.Prog("racy_heap", "x", True, {"variable": "make_stats", "var_kind": "heap"})
    clean = sampled.Prog("clean_x", "x", False, {})

    def test_found_by_name(self):
        self.assertEqual(sampled.judge(self.counter, {"findings": [race("counter")]})[:2],
                         (True, []))

    def test_other_variable_is_a_false_alarm(self):
        found, false, _ = sampled.judge(self.counter, {"findings": [race("other")]})
        self.assertFalse(found)
        self.assertEqual(len(false), 1)

    def test_wrong_kind_is_not_found(self):
        self.assertFalse(sampled.judge(self.counter, {"findings": [race("counter", "heap")]})[0])

    def test_heap_by_allocation_site(self):
        f = race(None, "heap", alloc_fn="make_stats")
        self.assertTrue(sampled.judge(self.heap, {"findings": [f]})[0])
        g = race(None, "heap", alloc_fn="make_other")
        self.assertFalse(sampled.judge(self.heap, {"findings": [g]})[0])

    def test_instrumentation_findings_are_not_sampled(self):
        f = race("counter", by="instrumentation")
        self.assertEqual(sampled.judge(self.counter, {"findings": [f]})[:2], (False, []))

    def test_source_must_match(self):
        f = race("counter", by="write-protect")
        self.assertFalse(sampled.judge(self.counter, {"findings": [f]}, "watchpoint")[0])
        self.assertTrue(sampled.judge(self.counter, {"findings": [f]}, "write-protect")[0])
        self.assertTrue(sampled.judge(self.counter, {"findings": [f]})[0])

    def test_clean_any_finding_is_false(self):
        self.assertEqual(len(sampled.judge(self.clean, {"findings": [race("counter")]})[1]), 1)
        self.assertEqual(sampled.judge(self.clean, {"findings": []})[:2], (False, []))

    def test_output_must_match_native(self):
        self.assertIsNone(sampled.run_problem(self.clean, (0, "ok\n"), (0, "ok\n"), {}, 1))
        self.assertIn("natively", sampled.run_problem(self.clean, (1, "ok\n"), (0, "ok\n"), {}, 1))
        self.assertIn("false alarm", sampled.run_problem(
            self.clean, (0, "ok\n"), (0, "ok\n"), {"findings": [race("x")]}, 1))

    def test_also_raced_variables_are_not_false_alarms(self):
        flag = sampled.Prog("racy_flag", "x", True, sampled.parse_header(
            "/* lockhound-sampled: racy variable=ready var_kind=global also=payload,stop */")[1])
        found, false, _ = sampled.judge(flag, {"findings": [race("payload"), race("other")]})
        self.assertTrue(found)
        self.assertEqual([f["variable"]["name"] for f in false], ["other"])

    def test_read_side_races_and_write_protect(self):
        reads = sampled.Prog("r", "x", True, {"variable": "v", "sees": "reads"})
        self.assertFalse(sampled.applies(reads, "write-protect"))
        self.assertTrue(sampled.applies(reads, "watchpoint"))
        self.assertTrue(sampled.applies(self.counter, "write-protect"))


class SampledVerdict(unittest.TestCase):
    def r(self, found=0, false=0, bad=0, runs=20, na=False):
        return {"found": found, "false": false, "bad": bad, "runs": runs, "na": na,
                "by": {}, "what": set(), "secs": 0.0}

    def test_targets(self):
        racy = SampledJudge.counter
        self.assertTrue(sampled.verdict(racy, self.r(found=19), 20))
        self.assertFalse(sampled.verdict(racy, self.r(found=18), 20))
        self.assertFalse(sampled.verdict(racy, self.r(found=20, false=1), 20))
        self.assertFalse(sampled.verdict(racy, self.r(found=20, bad=1), 20))
        self.assertTrue(sampled.verdict(SampledJudge.clean, self.r(), 20))
        self.assertFalse(sampled.verdict(SampledJudge.clean, self.r(false=1), 20))
        self.assertIsNone(sampled.verdict(racy, self.r(na=True), 20))

    def test_not_yet_reported_is_said(self):
        progs = [SampledJudge.counter]
        cfgs = [("default", "", None), ("watchpoint", "race_source=hw", "no option")]
        res = {("racy_counter", "default"): self.r()}
        text = "\n".join(sampled.detection_block(progs, res, cfgs, 20, 300))
        self.assertIn("not yet reported", text)
        self.assertIn("watchpoint: not measured: no option", text)
        self.assertIn("0/20", text)
        res = {("racy_counter", "default"): self.r(found=20)}
        text = "\n".join(sampled.detection_block(progs, res, cfgs, 20, 300))
        self.assertNotIn("not yet reported", text)
        self.assertIn("20/20", text)

    def test_trapcost_lines(self):
        per, why = sampled.parse_trapcost(
            "hw: 2000 traps of 2000 stores, 58.5 us per trap\n"
            "wp: 1999 faults of 2000 stores, 17.6 us per trap (protect + fault)\n")
        self.assertEqual((per, why), ({"hw": 58.5, "wp": 17.6}, {}))
        per, why = sampled.parse_trapcost(
            "hw: unavailable: the self-test store raised 0 traps (want 1)\n"
            "wp: 100 faults of 2000 stores, 1.0 us per trap\n")
        self.assertEqual(per, {})
        self.assertIn("raised 0 traps", why["hw"])
        self.assertIn("only 100 of 2000", why["wp"])

    def test_curve_run_is_stopped_at_its_limit(self):
        t, stopped = sampled.curve_time(["sleep", "5"], None, runs=3, limit=0.3)
        self.assertEqual((t, stopped), (0.3, True))
        t, stopped = sampled.curve_time(["true"], None, runs=3, limit=5)
        self.assertFalse(stopped)
        self.assertLess(t, 5)

    def test_block_replaces_only_itself(self):
        key = "AMD; watchpoint, write-protect"
        b, e = hostkind.markers(sampled.B_NAME, key)
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("# head\n\n" + b + "\nold\n" + e + "\n\n## tail\n")
        try:
            sampled.put_block(f.name, ["new"], key)
            with open(f.name) as fh:
                out = fh.read()
        finally:
            os.unlink(f.name)
        self.assertEqual(out, "# head\n\n" + b + "\nnew\n" + e + "\n\n## tail\n")

    def test_a_source_the_host_lacks_says_why(self):
        progs = [SampledJudge.counter]
        cfgs = [("default", "", None),
                ("watchpoint", "race_source=hw", sampled.HOST_WHY + "the self-test store "
                 "raised 0 traps (want 1)"),
                ("write-protect", "race_source=wp", None)]
        res = {("racy_counter", "default"): self.r(found=20),
               ("racy_counter", "write-protect"): self.r(found=20)}
        text = "\n".join(sampled.detection_block(progs, res, cfgs, 20, 300))
        self.assertIn("- watchpoint: cannot run on this host: the self-test store raised 0 "
                      "traps (want 1)", text)
        self.assertIn("| program | expected | default | write-protect |", text)


class HostKind(unittest.TestCase):
    """one block per host kind: a run on host B keeps host A's block with
    its date, machine and commit; a rerun on A replaces only A's"""
    INTEL = "Intel; watchpoint, write-protect"
    AMD = "AMD; write-protect"

    def test_vendor(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n")
        try:
            self.assertEqual(hostkind.cpu_vendor(f.name), "AMD")
        finally:
            os.unlink(f.name)

    def test_key_from_trapcost(self):
        works, lacks = hostkind.sources_from_trapcost(
            "hw: unavailable: the self-test store raised 0 traps (want 1)\n"
            "wp: 2000 faults of 2000 stores, 11.0 us per trap\n")
        self.assertEqual(works, ["write-protect"])
        self.assertIn("raised 0 traps", lacks["watchpoint"])
        self.assertEqual(hostkind.host_key("AMD", works), self.AMD)
        works, lacks = hostkind.sources_from_trapcost(
            "hw: 2000 traps of 2000 stores, 27.3 us per trap\n"
            "wp: 2000 faults of 2000 stores, 11.0 us per trap\n")
        self.assertEqual((hostkind.host_key("Intel", works), lacks), (self.INTEL, {}))
        self.assertEqual(hostkind.host_key("AMD", []), "AMD; no trap source")
        self.assertEqual(hostkind.describe(self.INTEL), "Intel host, watchpoint + write-protect")

    def test_other_host_kept_own_host_replaced(self):
        name = sampled.B_NAME
        text = "# top\n\n<!-- python section: begin -->\nP\n<!-- python section: end -->\n"
        text = hostkind.splice(text, name, self.INTEL, ["intel 05:08 commit 7130669"])
        text = hostkind.splice(text, name, self.AMD, ["amd 07:30 commit aaaa"])
        self.assertIn("intel 05:08 commit 7130669", text)
        self.assertIn("amd 07:30 commit aaaa", text)
        self.assertEqual(hostkind.block_keys(text, name), [self.INTEL, self.AMD])
        text = hostkind.splice(text, name, self.INTEL, ["intel 09:00 commit bbbb"])
        self.assertNotIn("05:08", text)
        self.assertIn("intel 09:00 commit bbbb", text)
        self.assertIn("amd 07:30 commit aaaa", text)
        self.assertEqual(hostkind.block_keys(text, name), [self.INTEL, self.AMD])
        self.assertEqual(text.count(hostkind.markers(name, self.AMD)[0]), 1)
        self.assertTrue(text.startswith("# top\n\n<!-- python section: begin -->"))

    def test_a_block_of_unknown_host_is_kept(self):
        b, e = hostkind.markers(sampled.B_NAME)
        text = hostkind.splice("# top\n\n" + b + "\nold\n" + e + "\n\n## tail\n",
                               sampled.B_NAME, self.AMD, ["amd"])
        self.assertIn("\nold\n", text)
        self.assertLess(text.index("old"), text.index("amd"))
        self.assertLess(text.index("amd"), text.index("## tail"))

    def test_cost_block_is_this_hosts(self):
        b = bench.Micro("uncontended", "u")
        m = bench.Pigz("pigz", "p")
        bench.results["uncontended"] = {"native": [bench.Run(1.0, 100, 0, False)],
                                        "lh0": [bench.Run(1.1, 100, 0, False)],
                                        "lh": [bench.Run(1.6, 100, 0, False)]}
        bench.results["pigz"] = {"native": [bench.Run(2.0, 100, 0, False)],
                                 "lh0": [bench.Run(2.0, 100, 0, False)],
                                 "lh": [bench.Run(2.2, 100, 0, False)]}
        runs, bench.RUNS = bench.RUNS, 1
        try:
            lines = bench.cost_block([b, m], self.AMD, {"watchpoint": "raised 0 traps"},
                                     "2026-12-02 08:30 UTC", "1 1 1", "2 2 2", "abc1234")
        finally:
            bench.RUNS = runs
            bench.results.pop("uncontended")
            bench.results.pop("pigz")
        text = "\n".join(lines)
        begin, end = hostkind.markers(bench.COST_NAME, self.AMD)
        self.assertEqual((lines[0], lines[-1]), (begin, end))
        self.assertIn("AMD host, write-protect", text)
        self.assertIn("watchpoint cannot run here: raised 0 traps", text)
        self.assertIn("git abc1234", text)
        self.assertIn("| uncontended | 1.000 | 1.100 (1.10x) | 1.600 (1.60x) | 1.45x |", text)
        self.assertIn("| lockhound (default) <= 1.5x native: uncontended | 1.60x | not met |", text)
        self.assertIn("| lockhound (default) <= 1.2x native: pigz | 1.10x | met |", text)

    def test_main_tables_keep_the_other_hosts_cost_block(self):
        """bench.py rewrites the top of RESULTS.md with this host's race
        watching cost block; another host's block stays"""
        ia, ie = hostkind.markers(bench.COST_NAME, self.INTEL)
        aa, ae = hostkind.markers(bench.COST_NAME, self.AMD)
        old = "# old top\n\n" + ia + "\nintel cost\n" + ie + "\n\n" + aa + "\namd old\n" + ae + "\n"
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(old)
        try:
            out = bench.keep_blocks("# new top\n\n" + aa + "\namd new\n" + ae + "\n", f.name)
        finally:
            os.unlink(f.name)
        self.assertIn("intel cost", out)
        self.assertIn("amd new", out)
        self.assertNotIn("amd old", out)
        self.assertNotIn("old top", out)


if __name__ == "__main__":
    unittest.main(verbosity=1)
