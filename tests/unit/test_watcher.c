/*
 * test_watcher.c - CUnit tests for preload/watcher.c, the decision core of
 * sampled race watching: candidates, rotation and its bias, budgets (hits
 * per window, per second, back-off), adaptive allocation sampling, late
 * traps, and both verdicts (observed while the first thread is held;
 * inferred by the engine over a window, with and without the lock events
 * that order the two accesses).  Scripted hits, no threads, no traps:
 * "T2 writes x" is one wt_hit call.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../preload/watcher.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MS 1000000ull

static struct {
	int n;
	struct wt_race r[64];
	int limits[WT_LIMIT_N];
	void *mem[1 << 16];
	int n_mem;
} R;

static void on_race(void *cookie, const struct wt_race *r)
{
	(void)cookie;
	if (R.n < (int)N_OF(R.r))
		R.r[R.n] = *r;
	R.n++;
}

static void on_limit(void *cookie, enum wt_limit what)
{
	(void)cookie;
	R.limits[what]++;
}

static void *t_alloc(void *cookie, size_t size)
{
	void *p = calloc(1, size);
	(void)cookie;
	/* the engine allocates too; every block is freed by reset_mem
	(all of them: the array is larger than any test needs) */
	if (p && R.n_mem < (int)N_OF(R.mem))
		R.mem[R.n_mem++] = p;
	return p;
}

static struct wt_core *W;

static void reset_mem(void)
{
	int i;

	for (i = 0; i < R.n_mem; i++)
		free(R.mem[i]);
	memset(&R, 0, sizeof(R));
}

static struct wt_core *fresh(const struct wt_budget *b, int with_engine)
{
	struct rc_alloc a = { t_alloc, NULL };
	struct wt_hooks h = { on_race, on_limit, NULL };

	reset_mem();
	W = wt_create(b, &a, &h, with_engine);
	CU_ASSERT_PTR_NOT_NULL_FATAL(W);
	return W;
}

static struct wt_budget budget(void)
{
	struct wt_budget b;

	wt_budget_default(&b);
	b.window_ns = 10 * MS;
	b.hits_per_window = 8;
	b.hits_per_sec = 1000;
	b.site_dense = 2;
	b.max_heap = 100;
	b.cost_permille = 0; /* the cost budget has tests of its own */
	b.quiet_ns = 0;      /* so has the quiet back-off */
	return b;
}

/* the hits' threads hold a lock (the inferred verdict needs one side that
 * did); test_inferred_needs_a_lock clears it */
static int hits_locked = 1;

static enum wt_action hit(int slot, uint32_t thread, rc_tid tid, uintptr_t addr, uint32_t size,
                          int is_write, int is_atomic, uintptr_t pc, uint64_t now)
{
	struct wt_hit h;
	const struct wt_window *win = wt_slot(W, slot);

	memset(&h, 0, sizeof(h));
	h.slot = (uint32_t)slot;
	h.tag = win->tag;
	h.thread = thread;
	h.tid = tid;
	h.addr = addr;
	h.size = size;
	h.is_write = (uint8_t)is_write;
	h.is_atomic = (uint8_t)is_atomic;
	h.locked = (uint8_t)hits_locked;
	h.pc = pc;
	return wt_hit(W, &h, now);
}

#define SANE() CU_ASSERT_PTR_NULL(wt_sanity(W))

/* ---- observed verdict ---- */

static void test_observed_write_while_held(void)
{
	struct wt_budget b = budget();
	struct wt_window win;
	int c;

	fresh(&b, 0);
	c = wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 7);
	CU_ASSERT_EQUAL(c, 0);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, 0, &win), 0);
	CU_ASSERT_EQUAL(win.cand, c);
	CU_ASSERT_EQUAL(win.addr, 0x1000);
	CU_ASSERT_EQUAL(win.len, 8);
	CU_ASSERT(wt_armed(wt_armed_count(W)));
	/* T1 writes first: held */
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 1, 0, 0x400100, 1 * MS), WT_HOLD);
	/* T2 reads the same bytes meanwhile: a race, observed */
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1002, 2, 0, 0, 0x400200, 2 * MS), WT_IGNORE);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].how, WT_BY_OBSERVED);
	CU_ASSERT_EQUAL(R.r[0].name, 7);
	CU_ASSERT_EQUAL(R.r[0].kind, WT_GLOBAL);
	CU_ASSERT_EQUAL(R.r[0].first.thread, 1);
	CU_ASSERT_EQUAL(R.r[0].first.pc, 0x400100);
	CU_ASSERT(R.r[0].first.is_write);
	CU_ASSERT_EQUAL(R.r[0].second.thread, 2);
	CU_ASSERT_EQUAL(R.r[0].second.pc, 0x400200);
	CU_ASSERT(!R.r[0].second.is_write);
	/* one verdict per hold: T2 spinning on it adds none */
	hit(0, 2, 0, 0x1000, 4, 0, 0, 0x400200, 2 * MS);
	CU_ASSERT_EQUAL(R.n, 1);
	SANE();
}

static void test_observed_needs_overlap_write_other_thread(void)
{
	struct wt_budget b = budget();

	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_arm(W, 0, 8, 0, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 0, 0, 0x10, 1), WT_HOLD); /* T1 reads, held */
	/* T2 reads: read-read (the hold passes to T2, test_hold_passes_to_reader) */
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 0, 0, 0x20, 2), WT_PASS);
	hit(0, 2, 0, 0x1000, 4, 1, 0, 0x30, 3);  /* T2 itself writes */
	hit(0, 3, 0, 0x1004, 4, 1, 0, 0x40, 4);  /* T3 writes other bytes of the word */
	hit(0, 4, 0, 0x1000, 4, 1, 1, 0x50, 5);  /* T4 writes atomically */
	CU_ASSERT_EQUAL(R.n, 0);
	/* after the hold ended, no observed verdict */
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	hit(0, 5, 0, 0x1000, 4, 1, 0, 0x60, 6);
	CU_ASSERT_EQUAL(R.n, 0);
	/* an atomic first access is never held */
	wt_disarm(W, 0, 7);
	wt_arm(W, 0, 8, 8, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 1, 1, 0x70, 9), WT_IGNORE);
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 1, 0, 0x80, 9), WT_HOLD);
	SANE();
}

static void test_one_hold_per_window(void)
{
	struct wt_budget b = budget();
	struct wt_stats st;

	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_arm(W, 0, 8, 0, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 1, 0, 0x10, 1), WT_HOLD);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 1, 0, 0x10, 2), WT_IGNORE);
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 1, 0, 0x10, 3), WT_IGNORE);
	wt_stats(W, &st);
	CU_ASSERT_EQUAL(st.holds, 1);
	CU_ASSERT_EQUAL(st.hits, 3);
}

/* a held read that no write met: the window holds the next plain write
 * once more (a flag handed back and forth is read by both threads while
 * the one that would write it next is held); never a third hold */
static void test_second_hold_for_a_write(void)
{
	struct wt_budget b = budget();
	struct wt_stats st;

	b.hits_per_window = 64;
	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_arm(W, 0, 8, 0, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 0, 0, 0x10, 1), WT_HOLD); /* T1 reads: held */
	wt_hold_end(W, 0, wt_slot(W, 0)->tag); /* no one came */
	CU_ASSERT_EQUAL(R.n, 0);
	/* a read is not held again, an atomic write neither */
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 0, 0, 0x20, 3), WT_IGNORE);
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 1, 1, 0x28, 3), WT_IGNORE);
	/* T1's plain write is: held, and T2's read meanwhile is the race */
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 1, 0, 0x30, 4), WT_HOLD);
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 0, 0, 0x20, 5), WT_IGNORE);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].first.pc, 0x30);
	CU_ASSERT(R.r[0].first.is_write);
	CU_ASSERT_EQUAL(R.r[0].second.thread, 2);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	/* no third hold */
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 1, 0, 0x40, 6), WT_IGNORE);
	wt_stats(W, &st);
	CU_ASSERT_EQUAL(st.holds, 2);
	/* a held write that no one met gets no second hold */
	wt_disarm(W, 0, 7);
	wt_arm(W, 0, 8, 8, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 1, 0, 0x10, 9), WT_HOLD);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 1, 0, 0x20, 10), WT_IGNORE);
	/* (that hold met no one: the next window holds nothing, the hold
	 * back-off, test_hold_backoff) */
	wt_disarm(W, 0, 11);
	wt_arm(W, 0, 8, 11, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 0, 0, 0x10, 11), WT_IGNORE);
	/* a held read that a write met (the race) gets none either */
	wt_disarm(W, 0, 11);
	wt_arm(W, 0, 8, 12, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 0, 0, 0x10, 13), WT_HOLD);
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 1, 0, 0x20, 14), WT_IGNORE);
	CU_ASSERT_EQUAL(R.n, 2);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 1, 0, 0x30, 15), WT_IGNORE);
	SANE();
}

/* a held read another thread reads: the hold passes to the reader
 * (WT_PASS) and the first goes on; its write then meets the held reader
 * (racy_flag: the spinning side is held, the side that writes next runs).
 * The first's late hold end does not end the reader's hold; at most
 * WT_PASSES passes a window */
