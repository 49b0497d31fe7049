/*
 * misuse_live.c - the misuse checks that need the shim's live state (lock
 * identities, other threads' held stacks, glibc's fields of the object now)
 * to feed the pure decisions of misuse.c; the wrappers call them before the
 * real call, so the finding names the object as it was (its first init
 * stack, its holder).  docs/DESIGN.md section 12.
 */
#include "shim.h"
#include "glibc_locks.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <string.h>

int lh_mis_static_storage(const void *addr)
{
	Dl_info info;
	return dladdr(addr, &info) != 0 && info.dli_fbase != NULL;
}

/* Before the real init: a live identity that came from an init (not from a
 * first use, which PTHREAD_MUTEX_INITIALIZER allows to be followed by one
 * init) is mutex-reinit, named with that identity (its init stack) and,
 * while locked, the holder and where it took it.  dladdr only when the
 * identity is live: an init of fresh memory costs one slot look-up.  In a
 * fork child, an identity from before the fork may be initialized once
 * unless this thread holds it (lh_mis_mutex_reinit); a hold of it that
 * this thread brought across the fork (an atfork prepare handler locked
 * it, glibc's owner is the parent's tid) ends with that init, as glibc's
 * lock does, so the child's thread does not hold it any more. */
void lh_mis_mutex_init_check(void *m, int kind, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_rec_finding_item it;
	struct lh_gl_state s;
	struct lh_lock *lk;
	uint64_t id;
	int live, parent, self_locked;

	if (!t)
		return;
	lk = lh_lid_get(t, m);
	if (!lk)
		return;
	id = lh_lid_peek(lk);
	if (!id)
		return;
	parent = lh_lid_before_fork(id);
	s = lh_gl_lock_state(m, kind, 0);
	self_locked = s.locked == 1 && s.owner == t->os_tid;
	if (parent && !self_locked)
		(void)lh_held_drop(t, m);
	live = __atomic_load_n(&lk->kind, __ATOMIC_RELAXED) == kind &&
	       !(__atomic_load_n(&lk->flags, __ATOMIC_RELAXED) & LH_LOCKF_STATIC_INIT);
	if (!live || !lh_mis_mutex_reinit(live, lh_mis_static_storage(m), parent, self_locked))
		return;
	lh_report_misuse(LH_MIS_MUTEX_REINIT, m, kind, ra, &it,
	                 s.locked == 1 ? lh_core_owner_item(s.owner, m, kind, &it) : 0);
}

/* ---- cond-signal-without-mutex ---- */

/* The condition variable's slot remembers the mutex of its latest wait,
 * for the identity it has now (a first wait on a condition variable with
 * no init gives it one; a new identity forgets the mutex). */
void lh_mis_cond_waited(struct lh_thread *t, void *cond, void *mutex)
{
	struct lh_lock *lk = lh_lid_get(t, cond);

	if (!lk)
		return;
	(void)lh_lid_id(lk, LH_LOCK_COND, 0);
	__atomic_store_n(&lk->cond_mutex, (uintptr_t)mutex, __ATOMIC_RELAXED);
}

static int released_recently(const struct lh_thread *t, const void *addr)
{
	int i;

	for (i = 0; i < LH_REL_RECENT; i++)
		if (t->rel_recent[i] == addr)
			return 1;
	return 0;
}

/* Before the real signal or broadcast.  The mutex is held if the shim's
 * held stack or glibc's owner field says so (a lock taken before the shim
 * watched).  The finding names the condition variable and, when a thread
 * waits on it now, that waiter with the mutex and where it waits. */
