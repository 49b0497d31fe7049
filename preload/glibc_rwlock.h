/*
 * glibc_rwlock.h - the shim's own uncontended pthread_rwlock_t protocol,
 * the rwlock counterpart of glibc_mutex.h: the built-in path takes and
 * releases an rwlock itself where glibc's own code would do nothing but
 * one compare-and-swap of __readers and a few plain stores, and calls the
 * real function for everything else, so an rwlock is always in a state
 * glibc wrote or would have written.
 *
 * glibc 2.36 (nptl/pthread_rwlock_common.c, pthread_rwlock_tryrdlock.c,
 * pthread_rwlock_trywrlock.c, pthread_rwlock_unlock.c).  __readers holds
 * PTHREAD_RWLOCK_WRPHASE (bit 0: a write phase), _WRLOCKED (bit 1: a
 * primary writer), _RWAITING (bit 2: readers of a writer-preferring kind
 * wait for a writer) and the reader count from bit
 * LH_GL_RWLOCK_READER_SHIFT; __wrphase_futex is 1 during a write phase
 * and 0 during a read phase, plus the FUTEX_USED bit (2) when someone
 * sleeps on it; __writers_futex is 1 while a writer holds the lock (plus
 * FUTEX_USED when writers sleep); __writers counts waiting writers of the
 * writer-preferring kinds (plus WRHANDOVER); __cur_writer is the holding
 * writer's kernel tid; __flags the kind, __shared the futex flag.
 * What this unit takes:
 *   read lock (lh_grw_rdlock, for rdlock and tryrdlock alike): glibc's
 *     tryrdlock, which succeeds only where the blocking rdlock would not
 *     wait: in a read phase, CAS __readers r -> r + one reader, unless a
 *     primary writer is registered and the kind is
 *     PREFER_WRITER_NONRECURSIVE (LH_GRW_BUSY); in a write phase with no
 *     writer (the last writer left and no reader came since), CAS to one
 *     reader in a read phase, then __wrphase_futex = 0 (waking its
 *     sleepers, out of line, if FUTEX_USED was set); in a write phase with
 *     a writer, LH_GRW_BUSY.  A reader count that would reach
 *     LH_GL_RWLOCK_READER_OVERFLOW is glibc's (EAGAIN).
 *   write lock (lh_grw_wrlock, for wrlock and trywrlock alike): only a
 *     free rwlock (no reader, no writer, no waiting reader: __readers 0 or
 *     WRPHASE): CAS to WRPHASE | WRLOCKED, then __writers_futex = 1,
 *     __wrphase_futex = 1 when a write phase started, __cur_writer = tid;
 *     busy otherwise (LH_GRW_BUSY), or, for a writer-preferring kind in a
 *     write phase with readers waiting, LH_GRW_OTHER (glibc's trywrlock
 *     takes that one).
 *   unlock (lh_grw_unlock): glibc tells a write unlock from a read unlock
 *     by __cur_writer == the caller's tid, and so does this unit.  A read
 *     unlock is built in when it is one CAS that hands nothing over: a
 *     reader leaves and others remain, or the last leaves and no writer
 *     waits and no reader sleeps (no WRLOCKED, no RWAITING); anything else
 *     (the last reader hands over to a writer, an unlock of an rwlock with
 *     no reader) is glibc's.  A write unlock is glibc's whole algorithm
 *     (it has no point at which to give up: its first store is
 *     __cur_writer = 0): __writers_futex exchanged with 0, the hand-over
 *     to a waiting writer of a writer-preferring kind (WRHANDOVER in
 *     __writers), else CAS __readers to drop WRLOCKED (and WRPHASE when
 *     readers are registered, then __wrphase_futex = 0), and the wakes,
 *     out of line (lh_grw_wake).
 * Process-shared rwlocks (__shared != 0) always go to glibc.  glibc 2.36
 * does not elide rwlocks (__rwelision is unused), so no elision test.
 *
 * The path is used only when lh_grw_on is set, by init.c after the start-up
 * self-check (lh_grw_selfcheck) proved on this process's glibc, with the
 * real functions on rwlocks of its own, that both sides write the same
 * fields, and only for the glibc versions in LH_GRW_GLIBC_KNOWN.
 *
 * Pure: no threads, log or state of its own but lh_grw_on;
 * tests/unit/test_glibc_rwlock.c drives it against real glibc rwlocks.
 */
#ifndef LOCKHOUND_GLIBC_RWLOCK_H
#define LOCKHOUND_GLIBC_RWLOCK_H

#include <pthread.h>

#include "glibc_locks.h"

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* The glibc versions (gnu_get_libc_version) whose rwlock code this unit
 * was read against, separated by spaces; any other turns the path off. */
#define LH_GRW_GLIBC_KNOWN "2.36"

/* 1 once the self-check passed (init.c); read on every fast path */
extern int lh_grw_on __attribute__((visibility("hidden")));

enum lh_grw_try {
	LH_GRW_OTHER = 0, /* not for the built-in path: call the real function */
	LH_GRW_TAKEN = 1, /* locked, the fields written as glibc writes them */
	LH_GRW_BUSY = 2,  /* glibc's trylock would say EBUSY (its lock would wait) */
};

/* the FUTEX_WAKE of up to n sleepers on a private futex word (out of
 * line; errno is kept) */
__attribute__((visibility("hidden"))) void lh_grw_wake(unsigned *word, int n);

