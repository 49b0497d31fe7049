/*
 * test_glibc_rwlock.c - CUnit tests for preload/glibc_rwlock.h and .c: the
 * built-in uncontended rwlock protocol against real glibc rwlocks of each
 * kind (glibc releases what the unit took and the reverse, the fields
 * compared with a twin rwlock driven by glibc alone), the states it leaves
 * to glibc (a waiting writer of a writer-preferring kind, a process-shared
 * rwlock, the last reader handing over to a writer), the wakes of sleeping
 * writers and readers by the built-in write unlock, and the start-up
 * self-check (with the real functions, refusing an unknown version and a
 * fake that writes another layout).
 * No shim: the test is not preloaded, so the pthread calls are glibc's.
 */
#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <errno.h>
#include <gnu/libc-version.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "glibc_rwlock.h"

static int self_tid(void)
{
	return (int)syscall(SYS_gettid);
}

static const struct lh_grw_ops real_ops = {
	pthread_rwlock_init,      pthread_rwlock_rdlock, pthread_rwlock_tryrdlock, pthread_rwlock_wrlock,
	pthread_rwlock_trywrlock, pthread_rwlock_unlock, pthread_rwlock_destroy,
};

/* every field glibc's rwlock code uses equal? */
static int same(const pthread_rwlock_t *a, const pthread_rwlock_t *b)
{
	return a->__data.__readers == b->__data.__readers && a->__data.__writers == b->__data.__writers &&
	       a->__data.__wrphase_futex == b->__data.__wrphase_futex &&
	       a->__data.__writers_futex == b->__data.__writers_futex &&
	       a->__data.__cur_writer == b->__data.__cur_writer && a->__data.__shared == b->__data.__shared &&
	       a->__data.__flags == b->__data.__flags;
}

static void init_kind(pthread_rwlock_t *l, int kind, int pshared)
{
	pthread_rwlockattr_t a;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a, kind);
	pthread_rwlockattr_setpshared(&a, pshared);
	CU_ASSERT_EQUAL_FATAL(pthread_rwlock_init(l, &a), 0);
	pthread_rwlockattr_destroy(&a);
}

static const int kinds[] = { PTHREAD_RWLOCK_PREFER_READER_NP, PTHREAD_RWLOCK_PREFER_WRITER_NP,
	                     PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP };

/* read locks: the unit's against glibc's, on a twin, in both directions */
static void test_read_locks_both_ways(void)
{
	int tid = self_tid();
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		pthread_rwlock_t r, u;
		init_kind(&r, kinds[i], PTHREAD_PROCESS_PRIVATE);
		init_kind(&u, kinds[i], PTHREAD_PROCESS_PRIVATE);
		CU_ASSERT_EQUAL(lh_grw_rdlock(&u), LH_GRW_TAKEN);
		CU_ASSERT_EQUAL(pthread_rwlock_rdlock(&r), 0);
		CU_ASSERT(same(&r, &u));
		CU_ASSERT_EQUAL(u.__data.__readers, 1u << LH_GL_RWLOCK_READER_SHIFT);
		/* glibc takes a second read lock on the unit's, the unit
		 * releases glibc's */
		CU_ASSERT_EQUAL(pthread_rwlock_tryrdlock(&u), 0);
		CU_ASSERT_EQUAL(pthread_rwlock_tryrdlock(&r), 0);
		CU_ASSERT(same(&r, &u));
		CU_ASSERT_EQUAL(lh_grw_unlock(&u, tid), 1);
		CU_ASSERT_EQUAL(pthread_rwlock_unlock(&r), 0);
		CU_ASSERT(same(&r, &u));
		CU_ASSERT_EQUAL(pthread_rwlock_unlock(&u), 0);
		CU_ASSERT_EQUAL(pthread_rwlock_unlock(&r), 0);
		CU_ASSERT(same(&r, &u));
		CU_ASSERT_EQUAL(u.__data.__readers, 0u);
		/* nothing held: the unit leaves the unlock to glibc */
		CU_ASSERT_EQUAL(lh_grw_unlock(&u, tid), 0);
		CU_ASSERT_EQUAL(u.__data.__readers, 0u);
		/* and glibc can write-lock what the unit released */
		CU_ASSERT_EQUAL(pthread_rwlock_trywrlock(&u), 0);
		CU_ASSERT_EQUAL(pthread_rwlock_unlock(&u), 0);
		pthread_rwlock_destroy(&r);
		pthread_rwlock_destroy(&u);
	}
}

