/*
 * test_races.c - CUnit tests for data races in the analyzer: reading
 * LH_REC_RACE (analyzer/logread.c: every size check one element short and
 * exactly right, impossible values, dangling references), folding records
 * into one finding per variable with its pairs of code locations
 * (analyzer/races.c), naming globals from the symbol tables of this very
 * executable and of libm (symbolize.c, sym_data_lookup), and the text and
 * JSON renderings (analyzer/race_report.c), one of them compared whole.
 *
 * Logs are built in memory with tests/unit/logbuild.h.  Modules of this
 * process are described from dl_iterate_phdr as the shim records them.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <CUnit/Basic.h>

#include "cunit_run.h"

#include <dlfcn.h>
#include <jansson.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "logbuild.h"
#include "logread.h"
#include "races.h"
#include "report.h"
#include "symbolize.h"

#define MOD_BASE 0x7f1200000000ull
#define MOD_PATH "/nonexistent/lockhound-test/racy"
#define STACKS 16
#define STACK_PC(base, k) ((base) + (uint64_t)(k)*0x100 + 0x10)
#define LOCK_ADDR(base, k) ((base) + 0x50000 + (uint64_t)(k)*0x40)
#define GLOBAL_ADDR(base) ((base) + 0x60000)

static char err[1024];

/* one module, stacks 1..STACKS (frame 0 an exact pc), threads 1..4 (2..4
 * created by T1 at stack 16), locks 1 and 2 */
static void prologue_at(struct lb *b, uint64_t base)
{
	uint32_t k;

	lb_init(b);
	lb_module(b, base, base, base + 0x100000, NULL, 0, MOD_PATH);
	for (k = 1; k <= STACKS; k++) {
		uint64_t pcs[2] = { STACK_PC(base, k), base + 0x9000 };
		lb_stack(b, k, LH_STACK_FIRST_IS_PC, pcs, 2);
	}
	lb_thread_full(b, 1, 0, 0, 100, 10, NULL);
	for (k = 2; k <= 4; k++)
		lb_thread_full(b, k, 1, STACKS, 100 + k, 10 * k, NULL);
	lb_lock(b, 1, LOCK_ADDR(base, 1), LH_LOCK_MUTEX, 0);
	lb_lock(b, 2, LOCK_ADDR(base, 2), LH_LOCK_MUTEX, 0);
}

static void prologue(struct lb *b)
{
	prologue_at(b, MOD_BASE);
}

/* a race on a global at addr: prev = (prev_thread, prev_stack, prev_flags),
 * cur likewise; 4 bytes each */
static struct lh_rec_race race(uint64_t addr, uint32_t prev_thread, uint32_t prev_stack,
                               uint32_t prev_flags, uint32_t cur_thread, uint32_t cur_stack,
                               uint32_t cur_flags)
{
	struct lh_rec_race r;

	memset(&r, 0, sizeof(r));
	r.addr = addr;
	r.size = 4;
	r.var_kind = LH_VAR_GLOBAL;
	r.detected_by = LH_RACE_BY_INSTRUMENTATION;
	r.time_ns = 500;
	r.prev.thread_id = prev_thread;
	r.prev.stack_id = prev_stack;
	r.prev.addr = addr;
	r.prev.size = 4;
	r.prev.flags = prev_flags;
	r.cur.thread_id = cur_thread;
	r.cur.stack_id = cur_stack;
	r.cur.addr = addr;
	r.cur.size = 4;
	r.cur.flags = cur_flags;
	return r;
}

#define W LH_RACC_WRITE
#define R 0u

static struct lh_rec_race heap_race(uint64_t block, uint64_t off, uint32_t alloc_stack)
{
	struct lh_rec_race r = race(block + off, 2, 1, W, 3, 2, W);

	r.var_kind = LH_VAR_HEAP;
	r.var_base = block;
	r.var_size = 64;
	r.alloc_stack = alloc_stack;
	r.alloc_thread = 1;
	return r;
}

static char *render(struct lr_log *log, struct fd_result *res, int json);

static void analyze(struct lr_log *log, struct fd_result *res)
{
	memset(res, 0, sizeof(*res));
	fd_analyze(log, res);
}

static size_t count_kind(const struct fd_result *res, enum fd_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < res->n; i++)
		n += res->f[i].kind == k;
	return n;
}

/* ----------------------------------------------------------- the reader */

