#!/usr/bin/env bash
# bench/run.sh - build and run the lockhound benchmarks (`make bench`).
#
# Installs what the benchmarks need through apt-get when run as root (like
# `make deps`), builds the benchmark programs into build/bench/, then runs
# every part in order, each writing its own block of bench/RESULTS.md:
#   bench/exact_build.py   the exact-mode programs (no block of its own)
#   bench/bench.py         the main tables, growth, manyedges, generated
#                          logs, and the exact-mode block; it rewrites the
#                          top of the file and keeps the other blocks
#   bench/sampled.py       sampled race watching (--curve --memcached)
#   bench/analyzer_stress.py  the analyzer on dense and large generated logs
#   bench/python_bench.py  threaded Python programs
#   bench/stages.py        the stage table: what ran when, how long, the load
# A stage that fails is recorded as failed and the next one still runs (the
# script then exits 1); a missing tool only drops its column or benchmark.
#
# Environment: BENCH_RUNS (default 5), BENCH_THREADS (4), BENCH_TIMEOUT (120),
# BENCH_ONLY, BENCH_SKIP, ... (see the top of bench/bench.py); BENCH_SKIP also
# takes sampled, stress (analyzer_stress.py; `analyzer` skips it too) and
# python; BENCH_SAMPLED_ONLY=1 runs only bench/sampled.py; BENCH_OUT (the
# markdown file every stage writes, bench/RESULTS.md); BENCH_SAMPLED_RUNS
# (20), BENCH_SAMPLED_CURVE_RUNS (5), BENCH_SAMPLED_MC_SECONDS (60: memcached
# under load), BENCH_SAMPLED_PROGS (sampled.py --only:
# some programs only); BENCH_STRESS_RUNS (3), BENCH_STRESS_SCALE (1; 0: no
# 1M/10M-edge logs).
set -euo pipefail
cd "$(dirname "$0")/.."

BB=build/bench
OUT=${BENCH_OUT:-bench/RESULTS.md}
mkdir -p bench/work
export BENCH_STAGES=${BENCH_STAGES:-bench/work/stages.tsv}
: > "$BENCH_STAGES"
failed=""
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# stage NAME CMD...: run CMD, append its line to the stage table
# (bench/stages.py); a failing stage is recorded and the next one runs
# (its locals are prefixed: bash's locals are seen by the functions it calls)
stage() {
	local st_name=$1 st_t0 st_l0 st_rc=0
	shift
	st_t0=$(date +%s)
	st_l0=$(loadavg)
	echo "bench: stage $st_name: start $(date -u +%H:%M:%S) UTC, load average $st_l0"
	"$@" || st_rc=$?
	echo "bench: stage $st_name: took $(( $(date +%s) - st_t0 )) s, exit status $st_rc"
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$st_name" "$st_t0" "$(date +%s)" "$st_l0" "$(loadavg)" \
		"$st_rc" >> "$BENCH_STAGES"
	[ "$st_rc" = 0 ] || failed="$failed $st_name"
}
skipped() {  # skipped NAME WHY
	printf '%s\t0\t0\t-\t-\tskipped (%s)\n' "$1" "$2" >> "$BENCH_STAGES"
}
skips() { case ",${BENCH_SKIP:-}," in *,"$1",*) return 0 ;; esac; return 1; }
t_start=$(date +%s)
l_start=$(loadavg)
CC_BENCH=${CC_BENCH:-gcc}
BFLAGS="-O2 -g -pthread -Wall -Wextra -Wno-unused-parameter"

# ---- packages -------------------------------------------------------------
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# the ThreadSanitizer runtime of the default gcc: libtsan2 on Debian 12
# (gcc 12); older releases called it libtsan0
tsan_pkg=""
for p in libtsan2 libtsan0; do
	if installed "$p" || apt-cache show "$p" >/dev/null 2>&1; then tsan_pkg=$p; break; fi
done

want="pigz memcached valgrind time python3 $tsan_pkg"
missing=""
if command -v dpkg-query >/dev/null 2>&1; then
	for p in $want; do installed "$p" || missing="$missing $p"; done
fi
if [ -z "$missing" ]; then
	echo "bench: packages: all installed"
elif [ "$(id -u)" = 0 ]; then
	echo "bench: installing$missing"
	if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing; }; then
		echo "bench: warning: apt-get failed; benchmarks needing$missing will be skipped" >&2
	fi
else
	echo "bench: warning: missing$missing (run: sudo apt-get install$missing);" \
	     "the columns that need them are skipped" >&2
fi
command -v python3 >/dev/null 2>&1 || { echo "bench: python3 is required" >&2; exit 1; }

