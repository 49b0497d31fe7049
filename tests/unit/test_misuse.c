/*
 * test_misuse.c - CUnit tests for preload/misuse.c (the misuse decisions
 * and the once-per-call-site table, LH_MIS_SITES) and for
 * preload/glibc_locks.h, whose reads of glibc's private lock fields are
 * checked against real glibc locks in known states.  One thread, no shim
 * (the test is not preloaded: the pthread calls are glibc's own).
 */
#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"
#include "glibc_locks.h"
#include "shim_stubs.h"
#include "lh_misuse.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static struct lh_gl_state st(int locked, int owner, int waiters)
{
	struct lh_gl_state s = { locked, owner, waiters };
	return s;
}

static void test_unlock_decisions(void)
{
	struct lh_gl_state s;

	s = st(0, 0, 0);
	CU_ASSERT_EQUAL(lh_mis_unlock(&s, 10), LH_MIS_UNLOCK_NOT_LOCKED);
	s = st(1, 11, 0);
	CU_ASSERT_EQUAL(lh_mis_unlock(&s, 10), LH_MIS_UNLOCK_OTHER_THREAD);
	s = st(1, 10, 0); /* locked by us before the shim watched: fine */
	CU_ASSERT_EQUAL(lh_mis_unlock(&s, 10), 0);
	s = st(1, 0, 0); /* read-held rwlock, spinlock: no owner known */
	CU_ASSERT_EQUAL(lh_mis_unlock(&s, 10), 0);
	s = st(-1, 0, 0); /* annotated lock: nothing known */
	CU_ASSERT_EQUAL(lh_mis_unlock(&s, 10), 0);
}

static void test_destroy_decisions(void)
{
	struct lh_gl_state s;

	s = st(0, 0, 0);
	CU_ASSERT_EQUAL(lh_mis_destroy(&s, 0, 0), 0);
	CU_ASSERT_EQUAL(lh_mis_destroy(&s, 1, 0), LH_MIS_DESTROY_LOCKED); /* the shim saw it held */
	CU_ASSERT_EQUAL(lh_mis_destroy(&s, 1, 1), LH_MIS_DESTROY_WAITERS);
	s = st(1, 12, 0);
	CU_ASSERT_EQUAL(lh_mis_destroy(&s, 0, 0), LH_MIS_DESTROY_LOCKED);
	CU_ASSERT_EQUAL(lh_mis_destroy(&s, 0, 1), LH_MIS_DESTROY_WAITERS);
	s = st(1, 12, 1); /* the lock word says someone waits */
	CU_ASSERT_EQUAL(lh_mis_destroy(&s, 0, 0), LH_MIS_DESTROY_WAITERS);
	s = st(-1, 0, 0);
	CU_ASSERT_EQUAL(lh_mis_destroy(&s, 0, 1), 0);
}

