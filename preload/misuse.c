/*
 * misuse.c - misuse of the threading API: the decisions (pure functions of
 * what the shim saw and what the lock's own fields say, docs/DESIGN.md
 * section 12) and the findings the shim writes while the program runs
 * (LH_REC_FINDING records).  tests/unit/test_misuse.c drives the decisions
 * and the once-per-call-site table.
 *
 * Each (kind of misuse, call site) is recorded once: a loop that unlocks an
 * unlocked mutex a million times is one record.  At most LH_MIS_SITES call
 * sites are remembered; past that, new ones are not recorded (noted once).
 * The program goes on: the real function has been (or will be) called
 * exactly as the program asked, and its return value and errno are the
 * program's.
 */
#include "shim.h"
#include "glibc_locks.h"
#include "lh_misuse.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static uint64_t seen[LH_MIS_SITES]; /* under lh_mis_seen_mu */
static int n_seen;                  /* under lh_mis_seen_mu; LH_MIS_SITES + 1 once full and noted */
pthread_mutex_t lh_mis_seen_mu = PTHREAD_MUTEX_INITIALIZER; /* across fork: forklocks.c */

/* ---- the decisions ---- */

int lh_mis_unlock(const struct lh_gl_state *s, int self_tid)
{
	if (s->locked == 0)
		return LH_MIS_UNLOCK_NOT_LOCKED;
	if (s->locked == 1 && s->owner != 0 && s->owner != self_tid)
		return LH_MIS_UNLOCK_OTHER_THREAD;
	return 0; /* locked without a known owner (read-held, spinlock), or by us */
}

int lh_mis_destroy(const struct lh_gl_state *s, int held_by_self, int others_wait)
{
	if (s->locked != 1 && !held_by_self)
		return 0;
	return (s->waiters || others_wait) ? LH_MIS_DESTROY_WAITERS : LH_MIS_DESTROY_LOCKED;
}

int lh_mis_cond_wait(int held_by_self, const struct lh_gl_state *s, int self_tid)
{
	if (held_by_self || (s->locked == 1 && s->owner == self_tid))
		return 0;
	return LH_MIS_COND_NOT_HELD;
}

int lh_mis_lock_failed(int kind, int rc, int destroyed)
{
	if (rc == EINVAL && (kind == LH_LOCK_MUTEX || kind == LH_LOCK_C11_MTX) && destroyed)
		return LH_MIS_USE_AFTER_DESTROY;
	return 0;
}

/* A timed lock that failed with EINVAL because its deadline is not a valid
 * time (tv_nsec outside [0, 1e9)): the program asked for a wait it never
 * got, and glibc only says so in a return value programs seldom check.  A
 * deadline glibc did not look at (the lock was free) is no finding: the
 * call succeeded. */
int lh_mis_timespec(int rc, const struct timespec *ts)
{
	if (rc != EINVAL || !ts)
		return 0;
	return (ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L) ? LH_MIS_BAD_TIMESPEC : 0;
}

/* Joins and detaches that glibc refused: the failure is the bug (the
 * program meant to wait for the thread, or to let it go, and did not).
 * Decided from glibc's answer alone, so a call glibc accepted is never a
 * finding: EDEADLK from a join of the caller itself, EINVAL from a join of
 * a thread that is detached or that another thread already joins, EINVAL
 * from a detach of a detached thread. */
int lh_mis_join(int rc, int is_self)
{
	if (rc == EDEADLK && is_self)
		return LH_MIS_JOIN_SELF;
	if (rc == EINVAL)
		return LH_MIS_JOIN_DETACHED;
	return 0;
}

int lh_mis_detach(int rc)
{
	return rc == EINVAL ? LH_MIS_DETACH_DETACHED : 0;
}

/* Initializations glibc refused for their count: the object stays
 * uninitialized, and every later wait or post on it is undefined. */
