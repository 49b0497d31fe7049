/*
 * wrap.h - what every interposed function shares: the pass-through test,
 * the caller's return address and stack pointer, and errno preservation.
 *
 * A wrapper passes straight through to the real function while the shim is
 * not ready, is disabled, or is itself running (re-entry from libunwind,
 * dl_iterate_phdr or write), and when it is called from the code of one of
 * the shim's own dependencies (libunwind called by the program, see
 * lh_from_dep; the first such call in a process from a library libunwind
 * needs, while the shim is watching, leaves a note: lh_dep_unwatched).
 * Otherwise it calls the real function and tells the core one thing.  Blocking acquisitions on the fast path (a thread that
 * does not hold the lock) note the wait for the watchdog in a few
 * thread-local stores and call the real lock (a mutex is tried first and
 * noted only when busy: wrap_mutex.c); the slow path (LH_ACQUIRE)
 * tries the lock first and notes the wait, with the self-deadlock check,
 * only when that fails.
 */
#ifndef LOCKHOUND_WRAP_H
#define LOCKHOUND_WRAP_H

#include "shim.h"
#include "heldset.h"
#include "rt.h"
#include "glibc_locks.h"

#include <errno.h>

/* the caller of the interposed function: its return address, and its stack
 * pointer at the call (the wrapper's canonical frame address) */
#define LH_RA ((uintptr_t)__builtin_return_address(0))
#define LH_CFA ((uintptr_t)__builtin_dwarf_cfa())

/* Was the wrapper called from one of the shim's own dependencies?  Such a
 * call is treated as the shim's own (never tracked): tracking it could call
 * back into that dependency, which may hold its own lock at that moment
 * (libunwind called by tcmalloc). */
static inline int lh_from_dep(uintptr_t ra)
{
	int i, n;

	/* the program's own code lies outside all of them: one test (the
	 * count is loaded only past it) */
	if (likely(ra - __atomic_load_n(&lh_dep_lo, __ATOMIC_RELAXED) >=
	           __atomic_load_n(&lh_dep_span, __ATOMIC_RELAXED)))
		return 0;
	n = __atomic_load_n(&lh_n_dep_ranges, __ATOMIC_ACQUIRE);
	for (i = 0; i < n; i++)
		if (ra - lh_dep_ranges[i].lo < lh_dep_ranges[i].hi - lh_dep_ranges[i].lo)
			return 1;
	return 0;
}

/* lh_pass() and lh_fast_self() are macros so that LH_RA is the wrapper's */
#define lh_pass() lh_pass_at(LH_RA)
static inline int lh_pass_at(uintptr_t ra)
{
	if (likely(__atomic_load_n(&lh_ready, __ATOMIC_ACQUIRE) && !lh_in_shim && !lh_disabled)) {
		if (likely(!lh_from_dep(ra)))
			return 0;
		/* the program reached this call through a dependency's code (not
		 * the shim: lh_in_shim is 0): noted once, then passed through */
		lh_dep_unwatched(ra);
		return 1;
	}
	if ((!lh_real.mutex_lock || !lh_ready) && !lh_in_shim && !lh_from_dep(ra))
		lh_init();
	return !lh_ready || lh_in_shim || lh_disabled || lh_from_dep(ra);
}

/* Timed acquisitions: no trylock first (a timed call with a bad clock or
 * timeout must fail with EINVAL without taking the lock, as glibc does);
 * the wait is noted as timed, which the watchdog does not count. */
#define LH_TIMED(acq, lock_call)                                                                   \
	({                                                                                         \
		LH_TELL(lh_core_wait_begin(&(acq)));                                               \
		int lh_rc_ = LH_GUARDED(lock_call);                                                \
		lh_core_wait_end();                                                                \
		lh_rc_;                                                                            \
	})

/* Run the core's book-keeping without letting it change errno, and with
 * the thread marked as inside the shim: a signal handler that takes a lock
 * meanwhile (common, though not async-signal-safe) passes straight through
 * instead of changing the held-lock stack or the wait state under us. */
