/*
 * test_wfg.c - CUnit tests for preload/wfg.c, the watchdog's wait-for graph
 * search, on scripted snapshots (no threads, no shim): every cycle shape
 * the deadlock scenarios cover, the rwlock and condition-wait rules, the
 * timed waits, and the grace and two-tick rules of lh_wfg_tick.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"

#include <stdlib.h>
#include <string.h>

#include "lockhound_log.h"
#include "wfg.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_T 1024
#define MAX_H 4096
#define MS 1000000ull

/* lock addresses: any distinct pointers */
static char A[1], B[1], C[1], M[1], L[1], R[1];

static struct lh_wfg_thread thr[MAX_T];
static struct lh_wfg_held held[MAX_H];
static uint32_t n_thr, n_held;
static struct lh_wfg_work *work;
static void *work_mem;
static struct lh_wfg_cycle cyc;

static void reset(void)
{
	memset(thr, 0, sizeof(thr));
	memset(held, 0, sizeof(held));
	n_thr = n_held = 0;
	if (!work) {
		work_mem = malloc(lh_wfg_work_bytes(MAX_T, MAX_H));
		work = lh_wfg_work_init(work_mem, MAX_T, MAX_H);
	}
}

/* a thread with id; its held locks are the hold() calls that follow */
static struct lh_wfg_thread *thread(uint32_t id)
{
	struct lh_wfg_thread *t = &thr[n_thr++];
	t->id = id;
	t->first_held = n_held;
	t->seq = 1;
	t->since_ns = 0;
	return t;
}

static void hold_m(struct lh_wfg_thread *t, const void *addr, uint8_t mode, uint8_t wp)
{
	CU_ASSERT_FATAL(t == &thr[n_thr - 1]); /* held entries stay contiguous */
	held[n_held].addr = addr;
	held[n_held].mode = mode;
	held[n_held].writer_pref = wp;
	n_held++;
	t->n_held++;
}

static void hold(struct lh_wfg_thread *t, const void *addr)
{
	hold_m(t, addr, LH_MODE_EXCL, 0);
}

static void wait_lock(struct lh_wfg_thread *t, const void *addr, uint8_t mode)
{
	t->wait = LH_WFG_LOCK;
	t->addr = addr;
	t->mode = mode;
}

static struct lh_wfg_snap snap_now(uint64_t now_ns)
{
	struct lh_wfg_snap s = { thr, n_thr, held, n_held, now_ns, 0 };
	return s;
}

static int find(void)
{
	struct lh_wfg_snap s = snap_now(10000 * MS);
	return lh_wfg_find(&s, work, &cyc);
}

/* the cycle found, as thread ids in wait order, rotated to start at the
 * smallest id so that expectations do not depend on the start node */
static int cycle_is(const uint32_t *ids, uint32_t n)
{
	uint32_t i, lo = 0;

	if (cyc.n != n)
		return 0;
	for (i = 1; i < n; i++)
		if (thr[cyc.idx[i]].id < thr[cyc.idx[lo]].id)
			lo = i;
	for (i = 0; i < n; i++)
		if (thr[cyc.idx[(lo + i) % n]].id != ids[i])
			return 0;
	return 1;
}

static void test_abba(void)
{
	static const uint32_t want[] = { 1, 2 };
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, A);
	wait_lock(t, B, LH_MODE_EXCL);
	t = thread(2);
	hold(t, B);
	wait_lock(t, A, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT(cycle_is(want, 2));
	CU_ASSERT_EQUAL(cyc.self, 0);
	CU_ASSERT_EQUAL(cyc.truncated, 0);
}

static void test_abba_one_side_not_waiting_is_clean(void)
{
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, A);
	wait_lock(t, B, LH_MODE_EXCL);
	t = thread(2); /* holds B and runs: it will release B */
	hold(t, B);
	hold(t, A);
	CU_ASSERT_EQUAL(find(), 0);
}

