/*
 * test_glibc_mutex.c - CUnit tests for preload/glibc_mutex.h and .c: the
 * built-in uncontended mutex protocol against real glibc mutexes (glibc
 * takes what the unit locked and the unit takes what glibc locked, with
 * __lock, __owner, __nusers and __count checked after each step), the
 * kinds and states it must leave to glibc, the wake of a waiter, the
 * start-up self-check (with the real functions, and refusing fakes that
 * write another layout or an unknown version), the elision test, and the
 * spinlock protocol and its self-check.
 * No shim: the test is not preloaded, so the pthread calls are glibc's.
 */
#include "cunit_run.h"
#include <CUnit/CUnit.h>
#include <cpuid.h>

#include <errno.h>
#include <gnu/libc-version.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "glibc_mutex.h"

static int self_tid(void)
{
	return (int)syscall(SYS_gettid);
}

/* __lock, __owner, __nusers, __count all as given? */
static int fields(const pthread_mutex_t *m, int lock, int owner, unsigned nusers, unsigned count)
{
	return m->__data.__lock == lock && m->__data.__owner == owner && m->__data.__nusers == nusers &&
	       m->__data.__count == count;
}

static void test_builtin_lock_real_unlock(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	int tid = self_tid();

	CU_ASSERT_EQUAL(lh_gm_trylock(&m, tid), LH_GM_TAKEN);
	CU_ASSERT(fields(&m, 1, tid, 1, 0));
	CU_ASSERT_EQUAL(pthread_mutex_trylock(&m), EBUSY); /* glibc sees it locked */
	CU_ASSERT(fields(&m, 1, tid, 1, 0));
	CU_ASSERT_EQUAL(pthread_mutex_unlock(&m), 0);
	CU_ASSERT(fields(&m, 0, 0, 0, 0));
	CU_ASSERT_EQUAL(pthread_mutex_lock(&m), 0);
	CU_ASSERT(fields(&m, 1, tid, 1, 0));
	CU_ASSERT_EQUAL(pthread_mutex_unlock(&m), 0);
	CU_ASSERT_EQUAL(pthread_mutex_destroy(&m), 0); /* EBUSY if anything was left */
}

static void test_real_lock_builtin_unlock(void)
{
	pthread_mutex_t m;
	int tid = self_tid();

	CU_ASSERT_EQUAL(pthread_mutex_init(&m, NULL), 0);
	CU_ASSERT_EQUAL(pthread_mutex_lock(&m), 0);
	CU_ASSERT(fields(&m, 1, tid, 1, 0));
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 1);
	CU_ASSERT(fields(&m, 0, 0, 0, 0));
	CU_ASSERT_EQUAL(pthread_mutex_trylock(&m), 0); /* glibc sees it free */
	CU_ASSERT(fields(&m, 1, tid, 1, 0));
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 1);
	CU_ASSERT(fields(&m, 0, 0, 0, 0));
	/* two users at once (a condition wait's unlock keeps __nusers): the
	 * unit counts like glibc */
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, tid), LH_GM_TAKEN);
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 1);
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, tid), LH_GM_TAKEN);
	CU_ASSERT(fields(&m, 1, tid, 1, 0));
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 1);
	CU_ASSERT_EQUAL(pthread_mutex_destroy(&m), 0);
}

static void test_busy_and_not_owned_fall_back(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	int tid = self_tid();

	CU_ASSERT_EQUAL(pthread_mutex_lock(&m), 0);
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, tid), LH_GM_BUSY); /* glibc's trylock: EBUSY */
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, tid + 1), LH_GM_BUSY);
	CU_ASSERT(fields(&m, 1, tid, 1, 0));
	/* another thread's unlock is glibc's to judge */
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid + 1), 0);
	CU_ASSERT(fields(&m, 1, tid, 1, 0));
	CU_ASSERT_EQUAL(pthread_mutex_unlock(&m), 0);
	/* the unlock of an unlocked mutex too */
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 0);
	CU_ASSERT(fields(&m, 0, 0, 0, 0));
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, 0), 0);
	CU_ASSERT(fields(&m, 0, 0, 0, 0));
	/* a locked word with waiters (2) is busy as well */
	m.__data.__lock = 2;
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, tid), LH_GM_BUSY);
	CU_ASSERT(fields(&m, 2, 0, 0, 0));
}

