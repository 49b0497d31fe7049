/*
 * watcher.h - sampled race watching, the decision core (wt_): which
 * memory is watched when, how long, how much a hot address may cost, and
 * what a trap means.  The trap sources (hardware watchpoints,
 * userfaultfd write-protect: watch.h) arm what this core picks and report
 * each hit back to it; the core answers with what to do with the trapping
 * thread and, when two accesses race, calls the race hook.
 *
 * The core is pure: no threads, signals, system calls, clocks or log.  Time
 * comes in with every call (`now_ns`: the caller's program-time clock, so a
 * program that sleeps does not use up its windows), memory from the
 * allocator the caller passes, and the caller serializes every call (the
 * shim holds one lock of its own around it; the core never touches the
 * program's memory, so a trap cannot arrive while that lock is held by the
 * trapping thread).  CUnit drives it with scripted hits and events
 * (tests/unit/test_watcher.c).
 *
 * Candidates are what may be watched: writable globals of the executable
 * and its libraries (named by their ELF symbol), sampled heap blocks (each
 * on pages of its own; one handed to pthread_create is biased at once:
 * wt_cand_handed).  A window arms
 * one candidate (a word of it: a watchpoint covers up to 8 aligned bytes;
 * a write-protected page covers the whole block) in one of WT_SLOTS slots
 * for budget.window_ns of program time.
 *
 * Two verdicts (DESIGN.md, "Sampled race watching"):
 *  - observed: the first thread that touches the watched bytes in a window
 *    is held (WT_HOLD: the caller keeps it for budget.hold_ns); another
 *    thread touching overlapping bytes while it is held, one of the two a
 *    write, neither atomic, is a race by construction - no model needed.
 *    Which accesses are held: a window's first plain access; a held read
 *    that another thread's plain read meets passes the hold to that
 *    reader (WT_PASS, at most WT_PASSES times a window: a flag's spinning
 *    reader is held while the side that writes it next goes on); after a
 *    held read no one met, the next plain write once more.  A candidate
 *    whose holds meet no other thread (a value handed over only after
 *    the held access, which the hold delays) is held in ever fewer of its
 *    windows (the hold back-off, WT_BARREN_MAX), so the cost budget goes
 *    to holds that can see something.
 *  - inferred: every hit is also an access for the race engine (race.h),
 *    with the happens-before the shim's lock and thread events give it
 *    while any window is armed (wt_armed: the lock paths pay one branch
 *    outside windows).  Only a pair where at least one side held a lock
 *    is a race this way: the program relies on locks for these bytes, and
 *    the locks order nothing between the two; two accesses under no lock
 *    may be ordered by synchronization the shim does not see (atomic
 *    flags, a hand-written spin lock), and are left to the observed
 *    verdict; except in a core of a writes-only source (WT_INFER_WRITES),
 *    where two plain writes need no lock, unless an atomic instruction
 *    ever touched the candidate.  Shadow of a watched word is dropped when its
 *    window ends, so synchronization the engine did not see between
 *    windows cannot make a race up; and a sync clock left stale by
 *    releases it did not see cannot hide one (a release ticks the
 *    releasing thread's epoch, so its later accesses are never covered by
 *    a clock published before them).
 * Atomic instructions are never a side of a race (the caller decodes the
 * instruction and says so in the hit).
 */
#ifndef LOCKHOUND_WATCHER_H
#define LOCKHOUND_WATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "race.h"

/* Limits (DESIGN.md, "Sampled race watching"): reaching one calls the
 * limit hook once per kind; the shim writes a note, the report says it
 * may be incomplete. */
#define WT_SLOTS 4             /* windows armed at once (a thread's debug registers) */
#define WT_MAX_CANDS 65536     /* candidates known at once; beyond: not watched */
#define WT_LOG2_SITES 12       /* allocation sites with their own sampling rate */
#define WT_SITE_MAX_SHIFT 10   /* the sparsest rate of a hot site: 1 in 2^10 allocations */
#define WT_RING 1024           /* hits remembered for the engine's race reports */
#define WT_THREAD_BITS 64      /* threads told apart per candidate (thread id mod 64) */
#define WT_BACKOFF_MAX 8       /* a hot candidate waits at most 2^8 windows before the next */
#define WT_BACKOFF_SHARED 2    /* one touched by 2+ threads, its holds not barren and no
                                * verdict on it yet: at most 2^2 windows */
