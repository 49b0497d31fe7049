#!/usr/bin/env python3
"""sampled_cost.py - the cost of sampled race watching, and what its
budget buys.

1. Per benchmark (the microbenchmarks, pigz and memcached, through
   bench/bench.py's own runners: build them with make bench first; helgrind,
   drd and tsan left out): native, races=0, the default (race watching on),
   and race watching alone (default against races=0, the same shim with
   watching off).  BENCH_RUNS repetitions, configurations interleaved,
   medians of wall time.
2. The detection-versus-overhead curve: for each budget setting in CURVE
   (race_budget, the cost budget in per mille of the program's time, and
   race_hits_per_sec), the racy programs of bench/sampled.py found
   (CURVE_RUNS runs each, default configuration) against the cost of
   watching on the same benchmarks (median wall time against races=0;
   geometric mean over them).

COST_ONLY=a,b limits the benchmarks; COST_CURVE=0 leaves out the curve;
CURVE_RUNS (5) runs of each racy program per setting.  One report on
stdout, with the load average before and after (the numbers of a loaded
machine are not the quiet machine's)."""
import math, os, shutil, sys, tempfile, time
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
os.chdir(ROOT)
import bench as B
import sampled as S

# budget settings of the curve: (label, options); the default is
# race_budget=20 (WT_DEFAULT_COST_PERMILLE) with race_hits_per_sec=4000
CURVE = [("race_budget=5", "race_budget=5"),
         ("race_budget=20 (default)", ""),
         ("race_budget=80", "race_budget=80"),
         ("race_budget=1000 (no cost bound)", "race_budget=1000"),
         ("race_hits_per_sec=1000", "race_hits_per_sec=1000"),
         ("race_hits_per_sec=16000", "race_hits_per_sec=16000")]
CURVE_RUNS = int(os.environ.get("CURVE_RUNS", "5"))
with_curve = os.environ.get("COST_CURVE", "1") != "0"

# each curve setting is a configuration of bench.py's harness: the shim
# with the setting's options ("lh" itself is the default's)
extra_cfg = {}
for i, (label, opt) in enumerate(CURVE):
    if opt and with_curve:
        name = "lhc%d" % i
        extra_cfg[name] = opt
        B.LABEL[name] = "lockhound (%s)" % label
B.CONFIGS[:] = ["native", "lh0", "lh"] + list(extra_cfg)
B.FAST[:] = list(B.CONFIGS)
_config_env = B.config_env


def config_env(cfg, logdir=None):
    if cfg in extra_cfg:
        env = _config_env("lh", logdir or tempfile.mkdtemp(prefix="lh-cost-"))
        env["LOCKHOUND_OPTIONS"] += ":" + extra_cfg[cfg]
        return env
    return _config_env(cfg, logdir)


B.config_env = config_env


def load():
    try:
        return open("/proc/loadavg").read().split()[:3]
    except OSError:
        return ["?"] * 3


load0 = load()
B.os.makedirs(B.WORK, exist_ok=True)
mc = B.Memcached(*B.REALS[1])
benches = [B.Micro(n, d) for n, d in B.MICROS] + [B.Pigz(*B.REALS[0]), mc]
only = [s for s in os.environ.get("COST_ONLY", "").split(",") if s]
if only:
    benches = [b for b in benches if b.name in only]
ok = []
for b in benches:
    if not b.prepare():
        print("skip", b.name)
        continue
    for c in ("helgrind", "drd", "tsan"):
        b.skip[c] = "left out"
    ok.append(b)
B.main_section(ok)


def medof(b, c):
    return B.med(B.results[b.name].get(c, []))


f = lambda x: "%.3f" % x if x else "-"
q = lambda a, b_: "%.2fx" % (a / b_) if a and b_ else "-"
print()
print("Load average before: %s; after: %s (2 CPUs shared: a loaded machine's numbers)"
      % (" ".join(load0), " ".join(load())))
print()
print("%-14s %9s %9s %9s %8s %8s %14s" % ("bench", "native", "races=0", "default",
                                          "r0/nat", "def/nat", "watching alone"))
for b in ok:
    n, z, d = medof(b, "native"), medof(b, "lh0"), medof(b, "lh")
    print("%-14s %9s %9s %9s %8s %8s %14s" % (b.name, f(n), f(z), f(d), q(z, n), q(d, n), q(d, z)))
print("(watching alone: default against races=0, the same shim with race watching off)")

if with_curve:
    shim = S.Shim(os.path.join(ROOT, "build"))
    progs = [p for p in S.load_progs(shim.build) if p.racy]
    print()
    print("Detection against cost over the budget: racy programs of bench/sampled.py found "
          "(%d runs each, %d ms of racing), cost of watching = median wall time against "
          "races=0 (geometric mean over the benchmarks, then each)" % (CURVE_RUNS, S.CHECK_MS))
    hdr = "%-34s %10s %10s" % ("setting", "found", "geomean") + "".join(
        " %12s" % b.name[:12] for b in ok)
    print(hdr)
    for i, (label, opt) in enumerate(CURVE):
        cfg = "lh" if not opt else "lhc%d" % i
        res = S.detect(shim, progs, CURVE_RUNS, S.CHECK_MS, [("default", "", None)], opt)
        found = sum(r["found"] for r in res.values())
        total = sum(r["runs"] for r in res.values())
        ratios = []
        cells = []
        for b in ok:
            z, c = medof(b, "lh0"), medof(b, cfg)
            cells.append(q(c, z))
            if z and c:
                ratios.append(c / z)
        g = math.exp(sum(map(math.log, ratios)) / len(ratios)) if ratios else 0
        print("%-34s %10s %10s" % (label, "%d/%d" % (found, total), "%.2fx" % g if g else "-") +
              "".join(" %12s" % x for x in cells))
    print("Load average at the end: %s" % " ".join(load()))
