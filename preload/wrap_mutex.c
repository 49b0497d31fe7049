/*
 * wrap_mutex.c - pthread mutexes and spinlocks.
 *
 * A free mutex of a plain kind, and a free spinlock, is taken and released
 * by the shim itself, writing what glibc writes (glibc_mutex.h, when
 * lh_gm_on / lh_gs.on); every other case, and every wait, is glibc's.
 */
#include "wrap.h"
#include "glibc_mutex.h"

/* wrap.h: the release of the held lock below the innermost (every wrapper's
 * fast release) */
int lh_fast_release_second(struct lh_thread *t, void *addr)
{
	int n = t->n_held;
	struct lh_held *h = &t->held[n - 2];
	uint8_t kind = h->kind, mode = h->mode;

	if (h->count != 1)
		return 0;
	lh_rel_note(t, addr);
	lh_held_release(t, addr); /* the innermost moves down in its place */
	if (unlikely(lh_fast_hooked()))
		lh_fast_hooks_released(addr, kind, mode);
	return 1;
}

#define MUTEX_ACQ(m, fl) { (m), LH_LOCK_MUTEX, (fl), (uint16_t)lh_core_mutex_flags(m), LH_RA, LH_CFA }
/* EOWNERDEAD from a robust mutex still means the caller now owns it */
#define GOT_IT(rc) ((rc) == 0 || (rc) == EOWNERDEAD)

LH_EXPORT int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	int rc;

	if (lh_pass())
		return lh_real.mutex_init(m, attr);
	LH_TELL(lh_mis_mutex_init_check(m, LH_LOCK_MUTEX, LH_RA));
	rc = lh_real.mutex_init(m, attr);
	if (rc == 0)
		LH_TELL(lh_core_init_lock(m, LH_LOCK_MUTEX, lh_core_mutex_flags(m), LH_RA));
	return rc;
}

LH_EXPORT int pthread_mutex_destroy(pthread_mutex_t *m)
{
	int rc;

	if (lh_pass())
		return lh_real.mutex_destroy(m);
	LH_TELL(lh_core_destroy_check(m, LH_LOCK_MUTEX, LH_RA));
	rc = lh_real.mutex_destroy(m);
	if (rc == 0)
		LH_TELL(lh_core_destroy_lock(m, LH_LOCK_MUTEX, LH_RA));
	return rc;
}

/* The slow path: trylock first, and note the wait (with the self-deadlock
 * check) only if the lock is taken. */
/* tell the core how a lock call ended */
static int mutex_locked(pthread_mutex_t *m, int rc, uintptr_t ra, uintptr_t cfa)
{
	struct lh_acq a = { m, LH_LOCK_MUTEX, 0, (uint16_t)lh_core_mutex_flags(m), ra, cfa };

	if (GOT_IT(rc))
		LH_TELL(lh_core_acquired(&a));
	else
		LH_TELL(lh_core_lock_failed(m, LH_LOCK_MUTEX, rc, ra));
	return rc;
}

static int mutex_lock_slow(pthread_mutex_t *m, uintptr_t ra, uintptr_t cfa)
{
	struct lh_acq a = { m, LH_LOCK_MUTEX, 0, (uint16_t)lh_core_mutex_flags(m), ra, cfa };

	return mutex_locked(m, LH_ACQUIRE(a, lh_real.mutex_trylock(m), EBUSY, lh_real.mutex_lock(m)), ra,
	                    cfa);
}

/* What pthread_mutex_lock does past its fast path, out of line so that the
 * fast path saves no registers of its own: a thread the fast path may not
 * run for (t NULL), or one that holds m already (the self-deadlock check
 * before it blocks). */
static __attribute__((noinline)) int mutex_lock_enter_slow(pthread_mutex_t *m, struct lh_thread *t,
                                                           uintptr_t ra, uintptr_t cfa)
{
	if (t == NULL && lh_pass_at(ra))
		return lh_real.mutex_lock(m);
	return mutex_lock_slow(m, ra, cfa);
}