static void test_cond_and_failed_decisions(void)
{
	struct lh_gl_state s;

	s = st(0, 0, 0);
	CU_ASSERT_EQUAL(lh_mis_cond_wait(1, &s, 10), 0); /* the shim saw it held */
	CU_ASSERT_EQUAL(lh_mis_cond_wait(0, &s, 10), LH_MIS_COND_NOT_HELD);
	s = st(1, 10, 0);
	CU_ASSERT_EQUAL(lh_mis_cond_wait(0, &s, 10), 0); /* glibc says we own it */
	s = st(1, 11, 0);
	CU_ASSERT_EQUAL(lh_mis_cond_wait(0, &s, 10), LH_MIS_COND_NOT_HELD);
	CU_ASSERT_EQUAL(lh_mis_lock_failed(LH_LOCK_MUTEX, EINVAL, 1), LH_MIS_USE_AFTER_DESTROY);
	CU_ASSERT_EQUAL(lh_mis_lock_failed(LH_LOCK_C11_MTX, EINVAL, 1), LH_MIS_USE_AFTER_DESTROY);
	CU_ASSERT_EQUAL(lh_mis_lock_failed(LH_LOCK_MUTEX, EINVAL, 0), 0);
	CU_ASSERT_EQUAL(lh_mis_lock_failed(LH_LOCK_MUTEX, EDEADLK, 1), 0);
	CU_ASSERT_EQUAL(lh_mis_lock_failed(LH_LOCK_RWLOCK, EINVAL, 1), 0);
	{
		struct timespec bad = { 1, 1000000000L }, neg = { 1, -1 }, ok = { 1, 999999999L };
		CU_ASSERT_EQUAL(lh_mis_timespec(EINVAL, &bad), LH_MIS_BAD_TIMESPEC);
		CU_ASSERT_EQUAL(lh_mis_timespec(EINVAL, &neg), LH_MIS_BAD_TIMESPEC);
		CU_ASSERT_EQUAL(lh_mis_timespec(EINVAL, &ok), 0); /* EINVAL for another reason */
		CU_ASSERT_EQUAL(lh_mis_timespec(0, &bad), 0);      /* glibc did not look: lock was free */
		CU_ASSERT_EQUAL(lh_mis_timespec(ETIMEDOUT, &ok), 0);
		CU_ASSERT_EQUAL(lh_mis_timespec(EINVAL, NULL), 0);
	}
	CU_ASSERT_EQUAL(lh_mis_join(EDEADLK, 1), LH_MIS_JOIN_SELF);
	CU_ASSERT_EQUAL(lh_mis_join(EDEADLK, 0), 0); /* a join cycle of two threads: the watchdog's */
	CU_ASSERT_EQUAL(lh_mis_join(EINVAL, 0), LH_MIS_JOIN_DETACHED);
	CU_ASSERT_EQUAL(lh_mis_join(0, 0), 0);
	CU_ASSERT_EQUAL(lh_mis_join(ESRCH, 0), 0);
	CU_ASSERT_EQUAL(lh_mis_detach(EINVAL), LH_MIS_DETACH_DETACHED);
	CU_ASSERT_EQUAL(lh_mis_detach(0), 0);
	CU_ASSERT_EQUAL(lh_mis_detach(ESRCH), 0);
	CU_ASSERT_EQUAL(lh_mis_sem_init(EINVAL, (unsigned)SEM_VALUE_MAX + 1u), LH_MIS_SEM_BAD_COUNT);
	CU_ASSERT_EQUAL(lh_mis_sem_init(0, (unsigned)SEM_VALUE_MAX), 0);
	CU_ASSERT_EQUAL(lh_mis_sem_init(ENOSYS, 1), 0); /* refused for another reason */
	CU_ASSERT_EQUAL(lh_mis_barrier_init(EINVAL, 0), LH_MIS_BARRIER_COUNT_ZERO);
	CU_ASSERT_EQUAL(lh_mis_barrier_init(0, 1), 0);
	CU_ASSERT_EQUAL(lh_mis_barrier_init(EINVAL, 3), 0); /* a bad attribute, not the count */
}

static void test_join_again_and_exit_decisions(void)
{
	CU_ASSERT_EQUAL(lh_mis_join_again(1, 1), LH_MIS_JOIN_TWICE);
	CU_ASSERT_EQUAL(lh_mis_join_again(0, 1), LH_MIS_DETACH_JOINED);
	CU_ASSERT_EQUAL(lh_mis_join_again(1, 0), 0);
	CU_ASSERT_EQUAL(lh_mis_join_again(0, 0), 0);
	CU_ASSERT_EQUAL(lh_mis_exit_counts(LH_LOCK_MUTEX, 0), 1);
	CU_ASSERT_EQUAL(lh_mis_exit_counts(LH_LOCK_MUTEX, 1), 0); /* robust: EOWNERDEAD's case */
	CU_ASSERT_EQUAL(lh_mis_exit_counts(LH_LOCK_RWLOCK, 0), 1);
	CU_ASSERT_EQUAL(lh_mis_exit_counts(LH_LOCK_SEM, 0), 0);
}

/* the handles of joined threads: remembered until a creation reuses one;
 * LH_JOINED_SLOTS at most, the oldest forgotten first, noted once */
static void test_joined_table(void)
{
	uintptr_t i;

	stub_reset();
	CU_ASSERT_FALSE(lh_mis_joined_has((pthread_t)0x1000));
	lh_mis_joined_add((pthread_t)0x1000);
	lh_mis_joined_add((pthread_t)0x2000);
	lh_mis_joined_add((pthread_t)0x1000); /* once */
	CU_ASSERT_TRUE(lh_mis_joined_has((pthread_t)0x1000));
	CU_ASSERT_TRUE(lh_mis_joined_has((pthread_t)0x2000));
	lh_mis_joined_forget((pthread_t)0x1000); /* a new thread got the handle */
	CU_ASSERT_FALSE(lh_mis_joined_has((pthread_t)0x1000));
	CU_ASSERT_TRUE(lh_mis_joined_has((pthread_t)0x2000));
	lh_mis_joined_forget((pthread_t)0x2000);
	for (i = 0; i < LH_JOINED_SLOTS; i++)
		lh_mis_joined_add((pthread_t)(0x10000 + i * 16));
	CU_ASSERT_EQUAL(stub_notes_with("LH_JOINED_SLOTS"), 0);
	lh_mis_joined_add((pthread_t)0x9000); /* one more: the oldest goes */
	CU_ASSERT_EQUAL(stub_notes_with("LH_JOINED_SLOTS"), 1);
	CU_ASSERT_TRUE(lh_mis_joined_has((pthread_t)0x9000));
	CU_ASSERT_FALSE(lh_mis_joined_has((pthread_t)0x10000));
	CU_ASSERT_TRUE(lh_mis_joined_has((pthread_t)0x10010));
	lh_mis_joined_add((pthread_t)0x9010);
	CU_ASSERT_EQUAL(stub_notes_with("LH_JOINED_SLOTS"), 1); /* noted once */
	for (i = 0; i < LH_JOINED_SLOTS; i++)
		lh_mis_joined_forget((pthread_t)(0x10000 + i * 16));
	lh_mis_joined_forget((pthread_t)0x9000);
	lh_mis_joined_forget((pthread_t)0x9010);
	CU_ASSERT_FALSE(lh_mis_joined_has((pthread_t)0x9000));
}

