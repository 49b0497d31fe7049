#!/usr/bin/env python3
"""sampled_cost.py - the cost of sampled race watching: native against
races=0 against the default (race watching on) for the microbenchmarks,
pigz and memcached, through bench/bench.py's own runners (build them with
make bench first); helgrind, drd and tsan are left out.  BENCH_RUNS
repetitions (bench.py's environment), medians of wall time, one table on
stdout.  COST_ONLY=a,b limits the benchmarks."""
import os, sys
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
os.chdir(ROOT)
import bench as B
B.os.makedirs(B.WORK, exist_ok=True)
mc = B.Memcached(*B.REALS[1])
benches = [B.Micro(n, d) for n, d in B.MICROS] + [B.Pigz(*B.REALS[0]), mc]
only = [s for s in os.environ.get("COST_ONLY", "").split(",") if s]
if only:
    benches = [b for b in benches if b.name in only]
ok = []
for b in benches:
    if not b.prepare():
        print("skip", b.name); continue
    for c in ("helgrind", "drd", "tsan"):
        b.skip[c] = "left out"
    ok.append(b)
B.main_section(ok)
print("%-14s %10s %10s %10s %8s %8s %8s" % ("bench", "native", "races=0", "default", "r0/nat", "def/nat", "def/r0"))
for b in ok:
    n, z, d = (B.med(B.results[b.name][c]) for c in ("native", "lh0", "lh"))
    f = lambda x: "%.3f" % x if x else "-"
    q = lambda a, b_: "%.2fx" % (a / b_) if a and b_ else "-"
    print("%-14s %10s %10s %10s %8s %8s %8s" % (b.name, f(n), f(z), f(d), q(z, n), q(d, n), q(d, z)))
