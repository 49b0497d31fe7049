/*
 * test_race.c - CUnit tests for preload/race.c, the race engine: every
 * happens-before kind the shim feeds it, race kinds, atomics and fences,
 * byte-precise overlaps, ranges, address reuse, thread-slot reuse, wide
 * read sets and the contents of each report.  Scripted events, no threads:
 * "T1 writes x" is one rc_access call on slot T1.  Addresses are plain
 * numbers; the engine never touches the memory they name.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../preload/race.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAXR 4096

/* ---- a recording engine -------------------------------------------------- */

static struct {
	int n;
	struct rc_race r[MAXR];
	int limits[8];
	void *mem[8192];
	int n_mem;
} R;

static void on_race(void *cookie, const struct rc_race *r)
{
	(void)cookie;
	if (R.n < MAXR)
		R.r[R.n] = *r;
	R.n++;
}

static void on_limit(void *cookie, enum rc_limit what)
{
	(void)cookie;
	if ((unsigned)what < N_OF(R.limits))
		R.limits[what]++;
}

static void *t_alloc(void *cookie, size_t size)
{
	void *p = calloc(1, size);
	(void)cookie;
	if (p && R.n_mem < (int)N_OF(R.mem))
		R.mem[R.n_mem++] = p;
	return p;
}

static struct rc_engine *E;

/* a fresh engine; the previous one's memory is released */
static struct rc_engine *mk(void)
{
	static const struct rc_alloc a = {t_alloc, NULL};
	static const struct rc_hooks h = {on_race, on_limit, NULL};

	for (int i = 0; i < R.n_mem; i++)
		free(R.mem[i]);
	memset(&R, 0, sizeof(R));
	E = rc_create(&a, &h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(E);
	return E;
}

static void sane(void)
{
	const char *why = rc_sanity(E);
	if (why)
		fprintf(stderr, "rc_sanity: %s\n", why);
	CU_ASSERT_PTR_NULL(why);
}

/* accesses; the ctx is the line number, so reports name their source line */
#define WR(t, a, n) rc_access(E, (t), (a), (n), 1, 0, __LINE__)
#define RD(t, a, n) rc_access(E, (t), (a), (n), 0, 0, __LINE__)
#define AWR(t, a, n) rc_access(E, (t), (a), (n), 1, 1, __LINE__)
#define ARD(t, a, n) rc_access(E, (t), (a), (n), 0, 1, __LINE__)

static const uintptr_t X = 0x100000, Y = 0x100040, M = 0x200000, F = 0x200100;

/* main and two threads it started */
static void three(rc_tid *m, rc_tid *a, rc_tid *b)
{
	mk();
	*m = rc_thread_new(E, 0);
	*a = rc_thread_new(E, *m);
	*b = rc_thread_new(E, *m);
	CU_ASSERT_FATAL(*m && *a && *b && *a != *b && *m != *a && *m != *b);
}

/* ---- race kinds -------------------------------------------------------------- */

static void test_write_write(void)
{
	rc_tid m, a, b;
	int line;

	three(&m, &a, &b);
	CU_ASSERT_EQUAL(WR(a, X, 4), 0);
	line = __LINE__ + 1;
	CU_ASSERT_EQUAL(WR(b, X, 4), 1);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].cur.tid, b);
	CU_ASSERT_EQUAL(R.r[0].cur.is_write, 1);
	CU_ASSERT_EQUAL(R.r[0].cur.is_atomic, 0);
	CU_ASSERT_EQUAL(R.r[0].cur.ctx, (uint32_t)line);
	CU_ASSERT_EQUAL(R.r[0].cur.addr, X);
	CU_ASSERT_EQUAL(R.r[0].cur.size, 4);
	CU_ASSERT_EQUAL(R.r[0].prev.tid, a);
	CU_ASSERT_EQUAL(R.r[0].prev.is_write, 1);
	CU_ASSERT_EQUAL(R.r[0].prev.is_atomic, 0);
	CU_ASSERT_EQUAL(R.r[0].prev.ctx, (uint32_t)line - 2);
	CU_ASSERT_EQUAL(R.r[0].prev.addr, X);
	CU_ASSERT_EQUAL(R.r[0].prev.size, 4);
	CU_ASSERT_EQUAL(R.r[0].lo, X);
	CU_ASSERT_EQUAL(R.r[0].hi, X + 4);
	sane();
}

static void test_write_read(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	WR(a, X, 8);
	CU_ASSERT_EQUAL(RD(b, X, 8), 1);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].cur.is_write, 0);
	CU_ASSERT_EQUAL(R.r[0].prev.is_write, 1);
	CU_ASSERT_EQUAL(R.r[0].prev.tid, a);
	sane();
}

static void test_read_write(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	RD(a, X, 8);
	CU_ASSERT_EQUAL(WR(b, X + 4, 2), 1);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].cur.is_write, 1);
	CU_ASSERT_EQUAL(R.r[0].prev.is_write, 0);
	CU_ASSERT_EQUAL(R.r[0].lo, X + 4);
	CU_ASSERT_EQUAL(R.r[0].hi, X + 6);
	sane();
}

static void test_read_read(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	RD(a, X, 8);
	RD(b, X, 8);
	RD(m, X, 8);
	RD(a, X, 4);
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
}

static void test_same_thread(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	for (int i = 0; i < 100; i++) {
		WR(a, X, 8);
		RD(a, X + (i & 7), 1);
		rc_release(E, a, M); /* new epochs too */
	}
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
}

/* ---- happens-before kinds --------------------------------------------------------- */

static void test_create(void)
{
	rc_tid m, c;

	mk();
	m = rc_thread_new(E, 0);
	WR(m, X, 8);
	c = rc_thread_new(E, m);
	CU_ASSERT_EQUAL(RD(c, X, 8), 0);
	CU_ASSERT_EQUAL(WR(c, X, 8), 0);
	/* the parent's accesses after the create are not ordered with the child */
	CU_ASSERT_EQUAL(WR(m, Y, 8), 0);
	CU_ASSERT_EQUAL(RD(c, Y, 8), 1);
	CU_ASSERT_EQUAL(R.n, 1);
	sane();
}

