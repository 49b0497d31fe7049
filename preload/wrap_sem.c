/*
 * wrap_sem.c - POSIX semaphores, unnamed (sem_init) and named (sem_open).
 *
 * A semaphore used as a lock is a lock of the lock graph and the watchdog:
 * each wrapper tells the core one event (lh_core_sem_*), and semmodel.c
 * decides whether it is an acquisition, a release, or the event that shows
 * the semaphore is no lock (docs/DESIGN.md section 26).  A post is told
 * before the real sem_post, a successful wait after the real wait; a
 * blocking wait is noted for the watchdog while it waits.
 *
 * In exact mode a sem_post also happens before the wait it lets through
 * (the post releases the semaphore's clock before the real call, a wait
 * that succeeded acquires it).  A sem_init that glibc refuses for its
 * count is a misuse finding (sem-init-invalid-count), and so is a timed
 * wait refused for its deadline (invalid-timespec).
 *
 * EINTR and timeouts: a wait that fails (EINTR, ETIMEDOUT, EAGAIN of a
 * trywait) acquired nothing and tells nothing but the end of its wait.
 */
#include "wrap.h"

#include <fcntl.h>
#include <stdarg.h>

#define REAL(f) (likely(lh_real.f != NULL) ? lh_real.f : (lh_init(), lh_real.f))

LH_EXPORT int sem_init(sem_t *s, int pshared, unsigned value)
{
	int rc = REAL(sem_init)(s, pshared, value);
	/* a new semaphore at this address: no order inherited from an old one */
	if (rc == 0) {
		LH_RT_HOOK(rc_forget(lh_rt_engine, (uintptr_t)s, sizeof(*s)));
		if (!lh_pass())
			LH_TELL(lh_core_sem_init(s, pshared, value, LH_RA));
	} else if (unlikely(lh_mis_sem_init(rc, value)) && !lh_pass())
		LH_TELL(lh_report_misuse(LH_MIS_SEM_BAD_COUNT, s, LH_LOCK_SEM, LH_RA, NULL, 0));
	return rc;
}

LH_EXPORT int sem_destroy(sem_t *s)
{
	LH_RT_HOOK(rc_forget(lh_rt_engine, (uintptr_t)s, sizeof(*s)));
	if (!lh_pass())
		LH_TELL(lh_core_sem_destroy(s, LH_RA));
	return REAL(sem_destroy)(s);
}

/* A named semaphore is one per process however often it is opened (glibc
 * maps it once and counts the opens): the first open starts its identity,
 * the close that matches it ends it.  Its initial value is the one O_CREAT
 * gives (whether or not this call created it: the program meant that
 * count), else its value now.  Orders are per process, like every lock's:
 * a cycle through two processes is not found. */
LH_EXPORT sem_t *sem_open(const char *name, int oflag, ...)
{
	unsigned mode = 0, value = 0;
	int known = 0, v;
	sem_t *s;

	if (oflag & O_CREAT) {
		va_list ap;
		va_start(ap, oflag);
		mode = va_arg(ap, unsigned); /* mode_t, promoted */
		value = va_arg(ap, unsigned);
		va_end(ap);
		known = 1;
	}
	s = REAL(sem_open)(name, oflag, mode, value);
	if (s != SEM_FAILED && !lh_pass()) {
		int saved = errno;
		if (!known && sem_getvalue(s, &v) == 0 && v >= 0) {
			known = 1;
			value = (unsigned)v;
		}
		errno = saved;
		LH_TELL(lh_core_sem_open(s, known, value, LH_RA));
	}
	return s;
}

LH_EXPORT int sem_close(sem_t *s)
{
	if (!lh_pass())
		LH_TELL(lh_core_sem_close(s, LH_RA));
	return REAL(sem_close)(s);
}

LH_EXPORT int sem_post(sem_t *s)
{
	LH_RT_HOOK(lh_rt_release(s));
	LH_SMP_HOOK(lh_smp_release(s));
	if (!lh_pass())
		LH_TELL(lh_core_sem_post(s, LH_RA));
	return REAL(sem_post)(s);
}

/* a wait ended: rc 0 acquired the semaphore */
#define WAITED(rc, s, ra, cfa)                                                                     \
	do {                                                                                       \
		if ((rc) == 0) {                                                                   \
			LH_RT_HOOK(lh_rt_acquire(s));                                              \
			LH_SMP_HOOK(lh_smp_acquire(s));                                            \
			if (!lh_pass())                                                            \
				LH_TELL(lh_core_sem_acquired((s), (ra), (cfa)));                   \
		}                                                                                  \
	} while (0)

/* A blocking wait, visible to the watchdog while it waits.  The watchdog's
 * stack-sampling signal (deadlock_exit=0 keeps the process running after a
 * report) is installed with SA_RESTART, and the kernel restarts glibc's
 * futex wait under it: the program does not see an EINTR of ours
 * (scenario deadlock_sem_keep_running). */
#define BLOCKING(s, timed, call)                                                                   \
	({                                                                                         \
		int lh_track_ = !lh_pass();                                                        \
		if (lh_track_)                                                                     \
			LH_TELL(lh_core_sem_wait_begin((s), (timed), LH_RA, LH_CFA));              \
		int lh_rc_ = lh_track_ ? LH_GUARDED(call) : (call);                                \
		if (lh_track_)                                                                     \
			lh_core_wait_end();                                                        \
		lh_rc_;                                                                            \
	})

LH_EXPORT int sem_wait(sem_t *s)
{
	int rc = BLOCKING(s, 0, REAL(sem_wait)(s));
	WAITED(rc, s, LH_RA, LH_CFA);
	return rc;
}

LH_EXPORT int sem_trywait(sem_t *s)
{
	int rc;

	if (!lh_pass())
		LH_TELL(lh_core_sem_try_begin(s, LH_RA));
	rc = REAL(sem_trywait)(s);
	WAITED(rc, s, LH_RA, LH_CFA);
	/* CPython blocks next, without the GIL: its Python frames are read
	 * now, for that wait (pyframes.c) */
	if (rc != 0 && unlikely(lh_py_on | lh_py_retry) && errno == EAGAIN && !lh_pass())
		LH_TELL(lh_core_try_failed(s));
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
	int rc = BLOCKING(s, 1, REAL(sem_timedwait)(s, ts));
	WAITED(rc, s, LH_RA, LH_CFA);
	BAD_DEADLINE(rc, s, ts);
	return rc;
}

LH_EXPORT int sem_clockwait(sem_t *__restrict s, clockid_t clk, const struct timespec *__restrict ts)
{
	int rc = BLOCKING(s, 1, REAL(sem_clockwait)(s, clk, ts));
	WAITED(rc, s, LH_RA, LH_CFA);
	BAD_DEADLINE(rc, s, ts);
	return rc;
}