static void test_read_valid(void)
{
	struct lb b;
	struct lr_log *log;
	struct lh_rec_race r = race(GLOBAL_ADDR(MOD_BASE), 2, 1, R, 3, 2, W);
	const uint64_t locks[3] = { 2, 1, 2 };

	prologue(&b);
	r.n_locks_cur = 1;
	r.n_locks_prev = 2;
	r.cur.flags |= LH_RACC_STACK_APPROX;
	lb_race(&b, &r, locks);
	lb_end(&b, 900, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL_FATAL(log->n_races, 1);
	CU_ASSERT(memcmp(&log->races[0].r, &r, sizeof(r)) == 0);
	CU_ASSERT_EQUAL(log->races[0].locks[0], 2);
	CU_ASSERT_EQUAL(log->races[0].locks[1], 1);
	CU_ASSERT_EQUAL(log->races[0].locks[2], 2);
	CU_ASSERT_EQUAL(log->races[0].off, b.rec_off[b.n_rec - 2]);
	CU_ASSERT_EQUAL(log->n_unknown_records, 0);
	CU_ASSERT(log->complete);
	lr_free(log);
	lb_free(&b);
}

/* a race record of `len` payload bytes taken from r + locks (the header
 * says len): exactly the bytes the record's counts need, or fewer */
static struct lr_log *read_cut(const struct lh_rec_race *r, const uint64_t *locks, size_t len)
{
	struct lb b;
	struct lr_log *log;
	unsigned char buf[sizeof(*r) + 16 * 8];

	memcpy(buf, r, sizeof(*r));
	memcpy(buf + sizeof(*r), locks, ((size_t)r->n_locks_cur + r->n_locks_prev) * 8);
	prologue(&b);
	lb_rec(&b, LH_REC_RACE, buf, len);
	lb_end(&b, 900, 0); /* the reader goes on after the bad record */
	log = lb_read(&b, err, sizeof(err));
	lb_free(&b);
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT(log->complete);
	return log;
}

static void test_read_size_checks(void)
{
	const uint64_t locks[4] = { 1, 2, 1, 2 };
	static const uint32_t counts[][2] = { { 0, 0 }, { 1, 0 }, { 0, 1 }, { 2, 2 }, { 3, 1 } };
	size_t i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		struct lh_rec_race r = race(GLOBAL_ADDR(MOD_BASE), 2, 1, W, 3, 2, R);
		size_t need;
		struct lr_log *log;

		r.n_locks_cur = counts[i][0];
		r.n_locks_prev = counts[i][1];
		need = sizeof(r) + ((size_t)r.n_locks_cur + r.n_locks_prev) * 8;
		/* exactly right */
		log = read_cut(&r, locks, need);
		CU_ASSERT_EQUAL(log->n_errors, 0);
		CU_ASSERT_EQUAL(log->n_races, 1);
		lr_free(log);
		/* one lock id short (or, without locks, one byte of the fixed part) */
		log = read_cut(&r, locks, need - (need > sizeof(r) ? 8 : 1));
		CU_ASSERT_EQUAL(log->n_races, 0);
		CU_ASSERT(lb_has_error(log, "corrupt race record"));
		lr_free(log);
	}
	{
		/* the fixed part one element (the last count) short */
		struct lh_rec_race r = race(GLOBAL_ADDR(MOD_BASE), 2, 1, W, 3, 2, R);
		struct lr_log *log = read_cut(&r, locks, sizeof(r) - sizeof(uint32_t));
		CU_ASSERT_EQUAL(log->n_races, 0);
		CU_ASSERT(lb_has_error(log, "corrupt race record"));
		lr_free(log);
	}
}

static void test_read_lock_limit(void)
{
	struct lb b;
	struct lr_log *log;
	uint64_t *locks = calloc(LR_MAX_RACE_LOCKS + 1, sizeof(uint64_t));
	struct lh_rec_race r = race(GLOBAL_ADDR(MOD_BASE), 2, 1, W, 3, 2, R);
	uint64_t k;

	CU_ASSERT_FATAL(locks != NULL);
	prologue(&b);
	for (k = 0; k < LR_MAX_RACE_LOCKS + 1; k++) {
		locks[k] = 100 + k;
		lb_lock(&b, 100 + k, 0x1000 + k * 64, LH_LOCK_MUTEX, 0);
	}
	/* at the limit: read */
	r.n_locks_prev = LR_MAX_RACE_LOCKS;
	lb_race(&b, &r, locks);
	/* one more on either side: corrupt */
	r.n_locks_prev = LR_MAX_RACE_LOCKS + 1;
	lb_race(&b, &r, locks);
	r.n_locks_prev = 0;
	r.n_locks_cur = LR_MAX_RACE_LOCKS + 1;
	lb_race(&b, &r, locks);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_EQUAL(log->n_races, 1);
	CU_ASSERT_EQUAL(log->n_errors, 2);
	CU_ASSERT(lb_has_error(log, "held locks"));
	lr_free(log);
	lb_free(&b);
	free(locks);
}

static void test_read_bad_values(void)
{
	int i;

	for (i = 0; i < 8; i++) {
		struct lh_rec_race r = race(GLOBAL_ADDR(MOD_BASE), 2, 1, W, 3, 2, R);
		struct lb b;
		struct lr_log *log;

		switch (i) {
		case 0: r.size = 0; break;
		case 1: r.cur.size = 0; break;
		case 2: r.prev.size = 0; break;
		case 3: r.var_kind = LH_VAR_STACK + 1; break;
		case 4: r.detected_by = 0; break;
		case 5: r.detected_by = LH_RACE_BY_WRITE_PROTECT + 1; break;
		case 6: r.cur.thread_id = 0; break;
		case 7: r.prev.thread_id = 0; break;
		}
		prologue(&b);
		lb_race(&b, &r, NULL);
		lb_end(&b, 900, 0);
		log = lb_read(&b, err, sizeof(err));
		CU_ASSERT_FATAL(log != NULL);
		CU_ASSERT_EQUAL(log->n_races, 0);
		CU_ASSERT(lb_has_error(log, "corrupt race record"));
		CU_ASSERT(log->complete);
		lr_free(log);
		lb_free(&b);
	}
}

static void test_read_dangling_references(void)
{
	static const char *what[] = { "stack 99", "stack 98", "stack 97", "thread T9",
		                      "thread T8", "thread T7", "lock 77" };
	size_t i;

	for (i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		struct lh_rec_race r = race(GLOBAL_ADDR(MOD_BASE), 2, 1, W, 3, 2, R);
		const uint64_t lock = i == 6 ? 77 : 1;
		struct fd_result res;
		struct lb b;
		struct lr_log *log;
		FILE *out;
		char *text = NULL;
		size_t len = 0;
		struct rp_input in;

		switch (i) {
		case 0: r.cur.stack_id = 99; break;
		case 1: r.prev.stack_id = 98; break;
		case 2: r.var_kind = LH_VAR_HEAP; r.alloc_stack = 97; r.var_base = r.addr; break;
		case 3: r.cur.thread_id = 9; break;
		case 4: r.prev.thread_id = 8; break;
		case 5: r.var_kind = LH_VAR_STACK; r.alloc_thread = 7; break;
		}
		r.n_locks_cur = 1;
		prologue(&b);
		lb_race(&b, &r, &lock);
		lb_end(&b, 900, 0);
		log = lb_read(&b, err, sizeof(err));
		CU_ASSERT_FATAL(log != NULL);
		CU_ASSERT_EQUAL(log->n_races, 1); /* kept: the report says what is missing */
		CU_ASSERT_EQUAL(log->n_errors, 1);
		CU_ASSERT(lb_has_error(log, what[i]));
		/* and the analysis and both reports survive it */
		analyze(log, &res);
		CU_ASSERT_EQUAL(count_kind(&res, FD_RACE), 1);
		in.logs = &log;
		in.n_logs = 1;
		in.res = &res;
		out = open_memstream(&text, &len);
		rp_text(out, &in);
		CU_ASSERT(rp_json(out, &in) == 0);
		fclose(out);
		CU_ASSERT(strstr(text, "data race on") != NULL);
		free(text);
		fd_result_free(&res);
		lr_free(log);
		lb_free(&b);
	}
}

