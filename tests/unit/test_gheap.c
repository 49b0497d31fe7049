/*
 * test_gheap.c - CUnit tests for preload/gheap.c, the decisions behind
 * sampled heap blocks: which allocations are sampled (new sites densely,
 * hot ones ever more rarely, the interval between looks), the full site
 * table, and the guarded pool's slots (lowest free first, reuse, the
 * budget, pointers that are not blocks, double frees, threads claiming at
 * once).  Scripted calls, no shim; the pool's "memory" is a number.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../preload/gheap.h"

static struct gh_picker *new_picker(uint32_t dense)
{
	struct gh_picker *p = malloc(sizeof(*p));
	gh_picker_init(p, dense);
	return p;
}

/* ---- sampling ---- */

static void test_new_site_dense(void)
{
	struct gh_picker *p = new_picker(4);
	uint32_t next = 0;
	int i;

	for (i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(gh_pick(p, 0x401000, &next), 1);
		CU_ASSERT_EQUAL(next, 1); /* cold: look at every allocation */
		CU_ASSERT(gh_site_cold(p, 0x401000));
	}
	/* the fifth look: the site is no longer cold, the interval grows */
	gh_pick(p, 0x401000, &next);
	CU_ASSERT(!gh_site_cold(p, 0x401000));
	CU_ASSERT_EQUAL(next, 2);
	/* a new site: sampled, and looks are dense again */
	CU_ASSERT_EQUAL(gh_pick(p, 0x402000, &next), 1);
	CU_ASSERT_EQUAL(next, 1);
	CU_ASSERT_EQUAL(p->n_sites, 2);
	free(p);
}

static void test_dense_default(void)
{
	struct gh_picker *p = new_picker(0);
	uint32_t next;
	int i, n = 0;

	for (i = 0; i < GH_SITE_DENSE_DEFAULT; i++)
		n += gh_pick(p, 0x1234, &next);
	CU_ASSERT_EQUAL(n, GH_SITE_DENSE_DEFAULT);
	free(p);
}

/* one hot site: about dense samples per doubling of its looks, the
 * interval at its cap, and the rate never below 1 in 2^GH_SITE_MAX_SHIFT */
static void test_hot_site_thinned(void)
{
	struct gh_picker *p = new_picker(4);
	uint32_t next = 0;
	uint64_t n, sampled = 0, last_sample = 0, max_gap = 0;

	for (n = 1; n <= 1000000; n++) {
		if (gh_pick(p, 0x405000, &next)) {
			sampled++;
			if (n - last_sample > max_gap)
				max_gap = n - last_sample;
			last_sample = n;
		}
	}
	CU_ASSERT_EQUAL(next, GH_INTERVAL_MAX);
	/* looks 1..4 all, then 4 per doubling up to the cap, then 1 in 1024 */
	CU_ASSERT(sampled >= 4 * 10);
	CU_ASSERT(sampled <= 4 * 11 + 1000000 / (1u << GH_SITE_MAX_SHIFT));
	CU_ASSERT(max_gap <= (1u << GH_SITE_MAX_SHIFT));
	CU_ASSERT(sampled < 2000); /* far from every look */
	CU_ASSERT_EQUAL(p->n_looks, 1000000);
	CU_ASSERT_EQUAL(p->n_sampled, sampled);
	free(p);
}

/* the interval doubles with hot looks and falls back to 1 at a cold one */
static void test_interval_adapts(void)
{
	struct gh_picker *p = new_picker(1);
	uint32_t next = 0, want = 1;
	int i;

	gh_pick(p, 0x10, &next);
	CU_ASSERT_EQUAL(next, 1);
	for (i = 0; i < 20; i++) {
		gh_pick(p, 0x10, &next);
		want = want * 2 > GH_INTERVAL_MAX ? GH_INTERVAL_MAX : want * 2;
		CU_ASSERT_EQUAL(next, want);
	}
	gh_pick(p, 0x20, &next); /* a new site */
	CU_ASSERT_EQUAL(next, 1);
	gh_pick(p, 0x10, &next);
	CU_ASSERT_EQUAL(next, 2);
	free(p);
}

