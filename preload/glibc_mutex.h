/*
 * glibc_mutex.h - the shim's own uncontended pthread_mutex_t protocol (and
 * pthread_spinlock_t's, at the end): the one place outside glibc that
 * writes a lock's fields.
 *
 * An interposed call into glibc costs a call, a PLT jump and glibc's own
 * checks of the mutex's kind, on top of the shim's work; on the common
 * path (a plain mutex nobody holds) glibc does nothing but one atomic and
 * two stores.  The mutex wrappers do exactly that themselves
 * (lh_gm_trylock, lh_gm_unlock) and call the real function for everything
 * else, so a mutex is always in a state glibc wrote or would have written:
 * glibc's own lock, unlock, trylock, condition waits and the shim's misuse
 * checks (glibc_locks.h) see a valid mutex whichever side took or released
 * it.
 *
 * glibc 2.36 (nptl/pthread_mutex_lock.c, pthread_mutex_trylock.c,
 * pthread_mutex_unlock.c, sysdeps/nptl/lowlevellock.h), for the four plain
 * kinds (__kind & ~LH_GM_PLAIN_KIND_BITS == 0: PTHREAD_MUTEX_TIMED_NP
 * (NORMAL), _RECURSIVE_NP, _ERRORCHECK_NP, _ADAPTIVE_NP, with or without
 * PTHREAD_MUTEX_NO_ELISION_NP, which glibc's three functions mask out and
 * which a NORMAL mutex made by pthread_mutexattr_settype and C11's
 * mtx_plain carry; no process-shared, robust, priority-inherit or -protect
 * bit, no PTHREAD_MUTEX_ELISION_NP):
 *   uncontended lock/trylock: CAS __lock 0 -> 1 (acquire), then
 *     __owner = the kernel tid, ++__nusers, and for a recursive mutex
 *     __count = 1;
 *   unlock: __owner = 0, --__nusers, exchange __lock with 0 (release), and
 *     FUTEX_WAKE one waiter (private: the kind has no process-shared bit)
 *     if the old value was above 1 (2: locked with waiters).
 * What this unit takes:
 *   trylock of a plain-kind mutex (for lock and trylock alike): the CAS
 *     succeeds -> LH_GM_TAKEN; it fails -> LH_GM_BUSY (glibc's trylock of
 *     those kinds returns EBUSY and writes nothing; its lock would wait),
 *     except for a recursive one, which the caller may already own
 *     (LH_GM_OTHER: glibc counts it);
 *   unlock of a plain-kind mutex that is locked and owned by the caller,
 *     for a recursive one only when its count is 1 (the last unlock).
 * Anything else is LH_GM_OTHER / 0 and goes to the real function: other
 * kinds (process-shared, robust, PI, PP bits; a destroyed mutex's -1; the
 * elision flag), an errorcheck or recursive mutex owned by someone else,
 * an unlock of an unlocked mutex (glibc's errors and its own behaviour for
 * them stay glibc's).  glibc's single-thread optimisation (plain stores
 * while the process has one thread) is its business: the atomic path is
 * correct in both cases.
 *
 * The path is used only when lh_gm_on is set: by the start-up self-check
 * (lh_gm_selfcheck, run by init.c before the shim is ready), which proves
 * on this process's glibc that the real functions and this unit write the
 * same fields, and only for the glibc versions in LH_GM_GLIBC_KNOWN; and
 * never when glibc elides locks (lh_gm_elision: a mutex glibc locked took
 * the elision flag), because an elided lock does not write __lock at all.
 *
 * Pure: no threads, log or state of its own but lh_gm_on;
 * tests/unit/test_glibc_mutex.c drives it against real glibc mutexes.
 */
#ifndef LOCKHOUND_GLIBC_MUTEX_H
#define LOCKHOUND_GLIBC_MUTEX_H

#include <pthread.h>

#include "glibc_locks.h"

#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

/* The glibc versions (gnu_get_libc_version) whose mutex code this unit
 * was read against, separated by spaces; any other turns the path off. */
