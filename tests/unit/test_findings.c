/*
 * test_findings.c - CUnit tests for analyzer/findings.c: lock-order cycles
 * from scripted edges (thread lifetimes, gate locks, read/write modes,
 * writer-preferring rwlocks, 3-cycles), the choice of context per edge,
 * deduplication by code location, deterministic order, live deadlock and
 * misuse findings, and fd_module_of.
 *
 * Logs are built in memory with tests/unit/logbuild.h.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "logbuild.h"
#include "logread.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define MOD_BASE 0x7f1200000000ull
#define EX LH_MODE_EXCL
#define SH LH_MODE_SHARED

static char err[1024];

/* a log with one module and stacks 1..STACKS, stack k's pc at module
 * offset k * 0x1000 + 0x10 */
#define STACKS 64
static void prologue_at(struct lb *b, uint64_t base)
{
	uint32_t k;

	lb_init(b);
	lb_module(b, base, base, base + 0x100000, NULL, 0, "/usr/lib/libapp.so");
	for (k = 1; k <= STACKS; k++)
		lb_stack1(b, k, base + k * 0x1000 + 0x10);
}

static void prologue(struct lb *b)
{
	prologue_at(b, MOD_BASE);
}

/* read the log and analyze it into res (zeroed first) */
static struct lr_log *analyze(const struct lb *b, struct fd_result *res)
{
	struct lr_log *log = lb_read(b, err, sizeof(err));

	memset(res, 0, sizeof(*res));
	CU_ASSERT_PTR_NOT_NULL(log);
	if (!log)
		return NULL;
	CU_ASSERT_EQUAL(log->n_errors, 0);
	fd_analyze(log, res);
	return log;
}

/* the invariants of every cycle finding */
static void check_cycle(const struct fd_finding *f, const struct lr_log *log)
{
	size_t i;

	CU_ASSERT_EQUAL(f->kind, FD_CYCLE);
	CU_ASSERT(f->log == log);
	CU_ASSERT_PTR_NOT_NULL(f->key);
	CU_ASSERT(f->count >= 1);
	CU_ASSERT(f->n >= 2);
	for (i = 0; i < f->n; i++) {
		CU_ASSERT(f->edges[i] >= log->edges && f->edges[i] < log->edges + log->n_edges);
		CU_ASSERT_EQUAL(f->edges[i]->from, f->locks[i]);
		CU_ASSERT_EQUAL(f->edges[i]->to, f->locks[(i + 1) % f->n]);
	}
}

/* index of lock id in a finding's cycle, or -1 */
static int lock_pos(const struct fd_finding *f, uint64_t id)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->locks[i] == id)
			return (int)i;
	return -1;
}

/* ABBA: thread ta takes a then b (stacks 1, 2), thread tb takes b then a
 * (stacks 3, 4) */
static void abba(struct lb *b, uint64_t la, uint64_t lb_, uint32_t ta, uint32_t tb)
{
	lb_edge(b, la, lb_, ta, 1, 2, EX, EX, NULL, 0);
	lb_edge(b, lb_, la, tb, 3, 4, EX, EX, NULL, 0);
}

static void mutexes(struct lb *b, uint64_t from, uint64_t to)
{
	uint64_t id;

	for (id = from; id <= to; id++)
		lb_lock(b, id, 0x601000 + id * 0x40, LH_LOCK_MUTEX, 0);
}

/* ---- ABBA and thread lifetimes ---------------------------------------------- */

static void test_abba_overlapping(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;
	const struct fd_finding *f;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 200, 900);
	mutexes(&b, 1, 2);
	abba(&b, 1, 2, 1, 2);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	f = &res.f[0];
	check_cycle(f, log);
	CU_ASSERT_EQUAL(f->n, 2);
	CU_ASSERT_EQUAL(f->count, 1);
	CU_ASSERT_EQUAL(f->concurrent, 1);
	CU_ASSERT_EQUAL(f->single_thread, 0);
	CU_ASSERT(lock_pos(f, 1) >= 0 && lock_pos(f, 2) >= 0);
	CU_ASSERT_PTR_NULL(f->live);
	CU_ASSERT_EQUAL(res.n_cycles, 1);
	CU_ASSERT_EQUAL(res.n_infeasible, 0);
	CU_ASSERT_EQUAL(res.capped, 0);
	/* the key names code locations (module + offset), not addresses */
	CU_ASSERT(strstr(f->key, "libapp.so+0x1010") != NULL);
	CU_ASSERT(strstr(f->key, "libapp.so+0x4010") != NULL);
	CU_ASSERT(strstr(f->key, "7f12") == NULL);
	fd_result_free(&res);
	CU_ASSERT_EQUAL(res.n, 0);
	lr_free(log);
	lb_free(&b);
}