static void test_ring3_in_wait_order(void)
{
	static const uint32_t want[] = { 1, 2, 3 };
	struct lh_wfg_thread *t;

	reset();
	/* listed out of order, with a bystander that waits for the ring */
	t = thread(3);
	hold(t, C);
	wait_lock(t, A, LH_MODE_EXCL);
	t = thread(9);
	wait_lock(t, A, LH_MODE_EXCL);
	t = thread(1);
	hold(t, A);
	wait_lock(t, B, LH_MODE_EXCL);
	t = thread(2);
	hold(t, B);
	wait_lock(t, C, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 1);
	/* 1 waits for 2 (holder of B), 2 for 3, 3 for 1 */
	CU_ASSERT(cycle_is(want, 3));
}

static void test_running_holder_breaks_ring(void)
{
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, A);
	wait_lock(t, B, LH_MODE_EXCL);
	t = thread(2);
	hold(t, B);
	wait_lock(t, C, LH_MODE_EXCL);
	t = thread(3);
	hold(t, C); /* runs */
	CU_ASSERT_EQUAL(find(), 0);
}

static void test_join_while_holding(void)
{
	static const uint32_t want[] = { 1, 2 };
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, M);
	t->wait = LH_WFG_JOIN;
	t->target = 2;
	t = thread(2);
	wait_lock(t, M, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT(cycle_is(want, 2));
}

static void test_join_not_started_then_started(void)
{
	static const uint32_t want[] = { 1, 2 };
	struct lh_wfg_thread *t, *target;

	reset();
	t = thread(1);
	hold(t, M);
	t->wait = LH_WFG_JOIN;
	t->target = 2;
	target = thread(2); /* registered by its creator, not running yet */
	CU_ASSERT_EQUAL(find(), 0);
	/* it starts and blocks on the mutex its joiner holds */
	wait_lock(target, M, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT(cycle_is(want, 2));
}

static void test_join_unknown_or_self_is_clean(void)
{
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, M);
	t->wait = LH_WFG_JOIN;
	t->target = 7; /* ended already: not in the snapshot */
	t = thread(2);
	t->wait = LH_WFG_JOIN;
	t->target = 2; /* glibc refuses to join itself (EDEADLK) */
	CU_ASSERT_EQUAL(find(), 0);
}

static void test_join_chain(void)
{
	static const uint32_t want[] = { 3, 4 };
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	t->wait = LH_WFG_JOIN;
	t->target = 2;
	t = thread(2);
	t->wait = LH_WFG_JOIN;
	t->target = 3;
	t = thread(3);
	hold(t, L);
	wait_lock(t, A, LH_MODE_EXCL);
	t = thread(4); /* holds A but is not part of it */
	hold(t, A);
	CU_ASSERT_EQUAL(find(), 0);
	wait_lock(t, L, LH_MODE_EXCL); /* 4 waits for 3: 3 <-> 4, 1 and 2 hang off it */
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT(cycle_is(want, 2));
}

static void test_cond_reacquire(void)
{
	static const uint32_t want[] = { 1, 2 };
	struct lh_wfg_thread *t;

	reset();
	/* T1 waits on a condition with M, still holding L; T2 took M and
	 * waits for L: T1 cannot return without M */
	t = thread(1);
	hold(t, L);
	t->wait = LH_WFG_COND;
	t->addr = M;
	t = thread(2);
	hold(t, M);
	wait_lock(t, L, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT(cycle_is(want, 2));
}

static void test_cond_mutex_free_is_clean(void)
{
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, L);
	t->wait = LH_WFG_COND; /* nobody holds M: waits to be signalled */
	t->addr = M;
	t = thread(2);
	wait_lock(t, L, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 0);
}

static void test_cond_timed_deadline(void)
{
	static const uint32_t want[] = { 1, 2 };
	struct lh_wfg_thread *t, *w;

	reset();
	w = t = thread(1);
	hold(t, L);
	t->wait = LH_WFG_COND;
	t->addr = M;
	t->timed = 1;
	t->deadline_ns = 5000 * MS;
	t->clock_now_ns = 4999 * MS; /* before its deadline: ends by itself */
	t = thread(2);
	hold(t, M);
	wait_lock(t, L, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(lh_wfg_waits(w), 0);
	CU_ASSERT_EQUAL(find(), 0);
	w->clock_now_ns = 5000 * MS; /* past it: re-takes M with no timeout */
	CU_ASSERT_EQUAL(lh_wfg_waits(w), 1);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT(cycle_is(want, 2));
}

static void test_timed_lock_is_clean(void)
{
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, A);
	wait_lock(t, B, LH_MODE_EXCL);
	t->timed = 1; /* pthread_mutex_timedlock: will time out */
	t = thread(2);
	hold(t, B);
	wait_lock(t, A, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 0);
}