static void test_waited_object_decisions(void)
{
	CU_ASSERT_EQUAL(lh_mis_object_waited(LH_MIS_OP_DESTROY, LH_LOCK_COND, 1), LH_MIS_COND_DESTROY_WAITERS);
	CU_ASSERT_EQUAL(lh_mis_object_waited(LH_MIS_OP_DESTROY, LH_LOCK_COND, 0), 0);
	CU_ASSERT_EQUAL(lh_mis_object_waited(LH_MIS_OP_DESTROY, LH_LOCK_BARRIER, 2),
	                LH_MIS_BARRIER_DESTROY_WAITERS);
	CU_ASSERT_EQUAL(lh_mis_object_waited(LH_MIS_OP_INIT, LH_LOCK_BARRIER, 1),
	                LH_MIS_BARRIER_REINIT_WAITERS);
	CU_ASSERT_EQUAL(lh_mis_object_waited(LH_MIS_OP_INIT, LH_LOCK_BARRIER, 0), 0);
	/* a condition variable's init is not checked here (its waiters are
	 * not known to glibc's init), nor other kinds */
	CU_ASSERT_EQUAL(lh_mis_object_waited(LH_MIS_OP_INIT, LH_LOCK_COND, 1), 0);
	CU_ASSERT_EQUAL(lh_mis_object_waited(LH_MIS_OP_DESTROY, LH_LOCK_MUTEX, 1), 0);
}

/* once per (misuse, call site); LH_MIS_SITES sites at most, noted once.
 * Runs last: the table stays full. */
/* the semaphore decisions, with glibc's fields read from real semaphores */
static void test_sem_decisions(void)
{
	struct lh_gl_sem g;
	sem_t priv, shared;
	struct {
		char buf[8];
		sem_t s;
	} clobbered;

	CU_ASSERT_EQUAL(lh_mis_sem_reinit(1, 1), LH_MIS_SEM_REINIT);
	CU_ASSERT_EQUAL(lh_mis_sem_reinit(1, 0), 0); /* heap or stack: may be a new one */
	CU_ASSERT_EQUAL(lh_mis_sem_reinit(0, 1), 0);

	CU_ASSERT_EQUAL_FATAL(sem_init(&priv, 0, 3), 0);
	CU_ASSERT_EQUAL_FATAL(sem_init(&shared, 1, 0), 0);
	g = lh_gl_sem_state(&priv);
	CU_ASSERT_EQUAL(g.value, 3);
	CU_ASSERT_EQUAL(g.nwaiters, 0);
	CU_ASSERT_EQUAL(g.priv, LH_GL_SEM_PRIVATE);
	CU_ASSERT_EQUAL(lh_mis_sem_use(1, 1, 0, &g), 0);
	CU_ASSERT_EQUAL(lh_mis_sem_use(1, 1, 1, &g), LH_MIS_SEM_OVERWRITTEN); /* was shared */
	CU_ASSERT_EQUAL(lh_mis_sem_use(1, 0, 1, &g), 0); /* first seen in use: nothing to compare */
	CU_ASSERT_EQUAL(lh_mis_sem_use(0, 0, 0, &g), LH_MIS_SEM_NOT_INIT);
	g = lh_gl_sem_state(&shared);
	CU_ASSERT_EQUAL(g.priv, LH_GL_SEM_SHARED);
	CU_ASSERT_EQUAL(lh_mis_sem_use(1, 1, 1, &g), 0);
	/* unknown but process-shared: another process may have made it */
	CU_ASSERT_EQUAL(lh_mis_sem_use(0, 0, 0, &g), 0);
	/* garbage: a value glibc never makes, a private field of neither kind */
	CU_ASSERT_EQUAL_FATAL(sem_init(&clobbered.s, 0, 0), 0);
	memset(&clobbered, 0x5a, sizeof(clobbered));
	g = lh_gl_sem_state(&clobbered.s);
	CU_ASSERT_EQUAL(lh_mis_sem_use(1, 1, 0, &g), LH_MIS_SEM_OVERWRITTEN);
	CU_ASSERT_EQUAL(lh_mis_sem_use(0, 0, 0, &g), LH_MIS_SEM_NOT_INIT);
	memset(&clobbered, 0, sizeof(clobbered));
	CU_ASSERT_EQUAL_FATAL(sem_init(&clobbered.s, 0, 0), 0);
	clobbered.s.__align = (long)SEM_VALUE_MAX + 1; /* value above the maximum */
	g = lh_gl_sem_state(&clobbered.s);
	CU_ASSERT_EQUAL(lh_mis_sem_use(1, 1, 0, &g), LH_MIS_SEM_OVERWRITTEN);

	CU_ASSERT_EQUAL(lh_mis_sem_destroy(1, 0), LH_MIS_SEM_DESTROY_WAITERS);
	CU_ASSERT_EQUAL(lh_mis_sem_destroy(0, 2), LH_MIS_SEM_DESTROY_WAITERS);
	CU_ASSERT_EQUAL(lh_mis_sem_destroy(0, 0), 0);
	sem_destroy(&priv);
	sem_destroy(&shared);
}

