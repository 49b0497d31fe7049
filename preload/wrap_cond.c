/*
 * wrap_cond.c - condition variables (pthread and C11).  The wait releases
 * the mutex and takes it again before returning, so the core sees a release
 * and then an acquisition at the wait's call site: locks held across the
 * wait order before the mutex, as they would for a plain lock call.
 */
#include "wrap.h"

#define COND_CLOCK(c) lh_gl_cond_clock(c)

/* Cancellation inside the wait: glibc takes the mutex back, then runs the
 * cleanup handlers; ours ends the wait and marks the mutex held again, so a
 * cancelled waiter leaves no stale state behind. */
struct cond_ctx {
	void *cond, *mutex;
	int kind;
	uintptr_t ra, cfa;
	int entered; /* lh_core_cond_enter's result, for lh_core_cond_leave */
};

static void cond_cancelled(void *p)
{
	const struct cond_ctx *x = p;

	/* the cancellation unwound out of LH_GUARDED: undo its mark first */
	lh_in_shim--;
	struct lh_acq a = { x->mutex, (uint8_t)x->kind, 0,
		            (uint16_t)lh_core_mutex_flags((pthread_mutex_t *)x->mutex), x->ra, x->cfa };

	LH_TELL(lh_core_cond_leave(x->cond, x->entered));
	LH_TELL(lh_core_acquired(&a));
}

#define COND_WAIT(kind, deadline, clk, real_call)                                                  \
	do {                                                                                       \
		struct cond_ctx x = { c, m, kind, LH_RA, LH_CFA, 0 };                              \
		LH_TELL(lh_mis_cond_use_check(c, x.ra));                                           \
		LH_TELL(x.entered = lh_core_cond_enter(c, m, kind, x.ra, x.cfa, deadline, clk));   \
		pthread_cleanup_push(cond_cancelled, &x);                                          \
		rc = LH_GUARDED(real_call);                                                        \
		pthread_cleanup_pop(0);                                                            \
		LH_TELL(lh_core_cond_leave(c, x.entered));                                         \
		/* a deadline glibc refused (pthread waits: C11's thrd_error says less) */         \
		if (unlikely(kind == LH_LOCK_MUTEX && lh_mis_timespec(rc, deadline)))              \
			LH_TELL(lh_report_misuse(LH_MIS_BAD_TIMESPEC, c, LH_LOCK_COND, x.ra, NULL, 0)); \
		/* EPERM / EINVAL: the wait did not happen, the mutex is as it was */              \
		if (rc != EPERM && rc != EINVAL) {                                                 \
			struct lh_acq a = { m, kind, 0,                                            \
				            (uint16_t)lh_core_mutex_flags((pthread_mutex_t *)m), x.ra, \
				            x.cfa };                                               \
			LH_TELL(lh_core_acquired(&a));                                             \
		}                                                                                  \
	} while (0)

LH_EXPORT int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	int rc;

	if (lh_pass())
		return lh_real.cond_wait(c, m);
	COND_WAIT(LH_LOCK_MUTEX, NULL, 0, lh_real.cond_wait(c, m));
	return rc;
}

LH_EXPORT int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *ts)
{
	int rc;

	if (lh_pass())
		return lh_real.cond_timedwait(c, m, ts);
	COND_WAIT(LH_LOCK_MUTEX, ts, COND_CLOCK(c), lh_real.cond_timedwait(c, m, ts));
	return rc;
}

LH_EXPORT int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
                                     const struct timespec *ts)
{
	int rc;

	if (lh_pass())
		return lh_real.cond_clockwait(c, m, clk, ts);
	COND_WAIT(LH_LOCK_MUTEX, ts, clk, lh_real.cond_clockwait(c, m, clk, ts));
	return rc;
}

/* C11: mtx_t has pthread_mutex_t's layout in glibc */
LH_EXPORT int cnd_wait(cnd_t *c, mtx_t *m)
{
	int rc;

	if (lh_pass())
		return lh_real.cnd_wait(c, m);
	COND_WAIT(LH_LOCK_C11_MTX, NULL, 0, lh_real.cnd_wait(c, m));
	return rc;
}

LH_EXPORT int cnd_timedwait(cnd_t *__restrict c, mtx_t *__restrict m, const struct timespec *__restrict ts)
{
	int rc;

	if (lh_pass())
		return lh_real.cnd_timedwait(c, m, ts);
	COND_WAIT(LH_LOCK_C11_MTX, ts, CLOCK_REALTIME, lh_real.cnd_timedwait(c, m, ts));
	return rc;
}

/* init and destroy give a condition variable its identity in the log
 * (where it was set up, for the reports that name it) */
LH_EXPORT int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
	int rc = lh_real.cond_init ? lh_real.cond_init(c, attr) : (lh_init(), lh_real.cond_init(c, attr));

	if (rc == 0 && !lh_pass())
		LH_TELL(lh_core_init_lock(c, LH_LOCK_COND, lh_mis_cond_init_flags(c), LH_RA));
	return rc;
}

LH_EXPORT int cnd_init(cnd_t *c)
{
	int rc = lh_real.cnd_init ? lh_real.cnd_init(c) : (lh_init(), lh_real.cnd_init(c));

	if (rc == thrd_success && !lh_pass())
		LH_TELL(lh_core_init_lock(c, LH_LOCK_COND, lh_mis_cond_init_flags(c), LH_RA));
	return rc;
}

/* A destroy of a condition variable threads wait on is a misuse, and
 * glibc's destroy then waits for them to leave: a wait the watchdog sees
 * (a stall once no thread is left to signal them). */
LH_EXPORT int pthread_cond_destroy(pthread_cond_t *c)
{
	int rc;

	if (lh_pass())
		return lh_real.cond_destroy(c);
	LH_TELL(lh_core_object_destroy_begin(c, LH_LOCK_COND, LH_RA, LH_CFA));
	rc = LH_GUARDED(lh_real.cond_destroy(c));
	lh_core_wait_end();
	if (rc == 0)
		LH_TELL(lh_core_destroy_lock(c, LH_LOCK_COND, LH_RA));
	return rc;
}

LH_EXPORT void cnd_destroy(cnd_t *c)
{
	if (lh_pass()) {
		lh_real.cnd_destroy(c);
		return;
	}
	LH_TELL(lh_core_object_destroy_begin(c, LH_LOCK_COND, LH_RA, LH_CFA));
	lh_in_shim++;
	lh_real.cnd_destroy(c);
	lh_in_shim--;
	lh_core_wait_end();
	LH_TELL(lh_core_destroy_lock(c, LH_LOCK_COND, LH_RA));
}
