/*
 * sampler.c - sampled race watching in the shim (lh_smp_): the watcher
 * core (watcher.c) wired to the trap sources (watch.h), the program's
 * globals, the instruction decoder (insn.c), the lock and thread events
 * and the log.
 *
 * On when race watching is on (races=1, the default), the program is not
 * built with lockhound cc (exact mode sees every access), and a trap
 * source this sampler arms works (race_source=auto|hw: hardware
 * watchpoints).  What it does:
 *  - at start-up (lh_smp_init, from the constructor, before any other
 *    thread exists, as the hardware source needs): the core with its
 *    engine, the decoder, the sources with their self-test (none works:
 *    one line on stderr and a note, everything else goes on);
 *  - at the first pthread_create (one thread cannot race): the rotation
 *    thread starts (the real pthread_create, never registered, every
 *    signal blocked).  First it reads the candidates (add_candidates: the
 *    writable data symbols of the executable and its libraries, and each
 *    field their code names directly; a stripped module's data unnamed,
 *    add_stripped), then every LH_SMP_TICK_NS, or at
 *    once when a trap asks (rot_wake), it ends the windows whose time is
 *    up, that the core ended, or that stayed quiet for LH_SMP_QUIET_NS,
 *    arms the free slots with the core's next picks, and writes the races
 *    found since, one LH_REC_RACE each.  It ends when one program thread
 *    is left (the next thread creation starts it again);
 *  - a hit (the sink) runs in the accessing thread's SIGTRAP handler: it
 *    decodes the instruction before the trap's pc (atomic? read or write?
 *    how many bytes?) and asks the core, under a spin lock every holder
 *    takes with all signals blocked (the core and the decoder never touch
 *    the program's memory); a race is queued (LH_SMP_QUEUE) for the
 *    rotation thread to write, since a signal handler may not take the
 *    log lock; the access's stack is unwound there (libunwind through the
 *    signal frame) and kept per (thread, pc) for the race's other side;
 *  - the inferred verdict's happens-before: thread creation, end and join
 *    always, locks, condition variables, semaphores, barriers and once
 *    only while a window an access reached is armed (LH_SMP_HOOK: one
 *    relaxed load of lh_smp_windows on the lock paths otherwise);
 *  - the cost budget: what the core charges itself (holds) and what this
 *    file charges it: each counted trap, each move of a source, the
 *    start-up sweep, and at each tick the traps the core never saw
 *    (owe_trap: dropped by the sink; charge_pending: late ones); the lock
 *    paths' feeds are estimated for race_stats, not charged.
 *
 * Candidates are source-neutral: an address range the core rotates over;
 * the arming (tick) picks the source.  Write-protect is armed by
 * sampler_wp.c (a core of its own: sampled heap blocks and the globals on
 * anonymous pages), called from here: the sink, the tick, the stop and
 * the fork child (sampler.h is what the two share).  race_source picks
 * the sources; write-protect starts at the first thread creation; without
 * it, sampled heap blocks are this half's candidates.
 *
 * Limits (each leaves one note): LH_SMP_QUEUE races waiting to be written,
 * LH_SMP_MODULES code segments, LH_SMP_SCAN_MAX code bytes swept per
 * module, LH_SMP_REFS named addresses per module, LH_SMP_LINES unnamed
 * cache lines of a stripped module; the core's (watcher.h).
 */
#include "rt.h"
#include "watch.h"
#include "watcher.h"
#include "insn.h"
#include "sampler.h"
#include "gheap.h"
#include "heldset.h"
#include "elfname.h"

#include <dlfcn.h>
#include <elf.h>
#include <signal.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define LH_SMP_TICK_NS 1000000ull /* the rotation thread's period: 1 ms */
#define LH_SMP_QUEUE 64           /* races found and not yet written */
#define LH_SMP_FRAMES 32          /* frames kept of a side's stack (and stack_depth) */
#define LH_SMP_STACKS 256         /* the last stacks of the (thread, pc) pairs that hit */
#define LH_SMP_QUIET_NS 2000000ull /* a window with no hit after 2 ms of program time ends */
#define LH_SMP_LIVE_EVERY 4       /* ticks between two counts of the program's live threads */
#define LH_SMP_SPIN 200           /* spins for the core's lock before each sched_yield */
#define LH_SMP_UNCOUNTED 16      /* traps of one window the core never sees (from code
                                   * outside the watched modules, or inside the shim)
                                   * that end it: a word the C library writes */
#define LH_SMP_FEED_EVERY 64     /* a thread times one in this many of its engine feeds */
#define LH_SMP_FEED_CAP_NS 2000ull /* a timed feed counts at most this (a preemption) */
#define LH_SMP_STRIDE 4           /* a window watches the first byte of the next 4 of its
                                   * candidate: accesses of 4 bytes and more are all seen,
                                   * a race on bytes 1-3 of a word alone is missed */

static struct wt_core *core;
static struct rc_engine *eng; /* the core's, for the inferred verdict */
int lh_smp_windows;           /* windows an access reached: 0 lets the lock paths skip the engine */
int lh_smp_active;            /* = smp_on, for the wrappers (barrier, once) */
static int smp_on;          /* the core and a source are ready */
static int hw_on;           /* the hardware source works: this half arms it */
static int wp_later;        /* write-protect is wanted: started at the first kick */
static int wp_kicked;       /* ... and that was tried */
static struct wt_budget smp_budget;
/* both halves run: the hardware half's part of the cost budget now, and
 * the write-protect half's (0: one half alone has all of it) */
static uint32_t hw_share, wp_share;
static uint64_t hold_ns;    /* the budget's hold */
static int smp_started;     /* the rotation thread runs */
static int smp_stopped;     /* at exit: nothing is armed again */
uint64_t lh_smp_hits_in_shim;
/* What the rotation thread's tick settles (charge_pending): late traps
 * (charged), the lock paths' feeds (estimated); and the counts of the
 * traps the core never saw (owe_trap charges those) */
static uint64_t feed_ns;      /* the lock paths' engine feeds, estimated (feed_end), not charged */
static int wp_reached;        /* write-protect's windows an access reached, last tick */
static int hw_reached_last;   /* this half's, last tick */
static uint64_t feed_ns_hw, feed_ns_wp; /* the feeds, by the half that made them (race_stats) */
static uint64_t late_seen;    /* lh_watch_hw_late() at the last tick */
static uint64_t unseen_charged_ns, late_charged_ns; /* uncounted, late traps charged (race_stats) */
static uint64_t n_uncounted;  /* traps the core never saw (race_stats) */
static uint64_t n_uncounted_cut; /* windows they ended (race_stats) */
/* per slot: the window whose uncounted traps are counted, and how many */
static uint32_t unc_tag[WT_SLOTS], unc_n[WT_SLOTS];
static uint32_t unc_cut[WT_SLOTS]; /* the window ended so: the tick disarms it */
static int core_spin;       /* serializes the core and the decoder */
static uint32_t rot_wake;   /* futex: a trap asks the rotation thread to run now */
static __thread int in_core __attribute__((tls_model("initial-exec")));

/* a side's stack: frame 0 the accessing instruction, then its callers
 * (unwound in the trap's handler, interned by the rotation thread) */
struct side_stack {
	uint32_t n;
	uintptr_t pc[LH_SMP_FRAMES];
};

/* A thread's last trap (lh_thread.smp_last, touched only by the thread's
 * own SIGTRAP handler, which cannot nest: SIGTRAP is blocked in it).  A
 * trap at the same pc (a loop) reuses its decoded instruction and its
 * stack instead of reading, decoding and unwinding again: most of a
 * trap's cost in the handler.  Limit: the same pc reached from other
 * callers gets the first one's callers. */
struct lh_smp_last {
	uintptr_t pc;  /* the pc after the access; 0: none */
	struct lh_insn in;
	struct side_stack s; /* the frames after the access (s.pc[0] unused) */
};

/* the calling thread's, made outside any signal handler */
static void smp_last_ensure(struct lh_thread *t)
{
	if (t && !t->smp_last)
		t->smp_last = lh_alloc(sizeof(*t->smp_last));
	if (t && t->smp_last)
		t->smp_last->pc = 0;
}

struct queued {
	struct wt_race r;
	struct side_stack first, second;
};

/* The last stack of each (thread, pc) that hit, so that a race's earlier
 * side (the held access, or the engine's earlier hit) gets its stack too:
 * LH_SMP_STACKS entries, hashed; an entry overwritten before its race is
 * found leaves that side with its instruction alone. */
struct hit_stack {
	uint32_t thread;
	uintptr_t pc;
	struct side_stack s;
};
static struct hit_stack hit_stacks[LH_SMP_STACKS];

static struct hit_stack *hit_stack_slot(uint32_t thread, uintptr_t pc)
{
	/* both halves of the key mixed into the bits the index takes (the
	 * thread only XORed into low bits put every thread of one pc in one
	 * entry) */
	uint64_t h = (uint64_t)pc * 0x9e3779b97f4a7c15ull + (uint64_t)thread * 0xff51afd7ed558ccdull;

	return &hit_stacks[(h >> 32) % LH_SMP_STACKS];
}

static void side_of(struct side_stack *out, const struct wt_access *a)
{
	const struct hit_stack *e = hit_stack_slot(a->thread, a->pc);

	if (e->thread == a->thread && e->pc == a->pc && e->s.n) {
		*out = e->s;
		return;
	}
	out->n = 1;
	out->pc[0] = a->pc;
}
static struct queued queue[LH_SMP_QUEUE];
static int n_queue, noted_queue;
static int noted[WT_LIMIT_N];
static uint32_t tags[WT_SLOTS]; /* the tag each hardware slot was armed with */
static unsigned pending_disarm; /* slots the core ended from a hit */
static uintptr_t watched[WT_SLOTS]; /* the byte each hardware slot watches */

/* this thread's CPU time, for what watching costs (the cost budget: the
 * program's own time, so a thread descheduled on a loaded machine while
 * it handles a trap is not charged the wait) */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t prog_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The core's lock.  Every holder has all signals blocked (core_enter;
 * the rotation thread blocks them for good) and, holding it, neither
 * waits for anything nor touches the program's memory (the core and the
 * decoder read none of it), so a holder always finishes once it runs: a
 * thread waiting for it (in a SIGTRAP handler too) waits for a bounded
 * piece of code, spinning LH_SMP_SPIN times, then giving its CPU away
 * (a descheduled holder on a loaded machine).  No hit is dropped. */
static int rot_waiting; /* prio_lock callers waiting: spin_lock lets them go first */

static void spin_lock_raw(void)
{
	int i = 0;

	while (__atomic_exchange_n(&core_spin, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&core_spin, __ATOMIC_RELAXED)) {
			if (++i < LH_SMP_SPIN) {
				__builtin_ia32_pause();
			} else {
				i = 0;
				syscall(SYS_sched_yield);
			}
		}
}