void lh_mis_cond_signal_check(void *cond, int kind, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self(), *o;
	struct lh_rec_finding_item it;
	struct lh_lock *lk;
	struct lh_gl_state s;
	uintptr_t wra = 0;
	void *m;
	int held, n = 0;

	if (!t)
		return;
	lk = lh_lid_get(t, cond);
	if (!lk || !lh_lid_peek(lk))
		return;
	m = (void *)__atomic_load_n(&lk->cond_mutex, __ATOMIC_RELAXED);
	if (!m)
		return;
	held = lh_held_find(t, m) >= 0;
	if (!held) {
		s = lh_gl_lock_state(m, kind, 0);
		held = s.locked == 1 && s.owner == t->os_tid;
	}
	if (!lh_mis_cond_signal(1, held, released_recently(t, m)))
		return;
	memset(&it, 0, sizeof(it));
	lh_mu_lock(&lh_thr_mu);
	for (o = lh_thr_list; o && !n; o = o->next) {
		if (o == t || o->exiting || __atomic_load_n(&o->wait_kind, __ATOMIC_ACQUIRE) != LH_WAIT_COND ||
		    __atomic_load_n(&o->wait_obj, __ATOMIC_RELAXED) != cond)
			continue;
		it.thread_id = o->id;
		wra = __atomic_load_n(&o->wait_ra, __ATOMIC_RELAXED);
		m = __atomic_load_n(&o->wait_addr, __ATOMIC_RELAXED);
		n = 1;
	}
	lh_mu_unlock(&lh_thr_mu);
	if (n) {
		it.role = LH_ROLE_WAITS;
		it.lock_id = lh_core_lock_id_emit(m, kind);
		it.stack_id = wra ? lh_stk_intern(&wra, 1, 0) : 0;
	}
	lh_report_misuse(LH_MIS_COND_SIGNAL_UNLOCKED, cond, LH_LOCK_COND, ra, &it, n);
}

/* ---- cond-not-initialized, cond-overwritten ---- */

uint32_t lh_mis_cond_init_flags(const void *cond)
{
	uint32_t w = lh_gl_cond_state(cond).wrefs;

	return ((w & LH_GL_COND_SHARED) ? LH_LOCKF_PSHARED : 0) |
	       ((w & LH_GL_COND_CLOCK_MONOTONIC) ? LH_LOCKF_COND_MONOTONIC : 0);
}

/* Before the real wait, signal or broadcast.  The fields are read before
 * the identity: a first wait publishes its identity before glibc's first
 * write, so fields seen changed come with an identity seen too (the
 * acquire fence pairs with the waiter's publish and its atomic
 * read-modify-writes in glibc).  A slot the shim cannot have (the table is
 * full) decides nothing. */
void lh_mis_cond_use_check(void *cond, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_gl_cond g;
	struct lh_lock *lk;
	uint32_t init_bits = 0;
	uint16_t fl;
	int identity, initialized, what;

	if (!t)
		return;
	g = lh_gl_cond_state(cond);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	lk = lh_lid_get(t, cond);
	if (!lk)
		return;
	identity = lh_lid_peek(lk) != 0;
	fl = __atomic_load_n(&lk->flags, __ATOMIC_RELAXED);
	initialized = identity && __atomic_load_n(&lk->kind, __ATOMIC_RELAXED) == LH_LOCK_COND &&
	              !(fl & LH_LOCKF_STATIC_INIT);
	if (fl & LH_LOCKF_PSHARED)
		init_bits |= LH_GL_COND_SHARED;
	if (fl & LH_LOCKF_COND_MONOTONIC)
		init_bits |= LH_GL_COND_CLOCK_MONOTONIC;
	what = lh_mis_cond_use(identity, initialized, init_bits, &g);
	if (what)
		lh_report_misuse(what, cond, LH_LOCK_COND, ra, NULL, 0);
}

/* ---- free-locked ---- */

int lh_mis_free_may_hold(const struct lh_thread *t, const void *p)
{
	int i;

	for (i = 0; i < t->n_held; i++) {
		uintptr_t a = (uintptr_t)t->held[i].addr;
		if (a >= (uintptr_t)p && a - (uintptr_t)p < LH_FREE_NEAR)
			return 1;
	}
	return 0;
}