/* ---------------------------------------------------------- the finding */

static void test_fold_one_variable(void)
{
	struct lb b;
	struct lr_log *log;
	struct fd_result res;
	const struct ra_finding *rf;

	prologue(&b);
	/* one pair of code locations (stacks 1 and 2), seen in both orders
	 * and from different threads and calling contexts (stack 3 has the
	 * same pc as stack 1 on another module load: here, same offset) */
	{
		struct lh_rec_race r1 = race(GLOBAL_ADDR(MOD_BASE), 2, 1, W, 3, 2, R);
		struct lh_rec_race r2 = race(GLOBAL_ADDR(MOD_BASE), 3, 2, R, 2, 1, W);
		struct lh_rec_race r3 = race(GLOBAL_ADDR(MOD_BASE) + 2, 4, 2, R, 3, 1, W);
		uint64_t pcs[3] = { STACK_PC(MOD_BASE, 1), MOD_BASE + 0x7000, MOD_BASE + 0x8000 };
		struct lh_rec_race r4;
		lb_stack(&b, 40, LH_STACK_FIRST_IS_PC, pcs, 3);
		r4 = race(GLOBAL_ADDR(MOD_BASE), 2, 40, W, 4, 2, R);
		lb_race(&b, &r1, NULL);
		lb_race(&b, &r2, NULL);
		lb_race(&b, &r3, NULL);
		lb_race(&b, &r4, NULL);
	}
	lb_end(&b, 900, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	analyze(log, &res);
	/* r3 is 2 bytes further: without a symbol table the variable is the
	 * address, so it is its own finding */
	CU_ASSERT_EQUAL_FATAL(res.n, 2);
	CU_ASSERT_EQUAL(res.f[0].kind, FD_RACE);
	rf = res.f[0].race;
	CU_ASSERT_FATAL(rf != NULL);
	CU_ASSERT_EQUAL(res.f[0].count, 3);
	CU_ASSERT_EQUAL_FATAL(rf->n_pairs, 1);
	CU_ASSERT_EQUAL(rf->pairs[0].count, 3);
	CU_ASSERT(rf->pairs[0].rec == &log->races[0]); /* the first record speaks for the pair */
	CU_ASSERT_EQUAL(rf->var_kind, LH_VAR_GLOBAL);
	CU_ASSERT(rf->name == NULL); /* the file does not exist */
	CU_ASSERT_STRING_EQUAL(rf->module, MOD_PATH);
	CU_ASSERT_EQUAL(rf->offset, 0x60000);
	CU_ASSERT_EQUAL(res.f[1].count, 1);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* An unnamed global whose extent a sampled record gives (var_base and
 * var_size: the shim's candidate an 8-byte access names): a record on its
 * byte 4 (a window from its cache line) is the same finding, named by
 * the first byte and sized 8; a record past the extent is its own. */
static void test_fold_known_extent(void)
{
	struct lb b;
	struct lr_log *log;
	struct fd_result res;
	uint64_t g = GLOBAL_ADDR(MOD_BASE) + 0x40;
	struct lh_rec_race lo = race(g, 2, 1, W, 3, 2, R);
	struct lh_rec_race hi = race(g + 4, 4, 1, W, 3, 2, R);
	struct lh_rec_race past = race(g + 8, 4, 1, W, 3, 2, R);
	const struct ra_finding *rf;
	char *text, *json;

	prologue(&b);
	/* the upper half's record first: the finding is still named by the
	 * extent's first byte */
	hi.detected_by = lo.detected_by = past.detected_by = LH_RACE_BY_WATCHPOINT;
	hi.size = lo.size = past.size = 1;
	lo.var_base = g;
	lo.var_size = 8;
	lb_race(&b, &hi, NULL);
	lb_race(&b, &lo, NULL);
	lb_race(&b, &past, NULL);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	analyze(log, &res);
	CU_ASSERT_EQUAL_FATAL(res.n, 2);
	rf = res.f[0].race;
	CU_ASSERT_EQUAL(res.f[0].count, 2);
	CU_ASSERT_EQUAL(rf->offset, 0x60040);
	CU_ASSERT_EQUAL(rf->extent, 8);
	CU_ASSERT_EQUAL(res.f[1].count, 1);
	CU_ASSERT_EQUAL(res.f[1].race->offset, 0x60048);
	CU_ASSERT_EQUAL(res.f[1].race->extent, 0);
	text = render(log, &res, 0);
	CU_ASSERT(strstr(text, "a global at racy+0x60040 (global, no symbol, 8 bytes)") != NULL);
	CU_ASSERT(strstr(text, "a global at racy+0x60048 (global, no symbol, 1 bytes)") != NULL);
	CU_ASSERT(strstr(text, "racy+0x60044") == NULL);
	json = render(log, &res, 1);
	CU_ASSERT(strstr(json, "\"0x7f1200060040\"") != NULL);
	free(text);
	free(json);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

static void test_pairs_most_frequent_first(void)
{
	struct lb b;
	struct lr_log *log;
	struct fd_result res;
	const struct ra_finding *rf;
	int k;

	prologue(&b);
	{
		/* pair (5, 6) once, then pair (1, 2) three times, then (3, 4)
		 * once: (1, 2) first, the ties by location */
		struct lh_rec_race a = race(GLOBAL_ADDR(MOD_BASE), 2, 6, W, 3, 5, W);
		struct lh_rec_race c = race(GLOBAL_ADDR(MOD_BASE), 2, 3, W, 3, 4, R);
		lb_race(&b, &a, NULL);
		for (k = 0; k < 3; k++) {
			struct lh_rec_race x = race(GLOBAL_ADDR(MOD_BASE), 2 + k % 2, 1, W, 3 - k % 2, 2, R);
			lb_race(&b, &x, NULL);
		}
		lb_race(&b, &c, NULL);
		/* the same pcs with another op are another pair */
		c.cur.flags = W;
		lb_race(&b, &c, NULL);
	}
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_FATAL(log != NULL);
	analyze(log, &res);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	rf = res.f[0].race;
	CU_ASSERT_EQUAL(res.f[0].count, 6);
	CU_ASSERT_EQUAL_FATAL(rf->n_pairs, 4);
	CU_ASSERT_EQUAL(rf->pairs[0].count, 3);
	CU_ASSERT(rf->pairs[0].rec == &log->races[1]);
	CU_ASSERT_EQUAL(rf->pairs[1].count, 1);
	CU_ASSERT_EQUAL(rf->pairs[2].count, 1);
	CU_ASSERT_EQUAL(rf->pairs[3].count, 1);
	/* ties ordered by location: stacks 3/4 (r and w), then 5/6 */
	CU_ASSERT(rf->pairs[1].rec == &log->races[4]);
	CU_ASSERT(rf->pairs[2].rec == &log->races[5]);
	CU_ASSERT(rf->pairs[3].rec == &log->races[0]);
	CU_ASSERT_STRING_EQUAL(rf->pairs[0].key, "racy+0x110:w|racy+0x210:r");
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

static void test_key_stable_across_load_address(void)
{
	char *keys[2];
	int i;

	for (i = 0; i < 2; i++) {
		uint64_t base = i ? 0x555500000000ull : MOD_BASE;
		struct lb b;
		struct lr_log *log;
		struct fd_result res;
		struct lh_rec_race r = race(GLOBAL_ADDR(base), 2, 1, W, 3, 2, R);
		prologue_at(&b, base);
		lb_race(&b, &r, NULL);
		log = lb_read(&b, err, sizeof(err));
		analyze(log, &res);
		CU_ASSERT_EQUAL_FATAL(res.n, 1);
		keys[i] = strdup(res.f[0].key);
		CU_ASSERT_STRING_EQUAL(res.f[0].race->pairs[0].key, "racy+0x110:w|racy+0x210:r");
		fd_result_free(&res);
		lr_free(log);
		lb_free(&b);
	}
	CU_ASSERT_STRING_EQUAL(keys[0], keys[1]);
	free(keys[0]);
	free(keys[1]);
}

static void test_heap_by_site_and_offset(void)
{
	struct lb b;
	struct lr_log *log;
	struct fd_result res;
	uint64_t pcs[2] = { STACK_PC(MOD_BASE, 7), MOD_BASE + 0x9000 };
	size_t i, n8 = 0, n16 = 0, other = 0;

	prologue(&b);
	lb_stack(&b, 50, 0, pcs, 2); /* stack 7's pcs under another id */
	{
		/* site 7: two blocks, offset 8 -> one finding (3 records) */
		struct lh_rec_race a = heap_race(0x10000, 8, 7);
		struct lh_rec_race c = heap_race(0x20000, 8, 7);
		struct lh_rec_race d = heap_race(0x30000, 8, 50);
		/* site 7, offset 16 -> another; site 8, offset 8 -> another */
		struct lh_rec_race e = heap_race(0x10000, 16, 7);
		struct lh_rec_race g = heap_race(0x40000, 8, 8);
		lb_race(&b, &a, NULL);
		lb_race(&b, &c, NULL);
		lb_race(&b, &d, NULL);
		lb_race(&b, &e, NULL);
		lb_race(&b, &g, NULL);
	}
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	analyze(log, &res);
	CU_ASSERT_EQUAL_FATAL(res.n, 3);
	for (i = 0; i < res.n; i++) {
		const struct ra_finding *rf = res.f[i].race;
		CU_ASSERT_EQUAL(rf->var_kind, LH_VAR_HEAP);
		if (rf->offset == 8 && rf->first->r.alloc_stack == 7) {
			n8++;
			CU_ASSERT_EQUAL(res.f[i].count, 3);
			CU_ASSERT_EQUAL(rf->n_pairs, 1);
		} else if (rf->offset == 16) {
			n16++;
			CU_ASSERT_EQUAL(res.f[i].count, 1);
		} else {
			other++;
			CU_ASSERT_EQUAL(rf->first->r.alloc_stack, 8);
		}
	}
	CU_ASSERT(n8 == 1 && n16 == 1 && other == 1);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

static void test_stack_and_unknown(void)
{
	struct lb b;
	struct lr_log *log;
	struct fd_result res;
	struct lh_rec_race s2 = race(0x7ffd0000, 2, 1, W, 3, 2, R);
	struct lh_rec_race s3 = race(0x7ffd0000, 2, 1, W, 3, 2, R);
	struct lh_rec_race u = race(0x7ffe0000, 2, 1, W, 3, 2, R);

	s2.var_kind = s3.var_kind = LH_VAR_STACK;
	s2.alloc_thread = 2;
	s3.alloc_thread = 3; /* the same address on another thread's stack */
	u.var_kind = LH_VAR_UNKNOWN;
	prologue(&b);
	lb_race(&b, &u, NULL);
	lb_race(&b, &s3, NULL);
	lb_race(&b, &s2, NULL);
	lb_race(&b, &s2, NULL);
	log = lb_read(&b, err, sizeof(err));
	analyze(log, &res);
	CU_ASSERT_EQUAL_FATAL(res.n, 3);
	/* stacks by owner, then unknown memory */
	CU_ASSERT_EQUAL(res.f[0].race->var_kind, LH_VAR_STACK);
	CU_ASSERT_EQUAL(res.f[0].race->first->r.alloc_thread, 2);
	CU_ASSERT_EQUAL(res.f[0].count, 2);
	CU_ASSERT_EQUAL(res.f[1].race->first->r.alloc_thread, 3);
	CU_ASSERT_EQUAL(res.f[2].race->var_kind, LH_VAR_UNKNOWN);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

static void test_locks_and_order(void)
{
	struct lb b;
	struct lr_log *log;
	struct fd_result res;
	struct lh_rec_race r = race(GLOBAL_ADDR(MOD_BASE), 2, 1, W, 3, 2, R);
	struct lh_rec_race h = heap_race(0x10000, 0, 7);
	const uint64_t locks[2] = { 1, 2 }; /* cur holds 1, prev holds 2 */
	struct lh_rec_finding mis;

	prologue(&b);
	r.n_locks_cur = 1;
	r.n_locks_prev = 1;
	lb_race(&b, &h, NULL);
	lb_race(&b, &r, locks);
	memset(&mis, 0, sizeof(mis));
	mis.kind = LH_FIND_MISUSE;
	mis.what = LH_MIS_UNLOCK_NOT_LOCKED;
	mis.thread_id = 2;
	mis.stack_id = 3;
	mis.lock_id = 1;
	lb_finding(&b, &mis, NULL);
	log = lb_read(&b, err, sizeof(err));
	analyze(log, &res);
	CU_ASSERT_EQUAL_FATAL(res.n, 3);
	/* kinds in order, races last; among races globals before heap */
	CU_ASSERT_EQUAL(res.f[0].kind, FD_MISUSE);
	CU_ASSERT_EQUAL(res.f[1].kind, FD_RACE);
	CU_ASSERT_EQUAL(res.f[1].race->var_kind, LH_VAR_GLOBAL);
	CU_ASSERT_EQUAL(res.f[2].race->var_kind, LH_VAR_HEAP);
	/* the earlier side's locks first: M1 = lock 2, M2 = lock 1 */
	CU_ASSERT_EQUAL_FATAL(res.f[1].n, 2);
	CU_ASSERT_EQUAL(res.f[1].locks[0], 2);
	CU_ASSERT_EQUAL(res.f[1].locks[1], 1);
	CU_ASSERT_EQUAL(res.f[2].n, 0);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* ------------------------------------------------ naming from real files */

struct obj {
	char path[PATH_MAX];
	uint64_t base, lo, hi;
};
static struct obj g_objs[128];
static size_t g_nobjs;

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct obj *o;
	ElfW(Half) i;

	if (g_nobjs >= sizeof(g_objs) / sizeof(g_objs[0]))
		return 1;
	o = &g_objs[g_nobjs];
	memset(o, 0, sizeof(*o));
	if (g_nobjs == 0 && (!info->dlpi_name || !*info->dlpi_name)) {
		if (!realpath("/proc/self/exe", o->path))
			return 0;
	} else {
		snprintf(o->path, sizeof(o->path), "%s", info->dlpi_name ? info->dlpi_name : "");
	}
	o->base = info->dlpi_addr;
	o->lo = UINT64_MAX;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD) {
			uint64_t a = info->dlpi_addr + ph->p_vaddr;
			if (a < o->lo)
				o->lo = a;
			if (a + ph->p_memsz > o->hi)
				o->hi = a + ph->p_memsz;
		}
	}
	if (o->lo < o->hi && o->path[0])
		g_nobjs++;
	return 0;
}

static void scan_objects(void)
{
	g_nobjs = 0;
	dl_iterate_phdr(phdr_cb, NULL);
}

static const struct obj *obj_for(uint64_t addr)
{
	size_t i;

	for (i = 0; i < g_nobjs; i++)
		if (addr >= g_objs[i].lo && addr < g_objs[i].hi)
			return &g_objs[i];
	return NULL;
}

static struct sym_ctx *ctx_with_objects(void)
{
	struct sym_ctx *s = sym_new();
	size_t i;

	for (i = 0; i < g_nobjs; i++) {
		struct sym_module_desc d = { .path = g_objs[i].path, .base = g_objs[i].base,
			                     .lo = g_objs[i].lo, .hi = g_objs[i].hi };
		sym_add_module(s, &d);
	}
	return s;
}

/* the variables the tests name; volatile uses keep them */
int lh_race_known_global[4];
static pthread_mutex_t lh_race_mu_a = PTHREAD_MUTEX_INITIALIZER;

static void test_sym_data_self(void)
{
	struct sym_ctx *s;
	struct sym_data d;
	const struct obj *self;

	scan_objects();
	self = obj_for((uint64_t)(uintptr_t)&lh_race_known_global[0]);
	CU_ASSERT_FATAL(self != NULL);
	s = ctx_with_objects();
	CU_ASSERT_EQUAL_FATAL(sym_data_lookup(s, (uint64_t)(uintptr_t)&lh_race_known_global[2], &d), 1);
	CU_ASSERT_STRING_EQUAL(d.name, "lh_race_known_global");
	CU_ASSERT_STRING_EQUAL(d.module, self->path);
	CU_ASSERT_EQUAL(d.start, (uint64_t)(uintptr_t)&lh_race_known_global[0]);
	CU_ASSERT_EQUAL(d.size, sizeof(lh_race_known_global));
	/* a static one */
	CU_ASSERT_EQUAL_FATAL(sym_data_lookup(s, (uint64_t)(uintptr_t)&lh_race_mu_a + 8, &d), 1);
	CU_ASSERT_STRING_EQUAL(d.name, "lh_race_mu_a");
	/* a function is not a variable; no module, no name */
	CU_ASSERT_EQUAL(sym_data_lookup(s, (uint64_t)(uintptr_t)&test_sym_data_self, &d), 0);
	CU_ASSERT_EQUAL(sym_data_lookup(s, 0x10, &d), 0);
	sym_free(s);
}

/* atomics by declaration: _Atomic, a typedef of it, a const one */
_Atomic int lh_race_atomic_plain;
typedef _Atomic long lh_race_atomic_t;
lh_race_atomic_t lh_race_atomic_typedef;
volatile _Atomic(short) lh_race_atomic_volatile;

static void test_sym_data_atomic(void)
{
	struct sym_ctx *s;

	scan_objects();
	s = ctx_with_objects();
	CU_ASSERT_EQUAL(sym_data_atomic(s, (uint64_t)(uintptr_t)&lh_race_atomic_plain), 1);
	CU_ASSERT_EQUAL(sym_data_atomic(s, (uint64_t)(uintptr_t)&lh_race_atomic_typedef), 1);
	CU_ASSERT_EQUAL(sym_data_atomic(s, (uint64_t)(uintptr_t)&lh_race_atomic_volatile), 1);
	CU_ASSERT_EQUAL(sym_data_atomic(s, (uint64_t)(uintptr_t)&lh_race_known_global[1]), 0);
	CU_ASSERT_EQUAL(sym_data_atomic(s, (uint64_t)(uintptr_t)&lh_race_mu_a), 0);
	CU_ASSERT_EQUAL(sym_data_atomic(s, 0x10), 0);
	sym_free(s);
}

static void test_sym_data_shared_library(void)
{
	void *h = dlopen("libm.so.6", RTLD_NOW);
	int *sg;
	struct sym_ctx *s;
	struct sym_data d;
	const struct obj *o;

	CU_ASSERT_FATAL(h != NULL);
	sg = dlsym(h, "signgam"); /* an object this program does not copy */
	CU_ASSERT_FATAL(sg != NULL);
	scan_objects();
	o = obj_for((uint64_t)(uintptr_t)sg);
	CU_ASSERT_FATAL(o != NULL);
	CU_ASSERT(strstr(o->path, "libm") != NULL);
	s = ctx_with_objects();
	CU_ASSERT_EQUAL_FATAL(sym_data_lookup(s, (uint64_t)(uintptr_t)sg, &d), 1);
	CU_ASSERT_STRING_EQUAL(d.name, "signgam"); /* not its alias __signgam */
	if (getenv("LH_TEST_VERBOSE"))
		printf(" [%s]", d.name);
	CU_ASSERT_STRING_EQUAL(d.module, o->path);
	CU_ASSERT_EQUAL(d.start, (uint64_t)(uintptr_t)sg);
	sym_free(s);
	dlclose(h);
}

/* a log of this process: every module, stacks at this file's functions */
static void self_log(struct lb *b)
{
	size_t i;
	uint64_t pcs[2] = { (uint64_t)(uintptr_t)&test_sym_data_self + 4,
		            (uint64_t)(uintptr_t)&self_log + 4 };
	uint64_t pcs2[1] = { (uint64_t)(uintptr_t)&test_sym_data_shared_library + 4 };

	scan_objects();
	lb_init(b);
	for (i = 0; i < g_nobjs; i++)
		lb_module(b, g_objs[i].base, g_objs[i].lo, g_objs[i].hi, NULL, 0, g_objs[i].path);
	lb_stack(b, 1, LH_STACK_FIRST_IS_PC, pcs, 2);
	lb_stack(b, 2, LH_STACK_FIRST_IS_PC, pcs2, 1);
	lb_thread_full(b, 1, 0, 0, 100, 10, NULL);
	lb_thread_full(b, 2, 1, 1, 102, 20, NULL);
	lb_thread_full(b, 3, 1, 1, 103, 30, NULL);
	lb_lock(b, 5, (uint64_t)(uintptr_t)&lh_race_mu_a, LH_LOCK_MUTEX, LH_LOCKF_STATIC_INIT);
}

static void test_global_named_and_grouped(void)
{
	struct lb b;
	struct lr_log *log;
	struct fd_result res;
	uint64_t g = (uint64_t)(uintptr_t)&lh_race_known_global[0];
	struct lh_rec_race r1 = race(g + 4, 2, 1, W, 3, 2, R);
	struct lh_rec_race r2 = race(g + 12, 3, 2, W, 2, 1, W);
	const struct obj *self;

	self_log(&b);
	self = obj_for(g);
	CU_ASSERT_FATAL(self != NULL);
	lb_race(&b, &r1, NULL);
	lb_race(&b, &r2, NULL);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_EQUAL(log->n_errors, 0);
	analyze(log, &res);
	/* two fields of one global: one finding, two pairs */
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	CU_ASSERT_STRING_EQUAL(res.f[0].race->name, "lh_race_known_global");
	CU_ASSERT_STRING_EQUAL(res.f[0].race->module, self->path);
	CU_ASSERT_EQUAL(res.f[0].race->offset, 4);
	CU_ASSERT_EQUAL(res.f[0].race->n_pairs, 2);
	CU_ASSERT(strstr(res.f[0].key, ":lh_race_known_global") != NULL);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* ------------------------------------------------------------ rendering */

static char *render(struct lr_log *log, struct fd_result *res, int json)
{
	struct rp_input in = { &log, 1, res };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	CU_ASSERT_FATAL(out != NULL);
	if (json) {
		CU_ASSERT(rp_json(out, &in) == 0);
	} else {
		rp_text(out, &in);
	}
	fclose(out);
	return text;
}

static void test_text_names_locks_and_sides(void)
{
	struct lb b;
	struct lr_log *log;
	struct fd_result res;
	uint64_t g = (uint64_t)(uintptr_t)&lh_race_known_global[1];
	struct lh_rec_race r = race(g, 2, 2, R, 3, 1, W);
	const uint64_t lock = 5;
	char *text, expect[128];

	self_log(&b);
	r.n_locks_cur = 1;
	r.prev.flags |= LH_RACC_STACK_APPROX; /* as exact mode writes them */
	r.cur.flags |= LH_RACC_STACK_APPROX;
	lb_race(&b, &r, &lock);
	log = lb_read(&b, err, sizeof(err));
	analyze(log, &res);
	text = render(log, &res, 0);
	if (getenv("LH_TEST_VERBOSE"))
		printf("\n%s", text);
	snprintf(expect, sizeof(expect), "R1: data race on lh_race_known_global (global, %s+0x4, 4 bytes)",
	         strrchr(obj_for(g)->path, '/') + 1);
	CU_ASSERT(strstr(text, expect) != NULL);
	CU_ASSERT(strstr(text, "T2 read 4 bytes holding nothing; then T3 wrote 4 bytes holding M1 "
	                       "(lh_race_mu_a)\n") != NULL);
	CU_ASSERT(strstr(text, "test_sym_data_shared_library") != NULL); /* T2's stack */
	CU_ASSERT(strstr(text, "test_sym_data_self") != NULL);          /* T3's stack */
	CU_ASSERT(strstr(text, "M1: mutex 'lh_race_mu_a'") != NULL);
	CU_ASSERT(strstr(text, "T3 (tid 103), created by T1 at:") != NULL);
	CU_ASSERT(strstr(text, "lockhound: 1 finding: 1 data race") != NULL);
	/* every stack rebuilt: said once, not on each stack */
	CU_ASSERT(strstr(text, "\nStacks are rebuilt from the instrumented calls") != NULL);
	CU_ASSERT(strstr(text, "(stack rebuilt") == NULL);
	free(text);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

static void test_json_shape(void)
{
	struct lb b;
	struct lr_log *log;
	struct fd_result res;
	struct lh_rec_race h = heap_race(0x10000, 8, 7);
	const uint64_t locks[2] = { 1, 2 };
	json_t *doc, *f, *v, *p, *a0, *a1, *t;
	json_error_t je;
	char *text;

	prologue(&b);
	h.prev.flags = LH_RACC_ATOMIC | W;
	h.cur.flags = R | LH_RACC_STACK_APPROX;
	h.n_locks_cur = 1;
	h.n_locks_prev = 1;
	h.detected_by = LH_RACE_BY_WATCHPOINT;
	lb_race(&b, &h, locks);
	lb_race(&b, &h, locks);
	log = lb_read(&b, err, sizeof(err));
	analyze(log, &res);
	text = render(log, &res, 1);
	doc = json_loads(text, 0, &je);
	CU_ASSERT_FATAL(doc != NULL);
	f = json_array_get(json_object_get(doc, "findings"), 0);
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "id")), "R1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "kind")), "data-race");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(f, "detected_by")), "watchpoint");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(f, "count")), 2);
	v = json_object_get(f, "variable");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "kind")), "heap");
	CU_ASSERT(json_is_null(json_object_get(v, "name")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(v, "address")), "0x10008");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "offset")), 8);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(v, "size")), 4);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(v, "block"), "size")), 64);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(v, "block"),
	                                                         "alloc_thread")),
	                       "T1");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_object_get(v, "block"), "alloc_stack")), 2);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(f, "pairs")), 1);
	p = json_array_get(json_object_get(f, "pairs"), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(p, "count")), 2);
	a0 = json_array_get(json_object_get(p, "accesses"), 0);
	a1 = json_array_get(json_object_get(p, "accesses"), 1);
	CU_ASSERT_FATAL(a0 && a1);
	/* accesses[0] is the earlier one (prev): T2, an atomic write holding lock 2 = M1 */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a0, "thread")), "T2");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a0, "op")), "write");
	CU_ASSERT(json_is_true(json_object_get(a0, "atomic")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(a0, "locks_held"), 0)),
	                       "M1");
	CU_ASSERT(json_object_get(a0, "stack_approx") == NULL);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a1, "thread")), "T3");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a1, "op")), "read");
	CU_ASSERT(json_is_false(json_object_get(a1, "atomic")));
	CU_ASSERT(json_is_true(json_object_get(a1, "stack_approx")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(a1, "locks_held"), 0)),
	                       "M2");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(a1, "stack")), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(json_object_get(a1,
	                                                                                      "stack"),
	                                                                       0),
	                                                        "offset")),
	                       "0x210");
	/* the locks the labels name, the threads with creation stacks */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(json_object_get(f, "locks"),
	                                                                       0),
	                                                        "id")),
	                       "M1");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(f, "threads")), 3); /* T2, T3, T1 */
	t = json_array_get(json_object_get(f, "threads"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(t, "id")), "T2");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(t, "created_stack")), 2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(json_object_get(doc, "summary"),
	                                                                   "by_kind"),
	                                                   "data-race")),
	                1);
	json_decref(doc);
	free(text);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* a statistics counter bumped from many threads: every thread is listed */
