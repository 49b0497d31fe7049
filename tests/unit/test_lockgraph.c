/*
 * test_lockgraph.c - CUnit tests for analyzer/lockgraph.c: graph building,
 * contexts per edge, SCC/cycle enumeration (exact sequences and order),
 * limits and the capped flag, stack safety on long chains, and a
 * brute-force cross-check on many small random graphs.
 *
 * Self-contained: no threads, no files; every symbol is static because the
 * test is linked together with the rest of the analyzer.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockgraph.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- collecting cycles ------------------------------------------------ */

struct cyc {
	size_t n;
	uint64_t *nodes;
	size_t *n_ctx;
	size_t *ctx_off;        /* ctx of edge i: ctx[ctx_off[i] .. + n_ctx[i]] */
	uint32_t *ctx;
};

struct coll {
	struct cyc *v;
	size_t n, cap;
	size_t calls;
	size_t stop_after;      /* callback returns 1 on this call; 0: never */
	int no_keep;            /* only count and check, do not store */
	int bad;                /* invariant violations seen in the callback */
	uint64_t last_first;
};

static void coll_init(struct coll *c)
{
	memset(c, 0, sizeof *c);
}

static void coll_free(struct coll *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].nodes);
		free(c->v[i].n_ctx);
		free(c->v[i].ctx_off);
		free(c->v[i].ctx);
	}
	free(c->v);
	memset(c, 0, sizeof *c);
}

/* Checks what must hold for every delivered cycle, then copies it (the
 * arrays are only valid during the callback). */
static int collect(void *arg, const struct lg_cycle *cy)
{
	struct coll *c = arg;
	struct cyc *k;
	size_t total = 0;

	c->calls++;
	if (cy->n < 2)
		c->bad++;
	for (size_t i = 1; i < cy->n; i++)
		if (cy->nodes[i] <= cy->nodes[0])
			c->bad++;       /* nodes[0] must be the strict minimum */
	if (cy->n <= 64)
		for (size_t i = 0; i < cy->n; i++)
			for (size_t j = i + 1; j < cy->n; j++)
				if (cy->nodes[i] == cy->nodes[j])
					c->bad++; /* not elementary */
	if (c->calls > 1 && cy->nodes[0] < c->last_first)
		c->bad++;               /* order: nodes[0] non-decreasing */
	c->last_first = cy->nodes[0];
	for (size_t i = 0; i < cy->n; i++) {
		if (cy->n_ctx[i] < 1 || !cy->ctx[i])
			c->bad++;
		total += cy->n_ctx[i];
	}

	if (!c->no_keep) {
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 16;
			c->v = realloc(c->v, c->cap * sizeof *c->v);
			if (!c->v)
				abort();
		}
		k = &c->v[c->n++];
		k->n = cy->n;
		k->nodes = malloc(cy->n * sizeof *k->nodes);
		k->n_ctx = malloc(cy->n * sizeof *k->n_ctx);
		k->ctx_off = malloc(cy->n * sizeof *k->ctx_off);
		k->ctx = malloc((total ? total : 1) * sizeof *k->ctx);
		if (!k->nodes || !k->n_ctx || !k->ctx_off || !k->ctx)
			abort();
		memcpy(k->nodes, cy->nodes, cy->n * sizeof *k->nodes);
		total = 0;
		for (size_t i = 0; i < cy->n; i++) {
			k->n_ctx[i] = cy->n_ctx[i];
			k->ctx_off[i] = total;
			memcpy(k->ctx + total, cy->ctx[i], cy->n_ctx[i] * sizeof *k->ctx);
			total += cy->n_ctx[i];
		}
	}
	return c->stop_after && c->calls == c->stop_after;
}

static int run(struct lg_graph *g, size_t max_len, size_t max_cycles,
               size_t max_steps, struct coll *c, struct lg_stats *st)
{
	struct lg_limits lim = { max_len, max_cycles, max_steps, 0 };

	return lg_for_each_cycle(g, &lim, collect, c, st);
}

static int cyc_is(const struct coll *c, size_t i, const uint64_t *nodes,
                  size_t n)
{
	return i < c->n && c->v[i].n == n &&
	       memcmp(c->v[i].nodes, nodes, n * sizeof *nodes) == 0;
}

#define CYC_IS(c, i, ...) \
	cyc_is((c), (i), (const uint64_t[]){ __VA_ARGS__ }, \
	       sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

static int ctx_is(const struct coll *c, size_t i, size_t edge,
                  const uint32_t *want, size_t n)
{
	const struct cyc *k;

	if (i >= c->n || edge >= c->v[i].n)
		return 0;
	k = &c->v[i];
	return k->n_ctx[edge] == n &&
	       memcmp(k->ctx + k->ctx_off[edge], want, n * sizeof *want) == 0;
}

#define CTX_IS(c, i, edge, ...) \
	ctx_is((c), (i), (edge), (const uint32_t[]){ __VA_ARGS__ }, \
	       sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t))

static struct lg_graph *graph_of(const uint64_t (*e)[2], size_t n)
{
	struct lg_graph *g = lg_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(lg_add_edge(g, e[i][0], e[i][1], (uint32_t)i), 0);
	return g;
}

static struct lg_graph *complete(size_t k)
{
	struct lg_graph *g = lg_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (uint64_t a = 1; a <= k; a++)
		for (uint64_t b = 1; b <= k; b++)
			if (a != b)
				CU_ASSERT_EQUAL(lg_add_edge(g, a, b, 0), 0);
	return g;
}

/* Elementary cycles of the complete digraph K_k: sum C(k,j) (j-1)!. */
static size_t complete_cycles(size_t k, size_t max_len)
{
	size_t total = 0;

	for (size_t j = 2; j <= k && j <= max_len; j++) {
		size_t binom = 1, fact = 1;

		for (size_t i = 0; i < j; i++)
			binom = binom * (k - i) / (i + 1);
		for (size_t i = 2; i < j; i++)
			fact *= i;
		total += binom * fact;
	}
	return total;
}

/* ---- basic graph building --------------------------------------------- */