/* cond-not-initialized / cond-overwritten against real glibc condition
 * variables: what the initializer, init (with each attribute), a wait, a
 * destroy and garbage leave in the fields */
static void test_cond_use_decisions(void)
{
	pthread_cond_t zero = PTHREAD_COND_INITIALIZER, dflt, mono, shared, c;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_condattr_t ca;
	struct lh_gl_cond g;
	struct timespec ts;

	CU_ASSERT_EQUAL(LH_GL_COND_WORDS, 12);
	CU_ASSERT_EQUAL(LH_GL_COND_WREFS_WORD, 9);
	g = lh_gl_cond_state(&zero);
	CU_ASSERT(g.fresh);
	CU_ASSERT_EQUAL(lh_mis_cond_use(0, 0, 0, &g), 0); /* the static initializer */
	CU_ASSERT_EQUAL_FATAL(pthread_cond_init(&dflt, NULL), 0);
	pthread_condattr_init(&ca);
	CU_ASSERT_EQUAL_FATAL(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_cond_init(&mono, &ca), 0);
	pthread_condattr_destroy(&ca);
	pthread_condattr_init(&ca);
	CU_ASSERT_EQUAL_FATAL(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_cond_init(&shared, &ca), 0);
	pthread_condattr_destroy(&ca);

	g = lh_gl_cond_state(&dflt);
	CU_ASSERT(g.fresh);
	CU_ASSERT_EQUAL(g.wrefs & LH_GL_COND_INIT_BITS, 0);
	CU_ASSERT_EQUAL(lh_mis_cond_use(1, 1, 0, &g), 0);
	CU_ASSERT_EQUAL(lh_mis_cond_use(0, 0, 0, &g), 0); /* an init the shim missed */
	g = lh_gl_cond_state(&mono);
	CU_ASSERT(g.fresh);
	CU_ASSERT_EQUAL(g.wrefs & LH_GL_COND_INIT_BITS, LH_GL_COND_CLOCK_MONOTONIC);
	CU_ASSERT_EQUAL(lh_mis_cond_use(1, 1, LH_GL_COND_CLOCK_MONOTONIC, &g), 0);
	CU_ASSERT_EQUAL(lh_mis_cond_use(1, 1, 0, &g), LH_MIS_COND_OVERWRITTEN);
	CU_ASSERT_EQUAL(lh_mis_cond_use(1, 0, 0, &g), 0); /* first seen in use: nothing to compare */
	/* zeros over a CLOCK_MONOTONIC one: the clock bit is gone */
	memset(&mono, 0, sizeof(mono));
	g = lh_gl_cond_state(&mono);
	CU_ASSERT_EQUAL(lh_mis_cond_use(1, 1, LH_GL_COND_CLOCK_MONOTONIC, &g), LH_MIS_COND_OVERWRITTEN);
	CU_ASSERT_EQUAL(lh_mis_cond_use(1, 1, 0, &g), 0); /* zeros over a default one: not seen */

	/* a used one (a timed wait that timed out) is no longer fresh */
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&m);
	CU_ASSERT_EQUAL(pthread_cond_timedwait(&dflt, &m, &ts), ETIMEDOUT);
	pthread_mutex_unlock(&m);
	g = lh_gl_cond_state(&dflt);
	CU_ASSERT(!g.fresh);
	CU_ASSERT_EQUAL(lh_mis_cond_use(1, 1, 0, &g), 0);
	CU_ASSERT_EQUAL(lh_mis_cond_use(1, 0, 0, &g), 0);
	CU_ASSERT_EQUAL(lh_mis_cond_use(0, 0, 0, &g), LH_MIS_COND_NOT_INIT);
	/* destroyed (bit 2 of __wrefs), identity ended */
	CU_ASSERT_EQUAL_FATAL(pthread_cond_init(&c, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_cond_destroy(&c), 0);
	g = lh_gl_cond_state(&c);
	CU_ASSERT(!g.fresh);
	CU_ASSERT_EQUAL(lh_mis_cond_use(0, 0, 0, &g), LH_MIS_COND_NOT_INIT);

	/* process-shared, used: with no identity another process may have
	 * initialized it */
	pthread_mutex_lock(&m);
	CU_ASSERT_EQUAL(pthread_cond_timedwait(&shared, &m, &ts), ETIMEDOUT);
	pthread_mutex_unlock(&m);
	g = lh_gl_cond_state(&shared);
	CU_ASSERT(!g.fresh);
	CU_ASSERT_EQUAL(g.wrefs & LH_GL_COND_INIT_BITS, LH_GL_COND_SHARED);
	CU_ASSERT_EQUAL(lh_mis_cond_use(0, 0, 0, &g), 0);
	CU_ASSERT_EQUAL(lh_mis_cond_use(1, 1, LH_GL_COND_SHARED, &g), 0);
	CU_ASSERT_EQUAL(lh_mis_cond_use(1, 1, 0, &g), LH_MIS_COND_OVERWRITTEN);

	/* garbage: never initialized, or an initialized one overwritten */
	memset(&c, 0x5a, sizeof(c));
	g = lh_gl_cond_state(&c);
	CU_ASSERT(!g.fresh);
	CU_ASSERT_EQUAL(lh_mis_cond_use(0, 0, 0, &g), LH_MIS_COND_NOT_INIT);
	CU_ASSERT_EQUAL(lh_mis_cond_use(1, 1, 0, &g), LH_MIS_COND_OVERWRITTEN);
	/* a live identity of another kind there: not judged as never initialized */
	CU_ASSERT_EQUAL(lh_mis_cond_use(1, 0, 0, &g), 0);
	/* one stray byte is enough to not be fresh */
	memset(&c, 0, sizeof(c));
	((unsigned char *)&c)[0] = 1;
	CU_ASSERT(!lh_gl_cond_state(&c).fresh);

	CU_ASSERT_STRING_EQUAL(lh_misuse_name(LH_MIS_COND_NOT_INIT), "cond-not-initialized");
	CU_ASSERT_STRING_EQUAL(lh_misuse_name(LH_MIS_COND_OVERWRITTEN), "cond-overwritten");
	pthread_cond_destroy(&dflt);
	pthread_cond_destroy(&shared);
}

