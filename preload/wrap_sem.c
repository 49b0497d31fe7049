/*
 * wrap_sem.c - POSIX semaphores.  For now they only order memory in exact
 * mode: a sem_post happens before the wait it lets through (the post
 * releases the semaphore's clock before the real call, a wait that
 * succeeded acquires it).  Semaphores are not locks of the lock graph (a
 * later change may make them so, here).  In the plain mode each wrapper is
 * the real call behind one branch.  A sem_init that glibc refuses for its
 * count is a misuse finding (sem-init-invalid-count), and so is a timed
 * wait refused for its deadline (invalid-timespec).
 */
#include "wrap.h"

#define REAL(f) (likely(lh_real.f != NULL) ? lh_real.f : (lh_init(), lh_real.f))

LH_EXPORT int sem_init(sem_t *s, int pshared, unsigned value)
{
	int rc = REAL(sem_init)(s, pshared, value);
	/* a new semaphore at this address: no order inherited from an old one */
	if (rc == 0)
		LH_RT_HOOK(rc_forget(lh_rt_engine, (uintptr_t)s, sizeof(*s)));
	else if (unlikely(lh_mis_sem_init(rc, value)) && !lh_pass())
		LH_TELL(lh_report_misuse(LH_MIS_SEM_BAD_COUNT, s, LH_LOCK_SEM, LH_RA, NULL, 0));
	return rc;
}

LH_EXPORT int sem_destroy(sem_t *s)
{
	LH_RT_HOOK(rc_forget(lh_rt_engine, (uintptr_t)s, sizeof(*s)));
	return REAL(sem_destroy)(s);
}

LH_EXPORT int sem_post(sem_t *s)
{
	LH_RT_HOOK(lh_rt_release(s));
	return REAL(sem_post)(s);
}

#define WAITED(rc, s)                                                                              \
	do {                                                                                       \
		if ((rc) == 0)                                                                     \
			LH_RT_HOOK(lh_rt_acquire(s));                                              \
	} while (0)

LH_EXPORT int sem_wait(sem_t *s)
{
	int rc = REAL(sem_wait)(s);
	WAITED(rc, s);
	return rc;
}

LH_EXPORT int sem_trywait(sem_t *s)
{
	int rc = REAL(sem_trywait)(s);
	WAITED(rc, s);
	return rc;
}

/* a timed wait that glibc refused for its deadline: invalid-timespec */
#define BAD_DEADLINE(rc, s, ts)                                                                    \
	do {                                                                                       \
		if (unlikely((rc) != 0) && lh_mis_timespec(errno, (ts)) && !lh_pass())             \
			LH_TELL(lh_report_misuse(LH_MIS_BAD_TIMESPEC, (s), LH_LOCK_SEM, LH_RA,     \
			                         NULL, 0));                                        \
	} while (0)

LH_EXPORT int sem_timedwait(sem_t *__restrict s, const struct timespec *__restrict ts)
{
	int rc = REAL(sem_timedwait)(s, ts);
	WAITED(rc, s);
	BAD_DEADLINE(rc, s, ts);
	return rc;
}

LH_EXPORT int sem_clockwait(sem_t *__restrict s, clockid_t clk, const struct timespec *__restrict ts)
{
	int rc = REAL(sem_clockwait)(s, clk, ts);
	WAITED(rc, s);
	BAD_DEADLINE(rc, s, ts);
	return rc;
}
