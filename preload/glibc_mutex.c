/*
 * glibc_mutex.c - the out-of-line parts of the built-in mutex protocol
 * (glibc_mutex.h): the wake of an unlock with waiters, the start-up
 * self-check of glibc's layout, and the elision test.  Pure: init.c runs
 * the self-check with the real functions and sets lh_gm_on.
 */
#include "glibc_mutex.h"

#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int lh_gm_on;
struct lh_gs lh_gs;

void lh_gm_wake(int *lock_word)
{
	int saved_errno = errno;

	/* what glibc's lll_unlock does for a private mutex: wake one waiter;
	 * it retakes the lock word as 2 (lll_lock_wait) */
	syscall(SYS_futex, lock_word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
	errno = saved_errno;
}


/* do m's fields say what the unit expects? */
static int fields_are(const pthread_mutex_t *m, int lock, int owner, unsigned nusers, unsigned count,
                      int kind)
{
	return m->__data.__lock == lock && m->__data.__owner == owner && m->__data.__nusers == nusers &&
	       m->__data.__count == count && m->__data.__kind == kind;
}

/* one mutex of the given kind (a static initializer, or a copy of one
 * that init made) through both sides: NULL or what differed */
static const char *check_kind(const struct lh_gm_ops *ops, const pthread_mutex_t *initial, int kind,
                              int tid)
{
	pthread_mutex_t m = *initial;

	if (!fields_are(&m, 0, 0, 0, 0, kind))
		return "a mutex's kind is not the one the unit assumes";
	/* the real lock writes what the unit writes */
	if (ops->lock(&m) != 0 || !fields_are(&m, 1, tid, 1, kind == PTHREAD_MUTEX_RECURSIVE_NP, kind))
		return "the real lock leaves other fields than the built-in one";
	if (kind != PTHREAD_MUTEX_RECURSIVE_NP && ops->trylock(&m) != EBUSY)
		return "the real trylock of a locked mutex did not say EBUSY";
	if (!fields_are(&m, 1, tid, 1, kind == PTHREAD_MUTEX_RECURSIVE_NP, kind))
		return "the real trylock of a locked mutex changed it";
	/* the real lock, the built-in unlock */
	if (!lh_gm_unlock(&m, tid) || !fields_are(&m, 0, 0, 0, 0, kind))
		return "the built-in unlock refused or mis-wrote a mutex the real lock took";
	/* the built-in lock, and glibc sees it locked by this thread */
	if (lh_gm_trylock(&m, tid) != LH_GM_TAKEN ||
	    !fields_are(&m, 1, tid, 1, kind == PTHREAD_MUTEX_RECURSIVE_NP, kind))
		return "the built-in trylock refused a free mutex";
	if (kind != PTHREAD_MUTEX_RECURSIVE_NP &&
	    (lh_gm_trylock(&m, tid) != LH_GM_BUSY || !fields_are(&m, 1, tid, 1, 0, kind)))
		return "the built-in trylock of a locked mutex did not find it busy";
	if (kind == PTHREAD_MUTEX_ERRORCHECK_NP && ops->lock(&m) != EDEADLK)
		return "the real lock of an errorcheck mutex the built-in lock took did not say EDEADLK";
	if (kind == PTHREAD_MUTEX_RECURSIVE_NP) {
		/* glibc counts it as ours, and the built-in unlock leaves a
		 * count above 1 to glibc */
		if (ops->lock(&m) != 0 || !fields_are(&m, 1, tid, 1, 2, kind))
			return "the real lock of a recursive mutex the built-in lock took did not count it";
		if (lh_gm_unlock(&m, tid))
			return "the built-in unlock took a recursive mutex held twice";
		if (ops->unlock(&m) != 0 || !fields_are(&m, 1, tid, 1, 1, kind))
			return "the real unlock of a recursive mutex held twice did not count it down";
	}
	if (ops->unlock(&m) != 0 || !fields_are(&m, 0, 0, 0, 0, kind))
		return "the real unlock of a mutex the built-in lock took failed or left other fields";
	if (kind == PTHREAD_MUTEX_ERRORCHECK_NP && ops->unlock(&m) != EPERM)
		return "the real unlock of an unlocked errorcheck mutex did not say EPERM";
	return NULL;
}

const char *lh_gm_selfcheck(const struct lh_gm_ops *ops, const char *version, int tid)
{
	static const pthread_mutex_t timed = PTHREAD_MUTEX_INITIALIZER;
	static const pthread_mutex_t recursive = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
	static const pthread_mutex_t errorcheck = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	static const pthread_mutex_t adaptive = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
	pthread_mutex_t m, normal;
	pthread_mutexattr_t attr;
	const char *why;
	int rc;

	if (!lh_gl_version_in(version, LH_GM_GLIBC_KNOWN))
		return "its glibc version is not one the built-in path was checked against";
	/* init writes a plain kind and nothing else (garbage first) */
	memset(&m, 0xa5, sizeof(m));
	if (ops->init(&m, NULL) != 0 || !fields_are(&m, 0, 0, 0, 0, PTHREAD_MUTEX_TIMED_NP))
		return "pthread_mutex_init leaves other fields than the unit assumes";
	if (ops->destroy(&m) != 0)
		return "pthread_mutex_destroy failed";
	if ((why = check_kind(ops, &timed, PTHREAD_MUTEX_TIMED_NP, tid)) != NULL ||
	    (why = check_kind(ops, &recursive, PTHREAD_MUTEX_RECURSIVE_NP, tid)) != NULL ||
	    (why = check_kind(ops, &errorcheck, PTHREAD_MUTEX_ERRORCHECK_NP, tid)) != NULL ||
	    (why = check_kind(ops, &adaptive, PTHREAD_MUTEX_ADAPTIVE_NP, tid)) != NULL)
		return why;
	/* a NORMAL mutex made through an attribute (and C11's mtx_plain):
	 * the type with PTHREAD_MUTEX_NO_ELISION_NP, or without it where glibc
	 * has no elision support */
	if (pthread_mutexattr_init(&attr) != 0 || pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_NORMAL) != 0)
		return "a NORMAL mutex attribute could not be made";
	memset(&m, 0xa5, sizeof(m));
	rc = ops->init(&m, &attr);
	pthread_mutexattr_destroy(&attr);
	if (rc != 0 || (m.__data.__kind & ~LH_GL_MUTEX_NO_ELISION_BIT) != PTHREAD_MUTEX_TIMED_NP)
		return "a NORMAL mutex's kind is not one the unit assumes";
	normal = m;
	if (ops->destroy(&m) != 0)
		return "pthread_mutex_destroy failed";
	return check_kind(ops, &normal, normal.__data.__kind, tid);
}