static void test_mutex_reinit_decisions(void)
{
	CU_ASSERT_EQUAL(lh_mis_mutex_reinit(1, 1, 0, 0), LH_MIS_MUTEX_REINIT);
	CU_ASSERT_EQUAL(lh_mis_mutex_reinit(1, 1, 0, 1), LH_MIS_MUTEX_REINIT); /* locked too */
	CU_ASSERT_EQUAL(lh_mis_mutex_reinit(1, 0, 0, 0), 0); /* heap or stack: reuse unseen */
	CU_ASSERT_EQUAL(lh_mis_mutex_reinit(0, 1, 0, 0), 0); /* first init, or after a destroy */
	/* a fork child: the parent's identity may be initialized once, unless
	 * the child's own thread holds it (taken after the fork) */
	CU_ASSERT_EQUAL(lh_mis_mutex_reinit(1, 1, 1, 0), 0);
	CU_ASSERT_EQUAL(lh_mis_mutex_reinit(1, 1, 1, 1), LH_MIS_MUTEX_REINIT);
	CU_ASSERT_EQUAL(lh_mis_mutex_reinit(1, 0, 1, 1), 0); /* heap or stack still left out */
	CU_ASSERT_STRING_EQUAL(lh_misuse_name(LH_MIS_MUTEX_REINIT), "mutex-reinit");
}

static void test_cond_signal_decisions(void)
{
	CU_ASSERT_EQUAL(lh_mis_cond_signal(1, 0, 0), LH_MIS_COND_SIGNAL_UNLOCKED);
	CU_ASSERT_EQUAL(lh_mis_cond_signal(1, 1, 0), 0); /* held across the signal */
	CU_ASSERT_EQUAL(lh_mis_cond_signal(1, 0, 1), 0); /* signalled right after the unlock */
	CU_ASSERT_EQUAL(lh_mis_cond_signal(0, 0, 0), 0); /* nobody waited yet: no mutex known */
	CU_ASSERT_STRING_EQUAL(lh_misuse_name(LH_MIS_COND_SIGNAL_UNLOCKED), "cond-signal-without-mutex");
}