/* a mutex of the kind the attribute setter gives: the unit leaves it to
 * glibc, locking and unlocking alike, and writes nothing */
static void kind_falls_back(const char *what, int (*set)(pthread_mutexattr_t *))
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	int tid = self_tid();

	CU_ASSERT_EQUAL_FATAL(pthread_mutexattr_init(&a), 0);
	if (set(&a) != 0) {
		fprintf(stderr, "(%s: attribute not supported here)\n", what);
		pthread_mutexattr_destroy(&a);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(pthread_mutex_init(&m, &a), 0);
	pthread_mutexattr_destroy(&a);
	{
		/* (a priority-protect mutex keeps its ceiling in __lock) */
		pthread_mutex_t before = m;
		CU_ASSERT_EQUAL(lh_gm_trylock(&m, tid), LH_GM_OTHER);
		CU_ASSERT(memcmp(&before, &m, sizeof(m)) == 0);
		m = before; /* (taken by mistake: the lock below would hang) */
	}
	if (pthread_mutex_lock(&m) != 0) {
		/* priority-protect needs a real-time scheduling class */
		fprintf(stderr, "(%s: glibc refused to lock it here)\n", what);
	} else {
		pthread_mutex_t before = m;
		CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 0);
		CU_ASSERT(memcmp(&before, &m, sizeof(m)) == 0);
		CU_ASSERT_EQUAL(pthread_mutex_unlock(&m), 0);
	}
	CU_ASSERT_EQUAL(pthread_mutex_destroy(&m), 0);
}

static int set_robust(pthread_mutexattr_t *a)
{
	return pthread_mutexattr_setrobust(a, PTHREAD_MUTEX_ROBUST);
}
static int set_pshared(pthread_mutexattr_t *a)
{
	return pthread_mutexattr_setpshared(a, PTHREAD_PROCESS_SHARED);
}
static int set_pi(pthread_mutexattr_t *a)
{
	return pthread_mutexattr_setprotocol(a, PTHREAD_PRIO_INHERIT);
}
static int set_pp(pthread_mutexattr_t *a)
{
	return pthread_mutexattr_setprotocol(a, PTHREAD_PRIO_PROTECT);
}
static int set_pshared_errorcheck(pthread_mutexattr_t *a)
{
	return pthread_mutexattr_setpshared(a, PTHREAD_PROCESS_SHARED) ||
	       pthread_mutexattr_settype(a, PTHREAD_MUTEX_ERRORCHECK);
}

static void test_kinds_fall_back(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

	kind_falls_back("robust", set_robust);
	kind_falls_back("process-shared", set_pshared);
	kind_falls_back("process-shared errorcheck", set_pshared_errorcheck);
	kind_falls_back("priority-inherit", set_pi);
	kind_falls_back("priority-protect", set_pp);
	/* a destroyed mutex (kind -1): glibc says EINVAL, the unit nothing */
	CU_ASSERT_EQUAL(pthread_mutex_destroy(&m), 0);
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, self_tid()), LH_GM_OTHER);
	CU_ASSERT_EQUAL(m.__data.__lock, 0);
	CU_ASSERT_EQUAL(m.__data.__nusers, 0u);
	/* the elision flag (PTHREAD_MUTEX_ELISION_NP 256), alone and with
	 * the no-elision one */
	m = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	m.__data.__kind = 256;
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, self_tid()), LH_GM_OTHER);
	m.__data.__kind = 256 | 512;
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, self_tid()), LH_GM_OTHER);
	m.__data.__kind = 128 | 512;
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, self_tid()), LH_GM_OTHER);
	CU_ASSERT(fields(&m, 0, 0, 0, 0));
}

