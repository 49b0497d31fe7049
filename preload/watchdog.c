/*
 * watchdog.c - live deadlock detection.
 *
 * Threads note what they block on (struct lh_thread's wait_* fields) only
 * when a trylock failed, so the uncontended path pays nothing.  The first
 * time any thread blocks, a watchdog thread starts (created with the real
 * pthread_create, never registered, and marked as inside the shim so its
 * own calls pass through).  Every tick it takes a snapshot of the registry:
 * who waits for what, and who holds what (the shim's held-lock stacks).
 * A thread waiting for a lock points to every thread holding it; a thread
 * in pthread_join points to the thread it joins; a thread in a condition
 * wait points to the holder of its mutex if another thread holds it (it
 * cannot return from the wait without that mutex).  Timed waits point
 * nowhere: they end by themselves.  A cycle of waiting threads is a
 * deadlock once every thread in it has stayed in the same wait (same
 * wait_seq) for deadlock_grace_ms, seen on two ticks in a row.  A wait is
 * timed from the tick that first saw it, so the waiting thread reads no
 * clock; a report comes between grace and grace + one tick.
 *
 * Then the watchdog samples each blocked thread's stack with a signal (the
 * handler unwinds its own thread into a buffer; unwinding another thread is
 * not possible in-process), writes a deadlock finding to the log, and by
 * default ends the process with the configured exit code: the report is
 * made from the log by `lockhound run` or `lockhound report`.
 *
 * Self-deadlock (blocking on a non-recursive lock the thread holds itself)
 * needs no waiting: lh_wd_self_deadlock reports it from the blocking thread.
 *
 * Limits: the snapshot reads other threads' wait and held fields without
 * their locks; a torn read can only delay a report (the cycle must be seen
 * unchanged twice), not invent one that does not persist.  Waits inside
 * code the shim does not see (futexes, semaphores, custom locks) are not
 * part of the graph.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "shim.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WD_MAX_THREADS 8192 /* threads waiting or holding locks, per tick */
#define WD_MAX_CYCLE 512
#define WD_MAX_SUCC 64

static int wd_started;
static int wd_signal; /* signal used to sample stacks, 0 if none */

struct wd_node {
	struct lh_thread *t;
	uint32_t id;
	uint32_t seq; /* the wait's sequence number */
	int wait_kind;
	void *wait_addr;
	uint32_t wait_thread;
	uint64_t since;
	int n_held;
	void *held[LH_MAX_HELD];
};

static struct wd_node *snap; /* WD_MAX_THREADS entries, watchdog thread only */
static int n_snap;
static uint32_t last_sig[WD_MAX_CYCLE]; /* candidate cycle from the last tick */
static uint64_t last_since[WD_MAX_CYCLE];
static int last_n;

