/*
 * core.c - the events the wrappers tell the shim, one function each, and
 * how each is routed to the units that own the state:
 *
 *   lockid.c     lock identities (address -> slot -> id) and freed memory
 *   edges.c      held-lock stacks and the lock-order edges they add
 *   misuse.c     misuse decisions and the findings written for them
 *   condtab.c    which mutex each condition variable is waited with
 *   glibc_locks.h what glibc's own lock fields say
 *
 * This file owns no tables of its own.  It is where the shim's side effects
 * are wired in: edges.c gets the unwinder and the log through `shim_io`,
 * and the watchdog hears of waits from here.
 *
 * The acquire/release points of every lock kind pass through exactly these
 * functions (the wrappers' inline fast paths, wrap.h, handle the common case
 * of an already-known lock and call nothing here):
 *   acquisition complete     lh_core_acquired   (mutex, rwlock, spin, C11, cond
 *                                                re-acquire, annotated)
 *   release                  lh_core_released   (all kinds)
 *   release for a cond wait  lh_core_cond_enter (-> lh_core_cond_release)
 *   identity begins / ends   lh_core_init_lock, lh_core_destroy_lock, lh_core_freed
 * Semaphores have their own four (lh_core_sem_*): semmodel.c decides whether
 * each wait and post is an acquisition and release of a lock, and those go
 * to edges.c like any other.
 */
#include "heldset.h"
#include "rt.h"
#include "glibc_locks.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

/* ---- what edges.c may do to the world ---- */

static void shim_unwind(struct lh_frames *f)
{
	/* too little stack left for libunwind: call sites only */
	if (lh_stack_is_short())
		f->n = 0;
	else
		lh_stk_unwind(f);
}

static void shim_write_lock(const struct lh_rec_lock *r)
{
	struct lh_rec_lock c = *r;

	/* the init stack may date from before a fork: write it again */
	if (c.init_stack)
		c.init_stack = lh_stk_rewrite(c.init_stack);
	lh_log_record(LH_REC_LOCK, &c, sizeof(c), NULL, 0, NULL, 0);
}

static void shim_write_edge(struct lh_thread *t, const struct lh_rec_edge *e,
                            const struct lh_rec_gate *gates, int n_gates)
{
	lh_thr_ensure(t);
	lh_log_record(LH_REC_EDGE, e, sizeof(*e), gates, (size_t)n_gates * sizeof(gates[0]), NULL, 0);
}

static void shim_write_edge_ctx(struct lh_thread *t, const struct lh_rec_edge_ctx *c,
                                const uint32_t *gate_modes)
{
	lh_thr_ensure(t);
	lh_log_record(LH_REC_EDGE_CTX, c, sizeof(*c), gate_modes, c->n_gates * sizeof(uint32_t), NULL, 0);
}

static void shim_write_edge_pair(const struct lh_rec_edge_pair *p, const uint32_t *gate_locks, int n)
{
	lh_log_record(LH_REC_EDGE_PAIR, p, sizeof(*p), gate_locks, (size_t)n * sizeof(uint32_t), NULL, 0);
}

static void shim_write_cls_member(const struct lh_rec_cls_member *r)
{
	lh_log_record(LH_REC_CLS_MEMBER, r, sizeof(*r), NULL, 0, NULL, 0);
}

static void shim_write_sem_class(const struct lh_rec_sem_class *r)
{
	lh_thr_ensure_id(r->thread_id);
	lh_log_record(LH_REC_SEM_CLASS, r, sizeof(*r), NULL, 0, NULL, 0);
}

static const struct lh_edge_io shim_io = {
	.unwind = shim_unwind,
	.stack_of = lh_stk_from_frames,
	.write_lock = shim_write_lock,
	.write_edge = shim_write_edge,
	.now_ns = lh_now_ns,
	.trace = lh_stk_trace,
	.write_sem_class = shim_write_sem_class,
	.write_edge_ctx = shim_write_edge_ctx,
	.write_edge_pair = shim_write_edge_pair,
	.write_cls_member = shim_write_cls_member,
	.map_cls_bits = lh_log_map_bits,
	.unmap_cls_bits = lh_log_unmap_bits,
	.map_tuple_bits = lh_log_map_tuple_bits,
};

/* ---- identities ---- */