# ---- build ----------------------------------------------------------------
build_programs() {
for f in build/liblockhound.so build/lockhound; do
	[ -e "$f" ] || { echo "bench: $f is missing: run make first" >&2; exit 1; }
done
mkdir -p "$BB"
echo "bench: building benchmark programs into $BB/"
for src in bench/micro/*.c; do
	$CC_BENCH $BFLAGS -o "$BB/$(basename "$src" .c)" "$src"
done
$CC_BENCH $BFLAGS -o "$BB/mcload" bench/tools/mcload.c
$CC_BENCH $BFLAGS -o "$BB/rusage" bench/tools/rusage.c
$CC_BENCH $BFLAGS -o "$BB/trapcost" bench/tools/trapcost.c
$CC_BENCH $BFLAGS -Iinclude -o "$BB/genlog" bench/genlog.c

# ThreadSanitizer builds of the microbenchmarks, if the toolchain can
rm -rf "$BB/tsan"
mkdir -p "$BB/tsan"
probe=$BB/tsan/.probe
if printf '#include <pthread.h>\nstatic void *f(void *p){return p;}\nint main(void){pthread_t t;pthread_create(&t,0,f,0);return pthread_join(t,0);}\n' |
	$CC_BENCH -fsanitize=thread -pthread -x c - -o "$probe" 2>/dev/null && "$probe" 2>/dev/null; then
	for src in bench/micro/*.c; do
		name=$(basename "$src" .c)
		[ "$name" = manyedges ] && continue
		$CC_BENCH $BFLAGS -fsanitize=thread -o "$BB/tsan/$name" "$src"
	done
else
	echo "bench: warning: $CC_BENCH -fsanitize=thread does not work here; the tsan column is skipped" >&2
	rm -rf "$BB/tsan"
fi
rm -f "$probe"
}
printf '%s\t%s\t%s\t%s\t%s\t0\n' "packages" "$t_start" "$(date +%s)" "$l_start" "$(loadavg)" \
	>> "$BENCH_STAGES"
stage "build bench programs" build_programs

# BENCH_SAMPLED_ONLY=1 (make bench-sampled): only the sampled-mode block
only_sampled=0
[ "${BENCH_SAMPLED_ONLY:-0}" = 1 ] && only_sampled=1

# the exact-mode section's programs: every workload built natively, with
# gcc's and clang's ThreadSanitizer and with `lockhound cc` (gcc and clang);
# memcached (and pigz, when the mirror has its source) from Debian source
if skips exact; then
	skipped "exact-mode builds (bench/exact_build.py)" BENCH_SKIP
elif [ $only_sampled = 0 ]; then
	stage "exact-mode builds (bench/exact_build.py)" python3 bench/exact_build.py
fi

# the main tables (and growth, manyedges, generated logs, exact mode): the
# top of RESULTS.md is rewritten, the other blocks are kept
main_ran=0
if [ $only_sampled = 0 ]; then
	stage "main, growth, manyedges, generated logs, exact mode (bench/bench.py)" \
		python3 bench/bench.py "$@"
	skips main || main_ran=1
fi
# sampled race watching: detection per trap source, the cost curve over
# the budget, memcached's findings
if skips sampled; then
	skipped "sampled race watching (bench/sampled.py)" BENCH_SKIP
else
	stage "sampled race watching (bench/sampled.py)" python3 bench/sampled.py --curve \
		--memcached --mc-seconds "${BENCH_SAMPLED_MC_SECONDS:-60}" \
		--runs "${BENCH_SAMPLED_RUNS:-20}" \
		--curve-runs "${BENCH_SAMPLED_CURVE_RUNS:-5}" --out "$OUT" \
		${BENCH_SAMPLED_PROGS:+--only "$BENCH_SAMPLED_PROGS"}
fi
if [ $only_sampled = 0 ]; then
	# the analyzer on dense generated lock graphs and on large logs
	if skips analyzer || skips stress; then
		skipped "analyzer stress (bench/analyzer_stress.py)" BENCH_SKIP
	else
		noscale=""
		[ "${BENCH_STRESS_SCALE:-1}" = 0 ] && noscale=--no-scale
		stage "analyzer stress (bench/analyzer_stress.py)" python3 bench/analyzer_stress.py \
			--runs "${BENCH_STRESS_RUNS:-3}" --out "$OUT" $noscale
	fi
	# threaded Python programs
	if skips python; then
		skipped "Python programs (bench/python_bench.py)" BENCH_SKIP
	else
		stage "Python programs (bench/python_bench.py)" python3 bench/python_bench.py \
			--out "$OUT"
	fi
fi
# the stage table, after a session that ran the main tables (a run of one
# part alone leaves the last full session's table as it was)
if [ $main_ran = 1 ]; then
	python3 bench/stages.py "$BENCH_STAGES" "$OUT" || failed="$failed stages"
else
	python3 bench/stages.py "$BENCH_STAGES" /dev/null || true
fi
if [ -n "$failed" ]; then
	echo "bench: failed stages:$failed" >&2
	exit 1
fi