/* a program thread (a trap, an allocation): after any prio_lock waiter */
static void spin_lock(void)
{
	int i = 0;

	while (__atomic_load_n(&rot_waiting, __ATOMIC_ACQUIRE)) {
		if (++i < LH_SMP_SPIN) {
			__builtin_ia32_pause();
		} else {
			i = 0;
			syscall(SYS_sched_yield);
		}
	}
	spin_lock_raw();
}

/* the rotation thread (and the exit path) ends hot windows and arms new
 * ones: with a plain test-and-set lock, two threads trapping on every
 * access kept it from the lock for up to 170 ms at a time on the loaded
 * machine (racy_flag; their windows stayed armed, trapping on), so the
 * program threads wait for it to have had its turn */
static void prio_lock(void)
{
	__atomic_add_fetch(&rot_waiting, 1, __ATOMIC_ACQ_REL);
	spin_lock_raw();
	__atomic_sub_fetch(&rot_waiting, 1, __ATOMIC_RELEASE);
}

static void spin_unlock(void)
{
	__atomic_store_n(&core_spin, 0, __ATOMIC_RELEASE);
}

/* a program thread (or its SIGTRAP handler) takes the core: no signal
 * handler of the program runs while it holds the lock (one that waited
 * for another thread would make that thread wait for the lock forever) */
static void core_enter(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, old, _NSIG / 8);
	in_core = 1;
	spin_lock();
}

static void core_leave(const sigset_t *old)
{
	spin_unlock();
	in_core = 0;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, _NSIG / 8);
}

static int counted_pc(uintptr_t pc);

/* the general registers at a hardware trap, in the encoding's order */
static void regs_of(const void *ucv, struct lh_insn_regs *r)
{
	static const int g[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
		                   REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
		                   REG_R12, REG_R13, REG_R14, REG_R15 };
	const ucontext_t *uc = ucv;
	int i;

	for (i = 0; i < 16; i++)
		r->r[i] = (uint64_t)uc->uc_mcontext.gregs[g[i]];
}

/* ---- for the write-protect half (sampler.h) ---- */
uint64_t lh_smp_hold_ns;
void lh_smp_enter(sigset_t *old)
{
	core_enter(old);
}
void lh_smp_leave(const sigset_t *old)
{
	core_leave(old);
}
void lh_smp_lock(void) /* the rotation thread: its signals are blocked for good */
{
	in_core = 1;
	prio_lock();
}
void lh_smp_unlock(void)
{
	spin_unlock();
	in_core = 0;
}
uint64_t lh_smp_prog_ns(void)
{
	return prog_ns();
}
int lh_smp_exe_code(uintptr_t pc)
{
	return counted_pc(pc);
}
int lh_smp_is_in_core(void)
{
	return in_core;
}
int lh_smp_thread_of(int os_tid, uint32_t *id, rc_tid *tid, int *locked, int *in_shim)
{
	/* the list is walked without lh_thr_mu: the source's handler thread
	 * may not wait for a lock a program thread might hold while it is
	 * blocked on a protected page.  Entries are never unmapped (a removed
	 * one goes to the free list, whose end is NULL too); a walk that
	 * misses the thread leaves the hit out, as for an unregistered one.
	 * The thread itself is blocked on its fault: its fields stand still */
	struct lh_thread *t;
	int n = 0;

	for (t = __atomic_load_n(&lh_thr_list, __ATOMIC_ACQUIRE); t && n < 100000;
	     t = __atomic_load_n(&t->next, __ATOMIC_ACQUIRE), n++)
		if (__atomic_load_n(&t->os_tid, __ATOMIC_RELAXED) == os_tid &&
		    !__atomic_load_n(&t->exiting, __ATOMIC_RELAXED)) {
			*id = t->id;
			*tid = __atomic_load_n(&t->smp_tid, __ATOMIC_RELAXED);
			*locked = __atomic_load_n(&t->n_held, __ATOMIC_RELAXED) > 0;
			/* its in-shim depth, read without a load that could fault
			 * (unknown: outside) */
			{
				const int *p = __atomic_load_n(&t->in_shim, __ATOMIC_RELAXED);
				int v = 0;
				*in_shim = p && lh_watch_read((uintptr_t)p, &v, sizeof(v)) == 0 && v > 0;
			}
			return *id ? 0 : -1;
		}
	return -1;
}
/* the kernel id of the thread with the shim's id `id` (0: unknown), from
 * a SIGTRAP handler: the lock-free walk of lh_smp_thread_of */
static pid_t os_tid_of(uint32_t id)
{
	struct lh_thread *t;
	int n = 0;

	for (t = __atomic_load_n(&lh_thr_list, __ATOMIC_ACQUIRE); t && n < 100000;
	     t = __atomic_load_n(&t->next, __ATOMIC_ACQUIRE), n++)
		if (t->id == id && !__atomic_load_n(&t->exiting, __ATOMIC_RELAXED))
			return __atomic_load_n(&t->os_tid, __ATOMIC_RELAXED);
	return 0;
}

void lh_smp_window_reached(void)
{
	__atomic_store_n(&lh_smp_windows, 1, __ATOMIC_SEQ_CST);
}
void lh_smp_hw_disarm_later(unsigned slot)
{
	/* the core's lock is held: the tick disarms it (under clone_mu);
	 * a trap meanwhile carries a window the core no longer has */
	if (slot < WT_SLOTS)
		pending_disarm |= 1u << slot;
}

/* A thread is about to wait for `lock` while a thread is held (shim.h):
 * the holds of the threads that hold that lock end now.  A held thread's
 * held set does not change while it is held (it waits in its SIGTRAP
 * handler, or blocked in its write fault). */
void lh_smp_lock_wait(const void *lock)
{
	pid_t held[LH_WATCH_HOLDS];
	int n = lh_watch_held_tids(held, LH_WATCH_HOLDS), i;

	for (i = 0; i < n; i++) {
		struct lh_thread *o;
		int cut = 0;
		lh_mu_lock(&lh_thr_mu);
		for (o = lh_thr_list; o; o = o->next) {
			struct lh_held hd[LH_MAX_HELD];
			int k, m;
			if (o->os_tid != held[i] || o->exiting)
				continue;
			m = lh_held_read(o, hd, LH_MAX_HELD); /* -1: it keeps changing */
			for (k = 0; k < m && !cut; k++)
				cut = hd[k].addr == lock;
			break;
		}
		lh_mu_unlock(&lh_thr_mu);
		if (cut)
			lh_watch_cut_holds(held[i]);
	}
}

/* ---- the core's hooks (called with the spin lock held) ---- */

static void on_race(void *cookie, const struct wt_race *r)
{
	(void)cookie;
	if (n_queue >= LH_SMP_QUEUE) {
		noted_queue = 1; /* noted by the rotation thread */
		return;
	}
	queue[n_queue].r = *r;
	n_queue++;
}

static void on_limit(void *cookie, enum wt_limit what)
{
	(void)cookie;
	if ((unsigned)what < WT_LIMIT_N)
		__atomic_store_n(&noted[what], 1, __ATOMIC_RELAXED); /* written by the rotation thread */
}

static void *alloc_cb(void *cookie, size_t n)
{
	(void)cookie;
	return lh_alloc(n);
}

/* Capstone's memory: the shim's allocator, never freed (Capstone allocates
 * a few blocks at cs_open and none while decoding) */
static void *cs_malloc_cb(size_t n)
{
	size_t *p = lh_alloc(n + 16);
	if (!p)
		return NULL;
	p[0] = n;
	return (char *)p + 16;
}
static void *cs_calloc_cb(size_t n, size_t m)
{
	return m && n > (size_t)-1 / m / 2 ? NULL : cs_malloc_cb(n * m);
}
static void *cs_realloc_cb(void *old, size_t n)
{
	void *p = cs_malloc_cb(n);
	if (p && old) {
		size_t o = *(size_t *)((char *)old - 16);
		memcpy(p, old, o < n ? o : n);
	}
	return p;
}
static void cs_free_cb(void *p)
{
	(void)p;
}

/* ---- the sink: runs in the accessing thread's SIGTRAP handler ---- */

/* the delivery cost of the traps returned before the core's lock (atomic;
 * tick charges it) */
static uint64_t trap_owed_ns;

static void owe_trap(void)
{
	__atomic_add_fetch(&trap_owed_ns, lh_watch_trap_ns(LH_WSRC_HW), __ATOMIC_RELAXED);
}

/* A trap the core never sees (from code outside the watched modules, or
 * inside the shim) still cost its delivery: charged at the next tick.  A
 * window's LH_SMP_UNCOUNTED-th such trap ends it, as a hot window ends:
 * a word of a program's global pthread_rwlock_t trapped in the C library
 * on every lock operation (rwlock microbenchmark: ~4500 traps a run,
 * none charged), and the thread that took the read lock sat in the trap
 * while the writer waited, so the lock's waiters went to the futex.
 * Per slot and window, from any thread without the core's lock: the
 * count is approximate (two threads may both reset it), the cut once. */
static void park_now(unsigned slot);

