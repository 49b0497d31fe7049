/*
 * test_findings_dense.c - CUnit stress tests of the bounded lock-order
 * analysis (analyzer/findings.c): generated dense graphs with many gated
 * contexts per edge, where the cycle enumeration and the per-cycle choice
 * search used to multiply into minutes.
 *
 *   - rotated orders: N locks, round r takes lock r, r+1, ..., r-1 (mod N),
 *     each while holding all the earlier ones (gate sets: the first
 *     LH_MAX_GATES other held locks, as the shim records them);
 *   - random orders: rounds taking all N locks in a random order, likewise.
 *
 * Every round is its own thread, the rounds one after another.  All edges
 * share one call site, so every 2-lock cycle folds into one finding whose
 * count must equal the number of 2-cycles that really have a choice of
 * contexts without a common gate, computed here by brute force.  And: the
 * budget, when it is made small, is said (budget_hit, n_undecided), and
 * cheap cycles are decided before expensive ones use it up.
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

#define MOD_BASE 0x7f1200000000ull
#define EX LH_MODE_EXCL
#define MAX_N 64

static char err[1024];

/* One generated context of an edge, kept for the brute-force truth. */
struct gctx {
	uint64_t from, to;
	uint32_t n_gates;
	uint64_t gates[LH_MAX_GATES];
};

struct gen {
	struct lb b;
	struct gctx *ctx;
	size_t n_ctx, cap_ctx;
	size_t n_locks;
};

static void gen_init(struct gen *g, size_t n_locks, size_t n_rounds)
{
	uint64_t id;

	memset(g, 0, sizeof(*g));
	lb_init(&g->b);
	lb_module(&g->b, MOD_BASE, MOD_BASE, MOD_BASE + 0x100000, NULL, 0, "/usr/lib/libapp.so");
	lb_stack1(&g->b, 1, MOD_BASE + 0x1010);
	for (id = 1; id <= n_locks; id++)
		lb_lock(&g->b, id, 0x601000 + id * 0x40, LH_LOCK_MUTEX, 0);
	/* rounds one after another: lifetimes never overlap */
	for (id = 1; id <= n_rounds; id++)
		lb_thread_life(&g->b, (uint32_t)id, id * 1000, id * 1000 + 500);
	g->n_locks = n_locks;
}

static void gen_free(struct gen *g)
{
	lb_free(&g->b);
	free(g->ctx);
}

/* One round by thread `thread`: order[0..n) taken in turn, each while
 * holding all before it. */
static void gen_round(struct gen *g, uint32_t thread, const uint64_t *order, size_t n)
{
	size_t i, j, k;

	for (j = 1; j < n; j++) {
		for (i = 0; i < j; i++) {
			struct lh_rec_gate gates[LH_MAX_GATES];
			struct gctx *c;
			uint32_t ng = 0;

			for (k = 0; k < j && ng < LH_MAX_GATES; k++) {
				if (k == i)
					continue;
				memset(&gates[ng], 0, sizeof(gates[ng]));
				gates[ng].lock_id = order[k];
				gates[ng].mode = EX;
				ng++;
			}
			lb_edge(&g->b, order[i], order[j], thread, 1, 1, EX, EX, gates, ng);
			if (g->n_ctx == g->cap_ctx) {
				g->cap_ctx = g->cap_ctx ? g->cap_ctx * 2 : 1024;
				g->ctx = realloc(g->ctx, g->cap_ctx * sizeof(*g->ctx));
				CU_ASSERT_PTR_NOT_NULL_FATAL(g->ctx);
			}
			c = &g->ctx[g->n_ctx++];
			c->from = order[i];
			c->to = order[j];
			c->n_gates = ng;
			for (k = 0; k < ng; k++)
				c->gates[k] = gates[k].lock_id;
		}
	}
}

static void gen_rotated(struct gen *g, size_t n)
{
	uint64_t order[MAX_N];
	size_t r, i;

	gen_init(g, n, n);
	for (r = 0; r < n; r++) {
		for (i = 0; i < n; i++)
			order[i] = 1 + (r + i) % n;
		gen_round(g, (uint32_t)(r + 1), order, n);
	}
}

static uint64_t rng_state;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void gen_random(struct gen *g, size_t n, size_t rounds, uint64_t seed)
{
	uint64_t order[MAX_N];
	size_t r, i;

	rng_state = seed;
	gen_init(g, n, rounds);
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++)
			order[i] = 1 + i;
		for (i = n - 1; i > 0; i--) {
			size_t j = (size_t)(rng() % (i + 1));
			uint64_t t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		gen_round(g, (uint32_t)(r + 1), order, n);
	}
}