/* write locks: the unit's against glibc's, busy for every other taker */
static void test_write_locks_both_ways(void)
{
	int tid = self_tid();
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		pthread_rwlock_t r, u;
		init_kind(&r, kinds[i], PTHREAD_PROCESS_PRIVATE);
		init_kind(&u, kinds[i], PTHREAD_PROCESS_PRIVATE);
		CU_ASSERT_EQUAL(lh_grw_wrlock(&u, tid), LH_GRW_TAKEN);
		CU_ASSERT_EQUAL(pthread_rwlock_wrlock(&r), 0);
		CU_ASSERT(same(&r, &u));
		CU_ASSERT_EQUAL(u.__data.__cur_writer, tid);
		CU_ASSERT_EQUAL(u.__data.__readers, LH_GL_RWLOCK_WRPHASE | LH_GL_RWLOCK_WRLOCKED);
		/* a write lock held (by the unit): everyone finds it busy */
		CU_ASSERT_EQUAL(lh_grw_rdlock(&u), LH_GRW_BUSY);
		CU_ASSERT_EQUAL(lh_grw_wrlock(&u, tid), LH_GRW_BUSY);
		CU_ASSERT_EQUAL(pthread_rwlock_tryrdlock(&u), EBUSY);
		CU_ASSERT_EQUAL(pthread_rwlock_trywrlock(&u), EBUSY);
		CU_ASSERT_EQUAL(pthread_rwlock_wrlock(&u), EDEADLK);
		CU_ASSERT(same(&r, &u));
		/* glibc releases the unit's write lock */
		CU_ASSERT_EQUAL(pthread_rwlock_unlock(&u), 0);
		CU_ASSERT_EQUAL(pthread_rwlock_unlock(&r), 0);
		CU_ASSERT(same(&r, &u));
		/* a write phase with no writer: the unit's read lock starts a
		 * read phase as glibc's does */
		CU_ASSERT_EQUAL(u.__data.__readers, LH_GL_RWLOCK_WRPHASE);
		CU_ASSERT_EQUAL(lh_grw_rdlock(&u), LH_GRW_TAKEN);
		CU_ASSERT_EQUAL(pthread_rwlock_rdlock(&r), 0);
		CU_ASSERT(same(&r, &u));
		CU_ASSERT_EQUAL(u.__data.__wrphase_futex, 0u);
		CU_ASSERT_EQUAL(lh_grw_unlock(&u, tid), 1);
		CU_ASSERT_EQUAL(pthread_rwlock_unlock(&r), 0);
		/* glibc's write lock, the unit's unlock */
		CU_ASSERT_EQUAL(pthread_rwlock_wrlock(&u), 0);
		CU_ASSERT_EQUAL(pthread_rwlock_wrlock(&r), 0);
		CU_ASSERT(same(&r, &u));
		CU_ASSERT_EQUAL(lh_grw_unlock(&u, tid), 1);
		CU_ASSERT_EQUAL(pthread_rwlock_unlock(&r), 0);
		CU_ASSERT(same(&r, &u));
		CU_ASSERT_EQUAL(u.__data.__cur_writer, 0);
		/* the unit's write lock in the write phase that is left */
		CU_ASSERT_EQUAL(lh_grw_wrlock(&u, tid), LH_GRW_TAKEN);
		CU_ASSERT_EQUAL(pthread_rwlock_trywrlock(&r), 0);
		CU_ASSERT(same(&r, &u));
		CU_ASSERT_EQUAL(lh_grw_unlock(&u, tid), 1);
		CU_ASSERT_EQUAL(pthread_rwlock_unlock(&r), 0);
		CU_ASSERT(same(&r, &u));
		pthread_rwlock_destroy(&r);
		pthread_rwlock_destroy(&u);
	}
}

/* a read lock held: the unit's write lock is busy, and so is glibc's */
static void test_read_held_write_busy(void)
{
	pthread_rwlock_t u = PTHREAD_RWLOCK_INITIALIZER;

	CU_ASSERT_EQUAL(pthread_rwlock_rdlock(&u), 0);
	CU_ASSERT_EQUAL(lh_grw_wrlock(&u, self_tid()), LH_GRW_BUSY);
	CU_ASSERT_EQUAL(pthread_rwlock_trywrlock(&u), EBUSY);
	CU_ASSERT_EQUAL(u.__data.__readers, 1u << LH_GL_RWLOCK_READER_SHIFT);
	CU_ASSERT_EQUAL(pthread_rwlock_unlock(&u), 0);
}

/* a primary writer registered in a read phase (written by hand: glibc's
 * wrlock leaves this state while it waits for the readers) */