int lh_mis_sem_init(int rc, unsigned value)
{
	return rc != 0 && value > (unsigned)SEM_VALUE_MAX ? LH_MIS_SEM_BAD_COUNT : 0;
}

/* sem_init of an address whose semaphore identity came from sem_init or
 * sem_open and was not ended (sem_destroy, the last sem_close, C++ delete).
 * Only static storage counts: heap and stack memory is given back and
 * reused without the shim seeing free() or a frame return, and a new
 * semaphore there would look re-initialized (glibc's sem_destroy is a
 * no-op, which programs often skip).  Limit: a heap or stack semaphore
 * initialized twice is not reported. */
int lh_mis_sem_reinit(int live_init, int static_storage)
{
	return live_init && static_storage ? LH_MIS_SEM_REINIT : 0;
}

/* pthread_mutex_init or mtx_init of a mutex whose identity came from an
 * init and was not ended by a destroy (or C++ delete), locked or not; a
 * mutex first used with no init (PTHREAD_MUTEX_INITIALIZER) may be
 * initialized once.  Static storage only, as for lh_mis_sem_reinit: heap
 * and stack memory is reused without the shim seeing free() or a frame
 * return.  Limit: a heap or stack mutex initialized twice is not
 * reported.
 * In a forked child, the first init of a mutex whose identity was made
 * before the fork (parent_identity) is the fork-safety idiom, not misuse:
 * a thread of the parent that the child does not have may have held it
 * (an atfork child handler re-initializes what its prepare handler could
 * not make safe).  It is still misuse while the child's own thread holds
 * it (locked_by_self: glibc's owner is this thread's tid, so it was taken
 * after the fork; a lock the forking thread took before the fork, in a
 * prepare handler, has the parent's tid), and the init makes an identity
 * of the child's, so a second init in the child is reported. */
int lh_mis_mutex_reinit(int live_init, int static_storage, int parent_identity, int locked_by_self)
{
	if (parent_identity && !locked_by_self)
		return 0; /* a fork child repairing the parent's lock */
	return live_init && static_storage ? LH_MIS_MUTEX_REINIT : 0;
}

/* pthread_cond_signal / broadcast (and C11's) by a thread that neither
 * holds the mutex the condition variable's waiters use (mutex_known: a
 * wait on it was seen, with that mutex) nor released it among its last
 * LH_REL_RECENT releases.  A waiter checks its predicate under the mutex
 * and then waits; a predicate changed and signalled without the mutex can
 * land between the two, and the wakeup is lost.  Signalling right after
 * the unlock, the predicate changed under the mutex, loses nothing, and
 * is not flagged.  Helgrind's "dubious" case; some programs do it on
 * purpose (an atomic predicate and timed waits), so it has its own what,
 * which a suppressions line can name.  Limits: a thread that changed the
 * predicate under the mutex and then released LH_REL_RECENT other locks
 * before its signal is flagged; one that took the mutex for something
 * else just before is not. */
int lh_mis_cond_signal(int mutex_known, int held, int released_recently)
{
	return mutex_known && !held && !released_recently ? LH_MIS_COND_SIGNAL_UNLOCKED : 0;
}

/* Does a held lock inside a block being freed count for free-locked?  Not
 * a semaphore: the entry of one that another thread posted stays on the
 * holder's stack until its next semaphore call (docs/DESIGN.md section
 * 26), so it may no longer be held. */
int lh_mis_free_counts(int kind)
{
	return kind != LH_LOCK_SEM;
}

/* A barrier that the watchdog found stalled (a thread waits in it, and no
 * thread is left to arrive): arrivals counts the threads that arrived at
 * it since its init, each once (LH_BAR_AGAIN: some thread arrived twice,
 * or could have).  A barrier each thread passed once, with more arrivals
 * than its count, was waited on by more threads than its count: the
 * extra ones started a round that nobody completes.  A barrier some
 * thread passed again (rounds, a partner that changes) is not judged: the
 * stall alone is reported; so is one with fewer arrivals than its count
 * (too few threads, not too many). */