static void test_empty(void)
{
	struct lg_graph *g = lg_new();
	struct coll c;
	struct lg_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	coll_init(&c);
	CU_ASSERT_EQUAL(lg_node_count(g), 0);
	CU_ASSERT_EQUAL(lg_edge_count(g), 0);
	memset(&st, 0xff, sizeof st);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_nodes, 0);
	CU_ASSERT_EQUAL(st.n_edges, 0);
	CU_ASSERT_EQUAL(st.n_sccs, 0);
	CU_ASSERT_EQUAL(st.n_cycles, 0);
	CU_ASSERT_EQUAL(st.capped, 0);
	CU_ASSERT_EQUAL(c.calls, 0);
	coll_free(&c);
	lg_free(g);
	lg_free(NULL);
}

static void test_counts(void)
{
	struct lg_graph *g = lg_new();
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(lg_add_edge(g, 1, 2, 0), 0);
	CU_ASSERT_EQUAL(lg_node_count(g), 2);
	CU_ASSERT_EQUAL(lg_edge_count(g), 1);
	CU_ASSERT_EQUAL(lg_add_edge(g, 2, 1, 0), 0);    /* reverse: new edge */
	CU_ASSERT_EQUAL(lg_node_count(g), 2);
	CU_ASSERT_EQUAL(lg_edge_count(g), 2);
	CU_ASSERT_EQUAL(lg_add_edge(g, 2, 3, 0), 0);
	CU_ASSERT_EQUAL(lg_node_count(g), 3);
	CU_ASSERT_EQUAL(lg_edge_count(g), 3);

	/* Many sparse 64-bit ids (addresses look like this): a star from
	 * each of 3000 nodes to the next 3 of a ring, each added twice. */
	lg_free(g);
	g = lg_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	uint64_t *ids = malloc(3000 * sizeof *ids);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ids);
	for (size_t i = 0; i < 3000; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		ids[i] = (x | 1) ^ ((uint64_t)i << 1);  /* distinct, nonzero */
	}
	for (int rep = 0; rep < 2; rep++)
		for (size_t i = 0; i < 3000; i++)
			for (size_t d = 1; d <= 3; d++)
				CU_ASSERT_EQUAL(lg_add_edge(g, ids[i],
				        ids[(i + d) % 3000], (uint32_t)rep), 0);
	CU_ASSERT_EQUAL(lg_node_count(g), 3000);
	CU_ASSERT_EQUAL(lg_edge_count(g), 9000);
	free(ids);
	lg_free(g);
}

static void test_self_edge_ignored(void)
{
	struct lg_graph *g = lg_new();
	struct coll c;
	struct lg_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(lg_add_edge(g, 5, 5, 1), 0);
	CU_ASSERT_EQUAL(lg_node_count(g), 0);
	CU_ASSERT_EQUAL(lg_edge_count(g), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 1, 2, 1), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 2, 2, 2), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 1, 1, 3), 0);
	CU_ASSERT_EQUAL(lg_node_count(g), 2);
	CU_ASSERT_EQUAL(lg_edge_count(g), 1);
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_cycles, 0);
	CU_ASSERT_EQUAL(st.n_sccs, 0);
	CU_ASSERT_EQUAL(c.calls, 0);
	coll_free(&c);
	lg_free(g);
}

/* ---- cycles with exact sequences -------------------------------------- */

static void test_no_cycle_dag(void)
{
	static const uint64_t chain[][2] = { {1, 2}, {2, 3}, {3, 4}, {4, 5} };
	/* diamond plus shortcuts: a DAG with many paths, no cycle */
	static const uint64_t dag[][2] = {
		{1, 2}, {1, 3}, {2, 4}, {3, 4}, {4, 5}, {1, 5}, {2, 5},
		{3, 6}, {6, 5}, {1, 6},
	};
	struct lg_graph *g;
	struct coll c;
	struct lg_stats st;

	g = graph_of(chain, N_OF(chain));
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_nodes, 5);
	CU_ASSERT_EQUAL(st.n_edges, 4);
	CU_ASSERT_EQUAL(st.n_sccs, 0);
	CU_ASSERT_EQUAL(st.n_cycles, 0);
	CU_ASSERT_EQUAL(st.capped, 0);
	CU_ASSERT_EQUAL(c.calls, 0);
	lg_free(g);

	g = graph_of(dag, N_OF(dag));
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_nodes, 6);
	CU_ASSERT_EQUAL(st.n_edges, 10);
	CU_ASSERT_EQUAL(st.n_sccs, 0);
	CU_ASSERT_EQUAL(st.n_cycles, 0);
	CU_ASSERT_EQUAL(c.calls, 0);
	coll_free(&c);
	lg_free(g);
}

static void test_abba_contexts(void)
{
	struct lg_graph *g = lg_new();
	struct coll c;
	struct lg_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(lg_add_edge(g, 1, 2, 7), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 2, 1, 8), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 1, 2, 9), 0);
	CU_ASSERT_EQUAL(lg_edge_count(g), 2);
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_sccs, 1);
	CU_ASSERT_EQUAL(st.n_cycles, 1);
	CU_ASSERT_EQUAL(st.capped, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT(CYC_IS(&c, 0, 1, 2));
	CU_ASSERT(CTX_IS(&c, 0, 0, 7, 9));      /* 1 -> 2, in added order */
	CU_ASSERT(CTX_IS(&c, 0, 1, 8));         /* 2 -> 1 */
	CU_ASSERT_EQUAL(c.bad, 0);
	coll_free(&c);
	lg_free(g);
}

static void test_three_cycle(void)
{
	struct lg_graph *g = lg_new();
	struct coll c;
	struct lg_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	/* added starting from the middle: output must not follow insertion */
	CU_ASSERT_EQUAL(lg_add_edge(g, 2, 3, 20), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 3, 1, 30), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 1, 2, 10), 0);
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_sccs, 1);
	CU_ASSERT_EQUAL(st.n_cycles, 1);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT(CYC_IS(&c, 0, 1, 2, 3));
	CU_ASSERT(CTX_IS(&c, 0, 0, 10));
	CU_ASSERT(CTX_IS(&c, 0, 1, 20));
	CU_ASSERT(CTX_IS(&c, 0, 2, 30));
	CU_ASSERT_EQUAL(c.bad, 0);
	coll_free(&c);
	lg_free(g);
}