#define LH_GM_GLIBC_KNOWN "2.36"

/* the __kind bits of a mutex this unit takes (glibc_locks.h) */
#define LH_GM_PLAIN_KIND_BITS (LH_GL_MUTEX_TYPE_MASK | LH_GL_MUTEX_NO_ELISION_BIT)

/* 1 once the self-check passed (init.c); read on every fast path */
extern int lh_gm_on __attribute__((visibility("hidden")));

enum lh_gm_try {
	LH_GM_OTHER = 0, /* not for the built-in path: call the real function */
	LH_GM_TAKEN = 1, /* locked, the fields written as glibc writes them */
	LH_GM_BUSY = 2,  /* locked by someone: what glibc's trylock says with EBUSY */
};

/* the FUTEX_WAKE of an unlock that found waiters (glibc_mutex.c, out of
 * line: the fast path keeps no registers for it; errno is kept) */
__attribute__((visibility("hidden"))) void lh_gm_wake(int *lock_word);

/* glibc's uncontended trylock of m for the thread with kernel tid tid */
static inline __attribute__((always_inline)) int lh_gm_trylock(pthread_mutex_t *m, int tid)
{
	int kind = __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED);
	int unlocked = 0;

	if (unlikely((kind & ~LH_GM_PLAIN_KIND_BITS) != 0))
		return LH_GM_OTHER;
	kind &= LH_GL_MUTEX_TYPE_MASK;
	if (unlikely(!__atomic_compare_exchange_n(&m->__data.__lock, &unlocked, 1, 0, __ATOMIC_ACQUIRE,
	                                          __ATOMIC_RELAXED)))
		return kind == PTHREAD_MUTEX_RECURSIVE_NP ? LH_GM_OTHER : LH_GM_BUSY;
	/* the plain stores glibc makes, as relaxed atomics: the shim's misuse
	 * checks read them from other threads (glibc_locks.h) */
	__atomic_store_n(&m->__data.__owner, tid, __ATOMIC_RELAXED);
	__atomic_store_n(&m->__data.__nusers, __atomic_load_n(&m->__data.__nusers, __ATOMIC_RELAXED) + 1,
	                 __ATOMIC_RELAXED);
	if (unlikely(kind == PTHREAD_MUTEX_RECURSIVE_NP))
		__atomic_store_n(&m->__data.__count, 1, __ATOMIC_RELAXED);
	return LH_GM_TAKEN;
}

/* glibc's unlock of m by the thread with kernel tid tid, when it is one
 * this unit takes: 1 done, 0 call the real function */
static inline __attribute__((always_inline)) int lh_gm_unlock(pthread_mutex_t *m, int tid)
{
	int kind = __atomic_load_n(&m->__data.__kind, __ATOMIC_RELAXED);

	if (unlikely((kind & ~LH_GM_PLAIN_KIND_BITS) != 0))
		return 0;
	kind &= LH_GL_MUTEX_TYPE_MASK;
	if (unlikely(__atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED) != tid ||
	             __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 0))
		return 0;
	if (unlikely(kind == PTHREAD_MUTEX_RECURSIVE_NP)) {
		if (__atomic_load_n(&m->__data.__count, __ATOMIC_RELAXED) != 1)
			return 0;
		__atomic_store_n(&m->__data.__count, 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&m->__data.__owner, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&m->__data.__nusers, __atomic_load_n(&m->__data.__nusers, __ATOMIC_RELAXED) - 1,
	                 __ATOMIC_RELAXED);
	if (unlikely(__atomic_exchange_n(&m->__data.__lock, 0, __ATOMIC_RELEASE) > 1))
		lh_gm_wake(&m->__data.__lock);
	return 1;
}

/* The real functions the self-check compares the unit with (a test
 * passes fakes) */