#define LH_TELL(stmt)                                                                              \
	do {                                                                                       \
		int lh_saved_errno_ = errno;                                                       \
		lh_in_shim++;                                                                      \
		stmt;                                                                              \
		lh_in_shim--;                                                                      \
		errno = lh_saved_errno_;                                                           \
	} while (0)

/* the same guard around a real call that may block */
#define LH_GUARDED(expr)                                                                           \
	({                                                                                         \
		lh_in_shim++;                                                                      \
		__typeof__(expr) lh_v_ = (expr);                                                   \
		lh_in_shim--;                                                                      \
		lh_v_;                                                                             \
	})

/* try first; wait (visibly to the watchdog) only if the lock is taken */
#define LH_ACQUIRE(acq, try_call, busy_rc, lock_call)                                              \
	({                                                                                         \
		int lh_rc_ = (try_call);                                                           \
		if (lh_rc_ == (busy_rc)) {                                                         \
			LH_TELL(lh_core_wait_begin(&(acq)));                                       \
			lh_rc_ = LH_GUARDED(lock_call);                                            \
			lh_core_wait_end();                                                        \
		}                                                                                  \
		lh_rc_;                                                                            \
	})

/* Are the fast paths' hooks on: exact mode's race engine (LH_RT_HOOK) or a
 * sampled race-watching window (LH_SMP_HOOK)?  Both off in a plain run:
 * one test of two loads, and the calls out of line (core.c), so that the
 * fast paths keep fewer registers across calls. */
static inline __attribute__((always_inline)) int lh_fast_hooked(void)
{
	return __atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED) |
	       __atomic_load_n(&lh_smp_windows, __ATOMIC_RELAXED);
}
LH_HIDDEN void lh_fast_hooks_acquired(void *addr, uint8_t kind, unsigned shared);
LH_HIDDEN void lh_fast_hooks_released(void *addr, uint8_t kind, uint8_t mode);

/* does t hold addr (in any mode)? */
static inline int lh_holds(const struct lh_thread *t, const void *addr)
{
	int i;
	for (i = 0; i < t->n_held; i++)
		if (t->held[i].addr == addr)
			return 1;
	return 0;
}

/* ---- the fast paths, inline in every wrapper ----
 * lh_fast_check_at decides the common acquisition: the lock's slot is in the
 * thread's cache and has an identity, and either no lock is held (no edge
 * can form), or exactly one is and the edge from it is the one recorded last
 * time (same locks, call sites and modes) or one the class maps know, or
 * two or three are and the tuple maps know the acquisition.  It
 * only reads (the thread's own state and the slot's id), so a wrapper runs
 * it before it takes the lock: the loads, a chain of three, then overlap
 * with the lock's atomic instead of waiting behind it.  lh_fast_push then
 * records the acquisition on the held stack.  Anything else (check 0) takes
 * the full path through the core. */
struct lh_fast {
	struct lh_lock *lk;
	uint64_t id;
};

static inline __attribute__((always_inline)) int lh_fast_check_at(const struct lh_thread *t, int n,
                                                                   const void *addr, unsigned shared,
                                                                   uintptr_t ra, struct lh_fast *f,
                                                                   int ask_maps)
{
	const struct lh_lock_ce *e = lh_lc_entry(t, addr);
	struct lh_lock *lk;
	uint64_t id;

	if (unlikely(e->addr != addr))
		return 0;
	lk = e->lk;
	id = __atomic_load_n(&lk->id, __ATOMIC_ACQUIRE);
	if (unlikely((int64_t)id <= 0)) /* none yet, or LH_LID_BUSY */
		return 0;
	if (n > 1) {
		/* two or three held: the tuple maps may know the acquisition
		 * (a call, ask_maps 0: not in a leaf path) */
		if (!ask_maps || n >= LH_CLS_TUPLE_MAX || t->log_epoch != lh_log_epoch ||
		    lh_holds(t, addr) || !lh_tuple_known(t, lk, id, ra, shared))
			return 0;
	} else if (n != 0) {
		const struct lh_held *p = &t->held[0];
		const struct lh_lock_ce *k = lh_lc_entry(t, p->addr);
		if (p->addr == addr || t->log_epoch != lh_log_epoch)
			return 0;
		if (k->addr != p->addr || k->memo_to_id != id || k->memo_from_id != p->lock_id ||
		    k->memo_to_ra != ra || k->memo_from_ra != p->ra ||
		    k->memo_modes != ((uint32_t)(p->mode << 1) | shared)) {
			/* not the memo: the class maps may know the order
			 * (a call: not in a leaf path, ask_maps 0) */
			if (!ask_maps || !lh_edge_known(t, p, lk, id, ra, shared))
				return 0;
		}
	}
	f->lk = lk;
	f->id = id;
	return 1;
}