uint32_t lh_core_mutex_flags(const pthread_mutex_t *m)
{
	return lh_gl_mutex_lflags(m);
}

void lh_core_init_lock(void *addr, int kind, uint32_t lflags, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_lock *lk;

	if (!t)
		return;
	lk = lh_lid_get(t, addr);
	if (!lk)
		return;
	/* a new identity, whether or not the old one was destroyed: memory
	 * re-initialized in place is a new lock */
	lh_lid_new(lk, kind, lflags, lh_stk_capture(ra));
}

void lh_core_destroy_lock(void *addr, int kind, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_lock *lk;

	if (!t)
		return;
	lk = lh_lid_get(t, addr);
	if (lk)
		lh_lid_end(lk);
}

void lh_core_freed(void *ptr, size_t size)
{
	lh_lid_freed(ptr, size);
}

uint64_t lh_core_lock_id_emit(void *addr, int kind)
{
	struct lh_lock *lk = lh_lid_lookup((uintptr_t)addr, 1);
	uint64_t id;

	if (!lk)
		return 0;
	id = lh_lid_id(lk, kind ? kind : LH_LOCK_MUTEX, 0);
	lh_edge_lock_written(&shim_io, lk, id);
	return id;
}

/* ---- acquisitions and releases ---- */

void lh_core_wait_begin(const struct lh_acq *a)
{
	struct lh_thread *t = lh_thr_self();

	if (!t)
		return;
	lh_wait_note(t, LH_WAIT_LOCK, a->addr, (a->flags & LH_ACQ_SHARED) ? LH_MODE_SHARED : LH_MODE_EXCL,
	             (a->flags & LH_ACQ_TIMED) != 0, a->ra, a->cfa);
	if (lh_edge_self_blocks(t, a))
		lh_wd_self_deadlock(t, a->addr, a->kind);
	lh_wd_kick();
}

void lh_core_wait_end(void)
{
	struct lh_thread *t = lh_thr_current_raw();

	if (t)
		lh_wait_clear(t);
}

void lh_core_acquired(const struct lh_acq *a)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_lock *lk;

	LH_RT_HOOK(lh_rt_lock_acquired(a->addr, a->kind,
	                               (a->flags & LH_ACQ_SHARED) ? LH_MODE_SHARED : LH_MODE_EXCL));
	LH_SMP_HOOK(lh_smp_lock_acquired(a->addr, a->kind,
	                                 (a->flags & LH_ACQ_SHARED) ? LH_MODE_SHARED : LH_MODE_EXCL));
	if (!t)
		return;
	lk = lh_lid_get(t, a->addr);
	if (!lk)
		return;
	t->py_cur = unlikely(lh_py_on | lh_py_retry) ? lh_py_take(t, a->addr) : NULL;
	lh_edge_acquired(&shim_io, t, lk, lh_lid_id(lk, a->kind, a->lflags), a);
	t->py_cur = NULL;
}

/* the fast paths' hooks (wrap.h, lh_fast_hooked), each as LH_RT_HOOK and
 * LH_SMP_HOOK would run it */
void lh_fast_hooks_acquired(void *addr, uint8_t kind, unsigned shared)
{
	LH_RT_HOOK(lh_rt_lock_acquired(addr, kind, (int)shared));
	LH_SMP_HOOK(lh_smp_lock_acquired(addr, kind, (int)shared));
}

void lh_fast_hooks_released(void *addr, uint8_t kind, uint8_t mode)
{
	LH_RT_HOOK(lh_rt_lock_released(addr, kind, mode, 1));
	LH_SMP_HOOK(lh_smp_lock_released(addr, kind, mode, 1));
}

void lh_core_try_failed(void *addr)
{
	struct lh_thread *t;

	if (likely(!(lh_py_on | lh_py_retry)))
		return;
	t = lh_thr_self();
	if (t)
		lh_py_try_failed(t, addr);
}

static int spin_unlocked_value(void)
{
	static int value = -1; /* atomic relaxed: every thread computes the same */
	int v = __atomic_load_n(&value, __ATOMIC_RELAXED);

	if (v == -1) {
		pthread_spinlock_t probe;
		lh_real.spin_init(&probe, PTHREAD_PROCESS_PRIVATE);
		v = *(volatile int *)&probe;
		lh_real.spin_destroy(&probe);
		__atomic_store_n(&value, v, __ATOMIC_RELAXED);
	}
	return v;
}