/* m, whose kind is `kind`, through the unit and glibc both ways */
static void plain_both_ways(pthread_mutex_t *m, int kind)
{
	int tid = self_tid();

	CU_ASSERT_EQUAL(m->__data.__kind, kind);
	CU_ASSERT_EQUAL(lh_gm_trylock(m, tid), LH_GM_TAKEN);
	CU_ASSERT_FATAL(fields(m, 1, tid, 1, 0));
	CU_ASSERT_EQUAL(pthread_mutex_trylock(m), EBUSY); /* glibc sees it locked */
	CU_ASSERT_EQUAL(lh_gm_trylock(m, tid), LH_GM_BUSY);
	CU_ASSERT_EQUAL(lh_gm_unlock(m, tid + 1), 0);
	CU_ASSERT_EQUAL(lh_gm_unlock(m, tid), 1);
	CU_ASSERT(fields(m, 0, 0, 0, 0));
	CU_ASSERT_EQUAL(pthread_mutex_lock(m), 0); /* glibc sees it free */
	CU_ASSERT(fields(m, 1, tid, 1, 0));
	CU_ASSERT_EQUAL(lh_gm_unlock(m, tid), 1);
	CU_ASSERT(fields(m, 0, 0, 0, 0));
	CU_ASSERT_EQUAL(m->__data.__kind, kind);
}

/* a NORMAL mutex made by pthread_mutexattr_settype, and C11's mtx_plain
 * and mtx_timed, carry PTHREAD_MUTEX_NO_ELISION_NP (512), which glibc
 * masks out of the type: the unit takes them like the static initializer's */
static void test_no_elision_normal(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	mtx_t c;

	CU_ASSERT_EQUAL_FATAL(pthread_mutexattr_init(&a), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_NORMAL), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_mutex_init(&m, &a), 0);
	pthread_mutexattr_destroy(&a);
	CU_ASSERT_EQUAL(m.__data.__kind & ~512, PTHREAD_MUTEX_TIMED_NP);
	plain_both_ways(&m, m.__data.__kind);
	CU_ASSERT_EQUAL(pthread_mutex_destroy(&m), 0);
	CU_ASSERT_EQUAL_FATAL(mtx_init(&c, mtx_plain), thrd_success);
	plain_both_ways((pthread_mutex_t *)(void *)&c, ((pthread_mutex_t *)(void *)&c)->__data.__kind);
	CU_ASSERT_EQUAL(mtx_trylock(&c), thrd_success);
	CU_ASSERT_EQUAL(lh_gm_unlock((pthread_mutex_t *)(void *)&c, self_tid()), 1);
	CU_ASSERT_EQUAL(mtx_trylock(&c), thrd_success);
	CU_ASSERT_EQUAL(mtx_unlock(&c), thrd_success);
	mtx_destroy(&c);
	CU_ASSERT_EQUAL_FATAL(mtx_init(&c, mtx_timed), thrd_success);
	plain_both_ways((pthread_mutex_t *)(void *)&c, ((pthread_mutex_t *)(void *)&c)->__data.__kind);
	mtx_destroy(&c);
	/* the bit on another type (glibc never sets it so, but masks it all
	 * the same): the type below it decides, here recursive */
	m = (pthread_mutex_t)PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
	m.__data.__kind |= 512;
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, self_tid()), LH_GM_TAKEN);
	CU_ASSERT_FATAL(fields(&m, 1, self_tid(), 1, 1));
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, self_tid()), LH_GM_OTHER); /* glibc counts it */
	CU_ASSERT_EQUAL(pthread_mutex_lock(&m), 0);
	CU_ASSERT(fields(&m, 1, self_tid(), 1, 2));
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, self_tid()), 0);
	CU_ASSERT_EQUAL(pthread_mutex_unlock(&m), 0);
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, self_tid()), 1);
	CU_ASSERT(fields(&m, 0, 0, 0, 0));
}