/* two sites: the hot one's thinning does not thin the cold one */
static void test_sites_apart(void)
{
	struct gh_picker *p = new_picker(2);
	uint32_t next;
	int i, cold = 0;

	for (i = 0; i < 10000; i++)
		gh_pick(p, 0xaaaa, &next);
	for (i = 0; i < 2; i++)
		cold += gh_pick(p, 0xbbbb, &next);
	CU_ASSERT_EQUAL(cold, 2);
	free(p);
}

/* a full table: the limit is flagged once, new sites share the sparsest
 * rate, known sites keep their own */
static void test_site_table_full(void)
{
	struct gh_picker *p = new_picker(4);
	uint32_t next;
	unsigned cap = (1u << GH_LOG2_SITES) / 4 * 3, i;
	int sampled = 0;

	for (i = 0; i < cap; i++)
		CU_ASSERT_EQUAL(gh_pick(p, 0x100000 + 16 * (uint64_t)i, &next), 1);
	CU_ASSERT_EQUAL(p->n_sites, cap);
	CU_ASSERT_EQUAL(p->limits & (1u << GH_LIMIT_SITES), 0);
	for (i = 0; i < 4096; i++)
		sampled += gh_pick(p, 0x900000 + 16 * (uint64_t)i, &next);
	CU_ASSERT(p->limits & (1u << GH_LIMIT_SITES));
	CU_ASSERT_EQUAL(p->n_sites, cap);
	CU_ASSERT(sampled <= 4096 / (1 << GH_SITE_MAX_SHIFT) + 1);
	/* a known site is still cold until its own count says otherwise */
	CU_ASSERT_EQUAL(gh_pick(p, 0x100000, &next), 1);
	free(p);
}

/* ---- the pool ---- */

#define SLOT 16384u
#define BASE ((uintptr_t)0x7f0000000000ull)

static struct gh_pool *new_pool(unsigned n)
{
	struct gh_pool *g = malloc(sizeof(*g));
	gh_pool_init(g, BASE, SLOT, n);
	return g;
}

static void test_pool_lowest_first_and_reuse(void)
{
	struct gh_pool *g = new_pool(8);
	int a, b, c;

	a = gh_pool_claim(g, 100);
	b = gh_pool_claim(g, SLOT);
	CU_ASSERT_EQUAL(a, 0);
	CU_ASSERT_EQUAL(b, 1);
	CU_ASSERT_EQUAL(gh_pool_addr(g, b), BASE + SLOT);
	CU_ASSERT_EQUAL(g->size[a], 100);
	CU_ASSERT_EQUAL(gh_pool_slot_of(g, (void *)(BASE + SLOT)), 1);
	CU_ASSERT_EQUAL(gh_pool_release(g, a), 0);
	c = gh_pool_claim(g, 7); /* the freed slot first */
	CU_ASSERT_EQUAL(c, 0);
	CU_ASSERT_EQUAL(g->reuses, 1);
	CU_ASSERT_EQUAL(g->live, 2);
	CU_ASSERT_EQUAL(g->peak, 2);
	CU_ASSERT_PTR_NULL(gh_pool_sanity(g));
	free(g);
}

static void test_pool_budget(void)
{
	struct gh_pool *g = new_pool(70); /* two bitmap words, the second partial */
	int i;

	for (i = 0; i < 70; i++)
		CU_ASSERT_EQUAL(gh_pool_claim(g, 1), i);
	CU_ASSERT_EQUAL(gh_pool_claim(g, 1), -1);
	CU_ASSERT_PTR_NULL(gh_pool_sanity(g));
	CU_ASSERT_EQUAL(gh_pool_release(g, 65), 0);
	CU_ASSERT_EQUAL(gh_pool_claim(g, 1), 65);
	CU_ASSERT_EQUAL(g->peak, 70);
	CU_ASSERT_PTR_NULL(gh_pool_sanity(g));
	free(g);
}

