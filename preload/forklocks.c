/*
 * forklocks.c - every lock of the shim, in the one order in which they
 * nest, and taking them all around fork.
 *
 * Fork copies memory, not threads: a lock another thread held at the
 * moment of fork stays held in the child, where no thread will ever release
 * it, and the data it protects may be half-changed (the allocator's bump
 * pointer, the stack table while it grows, a hash table mid-insert).  So the
 * prepare handler takes every lock of the shim, which waits for every
 * thread to leave the shim's critical sections; the parent handler releases
 * them; the child, where only the forking thread exists and holds them all,
 * makes them anew (lh_fork_reset_all) over data that is whole.
 *
 * The order (outer first) is the one in which the shim nests its locks;
 * taking them in any other order could deadlock with a thread that holds
 * one and waits for another.  A lock comes before every lock taken while it
 * is held:
 *
 *   1. lh_edge_mu      edges.c: recording an edge writes stacks, LOCK and
 *                      THREAD records (2, 3, 5, 7, 10)
 *   2. lh_thr_mu       threads.c: the registry; notes (7)
 *   3. lh_stk_mu       stacks.c: the stack table; a new stack writes the
 *                      module map first (5, 7, 10)
 *   4. lh_py_mu        pyframes.c: the tables of Python names and stacks,
 *                      taken after CPython was called, never around a call
 *                      and never with another lock of the shim held (10)
 *   5. lh_mods_mu      logwrite.c: the module map (7, 10)
 *   6. lh_cond_mu      condtab.c: the condition-variable table; notes (7)
 *   7. lh_log_mu       logwrite.c: one record at a time (nothing inside)
 *   8. lh_lid_grow_mu  lockid.c: growing the lock table (10)
 *   9. lh_mis_seen_mu  misuse.c: misuse call sites seen (nothing inside)
 *  10. lh_alloc_spin   alloc.c: the bump allocator (nothing inside)
 *  11. lh_gh_spin      wrap_malloc.c: the sampled-heap picker (nothing inside;
 *                      only ever tried, so taking it anywhere cannot
 *                      deadlock: here it keeps a child from inheriting a
 *                      picker table half-changed)
 *
 * Not here: init.c's init_mu (start-up only, done before any fork the shim
 * sees), and the exact mode's locks, which lh_rt_fork_prepare takes first
 * (rt.c).  tests/unit/test_forklocks.c checks the list and the order.
 */
#include "shim.h"

#define MU(m) { #m, &m, NULL }
#define SPIN(s) { #s, NULL, &s }

const struct lh_fork_lock lh_fork_locks[] = {
	MU(lh_edge_mu),     MU(lh_thr_mu),      MU(lh_stk_mu),      MU(lh_py_mu),
	MU(lh_mods_mu),     MU(lh_cond_mu),     MU(lh_log_mu),
	MU(lh_lid_grow_mu), MU(lh_mis_seen_mu), SPIN(lh_alloc_spin),
	SPIN(lh_gh_spin),
};
const size_t lh_n_fork_locks = sizeof(lh_fork_locks) / sizeof(lh_fork_locks[0]);

void lh_fork_lock_all(void)
{
	size_t i;

	for (i = 0; i < lh_n_fork_locks; i++) {
		const struct lh_fork_lock *l = &lh_fork_locks[i];
		if (l->mu) {
			lh_mu_lock(l->mu);
		} else {
			while (__atomic_exchange_n(l->spin, 1, __ATOMIC_ACQUIRE))
				;
			lh_locks_held++;
		}
	}
}

void lh_fork_unlock_all(void)
{
	size_t i = lh_n_fork_locks;

	while (i-- > 0) {
		const struct lh_fork_lock *l = &lh_fork_locks[i];
		if (l->mu) {
			lh_mu_unlock(l->mu);
		} else {
			__atomic_store_n(l->spin, 0, __ATOMIC_RELEASE);
			lh_locks_held--;
		}
	}
}

void lh_fork_reset_all(void)
{
	static const pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	size_t i;

	for (i = 0; i < lh_n_fork_locks; i++) {
		const struct lh_fork_lock *l = &lh_fork_locks[i];
		if (l->mu)
			*l->mu = fresh;
		else
			__atomic_store_n(l->spin, 0, __ATOMIC_RELEASE);
	}
}
