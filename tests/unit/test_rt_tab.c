/*
 * test_rt_tab.c - CUnit tests for preload/rt_tab.c, exact mode's pure
 * tables: two-word interning, calling contexts turned back into stacks,
 * lock-set interning, the heap-block table (with deletions that shift
 * probe runs), and the memory-order -> engine-call plan of each atomic
 * operation.  No threads, no shim: memory comes from calloc.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../preload/rt_tab.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* the tables never free: each test releases what it allocated */
static void *mem[4096];
static int n_mem;

static void *test_alloc(void *cookie, size_t n)
{
	void *p;

	(void)cookie;
	if (n_mem == (int)N_OF(mem))
		return NULL;
	p = calloc(1, n);
	if (p)
		mem[n_mem++] = p;
	return p;
}
static const struct rc_alloc A = { test_alloc, NULL };

static void release(void)
{
	while (n_mem > 0)
		free(mem[--n_mem]);
}

/* ---- interning ---- */

static void test_itab_same_key_same_id(void)
{
	struct lh_itab t;
	int is_new = 0;
	uint32_t a, b, c;

	CU_ASSERT_EQUAL_FATAL(lh_itab_init(&t, 8, &A), 0);
	a = lh_itab_get(&t, 1, 0x1000, &is_new);
	CU_ASSERT(a != 0);
	CU_ASSERT_EQUAL(is_new, 1);
	b = lh_itab_get(&t, 1, 0x1000, &is_new);
	CU_ASSERT_EQUAL(a, b);
	CU_ASSERT_EQUAL(is_new, 0);
	c = lh_itab_get(&t, 2, 0x1000, &is_new);
	CU_ASSERT(c != 0 && c != a);
	CU_ASSERT_EQUAL(is_new, 1);
	/* (k1, k2) and (k2, k1) are different keys */
	CU_ASSERT(lh_itab_get(&t, 0x1000, 1, NULL) != a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lh_itab_key(&t, a));
	CU_ASSERT_EQUAL(lh_itab_key(&t, a)->k1, 1);
	CU_ASSERT_EQUAL(lh_itab_key(&t, a)->k2, 0x1000);
	CU_ASSERT_PTR_NULL(lh_itab_key(&t, 0));
	CU_ASSERT_PTR_NULL(lh_itab_key(&t, 100000));
	release();
}

static void test_itab_full(void)
{
	struct lh_itab t;
	uint32_t ids[256];
	int i, got = 0;

	CU_ASSERT_EQUAL_FATAL(lh_itab_init(&t, 6, &A), 0); /* 64 slots, 48 usable */
	for (i = 0; i < 100; i++) {
		ids[i] = lh_itab_get(&t, (uint64_t)i, 7, NULL);
		if (ids[i])
			got++;
	}
	CU_ASSERT_EQUAL(got, 48);
	/* a full table still finds what it has, and still says no to new keys */
	for (i = 0; i < 100; i++)
		if (ids[i])
			CU_ASSERT_EQUAL(lh_itab_get(&t, (uint64_t)i, 7, NULL), ids[i]);
	CU_ASSERT_EQUAL(lh_itab_get(&t, 5000, 7, NULL), 0);
	release();
}

/* ---- calling contexts ---- */

