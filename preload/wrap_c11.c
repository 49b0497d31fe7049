/*
 * wrap_c11.c - C11 <threads.h> mutexes.  glibc implements them on top of
 * pthread mutexes but calls its internal entry points, which an LD_PRELOAD
 * cannot see, so they are wrapped separately.  The lock's kind is recorded
 * as a C11 mutex so reports name it as the program wrote it.
 */
#include "wrap.h"

#define C11_FLAGS(m) lh_core_mutex_flags((const pthread_mutex_t *)(m))
#define C11_ACQ(m, fl) { (void *)(m), LH_LOCK_C11_MTX, (fl), (uint16_t)C11_FLAGS(m), LH_RA, LH_CFA }

LH_EXPORT int mtx_init(mtx_t *m, int type)
{
	int rc;

	if (lh_pass())
		return lh_real.mtx_init(m, type);
	LH_TELL(lh_mis_mutex_init_check(m, LH_LOCK_C11_MTX, LH_RA));
	rc = lh_real.mtx_init(m, type);
	if (rc == thrd_success)
		LH_TELL(lh_core_init_lock(m, LH_LOCK_C11_MTX, C11_FLAGS(m), LH_RA));
	return rc;
}

LH_EXPORT void mtx_destroy(mtx_t *m)
{
	if (lh_pass()) {
		lh_real.mtx_destroy(m);
		return;
	}
	LH_TELL(lh_core_destroy_check(m, LH_LOCK_C11_MTX, LH_RA));
	lh_real.mtx_destroy(m);
	LH_TELL(lh_core_destroy_lock(m, LH_LOCK_C11_MTX, LH_RA));
}

LH_EXPORT int mtx_lock(mtx_t *m)
{
	int rc;

	if (lh_pass())
		return lh_real.mtx_lock(m);
	struct lh_acq a = C11_ACQ(m, 0);
	rc = LH_ACQUIRE(a, lh_real.mtx_trylock(m), thrd_busy, lh_real.mtx_lock(m));
	if (rc == thrd_success)
		LH_TELL(lh_core_acquired(&a));
	return rc;
}

LH_EXPORT int mtx_trylock(mtx_t *m)
{
	int rc;

	if (lh_pass())
		return lh_real.mtx_trylock(m);
	rc = lh_real.mtx_trylock(m);
	if (rc == thrd_success) {
		struct lh_acq a = C11_ACQ(m, LH_ACQ_TRY);
		LH_TELL(lh_core_acquired(&a));
	}
	return rc;
}

LH_EXPORT int mtx_timedlock(mtx_t *__restrict m, const struct timespec *__restrict ts)
{
	int rc;

	if (lh_pass())
		return lh_real.mtx_timedlock(m, ts);
	struct lh_acq a = C11_ACQ(m, LH_ACQ_TIMED);
	rc = LH_TIMED(a, lh_real.mtx_timedlock(m, ts));
	if (rc == thrd_success)
		LH_TELL(lh_core_acquired(&a));
	return rc;
}

LH_EXPORT int mtx_unlock(mtx_t *m)
{
	if (lh_pass())
		return lh_real.mtx_unlock(m);
	LH_TELL(lh_core_released(m, LH_LOCK_C11_MTX, LH_RA));
	return lh_real.mtx_unlock(m);
}