static void test_join(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	WR(a, X, 8);
	WR(b, Y, 8);
	rc_thread_exit(E, a);
	rc_thread_exit(E, b);
	rc_thread_join(E, m, a);
	CU_ASSERT_EQUAL(WR(m, X, 8), 0); /* after the join */
	CU_ASSERT_EQUAL(WR(m, Y, 8), 1); /* b was not joined */
	CU_ASSERT_EQUAL(R.n, 1);
	sane();
}

static void test_mutex(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	rc_acquire(E, a, M);
	WR(a, X, 8);
	rc_release(E, a, M);
	rc_acquire(E, b, M);
	CU_ASSERT_EQUAL(WR(b, X, 8), 0);
	rc_release(E, b, M);
	/* a's next access, outside the lock, races with b's */
	CU_ASSERT_EQUAL(RD(a, X, 8), 1);
	/* a write after the unlock is not covered by it */
	rc_acquire(E, a, M);
	rc_release(E, a, M);
	WR(a, Y, 8);
	rc_acquire(E, b, M);
	CU_ASSERT_EQUAL(RD(b, Y, 8), 1);
	CU_ASSERT_EQUAL(R.n, 2);
	sane();
}

static void test_rwlock(void)
{
	rc_tid m, a, b, w;

	three(&m, &a, &b);
	w = rc_thread_new(E, m);
	/* writer then readers: ordered */
	rc_acquire_exclusive(E, w, M);
	WR(w, X, 8);
	rc_release(E, w, M);
	rc_acquire(E, a, M);
	CU_ASSERT_EQUAL(RD(a, X, 8), 0);
	rc_release_shared(E, a, M);
	rc_acquire(E, b, M);
	CU_ASSERT_EQUAL(RD(b, X, 8), 0);
	rc_release_shared(E, b, M);
	/* readers then writer: ordered */
	rc_acquire_exclusive(E, w, M);
	CU_ASSERT_EQUAL(WR(w, X, 8), 0);
	rc_release(E, w, M);
	CU_ASSERT_EQUAL(R.n, 0);
	/* two readers writing under the read lock: a read unlock does not order
	 * the next reader */
	rc_acquire(E, a, M);
	WR(a, Y, 8);
	rc_release_shared(E, a, M);
	rc_acquire(E, b, M);
	CU_ASSERT_EQUAL(WR(b, Y, 8), 1);
	rc_release_shared(E, b, M);
	CU_ASSERT_EQUAL(R.n, 1);
	sane();
}

static void test_condvar(void)
{
	rc_tid m, a, b;
	const uintptr_t cv = 0x300000;

	three(&m, &a, &b);
	/* producer: data, then signal under the mutex; consumer: wait returns */
	WR(a, X, 8);
	rc_acquire(E, a, M);
	rc_release(E, a, cv); /* signal */
	rc_release(E, a, M);
	rc_acquire(E, b, cv); /* the woken wait */
	rc_acquire(E, b, M);
	CU_ASSERT_EQUAL(RD(b, X, 8), 0);
	CU_ASSERT_EQUAL(WR(b, X, 8), 0);
	/* what the producer writes after the signal is not handed over */
	WR(a, Y, 8);
	CU_ASSERT_EQUAL(RD(b, Y, 8), 1);
	CU_ASSERT_EQUAL(R.n, 1);
	sane();
}

static void test_sem(void)
{
	rc_tid m, a, b;
	const uintptr_t sem = 0x300010;

	three(&m, &a, &b);
	WR(a, X, 8);
	rc_release(E, a, sem); /* sem_post */
	rc_acquire(E, b, sem); /* sem_wait */
	CU_ASSERT_EQUAL(WR(b, X, 8), 0);
	/* without the post: a race */
	WR(a, Y, 8);
	rc_acquire(E, b, sem);
	CU_ASSERT_EQUAL(WR(b, Y, 8), 1);
	sane();
}