#define WT_PASSES 4            /* a window's hold passes from one reader to another at most
                                * 4 times (WT_PASS) */
#define WT_WAITERS 64          /* accesses kept per hold that wait with it (WT_HOLD_BLOCKS) */
#define WT_WORD_MAX 8          /* a candidate of at most 8 bytes is one word: hot in one of
                                * its windows, it backs off whole (wt_disarm) */
#define WT_BLOCK_HOLDS 3        /* WT_HOLD_BLOCKS: holds one window may grant, one after
                                * another, while none gives a verdict */
#define WT_BARREN_MAX 4        /* a candidate whose holds meet no one holds in every 2^4-th
                                * window at the sparsest (the hold back-off) */
#define WT_DEFAULT_QUIET_NS 2000000ull /* budget.quiet_ns: 2 ms */
#define WT_QUIET_MAX 6         /* the quiet back-off doubles up to 2^5 times quiet_ns */

enum wt_kind {
	WT_GLOBAL = 1, /* a module's writable data: name = its symbol (caller's id) */
	WT_HEAP = 2,   /* a sampled heap block: name = its allocation site */
	WT_ARG = 3,    /* a block handed to pthread_create (unused: such a sampled block
	                * stays WT_HEAP, wt_cand_handed biases it) */
};

enum wt_how {
	WT_BY_OBSERVED = 1, /* a second thread touched the bytes while the first was held */
	WT_BY_INFERRED = 2, /* unordered by the happens-before seen over the window */
};

enum wt_limit {
	WT_LIMIT_CANDS = 1,     /* WT_MAX_CANDS candidates known: new ones not watched */
	WT_LIMIT_SITES = 2,     /* the site table is full: new sites sampled sparsely */
	WT_LIMIT_HITS_SEC = 3,  /* budget.hits_per_sec reached: windows cut short */
	WT_LIMIT_HOT = 4,       /* a candidate used up budget.hits_per_window: it backs off */
	WT_LIMIT_RING = 5,      /* a race's earlier side was no longer remembered: not reported */
	WT_LIMIT_MEMORY = 6,    /* the allocator failed */
	WT_LIMIT_HEAP = 7,      /* budget.max_heap sampled blocks live: allocations not sampled */
	WT_LIMIT_THREADS = 8,   /* the engine's RC_MAX_THREADS slots are used: later threads
	                         * get no inferred verdict */
	WT_LIMIT_COST = 9,      /* budget.cost_permille of program time spent: windows cut
	                         * short, no hold, nothing armed until it is earned again */
	WT_LIMIT_REUSE = 10,    /* the engine reused a thread slot its new thread's creator did
	                         * not know had ended (RC_LIMIT_REUSE): races between the
	                         * two occupants may be missed */
	WT_LIMIT_ENGINE = 11,   /* the engine's epoch (RC_LIMIT_EPOCH) or address range
	                         * (RC_LIMIT_ADDRESS) was exceeded: some accesses unchecked */
	WT_LIMIT_WAITERS = 12,  /* WT_WAITERS writes already wait in a hold (WT_HOLD_BLOCKS):
	                         * later ones are checked against them, not kept */
	WT_LIMIT_N = 13
};