static void test_barrier_extra_decisions(void)
{
	pthread_barrier_t b;

	CU_ASSERT_EQUAL(lh_mis_barrier_extra(3, 2), LH_MIS_BARRIER_EXTRA_WAITER); /* one too many */
	CU_ASSERT_EQUAL(lh_mis_barrier_extra(5, 2), LH_MIS_BARRIER_EXTRA_WAITER);
	CU_ASSERT_EQUAL(lh_mis_barrier_extra(4, 2), 0);  /* two full rounds: no waiter left */
	CU_ASSERT_EQUAL(lh_mis_barrier_extra(1, 2), 0);  /* too few threads, not too many */
	CU_ASSERT_EQUAL(lh_mis_barrier_extra(3 | LH_BAR_AGAIN, 2), 0); /* a thread passed it again */
	CU_ASSERT_EQUAL(lh_mis_barrier_extra(3, 0), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_barrier_init(&b, NULL, 5), 0);
	CU_ASSERT_EQUAL(lh_gl_barrier_count(&b), 5);
	pthread_barrier_destroy(&b);
	CU_ASSERT_STRING_EQUAL(lh_misuse_name(LH_MIS_BARRIER_EXTRA_WAITER), "barrier-extra-waiter");
}

static void test_once_per_site(void)
{
	int i, first = 0;

	lh_mis_after_fork_child();
	stub_reset();
	CU_ASSERT_EQUAL(lh_mis_once(LH_MIS_UNLOCK_NOT_LOCKED, 0x1000, NULL), LH_MIS_FIRST);
	CU_ASSERT_EQUAL(lh_mis_once(LH_MIS_UNLOCK_NOT_LOCKED, 0x1000, NULL), LH_MIS_SEEN);
	CU_ASSERT_EQUAL(lh_mis_once(LH_MIS_DESTROY_LOCKED, 0x1000, NULL), LH_MIS_FIRST);
	/* no call site (thread exit): the lock's address stands in */
	CU_ASSERT_EQUAL(lh_mis_once(LH_MIS_EXIT_HOLDING, 0, (void *)0x2000), LH_MIS_FIRST);
	CU_ASSERT_EQUAL(lh_mis_once(LH_MIS_EXIT_HOLDING, 0, (void *)0x2000), LH_MIS_SEEN);
	for (i = 0; i < LH_MIS_SITES + 10; i++)
		first += lh_mis_once(LH_MIS_UNLOCK_NOT_LOCKED, 0x10000 + (uintptr_t)i * 16, NULL) ==
		         LH_MIS_FIRST;
	CU_ASSERT_EQUAL(first, LH_MIS_SITES - 3);
	CU_ASSERT_EQUAL(stub_notes_with("distinct misuse call sites"), 1);
	CU_ASSERT_EQUAL(lh_mis_once(LH_MIS_UNLOCK_NOT_LOCKED, 0x1000, NULL), LH_MIS_SEEN);
	/* a forked child's log has none of them */
	lh_mis_after_fork_child();
	CU_ASSERT_EQUAL(lh_mis_once(LH_MIS_UNLOCK_NOT_LOCKED, 0x1000, NULL), LH_MIS_FIRST);
}

static void test_finding_written_once(void)
{
	struct lh_thread *t = calloc(1, sizeof(*t));
	struct lh_rec_finding f;
	int m;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	t->id = 3;
	stub_self = t;
	lh_mis_after_fork_child();
	stub_reset();
	lh_report_misuse(LH_MIS_UNLOCK_NOT_LOCKED, &m, LH_LOCK_MUTEX, 0x4000, NULL, 0);
	lh_report_misuse(LH_MIS_UNLOCK_NOT_LOCKED, &m, LH_LOCK_MUTEX, 0x4000, NULL, 0);
	CU_ASSERT_EQUAL_FATAL(stub_recs_of(LH_REC_FINDING), 1);
	memcpy(&f, stub_recs[0].data, sizeof(f));
	CU_ASSERT_EQUAL(f.kind, LH_FIND_MISUSE);
	CU_ASSERT_EQUAL(f.what, LH_MIS_UNLOCK_NOT_LOCKED);
	CU_ASSERT_EQUAL(f.thread_id, 3);
	CU_ASSERT_EQUAL(f.lock_id, (uint64_t)(uintptr_t)&m);
	CU_ASSERT_EQUAL(f.n_items, 0);
	stub_self = NULL; /* no thread state: nothing written */
	lh_report_misuse(LH_MIS_DESTROY_LOCKED, &m, LH_LOCK_MUTEX, 0x5000, NULL, 0);
	CU_ASSERT_EQUAL(stub_recs_of(LH_REC_FINDING), 1);
	free(t);
}