static void test_barrier(void)
{
	rc_tid m, t[3];
	const uintptr_t bar = 0x300020;

	mk();
	m = rc_thread_new(E, 0);
	for (int i = 0; i < 3; i++)
		t[i] = rc_thread_new(E, m);
	for (int i = 0; i < 3; i++) {
		WR(t[i], X + 8 * i, 8); /* each its own slot */
		rc_release(E, t[i], bar); /* arrive */
	}
	for (int i = 0; i < 3; i++)
		rc_acquire(E, t[i], bar); /* all leave */
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			CU_ASSERT_EQUAL(RD(t[i], X + 8 * j, 8), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	/* the same without the barrier: reading another's slot races */
	for (int i = 0; i < 3; i++)
		WR(t[i], Y + 8 * i, 8);
	CU_ASSERT_EQUAL(RD(t[0], Y + 8, 8), 1);
	sane();
}

static void test_once(void)
{
	rc_tid m, a, b;
	const uintptr_t once = 0x300030;

	three(&m, &a, &b);
	WR(a, X, 8); /* the init routine */
	rc_release(E, a, once);
	rc_acquire(E, b, once); /* pthread_once returns in b */
	CU_ASSERT_EQUAL(RD(b, X, 8), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
}

static void test_fork(void)
{
	rc_tid m, a, b, c;

	/* the parent: a's write races with m's read */
	three(&m, &a, &b);
	WR(a, X, 8);
	CU_ASSERT_EQUAL(RD(m, X, 8), 1);
	/* the child of a fork by m: the other threads are gone, all of it is
	 * in the past of m's only thread */
	three(&m, &a, &b);
	WR(a, X, 8);
	RD(b, Y, 8);
	rc_fork_child(E, m);
	CU_ASSERT_EQUAL(RD(m, X, 8), 0);
	CU_ASSERT_EQUAL(WR(m, Y, 8), 0);
	/* their slots are free and reused without false races */
	c = rc_thread_new(E, m);
	CU_ASSERT(c == a || c == b);
	CU_ASSERT_EQUAL(WR(c, X, 8), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
}

/* ---- atomics and fences ------------------------------------------------------------ */

static void test_atomic_atomic(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	AWR(a, F, 4);
	CU_ASSERT_EQUAL(AWR(b, F, 4), 0);
	CU_ASSERT_EQUAL(ARD(a, F, 4), 0);
	CU_ASSERT_EQUAL(ARD(m, F, 4), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
}

static void test_atomic_plain(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	AWR(a, F, 4);
	CU_ASSERT_EQUAL(RD(b, F, 4), 1); /* plain read vs atomic write */
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].prev.is_atomic, 1);
	CU_ASSERT_EQUAL(R.r[0].cur.is_atomic, 0);
	WR(a, F + 8, 4);
	CU_ASSERT_EQUAL(ARD(b, F + 8, 4), 1); /* atomic read vs plain write */
	CU_ASSERT_EQUAL(R.r[1].cur.is_atomic, 1);
	CU_ASSERT_EQUAL(R.r[1].prev.is_atomic, 0);
	/* an atomic read does not race with a plain read */
	RD(a, F + 16, 4);
	CU_ASSERT_EQUAL(ARD(b, F + 16, 4), 0);
	sane();
}

/* T1: data = 1; flag.store(1, order).  T2: flag.load(order); read data. */
static int message_passing(int release, int acquire)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	WR(a, X, 8);
	AWR(a, F, 4);
	if (release)
		rc_release_store(E, a, F);
	else
		rc_relaxed_store(E, a, F);
	ARD(b, F, 4);
	if (acquire)
		rc_acquire(E, b, F);
	else
		rc_relaxed_load(E, b, F);
	RD(b, X, 8);
	sane();
	for (int i = 0; i < R.n && i < MAXR; i++)
		CU_ASSERT_EQUAL(R.r[i].lo, X); /* never the flag */
	return R.n;
}

static void test_message_passing(void)
{
	CU_ASSERT_EQUAL(message_passing(1, 1), 0);
	CU_ASSERT_EQUAL(message_passing(0, 0), 1);
	CU_ASSERT_EQUAL(message_passing(1, 0), 1);
	CU_ASSERT_EQUAL(message_passing(0, 1), 1);
}

/* with fences: fence(release); flag relaxed | flag relaxed; fence(acquire) */
static int fenced(int rel_fence, int acq_fence, int write_after_fence)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	if (!write_after_fence)
		WR(a, X, 8);
	if (rel_fence)
		rc_fence_release(E, a);
	if (write_after_fence)
		WR(a, X, 8);
	AWR(a, F, 4);
	rc_relaxed_store(E, a, F);
	ARD(b, F, 4);
	rc_relaxed_load(E, b, F);
	if (acq_fence)
		rc_fence_acquire(E, b);
	RD(b, X, 8);
	sane();
	return R.n;
}

static void test_fences(void)
{
	CU_ASSERT_EQUAL(fenced(1, 1, 0), 0);
	CU_ASSERT_EQUAL(fenced(0, 1, 0), 1);
	CU_ASSERT_EQUAL(fenced(1, 0, 0), 1);
	CU_ASSERT_EQUAL(fenced(1, 1, 1), 1); /* written after the fence: not released */
}

static void test_release_sequence(void)
{
	rc_tid m, a, b, c;

	/* a relaxed store by another thread ends a's release sequence */
	three(&m, &a, &b);
	c = rc_thread_new(E, m);
	WR(a, X, 8);
	rc_release_store(E, a, F);
	rc_relaxed_store(E, b, F);
	rc_acquire(E, c, F);
	CU_ASSERT_EQUAL(RD(c, X, 8), 1);
	/* a relaxed store by a itself continues it */
	three(&m, &a, &b);
	c = rc_thread_new(E, m);
	WR(a, X, 8);
	rc_release_store(E, a, F);
	rc_relaxed_store(E, a, F);
	rc_acquire(E, c, F);
	CU_ASSERT_EQUAL(RD(c, X, 8), 0);
	/* so does a relaxed RMW by another thread */
	three(&m, &a, &b);
	c = rc_thread_new(E, m);
	WR(a, X, 8);
	rc_release_store(E, a, F);
	rc_relaxed_rmw(E, b, F);
	rc_acquire(E, c, F);
	CU_ASSERT_EQUAL(RD(c, X, 8), 0);
	sane();
}