static void test_rwlock_writers_wait_for_readers(void)
{
	static const uint32_t want[] = { 1, 2 };
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold_m(t, A, LH_MODE_SHARED, 0);
	wait_lock(t, B, LH_MODE_EXCL);
	t = thread(2);
	hold_m(t, B, LH_MODE_SHARED, 0);
	wait_lock(t, A, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT(cycle_is(want, 2));
}

static void test_rwlock_readers_do_not_block_readers(void)
{
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold_m(t, A, LH_MODE_SHARED, 0);
	wait_lock(t, B, LH_MODE_SHARED);
	t = thread(2);
	hold_m(t, B, LH_MODE_SHARED, 0);
	wait_lock(t, A, LH_MODE_SHARED);
	CU_ASSERT_EQUAL(find(), 0);
}

static void test_rwlock_reader_waits_for_writer(void)
{
	static const uint32_t want[] = { 1, 2 };
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, A);
	wait_lock(t, B, LH_MODE_SHARED);
	t = thread(2);
	hold_m(t, B, LH_MODE_EXCL, 0); /* write-holds B */
	wait_lock(t, A, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT(cycle_is(want, 2));
}

/* T1 read-holds R and waits for M; T2 holds M and wants to read R; T3
 * waits to write R.  Readers get in past a waiting writer, unless the
 * rwlock prefers writers: then T2 queues behind T3, who waits for T1. */
static void writer_pref_case(uint8_t wp)
{
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold_m(t, R, LH_MODE_SHARED, wp);
	wait_lock(t, M, LH_MODE_EXCL);
	t = thread(2);
	hold(t, M);
	wait_lock(t, R, LH_MODE_SHARED);
	t = thread(3);
	wait_lock(t, R, LH_MODE_EXCL);
}

static void test_rwlock_writer_preferring(void)
{
	static const uint32_t want[] = { 1, 2, 3 };

	writer_pref_case(0);
	CU_ASSERT_EQUAL(find(), 0);
	writer_pref_case(1);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT(cycle_is(want, 3));
}

static void test_self_deadlock_exclusive(void)
{
	struct lh_wfg_thread *t;

	/* a mutex, spinlock, C11 mtx or exclusive annotated lock taken again */
	reset();
	t = thread(4);
	hold(t, A);
	hold(t, M);
	wait_lock(t, M, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT_EQUAL(cyc.n, 1);
	CU_ASSERT_EQUAL(cyc.self, 1);
	CU_ASSERT_EQUAL(thr[cyc.idx[0]].id, 4);
}

static void test_self_deadlock_rwlock(void)
{
	struct lh_wfg_thread *t, *w;

	/* write lock on a rwlock it read-holds: waits for itself */
	reset();
	t = thread(1);
	hold_m(t, R, LH_MODE_SHARED, 0);
	wait_lock(t, R, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT_EQUAL(cyc.self, 1);

	/* read lock again: fine for a reader-preferring rwlock, even with a
	 * writer waiting */
	reset();
	t = thread(1);
	hold_m(t, R, LH_MODE_SHARED, 0);
	wait_lock(t, R, LH_MODE_SHARED);
	w = thread(2);
	wait_lock(w, R, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 0);

	/* writer-preferring: the second read queues behind the writer, who
	 * waits for the first read */
	reset();
	t = thread(1);
	hold_m(t, R, LH_MODE_SHARED, 1);
	wait_lock(t, R, LH_MODE_SHARED);
	w = thread(2);
	wait_lock(w, R, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT_EQUAL(cyc.n, 2);
	CU_ASSERT_EQUAL(cyc.self, 0);
}

static void test_cond_wait_is_not_self(void)
{
	struct lh_wfg_thread *t;

	/* a stale held entry for the mutex of its own condition wait is not a
	 * self-deadlock: the wait released it */
	reset();
	t = thread(1);
	hold(t, M);
	t->wait = LH_WFG_COND;
	t->addr = M;
	CU_ASSERT_EQUAL(find(), 0);
}

static void test_reported_wait_not_searched(void)
{
	struct lh_wfg_thread *t, *a;

	reset();
	a = t = thread(1);
	hold(t, A);
	wait_lock(t, B, LH_MODE_EXCL);
	t = thread(2);
	hold(t, B);
	wait_lock(t, A, LH_MODE_EXCL);
	a->reported = 1;
	CU_ASSERT_EQUAL(find(), 0);
}

/* ABBA with waits first seen at since_ns */
static void abba_since(uint64_t since1, uint64_t since2)
{
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, A);
	wait_lock(t, B, LH_MODE_EXCL);
	t->since_ns = since1;
	t = thread(2);
	hold(t, B);
	wait_lock(t, A, LH_MODE_EXCL);
	t->since_ns = since2;
}

static int tick(struct lh_wfg_state *st, uint64_t now_ns)
{
	struct lh_wfg_snap s = snap_now(now_ns);
	return lh_wfg_tick(st, &s, 1000 * MS, work, &cyc);
}

static void test_tick_grace_and_two_ticks(void)
{
	struct lh_wfg_state st;

	memset(&st, 0, sizeof(st));
	abba_since(100 * MS, 300 * MS);
	/* first sighting: never at once, however old */
	CU_ASSERT_EQUAL(tick(&st, 5000 * MS), 0);
	CU_ASSERT_EQUAL(tick(&st, 5100 * MS), 1);

	/* younger than the grace (counted from the newest wait) */
	memset(&st, 0, sizeof(st));
	abba_since(100 * MS, 300 * MS);
	CU_ASSERT_EQUAL(tick(&st, 1000 * MS), 0);
	CU_ASSERT_EQUAL(tick(&st, 1299 * MS), 0);
	CU_ASSERT_EQUAL(tick(&st, 1300 * MS), 1);
}

static void test_tick_changed_wait_restarts(void)
{
	struct lh_wfg_state st;

	memset(&st, 0, sizeof(st));
	abba_since(0, 0);
	CU_ASSERT_EQUAL(tick(&st, 2000 * MS), 0);
	/* thread 2 got A, released it and waits again: a new wait */
	thr[1].seq = 2;
	CU_ASSERT_EQUAL(tick(&st, 2100 * MS), 0);
	CU_ASSERT_EQUAL(tick(&st, 2200 * MS), 1);
	/* a tick without the cycle forgets it */
	thr[0].wait = LH_WFG_NONE;
	CU_ASSERT_EQUAL(tick(&st, 2300 * MS), 0);
	CU_ASSERT_EQUAL(st.n, 0);
	thr[0].wait = LH_WFG_LOCK;
	CU_ASSERT_EQUAL(tick(&st, 2400 * MS), 0);
	CU_ASSERT_EQUAL(tick(&st, 2500 * MS), 1);
}

static void test_long_ring_truncated(void)
{
	uint32_t i, n = LH_WFG_MAX_CYCLE + 5;
	static char locks[LH_WFG_MAX_CYCLE + 5];

	reset();
	/* thread i holds lock i and waits for lock i+1 */
	for (i = 0; i < n; i++) {
		struct lh_wfg_thread *t = thread(i + 1);
		hold(t, &locks[i]);
		wait_lock(t, &locks[(i + 1) % n], LH_MODE_EXCL);
	}
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT_EQUAL(cyc.n, LH_WFG_MAX_CYCLE);
	CU_ASSERT_EQUAL(cyc.truncated, 1);
	for (i = 0; i + 1 < cyc.n; i++)
		CU_ASSERT_EQUAL(thr[cyc.idx[i + 1]].id, thr[cyc.idx[i]].id % n + 1);

	/* exactly at the limit: whole */
	reset();
	n = LH_WFG_MAX_CYCLE;
	for (i = 0; i < n; i++) {
		struct lh_wfg_thread *t = thread(i + 1);
		hold(t, &locks[i]);
		wait_lock(t, &locks[(i + 1) % n], LH_MODE_EXCL);
	}
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT_EQUAL(cyc.n, LH_WFG_MAX_CYCLE);
	CU_ASSERT_EQUAL(cyc.truncated, 0);
}

/* the work area is reused by snapshots of every size (build clears only
 * the part of its tables a snapshot uses): a big one, a small one, a big
 * one without a cycle, a small one again */
static void ring(uint32_t n, int closed)
{
	static char locks[1000];
	uint32_t i;

	reset();
	for (i = 0; i < n; i++) {
		struct lh_wfg_thread *t = thread(i + 1);
		hold(t, &locks[i]);
		if (closed || i + 1 < n)
			wait_lock(t, &locks[(i + 1) % n], LH_MODE_EXCL);
	}
}

static void test_work_reused_across_sizes(void)
{
	static const uint32_t want[] = { 1, 2 };

	ring(1000, 1);
	CU_ASSERT_EQUAL(find(), 1);
	ring(2, 1);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT(cycle_is(want, 2));
	ring(1000, 0); /* the last thread runs: no cycle */
	CU_ASSERT_EQUAL(find(), 0);
	ring(2, 0);
	CU_ASSERT_EQUAL(find(), 0);
	ring(2, 1);
	CU_ASSERT_EQUAL(find(), 1);
	ring(999, 1);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT_EQUAL(cyc.n, LH_WFG_MAX_CYCLE);
}

static void test_many_readers_one_writer(void)
{
	static char locks[200];
	struct lh_wfg_thread *t;
	uint32_t i;

	/* 200 readers of R, each waiting for its own lock held by the writer
	 * W, who waits to write R: every reader is on a cycle with W */
	reset();
	for (i = 0; i < 200; i++) {
		t = thread(i + 1);
		hold_m(t, R, LH_MODE_SHARED, 0);
		wait_lock(t, &locks[i], LH_MODE_EXCL);
	}
	t = thread(500);
	for (i = 0; i < 200; i++)
		hold(t, &locks[i]);
	wait_lock(t, R, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT_EQUAL(cyc.n, 2);
}

static void wait_sem(struct lh_wfg_thread *t, const void *addr, uint32_t poster, uint8_t timed)
{
	t->wait = LH_WFG_SEM;
	t->addr = addr;
	t->target = poster;
	t->timed = timed;
}

/* binary semaphores as locks: each waits for the holder of the other */
static void test_sem_lock_abba(void)
{
	static const uint32_t want[] = { 1, 2 };
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, A);
	wait_sem(t, B, 0, 0);
	t = thread(2);
	hold(t, B);
	wait_sem(t, A, 0, 0);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT_TRUE(cycle_is(want, 2));
	CU_ASSERT_FALSE(cyc.self);
	/* timed: it ends by itself */
	thr[1].timed = 1;
	CU_ASSERT_EQUAL(find(), 0);
}

/* a signalling semaphore's only poster, blocked on a mutex the waiter
 * holds: a cycle through the poster; without a known poster, none */
static void test_sem_poster_blocked(void)
{
	static const uint32_t want[] = { 1, 2 };
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, M);
	wait_sem(t, A, 2, 0);
	t = thread(2);
	wait_lock(t, M, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(find(), 1);
	CU_ASSERT_TRUE(cycle_is(want, 2));
	thr[0].target = 0; /* nobody known posts it */
	CU_ASSERT_EQUAL(find(), 0);
	thr[0].target = 3; /* a poster not in the snapshot: running or gone */
	CU_ASSERT_EQUAL(find(), 0);
}

/* the poster runs (it waits for nothing): no cycle; the poster waiting on
 * a lock held by a running thread: a chain, not a cycle */
static void test_sem_poster_running_or_chain(void)
{
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, M);
	wait_sem(t, A, 2, 0);
	t = thread(2);
	hold(t, B); /* holds, but does not wait */
	CU_ASSERT_EQUAL(find(), 0);
	t->wait = LH_WFG_LOCK;
	t->addr = C;
	t = thread(3);
	hold(t, C); /* runs */
	CU_ASSERT_EQUAL(find(), 0);
}

/* a thread that waits on a semaphore it has itself (a stale entry, or a
 * Condition's waiter lock) waits for a post: never a self-deadlock */
static void test_sem_holder_waits_is_not_self(void)
{
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, A);
	wait_sem(t, A, 0, 0);
	CU_ASSERT_EQUAL(find(), 0);
	t->target = 1; /* it posted it itself before */
	CU_ASSERT_EQUAL(find(), 0);
}

/* ---- stalls: every thread blocked, one on an event no thread can cause ---- */

static struct lh_wfg_snap snap_live(uint64_t now_ns, uint32_t n_live)
{
	struct lh_wfg_snap s = snap_now(now_ns);
	s.n_live = n_live;
	return s;
}

static void wait_cond(struct lh_wfg_thread *t, const void *mutex, const void *cond)
{
	t->wait = LH_WFG_COND;
	t->addr = mutex;
	t->obj = cond;
}

static void test_stall_cond_no_signaler(void)
{
	struct lh_wfg_thread *t;
	struct lh_wfg_snap s;

	reset();
	wait_cond(thread(1), M, C);
	t = thread(2);
	t->wait = LH_WFG_DESTROY; /* destroys C while T1 waits on it */
	t->addr = C;
	s = snap_live(0, 2);
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 1);
	CU_ASSERT_TRUE(cyc.stall);
	CU_ASSERT_FALSE(cyc.self);
	CU_ASSERT_EQUAL(cyc.n, 2);
	CU_ASSERT_EQUAL(cyc.idx[0], 0);
	CU_ASSERT_EQUAL(cyc.idx[1], 1);
	/* a third thread runs: it could signal */
	s = snap_live(0, 3);
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 0);
	/* no live count: no stall search */
	s = snap_live(0, 0);
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 0);
}