static struct lh_gl_state lock_state(void *addr, int kind)
{
	return lh_gl_lock_state(addr, kind, kind == LH_LOCK_SPIN ? spin_unlocked_value() : 0);
}

uint32_t lh_core_thread_of_tid(int os_tid)
{
	struct lh_thread *o;
	uint32_t id = 0;

	lh_mu_lock(&lh_thr_mu);
	for (o = lh_thr_list; o; o = o->next)
		if (o->os_tid == os_tid && !o->exiting) {
			id = o->id;
			break;
		}
	lh_mu_unlock(&lh_thr_mu);
	return id;
}

/* A HOLDS item for the thread with kernel tid `owner`, when it is known:
 * the lock, and the call site where that thread took it (read from its
 * held-lock stack without its cooperation, with lh_held_read; only the call
 * site is known).  A stack that keeps changing names no call site. */
static int owner_item(int owner, void *addr, int kind, struct lh_rec_finding_item *it)
{
	struct lh_thread *o;
	const struct lh_pystk *py = NULL;
	uintptr_t ra = 0;
	int mode = 0;

	memset(it, 0, sizeof(*it));
	if (owner <= 0)
		return 0;
	lh_mu_lock(&lh_thr_mu);
	for (o = lh_thr_list; o; o = o->next) {
		struct lh_held hd[LH_MAX_HELD];
		int i, n;
		if (o->os_tid != owner || o->exiting)
			continue;
		it->thread_id = o->id;
		n = lh_held_read(o, hd, LH_MAX_HELD); /* -1: it keeps changing */
		for (i = 0; i < n; i++)
			if (hd[i].addr == addr) {
				ra = hd[i].ra;
				mode = hd[i].mode;
				py = hd[i].py;
			}
		break;
	}
	lh_mu_unlock(&lh_thr_mu);
	if (!it->thread_id)
		return 0;
	it->role = LH_ROLE_HOLDS;
	it->lock_id = lh_core_lock_id_emit(addr, kind);
	it->mode = (uint32_t)mode;
	it->stack_id = ra ? lh_stk_intern_py(&ra, 1, 0, py) : 0;
	return 1;
}

int lh_core_owner_item(int owner, void *addr, int kind, struct lh_rec_finding_item *it) { return owner_item(owner, addr, kind, it); }

void lh_core_released(void *addr, int kind, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_rec_finding_item it;
	struct lh_gl_state s;
	int what;

	LH_RT_HOOK(lh_rt_lock_released(addr, kind, -1, 0));
	LH_SMP_HOOK(lh_smp_lock_released(addr, kind, -1, 0));
	if (t)
		lh_rel_note(t, addr);
	if (!t || lh_held_release(t, addr) != LH_REL_NOT_HELD)
		return;
	/* not held by this thread as far as the shim saw: ask the lock itself,
	 * so a lock taken before the shim was watching is no false alarm */
	s = lock_state(addr, kind);
	what = lh_mis_unlock(&s, t->os_tid);
	if (what == LH_MIS_UNLOCK_NOT_LOCKED)
		lh_report_misuse(what, addr, kind, ra, NULL, 0);
	else if (what == LH_MIS_UNLOCK_OTHER_THREAD)
		lh_report_misuse(what, addr, kind, ra, &it, owner_item(s.owner, addr, kind, &it));
}

/* ---- misuse checks on the paths where they cost nothing extra ---- */

void lh_core_destroy_check(void *addr, int kind, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self(), *o;
	struct lh_rec_finding_item it;
	struct lh_gl_state s;
	int held, others_wait = 0, what;

	if (!t)
		return;
	s = lock_state(addr, kind);
	held = lh_held_find(t, addr) >= 0;
	if (s.locked != 1 && !held)
		return;
	if (held)
		s.owner = t->os_tid;
	/* waiters the shim can see, beyond what the futex word says */
	lh_mu_lock(&lh_thr_mu);
	for (o = lh_thr_list; o; o = o->next)
		if (o != t && __atomic_load_n(&o->wait_kind, __ATOMIC_ACQUIRE) == LH_WAIT_LOCK &&
		    __atomic_load_n(&o->wait_addr, __ATOMIC_RELAXED) == addr)
			others_wait = 1;
	lh_mu_unlock(&lh_thr_mu);
	what = lh_mis_destroy(&s, held, others_wait);
	if (what)
		lh_report_misuse(what, addr, kind, ra, &it, owner_item(s.owner, addr, kind, &it));
}

