/*
 * wrap_rwlock.c - pthread read-write locks.  Read acquisitions are recorded
 * in shared mode: a cycle whose every blocking point is a read waiting on a
 * read cannot deadlock with glibc's default, reader-preferring rwlocks.
 */
#include "wrap.h"
#include "glibc_rwlock.h"

/* writer-preferring (readers queue behind a waiting writer)? */
#define RW_LFLAGS(l) lh_gl_rwlock_lflags(l)
#define RW_ACQ(l, fl) { (l), LH_LOCK_RWLOCK, (fl), (uint16_t)RW_LFLAGS(l), LH_RA, LH_CFA }

LH_EXPORT int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *attr)
{
	int rc;

	if (lh_pass())
		return lh_real.rw_init(l, attr);
	rc = lh_real.rw_init(l, attr);
	if (rc == 0)
		LH_TELL(lh_core_init_lock(l, LH_LOCK_RWLOCK, RW_LFLAGS(l), LH_RA));
	return rc;
}

LH_EXPORT int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
	int rc;

	if (lh_pass())
		return lh_real.rw_destroy(l);
	LH_TELL(lh_core_destroy_check(l, LH_LOCK_RWLOCK, LH_RA));
	rc = lh_real.rw_destroy(l);
	if (rc == 0)
		LH_TELL(lh_core_destroy_lock(l, LH_LOCK_RWLOCK, LH_RA));
	return rc;
}

