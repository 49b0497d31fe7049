/*
 * test_lockid.c - CUnit tests for preload/lockid.c, the lock-identity table:
 * identities across init, destroy, re-init, static re-init (a destroyed
 * mutex assigned PTHREAD_MUTEX_INITIALIZER and used again) and free()
 * (C++ delete of an object holding a std::mutex), the thread cache, and the
 * publication of a new identity (no reader may see a new id with the old
 * identity's fields).  Scripted: no threads, no shim, no log.
 */
#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"
#include "shim_stubs.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static struct lh_lock *slot(void *addr)
{
	struct lh_lock *lk = lh_lid_lookup((uintptr_t)addr, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lk);
	return lk;
}

static uint32_t gen_of(const struct lh_lock *lk)
{
	struct lh_rec_lock r;
	lh_lid_describe(lk, 0, &r);
	return r.generation;
}

static void test_first_use_is_static_init(void)
{
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct lh_lock *lk = slot(&m);
	struct lh_rec_lock r;
	uint64_t id;

	CU_ASSERT_EQUAL(lh_lid_peek(lk), 0);
	id = lh_lid_id(lk, LH_LOCK_MUTEX, LH_LOCKF_RECURSIVE);
	CU_ASSERT(id != 0);
	CU_ASSERT_EQUAL(lh_lid_id(lk, LH_LOCK_MUTEX, 0), id); /* the same lock next time */
	CU_ASSERT_EQUAL(lh_lid_peek(lk), id);
	lh_lid_describe(lk, id, &r);
	CU_ASSERT_EQUAL(r.lock_id, id);
	CU_ASSERT_EQUAL(r.addr, (uintptr_t)&m);
	CU_ASSERT_EQUAL(r.kind, LH_LOCK_MUTEX);
	CU_ASSERT_EQUAL(r.flags, LH_LOCKF_RECURSIVE | LH_LOCKF_STATIC_INIT);
	CU_ASSERT_EQUAL(r.init_stack, 0);
	CU_ASSERT_EQUAL(r.generation, 1);
	CU_ASSERT_PTR_EQUAL(lh_lid_lookup((uintptr_t)&m, 0), lk);
}

static void test_init_destroy_reinit(void)
{
	static pthread_mutex_t m;
	struct lh_lock *lk = slot(&m);
	struct lh_rec_lock r;
	uint64_t a, b;

	a = lh_lid_new(lk, LH_LOCK_MUTEX, LH_LOCKF_ERRORCHECK, 11);
	CU_ASSERT_EQUAL(lh_lid_id(lk, LH_LOCK_MUTEX, 0), a);
	lh_lid_describe(lk, a, &r);
	CU_ASSERT_EQUAL(r.flags, LH_LOCKF_ERRORCHECK); /* init seen: not static */
	CU_ASSERT_EQUAL(r.init_stack, 11);
	CU_ASSERT_EQUAL(r.generation, 1);
	lh_lid_end(lk); /* destroy */
	CU_ASSERT_EQUAL(lh_lid_peek(lk), 0);
	b = lh_lid_new(lk, LH_LOCK_MUTEX, 0, 12); /* init again */
	CU_ASSERT(b != a);
	lh_lid_describe(lk, b, &r);
	CU_ASSERT_EQUAL(r.init_stack, 12);
	CU_ASSERT_EQUAL(r.flags, 0);
	CU_ASSERT_EQUAL(r.generation, 2);
}

/* memory initialized in place again, with no destroy: a new lock */
static void test_reinit_without_destroy(void)
{
	static pthread_rwlock_t l;
	struct lh_lock *lk = slot(&l);
	uint64_t a = lh_lid_new(lk, LH_LOCK_RWLOCK, 0, 1);
	uint64_t b = lh_lid_new(lk, LH_LOCK_RWLOCK, LH_LOCKF_WRITER_PREF, 2);
	struct lh_rec_lock r;

	CU_ASSERT(a != b);
	CU_ASSERT_EQUAL(lh_lid_id(lk, LH_LOCK_RWLOCK, 0), b);
	lh_lid_describe(lk, b, &r);
	CU_ASSERT_EQUAL(r.flags, LH_LOCKF_WRITER_PREF);
	CU_ASSERT_EQUAL(r.generation, 2);
}

/* pthread_mutex_destroy(&m); m = PTHREAD_MUTEX_INITIALIZER; lock(&m): the
 * shim sees destroy and then a first use with no init */
