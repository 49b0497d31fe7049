/*
 * watchdog.c - live deadlock detection: the watchdog thread, its snapshot
 * of the thread registry, stack sampling, the finding and the process exit.
 * The graph search itself is the pure unit wfg.c (rules in wfg.h).
 *
 * Threads note what they are about to block on (struct lh_thread's wait_*
 * fields).  The first time a thread is created or blocks, a watchdog thread
 * starts (created with the real pthread_create, never registered, and
 * marked as inside the shim so its own calls pass through).  Every tick it
 * copies, for each thread that waits or holds locks, its wait and the
 * addresses and modes of its held locks into a wfg snapshot, and asks
 * lh_wfg_tick whether a cycle has stayed unchanged on two ticks in a row,
 * with every wait in it seen for deadlock_grace_ms, or, with no cycle,
 * whether every thread of the process is blocked with some waiting for an
 * event no thread is left to cause (a stall: a condition signal, a
 * barrier's other arrivals, a destroy's waiters leaving; wfg.h).  The
 * count of threads the shim never saw comes from the kernel
 * (live_for_stall).  A wait is timed from
 * the tick that first saw it count, so the waiting thread reads no clock; a
 * report comes between grace and grace + one tick.
 *
 * Then the watchdog samples each blocked thread's stack with a signal (the
 * handler unwinds its own thread into a buffer; unwinding another thread is
 * not possible in-process), writes a deadlock finding to the log, and by
 * default ends the process with the configured exit code: the report is
 * made from the log by `lockhound run` or `lockhound report`.  The signal
 * is sent only while its handler is still the shim's (signal_is_ours): a
 * program that reset its signals to the default would otherwise be killed
 * by it, losing the finding.  Without a sample a stack is the wait's call
 * site.
 *
 * Self-deadlock on a lock the thread holds itself: lh_wd_self_deadlock
 * reports it from the blocking thread, when edges.c's rule (lh_edge_self_blocks) says the wait
 * cannot end; the graph finds the rest (a cycle of one, or a read lock
 * queued behind a writer that waits for the thread's own read).
 *
 * Limits: the snapshot reads other threads' wait fields (atomics, see
 * struct lh_thread) and held-lock stacks (whole copies by lh_held_read,
 * heldset.h) without their locks; a wait state read mid-change can only
 * delay a report (the cycle must be seen unchanged twice), not invent one
 * that does not persist.  At most
 * WD_MAX_THREADS threads that wait or hold locks are looked at per tick
 * (a note in the log says so when there are more), and a finding lists at
 * most LH_WFG_MAX_CYCLE threads (noted too).  Waits inside code the shim
 * does not see (futexes, semaphores, read, poll, custom locks) are not in
 * the graph: such a thread counts as running, so it is never part of a
 * stall.
 *
 * There is a window, between the handler check and the send, in which a
 * program thread could still change the signal's disposition.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "shim.h"
#include "heldset.h"
#include "wfg.h"
#include "glibc_locks.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WD_MAX_THREADS 8192 /* threads waiting or holding locks, per tick */
#define WD_MAX_HELD (WD_MAX_THREADS * LH_MAX_HELD)

static int wd_started;
static int wd_signal; /* signal used to sample stacks, 0 if none */

/* The snapshot, watchdog thread only: node i is thread ts[i] (registry
 * entry nodes[i]), its held locks hs[ts[i].first_held ..]. */
static struct lh_thread **nodes;
static struct lh_wfg_thread *ts;
static struct lh_wfg_held *hs;
static uint32_t n_snap, n_hs;
static struct lh_wfg_work *work;
static struct lh_wfg_state wd_state;
static struct lh_wfg_cycle wd_cyc;

static void sample_handler(int sig, siginfo_t *si, void *uc)
{
	struct lh_thread *t = lh_thr_current_raw();
	int e = errno;

	if (t && __atomic_load_n(&t->sample_state, __ATOMIC_ACQUIRE) == 1 && t->sample &&
	    !lh_stack_is_short()) {
		lh_stk_unwind(t->sample);
		__atomic_store_n(&t->sample_state, 2, __ATOMIC_RELEASE);
	}
	errno = e;
}