/* ---- glibc_locks.h against glibc itself ---- */

static int spin_unlocked(void)
{
	pthread_spinlock_t s;
	pthread_spin_init(&s, PTHREAD_PROCESS_PRIVATE);
	return *(volatile int *)&s;
}

static void test_glibc_mutex_fields(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutexattr_t at;
	int self = (int)syscall(SYS_gettid);
	struct lh_gl_state s;

	s = lh_gl_lock_state(&m, LH_LOCK_MUTEX, 0);
	CU_ASSERT_EQUAL(s.locked, 0);
	CU_ASSERT_EQUAL(lh_gl_mutex_lflags(&m), 0);
	pthread_mutex_lock(&m);
	s = lh_gl_lock_state(&m, LH_LOCK_MUTEX, 0);
	CU_ASSERT_EQUAL(s.locked, 1);
	CU_ASSERT_EQUAL(s.owner, self);
	CU_ASSERT_EQUAL(s.waiters, 0);
	pthread_mutex_unlock(&m);
	CU_ASSERT_FALSE(lh_gl_mutex_destroyed(&m));
	pthread_mutex_destroy(&m);
	CU_ASSERT_TRUE(lh_gl_mutex_destroyed(&m));
	CU_ASSERT_EQUAL(pthread_mutex_lock(&m), EINVAL); /* what lh_mis_lock_failed expects */

	pthread_mutexattr_init(&at);
	pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m, &at);
	CU_ASSERT_EQUAL(lh_gl_mutex_lflags(&m), LH_LOCKF_RECURSIVE);
	CU_ASSERT_FALSE(lh_gl_mutex_pshared(&m));
	pthread_mutex_destroy(&m);
	CU_ASSERT_FALSE(lh_gl_mutex_robust(&m));
	pthread_mutex_destroy(&m);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&m, &at);
	CU_ASSERT_TRUE(lh_gl_mutex_robust(&m));
	CU_ASSERT_EQUAL(lh_gl_mutex_lflags(&m), LH_LOCKF_RECURSIVE);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_STALLED);
	pthread_mutex_init(&m, &at);
	pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&m, &at);
	CU_ASSERT_EQUAL(lh_gl_mutex_lflags(&m), LH_LOCKF_ERRORCHECK);
	CU_ASSERT_TRUE(lh_gl_mutex_pshared(&m));
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&at);
}

