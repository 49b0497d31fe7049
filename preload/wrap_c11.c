/*
 * wrap_c11.c - C11 <threads.h> mutexes.  glibc implements them on top of
 * pthread mutexes but calls its internal entry points, which an LD_PRELOAD
 * cannot see, so they are wrapped separately.  The lock's kind is recorded
 * as a C11 mutex so reports name it as the program wrote it.
 *
 * glibc's mtx_t is a pthread_mutex_t (mtx_init makes a normal or a
 * recursive one), so mtx_lock, mtx_trylock and mtx_unlock take the
 * pthread_mutex_lock fast path: the built-in uncontended protocol
 * (glibc_mutex.h, when lh_gm_on) and lh_fast_acquire / lh_fast_release;
 * everything else, and every wait, is glibc's mtx_* call.
 */
#include "wrap.h"
#include "glibc_mutex.h"

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

#define C11_PM(m) ((pthread_mutex_t *)(void *)(m))

/* tell the core how a lock call ended (lh_in_shim back to the caller's) */
static int c11_locked(mtx_t *m, int rc, uintptr_t ra, uintptr_t cfa)
{
	struct lh_acq a = { (void *)m, LH_LOCK_C11_MTX, 0, (uint16_t)C11_FLAGS(m), ra, cfa };

	if (rc == thrd_success)
		LH_TELL(lh_core_acquired(&a));
	return rc;
}

/* the slow path: a thread the fast path may not run for, or one that
 * holds m already (the self-deadlock check before it blocks) */
static __attribute__((noinline)) int c11_lock_slow(mtx_t *m, struct lh_thread *t, uintptr_t ra, uintptr_t cfa)
{
	struct lh_acq a = { (void *)m, LH_LOCK_C11_MTX, 0, (uint16_t)C11_FLAGS(m), ra, cfa };

	if (t == NULL && lh_pass_at(ra))
		return lh_real.mtx_lock(m);
	return c11_locked(m, LH_ACQUIRE(a, lh_real.mtx_trylock(m), thrd_busy, lh_real.mtx_lock(m)), ra, cfa);
}

/* the rest of a lock call past the fast path's try (got: what the
 * built-in trylock said), with lh_in_shim raised by the caller: taken but
 * not for lh_fast_acquire; busy (wait, noted for the watchdog); or left
 * to glibc (its trylock first) */
static __attribute__((noinline)) int c11_lock_rest(mtx_t *m, int got, uintptr_t ra, uintptr_t cfa)
{
	struct lh_thread *t = lh_self_td;
	int rc = thrd_success;

	if (got == LH_GM_OTHER) {
		rc = lh_real.mtx_trylock(m);
		if (rc == thrd_success && lh_fast_acquire(t, (void *)m, 0, LH_LOCK_C11_MTX, ra, cfa)) {
			lh_in_shim--;
			return thrd_success;
		}
	}
	if (got == LH_GM_BUSY || rc == thrd_busy) {
		lh_wait_note(t, LH_WAIT_LOCK, (void *)m, LH_MODE_EXCL, 0, ra, cfa);
		rc = lh_real.mtx_lock(m);
		lh_wait_clear(t);
		if (likely(rc == thrd_success) && lh_fast_acquire(t, (void *)m, 0, LH_LOCK_C11_MTX, ra, cfa)) {
			lh_in_shim--;
			return thrd_success;
		}
	}
	lh_in_shim--;
	return c11_locked(m, rc, ra, cfa);
}

LH_EXPORT int mtx_lock(mtx_t *m)
{
	struct lh_thread *t = lh_fast_self();
	int got;

	if (unlikely(t == NULL) || (unlikely(t->n_held != 0) && lh_holds(t, m)))
		return c11_lock_slow(m, t, LH_RA, LH_CFA);
	lh_in_shim++;
	got = likely(lh_gm_on) ? lh_gm_trylock(C11_PM(m), t->os_tid) : LH_GM_OTHER;
	if (likely(got == LH_GM_TAKEN) && likely(lh_fast_acquire(t, (void *)m, 0, LH_LOCK_C11_MTX, LH_RA, LH_CFA))) {
		lh_in_shim--;
		return thrd_success;
	}
	return c11_lock_rest(m, got, LH_RA, LH_CFA);
}

LH_EXPORT int mtx_trylock(mtx_t *m)
{
	const struct lh_thread *t;
	int rc, got = LH_GM_OTHER;

	if (lh_pass())
		return lh_real.mtx_trylock(m);
	t = lh_self_td;
	if (likely(lh_gm_on) && likely(t != NULL))
		got = lh_gm_trylock(C11_PM(m), t->os_tid);
	rc = got == LH_GM_TAKEN ? thrd_success : got == LH_GM_BUSY ? thrd_busy : lh_real.mtx_trylock(m);
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

/* mtx_unlock past its fast path, out of line */
static __attribute__((noinline)) int c11_unlock_slow(mtx_t *m, uintptr_t ra)
{
	if (lh_pass_at(ra))
		return lh_real.mtx_unlock(m);
	LH_TELL(lh_core_released(m, LH_LOCK_C11_MTX, ra));
	return lh_real.mtx_unlock(m);
}

LH_EXPORT int mtx_unlock(mtx_t *m)
{
	struct lh_thread *t = lh_fast_self();

	if (likely(t != NULL) && lh_fast_release(t, (void *)m)) {
		if (likely(lh_gm_on) && likely(lh_gm_unlock(C11_PM(m), t->os_tid)))
			return thrd_success;
		return lh_real.mtx_unlock(m);
	}
	return c11_unlock_slow(m, LH_RA);
}