static void uncounted_trap(const struct lh_watch_hit *h)
{
	unsigned s = h->slot;
	uint32_t n;

	owe_trap();
	__atomic_add_fetch(&unseen_charged_ns, lh_watch_trap_ns(LH_WSRC_HW), __ATOMIC_RELAXED);
	__atomic_add_fetch(&n_uncounted, 1, __ATOMIC_RELAXED);
	if (s >= WT_SLOTS || !h->window)
		return;
	if (__atomic_load_n(&unc_tag[s], __ATOMIC_RELAXED) != h->window) {
		__atomic_store_n(&unc_tag[s], h->window, __ATOMIC_RELAXED);
		__atomic_store_n(&unc_n[s], 1, __ATOMIC_RELAXED);
		return;
	}
	n = __atomic_add_fetch(&unc_n[s], 1, __ATOMIC_RELAXED);
	if (n != LH_SMP_UNCOUNTED)
		return;
	/* its later traps are dropped as late by the source, before this
	 * sink; this thread parks the slot now if it can (park_now), and the
	 * rotation thread ends the window in the core (pending_disarm is the
	 * core's: set at the tick, from the closed window) */
	lh_watch_hw_close(s, h->window);
	park_now(s);
	__atomic_store_n(&unc_cut[s], h->window, __ATOMIC_RELEASE);
	__atomic_add_fetch(&n_uncounted_cut, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&rot_wake, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &rot_wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static uint64_t sink_hit(void *ctx, const struct lh_watch_hit *h)
{
	struct wt_hit wh;
	struct lh_insn in;
	uint8_t code[LH_INSN_BACK];
	const struct wt_window *win;
	enum wt_action a;
	uint64_t hold = 0;
	sigset_t old;
	int i, n_found;
	uint32_t self_id;
	struct side_stack cur;
	struct lh_smp_last *last;
	struct lh_insn_regs regs;
	uint64_t t_cpu;
	uint32_t cut_id = 0;

	(void)ctx;
	if (h->source == LH_WSRC_WP)
		return lh_smpwp_hit(h); /* on the source's handler thread */
	/* every trap is charged to the cost budget, also one that is no
	 * access (the C library's code on a watched global, a thread inside
	 * the shim or not registered): its delivery cost as much.  Those
	 * returned before the core's lock are owed (trap_owed_ns) and charged
	 * at the next tick */
	if (in_core || h->source != LH_WSRC_HW || h->slot >= WT_SLOTS || !h->pc || !h->pc_after) {
		owe_trap();
		return 0;
	}
	/* the shim's id of this thread, from its own TLS (a report names
	 * threads by it; a thread the shim never registered is not watched) */
	self_id = lh_self_td ? lh_self_td->id : 0;
	if (!self_id) {
		owe_trap();
		return 0;
	}
	/* a thread inside the shim: the shim's own call into the program's
	 * code (pyframes.c's PyGILState_Check from a wrapper), whose pc is in
	 * a watched module, is not the program's access */
	if (lh_in_shim) {
		__atomic_add_fetch(&lh_smp_hits_in_shim, 1, __ATOMIC_RELAXED);
		uncounted_trap(h);
		return 0;
	}
	/* only the code of the watched modules (counted_pc): a global
	 * touched inside the C library is most often a synchronization
	 * object (a pthread_mutex_t or pthread_cond_t of the program), whose
	 * implementation's atomic loads and stores are plain instructions */
	if (!counted_pc(h->pc)) {
		uncounted_trap(h);
		return 0;
	}
	t_cpu = cpu_ns();
	last = lh_self_td->smp_last;
	if (last && last->pc == h->pc) {
		/* this thread's last trap was here: its decode and stack */
		in = last->in;
		cur = last->s;
		core_enter(&old);
		win = wt_slot(core, h->slot);
		if (!win || win->cand < 0) {
			wt_cost(core, lh_watch_trap_ns(LH_WSRC_HW) + (cpu_ns() - t_cpu));
			core_leave(&old);
			return 0;
		}
	} else {
		/* the stack of the access: unwound from here, through the
		 * signal frame, up to the interrupted pc; then the access
		 * itself first */
		cur.n = 0;
		if (!lh_stack_is_short()) {
			struct lh_frames f;
			int k, j;
			lh_stk_unwind(&f);
			for (k = 0; k < f.n && f.ip[k] != h->pc; k++)
				;
			if (k < f.n)
				for (j = k + 1; j < f.n && cur.n + 1 < LH_SMP_FRAMES &&
				                cur.n + 1 < (uint32_t)lh_opt.stack_depth;
				     j++)
					cur.pc[++cur.n] = f.ip[j];
		}
		/* the code before the pc, read without a load that could fault */
		if (lh_watch_read(h->pc - LH_INSN_BACK, code, sizeof(code)) != 0) {
			owe_trap();
			return 0;
		}
		core_enter(&old);
		win = wt_slot(core, h->slot);
		/* the candidate whose memory operand, from the trap's
		 * registers, covers the watched byte; none: the access is
		 * unknown and not counted */
		if (!h->uc || (regs_of(h->uc, &regs),
		               lh_insn_decode_before_at(code, sizeof(code), h->pc, &regs,
		                                        watched[h->slot], 1, &in) != 0) ||
		    !win || win->cand < 0) {
			wt_cost(core, lh_watch_trap_ns(LH_WSRC_HW) + (cpu_ns() - t_cpu));
			core_leave(&old);
			return 0;
		}
		if (last) {
			last->pc = h->pc;
			last->in = in;
			last->s = cur;
		}
	}
	memset(&wh, 0, sizeof(wh));
	wh.slot = h->slot;
	wh.tag = h->window;
	wh.thread = self_id;
	wh.tid = lh_self_td->smp_tid; /* 0: untracked, no inferred verdict */
	wh.locked = __atomic_load_n(&lh_self_td->n_held, __ATOMIC_RELAXED) > 0;
	/* the slot watches one byte: every access it reports touched it */
	wh.addr = watched[h->slot];
	wh.size = 1;
	wh.is_write = in.is_write;
	wh.is_atomic = in.is_atomic;
	wh.pc = h->pc - in.len;
	cur.pc[0] = wh.pc;
	cur.n++; /* frame 0: the access */
	/* the first access of a window: the lock paths feed the engine from
	 * now on (before it the window's shadow is empty, so no event before
	 * can order anything in it; every release after it, by this thread
	 * or by one that synchronized with it, sees the store) */
	if (!win->hits)
		__atomic_store_n(&lh_smp_windows, 1, __ATOMIC_SEQ_CST);
	i = n_queue;
	a = wt_hit(core, &wh, prog_ns());
	n_found = n_queue - i;
	for (; i < n_queue; i++) {
		queue[i].second = cur;
		side_of(&queue[i].first, &queue[i].r.first);
	}
	{
		struct hit_stack *e = hit_stack_slot(wh.thread, wh.pc);
		e->thread = wh.thread;
		e->pc = wh.pc;
		e->s = cur;
	}
	if (a == WT_CUT || a == WT_PASS)
		cut_id = win->cut_thread; /* its hold ends now (below) */
	if (a == WT_HOLD || a == WT_PASS)
		hold = hold_ns;
	else if (a == WT_DISARM) {
		pending_disarm |= 1u << h->slot;
		/* its later traps are dropped by the source's handler, before
		 * the unwind and this lock, until the tick parks the slot: a
		 * hot window traps on every access, and the rotation thread
		 * must get the lock to end it */
		lh_watch_hw_close(h->slot, h->window);
	}
	/* the trap's cost: its delivery (measured at start-up) and this
	 * handler so far (the unwind, the decode, the core) */
	wt_cost(core, lh_watch_trap_ns(LH_WSRC_HW) + (cpu_ns() - t_cpu));
	core_leave(&old);
	if (a == WT_DISARM)
		park_now(h->slot);
	if (cut_id) {
		/* the window's held reader goes on (WT_CUT, WT_PASS) */
		pid_t os = os_tid_of(cut_id);
		if (os > 0)
			lh_watch_cut_holds(os);
	}
	if (a == WT_DISARM || n_found) {
		/* the rotation thread ends the window (or writes the race) now,
		 * not at its next tick: a hot window traps on every access */
		__atomic_add_fetch(&rot_wake, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, &rot_wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	return hold;
}

static void sink_released(void *ctx, const struct lh_watch_hit *h)
{
	sigset_t old;

	(void)ctx;
	if (h->source == LH_WSRC_WP) {
		lh_smpwp_released(h);
		return;
	}
	if (in_core || h->slot >= WT_SLOTS)
		return;
	core_enter(&old);
	/* this thread's hold: once it passed on (WT_PASS), the window holds
	 * another thread, whose hold this end must not end */
	wt_hold_end_thread(core, (int)h->slot, h->window, lh_self_td ? lh_self_td->id : 0);
	core_leave(&old);
}

/* ---- the rotation thread ---- */

static const char *limit_text(enum wt_limit what)
{
	switch (what) {
	case WT_LIMIT_CANDS:
		return "race watching: more than WT_MAX_CANDS candidates; the rest are not watched";
	case WT_LIMIT_SITES:
		return "race watching: the allocation-site table (WT_LOG2_SITES) is full; new sites are "
		       "sampled sparsely";
	case WT_LIMIT_HITS_SEC:
		return "race watching: the hits-per-second budget was reached; windows were cut short";
	case WT_LIMIT_COST:
		return "race watching: the cost budget (race_budget, per mille of the program's time) "
		       "was spent; windows were cut short and holds skipped";
	case WT_LIMIT_HOT:
		return "race watching: a hot address used up its hits per window and backed off";
	case WT_LIMIT_RING:
		return "race watching: a race's earlier access was no longer remembered (WT_RING); "
		       "it was not reported";
	case WT_LIMIT_MEMORY:
		return "race watching: out of memory; some accesses were not checked";
	case WT_LIMIT_HEAP:
		return "race watching: budget.max_heap sampled blocks live; allocations not sampled";
	case WT_LIMIT_REUSE:
		return "race watching: a thread slot was reused before its last thread was known to "
		       "have ended (more than RC_MAX_THREADS threads not joined); races between the "
		       "two may be missed";
	case WT_LIMIT_ENGINE:
		return "race watching: an epoch reached RC_CLOCK_MAX or an access lay beyond the "
		       "engine's address range; some accesses were not checked";
	case WT_LIMIT_WAITERS:
		return "race watching: more than WT_WAITERS accesses waited in one hold; the later "
		       "ones were checked against those kept, not kept themselves";
	case WT_LIMIT_THREADS:
		return "race watching: more than RC_MAX_THREADS threads in this process; the later "
		       "ones get no inferred verdict (the observed one still applies)";
	default:
		return "race watching: a limit was reached";
	}
}

static void fill_access(struct lh_rec_race_access *a, const struct wt_access *w,
                        const struct side_stack *st)
{
	memset(a, 0, sizeof(*a));
	a->thread_id = w->thread;
	a->stack_id = st->n ? lh_stk_intern(st->pc, (int)st->n, LH_STACK_FIRST_IS_PC) : 0;
	a->addr = w->addr;
	a->size = w->size;
	a->flags = w->is_write ? LH_RACC_WRITE : 0; /* frame 0 is the exact pc, then an unwind */
	if (a->thread_id)
		lh_thr_ensure_id(a->thread_id);
}

/* the names of a stripped module's candidates (see add_stripped) */
#define LH_SMP_UNNAMED UINT32_MAX /* the candidate's name: no symbol */
/* no symbol, and the candidate is the 8 bytes an 8-byte access names (no
 * other named address inside): its extent is known, and its records say
 * so (var_base/var_size) so the analyzer folds a window on its upper
 * half, from a line candidate, into the same finding */
#define LH_SMP_UNNAMED_WORD8 (UINT32_MAX - 1)

/* with the spin lock NOT held: takes the log lock */
static void write_race(const struct queued *q)
{
	struct lh_rec_race rec;
	uintptr_t lo, hi;

	memset(&rec, 0, sizeof(rec));
	lo = q->r.first.addr > q->r.second.addr ? q->r.first.addr : q->r.second.addr;
	hi = q->r.first.addr + q->r.first.size < q->r.second.addr + q->r.second.size
	             ? q->r.first.addr + q->r.first.size
	             : q->r.second.addr + q->r.second.size;
	if (lo < q->r.base)
		lo = q->r.base;
	if (hi > q->r.base + q->r.var_size)
		hi = q->r.base + q->r.var_size;
	if (hi <= lo)
		return;
	rec.addr = lo;
	rec.size = (uint32_t)(hi - lo);
	rec.var_kind = LH_VAR_GLOBAL;
	if (q->r.kind == WT_GLOBAL && q->r.name == LH_SMP_UNNAMED_WORD8) {
		rec.var_base = q->r.base; /* the extent an 8-byte access names */
		rec.var_size = q->r.var_size;
	}
	lh_smpwp_heap_record(&rec, &q->r); /* a sampled heap block's */
	rec.detected_by = LH_RACE_BY_WATCHPOINT;
	rec.flags = q->r.how == WT_BY_OBSERVED ? LH_RACE_DECIDED_OBSERVED : LH_RACE_DECIDED_INFERRED;
	rec.time_ns = lh_now_ns();
	fill_access(&rec.cur, &q->r.second, &q->second);
	fill_access(&rec.prev, &q->r.first, &q->first);
	/* a side on a thread the shim never registered cannot be named */
	if (!rec.cur.thread_id || !rec.prev.thread_id)
		return;
	lh_log_record(LH_REC_RACE, &rec, sizeof(rec), NULL, 0, NULL, 0);
}

/* A slot is never moved while a thread is being created: the kernel
 * copies the inherited events into the new thread from the parent's
 * attributes, and a PERF_EVENT_IOC_MODIFY_ATTRIBUTES meanwhile made
 * clone fail with EINVAL (pthread_create returned it to the program:
 * create_join_churn_clean, about one run in ten).  Creators hold
 * clone_mu around the real call (lh_smp_create_begin/end); every arm and
 * disarm happens under it, all but a trap handler's park (park_now: a
 * disable, which changes no attribute).
 *
 * Order: clone_mu first, then the core's lock (tick, end_all_windows).
 * The other order deadlocked: a creator holding clone_mu stored, inside
 * the real pthread_create, into a write-protected page (a libc global,
 * the program's pthread_t) and waited for the handler thread; the
 * handler waited for the core's lock; the rotation thread held the core's
 * lock and waited for clone_mu to move a watchpoint.  Taking clone_mu
 * before the core's lock, the rotation thread holds neither while a
 * creator runs, so the handler always gets the core. */
static pthread_mutex_t clone_mu = PTHREAD_MUTEX_INITIALIZER;

/* a window just closed in a trap handler: its slot is parked by this
 * thread at once (lh_watch_hw_park), the move owed to the budget like a
 * trap; the tick's disarm then finds it parked.  The one move not under
 * clone_mu: a park is a disable, which a thread creation may overlap
 * (lh_watch_hw_park), and with clone_mu the handler found it taken by the
 * tick most of the time (racy_stats_many: 4-7 of 5-9 parks a run, each
 * leaving the hot word trapping, late, until the tick; 15-59 ms of late
 * traps a 300 ms run) */
static void park_now(unsigned slot)
{
	uint64_t t0 = cpu_ns();

	if (lh_watch_hw_park(slot))
		__atomic_add_fetch(&trap_owed_ns, cpu_ns() - t0, __ATOMIC_RELAXED);
}

static __thread int creating __attribute__((tls_model("initial-exec")));

void lh_smp_create_begin(void)
{
	if (__atomic_load_n(&smp_on, __ATOMIC_ACQUIRE)) {
		lh_mu_lock(&clone_mu);
		creating = 1;
	}
}

void lh_smp_create_end(void)
{
	if (__atomic_load_n(&smp_on, __ATOMIC_ACQUIRE) && creating) {
		creating = 0;
		lh_mu_unlock(&clone_mu);
		lh_gh_drain(); /* the guarded blocks freed meanwhile */
	}
}

/* this thread holds clone_mu: the allocator neither
 * samples nor gives a block back to race watching now (wrap_malloc.c
 * defers the frees to lh_gh_drain) */
int lh_smp_creating(void)
{
	return creating;
}

static void hw_disarm(unsigned slot)
{
	uint64_t t0;

	/* clone_mu and the core's lock are held (end_all_windows) */
	t0 = cpu_ns();
	if (lh_watch_hw_disarm(slot) != 0) /* 0: parked already, nothing moved */
		wt_cost_move(core, cpu_ns() - t0);
}

/* the core's lock is held: what the handlers and the lock paths spent
 * since the last tick, for the cost budget (uncounted_trap) */
static void charge_pending(void)
{
	uint64_t late = lh_watch_hw_late();
	/* a late trap (its window moved or closed) cost its delivery too */
	uint64_t late_ns = (late - late_seen) * lh_watch_trap_ns(LH_WSRC_HW), ns;

	late_seen = late;
	if (late_ns)
		wt_cost(core, late_ns);
	late_charged_ns += late_ns;
	/* the engine feeds, counted for the halves whose reached windows
	 * made them (race_stats), and not charged: charged, they spent
	 * write-protect's budget on racy_stats_many (sixteen threads locking
	 * their own mutexes on the protected page: 40-65 ms of estimated
	 * feeds in a 300 ms run), which race_source=wp then found in 0 of 5
	 * runs against 3 of 5 (load average 7-10); the feeds must get
	 * cheaper before the budget can take them */
	ns = __atomic_exchange_n(&feed_ns, 0, __ATOMIC_RELAXED);
	if (ns) {
		int hw_reached, wp_now = lh_smpwp_reached();
		uint64_t to_hw;
		hw_reached = wt_reached(core);
		/* the windows reached now; none (all ended since): the last
		 * tick's, whose windows fed since then */
		if (hw_reached + wp_now)
			to_hw = ns * (uint64_t)hw_reached / (uint64_t)(hw_reached + wp_now);
		else if (hw_reached_last + wp_reached)
			to_hw = ns * (uint64_t)hw_reached_last / (uint64_t)(hw_reached_last + wp_reached);
		else
			to_hw = hw_on ? ns : 0;
		feed_ns_hw += to_hw;
		feed_ns_wp += ns - to_hw;
	}
}

/* The watchpoint moves a tick decided, made after it let the core's lock
 * go (clone_mu still held, so no thread is being created and no other
 * move runs but a trap handler's park, under the slot's own lock): a
 * move waits for an interrupt of every CPU that runs a thread of the
 * program, 0.2-2 ms with sixteen busy threads, and every
 * trap handler that wanted the core meanwhile spun for it, its CPU time
 * charged to the cost budget.  racy_stats_many: 17-35 ms of its 50-70 ms
 * charged a 300 ms run were handlers waiting for the core.  Between the
 * decision and the move the slot's old word still traps, with the old
 * window's tag: late, as it was while the tick held the lock.  The core
 * then takes what the moves cost, and drops a window whose arm failed.
 * A window that went hot while its arm was still running (the handler's
 * park found the slot's lock taken) is parked here as a handler parks
 * it (park_now), not at the next tick: it is closed to the handler
 * already (lh_watch_hw_park parks only a closed slot). */
struct tick_move {
	unsigned slot;
	uintptr_t addr; /* 0: park */
	uint32_t tag;
};

static void tick_moves(const struct tick_move *mv, int n, uint64_t now)
{
	uint64_t ns[WT_SLOTS];
	int rc[WT_SLOTS], park[WT_SLOTS], k;

	/* every slot that moves is parked first (a disable: tens of us,
	 * against hundreds for a modify), so that its old word stops
	 * trapping at once instead of after the modifies before its own */
	for (k = 0; k < n; k++) {
		uint64_t t0 = cpu_ns();
		park[k] = lh_watch_hw_disarm(mv[k].slot) != 0; /* 0: parked already */
		ns[k] = cpu_ns() - t0;
	}
	for (k = 0; k < n; k++) {
		uint64_t t0 = cpu_ns();
		rc[k] = mv[k].addr ? lh_watch_hw_arm(mv[k].slot, mv[k].addr, 1, 1, mv[k].tag) : 0;
		ns[k] += cpu_ns() - t0;
	}
	in_core = 1;
	prio_lock();
	for (k = 0; k < n; k++) {
		const struct wt_window *w = wt_slot(core, (int)mv[k].slot);
		if (mv[k].addr || park[k])
			wt_cost_move(core, ns[k]);
		if (!mv[k].addr)
			continue;
		/* a failed arm parked the slot; its window ends here */
		if (rc[k] && w->cand >= 0 && w->tag == mv[k].tag)
			wt_disarm(core, (int)mv[k].slot, now);
	}
	spin_unlock();
	in_core = 0;
	for (k = 0; k < n; k++)
		if (mv[k].addr && !rc[k])
			park_now(mv[k].slot);
}

/* arm: fill the free slots (0: only write what was found) */
static void tick(int arm)
{
	struct queued out[LH_SMP_QUEUE];
	struct tick_move mv[WT_SLOTS];
	int n_out, i, q_full, n_mv = 0;
	unsigned done;
	uint64_t now = prog_ns();

	lh_mu_lock(&clone_mu); /* before the core's lock: see clone_mu */
	in_core = 1;
	prio_lock();
	if (smp_stopped) {
		spin_unlock();
		in_core = 0;
		lh_mu_unlock(&clone_mu);
		return;
	}
	wt_cost(core, __atomic_exchange_n(&trap_owed_ns, 0, __ATOMIC_RELAXED));
	done = wt_expired(core, now) | pending_disarm;
	pending_disarm = 0;
	for (i = 0; i < WT_SLOTS; i++) {
		uint32_t t = __atomic_exchange_n(&unc_cut[i], 0, __ATOMIC_ACQUIRE);
		if (t && t == tags[i] && wt_slot(core, i)->cand >= 0)
			done |= 1u << i;
	}
	charge_pending();
	if (wp_share) {
		/* a write-protect half with nothing to watch (no sampled heap
		 * block, no global on an anonymous page: a small executable's
		 * .bss shares its file-backed page with .data) spends nothing:
		 * its part goes to this half meanwhile, and back once it has
		 * a candidate.  Together they never have more than the whole */
		uint32_t want = lh_smpwp_n_cands() ? wp_share : smp_budget.cost_permille;
		if (want != hw_share) {
			wt_cost_share(core, want, now);
			hw_share = want;
		}
	}
	/* a window no access reached in LH_SMP_QUIET_NS of program time hands
	 * its slot to the next word: a big candidate's words are mostly
	 * quiet, and a race sits on one of them */
	for (i = 0; i < WT_SLOTS; i++) {
		const struct wt_window *w = wt_slot(core, i);
		if (w->cand >= 0 && !w->hits && now - w->start_ns >= LH_SMP_QUIET_NS)
			done |= 1u << i;
	}
	for (i = 0; i < WT_SLOTS; i++) {
		/* a slot whose window ends goes to the next window if one
		 * takes it now, else it stays parked: either way its event
		 * is disabled first, and a new window's modify follows, after
		 * the core's lock is let go (tick_moves; a trap on the old
		 * byte meanwhile carries the old tag: late) */
		int park = 0;
		if (done & (1u << i)) {
			wt_disarm(core, i, now);
			park = 1;
		}
		if (arm && hw_on && wt_slot(core, i)->cand < 0) {
			struct wt_window win;
			if (wt_arm(core, i, LH_SMP_STRIDE, now, &win) == 0) {
				/* one byte of the word, inside the candidate: a
				 * watchpoint reports the word, not the bytes an
				 * access touched, and two threads on neighbouring
				 * bytes of one word do not race */
				uintptr_t lo, b = win.addr;
				uint32_t sz;
				wt_cand_range(core, win.cand, &lo, &sz);
				if (b < lo)
					b = lo;
				tags[i] = win.tag;
				watched[i] = b;
				mv[n_mv++] = (struct tick_move){ (unsigned)i, b, win.tag };
				park = 0;
			}
		}
		if (park)
			mv[n_mv++] = (struct tick_move){ (unsigned)i, 0, 0 };
	}
	{
		/* the windows an access reached (their shadow holds it) */
		int k, active = 0;
		for (k = 0; k < WT_SLOTS; k++)
			active += wt_slot(core, k)->cand >= 0 && wt_slot(core, k)->hits > 0;
		hw_reached_last = active;
		/* and the write-protect windows' (armed, re-armed, ended here) */
		wp_reached = lh_smpwp_tick(now, arm);
		active += wp_reached;
		__atomic_store_n(&lh_smp_windows, active, __ATOMIC_SEQ_CST);
	}
	n_out = n_queue;
	memcpy(out, queue, (size_t)n_out * sizeof(out[0]));
	n_queue = 0;
	q_full = noted_queue;
	spin_unlock();
	in_core = 0;
	if (n_mv)
		tick_moves(mv, n_mv, now);
	lh_mu_unlock(&clone_mu);
	for (i = 0; i < n_out; i++)
		write_race(&out[i]);
	lh_smpwp_flush();
	for (i = 1; i < WT_LIMIT_N; i++)
		if (__atomic_exchange_n(&noted[i], 0, __ATOMIC_RELAXED))
			lh_log_note("%s", limit_text((enum wt_limit)i));
	if (q_full && q_full != 2) {
		noted_queue = 2;
		lh_log_note("race watching: more than LH_SMP_QUEUE (%d) races found between two "
		            "ticks; some were not written", LH_SMP_QUEUE);
	}
}

/* the program's threads that have not begun to exit */
static int count_live(void)
{
	struct lh_thread *t;
	int live = 0;

	lh_mu_lock(&lh_thr_mu);
	for (t = lh_thr_list; t && live < 2; t = t->next)
		if (!t->exiting)
			live++;
	lh_mu_unlock(&lh_thr_mu);
	return live;
}

/* every window ends (nothing armed while no rotation thread runs) */
static void end_all_windows(void)
{
	uint64_t now = prog_ns();
	int i, was = in_core;

	lh_mu_lock(&clone_mu); /* before the core's lock: see clone_mu */
	lh_smp_lock(); /* in_core: a held write-protect thread's release is no call back */
	for (i = 0; i < WT_SLOTS; i++)
		if (wt_slot(core, i)->cand >= 0) {
			hw_disarm((unsigned)i);
			wt_disarm(core, i, now);
		}
	pending_disarm = 0;
	__atomic_store_n(&lh_smp_windows, 0, __ATOMIC_SEQ_CST);
	lh_smpwp_end_all();
	lh_smp_unlock();
	lh_mu_unlock(&clone_mu);
	in_core = was;
}

static void add_candidates(void);

static void *rotation_main(void *arg)
{
	struct timespec ts = { 0, (long)LH_SMP_TICK_NS };
	unsigned n = 0;

	(void)arg;
	lh_own_thread_begin();
	lh_watch_short_slice(); /* its ticks preempt busy program threads */
	in_core = 0;
	lh_in_shim++; /* this thread's calls are the shim's own */
	add_candidates();
	lh_smpwp_add_globals(core); /* those on anonymous pages, once */
	for (;;) {
		if (__atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED)) /* exact mode sees every access */
			break;
		tick(1);
		{
			uint32_t w = __atomic_load_n(&rot_wake, __ATOMIC_ACQUIRE);
			syscall(SYS_futex, &rot_wake, FUTEX_WAIT_PRIVATE, w, &ts, NULL, 0);
		}
		if (++n % LH_SMP_LIVE_EVERY == 0 && count_live() <= 1) {
			/* One thread cannot race.  Nor may this thread outlive the
			 * program's: glibc ends a process whose main called
			 * pthread_exit when its last thread is gone, and counts
			 * this one.  A later thread creation starts rotating
			 * again (lh_smp_kick); the watchdog's hand-over. */
			int zero = 0;
			end_all_windows();
			lh_watch_wp_idle(); /* its handler thread must not outlive the program's */
			tick(0); /* the races found before */
			__atomic_store_n(&smp_started, 0, __ATOMIC_SEQ_CST);
			if (count_live() <= 1 ||
			    !__atomic_compare_exchange_n(&smp_started, &zero, 1, 0, __ATOMIC_SEQ_CST,
			                                 __ATOMIC_SEQ_CST))
				break;
		}
	}
	lh_own_thread_end();
	return NULL;
}

/* ---- candidates: the writable data symbols of the loaded modules ----
 *
 * Read once, by the rotation thread when it first starts (one thread
 * cannot race, and a process that never creates one never pays): for the
 * executable and each library loaded at start-up (list_modules), except the C and C++
 * runtimes and the shim's own (their globals are their own business,
 * synchronized in ways the instruction cannot show, such as a
 * pthread_mutex_t's fields), the STT_OBJECT symbols of writable,
 * allocated, non-TLS sections (.symtab, else .dynsym), each one candidate,
 * and the module's code range (a hit counts only from such code).  Then
 * the module's code is swept for instructions that name a global's bytes
 * directly (RIP-relative operands: `counter++`, `s.field = x`): each field
 * of a bigger global that code names is a candidate of its own too, so a
 * racy counter in a 1 KB struct is watched within a few windows instead
 * of when a word-by-word scan reaches it.  Modules loaded later (dlopen)
 * are not watched. */

/* modules whose code counts and whose globals are candidates */
#define LH_SMP_MODULES 64
/* code bytes of one module swept for the fields its instructions name;
 * beyond: only the first LH_SMP_SCAN_MAX bytes (noted) */
#define LH_SMP_SCAN_MAX (16u << 20)
/* a library's code segment bigger than this is not swept (noted): the
 * sweep costs about 80 us of CPU per KB here (libcrypto's 2.6 MB took
 * 219 ms, most of memcached's start), and a library's big globals are
 * its own business more often than the program's */
#define LH_SMP_SCAN_LIB_MAX (256u << 10)
/* distinct addresses named by one module's code that are remembered;
 * beyond: the rest are not candidates of their own (noted) */
#define LH_SMP_REFS 65536

struct code_range {
	uintptr_t lo, hi;
};
static struct code_range code[LH_SMP_MODULES];
static int n_code; /* published with release after code[] is filled */

/* libraries left out (file name prefixes): the C library and loader, the
 * C++ and compiler runtimes, the shim and what it links */
static const char *const skip_libs[] = {
	"libc.so", "ld-linux", "libstdc++", "libgcc_s", "libm.so", "libpthread", "libdl.so",
	"librt.so", "libcapstone", "libunwind", "liblzma", "liblockhound", "linux-vdso", NULL
};

static int skipped_lib(const char *path)
{
	const char *base = strrchr(path, '/');
	int i;

	base = base ? base + 1 : path;
	for (i = 0; skip_libs[i]; i++)
		if (!strncmp(base, skip_libs[i], strlen(skip_libs[i])))
			return 1;
	return 0;
}

/* a pc of code whose accesses count (async-signal-safe: read-only once published) */
static int counted_pc(uintptr_t pc)
{
	int i, n = __atomic_load_n(&n_code, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++)
		if (pc > code[i].lo && pc <= code[i].hi)
			return 1;
	return 0;
}

/* addresses named by 8-byte accesses that are remembered (the extent of
 * a stripped module's counter, for the report); beyond: a counter's
 * halves may be reported as two variables (noted) */
#define LH_SMP_REFS8 16384

struct refs {
	uintptr_t *a;
	int n, cap, full;
	uintptr_t *w8; /* the addresses of a[] some 8-byte access names */
	int n8, cap8, full8;
};

static void on_ref(void *ctx, uint64_t addr, unsigned size, int is_write)
{
	struct refs *r = ctx;

	(void)is_write;
	if (size == 8) {
		if (r->n8 < r->cap8)
			r->w8[r->n8++] = (uintptr_t)addr;
		else
			r->full8 = 1;
	}
	if (r->n >= r->cap) {
		r->full = 1;
		return;
	}
	r->a[r->n++] = (uintptr_t)addr;
}

/* the index of the first of the sorted v[0..n) at or past a (n if none) */
static int lower_bound(const uintptr_t *v, int n, uintptr_t a)
{
	int l = 0, r = n;

	while (l < r) {
		int mid = (l + r) / 2;
		if (v[mid] < a)
			l = mid + 1;
		else
			r = mid;
	}
	return l;
}

/* is a among the sorted v[0..n) */
static int in_sorted(const uintptr_t *v, int n, uintptr_t a)
{
	int l = lower_bound(v, n, a);

	return l < n && v[l] == a;
}

/* where the field code names at refs->a[j] ends, in a range ending at hi:
 * the next named address or hi, at most 8 bytes on */
static uintptr_t field_end(const struct refs *refs, int j, uintptr_t hi)
{
	uintptr_t f = refs->a[j];
	uintptr_t e = j + 1 < refs->n && refs->a[j + 1] < hi ? refs->a[j + 1] : hi;

	return e - f > 8 ? f + 8 : e;
}

static void sift(uintptr_t *a, int i, int n)
{
	for (;;) {
		int c = 2 * i + 1;
		uintptr_t t;
		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[i] >= a[c])
			return;
		t = a[i];
		a[i] = a[c];
		a[c] = t;
		i = c;
	}
}

/* heapsort, then duplicates dropped (no qsort: it may allocate) */
static int sort_unique(uintptr_t *a, int n)
{
	int i, m;

	for (i = n / 2 - 1; i >= 0; i--)
		sift(a, i, n);
	for (i = n - 1; i > 0; i--) {
		uintptr_t t = a[0];
		a[0] = a[i];
		a[i] = t;
		sift(a, 0, i);
	}
	for (i = 0, m = 0; i < n; i++)
		if (!m || a[i] != a[m - 1])
			a[m++] = a[i];
	return m;
}

/* is name among the defined symbols of .dynsym (exported: a copy-relocated
 * library variable such as stdout, or the program's own exports)?  name is
 * .symtab's, which carries the version of a copied library variable
 * (elfname.h) */
static int exported(const char *base, const Elf64_Shdr *sh, const Elf64_Shdr *dynsym,
                    const char *name)
{
	const Elf64_Sym *s;
	const char *str;
	size_t i, n;

	if (!dynsym || dynsym->sh_link >= ((const Elf64_Ehdr *)base)->e_shnum)
		return 0;
	str = base + sh[dynsym->sh_link].sh_offset;
	s = (const Elf64_Sym *)(base + dynsym->sh_offset);
	n = dynsym->sh_size / sizeof(*s);
	for (i = 0; i < n; i++)
		if (s[i].st_shndx != SHN_UNDEF && s[i].st_name < sh[dynsym->sh_link].sh_size &&
		    lh_elf_name_is(name, str + s[i].st_name))
			return 1;
	return 0;
}

static int noted_scan, noted_scan_lib, noted_refs, noted_refs8, noted_modules, noted_lines;

/* ---- a module without a symbol table (stripped: strip --strip-all, as
 * Debian ships its executables and libraries) ----
 * Its writable data has no names, so it is watched unnamed: the data
 * sections (.data, .bss and their .data.NAME / .bss.NAME parts, from the
 * section headers; without them, the writable PT_LOAD segment), less
 * what RELRO makes read-only (.got, .dynamic, .init_array, .data.rel.ro
 * are never the program's variables), as
 *  - one word-sized candidate per address the module's code names
 *    (RIP-relative operands, the sweep above: `counter++` names its
 *    counter), up to the next named address, at most 8 bytes;
 *  - one candidate per cache line (LH_SMP_LINE bytes) of the rest, so
 *    that data reached only through pointers is watched too.
 * They are rotated like named ones, and the core's picks favour those
 * that several threads touch.  The report names them by module, section
 * and offset ("memcached .bss+0x1a0"), or by a symbol the analyzer finds
 * later (a debug file).  Write-protect watches only the anonymous part
 * (the pages of .bss past the file's last page: lh_smpwp_add_globals);
 * .data and the first page of .bss only hardware watchpoints see.
 * Limit: LH_SMP_LINES lines per module (noted); the words code names are
 * candidates whatever the module's size. */
#define LH_SMP_LINE 64
#define LH_SMP_LINES 8192   /* 512 KiB of a module's unnamed data, in lines */

static void add_unnamed_cand(uintptr_t lo, uintptr_t hi, uint32_t name)
{
	prio_lock();
	wt_cand_add(core, WT_GLOBAL, lo, (uint32_t)(hi - lo), name);
	spin_unlock();
}

/* [lo, hi): a data range of a stripped module; *n_lines: the module's
 * lines so far */
static void add_unnamed_range(const struct refs *refs, uintptr_t lo, uintptr_t hi, int *n_lines)
{
	uintptr_t ln;
	int j;

	for (j = lower_bound(refs->a, refs->n, lo); j < refs->n && refs->a[j] < hi; j++) {
		uintptr_t f = refs->a[j], e = field_end(refs, j, hi);
		add_unnamed_cand(f, e, e - f == 8 && in_sorted(refs->w8, refs->n8, f)
		                               ? LH_SMP_UNNAMED_WORD8
		                               : LH_SMP_UNNAMED);
	}
	for (ln = lo & ~(uintptr_t)(LH_SMP_LINE - 1); ln < hi; ln += LH_SMP_LINE) {
		uintptr_t a = ln < lo ? lo : ln, b = ln + LH_SMP_LINE > hi ? hi : ln + LH_SMP_LINE;
		if (*n_lines >= LH_SMP_LINES) {
			if (!noted_lines) {
				noted_lines = 1;
				lh_log_note("race watching: a stripped module has more than LH_SMP_LINES (%d) "
				            "cache lines of data; the rest is watched only where its code names "
				            "an address (the result may be incomplete)",
				            LH_SMP_LINES);
			}
			return;
		}
		(*n_lines)++;
		add_unnamed_cand(a, b, LH_SMP_UNNAMED);
	}
}

/* [lo, hi) past the RELRO part [relro_lo, relro_hi) that overlaps its start */
static void add_past_relro(const struct refs *refs, uintptr_t lo, uintptr_t hi, uintptr_t relro_lo,
                           uintptr_t relro_hi, int *n_lines)
{
	if (lo < relro_hi && hi > relro_lo)
		lo = relro_hi > lo ? relro_hi : lo;
	if (lo < hi)
		add_unnamed_range(refs, lo, hi, n_lines);
}

/* a data section of a stripped module whose bytes may be the program's
 * variables: .data, .bss, .data.NAME, .bss.NAME (not .data.rel.ro*) */
static int data_section(const char *name)
{
	if (!strcmp(name, ".data") || !strcmp(name, ".bss") || !strncmp(name, ".bss.", 5))
		return 1;
	return !strncmp(name, ".data.", 6) && strncmp(name, ".data.rel.ro", 12) != 0;
}

/* the writable data of a module without .symtab, as unnamed candidates */
static void add_stripped(const char *base, const Elf64_Ehdr *eh, const Elf64_Shdr *sh,
                         uint64_t file_size, uintptr_t bias, const ElfW(Phdr) *ph, int phnum,
                         const struct refs *refs)
{
	uintptr_t relro_lo = 0, relro_hi = 0;
	int k, n_lines = 0, from_sections = 0;
	size_t i;

	for (k = 0; k < phnum; k++)
		if (ph[k].p_type == PT_GNU_RELRO) {
			relro_lo = bias + ph[k].p_vaddr;
			relro_hi = relro_lo + ph[k].p_memsz;
		}
	if (eh->e_shnum && eh->e_shstrndx < eh->e_shnum &&
	    sh[eh->e_shstrndx].sh_offset + sh[eh->e_shstrndx].sh_size <= file_size) {
		const char *names = base + sh[eh->e_shstrndx].sh_offset;
		uint64_t names_len = sh[eh->e_shstrndx].sh_size;
		for (i = 0; i < eh->e_shnum; i++) {
			uintptr_t lo, hi;
			if ((sh[i].sh_flags & (SHF_WRITE | SHF_ALLOC)) != (SHF_WRITE | SHF_ALLOC) ||
			    (sh[i].sh_flags & SHF_TLS) || !sh[i].sh_size || sh[i].sh_name >= names_len ||
			    (sh[i].sh_type != SHT_PROGBITS && sh[i].sh_type != SHT_NOBITS) ||
			    !memchr(names + sh[i].sh_name, 0, names_len - sh[i].sh_name) ||
			    !data_section(names + sh[i].sh_name))
				continue;
			from_sections = 1;
			lo = bias + sh[i].sh_addr;
			hi = lo + sh[i].sh_size;
			add_past_relro(refs, lo, hi, relro_lo, relro_hi, &n_lines);
		}
	}
	if (from_sections)
		return;
	/* no section headers: the writable segments past RELRO */
	for (k = 0; k < phnum; k++) {
		uintptr_t lo, hi;
		if (ph[k].p_type != PT_LOAD || !(ph[k].p_flags & PF_W))
			continue;
		lo = bias + ph[k].p_vaddr;
		hi = lo + ph[k].p_memsz;
		add_past_relro(refs, lo, hi, relro_lo, relro_hi, &n_lines);
	}
}

/* the candidates of one module; is_exe: the executable (its exported
 * symbols are copy-relocated library variables, left out) */
static void add_module(const char *path, uintptr_t bias, const ElfW(Phdr) *ph, int phnum,
                       int is_exe, struct refs *refs)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh, *symtab = NULL, *dynsym = NULL;
	const Elf64_Sym *sy;
	const char *str, *base;
	struct stat st;
	size_t i, n;
	int fd, k, j, stripped;
	void *m;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return;
	base = m;
	eh = m;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > (uint64_t)st.st_size)
		goto out;
	sh = (const Elf64_Shdr *)(base + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_NOBITS && sh[i].sh_offset + sh[i].sh_size > (uint64_t)st.st_size)
			goto out;
		if (sh[i].sh_type == SHT_SYMTAB)
			symtab = &sh[i];
		else if (sh[i].sh_type == SHT_DYNSYM)
			dynsym = &sh[i];
	}
	stripped = !symtab;
	if (!symtab)
		symtab = dynsym;
	if (symtab && symtab->sh_link >= eh->e_shnum)
		symtab = NULL;
	/* the code: its range counts, and it is swept for the fields it names */
	refs->n = 0;
	refs->full = 0;
	refs->n8 = 0;
	for (k = 0; k < phnum; k++) {
		size_t len;
		if (ph[k].p_type != PT_LOAD || !(ph[k].p_flags & PF_X))
			continue;
		if (n_code < LH_SMP_MODULES) {
			code[n_code].lo = bias + ph[k].p_vaddr;
			code[n_code].hi = bias + ph[k].p_vaddr + ph[k].p_memsz;
			__atomic_store_n(&n_code, n_code + 1, __ATOMIC_RELEASE);
		} else if (!noted_modules) {
			noted_modules = 1;
			lh_log_note("race watching: code of more than LH_SMP_MODULES (%d) segments; "
			            "accesses from the rest are not watched", LH_SMP_MODULES);
		}
		len = ph[k].p_filesz;
		if (ph[k].p_offset + len > (uint64_t)st.st_size)
			continue;
		if (!is_exe && len > LH_SMP_SCAN_LIB_MAX) {
			if (!noted_scan_lib) {
				noted_scan_lib = 1;
				lh_log_note("race watching: a library's code is bigger than LH_SMP_SCAN_LIB_MAX "
				            "(%u KiB) and was not swept; the fields of its globals are watched only "
				            "as part of their variable (the result may be incomplete)",
				            LH_SMP_SCAN_LIB_MAX >> 10);
			}
			continue;
		}
		if (len > LH_SMP_SCAN_MAX) {
			len = LH_SMP_SCAN_MAX;
			if (!noted_scan) {
				noted_scan = 1;
				lh_log_note("race watching: a module's code is bigger than LH_SMP_SCAN_MAX; "
				            "fields named past it are watched only as part of their variable");
			}
		}
		lh_insn_scan_rip((const uint8_t *)base + ph[k].p_offset, len, bias + ph[k].p_vaddr, on_ref,
		                 refs);
	}
	if (refs->full && !noted_refs) {
		noted_refs = 1;
		lh_log_note("race watching: code names more than LH_SMP_REFS addresses; the rest are "
		            "watched only as part of their variable");
	}
	if (refs->full8 && !noted_refs8) {
		noted_refs8 = 1;
		lh_log_note("race watching: code names more than LH_SMP_REFS8 (%d) addresses with "
		            "8-byte accesses; the halves of a stripped module's 8-byte variables past it "
		            "may be reported as two variables", LH_SMP_REFS8);
	}
	refs->n = sort_unique(refs->a, refs->n);
	refs->n8 = sort_unique(refs->w8, refs->n8);
	if (stripped)
		add_stripped(base, eh, sh, (uint64_t)st.st_size, bias, ph, phnum, refs);
	if (!symtab)
		goto out;
	str = base + sh[symtab->sh_link].sh_offset;
	sy = (const Elf64_Sym *)(base + symtab->sh_offset);
	n = symtab->sh_size / sizeof(*sy);
	for (i = 0; i < n; i++) {
		const Elf64_Shdr *sec;
		uintptr_t lo, hi;
		if (ELF64_ST_TYPE(sy[i].st_info) != STT_OBJECT || !sy[i].st_size ||
		    sy[i].st_shndx == SHN_UNDEF || sy[i].st_shndx >= eh->e_shnum ||
		    sy[i].st_size > UINT32_MAX || sy[i].st_name >= sh[symtab->sh_link].sh_size)
			continue;
		sec = &sh[sy[i].st_shndx];
		if ((sec->sh_flags & (SHF_WRITE | SHF_ALLOC)) != (SHF_WRITE | SHF_ALLOC) ||
		    (sec->sh_flags & SHF_TLS))
			continue;
		if (is_exe && symtab != dynsym && exported(base, sh, dynsym, str + sy[i].st_name))
			continue;
		lo = bias + sy[i].st_value;
		hi = lo + sy[i].st_size;
		prio_lock();
		wt_cand_add(core, WT_GLOBAL, lo, (uint32_t)sy[i].st_size, (uint32_t)i);
		spin_unlock();
		if (sy[i].st_size <= LH_SMP_STRIDE)
			continue;
		/* the fields code names: the first named address at or past lo */
		for (j = lower_bound(refs->a, refs->n, lo); j < refs->n && refs->a[j] < hi; j++) {
			uintptr_t f = refs->a[j], e = field_end(refs, j, hi);
			prio_lock();
			wt_cand_add(core, WT_GLOBAL, f, (uint32_t)(e - f), (uint32_t)i);
			spin_unlock();
		}
	}