static void test_abba_disjoint_lifetimes(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 200);
	lb_thread_life(&b, 2, 300, 400); /* started after 1 ended */
	mutexes(&b, 1, 2);
	abba(&b, 1, 2, 1, 2);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 1); /* still reported: next run may overlap */
	check_cycle(&res.f[0], log);
	CU_ASSERT_EQUAL(res.f[0].concurrent, 0);
	CU_ASSERT_EQUAL(res.f[0].single_thread, 0);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* no end record, or no thread record at all: do not claim they were apart */
static void test_abba_unknown_lifetimes(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 200);
	lb_thread_life(&b, 2, 150, 0); /* never ended */
	mutexes(&b, 1, 4);
	abba(&b, 1, 2, 1, 2);
	lb_edge(&b, 3, 4, 7, 5, 6, EX, EX, NULL, 0); /* threads 7, 8 never announced */
	lb_edge(&b, 4, 3, 8, 7, 8, EX, EX, NULL, 0);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 2);
	CU_ASSERT_EQUAL(res.f[0].concurrent, 1);
	CU_ASSERT_EQUAL(res.f[1].concurrent, 1);
	CU_ASSERT_EQUAL(res.f[0].single_thread, 0);
	CU_ASSERT_EQUAL(res.f[1].single_thread, 0);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

static void test_single_thread_inversion(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 100, 1000);
	mutexes(&b, 1, 2);
	abba(&b, 1, 2, 1, 1);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	check_cycle(&res.f[0], log);
	CU_ASSERT_EQUAL(res.f[0].single_thread, 1);
	CU_ASSERT_EQUAL(res.f[0].concurrent, 0);
	CU_ASSERT_EQUAL(res.f[0].edges[0]->thread, 1);
	CU_ASSERT_EQUAL(res.f[0].edges[1]->thread, 1);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

static void test_self_edge_and_chain_no_finding(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 100, 1000);
	mutexes(&b, 1, 3);
	lb_edge(&b, 1, 1, 1, 1, 2, EX, EX, NULL, 0); /* recursive re-lock */
	lb_edge(&b, 1, 2, 1, 1, 2, EX, EX, NULL, 0);
	lb_edge(&b, 2, 3, 2, 3, 4, EX, EX, NULL, 0);
	lb_edge(&b, 1, 3, 2, 5, 6, EX, EX, NULL, 0);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(res.n, 0);
	CU_ASSERT_EQUAL(res.n_cycles, 0);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* ---- gate locks ---------------------------------------------------------------- */

/* ABBA where the two edges hold gate lock 9 in modes ma / mb (-1: no gate) */
static void gated_abba(struct lb *b, int ma, int mb, uint64_t gate_a, uint64_t gate_b)
{
	struct lh_rec_gate ga = { gate_a, (uint32_t)ma, 0 }, gb = { gate_b, (uint32_t)mb, 0 };

	prologue(b);
	lb_thread_life(b, 1, 100, 1000);
	lb_thread_life(b, 2, 100, 1000);
	mutexes(b, 1, 2);
	lb_lock(b, 9, 0x700000, LH_LOCK_RWLOCK, 0);
	lb_lock(b, 10, 0x700040, LH_LOCK_RWLOCK, 0);
	lb_edge(b, 1, 2, 1, 1, 2, EX, EX, &ga, ma < 0 ? 0 : 1);
	lb_edge(b, 2, 1, 2, 3, 4, EX, EX, &gb, mb < 0 ? 0 : 1);
}

static size_t gated_findings(int ma, int mb, uint64_t gate_a, uint64_t gate_b, size_t *infeasible)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;
	size_t n;

	gated_abba(&b, ma, mb, gate_a, gate_b);
	log = analyze(&b, &res);
	if (!log) {
		lb_free(&b);
		return (size_t)-1;
	}
	n = res.n;
	*infeasible = res.n_infeasible;
	CU_ASSERT_EQUAL(res.n_cycles, 1);
	if (n == 1)
		check_cycle(&res.f[0], log);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
	return n;
}

static void test_gate_exclusive_both(void)
{
	size_t inf = 0;

	CU_ASSERT_EQUAL(gated_findings(EX, EX, 9, 9, &inf), 0);
	CU_ASSERT(inf >= 1);
}

static void test_gate_shared_both(void)
{
	size_t inf = 99;

	CU_ASSERT_EQUAL(gated_findings(SH, SH, 9, 9, &inf), 1);
	CU_ASSERT_EQUAL(inf, 0);
}