static void test_many_threads_listed(void)
{
	struct lb b;
	struct lr_log *log;
	struct fd_result res;
	json_t *doc;
	json_error_t je;
	char *text;
	uint32_t k;

	prologue(&b);
	for (k = 0; k < 70; k++) {
		struct lh_rec_race r = race(GLOBAL_ADDR(MOD_BASE), 100 + k, 100 + k, W, 200 + k, 200 + k, W);
		lb_stack1(&b, 100 + k, STACK_PC(MOD_BASE, 100 + k));
		lb_stack1(&b, 200 + k, STACK_PC(MOD_BASE, 200 + k));
		lb_thread_full(&b, 100 + k, 1, STACKS, 1100 + k, 1000, NULL);
		lb_thread_full(&b, 200 + k, 1, STACKS, 1200 + k, 1000, NULL);
		lb_race(&b, &r, NULL);
	}
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_EQUAL(log->n_errors, 0);
	analyze(log, &res);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	CU_ASSERT_EQUAL(res.f[0].race->n_pairs, 70);
	text = render(log, &res, 1);
	doc = json_loads(text, 0, &je);
	CU_ASSERT_FATAL(doc != NULL);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_array_get(json_object_get(doc, "findings"), 0),
	                                                "threads")),
	                140);
	json_decref(doc);
	free(text);
	text = render(log, &res, 0);
	CU_ASSERT(strstr(text, "T269 (tid 1269), created by T1 at:") != NULL);
	free(text);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* The whole text block of one heap race, compared line by line: module
 * files that do not exist make every frame module+offset, so the text is
 * the same on every machine. */