out:
	munmap(m, (size_t)st.st_size);
}

/* The modules, listed by lh_smp_init while the process has one thread:
 * dl_iterate_phdr holds the loader's lock through its callback, and a
 * fork while another thread held it (reading files and sweeping code in
 * the callback) left the child's first unwind blocked on it forever
 * (watch_fork_exec_clean).  Names and program headers stay valid while
 * the module is loaded. */
struct mod_ent {
	const char *path;
	uintptr_t bias;
	const ElfW(Phdr) *ph;
	int phnum, is_exe;
};
static struct mod_ent mods[LH_SMP_MODULES];
static int n_mods;

static int module_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t shim_base = *(const uintptr_t *)data;
	int is_exe = n_mods == 0 && !(info->dlpi_name && *info->dlpi_name);

	(void)size;
	if (n_mods >= LH_SMP_MODULES)
		return 1;
	if (!is_exe && (!info->dlpi_name || !*info->dlpi_name || info->dlpi_addr == shim_base ||
	                skipped_lib(info->dlpi_name)))
		return 0;
	mods[n_mods].path = is_exe ? "/proc/self/exe" : info->dlpi_name;
	mods[n_mods].bias = info->dlpi_addr;
	mods[n_mods].ph = info->dlpi_phdr;
	mods[n_mods].phnum = info->dlpi_phnum;
	mods[n_mods].is_exe = is_exe;
	n_mods++;
	return 0;
}