static void test_waiting_writer(void)
{
	int tid = self_tid();
	pthread_rwlock_t u;
	unsigned one = 1u << LH_GL_RWLOCK_READER_SHIFT;

	/* writer-preferring, non-recursive: a new reader is busy, as
	 * glibc's tryrdlock says */
	init_kind(&u, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, PTHREAD_PROCESS_PRIVATE);
	u.__data.__readers = one | LH_GL_RWLOCK_WRLOCKED;
	CU_ASSERT_EQUAL(lh_grw_rdlock(&u), LH_GRW_BUSY);
	CU_ASSERT_EQUAL(pthread_rwlock_tryrdlock(&u), EBUSY);
	CU_ASSERT_EQUAL(u.__data.__readers, one | LH_GL_RWLOCK_WRLOCKED);
	/* the last reader hands over to the writer: glibc's */
	CU_ASSERT_EQUAL(lh_grw_unlock(&u, tid), 0);
	CU_ASSERT_EQUAL(u.__data.__readers, one | LH_GL_RWLOCK_WRLOCKED);
	pthread_rwlock_destroy(&u);
	/* the default kind prefers readers: the reader comes in */
	init_kind(&u, PTHREAD_RWLOCK_PREFER_READER_NP, PTHREAD_PROCESS_PRIVATE);
	u.__data.__readers = one | LH_GL_RWLOCK_WRLOCKED;
	CU_ASSERT_EQUAL(lh_grw_rdlock(&u), LH_GRW_TAKEN);
	CU_ASSERT_EQUAL(u.__data.__readers, 2 * one | LH_GL_RWLOCK_WRLOCKED);
	/* a reader that is not the last leaves simply */
	CU_ASSERT_EQUAL(lh_grw_unlock(&u, tid), 1);
	CU_ASSERT_EQUAL(u.__data.__readers, one | LH_GL_RWLOCK_WRLOCKED);
	/* the last does not */
	CU_ASSERT_EQUAL(lh_grw_unlock(&u, tid), 0);
	/* readers sleeping for the writer (RWAITING): the last reader's
	 * unlock wakes them, glibc's */
	u.__data.__readers = one | LH_GL_RWLOCK_RWAITING;
	CU_ASSERT_EQUAL(lh_grw_unlock(&u, tid), 0);
	CU_ASSERT_EQUAL(u.__data.__readers, one | LH_GL_RWLOCK_RWAITING);
	/* a write wanted in a write phase with readers waiting: glibc's
	 * trywrlock takes it for a writer-preferring kind */
	u.__data.__readers = one | LH_GL_RWLOCK_WRPHASE;
	CU_ASSERT_EQUAL(lh_grw_wrlock(&u, tid), LH_GRW_BUSY);
	u.__data.__flags = PTHREAD_RWLOCK_PREFER_WRITER_NP;
	CU_ASSERT_EQUAL(lh_grw_wrlock(&u, tid), LH_GRW_OTHER);
	CU_ASSERT_EQUAL(u.__data.__readers, one | LH_GL_RWLOCK_WRPHASE);
}