static void test_gate_exclusive_and_shared(void)
{
	size_t inf = 0;

	CU_ASSERT_EQUAL(gated_findings(EX, SH, 9, 9, &inf), 0);
	CU_ASSERT_EQUAL(inf, 1);
	CU_ASSERT_EQUAL(gated_findings(SH, EX, 9, 9, &inf), 0);
	CU_ASSERT_EQUAL(inf, 1);
}

static void test_gate_on_one_side_or_different(void)
{
	size_t inf = 99;

	CU_ASSERT_EQUAL(gated_findings(EX, -1, 9, 9, &inf), 1);
	CU_ASSERT_EQUAL(inf, 0);
	CU_ASSERT_EQUAL(gated_findings(-1, EX, 9, 9, &inf), 1);
	CU_ASSERT_EQUAL(gated_findings(EX, EX, 9, 10, &inf), 1); /* different gates */
	CU_ASSERT_EQUAL(inf, 0);
}

/* A -> B has two contexts: the first holds gate G like B -> A does, the
 * second does not; the finding must use the second */
static void test_context_avoiding_gate_chosen(void)
{
	struct lh_rec_gate g = { 9, EX, 0 };
	struct lb b;
	struct fd_result res;
	struct lr_log *log;
	const struct fd_finding *f;
	int pa, pb;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 100, 1000);
	lb_thread_life(&b, 3, 100, 1000);
	mutexes(&b, 1, 2);
	lb_lock(&b, 9, 0x700000, LH_LOCK_MUTEX, 0);
	lb_edge(&b, 1, 2, 1, 1, 2, EX, EX, &g, 1);   /* edges[0]: gated */
	lb_edge(&b, 1, 2, 3, 5, 6, EX, EX, NULL, 0); /* edges[1]: free */
	lb_edge(&b, 2, 1, 2, 3, 4, EX, EX, &g, 1);   /* edges[2]: gated */
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	f = &res.f[0];
	check_cycle(f, log);
	pa = lock_pos(f, 1);
	pb = lock_pos(f, 2);
	CU_ASSERT_FATAL(pa >= 0 && pb >= 0);
	CU_ASSERT(f->edges[pa] == &log->edges[1]);
	CU_ASSERT(f->edges[pb] == &log->edges[2]);
	CU_ASSERT_EQUAL(f->edges[pa]->thread, 3);
	/* the key is made from the chosen contexts' code locations */
	CU_ASSERT(strstr(f->key, "libapp.so+0x5010") != NULL);
	CU_ASSERT(strstr(f->key, "libapp.so+0x1010") == NULL);
	CU_ASSERT_EQUAL(res.n_infeasible, 0);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);

	/* the same, with the free context first and the gated one last */
	prologue(&b);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 100, 1000);
	lb_thread_life(&b, 3, 100, 1000);
	mutexes(&b, 1, 2);
	lb_lock(&b, 9, 0x700000, LH_LOCK_MUTEX, 0);
	lb_edge(&b, 2, 1, 2, 3, 4, EX, EX, &g, 1);   /* edges[0] */
	lb_edge(&b, 1, 2, 3, 5, 6, EX, EX, NULL, 0); /* edges[1] */
	lb_edge(&b, 1, 2, 1, 1, 2, EX, EX, &g, 1);   /* edges[2] */
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	f = &res.f[0];
	pa = lock_pos(f, 1);
	CU_ASSERT_FATAL(pa >= 0);
	CU_ASSERT(f->edges[pa] == &log->edges[1]);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* among feasible contexts, distinct threads win, then concurrent ones */
static void test_context_prefers_distinct_concurrent_threads(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;
	const struct fd_finding *f;
	int pa;

	/* A -> B by thread 1 (first) and by thread 2; B -> A by thread 1 */
	prologue(&b);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 100, 1000);
	mutexes(&b, 1, 2);
	lb_edge(&b, 1, 2, 1, 1, 2, EX, EX, NULL, 0);
	lb_edge(&b, 1, 2, 2, 5, 6, EX, EX, NULL, 0);
	lb_edge(&b, 2, 1, 1, 3, 4, EX, EX, NULL, 0);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	f = &res.f[0];
	pa = lock_pos(f, 1);
	CU_ASSERT_FATAL(pa >= 0);
	CU_ASSERT(f->edges[pa] == &log->edges[1]);
	CU_ASSERT_EQUAL(f->single_thread, 0);
	CU_ASSERT_EQUAL(f->concurrent, 1);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);

	/* B -> A by thread 1 [100, 1000); A -> B by thread 2 (apart from 1,
	 * first) and by thread 3 (alive with 1) */
	prologue(&b);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 2000, 3000);
	lb_thread_life(&b, 3, 200, 900);
	mutexes(&b, 1, 2);
	lb_edge(&b, 1, 2, 2, 1, 2, EX, EX, NULL, 0);
	lb_edge(&b, 1, 2, 3, 5, 6, EX, EX, NULL, 0);
	lb_edge(&b, 2, 1, 1, 3, 4, EX, EX, NULL, 0);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	f = &res.f[0];
	pa = lock_pos(f, 1);
	CU_ASSERT_FATAL(pa >= 0);
	CU_ASSERT(f->edges[pa] == &log->edges[1]);
	CU_ASSERT_EQUAL(f->concurrent, 1);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* ---- read/write modes -------------------------------------------------------------- */