static void test_philosophers(void)
{
	struct lg_graph *g = lg_new();
	struct coll c;
	struct lg_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	/* philosopher i holds fork i and takes fork i % 5 + 1 */
	for (uint64_t i = 1; i <= 5; i++)
		CU_ASSERT_EQUAL(lg_add_edge(g, i, i % 5 + 1, (uint32_t)(10 * i)), 0);
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_sccs, 1);
	CU_ASSERT_EQUAL(st.n_cycles, 1);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT(CYC_IS(&c, 0, 1, 2, 3, 4, 5));
	for (size_t i = 0; i < 5; i++)
		CU_ASSERT(ctx_is(&c, 0, i, (const uint32_t[]){ 10 * (i + 1) }, 1));
	coll_free(&c);

	/* chord 1 -> 3 adds the cycle that skips 2 */
	CU_ASSERT_EQUAL(lg_add_edge(g, 1, 3, 13), 0);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_cycles, 2);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT(CYC_IS(&c, 0, 1, 2, 3, 4, 5));
	CU_ASSERT(CYC_IS(&c, 1, 1, 3, 4, 5));
	CU_ASSERT(CTX_IS(&c, 1, 0, 13));
	CU_ASSERT(CTX_IS(&c, 1, 3, 50));
	coll_free(&c);

	/* backward chord 4 -> 2 closes 2 -> 3 -> 4 -> 2 as well */
	CU_ASSERT_EQUAL(lg_add_edge(g, 4, 2, 42), 0);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_sccs, 1);
	CU_ASSERT_EQUAL(st.n_cycles, 3);
	CU_ASSERT_EQUAL(st.capped, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 3);
	CU_ASSERT(CYC_IS(&c, 0, 1, 2, 3, 4, 5));
	CU_ASSERT(CYC_IS(&c, 1, 1, 3, 4, 5));
	CU_ASSERT(CYC_IS(&c, 2, 2, 3, 4));
	CU_ASSERT(CTX_IS(&c, 2, 2, 42));
	CU_ASSERT_EQUAL(c.bad, 0);
	coll_free(&c);
	lg_free(g);
}

static void test_disjoint_cycles(void)
{
	static const uint64_t e[][2] = {
		{30, 40}, {40, 50}, {50, 30}, /* 3-cycle */
		{20, 10}, {10, 20},           /* 2-cycle */
		{20, 30}, {60, 10}, {50, 70}, /* acyclic links around them */
	};
	struct lg_graph *g = graph_of(e, N_OF(e));
	struct coll c;
	struct lg_stats st;

	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_nodes, 7);
	CU_ASSERT_EQUAL(st.n_sccs, 2);
	CU_ASSERT_EQUAL(st.n_cycles, 2);
	CU_ASSERT_EQUAL(st.capped, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT(CYC_IS(&c, 0, 10, 20));
	CU_ASSERT(CYC_IS(&c, 1, 30, 40, 50));
	CU_ASSERT(CTX_IS(&c, 0, 0, 4));
	CU_ASSERT(CTX_IS(&c, 0, 1, 3));
	CU_ASSERT_EQUAL(c.bad, 0);
	coll_free(&c);
	lg_free(g);
}

static void test_figure_eight(void)
{
	/* 5 is in both cycles; neither cycle may hide the other */
	static const uint64_t e[][2] = { {5, 9}, {9, 5}, {1, 5}, {5, 1} };
	/* the shared node is the smallest of one cycle and the largest of the
	 * other, and the two cycles have different lengths */
	static const uint64_t e2[][2] = {
		{3, 1}, {1, 3}, {3, 7}, {7, 8}, {8, 3},
	};
	struct lg_graph *g = graph_of(e, N_OF(e));
	struct coll c;
	struct lg_stats st;

	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_sccs, 1);
	CU_ASSERT_EQUAL(st.n_cycles, 2);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT(CYC_IS(&c, 0, 1, 5));
	CU_ASSERT(CYC_IS(&c, 1, 5, 9));
	coll_free(&c);
	lg_free(g);

	g = graph_of(e2, N_OF(e2));
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_sccs, 1);
	CU_ASSERT_EQUAL(st.n_cycles, 2);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT(CYC_IS(&c, 0, 1, 3));
	CU_ASSERT(CYC_IS(&c, 1, 3, 7, 8));
	CU_ASSERT_EQUAL(c.bad, 0);
	coll_free(&c);
	lg_free(g);
}

static void test_duplicate_edges(void)
{
	struct lg_graph *g = lg_new();
	struct coll c;
	struct lg_stats st;
	uint32_t want[100];

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (uint32_t i = 0; i < 100; i++) {   /* past the inline storage */
		CU_ASSERT_EQUAL(lg_add_edge(g, 2, 1, 1000 + i), 0);
		want[i] = 1000 + i;
	}
	CU_ASSERT_EQUAL(lg_node_count(g), 2);
	CU_ASSERT_EQUAL(lg_edge_count(g), 1);
	CU_ASSERT_EQUAL(lg_add_edge(g, 1, 2, 5), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 1, 2, 5), 0);    /* same ctx twice: kept */
	CU_ASSERT_EQUAL(lg_add_edge(g, 1, 2, 3), 0);
	CU_ASSERT_EQUAL(lg_edge_count(g), 2);
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_edges, 2);
	CU_ASSERT_EQUAL(st.n_cycles, 1);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT(CYC_IS(&c, 0, 1, 2));
	CU_ASSERT(CTX_IS(&c, 0, 0, 5, 5, 3));
	CU_ASSERT(ctx_is(&c, 0, 1, want, 100));
	coll_free(&c);
	lg_free(g);
}

static void test_rotation(void)
{
	/* ids far apart, one with the top bit set (unsigned order), added
	 * so that the first edge starts at the largest id */
	const uint64_t big = 0x8000000000000001ULL, mid = 0xffffffff00000030ULL;
	struct lg_graph *g = lg_new();
	struct coll c;
	struct lg_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(lg_add_edge(g, mid, 5, 1), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, big, mid, 2), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 5, big, 3), 0);
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT(CYC_IS(&c, 0, 5, big, mid));
	CU_ASSERT(CTX_IS(&c, 0, 0, 3));
	CU_ASSERT(CTX_IS(&c, 0, 1, 2));
	CU_ASSERT(CTX_IS(&c, 0, 2, 1));
	coll_free(&c);
	lg_free(g);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* K8: every one of its 16064 elementary cycles exactly once. */