struct lh_gm_ops {
	int (*init)(pthread_mutex_t *, const pthread_mutexattr_t *);
	int (*lock)(pthread_mutex_t *);
	int (*trylock)(pthread_mutex_t *);
	int (*unlock)(pthread_mutex_t *);
	int (*destroy)(pthread_mutex_t *);
};

/* NULL when the real functions of glibc `version`, called by the thread
 * with kernel tid tid, leave every field this unit reads or writes as the
 * unit assumes and accept mutexes it locked or unlocked; else one phrase
 * saying what differed.  Uses only mutexes of its own, on its stack. */
__attribute__((visibility("hidden"))) const char *lh_gm_selfcheck(const struct lh_gm_ops *ops,
                                                                   const char *version, int tid);

/* NULL when this process's glibc does not elide mutexes; else why it
 * does (or why the probe failed).  glibc elides only on a CPU with RTM
 * and with the glibc.elision.enable tunable at 1, read once at start, and
 * then sets the elision flag (LH_GL_MUTEX_ELISION_BIT) in a default
 * mutex's kind at its first lock: so two default mutexes of the probe's
 * own (a static initializer's and pthread_mutex_init's), locked and
 * unlocked through ops, answer for every mutex of the process.  A CPU
 * with RTM alone is no reason: glibc 2.36 does not elide by default. */
__attribute__((visibility("hidden"))) const char *lh_gm_elision(const struct lh_gm_ops *ops);

/* ---- spinlocks ----
 * pthread_spinlock_t is one int.  glibc 2.36 on x86-64 (sysdeps/x86_64/nptl/
 * pthread_spin_*.S): init writes 1 (unlocked), lock is `lock decl` and
 * spins while the word is not above 0, trylock is CAS 1 -> 0 (EBUSY when
 * it fails), unlock stores 1; the generic code uses 0 and 1 the other way
 * round.  The two values come from the self-check (lh_gs_selfcheck), which
 * reads what glibc's own init and trylock write; the built-in trylock is
 * then CAS unlocked -> locked (acquire), and the unlock a release store of
 * the unlocked value: glibc's trylock and unlock exactly, in both ports.
 * A busy spinlock is glibc's to spin on (the wrapper notes the wait). */
struct lh_gs {
	int on;       /* the __kind bits of a mutex this unit takes (glibc_locks.h) */
#define LH_GM_PLAIN_KIND_BITS (LH_GL_MUTEX_TYPE_MASK | LH_GL_MUTEX_NO_ELISION_BIT)

/* 1 once the self-check passed (init.c) */
	int unlocked; /* the word's value when free (what pthread_spin_init writes) */
	int locked;   /* its value once taken by trylock */
};
extern struct lh_gs lh_gs __attribute__((visibility("hidden")));

/* glibc's trylock of l: 1 taken, 0 busy (EBUSY) */
static inline __attribute__((always_inline)) int lh_gs_trylock(pthread_spinlock_t *l)
{
	int unlocked = lh_gs.unlocked;

	return __atomic_compare_exchange_n((int *)l, &unlocked, lh_gs.locked, 0, __ATOMIC_ACQUIRE,
	                                   __ATOMIC_RELAXED);
}

/* glibc's unlock of l */
static inline __attribute__((always_inline)) void lh_gs_unlock(pthread_spinlock_t *l)
{
	__atomic_store_n((int *)l, lh_gs.unlocked, __ATOMIC_RELEASE);
}

struct lh_gs_ops {
	int (*init)(pthread_spinlock_t *, int);
	int (*trylock)(pthread_spinlock_t *);
	int (*unlock)(pthread_spinlock_t *);
};

/* NULL when glibc's spinlock functions and the built-in ones agree on a
 * spinlock of the check's own (init, trylock, EBUSY, unlock, each side
 * taking what the other released); else what differed.  Fills lh_gs's
 * two values (the built-in functions read them), never lh_gs.on: the
 * caller sets it when the check passed. */
__attribute__((visibility("hidden"))) const char *lh_gs_selfcheck(const struct lh_gs_ops *ops);

#endif