void lh_core_lock_failed(void *addr, int kind, int rc, uintptr_t ra)
{
	int destroyed = (kind == LH_LOCK_MUTEX || kind == LH_LOCK_C11_MTX) && lh_gl_mutex_destroyed(addr);
	int what = lh_mis_lock_failed(kind, rc, destroyed);

	if (what)
		lh_report_misuse(what, addr, kind, ra, NULL, 0);
}

/* At pthread_exit the frames that took the held locks are still on the
 * stack: keep their stacks.  Whether the locks are still held when the
 * thread really ends (cleanup handlers and C++ unwinding may release them)
 * is decided later, in lh_core_thread_exit_check. */
void lh_core_thread_exiting(struct lh_thread *t, uintptr_t ra)
{
	int i, partial;

	if (t->n_held == 0 || lh_stack_is_short())
		return;
	if (!t->sample)
		t->sample = lh_alloc(sizeof(*t->sample));
	if (!t->sample)
		return;
	lh_stk_unwind(t->sample);
	for (i = 0; i < t->n_held; i++)
		t->held[i].exit_stack =
		    lh_stk_from_frames(t->sample, t->held[i].ra, t->held[i].cfa, t->held[i].py, &partial);
	t->exit_call_stack = lh_stk_capture(ra);
}

/* A semaphore has no owner: a thread that ends with one it took (to be
 * posted by another thread later) is no misuse, so semaphores are left out. */
/* what counts is lh_mis_exit_counts' (not robust mutexes, not
 * semaphores) */
void lh_core_thread_exit_check(struct lh_thread *t)
{
	struct lh_rec_finding_item items[LH_MAX_HELD];
	int i, n = 0, first = -1;

	if (t->n_held == 0 || t->exit_checked)
		return;
	t->exit_checked = 1;
	for (i = 0; i < t->n_held; i++) {
		if (!lh_mis_exit_counts(t->held[i].kind,
		                        t->held[i].kind == LH_LOCK_MUTEX &&
		                            lh_gl_mutex_robust((pthread_mutex_t *)t->held[i].addr)))
			continue;
		if (first < 0)
			first = i;
		memset(&items[n], 0, sizeof(items[n]));
		items[n].thread_id = t->id;
		items[n].role = LH_ROLE_HOLDS;
		items[n].lock_id = lh_core_lock_id_emit(t->held[i].addr, t->held[i].kind);
		items[n].mode = t->held[i].mode;
		items[n].stack_id = t->held[i].exit_stack ? t->held[i].exit_stack
		                                          : lh_stk_intern_py(&t->held[i].ra, 1, 0, t->held[i].py);
		n++;
	}
	if (n)
		lh_report_misuse_stack(LH_MIS_EXIT_HOLDING, t->held[first].addr, t->held[first].kind,
		                       t->exit_call_stack, items, n);
}

/* ---- semaphores: semmodel.c says whether each one is a lock ---- */

/* the semaphore's slot and current identity (a first use without sem_init
 * or sem_open starts one that is not a lock) */
static struct lh_lock *sem_slot(struct lh_thread *t, sem_t *s, uint64_t *id)
{
	struct lh_lock *lk = lh_lid_get(t, s);

	if (lk)
		*id = lh_lid_id(lk, LH_LOCK_SEM, 0);
	return lk;
}

/* the model said "not a lock" on t's call: void its recorded orders */
static void sem_demoted(struct lh_thread *t, struct lh_lock *lk, uint64_t id)
{
	lh_edge_sem_demoted(&shim_io, lk, id);
	if (t->n_held)
		lh_held_prune_sems(t);
}

/* Is addr static storage, in a loaded object's data?  Memory the program
 * can give back and get again (heap, mmap, a stack frame) may hold a new
 * semaphore at the address of one that was freed or whose frame returned
 * without sem_destroy: the shim does not see free(), and glibc's
 * sem_destroy is a no-op that programs often skip.  Asked only at a
 * sem_init over a live identity (dladdr takes the loader's lock). */
static int static_storage(const void *addr)
{
	Dl_info info;
	return dladdr(addr, &info) != 0 && info.dli_fbase != NULL;
}