static void test_rmw(void)
{
	rc_tid m, a, b, c;

	/* a fetch_add(release) hands over to a fetch_add(acq_rel), which hands
	 * over both to an acquire load */
	three(&m, &a, &b);
	c = rc_thread_new(E, m);
	WR(a, X, 8);
	rc_release_rmw(E, a, F);
	rc_acq_rel(E, b, F);
	CU_ASSERT_EQUAL(RD(b, X, 8), 0);
	WR(b, Y, 8);
	rc_acq_rel(E, b, F); /* b releases again after writing Y */
	rc_acquire(E, c, F);
	CU_ASSERT_EQUAL(RD(c, X, 8), 0);
	CU_ASSERT_EQUAL(RD(c, Y, 8), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	/* a relaxed RMW acquires nothing */
	three(&m, &a, &b);
	WR(a, X, 8);
	rc_release_rmw(E, a, F);
	rc_relaxed_rmw(E, b, F);
	CU_ASSERT_EQUAL(RD(b, X, 8), 1);
	sane();
}

/* a release store replaces the clock: it does not pass on what an earlier
 * release store by another thread released */
static void test_release_store_replaces(void)
{
	rc_tid m, a, b, c;

	three(&m, &a, &b);
	c = rc_thread_new(E, m);
	WR(a, X, 8);
	rc_release_store(E, a, F);
	rc_release_store(E, b, F); /* b did not read a's store */
	rc_acquire(E, c, F);       /* c reads b's */
	CU_ASSERT_EQUAL(RD(c, X, 8), 1);
	sane();
}

/* ---- what a record keeps ----------------------------------------------------------- */

static void test_eviction_keeps_racing_records(void)
{
	rc_tid m, a, b, c;

	/* a read ordered after a write does not replace the write: a later
	 * unordered read still races with it */
	three(&m, &a, &b);
	c = rc_thread_new(E, m);
	WR(a, X, 8);
	rc_release(E, a, M);
	rc_acquire(E, b, M);
	CU_ASSERT_EQUAL(RD(b, X, 8), 0);
	CU_ASSERT_EQUAL(RD(c, X, 8), 1);
	CU_ASSERT_EQUAL(R.r[0].prev.tid, a);
	/* nor does an ordered atomic write replace a plain one */
	three(&m, &a, &b);
	c = rc_thread_new(E, m);
	WR(a, X, 8);
	rc_release(E, a, M);
	rc_acquire(E, b, M);
	CU_ASSERT_EQUAL(AWR(b, X, 8), 0);
	CU_ASSERT_EQUAL(ARD(c, X, 8), 1);
	CU_ASSERT_EQUAL(R.r[0].prev.tid, a);
	/* an unordered write does not replace the other: a third thread races
	 * with both */
	three(&m, &a, &b);
	c = rc_thread_new(E, m);
	WR(a, X, 8);
	CU_ASSERT_EQUAL(WR(b, X, 8), 1);
	CU_ASSERT_EQUAL(RD(c, X, 8), 2);
	CU_ASSERT_EQUAL_FATAL(R.n, 3);
	CU_ASSERT(R.r[1].prev.tid != R.r[2].prev.tid);
	/* an ordered write that covers only some bytes leaves the rest */
	three(&m, &a, &b);
	c = rc_thread_new(E, m);
	WR(a, X, 8);
	rc_release(E, a, M);
	rc_acquire(E, b, M);
	WR(b, X, 4);
	CU_ASSERT_EQUAL(RD(c, X + 4, 4), 1);
	CU_ASSERT_EQUAL(R.r[0].prev.tid, a);
	CU_ASSERT_EQUAL(R.r[0].prev.addr, X + 4);
	sane();
}

/* a write after the thread's own read of the same epoch is a new record */
static void test_write_after_own_read(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	RD(a, X, 8);
	WR(a, X, 8);
	CU_ASSERT_EQUAL(RD(b, X, 8), 1);
	CU_ASSERT_EQUAL(R.r[0].prev.is_write, 1);
	/* and an atomic record does not stand for a plain one */
	ARD(a, Y, 8);
	RD(a, Y, 8);
	rc_thread_exit(E, b);
	{
		rc_tid c = rc_thread_new(E, m);
		AWR(c, Y, 8); /* races with a's plain read only */
		CU_ASSERT_EQUAL(R.n, 2);
		CU_ASSERT_EQUAL(R.r[1].prev.is_atomic, 0);
	}
	sane();
}

/* records of one epoch are merged only when their ctx is the same */
static void test_merge_keeps_ctx(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	rc_access(E, a, X, 1, 1, 0, 100);
	rc_access(E, a, X + 1, 1, 1, 0, 200);
	rc_access(E, a, X + 2, 1, 1, 0, 200);
	CU_ASSERT_EQUAL(WR(b, X + 1, 1), 1);
	CU_ASSERT_EQUAL(R.r[0].prev.ctx, 200);
	CU_ASSERT_EQUAL(R.r[0].prev.addr, X + 1);
	CU_ASSERT_EQUAL(R.r[0].prev.size, 2); /* merged with byte 2 */
	CU_ASSERT_EQUAL(WR(b, X, 1), 1);
	CU_ASSERT_EQUAL(R.r[1].prev.ctx, 100);
	sane();
}

/* ---- bytes ------------------------------------------------------------------------- */

static void test_partial_overlap(void)
{
	rc_tid m, a, b;
	int line;

	three(&m, &a, &b);
	WR(a, X, 4);
	CU_ASSERT_EQUAL(WR(b, X + 4, 4), 0); /* bytes 0-3 vs 4-7 */
	CU_ASSERT_EQUAL(R.n, 0);
	line = __LINE__ + 1;
	WR(a, Y + 2, 4);
	CU_ASSERT_EQUAL(WR(b, Y + 4, 4), 1); /* bytes 2-5 vs 4-7 */
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].lo, Y + 4);
	CU_ASSERT_EQUAL(R.r[0].hi, Y + 6);
	CU_ASSERT_EQUAL(R.r[0].cur.addr, Y + 4);
	CU_ASSERT_EQUAL(R.r[0].cur.size, 4);
	CU_ASSERT_EQUAL(R.r[0].prev.addr, Y + 2);
	CU_ASSERT_EQUAL(R.r[0].prev.size, 4);
	CU_ASSERT_EQUAL(R.r[0].prev.ctx, (uint32_t)line);
	/* single bytes of one word, each thread its own */
	for (int i = 0; i < 8; i++)
		WR(i & 1 ? a : b, X + 0x20 + i, 1);
	CU_ASSERT_EQUAL(R.n, 1);
	sane();
}

static void test_unaligned(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	/* an 8-byte write at +4 spans two granules */
	WR(a, X + 4, 8);
	CU_ASSERT_EQUAL(WR(b, X + 12, 4), 0);
	CU_ASSERT_EQUAL(WR(b, X, 4), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	/* a 16-byte read over both: one report for the one earlier access */
	CU_ASSERT_EQUAL(RD(b, X, 16), 1);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].lo, X + 4);
	CU_ASSERT_EQUAL(R.r[0].hi, X + 12);
	CU_ASSERT_EQUAL(R.r[0].prev.addr, X + 4);
	CU_ASSERT_EQUAL(R.r[0].prev.size, 8);
	CU_ASSERT_EQUAL(R.r[0].cur.size, 16);
	/* one byte inside the second granule */
	CU_ASSERT_EQUAL(RD(m, X + 9, 1), 1);
	CU_ASSERT_EQUAL(R.r[1].lo, X + 9);
	CU_ASSERT_EQUAL(R.r[1].hi, X + 10);
	sane();
}