static void test_ctx_stack_round_trip(void)
{
	struct lh_ctxtab c;
	uintptr_t pcs[8];
	uint32_t n1, n2, n3, ctx, ls = 0;
	int trunc = -1, n;

	CU_ASSERT_EQUAL_FATAL(lh_ctx_init(&c, 8, 8, &A), 0);
	/* main called by libc (ret 0x10), f called from main (0x20), g from f (0x30) */
	n1 = lh_ctx_node(&c, 0, 0x10);
	n2 = lh_ctx_node(&c, n1, 0x20);
	n3 = lh_ctx_node(&c, n2, 0x30);
	CU_ASSERT(n1 && n2 && n3 && n1 != n2 && n2 != n3);
	CU_ASSERT_EQUAL(lh_ctx_node(&c, n1, 0x20), n2); /* the same path, the same node */
	CU_ASSERT(lh_ctx_node(&c, n3, 0x20) != n2);      /* same call site, other path */
	ctx = lh_ctx_make(&c, n3, 5, 0x3333);
	CU_ASSERT(ctx != 0);
	CU_ASSERT_EQUAL(lh_ctx_make(&c, n3, 5, 0x3333), ctx);
	CU_ASSERT(lh_ctx_make(&c, n3, 6, 0x3333) != ctx); /* other locks held */
	CU_ASSERT(lh_ctx_make(&c, n3, 5, 0x3334) != ctx); /* other pc */
	CU_ASSERT(lh_ctx_make(&c, n2, 5, 0x3333) != ctx); /* other stack */
	n = lh_ctx_stack(&c, ctx, pcs, 8, &trunc, &ls);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_EQUAL(pcs[0], 0x3333);
	CU_ASSERT_EQUAL(pcs[1], 0x30);
	CU_ASSERT_EQUAL(pcs[2], 0x20);
	CU_ASSERT_EQUAL(pcs[3], 0x10);
	CU_ASSERT_EQUAL(trunc, 0);
	CU_ASSERT_EQUAL(ls, 5);
	/* cut short */
	n = lh_ctx_stack(&c, ctx, pcs, 2, &trunc, NULL);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(trunc, 1);
	CU_ASSERT_EQUAL(pcs[1], 0x30);
	/* unknown ctx: nothing */
	CU_ASSERT_EQUAL(lh_ctx_stack(&c, 0, pcs, 8, &trunc, &ls), 0);
	CU_ASSERT_EQUAL(lh_ctx_stack(&c, 9999, pcs, 8, &trunc, &ls), 0);
	/* an access at the top of a thread (no frames) */
	ctx = lh_ctx_make(&c, 0, 0, 0x77);
	CU_ASSERT_EQUAL(lh_ctx_stack(&c, ctx, pcs, 8, &trunc, &ls), 1);
	CU_ASSERT_EQUAL(pcs[0], 0x77);
	/* a bare node (an allocation site) */
	n = lh_ctx_node_stack(&c, n2, pcs, 8, &trunc);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(pcs[0], 0x20);
	CU_ASSERT_EQUAL(pcs[1], 0x10);
	release();
}

/* ---- lock sets ---- */

static void test_lockset_interning(void)
{
	struct lh_lstab t;
	struct lh_lockref a[2] = { { 0x100, 1, 0 }, { 0x200, 2, 1 } };
	struct lh_lockref b[2] = { { 0x200, 2, 1 }, { 0x100, 1, 0 } };
	struct lh_lockref c[2] = { { 0x100, 1, 0 }, { 0x200, 2, 0 } };
	const struct lh_lockref *got;
	uint32_t ia, ib, ic;

	CU_ASSERT_EQUAL_FATAL(lh_ls_init(&t, 6, &A), 0);
	CU_ASSERT_EQUAL(lh_ls_get(&t, a, 0), 0); /* nothing held */
	ia = lh_ls_get(&t, a, 2);
	CU_ASSERT(ia != 0 && ia != UINT32_MAX);
	CU_ASSERT_EQUAL(lh_ls_get(&t, a, 2), ia);
	ib = lh_ls_get(&t, b, 2);
	CU_ASSERT(ib != ia); /* acquisition order is part of the set */
	ic = lh_ls_get(&t, c, 2);
	CU_ASSERT(ic != ia); /* so is the mode */
	CU_ASSERT(lh_ls_get(&t, a, 1) != ia);
	CU_ASSERT_EQUAL_FATAL(lh_ls_locks(&t, ia, &got), 2);
	CU_ASSERT_EQUAL(got[0].addr, 0x100);
	CU_ASSERT_EQUAL(got[1].addr, 0x200);
	CU_ASSERT_EQUAL(got[1].kind, 2);
	CU_ASSERT_EQUAL(got[1].mode, 1);
	CU_ASSERT_EQUAL(lh_ls_locks(&t, 0, &got), 0);
	CU_ASSERT_PTR_NULL(got);
	release();
}