static void test_exactly_once_k8(void)
{
	struct lg_graph *g = complete(8);
	struct coll c;
	struct lg_stats st;
	size_t want = complete_cycles(8, 8), len_hist[9] = { 0 };
	uint64_t *keys;

	CU_ASSERT_EQUAL_FATAL(want, 16064);
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 100000, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_sccs, 1);
	CU_ASSERT_EQUAL(st.n_cycles, want);
	CU_ASSERT_EQUAL(st.capped, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, want);
	CU_ASSERT_EQUAL(c.bad, 0);
	keys = malloc(c.n * sizeof *keys);
	CU_ASSERT_PTR_NOT_NULL_FATAL(keys);
	for (size_t i = 0; i < c.n; i++) {
		uint64_t k = 0;

		for (size_t j = 0; j < c.v[i].n; j++)
			k = k * 9 + c.v[i].nodes[j];    /* ids 1..8: base 9 */
		keys[i] = k;
		if (c.v[i].n <= 8)
			len_hist[c.v[i].n]++;
	}
	qsort(keys, c.n, sizeof *keys, cmp_u64);
	size_t dups = 0;
	for (size_t i = 1; i < c.n; i++)
		dups += keys[i] == keys[i - 1];
	CU_ASSERT_EQUAL(dups, 0);
	for (size_t j = 2; j <= 8; j++)
		CU_ASSERT_EQUAL(len_hist[j],
		        complete_cycles(8, j) - complete_cycles(8, j - 1));
	/* first cycles in depth-first, ascending-target order */
	CU_ASSERT(CYC_IS(&c, 0, 1, 2));
	CU_ASSERT(CYC_IS(&c, 1, 1, 2, 3));
	CU_ASSERT(CYC_IS(&c, 2, 1, 2, 3, 4));
	CU_ASSERT(CYC_IS(&c, c.n - 1, 7, 8));
	free(keys);
	coll_free(&c);
	lg_free(g);
}

static void test_callback_stops(void)
{
	struct lg_graph *g = complete(4);       /* 20 cycles */
	struct coll c;
	struct lg_stats st;

	coll_init(&c);
	c.stop_after = 3;
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(c.calls, 3);
	CU_ASSERT_EQUAL(st.n_cycles, 3);
	CU_ASSERT_EQUAL(st.capped, 0);          /* a stop is not a cap */
	CU_ASSERT(CYC_IS(&c, 0, 1, 2));
	CU_ASSERT(CYC_IS(&c, 1, 1, 2, 3));
	CU_ASSERT(CYC_IS(&c, 2, 1, 2, 3, 4));
	coll_free(&c);

	coll_init(&c);
	c.stop_after = 1;
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(c.calls, 1);
	CU_ASSERT_EQUAL(st.n_cycles, 1);
	coll_free(&c);

	/* the graph is still usable afterwards, and the search repeatable */
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(c.calls, 20);
	CU_ASSERT_EQUAL(st.n_cycles, 20);
	CU_ASSERT_EQUAL(c.bad, 0);
	coll_free(&c);
	lg_free(g);
}

static void test_caps(void)
{
	struct lg_graph *g = complete(8);
	struct coll c;
	struct lg_stats st;

	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 5, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.capped, 1);
	CU_ASSERT_EQUAL(st.n_cycles, 5);
	CU_ASSERT_EQUAL(c.calls, 5);
	coll_free(&c);

	/* defaults: 10000 of the 16064 */
	coll_init(&c);
	c.no_keep = 1;
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.capped, 1);
	CU_ASSERT_EQUAL(st.n_cycles, 10000);
	CU_ASSERT_EQUAL(c.calls, 10000);
	CU_ASSERT_EQUAL(c.bad, 0);
	coll_free(&c);

	/* step cap */
	coll_init(&c);
	c.no_keep = 1;
	CU_ASSERT_EQUAL(run(g, 0, 100000, 200, &c, &st), 0);
	CU_ASSERT_EQUAL(st.capped, 1);
	CU_ASSERT(st.n_cycles > 0);
	CU_ASSERT(st.n_cycles < 200);
	CU_ASSERT_EQUAL(c.calls, st.n_cycles);
	coll_free(&c);
	lg_free(g);

	/* exactly max_cycles cycles exist: nothing was cut, so not capped */
	static const uint64_t ring[][2] = { {1, 2}, {2, 3}, {3, 1} };
	g = graph_of(ring, N_OF(ring));
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 1, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_cycles, 1);
	CU_ASSERT_EQUAL(st.capped, 0);
	coll_free(&c);
	lg_free(g);
}

static void test_max_len(void)
{
	static const uint64_t e[][2] = {
		{1, 2}, {2, 1},                                 /* len 2 */
		{3, 4}, {4, 5}, {5, 3},                         /* len 3 */
		{6, 7}, {7, 8}, {8, 9}, {9, 10}, {10, 6},       /* len 5 */
	};
	struct lg_graph *g = graph_of(e, N_OF(e));
	struct coll c;
	struct lg_stats st;

	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 3, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_sccs, 3);
	CU_ASSERT_EQUAL(st.n_cycles, 2);
	CU_ASSERT_EQUAL(st.capped, 1);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT(CYC_IS(&c, 0, 1, 2));
	CU_ASSERT(CYC_IS(&c, 1, 3, 4, 5));
	coll_free(&c);

	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 5, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_cycles, 3);
	CU_ASSERT_EQUAL(st.capped, 0);
	CU_ASSERT(CYC_IS(&c, 2, 6, 7, 8, 9, 10));
	coll_free(&c);

	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 2, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_cycles, 1);
	CU_ASSERT_EQUAL(st.capped, 1);
	CU_ASSERT(CYC_IS(&c, 0, 1, 2));
	coll_free(&c);
	lg_free(g);

	/* K8 bounded to 3: all 2- and 3-cycles, none longer */
	g = complete(8);
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 3, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_cycles, complete_cycles(8, 3));
	CU_ASSERT_EQUAL(st.n_cycles, 140);
	CU_ASSERT_EQUAL(st.capped, 1);
	size_t longer = 0;
	for (size_t i = 0; i < c.n; i++)
		longer += c.v[i].n > 3;
	CU_ASSERT_EQUAL(longer, 0);
	CU_ASSERT_EQUAL(c.bad, 0);
	coll_free(&c);
	lg_free(g);
}

