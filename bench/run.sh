#!/usr/bin/env bash
# bench/run.sh - build and run the lockhound benchmarks (`make bench`).
#
# Installs what the benchmarks need through apt-get when run as root (like
# `make deps`), builds the benchmark programs into build/bench/, then runs
# bench/bench.py, which prints the tables and writes bench/RESULTS.md.
# A missing tool only drops its column or benchmark.
#
# Environment: BENCH_RUNS (default 5), BENCH_THREADS (4), BENCH_TIMEOUT (120),
# BENCH_ONLY, BENCH_SKIP, ... (see the top of bench/bench.py); BENCH_SKIP=sampled
# leaves out bench/sampled.py, BENCH_SAMPLED_ONLY=1 runs only it.
set -euo pipefail
cd "$(dirname "$0")/.."

BB=build/bench
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

# the exact-mode section's programs: every workload built natively, with
# gcc's and clang's ThreadSanitizer and with `lockhound cc` (gcc and clang);
# memcached (and pigz, when the mirror has its source) from Debian source
case ",${BENCH_SKIP:-}," in
*,exact,*) ;;
*) python3 bench/exact_build.py ;;
esac

# the main benchmark writes bench/RESULTS.md whole; the sampled-mode
# section (bench/sampled.py: detection per trap source, the cost curve over
# the budget, memcached's findings) then replaces or appends its own block.
# BENCH_SAMPLED_ONLY=1 (make bench-sampled): only that section.
if [ "${BENCH_SAMPLED_ONLY:-0}" != 1 ]; then
	python3 bench/bench.py "$@"
fi
case ",${BENCH_SKIP:-}," in
*,sampled,*) ;;
*) python3 bench/sampled.py --curve --memcached --mc-seconds 60 ;;
esac
# the analyzer on dense generated lock graphs (bench/analyzer_stress.py)
# replaces or appends its own block too
case ",${BENCH_SKIP:-}," in
*,analyzer,*) ;;
*) [ "${BENCH_SAMPLED_ONLY:-0}" = 1 ] || python3 bench/analyzer_stress.py ;;
esac