/* Record what lh_fast_check_at decided for t holding n locks, once the lock
 * is taken, with its Python frames py (or NULL; with_py 0: none, and the
 * thread has never seen lh_py_on set, see lh_held_push_at).  The held stack is as the
 * check saw it: only this thread writes it, and a signal handler's lock
 * calls in between pass through (the wrappers raise lh_in_shim around
 * both).  Hooks are the caller's (lh_fast_hooked). */
static inline __attribute__((always_inline)) void lh_fast_push(struct lh_thread *t, int n,
                                                                const struct lh_fast *f, void *addr,
                                                                unsigned shared, uint8_t kind,
                                                                uintptr_t ra, uintptr_t cfa,
                                                                const struct lh_pystk *py, int with_py)
{
	lh_held_push_at(t, n, addr, f->lk, f->id, ra, cfa, (uint8_t)shared, kind, py, with_py);
}

/* both, for a lock already taken, with the hooks: 1 recorded, 0 take the
 * full path */
static inline __attribute__((always_inline)) int lh_fast_acquire(struct lh_thread *t, void *addr, unsigned shared, uint8_t kind,
                                  uintptr_t ra, uintptr_t cfa)
{
	struct lh_fast f;
	int n = t->n_held;

	if (!lh_fast_check_at(t, n, addr, shared, ra, &f, 1))
		return 0;
	/* a Python program's acquisition: its Python frames (pyframes.c) */
	lh_fast_push(t, n, &f, addr, shared, kind, ra, cfa,
	             unlikely(lh_py_on | lh_py_retry) ? lh_py_take(t, addr) : NULL, 1);
	if (unlikely(lh_fast_hooked()))
		lh_fast_hooks_acquired(addr, kind, shared);
	return 1;
}

/* the release of the held lock below the innermost, held once (locks
 * released out of order: memcached's item lock before the LRU lock taken
 * under it): the innermost moves down in its place.  Out of line. */
LH_HIDDEN int lh_fast_release_second(struct lh_thread *t, void *addr);

/* the common release: the lock is the innermost held one, held once (or
 * the one below it, lh_fast_release_second) */
static inline __attribute__((always_inline)) int lh_fast_release(struct lh_thread *t, void *addr)
{
	int n = t->n_held;

	if (likely(n > 0)) {
		struct lh_held *h = &t->held[n - 1];
		if (unlikely(h->addr != addr) && n > 1 && t->held[n - 2].addr == addr)
			return lh_fast_release_second(t, addr);
		if (likely(h->addr == addr && h->count == 1)) {
			lh_rel_note(t, addr);
			if (unlikely(lh_fast_hooked())) {
				/* read before the pop (a signal handler's lock may
				 * reuse the entry after it); with the mode given,
				 * the hooks do not read the held stack */
				uint8_t kind = h->kind, mode = h->mode;
				lh_held_pop_top(t, n);
				lh_fast_hooks_released(addr, kind, mode);
				return 1;
			}
			lh_held_pop_top(t, n);
			return 1;
		}
	}
	return 0;
}

/* the calling thread's state when the fast path may run, else NULL */
#define lh_fast_self() lh_fast_self_at(LH_RA)
static inline struct lh_thread *lh_fast_self_at(uintptr_t ra)
{
	struct lh_thread *t = lh_self_td;
	return likely(t != NULL && !lh_in_shim && !lh_from_dep(ra)) ? t : NULL;
}

#endif