int lh_mis_barrier_extra(uint32_t arrivals, unsigned count)
{
	if ((arrivals & LH_BAR_AGAIN) || count == 0)
		return 0;
	return arrivals > count && arrivals % count != 0 ? LH_MIS_BARRIER_EXTRA_WAITER : 0;
}

/* A wait or post.  identity: the shim knows a semaphore at this address;
 * initialized: it came from sem_init or sem_open (else from an earlier
 * first use); pshared: how it was initialized; g: what glibc's fields say
 * now.  With no identity, a semaphore glibc's field calls process-shared
 * may have been initialized by another process (shared memory): only a
 * private one (or garbage) is reported.  An initialized one whose private
 * field is no longer what init wrote, or whose value is above
 * SEM_VALUE_MAX (glibc never makes one), was overwritten.  Limit: zeros
 * written over a private semaphore look like a valid one of value 0. */
int lh_mis_sem_use(int identity, int initialized, int pshared, const struct lh_gl_sem *g)
{
	if (!identity)
		return g->priv == LH_GL_SEM_SHARED ? 0 : LH_MIS_SEM_NOT_INIT;
	if (initialized &&
	    (g->priv != (pshared ? LH_GL_SEM_SHARED : LH_GL_SEM_PRIVATE) || g->value > (uint32_t)SEM_VALUE_MAX))
		return LH_MIS_SEM_OVERWRITTEN;
	return 0;
}

/* A wait, signal or broadcast on a condition variable (pthread or C11),
 * before the real call: glibc may hang or write through garbage.
 * identity: the shim knows a live object at this address (from an init,
 * or from an earlier first use: a wait gives one before glibc's first
 * write to the fields); initialized: it is a condition variable's, from
 * pthread_cond_init or cnd_init, which wrote init_bits (LH_GL_COND_SHARED,
 * LH_GL_COND_CLOCK_MONOTONIC) into __wrefs; g: what glibc's fields say
 * now.  With no identity, fields that PTHREAD_COND_INITIALIZER or an init
 * leave (g->fresh: all-zero memory, calloc's included, is a valid
 * condition variable) are clean, and so is one glibc's field calls
 * process-shared: another process may have initialized it in shared
 * memory.  Anything else was never initialized, or was destroyed (destroy
 * sets __wrefs bit 2).  An initialized one whose init bits changed was
 * overwritten: glibc never writes them after init.  Limits: zeros over a
 * condition variable with default attributes, and any pattern whose two
 * low __wrefs bits match what init wrote, look untouched; a condition
 * variable copied to a new address (undefined for POSIX) is reported as
 * never initialized once it has been waited on. */
int lh_mis_cond_use(int identity, int initialized, uint32_t init_bits, const struct lh_gl_cond *g)
{
	if (!identity)
		return g->fresh || (g->wrefs & LH_GL_COND_SHARED) ? 0 : LH_MIS_COND_NOT_INIT;
	if (initialized && (g->wrefs & LH_GL_COND_INIT_BITS) != (init_bits & LH_GL_COND_INIT_BITS))
		return LH_MIS_COND_OVERWRITTEN;
	return 0;
}

/* sem_destroy while other threads' published waits are on it, or glibc's
 * waiter count says someone waits (a thread of another process, for a
 * shared one); the waiters stay blocked on freed state (undefined). */
int lh_mis_sem_destroy(int others_wait, uint32_t nwaiters)
{
	return others_wait || nwaiters ? LH_MIS_SEM_DESTROY_WAITERS : 0;
}

int lh_mis_barrier_init(int rc, unsigned count)
{
	return rc == EINVAL && count == 0 ? LH_MIS_BARRIER_COUNT_ZERO : 0;
}