/* process-shared rwlocks and overflowing counts are glibc's */
static void test_left_to_glibc(void)
{
	int tid = self_tid();
	pthread_rwlock_t u;

	init_kind(&u, PTHREAD_RWLOCK_PREFER_READER_NP, PTHREAD_PROCESS_SHARED);
	CU_ASSERT_NOT_EQUAL(u.__data.__shared, 0);
	CU_ASSERT_EQUAL(lh_grw_rdlock(&u), LH_GRW_OTHER);
	CU_ASSERT_EQUAL(lh_grw_wrlock(&u, tid), LH_GRW_OTHER);
	CU_ASSERT_EQUAL(u.__data.__readers, 0u);
	CU_ASSERT_EQUAL(pthread_rwlock_rdlock(&u), 0);
	CU_ASSERT_EQUAL(lh_grw_unlock(&u, tid), 0);
	CU_ASSERT_EQUAL(pthread_rwlock_unlock(&u), 0);
	CU_ASSERT_EQUAL(pthread_rwlock_wrlock(&u), 0);
	CU_ASSERT_EQUAL(lh_grw_unlock(&u, tid), 0);
	CU_ASSERT_EQUAL(pthread_rwlock_unlock(&u), 0);
	pthread_rwlock_destroy(&u);
	init_kind(&u, PTHREAD_RWLOCK_PREFER_READER_NP, PTHREAD_PROCESS_PRIVATE);
	u.__data.__readers = LH_GL_RWLOCK_READER_OVERFLOW - (1u << LH_GL_RWLOCK_READER_SHIFT);
	CU_ASSERT_EQUAL(lh_grw_rdlock(&u), LH_GRW_OTHER);
	CU_ASSERT_EQUAL(pthread_rwlock_tryrdlock(&u), EAGAIN);
	CU_ASSERT_EQUAL(u.__data.__readers, LH_GL_RWLOCK_READER_OVERFLOW - (1u << LH_GL_RWLOCK_READER_SHIFT));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

static int waiter_done;
static void *write_waiter(void *p)
{
	pthread_rwlock_t *l = p;
	if (pthread_rwlock_wrlock(l) == 0) {
		__atomic_store_n(&waiter_done, 1, __ATOMIC_RELEASE);
		pthread_rwlock_unlock(l);
	}
	return NULL;
}
static void *read_waiter(void *p)
{
	pthread_rwlock_t *l = p;
	if (pthread_rwlock_rdlock(l) == 0) {
		__atomic_store_n(&waiter_done, 1, __ATOMIC_RELEASE);
		pthread_rwlock_unlock(l);
	}
	return NULL;
}

/* the unit's write unlock wakes a writer, or readers, that sleep in
 * glibc's lock of it (of each kind: the writer-preferring ones hand over
 * to the writer through __writers) */
static void test_write_unlock_wakes(void)
{
	void *(*waiters[])(void *) = { write_waiter, read_waiter };
	int tid = self_tid();
	size_t i, w;

	for (w = 0; w < 2; w++)
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			pthread_rwlock_t u;
			pthread_t th;
			int ms;
			init_kind(&u, kinds[i], PTHREAD_PROCESS_PRIVATE);
			__atomic_store_n(&waiter_done, 0, __ATOMIC_RELAXED);
			CU_ASSERT_EQUAL_FATAL(lh_grw_wrlock(&u, tid), LH_GRW_TAKEN);
			CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, waiters[w], &u), 0);
			/* until it sleeps: the futex-used bit is set */
			for (ms = 0; ms < 5000; ms++) {
				unsigned f = w == 0 ? __atomic_load_n(&u.__data.__writers_futex, __ATOMIC_RELAXED)
				                    : __atomic_load_n(&u.__data.__wrphase_futex, __ATOMIC_RELAXED);
				if (f & LH_GL_RWLOCK_FUTEX_USED)
					break;
				sleep_ms(1);
			}
			sleep_ms(5);
			CU_ASSERT_EQUAL(__atomic_load_n(&waiter_done, __ATOMIC_ACQUIRE), 0);
			CU_ASSERT_EQUAL(lh_grw_unlock(&u, tid), 1);
			pthread_join(th, NULL);
			CU_ASSERT_EQUAL(waiter_done, 1);
			/* free again, in a state glibc accepts */
			CU_ASSERT_EQUAL(pthread_rwlock_trywrlock(&u), 0);
			CU_ASSERT_EQUAL(pthread_rwlock_unlock(&u), 0);
			pthread_rwlock_destroy(&u);
		}
}

static void test_selfcheck_real_glibc(void)
{
	CU_ASSERT_PTR_NULL(lh_grw_selfcheck(&real_ops, gnu_get_libc_version(), self_tid()));
}

static void test_selfcheck_versions(void)
{
	const char *unknown = "its glibc version is not one the built-in path was checked against";

	CU_ASSERT_STRING_EQUAL(lh_grw_selfcheck(&real_ops, "2.35", self_tid()), unknown);
	CU_ASSERT_STRING_EQUAL(lh_grw_selfcheck(&real_ops, "", self_tid()), unknown);
	CU_ASSERT_STRING_EQUAL(lh_grw_selfcheck(&real_ops, NULL, self_tid()), unknown);
	CU_ASSERT_STRING_EQUAL(lh_grw_selfcheck(&real_ops, "2.3", self_tid()), unknown);
}

/* a glibc whose write lock does not set __writers_futex */
static int fake_wrlock(pthread_rwlock_t *l)
{
	int rc = pthread_rwlock_wrlock(l);
	l->__data.__writers_futex = 0;
	return rc;
}

static void test_selfcheck_refuses_fakes(void)
{
	struct lh_grw_ops o = real_ops;

	o.wrlock = fake_wrlock;
	CU_ASSERT_STRING_EQUAL(lh_grw_selfcheck(&o, gnu_get_libc_version(), self_tid()),
	                       "the built-in write lock of a free rwlock: fields or answer differ from glibc's");
	/* another tid than glibc's own: __cur_writer differs */
	CU_ASSERT_PTR_NOT_NULL(lh_grw_selfcheck(&real_ops, gnu_get_libc_version(), self_tid() + 1));
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "read locks both ways", test_read_locks_both_ways },
		{ "write locks both ways", test_write_locks_both_ways },
		{ "read held, write busy", test_read_held_write_busy },
		{ "waiting writer", test_waiting_writer },
		{ "left to glibc", test_left_to_glibc },
		{ "write unlock wakes", test_write_unlock_wakes },
		{ "self-check with real glibc", test_selfcheck_real_glibc },
		{ "self-check versions", test_selfcheck_versions },
		{ "self-check refuses fakes", test_selfcheck_refuses_fakes },
	};
	return cunit_run("glibc_rwlock", tests, sizeof(tests) / sizeof(tests[0]));
}