static void list_modules(void)
{
	uintptr_t shim_base = 0;
	Dl_info di;

	if (dladdr((void *)&lh_smp_init, &di) && di.dli_fbase)
		shim_base = (uintptr_t)di.dli_fbase;
	n_mods = 0;
	dl_iterate_phdr(module_cb, &shim_base);
}

/* once, in the rotation thread: no loader lock held */
static void add_candidates(void)
{
	static int done;
	struct refs refs;
	uint64_t t0;
	int i;

	if (done)
		return;
	done = 1;
	memset(&refs, 0, sizeof(refs));
	refs.cap = LH_SMP_REFS;
	refs.a = lh_alloc(sizeof(uintptr_t) * LH_SMP_REFS);
	if (!refs.a)
		refs.cap = 0;
	refs.cap8 = LH_SMP_REFS8;
	refs.w8 = lh_alloc(sizeof(uintptr_t) * LH_SMP_REFS8);
	if (!refs.w8)
		refs.cap8 = 0;
	t0 = cpu_ns();
	for (i = 0; i < n_mods; i++)
		add_module(mods[i].path, mods[i].bias, mods[i].ph, mods[i].phnum, mods[i].is_exe, &refs);
	/* reading the modules is watching's cost too */
	lh_smp_lock();
	wt_cost(core, cpu_ns() - t0);
	lh_smp_unlock();
	/* the buffers go back to no one: lh_alloc'd memory of the shim,
	 * LH_SMP_REFS + LH_SMP_REFS8 words once per process */
}