static void setup_signal(void)
{
	struct sigaction sa, old;
	int s;

	/* a real-time signal the program leaves alone */
	for (s = SIGRTMAX - 6; s >= SIGRTMIN + 4; s--) {
		if (sigaction(s, NULL, &old) == 0 && old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO)) {
			memset(&sa, 0, sizeof(sa));
			sa.sa_sigaction = sample_handler;
			sa.sa_flags = SA_SIGINFO | SA_RESTART;
			sigemptyset(&sa.sa_mask);
			if (sigaction(s, &sa, NULL) == 0) {
				wd_signal = s;
				return;
			}
		}
	}
}

/* Is the sampling signal's handler still ours?  The program may have reset
 * its signals (to the default, which for a real-time signal ends the
 * process) or installed a handler of its own since the watchdog started:
 * then the signal is the program's, and it is never sent. */
static int signal_is_ours(void)
{
	struct sigaction cur;

	if (!wd_signal || sigaction(wd_signal, NULL, &cur) != 0)
		return 0;
	return (cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == sample_handler;
}

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec now;

	if (clock_gettime(clk, &now) != 0)
		return 0;
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* A held semaphore is t's lock only while semmodel.c says t has that
 * identity: another thread's post or a demotion ends it before t drops
 * the entry (lh_held_prune_sems), and a thread does not wait for that.
 * Compacts hd[0..n) in place; returns how many are left. */
static int keep_live_sems(const struct lh_thread *t, struct lh_held *hd, int n)
{
	int i, k = 0;

	for (i = 0; i < n; i++) {
		if (hd[i].kind == LH_LOCK_SEM &&
		    (!hd[i].lk || lh_lid_peek(hd[i].lk) != hd[i].lock_id ||
		     lh_sem_holder(__atomic_load_n(&hd[i].lk->sem_state, __ATOMIC_ACQUIRE)) != t->id))
			continue;
		hd[k++] = hd[i];
	}
	return k;
}

/* Is the lock at addr process-shared (its holder may be in another
 * process)?  Asked of the lock's own fields, read while a thread waits for
 * it: the lock's memory is in use.  Its kind is the one the shim knows. */
static int lock_is_shared(const void *addr)
{
	struct lh_lock *lk = addr ? lh_lid_lookup((uintptr_t)addr, 0) : NULL;
	int kind = lk ? __atomic_load_n(&lk->kind, __ATOMIC_RELAXED) : 0;

	if (kind == LH_LOCK_MUTEX || kind == LH_LOCK_C11_MTX)
		return lh_gl_mutex_pshared(addr);
	if (kind == LH_LOCK_RWLOCK)
		return lh_gl_rwlock_pshared(addr);
	return 0;
}

/* The threads the kernel says this process has, from /proc/self/status
 * (a descriptor held for the length of one read, close-on-exec); 0 if it
 * cannot tell. */
static int kernel_threads(void)
{
	char buf[4096], *p;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strstr(buf, "\nThreads:");
	return p ? atoi(p + 9) : 0;
}

/* The threads of the process that could still act, for wfg.c's stall
 * rule: the registered ones (live) and every thread the shim never saw
 * (started by the C library for itself, by raw clone, before the shim):
 * one of those may yet signal or arrive.  The kernel's count less the
 * shim's own threads (lh_own_threads: this one, race watching's) tells how
 * many those are.  Asked only when every registered thread is blocked. */
static uint32_t live_for_stall(int live)
{
	int k = kernel_threads(), own = __atomic_load_n(&lh_own_threads, __ATOMIC_RELAXED), unseen;

	if (k <= 0)
		return 0; /* cannot tell: no stall */
	unseen = k - own - live;
	return (uint32_t)live + (uint32_t)(unseen > 0 ? unseen : 0);
}

/* Snapshot the threads that wait or hold locks (only those can be on a
 * cycle) for wfg.c; returns how many threads are registered at all. */
static int take_snapshot(void)
{
	static struct lh_held hd[LH_MAX_HELD]; /* watchdog thread only */
	struct lh_thread *t;
	int live = 0;
	static int overflow_noted;

	n_snap = n_hs = 0;
	lh_mu_lock(&lh_thr_mu);
	for (t = lh_thr_list; t; t = t->next) {
		struct lh_wfg_thread *n = &ts[n_snap];
		int k = __atomic_load_n(&t->wait_kind, __ATOMIC_ACQUIRE), i, nh;
		if (t->exiting)
			continue;
		live++;
		/* a stack that keeps changing belongs to a running thread: it is
		 * taken as holding nothing for this tick */
		nh = lh_held_read(t, hd, LH_MAX_HELD);
		if (nh < 0)
			nh = 0;
		nh = keep_live_sems(t, hd, nh);
		if (k == LH_WAIT_NONE && nh == 0)
			continue;
		if (n_snap == WD_MAX_THREADS) {
			if (!overflow_noted++)
				lh_log_note("more than %d threads wait or hold locks at once (WD_MAX_THREADS); "
				            "the deadlock watchdog looks at the first %d",
				            WD_MAX_THREADS, WD_MAX_THREADS);
			continue;
		}
		memset(n, 0, sizeof(*n));
		nodes[n_snap] = t;
		n->id = t->id;
		n->wait = (uint8_t)k;
		n->mode = __atomic_load_n(&t->wait_mode, __ATOMIC_RELAXED);
		n->timed = __atomic_load_n(&t->wait_timed, __ATOMIC_RELAXED);
		n->addr = __atomic_load_n(&t->wait_addr, __ATOMIC_RELAXED);
		n->target = __atomic_load_n(&t->wait_thread, __ATOMIC_RELAXED);
		n->seq = __atomic_load_n(&t->wait_seq, __ATOMIC_RELAXED);
		n->obj = __atomic_load_n(&t->wait_obj, __ATOMIC_RELAXED);
		n->external = __atomic_load_n(&t->wait_external, __ATOMIC_RELAXED) ||
		              (k == LH_WAIT_LOCK && lock_is_shared(n->addr));
		if (k == LH_WAIT_COND && n->timed) {
			n->deadline_ns = __atomic_load_n(&t->wait_deadline_ns, __ATOMIC_RELAXED);
			n->clock_now_ns = clock_ns(__atomic_load_n(&t->wait_clock, __ATOMIC_RELAXED));
		}
		/* a wait already reported (deadlock_exit=0) is not searched again */
		n->reported = k != LH_WAIT_NONE && __atomic_load_n(&t->wd_reported, __ATOMIC_ACQUIRE) &&
		              __atomic_load_n(&t->wd_reported_seq, __ATOMIC_RELAXED) == n->seq;
		/* a wait's start is when the watchdog first saw it count: the
		 * waiting thread reads no clock */
		if (lh_wfg_waits(n)) {
			if (n->seq != t->wd_seq) {
				t->wd_seq = n->seq;
				t->wd_seen_ns = lh_now_ns();
			}
			n->since_ns = t->wd_seen_ns;
		}
		n->first_held = n_hs;
		n->n_held = (uint32_t)nh;
		for (i = 0; i < nh; i++) {
			struct lh_wfg_held *h = &hs[n_hs++];
			struct lh_lock *lk = hd[i].lk;
			h->addr = hd[i].addr;
			h->mode = hd[i].mode;
			h->writer_pref = lk && (__atomic_load_n(&lk->flags, __ATOMIC_RELAXED) & LH_LOCKF_WRITER_PREF);
		}
		n_snap++;
	}
	lh_mu_unlock(&lh_thr_mu);
	return live;
}

/* Ask each thread of the cycle for its stack; wait a little for answers.
 * Runs after the finding is written (report_cycle): a thread that cannot
 * be asked keeps the call site of its wait as its stack.  The handler is checked before
 * every send (see signal_is_ours); once it is found not to be ours, no
 * signal is sent again in this process. */
static void sample_stacks(const struct lh_wfg_cycle *c)
{
	static int not_ours_noted;
	uint32_t i;
	int tries, sent = 0;

	/* an answer from an earlier round is not this round's */
	for (i = 0; i < c->n; i++) {
		struct lh_thread *t = nodes[c->idx[i]];
		int two = 2;
		__atomic_compare_exchange_n(&t->sample_state, &two, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
	for (i = 0; i < c->n && wd_signal; i++) {
		struct lh_thread *t = nodes[c->idx[i]];
		if (!t->sample)
			t->sample = lh_alloc(sizeof(*t->sample));
		if (!t->sample)
			continue;
		/* still in the same wait? (else the signal would only disturb it) */
		if (__atomic_load_n(&t->wait_seq, __ATOMIC_RELAXED) != ts[c->idx[i]].seq ||
		    __atomic_load_n(&t->wait_kind, __ATOMIC_ACQUIRE) == LH_WAIT_NONE)
			continue;
		if (!signal_is_ours()) {
			if (!not_ours_noted++)
				lh_log_note("the program changed the disposition of signal %d, which the "
				            "deadlock watchdog uses to sample stacks; deadlock stacks show "
				            "only the call sites of the waits",
				            wd_signal);
			wd_signal = 0;
			break;
		}
		__atomic_store_n(&t->sample_state, 1, __ATOMIC_RELEASE);
		syscall(SYS_tgkill, getpid(), t->os_tid, wd_signal);
		sent++;
	}
	for (tries = 0; sent && tries < 50; tries++) {
		int done = 1;
		for (i = 0; i < c->n; i++) {
			struct lh_thread *t = nodes[c->idx[i]];
			if (t->sample && __atomic_load_n(&t->sample_state, __ATOMIC_ACQUIRE) == 1)
				done = 0;
		}
		if (done)
			break;
		usleep(2000);
	}
}

/* the stack of a wait or an acquisition at (ra, cfa) of thread t: rebuilt
 * from t's sampled stack when `sampled` and t answered this round's
 * signal, else the call site alone */
static uint32_t stack_at(struct lh_thread *t, uintptr_t ra, uintptr_t cfa,
                         const struct lh_pystk *py, int sampled)
{
	int partial;

	if (sampled && t->sample && __atomic_load_n(&t->sample_state, __ATOMIC_ACQUIRE) == 2)
		return lh_stk_from_frames(t->sample, ra, cfa, py, &partial);
	return lh_stk_intern_py(&ra, 1, 0, py);
}

static void finish(int n_threads)
{
	if (!lh_opt.deadlock_exit)
		return;
	if (!lh_opt.quiet) {
		char buf[LH_PATH_MAX + 256];
		int len;
		if (lh_xr_active())
			len = snprintf(buf, sizeof(buf),
			               "lockhound: deadlock: %d thread%s blocked for good; ending the "
			               "process with exit code %d\n",
			               n_threads, n_threads == 1 ? "" : "s", lh_opt.exitcode);
		else
			len = snprintf(buf, sizeof(buf),
			               "lockhound: deadlock: %d thread%s blocked for good; the report is in "
			               "%s; ending the process with exit code %d\n",
			               n_threads, n_threads == 1 ? "" : "s", lh_log_path(),
			               lh_opt.exitcode);
		if (write(2, buf, (size_t)(len < (int)sizeof(buf) ? len : (int)sizeof(buf) - 1)) < 0) {
			/* stderr closed */
		}
	}
	lh_log_end(lh_opt.exitcode, LH_END_DEADLOCK);
	/* a program built with lockhound cc prints the report itself; stdio is
	 * not flushed: a blocked thread may hold a stream's lock */
	lh_xr_report(0);
	_exit(lh_opt.exitcode);
}

/* per item of a finding: the thread and call whose stack it is
 * (watchdog thread only) */
static struct lh_rec_finding_item items[2 * LH_WFG_MAX_CYCLE];
static struct lh_thread *item_thr[2 * LH_WFG_MAX_CYCLE];
static uintptr_t item_ra[2 * LH_WFG_MAX_CYCLE], item_cfa[2 * LH_WFG_MAX_CYCLE];
static const struct lh_pystk *item_py[2 * LH_WFG_MAX_CYCLE]; /* its Python frames */

/* the HOLDS item of holder for the lock at addr, if it holds it */
static int holds_item(struct lh_thread *holder, const void *addr, uint64_t lock_id, int ni)
{
	static struct lh_held held[LH_MAX_HELD]; /* watchdog thread only */
	int h, nh = lh_held_read(holder, held, LH_MAX_HELD);

	for (h = 0; h < nh; h++) {
		const struct lh_held *hd = &held[h];
		struct lh_rec_finding_item *o = &items[ni];
		if (hd->addr != addr)
			continue;
		memset(o, 0, sizeof(*o));
		o->thread_id = holder->id;
		o->role = LH_ROLE_HOLDS;
		o->lock_id = lock_id;
		o->mode = hd->mode;
		item_thr[ni] = holder;
		item_ra[ni] = hd->ra;
		item_cfa[ni] = hd->cfa;
		item_py[ni] = hd->py;
		o->stack_id = stack_at(holder, hd->ra, hd->cfa, hd->py, 0);
		return 1;
	}
	return 0;
}

/* the item of what snapshot thread k waits for: in a cycle, a condition
 * wait waits for its mutex; in a stall, for a signal */
static void wait_item(uint32_t k, int ni, int stall)
{
	struct lh_thread *t = nodes[k];
	const struct lh_wfg_thread *nd = &ts[k];
	struct lh_rec_finding_item *w = &items[ni];

	memset(w, 0, sizeof(*w));
	w->thread_id = nd->id;
	item_thr[ni] = t;
	item_ra[ni] = __atomic_load_n(&t->wait_ra, __ATOMIC_RELAXED);
	item_cfa[ni] = __atomic_load_n(&t->wait_cfa, __ATOMIC_RELAXED);
	item_py[ni] = __atomic_load_n(&t->wait_py, __ATOMIC_RELAXED);
	w->stack_id = stack_at(t, item_ra[ni], item_cfa[ni], item_py[ni], 0);
	switch (nd->wait) {
	case LH_WAIT_JOIN:
		w->role = LH_ROLE_JOINS;
		w->target_thread = nd->target;
		break;
	case LH_WAIT_COND:
		if (!stall)
			goto lock;
		w->role = LH_ROLE_SIGNAL;
		w->lock_id = lh_core_lock_id_emit((void *)nd->obj, LH_LOCK_COND);
		break;
	case LH_WAIT_BARRIER:
		w->role = LH_ROLE_BARRIER;
		w->lock_id = lh_core_lock_id_emit((void *)nd->addr, LH_LOCK_BARRIER);
		break;
	case LH_WAIT_DESTROY:
		w->role = LH_ROLE_DESTROYS;
		w->lock_id = lh_core_lock_id_emit((void *)nd->addr, nd->mode);
		break;
	default:
	lock:
		w->role = LH_ROLE_WAITS;
		w->mode = nd->mode;
		w->lock_id = lh_core_lock_id_emit((void *)nd->addr, 0);
		break;
	}
}

/* Write the finding f with items[0 .. ni) for the threads of c, then the
 * sampled stacks, then end the process (finish).  The finding goes into
 * the log first, with the call sites of the waits and acquisitions as
 * stacks; only then are the threads' stacks sampled (sample_stacks: a
 * signal that may kill the program or never be answered), and what they
 * give follows in an LH_REC_FINDING_STACKS record that the analyzer merges
 * into the finding.  A program that dies while its stacks are sampled
 * keeps its report. */
static void write_finding(const struct lh_wfg_cycle *c, struct lh_rec_finding *f, int ni)
{
	uint32_t i, n = c->n;
	int j, changed = 0;

	for (i = 0; i < (uint32_t)ni; i++) {
		lh_thr_ensure_id(items[i].thread_id);
		lh_thr_ensure_id(items[i].target_thread);
	}
	f->time_ns = lh_now_ns();
	f->n_items = (uint32_t)ni;
	lh_log_record(LH_REC_FINDING, f, sizeof(*f), items, (size_t)ni * sizeof(items[0]), NULL, 0);
	for (i = 0; i < n; i++) {
		__atomic_store_n(&nodes[c->idx[i]]->wd_reported_seq, ts[c->idx[i]].seq, __ATOMIC_RELAXED);
		__atomic_store_n(&nodes[c->idx[i]]->wd_reported, 1, __ATOMIC_RELEASE);
	}
	/* second: the sampled stacks, for the same finding */
	sample_stacks(c);
	for (j = 0; j < ni; j++) {
		uint32_t st;
		if (!item_thr[j])
			continue;
		st = stack_at(item_thr[j], item_ra[j], item_cfa[j], item_py[j], 1);
		if (st && st != items[j].stack_id) {
			items[j].stack_id = st;
			changed = 1;
		}
	}
	if (changed) {
		if (c->self)
			f->stack_id = items[0].stack_id;
		lh_log_record(LH_REC_FINDING_STACKS, f, sizeof(*f), items, (size_t)ni * sizeof(items[0]),
		              NULL, 0);
	}
	finish((int)n);
}

/* Report the cycle c: idx[0] waits for idx[1] ... for idx[0] (a cycle of
 * one is a self-deadlock); each wait is followed by the HOLDS item of what
 * the next thread holds that it waits for. */
static void report_cycle(const struct lh_wfg_cycle *c)
{
	static int truncated_noted;
	struct lh_rec_finding f;
	uint32_t i, n = c->n;
	int ni = 0;

	if (c->truncated && !truncated_noted++)
		lh_log_note("a deadlock involves more than %d threads (LH_WFG_MAX_CYCLE); the finding "
		            "lists the first %d",
		            LH_WFG_MAX_CYCLE, LH_WFG_MAX_CYCLE);
	for (i = 0; i < n; i++) {
		const struct lh_wfg_thread *nd = &ts[c->idx[i]];
		struct lh_thread *next = nodes[c->idx[(i + 1) % n]];
		uint64_t lock_id;

		wait_item(c->idx[i], ni, 0);
		lock_id = items[ni].lock_id;
		ni++;
		/* the last thread of a truncated cycle waits for one not listed */
		if (nd->wait == LH_WAIT_JOIN || (c->truncated && i + 1 == n))
			continue;
		/* a semaphore that is no lock: the next thread is the one that
		 * posted it so far, and could post it again */
		if (nd->wait == LH_WAIT_SEM && nd->target && nd->target == next->id) {
			struct lh_rec_finding_item *o = &items[ni];
			memset(o, 0, sizeof(*o));
			o->thread_id = next->id;
			o->role = LH_ROLE_POSTER;
			o->lock_id = lock_id;
			item_thr[ni] = NULL; /* no call of its to show */
			ni++;
			continue;
		}
		ni += holds_item(next, nd->addr, lock_id, ni);
	}
	memset(&f, 0, sizeof(f));
	f.kind = LH_FIND_DEADLOCK;
	f.what = c->self ? LH_DL_SELF : LH_DL_CYCLE;
	f.thread_id = ts[c->idx[0]].id;
	if (c->self) {
		f.stack_id = items[0].stack_id;
		f.lock_id = items[0].lock_id;
	}
	write_finding(c, &f, ni);
}

/* Report the stall c: every thread of the process, each with what it
 * waits for, and for a lock wait the thread holding the lock (none listed:
 * its holder has ended). */
static void report_stall(const struct lh_wfg_cycle *c)
{
	static int truncated_noted;
	struct lh_rec_finding f;
	uint32_t i, k;
	int ni = 0;

	if (c->truncated && !truncated_noted++)
		lh_log_note("a stall involves more than %d threads (LH_WFG_MAX_CYCLE); the finding "
		            "lists the first %d",
		            LH_WFG_MAX_CYCLE, LH_WFG_MAX_CYCLE);
	for (i = 0; i < c->n; i++) {
		const struct lh_wfg_thread *nd = &ts[c->idx[i]];
		uint64_t lock_id;

		wait_item(c->idx[i], ni, 1);
		if (nd->wait == LH_WAIT_BARRIER)
			lh_mis_barrier_stalled((void *)nd->addr, nd->id, items[ni].stack_id);
		lock_id = items[ni].lock_id;
		ni++;
		if (nd->wait != LH_WAIT_LOCK)
			continue;
		for (k = 0; k < c->n; k++)
			if (k != i && holds_item(nodes[c->idx[k]], nd->addr, lock_id, ni)) {
				ni++;
				break;
			}
	}
	memset(&f, 0, sizeof(f));
	f.kind = LH_FIND_DEADLOCK;
	f.what = LH_DL_STALL;
	f.thread_id = ts[c->idx[0]].id;
	write_finding(c, &f, ni);
}

/* the number of registered threads (created ones count before they run) */
static int count_live(void)
{
	struct lh_thread *t;
	int live = 0;

	lh_mu_lock(&lh_thr_mu);
	for (t = lh_thr_list; t; t = t->next)
		if (!t->exiting)
			live++;
	lh_mu_unlock(&lh_thr_mu);
	return live;
}

/* Bumped (and the watchdog woken) whenever a thread leaves the registry:
 * after the program's last thread ends (pthread_exit from main) the
 * watchdog is the only thread left, and glibc ends the process only when
 * it is gone, so it must not sleep out its tick. */
static uint32_t wd_wake;

void lh_wd_thread_gone(void)
{
	if (!__atomic_load_n(&wd_started, __ATOMIC_RELAXED))
		return;
	__atomic_add_fetch(&wd_wake, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &wd_wake, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* sleep one tick (until an absolute CLOCK_MONOTONIC deadline, so thread
 * churn cannot postpone ticks), or less once no thread of the program is
 * left that could deadlock with another */
static void wd_sleep(const struct timespec *tick)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += tick->tv_sec;
	deadline.tv_nsec += tick->tv_nsec;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	for (;;) {
		uint32_t w = __atomic_load_n(&wd_wake, __ATOMIC_ACQUIRE);
		long r = syscall(SYS_futex, &wd_wake, FUTEX_WAIT_BITSET_PRIVATE, w, &deadline, NULL,
		                 FUTEX_BITSET_MATCH_ANY);
		if (r != 0 && errno == ETIMEDOUT)
			return;
		if (r != 0 && errno != EAGAIN && errno != EINTR)
			return; /* no futex: the tick is shorter, nothing worse */
		if (count_live() <= 1)
			return; /* what a tick would find: time to end */
	}
}

static void *wd_main(void *arg)
{
	uint64_t grace_ns = (uint64_t)lh_opt.deadlock_grace_ms * 1000000u;
	long tick_ms = lh_opt.deadlock_grace_ms / 4;
	struct timespec ts_tick;

	lh_in_shim = 1; /* forever: nothing this thread does is the program's */
	lh_own_thread_begin();
	if (tick_ms < 10)
		tick_ms = 10;
	if (tick_ms > 250)
		tick_ms = 250;
	ts_tick.tv_sec = tick_ms / 1000;
	ts_tick.tv_nsec = (tick_ms % 1000) * 1000000L;
	for (;;) {
		struct lh_wfg_snap s;
		uint32_t i;
		int live, all_wait;

		wd_sleep(&ts_tick);
		if (lh_disabled)
			continue;
		live = take_snapshot();
		/* does every registered thread wait, in a wait that counts? */
		for (i = 0, all_wait = n_snap == (uint32_t)live && live > 0; all_wait && i < n_snap; i++)
			all_wait = lh_wfg_waits(&ts[i]);
		if (live <= 1 && !all_wait) {
			/* One running thread cannot deadlock with another.  The
			 * watchdog must not outlive the program's threads either:
			 * glibc ends the process when the last thread exits, and
			 * counts this one.  A later pthread_create starts a new
			 * watchdog.  (A lone thread blocked for good is watched on:
			 * a stall.) */
			int zero = 0;
			__atomic_store_n(&wd_started, 0, __ATOMIC_SEQ_CST);
			if (count_live() <= 1 ||
			    !__atomic_compare_exchange_n(&wd_started, &zero, 1, 0, __ATOMIC_SEQ_CST,
			                                 __ATOMIC_SEQ_CST)) {
				lh_own_thread_end();
				return NULL;
			}
			continue;
		}
		s.thr = ts;
		s.n_thr = n_snap;
		s.held = hs;
		s.n_held = n_hs;
		s.now_ns = lh_now_ns();
		/* the threads that could still act: only worth counting (a
		 * read of /proc) when every thread the shim knows is blocked */
		s.n_live = all_wait ? live_for_stall(live) : (uint32_t)live;
		if (lh_wfg_tick(&wd_state, &s, grace_ns, work, &wd_cyc) == 1) {
			if (wd_cyc.stall)
				report_stall(&wd_cyc);
			else
				report_cycle(&wd_cyc);
		}
	}
	return NULL;
}

void lh_wd_kick(void)
{
	pthread_t th;
	pthread_attr_t attr;
	int expected = 0;

	if (likely(__atomic_load_n(&wd_started, __ATOMIC_RELAXED)) || !lh_opt.watchdog)
		return;
	if (!__atomic_compare_exchange_n(&wd_started, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return;
	lh_in_shim++;
	if (!work) {
		/* mmap'd and touched only as far as the snapshot reaches */
		nodes = lh_alloc(sizeof(*nodes) * WD_MAX_THREADS);
		ts = lh_alloc(sizeof(*ts) * WD_MAX_THREADS);
		hs = lh_alloc(sizeof(*hs) * WD_MAX_HELD);
		if (nodes && ts && hs)
			work = lh_wfg_work_init(lh_alloc(lh_wfg_work_bytes(WD_MAX_THREADS, WD_MAX_HELD)),
			                        WD_MAX_THREADS, WD_MAX_HELD);
	}
	if (!wd_signal)
		setup_signal(); /* once per process tree: a forked child keeps it */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (!work || lh_real.create(&th, &attr, wd_main, NULL) != 0) {
		lh_warn("cannot start the deadlock watchdog; live deadlocks will not be caught");
		lh_log_note("the deadlock watchdog could not start");
	}
	pthread_attr_destroy(&attr);
	lh_in_shim--;
}

void lh_wd_after_fork_child(void)
{
	/* threads do not survive fork: the child starts its own when needed */
	wd_started = 0;
	wd_state.n = 0;
}

void lh_wd_self_deadlock(struct lh_thread *t, void *addr, int kind)
{
	struct lh_rec_finding f;
	struct lh_rec_finding_item items[2];
	struct lh_frames *fr = lh_alloc(sizeof(*fr));
	int i, partial;

	if (!fr)
		return;
	lh_in_shim++;
	lh_stk_unwind(fr);
	memset(items, 0, sizeof(items));
	items[0].thread_id = t->id;
	items[0].role = LH_ROLE_WAITS;
	items[0].lock_id = lh_core_lock_id_emit(addr, kind);
	items[0].mode = t->wait_mode;
	items[0].stack_id = lh_stk_from_frames(fr, t->wait_ra, t->wait_cfa, t->wait_py, &partial);
	items[1].thread_id = t->id;
	items[1].role = LH_ROLE_HOLDS;
	items[1].lock_id = items[0].lock_id;
	for (i = 0; i < t->n_held; i++)
		if (t->held[i].addr == addr) {
			items[1].mode = t->held[i].mode;
			items[1].stack_id =
			    lh_stk_from_frames(fr, t->held[i].ra, t->held[i].cfa, t->held[i].py, &partial);
		}
	lh_thr_ensure(t);
	memset(&f, 0, sizeof(f));
	f.kind = LH_FIND_DEADLOCK;
	f.what = LH_DL_SELF;
	f.thread_id = t->id;
	f.stack_id = items[0].stack_id;
	f.lock_id = items[0].lock_id;
	f.time_ns = lh_now_ns();
	f.n_items = 2;
	lh_log_record(LH_REC_FINDING, &f, sizeof(f), items, sizeof(items), NULL, 0);
	/* the watchdog would find the same wait as a cycle of one */
	__atomic_store_n(&t->wd_reported_seq, t->wait_seq, __ATOMIC_RELAXED);
	__atomic_store_n(&t->wd_reported, 1, __ATOMIC_RELEASE);
	lh_in_shim--;
	finish(1);
}

void lh_join_begin(pthread_t target, uintptr_t ra, uintptr_t cfa)
{
	struct lh_thread *t = lh_thr_self();
	uint32_t id;

	if (!t)
		return;
	id = lh_thr_id_of(target);
	if (!id)
		return; /* it has ended already (or was never seen): no wait to watch */
	__atomic_store_n(&t->wait_thread, id, __ATOMIC_RELAXED);
	lh_wait_note(t, LH_WAIT_JOIN, NULL, LH_MODE_EXCL, 0, ra, cfa);
	lh_wd_kick();
}