static void test_hold_passes_to_reader(void)
{
	struct wt_budget b = budget();
	const struct wt_window *win;
	struct wt_stats st;
	int k;

	b.hits_per_window = 64;
	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_arm(W, 0, 8, 0, NULL);
	win = wt_slot(W, 0);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 0, 0, 0x10, 1), WT_HOLD); /* T1 reads: held */
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 0, 0, 0x20, 2), WT_PASS);  /* T2 reads */
	CU_ASSERT_EQUAL(win->cut_thread, 1);
	CU_ASSERT(win->held);
	CU_ASSERT_EQUAL(win->first.thread, 2);
	/* T1's hold ends (late): T2 is still held */
	wt_hold_end_thread(W, 0, win->tag, 1);
	CU_ASSERT(win->held);
	/* the same thread's read again, an atomic read: nothing passes */
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 0, 0, 0x20, 3), WT_IGNORE);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 0, 1, 0x18, 3), WT_IGNORE);
	CU_ASSERT_EQUAL(R.n, 0);
	/* T1 writes: T2 is held at its read, the race */
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 1, 0, 0x30, 4), WT_IGNORE);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].how, WT_BY_OBSERVED);
	CU_ASSERT_EQUAL(R.r[0].first.thread, 2);
	CU_ASSERT_EQUAL(R.r[0].second.thread, 1);
	wt_hold_end_thread(W, 0, win->tag, 2);
	CU_ASSERT(!win->held);
	/* passes are bounded: readers taking turns on a fresh window */
	wt_disarm(W, 0, 5);
	wt_arm(W, 0, 8, 5, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 0, 0, 0x10, 5), WT_HOLD);
	for (k = 0; k < WT_PASSES; k++) /* T2, T1, T2, ... take it in turn */
		CU_ASSERT_EQUAL(hit(0, k % 2 ? 1 : 2, 0, 0x1000, 4, 0, 0, 0x20, 6), WT_PASS);
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 0, 0, 0x20, 7), WT_IGNORE);
	wt_stats(W, &st);
	CU_ASSERT_EQUAL(st.cuts, 1 + WT_PASSES);
	SANE();
}

/* a pass refunds the unused part of the first hold; without the budget
 * for a new hold the first just goes on (WT_CUT) */
static void test_pass_refunds_and_cut(void)
{
	struct wt_budget b = budget();
	const struct wt_window *win;
	uint64_t now = 5 * MS;

	b.cost_permille = 10;
	b.cost_start_ns = 4 * MS;
	b.hold_ns = 3 * MS;
	b.hits_per_window = 64;
	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now, NULL), 0);
	win = wt_slot(W, 0);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 0, 0, 0x10, now), WT_HOLD);
	CU_ASSERT_EQUAL(wt_cost_credit(W, now), (int64_t)MS);
	/* 1 ms later T2 reads: 2 ms come back; the credit (3 ms, plus 10
	 * us earned) covers the new hold */
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 0, 0, 0x20, now + MS), WT_PASS);
	CU_ASSERT_EQUAL(wt_cost_credit(W, now + MS), (int64_t)(10000));
	/* 1 ms later T1 reads: 2 ms of T2's hold come back, 2.02 ms are
	 * not enough for T1's: T2 just goes on */
	wt_hold_end_thread(W, 0, win->tag, 1);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 0, 0, 0x10, now + 2 * MS), WT_CUT);
	CU_ASSERT_EQUAL(win->cut_thread, 2);
	CU_ASSERT(!win->held);
	CU_ASSERT_EQUAL(wt_cost_credit(W, now + 2 * MS), (int64_t)(2020000));
	SANE();
}

/* the hold back-off: a candidate whose holds no other thread met holds in
 * every 2^barren-th window only (at most WT_BARREN_MAX); one met hold
 * resets it */
static void test_hold_backoff(void)
{
	struct wt_budget b = budget();
	struct wt_stats st;
	int win_no, held = 0, k;

	b.hits_per_window = 64;
	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	/* 40 windows, T1 alone: held in windows 1, 2, 4, 8, 16, 32 (the
	 * wait doubles up to WT_BARREN_MAX, then every 16th) */
	for (win_no = 1; win_no <= 40; win_no++) {
		enum wt_action a;
		wt_arm(W, 0, 8, (uint64_t)win_no * MS, NULL);
		a = hit(0, 1, 0, 0x1000, 4, 1, 0, 0x10, (uint64_t)win_no * MS);
		if (a == WT_HOLD) {
			held++;
			wt_hold_end(W, 0, wt_slot(W, 0)->tag);
		}
		CU_ASSERT_EQUAL(a, (win_no == 1 || win_no == 2 || win_no == 4 || win_no == 8 ||
		                    win_no == 16 || win_no == 32) ? WT_HOLD : WT_IGNORE);
		wt_disarm(W, 0, (uint64_t)win_no * MS);
	}
	wt_stats(W, &st);
	CU_ASSERT_EQUAL(held, 6);
	CU_ASSERT_EQUAL(st.hold_skips, 34);
	/* window 48 holds; T2 meets the hold: every window holds again */
	for (k = 41; k <= 48; k++) {
		wt_arm(W, 0, 8, (uint64_t)k * MS, NULL);
		if (k < 48)
			wt_disarm(W, 0, (uint64_t)k * MS);
	}
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 1, 0, 0x10, 48 * MS), WT_HOLD);
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 0, 0, 0x20, 48 * MS), WT_IGNORE); /* the race */
	CU_ASSERT_EQUAL(R.n, 1);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	wt_disarm(W, 0, 48 * MS);
	wt_arm(W, 0, 8, 49 * MS, NULL); /* window 49: odd */
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 1, 0, 0x10, 49 * MS), WT_HOLD);
	SANE();
}

/* the read-only hold rule: after its first window, a candidate no write
 * hit holds no read (only another thread's write could meet it); a plain
 * write is held, and from then on reads are again */
static void test_read_only_no_hold(void)
{
	struct wt_budget b = budget();
	struct wt_stats st;

	b.hits_per_window = 64;
	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	/* window 1: a read is held (nothing is known yet) */
	wt_arm(W, 0, 8, 1 * MS, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 0, 0, 0x10, 1 * MS), WT_HOLD);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	wt_disarm(W, 0, 1 * MS);
	/* window 2 (even: not skipped by the hold back-off): reads only so
	 * far, none held, by any thread */
	wt_arm(W, 0, 8, 2 * MS, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 0, 0, 0x10, 2 * MS), WT_IGNORE);
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 0, 0, 0x20, 2 * MS), WT_IGNORE);
	wt_stats(W, &st);
	CU_ASSERT_EQUAL(st.holds, 1);
	/* T2 writes: held, and T3's read meanwhile is the race (a met hold) */
	CU_ASSERT_EQUAL(hit(0, 2, 0, 0x1000, 4, 1, 0, 0x28, 2 * MS), WT_HOLD);
	CU_ASSERT_EQUAL(hit(0, 3, 0, 0x1000, 4, 0, 0, 0x30, 2 * MS), WT_IGNORE);
	CU_ASSERT_EQUAL(R.n, 1);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	wt_disarm(W, 0, 2 * MS);
	/* window 3: written once, so a read is held again */
	wt_arm(W, 0, 8, 3 * MS, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 0, 0, 0x10, 3 * MS), WT_HOLD);
	SANE();
}

/* the rule counts the first window of each word: a block's second word
 * holds a read in its own first window, and only after the rotation came
 * round does a read-only block hold none */
static void test_read_only_each_word_first(void)
{
	struct wt_budget b = budget();

	b.hits_per_window = 64;
	fresh(&b, 0);
	wt_cand_add(W, WT_HEAP, 0x2000, 16, 1);
	wt_arm(W, 0, 8, 1 * MS, NULL); /* 0x2000: no access */
	CU_ASSERT_EQUAL(wt_slot(W, 0)->addr, 0x2000);
	wt_disarm(W, 0, 1 * MS);
	wt_arm(W, 0, 8, 2 * MS, NULL); /* 0x2008: its first window */
	CU_ASSERT_EQUAL(wt_slot(W, 0)->addr, 0x2008);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x2008, 4, 0, 0, 0x10, 2 * MS), WT_HOLD);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	wt_disarm(W, 0, 2 * MS);
	/* round again: read-only so far, no hold (window 4: even, the hold
	 * back-off of the barren hold above does not skip it) */
	wt_arm(W, 0, 8, 3 * MS, NULL);
	CU_ASSERT_EQUAL(wt_slot(W, 0)->addr, 0x2000);
	wt_disarm(W, 0, 3 * MS);
	wt_arm(W, 0, 8, 4 * MS, NULL);
	CU_ASSERT_EQUAL(wt_slot(W, 0)->addr, 0x2008);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x2008, 4, 0, 0, 0x10, 4 * MS), WT_IGNORE);
	SANE();
}

/* a block handed to a new thread is picked among the shared candidates:
 * first, before the plain rotation reaches it */
static void test_handed_block_is_shared(void)
{
	struct wt_budget b = budget();
	struct wt_window win;
	int c;

	fresh(&b, 0);
	wt_cand_add(W, WT_HEAP, 0x10000, 64, 1);
	wt_cand_add(W, WT_HEAP, 0x20000, 64, 2);
	c = wt_cand_add(W, WT_HEAP, 0x30000, 64, 3);
	CU_ASSERT_EQUAL(wt_cand_threads(W, c), 0);
	wt_cand_handed(W, c, 1, 2);
	CU_ASSERT_EQUAL(wt_cand_threads(W, c), 2);
	wt_cand_handed(W, 99, 1, 2); /* no such candidate: nothing */
	CU_ASSERT_EQUAL(wt_arm(W, 0, 4096 + 1, 0, &win), 0);
	CU_ASSERT_EQUAL(win.cand, c);
	CU_ASSERT_EQUAL(wt_arm(W, 1, 4096 + 1, 0, &win), 0);
	CU_ASSERT_EQUAL(win.cand, 0); /* then the plain rotation */
	SANE();
}