static int share_gate(const struct gctx *a, const struct gctx *b)
{
	uint32_t i, j;

	for (i = 0; i < a->n_gates; i++)
		for (j = 0; j < b->n_gates; j++)
			if (a->gates[i] == b->gates[j])
				return 1;
	return 0;
}

/* Brute force: 2-cycles {a, b} with a context of a -> b and one of b -> a
 * that share no gate (all modes exclusive: every lock blocks). */
static size_t feasible_2cycles(const struct gen *g)
{
	size_t a, b, i, j, n = 0;

	for (a = 1; a <= g->n_locks; a++)
		for (b = a + 1; b <= g->n_locks; b++) {
			int ok = 0;
			for (i = 0; i < g->n_ctx && !ok; i++) {
				const struct gctx *x = &g->ctx[i];
				if (x->from != a || x->to != b)
					continue;
				for (j = 0; j < g->n_ctx && !ok; j++) {
					const struct gctx *y = &g->ctx[j];
					if (y->from == b && y->to == a && !share_gate(x, y))
						ok = 1;
				}
			}
			n += (size_t)ok;
		}
	return n;
}

/* the count of the finding of 2-lock cycles (0 if there is none) */
static size_t two_lock_count(const struct fd_result *res)
{
	size_t i, n = 0, count = 0;

	for (i = 0; i < res->n; i++)
		if (res->f[i].kind == FD_CYCLE && res->f[i].n == 2) {
			count = res->f[i].count;
			n++;
		}
	CU_ASSERT(n <= 1); /* one call site: one finding per length */
	return count;
}

/* The default work budgets, and a CPU-time backstop far above them:
 * what these tests assert is decided by work, never by how loaded the
 * machine is (or how slow a sanitizer build). */
static const struct fd_bounds work_only = { 0, 0, 3600 * 1000L };

static struct lr_log *analyze(struct gen *g, struct fd_result *res, const struct fd_bounds *bd)
{
	struct lr_log *log = lb_read(&g->b, err, sizeof(err));

	memset(res, 0, sizeof(*res));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	fd_analyze_bounded(log, res, bd);
	return log;
}

/* every finding is a real cycle of the log's edges, with no common gate
 * between its chosen contexts */
static void check_findings(const struct fd_result *res)
{
	size_t i, j, k, l, m;

	for (i = 0; i < res->n; i++) {
		const struct fd_finding *f = &res->f[i];
		CU_ASSERT_EQUAL_FATAL(f->kind, FD_CYCLE);
		for (j = 0; j < f->n; j++) {
			CU_ASSERT_EQUAL(f->edges[j]->from, f->locks[j]);
			CU_ASSERT_EQUAL(f->edges[j]->to, f->locks[(j + 1) % f->n]);
			for (k = 0; k < j; k++)
				for (l = 0; l < f->edges[j]->n_gates; l++)
					for (m = 0; m < f->edges[k]->n_gates; m++)
						CU_ASSERT_NOT_EQUAL(f->edges[j]->gates[l].lock_id,
						                    f->edges[k]->gates[m].lock_id);
		}
	}
}

static void rotated_case(size_t n)
{
	struct gen g;
	struct fd_result res;
	struct lr_log *log;
	size_t truth;

	gen_rotated(&g, n);
	truth = feasible_2cycles(&g);
	/* the rotations starting at a and at b invert a and b without a
	 * common gate: every pair */
	CU_ASSERT_EQUAL(truth, n * (n - 1) / 2);
	log = analyze(&g, &res, &work_only);
	CU_ASSERT_EQUAL(two_lock_count(&res), truth);
	/* within the default budget: nothing left undecided */
	CU_ASSERT_EQUAL(res.budget_hit, 0);
	CU_ASSERT_EQUAL(res.n_undecided, 0);
	check_findings(&res);
	fd_result_free(&res);
	lr_free(log);
	gen_free(&g);
}

static void test_rotated_10(void)
{
	rotated_case(10);
}

static void test_rotated_45(void)
{
	rotated_case(45);
}