/* T1 takes A in m1a then B in m1b; T2 takes B in m2b then A in m2a; both
 * locks rwlocks with the given flags */
static size_t rw_findings(int m1a, int m1b, int m2b, int m2a, uint32_t flags_a, uint32_t flags_b)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;
	size_t n;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 100, 1000);
	lb_lock(&b, 1, 0x601000, LH_LOCK_RWLOCK, flags_a);
	lb_lock(&b, 2, 0x601040, LH_LOCK_RWLOCK, flags_b);
	lb_edge(&b, 1, 2, 1, 1, 2, (unsigned)m1a, (unsigned)m1b, NULL, 0);
	lb_edge(&b, 2, 1, 2, 3, 4, (unsigned)m2b, (unsigned)m2a, NULL, 0);
	log = analyze(&b, &res);
	if (!log) {
		lb_free(&b);
		return (size_t)-1;
	}
	n = res.n;
	CU_ASSERT_EQUAL(res.n_cycles, 1);
	CU_ASSERT_EQUAL(res.n_infeasible, 1 - n);
	if (n == 1)
		check_cycle(&res.f[0], log);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
	return n;
}

static void test_read_read_cycle(void)
{
	CU_ASSERT_EQUAL(rw_findings(SH, SH, SH, SH, 0, 0), 0);
}

static void test_read_write_cycle(void)
{
	/* T1 writes both, T2 reads both: each waits on a conflicting hold */
	CU_ASSERT_EQUAL(rw_findings(EX, EX, SH, SH, 0, 0), 1);
	/* each thread write-locks its first lock and read-locks the second */
	CU_ASSERT_EQUAL(rw_findings(EX, SH, EX, SH, 0, 0), 1);
	/* T1 reads A, writes B; T2 reads B, reads A: at A a reader waits for a
	 * reader, so T2 gets through */
	CU_ASSERT_EQUAL(rw_findings(SH, EX, SH, SH, 0, 0), 0);
	/* all exclusive: a plain ABBA */
	CU_ASSERT_EQUAL(rw_findings(EX, EX, EX, EX, 0, 0), 1);
}

static void test_writer_preferring_read_cycle(void)
{
	CU_ASSERT_EQUAL(rw_findings(SH, SH, SH, SH, LH_LOCKF_WRITER_PREF, LH_LOCKF_WRITER_PREF), 1);
	/* only one of the two locks queues readers: the other lets T2 through */
	CU_ASSERT_EQUAL(rw_findings(SH, SH, SH, SH, LH_LOCKF_WRITER_PREF, 0), 0);
	CU_ASSERT_EQUAL(rw_findings(SH, SH, SH, SH, 0, LH_LOCKF_WRITER_PREF), 0);
}

/* ---- longer cycles -------------------------------------------------------------------- */

static void test_three_cycle(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;
	const struct fd_finding *f;
	size_t i;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 100, 1000);
	lb_thread_life(&b, 3, 100, 1000);
	mutexes(&b, 1, 3);
	lb_edge(&b, 1, 2, 1, 1, 2, EX, EX, NULL, 0);
	lb_edge(&b, 2, 3, 2, 3, 4, EX, EX, NULL, 0);
	lb_edge(&b, 3, 1, 3, 5, 6, EX, EX, NULL, 0);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	f = &res.f[0];
	check_cycle(f, log);
	CU_ASSERT_EQUAL(f->n, 3);
	CU_ASSERT_EQUAL(f->count, 1);
	CU_ASSERT_EQUAL(f->concurrent, 1);
	CU_ASSERT_EQUAL(f->single_thread, 0);
	for (i = 1; i <= 3; i++)
		CU_ASSERT(lock_pos(f, i) >= 0);
	/* direction kept: 1 -> 2 -> 3 -> 1 */
	CU_ASSERT_EQUAL(f->locks[(lock_pos(f, 1) + 1) % 3], 2);
	CU_ASSERT_EQUAL(f->locks[(lock_pos(f, 2) + 1) % 3], 3);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* two threads only, three locks: 1 -> 2 and 2 -> 3 by T1, 3 -> 1 by T2 */
