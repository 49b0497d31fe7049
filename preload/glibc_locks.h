/*
 * glibc_locks.h - every read of glibc's private lock fields, in one place.
 *
 * The shim reads a few fields of glibc's lock structures (the `__data`
 * members of <bits/struct_mutex.h>, <bits/struct_rwlock.h> and
 * <bits/thread-shared-types.h>) to learn what the program's calls alone do
 * not say: a mutex's type, whether a lock is locked and by whom, a rwlock's
 * preference, a condition variable's clock.  Each read is one named function
 * here, with what it relies on.  Checked against glibc 2.36 (Debian 12,
 * x86-64); the layouts are part of glibc's ABI (the static initializers
 * write them), so they hold for every glibc since 2.25 (new condvars) and
 * 2.34 (libpthread merged into libc).  Nothing else in the shim reads
 * `__data`; the two writers are the built-in mutex protocol of
 * glibc_mutex.h and the built-in rwlock protocol of glibc_rwlock.h, which
 * write only what glibc writes.
 *
 * The reads are racy by nature (another thread may lock or unlock as we
 * look): the state they return is a hint for misuse checks, which only
 * report when the shim's own book-keeping agrees (docs/DESIGN.md section 12).
 * Words another thread may write are read with relaxed atomic loads; fields
 * written only by init (type, preference, clock) are read plainly, as glibc
 * itself does.
 *
 * Everything is inline: the wrappers call some of these on their fast paths.
 */
#ifndef LOCKHOUND_GLIBC_LOCKS_H
#define LOCKHOUND_GLIBC_LOCKS_H

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lockhound_log.h"

/* pthread_mutex_t.__data.__kind: the type in bits 0-1 (PTHREAD_MUTEX_NORMAL,
 * _RECURSIVE, _ERRORCHECK, _ADAPTIVE), PTHREAD_MUTEX_PSHARED_BIT (128) for a
 * process-shared mutex, PTHREAD_MUTEX_NO_ELISION_NP (512), which
 * pthread_mutexattr_settype(PTHREAD_MUTEX_NORMAL) and C11's mtx_plain and
 * mtx_timed add and which glibc's lock, trylock and unlock mask out of the
 * type (PTHREAD_MUTEX_TYPE_ELISION: kind & (127 | 256)), and -1 once
 * pthread_mutex_destroy has run (glibc 2.36 nptl/pthread_mutex_destroy.c;
 * lock and unlock then fail with EINVAL). */
#define LH_GL_MUTEX_TYPE_MASK 3
#define LH_GL_MUTEX_PSHARED_BIT 128
#define LH_GL_MUTEX_ELISION_BIT 256    /* glibc set it: the mutex is elided (RTM) */
#define LH_GL_MUTEX_NO_ELISION_BIT 512
#define LH_GL_MUTEX_DESTROYED (-1)

/* pthread_rwlock_t.__data.__flags: the kind given to
 * pthread_rwlockattr_setkind_np; 2 is PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP,
 * the only kind for which glibc queues readers behind a waiting writer. */
#define LH_GL_RWLOCK_PREFER_WRITER_NONREC 2
/* ... and 0 is PTHREAD_RWLOCK_PREFER_READER_NP, the default kind, the only
 * one whose write unlock never hands over to a waiting writer */
#define LH_GL_RWLOCK_PREFER_READER 0
/* pthread_rwlock_t.__data.__readers (nptl/pthread_rwlock_common.c):
 * bit 0 is PTHREAD_RWLOCK_WRPHASE (a write phase), bit 1
 * PTHREAD_RWLOCK_WRLOCKED (a primary writer), bit 2 PTHREAD_RWLOCK_RWAITING
 * (readers wait for a writer to go first), the reader count starts at bit
 * 3 (PTHREAD_RWLOCK_READER_SHIFT). */
#define LH_GL_RWLOCK_WRPHASE 1u
#define LH_GL_RWLOCK_WRLOCKED 2u
#define LH_GL_RWLOCK_RWAITING 4u
#define LH_GL_RWLOCK_READER_SHIFT 3
/* __wrphase_futex and __writers_futex: PTHREAD_RWLOCK_FUTEX_USED, set by a
 * thread that sleeps on the word; __writers: PTHREAD_RWLOCK_WRHANDOVER, a
 * writer handed the lock over to the waiting writers */
#define LH_GL_RWLOCK_FUTEX_USED 2u
#define LH_GL_RWLOCK_WRHANDOVER 0x80000000u
/* The top bit of __readers (glibc's PTHREAD_RWLOCK_READER_OVERFLOW): a
 * reader count that reaches it would need 2^28 readers at once, more
 * threads than the kernel makes (PID_MAX_LIMIT is 2^22), so a word with it
 * set holds no real count: an unlock of an rwlock nobody held subtracted a
 * reader from 0 (glibc returns 0; the count underflowed, and the next
 * rdlock brings it back to 0). */