static void test_static_reinit_after_destroy(void)
{
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct lh_lock *lk = slot(&m);
	uint64_t a = lh_lid_id(lk, LH_LOCK_MUTEX, 0), b;
	struct lh_rec_lock r;

	lh_lid_end(lk);
	b = lh_lid_id(lk, LH_LOCK_MUTEX, 0);
	CU_ASSERT(b != 0 && b != a);
	lh_lid_describe(lk, b, &r);
	CU_ASSERT_EQUAL(r.flags, LH_LOCKF_STATIC_INIT);
	CU_ASSERT_EQUAL(r.generation, 2);
	CU_ASSERT_EQUAL(lh_lid_id(lk, LH_LOCK_MUTEX, 0), b);
	lh_lid_end(lk);
	lh_lid_end(lk); /* twice: still just "no identity" */
	CU_ASSERT_EQUAL(lh_lid_peek(lk), 0);
	CU_ASSERT(lh_lid_id(lk, LH_LOCK_MUTEX, 0) > b);
}

/* delete of an object holding locks (std::mutex is never destroyed): the
 * locks in the freed block lose their identity, those outside keep it;
 * every page of a larger block counts */
static void test_freed_memory(void)
{
	static char heap[5 * 4096] __attribute__((aligned(4096)));
	void *in1 = heap + 64, *in2 = heap + 2 * 4096 + 8, *out = heap + 4 * 4096;
	struct lh_lock *l1 = slot(in1), *l2 = slot(in2), *lo = slot(out);
	uint64_t i1 = lh_lid_id(l1, LH_LOCK_MUTEX, 0), i2 = lh_lid_id(l2, LH_LOCK_MUTEX, 0);
	uint64_t io = lh_lid_id(lo, LH_LOCK_MUTEX, 0);

	lh_lid_freed(heap + 64, 3 * 4096); /* [64, 12352): in1 and in2, not out */
	CU_ASSERT_EQUAL(lh_lid_peek(l1), 0);
	CU_ASSERT_EQUAL(lh_lid_peek(l2), 0);
	CU_ASSERT_EQUAL(lh_lid_peek(lo), io);
	CU_ASSERT(lh_lid_id(l1, LH_LOCK_MUTEX, 0) != i1);
	CU_ASSERT(lh_lid_id(l2, LH_LOCK_MUTEX, 0) != i2);
	/* a block that ends just before a lock does not touch it */
	lh_lid_freed(heap + 4 * 4096 - 64, 64);
	CU_ASSERT_EQUAL(lh_lid_peek(lo), io);
	lh_lid_freed(NULL, 100); /* free(NULL) */
}

static void test_thread_cache(void)
{
	static pthread_mutex_t m1, m2;
	struct lh_thread *t = calloc(1, sizeof(*t));
	struct lh_lock *a, *b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	a = lh_lid_get(t, &m1);
	CU_ASSERT_PTR_EQUAL(a, lh_lid_lookup((uintptr_t)&m1, 0));
	CU_ASSERT_PTR_EQUAL(lh_lid_get(t, &m1), a);
	b = lh_lid_get(t, &m2);
	CU_ASSERT_PTR_NOT_EQUAL(a, b);
	CU_ASSERT_PTR_EQUAL(lh_lid_get(t, &m1), a);
	free(t);
}

/* a thread struct as td_alloc makes it (its lock cache set up) */
static struct lh_thread *new_thread(void)
{
	struct lh_thread *t = calloc(1, sizeof(*t));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	lh_lid_thread_init(t);
	return t;
}

/* A thread cycling over more locks with identities than its cache holds
 * grows the cache 4x at a time, once its misses since the last growth
 * outnumber the entries, to LH_LOCK_CACHE_MAX; after that the cycle hits. */