/* The budgets: every one bounds the cost whatever the program does. */
struct wt_budget {
	uint64_t window_ns;       /* program time one window stays armed */
	uint64_t hold_ns;         /* how long the first accessing thread is held (wall) */
	uint32_t hits_per_window; /* hits one window may take; more: the address is hot */
	uint32_t hits_per_sec;    /* hits all windows together may take per second */
	uint32_t site_dense;      /* allocations of a site sampled one by one before thinning */
	uint32_t max_heap;        /* sampled heap blocks live at once (pages of their own) */
	/* The cost budget, in the program's own time: watching (traps, holds,
	 * arming) may spend cost_permille/1000 of the program time that has
	 * passed, plus cost_start_ns (a short program is watched densely from
	 * its start).  Unspent credit above cost_start_ns is not kept, so a
	 * long quiet phase buys no later burst.  0: no cost budget. */
	uint32_t cost_permille;
	uint64_t cost_start_ns;
	/* The quiet back-off: a candidate whose window saw no access waits
	 * quiet_ns before its next, doubled per such window in a row up to
	 * 2^(WT_QUIET_MAX-1) times (64 ms by default); one hit ends it.
	 * 0: none. */
	uint64_t quiet_ns;
};

/* a watched access, as a trap source saw it */
struct wt_hit {
	uint32_t slot;     /* the slot that trapped */
	uint32_t tag;      /* the window's tag the trap carried (late traps: an older tag) */
	uint32_t thread;   /* the shim's thread id (T<n>), > 0 */
	rc_tid tid;        /* the thread's engine slot (0: not tracked, no inferred verdict) */
	uintptr_t addr;    /* first byte accessed */
	uint32_t size;     /* bytes accessed */
	uint8_t is_write;
	uint8_t is_atomic; /* the instruction is atomic (lock prefix, xchg): never a race */
	uint8_t locked;    /* the thread held a lock the shim tracks (the inferred verdict) */
	uintptr_t pc;      /* the accessing instruction */
};

enum wt_action {
	WT_IGNORE = 0,   /* nothing to do: let the thread go on */
	WT_HOLD = 1,     /* hold the thread for budget.hold_ns, then wt_hold_end */
	WT_DISARM = 2,   /* the window ended (budget): disarm the slot, let the thread go */
	WT_CUT = 3,      /* the window's held thread (wt_slot's cut_thread) goes on
	                  * now: the caller ends its hold (its end is reported with
	                  * wt_hold_end_thread, which then changes nothing) */
	WT_PASS = 4,     /* WT_CUT, and this thread is held instead (budget.hold_ns) */
};

struct wt_access {
	uint32_t thread;
	uintptr_t addr;
	uint32_t size;
	uint8_t is_write;
	uint8_t locked; /* a lock was held */
	uintptr_t pc;
};

struct wt_race {
	enum wt_how how;
	int cand;               /* the candidate's index */
	enum wt_kind kind;
	uint32_t name;          /* the candidate's name id (symbol or allocation site) */
	uintptr_t base;         /* the candidate's first byte and size */
	uint32_t var_size;
	struct wt_access first;  /* the earlier access (the held one when observed) */
	struct wt_access second; /* the later one */
};

struct wt_hooks {
	void (*race)(void *cookie, const struct wt_race *r);
	void (*limit)(void *cookie, enum wt_limit what);
	void *cookie;
};

/* what a slot watches now (wt_arm's answer, for the trap source) */
struct wt_window {
	int cand;          /* -1: the slot is free */
	uint32_t tag;      /* tags this window's traps (sig_data) */
	uintptr_t addr;    /* watched bytes [addr, addr+len) */
	uint32_t len;
	uint64_t start_ns;
	uint32_t hits;
	/* the held first access, while held */
	int held;
	struct wt_access first;
	rc_tid first_tid;
	uint32_t first_ring; /* its hit record (for the observed report) */
	uint32_t cut_thread; /* WT_CUT, WT_PASS: the thread whose hold ends now */
};

struct wt_core;

/* b NULL: the defaults.  with_engine: the core makes its own race engine
 * for the inferred verdict (the shim feeds it thread and lock events
 * through wt_engine); 0: observed verdicts only.  NULL when out of memory. */
struct wt_core *wt_create(const struct wt_budget *b, const struct rc_alloc *a,
                          const struct wt_hooks *h, int with_engine);
