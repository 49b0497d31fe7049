/*
 * wrap_rwlock.c - pthread read-write locks.  Read acquisitions are recorded
 * in shared mode: a cycle whose every blocking point is a read waiting on a
 * read cannot deadlock with glibc's default, reader-preferring rwlocks.
 */
#include "wrap.h"

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

/* Untimed rdlock/wrlock: the fast path tries the lock first (glibc's
 * tryrdlock/trywrlock succeed only where the blocking call would not
 * wait), and notes the wait and calls the blocking function only when the
 * try fails (busy, or an error the blocking call then gives itself:
 * EDEADLK, EAGAIN), as the mutex fast path does: a free rwlock costs no
 * wait note.  A lock the thread already holds goes through the checks of
 * the slow path (a write lock on a rwlock the thread read-holds never
 * returns). */
#define RW_FAST(name, field, tryfield, fl, shared)                                                  \
	static int name##_slow(pthread_rwlock_t *l, uintptr_t ra, uintptr_t cfa)                   \
	{                                                                                          \
		struct lh_acq a = { l, LH_LOCK_RWLOCK, (fl), (uint16_t)RW_LFLAGS(l), ra, cfa };    \
		int rc = LH_ACQUIRE(a, lh_real.tryfield(l), EBUSY, lh_real.field(l));              \
		if (rc == 0)                                                                       \
			LH_TELL(lh_core_acquired(&a));                                             \
		return rc;                                                                         \
	}                                                                                          \
	LH_EXPORT int name(pthread_rwlock_t *l)                                                    \
	{                                                                                          \
		struct lh_thread *t = lh_fast_self();                                              \
		int rc;                                                                            \
		if (unlikely(t == NULL)) {                                                         \
			if (lh_pass())                                                             \
				return lh_real.field(l);                                           \
			return name##_slow(l, LH_RA, LH_CFA);                                      \
		}                                                                                  \
		if (unlikely(t->n_held != 0) && lh_holds(t, l))                                    \
			return name##_slow(l, LH_RA, LH_CFA);                                      \
		lh_in_shim++;                                                                      \
		rc = lh_real.tryfield(l);                                                          \
		if (unlikely(rc != 0)) {                                                           \
			lh_wait_note(t, LH_WAIT_LOCK, l, (shared), 0, LH_RA, LH_CFA);              \
			rc = lh_real.field(l);                                                     \
			lh_wait_clear(t);                                                          \
		}                                                                                  \
		if (likely(rc == 0) && lh_fast_acquire(t, l, (shared), LH_LOCK_RWLOCK, LH_RA, LH_CFA)) { \
			lh_in_shim--;                                                              \
			return 0;                                                                  \
		}                                                                                  \
		lh_in_shim--;                                                                      \
		if (rc == 0) {                                                                     \
			struct lh_acq a = { l, LH_LOCK_RWLOCK, (fl), (uint16_t)RW_LFLAGS(l), LH_RA, LH_CFA }; \
			LH_TELL(lh_core_acquired(&a));                                             \
		}                                                                                  \
		return rc;                                                                         \
	}

RW_FAST(pthread_rwlock_rdlock, rw_rdlock, rw_tryrdlock, LH_ACQ_SHARED, LH_MODE_SHARED)
RW_FAST(pthread_rwlock_wrlock, rw_wrlock, rw_trywrlock, 0, LH_MODE_EXCL)
RW_TIMED(pthread_rwlock_timedrdlock, rw_timedrdlock, LH_ACQ_SHARED | LH_ACQ_TIMED,
            const struct timespec *ts)
RW_TIMED(pthread_rwlock_timedwrlock, rw_timedwrlock, LH_ACQ_TIMED,
            const struct timespec *ts)
RW_TIMED(pthread_rwlock_clockrdlock, rw_clockrdlock, LH_ACQ_SHARED | LH_ACQ_TIMED,
            clockid_t clk, const struct timespec *ts)
RW_TIMED(pthread_rwlock_clockwrlock, rw_clockwrlock, LH_ACQ_TIMED, clockid_t clk,
            const struct timespec *ts)

LH_EXPORT int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	int rc;

	if (lh_pass())
		return lh_real.rw_tryrdlock(l);
	rc = lh_real.rw_tryrdlock(l);
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
	rc = lh_real.rw_trywrlock(l);
	if (rc == 0) {
		struct lh_acq a = RW_ACQ(l, LH_ACQ_TRY);
		LH_TELL(lh_core_acquired(&a));
	}
	return rc;
}

LH_EXPORT int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	struct lh_thread *t = lh_fast_self();

	if (likely(t != NULL) && lh_fast_release(t, l))
		return lh_real.rw_unlock(l);
	if (lh_pass())
		return lh_real.rw_unlock(l);
	LH_TELL(lh_core_released(l, LH_LOCK_RWLOCK, LH_RA));
	return lh_real.rw_unlock(l);
}