static void test_lock_cache_grows(void)
{
	static pthread_mutex_t items[4096];
	struct lh_thread *t = new_thread();
	int i, round;

	for (i = 0; i < 4096; i++)
		lh_lid_new(slot(&items[i]), LH_LOCK_MUTEX, 0, 0);
	CU_ASSERT_PTR_EQUAL(t->lock_cache, t->lock_cache0);
	CU_ASSERT_EQUAL(t->lock_mask, LH_LOCK_CACHE - 1);
	/* fewer misses than entries: not yet */
	for (i = 0; i < LH_LOCK_CACHE; i++)
		CU_ASSERT_PTR_EQUAL(lh_lid_get(t, &items[i]), slot(&items[i]));
	CU_ASSERT_EQUAL(t->lock_mask, LH_LOCK_CACHE - 1);
	for (round = 0; round < 8; round++)
		for (i = 0; i < 4096; i++)
			CU_ASSERT_PTR_EQUAL(lh_lid_get(t, &items[i]), slot(&items[i]));
	CU_ASSERT_PTR_NOT_EQUAL(t->lock_cache, t->lock_cache0);
	CU_ASSERT(t->lock_mask + 1 >= 4096);
	CU_ASSERT(t->lock_mask + 1 <= LH_LOCK_CACHE_MAX);
	/* now every one of them is in the cache: a round is all hits */
	for (i = 0; i < 4096; i++)
		lh_lid_get(t, &items[i]);
	{
		uint32_t misses = t->lock_known_misses;
		for (i = 0; i < 4096; i++)
			CU_ASSERT_PTR_EQUAL(lh_lid_get(t, &items[i]), slot(&items[i]));
		CU_ASSERT_EQUAL(t->lock_known_misses, misses);
	}
	free(t);
}

/* ...and never past LH_LOCK_CACHE_MAX, however long it misses */
static void test_lock_cache_bounded(void)
{
	static pthread_mutex_t many[3 * LH_LOCK_CACHE_MAX];
	struct lh_thread *t = new_thread();
	size_t i;
	int round;

	for (i = 0; i < N_OF(many); i++)
		lh_lid_new(slot(&many[i]), LH_LOCK_MUTEX, 0, 0);
	for (round = 0; round < 8; round++)
		for (i = 0; i < N_OF(many); i++)
			CU_ASSERT_PTR_EQUAL(lh_lid_get(t, &many[i]), slot(&many[i]));
	CU_ASSERT_EQUAL(t->lock_mask + 1, LH_LOCK_CACHE_MAX);
	free(t);
}

/* A thread that only meets locks with no identity yet (each first use
 * makes one: a program making new locks) keeps the small cache. */
static void test_lock_cache_new_locks_keep_it_small(void)
{
	static pthread_mutex_t fresh[4 * LH_LOCK_CACHE];
	struct lh_thread *t = new_thread();
	size_t i;

	for (i = 0; i < N_OF(fresh); i++) {
		struct lh_lock *lk = lh_lid_get(t, &fresh[i]);
		CU_ASSERT_EQUAL(lh_lid_peek(lk), 0);
		lh_lid_id(lk, LH_LOCK_MUTEX, 0); /* its first use */
	}
	CU_ASSERT_PTR_EQUAL(t->lock_cache, t->lock_cache0);
	CU_ASSERT_EQUAL(t->lock_mask, LH_LOCK_CACHE - 1);
	free(t);
}

/* n locks with identities, cycled over by t until its cache has grown */
static void grown_over(struct lh_thread *t, pthread_mutex_t *locks, size_t n)
{
	size_t i;
	int round;

	for (i = 0; i < n; i++)
		lh_lid_new(slot(&locks[i]), LH_LOCK_MUTEX, 0, 0);
	for (round = 0; round < 8; round++)
		for (i = 0; i < n; i++)
			lh_lid_get(t, &locks[i]);
}

/* The cache maps an address to its slot, never to an identity: a lock
 * destroyed (or freed) and made again at the same address is answered with
 * its new id, from a grown cache too. */
static void test_lock_cache_reused_address(void)
{
	static pthread_mutex_t items[2048];
	struct lh_thread *t = new_thread();
	struct lh_lock *lk;
	uint64_t old_id, new_id;

	grown_over(t, items, N_OF(items));
	CU_ASSERT_PTR_NOT_EQUAL_FATAL(t->lock_cache, t->lock_cache0);
	lk = lh_lid_get(t, &items[7]);
	old_id = lh_lid_id(lk, LH_LOCK_MUTEX, 0);
	CU_ASSERT_PTR_EQUAL(lh_lc_entry(t, &items[7])->addr, &items[7]); /* a hit next */
	lh_lid_end(lk); /* destroy */
	lk = lh_lid_get(t, &items[7]);
	new_id = lh_lid_id(lk, LH_LOCK_MUTEX, 0); /* first use after it */
	CU_ASSERT(new_id != 0 && new_id != old_id);
	/* free() of the block, then init again */
	lh_lid_freed(&items[7], sizeof(items[7]));
	CU_ASSERT_EQUAL(lh_lid_peek(lh_lid_get(t, &items[7])), 0);
	CU_ASSERT(lh_lid_new(lh_lid_get(t, &items[7]), LH_LOCK_MUTEX, 0, 0) > new_id);
	CU_ASSERT(lh_lid_id(lh_lid_get(t, &items[7]), LH_LOCK_MUTEX, 0) > new_id);
	free(t);
}