/* Misuse of a semaphore about to be waited on or posted (before the real
 * call, and before the shim gives a first use an identity): never
 * initialized (or destroyed), or its memory overwritten since sem_init. */
static void sem_use_check(struct lh_lock *lk, sem_t *s, uintptr_t ra)
{
	struct lh_gl_sem g = lh_gl_sem_state(s);
	int identity = lh_lid_peek(lk) != 0 && __atomic_load_n(&lk->kind, __ATOMIC_RELAXED) == LH_LOCK_SEM;
	uint16_t fl = __atomic_load_n(&lk->flags, __ATOMIC_RELAXED);
	int what = lh_mis_sem_use(identity, identity && !(fl & LH_LOCKF_STATIC_INIT),
	                          (fl & LH_LOCKF_PSHARED) != 0, &g);

	if (what)
		lh_report_misuse(what, s, LH_LOCK_SEM, ra, NULL, 0);
}

/* known: value is the semaphore's count now (sem_init, or sem_open's
 * sem_getvalue); pshared as it was initialized; only the call site is kept
 * as its init stack, since CPython makes a semaphore for every
 * threading.Lock and every wait of a Condition, and an unwind each would
 * cost more than the wait (in a Python program, with the Python frames of
 * the call: where the Lock was made).  A sem_init over a live one is sem-reinit,
 * reported with the old identity (and its init call) before the new one
 * starts.  A thread the shim cannot track right now (it is exiting) still
 * gives the semaphore its identity, so later uses are no false alarms. */
static void sem_new(sem_t *s, int pshared, int known, unsigned value, uintptr_t ra, int is_init)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_lock *lk = t ? lh_lid_get(t, s) : lh_lid_lookup((uintptr_t)s, 1);

	if (!lk)
		return;
	if (is_init && t) {
		int live = lh_lid_peek(lk) != 0 && __atomic_load_n(&lk->kind, __ATOMIC_RELAXED) == LH_LOCK_SEM &&
		           !(__atomic_load_n(&lk->flags, __ATOMIC_RELAXED) & LH_LOCKF_STATIC_INIT);
		if (live && lh_mis_sem_reinit(live, static_storage(s)))
			lh_report_misuse(LH_MIS_SEM_REINIT, s, LH_LOCK_SEM, ra, NULL, 0);
	}
	lh_lid_new_sem(lk, pshared ? LH_LOCKF_PSHARED : 0,
	               ra ? lh_stk_intern_py(&ra, 1, 0,
	                                     unlikely(lh_py_on | lh_py_retry) && t ? lh_py_now() : NULL)
	                  : 0,
	               lh_sem_initial(known, value));
	if (t && t->n_held)
		lh_held_prune_sems(t);
}

void lh_core_sem_init(sem_t *s, int pshared, unsigned value, uintptr_t ra)
{
	sem_new(s, pshared, 1, value, ra, 1);
}

void lh_core_sem_open(sem_t *s, int known, unsigned value, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_lock *lk = t ? lh_lid_get(t, s) : lh_lid_lookup((uintptr_t)s, 1);

	if (!lk)
		return;
	/* opened again while open: the same semaphore, whose model goes on */
	if (__atomic_fetch_add(&lk->sem_opens, 1, __ATOMIC_RELAXED) == 0)
		sem_new(s, 1, known, value, ra, 0);
}

void lh_core_sem_close(sem_t *s, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_lock *lk;
	uint32_t n;

	if (!t)
		return;
	lk = lh_lid_get(t, s);
	if (!lk)
		return;
	n = __atomic_load_n(&lk->sem_opens, __ATOMIC_RELAXED);
	while (n != 0 && !__atomic_compare_exchange_n(&lk->sem_opens, &n, n - 1, 0, __ATOMIC_RELAXED,
	                                               __ATOMIC_RELAXED))
		;
	if (n == 1) /* glibc unmaps it: the address may hold another one next */
		lh_core_sem_destroy(s, ra);
}

/* sem_destroy (before the real one): other threads' published waits on it,
 * or glibc's waiter count, make it sem-destroy-waiters, naming each waiter
 * the shim sees and where it waits; then the identity ends */