static void random_case(size_t n, size_t rounds, uint64_t seed)
{
	struct gen g;
	struct fd_result res;
	struct lr_log *log;
	size_t truth;

	gen_random(&g, n, rounds, seed);
	truth = feasible_2cycles(&g);
	log = analyze(&g, &res, &work_only);
	/* shortest first: the 2-cycles are all seen before the enumeration
	 * reaches its cap on the longer ones */
	CU_ASSERT_EQUAL(two_lock_count(&res), truth);
	CU_ASSERT_EQUAL(res.budget_hit, 0);
	check_findings(&res);
	fd_result_free(&res);
	lr_free(log);
	gen_free(&g);
}

static void test_random_10(void)
{
	random_case(10, 4, 0x1234567ull);
}

static void test_random_64(void)
{
	struct gen g;

	random_case(64, 3, 0x9e3779b97f4a7c15ull);
	/* the case is not trivial: some pairs are inverted without a common
	 * gate, many only with one */
	gen_random(&g, 64, 3, 0x9e3779b97f4a7c15ull);
	CU_ASSERT(feasible_2cycles(&g) > 0);
	CU_ASSERT(feasible_2cycles(&g) < 64 * 63 / 2);
	gen_free(&g);
}

/* A budget of one unit of work decides nothing, and says so. */
static void test_budget_said(void)
{
	struct gen g;
	struct fd_result res;
	struct lr_log *log;
	struct fd_bounds bd = { 1, 0, 0 };

	gen_rotated(&g, 10);
	log = analyze(&g, &res, &bd);
	CU_ASSERT_EQUAL(res.budget_hit, 1);
	CU_ASSERT(res.n_undecided > 0);
	CU_ASSERT(res.n_cycles > 0);
	CU_ASSERT(res.n_undecided <= res.n_cycles);
	CU_ASSERT_EQUAL(res.n, 0); /* nothing was decided feasible */
	fd_result_free(&res);
	lr_free(log);
	/* a memory bound of one context stops the enumeration, and says so */
	bd.choice_budget = 0;
	bd.max_reps = 1;
	log = analyze(&g, &res, &bd);
	CU_ASSERT_EQUAL(res.budget_hit, 1);
	fd_result_free(&res);
	lr_free(log);
	gen_free(&g);
}

/*
 * Cheap cycles first.  Locks 1..16 form 8 expensive 2-cycles, enumerated
 * first: each edge has 64 kinds of context (gates {G, H_k}) from 4 threads,
 * all sharing the gate G with every context of the reverse edge, so each is
 * infeasible only after 256 x 256 gate comparisons.  Locks 100 and 101 form
 * a plain ABBA without gates, enumerated last.  With a budget of about two
 * expensive searches, the cheap cycle is still reported; the expensive ones
 * are ruled out or left undecided, and the budget is said.
 */
static void build_expensive_then_cheap(struct lb *b)
{
	uint64_t k, kind, id;
	uint32_t t;

	lb_init(b);
	lb_module(b, MOD_BASE, MOD_BASE, MOD_BASE + 0x100000, NULL, 0, "/usr/lib/libapp.so");
	lb_stack1(b, 1, MOD_BASE + 0x1010);
	lb_stack1(b, 2, MOD_BASE + 0x2010);
	for (id = 1; id <= 16; id++)
		lb_lock(b, id, 0x601000 + id * 0x40, LH_LOCK_MUTEX, 0);
	lb_lock(b, 100, 0x700000, LH_LOCK_MUTEX, 0);
	lb_lock(b, 101, 0x700040, LH_LOCK_MUTEX, 0);
	lb_lock(b, 500, 0x800000, LH_LOCK_MUTEX, 0); /* G */
	for (kind = 0; kind < 64; kind++)
		lb_lock(b, 1000 + kind, 0x900000 + kind * 0x40, LH_LOCK_MUTEX, 0);
	for (t = 1; t <= 6; t++)
		lb_thread_life(b, t, 100, 10000);
	for (k = 0; k < 8; k++) {
		uint64_t a = 1 + 2 * k, c = 2 + 2 * k;
		for (kind = 0; kind < 64; kind++)
			for (t = 1; t <= 4; t++) {
				struct lh_rec_gate gates[2];
				memset(gates, 0, sizeof(gates));
				gates[0].lock_id = 500;
				gates[0].mode = EX;
				gates[1].lock_id = 1000 + kind;
				gates[1].mode = EX;
				lb_edge(b, a, c, t, 1, 2, EX, EX, gates, 2);
				lb_edge(b, c, a, t, 2, 1, EX, EX, gates, 2);
			}
	}
	lb_edge(b, 100, 101, 5, 1, 2, EX, EX, NULL, 0);
	lb_edge(b, 101, 100, 6, 2, 1, EX, EX, NULL, 0);
}