/* A fork child keeps the forking thread's cache (and a grown array): its
 * entries are still right, their locks' ids are from before the fork, and
 * a new identity in the child is answered through the same entry. */
static void test_lock_cache_fork_child(void)
{
	static pthread_mutex_t items[2048];
	struct lh_thread *t = new_thread();
	struct lh_lock_ce *lc;
	uint32_t mask;
	uint64_t id;

	grown_over(t, items, N_OF(items));
	lc = t->lock_cache;
	mask = t->lock_mask;
	id = lh_lid_peek(lh_lid_get(t, &items[5]));
	lh_lid_after_fork_child();
	CU_ASSERT_PTR_EQUAL(t->lock_cache, lc);
	CU_ASSERT_EQUAL(t->lock_mask, mask);
	CU_ASSERT_PTR_EQUAL(lh_lid_get(t, &items[5]), slot(&items[5]));
	CU_ASSERT_EQUAL(lh_lid_peek(lh_lid_get(t, &items[5])), id);
	CU_ASSERT(lh_lid_before_fork(id));
	CU_ASSERT(!lh_lid_before_fork(lh_lid_new(lh_lid_get(t, &items[5]), LH_LOCK_MUTEX, 0, 0)));
	free(t);
}

/* ---- publication: a hook runs at each stage of making an identity and
 * looks at the slot as another thread would at that moment ---- */

extern void (*lh_lid_test_hook)(struct lh_lock *lk, int stage);

struct seen {
	int stage;
	uint64_t raw_id;   /* what the fast path (wrap.h) loads */
	uint64_t id;       /* what lh_lid_peek answers */
	uint32_t gen;
	uint16_t kind;
	uint32_t init_stack;
};
static struct seen seen[8];
static int n_seen;

static void look(struct lh_lock *lk, int stage)
{
	struct lh_rec_lock r;

	if (n_seen == (int)N_OF(seen))
		return;
	seen[n_seen].stage = stage;
	seen[n_seen].raw_id = __atomic_load_n(&lk->id, __ATOMIC_ACQUIRE);
	seen[n_seen].id = lh_lid_peek(lk);
	lh_lid_describe(lk, 0, &r);
	seen[n_seen].gen = r.generation;
	seen[n_seen].kind = (uint16_t)r.kind;
	seen[n_seen].init_stack = r.init_stack;
	n_seen++;
}

/* every id another thread could use (the fast path's signed test, or
 * lh_lid_peek) comes with the fields of that identity */
static void check_published(uint64_t made, uint32_t gen, uint16_t kind, uint32_t init_stack)
{
	int i, saw_made = 0;

	CU_ASSERT(n_seen >= 3);
	for (i = 0; i < n_seen; i++) {
		int usable = (int64_t)seen[i].raw_id > 0;
		CU_ASSERT_EQUAL(usable, seen[i].id != 0);
		if (seen[i].id != made)
			continue;
		saw_made = 1;
		CU_ASSERT_EQUAL(seen[i].gen, gen);
		CU_ASSERT_EQUAL(seen[i].kind, kind);
		CU_ASSERT_EQUAL(seen[i].init_stack, init_stack);
	}
	CU_ASSERT(saw_made); /* the last stage sees it */
}

static void test_publication_order(void)
{
	static pthread_spinlock_t s;
	static pthread_mutex_t m;
	struct lh_lock *lk = slot((void *)&s);
	uint64_t id;

	/* first use (static init) of a slot that had an identity before */
	lh_lid_new(lk, LH_LOCK_MUTEX, 0, 3);
	lh_lid_end(lk);
	n_seen = 0;
	lh_lid_test_hook = look;
	id = lh_lid_id(lk, LH_LOCK_SPIN, 0);
	lh_lid_test_hook = NULL;
	check_published(id, 2, LH_LOCK_SPIN, 0);
	CU_ASSERT_EQUAL(seen[0].stage, LH_LID_STAGE_CLAIMED);
	CU_ASSERT_EQUAL(seen[0].id, 0); /* claimed: nobody may use it yet */

	/* init over a live identity */
	lk = slot(&m);
	lh_lid_new(lk, LH_LOCK_RWLOCK, 0, 4);
	n_seen = 0;
	lh_lid_test_hook = look;
	id = lh_lid_new(lk, LH_LOCK_MUTEX, 0, 9);
	lh_lid_test_hook = NULL;
	check_published(id, 2, LH_LOCK_MUTEX, 9);
	CU_ASSERT_EQUAL(gen_of(lk), 2);
}