/* the trylock of the fast path found m busy (wait for it, noted for the
 * watchdog), or the acquisition is not one lh_fast_acquire handles: the
 * rest of the lock call, with lh_in_shim still raised by the caller */
static __attribute__((noinline)) int mutex_lock_rest(pthread_mutex_t *m, int rc, uintptr_t ra,
                                                     uintptr_t cfa)
{
	struct lh_thread *t = lh_self_td;

	if (rc == EBUSY) {
		lh_wait_note(t, LH_WAIT_LOCK, m, LH_MODE_EXCL, 0, ra, cfa);
		rc = lh_real.mutex_lock(m);
		lh_wait_clear(t);
		if (likely(rc == 0) && lh_fast_acquire(t, m, 0, LH_LOCK_MUTEX, ra, cfa)) {
			lh_in_shim--;
			return 0;
		}
	}
	lh_in_shim--;
	return mutex_locked(m, rc, ra, cfa);
}

/* the fast path's try when the built-in path does not take m: glibc's
 * trylock, then as the fast path (lh_in_shim raised by the caller) */
static __attribute__((noinline)) int mutex_lock_try_real(pthread_mutex_t *m, uintptr_t ra,
                                                         uintptr_t cfa)
{
	int rc = lh_real.mutex_trylock(m);

	if (likely(rc == 0) && lh_fast_acquire(lh_self_td, m, 0, LH_LOCK_MUTEX, ra, cfa)) {
		lh_in_shim--;
		return 0;
	}
	return mutex_lock_rest(m, rc, ra, cfa);
}

/* the rest of a lock call after the built-in try (lh_in_shim raised by the
 * caller): taken (recorded by lh_fast_acquire, which asks the class and
 * tuple maps too, or by the core), busy, or a mutex the built-in path does
 * not take */
static __attribute__((noinline)) int mutex_lock_untaken(pthread_mutex_t *m, int got, uintptr_t ra,
                                                        uintptr_t cfa)
{
	if (got == LH_GM_TAKEN) {
		if (lh_fast_acquire(lh_self_td, m, 0, LH_LOCK_MUTEX, ra, cfa)) {
			lh_in_shim--;
			return 0;
		}
		return mutex_lock_rest(m, 0, ra, cfa);
	}
	if (got == LH_GM_BUSY)
		return mutex_lock_rest(m, EBUSY, ra, cfa);
	return mutex_lock_try_real(m, ra, cfa);
}

/* pthread_mutex_lock for a thread the leaf path below does not serve: one
 * that holds locks (a self-deadlock check, then the one-edge memo of
 * lh_fast_check_at), a Python program's (its frames), or the built-in path
 * being off.  Out of line, so that the leaf path saves no registers. */
static __attribute__((noinline)) int mutex_lock_general(pthread_mutex_t *m, struct lh_thread *t,
                                                        uintptr_t ra, uintptr_t cfa)
{
	int got;

	if (t->n_held != 0 && lh_holds(t, m))
		return mutex_lock_slow(m, ra, cfa);
	lh_in_shim++;
	got = likely(lh_gm_on) ? lh_gm_trylock(m, t->os_tid) : LH_GM_OTHER;
	return mutex_lock_untaken(m, got, ra, cfa);
}

/* the leaf path took m and recorded it; the race hooks are on (with
 * lh_in_shim still raised by the caller) */
static __attribute__((noinline)) int mutex_lock_hooked(pthread_mutex_t *m)
{
	lh_fast_hooks_acquired(m, LH_LOCK_MUTEX, 0);
	lh_in_shim--;
	return 0;
}


/* pthread_mutex_lock's leaf path for t holding n (0 or 1, a constant)
 * locks: tried first, decided before the try, recorded
 * after it (lh_fast_check_at) */