void lh_core_sem_destroy(sem_t *s, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self(), *o;
	struct lh_rec_finding_item items[8];
	struct lh_gl_sem g;
	struct lh_lock *lk;
	int n = 0, others = 0;

	if (!t)
		return;
	lk = lh_lid_get(t, s);
	if (!lk)
		return;
	lh_mu_lock(&lh_thr_mu);
	for (o = lh_thr_list; o; o = o->next) {
		uintptr_t wra;
		if (o == t || __atomic_load_n(&o->wait_kind, __ATOMIC_ACQUIRE) != LH_WAIT_SEM ||
		    __atomic_load_n(&o->wait_addr, __ATOMIC_RELAXED) != (void *)s)
			continue;
		others++;
		if (n == (int)(sizeof(items) / sizeof(items[0])))
			continue;
		memset(&items[n], 0, sizeof(items[n]));
		items[n].thread_id = o->id;
		items[n].role = LH_ROLE_WAITS;
		wra = __atomic_load_n(&o->wait_ra, __ATOMIC_RELAXED);
		items[n].stack_id = wra ? lh_stk_intern(&wra, 1, 0) : 0;
		n++;
	}
	lh_mu_unlock(&lh_thr_mu);
	g = lh_gl_sem_state(s);
	if (lh_mis_sem_destroy(others, g.nwaiters)) {
		int i;
		uint64_t id = lh_core_lock_id_emit(s, LH_LOCK_SEM);
		for (i = 0; i < n; i++)
			items[i].lock_id = id;
		lh_report_misuse(LH_MIS_SEM_DESTROY_WAITERS, s, LH_LOCK_SEM, ra, items, n);
	}
	lh_lid_end(lk);
	if (t->n_held)
		lh_held_prune_sems(t);
}

/* a trywait is about to run: only the misuse checks (it never blocks) */
void lh_core_sem_try_begin(sem_t *s, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_lock *lk;

	if (!t)
		return;
	lk = lh_lid_get(t, s);
	if (lk)
		sem_use_check(lk, s, ra);
}

/* about to call a blocking wait: a thread that has the semaphore and waits
 * on it again waits for another thread's post, so it is not a lock.  The
 * wait is noted for the watchdog (LH_WAIT_SEM, wfg.h): it waits for the
 * holder of a lock, or for the only thread that has posted a semaphore
 * that is not one (none known: it waits for nobody the watchdog knows) */
void lh_core_sem_wait_begin(sem_t *s, int timed, uintptr_t ra, uintptr_t cfa)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_lock *lk;
	uint64_t id = 0;
	int why;

	if (!t)
		return;
	lk = lh_lid_get(t, s);
	if (!lk)
		return;
	sem_use_check(lk, s, ra);
	lk = sem_slot(t, s, &id);
	if (!lk)
		return;
	if (lh_sem_wait_call(&lk->sem_state, t->id, &why) == LH_SEM_DEMOTED)
		sem_demoted(t, lk, id);
	/* a lock: the watchdog finds its holder by its held entry; otherwise
	 * the one thread known to post it is the one that could wake us */
	__atomic_store_n(&t->wait_thread,
	                 lh_sem_is_lock(__atomic_load_n(&lk->sem_state, __ATOMIC_ACQUIRE))
	                     ? 0
	                     : lh_sem_only_poster(__atomic_load_n(&lk->sem_posters, __ATOMIC_RELAXED)),
	                 __ATOMIC_RELAXED);
	lh_wait_note(t, LH_WAIT_SEM, s, LH_MODE_EXCL, (uint8_t)(timed != 0), ra, cfa);
	lh_wd_kick();
}

/* a wait, timed wait or trywait succeeded.  A trywait orders like a wait:
 * CPython takes every threading.Lock with sem_trywait first and waits only
 * when that fails, from the same call, so a semaphore's trywait cannot be
 * told from the first step of a blocking acquisition (docs/DESIGN.md
 * section 26). */