/* the race_stats summary: candidates by class, windowed, their windows,
 * the shared ones */
static void test_cand_summary(void)
{
	struct wt_budget b = budget();
	struct wt_cand_class k[WT_CLS_N];
	struct wt_window win;
	int word, heap;

	fresh(&b, 0);
	word = wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_cand_add(W, WT_GLOBAL, 0x2000, 64, 2);
	heap = wt_cand_add(W, WT_HEAP, 0x30000, 64, 3);
	wt_cand_handed(W, heap, 1, 2);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, 0, &win), 0); /* the shared heap block */
	CU_ASSERT_EQUAL(wt_arm(W, 1, 8, 0, &win), 0); /* the word */
	CU_ASSERT_EQUAL(win.cand, word);
	wt_cand_summary(W, k);
	CU_ASSERT_EQUAL(k[WT_CLS_WORD].cands, 1);
	CU_ASSERT_EQUAL(k[WT_CLS_WORD].windowed, 1);
	CU_ASSERT_EQUAL(k[WT_CLS_WORD].windows, 1);
	CU_ASSERT_EQUAL(k[WT_CLS_WORD].shared, 0);
	CU_ASSERT_EQUAL(k[WT_CLS_WIDE].cands, 1);
	CU_ASSERT_EQUAL(k[WT_CLS_WIDE].windowed, 0);
	CU_ASSERT_EQUAL(k[WT_CLS_HEAP].cands, 1);
	CU_ASSERT_EQUAL(k[WT_CLS_HEAP].windows, 1);
	CU_ASSERT_EQUAL(k[WT_CLS_HEAP].shared, 1);
	CU_ASSERT_EQUAL(k[WT_CLS_HEAP].shared_windows, 1);
	SANE();
}

/* ---- late traps and bytes outside the candidate ---- */

static void test_late_trap_dropped(void)
{
	struct wt_budget b = budget();
	struct wt_hit h;
	struct wt_stats st;
	uint32_t old_tag;

	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_cand_add(W, WT_GLOBAL, 0x2000, 8, 2);
	wt_arm(W, 0, 8, 0, NULL);
	old_tag = wt_slot(W, 0)->tag;
	wt_disarm(W, 0, 1);
	wt_arm(W, 0, 8, 2, NULL);
	CU_ASSERT_EQUAL(wt_slot(W, 0)->addr, 0x2000);
	CU_ASSERT_NOT_EQUAL(wt_slot(W, 0)->tag, old_tag);
	/* a trap raised while the slot watched 0x1000 arrives now */
	memset(&h, 0, sizeof(h));
	h.slot = 0;
	h.tag = old_tag;
	h.thread = 1;
	h.addr = 0x1000;
	h.size = 4;
	h.is_write = 1;
	CU_ASSERT_EQUAL(wt_hit(W, &h, 3), WT_IGNORE);
	/* a free slot, a slot out of range */
	h.slot = 1;
	CU_ASSERT_EQUAL(wt_hit(W, &h, 3), WT_IGNORE);
	h.slot = 99;
	CU_ASSERT_EQUAL(wt_hit(W, &h, 3), WT_IGNORE);
	wt_stats(W, &st);
	CU_ASSERT_EQUAL(st.late, 3);
	CU_ASSERT_EQUAL(st.hits, 0);
	CU_ASSERT_EQUAL(st.holds, 0);
	SANE();
}

static void test_bytes_outside_candidate(void)
{
	struct wt_budget b = budget();

	fresh(&b, 0);
	/* a 4-byte global at 0x1004: the watched word is 0x1000..0x1008 */
	wt_cand_add(W, WT_GLOBAL, 0x1004, 4, 1);
	wt_arm(W, 0, 8, 0, NULL);
	CU_ASSERT_EQUAL(wt_slot(W, 0)->addr, 0x1000);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 4, 1, 0, 0x10, 1), WT_IGNORE); /* the neighbour */
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1004, 4, 1, 0, 0x10, 1), WT_HOLD);
}

/* ---- inferred verdict (the engine) ---- */

/* the engine's limits keep their meaning: detached thread churn past
 * RC_MAX_THREADS reuses slots inexactly, which is no lack of memory */
static void test_engine_reuse_limit_named(void)
{
	struct wt_budget b = budget();
	struct rc_engine *e;
	rc_tid m, t;

	fresh(&b, 1);
	e = wt_engine(W);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	m = rc_thread_new(e, 0);
	for (int i = 0; i < RC_MAX_THREADS + 100; i++) {
		t = rc_thread_new(e, m);
		CU_ASSERT_FATAL(t != 0);
		rc_thread_detach(e, t);
		rc_thread_exit(e, t);
	}
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_REUSE], 1);
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_MEMORY], 0);
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_THREADS], 0);
}

static void test_inferred_unordered(void)
{
	struct wt_budget b = budget();
	struct rc_engine *e;
	rc_tid t1, t2;

	fresh(&b, 1);
	e = wt_engine(W);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	t1 = rc_thread_new(e, 0);
	t2 = rc_thread_new(e, t1);
	wt_cand_add(W, WT_HEAP, 0x10000, 64, 3);
	wt_arm(W, 0, 4096 + 1, 0, NULL); /* not a power of two: the whole block */
	CU_ASSERT_EQUAL(wt_slot(W, 0)->len, 64);
	CU_ASSERT_EQUAL(hit(0, 1, t1, 0x10008, 8, 1, 0, 0x111, 1), WT_HOLD);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	/* T2 writes later, nothing orders the two: inferred */
	hit(0, 2, t2, 0x10008, 8, 1, 0, 0x222, 5 * MS);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].how, WT_BY_INFERRED);
	CU_ASSERT_EQUAL(R.r[0].kind, WT_HEAP);
	CU_ASSERT_EQUAL(R.r[0].base, 0x10000);
	CU_ASSERT_EQUAL(R.r[0].var_size, 64);
	CU_ASSERT_EQUAL(R.r[0].first.thread, 1);
	CU_ASSERT_EQUAL(R.r[0].first.pc, 0x111);
	CU_ASSERT_EQUAL(R.r[0].second.thread, 2);
	CU_ASSERT_EQUAL(R.r[0].second.pc, 0x222);
	SANE();
}

/* WT_HOLD_BLOCKS (write-protect: every write faulting while a hold runs
 * waits with it): two threads waiting at the same bytes, other than the
 * held first write's, are observed at once (the co-held verdict), the
 * first waiting one as the first side; a core without the flag keeps
 * them apart; one thread twice, an atomic write, or waits in another hold
 * give none; the verdict is once per hold and the hold is not barren */
static void test_co_held(void)
{
	struct wt_budget b = budget();
	struct wt_stats st;
	int flags;

	for (flags = 0; flags <= WT_HOLD_BLOCKS; flags += WT_HOLD_BLOCKS) {
		struct rc_alloc a = { t_alloc, NULL };
		struct wt_hooks h = { on_race, on_limit, NULL };
		struct wt_core *owner = fresh(&b, 1);

		W = wt_create_sharing(&b, &a, &h, owner, (unsigned)flags);
		CU_ASSERT_PTR_NOT_NULL_FATAL(W);
		wt_cand_add(W, WT_GLOBAL, 0x4000, 4096, 3); /* a page of globals */
		wt_arm(W, 0, 4096 + 1, 0, NULL);
		/* T1 held at its own slot (0x40c0); T2 at the counter (0x40a0)
		 * waits; T2 again, T4 atomically: no verdict; T3 at the counter:
		 * the co-held verdict (flag set) */
		CU_ASSERT_EQUAL(hit(0, 1, 0, 0x40c0, 8, 1, 0, 0x111, 1 * MS), WT_HOLD);
		CU_ASSERT_EQUAL(hit(0, 2, 0, 0x40a0, 8, 1, 0, 0x222, 1 * MS), WT_IGNORE);
		CU_ASSERT_EQUAL(hit(0, 2, 0, 0x40a0, 8, 1, 0, 0x222, 1 * MS), WT_IGNORE);
		CU_ASSERT_EQUAL(hit(0, 4, 0, 0x40a0, 8, 1, 1, 0x444, 1 * MS), WT_IGNORE);
		CU_ASSERT_EQUAL(R.n, 0);
		CU_ASSERT_EQUAL(hit(0, 3, 0, 0x40a4, 4, 1, 0, 0x333, 1 * MS), WT_IGNORE);
		CU_ASSERT_EQUAL(hit(0, 5, 0, 0x40a0, 8, 1, 0, 0x555, 1 * MS), WT_IGNORE); /* once */
		wt_stats(W, &st);
		if (!flags) {
			CU_ASSERT_EQUAL(R.n, 0);
			CU_ASSERT_EQUAL(st.co_held, 0);
		} else {
			CU_ASSERT_EQUAL_FATAL(R.n, 1);
			CU_ASSERT_EQUAL(R.r[0].how, WT_BY_OBSERVED);
			CU_ASSERT_EQUAL(R.r[0].first.thread, 2);
			CU_ASSERT_EQUAL(R.r[0].first.pc, 0x222);
			CU_ASSERT_EQUAL(R.r[0].second.thread, 3);
			CU_ASSERT_EQUAL(R.r[0].second.addr, 0x40a4);
			CU_ASSERT_EQUAL(st.observed, 1);
			CU_ASSERT_EQUAL(st.co_held, 1);
		}
		wt_hold_end(W, 0, wt_slot(W, 0)->tag);
		SANE();
		/* the waits end with the hold: T6 waits in this one (T9 meets
		 * the held write: observed, the hold is not barren), T7 in the
		 * next */
		wt_disarm(W, 0, 2 * MS);
		wt_arm(W, 0, 4096 + 1, 3 * MS, NULL);
		CU_ASSERT_EQUAL(hit(0, 1, 0, 0x40c0, 8, 1, 0, 0x111, 3 * MS), WT_HOLD);
		CU_ASSERT_EQUAL(hit(0, 6, 0, 0x40a0, 8, 1, 0, 0x666, 3 * MS), WT_IGNORE);
		hit(0, 9, 0, 0x40c0, 8, 1, 0, 0x999, 3 * MS);
		wt_hold_end(W, 0, wt_slot(W, 0)->tag);
		R.n = 0;
		wt_disarm(W, 0, 4 * MS);
		wt_arm(W, 0, 4096 + 1, 5 * MS, NULL);
		CU_ASSERT_EQUAL(hit(0, 8, 0, 0x4100, 8, 1, 0, 0x888, 5 * MS), WT_HOLD);
		CU_ASSERT_EQUAL(hit(0, 7, 0, 0x40a0, 8, 1, 0, 0x777, 5 * MS), WT_IGNORE);
		CU_ASSERT_EQUAL(R.n, 0);
		SANE();
		reset_mem();
	}
}