static void test_pool_not_blocks(void)
{
	struct gh_pool *g = new_pool(4);
	int a = gh_pool_claim(g, 10);

	CU_ASSERT_EQUAL(gh_pool_claim(g, SLOT + 1), -1); /* bigger than a slot */
	CU_ASSERT(gh_pool_has(g, (void *)(BASE + 5)));
	CU_ASSERT(!gh_pool_has(g, (void *)(BASE - 1)));
	CU_ASSERT(!gh_pool_has(g, (void *)(BASE + 4 * SLOT)));
	CU_ASSERT(!gh_pool_has(g, NULL));
	CU_ASSERT_EQUAL(gh_pool_slot_of(g, (void *)(BASE + 16)), -1);   /* the middle */
	CU_ASSERT_EQUAL(gh_pool_slot_of(g, (void *)(BASE + SLOT)), -1); /* never claimed */
	CU_ASSERT_EQUAL(gh_pool_release(g, a), 0);
	CU_ASSERT_EQUAL(gh_pool_slot_of(g, (void *)BASE), -1); /* freed */
	CU_ASSERT_EQUAL(gh_pool_release(g, a), -1);             /* double free */
	CU_ASSERT_EQUAL(gh_pool_release(g, 99), -1);
	CU_ASSERT_EQUAL(g->live, 0);
	CU_ASSERT_PTR_NULL(gh_pool_sanity(g));
	free(g);
}

static void test_pool_cap(void)
{
	struct gh_pool *g = new_pool(GH_MAX_LIVE + 100);
	CU_ASSERT_EQUAL(g->n_slots, GH_MAX_LIVE);
	free(g);
}

/* threads claiming and releasing at once never share a slot */
static struct gh_pool *mt_pool;
static int mt_owner[GH_MAX_LIVE];
static int mt_clash;

static void *mt_worker(void *arg)
{
	int me = (int)(intptr_t)arg, i;

	for (i = 0; i < 20000; i++) {
		int s = gh_pool_claim(mt_pool, 8);
		if (s < 0)
			continue;
		if (__atomic_exchange_n(&mt_owner[s], me, __ATOMIC_ACQ_REL) != 0)
			__atomic_store_n(&mt_clash, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&mt_owner[s], 0, __ATOMIC_RELEASE);
		gh_pool_release(mt_pool, s);
	}
	return NULL;
}

static void test_pool_threads(void)
{
	pthread_t t[4];
	int i;

	mt_pool = new_pool(3); /* fewer slots than threads: claims fail too */
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, mt_worker, (void *)(intptr_t)(i + 1));
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CU_ASSERT_EQUAL(mt_clash, 0);
	CU_ASSERT_EQUAL(mt_pool->live, 0);
	CU_ASSERT(mt_pool->peak <= 3);
	CU_ASSERT_PTR_NULL(gh_pool_sanity(mt_pool));
	free(mt_pool);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "new site sampled densely", test_new_site_dense },
		{ "dense 0 is the default", test_dense_default },
		{ "hot site thinned", test_hot_site_thinned },
		{ "interval adapts", test_interval_adapts },
		{ "sites apart", test_sites_apart },
		{ "site table full", test_site_table_full },
		{ "pool: lowest first, reuse", test_pool_lowest_first_and_reuse },
		{ "pool: the budget", test_pool_budget },
		{ "pool: pointers that are not blocks", test_pool_not_blocks },
		{ "pool: capped at GH_MAX_LIVE", test_pool_cap },
		{ "pool: threads", test_pool_threads },
	};
	return cunit_run("gheap", tests, sizeof(tests) / sizeof(tests[0]));
}