/* ---- start-up, threads, fork ---- */

void lh_smp_init(void)
{
	struct wt_budget b;
	struct rc_alloc a = { alloc_cb, NULL };
	struct wt_hooks h = { on_race, on_limit, NULL };
	struct lh_insn_mem mem = { cs_malloc_cb, cs_calloc_cb, cs_realloc_cb, cs_free_cb };
	static const struct lh_watch_sink sink = { sink_hit, sink_released, NULL };
	unsigned want;

	if (!lh_opt.races || lh_rt_on)
		return;
	/* race_source: auto uses every source that works here: hardware
	 * watchpoints for the globals, write-protect for sampled heap blocks
	 * and the globals on anonymous pages */
	switch (lh_opt.race_source) {
	case LH_RACE_SRC_HW:
		want = LH_WSRC_HW;
		break;
	case LH_RACE_SRC_WP:
		want = LH_WSRC_WP;
		break;
	default:
		want = LH_WSRC_HW | LH_WSRC_WP;
		break;
	}
	wt_budget_default(&b);
	if (lh_opt.race_hits_per_sec > 0)
		b.hits_per_sec = (uint32_t)lh_opt.race_hits_per_sec;
	if (lh_opt.race_budget > 0)
		b.cost_permille = (uint32_t)lh_opt.race_budget;
	hold_ns = b.hold_ns;
	lh_smp_hold_ns = b.hold_ns;
	smp_budget = b;
	core = wt_create(&b, &a, &h, 1);
	if (!core || !(eng = wt_engine(core)) || lh_insn_open(&mem) != 0) {
		lh_log_note("race watching: could not start (memory or the instruction decoder); "
		            "no sampled data races are reported");
		return;
	}
	list_modules();
	/* write-protect alone: the executable's data pages made anonymous,
	 * so that it can watch every global (sampler_wp.c), in the only
	 * thread */
	if (want & LH_WSRC_WP)
		lh_smpwp_prepare(want == LH_WSRC_WP);
	/* the self-test and the inherited events, before any other thread
	 * exists; when no source works it says so once, on stderr and in a
	 * note, and the rest of the shim goes on.  Write-protect starts a
	 * thread: at the program's first thread creation (lh_smp_kick), not
	 * here, where the shim may be starting inside another library's
	 * allocator (tcmalloc's initialization) */
	hw_on = (lh_watch_init((want & LH_WSRC_HW) | (want & LH_WSRC_WP ? LH_WATCH_WP_LATER : 0),
	                       &sink, 0) &
	         LH_WSRC_HW) != 0;
	wp_later = (want & LH_WSRC_WP) != 0;
	if (!hw_on && !wp_later)
		return;
	if (!wp_later)
		lh_smpwp_heap_to_hw(core);
	if (lh_self_td)
		lh_self_td->smp_tid = rc_thread_new(eng, 0);
	__atomic_store_n(&smp_on, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&lh_smp_active, 1, __ATOMIC_RELEASE);
	lh_thr_ensure(lh_self_td); /* the main thread's record, for the reports */
	/* sampled heap blocks on pages of their own, watched by whichever
	 * source works (heap_guards -1: the default budget; 0: none; more:
	 * started at init already) */
	if (lh_opt.heap_guards < 0)
		lh_gh_start(GH_MAX_LIVE, (unsigned)lh_opt.heap_dense);
}