/* A thread that claimed a slot does not come along into a forked child:
 * the hook leaves lh_lid_new at the claim (as that thread would have), then
 * the child's first use of the lock must take the stale claim over, not
 * wait for it forever (alarm: a hang fails the test run). */
static jmp_buf vanish;

static void vanish_at_claim(struct lh_lock *lk, int stage)
{
	(void)lk;
	if (stage == LH_LID_STAGE_CLAIMED)
		longjmp(vanish, 1);
}

static void test_claim_stale_after_fork(void)
{
	static pthread_mutex_t m;
	struct lh_lock *volatile lk = slot(&m);
	uint64_t old = lh_lid_new(lk, LH_LOCK_MUTEX, 0, 1), id;

	if (!setjmp(vanish)) {
		lh_lid_test_hook = vanish_at_claim;
		lh_lid_new(lk, LH_LOCK_MUTEX, 0, 2);
	}
	lh_lid_test_hook = NULL;
	CU_ASSERT_EQUAL(lh_lid_peek(lk), 0); /* claimed: no usable id */
	CU_ASSERT((int64_t)__atomic_load_n(&lk->id, __ATOMIC_ACQUIRE) <= 0);
	lh_lid_end(lk);                      /* leaves a claim alone */
	lh_lid_after_fork_child();
	alarm(10);
	id = lh_lid_id(lk, LH_LOCK_MUTEX, 0);
	alarm(0);
	CU_ASSERT(id != 0 && id != old);
	CU_ASSERT_EQUAL(lh_lid_peek(lk), id);
	/* and init over a stale claim */
	if (!setjmp(vanish)) {
		lh_lid_test_hook = vanish_at_claim;
		lh_lid_new(lk, LH_LOCK_MUTEX, 0, 3);
	}
	lh_lid_test_hook = NULL;
	lh_lid_after_fork_child();
	alarm(10);
	id = lh_lid_new(lk, LH_LOCK_MUTEX, 0, 4);
	alarm(0);
	CU_ASSERT_EQUAL(lh_lid_peek(lk), id);
}

/* An identity made before the (simulated) fork is the parent's in the
 * child; one the child makes, or any in a process not forked, is not. */
static void test_before_fork(void)
{
	static pthread_mutex_t m, n;
	struct lh_lock *lk = slot(&m), *lk2 = slot(&n);
	uint64_t parent = lh_lid_new(lk, LH_LOCK_MUTEX, 0, 1), child, grandchild;

	CU_ASSERT(!lh_lid_before_fork(0));
	lh_lid_after_fork_child();
	CU_ASSERT(lh_lid_before_fork(parent));
	CU_ASSERT(!lh_lid_before_fork(0));
	child = lh_lid_new(lk, LH_LOCK_MUTEX, 0, 2); /* the child's init */
	CU_ASSERT(!lh_lid_before_fork(child));
	CU_ASSERT(!lh_lid_before_fork(lh_lid_id(lk2, LH_LOCK_MUTEX, 0))); /* first use */
	lh_lid_after_fork_child(); /* the child forks: its locks are the grandchild's parent's */
	CU_ASSERT(lh_lid_before_fork(child));
	grandchild = lh_lid_new(lk, LH_LOCK_MUTEX, 0, 3);
	CU_ASSERT(!lh_lid_before_fork(grandchild));
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "first_use_is_static_init", test_first_use_is_static_init },
		{ "init_destroy_reinit", test_init_destroy_reinit },
		{ "reinit_without_destroy", test_reinit_without_destroy },
		{ "static_reinit_after_destroy", test_static_reinit_after_destroy },
		{ "freed_memory", test_freed_memory },
		{ "thread_cache", test_thread_cache },
		{ "lock_cache_grows", test_lock_cache_grows },
		{ "lock_cache_bounded", test_lock_cache_bounded },
		{ "lock_cache_new_locks_keep_it_small", test_lock_cache_new_locks_keep_it_small },
		{ "lock_cache_reused_address", test_lock_cache_reused_address },
		{ "lock_cache_fork_child", test_lock_cache_fork_child },
		{ "publication_order", test_publication_order },
		{ "claim_stale_after_fork", test_claim_stale_after_fork },
		{ "before_fork", test_before_fork },
	};
	return cunit_run("lockid", tests, N_OF(tests));
}
