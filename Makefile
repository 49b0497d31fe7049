# lockhound - plain make, strict warnings.
#   make            build build/liblockhound.so and build/lockhound
#   make deps       install the Debian packages it needs
#   make check      unit tests (also under ASan+UBSan), golden reports, integration tests
#   make fuzz [FUZZ_TIME=S]  libFuzzer on the log reader for S seconds (default 60), real logs as seeds
#   make golden-regen  rewrite tests/golden/*.txt after a deliberate report change
#   make demo       deps, build, run lockhound on a bundled buggy program
#   make bench      benchmarks (bench/): every part in order, each writing its block of bench/RESULTS.md
#   make bench-all  the same, with settings that fit about 35 minutes on 2 quiet cores (the final run)
#   make bench-exact  only the exact-mode benchmark (lockhound cc against TSan)
#   make bench-engine the race engine alone: ns per access
#   make bench-sampled  only sampled race watching: detection per trap source, cost curve
#   make bench-analyzer the analyzer on dense generated lock graphs (N = 10, 64, 200)
#                       and on 100k, 1M, 10M generated edges (scaling, bytes per edge)
#   make bench-python   threaded Python programs, native against the shim (bench/python_bench.py)
#   make install PREFIX=/usr/local DESTDIR=

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
CXX       ?= c++
B         := build

# The user's CFLAGS (make CFLAGS=-O1) only choose optimization and debug
# info; the flags the code needs live in LH_CFLAGS and are always used.
# -MMD -MP: every object gets a .d file listing the headers it includes.
WARN      := -Wall -Wextra -Wno-unused-parameter
CFLAGS    ?= -O2 -g
LH_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -DLOCKHOUND_VERSION=\"$(VERSION)\" -Iinclude -Icommon
DEPFLAGS  := -MMD -MP
ALL_CFLAGS = $(LH_CFLAGS) $(DEPFLAGS) $(CFLAGS)
PIC       := -fPIC -fvisibility=hidden
# the second build of the unit tests (build/asan/): any report is an error
SAN       := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_ENV   := ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:abort_on_error=0 \
             UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

DEB_PKGS  := build-essential pkg-config libunwind-dev uthash-dev libcunit1-dev \
             libdw-dev libelf-dev libjansson-dev python3 libgoogle-perftools4 clang cmake \
             libclang-rt-dev libevent-dev dpkg-dev libcapstone-dev python3-jsonschema \
             graphviz chromium man-db libjemalloc2
# libclang-rt-dev: clang's -fsanitize=thread runtime (make bench compares
# with clang's TSan); libevent-dev, dpkg-dev: memcached built from its
# Debian source package (make bench, exact mode); libcapstone-dev: sampled
# race watching decodes the instruction at a trap (atomic? read or write?);
# python3-jsonschema: the SARIF report checked against the OASIS schema;
# graphviz: the lock graph of the HTML report (dot -Tsvg); chromium: the
# HTML report rendered in a headless browser by the tests; man-db: the man
# page checked with man; libjemalloc2: the shim under another allocator
# (shim_other_allocators_jemalloc). The SARIF Multitool (npm) validates
# the SARIF report (sarif_multitool); deps installs it where npm is, and
# a failed install only leaves that test skipped, with its reason.