/* glibc's tryrdlock of l, where the built-in path takes it */
static inline __attribute__((always_inline)) int lh_grw_rdlock(pthread_rwlock_t *l)
{
	unsigned r, rnew;

	if (unlikely(__atomic_load_n(&l->__data.__shared, __ATOMIC_RELAXED) != 0))
		return LH_GRW_OTHER;
	r = __atomic_load_n(&l->__data.__readers, __ATOMIC_RELAXED);
	do {
		if (likely((r & LH_GL_RWLOCK_WRPHASE) == 0)) {
			if (unlikely(r & LH_GL_RWLOCK_WRLOCKED) &&
			    l->__data.__flags == LH_GL_RWLOCK_PREFER_WRITER_NONREC)
				return LH_GRW_BUSY;
			rnew = r + (1u << LH_GL_RWLOCK_READER_SHIFT);
		} else {
			if (r & LH_GL_RWLOCK_WRLOCKED)
				return LH_GRW_BUSY;
			rnew = (r + (1u << LH_GL_RWLOCK_READER_SHIFT)) ^ LH_GL_RWLOCK_WRPHASE;
		}
		if (unlikely(rnew >= LH_GL_RWLOCK_READER_OVERFLOW))
			return LH_GRW_OTHER;
	} while (unlikely(!__atomic_compare_exchange_n(&l->__data.__readers, &r, rnew, 1, __ATOMIC_ACQUIRE,
	                                               __ATOMIC_RELAXED)));
	/* this reader started the read phase: what the writer's hand-over
	 * would have done */
	if (unlikely(r & LH_GL_RWLOCK_WRPHASE) &&
	    (__atomic_exchange_n(&l->__data.__wrphase_futex, 0, __ATOMIC_RELAXED) & LH_GL_RWLOCK_FUTEX_USED))
		lh_grw_wake(&l->__data.__wrphase_futex, __INT_MAX__);
	return LH_GRW_TAKEN;
}

/* glibc's trywrlock of a free l by the thread with kernel tid tid */
static inline __attribute__((always_inline)) int lh_grw_wrlock(pthread_rwlock_t *l, int tid)
{
	unsigned r;

	if (unlikely(__atomic_load_n(&l->__data.__shared, __ATOMIC_RELAXED) != 0))
		return LH_GRW_OTHER;
	r = __atomic_load_n(&l->__data.__readers, __ATOMIC_RELAXED);
	do {
		if (unlikely((r & ~LH_GL_RWLOCK_WRPHASE) != 0)) {
			/* glibc's trywrlock also takes a write phase with
			 * readers waiting when the kind prefers writers */
			if ((r & (LH_GL_RWLOCK_WRLOCKED | LH_GL_RWLOCK_WRPHASE)) == LH_GL_RWLOCK_WRPHASE &&
			    l->__data.__flags != LH_GL_RWLOCK_PREFER_READER)
				return LH_GRW_OTHER;
			return LH_GRW_BUSY;
		}
	} while (unlikely(!__atomic_compare_exchange_n(&l->__data.__readers, &r,
	                                               r | LH_GL_RWLOCK_WRPHASE | LH_GL_RWLOCK_WRLOCKED, 1,
	                                               __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)));
	__atomic_store_n(&l->__data.__writers_futex, 1, __ATOMIC_RELAXED);
	if (!(r & LH_GL_RWLOCK_WRPHASE))
		__atomic_store_n(&l->__data.__wrphase_futex, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&l->__data.__cur_writer, tid, __ATOMIC_RELAXED);
	return LH_GRW_TAKEN;
}

/* glibc's write unlock (the caller checked __cur_writer == its tid) */
__attribute__((visibility("hidden"))) void lh_grw_wrunlock(pthread_rwlock_t *l);

/* glibc's unlock of l by the thread with kernel tid tid, when it is one
 * this unit takes: 1 done, 0 call the real function */
static inline __attribute__((always_inline)) int lh_grw_unlock(pthread_rwlock_t *l, int tid)
{
	unsigned r, rnew;

	if (unlikely(__atomic_load_n(&l->__data.__shared, __ATOMIC_RELAXED) != 0))
		return 0;
	if (unlikely(__atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED) == tid)) {
		lh_grw_wrunlock(l);
		return 1;
	}
	r = __atomic_load_n(&l->__data.__readers, __ATOMIC_RELAXED);
	do {
		if (unlikely((r >> LH_GL_RWLOCK_READER_SHIFT) == 0 || (r & LH_GL_RWLOCK_READER_OVERFLOW)))
			return 0; /* no reader to release: glibc's business */
		rnew = r - (1u << LH_GL_RWLOCK_READER_SHIFT);
		if (unlikely((rnew >> LH_GL_RWLOCK_READER_SHIFT) == 0 &&
		             (rnew & (LH_GL_RWLOCK_WRLOCKED | LH_GL_RWLOCK_RWAITING)) != 0))
			return 0; /* the last reader hands over: glibc's */
	} while (unlikely(!__atomic_compare_exchange_n(&l->__data.__readers, &r, rnew, 1, __ATOMIC_RELEASE,
	                                               __ATOMIC_RELAXED)));
	return 1;
}

/* The real functions the self-check compares the unit with (a test
 * passes fakes) */
struct lh_grw_ops {
	int (*init)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
	int (*rdlock)(pthread_rwlock_t *);
	int (*tryrdlock)(pthread_rwlock_t *);
	int (*wrlock)(pthread_rwlock_t *);
	int (*trywrlock)(pthread_rwlock_t *);
	int (*unlock)(pthread_rwlock_t *);
	int (*destroy)(pthread_rwlock_t *);
};

/* NULL when the real functions of glibc `version`, called by the thread
 * with kernel tid tid, write every field of rwlocks of each kind as the
 * unit does, step by step, in a script of read and write locks and
 * unlocks in which each side takes and releases what the other did;
 * else one phrase saying what differed.  Uses only rwlocks of its own, on
 * its stack. */
__attribute__((visibility("hidden"))) const char *lh_grw_selfcheck(const struct lh_grw_ops *ops,
                                                                    const char *version, int tid);

#endif