static void test_three_cycle_two_threads(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 100, 1000);
	mutexes(&b, 1, 3);
	lb_edge(&b, 1, 2, 1, 1, 2, EX, EX, NULL, 0);
	lb_edge(&b, 2, 3, 1, 3, 4, EX, EX, NULL, 0);
	lb_edge(&b, 3, 1, 2, 5, 6, EX, EX, NULL, 0);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	check_cycle(&res.f[0], log);
	CU_ASSERT_EQUAL(res.f[0].n, 3);
	CU_ASSERT_EQUAL(res.f[0].single_thread, 0);
	CU_ASSERT_EQUAL(res.f[0].concurrent, 1);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* Many contexts: A -> B was taken by 199 pool threads holding gate G and
 * once, last, by thread 500 without it; B -> C by 200 threads; C -> A by one
 * thread holding G.  The cycle can block (thread 500 + any B -> C thread +
 * the C -> A thread), so it must be reported, or at least the result must
 * say that a search limit cut the analysis short (res.capped). */
static void test_many_contexts_feasible_one_last(void)
{
	struct lh_rec_gate g = { 9, EX, 0 };
	struct lb b;
	struct fd_result res;
	struct lr_log *log;
	uint32_t t;

	prologue(&b);
	mutexes(&b, 1, 3);
	lb_lock(&b, 9, 0x700000, LH_LOCK_MUTEX, 0);
	for (t = 1; t <= 199; t++)
		lb_edge(&b, 1, 2, t, 1, 2, EX, EX, &g, 1);
	lb_edge(&b, 1, 2, 500, 7, 8, EX, EX, NULL, 0);
	for (t = 200; t < 400; t++)
		lb_edge(&b, 2, 3, t, 3, 4, EX, EX, NULL, 0);
	lb_edge(&b, 3, 1, 400, 5, 6, EX, EX, &g, 1);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(res.n_cycles, 1);
	/* 199 gated A -> B contexts are one kind for the search: the one
	 * ungated context (thread 500) must still be reached and used */
	CU_ASSERT_EQUAL(res.n, 1);
	CU_ASSERT_EQUAL(res.capped, 0);
	if (res.n == 1) {
		int pa = lock_pos(&res.f[0], 1);
		CU_ASSERT_FATAL(pa >= 0);
		CU_ASSERT_EQUAL(res.f[0].edges[pa]->thread, 500);
	}
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* ---- deduplication --------------------------------------------------------------------- */

static void test_dedupe_same_code(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;
	uint64_t k;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 100, 1000);
	mutexes(&b, 1, 100);
	for (k = 0; k < 50; k++) {
		/* every other pair has its ids the other way round, so the
		 * cycle is found starting from the other edge */
		uint64_t a = 1 + 2 * k, c = 2 + 2 * k;
		if (k % 2)
			abba(&b, c, a, 1, 2);
		else
			abba(&b, a, c, 1, 2);
	}
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(res.n_cycles, 50);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	check_cycle(&res.f[0], log);
	CU_ASSERT_EQUAL(res.f[0].count, 50);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* stack ids differ, pcs are the same: still the same code */
static void test_dedupe_by_pc_not_stack_id(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;

	prologue(&b);
	lb_stack1(&b, 101, MOD_BASE + 1 * 0x1000 + 0x10);
	lb_stack1(&b, 102, MOD_BASE + 2 * 0x1000 + 0x10);
	lb_stack1(&b, 103, MOD_BASE + 3 * 0x1000 + 0x10);
	lb_stack1(&b, 104, MOD_BASE + 4 * 0x1000 + 0x10);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 100, 1000);
	mutexes(&b, 1, 4);
	abba(&b, 1, 2, 1, 2);
	lb_edge(&b, 3, 4, 1, 101, 102, EX, EX, NULL, 0);
	lb_edge(&b, 4, 3, 2, 103, 104, EX, EX, NULL, 0);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	CU_ASSERT_EQUAL(res.f[0].count, 2);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

static void test_dedupe_different_code(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 100, 1000);
	mutexes(&b, 1, 6);
	abba(&b, 1, 2, 1, 2);                        /* stacks 1,2 / 3,4 */
	lb_edge(&b, 3, 4, 1, 1, 2, EX, EX, NULL, 0); /* same first edge ... */
	lb_edge(&b, 4, 3, 2, 3, 9, EX, EX, NULL, 0); /* ... other place for the last lock */
	lb_edge(&b, 5, 6, 1, 10, 11, EX, EX, NULL, 0);
	lb_edge(&b, 6, 5, 2, 12, 13, EX, EX, NULL, 0);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 3);
	CU_ASSERT_EQUAL(res.f[0].count, 1);
	CU_ASSERT_EQUAL(res.f[1].count, 1);
	CU_ASSERT_EQUAL(res.f[2].count, 1);
	CU_ASSERT(strcmp(res.f[0].key, res.f[1].key) != 0);
	CU_ASSERT(strcmp(res.f[1].key, res.f[2].key) != 0);
	CU_ASSERT(strcmp(res.f[0].key, res.f[2].key) != 0);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* ASLR: the same program at another load address gives the same key */