COMMON_SRC  := $(wildcard common/*.c)
PRELOAD_SRC := $(wildcard preload/*.c)
ANALYZER_SRC:= $(filter-out analyzer/main.c,$(wildcard analyzer/*.c))

PRELOAD_OBJ := $(patsubst %.c,$(B)/pic/%.o,$(PRELOAD_SRC) $(COMMON_SRC))
ANALYZER_OBJ:= $(patsubst %.c,$(B)/obj/%.o,$(ANALYZER_SRC) $(COMMON_SRC))

# (not -lcapstone: insn.c loads it with dlopen when race watching starts)
SHIM_LIBS     := -lunwind -ldl -lpthread
ANALYZER_LIBS := -ldw -lelf -ljansson -lstdc++

.PHONY: fuzz fuzz-seeds fuzz-smoke all deps check sampled-progs sampled-check bench-all bench-sampled bench-analyzer bench-python unit unit-asan unit-tsan golden golden-regen integration demo bench bench-exact bench-selftest bench-engine install clean testprogs
CC_STUB := $(B)/tsan-stub/libtsan.so $(B)/tsan-stub/libtsan.a $(B)/tsan-stub/libtsan_preinit.o
CC_LINKS:= $(B)/lockhound-cc $(B)/lockhound-c++
all: $(B)/liblockhound.so $(B)/lockhound $(CC_STUB) $(CC_LINKS)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all installed"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "deps: missing$$missing; run: sudo apt-get install$$missing"; exit 1; fi
	@if command -v sarif-multitool >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v npm >/dev/null 2>&1; then \
	  echo "deps: installing @microsoft/sarif-multitool (npm)"; \
	  npm install -g --silent @microsoft/sarif-multitool >/dev/null 2>&1 && sarif-multitool --version >/dev/null 2>&1 \
	    || echo "deps: SARIF Multitool could not be installed; sarif_multitool will be skipped"; \
	else echo "deps: no SARIF Multitool (npm i -g @microsoft/sarif-multitool); sarif_multitool will be skipped"; fi

$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PIC) -ftls-model=initial-exec -c $< -o $@

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ianalyzer -c $< -o $@

# the same sources for the sanitized unit tests
$(B)/asan/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) $(PIC) -c $< -o $@

$(B)/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -Ianalyzer -c $< -o $@

$(B)/liblockhound.so: $(PRELOAD_OBJ) preload/liblockhound.map
	$(CC) -shared -o $@ $(PRELOAD_OBJ) -Wl,--version-script=preload/liblockhound.map \
	  -Wl,-soname,liblockhound.so \
	  -Wl,-z,now -Wl,-z,nodelete $(SHIM_LIBS)

$(B)/lockhound: $(B)/obj/analyzer/main.o $(ANALYZER_OBJ)
	$(CC) -o $@ $^ $(ANALYZER_LIBS)

# `lockhound cc`'s stand-ins for gcc's libtsan (see tsan-stub/) and the
# lockhound-cc / lockhound-c++ entry points for build systems that want a
# compiler without arguments
$(B)/tsan-stub/libtsan.so: tsan-stub/libtsan.so
	@mkdir -p $(dir $@)
	cp $< $@
$(B)/tsan-stub/libtsan.a:
	@mkdir -p $(dir $@)
	printf '!<arch>\n' > $@
$(B)/tsan-stub/libtsan_preinit.o: tsan-stub/libtsan_preinit.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(B)/lockhound-cc $(B)/lockhound-c++: $(B)/lockhound
	ln -sf lockhound $@

# ---- test programs: one named scenario per file, verdict on line 1 ----
TP_C    := $(filter-out testprogs/lib%.c,$(wildcard testprogs/*.c))
TP_CXX  := $(filter-out testprogs/lib%.cpp,$(wildcard testprogs/*.cpp))
TP_LIB  := $(wildcard testprogs/lib*.c)
TP_LIBXX:= $(wildcard testprogs/lib*.cpp)
TP_BIN  := $(patsubst testprogs/%.c,$(B)/testprogs/%,$(TP_C)) \
           $(patsubst testprogs/%.cpp,$(B)/testprogs/%,$(TP_CXX)) \
           $(patsubst testprogs/%.c,$(B)/testprogs/%.so,$(TP_LIB)) \
           $(patsubst testprogs/%.cpp,$(B)/testprogs/%.so,$(TP_LIBXX))
TP_FLAGS:= -g -O0 -pthread -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -Iinclude

# Exact-mode scenarios say so on line 2: `/* lockhound-build: cc */` (or
# `c++`) builds them with `lockhound cc` / `lockhound c++` (with the
# compiler $(CC) / $(CXX)); a trailing ` clang` also builds them with clang
# as build/testprogs/clang/NAME, which the integration tests run as well.
tp_marked = $(shell awk 'FNR == 2 && /lockhound-build: $(1)( |\*)/ { print FILENAME }' $(2) /dev/null)
TP_EXACT_C   := $(call tp_marked,cc,$(TP_C))
TP_EXACT_CXX := $(call tp_marked,c\+\+,$(TP_CXX))
TP_CLANG_C   := $(call tp_marked,cc clang,$(TP_C))
TP_CLANG_CXX := $(call tp_marked,c\+\+ clang,$(TP_CXX))
TP_EXACT_BIN := $(patsubst testprogs/%.c,$(B)/testprogs/%,$(TP_EXACT_C)) \
                $(patsubst testprogs/%.cpp,$(B)/testprogs/%,$(TP_EXACT_CXX))
TP_CLANG_BIN := $(patsubst testprogs/%.c,$(B)/testprogs/clang/%,$(TP_CLANG_C)) \
                $(patsubst testprogs/%.cpp,$(B)/testprogs/clang/%,$(TP_CLANG_CXX))
LH_CC_DEPS   := $(B)/lockhound $(B)/liblockhound.so $(CC_STUB)

testprogs: $(TP_BIN) $(TP_CLANG_BIN)
$(patsubst testprogs/%.c,$(B)/testprogs/%,$(TP_EXACT_C)): $(B)/testprogs/%: testprogs/%.c $(LH_CC_DEPS)
	@mkdir -p $(dir $@)
	CC="$(CC)" $(B)/lockhound cc $(TP_FLAGS) -o $@ $< -ldl
$(patsubst testprogs/%.cpp,$(B)/testprogs/%,$(TP_EXACT_CXX)): $(B)/testprogs/%: testprogs/%.cpp $(LH_CC_DEPS)
	@mkdir -p $(dir $@)
	CXX="$(CXX)" $(B)/lockhound c++ -std=c++17 $(TP_FLAGS) -o $@ $< -ldl
$(B)/testprogs/clang/%: testprogs/%.c $(LH_CC_DEPS)
	@mkdir -p $(dir $@)
	CC=clang $(B)/lockhound cc $(TP_FLAGS) -o $@ $< -ldl
$(B)/testprogs/clang/%: testprogs/%.cpp $(LH_CC_DEPS)
	@mkdir -p $(dir $@)
	CXX=clang++ $(B)/lockhound c++ -std=c++17 $(TP_FLAGS) -o $@ $< -ldl
$(B)/testprogs/%: testprogs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TP_FLAGS) -o $@ $< -ldl
# linked with its library (a module loaded by dlopen is not watched)
$(B)/testprogs/shim_own_read_clean: testprogs/shim_own_read_clean.c $(B)/testprogs/libpython_shim_reads.so
	@mkdir -p $(dir $@)
	$(CC) $(TP_FLAGS) -o $@ $< -L$(B)/testprogs -lpython_shim_reads -Wl,-rpath,'$$ORIGIN' -ldl
$(B)/testprogs/%: testprogs/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(TP_FLAGS) -o $@ $< -ldl
$(B)/testprogs/%.so: testprogs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TP_FLAGS) -fPIC -shared -o $@ $<
$(B)/testprogs/%.so: testprogs/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(TP_FLAGS) -fPIC -shared -o $@ $<

# ---- sampled-mode programs (testprogs/sampled/): built natively, the way a
# user's binary is (no lockhound cc); line 1 says racy (and the variable) or
# clean.  Run by bench/sampled.py (make bench-sampled; a fast subset in make
# check) under bare LD_PRELOAD, where race watching is the only detector.
SB_SRC  := $(wildcard testprogs/sampled/*.c) $(wildcard testprogs/sampled/*.cpp)
SB_BIN  := $(patsubst testprogs/sampled/%,$(B)/sampled/%,$(basename $(SB_SRC)))
SB_FLAGS:= -O2 -g -pthread -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE

sampled-progs: $(SB_BIN)
$(B)/sampled/%: testprogs/sampled/%.c testprogs/sampled/sb.h
	@mkdir -p $(dir $@)
	$(CC) $(SB_FLAGS) -o $@ $<
$(B)/sampled/%: testprogs/sampled/%.cpp testprogs/sampled/sb.h
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(SB_FLAGS) -o $@ $<

# The shim's pure units that need the rest of the shim stood in for: compiled
# again with LH_UNIT_TEST (their test hooks) and linked into the unit tests
# with tests/unit/shim_stubs.c: no constructor, no LD_PRELOAD, no log file.
UNIT_STUBBED_SRC := preload/lockid.c preload/edges.c preload/condtab.c preload/misuse.c preload/semmodel.c \
                    preload/alloc.c preload/forklocks.c tests/unit/shim_stubs.c
UNIT_STUBBED_OBJ := $(patsubst %.c,$(B)/pic/unit/%.o,$(UNIT_STUBBED_SRC))
UNIT_DEFS := -DLH_UNIT_TEST -Ipreload -Itests/unit

$(B)/pic/unit/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(PIC) $(UNIT_DEFS) -c $< -o $@

$(B)/asan/pic/unit/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) $(PIC) $(UNIT_DEFS) -c $< -o $@

# ---- unit tests (CUnit): one executable per tests/unit/test_*.c ----
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRC))
# pure units of the shim, linked into the unit tests without LD_PRELOAD
UNIT_PRELOAD_OBJ := $(B)/pic/preload/wfg.o $(B)/pic/preload/resolve.o $(B)/pic/preload/race.o \
                    $(B)/pic/preload/watcher.o $(B)/pic/preload/insn.o \
                    $(B)/pic/preload/rt_tab.o $(B)/pic/preload/watch.o $(B)/pic/preload/gheap.o \
                    $(B)/pic/preload/glibc_mutex.o $(B)/pic/preload/glibc_rwlock.o

UNIT_PRELOAD_OBJ += $(UNIT_STUBBED_OBJ)

$(B)/unit/%: tests/unit/%.c $(ANALYZER_OBJ) $(UNIT_PRELOAD_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ianalyzer $(UNIT_DEFS) -o $@ $(filter %.c %.o,$^) -lcunit $(ANALYZER_LIBS) -lcapstone -ldl -rdynamic

ASAN_UNIT_BIN := $(patsubst $(B)/unit/%,$(B)/asan/unit/%,$(UNIT_BIN))
ASAN_ANALYZER_OBJ := $(patsubst $(B)/obj/%,$(B)/asan/obj/%,$(ANALYZER_OBJ))
ASAN_UNIT_PRELOAD_OBJ := $(patsubst $(B)/pic/%,$(B)/asan/pic/%,$(UNIT_PRELOAD_OBJ))

$(B)/asan/unit/%: tests/unit/%.c $(ASAN_ANALYZER_OBJ) $(ASAN_UNIT_PRELOAD_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -Ianalyzer $(UNIT_DEFS) -o $@ $(filter %.c %.o,$^) -lcunit $(ANALYZER_LIBS) -lcapstone -ldl -rdynamic

# not intermediate: kept between runs
.SECONDARY: $(ASAN_ANALYZER_OBJ) $(ASAN_UNIT_PRELOAD_OBJ)

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do echo "== $$t"; $$t || fail=1; done; exit $$fail

# unit tests of what crosses threads, built with ThreadSanitizer (gcc's):
# tests/unit/tsan_*.c with the stubbed pure units; a reported race fails
TSAN      := -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
TSAN_ENV  := TSAN_OPTIONS=halt_on_error=1:exitcode=66:report_signal_unsafe=0
TSAN_UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tsan/unit/%,$(wildcard tests/unit/tsan_*.c))
TSAN_UNIT_OBJ := $(patsubst %.c,$(B)/tsan/pic/unit/%.o,preload/lockid.c preload/edges.c preload/semmodel.c \
                   preload/alloc.c tests/unit/shim_stubs.c)

$(B)/tsan/pic/unit/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TSAN) $(PIC) $(UNIT_DEFS) -c $< -o $@

$(B)/tsan/unit/%: tests/unit/%.c $(TSAN_UNIT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TSAN) $(UNIT_DEFS) -o $@ $(filter %.c %.o,$^) -lcunit -lpthread -ldl

.SECONDARY: $(TSAN_UNIT_OBJ)

unit-tsan: $(TSAN_UNIT_BIN)
	@fail=0; for t in $(TSAN_UNIT_BIN); do echo "== $$t"; \
	  $(TSAN_ENV) timeout 300 $$t >$$t.out 2>&1 || { cat $$t.out; echo "FAILED under TSan: $$t"; fail=1; }; \
	  grep -E "Run Summary|asserts|copies" $$t.out | head -3; done; exit $$fail

# every unit test again, built with ASan+UBSan: a leak, overflow or
# undefined behaviour fails the run
unit-asan: $(ASAN_UNIT_BIN)
	@fail=0; for t in $(ASAN_UNIT_BIN); do echo "== $$t"; \
	  $(SAN_ENV) $$t >$$t.out 2>&1 || { cat $$t.out; echo "FAILED under ASan/UBSan: $$t"; fail=1; }; \
	  grep -E "Run Summary|asserts" $$t.out | head -3; done; exit $$fail

integration: all testprogs sampled-progs
	python3 tests/integration/run_tests.py --self-test
	python3 tests/integration/run_tests.py --build $(B)
	python3 tests/integration/test_cc.py --build $(B)

# expected text reports (tests/golden/NAME.txt); after a deliberate change
# to the report: make golden-regen, then review the diff
golden: all testprogs
	python3 tests/golden/run_golden.py --build $(B)

golden-regen: all testprogs
	python3 tests/golden/run_golden.py --build $(B) --regen

check: all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory unit-asan
	@$(MAKE) --no-print-directory unit-tsan
	@$(MAKE) --no-print-directory golden
	@python3 tests/docs/check_module_map.py
	@$(MAKE) --no-print-directory integration
	@$(MAKE) --no-print-directory bench-selftest
	@$(MAKE) --no-print-directory sampled-check
	@$(MAKE) --no-print-directory fuzz-smoke

# sampled race watching on the native programs of testprogs/sampled/: each
# racy one found within a few runs per trap source, each clean one never,
# every output the native one (SKIP lines where a source cannot run)
sampled-check: all sampled-progs $(B)/bench/trapcost
	python3 bench/sampled.py --check --build $(B)
# what one trap costs, and whether each source traps at all here (sampled.py)
$(B)/bench/trapcost: bench/tools/trapcost.c
	@mkdir -p $(dir $@)
	$(CC) $(SB_FLAGS) -o $@ $<

# the benchmark harness's own rules (no benchmark is run)
bench-selftest:
	python3 bench/selftest.py

demo: deps all testprogs
	@echo "== lockhound run -- $(B)/testprogs/demo_bank"
	@$(B)/lockhound run -- $(B)/testprogs/demo_bank; rc=$$?; \
	if [ $$rc -eq 66 ]; then echo "(exit status 66: lockhound found the bug this demo program has)"; \
	else echo "unexpected exit status $$rc" >&2; exit 1; fi

# the race engine alone: ns per rc_access (not part of make check)
bench-engine: $(B)/bench/race_bench
	$(B)/bench/race_bench
$(B)/bench/race_bench: bench/engine/race_bench.c $(B)/pic/preload/race.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ -lpthread

bench: deps all sampled-progs
	bash bench/run.sh

# every block of bench/RESULTS.md in one session, sized to about 35 minutes
# on 2 quiet cores (bench/README.md, "The final run": the stage timings
# these settings come from); each setting can be overridden from the
# environment (BENCH_RUNS=5 make bench-all)
bench-all: deps all sampled-progs
	BENCH_RUNS=$${BENCH_RUNS:-3} BENCH_TIMEOUT=$${BENCH_TIMEOUT:-20} \
	BENCH_RUN_TIMEOUT=$${BENCH_RUN_TIMEOUT:-90} \
	BENCH_GROWTH_ONLY=$${BENCH_GROWTH_ONLY-memcached,memcached-mix} \
	BENCH_EXACT_RUNS=$${BENCH_EXACT_RUNS:-2} BENCH_EXACT_BUDGET=$${BENCH_EXACT_BUDGET:-240} \
	bash bench/run.sh

# sampled race watching alone: detection of every testprogs/sampled/ program
# in BENCH_SAMPLED_RUNS (20) runs per trap source, the detection-against-cost
# curve over the budget and memcached under load; replaces that block of
# bench/RESULTS.md
bench-sampled: deps all sampled-progs
	BENCH_SAMPLED_ONLY=1 BENCH_SKIP=exact bash bench/run.sh

# the analyzer on generated dense lock graphs (rotated and random orders over
# N = 10, 64, 200 locks: bench/analyzer_stress.py, bench/genlog.c); replaces
# that block of bench/RESULTS.md
bench-analyzer: all
	python3 bench/analyzer_stress.py --build $(B)

# the cost on threaded Python programs; replaces that block of bench/RESULTS.md
bench-python: deps all
	python3 bench/python_bench.py --build $(B)

# the exact-mode section alone (lockhound cc against gcc's and clang's TSan);
# replaces that block of bench/RESULTS.md and keeps the rest
bench-exact: deps all
	BENCH_SKIP=main,growth,edges,analyzer,sampled,python bash bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/lockhound $(DESTDIR)$(PREFIX)/include
	install -m 755 $(B)/lockhound $(DESTDIR)$(PREFIX)/bin/lockhound
	install -m 755 $(B)/liblockhound.so $(DESTDIR)$(PREFIX)/lib/lockhound/liblockhound.so
	install -d $(DESTDIR)$(PREFIX)/lib/lockhound/tsan-stub
	install -m 644 $(CC_STUB) $(DESTDIR)$(PREFIX)/lib/lockhound/tsan-stub/
	ln -sf lockhound $(DESTDIR)$(PREFIX)/bin/lockhound-cc
	ln -sf lockhound $(DESTDIR)$(PREFIX)/bin/lockhound-c++
	install -m 644 include/lockhound.h $(DESTDIR)$(PREFIX)/include/lockhound.h
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 docs/lockhound.1 $(DESTDIR)$(PREFIX)/share/man/man1/lockhound.1

clean:
	rm -rf $(B)

# ---- fuzzing the log reader (libFuzzer: clang and libclang-rt-dev) ----
# make fuzz [FUZZ_TIME=S]: runs tests/fuzz/fuzz_logread.c (ASan+UBSan) for S
# seconds (default 60) over $(B)/fuzz/corpus, seeded with real logs: the
# logs FUZZ_SEED_PROGS write under the shim.  A crash, leak or sanitizer
# report stops it with the input saved as $(B)/fuzz/crash-*; make fails.
# make fuzz-smoke (part of make check): the seeds and 2000 runs.
FUZZ_TIME ?= 60
# (the race_* programs, built with lockhound cc, give seeds with LH_REC_RACE
# records; fuzz-seeds checks that their races are in the seeds)
FUZZ_SEED_PROGS := abba_two_threads cycle3_three_threads deadlock_abba misuse_unlock_not_locked \
                   fork_child_cycle rwlock_read_write_cycle trylock_backoff demo_bank \
                   race_unguarded_counter race_heap_two_locks race_relaxed_flag race_cxx_member
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Iinclude -Icommon -Ianalyzer -g -O1 \
               -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(B)/fuzz/fuzz_logread: tests/fuzz/fuzz_logread.c analyzer/logread.c analyzer/xalloc.c \
                        analyzer/logread.h include/lockhound_log.h
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

fuzz-seeds: all testprogs
	@rm -rf $(B)/fuzz/seeds && mkdir -p $(B)/fuzz/seeds $(B)/fuzz/corpus
	@for p in $(FUZZ_SEED_PROGS); do \
	  LD_PRELOAD=$(CURDIR)/$(B)/liblockhound.so \
	  LOCKHOUND_OPTIONS=log_dir=$(CURDIR)/$(B)/fuzz/seeds:quiet=1:deadlock_exit=1 \
	  timeout 60 $(B)/testprogs/$$p >/dev/null 2>&1; done; \
	n=$$(ls $(B)/fuzz/seeds | wc -l); echo "fuzz: $$n seed logs"; [ $$n -ge 8 ]; \
	r=$$($(B)/lockhound report $(B)/fuzz/seeds/*.log 2>/dev/null | grep -c "^==== lockhound: R[0-9]*: data race"); \
	echo "fuzz: $$r data races in the seeds"; [ $$r -ge 4 ]

fuzz: $(B)/fuzz/fuzz_logread fuzz-seeds
	cd $(B)/fuzz && ./fuzz_logread -max_total_time=$(FUZZ_TIME) -timeout=10 -rss_limit_mb=2048 \
	  -print_final_stats=1 corpus seeds

fuzz-smoke: $(B)/fuzz/fuzz_logread fuzz-seeds
	cd $(B)/fuzz && ./fuzz_logread -runs=2000 -timeout=10 -rss_limit_mb=2048 seeds >smoke.out 2>&1 || \
	  { tail -40 smoke.out; echo "FAILED: fuzz-smoke"; exit 1; }
	@grep -E "^Done [0-9]+ runs" $(B)/fuzz/smoke.out

# header dependencies of every object and unit test built so far
-include $(shell find $(B) -name '*.d' 2>/dev/null)