/* WT_HOLD_BLOCKS: a hold that gave no verdict leaves the window free to
 * hold the next write, up to WT_BLOCK_HOLDS holds a window (a core
 * without the flag holds a write once; T2 waits in each); and a hold in which another
 * thread's write waited, at other bytes, is not barren (its candidate's
 * next window holds again at once) */
static void test_block_holds_again(void)
{
	struct wt_budget b = budget();
	int flags, k, held;

	for (flags = 0; flags <= WT_HOLD_BLOCKS; flags += WT_HOLD_BLOCKS) {
		struct rc_alloc a = { t_alloc, NULL };
		struct wt_hooks h = { on_race, on_limit, NULL };
		struct wt_core *owner = fresh(&b, 1);

		b.hits_per_window = 64;
		W = wt_create_sharing(&b, &a, &h, owner, (unsigned)flags);
		CU_ASSERT_PTR_NOT_NULL_FATAL(W);
		wt_cand_add(W, WT_GLOBAL, 0x4000, 4096, 3);
		wt_arm(W, 0, 4096 + 1, 0, NULL);
		for (k = 0, held = 0; k < 2 * WT_BLOCK_HOLDS; k++)
			if (hit(0, 1, 0, 0x40c0, 8, 1, 0, 0x111, (uint64_t)k * MS) == WT_HOLD) {
				held++;
				hit(0, 2, 0, 0x40a0, 8, 1, 0, 0x222, (uint64_t)k * MS); /* waits */
				wt_hold_end(W, 0, wt_slot(W, 0)->tag);
			}
		CU_ASSERT_EQUAL(held, flags ? WT_BLOCK_HOLDS : 1);
		reset_mem();
		/* T2 waits in T1's hold, at other bytes: the hold met it with
		 * the flag, and window 3 (odd) holds; without it the hold was
		 * barren, and window 3 is skipped (window 2 had no access) */
		owner = fresh(&b, 1);
		W = wt_create_sharing(&b, &a, &h, owner, (unsigned)flags);
		CU_ASSERT_PTR_NOT_NULL_FATAL(W);
		wt_cand_add(W, WT_GLOBAL, 0x4000, 4096, 3);
		wt_arm(W, 0, 4096 + 1, 0, NULL);
		CU_ASSERT_EQUAL(hit(0, 1, 0, 0x40c0, 8, 1, 0, 0x111, 1 * MS), WT_HOLD);
		hit(0, 2, 0, 0x40a0, 8, 1, 0, 0x222, 1 * MS);
		wt_hold_end(W, 0, wt_slot(W, 0)->tag);
		wt_disarm(W, 0, 20 * MS);
		wt_arm(W, 0, 4096 + 1, 21 * MS, NULL);
		wt_disarm(W, 0, 40 * MS);
		wt_arm(W, 0, 4096 + 1, 41 * MS, NULL);
		CU_ASSERT_EQUAL(hit(0, 1, 0, 0x40c0, 8, 1, 0, 0x111, 41 * MS),
		                flags ? WT_HOLD : WT_IGNORE);
		SANE();
		reset_mem();
		b = budget();
	}
}

/* A core sharing another's engine (the write-protect half's), with
 * WT_INFER_WRITES: two plain writes of different threads that nothing
 * orders are a race with no lock held; a read on one side, an atomic
 * instruction on the candidate ever, or a lock hand-off between them,
 * and there is none.  The owner keeps the lock rule.  A race between a
 * hit of the owner and a later one of the sharing core is found, with the
 * earlier side from the owner's ring. */
static void test_sharing_core_infers_writes(void)
{
	struct wt_budget b = budget();
	struct rc_alloc a = { t_alloc, NULL };
	struct wt_hooks h = { on_race, on_limit, NULL };
	struct wt_core *owner, *S;
	struct rc_engine *e;
	rc_tid t1, t2;
	uintptr_t m = 0x9000;

	owner = fresh(&b, 1);
	e = wt_engine(owner);
	S = wt_create_sharing(&b, &a, &h, owner, WT_INFER_WRITES);
	CU_ASSERT_PTR_NOT_NULL_FATAL(S);
	CU_ASSERT_PTR_NULL(wt_create_sharing(&b, &a, &h, owner, 0)); /* one per owner */
	t1 = rc_thread_new(e, 0);
	t2 = rc_thread_new(e, t1);
	hits_locked = 0;

	/* unlocked write/write in the sharing core: inferred */
	W = S;
	wt_cand_add(S, WT_HEAP, 0x10000, 64, 3);
	wt_arm(S, 0, 4096 + 1, 0, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, t1, 0x10008, 8, 1, 0, 0x111, 1), WT_HOLD);
	wt_hold_end(S, 0, wt_slot(S, 0)->tag);
	hit(0, 2, t2, 0x10008, 8, 1, 0, 0x222, 2 * MS);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].how, WT_BY_INFERRED);
	CU_ASSERT_EQUAL(R.r[0].first.pc, 0x111);
	CU_ASSERT_EQUAL(R.r[0].second.pc, 0x222);
	/* a read on one side: none */
	hit(0, 1, t1, 0x10010, 8, 1, 0, 0x333, 3 * MS);
	hit(0, 2, t2, 0x10010, 8, 0, 0, 0x444, 3 * MS);
	CU_ASSERT_EQUAL(R.n, 1);
	/* ordered by a lock hand-off: none */
	rc_release(e, t1, m);
	rc_acquire(e, t2, m);
	hit(0, 2, t2, 0x10010, 8, 1, 0, 0x444, 4 * MS);
	CU_ASSERT_EQUAL(R.n, 1);
	SANE();

	/* an atomic instruction on a candidate: a synchronization object, its
	 * plain writes are no inferred pair (a spin lock's plain unlock) */
	wt_cand_add(S, WT_HEAP, 0x20000, 64, 4);
	wt_arm(S, 1, 4096 + 1, 5 * MS, NULL);
	CU_ASSERT_EQUAL(wt_slot(S, 1)->addr, 0x20000);
	hit(1, 1, t1, 0x20000, 4, 1, 1, 0x555, 5 * MS); /* xchg */
	hit(1, 1, t1, 0x20000, 4, 1, 0, 0x556, 5 * MS); /* the unlock: held */
	wt_hold_end(S, 1, wt_slot(S, 1)->tag);
	hit(1, 2, t2, 0x20000, 4, 1, 0, 0x556, 6 * MS);
	CU_ASSERT_EQUAL(R.n, 1);

	/* the owner keeps the lock rule: unlocked writes, no race */
	W = owner;
	wt_cand_add(owner, WT_GLOBAL, 0x30000, 8, 5);
	wt_arm(owner, 0, 8, 7 * MS, NULL);
	CU_ASSERT_EQUAL(wt_slot(owner, 0)->addr, 0x30000);
	hit(0, 1, t1, 0x30000, 8, 1, 0, 0x666, 7 * MS);
	wt_hold_end(owner, 0, wt_slot(owner, 0)->tag);
	hit(0, 2, t2, 0x30000, 8, 1, 0, 0x777, 8 * MS);
	CU_ASSERT_EQUAL(R.n, 1);

	/* across the cores: T1's locked write seen by the owner, then T2's
	 * unordered write of the same bytes seen by the sharing core */
	hits_locked = 1;
	wt_cand_add(owner, WT_GLOBAL, 0x40000, 8, 7);
	wt_arm(owner, 1, 8, 9 * MS, NULL);
	CU_ASSERT_EQUAL(wt_slot(owner, 1)->addr, 0x40000);
	hit(1, 1, t1, 0x40000, 8, 1, 0, 0x888, 9 * MS);
	W = S;
	wt_cand_add(S, WT_GLOBAL, 0x40000, 4096, 6);
	wt_arm(S, 2, 4096 + 1, 9 * MS, NULL);
	CU_ASSERT_EQUAL(wt_slot(S, 2)->addr, 0x40000);
	hits_locked = 0;
	hit(2, 2, t2, 0x40000, 8, 0, 0, 0x999, 10 * MS); /* a read: the owner's lock rule */
	CU_ASSERT_EQUAL_FATAL(R.n, 2);
	CU_ASSERT_EQUAL(R.r[1].first.pc, 0x888);
	CU_ASSERT_EQUAL(R.r[1].first.thread, 1);
	CU_ASSERT(R.r[1].first.is_write);
	CU_ASSERT_EQUAL(R.r[1].second.pc, 0x999);
	CU_ASSERT_EQUAL(R.r[1].name, 6);
	hits_locked = 1;
	SANE();
	W = owner;
	SANE();
}