static inline __attribute__((always_inline)) int mutex_lock_leaf(pthread_mutex_t *m, struct lh_thread *t,
                                                                 int n, uintptr_t ra, uintptr_t cfa)
{
	struct lh_fast f;
	int got;

	lh_in_shim++;
	if (unlikely(!lh_fast_check_at(t, n, m, 0, ra, &f, 0)))
		f.lk = NULL;
	got = lh_gm_trylock(m, t->os_tid);
	if (likely(got == LH_GM_TAKEN) && likely(f.lk != NULL)) {
		lh_fast_push(t, n, &f, m, 0, LH_LOCK_MUTEX, ra, cfa, NULL, 0);
		if (unlikely(lh_fast_hooked()))
			return mutex_lock_hooked(m);
		lh_in_shim--;
		return 0;
	}
	return mutex_lock_untaken(m, got, ra, cfa);
}

LH_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	struct lh_thread *t = lh_fast_self();
	int n;

	/* The leaf path: a thread that holds no lock (no edge can form, no
	 * self-deadlock) or one lock, with the order from it the one
	 * recorded last time (the memo of lh_fast_check_at; one the class maps
	 * know is taken out of line, mutex_lock_untaken), in a program without
	 * Python frames to record.  The lock is tried first: taken, it costs
	 * the one atomic the lock call would have cost, and the held-stack
	 * push (the built-in path: glibc's own uncontended protocol, no call
	 * at all); busy, the wait is noted in a few thread-local stores for
	 * the watchdog, which times it, and the real lock call waits
	 * (mutex_lock_rest).  A mutex the built-in path does not take
	 * (another kind) is tried by glibc (mutex_lock_try_real).  Every other
	 * case, and every case past the try, is a tail call: the leaf path
	 * keeps few registers of its own. */
	if (unlikely(t == NULL))
		return mutex_lock_enter_slow(m, t, LH_RA, LH_CFA);
	n = t->n_held;
	if (unlikely((unsigned)n > 1) || unlikely(lh_py_on | lh_py_retry) || unlikely(!lh_gm_on))
		return mutex_lock_general(m, t, LH_RA, LH_CFA);
	if (likely(n == 0))
		return mutex_lock_leaf(m, t, 0, LH_RA, LH_CFA);
	/* m itself held: the check fails, the try finds m busy (or, for a
	 * recursive mutex, leaves it to glibc's trylock), and the wait is the
	 * watchdog's (mutex_lock_untaken) */
	return mutex_lock_leaf(m, t, 1, LH_RA, LH_CFA);
}

/* glibc's trylock, or the built-in one when it takes m (the thread's
 * kernel tid from t) */
static inline int mutex_trylock_call(pthread_mutex_t *m, const struct lh_thread *t)
{
	int got = likely(lh_gm_on) && likely(t != NULL) ? lh_gm_trylock(m, t->os_tid) : LH_GM_OTHER;

	if (likely(got == LH_GM_TAKEN))
		return 0;
	if (got == LH_GM_BUSY)
		return EBUSY;
	return lh_real.mutex_trylock(m);
}

LH_EXPORT int pthread_mutex_trylock(pthread_mutex_t *m)
{
	struct lh_thread *t = lh_fast_self();
	int rc;

	/* The fast path: a trylock forms no order (it never waits), so a
	 * taken lock in the thread's cache is only pushed, whatever the thread
	 * holds; one it holds already (a recursive mutex, or a misuse) takes
	 * the full path. */
	if (likely(t != NULL) && likely(!(lh_py_on | lh_py_retry)) && likely(lh_gm_on) &&
	    (t->n_held == 0 || !lh_holds(t, m))) {
		struct lh_fast f = { NULL, 0 }; /* lk stays NULL when the check fails */
		int n = t->n_held, got;

		lh_in_shim++;
		lh_fast_check_at(t, 0, m, 0, LH_RA, &f, 0);
		got = lh_gm_trylock(m, t->os_tid);
		if (likely(got == LH_GM_TAKEN) && likely(f.lk != NULL) && likely(n < LH_MAX_HELD)) {
			lh_fast_push(t, n, &f, m, 0, LH_LOCK_MUTEX, LH_RA, LH_CFA, NULL, 0);
			if (unlikely(lh_fast_hooked()))
				lh_fast_hooks_acquired(m, LH_LOCK_MUTEX, 0);
			lh_in_shim--;
			return 0;
		}
		lh_in_shim--;
		if (got == LH_GM_BUSY)
			return EBUSY;
		/* taken but not for the fast path (the core records it), or a
		 * kind the built-in path does not take (glibc's trylock) */
		rc = got == LH_GM_TAKEN ? 0 : lh_real.mutex_trylock(m);
	} else if (lh_pass())
		return lh_real.mutex_trylock(m);
	else
		rc = mutex_trylock_call(m, lh_self_td);
	if (GOT_IT(rc)) {
		struct lh_acq a = MUTEX_ACQ(m, LH_ACQ_TRY);
		LH_TELL(lh_core_acquired(&a));
	}
	return rc;
}