static const char golden_heap[] =
	"==== lockhound: R1: data race on a heap block (heap, offset 8 of 64 bytes, 4 bytes) — 2 "
	"accesses unordered ====\n"
	"Two threads accessed these bytes, at least one writing, and nothing (no lock\n"
	"both held, no hand-off) ordered the accesses.\n"
	"2 pairs of code locations race on it (3 records).\n"
	"\n"
	"  [1] T2 wrote 4 bytes holding M1; then T3 read 4 bytes holding nothing  (2 times)\n"
	"    T2 wrote 4 bytes holding M1, at 0x10008:\n"
	"      #0  0x7f1200000110  (racy+0x110)\n"
	"      #1  0x7f1200009000  (racy+0x9000)\n"
	"    T3 read 4 bytes holding nothing, at 0x10008:\n"
	"      #0  0x7f1200000210  (racy+0x210)\n"
	"      #1  0x7f1200009000  (racy+0x9000)\n"
	"\n"
	"  [2] T4 wrote 4 bytes holding M1, M2; then T2 atomically wrote 4 bytes holding nothing\n"
	"    T4 wrote 4 bytes holding M1, M2, at 0x10008:\n"
	"      #0  0x7f1200000310  (racy+0x310)\n"
	"      #1  0x7f1200009000  (racy+0x9000)\n"
	"    T2 atomically wrote 4 bytes holding nothing, at 0x10008 (stack rebuilt from the "
	"instrumented calls):\n"
	"      #0  0x7f1200000410  (racy+0x410)\n"
	"      #1  0x7f1200009000  (racy+0x9000)\n"
	"\n"
	"  The block of 64 bytes at 0x10000 was allocated by T1 at:\n"
	"      #0  0x7f1200000710  (racy+0x710)\n"
	"      #1  0x7f1200009000  (racy+0x9000)\n"
	"\n"
	"  M1: mutex at 0x7f1200050040\n"
	"  M2: mutex at 0x7f1200050080\n"
	"\n"
	"  T2 (tid 102), created by T1 at:\n"
	"      #0  0x7f1200001010  (racy+0x1010)\n"
	"      #1  0x7f1200009000  (racy+0x9000)\n"
	"  T3 (tid 103), created by T1 at:\n"
	"      #0  0x7f1200001010  (racy+0x1010)\n"
	"      #1  0x7f1200009000  (racy+0x9000)\n"
	"  T4 (tid 104), created by T1 at:\n"
	"      #0  0x7f1200001010  (racy+0x1010)\n"
	"      #1  0x7f1200009000  (racy+0x9000)\n"
	"  T1 (tid 100), the main thread\n"
	"\n"
	"  Fix: guard every access with one lock that all of them take, or make the\n"
	"  variable atomic.\n"
	"\n"
	"lockhound: warning: " MOD_PATH ": file not found; frames show module+offset\n"
	"lockhound: 1 finding: 1 data race (1 process, at least 4 threads, 0 lock orders recorded)\n";