static void test_glibc_rwlock_spin_cond_fields(void)
{
	pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
	pthread_rwlockattr_t at;
	pthread_spinlock_t sp;
	pthread_cond_t c;
	pthread_condattr_t ca;
	int self = (int)syscall(SYS_gettid), unl = spin_unlocked();
	struct lh_gl_state s;

	CU_ASSERT_EQUAL(lh_gl_lock_state(&l, LH_LOCK_RWLOCK, 0).locked, 0);
	pthread_rwlock_rdlock(&l);
	s = lh_gl_lock_state(&l, LH_LOCK_RWLOCK, 0);
	CU_ASSERT_EQUAL(s.locked, 1);
	CU_ASSERT_EQUAL(s.owner, 0); /* readers have no owner */
	pthread_rwlock_unlock(&l);
	pthread_rwlock_wrlock(&l);
	s = lh_gl_lock_state(&l, LH_LOCK_RWLOCK, 0);
	CU_ASSERT_EQUAL(s.locked, 1);
	CU_ASSERT_EQUAL(s.owner, self);
	CU_ASSERT_EQUAL(pthread_rwlock_rdlock(&l), EDEADLK); /* the self-deadlock rule's premise */
	pthread_rwlock_unlock(&l);
	CU_ASSERT_EQUAL(lh_gl_lock_state(&l, LH_LOCK_RWLOCK, 0).locked, 0);
	/* an unlock nobody held underflows the reader count (glibc returns
	 * 0): no reader, so neither unlocked nor locked, and its destroy is
	 * no destroy-locked */
	{
		pthread_rwlock_t u = PTHREAD_RWLOCK_INITIALIZER;
		CU_ASSERT_EQUAL(pthread_rwlock_unlock(&u), 0);
		CU_ASSERT_TRUE((u.__data.__readers & LH_GL_RWLOCK_READER_OVERFLOW) != 0);
		s = lh_gl_lock_state(&u, LH_LOCK_RWLOCK, 0);
		CU_ASSERT_EQUAL(s.locked, -1);
		CU_ASSERT_EQUAL(lh_mis_destroy(&s, 0, 0), 0);
		CU_ASSERT_EQUAL(lh_mis_unlock(&s, self), 0);
		/* a read lock then wraps the count back to 0: read-held, it
		 * looks free (the broken lock's state, not the shim's) */
		CU_ASSERT_EQUAL(pthread_rwlock_rdlock(&u), 0);
		CU_ASSERT_EQUAL(lh_gl_lock_state(&u, LH_LOCK_RWLOCK, 0).locked, 0);
	}
	CU_ASSERT_EQUAL(lh_gl_rwlock_lflags(&l), 0);
	CU_ASSERT_FALSE(lh_gl_rwlock_pshared(&l));
	pthread_rwlockattr_init(&at);
	pthread_rwlockattr_setkind_np(&at, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlockattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_rwlock_init(&l, &at);
	CU_ASSERT_EQUAL(lh_gl_rwlock_lflags(&l), LH_LOCKF_WRITER_PREF);
	CU_ASSERT_TRUE(lh_gl_rwlock_pshared(&l));
	pthread_rwlock_destroy(&l);
	pthread_rwlockattr_setkind_np(&at, PTHREAD_RWLOCK_PREFER_WRITER_NP); /* lets readers in */
	pthread_rwlock_init(&l, &at);
	CU_ASSERT_EQUAL(lh_gl_rwlock_lflags(&l), 0);
	pthread_rwlock_destroy(&l);
	pthread_rwlockattr_destroy(&at);

	pthread_spin_init(&sp, PTHREAD_PROCESS_PRIVATE);
	CU_ASSERT_EQUAL(lh_gl_lock_state((void *)&sp, LH_LOCK_SPIN, unl).locked, 0);
	pthread_spin_lock(&sp);
	CU_ASSERT_EQUAL(lh_gl_lock_state((void *)&sp, LH_LOCK_SPIN, unl).locked, 1);
	pthread_spin_unlock(&sp);
	CU_ASSERT_EQUAL(lh_gl_lock_state((void *)&sp, LH_LOCK_SPIN, unl).locked, 0);
	pthread_spin_destroy(&sp);
	CU_ASSERT_EQUAL(lh_gl_lock_state((void *)&sp, LH_LOCK_USER, unl).locked, -1);

	pthread_cond_init(&c, NULL);
	CU_ASSERT_EQUAL(lh_gl_cond_clock(&c), CLOCK_REALTIME);
	CU_ASSERT_FALSE(lh_gl_cond_pshared(&c));
	pthread_cond_destroy(&c);
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
	pthread_cond_init(&c, &ca);
	CU_ASSERT_TRUE(lh_gl_cond_pshared(&c));
	pthread_cond_destroy(&c);
	pthread_condattr_destroy(&ca);
	{
		pthread_barrier_t b;
		pthread_barrierattr_t ba;
		CU_ASSERT_EQUAL_FATAL(pthread_barrier_init(&b, NULL, 2), 0);
		CU_ASSERT_FALSE(lh_gl_barrier_pshared(&b));
		pthread_barrier_destroy(&b);
		pthread_barrierattr_init(&ba);
		pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
		CU_ASSERT_EQUAL_FATAL(pthread_barrier_init(&b, &ba, 2), 0);
		CU_ASSERT_TRUE(lh_gl_barrier_pshared(&b));
		pthread_barrier_destroy(&b);
		pthread_barrierattr_destroy(&ba);
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c, &ca);
	CU_ASSERT_EQUAL(lh_gl_cond_clock(&c), CLOCK_MONOTONIC);
	pthread_cond_destroy(&c);
	pthread_condattr_destroy(&ca);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "unlock_decisions", test_unlock_decisions },
		{ "destroy_decisions", test_destroy_decisions },
		{ "cond_and_failed_decisions", test_cond_and_failed_decisions },
		{ "waited_object_decisions", test_waited_object_decisions },
		{ "join_again_and_exit_decisions", test_join_again_and_exit_decisions },
		{ "joined_table", test_joined_table },
		{ "finding_written_once", test_finding_written_once },
		{ "once_per_site", test_once_per_site },
		{ "sem_decisions", test_sem_decisions },
		{ "cond_use_decisions", test_cond_use_decisions },
		{ "mutex_reinit_decisions", test_mutex_reinit_decisions },
		{ "cond_signal_decisions", test_cond_signal_decisions },
		{ "barrier_extra_decisions", test_barrier_extra_decisions },
		{ "glibc_mutex_fields", test_glibc_mutex_fields },
		{ "glibc_rwlock_spin_cond_fields", test_glibc_rwlock_spin_cond_fields },
	};
	return cunit_run("misuse", tests, N_OF(tests));
}