/* Passes by length (min_len, max_len): each pass delivers exactly the
 * cycles of its lengths, the passes together every cycle once, and the
 * stats say why a pass stopped. */
static void test_min_len_passes(void)
{
	static const size_t bounds[][2] = { {2, 2}, {3, 3}, {4, 5}, {6, 7} };
	struct lg_graph *g = complete(7);
	struct coll c;
	struct lg_stats st;
	size_t total = 0;

	for (size_t p = 0; p < N_OF(bounds); p++) {
		struct lg_limits lim = { bounds[p][1], 0, 0, bounds[p][0] };
		size_t wrong = 0;

		coll_init(&c);
		CU_ASSERT_EQUAL(lg_for_each_cycle(g, &lim, collect, &c, &st), 0);
		CU_ASSERT_EQUAL(st.n_cycles, complete_cycles(7, bounds[p][1]) -
		                complete_cycles(7, bounds[p][0] - 1));
		CU_ASSERT_EQUAL(c.n, st.n_cycles);
		for (size_t i = 0; i < c.n; i++)
			wrong += c.v[i].n < bounds[p][0] || c.v[i].n > bounds[p][1];
		CU_ASSERT_EQUAL(wrong, 0);
		CU_ASSERT_EQUAL(c.bad, 0);
		/* cut at the length unless the pass reached the graph's size */
		CU_ASSERT_EQUAL(st.len_cut, bounds[p][1] < 7);
		CU_ASSERT_EQUAL(st.capped, st.len_cut);
		CU_ASSERT_EQUAL(st.steps_hit, 0);
		CU_ASSERT_EQUAL(st.cycles_hit, 0);
		CU_ASSERT(st.steps > 0);
		total += c.n;
		coll_free(&c);
	}
	CU_ASSERT_EQUAL(total, complete_cycles(7, 8));

	/* the cycle and step caps say which they are */
	{
		struct lg_limits lim = { 3, 10, 0, 3 };
		coll_init(&c);
		CU_ASSERT_EQUAL(lg_for_each_cycle(g, &lim, collect, &c, &st), 0);
		CU_ASSERT_EQUAL(st.n_cycles, 10);
		CU_ASSERT_EQUAL(st.cycles_hit, 1);
		CU_ASSERT_EQUAL(st.steps_hit, 0);
		coll_free(&c);
		lim.max_cycles = 0;
		lim.max_steps = 50;
		coll_init(&c);
		CU_ASSERT_EQUAL(lg_for_each_cycle(g, &lim, collect, &c, &st), 0);
		CU_ASSERT_EQUAL(st.steps_hit, 1);
		CU_ASSERT_EQUAL(st.cycles_hit, 0);
		CU_ASSERT(st.n_cycles < complete_cycles(7, 3) - complete_cycles(7, 2));
		coll_free(&c);
	}
	lg_free(g);

	/* an SCC smaller than min_len is skipped: nothing to deliver */
	{
		static const uint64_t e[][2] = { {1, 2}, {2, 1}, {3, 4}, {4, 5}, {5, 3} };
		struct lg_limits lim = { 0, 0, 0, 4 };
		g = graph_of(e, N_OF(e));
		coll_init(&c);
		CU_ASSERT_EQUAL(lg_for_each_cycle(g, &lim, collect, &c, &st), 0);
		CU_ASSERT_EQUAL(st.n_cycles, 0);
		CU_ASSERT_EQUAL(st.capped, 0);
		lim.min_len = 3;
		CU_ASSERT_EQUAL(lg_for_each_cycle(g, &lim, collect, &c, &st), 0);
		CU_ASSERT_EQUAL(st.n_cycles, 1);
		CU_ASSERT_EQUAL_FATAL(c.n, 1);
		CU_ASSERT(CYC_IS(&c, 0, 3, 4, 5));
		coll_free(&c);
		lg_free(g);
	}
}

/* A long chain must not overflow the C stack in Tarjan or in Johnson. */
static void test_long_chain(void)
{
	const uint64_t n = 200000;
	struct lg_graph *g = lg_new();
	struct coll c;
	struct lg_stats st;
	size_t bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (uint64_t i = 1; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(lg_add_edge(g, i, i + 1, (uint32_t)i), 0);
	CU_ASSERT_EQUAL(lg_node_count(g), n);
	CU_ASSERT_EQUAL(lg_edge_count(g), n - 1);

	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, n, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_sccs, 0);
	CU_ASSERT_EQUAL(st.n_cycles, 0);
	CU_ASSERT_EQUAL(st.capped, 0);

	CU_ASSERT_EQUAL(lg_add_edge(g, n, 1, 4242), 0); /* the back edge */
	CU_ASSERT_EQUAL(run(g, n, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_sccs, 1);
	CU_ASSERT_EQUAL(st.n_cycles, 1);
	CU_ASSERT_EQUAL(st.capped, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT_EQUAL_FATAL(c.v[0].n, n);
	for (size_t i = 0; i < n; i++)
		bad += c.v[0].nodes[i] != i + 1 || c.v[0].n_ctx[i] != 1 ||
		       c.v[0].ctx[c.v[0].ctx_off[i]] != (i + 1 < n ? i + 1 : 4242);
	CU_ASSERT_EQUAL(bad, 0);
	coll_free(&c);

	/* one short of the length: not found, and said to be capped */
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, n - 1, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_cycles, 0);
	CU_ASSERT_EQUAL(st.capped, 1);
	/* default max_len 64 */
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_cycles, 0);
	CU_ASSERT_EQUAL(st.capped, 1);
	coll_free(&c);
	lg_free(g);
}