static void test_stall_barrier_and_locks(void)
{
	struct lh_wfg_thread *t;
	struct lh_wfg_snap s;

	reset();
	t = thread(1);
	t->wait = LH_WFG_BARRIER;
	t->addr = B;
	hold(t, A);
	wait_lock(thread(2), A, LH_MODE_EXCL); /* behind the barrier waiter */
	s = snap_live(0, 2);
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 1);
	CU_ASSERT_TRUE(cyc.stall);
	CU_ASSERT_EQUAL(cyc.n, 2);
	/* the lock waiter's wait is timed: it ends by itself */
	thr[1].timed = 1;
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 0);
	thr[1].timed = 0;
	/* a process-shared barrier: another process may arrive */
	thr[0].external = 1;
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 0);
	thr[0].external = 0;
	/* a reported wait is not searched again */
	thr[0].reported = 1;
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 0);
	thr[0].reported = 0;
	/* a third thread in sem_wait: a signal handler may post it */
	wait_sem(thread(3), C, 0, 0);
	s = snap_live(0, 3);
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 0);
	thr[2].wait = LH_WFG_JOIN; /* in a join instead: the stall is back */
	thr[2].target = 1;
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 1);
	CU_ASSERT_TRUE(cyc.stall);
}

static void test_stall_needs_an_event(void)
{
	struct lh_wfg_thread *t;
	struct lh_wfg_snap s;

	reset();
	/* one thread waits for a lock whose holder is gone: no event wait, not
	 * a stall (the lock may be process-shared, or held outside the shim) */
	wait_lock(thread(1), A, LH_MODE_EXCL);
	s = snap_live(0, 1);
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 0);
	/* a lone thread in a condition wait: nobody left to signal */
	reset();
	wait_cond(thread(1), M, C);
	s = snap_live(0, 1);
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 1);
	CU_ASSERT_TRUE(cyc.stall);
	CU_ASSERT_EQUAL(cyc.n, 1);
	/* a timed condition wait before its deadline ends by itself */
	thr[0].timed = 1;
	thr[0].deadline_ns = 10;
	thr[0].clock_now_ns = 5;
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 0);
	/* a cycle is reported as a cycle, not a stall */
	reset();
	t = thread(1);
	hold(t, A);
	wait_lock(t, B, LH_MODE_EXCL);
	t = thread(2);
	hold(t, B);
	wait_lock(t, A, LH_MODE_EXCL);
	wait_cond(thread(3), M, C);
	s = snap_live(0, 3);
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 1);
	CU_ASSERT_FALSE(cyc.stall);
	CU_ASSERT_EQUAL(cyc.n, 2);
}