/* A condition variable or barrier destroyed, or a barrier initialized
 * again, while n_waiters threads wait on it (the shim's own wait states):
 * glibc's destroy then waits for waiters that may never leave, and an init
 * pulls the object from under them.  op is LH_MIS_OP_DESTROY or
 * LH_MIS_OP_INIT, kind LH_LOCK_COND or LH_LOCK_BARRIER. */
int lh_mis_object_waited(int op, int kind, int n_waiters)
{
	if (n_waiters <= 0)
		return 0;
	if (kind == LH_LOCK_COND && op == LH_MIS_OP_DESTROY)
		return LH_MIS_COND_DESTROY_WAITERS;
	if (kind == LH_LOCK_BARRIER)
		return op == LH_MIS_OP_DESTROY ? LH_MIS_BARRIER_DESTROY_WAITERS : LH_MIS_BARRIER_REINIT_WAITERS;
	return 0;
}

/* Does a lock still held when its thread ends count for
 * exit-holding-locks?  Not a robust mutex: its owner's end is what
 * EOWNERDEAD is for.  Not a semaphore: a binary one held as a lock is the
 * semaphore model's, handed on by any thread's post. */
int lh_mis_exit_counts(int kind, int robust)
{
	if (kind == LH_LOCK_SEM)
		return 0;
	return !(kind == LH_LOCK_MUTEX && robust);
}

/* ---- threads already joined ----
 * A joined thread's pthread_t names freed memory (or, once glibc hands
 * the descriptor to a new thread, another thread): a second join or a
 * detach of it is undefined, and glibc may answer EINVAL, ESRCH, 0 or
 * crash.  So the shim remembers the handles of joined threads until a
 * thread creation hands the same handle out again, and decides from that
 * alone, before the call.  At most LH_JOINED_SLOTS handles are kept; past
 * that the oldest is forgotten (noted once): a second join of it is
 * missed.  Under lh_mis_seen_mu. */
static pthread_t joined[LH_JOINED_SLOTS];
static int n_joined, next_joined, joined_full_noted;

void lh_mis_joined_add(pthread_t t)
{
	int i, full = 0;

	lh_mu_lock(&lh_mis_seen_mu);
	for (i = 0; i < n_joined; i++)
		if (pthread_equal(joined[i], t))
			break;
	if (i == n_joined) {
		if (n_joined < LH_JOINED_SLOTS) {
			joined[n_joined++] = t;
		} else {
			joined[next_joined] = t; /* the oldest goes */
			next_joined = (next_joined + 1) % LH_JOINED_SLOTS;
			full = !joined_full_noted;
			joined_full_noted = 1;
		}
	}
	lh_mu_unlock(&lh_mis_seen_mu);
	if (full)
		lh_log_note("more than %d joined threads remembered at once (LH_JOINED_SLOTS); a "
		            "second join or a detach of the oldest ones is not seen",
		            LH_JOINED_SLOTS);
}

int lh_mis_joined_has(pthread_t t)
{
	int i, found = 0;

	lh_mu_lock(&lh_mis_seen_mu);
	for (i = 0; i < n_joined && !found; i++)
		found = pthread_equal(joined[i], t);
	lh_mu_unlock(&lh_mis_seen_mu);
	return found;
}

void lh_mis_joined_forget(pthread_t t)
{
	int i;

	lh_mu_lock(&lh_mis_seen_mu);
	for (i = 0; i < n_joined; i++)
		if (pthread_equal(joined[i], t)) {
			/* keep the ring's order: move the last one in (the order
			 * only decides which handle goes first when full) */
			joined[i] = joined[--n_joined];
			if (next_joined >= n_joined)
				next_joined = 0;
			break;
		}
	lh_mu_unlock(&lh_mis_seen_mu);
}

/* a join or detach of a thread already joined (lh_mis_joined_has) */
int lh_mis_join_again(int is_join, int was_joined)
{
	if (!was_joined)
		return 0;
	return is_join ? LH_MIS_JOIN_TWICE : LH_MIS_DETACH_JOINED;
}