/* whether glibc marked m for elision at its first lock (m: a fresh
 * default mutex); NULL, or why the probe itself failed */
static const char *elided(const struct lh_gm_ops *ops, pthread_mutex_t *m, int *out)
{
	int kind;

	if (ops->lock(m) != 0)
		return "pthread_mutex_lock failed";
	kind = m->__data.__kind;
	if (ops->unlock(m) != 0)
		return "pthread_mutex_unlock failed";
	*out = ((kind | m->__data.__kind) & LH_GL_MUTEX_ELISION_BIT) != 0;
	return NULL;
}

const char *lh_gm_elision(const struct lh_gm_ops *ops)
{
	pthread_mutex_t st = PTHREAD_MUTEX_INITIALIZER, dyn;
	const char *why;
	int e1 = 0, e2 = 0;

	if ((why = elided(ops, &st, &e1)) != NULL)
		return why;
	if (ops->init(&dyn, NULL) != 0)
		return "pthread_mutex_init failed";
	why = elided(ops, &dyn, &e2);
	ops->destroy(&dyn);
	if (why)
		return why;
	if (e1 || e2)
		return "glibc elides locks here (a default mutex it locked took the elision flag: "
		       "the CPU has RTM and glibc.elision.enable is 1)";
	return NULL;
}

const char *lh_gs_selfcheck(const struct lh_gs_ops *ops)
{
	pthread_spinlock_t l;
	struct lh_gs probe = { 0, 0, 0 };

	memset((void *)&l, 0xa5, sizeof(l));
	if (ops->init(&l, PTHREAD_PROCESS_PRIVATE) != 0)
		return "pthread_spin_init failed";
	probe.unlocked = *(volatile int *)&l;
	if (ops->trylock(&l) != 0)
		return "the real trylock of a free spinlock failed";
	probe.locked = *(volatile int *)&l;
	if (probe.locked == probe.unlocked)
		return "a locked spinlock looks like a free one";
	if (ops->trylock(&l) != EBUSY || *(volatile int *)&l != probe.locked)
		return "the real trylock of a locked spinlock did not say EBUSY or changed it";
	if (ops->unlock(&l) != 0 || *(volatile int *)&l != probe.unlocked)
		return "the real unlock did not leave the value init wrote";
	/* the built-in side, with the probed values */
	__atomic_store_n(&lh_gs.unlocked, probe.unlocked, __ATOMIC_RELAXED);
	__atomic_store_n(&lh_gs.locked, probe.locked, __ATOMIC_RELAXED);
	if (!lh_gs_trylock(&l) || *(volatile int *)&l != probe.locked)
		return "the built-in trylock refused or mis-wrote a free spinlock";
	if (lh_gs_trylock(&l) || ops->trylock(&l) != EBUSY)
		return "a spinlock the built-in trylock took is not busy";
	lh_gs_unlock(&l);
	if (ops->trylock(&l) != 0)
		return "the real trylock refused a spinlock the built-in unlock released";
	if (ops->unlock(&l) != 0 || *(volatile int *)&l != probe.unlocked)
		return "the real unlock of a spinlock failed";
	return NULL;
}