static void test_lockset_limits(void)
{
	struct lh_lstab t;
	struct lh_lockref many[LH_LOCKSET_MAX + 4];
	const struct lh_lockref *got;
	uint32_t id;
	int i, full = 0;

	CU_ASSERT_EQUAL_FATAL(lh_ls_init(&t, 4, &A), 0); /* 16 slots, 12 usable */
	for (i = 0; i < (int)N_OF(many); i++) {
		many[i].addr = 0x1000 + (uint64_t)i * 64;
		many[i].kind = 1;
		many[i].mode = 0;
	}
	/* more than LH_LOCKSET_MAX: the first LH_LOCKSET_MAX are kept */
	id = lh_ls_get(&t, many, (int)N_OF(many));
	CU_ASSERT_EQUAL(id, lh_ls_get(&t, many, LH_LOCKSET_MAX));
	CU_ASSERT_EQUAL(lh_ls_locks(&t, id, &got), LH_LOCKSET_MAX);
	/* a full table says so */
	for (i = 1; i < 20; i++)
		if (lh_ls_get(&t, many + i, 1) == UINT32_MAX)
			full++;
	CU_ASSERT(full > 0);
	CU_ASSERT_EQUAL(lh_ls_get(&t, many, LH_LOCKSET_MAX), id);
	release();
}

/* ---- heap blocks ---- */

static void test_heap_insert_find_remove(void)
{
	struct lh_heap h;
	struct lh_heap_block b = { 0x10000, 64, 7, 2 }, z = { 0x20000, 0, 8, 3 }, out;

	CU_ASSERT_EQUAL_FATAL(lh_heap_init(&h, 4, &A), 0);
	CU_ASSERT_EQUAL(lh_heap_insert(&h, &b), 0);
	CU_ASSERT_EQUAL(lh_heap_insert(&h, &z), 0);
	CU_ASSERT_EQUAL(lh_heap_count(&h), 2);
	/* containment: first byte, last byte, one past */
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x10000, &out), 1);
	CU_ASSERT_EQUAL(out.size, 64);
	CU_ASSERT_EQUAL(out.alloc_node, 7);
	CU_ASSERT_EQUAL(out.thread, 2);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x1003f, &out), 1);
	CU_ASSERT_EQUAL(out.base, 0x10000);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x10040, &out), 0);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0xffff, &out), 0);
	/* a zero-size block contains its base only */
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x20000, &out), 1);
	CU_ASSERT_EQUAL(out.alloc_node, 8);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x20001, &out), 0);
	/* the same base again replaces the old block */
	b.size = 128;
	b.alloc_node = 9;
	CU_ASSERT_EQUAL(lh_heap_insert(&h, &b), 0);
	CU_ASSERT_EQUAL(lh_heap_count(&h), 2);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x1007f, &out), 1);
	CU_ASSERT_EQUAL(out.alloc_node, 9);
	CU_ASSERT_EQUAL(lh_heap_remove(&h, 0x10000, &out), 1);
	CU_ASSERT_EQUAL(out.size, 128);
	CU_ASSERT_EQUAL(lh_heap_remove(&h, 0x10000, &out), 0);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x10000, &out), 0);
	CU_ASSERT_EQUAL(lh_heap_remove(&h, 0x12345, NULL), 0);
	CU_ASSERT_EQUAL(lh_heap_count(&h), 1);
	release();
}

/* Big blocks (over LH_HEAP_NEAR) are found from anywhere inside them, and
 * leave the big-block list when freed; a small block is not found from
 * past its end even when a big one lies below it. */