static void test_errorcheck(void)
{
	pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	int tid = self_tid();

	CU_ASSERT_EQUAL(lh_gm_trylock(&m, tid), LH_GM_TAKEN);
	/* (fatal: with another owner, the lock below would wait for good) */
	CU_ASSERT_FATAL(fields(&m, 1, tid, 1, 0));
	CU_ASSERT_EQUAL(pthread_mutex_lock(&m), EDEADLK); /* glibc sees this thread own it */
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, tid), LH_GM_BUSY);
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid + 1), 0);      /* EPERM is glibc's */
	CU_ASSERT(fields(&m, 1, tid, 1, 0));
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 1);
	CU_ASSERT(fields(&m, 0, 0, 0, 0));
	CU_ASSERT_EQUAL(pthread_mutex_unlock(&m), EPERM); /* and glibc agrees it is free */
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 0);
	CU_ASSERT_EQUAL(pthread_mutex_lock(&m), 0);
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 1);
	CU_ASSERT_EQUAL(pthread_mutex_unlock(&m), EPERM);
}

static void test_recursive(void)
{
	pthread_mutex_t m = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
	int tid = self_tid();

	CU_ASSERT_EQUAL(lh_gm_trylock(&m, tid), LH_GM_TAKEN);
	CU_ASSERT_FATAL(fields(&m, 1, tid, 1, 1));
	/* held: counting it again is glibc's */
	CU_ASSERT_EQUAL(lh_gm_trylock(&m, tid), LH_GM_OTHER);
	CU_ASSERT(fields(&m, 1, tid, 1, 1));
	CU_ASSERT_EQUAL(pthread_mutex_lock(&m), 0);
	CU_ASSERT(fields(&m, 1, tid, 1, 2));
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 0); /* not the last unlock */
	CU_ASSERT(fields(&m, 1, tid, 1, 2));
	CU_ASSERT_EQUAL(pthread_mutex_unlock(&m), 0);
	CU_ASSERT(fields(&m, 1, tid, 1, 1));
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid + 1), 0);
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 1);
	CU_ASSERT(fields(&m, 0, 0, 0, 0));
	CU_ASSERT_EQUAL(pthread_mutex_unlock(&m), EPERM);
	/* glibc's lock, the unit's unlock */
	CU_ASSERT_EQUAL(pthread_mutex_lock(&m), 0);
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 1);
	CU_ASSERT(fields(&m, 0, 0, 0, 0));
}

static void test_adaptive(void)
{
	pthread_mutex_t m = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
	int tid = self_tid();

	CU_ASSERT_EQUAL(lh_gm_trylock(&m, tid), LH_GM_TAKEN);
	CU_ASSERT(fields(&m, 1, tid, 1, 0));
	CU_ASSERT_EQUAL(pthread_mutex_trylock(&m), EBUSY);
	CU_ASSERT_EQUAL(pthread_mutex_unlock(&m), 0);
	CU_ASSERT_EQUAL(pthread_mutex_lock(&m), 0);
	CU_ASSERT_EQUAL(lh_gm_unlock(&m, tid), 1);
	CU_ASSERT(fields(&m, 0, 0, 0, 0));
}

/* ---- an unlock with a waiter wakes it ---- */
static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;
static int wake_got;

static void *wake_waiter(void *p)
{
	(void)p;
	pthread_mutex_lock(&wake_mu); /* glibc's: waits on the futex, __lock 2 */
	__atomic_store_n(&wake_got, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&wake_mu);
	return NULL;
}

static void test_unlock_wakes_waiter(void)
{
	pthread_t th;
	struct timespec dl;
	int i, tid = self_tid();

	CU_ASSERT_EQUAL_FATAL(lh_gm_trylock(&wake_mu, tid), LH_GM_TAKEN);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, wake_waiter, NULL), 0);
	/* until the waiter has marked the word as waited on */
	for (i = 0; i < 2000 && __atomic_load_n(&wake_mu.__data.__lock, __ATOMIC_ACQUIRE) != 2; i++)
		usleep(1000);
	CU_ASSERT_EQUAL(wake_mu.__data.__lock, 2);
	/* it sleeps in the kernel: only a FUTEX_WAKE gets it out */
	usleep(20000);
	CU_ASSERT_EQUAL(__atomic_load_n(&wake_got, __ATOMIC_ACQUIRE), 0);
	CU_ASSERT_EQUAL(lh_gm_unlock(&wake_mu, tid), 1);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	if (pthread_timedjoin_np(th, NULL, &dl) != 0) {
		CU_FAIL("the waiter was not woken by the built-in unlock");
		/* let it go, so the process can end */
		syscall(SYS_futex, &wake_mu.__data.__lock, 129 /* FUTEX_WAKE_PRIVATE */, 1, NULL, NULL, 0);
		pthread_join(th, NULL);
	}
	CU_ASSERT_EQUAL(wake_got, 1);
	CU_ASSERT(fields(&wake_mu, 0, 0, 0, 0));
}