int lh_mis_once(int what, uintptr_t ra, const void *addr)
{
	uint64_t key = ((uint64_t)(ra ? ra : (uintptr_t)addr) * 0x9E3779B97F4A7C15ull) ^ (uint64_t)what;
	int i, rc = LH_MIS_FIRST, full = 0;

	lh_mu_lock(&lh_mis_seen_mu);
	for (i = 0; i < n_seen && i < LH_MIS_SITES; i++)
		if (seen[i] == key)
			rc = LH_MIS_SEEN;
	if (rc == LH_MIS_FIRST) {
		if (n_seen < LH_MIS_SITES) {
			seen[n_seen++] = key;
		} else {
			rc = LH_MIS_SEEN;
			full = n_seen == LH_MIS_SITES;
			n_seen = LH_MIS_SITES + 1;
		}
	}
	lh_mu_unlock(&lh_mis_seen_mu);
	if (full)
		lh_log_note("more than %d distinct misuse call sites; further ones are not recorded",
		            LH_MIS_SITES);
	return rc;
}

/* ---- the findings ---- */

static void report(int what, void *addr, int kind, uintptr_t ra, uint32_t stack, uint32_t thread_id,
                   const struct lh_rec_finding_item *items, int n_items);

void lh_report_misuse(int what, void *addr, int kind, uintptr_t ra,
                      const struct lh_rec_finding_item *items, int n_items)
{
	report(what, addr, kind, ra, 0, 0, items, n_items);
}

void lh_report_misuse_stack(int what, void *addr, int kind, uint32_t stack,
                            const struct lh_rec_finding_item *items, int n_items)
{
	report(what, addr, kind, 0, stack, 0, items, n_items);
}

void lh_report_misuse_of(int what, void *addr, int kind, uint32_t thread_id, uint32_t stack,
                         const struct lh_rec_finding_item *items, int n_items)
{
	if (thread_id)
		report(what, addr, kind, 0, stack, thread_id, items, n_items);
}

/* thread_id 0: the calling thread's finding, made at its call (ra) or
 * with its stack; else another thread's, with that thread's stack */
static void report(int what, void *addr, int kind, uintptr_t ra, uint32_t stack, uint32_t thread_id,
                   const struct lh_rec_finding_item *items, int n_items)
{
	struct lh_thread *t = thread_id ? NULL : lh_thr_current_raw();
	struct lh_rec_finding f;
	int i;

	if (!t && !thread_id)
		return;
	lh_in_shim++;
	if (lh_mis_once(what, ra, addr) != LH_MIS_FIRST) {
		lh_in_shim--;
		return;
	}
	if (t)
		lh_thr_ensure(t);
	else
		lh_thr_ensure_id(thread_id);
	for (i = 0; i < n_items; i++)
		lh_thr_ensure_id(items[i].thread_id);
	memset(&f, 0, sizeof(f));
	f.kind = LH_FIND_MISUSE;
	f.what = (uint32_t)what;
	f.thread_id = t ? t->id : thread_id;
	f.stack_id = ra ? lh_stk_capture(ra) : stack;
	f.lock_id = addr ? lh_core_lock_id_emit(addr, kind) : 0; /* NULL: not about a lock */
	f.time_ns = lh_now_ns();
	f.n_items = (uint32_t)(n_items > 0 ? n_items : 0);
	lh_log_record(LH_REC_FINDING, &f, sizeof(f), items, f.n_items * sizeof(*items), NULL, 0);
	if (!lh_opt.quiet)
		lh_warn("T%u: %s (lock at %p); see the report", f.thread_id, lh_misuse_text((uint32_t)what), addr);
	lh_in_shim--;
}

void lh_mis_after_fork_child(void)
{
	/* lh_mis_seen_mu was re-made by lh_fork_reset_all */
	n_seen = 0; /* the child's log has none of them */
	/* the joined handles stay: a thread joined before the fork is just as
	 * gone in the child */
}