static void test_heap_big_blocks(void)
{
	struct lh_heap h;
	struct lh_heap_block big = { 0x40000000, 8u << 20, 3, 1 }, small = { 0x40900000, 100, 4, 2 }, out;

	CU_ASSERT_EQUAL_FATAL(lh_heap_init(&h, 6, &A), 0);
	CU_ASSERT_EQUAL(lh_heap_insert(&h, &big), 0);
	CU_ASSERT_EQUAL(lh_heap_insert(&h, &small), 0);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x40000000 + (5u << 20) + 3, &out), 1);
	CU_ASSERT_EQUAL(out.alloc_node, 3);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x40000000 + (8u << 20) - 1, &out), 1);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x40000000 + (8u << 20), &out), 0);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x40900063, &out), 1);
	CU_ASSERT_EQUAL(out.alloc_node, 4);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x40900064, &out), 0);
	CU_ASSERT_EQUAL(lh_heap_remove(&h, 0x40000000, &out), 1);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x40000000 + (5u << 20), &out), 0);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x40900010, &out), 1);
	/* a fork child keeps the allocating thread only where it is its own */
	big.thread = 2;
	CU_ASSERT_EQUAL(lh_heap_insert(&h, &big), 0);
	lh_heap_forget_threads(&h, 2);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x40900010, &out), 1);
	CU_ASSERT_EQUAL(out.thread, 2);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x40000010, &out), 1);
	CU_ASSERT_EQUAL(out.thread, 2);
	lh_heap_forget_threads(&h, 1);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x40900010, &out), 1);
	CU_ASSERT_EQUAL(out.thread, 0);
	CU_ASSERT_EQUAL(lh_heap_find(&h, 0x40000010, &out), 1);
	CU_ASSERT_EQUAL(out.thread, 0);
	release();
}

/* Many blocks in small shards: long probe runs, then deletions in a
 * scattered order.  Every block left must still be found (a wrong
 * backward shift loses entries behind the hole), every removed one not. */
static void test_heap_churn(void)
{
	enum { N = 1500 };
	struct lh_heap h;
	static uint8_t present[N];
	struct lh_heap_block b, out;
	int i, round, ok = 1, inserted = 0;

	CU_ASSERT_EQUAL_FATAL(lh_heap_init(&h, 5, &A), 0); /* 32 slots x 64 shards, 24 usable each */
	memset(present, 0, sizeof(present));
	for (i = 0; i < N; i++) {
		b.base = 0x100000 + (uint64_t)i * 48;
		b.size = 48;
		b.alloc_node = (uint32_t)i + 1;
		b.thread = 1;
		if (lh_heap_insert(&h, &b) == 0) {
			present[i] = 1;
			inserted++;
		}
	}
	CU_ASSERT(inserted > 0 && inserted <= 24 * LH_HEAP_SHARDS);
	CU_ASSERT(inserted < N); /* some shards filled up and said so */
	CU_ASSERT_EQUAL(lh_heap_count(&h), (uint64_t)inserted);
	for (round = 0; round < 3; round++) {
		for (i = round; i < N; i += 3 + round) {
			int r = lh_heap_remove(&h, 0x100000 + (uint64_t)i * 48, &out);
			if (r != present[i] || (r && out.alloc_node != (uint32_t)i + 1))
				ok = 0;
			present[i] = 0;
		}
		for (i = 0; i < N; i++) {
			uint64_t a = 0x100000 + (uint64_t)i * 48 + 17;
			int f = lh_heap_find(&h, a, &out);
			if (f != present[i] || (f && out.alloc_node != (uint32_t)i + 1))
				ok = 0;
		}
	}
	CU_ASSERT(ok);
	/* freed room is usable again */
	b.base = 0x100000;
	b.size = 1;
	CU_ASSERT_EQUAL(lh_heap_insert(&h, &b), 0);
	release();
}

/* ---- atomics ---- */