/* ---- the self-check ---- */
static const struct lh_gm_ops real_ops = { pthread_mutex_init, pthread_mutex_lock, pthread_mutex_trylock,
	                                   pthread_mutex_unlock, pthread_mutex_destroy };

static void test_selfcheck_real_glibc(void)
{
	const char *why = lh_gm_selfcheck(&real_ops, gnu_get_libc_version(), self_tid());

	if (why)
		fprintf(stderr, "self-check: %s\n", why);
	CU_ASSERT_PTR_NULL(why);
	/* the check is about the calling thread: another tid is refused */
	CU_ASSERT_PTR_NOT_NULL(lh_gm_selfcheck(&real_ops, gnu_get_libc_version(), self_tid() + 1));
}

static void test_selfcheck_versions(void)
{
	CU_ASSERT_PTR_NULL(lh_gm_selfcheck(&real_ops, "2.36", self_tid()));
	CU_ASSERT_PTR_NOT_NULL(lh_gm_selfcheck(&real_ops, "2.35", self_tid()));
	CU_ASSERT_PTR_NOT_NULL(lh_gm_selfcheck(&real_ops, "2.3", self_tid()));
	CU_ASSERT_PTR_NOT_NULL(lh_gm_selfcheck(&real_ops, "2.361", self_tid()));
	CU_ASSERT_PTR_NOT_NULL(lh_gm_selfcheck(&real_ops, "", self_tid()));
	CU_ASSERT_PTR_NOT_NULL(lh_gm_selfcheck(&real_ops, NULL, self_tid()));
}

/* fakes: glibc's functions with one field of another layout */
static int fake_lock_no_nusers(pthread_mutex_t *m)
{
	int rc = pthread_mutex_lock(m);
	m->__data.__nusers--; /* as if the count lived elsewhere */
	return rc;
}
static int fake_lock_owner_elsewhere(pthread_mutex_t *m)
{
	int rc = pthread_mutex_lock(m);
	m->__data.__spins = (short)m->__data.__owner;
	m->__data.__owner = 0;
	return rc;
}
static int fake_lock_word_3(pthread_mutex_t *m)
{
	int rc = pthread_mutex_lock(m);
	m->__data.__lock = 3; /* another encoding of "locked" */
	return rc;
}
static int fake_trylock_always(pthread_mutex_t *m)
{
	(void)m;
	return 0; /* a trylock that does not see the lock the unit wrote */
}
static int fake_unlock_keeps_owner(pthread_mutex_t *m)
{
	int owner = m->__data.__owner, rc = pthread_mutex_unlock(m);
	m->__data.__owner = owner;
	return rc;
}
static int fake_init_other_kind(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	int rc = pthread_mutex_init(m, a);
	m->__data.__kind = 512;
	return rc;
}

static int fake_init_elision_normal(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	int rc = pthread_mutex_init(m, a);
	if (a != NULL)
		m->__data.__kind |= 256; /* an attribute that asks for elision */
	return rc;
}

static int fake_trylock_writes(pthread_mutex_t *m)
{
	int rc = pthread_mutex_trylock(m);
	if (rc == EBUSY)
		m->__data.__nusers++; /* a trylock that counts a user it did not add */
	return rc;
}

/* the check refuses ops, saying `why` */
static void refused(const struct lh_gm_ops *o, const char *why)
{
	const char *r = lh_gm_selfcheck(o, "2.36", self_tid());

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	if (strcmp(r, why) != 0)
		fprintf(stderr, "refused with \"%s\", not \"%s\"\n", r, why);
	CU_ASSERT_STRING_EQUAL(r, why);
}