#define RW_TIMED(name, field, fl, ...)                                                \
	LH_EXPORT int name(pthread_rwlock_t *l __VA_OPT__(, ) __VA_ARGS__)                         \
	{                                                                                          \
		int rc;                                                                            \
		if (lh_pass())                                                                     \
			return lh_real.field(l RW_ARGS_##field);                                   \
		struct lh_acq a = RW_ACQ(l, fl);                                                   \
		rc = LH_TIMED(a, lh_real.field(l RW_ARGS_##field));                                \
		if (rc == 0)                                                                       \
			LH_TELL(lh_core_acquired(&a));                                             \
		return rc;                                                                         \
	}

#define RW_ARGS_rw_timedrdlock , ts
#define RW_ARGS_rw_timedwrlock , ts
#define RW_ARGS_rw_clockrdlock , clk, ts
#define RW_ARGS_rw_clockwrlock , clk, ts

/* Untimed rdlock/wrlock.  A lock the thread already holds goes through
 * the checks of the slow path (a write lock on a rwlock the thread
 * read-holds never returns).  Otherwise the lock is tried first: the
 * built-in path (glibc_rwlock.h, when lh_grw_on) takes a free rwlock
 * itself, as glibc's trylock would, at the cost of one atomic and no call;
 * where it says busy, the wait is noted for the watchdog and the real
 * blocking call waits (one call, rw_lock_rest); a rwlock it leaves to
 * glibc (process-shared, an overflowing reader count, or the path off) is
 * tried by glibc's trylock first (rw_try_real), which succeeds only where
 * the blocking call would not wait, so a free rwlock costs no wait note. */
static int rw_acquired(pthread_rwlock_t *l, int rc, unsigned shared, uintptr_t ra, uintptr_t cfa)
{
	struct lh_acq a = { l, LH_LOCK_RWLOCK, shared ? LH_ACQ_SHARED : 0, (uint16_t)RW_LFLAGS(l), ra, cfa };

	if (rc == 0)
		LH_TELL(lh_core_acquired(&a));
	return rc;
}

/* the slow path: a thread the fast path may not run for, or one that
 * holds l already (the self-deadlock checks before it blocks) */
static __attribute__((noinline)) int rw_lock_slow(pthread_rwlock_t *l, struct lh_thread *t, unsigned shared,
                                                  uintptr_t ra, uintptr_t cfa)
{
	struct lh_acq a = { l, LH_LOCK_RWLOCK, shared ? LH_ACQ_SHARED : 0, (uint16_t)RW_LFLAGS(l), ra, cfa };
	int rc;

	if (t == NULL && lh_pass_at(ra))
		return shared ? lh_real.rw_rdlock(l) : lh_real.rw_wrlock(l);
	if (shared)
		rc = LH_ACQUIRE(a, lh_real.rw_tryrdlock(l), EBUSY, lh_real.rw_rdlock(l));
	else
		rc = LH_ACQUIRE(a, lh_real.rw_trywrlock(l), EBUSY, lh_real.rw_wrlock(l));
	if (rc == 0)
		LH_TELL(lh_core_acquired(&a));
	return rc;
}

/* the try found l busy (EBUSY: wait for it, noted for the watchdog), or
 * the acquisition is not one lh_fast_acquire handles: the rest of the
 * lock call, with lh_in_shim still raised by the caller */
static __attribute__((noinline)) int rw_lock_rest(pthread_rwlock_t *l, int rc, unsigned shared, uintptr_t ra,
                                                  uintptr_t cfa)
{
	struct lh_thread *t = lh_self_td;

	if (rc != 0) {
		lh_wait_note(t, LH_WAIT_LOCK, l, shared ? LH_MODE_SHARED : LH_MODE_EXCL, 0, ra, cfa);
		rc = shared ? lh_real.rw_rdlock(l) : lh_real.rw_wrlock(l);
		lh_wait_clear(t);
		if (likely(rc == 0) && lh_fast_acquire(t, l, shared, LH_LOCK_RWLOCK, ra, cfa)) {
			lh_in_shim--;
			return 0;
		}
	}
	lh_in_shim--;
	return rw_acquired(l, rc, shared, ra, cfa);
}

/* the try when the built-in path leaves l to glibc: glibc's trylock, then
 * as the fast path (lh_in_shim raised by the caller) */
static __attribute__((noinline)) int rw_try_real(pthread_rwlock_t *l, unsigned shared, uintptr_t ra,
                                                 uintptr_t cfa)
{
	int rc = shared ? lh_real.rw_tryrdlock(l) : lh_real.rw_trywrlock(l);

	if (likely(rc == 0) && lh_fast_acquire(lh_self_td, l, shared, LH_LOCK_RWLOCK, ra, cfa)) {
		lh_in_shim--;
		return 0;
	}
	return rw_lock_rest(l, rc, shared, ra, cfa);
}

/* the rest of a lock call after the built-in try (lh_in_shim raised by the
 * caller): taken (recorded by lh_fast_acquire, which asks the class and
 * tuple maps too, or by the core), busy, or an rwlock the built-in path
 * leaves to glibc */
static __attribute__((noinline)) int rw_lock_untaken(pthread_rwlock_t *l, int got, unsigned shared,
                                                     uintptr_t ra, uintptr_t cfa)
{
	if (likely(got == LH_GRW_TAKEN)) {
		if (likely(lh_fast_acquire(lh_self_td, l, shared, LH_LOCK_RWLOCK, ra, cfa))) {
			lh_in_shim--;
			return 0;
		}
		return rw_lock_rest(l, 0, shared, ra, cfa);
	}
	if (got == LH_GRW_BUSY)
		return rw_lock_rest(l, EBUSY, shared, ra, cfa);
	return rw_try_real(l, shared, ra, cfa);
}

/* the try of the built-in path, or LH_GRW_OTHER where it is off */
static inline __attribute__((always_inline)) int rw_try_builtin(pthread_rwlock_t *l, const struct lh_thread *t,
                                                                unsigned shared)
{
	if (unlikely(!lh_grw_on))
		return LH_GRW_OTHER;
	return shared ? lh_grw_rdlock(l) : lh_grw_wrlock(l, t->os_tid);
}

/* rdlock/wrlock for a thread the leaf path below does not serve: one that
 * holds two locks or more, or l itself (the self-deadlock checks of the
 * slow path), a Python program's (its frames), or the built-in path off.
 * Out of line, so that the leaf path saves no registers. */
static __attribute__((noinline)) int rw_lock_general(pthread_rwlock_t *l, struct lh_thread *t, unsigned shared,
                                                     uintptr_t ra, uintptr_t cfa)
{
	if (t->n_held != 0 && lh_holds(t, l))
		return rw_lock_slow(l, t, shared, ra, cfa);
	lh_in_shim++;
	return rw_lock_untaken(l, rw_try_builtin(l, t, shared), shared, ra, cfa);
}

/* the leaf path took l and recorded it; the race hooks are on (with
 * lh_in_shim still raised by the caller) */
static __attribute__((noinline)) int rw_lock_hooked(pthread_rwlock_t *l, unsigned shared)
{
	lh_fast_hooks_acquired(l, LH_LOCK_RWLOCK, shared);
	lh_in_shim--;
	return 0;
}

/* The leaf path of rdlock/wrlock for t holding n (0 or 1, a constant)
 * locks, none of them l, as wrap_mutex.c's: decided before the try
 * (lh_fast_check_at: the lock cache, the slot's id, the one-edge memo),
 * recorded after it; every other case is a tail call. */
static inline __attribute__((always_inline)) int rw_lock_leaf(pthread_rwlock_t *l, struct lh_thread *t, int n,
                                                              unsigned shared, uintptr_t ra, uintptr_t cfa)
{
	struct lh_fast f;
	int got;

	lh_in_shim++;
	if (unlikely(!lh_fast_check_at(t, n, l, shared, ra, &f, 0)))
		f.lk = NULL;
	got = shared ? lh_grw_rdlock(l) : lh_grw_wrlock(l, t->os_tid);
	if (likely(got == LH_GRW_TAKEN) && likely(f.lk != NULL)) {
		lh_fast_push(t, n, &f, l, shared, LH_LOCK_RWLOCK, ra, cfa, NULL, 0);
		if (unlikely(lh_fast_hooked()))
			return rw_lock_hooked(l, shared);
		lh_in_shim--;
		return 0;
	}
	return rw_lock_untaken(l, got, shared, ra, cfa);
}

/* Untimed rdlock/wrlock: the leaf path for a thread holding no lock, or
 * one other lock, in a program without Python frames, with the built-in
 * path on; the general path for the rest. */
#define RW_FAST(name, shared)                                                                      \
	LH_EXPORT int name(pthread_rwlock_t *l)                                                    \
	{                                                                                          \
		struct lh_thread *t = lh_fast_self();                                              \
		int n;                                                                             \
		if (unlikely(t == NULL))                                                           \
			return rw_lock_slow(l, t, (shared), LH_RA, LH_CFA);                        \
		n = t->n_held;                                                                     \
		if (unlikely((unsigned)n > 1) || unlikely(lh_py_on | lh_py_retry) || unlikely(!lh_grw_on)) \
			return rw_lock_general(l, t, (shared), LH_RA, LH_CFA);                     \
		if (likely(n == 0))                                                                \
			return rw_lock_leaf(l, t, 0, (shared), LH_RA, LH_CFA);                     \
		if (unlikely(t->held[0].addr == l))                                                \
			return rw_lock_slow(l, t, (shared), LH_RA, LH_CFA);                        \
		return rw_lock_leaf(l, t, 1, (shared), LH_RA, LH_CFA);                             \
	}

RW_FAST(pthread_rwlock_rdlock, LH_MODE_SHARED)
RW_FAST(pthread_rwlock_wrlock, LH_MODE_EXCL)
RW_TIMED(pthread_rwlock_timedrdlock, rw_timedrdlock, LH_ACQ_SHARED | LH_ACQ_TIMED,
            const struct timespec *ts)
RW_TIMED(pthread_rwlock_timedwrlock, rw_timedwrlock, LH_ACQ_TIMED,
            const struct timespec *ts)
RW_TIMED(pthread_rwlock_clockrdlock, rw_clockrdlock, LH_ACQ_SHARED | LH_ACQ_TIMED,
            clockid_t clk, const struct timespec *ts)
RW_TIMED(pthread_rwlock_clockwrlock, rw_clockwrlock, LH_ACQ_TIMED, clockid_t clk,
            const struct timespec *ts)

/* glibc's tryrdlock / trywrlock, or the built-in one where it answers */
static inline int rw_try_call(pthread_rwlock_t *l, unsigned shared)
{
	const struct lh_thread *t = lh_self_td;
	int got = LH_GRW_OTHER;

	if (likely(lh_grw_on) && likely(t != NULL))
		got = shared ? lh_grw_rdlock(l) : lh_grw_wrlock(l, t->os_tid);
	if (likely(got == LH_GRW_TAKEN))
		return 0;
	if (got == LH_GRW_BUSY)
		return EBUSY;
	return shared ? lh_real.rw_tryrdlock(l) : lh_real.rw_trywrlock(l);
}

LH_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	int rc;

	if (lh_pass())
		return lh_real.rw_tryrdlock(l);
	rc = rw_try_call(l, LH_MODE_SHARED);
	if (rc == 0) {
		struct lh_acq a = RW_ACQ(l, LH_ACQ_SHARED | LH_ACQ_TRY);
		LH_TELL(lh_core_acquired(&a));
	}
	return rc;
}

LH_EXPORT int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	int rc;

	if (lh_pass())
		return lh_real.rw_trywrlock(l);
	rc = rw_try_call(l, LH_MODE_EXCL);
	if (rc == 0) {
		struct lh_acq a = RW_ACQ(l, LH_ACQ_TRY);
		LH_TELL(lh_core_acquired(&a));
	}
	return rc;
}

/* pthread_rwlock_unlock past its fast path, out of line */
static __attribute__((noinline)) int rw_unlock_slow(pthread_rwlock_t *l, uintptr_t ra)
{
	if (lh_pass_at(ra))
		return lh_real.rw_unlock(l);
	LH_TELL(lh_core_released(l, LH_LOCK_RWLOCK, ra));
	return lh_real.rw_unlock(l);
}

/* The innermost held lock, held once: released by the built-in path
 * where it is a simple release (glibc_rwlock.h), else by glibc. */
LH_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	struct lh_thread *t = lh_fast_self();

	if (likely(t != NULL) && lh_fast_release(t, l)) {
		if (likely(lh_grw_on) && likely(lh_grw_unlock(l, t->os_tid)))
			return 0;
		return lh_real.rw_unlock(l);
	}
	return rw_unlock_slow(l, LH_RA);
}