static void sample_handler(int sig, siginfo_t *si, void *uc)
{
	struct lh_thread *t = lh_thr_current_raw();
	int e = errno;

	if (t && t->sample && __atomic_load_n(&t->sample_state, __ATOMIC_ACQUIRE) == 1 &&
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

static int find_node(uint32_t id)
{
	int i;
	for (i = 0; i < n_snap; i++)
		if (snap[i].id == id)
			return i;
	return -1;
}

static int holds(const struct wd_node *n, void *addr)
{
	int i;
	for (i = 0; i < n->n_held; i++)
		if (n->held[i] == addr)
			return 1;
	return 0;
}

/* Snapshot the threads that wait or hold locks (only those can be on a
 * cycle); returns how many threads are registered at all. */
static int take_snapshot(void)
{
	struct lh_thread *t;
	int live = 0;
	static int overflow_noted;

	n_snap = 0;
	lh_mu_lock(&lh_thr_mu);
	for (t = lh_thr_list; t; t = t->next) {
		struct wd_node *n = &snap[n_snap];
		int k = __atomic_load_n(&t->wait_kind, __ATOMIC_ACQUIRE), i;
		if (t->exiting)
			continue;
		live++;
		if (k == LH_WAIT_NONE && t->n_held == 0)
			continue;
		if (n_snap == WD_MAX_THREADS) {
			if (!overflow_noted++)
				lh_log_note("more than %d threads wait or hold locks at once; the deadlock "
				            "watchdog looks at the first %d",
				            WD_MAX_THREADS, WD_MAX_THREADS);
			continue;
		}
		n->t = t;
		n->id = t->id;
		n->wait_kind = (k != LH_WAIT_NONE && !t->wait_timed) ? k : LH_WAIT_NONE;
		if (k == LH_WAIT_COND && t->wait_timed) {
			/* past its deadline a timed condition wait re-takes the mutex
			 * with no timeout: from then on it can deadlock */
			struct timespec now;
			clock_gettime(t->wait_clock, &now);
			if ((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec >= t->wait_deadline_ns)
				n->wait_kind = LH_WAIT_COND;
		}
		n->wait_addr = t->wait_addr;
		n->wait_thread = t->wait_thread;
		/* a wait's start is when the watchdog first saw it: the waiting
		 * thread reads no clock */
		if (n->wait_kind != LH_WAIT_NONE && t->wait_seq != t->wd_seq) {
			t->wd_seq = t->wait_seq;
			t->wd_seen_ns = lh_now_ns();
		}
		n->since = n->wait_kind != LH_WAIT_NONE ? t->wd_seen_ns : 0;
		n->seq = t->wait_seq;
		/* a wait already reported (deadlock_exit=0) is not searched again */
		if (n->wait_kind != LH_WAIT_NONE && t->wd_reported && t->wd_reported_seq == n->seq)
			n->wait_kind = LH_WAIT_NONE;
		n->n_held = t->n_held;
		if (n->n_held < 0 || n->n_held > LH_MAX_HELD)
			n->n_held = 0;
		for (i = 0; i < n->n_held; i++)
			n->held[i] = t->held[i].addr;
		n_snap++;
	}
	lh_mu_unlock(&lh_thr_mu);
	return live;
}

/* the threads node i waits for, written into out; returns how many */
static int successors(int i, int *out, int max)
{
	const struct wd_node *n = &snap[i];
	int j, k = 0;

	switch (n->wait_kind) {
	case LH_WAIT_LOCK:
	case LH_WAIT_COND:
		/* only holders that wait themselves can be on a cycle */
		for (j = 0; j < n_snap && k < max; j++)
			if (j != i && snap[j].wait_kind != LH_WAIT_NONE && holds(&snap[j], n->wait_addr))
				out[k++] = j;
		break;
	case LH_WAIT_JOIN:
		j = find_node(n->wait_thread);
		if (j >= 0 && j != i)
			out[k++] = j;
		break;
	}
	return k;
}

/* find a cycle of waiting threads; returns its length, indices in cyc */
static int find_cycle(int *cyc)
{
	static int color[WD_MAX_THREADS], parent[WD_MAX_THREADS], stack_i[WD_MAX_THREADS],
	    stack_k[WD_MAX_THREADS], succ[WD_MAX_THREADS][WD_MAX_SUCC], nsucc[WD_MAX_THREADS];
	int s, i;

	for (i = 0; i < n_snap; i++) {
		color[i] = 0;
		nsucc[i] = snap[i].wait_kind != LH_WAIT_NONE ? successors(i, succ[i], WD_MAX_SUCC) : 0;
	}
	for (s = 0; s < n_snap; s++) {
		int sp = 0;
		if (color[s] || !nsucc[s])
			continue;
		stack_i[sp] = s;
		stack_k[sp] = 0;
		color[s] = 1;
		parent[s] = -1;
		while (sp >= 0) {
			int u = stack_i[sp];
			if (stack_k[sp] < nsucc[u]) {
				int v = succ[u][stack_k[sp]++];
				if (color[v] == 1) {
					/* back edge u -> v: the cycle is v .. u */
					int n = 0, w;
					for (w = u; w != v && n < WD_MAX_CYCLE - 1; w = parent[w])
						cyc[n++] = w;
					cyc[n++] = v;
					/* reverse into wait order: v waits for .. */
					for (i = 0; i < n / 2; i++) {
						int tmp = cyc[i];
						cyc[i] = cyc[n - 1 - i];
						cyc[n - 1 - i] = tmp;
					}
					return n;
				}
				if (color[v] == 0 && nsucc[v]) {
					color[v] = 1;
					parent[v] = u;
					sp++;
					stack_i[sp] = v;
					stack_k[sp] = 0;
				}
			} else {
				color[u] = 2;
				sp--;
			}
		}
	}
	return 0;
}

/* ask each thread of the cycle for its stack; wait a little for answers */
static void sample_stacks(const int *cyc, int n)
{
	int i, tries;

	if (!wd_signal)
		return;
	for (i = 0; i < n; i++) {
		struct lh_thread *t = snap[cyc[i]].t;
		if (!t->sample)
			t->sample = lh_alloc(sizeof(*t->sample));
		if (!t->sample)
			continue;
		/* still in the same wait? (else the signal would only disturb it) */
		if (__atomic_load_n(&t->wait_seq, __ATOMIC_ACQUIRE) != snap[cyc[i]].seq ||
		    __atomic_load_n(&t->wait_kind, __ATOMIC_ACQUIRE) == LH_WAIT_NONE)
			continue;
		__atomic_store_n(&t->sample_state, 1, __ATOMIC_RELEASE);
		syscall(SYS_tgkill, getpid(), t->os_tid, wd_signal);
	}
	for (tries = 0; tries < 50; tries++) {
		int done = 1;
		for (i = 0; i < n; i++) {
			struct lh_thread *t = snap[cyc[i]].t;
			if (t->sample && __atomic_load_n(&t->sample_state, __ATOMIC_ACQUIRE) == 1)
				done = 0;
		}
		if (done)
			break;
		usleep(2000);
	}
}

static uint32_t stack_at(struct lh_thread *t, uintptr_t ra, uintptr_t cfa)
{
	int partial;

	if (t->sample && __atomic_load_n(&t->sample_state, __ATOMIC_ACQUIRE) == 2)
		return lh_stk_from_frames(t->sample, ra, cfa, &partial);
	return lh_stk_intern(&ra, 1, 0);
}

static void finish(int n_threads)
{
	if (!lh_opt.deadlock_exit)
		return;
	if (!lh_opt.quiet) {
		char buf[256];
		int len = snprintf(buf, sizeof(buf),
		                   "lockhound: deadlock: %d thread%s blocked for good; the report is in "
		                   "%s; ending the process with exit code %d\n",
		                   n_threads, n_threads == 1 ? "" : "s", lh_log_path(), lh_opt.exitcode);
		if (write(2, buf, (size_t)(len < (int)sizeof(buf) ? len : (int)sizeof(buf) - 1)) < 0) {
			/* stderr closed */
		}
	}
	lh_log_end(lh_opt.exitcode, LH_END_DEADLOCK);
	_exit(lh_opt.exitcode);
}

/* write the finding for the cycle cyc[0] -> cyc[1] -> ... -> cyc[0] */
static void report_cycle(const int *cyc, int n)
{
	struct lh_rec_finding f;
	struct lh_rec_finding_item items[2 * WD_MAX_CYCLE];
	int i, ni = 0;

	sample_stacks(cyc, n);
	for (i = 0; i < n; i++) {
		struct lh_thread *t = snap[cyc[i]].t;
		const struct wd_node *nd = &snap[cyc[i]], *next = &snap[cyc[(i + 1) % n]];
		struct lh_rec_finding_item *w = &items[ni++];
		int h;

		memset(w, 0, sizeof(*w));
		w->thread_id = nd->id;
		w->role = nd->wait_kind == LH_WAIT_JOIN ? LH_ROLE_JOINS : LH_ROLE_WAITS;
		w->mode = t->wait_mode;
		w->stack_id = stack_at(t, t->wait_ra, t->wait_cfa);
		if (nd->wait_kind == LH_WAIT_JOIN)
			w->target_thread = nd->wait_thread;
		else
			w->lock_id = lh_core_lock_id_emit(nd->wait_addr, 0);
		/* what the next thread holds that this one waits for */
		if (nd->wait_kind != LH_WAIT_JOIN) {
			for (h = 0; h < next->t->n_held && h < LH_MAX_HELD; h++) {
				const struct lh_held *hd = &next->t->held[h];
				if (hd->addr != nd->wait_addr)
					continue;
				struct lh_rec_finding_item *o = &items[ni++];
				memset(o, 0, sizeof(*o));
				o->thread_id = next->id;
				o->role = LH_ROLE_HOLDS;
				o->lock_id = w->lock_id;
				o->mode = hd->mode;
				o->stack_id = stack_at(next->t, hd->ra, hd->cfa);
				break;
			}
		}
	}
	for (i = 0; i < ni; i++) {
		lh_thr_ensure_id(items[i].thread_id);
		lh_thr_ensure_id(items[i].target_thread);
	}
	memset(&f, 0, sizeof(f));
	f.kind = LH_FIND_DEADLOCK;
	f.what = LH_DL_CYCLE;
	f.thread_id = snap[cyc[0]].id;
	f.time_ns = lh_now_ns();
	f.n_items = (uint32_t)ni;
	lh_log_record(LH_REC_FINDING, &f, sizeof(f), items, (size_t)ni * sizeof(items[0]), NULL, 0);
	for (i = 0; i < n; i++) {
		snap[cyc[i]].t->wd_reported_seq = snap[cyc[i]].seq;
		snap[cyc[i]].t->wd_reported = 1;
	}
	finish(n);
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

static void *wd_main(void *arg)
{
	uint64_t grace_ns = (uint64_t)lh_opt.deadlock_grace_ms * 1000000u;
	long tick_ms = lh_opt.deadlock_grace_ms / 4;
	struct timespec ts;

	lh_in_shim = 1; /* forever: nothing this thread does is the program's */
	if (tick_ms < 10)
		tick_ms = 10;
	if (tick_ms > 250)
		tick_ms = 250;
	ts.tv_sec = tick_ms / 1000;
	ts.tv_nsec = (tick_ms % 1000) * 1000000L;
	for (;;) {
		int cyc[WD_MAX_CYCLE], n, i, same;
		uint64_t now, newest = 0;

		nanosleep(&ts, NULL);
		if (lh_disabled)
			continue;
		if (take_snapshot() <= 1) {
			/* One thread cannot deadlock with another.  The watchdog must
			 * not outlive the program's threads either: glibc ends the
			 * process when the last thread exits, and counts this one.
			 * A later pthread_create starts a new watchdog. */
			int zero = 0;
			__atomic_store_n(&wd_started, 0, __ATOMIC_SEQ_CST);
			if (count_live() <= 1 ||
			    !__atomic_compare_exchange_n(&wd_started, &zero, 1, 0, __ATOMIC_SEQ_CST,
			                                 __ATOMIC_SEQ_CST))
				return NULL;
			continue;
		}
		n = find_cycle(cyc);
		if (n == 0) {
			last_n = 0;
			continue;
		}
		same = n == last_n;
		for (i = 0; same && i < n; i++) {
			int found = 0, k;
			for (k = 0; k < last_n; k++)
				if (last_sig[k] == snap[cyc[i]].id && last_since[k] == snap[cyc[i]].since)
					found = 1;
			same = found;
		}
		for (i = 0; i < n; i++) {
			last_sig[i] = snap[cyc[i]].id;
			last_since[i] = snap[cyc[i]].since;
			if (snap[cyc[i]].since > newest)
				newest = snap[cyc[i]].since;
		}
		last_n = n;
		now = lh_now_ns();
		if (!same || now - newest < grace_ns)
			continue;
		report_cycle(cyc, n);
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
	if (!snap)
		snap = lh_alloc(sizeof(*snap) * WD_MAX_THREADS);
	if (!wd_signal)
		setup_signal(); /* once per process tree: a forked child keeps it */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	if (!snap || lh_real.create(&th, &attr, wd_main, NULL) != 0) {
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
	last_n = 0;
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
	items[0].stack_id = lh_stk_from_frames(fr, t->wait_ra, t->wait_cfa, &partial);
	items[1].thread_id = t->id;
	items[1].role = LH_ROLE_HOLDS;
	items[1].lock_id = items[0].lock_id;
	for (i = 0; i < t->n_held; i++)
		if (t->held[i].addr == addr) {
			items[1].mode = t->held[i].mode;
			items[1].stack_id = lh_stk_from_frames(fr, t->held[i].ra, t->held[i].cfa, &partial);
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
	t->wait_thread = id;
	lh_wait_note(t, LH_WAIT_JOIN, NULL, LH_MODE_EXCL, 0, ra, cfa);
	lh_wd_kick();
}