static void test_selfcheck_refuses_fakes(void)
{
	struct lh_gm_ops o;

	o = real_ops;
	o.lock = fake_lock_no_nusers;
	refused(&o, "the real lock leaves other fields than the built-in one");
	o.lock = fake_lock_owner_elsewhere;
	refused(&o, "the real lock leaves other fields than the built-in one");
	o.lock = fake_lock_word_3;
	refused(&o, "the real lock leaves other fields than the built-in one");
	o = real_ops;
	o.trylock = fake_trylock_always;
	refused(&o, "the real trylock of a locked mutex did not say EBUSY");
	o.trylock = fake_trylock_writes;
	refused(&o, "the real trylock of a locked mutex changed it");
	o = real_ops;
	o.unlock = fake_unlock_keeps_owner;
	refused(&o, "the real unlock of a mutex the built-in lock took failed or left other fields");
	o = real_ops;
	o.init = fake_init_other_kind;
	refused(&o, "pthread_mutex_init leaves other fields than the unit assumes");
	o.init = fake_init_elision_normal;
	refused(&o, "a NORMAL mutex's kind is not one the unit assumes");
}

/* a lock that glibc elides: it sets the elision flag at the first lock */
static int fake_lock_elides(pthread_mutex_t *m)
{
	int rc = pthread_mutex_lock(m);
	m->__data.__kind |= 256;
	return rc;
}
static int fake_lock_elides_dyn(pthread_mutex_t *m)
{
	static int n;
	int rc = pthread_mutex_lock(m);
	if (n++ == 1) /* only the second probe mutex (pthread_mutex_init's) */
		m->__data.__kind |= 256;
	return rc;
}

/* the probe locks glibc's own default mutexes: here (no
 * glibc.elision.enable=1 in the test's environment) nothing is elided,
 * whatever the CPU; a lock that sets the flag is refused */
static void test_elision(void)
{
	struct lh_gm_ops o = real_ops;
	const char *t = getenv("GLIBC_TUNABLES");

	if (!t || !strstr(t, "glibc.elision.enable=1"))
		CU_ASSERT_PTR_NULL(lh_gm_elision(&real_ops));
	o.lock = fake_lock_elides;
	CU_ASSERT_PTR_NOT_NULL(lh_gm_elision(&o));
	o.lock = fake_lock_elides_dyn;
	CU_ASSERT_PTR_NOT_NULL(lh_gm_elision(&o));
}

/* glibc.elision.enable=1 on a CPU with RTM: the probe sees glibc elide.
 * The tunable is read once at start, so a child runs the probe with it */
static int cpu_rtm(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b >> 11) & 1;
}

static void test_elision_tunable(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int st, rtm = cpu_rtm();
	pid_t p;

	CU_ASSERT_FATAL(n > 0);
	self[n] = 0;
	p = fork();
	if (p == 0) {
		char *argv[] = { self, "--elision-probe", NULL };
		char *envp[] = { "GLIBC_TUNABLES=glibc.elision.enable=1", NULL };
		execve(self, argv, envp);
		_exit(127);
	}
	CU_ASSERT_FATAL(p > 0);
	CU_ASSERT_EQUAL(waitpid(p, &st, 0), p);
	CU_ASSERT(WIFEXITED(st));
	/* exit 1: elided; 0: not */
	printf("\n(elision probe with glibc.elision.enable=1: %s, CPU %s RTM)\n",
	       WEXITSTATUS(st) == 1 ? "elided" : WEXITSTATUS(st) == 0 ? "not elided" : "failed",
	       rtm ? "with" : "without");
	CU_ASSERT_EQUAL(WEXITSTATUS(st), rtm ? 1 : 0);
}

/* ---- spinlocks ---- */
static const struct lh_gs_ops real_spin_ops = { pthread_spin_init, pthread_spin_trylock,
	                                        pthread_spin_unlock };