#define LH_GL_RWLOCK_READER_OVERFLOW 0x80000000u
/* pthread_cond_t.__data.__wrefs: bit 1 set when the condattr clock is
 * CLOCK_MONOTONIC (nptl/pthread_cond_common.c, __PTHREAD_COND_CLOCK_MONOTONIC_MASK). */
#define LH_GL_COND_CLOCK_MONOTONIC 2u
/* bit 0 of __wrefs: a process-shared condition variable
 * (__PTHREAD_COND_SHARED_MASK) */
#define LH_GL_COND_SHARED 1u
/* pthread_barrier_t is glibc's struct pthread_barrier (nptl/pthreadP.h):
 * unsigned in, current_round, count; int shared; unsigned out.  shared is
 * FUTEX_PRIVATE (0) or FUTEX_SHARED (128) as pthread_barrier_init sets it. */
#define LH_GL_BARRIER_SHARED_WORD 3

/* the LH_LOCKF_* a mutex's type implies */
static inline uint32_t lh_gl_mutex_lflags(const pthread_mutex_t *m)
{
	int k = m->__data.__kind & LH_GL_MUTEX_TYPE_MASK;
	if (k == PTHREAD_MUTEX_RECURSIVE)
		return LH_LOCKF_RECURSIVE;
	if (k == PTHREAD_MUTEX_ERRORCHECK)
		return LH_LOCKF_ERRORCHECK;
	return 0;
}

/* has pthread_mutex_destroy run on m (and nothing re-initialized it)? */
static inline int lh_gl_mutex_destroyed(const pthread_mutex_t *m)
{
	return m->__data.__kind == LH_GL_MUTEX_DESTROYED;
}

/* a robust mutex (PTHREAD_MUTEX_ROBUST_NORMAL_NP, 16, in __kind): when
 * its owner ends holding it, the next locker gets EOWNERDEAD */
#define LH_GL_MUTEX_ROBUST_BIT 16
static inline int lh_gl_mutex_robust(const pthread_mutex_t *m)
{
	return m->__data.__kind != LH_GL_MUTEX_DESTROYED && (m->__data.__kind & LH_GL_MUTEX_ROBUST_BIT);
}

static inline int lh_gl_mutex_pshared(const pthread_mutex_t *m)
{
	return m->__data.__kind != LH_GL_MUTEX_DESTROYED && (m->__data.__kind & LH_GL_MUTEX_PSHARED_BIT);
}

static inline int lh_gl_rwlock_pshared(const pthread_rwlock_t *l)
{
	return l->__data.__shared != 0;
}

/* LH_LOCKF_WRITER_PREF when readers queue behind a waiting writer */
static inline uint32_t lh_gl_rwlock_lflags(const pthread_rwlock_t *l)
{
	return l->__data.__flags == LH_GL_RWLOCK_PREFER_WRITER_NONREC ? LH_LOCKF_WRITER_PREF : 0;
}

/* the clock a pthread condition variable's timed waits use */
static inline clockid_t lh_gl_cond_clock(const pthread_cond_t *c)
{
	return (c->__data.__wrefs & LH_GL_COND_CLOCK_MONOTONIC) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

/* sem_t (glibc 2.36, nptl's struct new_sem with 64-bit atomics): `data`
 * holds the value in bits 0-31 and the number of waiters in bits 32-63,
 * `private` is 0 for a process-private semaphore and 128 for a
 * process-shared one (the futex flag glibc passes; sem_init writes both
 * fields, sem_open's file holds a shared one).  Read with relaxed loads:
 * other threads change `data` and the program may overwrite either. */
#define LH_GL_SEM_PRIVATE 0
#define LH_GL_SEM_SHARED 128
struct lh_gl_sem {
	uint32_t value, nwaiters;
	int priv;
};
static inline struct lh_gl_sem lh_gl_sem_state(const sem_t *s)
{
	const uint64_t *data = (const uint64_t *)(const void *)s;
	const int *priv = (const int *)(const void *)((const char *)s + sizeof(uint64_t));
	uint64_t d = __atomic_load_n(data, __ATOMIC_RELAXED);
	struct lh_gl_sem g = { (uint32_t)d, (uint32_t)(d >> 32), __atomic_load_n(priv, __ATOMIC_RELAXED) };
	return g;
}

static inline int lh_gl_cond_pshared(const pthread_cond_t *c)
{
	return (__atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED) & LH_GL_COND_SHARED) != 0;
}

/* The bits of __wrefs that pthread_cond_init writes (process-shared, the
 * clock) and glibc never changes afterwards: a waiter adds and removes
 * multiples of 8 (the waiter count is __wrefs >> 3), pthread_cond_destroy
 * sets bit 2.  So bits 0-1 that differ from what init wrote were written
 * by something other than glibc's condition-variable code. */