/* The held locks inside [p, p + size) that count (lh_mis_free_counts),
 * each a HOLDS item with where it was taken; one finding names them all,
 * and they leave the held stack: they are gone, and the thread's exit must
 * not report them again.  Not while the shim runs on this thread (its own
 * frees: libunwind's, dlsym's) or holds its own locks (a signal handler
 * that interrupted the shim). */
void lh_mis_free_check(struct lh_thread *t, void *p, size_t size, uintptr_t ra)
{
	struct lh_rec_finding_item items[LH_MAX_HELD];
	void *addrs[LH_MAX_HELD];
	int kinds[LH_MAX_HELD];
	int i, n = 0, saved;

	if (lh_in_shim || lh_locks_held || lh_disabled || !__atomic_load_n(&lh_ready, __ATOMIC_ACQUIRE) ||
	    !lh_mis_free_may_hold(t, p))
		return;
	saved = errno;
	lh_in_shim++;
	if (!size)
		size = malloc_usable_size(p);
	for (i = 0; i < t->n_held; i++) {
		const struct lh_held *h = &t->held[i];
		uintptr_t a = (uintptr_t)h->addr;
		if (a < (uintptr_t)p || a - (uintptr_t)p >= size || !lh_mis_free_counts(h->kind))
			continue;
		memset(&items[n], 0, sizeof(items[n]));
		items[n].thread_id = t->id;
		items[n].role = LH_ROLE_HOLDS;
		items[n].lock_id = lh_core_lock_id_emit(h->addr, h->kind);
		items[n].mode = h->mode;
		items[n].stack_id = lh_stk_intern_py(&t->held[i].ra, 1, 0, h->py);
		addrs[n] = h->addr;
		kinds[n] = h->kind;
		n++;
	}
	if (n) {
		lh_report_misuse(LH_MIS_FREE_LOCKED, addrs[0], kinds[0], ra, items, n);
		for (i = 0; i < n; i++)
			lh_held_drop(t, addrs[i]);
	}
	lh_in_shim--;
	errno = saved;
}

/* ---- barrier-extra-waiter ---- */

/* Each arrival sets its thread's bit (id mod 64) in the barrier's slot
 * and counts itself if the bit was clear; a bit already set (the same
 * thread again, or another sharing it) marks the barrier LH_BAR_AGAIN, for
 * good: lh_mis_barrier_extra then judges nothing, so a shared bit can only
 * hide a finding.  The words are reset with each new identity (init). */
void lh_mis_barrier_arrived(struct lh_thread *t, pthread_barrier_t *b)
{
	struct lh_lock *lk = lh_lid_get(t, b);
	uint64_t bit = 1ull << (t->id & 63), old;

	if (!lk)
		return;
	(void)lh_lid_id(lk, LH_LOCK_BARRIER, 0);
	old = __atomic_fetch_or(&lk->bar_threads, bit, __ATOMIC_RELAXED);
	if (old & bit)
		__atomic_fetch_or(&lk->bar_arrivals, LH_BAR_AGAIN, __ATOMIC_RELAXED);
	else
		__atomic_fetch_add(&lk->bar_arrivals, 1, __ATOMIC_RELAXED);
}

/* From the watchdog's stall report, before the stall is written (the
 * process may end after it): the barrier's memory is live, a thread waits
 * in it.  The finding is the waiter's, at its wait, naming the barrier
 * (where it was initialized, with the count it was given). */
void lh_mis_barrier_stalled(void *b, uint32_t waiter, uint32_t stack)
{
	struct lh_lock *lk = lh_lid_lookup((uintptr_t)b, 0);

	if (!lk || !lh_lid_peek(lk) || __atomic_load_n(&lk->kind, __ATOMIC_RELAXED) != LH_LOCK_BARRIER)
		return;
	if (lh_mis_barrier_extra(__atomic_load_n(&lk->bar_arrivals, __ATOMIC_RELAXED), lh_gl_barrier_count(b)))
		lh_report_misuse_of(LH_MIS_BARRIER_EXTRA_WAITER, b, LH_LOCK_BARRIER, waiter, stack, NULL, 0);
}