static void test_stall_tick_rules(void)
{
	struct lh_wfg_state st;
	struct lh_wfg_snap s;

	reset();
	memset(&st, 0, sizeof(st));
	wait_cond(thread(1), M, C);
	thr[0].since_ns = 0;
	s = snap_live(2000 * MS, 1);
	CU_ASSERT_EQUAL(lh_wfg_tick(&st, &s, 1000 * MS, work, &cyc), 0); /* first sight */
	CU_ASSERT_EQUAL(lh_wfg_tick(&st, &s, 1000 * MS, work, &cyc), 1);
	CU_ASSERT_TRUE(cyc.stall);
	/* a new wait (signalled, waiting again) starts over */
	memset(&st, 0, sizeof(st));
	CU_ASSERT_EQUAL(lh_wfg_tick(&st, &s, 1000 * MS, work, &cyc), 0);
	thr[0].seq++;
	CU_ASSERT_EQUAL(lh_wfg_tick(&st, &s, 1000 * MS, work, &cyc), 0);
	/* within the grace period */
	s = snap_live(500 * MS, 1);
	CU_ASSERT_EQUAL(lh_wfg_tick(&st, &s, 1000 * MS, work, &cyc), 0);
}

static void test_bad_snapshots(void)
{
	struct lh_wfg_snap s;
	struct lh_wfg_thread *t;

	reset();
	t = thread(1);
	hold(t, A);
	wait_lock(t, A, LH_MODE_EXCL);
	t->n_held = 5; /* past the held array */
	s = snap_now(0);
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), -1);
	t->n_held = 1;
	s.n_thr = MAX_T + 1; /* larger than the work area */
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), -1);
	s.n_thr = 0; /* empty */
	CU_ASSERT_EQUAL(lh_wfg_find(&s, work, &cyc), 0);
	CU_ASSERT_PTR_NULL(lh_wfg_work_init(NULL, 4, 4));
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "abba", test_abba },
		{ "work_reused_across_sizes", test_work_reused_across_sizes },
		{ "abba_one_side_not_waiting_is_clean", test_abba_one_side_not_waiting_is_clean },
		{ "ring3_in_wait_order", test_ring3_in_wait_order },
		{ "running_holder_breaks_ring", test_running_holder_breaks_ring },
		{ "join_while_holding", test_join_while_holding },
		{ "join_not_started_then_started", test_join_not_started_then_started },
		{ "join_unknown_or_self_is_clean", test_join_unknown_or_self_is_clean },
		{ "join_chain", test_join_chain },
		{ "cond_reacquire", test_cond_reacquire },
		{ "cond_mutex_free_is_clean", test_cond_mutex_free_is_clean },
		{ "cond_timed_deadline", test_cond_timed_deadline },
		{ "timed_lock_is_clean", test_timed_lock_is_clean },
		{ "rwlock_writers_wait_for_readers", test_rwlock_writers_wait_for_readers },
		{ "rwlock_readers_do_not_block_readers", test_rwlock_readers_do_not_block_readers },
		{ "rwlock_reader_waits_for_writer", test_rwlock_reader_waits_for_writer },
		{ "rwlock_writer_preferring", test_rwlock_writer_preferring },
		{ "self_deadlock_exclusive", test_self_deadlock_exclusive },
		{ "self_deadlock_rwlock", test_self_deadlock_rwlock },
		{ "cond_wait_is_not_self", test_cond_wait_is_not_self },
		{ "reported_wait_not_searched", test_reported_wait_not_searched },
		{ "tick_grace_and_two_ticks", test_tick_grace_and_two_ticks },
		{ "tick_changed_wait_restarts", test_tick_changed_wait_restarts },
		{ "long_ring_truncated", test_long_ring_truncated },
		{ "many_readers_one_writer", test_many_readers_one_writer },
		{ "sem_lock_abba", test_sem_lock_abba },
		{ "sem_poster_blocked", test_sem_poster_blocked },
		{ "sem_poster_running_or_chain", test_sem_poster_running_or_chain },
		{ "sem_holder_waits_is_not_self", test_sem_holder_waits_is_not_self },
		{ "stall_cond_no_signaler", test_stall_cond_no_signaler },
		{ "stall_barrier_and_locks", test_stall_barrier_and_locks },
		{ "stall_needs_an_event", test_stall_needs_an_event },
		{ "stall_tick_rules", test_stall_tick_rules },
		{ "bad_snapshots", test_bad_snapshots },
	};
	int rc = cunit_run("wfg", tests, N_OF(tests));
	free(work_mem);
	return rc;
}