static void test_atomic_plan(void)
{
	enum { RLX = 0, CON = 1, ACQ = 2, REL = 3, AR = 4, SC = 5 };
	const unsigned A_R = LH_RTA_ACCESS, A_W = LH_RTA_ACCESS | LH_RTA_WRITE, S = LH_RTA_SERIAL;
	struct {
		int op, mo;
		unsigned want;
	} cases[] = {
		{ LH_AOP_LOAD, RLX, A_R | LH_RTA_RELAXED_LOAD | S },
		{ LH_AOP_LOAD, CON, A_R | LH_RTA_ACQUIRE | S },
		{ LH_AOP_LOAD, ACQ, A_R | LH_RTA_ACQUIRE | S },
		{ LH_AOP_LOAD, SC, A_R | LH_RTA_ACQUIRE | S },
		{ LH_AOP_STORE, RLX, A_W | LH_RTA_RELAXED_STORE | S },
		{ LH_AOP_STORE, REL, A_W | LH_RTA_RELEASE_STORE | S },
		{ LH_AOP_STORE, SC, A_W | LH_RTA_RELEASE_STORE | S },
		{ LH_AOP_RMW, RLX, A_W | LH_RTA_RELAXED_RMW | S },
		{ LH_AOP_RMW, ACQ, A_W | LH_RTA_ACQUIRE | S },
		{ LH_AOP_RMW, REL, A_W | LH_RTA_RELEASE_RMW | S },
		{ LH_AOP_RMW, AR, A_W | LH_RTA_ACQ_REL | S },
		{ LH_AOP_RMW, SC, A_W | LH_RTA_ACQ_REL | S },
		{ LH_AOP_CAS_FAIL, RLX, A_R | LH_RTA_RELAXED_LOAD | S },
		{ LH_AOP_CAS_FAIL, ACQ, A_R | LH_RTA_ACQUIRE | S },
		{ LH_AOP_CAS_FAIL, SC, A_R | LH_RTA_ACQUIRE | S },
		{ LH_AOP_FENCE, RLX, 0 },
		{ LH_AOP_FENCE, ACQ, LH_RTA_FENCE_ACQ },
		{ LH_AOP_FENCE, REL, LH_RTA_FENCE_REL },
		{ LH_AOP_FENCE, AR, LH_RTA_FENCE_ACQ | LH_RTA_FENCE_REL },
		{ LH_AOP_FENCE, SC, LH_RTA_FENCE_ACQ | LH_RTA_FENCE_REL },
		/* gcc's __sync builtins and HLE set bits above the order */
		{ LH_AOP_RMW, 32768 | SC, A_W | LH_RTA_ACQ_REL | S },
		{ LH_AOP_LOAD, 65536 | ACQ, A_R | LH_RTA_ACQUIRE | S },
		/* a load never releases, a store never acquires */
		{ LH_AOP_LOAD, REL, A_R | LH_RTA_RELAXED_LOAD | S },
		{ LH_AOP_STORE, ACQ, A_W | LH_RTA_RELAXED_STORE | S },
	};
	size_t i;

	for (i = 0; i < N_OF(cases); i++) {
		unsigned got = lh_rt_atomic_plan(cases[i].op, cases[i].mo);
		if (got != cases[i].want)
			fprintf(stderr, "case %zu: op %d mo %d: got %#x want %#x\n", i, cases[i].op,
			        cases[i].mo, got, cases[i].want);
		CU_ASSERT_EQUAL(got, cases[i].want);
	}
	release();
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "itab: same key, same id", test_itab_same_key_same_id },
		{ "itab: full table", test_itab_full },
		{ "ctx: stack round trip", test_ctx_stack_round_trip },
		{ "lockset: interning", test_lockset_interning },
		{ "lockset: limits", test_lockset_limits },
		{ "heap: insert, find, remove", test_heap_insert_find_remove },
		{ "heap: churn with backward shifts", test_heap_churn },
		{ "heap: big blocks", test_heap_big_blocks },
		{ "atomics: memory order -> engine calls", test_atomic_plan },
	};
	return cunit_run("exact-mode tables", tests, N_OF(tests));
}