static void test_sixteen(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	WR(a, X + 16, 16);
	CU_ASSERT_EQUAL(RD(b, X + 8, 8), 0);
	CU_ASSERT_EQUAL(RD(b, X + 32, 8), 0);
	CU_ASSERT_EQUAL(RD(b, X + 24, 8), 1);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].lo, X + 24);
	CU_ASSERT_EQUAL(R.r[0].hi, X + 32);
	/* unaligned 16 bytes over three granules */
	WR(a, Y + 4, 16);
	CU_ASSERT_EQUAL(WR(b, Y + 19, 1), 1);
	CU_ASSERT_EQUAL(WR(b, Y + 20, 1), 0);
	CU_ASSERT_EQUAL(WR(b, Y + 3, 1), 0);
	/* a 16-byte atomic against a 16-byte atomic */
	AWR(a, F, 16);
	CU_ASSERT_EQUAL(AWR(b, F, 16), 0);
	sane();
}

static void test_ranges(void)
{
	rc_tid m, a, b;
	const uintptr_t buf = 0x400000;

	three(&m, &a, &b);
	rc_access_range(E, a, buf, 100, 1, 7); /* memset(buf, 0, 100) */
	CU_ASSERT_EQUAL(RD(b, buf + 100, 4), 0);
	CU_ASSERT_EQUAL(RD(b, buf + 57, 1), 1);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].prev.ctx, 7);
	CU_ASSERT_EQUAL(R.r[0].lo, buf + 57);
	/* memcpy(buf + 96, src, 104) over the end: one report, the shared bytes */
	CU_ASSERT_EQUAL(rc_access_range(E, b, buf + 96, 104, 1, 9), 1);
	CU_ASSERT_EQUAL_FATAL(R.n, 2);
	CU_ASSERT_EQUAL(R.r[1].lo, buf + 96);
	CU_ASSERT_EQUAL(R.r[1].hi, buf + 100);
	CU_ASSERT_EQUAL(R.r[1].cur.size, 104);
	CU_ASSERT_EQUAL(R.r[1].prev.ctx, 7);
	/* a large range, sparse in the shadow */
	CU_ASSERT_EQUAL(rc_access_range(E, a, 0x10000000, 1u << 22, 0, 11), 0);
	CU_ASSERT_EQUAL(WR(b, 0x10000000 + (1u << 21), 8), 1);
	sane();
}

/* ---- memory reuse ------------------------------------------------------------------- */

static void test_forget(void)
{
	rc_tid m, a, b;
	const uintptr_t blk = 0x500000;

	three(&m, &a, &b);
	WR(a, blk, 8);
	WR(a, blk + 64, 8);
	rc_forget(E, blk, 64); /* free: the first word is new memory */
	CU_ASSERT_EQUAL(WR(b, blk, 8), 0);
	CU_ASSERT_EQUAL(WR(b, blk + 64, 8), 1); /* outside the freed block */
	/* half a granule */
	WR(a, blk + 128, 8);
	rc_forget(E, blk + 128, 4);
	CU_ASSERT_EQUAL(WR(b, blk + 128, 4), 0);
	CU_ASSERT_EQUAL(WR(b, blk + 132, 4), 1);
	sane();
}

static int lock_in_freed_block(int forget)
{
	rc_tid m, a, b;
	const uintptr_t blk = 0x600000;

	three(&m, &a, &b);
	WR(a, X, 8);
	rc_acquire(E, a, blk + 8);
	rc_release(E, a, blk + 8); /* a mutex inside a heap block */
	if (forget)
		rc_forget(E, blk, 64); /* freed, then a new mutex at the same address */
	rc_acquire(E, b, blk + 8);
	WR(b, X, 8);
	sane();
	return R.n;
}

static void test_forget_sync(void)
{
	CU_ASSERT_EQUAL(lock_in_freed_block(0), 0);
	CU_ASSERT_EQUAL(lock_in_freed_block(1), 1);
}

/* ---- thread slots ------------------------------------------------------------------- */