/* A wide DAG with many edges, added in scrambled order: no SCC, no cycle. */
static void test_large_dag(void)
{
	const uint32_t n = 20000, m = 100000;
	struct lg_graph *g = lg_new();
	struct coll c;
	struct lg_stats st;
	uint64_t x = 88172645463325252ULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (uint32_t k = 0; k < m; k++) {
		uint64_t a, b;

		do {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			a = x % n;
			b = (x >> 32) % n;
		} while (a == b);
		if (a > b) {
			uint64_t t = a; a = b; b = t;
		}
		/* ids decrease along edges: order by id is the reverse of
		 * the topological order */
		CU_ASSERT_EQUAL_FATAL(lg_add_edge(g, 1000000 - a, 1000000 - b, k), 0);
	}
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(st.n_sccs, 0);
	CU_ASSERT_EQUAL(st.n_cycles, 0);
	CU_ASSERT_EQUAL(st.capped, 0);
	CU_ASSERT(st.n_edges <= m && st.n_edges > m / 2);
	CU_ASSERT_EQUAL(st.n_edges, lg_edge_count(g));
	CU_ASSERT_EQUAL(st.n_nodes, lg_node_count(g));
	coll_free(&c);
	lg_free(g);
}

/* ---- the build: renumbering, radix sort, adds after a search ---------- */

/* Edges added after a search (which built the graph): the contexts of an
 * edge stay in the order they were added, before and after the build, and
 * a node with a smaller id than every earlier one comes first. */
static void test_add_after_build(void)
{
	struct lg_graph *g = lg_new();
	struct coll c;
	struct lg_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(lg_add_edge(g, 200, 100, 5), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 100, 200, 6), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 200, 100, 1), 0);
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT(CYC_IS(&c, 0, 100, 200));
	CU_ASSERT(CTX_IS(&c, 0, 0, 6));
	CU_ASSERT(CTX_IS(&c, 0, 1, 5, 1));
	coll_free(&c);

	/* built now: more contexts on both edges, and a new smallest node */
	CU_ASSERT_EQUAL(lg_add_edge(g, 200, 100, 0), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 100, 200, 9), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 50, 200, 7), 0);
	CU_ASSERT_EQUAL(lg_add_edge(g, 100, 50, 8), 0);
	CU_ASSERT_EQUAL(lg_node_count(g), 3);
	CU_ASSERT_EQUAL(lg_edge_count(g), 4);
	/* lg_edge_count built it again: one more add, then the search */
	CU_ASSERT_EQUAL(lg_add_edge(g, 200, 100, 4), 0);
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL(c.bad, 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 2);
	CU_ASSERT(CYC_IS(&c, 0, 50, 200, 100));
	CU_ASSERT(CTX_IS(&c, 0, 0, 7));
	CU_ASSERT(CTX_IS(&c, 0, 1, 5, 1, 0, 4));
	CU_ASSERT(CTX_IS(&c, 0, 2, 8));
	CU_ASSERT(CYC_IS(&c, 1, 100, 200));
	CU_ASSERT(CTX_IS(&c, 1, 0, 6, 9));
	CU_ASSERT(CTX_IS(&c, 1, 1, 5, 1, 0, 4));
	coll_free(&c);
	lg_free(g);
}

static uint64_t scramble(uint64_t i)
{
	return (i * 0x9E3779B97F4A7C15ULL) | 1; /* distinct for distinct i, never 0 */
}

/* Many nodes (several radix passes: 2 * 17 bits of key) with ids in no
 * order and contexts added in three rounds of different orders: every
 * pair a <-> b is one 2-cycle, delivered in ascending order of its
 * smaller id, and each edge has its three contexts in the order added.
 * lg_add_edges builds the same graph as lg_add_edge. */
#define BIG_PAIRS 40000u

struct big_ctx {
	uint64_t lo;            /* the cycle's smaller id */
	uint32_t want[2][3];    /* contexts of lo -> hi, then hi -> lo */
	size_t seen;
	int bad;
};

static struct big_ctx *big_by_lo;
static size_t big_n;

static int big_lo_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct big_ctx *)a)->lo, y = ((const struct big_ctx *)b)->lo;

	return (x > y) - (x < y);
}

static int big_check(void *arg, const struct lg_cycle *cy)
{
	size_t *k = arg;
	struct big_ctx *e;

	if (*k >= big_n || cy->n != 2) {
		big_by_lo[0].bad++;
		return 1;
	}
	e = &big_by_lo[(*k)++];
	if (cy->nodes[0] != e->lo)
		e->bad++;
	for (size_t i = 0; i < 2; i++)
		if (cy->n_ctx[i] != 3 || memcmp(cy->ctx[i], e->want[i], sizeof e->want[i]))
			e->bad++;
	e->seen++;
	return 0;
}