static void test_cheap_first(void)
{
	struct lb b;
	struct fd_result res;
	struct lr_log *log;
	struct fd_bounds bd = { 150000, 0, 3600 * 1000L };

	build_expensive_then_cheap(&b);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);

	/* the defaults: all decided, the 8 expensive ones ruled out */
	memset(&res, 0, sizeof(res));
	fd_analyze_bounded(log, &res, &work_only);
	CU_ASSERT_EQUAL(res.n_cycles, 9);
	CU_ASSERT_EQUAL(res.n_infeasible, 8);
	CU_ASSERT_EQUAL(res.budget_hit, 0);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	CU_ASSERT_EQUAL(res.f[0].locks[0], 100);
	fd_result_free(&res);

	/* a small budget: the cheap cycle still reported */
	memset(&res, 0, sizeof(res));
	fd_analyze_bounded(log, &res, &bd);
	CU_ASSERT_EQUAL(res.n_cycles, 9);
	CU_ASSERT_EQUAL(res.budget_hit, 1);
	CU_ASSERT(res.n_undecided >= 1);
	CU_ASSERT(res.n_infeasible >= 1);
	CU_ASSERT_EQUAL(res.n_infeasible + res.n_undecided, 8);
	CU_ASSERT_EQUAL_FATAL(res.n, 1);
	CU_ASSERT_EQUAL(res.f[0].kind, FD_CYCLE);
	CU_ASSERT_EQUAL(res.f[0].locks[0], 100);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

/* Two contexts with 40 gates each, none in common: their gate masks (one
 * bit of 64 per gate) surely meet, so only the exact comparison can tell
 * that they can run at once; a 41st gate shared in exclusive mode then
 * rules the cycle out, one shared in read mode on both sides does not. */
static void many_gates(int common, int common_mode, int want)
{
	struct lh_rec_gate ga[41], gb[41];
	struct lb b;
	struct fd_result res;
	struct lr_log *log;
	uint64_t id;
	uint32_t i, n = common ? 41 : 40;

	lb_init(&b);
	lb_module(&b, MOD_BASE, MOD_BASE, MOD_BASE + 0x100000, NULL, 0, "/usr/lib/libapp.so");
	lb_stack1(&b, 1, MOD_BASE + 0x1010);
	lb_stack1(&b, 2, MOD_BASE + 0x2010);
	for (id = 1; id <= 2; id++)
		lb_lock(&b, id, 0x601000 + id * 0x40, LH_LOCK_MUTEX, 0);
	for (id = 0; id < 81; id++)
		lb_lock(&b, 1000 + id, 0x700000 + id * 0x40, LH_LOCK_MUTEX, 0);
	lb_thread_life(&b, 1, 100, 1000);
	lb_thread_life(&b, 2, 100, 1000);
	memset(ga, 0, sizeof(ga));
	memset(gb, 0, sizeof(gb));
	for (i = 0; i < 40; i++) {
		ga[i].lock_id = 1000 + i;
		ga[i].mode = EX;
		gb[i].lock_id = 1040 + i;
		gb[i].mode = EX;
	}
	ga[40].lock_id = gb[40].lock_id = 1080;
	ga[40].mode = gb[40].mode = (uint16_t)common_mode;
	lb_edge(&b, 1, 2, 1, 1, 2, EX, EX, ga, n);
	lb_edge(&b, 2, 1, 2, 2, 1, EX, EX, gb, n);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	memset(&res, 0, sizeof(res));
	fd_analyze(log, &res);
	CU_ASSERT_EQUAL(res.n_cycles, 1);
	CU_ASSERT_EQUAL(res.n, (size_t)want);
	CU_ASSERT_EQUAL(res.n_infeasible, (size_t)!want);
	fd_result_free(&res);
	lr_free(log);
	lb_free(&b);
}

static void test_many_gates_compared_exactly(void)
{
	many_gates(0, EX, 1);
	many_gates(1, EX, 0);
	many_gates(1, LH_MODE_SHARED, 1);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "rotated orders, N = 10", test_rotated_10 },
		{ "rotated orders, N = 45", test_rotated_45 },
		{ "random orders, N = 10", test_random_10 },
		{ "random orders, N = 64", test_random_64 },
		{ "a budget hit is said", test_budget_said },
		{ "cheap cycles first", test_cheap_first },
		{ "many gates compared exactly", test_many_gates_compared_exactly },
	};
	return cunit_run("findings_dense", tests, sizeof(tests) / sizeof(tests[0]));
}