void lh_core_sem_acquired(sem_t *s, uintptr_t ra, uintptr_t cfa)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_acq a = { s, LH_LOCK_SEM, 0, 0, ra, cfa };
	struct lh_lock *lk;
	uint64_t id = 0;
	int why;

	if (!t)
		return;
	lk = sem_slot(t, s, &id);
	if (!lk)
		return;
	if (t->n_held)
		lh_held_prune_sems(t);
	switch (lh_sem_waited(&lk->sem_state, t->id, &why)) {
	case LH_SEM_TAKE:
		/* its Python frames: read now (a trywait holds the GIL), or
		 * those of the failed trywait before the wait that took it */
		t->py_cur = unlikely(lh_py_on | lh_py_retry) ? lh_py_take(t, s) : NULL;
		/* past LH_MAX_HELD: untracked, and its post will find no entry,
		 * so it must not count in overflow (which mutex unlocks use) */
		if (lh_edge_acquired(&shim_io, t, lk, id, &a) == LH_ACQ_UNTRACKED)
			t->overflow--;
		t->py_cur = NULL;
		break;
	case LH_SEM_DEMOTED:
		sem_demoted(t, lk, id);
		break;
	}
}

/* about to post (before the real sem_post: the holder gives the lock up
 * before a waiter can get it) */
void lh_core_sem_post(sem_t *s, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_lock *lk;
	uint64_t id = 0;
	int why;

	if (!t)
		return;
	lk = lh_lid_get(t, s);
	if (!lk)
		return;
	sem_use_check(lk, s, ra);
	lk = sem_slot(t, s, &id);
	if (!lk)
		return;
	lh_sem_posted_by(&lk->sem_posters, t->id);
	switch (lh_sem_posting(&lk->sem_state, t->id, &why)) {
	case LH_SEM_GIVE:
		lh_held_drop(t, s);
		break;
	case LH_SEM_DEMOTED:
		sem_demoted(t, lk, id);
		break;
	}
}

/* ---- barriers, and destroys that wait for waiters ---- */

/* How many threads other than t wait on obj (a condition variable: in a
 * condition wait on it; a barrier: in pthread_barrier_wait), as their wait
 * states say; *it names the first of them (a WAITS item on obj, the call
 * site of its wait). */
static int object_waiters(struct lh_thread *t, void *obj, int kind, struct lh_rec_finding_item *it)
{
	struct lh_thread *o;
	int n = 0;
	uintptr_t ra = 0;

	memset(it, 0, sizeof(*it));
	lh_mu_lock(&lh_thr_mu);
	for (o = lh_thr_list; o; o = o->next) {
		int k = __atomic_load_n(&o->wait_kind, __ATOMIC_ACQUIRE);
		void *on;
		if (o == t || o->exiting)
			continue;
		if (kind == LH_LOCK_COND && k == LH_WAIT_COND)
			on = __atomic_load_n(&o->wait_obj, __ATOMIC_RELAXED);
		else if (kind == LH_LOCK_BARRIER && k == LH_WAIT_BARRIER)
			on = __atomic_load_n(&o->wait_addr, __ATOMIC_RELAXED);
		else
			continue;
		if (on != obj)
			continue;
		if (n++ == 0) {
			it->thread_id = o->id;
			ra = __atomic_load_n(&o->wait_ra, __ATOMIC_RELAXED);
		}
	}
	lh_mu_unlock(&lh_thr_mu);
	if (n) {
		it->role = LH_ROLE_WAITS;
		it->lock_id = lh_core_lock_id_emit(obj, kind);
		it->stack_id = ra ? lh_stk_intern(&ra, 1, 0) : 0;
	}
	return n;
}

void lh_core_barrier_wait_begin(pthread_barrier_t *b, uintptr_t ra, uintptr_t cfa)
{
	struct lh_thread *t = lh_thr_self();

	if (!t)
		return;
	lh_mis_barrier_arrived(t, b);
	/* a process-shared barrier may be completed by another process */
	lh_wait_note_ext(t, LH_WAIT_BARRIER, b, LH_MODE_EXCL, 0, (uint8_t)lh_gl_barrier_pshared(b), ra,
	                 cfa);
	lh_wd_kick();
}

void lh_core_barrier_init_check(pthread_barrier_t *b, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_rec_finding_item it;
	int what;

	if (!t)
		return;
	what = lh_mis_object_waited(LH_MIS_OP_INIT, LH_LOCK_BARRIER,
	                            object_waiters(t, b, LH_LOCK_BARRIER, &it));
	if (what)
		lh_report_misuse(what, b, LH_LOCK_BARRIER, ra, &it, 1);
}

/* A destroy of a condition variable or barrier: a misuse if threads wait
 * on it; and a wait, since glibc's destroy waits for them to leave. */