static void big_graph(int bulk)
{
	struct lg_graph *g = lg_new();
	struct lg_limits lim = { 2, BIG_PAIRS + 1, 0, 0 };
	struct lg_stats st;
	uint64_t *from = malloc(6 * BIG_PAIRS * sizeof *from);
	uint64_t *to = malloc(6 * BIG_PAIRS * sizeof *to);
	size_t n = 0, k = 0, bad = 0, seen = 0;

	big_n = BIG_PAIRS;
	big_by_lo = calloc(BIG_PAIRS, sizeof *big_by_lo);
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_PTR_NOT_NULL_FATAL(from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(to);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big_by_lo);
	/* round r visits the pairs in order j * mul[r] mod BIG_PAIRS (a
	 * permutation: BIG_PAIRS = 2^6 * 5^4 is coprime to 3 and 7) and adds
	 * both edges of the pair, the back edge first in odd rounds */
	static const uint32_t mul[3] = { 1, 3, 7 };

	for (uint32_t r = 0; r < 3; r++)
		for (uint32_t j = 0; j < BIG_PAIRS; j++) {
			uint32_t i = (uint32_t)(((uint64_t)j * mul[r]) % BIG_PAIRS);
			uint64_t a = scramble(2 * (uint64_t)i + 1), b = scramble(2 * (uint64_t)i + 2);
			uint64_t lo = a < b ? a : b, hi = a < b ? b : a;

			big_by_lo[i].lo = lo;
			for (int h = 0; h < 2; h++) {
				int back = (h == 0) == (r & 1); /* hi -> lo */

				from[n] = back ? hi : lo;
				to[n] = back ? lo : hi;
				big_by_lo[i].want[back][r] = (uint32_t)n;
				n++;
			}
		}
	if (bulk) {
		CU_ASSERT_EQUAL(lg_add_edges(g, n, from, to, sizeof *from, 0), 0);
	} else {
		for (size_t e = 0; e < n; e++)
			CU_ASSERT_EQUAL_FATAL(lg_add_edge(g, from[e], to[e], (uint32_t)e), 0);
	}
	CU_ASSERT_EQUAL(lg_node_count(g), 2 * BIG_PAIRS);
	CU_ASSERT_EQUAL(lg_edge_count(g), 2 * BIG_PAIRS);
	qsort(big_by_lo, BIG_PAIRS, sizeof *big_by_lo, big_lo_cmp);
	CU_ASSERT_EQUAL(lg_for_each_cycle(g, &lim, big_check, &k, &st), 0);
	CU_ASSERT_EQUAL(st.n_cycles, BIG_PAIRS);
	CU_ASSERT_EQUAL(st.n_sccs, BIG_PAIRS);
	CU_ASSERT_EQUAL(st.capped, 0);
	for (size_t i = 0; i < BIG_PAIRS; i++) {
		bad += big_by_lo[i].bad != 0;
		seen += big_by_lo[i].seen;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(seen, BIG_PAIRS);
	free(big_by_lo);
	free(from);
	free(to);
	lg_free(g);
}

static void test_big_radix(void)
{
	big_graph(0);
}

static void test_add_edges_bulk(void)
{
	struct lg_graph *g = lg_new();
	struct { uint64_t from, pad, to; } rec[3] = { { 1, 0, 2 }, { 2, 0, 3 }, { 3, 0, 1 } };
	struct coll c;
	struct lg_stats st;

	big_graph(1);
	/* a stride over the caller's records, contexts from ctx0 */
	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	CU_ASSERT_EQUAL(lg_add_edges(g, 3, &rec[0].from, &rec[0].to, sizeof rec[0], 10), 0);
	CU_ASSERT_EQUAL(lg_add_edges(g, 0, NULL, NULL, 0, 0), 0);
	CU_ASSERT_EQUAL(lg_add_edges(g, 1, NULL, &rec[0].to, sizeof rec[0], 0), -1);
	CU_ASSERT_EQUAL(lg_add_edges(g, 2, &rec[0].from, &rec[0].to, sizeof rec[0],
	                             UINT32_MAX), -1);  /* contexts past 2^32 - 1 */
	coll_init(&c);
	CU_ASSERT_EQUAL(run(g, 0, 0, 0, &c, &st), 0);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT(CYC_IS(&c, 0, 1, 2, 3));
	CU_ASSERT(CTX_IS(&c, 0, 0, 10));
	CU_ASSERT(CTX_IS(&c, 0, 1, 11));
	CU_ASSERT(CTX_IS(&c, 0, 2, 12));
	coll_free(&c);
	lg_free(g);
}

/* ---- brute-force cross-check on small random graphs ------------------- */

#define RN 9

struct rgraph {
	size_t n;
	uint64_t id[RN];
	int adj[RN][RN];
	uint32_t ctx[RN][RN][3];
	size_t n_ctx[RN][RN];
};

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13; x ^= x >> 7; x ^= x << 17;
	return rng_state = x;
}

static void rgraph_make(struct rgraph *r, size_t n, unsigned pct)
{
	memset(r, 0, sizeof *r);
	r->n = n;
	for (size_t i = 0; i < n; i++) {
		int dup;
		do {
			/* small or huge ids, unrelated to index order */
			r->id[i] = (rng() & 1) ? rng() % 50 + 1 : rng() | 1;
			dup = 0;
			for (size_t j = 0; j < i; j++)
				dup |= r->id[j] == r->id[i];
		} while (dup);
	}
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < n; b++)
			if (a != b && rng() % 100 < pct) {
				r->adj[a][b] = 1;
				r->n_ctx[a][b] = 1 + rng() % 3;
				for (size_t k = 0; k < r->n_ctx[a][b]; k++)
					r->ctx[a][b][k] = (uint32_t)rng();
			}
}

/* Adds the edges in an order given by `seed`, contexts of one edge in
 * their order, plus self-edges that must change nothing. */
static struct lg_graph *rgraph_build(const struct rgraph *r, uint64_t seed)
{
	struct lg_graph *g = lg_new();
	size_t next[RN][RN] = { { 0 } }, left = 0;
	uint64_t s = seed | 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (size_t a = 0; a < r->n; a++)
		for (size_t b = 0; b < r->n; b++)
			left += r->n_ctx[a][b];
	while (left) {
		size_t a, b;

		s ^= s << 13; s ^= s >> 7; s ^= s << 17;
		a = s % r->n;
		b = (s >> 20) % r->n;
		if (a == b) {
			lg_add_edge(g, r->id[a], r->id[a], 99);
			continue;
		}
		if (next[a][b] == r->n_ctx[a][b])
			continue;
		CU_ASSERT_EQUAL(lg_add_edge(g, r->id[a], r->id[b],
		                            r->ctx[a][b][next[a][b]++]), 0);
		left--;
	}
	return g;
}

struct brute {
	char **s;
	size_t n, cap;
	size_t longer;  /* cycles longer than the bound */
};

static void brute_add(struct brute *b, const struct rgraph *r,
                      const size_t *path, size_t len)
{
	char buf[RN * 24], *p = buf;

	for (size_t i = 0; i < len; i++)
		p += sprintf(p, "%llx,", (unsigned long long)r->id[path[i]]);
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->s = realloc(b->s, b->cap * sizeof *b->s);
		if (!b->s)
			abort();
	}
	b->s[b->n++] = strdup(buf);
}

/* Every elementary cycle once: from its least-id node s, through nodes of
 * larger id only.  Plain recursion, depth <= RN. */