static void test_spin_with_real_glibc(void)
{
	pthread_spinlock_t l;
	const char *why = lh_gs_selfcheck(&real_spin_ops);

	if (why)
		fprintf(stderr, "spin self-check: %s\n", why);
	CU_ASSERT_PTR_NULL_FATAL(why);
	CU_ASSERT_NOT_EQUAL(lh_gs.unlocked, lh_gs.locked);
	CU_ASSERT_EQUAL(pthread_spin_init(&l, PTHREAD_PROCESS_PRIVATE), 0);
	CU_ASSERT_EQUAL(l, lh_gs.unlocked);
	/* the built-in trylock, glibc's view and unlock */
	CU_ASSERT_EQUAL(lh_gs_trylock(&l), 1);
	CU_ASSERT_EQUAL(l, lh_gs.locked);
	CU_ASSERT_EQUAL(lh_gs_trylock(&l), 0);
	CU_ASSERT_EQUAL(pthread_spin_trylock(&l), EBUSY);
	CU_ASSERT_EQUAL(pthread_spin_unlock(&l), 0);
	CU_ASSERT_EQUAL(l, lh_gs.unlocked);
	/* glibc's lock, the built-in unlock, glibc's lock again (it would
	 * spin for good on a word the unlock mis-wrote: trylock first) */
	CU_ASSERT_EQUAL(pthread_spin_lock(&l), 0);
	lh_gs_unlock(&l);
	CU_ASSERT_EQUAL(l, lh_gs.unlocked);
	CU_ASSERT_EQUAL_FATAL(pthread_spin_trylock(&l), 0);
	lh_gs_unlock(&l);
	CU_ASSERT_EQUAL(pthread_spin_lock(&l), 0);
	CU_ASSERT_EQUAL(pthread_spin_unlock(&l), 0);
	CU_ASSERT_EQUAL(pthread_spin_destroy(&l), 0);
}

static int fake_spin_trylock_no_write(pthread_spinlock_t *l)
{
	(void)l;
	return 0;
}
static int fake_spin_unlock_other(pthread_spinlock_t *l)
{
	*l = 7;
	return 0;
}

static void test_spin_selfcheck_refuses_fakes(void)
{
	struct lh_gs_ops o = real_spin_ops;

	o.trylock = fake_spin_trylock_no_write;
	CU_ASSERT_STRING_EQUAL(lh_gs_selfcheck(&o), "a locked spinlock looks like a free one");
	o = real_spin_ops;
	o.unlock = fake_spin_unlock_other;
	CU_ASSERT_STRING_EQUAL(lh_gs_selfcheck(&o), "the real unlock did not leave the value init wrote");
	/* and the real functions again, for the tests after this one */
	CU_ASSERT_PTR_NULL(lh_gs_selfcheck(&real_spin_ops));
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--elision-probe") == 0)
		return lh_gm_elision(&real_ops) ? 1 : 0;
	static const struct cunit_test tests[] = {
		{ "built-in lock, real unlock", test_builtin_lock_real_unlock },
		{ "real lock, built-in unlock", test_real_lock_builtin_unlock },
		{ "busy and not-owned fall back", test_busy_and_not_owned_fall_back },
		{ "kinds that fall back", test_kinds_fall_back },
		{ "NORMAL and C11 plain mutexes (no-elision bit)", test_no_elision_normal },
		{ "errorcheck", test_errorcheck },
		{ "recursive", test_recursive },
		{ "adaptive", test_adaptive },
		{ "unlock wakes a waiter", test_unlock_wakes_waiter },
		{ "self-check with real glibc", test_selfcheck_real_glibc },
		{ "self-check versions", test_selfcheck_versions },
		{ "self-check refuses fakes", test_selfcheck_refuses_fakes },
		{ "elision", test_elision },
		{ "elision with the tunable", test_elision_tunable },
		{ "spinlock with real glibc", test_spin_with_real_glibc },
		{ "spinlock self-check refuses fakes", test_spin_selfcheck_refuses_fakes },
	};
	return cunit_run("glibc_mutex", tests, sizeof(tests) / sizeof(tests[0]));
}