static void test_key_stable_across_load_address(void)
{
	struct lb b1, b2;
	struct fd_result r1, r2;
	struct lr_log *l1, *l2;

	prologue_at(&b1, MOD_BASE);
	prologue_at(&b2, 0x7f3456780000ull);
	mutexes(&b1, 1, 2);
	mutexes(&b2, 5, 6);
	abba(&b1, 1, 2, 1, 2);
	abba(&b2, 6, 5, 3, 4); /* other lock and thread ids too */
	l1 = analyze(&b1, &r1);
	l2 = analyze(&b2, &r2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l2);
	CU_ASSERT_EQUAL_FATAL(r1.n, 1);
	CU_ASSERT_EQUAL_FATAL(r2.n, 1);
	CU_ASSERT_STRING_EQUAL(r1.f[0].key, r2.f[0].key);
	fd_result_free(&r1);
	fd_result_free(&r2);
	lr_free(l1);
	lr_free(l2);
	lb_free(&b1);
	lb_free(&b2);
}

/* ---- order ---------------------------------------------------------------------------- */

/* 8 ABBA pairs at different code locations, written in the order of perm */
static void build_many(struct lb *b, const int *perm)
{
	int i;

	prologue(b);
	lb_thread_life(b, 1, 100, 1000);
	lb_thread_life(b, 2, 100, 1000);
	mutexes(b, 1, 16);
	for (i = 0; i < 8; i++) {
		int k = perm[i];
		uint64_t a = 1 + 2 * (uint64_t)k, c = 2 + 2 * (uint64_t)k;
		uint32_t s = 1 + 4 * (uint32_t)((k * 5) % 8); /* stacks scrambled vs lock ids */
		lb_edge(b, a, c, 1, s, s + 1, EX, EX, NULL, 0);
		lb_edge(b, c, a, 2, s + 2, s + 3, EX, EX, NULL, 0);
	}
}