static void brute_dfs(struct brute *b, const struct rgraph *r, size_t *path,
                      size_t len, int *on, size_t max_len)
{
	size_t s = path[0], v = path[len - 1];

	for (size_t w = 0; w < r->n; w++) {
		if (!r->adj[v][w])
			continue;
		if (w == s) {
			if (len <= max_len)
				brute_add(b, r, path, len);
			else
				b->longer++;
		} else if (!on[w] && r->id[w] > r->id[s]) {
			on[w] = 1;
			path[len] = w;
			brute_dfs(b, r, path, len + 1, on, max_len);
			on[w] = 0;
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *cyc_str(const struct cyc *k)
{
	char buf[RN * 24], *p = buf;

	for (size_t i = 0; i < k->n && i < RN; i++)
		p += sprintf(p, "%llx,", (unsigned long long)k->nodes[i]);
	return strdup(buf);
}

static size_t idx_of(const struct rgraph *r, uint64_t id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->id[i] == id)
			return i;
	return RN;
}

/* Returns the number of mismatches found in this case. */
static int random_case(size_t n, unsigned pct, size_t max_len)
{
	struct rgraph r;
	struct brute b = { 0 };
	size_t path[RN];
	int on[RN] = { 0 }, bad = 0;
	struct lg_graph *g, *g2;
	struct coll c, c2;
	struct lg_stats st, st2;
	char **got;

	rgraph_make(&r, n, pct);
	for (size_t s = 0; s < n; s++) {
		path[0] = s;
		on[s] = 1;
		brute_dfs(&b, &r, path, 1, on, max_len);
		on[s] = 0;
	}

	g = rgraph_build(&r, rng());
	g2 = rgraph_build(&r, rng());
	coll_init(&c);
	coll_init(&c2);
	bad += run(g, max_len, 1000000, 0, &c, &st) != 0;
	bad += run(g2, max_len, 1000000, 0, &c2, &st2) != 0;
	bad += c.bad != 0;

	/* same set as brute force, each once */
	got = malloc((c.n ? c.n : 1) * sizeof *got);
	if (!got)
		abort();
	for (size_t i = 0; i < c.n; i++)
		got[i] = cyc_str(&c.v[i]);
	if (c.n)
		qsort(got, c.n, sizeof *got, cmp_str);
	if (b.n)
		qsort(b.s, b.n, sizeof *b.s, cmp_str);
	bad += c.n != b.n || st.n_cycles != b.n;
	for (size_t i = 0; i < c.n && i < b.n; i++)
		bad += strcmp(got[i], b.s[i]) != 0;
	/* capped must be said whenever a longer cycle was left out, and
	 * never when nothing was bounded at all */
	if (b.longer)
		bad += st.capped != 1;
	if (max_len >= n)
		bad += st.capped != 0;

	/* contexts of each edge, in the order added */
	for (size_t i = 0; i < c.n; i++) {
		const struct cyc *k = &c.v[i];

		for (size_t j = 0; j < k->n; j++) {
			size_t a = idx_of(&r, k->nodes[j]);
			size_t bb = idx_of(&r, k->nodes[(j + 1) % k->n]);

			if (a == RN || bb == RN || !r.adj[a][bb] ||
			    k->n_ctx[j] != r.n_ctx[a][bb] ||
			    memcmp(k->ctx + k->ctx_off[j], r.ctx[a][bb],
			           k->n_ctx[j] * sizeof(uint32_t)))
				bad++;
		}
	}

	/* another insertion order: identical output, in identical order */
	bad += c2.n != c.n || st2.capped != st.capped ||
	       st2.n_sccs != st.n_sccs;
	for (size_t i = 0; i < c.n && i < c2.n; i++)
		bad += !cyc_is(&c2, i, c.v[i].nodes, c.v[i].n);

	for (size_t i = 0; i < c.n; i++)
		free(got[i]);
	free(got);
	for (size_t i = 0; i < b.n; i++)
		free(b.s[i]);
	free(b.s);
	coll_free(&c);
	coll_free(&c2);
	lg_free(g);
	lg_free(g2);
	return bad;
}

static void test_random_vs_brute_force(void)
{
	int bad = 0, failed_cases = 0;

	rng_state = 0x2545f4914f6cdd1dULL;
	for (int i = 0; i < 400; i++) {
		size_t n = 2 + (size_t)(rng() % (RN - 1));
		unsigned pct = 10 + (unsigned)(rng() % 50);
		size_t max_len = (i % 3 == 0) ? 2 + (size_t)(rng() % 4) : 64;
		int b = random_case(n, pct, max_len);

		bad += b;
		failed_cases += b != 0;
	}
	if (bad)
		fprintf(stderr, "\nrandom: %d mismatches in %d cases\n", bad,
		        failed_cases);
	CU_ASSERT_EQUAL(bad, 0);
}

/* ---- main ------------------------------------------------------------- */

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "empty graph", test_empty },
		{ "node and edge counts", test_counts },
		{ "self-edge ignored", test_self_edge_ignored },
		{ "no cycle in chain or DAG", test_no_cycle_dag },
		{ "ABBA with contexts per edge", test_abba_contexts },
		{ "3-cycle", test_three_cycle },
		{ "dining philosophers and chords", test_philosophers },
		{ "two disjoint cycles", test_disjoint_cycles },
		{ "figure eight", test_figure_eight },
		{ "duplicate edge adds contexts", test_duplicate_edges },
		{ "rotation: smallest id first", test_rotation },
		{ "exactly once (K8)", test_exactly_once_k8 },
		{ "callback stops early", test_callback_stops },
		{ "caps", test_caps },
		{ "max_len", test_max_len },
		{ "min_len passes", test_min_len_passes },
		{ "200k chain (stack safety)", test_long_chain },
		{ "large DAG", test_large_dag },
		{ "adds after a build keep context order", test_add_after_build },
		{ "80k nodes: radix passes, context order", test_big_radix },
		{ "lg_add_edges: strided, same graph", test_add_edges_bulk },
		{ "random graphs vs brute force", test_random_vs_brute_force },
	};
	return cunit_run("lockgraph", tests, sizeof(tests) / sizeof(tests[0]));
}