/* a window ending on a word that holds a lock forgets the accesses there,
 * not the lock's clock: the next thread to take the lock is ordered after
 * the last one */
static void test_window_end_keeps_sync_clocks(void)
{
	struct wt_budget b = budget();
	struct rc_engine *e;
	rc_tid t1, t2;
	uintptr_t m = 0x9000;

	fresh(&b, 1);
	e = wt_engine(W);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	t1 = rc_thread_new(e, 0);
	t2 = rc_thread_new(e, t1);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1); /* the data */
	wt_cand_add(W, WT_GLOBAL, m, 40, 2);     /* the mutex, a global too */
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, 0, NULL), 0);
	CU_ASSERT_EQUAL(wt_arm(W, 1, 8, 0, NULL), 0);
	CU_ASSERT_EQUAL(wt_slot(W, 1)->addr, m);
	rc_acquire(e, t1, m);
	hit(0, 1, t1, 0x1000, 8, 1, 0, 0x111, 1 * MS);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	rc_release(e, t1, m);
	wt_disarm(W, 1, 2 * MS); /* the mutex's window ends */
	rc_acquire(e, t2, m);
	hit(0, 2, t2, 0x1000, 8, 1, 0, 0x222, 3 * MS);
	CU_ASSERT_EQUAL(R.n, 0);
	SANE();
}

/* unordered accesses under no lock on either side are no inferred race
 * (atomics or other synchronization the shim does not see may order
 * them); one side under a lock is */
static void test_inferred_needs_a_lock(void)
{
	struct wt_budget b = budget();
	struct rc_engine *e;
	rc_tid t1, t2;

	fresh(&b, 1);
	e = wt_engine(W);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	t1 = rc_thread_new(e, 0);
	t2 = rc_thread_new(e, t1);
	wt_cand_add(W, WT_HEAP, 0x10000, 64, 3);
	wt_arm(W, 0, 4096 + 1, 0, NULL);
	hits_locked = 0;
	CU_ASSERT_EQUAL(hit(0, 1, t1, 0x10008, 8, 1, 0, 0x111, 1), WT_HOLD);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	hit(0, 2, t2, 0x10008, 8, 0, 0, 0x222, 5 * MS);
	CU_ASSERT_EQUAL(R.n, 0);
	/* T2 again, now under a lock: T1's write is unordered with it */
	hits_locked = 1;
	hit(0, 2, t2, 0x10008, 8, 1, 0, 0x333, 6 * MS);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].how, WT_BY_INFERRED);
	CU_ASSERT_EQUAL(R.r[0].first.locked, 0);
	CU_ASSERT_EQUAL(R.r[0].second.locked, 1);
	CU_ASSERT_EQUAL(R.r[0].second.pc, 0x333);
	SANE();
}

static void test_inferred_ordered_by_lock(void)
{
	struct wt_budget b = budget();
	struct rc_engine *e;
	rc_tid t1, t2;
	uintptr_t m = 0x9000;

	fresh(&b, 1);
	e = wt_engine(W);
	t1 = rc_thread_new(e, 0);
	t2 = rc_thread_new(e, t1);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_arm(W, 0, 8, 0, NULL);
	/* T1: lock m, write, unlock; T2: lock m, write, unlock */
	rc_acquire(e, t1, m);
	hit(0, 1, t1, 0x1000, 8, 1, 0, 0x10, 1);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	rc_release(e, t1, m);
	rc_acquire(e, t2, m);
	hit(0, 2, t2, 0x1000, 8, 1, 0, 0x20, 2);
	rc_release(e, t2, m);
	CU_ASSERT_EQUAL(R.n, 0);
	/* a third thread writing without the lock races with T2 */
	{
		rc_tid t3 = rc_thread_new(e, 0);
		hit(0, 3, t3, 0x1000, 8, 1, 0, 0x30, 3);
	}
	/* against T2's write (which T1's write happens before: the engine
	 * keeps the last write only) */
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].how, WT_BY_INFERRED);
	CU_ASSERT_EQUAL(R.r[0].first.thread, 2);
	CU_ASSERT_EQUAL(R.r[0].second.thread, 3);
}

/* Synchronization the engine did not see (between windows) must not
 * make a race up: the shadow of a window is dropped at its end. */
static void test_window_forgets(void)
{
	struct wt_budget b = budget();
	struct rc_engine *e;
	rc_tid t1, t2;

	fresh(&b, 1);
	e = wt_engine(W);
	t1 = rc_thread_new(e, 0);
	t2 = rc_thread_new(e, t1);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_arm(W, 0, 8, 0, NULL);
	hit(0, 1, t1, 0x1000, 8, 1, 0, 0x10, 1);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	wt_disarm(W, 0, 2);
	CU_ASSERT(!wt_armed(wt_armed_count(W)));
	/* (T1 unlocks, T2 locks: unseen, no window armed) */
	wt_arm(W, 0, 8, 3, NULL);
	hit(0, 2, t2, 0x1000, 8, 1, 0, 0x20, 4);
	CU_ASSERT_EQUAL(R.n, 0);
}

/* A lock acquired before a window and seen by the engine in an earlier
 * window must not order a later window's accesses: each hit starts a
 * fresh epoch of its thread. */
static void test_stale_sync_does_not_hide(void)
{
	struct wt_budget b = budget();
	struct rc_engine *e;
	rc_tid t1, t2;
	uintptr_t m = 0x9000;

	fresh(&b, 1);
	e = wt_engine(W);
	t1 = rc_thread_new(e, 0);
	t2 = rc_thread_new(e, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	/* an earlier window saw T1 release m and T2 acquire it */
	wt_arm(W, 0, 8, 0, NULL);
	rc_release(e, t1, m);
	wt_disarm(W, 0, 1);
	/* the gap: T2's acquire of m unseen; now T1 writes, T2 acquires m
	 * again (its stale clock holds T1's old epoch) and writes */
	wt_arm(W, 0, 8, 2, NULL);
	hit(0, 1, t1, 0x1000, 8, 1, 0, 0x10, 3);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	rc_acquire(e, t2, m);
	hit(0, 2, t2, 0x1000, 8, 1, 0, 0x20, 4);
	CU_ASSERT_EQUAL(R.n, 1);
}

static void test_inferred_atomic_never_a_side(void)
{
	struct wt_budget b = budget();
	struct rc_engine *e;
	rc_tid t1, t2;

	fresh(&b, 1);
	e = wt_engine(W);
	t1 = rc_thread_new(e, 0);
	t2 = rc_thread_new(e, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_arm(W, 0, 8, 0, NULL);
	hit(0, 1, t1, 0x1000, 8, 1, 1, 0x10, 1); /* lock xadd */
	hit(0, 2, t2, 0x1000, 8, 0, 0, 0x20, 2); /* plain load */
	hit(0, 1, t1, 0x1000, 8, 1, 1, 0x10, 3);
	CU_ASSERT_EQUAL(R.n, 0);
}

/* an observed race is not reported a second time by the engine */
static void test_observed_not_also_inferred(void)
{
	struct wt_budget b = budget();
	struct rc_engine *e;
	rc_tid t1, t2;

	fresh(&b, 1);
	e = wt_engine(W);
	t1 = rc_thread_new(e, 0);
	t2 = rc_thread_new(e, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_arm(W, 0, 8, 0, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, t1, 0x1000, 8, 1, 0, 0x10, 1), WT_HOLD);
	hit(0, 2, t2, 0x1000, 8, 1, 0, 0x20, 2);
	CU_ASSERT_EQUAL_FATAL(R.n, 1);
	CU_ASSERT_EQUAL(R.r[0].how, WT_BY_OBSERVED);
}

/* ---- budgets ---- */

static void test_hot_address_backs_off(void)
{
	struct wt_budget b = budget();
	struct wt_stats st;
	int i, c;
	uint64_t now = 0;
	enum wt_action a = WT_IGNORE;

	fresh(&b, 0);
	c = wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_arm(W, 0, 8, now, NULL);
	for (i = 0; i < 100 && a != WT_DISARM; i++) {
		a = hit(0, 1, 0, 0x1000, 8, 1, 0, 0x10, ++now);
		if (a == WT_HOLD)
			wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	}
	CU_ASSERT_EQUAL(a, WT_DISARM);
	CU_ASSERT_EQUAL(i, (int)b.hits_per_window);
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_HOT], 1);
	wt_disarm(W, 0, now);
	/* backs off two windows' time (one hot window: 2^1) */
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + 1, NULL), -1);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + 2 * b.window_ns - 1, NULL), -1);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + 2 * b.window_ns, NULL), 0);
	CU_ASSERT_EQUAL(wt_slot(W, 0)->cand, c);
	/* hot again: four windows */
	now += 2 * b.window_ns;
	for (i = 0, a = WT_IGNORE; i < 100 && a != WT_DISARM; i++)
		a = hit(0, 1, 0, 0x1000, 8, 1, 0, 0x10, ++now);
	wt_disarm(W, 0, now);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + 4 * b.window_ns - 1, NULL), -1);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + 4 * b.window_ns, NULL), 0);
	wt_stats(W, &st);
	CU_ASSERT_EQUAL(st.hot, 2);
	SANE();
}