static void test_slot_reuse(void)
{
	rc_tid m, a, b, c, d;

	/* joined: the slot is reused, its old accesses are ordered */
	mk();
	m = rc_thread_new(E, 0);
	a = rc_thread_new(E, m);
	WR(a, X, 8);
	rc_thread_exit(E, a);
	rc_thread_join(E, m, a);
	c = rc_thread_new(E, m);
	CU_ASSERT_EQUAL(c, a);
	CU_ASSERT_EQUAL(WR(c, X, 8), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	/* the creator knew the old occupant's end, not the new one's work */
	CU_ASSERT_EQUAL(RD(m, X, 8), 1);
	sane();

	/* the race the reuse must still find: b was never ordered with a */
	mk();
	m = rc_thread_new(E, 0);
	a = rc_thread_new(E, m);
	b = rc_thread_new(E, m);
	WR(a, X, 8);
	rc_thread_exit(E, a);
	rc_thread_join(E, m, a);
	c = rc_thread_new(E, m);
	CU_ASSERT_EQUAL(c, a);
	CU_ASSERT_EQUAL(RD(b, X, 8), 1);
	CU_ASSERT_EQUAL(R.r[0].prev.tid, a);
	WR(c, Y, 8);
	CU_ASSERT_EQUAL(RD(b, Y, 8), 1);
	sane();

	/* detached: nobody knows it ended, so its slot is not taken while a
	 * fresh one exists, and its write still races */
	mk();
	m = rc_thread_new(E, 0);
	a = rc_thread_new(E, m);
	rc_thread_detach(E, a);
	WR(a, X, 8);
	rc_thread_exit(E, a);
	d = rc_thread_new(E, m);
	CU_ASSERT_NOT_EQUAL(d, a);
	CU_ASSERT_EQUAL(WR(d, X, 8), 1);
	CU_ASSERT_EQUAL(R.limits[RC_LIMIT_REUSE], 0);
	sane();
}

static void test_thread_churn(void)
{
	rc_tid m, t, first = 0;

	mk();
	m = rc_thread_new(E, 0);
	for (int i = 0; i < 5000; i++) {
		t = rc_thread_new(E, m);
		CU_ASSERT_FATAL(t != 0);
		if (!first)
			first = t;
		CU_ASSERT_EQUAL(t, first); /* always the same slot */
		WR(t, X, 8);
		rc_thread_exit(E, t);
		rc_thread_join(E, m, t);
	}
	CU_ASSERT_EQUAL(WR(m, X, 8), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	CU_ASSERT_EQUAL(R.limits[RC_LIMIT_THREADS], 0);
	sane();
}

/* the sampler's thread end: a release on the pthread_t and a detach, the
 * join an acquire of it; the joiner's next thread gets the slot back
 * exactly, every time */
static void test_release_churn(void)
{
	rc_tid m, t, first = 0;
	const uintptr_t P = 0x300000; /* the pthread_t, the same for every thread */

	mk();
	m = rc_thread_new(E, 0);
	for (int i = 0; i < 3000; i++) {
		t = rc_thread_new(E, m);
		CU_ASSERT_FATAL(t != 0);
		if (!first)
			first = t;
		CU_ASSERT_EQUAL(t, first);
		WR(t, X, 8);
		rc_thread_exit_release(E, t, P);
		rc_thread_detach(E, t);
		rc_acquire(E, m, P);
	}
	CU_ASSERT_EQUAL(WR(m, X, 8), 0); /* the last thread's write is ordered */
	CU_ASSERT_EQUAL(R.n, 0);
	CU_ASSERT_EQUAL(R.limits[RC_LIMIT_REUSE], 0);
	CU_ASSERT_EQUAL(R.limits[RC_LIMIT_THREADS], 0);
	/* not joined: the next thread gets a fresh slot, and the old one's
	 * write still races with the creator */
	t = rc_thread_new(E, m);
	WR(t, Y, 8);
	rc_thread_exit_release(E, t, P + 64);
	rc_thread_detach(E, t);
	CU_ASSERT_NOT_EQUAL(rc_thread_new(E, m), t);
	CU_ASSERT_EQUAL(WR(m, Y, 8), 1);
	sane();
}

static void test_detached_churn(void)
{
	rc_tid m, t;

	mk();
	m = rc_thread_new(E, 0);
	for (int i = 0; i < 3000; i++) {
		t = rc_thread_new(E, m);
		CU_ASSERT_FATAL(t != 0);
		rc_thread_detach(E, t);
		rc_thread_exit(E, t);
	}
	CU_ASSERT_EQUAL(R.limits[RC_LIMIT_THREADS], 0);
	CU_ASSERT_EQUAL(R.limits[RC_LIMIT_REUSE], 1); /* told, once */
	sane();
}

static void test_live_limit(void)
{
	rc_tid m, t = 0;
	int n = 1;

	mk();
	m = rc_thread_new(E, 0);
	while ((t = rc_thread_new(E, m)) != 0)
		n++;
	CU_ASSERT_EQUAL(n, RC_MAX_THREADS - 1);
	CU_ASSERT_EQUAL(R.limits[RC_LIMIT_THREADS], 1);
	CU_ASSERT_EQUAL(rc_thread_new(E, m), 0);
	CU_ASSERT_EQUAL(R.limits[RC_LIMIT_THREADS], 1);
	/* tid 0: every call does nothing */
	CU_ASSERT_EQUAL(WR(0, X, 8), 0);
	rc_release(E, 0, M);
	rc_acquire(E, 0, M);
	sane();
}

/* ---- read sets ------------------------------------------------------------------------ */

static void test_many_readers(void)
{
	enum { N = 100 };
	rc_tid m, t[N];
	int seen[RC_MAX_THREADS] = {0};

	mk();
	m = rc_thread_new(E, 0);
	WR(m, X, 8); /* initialized before the threads start */
	for (int i = 0; i < N; i++)
		t[i] = rc_thread_new(E, m);
	for (int r = 0; r < 3; r++)
		for (int i = 0; i < N; i++)
			CU_ASSERT_EQUAL(RD(t[i], X, 8), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
	/* one write, ordered with none of the reads */
	CU_ASSERT_EQUAL(WR(m, X, 8), N);
	CU_ASSERT_EQUAL_FATAL(R.n, N);
	for (int i = 0; i < N; i++) {
		CU_ASSERT(R.r[i].prev.tid > 0 && R.r[i].prev.tid < RC_MAX_THREADS);
		seen[R.r[i].prev.tid]++;
		CU_ASSERT_EQUAL(R.r[i].prev.is_write, 0);
	}
	for (int i = 0; i < N; i++)
		CU_ASSERT_EQUAL(seen[t[i]], 1);
	sane();
	/* all joined: a write after every read leaves one record */
	for (int i = 0; i < N; i++) {
		rc_thread_exit(E, t[i]);
		rc_thread_join(E, m, t[i]);
	}
	R.n = 0;
	CU_ASSERT_EQUAL(WR(m, X, 8), 0);
	sane();
}

static void test_once_per_pair(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	WR(a, X, 8);
	CU_ASSERT_EQUAL(WR(b, X, 8), 1);
	CU_ASSERT_EQUAL(WR(b, X, 8), 0); /* same epoch: already checked */
	CU_ASSERT_EQUAL(RD(b, X, 4), 0);
	CU_ASSERT_EQUAL(R.n, 1);
	sane();
}

/* ---- bad input ------------------------------------------------------------------------- */

static void test_bad_input(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	CU_ASSERT_EQUAL(WR(999, X, 8), 0);     /* a slot never handed out */
	CU_ASSERT_EQUAL(WR(50000, X, 8), 0);   /* out of range */
	CU_ASSERT_EQUAL(WR(a, X, 0), 0);
	CU_ASSERT_EQUAL(WR(a, (uintptr_t)1 << 50, 8), 0);
	CU_ASSERT_EQUAL(R.limits[RC_LIMIT_ADDRESS], 1);
	CU_ASSERT_EQUAL(rc_access_range(E, a, UINTPTR_MAX - 10, 100, 1, 1), 0);
	rc_forget(E, UINTPTR_MAX - 10, 100);
	rc_forget(E, 0, 0);
	rc_thread_join(E, m, 0);
	rc_thread_join(E, 0, a);
	rc_fence_acquire(E, 0);
	CU_ASSERT_EQUAL(rc_clock(E, 0, 1), 0);
	sane();
}

/* an allocator that runs dry: the engine says so once and keeps working */
static int alloc_budget;
static void *t_alloc_dry(void *cookie, size_t size)
{
	if (alloc_budget <= 0)
		return NULL;
	alloc_budget--;
	return t_alloc(cookie, size);
}

static void test_out_of_memory(void)
{
	static const struct rc_alloc a = {t_alloc_dry, NULL};
	static const struct rc_hooks h = {on_race, on_limit, NULL};
	rc_tid m, t[8];

	mk();
	alloc_budget = 40; /* the engine, a few threads and leaves, then nothing */
	E = rc_create(&a, &h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(E);
	m = rc_thread_new(E, 0);
	CU_ASSERT_FATAL(m != 0);
	for (int i = 0; i < 8; i++)
		t[i] = rc_thread_new(E, m);
	for (int r = 0; r < 64; r++)
		for (int i = 0; i < 8; i++) {
			if (!t[i])
				continue;
			RD(t[i], X + 0x10000 * (uintptr_t)r, 8); /* new leaves, then chains */
			RD(t[i], X, 8);
			rc_release(E, t[i], M + 64 * (uintptr_t)r);
		}
	WR(m, X, 8);
	CU_ASSERT_EQUAL(R.limits[RC_LIMIT_MEMORY], 1);
	CU_ASSERT_EQUAL(alloc_budget, 0);
	sane();
}

/* ---- release memos: a lock only its own thread releases ------------------- */

/* t takes and drops l twice: the second release, by the thread that made
 * the last one, records t's memo of l */
static void own_rounds(rc_tid t, uintptr_t l)
{
	for (int i = 0; i < 2; i++) {
		rc_acquire(E, t, l);
		rc_release(E, t, l);
	}
}

/* The memo's fast paths are used: a thread locking its own mutex again and
 * again joins nothing after its second round (the first release by the
 * thread that released last makes the memo), and its clock stays right;
 * a lock handed between two threads makes none (each would be voided at
 * once) */
static void test_memo_used(void)
{
	rc_tid m, a, b;
	uint64_t made;

	three(&m, &a, &b);
	for (int i = 0; i < 10; i++) {
		rc_acquire(E, i & 1 ? a : b, F);
		rc_release(E, i & 1 ? a : b, F);
	}
	CU_ASSERT_EQUAL(rc_memo_counts(E, &made), 0);
	CU_ASSERT_EQUAL(made, 0);
	for (int i = 0; i < 100; i++) {
		rc_acquire(E, a, M);
		WR(a, X, 8);
		rc_release(E, a, M);
	}
	CU_ASSERT_EQUAL(rc_memo_counts(E, &made), 196);
	CU_ASSERT_EQUAL(made, 1);
	/* b taking the lock after a learns a's last write under it */
	rc_acquire(E, b, M);
	CU_ASSERT_EQUAL(WR(b, X, 8), 0);
	rc_release(E, b, M);
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
}

/* rc_release_held, the release by the lock's holder: the same memo, with
 * no engine lock.  Its one store must carry the holder's latest epoch to
 * the next taker (b learns a's last write under the lock), it must void
 * another thread's memo (seq: a's next acquire joins b's clock), and its
 * memo must answer again as rc_release's does */
static void test_memo_release_held(void)
{
	rc_tid m, a, b;
	uint64_t made;

	three(&m, &a, &b);
	for (int i = 0; i < 100; i++) {
		rc_acquire(E, a, M);
		WR(a, X, 8);
		rc_release_held(E, a, M);
	}
	CU_ASSERT_EQUAL(rc_memo_counts(E, &made), 196);
	CU_ASSERT_EQUAL(made, 1);
	rc_acquire(E, b, M);
	CU_ASSERT_EQUAL(WR(b, X, 8), 0); /* a's last write, under M */
	CU_ASSERT_EQUAL(R.n, 0);
	rc_release_held(E, b, M);
	/* a's memo of M is void: its acquire learns b's write */
	rc_acquire(E, a, M);
	CU_ASSERT_EQUAL(RD(a, X, 8), 0);
	rc_release_held(E, a, M);
	CU_ASSERT_EQUAL(R.n, 0);
	/* and a write after the release is not covered by it */
	WR(a, X, 8);
	rc_acquire(E, b, M);
	CU_ASSERT_EQUAL(RD(b, X, 8), 1);
	sane();
}

/* another thread's release voids a's memo (seq): a's next acquire must
 * join b's clock, or b's write under the lock races with a's */
static void test_memo_other_release(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	own_rounds(a, M); /* a's memo of M */
	rc_acquire(E, b, M);
	WR(b, X, 8);
	rc_release(E, b, M);
	rc_acquire(E, a, M);
	CU_ASSERT_EQUAL(RD(a, X, 8), 0);
	rc_release(E, a, M);
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
}

/* a release of a's after b's (two posts) is no one-store release, and
 * its memo must not say that a knows b's post: a's wait must learn it */
static void test_memo_release_after_other(void)
{
	rc_tid m, a, b;
	const uintptr_t sem = 0x300010;

	three(&m, &a, &b);
	own_rounds(a, sem); /* a's memo of sem */
	WR(b, X, 8);
	rc_release(E, b, sem); /* b posts */
	rc_release(E, a, sem); /* a posts again */
	rc_acquire(E, a, sem); /* a waits: b's post may be the one it takes */
	CU_ASSERT_EQUAL(RD(a, X, 8), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
}

/* a join that grows a's clock (fgen) voids the memo's one-store release:
 * b's write reaches a through F, then must reach c through M */
static void test_memo_fgen(void)
{
	rc_tid m, a, b, c;

	three(&m, &a, &b);
	c = rc_thread_new(E, m);
	CU_ASSERT_FATAL(c != 0);
	own_rounds(a, M); /* a's memo of M */
	WR(b, X, 8);
	rc_release(E, b, F);
	rc_acquire(E, a, F); /* a learns b's write */
	rc_acquire(E, a, M);
	rc_release(E, a, M); /* M must now carry b's write */
	rc_acquire(E, c, M);
	CU_ASSERT_EQUAL(RD(c, X, 8), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
}

/* a release that finds something in the clock a does not know (b posted
 * the semaphore before) makes no memo: a's next wait must learn b's post */
static void test_memo_not_sole(void)
{
	rc_tid m, a, b;
	const uintptr_t sem = 0x300010;

	three(&m, &a, &b);
	WR(b, X, 8);
	rc_release(E, b, sem); /* b posts */
	rc_release(E, a, sem); /* a posts too, without having waited */
	rc_release(E, a, sem); /* and again: the last release was a's */
	rc_acquire(E, a, sem); /* a waits: b's post may be the one it takes */
	CU_ASSERT_EQUAL(RD(a, X, 8), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
}

/* a reused slot's memos go: the new occupant knows more than the last
 * (main's write before creating it), and its release must say so */
static void test_memo_slot_reuse(void)
{
	rc_tid m, a, b, a2;

	three(&m, &a, &b);
	own_rounds(a, M); /* a's memo of M */
	rc_thread_exit(E, a);
	rc_thread_join(E, m, a);
	WR(m, X, 8);
	a2 = rc_thread_new(E, m);
	CU_ASSERT_EQUAL_FATAL(a2, a); /* the exact reuse of a's slot */
	rc_acquire(E, a2, M);
	rc_release(E, a2, M);
	rc_acquire(E, b, M);
	CU_ASSERT_EQUAL(RD(b, X, 8), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
}

/* forget drops the sync clock (seq): a's memo must not answer for the
 * new object at the same address, nor for the dropped one */
static void test_memo_forget(void)
{
	rc_tid m, a, b;

	three(&m, &a, &b);
	own_rounds(a, M); /* a's memo of M */
	rc_forget(E, M, 8);
	WR(b, X, 8);
	rc_release(E, b, M); /* a new mutex at M, b posts first */
	rc_acquire(E, a, M);
	CU_ASSERT_EQUAL(RD(a, X, 8), 0);
	/* a releases a forgotten lock at once: a new clock, not the old one */
	own_rounds(a, F);
	rc_forget(E, F, 8);
	WR(a, Y, 8);
	rc_release(E, a, F);
	rc_acquire(E, b, F);
	CU_ASSERT_EQUAL(RD(b, Y, 8), 0);
	CU_ASSERT_EQUAL(R.n, 0);
	sane();
}

static void test_clock(void)
{
	rc_tid m, a, b;
	uint32_t before;

	three(&m, &a, &b);
	before = rc_clock(E, a, a);
	CU_ASSERT(before > 0);
	rc_release(E, a, M);
	CU_ASSERT_EQUAL(rc_clock(E, a, a), before + 1);
	CU_ASSERT(rc_clock(E, b, a) < before);
	rc_acquire(E, b, M);
	CU_ASSERT_EQUAL(rc_clock(E, b, a), before);
	sane();
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{"write/write race, both sides reported", test_write_write},
		{"write/read race", test_write_read},
		{"read/write race on shared bytes", test_read_write},
		{"read/read is no race", test_read_read},
		{"one thread never races with itself", test_same_thread},
		{"thread create orders parent before child", test_create},
		{"join orders the joined thread before the joiner", test_join},
		{"mutex unlock -> lock", test_mutex},
		{"rwlock: write -> any, read -> write only", test_rwlock},
		{"condvar signal -> woken wait", test_condvar},
		{"sem_post -> sem_wait", test_sem},
		{"barrier: all arrive -> all leave", test_barrier},
		{"pthread_once init -> later callers", test_once},
		{"fork child inherits the whole past", test_fork},
		{"atomic vs atomic: no race", test_atomic_atomic},
		{"atomic vs plain: race", test_atomic_plain},
		{"message passing: release/acquire vs relaxed", test_message_passing},
		{"fences make relaxed accesses synchronize", test_fences},
		{"release sequences", test_release_sequence},
		{"read-modify-writes", test_rmw},
		{"a release store replaces the clock", test_release_store_replaces},
		{"eviction keeps the records that can still race", test_eviction_keeps_racing_records},
		{"a write after the own read is recorded", test_write_after_own_read},
		{"merged records keep their ctx", test_merge_keeps_ctx},
		{"partial overlaps race on shared bytes only", test_partial_overlap},
		{"unaligned accesses across granules", test_unaligned},
		{"16-byte accesses", test_sixteen},
		{"ranges (memcpy/memset)", test_ranges},
		{"forget: freed memory is new", test_forget},
		{"forget drops sync clocks inside", test_forget_sync},
		{"thread slot reuse: exact after join", test_slot_reuse},
		{"memo: an own lock's feeds skip the join", test_memo_used},
		{"memo: a holder's release (rc_release_held) needs no engine lock", test_memo_release_held},
		{"memo: another thread's release voids it", test_memo_other_release},
		{"memo: a release after another's is no one-store release", test_memo_release_after_other},
		{"memo: a grown clock voids the one-store release", test_memo_fgen},
		{"memo: none when the clock has more than the releaser", test_memo_not_sole},
		{"memo: a reused slot's memos go", test_memo_slot_reuse},
		{"memo: forget voids it", test_memo_forget},
		{"thread churn reuses one slot", test_thread_churn},
		{"release/acquire churn: exact reuse of one slot", test_release_churn},
		{"detached churn: inexact reuse, told once", test_detached_churn},
		{"live thread limit", test_live_limit},
		{"many readers then a writer", test_many_readers},
		{"reported once per pair", test_once_per_pair},
		{"bad input is harmless", test_bad_input},
		{"out of memory: told once, no crash", test_out_of_memory},
		{"clocks", test_clock},
	};
	return cunit_run("race engine", tests, N_OF(tests));
}