void lh_core_object_destroy_begin(void *obj, int kind, uintptr_t ra, uintptr_t cfa)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_rec_finding_item it;
	int what;

	if (!t)
		return;
	what = lh_mis_object_waited(LH_MIS_OP_DESTROY, kind, object_waiters(t, obj, kind, &it));
	if (what)
		lh_report_misuse(what, obj, kind, ra, &it, 1);
	lh_wait_note_ext(t, LH_WAIT_DESTROY, obj, (uint8_t)kind, 0,
	                 (uint8_t)(kind == LH_LOCK_COND ? lh_gl_cond_pshared(obj)
	                                                : lh_gl_barrier_pshared(obj)),
	                 ra, cfa);
	lh_wd_kick();
}

/* ---- condition waits ---- */

int lh_core_cond_enter(void *cond, void *mutex, int kind, uintptr_t ra, uintptr_t cfa,
                       const struct timespec *deadline, clockid_t clk)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_cond_other other;
	struct lh_gl_state s;
	int entered;

	if (!t) {
		/* untracked (an exiting thread): the condition variable still
		 * gets its identity before glibc writes its fields, so a later
		 * signal is no cond-not-initialized */
		struct lh_lock *lk = lh_lid_lookup((uintptr_t)cond, 1);
		if (lk)
			(void)lh_lid_id(lk, LH_LOCK_COND, 0);
		return LH_COND_UNTRACKED;
	}
	s = lock_state(mutex, kind);
	if (lh_mis_cond_wait(lh_held_find(t, mutex) >= 0, &s, t->os_tid))
		lh_report_misuse(LH_MIS_COND_NOT_HELD, mutex, kind, ra, NULL, 0);
	lh_mis_cond_waited(t, cond, mutex);
	entered = lh_cond_enter(cond, mutex, t->id, ra, &other);
	if (entered == LH_COND_OTHER_MUTEX) {
		struct lh_rec_finding_item it;
		/* the other waiter, and the mutex it waits with */
		memset(&it, 0, sizeof(it));
		it.thread_id = other.thread;
		it.role = LH_ROLE_WAITS;
		it.lock_id = lh_core_lock_id_emit(other.mutex, kind);
		it.stack_id = other.ra ? lh_stk_intern(&other.ra, 1, 0) : 0;
		lh_report_misuse(LH_MIS_COND_TWO_MUTEXES, mutex, kind, ra, &it, 1);
	}
	lh_core_cond_release(mutex, kind, ra);
	/* a timed wait still ends by taking the mutex back, without a timeout:
	 * the watchdog counts it once its deadline has passed */
	__atomic_store_n(&t->wait_clock, clk, __ATOMIC_RELAXED);
	__atomic_store_n(&t->wait_deadline_ns,
	                 deadline ? (uint64_t)deadline->tv_sec * 1000000000u + (uint64_t)deadline->tv_nsec
	                          : 0,
	                 __ATOMIC_RELAXED);
	__atomic_store_n(&t->wait_obj, cond, __ATOMIC_RELAXED);
	/* a process-shared one may be signalled by another process */
	lh_wait_note_ext(t, LH_WAIT_COND, mutex, LH_MODE_EXCL, deadline != NULL,
	                 (uint8_t)(lh_gl_cond_pshared(cond) ||
	                           ((kind == LH_LOCK_MUTEX || kind == LH_LOCK_C11_MTX) &&
	                            lh_gl_mutex_pshared(mutex))),
	                 ra, cfa);
	lh_wd_kick();
	return entered;
}

void lh_core_cond_leave(void *cond, int entered)
{
	LH_RT_HOOK(lh_rt_acquire(cond)); /* what the signal that woke it released */
	LH_SMP_HOOK(lh_smp_acquire(cond));
	lh_core_wait_end();
	lh_cond_leave(cond, entered);
}

void lh_core_cond_release(void *mutex, int kind, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();

	LH_RT_HOOK(lh_rt_lock_released(mutex, kind, LH_MODE_EXCL, 0));
	LH_SMP_HOOK(lh_smp_lock_released(mutex, kind, LH_MODE_EXCL, 0));
	/* the wait releases the mutex completely, whatever its count */
	if (t)
		lh_held_drop(t, mutex);
}

void lh_core_after_fork_child(void)
{
	lh_lid_after_fork_child();
	lh_edge_after_fork_child();
	lh_cond_after_fork_child();
	lh_mis_after_fork_child();
}