/* an 8-byte candidate watched 4 bytes at a time is one word: a hot
 * window backs it off whole (its other half is as hot); a bigger one
 * moves on to its next word at once */
static void test_hot_word_backs_off_whole(void)
{
	struct wt_budget b = budget();
	int i, small, big;
	uint64_t now = 0;

	fresh(&b, 0);
	small = wt_cand_add(W, WT_GLOBAL, 0x1000, WT_WORD_MAX, 1);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 4, now, NULL), 0);
	CU_ASSERT_EQUAL(wt_slot(W, 0)->cand, small);
	for (i = 0; i < (int)b.hits_per_window; i++)
		hit(0, 1, 0, 0x1000, 8, 1, 1, 0x10, ++now);
	wt_disarm(W, 0, now);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 4, now + 1, NULL), -1);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 4, now + 2 * b.window_ns, NULL), 0);
	SANE();

	fresh(&b, 0);
	big = wt_cand_add(W, WT_GLOBAL, 0x2000, 64, 2);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 4, now, NULL), 0);
	CU_ASSERT_EQUAL(wt_slot(W, 0)->cand, big);
	for (i = 0; i < (int)b.hits_per_window; i++)
		hit(0, 1, 0, 0x2000, 4, 1, 1, 0x10, ++now);
	wt_disarm(W, 0, now);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 4, now + 1, NULL), 0);
	CU_ASSERT_EQUAL(wt_slot(W, 0)->addr, 0x2004);
	SANE();
}

/* hot in window after window, arming as soon as allowed: the wait
 * before the candidate's last arm (in windows) */
static uint64_t hot_rounds(struct wt_budget *b, int rounds, int two_threads, uint64_t *now)
{
	uint64_t armed_at = 0, prev = 0;
	int round, i;

	for (round = 0; round < rounds; round++) {
		while (wt_arm(W, 0, 8, *now, NULL) < 0)
			*now += b->window_ns;
		prev = armed_at;
		armed_at = *now;
		for (i = 0; i < (int)b->hits_per_window; i++)
			hit(0, two_threads && (i & 1) ? 2 : 1, 0, 0x1000, 8, 1, 1, 0x10, *now);
		wt_disarm(W, 0, *now);
	}
	return (armed_at - prev) / b->window_ns;
}

/* a hot candidate that two threads touch, whose holds are not barren and
 * that no verdict named, waits at most 2^WT_BACKOFF_SHARED windows; one
 * thread's waits on to 2^WT_BACKOFF_MAX; a verdict ends the lighter cap */
static void test_shared_backoff_capped(void)
{
	struct wt_budget b = budget();
	uint64_t now = 0;

	b.hits_per_window = 16;
	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	CU_ASSERT_EQUAL(hot_rounds(&b, 12, 1, &now), 1u << WT_BACKOFF_SHARED);
	/* a verdict on it (a held write met by T2's read): the full back-off */
	while (wt_arm(W, 0, 8, now, NULL) < 0)
		now += b.window_ns;
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 8, 1, 0, 0x10, now), WT_HOLD);
	hit(0, 2, 0, 0x1000, 8, 0, 0, 0x20, now);
	CU_ASSERT_EQUAL(R.n, 1);
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	wt_disarm(W, 0, now);
	CU_ASSERT(hot_rounds(&b, 12, 1, &now) > (1u << WT_BACKOFF_SHARED));
	SANE();

	fresh(&b, 0);
	now = 0;
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	CU_ASSERT(hot_rounds(&b, 12, 0, &now) > (1u << WT_BACKOFF_SHARED));
	SANE();
}

static void test_backoff_bounded_and_decays(void)
{
	struct wt_budget b = budget();
	int round, i;
	uint64_t now = 0;

	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	for (round = 0; round < 20; round++) {
		/* arm as soon as allowed */
		while (wt_arm(W, 0, 8, now, NULL) < 0)
			now += b.window_ns;
		for (i = 0; i < (int)b.hits_per_window; i++)
			hit(0, 1, 0, 0x1000, 8, 1, 1, 0x10, now);
		wt_disarm(W, 0, now);
		SANE();
	}
	/* never waits more than 2^WT_BACKOFF_MAX windows */
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + (b.window_ns << WT_BACKOFF_MAX), NULL), 0);
	/* quiet windows bring it back */
	for (round = 0; round < WT_BACKOFF_MAX; round++) {
		now += b.window_ns << WT_BACKOFF_MAX;
		wt_disarm(W, 0, now);
		while (wt_arm(W, 0, 8, now, NULL) < 0)
			now += b.window_ns;
	}
	wt_disarm(W, 0, now);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now, NULL), 0);
}

static void test_hits_per_second(void)
{
	struct wt_budget b = budget();
	uint64_t now = 5 * MS;
	int i, n_disarm = 0, slot;

	b.hits_per_sec = 10;
	b.hits_per_window = 1000;
	fresh(&b, 0);
	for (i = 0; i < WT_SLOTS; i++)
		wt_cand_add(W, WT_GLOBAL, 0x1000 + (uintptr_t)i * 8, 8, (uint32_t)i);
	for (slot = 0; slot < WT_SLOTS; slot++)
		CU_ASSERT_EQUAL(wt_arm(W, slot, 8, now, NULL), 0);
	for (i = 0; i < 40; i++) {
		slot = i % WT_SLOTS;
		if (wt_slot(W, slot)->cand < 0)
			continue;
		if (hit(slot, 1 + (uint32_t)(i % 3), 0, wt_slot(W, slot)->addr, 8, 1, 1, 0x10, now) ==
		    WT_DISARM) {
			wt_disarm(W, slot, now);
			n_disarm++;
		}
	}
	CU_ASSERT_EQUAL(n_disarm, WT_SLOTS);
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_HITS_SEC], 1);
	/* nothing armed again within the second, then fine */
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + 500 * MS, NULL), -1);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + 1000 * MS, NULL), 0);
	SANE();
}

/* the cost budget: credit = start + permille of the program time since the
 * first call - what was charged; over it nothing is armed */
static void test_cost_budget_arms(void)
{
	struct wt_budget b = budget();
	uint64_t now = 5 * MS;

	b.cost_permille = 10; /* 1% */
	b.cost_start_ns = 2 * MS;
	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	CU_ASSERT_EQUAL(wt_cost_credit(W, now), (int64_t)(2 * MS));
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now, NULL), 0);
	wt_disarm(W, 0, now);
	wt_cost(W, 3 * MS); /* 1 ms in debt */
	CU_ASSERT_EQUAL(wt_cost_credit(W, now), -(int64_t)MS);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now, NULL), -1);
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_COST], 1);
	/* 1% of 50 ms of program time pays 0.5 ms: still in debt */
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + 50 * MS, NULL), -1);
	/* 1% of 200 ms pays 2 ms: 1 ms of credit, armed again */
	CU_ASSERT_EQUAL(wt_cost_credit(W, now + 200 * MS), (int64_t)MS);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + 200 * MS, NULL), 0);
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_COST], 1); /* noted once */
	{
		struct wt_stats st;
		wt_stats(W, &st);
		CU_ASSERT_EQUAL(st.cost_ns, 3 * MS);
		CU_ASSERT_EQUAL(st.cost_cut, 2);
	}
	SANE();
}

/* a window is armed only with credit for two moves of the source (its
 * arm and its end, wt_cost_move's running average), not on the budget's
 * last microseconds to drop its first hit */
static void test_cost_budget_moves(void)
{
	struct wt_budget b = budget();
	uint64_t now = 5 * MS;

	b.cost_permille = 10; /* 1% */
	b.cost_start_ns = 10 * MS;
	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	CU_ASSERT_EQUAL(wt_move_ns(W), 0);
	wt_cost_move(W, 2 * MS);
	CU_ASSERT_EQUAL(wt_move_ns(W), 2 * MS);
	CU_ASSERT_EQUAL(wt_cost_credit(W, now), (int64_t)(8 * MS)); /* charged */
	/* the average follows the last moves: (3 * 2 + 6) / 4 */
	wt_cost_move(W, 6 * MS);
	CU_ASSERT_EQUAL(wt_move_ns(W), 3 * MS);
	CU_ASSERT_EQUAL(wt_cost_credit(W, now), (int64_t)(2 * MS));
	/* 2 ms of credit, two moves of 3 ms: nothing armed */
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now, NULL), -1);
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_COST], 1);
	/* 1% of 400 ms earns 4 ms: 6 ms of credit is just not more than 6 */
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + 400 * MS, NULL), -1);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + 401 * MS, NULL), 0);
	SANE();
}

/* the quiet back-off: a word candidate whose window saw no access waits
 * quiet_ns, doubled per quiet window in a row (at most 2^(WT_QUIET_MAX-1)
 * times), before its next window; one hit ends it; a big candidate's
 * quiet word hands on to the next word without waiting */