/* the first thread the program creates: start rotating (one thread
 * cannot race) */
void lh_smp_kick(void)
{
	int rc;
	pthread_t th;
	pthread_attr_t attr;
	sigset_t all, old;
	int expected = 0;

	/* the creating thread (the main thread, for the first one) */
	if (__atomic_load_n(&smp_on, __ATOMIC_ACQUIRE) && lh_self_td && !lh_self_td->smp_last)
		smp_last_ensure(lh_self_td);
	if (likely(!__atomic_load_n(&smp_on, __ATOMIC_ACQUIRE)) ||
	    __atomic_load_n(&smp_started, __ATOMIC_RELAXED) ||
	    !__atomic_compare_exchange_n(&smp_started, &expected, 1, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_RELAXED))
		return;
	if (wp_later && !wp_kicked) {
		/* the first thread creation: still the only thread */
		wp_kicked = 1;
		struct wt_budget half = smp_budget;
		/* both halves share the cost budget (still the only thread:
		 * nothing else is in the core).  No quiet back-off for
		 * write-protect: its moves are two ioctls of a few us and a
		 * protected page costs nothing at a context switch, while its
		 * windows' faults from the C library are no hits, so a block
		 * holding a mutex looked quiet and was watched a third as
		 * often */
		half.quiet_ns = 0;
		if (hw_on)
			half.cost_permille = (smp_budget.cost_permille + 1) / 2;
		if ((lh_watch_start_wp(0) & LH_WSRC_WP) && lh_smpwp_start(core, &half) == 0) {
			if (hw_on) {
				wt_cost_share(core, half.cost_permille, prog_ns());
				hw_share = half.cost_permille;
				wp_share = half.cost_permille;
			}
			lh_gh_adopt(); /* the blocks sampled so far become candidates */
		} else if (hw_on) {
			lh_smpwp_heap_to_hw(core);
			lh_gh_adopt();
		} else {
			/* nothing works (said once, on stderr and in a note) */
			__atomic_store_n(&smp_on, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&lh_smp_active, 0, __ATOMIC_RELEASE);
			return;
		}
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* the program's signals are never delivered to this thread */
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, _NSIG / 8);
	lh_smp_create_begin();
	rc = lh_real.create(&th, &attr, rotation_main, NULL);
	lh_smp_create_end();
	if (rc != 0)
		lh_log_note("race watching: the rotation thread could not start; nothing is watched");
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
	pthread_attr_destroy(&attr);
}

int lh_smp_top_cands(const struct wt_core *w, struct wt_cand_stat *top)
{
	int i, j, n = 0, hi = wt_n_cands(w);
	struct wt_cand_stat cs;

	/* wt_n_cands counts live ones: freed entries in between are skipped,
	 * so look a little past it */
	for (i = 0; i < hi + 4096 && i < WT_MAX_CANDS; i++) {
		if (wt_cand_stat(w, i, &cs) < 0 || !cs.windows)
			continue;
		for (j = n < LH_SMP_TOP_CANDS ? n++ : n; j > 0 && top[j - 1].windows < cs.windows; j--)
			if (j < LH_SMP_TOP_CANDS)
				top[j] = top[j - 1];
		if (j < LH_SMP_TOP_CANDS)
			top[j] = cs;
	}
	return n;
}