static void test_text_golden_heap(void)
{
	struct lb b;
	struct lr_log *log;
	struct fd_result res;
	struct lh_rec_race a = heap_race(0x10000, 8, 7);
	struct lh_rec_race c = heap_race(0x10000, 8, 7);
	struct lh_rec_race d = heap_race(0x10000, 8, 7);
	const uint64_t l1 = 1, l12[2] = { 1, 2 };
	char *text;

	a.prev.flags = W;
	a.cur.flags = R;
	a.n_locks_prev = 1;
	c = a;
	c.prev.thread_id = 3; /* the same code from other threads */
	c.cur.thread_id = 4;
	d.prev.thread_id = 4;
	d.prev.stack_id = 3;
	d.cur.thread_id = 2;
	d.cur.stack_id = 4;
	d.cur.flags = W | LH_RACC_ATOMIC | LH_RACC_STACK_APPROX;
	d.n_locks_prev = 2;
	prologue(&b);
	lb_race(&b, &a, &l1);
	lb_race(&b, &d, l12);
	lb_race(&b, &c, &l1);
	lb_end(&b, 900, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_EQUAL(log->n_errors, 0);
	analyze(log, &res);
	text = render(log, &res, 0);
	CU_ASSERT_STRING_EQUAL(text, golden_heap);
	if (strcmp(text, golden_heap) != 0 || getenv("LH_TEST_VERBOSE"))
		printf("\n--- got:\n%s--- end\n", text);
	free(text);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "read: valid record", test_read_valid },
		{ "read: every size check, exact and one short", test_read_size_checks },
		{ "read: held-lock limit", test_read_lock_limit },
		{ "read: impossible values", test_read_bad_values },
		{ "read: dangling references", test_read_dangling_references },
		{ "fold: one variable, one pair", test_fold_one_variable },
		{ "fold: an unnamed global's known extent", test_fold_known_extent },
		{ "fold: pairs most frequent first", test_pairs_most_frequent_first },
		{ "fold: key stable across load address", test_key_stable_across_load_address },
		{ "fold: heap by site and offset", test_heap_by_site_and_offset },
		{ "fold: stack by owner, unknown", test_stack_and_unknown },
		{ "fold: locks and order", test_locks_and_order },
		{ "name: globals of this executable", test_sym_data_self },
		{ "name: atomic globals by their declared type", test_sym_data_atomic },
		{ "name: a global of libm", test_sym_data_shared_library },
		{ "name: a global named and grouped", test_global_named_and_grouped },
		{ "text: names, locks, both sides", test_text_names_locks_and_sides },
		{ "json: shape", test_json_shape },
		{ "text: a whole heap race", test_text_golden_heap },
		{ "threads: all listed", test_many_threads_listed },
	};
	return cunit_run("races", tests, sizeof(tests) / sizeof(tests[0]));
}