/* A second core that feeds the engine of `owner` (made with_engine), one
 * per owner: the caller tells the one engine about threads and
 * synchronization, and a race between a hit of either core and an earlier
 * one of either is found.  The two cores are serialized by the same lock.
 * flags: WT_INFER_WRITES, WT_HOLD_BLOCKS. */
#define WT_INFER_WRITES 1 /* a writes-only source: an inferred pair of two plain
                           * writes needs no lock evidence, unless an atomic
                           * instruction ever touched the candidate */
#define WT_HOLD_BLOCKS 2  /* a source whose every trapped access in a window
                           * waits, blocked at its access, until the window's
                           * hold ends (write-protect: the page stays protected
                           * while the first writer is held, and every later
                           * writer's fault waits with it).  Two such waiting
                           * threads at overlapping bytes, one writing, neither
                           * atomic, are observed at once, as a held first
                           * thread and a second one are (the co-held verdict);
                           * WT_WAITERS waiting accesses are kept per hold */
struct wt_core *wt_create_sharing(const struct wt_budget *b, const struct rc_alloc *a,
                                  const struct wt_hooks *h, struct wt_core *owner, unsigned flags);
/* the core's engine (NULL without one): the caller tells it about threads
 * always (rc_thread_new/exit/join: rare), and about synchronization only
 * while wt_armed */
struct rc_engine *wt_engine(struct wt_core *w);
/* the budget's defaults (WT_DEFAULT_*: DESIGN.md) */
void wt_budget_default(struct wt_budget *b);

/* ---- candidates ---- */
/* a new candidate; returns its index, or -1 (table full: WT_LIMIT_CANDS).
 * The same kind, bytes and name as the candidate added just before is that
 * one (its index again): a global's field that is the whole global */
int wt_cand_add(struct wt_core *w, enum wt_kind kind, uintptr_t addr, uint32_t size, uint32_t name);
/* the candidate is gone (a block freed).  Returns the slot that watched
 * it, which the caller disarms before the memory is reused, or -1. */
int wt_cand_remove(struct wt_core *w, int cand);
int wt_n_cands(const struct wt_core *w);
/* its first byte and size; 0, or -1 for a free entry */
int wt_cand_range(const struct wt_core *w, int cand, uintptr_t *addr, uint32_t *size);
/* the candidate was handed from thread `from` to a new thread `to` (the
 * argument of pthread_create): both will touch it, so it joins the picks
 * of candidates several threads touched at once (its rotation bias) */
void wt_cand_handed(struct wt_core *w, int cand, uint32_t from, uint32_t to);
/* threads that touched the candidate in its windows (popcount of a mask) */
int wt_cand_threads(const struct wt_core *w, int cand);
/* should this allocation of `site` (its calling context) be sampled? */
int wt_sample_alloc(struct wt_core *w, uint64_t site);
/* a sampled block was freed (the live count behind budget.max_heap) */
void wt_heap_freed(struct wt_core *w);

/* ---- windows ---- */
/* Fills slot `slot` with the next candidate in rotation: candidates
 * touched by several threads every other time, otherwise every candidate
 * in turn; hot ones skipped while they back off.  max_len: the most bytes
 * the source watches at once (8 for a watchpoint, a page for write-protect).
 * Returns 0 and the window in *out, or -1 when nothing can be watched now. */
int wt_arm(struct wt_core *w, int slot, uint32_t max_len, uint64_t now_ns, struct wt_window *out);
/* The caller charges what watching cost (ns of the program's time: a
 * trap's delivery and handler, arming a source); wt_hit charges each hold
 * it grants (budget.hold_ns) itself.  Over budget (for wt_arm: with less
 * credit than two moves, wt_cost_move), wt_arm arms nothing,
 * wt_hit ends the window (WT_DISARM) and grants no hold. */
void wt_cost(struct wt_core *w, uint64_t ns);
/* One move of the source (arming a slot, or parking it): charged as
 * wt_cost, and remembered (the moves' running average, wt_move_ns): a
 * window costs at least its arm and its end, and wt_arm arms one only
 * while the credit covers both, so that a window is not armed on the
 * budget's last microseconds to drop its first hit (moving an inherited
 * watchpoint costs ~25 us per thread of the program: 2 ms with sixteen) */
void wt_cost_move(struct wt_core *w, uint64_t ns);
uint64_t wt_move_ns(const struct wt_core *w);
/* a new cost_permille from now_ns on (two cores share one budget: each
 * takes a part); the credit earned so far is kept */
void wt_cost_share(struct wt_core *w, uint32_t permille, uint64_t now_ns);
/* the credit left at now_ns (ns; negative: in debt; INT64_MAX: no budget) */
int64_t wt_cost_credit(struct wt_core *w, uint64_t now_ns);
/* ends the window in `slot` (time up or budget): its shadow is dropped */
void wt_disarm(struct wt_core *w, int slot, uint64_t now_ns);
/* the slots whose window has run budget.window_ns by now (bit i: slot i);
 * the caller disarms them and arms the next */
unsigned wt_expired(const struct wt_core *w, uint64_t now_ns);
/* 1 while any window is armed: the shim's lock paths feed happens-before
 * to the engine only then (one load and branch outside windows) */
static inline int wt_armed(const int *armed_count)
{
	return __atomic_load_n(armed_count, __ATOMIC_RELAXED) != 0;
}
const int *wt_armed_count(const struct wt_core *w);
const struct wt_window *wt_slot(const struct wt_core *w, int slot);
/* how many windows armed now an access reached (hits > 0) */
int wt_reached(const struct wt_core *w);

/* ---- traps ---- */
enum wt_action wt_hit(struct wt_core *w, const struct wt_hit *h, uint64_t now_ns);
/* the held first thread of slot's window (tag) goes on */
void wt_hold_end(struct wt_core *w, int slot, uint32_t tag);
/* the same, from a source that knows which thread's hold ended (the
 * one of a source whose holds WT_CUT or WT_PASS may end early: a hold's
 * late end must not end the next thread's) */
void wt_hold_end_thread(struct wt_core *w, int slot, uint32_t tag, uint32_t thread);
/* (thread 0: unknown, as wt_hold_end) */

/* ---- counters, for the end-of-run note and the tests ---- */
struct wt_stats {
	uint64_t windows, hits, late, atomics, holds, observed, inferred, hot, budget_cut;
	uint64_t sampled, not_sampled;
	uint64_t cost_cut;   /* arms refused, windows ended and holds not granted: cost budget */
	uint64_t cost_ns;    /* everything charged (wt_cost and the holds, less refunds) */
	uint64_t cuts;       /* held reads ended early: another thread read the bytes (WT_CUT, WT_PASS) */
	uint64_t hold_skips; /* holds not granted: the candidate's hold back-off */
	uint64_t co_held;    /* observed verdicts of two accesses waiting in one hold
	                      * (WT_HOLD_BLOCKS), of `observed` */
};
void wt_stats(const struct wt_core *w, struct wt_stats *out);
/* the candidates by class (WT_CLS_*), for the race_stats note: how many,
 * how many had a window, their windows, and how many of them hits or
 * hand-offs showed touched by two threads or more */
enum { WT_CLS_WORD, WT_CLS_WIDE, WT_CLS_HEAP, WT_CLS_N }; /* global <= 8 bytes, bigger, heap */
struct wt_cand_class {
	uint64_t cands, windowed, windows, shared, shared_windows;
};
void wt_cand_summary(const struct wt_core *w, struct wt_cand_class out[WT_CLS_N]);
/* one candidate's windows, for the race_stats note: windows, hits, holds
 * granted, holds another thread's access met, hot windows, verdicts, and
 * the threads seen on it.  -1 for a free entry. */
struct wt_cand_stat {
	uintptr_t addr;
	uint32_t size, windows, hits, holds, met, hot, found, threads;
};
int wt_cand_stat(const struct wt_core *w, int cand, struct wt_cand_stat *out);
/* 0 when the core's invariants hold, else a description */
const char *wt_sanity(const struct wt_core *w);

#endif