static void test_quiet_backoff(void)
{
	struct wt_budget b = budget();
	uint64_t now = 5 * MS, wait = MS;
	const struct wt_window *win;
	int k;

	b.quiet_ns = MS;
	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	for (k = 0; k < WT_QUIET_MAX + 2; k++) {
		CU_ASSERT_EQUAL_FATAL(wt_arm(W, 0, 8, now, NULL), 0);
		wt_disarm(W, 0, now);
		/* not before the wait, then armed */
		CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + wait - 1, NULL), -1);
		now += wait;
		if (k + 1 < WT_QUIET_MAX)
			wait *= 2;
	}
	CU_ASSERT_EQUAL(wait, MS << (WT_QUIET_MAX - 1)); /* capped */
	/* a window with a hit ends it: the next comes at once */
	CU_ASSERT_EQUAL_FATAL(wt_arm(W, 0, 8, now, NULL), 0);
	win = wt_slot(W, 0);
	hit(0, 1, 0, win->addr, 4, 1, 0, 0x10, now);
	wt_disarm(W, 0, now);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now, NULL), 0);
	wt_disarm(W, 0, now); /* quiet again: 1 ms */
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + MS - 1, NULL), -1);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now + MS, NULL), 0);
	wt_disarm(W, 0, now + MS);
	/* a 64-byte candidate watched 8 bytes at a time: its quiet words
	 * hand on at once */
	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x2000, 64, 1);
	for (k = 0; k < 4; k++) {
		CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now, NULL), 0);
		wt_disarm(W, 0, now);
	}
	SANE();
}

/* a hit over budget ends its window; a hold is granted only while the
 * credit covers it, and is charged */
static void test_cost_budget_hits_and_holds(void)
{
	struct wt_budget b = budget();
	uint64_t now = 5 * MS;
	const struct wt_window *win;

	b.cost_permille = 10;
	b.cost_start_ns = 4 * MS;
	b.hold_ns = 3 * MS;
	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_cand_add(W, WT_GLOBAL, 0x2000, 8, 2);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now, NULL), 0);
	win = wt_slot(W, 0);
	CU_ASSERT_EQUAL(hit(0, 1, 0, win->addr, 8, 1, 0, 0x10, now), WT_HOLD);
	CU_ASSERT_EQUAL(wt_cost_credit(W, now), (int64_t)MS); /* the hold was charged */
	wt_hold_end(W, 0, win->tag);
	wt_disarm(W, 0, now);
	/* 1 ms left: the next window is armed, its hold is not granted */
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, now, NULL), 0);
	win = wt_slot(W, 0);
	CU_ASSERT_EQUAL(hit(0, 1, 0, win->addr, 8, 1, 0, 0x10, now), WT_IGNORE);
	CU_ASSERT_EQUAL(win->held, 0);
	/* in debt: the window ends at its next hit */
	wt_cost(W, 2 * MS);
	CU_ASSERT_EQUAL(hit(0, 2, 0, win->addr, 8, 1, 0, 0x10, now), WT_DISARM);
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_COST], 1);
	SANE();
}

/* a new share of the cost budget counts from then on: the credit earned
 * at the old rate stays, the new rate earns from now (the write-protect
 * half with no candidate leaves its part to the hardware half, sampler.c) */
static void test_cost_share_from_now(void)
{
	struct wt_budget b = budget();

	b.cost_permille = 10;
	b.cost_start_ns = 4 * MS;
	fresh(&b, 0);
	CU_ASSERT_EQUAL(wt_cost_credit(W, 0), (int64_t)(4 * MS));
	wt_cost(W, 4 * MS);
	CU_ASSERT_EQUAL(wt_cost_credit(W, 100 * MS), (int64_t)MS); /* 1% of 100 ms */
	wt_cost_share(W, 20, 100 * MS);
	CU_ASSERT_EQUAL(wt_cost_credit(W, 100 * MS), (int64_t)MS);
	CU_ASSERT_EQUAL(wt_cost_credit(W, 150 * MS), (int64_t)(2 * MS)); /* + 2% of 50 ms */
	/* back to half, in debt: the debt stays */
	wt_cost(W, 5 * MS);
	wt_cost_share(W, 10, 150 * MS);
	CU_ASSERT_EQUAL(wt_cost_credit(W, 150 * MS), -(int64_t)(3 * MS));
	CU_ASSERT_EQUAL(wt_cost_credit(W, 250 * MS), -(int64_t)(2 * MS));
	SANE();
}

/* credit not spent is not kept above the start's: a long quiet phase buys
 * no burst; without a budget (0) the credit is unbounded */
static void test_cost_credit_capped(void)
{
	struct wt_budget b = budget();

	b.cost_permille = 100;
	b.cost_start_ns = 5 * MS;
	fresh(&b, 0);
	CU_ASSERT_EQUAL(wt_cost_credit(W, 1 * MS), (int64_t)(5 * MS));
	CU_ASSERT_EQUAL(wt_cost_credit(W, 10000 * MS), (int64_t)(5 * MS));
	wt_cost(W, 5 * MS);
	CU_ASSERT_EQUAL(wt_cost_credit(W, 10000 * MS), 0);
	CU_ASSERT_EQUAL(wt_cost_credit(W, 10010 * MS), (int64_t)MS); /* 10% of 10 ms */
	b.cost_permille = 0;
	fresh(&b, 0);
	wt_cost(W, 1000 * MS);
	CU_ASSERT_EQUAL(wt_cost_credit(W, MS), INT64_MAX);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, MS, NULL), 0);
}

static void test_window_expiry(void)
{
	struct wt_budget b = budget();

	fresh(&b, 0);
	wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 1);
	wt_cand_add(W, WT_GLOBAL, 0x2000, 8, 2);
	wt_arm(W, 0, 8, 100, NULL);
	wt_arm(W, 2, 8, 100 + 5 * MS, NULL);
	CU_ASSERT_EQUAL(wt_expired(W, 100 + b.window_ns - 1), 0u);
	CU_ASSERT_EQUAL(wt_expired(W, 100 + b.window_ns), 1u);
	CU_ASSERT_EQUAL(wt_expired(W, 100 + 5 * MS + b.window_ns), 5u);
	/* arming a busy slot fails */
	CU_ASSERT_EQUAL(wt_arm(W, 0, 8, 200, NULL), -1);
}

/* ---- rotation ---- */

static void test_rotation_covers_every_candidate_and_word(void)
{
	struct wt_budget b = budget();
	int seen[10] = { 0 }, i, k;
	uintptr_t words[4] = { 0 };
	uint64_t now = 0;

	fresh(&b, 0);
	for (i = 0; i < 10; i++)
		wt_cand_add(W, WT_GLOBAL, 0x1000 + (uintptr_t)i * 0x100, i == 3 ? 32 : 8, (uint32_t)i);
	for (k = 0; k < 40; k++) {
		CU_ASSERT_EQUAL_FATAL(wt_arm(W, k % WT_SLOTS, 8, now, NULL), 0);
		i = wt_slot(W, k % WT_SLOTS)->cand;
		seen[i]++;
		if (i == 3)
			words[(wt_slot(W, k % WT_SLOTS)->addr - 0x1300) / 8]++;
		wt_disarm(W, k % WT_SLOTS, now);
		now += b.window_ns;
	}
	for (i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(seen[i], 4);
	/* the 32-byte candidate had each of its four words watched once */
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(words[i], 1);
}

static void test_rotation_bias_to_shared(void)
{
	struct wt_budget b = budget();
	int seen[10] = { 0 }, i, k;
	uint64_t now = 0;

	fresh(&b, 0);
	for (i = 0; i < 10; i++)
		wt_cand_add(W, WT_GLOBAL, 0x1000 + (uintptr_t)i * 0x100, 8, (uint32_t)i);
	/* candidate 6 is touched by two threads in a window */
	for (k = 0; k < 7; k++) {
		wt_arm(W, 0, 8, now, NULL);
		if (wt_slot(W, 0)->cand == 6) {
			hit(0, 1, 0, 0x1600, 8, 0, 1, 0, now);
			hit(0, 2, 0, 0x1600, 8, 0, 1, 0, now);
		}
		wt_disarm(W, 0, now);
	}
	CU_ASSERT_EQUAL(wt_cand_threads(W, 6), 2);
	CU_ASSERT_EQUAL(wt_cand_threads(W, 5), 0);
	for (k = 0; k < 100; k++) {
		wt_arm(W, 0, 8, now, NULL);
		seen[wt_slot(W, 0)->cand]++;
		wt_disarm(W, 0, now);
	}
	/* half the windows go to the shared one, the rest still rotate */
	CU_ASSERT(seen[6] >= 50);
	for (i = 0; i < 10; i++)
		if (i != 6)
			CU_ASSERT(seen[i] >= 4);
}

static void test_candidate_removed_while_armed(void)
{
	struct wt_budget b = budget();
	int c0, c1;

	fresh(&b, 1);
	c0 = wt_cand_add(W, WT_HEAP, 0x10000, 64, 1);
	c1 = wt_cand_add(W, WT_HEAP, 0x20000, 64, 1);
	wt_arm(W, 1, 8, 0, NULL);
	CU_ASSERT_EQUAL(wt_slot(W, 1)->cand, c0);
	CU_ASSERT_EQUAL(wt_cand_remove(W, c0), 1);
	CU_ASSERT_EQUAL(wt_slot(W, 1)->cand, -1);
	CU_ASSERT(!wt_armed(wt_armed_count(W)));
	CU_ASSERT_EQUAL(wt_cand_remove(W, c0), -1);
	CU_ASSERT_EQUAL(wt_cand_remove(W, c1), -1); /* not armed */
	CU_ASSERT_EQUAL(wt_n_cands(W), 0);
	{
		uintptr_t a;
		uint32_t n;
		CU_ASSERT_EQUAL(wt_cand_range(W, c0, &a, &n), -1);
		/* entries are reused */
		c0 = wt_cand_add(W, WT_ARG, 0x30000, 16, 2);
		CU_ASSERT(c0 >= 0);
		CU_ASSERT_EQUAL(wt_cand_range(W, c0, &a, &n), 0);
		CU_ASSERT_EQUAL(a, 0x30000);
		CU_ASSERT_EQUAL(n, 16);
	}
	CU_ASSERT_EQUAL(wt_n_cands(W), 1);
	SANE();
}

static void test_candidate_table_full(void)
{
	struct wt_budget b = budget();
	int i, bad = 0;

	fresh(&b, 0);
	for (i = 0; i < WT_MAX_CANDS; i++)
		if (wt_cand_add(W, WT_GLOBAL, 0x100000 + (uintptr_t)i * 8, 8, 0) != i)
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_CANDS], 0);
	CU_ASSERT_EQUAL(wt_cand_add(W, WT_GLOBAL, 0x10, 8, 0), -1);
	CU_ASSERT_EQUAL(wt_cand_add(W, WT_GLOBAL, 0x20, 8, 0), -1);
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_CANDS], 1);
	/* zero size, wrapping range */
	CU_ASSERT_EQUAL(wt_cand_add(W, WT_GLOBAL, 0x10, 0, 0), -1);
	SANE();
}