LH_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *ts)
{
	int rc;

	if (lh_pass())
		return lh_real.mutex_timedlock(m, ts);
	struct lh_acq a = MUTEX_ACQ(m, LH_ACQ_TIMED);
	rc = LH_TIMED(a, lh_real.mutex_timedlock(m, ts));
	if (GOT_IT(rc))
		LH_TELL(lh_core_acquired(&a));
	else if (unlikely(lh_mis_timespec(rc, ts)))
		LH_TELL(lh_report_misuse(LH_MIS_BAD_TIMESPEC, m, LH_LOCK_MUTEX, LH_RA, NULL, 0));
	return rc;
}

LH_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk, const struct timespec *ts)
{
	int rc;

	if (lh_pass())
		return lh_real.mutex_clocklock(m, clk, ts);
	struct lh_acq a = MUTEX_ACQ(m, LH_ACQ_TIMED);
	rc = LH_TIMED(a, lh_real.mutex_clocklock(m, clk, ts));
	if (GOT_IT(rc))
		LH_TELL(lh_core_acquired(&a));
	else if (unlikely(lh_mis_timespec(rc, ts)))
		LH_TELL(lh_report_misuse(LH_MIS_BAD_TIMESPEC, m, LH_LOCK_MUTEX, LH_RA, NULL, 0));
	return rc;
}

/* pthread_mutex_unlock past its fast path, out of line (the fast path then
 * saves no registers) */
static __attribute__((noinline)) int mutex_unlock_slow(pthread_mutex_t *m, uintptr_t ra)
{
	const struct lh_thread *t;
	int rc;

	if (lh_pass_at(ra))
		return lh_real.mutex_unlock(m);
	if (unlikely(lh_gl_mutex_destroyed(m))) { /* glibc says EINVAL */
		rc = lh_real.mutex_unlock(m);
		LH_TELL(lh_core_lock_failed(m, LH_LOCK_MUTEX, rc, ra));
		return rc;
	}
	LH_TELL(lh_core_released(m, LH_LOCK_MUTEX, ra));
	/* an unlock the built-in path takes (owned by this thread, locked)
	 * is no misuse: one the core reported above goes to glibc */
	t = lh_self_td;
	if (lh_gm_on && t != NULL && lh_gm_unlock(m, t->os_tid))
		return 0;
	rc = lh_real.mutex_unlock(m);
	return rc;
}

LH_EXPORT int pthread_mutex_unlock(pthread_mutex_t *m)
{
	struct lh_thread *t = lh_fast_self();

	if (likely(t != NULL) && lh_fast_release(t, m)) {
		if (likely(lh_gm_on) && likely(lh_gm_unlock(m, t->os_tid)))
			return 0;
		return lh_real.mutex_unlock(m);
	}
	return mutex_unlock_slow(m, LH_RA);
}

/* ---- spinlocks: like mutexes, but the wait spins instead of sleeping ---- */

