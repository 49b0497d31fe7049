/*
 * test_forklocks.c - CUnit tests for preload/forklocks.c, the shim's locks
 * across fork: the list holds every lock of the shim, once; its order puts
 * each lock before every lock taken while it is held (the nesting written
 * in forklocks.c); taking them all waits for a thread that holds any one;
 * releasing and re-making leave them all free.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "shim.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* every lock of the shim (grep for pthread_mutex_t and spins in preload/) */
static const void *const all_locks[] = {
	&lh_edge_mu, &lh_thr_mu, &lh_stk_mu, &lh_py_mu, &lh_mods_mu, &lh_cond_mu,
	&lh_log_mu, &lh_lid_grow_mu, &lh_mis_seen_mu, &lh_alloc_spin,
	&lh_gh_spin,
};

static const void *lock_ptr(const struct lh_fork_lock *l)
{
	return l->mu ? (const void *)l->mu : (const void *)l->spin;
}

static int index_of(const void *p)
{
	size_t i;
	for (i = 0; i < lh_n_fork_locks; i++)
		if (lock_ptr(&lh_fork_locks[i]) == p)
			return (int)i;
	return -1;
}

static int is_held(const struct lh_fork_lock *l)
{
	if (l->spin)
		return __atomic_load_n(l->spin, __ATOMIC_ACQUIRE) != 0;
	if (pthread_mutex_trylock(l->mu) == EBUSY)
		return 1;
	pthread_mutex_unlock(l->mu);
	return 0;
}

static void test_every_lock_once(void)
{
	size_t i;

	CU_ASSERT_EQUAL(lh_n_fork_locks, N_OF(all_locks));
	for (i = 0; i < N_OF(all_locks); i++) {
		size_t j, n = 0;
		for (j = 0; j < lh_n_fork_locks; j++)
			n += lock_ptr(&lh_fork_locks[j]) == all_locks[i];
		CU_ASSERT_EQUAL(n, 1);
	}
	for (i = 0; i < lh_n_fork_locks; i++)
		CU_ASSERT((lh_fork_locks[i].mu != NULL) != (lh_fork_locks[i].spin != NULL));
}

/* outer -> inner: the second is taken while the first is held */
static void test_order_follows_nesting(void)
{
	static const struct {
		const void *outer, *inner;
	} nest[] = {
		{ &lh_edge_mu, &lh_thr_mu },     /* an edge's THREAD record */
		{ &lh_edge_mu, &lh_stk_mu },     /* an edge's stacks */
		{ &lh_edge_mu, &lh_mods_mu },    /* a stack's module records */
		{ &lh_edge_mu, &lh_log_mu },     /* the EDGE record */
		{ &lh_thr_mu, &lh_log_mu },      /* the watchdog's notes */
		{ &lh_stk_mu, &lh_mods_mu },     /* modules before a new stack */
		{ &lh_stk_mu, &lh_log_mu },      /* STACK records */
		{ &lh_mods_mu, &lh_log_mu },     /* MODULE records */
		{ &lh_cond_mu, &lh_log_mu },     /* the condvar table's note */
		{ &lh_stk_mu, &lh_alloc_spin },  /* every lock allocates inside */
		{ &lh_py_mu, &lh_alloc_spin },   /* interned Python names and stacks */
		{ &lh_lid_grow_mu, &lh_alloc_spin },
		{ &lh_mis_seen_mu, &lh_alloc_spin },
		{ &lh_log_mu, &lh_alloc_spin },
	};
	size_t i;

	for (i = 0; i < N_OF(nest); i++) {
		int a = index_of(nest[i].outer), b = index_of(nest[i].inner);
		CU_ASSERT(a >= 0 && b >= 0);
		CU_ASSERT(a < b);
	}
	/* the spins are innermost: nothing is taken while one is held */
	CU_ASSERT_PTR_EQUAL(lock_ptr(&lh_fork_locks[lh_n_fork_locks - 2]), &lh_alloc_spin);
	CU_ASSERT_PTR_EQUAL(lock_ptr(&lh_fork_locks[lh_n_fork_locks - 1]), &lh_gh_spin);
}

static void test_lock_unlock_reset(void)
{
	size_t i;

	lh_locks_held = 0;
	lh_fork_lock_all();
	for (i = 0; i < lh_n_fork_locks; i++)
		CU_ASSERT(is_held(&lh_fork_locks[i]));
	CU_ASSERT_EQUAL(lh_locks_held, (int)lh_n_fork_locks);
	lh_fork_unlock_all();
	for (i = 0; i < lh_n_fork_locks; i++)
		CU_ASSERT(!is_held(&lh_fork_locks[i]));
	CU_ASSERT_EQUAL(lh_locks_held, 0);
	/* the child's side: held at fork, free after re-making */
	lh_fork_lock_all();
	lh_fork_reset_all();
	for (i = 0; i < lh_n_fork_locks; i++)
		CU_ASSERT(!is_held(&lh_fork_locks[i]));
	lh_locks_held = 0;
	/* and usable again */
	lh_fork_lock_all();
	lh_fork_unlock_all();
	CU_ASSERT_EQUAL(lh_locks_held, 0);
}

struct taker {
	int done;
};

static void *taker_main(void *arg)
{
	struct taker *t = arg;

	lh_fork_lock_all();
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	lh_fork_unlock_all();
	return NULL;
}

/* a thread in any critical section holds fork back until it leaves */
static void test_waits_for_each_holder(void)
{
	size_t i;

	for (i = 0; i < lh_n_fork_locks; i++) {
		const struct lh_fork_lock *l = &lh_fork_locks[i];
		struct timespec ms20 = { 0, 20000000 };
		struct taker t = { 0 };
		pthread_t th;

		if (l->mu)
			pthread_mutex_lock(l->mu);
		else
			__atomic_store_n(l->spin, 1, __ATOMIC_RELEASE);
		CU_ASSERT_FATAL(pthread_create(&th, NULL, taker_main, &t) == 0);
		nanosleep(&ms20, NULL);
		CU_ASSERT_EQUAL(__atomic_load_n(&t.done, __ATOMIC_ACQUIRE), 0);
		if (l->mu)
			pthread_mutex_unlock(l->mu);
		else
			__atomic_store_n(l->spin, 0, __ATOMIC_RELEASE);
		pthread_join(th, NULL);
		CU_ASSERT_EQUAL(t.done, 1);
	}
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "every_lock_once", test_every_lock_once },
		{ "order_follows_nesting", test_order_follows_nesting },
		{ "lock_unlock_reset", test_lock_unlock_reset },
		{ "waits_for_each_holder", test_waits_for_each_holder },
	};
	return cunit_run("forklocks", tests, N_OF(tests));
}