static void test_order_deterministic(void)
{
	static const int fwd[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	static const int rev[8] = { 7, 6, 5, 4, 3, 2, 1, 0 };
	static const int mix[8] = { 3, 7, 0, 5, 2, 6, 1, 4 };
	const int *perms[3] = { fwd, rev, mix };
	char *keys[8];
	size_t i;
	int p, run;

	memset(keys, 0, sizeof(keys));
	for (p = 0; p < 3; p++) {
		for (run = 0; run < 2; run++) {
			struct lb b;
			struct fd_result res;
			struct lr_log *log;

			build_many(&b, perms[p]);
			log = analyze(&b, &res);
			CU_ASSERT_PTR_NOT_NULL_FATAL(log);
			CU_ASSERT_EQUAL(res.n, 8);
			for (i = 0; i < res.n && i < 8; i++) {
				check_cycle(&res.f[i], log);
				if (i > 0) /* sorted, no duplicates */
					CU_ASSERT(strcmp(res.f[i - 1].key, res.f[i].key) < 0);
				if (!keys[i])
					keys[i] = strdup(res.f[i].key);
				else
					CU_ASSERT_STRING_EQUAL(res.f[i].key, keys[i]);
			}
			fd_result_free(&res);
			lr_free(log);
			lb_free(&b);
		}
	}
	for (i = 0; i < 8; i++)
		free(keys[i]);
}

/* findings of two logs appended to one result: not merged across logs */
static void test_two_logs_one_result(void)
{
	struct lb b1, b2;
	struct fd_result res;
	struct lr_log *l1, *l2;

	prologue(&b1);
	prologue(&b2);
	mutexes(&b1, 1, 2);
	mutexes(&b2, 1, 2);
	abba(&b1, 1, 2, 1, 2);
	abba(&b2, 1, 2, 1, 2);
	l1 = lb_read(&b1, err, sizeof(err));
	l2 = lb_read(&b2, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(l1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l2);
	memset(&res, 0, sizeof(res));
	fd_analyze(l1, &res);
	fd_analyze(l2, &res);
	CU_ASSERT_EQUAL_FATAL(res.n, 2);
	CU_ASSERT(res.f[0].log == l1);
	CU_ASSERT(res.f[1].log == l2);
	CU_ASSERT_EQUAL(res.f[0].count, 1);
	CU_ASSERT_EQUAL(res.f[1].count, 1);
	CU_ASSERT_EQUAL(res.n_cycles, 2);
	fd_result_free(&res);
	lr_free(l1);
	lr_free(l2);
	lb_free(&b1);
	lb_free(&b2);
}

/* ---- live findings ---------------------------------------------------------------------- */

static void live_deadlock(struct lb *b, uint64_t la, uint64_t lb_)
{
	struct lh_rec_finding f;
	struct lh_rec_finding_item it[4];

	memset(&f, 0, sizeof(f));
	memset(it, 0, sizeof(it));
	f.kind = LH_FIND_DEADLOCK;
	f.thread_id = 1;
	f.stack_id = 2;
	f.lock_id = lb_;
	f.n_items = 4;
	it[0] = (struct lh_rec_finding_item){ 1, LH_ROLE_WAITS, lb_, 2, 1, EX, 0 };
	it[1] = (struct lh_rec_finding_item){ 1, LH_ROLE_HOLDS, la, 1, 0, EX, 0 };
	it[2] = (struct lh_rec_finding_item){ 2, LH_ROLE_WAITS, la, 4, 3, EX, 0 };
	it[3] = (struct lh_rec_finding_item){ 2, LH_ROLE_HOLDS, lb_, 3, 0, EX, 0 };
	lb_finding(b, &f, it);
}

static void misuse(struct lb *b, uint32_t what, uint32_t stack)
{
	struct lh_rec_finding f;

	memset(&f, 0, sizeof(f));
	f.kind = LH_FIND_MISUSE;
	f.what = what;
	f.thread_id = 1;
	f.stack_id = stack;
	f.lock_id = 1;
	lb_finding(b, &f, NULL);
}

static void test_live_deadlock_folds_cycle(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 0);
	lb_thread_life(&b, 2, 100, 0);
	mutexes(&b, 1, 4);
	abba(&b, 1, 2, 1, 2);
	lb_edge(&b, 3, 4, 1, 20, 21, EX, EX, NULL, 0); /* another cycle, not seen live */
	lb_edge(&b, 4, 3, 2, 22, 23, EX, EX, NULL, 0);
	live_deadlock(&b, 1, 2);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 2);
	CU_ASSERT_EQUAL(res.f[0].kind, FD_DEADLOCK); /* most urgent first */
	CU_ASSERT(res.f[0].live == &log->findings[0]);
	CU_ASSERT_EQUAL(res.f[0].count, 1);
	CU_ASSERT(lock_pos(&res.f[0], 1) >= 0 && lock_pos(&res.f[0], 2) >= 0);
	CU_ASSERT_EQUAL(res.f[1].kind, FD_CYCLE);
	CU_ASSERT(lock_pos(&res.f[1], 3) >= 0 && lock_pos(&res.f[1], 4) >= 0);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

static void test_misuse_dedupe(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;
	size_t i, n_mis = 0, total = 0;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 0);
	mutexes(&b, 1, 1);
	misuse(&b, 1, 5);
	misuse(&b, 1, 5);
	misuse(&b, 1, 5);
	misuse(&b, 2, 5); /* other kind of misuse, same place */
	misuse(&b, 1, 6); /* same kind, other place */
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(res.n, 3);
	for (i = 0; i < res.n; i++) {
		CU_ASSERT_EQUAL(res.f[i].kind, FD_MISUSE);
		CU_ASSERT_PTR_NOT_NULL(res.f[i].live);
		if (res.f[i].live && res.f[i].live->f.what == 1 && res.f[i].live->f.stack_id == 5)
			CU_ASSERT_EQUAL(res.f[i].count, 3);
		n_mis++;
		total += res.f[i].count;
	}
	CU_ASSERT_EQUAL(n_mis, 3);
	CU_ASSERT_EQUAL(total, 5);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

static void test_kinds_ordered(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;

	prologue(&b);
	lb_thread_life(&b, 1, 100, 0);
	lb_thread_life(&b, 2, 100, 0);
	mutexes(&b, 1, 4);
	misuse(&b, 1, 30);
	abba(&b, 3, 4, 1, 2);
	lb_edge(&b, 1, 2, 1, 20, 21, EX, EX, NULL, 0);
	lb_edge(&b, 2, 1, 2, 22, 23, EX, EX, NULL, 0);
	live_deadlock(&b, 1, 2);
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 3);
	CU_ASSERT_EQUAL(res.f[0].kind, FD_DEADLOCK);
	CU_ASSERT_EQUAL(res.f[1].kind, FD_CYCLE);
	CU_ASSERT_EQUAL(res.f[2].kind, FD_MISUSE);
	CU_ASSERT(lock_pos(&res.f[1], 3) >= 0);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* ---- fd_module_of -------------------------------------------------------------------------- */

static void test_module_of(void)
{
	struct lb b;
	struct lr_log *log;

	lb_init(&b);
	lb_module(&b, 0, 0x400000, 0x500000, NULL, 0, "/bin/prog");
	lb_module(&b, 0x7f00000000ull, 0x7f00000000ull, 0x7f00100000ull, NULL, 0, "/lib/a.so");
	/* a.so dlclose'd, b.so loaded over part of its range */
	lb_module(&b, 0x7f00080000ull, 0x7f00080000ull, 0x7f00200000ull, NULL, 0, "/lib/b.so");
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(fd_module_of(log, 0x400000), 0);
	CU_ASSERT_EQUAL(fd_module_of(log, 0x4fffff), 0);
	CU_ASSERT_EQUAL(fd_module_of(log, 0x500000), -1); /* hi is exclusive */
	CU_ASSERT_EQUAL(fd_module_of(log, 0x3fffff), -1);
	CU_ASSERT_EQUAL(fd_module_of(log, 0x7f00000010ull), 1);
	CU_ASSERT_EQUAL(fd_module_of(log, 0x7f00090000ull), 2); /* later record wins */
	CU_ASSERT_EQUAL(fd_module_of(log, 0x7f00150000ull), 2);
	CU_ASSERT_EQUAL(fd_module_of(log, 0), -1);
	lr_free(log);
	lb_free(&b);
}

/* a pc outside every module still gives a usable key */
static void test_key_without_module(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;

	lb_init(&b); /* no module record */
	lb_stack1(&b, 1, 0x1111);
	lb_stack1(&b, 3, 0x3333);
	mutexes(&b, 1, 2);
	lb_edge(&b, 1, 2, 1, 1, 2, EX, EX, NULL, 0); /* stack 2 never written */
	lb_edge(&b, 2, 1, 2, 3, 0, EX, EX, NULL, 0); /* no stack */
	log = analyze(&b, &res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.f[0].key);
	CU_ASSERT(strstr(res.f[0].key, "1111") != NULL);
	CU_ASSERT(strstr(res.f[0].key, "3333") != NULL);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "ABBA, overlapping lifetimes", test_abba_overlapping },
		{ "ABBA, disjoint lifetimes", test_abba_disjoint_lifetimes },
		{ "ABBA, unknown lifetimes", test_abba_unknown_lifetimes },
		{ "single-thread inversion", test_single_thread_inversion },
		{ "self-edge and DAG: nothing", test_self_edge_and_chain_no_finding },
		{ "gate exclusive on both sides", test_gate_exclusive_both },
		{ "gate shared on both sides", test_gate_shared_both },
		{ "gate exclusive vs shared", test_gate_exclusive_and_shared },
		{ "gate on one side / different gates", test_gate_on_one_side_or_different },
		{ "context avoiding the gate chosen", test_context_avoiding_gate_chosen },
		{ "context: distinct, concurrent threads", test_context_prefers_distinct_concurrent_threads },
		{ "read-read cycle", test_read_read_cycle },
		{ "read/write cycles", test_read_write_cycle },
		{ "writer-preferring read cycle", test_writer_preferring_read_cycle },
		{ "3-cycle", test_three_cycle },
		{ "3-cycle, two threads", test_three_cycle_two_threads },
		{ "many contexts, the feasible one last", test_many_contexts_feasible_one_last },
		{ "dedupe: 50 pairs, same code", test_dedupe_same_code },
		{ "dedupe: by pc, not stack id", test_dedupe_by_pc_not_stack_id },
		{ "dedupe: different code", test_dedupe_different_code },
		{ "key stable across load address", test_key_stable_across_load_address },
		{ "order deterministic", test_order_deterministic },
		{ "two logs, one result", test_two_logs_one_result },
		{ "live deadlock folds its cycle", test_live_deadlock_folds_cycle },
		{ "misuse dedupe", test_misuse_dedupe },
		{ "kinds ordered", test_kinds_ordered },
		{ "fd_module_of", test_module_of },
		{ "key without module", test_key_without_module },
	};
	return cunit_run("findings", tests, sizeof(tests) / sizeof(tests[0]));
}