LH_EXPORT int pthread_spin_init(pthread_spinlock_t *l, int pshared)
{
	int rc;

	if (lh_pass())
		return lh_real.spin_init(l, pshared);
	rc = lh_real.spin_init(l, pshared);
	if (rc == 0)
		LH_TELL(lh_core_init_lock((void *)l, LH_LOCK_SPIN, 0, LH_RA));
	return rc;
}

LH_EXPORT int pthread_spin_destroy(pthread_spinlock_t *l)
{
	int rc;

	if (lh_pass())
		return lh_real.spin_destroy(l);
	LH_TELL(lh_core_destroy_check((void *)l, LH_LOCK_SPIN, LH_RA));
	rc = lh_real.spin_destroy(l);
	if (rc == 0)
		LH_TELL(lh_core_destroy_lock((void *)l, LH_LOCK_SPIN, LH_RA));
	return rc;
}

LH_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
	struct lh_thread *t = lh_fast_self();
	int rc;

	if (likely(t != NULL) && !(t->n_held != 0 && lh_holds(t, (void *)l))) {
		lh_in_shim++;
		/* free: taken as glibc's trylock takes it, with no wait to note
		 * (the built-in path, glibc_mutex.h); busy: glibc spins */
		if (likely(lh_gs.on) && likely(lh_gs_trylock(l))) {
			if (likely(lh_fast_acquire(t, (void *)l, 0, LH_LOCK_SPIN, LH_RA, LH_CFA))) {
				lh_in_shim--;
				return 0;
			}
			lh_in_shim--;
			struct lh_acq a = { (void *)l, LH_LOCK_SPIN, 0, 0, LH_RA, LH_CFA };
			LH_TELL(lh_core_acquired(&a));
			return 0;
		}
		lh_wait_note(t, LH_WAIT_LOCK, (void *)l, LH_MODE_EXCL, 0, LH_RA, LH_CFA);
		rc = lh_real.spin_lock(l);
		lh_wait_clear(t);
		if (likely(rc == 0) && lh_fast_acquire(t, (void *)l, 0, LH_LOCK_SPIN, LH_RA, LH_CFA)) {
			lh_in_shim--;
			return 0;
		}
		lh_in_shim--;
		if (rc == 0) {
			struct lh_acq a = { (void *)l, LH_LOCK_SPIN, 0, 0, LH_RA, LH_CFA };
			LH_TELL(lh_core_acquired(&a));
		}
		return rc;
	}
	if (lh_pass())
		return lh_real.spin_lock(l);
	struct lh_acq a = { (void *)l, LH_LOCK_SPIN, 0, 0, LH_RA, LH_CFA };
	rc = LH_ACQUIRE(a, lh_real.spin_trylock(l), EBUSY, lh_real.spin_lock(l));
	if (rc == 0)
		LH_TELL(lh_core_acquired(&a));
	return rc;
}

LH_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l)
{
	int rc;

	if (lh_pass())
		return lh_real.spin_trylock(l);
	if (likely(lh_gs.on))
		rc = lh_gs_trylock(l) ? 0 : EBUSY; /* glibc's two answers */
	else
		rc = lh_real.spin_trylock(l);
	if (rc == 0) {
		struct lh_acq a = { (void *)l, LH_LOCK_SPIN, LH_ACQ_TRY, 0, LH_RA, LH_CFA };
		LH_TELL(lh_core_acquired(&a));
	}
	return rc;
}

LH_EXPORT int pthread_spin_unlock(pthread_spinlock_t *l)
{
	struct lh_thread *t = lh_fast_self();

	if (likely(t != NULL) && lh_fast_release(t, (void *)l)) {
		if (likely(lh_gs.on)) {
			lh_gs_unlock(l);
			return 0;
		}
		return lh_real.spin_unlock(l);
	}
	if (lh_pass())
		return lh_real.spin_unlock(l);
	LH_TELL(lh_core_released((void *)l, LH_LOCK_SPIN, LH_RA));
	return lh_real.spin_unlock(l);
}