#define LH_GL_COND_INIT_BITS (LH_GL_COND_SHARED | LH_GL_COND_CLOCK_MONOTONIC)
#define LH_GL_COND_WORDS (sizeof(pthread_cond_t) / sizeof(uint32_t))
#define LH_GL_COND_WREFS_WORD (offsetof(pthread_cond_t, __data.__wrefs) / sizeof(uint32_t))
/* What a condition variable's fields say (glibc 2.36's __pthread_cond_s,
 * 48 bytes: __wseq, __g1_start, __g_refs[2], __g_size[2], __g1_orig_size,
 * __wrefs, __g_signals[2]).  fresh: every word is 0 but __wrefs's init
 * bits, as PTHREAD_COND_INITIALIZER (all zeros) and pthread_cond_init
 * (a memset, then those bits) leave it; the first wait changes __wseq and
 * __wrefs for good, a signal or broadcast with no waiter writes nothing.
 * Read word by word with relaxed loads: other threads change them. */
struct lh_gl_cond {
	uint32_t wrefs;
	int fresh;
};
static inline struct lh_gl_cond lh_gl_cond_state(const pthread_cond_t *c)
{
	const uint32_t *w = (const uint32_t *)(const void *)c;
	struct lh_gl_cond g = { 0, 1 };
	size_t i;

	for (i = 0; i < LH_GL_COND_WORDS; i++) {
		uint32_t v = __atomic_load_n(&w[i], __ATOMIC_RELAXED);
		if (i == LH_GL_COND_WREFS_WORD) {
			g.wrefs = v;
			v &= ~LH_GL_COND_INIT_BITS;
		}
		if (v)
			g.fresh = 0;
	}
	return g;
}

static inline int lh_gl_barrier_pshared(const pthread_barrier_t *b)
{
	return ((const int *)(const void *)b)[LH_GL_BARRIER_SHARED_WORD] != 0;
}

/* struct pthread_barrier (nptl/pthread_barrier_init.c): in,
 * current_round, count, shared, out; count is the one given to init */
#define LH_GL_BARRIER_COUNT_WORD 2
static inline unsigned lh_gl_barrier_count(const void *b)
{
	return ((const unsigned *)b)[LH_GL_BARRIER_COUNT_WORD];
}

/* What a lock's own fields say (lh_gl_lock_state) */
struct lh_gl_state {
	int locked;  /* 1 locked, 0 unlocked, -1 not known (annotated locks,
	              * an rwlock whose reader count underflowed) */
	int owner;   /* kernel tid of the owner where glibc keeps it (mutexes,
	              * write-locked rwlocks), else 0 */
	int waiters; /* mutexes: the lock word says others wait */
};

/* mutex: __lock is 0 unlocked, 1 locked, 2 locked with waiters (for the
 * normal/recursive/errorcheck types; lll_lock's protocol), __owner the
 * owner's tid.  rwlock: __readers as above, __cur_writer the writer's tid.
 * spinlock: the whole object is the lock word; its unlocked value is what
 * pthread_spin_init writes, which differs between ports (1 on x86-64, 0 in
 * the generic code), so the caller passes it in from a probe. */
static inline struct lh_gl_state lh_gl_lock_state(const void *addr, int kind, int spin_unlocked)
{
	struct lh_gl_state s = { -1, 0, 0 };

	switch (kind) {
	case LH_LOCK_MUTEX:
	case LH_LOCK_C11_MTX: { /* mtx_t has pthread_mutex_t's layout in glibc */
		const pthread_mutex_t *m = addr;
		int v = __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED);
		s.owner = __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
		s.waiters = v > 1;
		s.locked = v != 0;
		break;
	}
	case LH_LOCK_RWLOCK: {
		const pthread_rwlock_t *l = addr;
		unsigned r = __atomic_load_n(&l->__data.__readers, __ATOMIC_RELAXED);
		s.owner = __atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED);
		s.locked = (r >> LH_GL_RWLOCK_READER_SHIFT) != 0 || (r & LH_GL_RWLOCK_WRLOCKED) != 0;
		/* an underflowed reader count is no reader: not known (the
		 * illegal unlock was the finding; a later destroy is not
		 * destroy-locked) */
		if (r & LH_GL_RWLOCK_READER_OVERFLOW)
			s.locked = -1;
		break;
	}
	case LH_LOCK_SPIN:
		s.locked = __atomic_load_n((const int *)addr, __ATOMIC_RELAXED) != spin_unlocked;
		break;
	}
	return s;
}

/* is `version` (gnu_get_libc_version's) one of the space-separated words
 * of `known` (a unit's list of glibc versions it was read against)? */
static inline int lh_gl_version_in(const char *version, const char *known)
{
	size_t n;

	if (!version || !*version)
		return 0;
	n = strlen(version);
	while (*known) {
		size_t w = strcspn(known, " ");
		if (w == n && memcmp(known, version, n) == 0)
			return 1;
		known += w;
		known += strspn(known, " ");
	}
	return 0;
}

#endif