/* a global's field that is the whole global (the same bytes, kind and
 * name as the candidate added just before) is that candidate: the
 * rotation must not give one 8-byte counter two turns */
static void test_candidate_same_bytes_once(void)
{
	struct wt_budget b = budget();
	int a, again, other, field;

	fresh(&b, 0);
	a = wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 7);
	again = wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 7);
	CU_ASSERT_EQUAL(again, a);
	CU_ASSERT_EQUAL(wt_n_cands(W), 1);
	/* a field of it, or the same bytes under another name, are new */
	field = wt_cand_add(W, WT_GLOBAL, 0x1000, 4, 7);
	other = wt_cand_add(W, WT_GLOBAL, 0x1000, 4, 8);
	CU_ASSERT_NOT_EQUAL(field, a);
	CU_ASSERT_NOT_EQUAL(other, field);
	CU_ASSERT_EQUAL(wt_n_cands(W), 3);
	/* removed, the same bytes come back as a candidate of their own */
	wt_cand_remove(W, other);
	CU_ASSERT(wt_cand_add(W, WT_GLOBAL, 0x1000, 4, 8) >= 0);
	CU_ASSERT_EQUAL(wt_n_cands(W), 3);
	SANE();
}

/* wt_cand_stat (the race_stats note): a candidate's windows, hits, holds,
 * holds another thread met, hot windows, verdicts and threads */
static void test_cand_stat(void)
{
	struct wt_budget b = budget();
	struct wt_cand_stat cs;
	int c, i;

	fresh(&b, 0);
	c = wt_cand_add(W, WT_GLOBAL, 0x1000, 8, 7);
	wt_arm(W, 0, 8, 0, NULL);
	CU_ASSERT_EQUAL(hit(0, 1, 0, 0x1000, 8, 1, 0, 0x10, 1 * MS), WT_HOLD);
	hit(0, 2, 0, 0x1000, 8, 0, 0, 0x20, 1 * MS); /* meets it: observed */
	wt_hold_end(W, 0, wt_slot(W, 0)->tag);
	for (i = 2; i < (int)b.hits_per_window; i++)
		hit(0, 2, 0, 0x1000, 8, 0, 0, 0x20, 2 * MS);
	wt_disarm(W, 0, 3 * MS);
	CU_ASSERT_EQUAL_FATAL(wt_cand_stat(W, c, &cs), 0);
	CU_ASSERT_EQUAL(cs.addr, 0x1000);
	CU_ASSERT_EQUAL(cs.size, 8);
	CU_ASSERT_EQUAL(cs.windows, 1);
	CU_ASSERT_EQUAL(cs.hits, b.hits_per_window);
	CU_ASSERT_EQUAL(cs.hot, 1);
	CU_ASSERT_EQUAL(cs.holds, 1);
	CU_ASSERT_EQUAL(cs.met, 1);
	CU_ASSERT_EQUAL(cs.found, 1);
	CU_ASSERT_EQUAL(cs.threads, 2);
	CU_ASSERT_EQUAL(wt_cand_stat(W, c + 1, &cs), -1);
	SANE();
}

/* ---- adaptive allocation sampling ---- */

static void test_sampling_new_sites_dense_hot_sparse(void)
{
	struct wt_budget b = budget();
	int i, hot = 0, cold = 0;

	b.max_heap = 1u << 30;
	fresh(&b, 0);
	/* a new site: its first site_dense allocations all sampled */
	for (i = 0; i < (int)b.site_dense; i++)
		CU_ASSERT(wt_sample_alloc(W, 0xabc));
	/* a hot site: 100000 allocations sampled at ever lower rates */
	for (i = 0; i < 100000; i++)
		hot += wt_sample_alloc(W, 0x111);
	CU_ASSERT(hot > 50);
	CU_ASSERT(hot < 1000);
	/* many sites of five allocations each: all sampled */
	for (i = 0; i < 100; i++) {
		int k;
		for (k = 0; k < 2; k++)
			cold += wt_sample_alloc(W, 0x5000 + (uint64_t)i);
	}
	CU_ASSERT_EQUAL(cold, 200);
	SANE();
}

static void test_sampling_budgets(void)
{
	struct wt_budget b = budget();
	int i, n = 0;

	b.max_heap = 3;
	fresh(&b, 0);
	for (i = 0; i < 10; i++)
		n += wt_sample_alloc(W, (uint64_t)i); /* every one a new site */
	CU_ASSERT_EQUAL(n, 3);
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_HEAP], 1);
	wt_heap_freed(W);
	CU_ASSERT(wt_sample_alloc(W, 99));
	SANE();
	/* a full site table: new sites still sampled, sparsely, with a note */
	b.max_heap = 1u << 30;
	fresh(&b, 0);
	for (i = 0, n = 0; i < (1 << WT_LOG2_SITES) * 2; i++)
		n += wt_sample_alloc(W, (uint64_t)i * 7919);
	CU_ASSERT_EQUAL(R.limits[WT_LIMIT_SITES], 1);
	CU_ASSERT(n >= (1 << WT_LOG2_SITES) / 4 * 3 * (int)b.site_dense / 2);
	CU_ASSERT(n < (1 << WT_LOG2_SITES) * 2);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "observed_write_while_held", test_observed_write_while_held },
		{ "cand_summary", test_cand_summary },
		{ "engine_reuse_limit_named", test_engine_reuse_limit_named },
		{ "observed_needs_overlap_write_other_thread", test_observed_needs_overlap_write_other_thread },
		{ "one_hold_per_window", test_one_hold_per_window },
		{ "second_hold_for_a_write", test_second_hold_for_a_write },
		{ "hold_passes_to_reader", test_hold_passes_to_reader },
		{ "pass_refunds_and_cut", test_pass_refunds_and_cut },
		{ "hold_backoff", test_hold_backoff },
		{ "read_only_no_hold", test_read_only_no_hold },
		{ "read_only_each_word_first", test_read_only_each_word_first },
		{ "sharing_core_infers_writes", test_sharing_core_infers_writes },
		{ "co_held", test_co_held },
		{ "block_holds_again", test_block_holds_again },
		{ "handed_block_is_shared", test_handed_block_is_shared },
		{ "late_trap_dropped", test_late_trap_dropped },
		{ "bytes_outside_candidate", test_bytes_outside_candidate },
		{ "inferred_unordered", test_inferred_unordered },
		{ "inferred_ordered_by_lock", test_inferred_ordered_by_lock },
		{ "inferred_needs_a_lock", test_inferred_needs_a_lock },
		{ "window_end_keeps_sync_clocks", test_window_end_keeps_sync_clocks },
		{ "window_forgets", test_window_forgets },
		{ "stale_sync_does_not_hide", test_stale_sync_does_not_hide },
		{ "inferred_atomic_never_a_side", test_inferred_atomic_never_a_side },
		{ "observed_not_also_inferred", test_observed_not_also_inferred },
		{ "hot_address_backs_off", test_hot_address_backs_off },
		{ "hot_word_backs_off_whole", test_hot_word_backs_off_whole },
		{ "shared_backoff_capped", test_shared_backoff_capped },
		{ "backoff_bounded_and_decays", test_backoff_bounded_and_decays },
		{ "hits_per_second", test_hits_per_second },
		{ "cost_budget_arms", test_cost_budget_arms },
		{ "cost_budget_moves", test_cost_budget_moves },
		{ "quiet_backoff", test_quiet_backoff },
		{ "cost_budget_hits_and_holds", test_cost_budget_hits_and_holds },
		{ "cost_credit_capped", test_cost_credit_capped },
		{ "cost_share_from_now", test_cost_share_from_now },
		{ "window_expiry", test_window_expiry },
		{ "rotation_covers_every_candidate_and_word", test_rotation_covers_every_candidate_and_word },
		{ "rotation_bias_to_shared", test_rotation_bias_to_shared },
		{ "candidate_removed_while_armed", test_candidate_removed_while_armed },
		{ "candidate_table_full", test_candidate_table_full },
		{ "candidate_same_bytes_once", test_candidate_same_bytes_once },
		{ "cand_stat", test_cand_stat },
		{ "sampling_new_sites_dense_hot_sparse", test_sampling_new_sites_dense_hot_sparse },
		{ "sampling_budgets", test_sampling_budgets },
	};
	int rc = cunit_run("watcher", tests, N_OF(tests));

	reset_mem();
	return rc;
}
