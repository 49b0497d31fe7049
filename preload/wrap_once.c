/*
 * wrap_once.c - the synchronization that is not a lock, seen only for
 * exact mode's happens-before: barriers, pthread_once and C11 call_once,
 * condition signals (and the signals' misuse check).  In the plain mode each wrapper is the real call
 * behind one branch.
 *
 * Barrier: every arrival releases the barrier's clock before it waits and
 * acquires it when the wait returns, so everything before the barrier in
 * any thread happens before everything after it in all of them.  Limit:
 * one clock for every phase of a barrier used again and again; a thread
 * late to leave phase n may acquire what another released arriving at
 * phase n+1 (missed races, never false ones).
 *
 * Once: the initializer runs inside a trampoline that releases the once
 * object's clock when the initializer returns; every call that returns
 * (the first and all later ones) acquires it.  The trampoline finds its
 * initializer in thread-local variables (the initializer runs in the
 * calling thread; nested once calls save theirs first).
 *
 * Condition variables: a signal or broadcast releases the condition's
 * clock before the real call; the woken wait acquires it (wrap_cond.c,
 * through the core).  Each is also checked for cond-signal-without-mutex
 * (misuse_live.c) before the real call.
 */
#include "wrap.h"

#define REAL(f) (likely(lh_real.f != NULL) ? lh_real.f : (lh_init(), lh_real.f))

/* A count glibc refuses (0) is a misuse finding naming the barrier, and
 * so is an init of a barrier that threads wait in (checked before the
 * call, which overwrites what they wait on). */
LH_EXPORT int pthread_barrier_init(pthread_barrier_t *__restrict b,
                                   const pthread_barrierattr_t *__restrict attr, unsigned count)
{
	int rc, pass = lh_pass();

	if (!pass)
		LH_TELL(lh_core_barrier_init_check(b, LH_RA));
	rc = REAL(barrier_init)(b, attr, count);
	if (rc == 0 && !pass) /* where it was set up, for the reports that name it */
		LH_TELL(lh_core_init_lock(b, LH_LOCK_BARRIER, 0, LH_RA));
	if (unlikely(lh_mis_barrier_init(rc, count)) && !pass)
		LH_TELL(lh_report_misuse(LH_MIS_BARRIER_COUNT_ZERO, b, LH_LOCK_BARRIER, LH_RA, NULL, 0));
	return rc;
}

/* The wait is noted for the watchdog: a barrier no other thread can reach
 * is a stall (wfg.h). */
LH_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
	int rc, seen = !lh_pass();

	if (seen)
		LH_TELL(lh_core_barrier_wait_begin(b, LH_RA, LH_CFA));
	/* exact mode's clocks; else sampled watching's, each side asking
	 * whether a window is armed at its own time: one armed while this
	 * thread waited needs the acquire */
	if (unlikely(__atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED)))
		lh_rt_release(b);
	else if (unlikely(__atomic_load_n(&lh_smp_active, __ATOMIC_RELAXED)))
		LH_SMP_HOOK(lh_smp_release(b));
	rc = seen ? LH_GUARDED(REAL(barrier_wait)(b)) : REAL(barrier_wait)(b);
	if (seen)
		lh_core_wait_end();
	if (unlikely(__atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED)))
		lh_rt_acquire(b);
	else if (unlikely(__atomic_load_n(&lh_smp_active, __ATOMIC_RELAXED)))
		LH_SMP_HOOK(lh_smp_acquire(b));
	return rc;
}

/* glibc's destroy waits until every thread that entered the current round
 * has left it: with a thread still waiting for the round to fill, forever */
LH_EXPORT int pthread_barrier_destroy(pthread_barrier_t *b)
{
	int rc;

	if (lh_pass())
		return REAL(barrier_destroy)(b);
	LH_TELL(lh_core_object_destroy_begin(b, LH_LOCK_BARRIER, LH_RA, LH_CFA));
	rc = LH_GUARDED(REAL(barrier_destroy)(b));
	lh_core_wait_end();
	if (rc == 0)
		LH_TELL(lh_core_destroy_lock(b, LH_LOCK_BARRIER, LH_RA));
	return rc;
}

static __thread void *once_obj __attribute__((tls_model("initial-exec")));
static __thread void (*once_fn)(void) __attribute__((tls_model("initial-exec")));

static void once_trampoline(void)
{
	void *obj = once_obj;
	void (*fn)(void) = once_fn;

	fn();
	if (__atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED))
		lh_rt_release(obj);
	else
		lh_smp_release(obj); /* an init routine ran: always, it is rare */
}

LH_EXPORT int pthread_once(pthread_once_t *o, void (*fn)(void))
{
	int rc;

	if (likely(!__atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED)) &&
	    likely(!__atomic_load_n(&lh_smp_active, __ATOMIC_RELAXED)))
		return REAL(once)(o, fn);
	once_obj = o;
	once_fn = fn;
	rc = REAL(once)(o, once_trampoline);
	if (rc == 0 && __atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED))
		lh_rt_acquire(o);
	else if (rc == 0)
		lh_smp_acquire(o);
	return rc;
}

LH_EXPORT void call_once(once_flag *o, void (*fn)(void))
{
	if (likely(!__atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED)) &&
	    likely(!__atomic_load_n(&lh_smp_active, __ATOMIC_RELAXED))) {
		REAL(call_once)(o, fn);
		return;
	}
	once_obj = o;
	once_fn = fn;
	REAL(call_once)(o, once_trampoline);
	if (__atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED))
		lh_rt_acquire(o);
	else
		lh_smp_acquire(o);
}

LH_EXPORT int pthread_cond_signal(pthread_cond_t *c)
{
	LH_RT_HOOK(lh_rt_release(c));
	LH_SMP_HOOK(lh_smp_release(c));
	if (!lh_pass()) {
		LH_TELL(lh_mis_cond_use_check(c, LH_RA));
		LH_TELL(lh_mis_cond_signal_check(c, LH_LOCK_MUTEX, LH_RA));
	}
	return REAL(cond_signal)(c);
}

LH_EXPORT int pthread_cond_broadcast(pthread_cond_t *c)
{
	LH_RT_HOOK(lh_rt_release(c));
	LH_SMP_HOOK(lh_smp_release(c));
	if (!lh_pass()) {
		LH_TELL(lh_mis_cond_use_check(c, LH_RA));
		LH_TELL(lh_mis_cond_signal_check(c, LH_LOCK_MUTEX, LH_RA));
	}
	return REAL(cond_broadcast)(c);
}

LH_EXPORT int cnd_signal(cnd_t *c)
{
	LH_RT_HOOK(lh_rt_release(c));
	LH_SMP_HOOK(lh_smp_release(c));
	if (!lh_pass()) {
		LH_TELL(lh_mis_cond_use_check(c, LH_RA));
		LH_TELL(lh_mis_cond_signal_check(c, LH_LOCK_C11_MTX, LH_RA));
	}
	return REAL(cnd_signal)(c);
}

LH_EXPORT int cnd_broadcast(cnd_t *c)
{
	LH_RT_HOOK(lh_rt_release(c));
	LH_SMP_HOOK(lh_smp_release(c));
	if (!lh_pass()) {
		LH_TELL(lh_mis_cond_use_check(c, LH_RA));
		LH_TELL(lh_mis_cond_signal_check(c, LH_LOCK_C11_MTX, LH_RA));
	}
	return REAL(cnd_broadcast)(c);
}