void lh_smp_top_note(const char *half, const struct wt_cand_stat *top, int n)
{
	int i;

	for (i = 0; i < n; i++)
		lh_log_note("race watching statistics (%s): candidate %#lx (%u bytes, %u threads): %u "
		            "windows, %u hits, %u hot, %u holds, %u met, %u verdicts",
		            half, (unsigned long)top[i].addr, top[i].size, top[i].threads,
		            top[i].windows, top[i].hits, top[i].hot, top[i].holds, top[i].met,
		            top[i].found);
}

/* race_stats=1: where the hardware-watchpoint core's windows went, as a
 * note (the log lock is taken: called with the core's lock not held) */
static void stats_note(void)
{
	static const char *const cls[WT_CLS_N] = { "words (<= 8 bytes)", "wider (lines, arrays)",
		                                     "heap" };
	struct wt_cand_class k[WT_CLS_N];
	struct wt_cand_stat top[LH_SMP_TOP_CANDS];
	struct wt_stats st;
	int i, n_top;

	in_core = 1;
	prio_lock();
	wt_stats(core, &st);
	wt_cand_summary(core, k);
	n_top = lh_smp_top_cands(core, top);
	spin_unlock();
	in_core = 0;
	lh_log_note("race watching statistics (watchpoints): %llu windows, %llu hits, %llu holds, "
	            "%llu observed, %llu inferred, %llu cut by the cost budget, %llu ms charged",
	            (unsigned long long)st.windows, (unsigned long long)st.hits,
	            (unsigned long long)st.holds, (unsigned long long)st.observed,
	            (unsigned long long)st.inferred, (unsigned long long)st.cost_cut,
	            (unsigned long long)(st.cost_ns / 1000000));
	lh_log_note("race watching statistics (watchpoints): %llu traps the core never saw (code "
	            "outside the watched modules, or inside the shim), %llu windows they ended, "
	            "%llu us charged, late traps %llu us; the lock paths' engine feeds (not "
	            "charged) %llu us for this half, %llu us for write-protect's, %llu acquires and "
	            "releases answered by the engine's memos",
	            (unsigned long long)__atomic_load_n(&n_uncounted, __ATOMIC_RELAXED),
	            (unsigned long long)__atomic_load_n(&n_uncounted_cut, __ATOMIC_RELAXED),
	            (unsigned long long)(unseen_charged_ns / 1000),
	            (unsigned long long)(late_charged_ns / 1000),
	            (unsigned long long)(feed_ns_hw / 1000),
	            (unsigned long long)(feed_ns_wp / 1000),
	            (unsigned long long)rc_memo_counts(eng, NULL));
	for (i = 0; i < WT_CLS_N; i++)
		lh_log_note("race watching statistics (watchpoints): %s: %llu candidates, %llu had a "
		            "window, %llu windows; %llu touched by 2+ threads, with %llu windows",
		            cls[i], (unsigned long long)k[i].cands, (unsigned long long)k[i].windowed,
		            (unsigned long long)k[i].windows, (unsigned long long)k[i].shared,
		            (unsigned long long)k[i].shared_windows);
	lh_smp_top_note("watchpoints", top, n_top);
}

void lh_smp_stop(void)
{
	sigset_t all, old;

	if (!__atomic_load_n(&smp_on, __ATOMIC_ACQUIRE))
		return;
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, _NSIG / 8);
	in_core = 1;
	end_all_windows();
	in_core = 0;
	tick(0); /* the races found and not yet written, the limits reached */
	/* under clone_mu too: a tick of the rotation thread makes its moves
	 * outside the core's lock (tick_moves), and one that had decided
	 * before would arm a watchpoint after lh_watch_shutdown */
	lh_mu_lock(&clone_mu);
	in_core = 1;
	prio_lock();
	smp_stopped = 1;
	spin_unlock();
	in_core = 0;
	lh_mu_unlock(&clone_mu);
	if (lh_opt.race_stats) {
		stats_note();
		lh_smpwp_stats_note();
	}
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
}

/* ---- happens-before for the inferred verdict ----
 * The engine is safe to call from any thread (race.h); every call here
 * is from a program thread outside the SIGTRAP handler, on its own engine
 * slot.  A thread's end releases on its pthread_t and a join acquires it:
 * the pthread_t is not reused before the join returns, and the slot is
 * free at once (no table from pthread_t to slot; a reused slot can hide
 * a race between its two occupants, never make one up: RC_LIMIT_REUSE). */
static inline rc_tid my_tid(void)
{
	struct lh_thread *t = lh_self_td;

	return t ? t->smp_tid : 0;
}

void lh_smp_thread_new(struct lh_thread *child)
{
	if (!__atomic_load_n(&smp_on, __ATOMIC_ACQUIRE) || !child)
		return;
	child->smp_tid = rc_thread_new(eng, my_tid());
}

void lh_smp_thread_failed(struct lh_thread *child)
{
	if (!child || !child->smp_tid)
		return;
	rc_thread_exit(eng, child->smp_tid);
	rc_thread_detach(eng, child->smp_tid);
	child->smp_tid = 0;
}

void lh_smp_thread_exit(struct lh_thread *t)
{
	if (!t || !t->smp_tid || !__atomic_load_n(&smp_on, __ATOMIC_ACQUIRE))
		return;
	/* the release a join acquires (lh_smp_joined), and the end: the
	 * joiner then gets this slot back exactly for its next thread */
	rc_thread_exit_release(eng, t->smp_tid, (uintptr_t)pthread_self());
	rc_thread_detach(eng, t->smp_tid); /* the slot may be reused */
	t->smp_tid = 0;
}

void lh_smp_joined(pthread_t th)
{
	rc_tid me;

	if (!__atomic_load_n(&smp_on, __ATOMIC_ACQUIRE) || !(me = my_tid()))
		return;
	rc_acquire(eng, me, (uintptr_t)th);
}

/* What feeding the engine costs the lock paths while a reached window is
 * armed, estimated for race_stats (charge_pending; not charged to the
 * budget, see there): with write-protect's window on the uncontended
 * microbenchmark's block of mutexes every lock and unlock of every thread
 * fed it, about a fifth of the run's CPU time.  With race_stats=1 only
 * (nothing else reads the estimate), each thread times one feed
 * in LH_SMP_FEED_EVERY (CLOCK_MONOTONIC, the vDSO's: no system call) and
 * counts it that many times; a feed the scheduler interrupted counts at
 * most LH_SMP_FEED_CAP_NS. */
static __thread uint32_t feed_count __attribute__((tls_model("initial-exec")));

static inline uint64_t feed_begin(void)
{
	struct timespec ts;

	if (likely(!lh_opt.race_stats) || likely(++feed_count % LH_SMP_FEED_EVERY))
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline void feed_end(uint64_t t0)
{
	struct timespec ts;
	uint64_t dt;

	if (likely(!t0))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	dt = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec - t0;
	if (dt > LH_SMP_FEED_CAP_NS)
		dt = LH_SMP_FEED_CAP_NS;
	__atomic_add_fetch(&feed_ns, dt * LH_SMP_FEED_EVERY, __ATOMIC_RELAXED);
}

void lh_smp_acquire(const void *sync)
{
	rc_tid me = my_tid();
	uint64_t t0;

	if (me && eng) {
		t0 = feed_begin();
		rc_acquire(eng, me, (uintptr_t)sync);
		feed_end(t0);
	}
}

void lh_smp_release(const void *sync)
{
	rc_tid me = my_tid();
	uint64_t t0;

	if (me && eng) {
		t0 = feed_begin();
		rc_release(eng, me, (uintptr_t)sync);
		feed_end(t0);
	}
}

/* rwlocks as the exact runtime has them: a write lock acquires what
 * readers released, a read unlock releases only to later writers */
static int rw_like(int kind)
{
	return kind == LH_LOCK_RWLOCK || kind == LH_LOCK_USER;
}

void lh_smp_lock_acquired(void *addr, int kind, int mode)
{
	rc_tid me = my_tid();
	uint64_t t0;

	if (!me || !eng)
		return;
	t0 = feed_begin();
	if (rw_like(kind) && mode != LH_MODE_SHARED)
		rc_acquire_exclusive(eng, me, (uintptr_t)addr);
	else
		rc_acquire(eng, me, (uintptr_t)addr);
	feed_end(t0);
}

void lh_smp_lock_released(void *addr, int kind, int mode, int held)
{
	rc_tid me = my_tid();
	struct lh_thread *td = lh_self_td;
	int i;
	uint64_t t0;

	if (!me || !eng)
		return;
	t0 = feed_begin();
	if (rw_like(kind) && mode < 0) {
		for (i = td->n_held - 1; i >= 0; i--)
			if (td->held[i].addr == addr) {
				mode = td->held[i].mode;
				break;
			}
		if (mode < 0 && kind == LH_LOCK_RWLOCK)
			mode = ((pthread_rwlock_t *)addr)->__data.__cur_writer == td->os_tid ? LH_MODE_EXCL
			                                                                     : LH_MODE_SHARED;
	}
	if (rw_like(kind) && mode == LH_MODE_SHARED)
		rc_release_shared(eng, me, (uintptr_t)addr);
	else if (held)
		rc_release_held(eng, me, (uintptr_t)addr);
	else
		rc_release(eng, me, (uintptr_t)addr);
	feed_end(t0);
}

void lh_smp_thread_begin(struct lh_thread *t)
{
	if (unlikely(__atomic_load_n(&smp_on, __ATOMIC_ACQUIRE))) {
		lh_in_shim++;
		lh_thr_ensure(t);
		smp_last_ensure(t);
		lh_in_shim--;
	}
}

/* fork child: the rotation thread is gone and the sources were re-opened
 * disarmed (lh_watch_fork_child); the core's windows end too */
void lh_smp_fork_child(void)
{
	int i;

	if (!smp_on)
		return;
	/* the lock and its waiter count as the forking thread saw them: a
	 * rotation thread waiting in prio_lock at the fork left rot_waiting
	 * at 1 for good, and every spin_lock of the child (its next sampled
	 * allocation, its next trap) would wait for a thread that is gone */
	core_spin = 0;
	rot_waiting = 0;
	n_queue = 0;
	pending_disarm = 0;
	for (i = 0; i < WT_SLOTS; i++)
		wt_disarm(core, i, prog_ns());
	lh_smpwp_fork_child();
	smp_started = 0;
	lh_smp_windows = 0;
	{
		static const pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
		clone_mu = fresh; /* a parent's thread may have held it */
	}
	if (my_tid())
		rc_fork_child(eng, my_tid());
	lh_thr_ensure(lh_self_td); /* the child's log names the thread that forked */
}
