/*
 * glibc_rwlock.c - the out-of-line parts of the built-in rwlock protocol
 * (glibc_rwlock.h): the wakes, the write unlock, and the start-up
 * self-check against the real functions.  Pure: init.c runs the
 * self-check with the real functions and sets lh_grw_on.
 */
#include "glibc_rwlock.h"

#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int lh_grw_on;

void lh_grw_wake(unsigned *word, int n)
{
	int saved_errno = errno;

	/* private: the built-in path never takes a process-shared rwlock */
	syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL, NULL, 0);
	errno = saved_errno;
}

/* glibc 2.36's __pthread_rwlock_wrunlock, step by step (glibc_rwlock.h) */
void lh_grw_wrunlock(pthread_rwlock_t *l)
{
	unsigned r, w;
	int wake_writers;

	__atomic_store_n(&l->__data.__cur_writer, 0, __ATOMIC_RELAXED);
	/* no writer may sleep on __writers_futex from here on; the one that
	 * did is woken at the end */
	wake_writers = (__atomic_exchange_n(&l->__data.__writers_futex, 0, __ATOMIC_RELAXED) &
	                LH_GL_RWLOCK_FUTEX_USED) != 0;
	if (l->__data.__flags != LH_GL_RWLOCK_PREFER_READER) {
		/* a waiting writer takes over WRLOCKED as it is */
		w = __atomic_load_n(&l->__data.__writers, __ATOMIC_RELAXED);
		while (w != 0)
			if (__atomic_compare_exchange_n(&l->__data.__writers, &w, w | LH_GL_RWLOCK_WRHANDOVER, 1,
			                                __ATOMIC_RELEASE, __ATOMIC_RELAXED))
				goto done;
	}
	/* drop WRLOCKED; registered readers get a read phase */
	r = __atomic_load_n(&l->__data.__readers, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&l->__data.__readers, &r,
	                                    (r ^ LH_GL_RWLOCK_WRLOCKED) ^
	                                            ((r >> LH_GL_RWLOCK_READER_SHIFT) == 0 ? 0 : LH_GL_RWLOCK_WRPHASE),
	                                    1, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	if ((r >> LH_GL_RWLOCK_READER_SHIFT) != 0 &&
	    (__atomic_exchange_n(&l->__data.__wrphase_futex, 0, __ATOMIC_RELAXED) & LH_GL_RWLOCK_FUTEX_USED))
		lh_grw_wake(&l->__data.__wrphase_futex, __INT_MAX__);
done:
	if (wake_writers)
		lh_grw_wake(&l->__data.__writers_futex, 1);
}


/* do the two rwlocks' fields say the same? (every field glibc's rwlock
 * code reads or writes; the padding is not compared) */
static int same(const pthread_rwlock_t *a, const pthread_rwlock_t *b)
{
	return a->__data.__readers == b->__data.__readers && a->__data.__writers == b->__data.__writers &&
	       a->__data.__wrphase_futex == b->__data.__wrphase_futex &&
	       a->__data.__writers_futex == b->__data.__writers_futex &&
	       a->__data.__cur_writer == b->__data.__cur_writer && a->__data.__shared == b->__data.__shared &&
	       a->__data.__flags == b->__data.__flags;
}

/* One script on two rwlocks of one kind: r only ever sees the real
 * functions, u the built-in ones or the real ones in turn, so each side
 * takes and releases what the other did; after every step both must be
 * equal.  NULL or what differed. */
static const char *check_kind(const struct lh_grw_ops *ops, const pthread_rwlockattr_t *attr, int tid)
{
	pthread_rwlock_t r, u;
	const char *why = NULL;

	memset(&r, 0, sizeof(r));
	memset(&u, 0, sizeof(u));
	if (ops->init(&r, attr) != 0 || ops->init(&u, attr) != 0)
		return "pthread_rwlock_init failed";
#define STEP(real_call, unit_ok, what)                                                             \
	do {                                                                                       \
		if ((real_call) != 0 || !(unit_ok) || !same(&r, &u)) {                             \
			why = what ": fields or answer differ from glibc's";                                                                \
			goto out;                                                                  \
		}                                                                                  \
	} while (0)
	/* a read phase: two readers, the built-in unlock of one, the real
	 * unlock of the other */
	STEP(ops->rdlock(&r), lh_grw_rdlock(&u) == LH_GRW_TAKEN, "the built-in read lock of a free rwlock");
	STEP(ops->tryrdlock(&r), lh_grw_rdlock(&u) == LH_GRW_TAKEN, "the built-in read lock of a read-locked rwlock");
	STEP(ops->unlock(&r), lh_grw_unlock(&u, tid) == 1, "the built-in read unlock of one of two readers");
	STEP(ops->unlock(&r), ops->unlock(&u) == 0, "the real unlock of a built-in read lock");
	/* a write phase from a read phase; busy for every other taker */
	STEP(ops->wrlock(&r), lh_grw_wrlock(&u, tid) == LH_GRW_TAKEN, "the built-in write lock of a free rwlock");
	STEP(0, lh_grw_rdlock(&u) == LH_GRW_BUSY && lh_grw_wrlock(&u, tid) == LH_GRW_BUSY,
	     "the built-in locks of a write-locked rwlock");
	STEP(0, ops->tryrdlock(&u) == EBUSY && ops->trywrlock(&u) == EBUSY && ops->rdlock(&u) == EDEADLK,
	     "glibc's locks of a built-in write lock");
	STEP(ops->unlock(&r), lh_grw_unlock(&u, tid) == 1, "the built-in write unlock");
	/* a read phase started from a write phase with no writer */
	STEP(ops->rdlock(&r), lh_grw_rdlock(&u) == LH_GRW_TAKEN, "the built-in read lock after a write phase");
	STEP(ops->unlock(&r), lh_grw_unlock(&u, tid) == 1, "the built-in read unlock after a write phase");
	/* the real write lock, the built-in unlock; then a write lock in the
	 * write phase that is left */
	STEP(ops->wrlock(&r), ops->wrlock(&u) == 0, "the real write lock");
	STEP(ops->unlock(&r), lh_grw_unlock(&u, tid) == 1, "the built-in unlock of a real write lock");
	STEP(ops->trywrlock(&r), lh_grw_wrlock(&u, tid) == LH_GRW_TAKEN, "the built-in write lock in a write phase");
	STEP(ops->unlock(&r), ops->unlock(&u) == 0, "the real unlock of a built-in write lock");
	/* the real read lock, the built-in unlock; nothing to release */
	STEP(ops->rdlock(&r), ops->rdlock(&u) == 0, "the real read lock");
	STEP(ops->unlock(&r), lh_grw_unlock(&u, tid) == 1, "the built-in unlock of a real read lock");
	STEP(0, lh_grw_unlock(&u, tid) == 0, "the built-in unlock of an unlocked rwlock");
#undef STEP
out:
	ops->destroy(&r);
	ops->destroy(&u);
	return why;
}

const char *lh_grw_selfcheck(const struct lh_grw_ops *ops, const char *version, int tid)
{
	static const int kinds[] = { PTHREAD_RWLOCK_PREFER_READER_NP, PTHREAD_RWLOCK_PREFER_WRITER_NP,
		                     PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP };
	static const pthread_rwlock_t initial = PTHREAD_RWLOCK_INITIALIZER;
	pthread_rwlock_t l;
	pthread_rwlockattr_t attr;
	const char *why = NULL;
	size_t i;

	if (!lh_gl_version_in(version, LH_GRW_GLIBC_KNOWN))
		return "its glibc version is not one the built-in path was checked against";
	/* init writes the static initializer's fields (garbage first) */
	memset(&l, 0xa5, sizeof(l));
	if (ops->init(&l, NULL) != 0 || !same(&l, &initial) || l.__data.__readers != 0 || l.__data.__flags != 0)
		return "pthread_rwlock_init leaves other fields than the unit assumes";
	ops->destroy(&l);
	if ((why = check_kind(ops, NULL, tid)) != NULL)
		return why;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]) && !why; i++) {
		if (pthread_rwlockattr_init(&attr) != 0 || pthread_rwlockattr_setkind_np(&attr, kinds[i]) != 0)
			return "a rwlock attribute could not be set";
		why = check_kind(ops, &attr, tid);
		pthread_rwlockattr_destroy(&attr);
	}
	return why;
}
