/*
 * rt.c - exact mode's runtime state: the race engine, each thread's engine
 * slot and shadow call stack, access contexts, happens-before from the
 * shim's wrappers, heap blocks, fork.
 *
 * Exact mode starts when an instrumented module calls __tsan_init (its
 * constructor does); the shim must be ready and logging by then (lh_init
 * runs first), else exact mode stays off and the program runs as in the
 * plain mode.  Everything here runs only while lh_rt_on is 1.
 *
 * Threads: the creator makes the child's engine slot (lh_rt_thread_new in
 * pthread_create/thrd_create), so everything the creator did before the
 * call happens before the child; the child takes the slot over in the start
 * trampoline.  A thread the shim did not see created gets a slot without a
 * parent on its first access.  A pthread key destructor (last round, like
 * threads.c's) ends the slot; join and detach find the slot by pthread_t in
 * the slot table, which keeps a slot until its thread is joined or detached.
 *
 * Fork: the child continues the forking thread's clock (the engine's memory
 * is copied with the process; rc_fork_child frees the other threads' slots).
 */
#include "rt.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int lh_rt_on;
struct rc_engine *lh_rt_engine;
struct lh_ctxtab lh_rt_ctxtab;
struct lh_lstab lh_rt_locksets;
struct lh_heap lh_rt_heap;
__thread struct lh_rt_thread *lh_rt_self __attribute__((tls_model("initial-exec")));
static __thread int rt_gone __attribute__((tls_model("initial-exec")));

static pthread_mutex_t rt_mu = PTHREAD_MUTEX_INITIALIZER; /* slots, free list; via lh_real */
static struct lh_rt_thread *slots[RC_MAX_THREADS];      /* engine tid -> state */
static struct lh_rt_thread *free_threads;
static uint32_t tid_lh_id[RC_MAX_THREADS]; /* engine tid -> the shim's id of its last thread */
static pthread_key_t end_key;
static int init_state; /* 0, 1 initializing, 2 done (on or failed) */

/* one note per limit */
static int noted_nodes, noted_ctxs, noted_locksets, noted_lockset_size, noted_blocks,
    noted_threads, noted_engine_threads, noted_engine_memory, noted_engine_epoch, noted_engine_reuse, noted_engine_address;

/* Notes that came up where the log lock must not be taken (a signal
 * handler, the shim's own code: lock hooks run there) wait here, written
 * at the next safe note or at exit; at most LH_RT_PENDING_NOTES of them. */
#define LH_RT_PENDING_NOTES 16
static struct {
	int state; /* 0 free, 1 being written, 2 waiting, 3 written */
	char text[400];
} pending[LH_RT_PENDING_NOTES];

static void flush_pending(void)
{
	int i;

	for (i = 0; i < LH_RT_PENDING_NOTES; i++) {
		int two = 2;
		if (__atomic_compare_exchange_n(&pending[i].state, &two, 3, 0, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED))
			lh_log_note("%s", pending[i].text);
	}
}

void lh_rt_note_limit(int *noted, const char *fmt, ...)
{
	va_list ap;
	int z = 0, i, safe = !lh_in_shim && !lh_rt_in_signal;
	char buf[400];

	if (__atomic_load_n(noted, __ATOMIC_RELAXED) ||
	    !__atomic_compare_exchange_n(noted, &z, 1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!safe) {
		for (i = 0; i < LH_RT_PENDING_NOTES; i++) {
			int zero = 0;
			if (__atomic_compare_exchange_n(&pending[i].state, &zero, 1, 0, __ATOMIC_ACQUIRE,
			                                __ATOMIC_RELAXED)) {
				memcpy(pending[i].text, buf, sizeof(buf));
				__atomic_store_n(&pending[i].state, 2, __ATOMIC_RELEASE);
				return;
			}
		}
		return; /* more than LH_RT_PENDING_NOTES kinds at once: the first ones tell */
	}
	lh_in_shim++;
	flush_pending();
	lh_log_note("%s", buf);
	lh_in_shim--;
}

/* at exit (init.c's handler, lh_in_shim raised) */
void lh_rt_flush_notes(void)
{
	flush_pending();
}

static void *rt_alloc(void *cookie, size_t size)
{
	(void)cookie;
	return lh_alloc(size);
}

static void engine_limit(void *cookie, enum rc_limit what)
{
	(void)cookie;
	switch (what) {
	case RC_LIMIT_THREADS:
		lh_rt_note_limit(&noted_engine_threads,
		                 "race detection: more than RC_MAX_THREADS (%d) threads alive at once; "
		                 "the others' accesses are not checked (races may be missing)",
		                 RC_MAX_THREADS);
		break;
	case RC_LIMIT_MEMORY:
		lh_rt_note_limit(&noted_engine_memory,
		                 "race detection: out of memory for shadow state; some accesses are not "
		                 "checked (races may be missing)");
		break;
	case RC_LIMIT_EPOCH:
		lh_rt_note_limit(&noted_engine_epoch,
		                 "race detection: a thread's epoch counter reached RC_CLOCK_MAX; its later "
		                 "races may be missing");
		break;
	case RC_LIMIT_REUSE:
		lh_rt_note_limit(&noted_engine_reuse,
		                 "race detection: a thread slot was reused while its old thread's end was "
		                 "unknown to the new one; races between the two may be missing");
		break;
	case RC_LIMIT_ADDRESS:
		lh_rt_note_limit(&noted_engine_address,
		                 "race detection: accesses at or above 2^48 are not checked");
		break;
	}
}

/* ---- threads ---- */

static struct lh_rt_thread *thread_alloc(void)
{
	struct lh_rt_thread *t;

	lh_mu_lock(&rt_mu);
	t = free_threads;
	if (t)
		free_threads = t->next_free;
	lh_mu_unlock(&rt_mu);
	if (t)
		memset(t, 0, sizeof(*t));
	else
		t = lh_alloc(sizeof(*t));
	if (t)
		t->lockset_dirty = 1;
	return t;
}

/* caller holds rt_mu */
static void thread_free_locked(struct lh_rt_thread *t)
{
	t->state = LH_RT_T_FREE;
	t->next_free = free_threads;
	free_threads = t;
}

static void slot_set(struct lh_rt_thread *t)
{
	if (t->tid == 0) {
		lh_rt_note_limit(&noted_threads,
		                 "race detection: a thread got no engine slot (more than RC_MAX_THREADS "
		                 "= %d alive); its accesses are not checked",
		                 RC_MAX_THREADS);
		return;
	}
	lh_mu_lock(&rt_mu);
	slots[t->tid] = t;
	lh_mu_unlock(&rt_mu);
}

struct lh_rt_thread *lh_rt_thread_of(rc_tid tid)
{
	struct lh_rt_thread *t = tid < RC_MAX_THREADS ? __atomic_load_n(&slots[tid], __ATOMIC_ACQUIRE) : NULL;
	return t && t->tid == tid ? t : NULL;
}

uint32_t lh_rt_thread_id(rc_tid tid)
{
	return tid < RC_MAX_THREADS ? __atomic_load_n(&tid_lh_id[tid], __ATOMIC_ACQUIRE) : 0;
}

/* the live thread whose stack holds addr: its shim id, or 0 */
uint32_t lh_rt_stack_owner(uintptr_t addr)
{
	uint32_t id = 0;
	int i;

	lh_mu_lock(&rt_mu);
	for (i = 1; i < RC_MAX_THREADS && !id; i++) {
		struct lh_rt_thread *t = slots[i];
		if (t && t->tid == i && t->state == LH_RT_T_LIVE && addr >= t->stack_lo && addr < t->stack_hi)
			id = t->lh_id;
	}
	lh_mu_unlock(&rt_mu);
	return id;
}

/* the calling thread takes t over */
static void thread_enter(struct lh_rt_thread *t)
{
	struct lh_thread *td = lh_self_td;
	pthread_attr_t attr;
	void *lo;
	size_t size;

	t->self = pthread_self();
	t->os_tid = (int)syscall(SYS_gettid);
	if (pthread_getattr_np(t->self, &attr) == 0) {
		if (pthread_attr_getstack(&attr, &lo, &size) == 0) {
			t->stack_lo = (uintptr_t)lo;
			t->stack_hi = (uintptr_t)lo + size;
		}
		pthread_attr_destroy(&attr);
	}
	if (!td)
		td = lh_thr_self();
	if (td) {
		t->lh_id = td->id;
		if (t->tid)
			__atomic_store_n(&tid_lh_id[t->tid], td->id, __ATOMIC_RELEASE);
		/* its THREAD record now: a race may name it after it ended */
		lh_thr_ensure(td);
	}
	lh_rt_self = t;
	pthread_setspecific(end_key, t);
}

static void thread_end(void *p)
{
	struct lh_rt_thread *t = p;

	if (!t || t != lh_rt_self)
		return;
	/* stay until the last round: the program's key destructors may still
	 * touch memory (see threads.c) */
	if (++t->exit_rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
		pthread_setspecific(end_key, t);
		return;
	}
	lh_rt_self = NULL;
	rt_gone = 1;
	t->busy = 1;
	rc_thread_exit(lh_rt_engine, t->tid);
	lh_mu_lock(&rt_mu);
	if (t->state == LH_RT_T_DETACHED)
		thread_free_locked(t); /* the engine reuses its slot by itself */
	else
		t->state = LH_RT_T_EXITED;
	lh_mu_unlock(&rt_mu);
}

struct lh_rt_thread *lh_rt_thread_slow(void)
{
	struct lh_rt_thread *t;

	if (!__atomic_load_n(&lh_rt_on, __ATOMIC_ACQUIRE) || rt_gone || lh_in_shim || lh_rt_in_signal)
		return NULL;
	t = thread_alloc();
	if (t) {
		t->tid = rc_thread_new(lh_rt_engine, 0);
		t->state = LH_RT_T_LIVE;
		slot_set(t);
		thread_enter(t);
	}
	return t;
}

struct lh_rt_thread *lh_rt_thread_new(void)
{
	struct lh_rt_thread *me = lh_rt_cur(), *c;

	c = thread_alloc();
	if (c) {
		c->tid = rc_thread_new(lh_rt_engine, me ? me->tid : 0);
		c->state = LH_RT_T_LIVE;
		slot_set(c);
	}
	return c;
}

void lh_rt_thread_created(struct lh_rt_thread *c, pthread_t pt, int detached)
{
	if (!c)
		return;
	lh_mu_lock(&rt_mu);
	c->self = pt; /* the child sets the same value; a join may come first */
	lh_mu_unlock(&rt_mu);
	if (detached)
		lh_rt_detach(pt);
}

void lh_rt_thread_create_failed(struct lh_rt_thread *c)
{
	if (!c)
		return;
	rc_thread_exit(lh_rt_engine, c->tid);
	rc_thread_detach(lh_rt_engine, c->tid);
	lh_mu_lock(&rt_mu);
	thread_free_locked(c);
	lh_mu_unlock(&rt_mu);
}

void lh_rt_thread_begin(struct lh_rt_thread *c)
{
	if (c)
		thread_enter(c);
}

/* a slot of a thread not yet joined or detached, by pthread_t */
static struct lh_rt_thread *find_joinable(pthread_t pt)
{
	int i;

	for (i = 1; i < RC_MAX_THREADS; i++) {
		struct lh_rt_thread *t = slots[i];
		if (t && t->tid == i && (t->state == LH_RT_T_LIVE || t->state == LH_RT_T_EXITED) &&
		    pthread_equal(t->self, pt))
			return t;
	}
	return NULL;
}

struct lh_rt_thread *lh_rt_join_target(pthread_t pt)
{
	struct lh_rt_thread *t;

	lh_mu_lock(&rt_mu);
	t = find_joinable(pt);
	lh_mu_unlock(&rt_mu);
	return t;
}

void lh_rt_joined(struct lh_rt_thread *target)
{
	struct lh_rt_thread *me = lh_rt_cur();

	if (!target)
		return;
	rc_thread_join(lh_rt_engine, me ? me->tid : 0, target->tid);
	lh_mu_lock(&rt_mu);
	if (slots[target->tid] == target)
		slots[target->tid] = NULL;
	thread_free_locked(target);
	lh_mu_unlock(&rt_mu);
}

void lh_rt_detach(pthread_t pt)
{
	struct lh_rt_thread *t;

	lh_mu_lock(&rt_mu);
	t = find_joinable(pt);
	if (t) {
		rc_thread_detach(lh_rt_engine, t->tid);
		if (t->state == LH_RT_T_EXITED) {
			if (slots[t->tid] == t)
				slots[t->tid] = NULL;
			thread_free_locked(t);
		} else {
			t->state = LH_RT_T_DETACHED;
		}
	}
	lh_mu_unlock(&rt_mu);
}

/* ---- contexts ---- */

uint32_t lh_rt_node_slow(struct lh_rt_thread *t, uint32_t parent, uintptr_t pc, size_t j)
{
	uint32_t node = lh_ctx_node(&lh_rt_ctxtab, parent, pc);

	if (unlikely(node == 0)) {
		lh_rt_note_limit(&noted_nodes,
		                 "race detection: more calling contexts than LH_RT_LOG2_NODES allows; new "
		                 "calls share their caller's context (stacks in reports may be short)");
		return parent;
	}
	t->node_cache[j].pc = pc;
	t->node_cache[j].parent = parent;
	t->node_cache[j].node = node;
	return node;
}

static uint32_t lockset_of(struct lh_rt_thread *t)
{
	struct lh_thread *td = lh_self_td;
	struct lh_lockref refs[LH_LOCKSET_MAX];
	int i, n = 0;
	uint32_t id;

	if (!td || td->n_held == 0)
		return 0;
	for (i = 0; i < td->n_held && n < LH_LOCKSET_MAX; i++) {
		refs[n].addr = (uintptr_t)td->held[i].addr;
		refs[n].kind = td->held[i].kind;
		refs[n].mode = td->held[i].mode;
		n++;
	}
	if (td->n_held > LH_LOCKSET_MAX)
		lh_rt_note_limit(&noted_lockset_size,
		                 "race detection: a thread held more than LH_LOCKSET_MAX (%d) locks at an "
		                 "access; reports list the first %d",
		                 LH_LOCKSET_MAX, LH_LOCKSET_MAX);
	id = lh_ls_get(&lh_rt_locksets, refs, n);
	if (id == UINT32_MAX) {
		lh_rt_note_limit(&noted_locksets,
		                 "race detection: more distinct held-lock sets than LH_RT_LOG2_LOCKSETS "
		                 "allows; some reports show no held locks");
		id = 0;
	}
	(void)t;
	return id;
}

uint32_t lh_rt_top_slow(struct lh_rt_thread *t, uint32_t d)
{
	uint32_t i;

	for (i = t->valid; i < d; i++)
		t->stack[i] = lh_rt_child(t, i ? t->stack[i - 1] : 0, t->ret[i]);
	t->valid = d;
	return d ? t->stack[d - 1] : 0;
}

uint32_t lh_rt_ctx_slow(struct lh_rt_thread *t, uint32_t node, uintptr_t pc)
{
	uint32_t ctx;
	size_t j = (pc ^ (pc >> 9)) & (LH_RT_CTX_CACHE - 1);

	if (t->lockset_dirty) {
		t->lockset = lockset_of(t);
		t->lockset_dirty = 0;
	}
	ctx = lh_ctx_make(&lh_rt_ctxtab, node, t->lockset, pc);
	if (unlikely(ctx == 0))
		lh_rt_note_limit(&noted_ctxs,
		                 "race detection: more access contexts than LH_RT_LOG2_CTXS allows; new "
		                 "accesses are reported without stacks or locks");
	t->ctx_cache[j].pc = pc;
	t->ctx_cache[j].node = node;
	t->ctx_cache[j].lockset = t->lockset;
	t->ctx_cache[j].ctx = ctx;
	return ctx;
}

/* ---- happens-before from the wrappers ---- */

void lh_rt_acquire(const void *sync)
{
	struct lh_rt_thread *t = lh_rt_cur();

	if (t && !t->busy)
		rc_acquire(lh_rt_engine, t->tid, (uintptr_t)sync);
}

void lh_rt_release(const void *sync)
{
	struct lh_rt_thread *t = lh_rt_cur();

	if (t && !t->busy)
		rc_release(lh_rt_engine, t->tid, (uintptr_t)sync);
}

/* Read-write locks (and annotated locks, which may be shared): a write
 * lock acquires what readers released too, a read unlock releases only to
 * later write locks (rc_acquire_exclusive / rc_release_shared): two
 * readers stay unordered with each other. */
static int rw_like(int kind)
{
	return kind == LH_LOCK_RWLOCK || kind == LH_LOCK_USER;
}

void lh_rt_lock_acquired(void *addr, int kind, int mode)
{
	struct lh_rt_thread *t = lh_rt_cur();

	if (!t || t->busy)
		return;
	t->lockset_dirty = 1;
	if (rw_like(kind) && mode != LH_MODE_SHARED)
		rc_acquire_exclusive(lh_rt_engine, t->tid, (uintptr_t)addr);
	else
		rc_acquire(lh_rt_engine, t->tid, (uintptr_t)addr);
}

void lh_rt_lock_released(void *addr, int kind, int mode, int held)
{
	struct lh_rt_thread *t = lh_rt_cur();

	if (!t || t->busy)
		return;
	t->lockset_dirty = 1;
	if (rw_like(kind) && mode < 0) {
		struct lh_thread *td = lh_self_td;
		int i;
		if (td)
			for (i = td->n_held - 1; i >= 0; i--)
				if (td->held[i].addr == addr) {
					mode = td->held[i].mode;
					break;
				}
		if (mode < 0 && kind == LH_LOCK_RWLOCK)
			mode = ((pthread_rwlock_t *)addr)->__data.__cur_writer == t->os_tid ? LH_MODE_EXCL
			                                                                   : LH_MODE_SHARED;
	}
	if (rw_like(kind) && mode == LH_MODE_SHARED)
		rc_release_shared(lh_rt_engine, t->tid, (uintptr_t)addr);
	else if (held)
		rc_release_held(lh_rt_engine, t->tid, (uintptr_t)addr);
	else
		rc_release(lh_rt_engine, t->tid, (uintptr_t)addr);
}

/* ---- memory ---- */

void lh_rt_range(const void *addr, size_t n, int is_write, uintptr_t pc)
{
	struct lh_rt_thread *t = lh_rt_cur();
	uint32_t ctx;

	if (!t || t->busy || t->ignore || n == 0)
		return;
	ctx = lh_rt_ctx(t, pc);
	t->busy = 1;
	rc_access_range(lh_rt_engine, t->tid, (uintptr_t)addr, n, is_write, ctx);
	t->busy = 0;
}

void lh_rt_alloc(void *p, size_t n, uintptr_t ra)
{
	struct lh_rt_thread *t = lh_rt_cur();
	struct lh_heap_block b;

	if (!p || !t || t->busy)
		return;
	t->busy = 1;
	rc_forget(lh_rt_engine, (uintptr_t)p, n);
	b.base = (uintptr_t)p;
	b.size = n;
	b.alloc_node = lh_rt_node(t, ra);
	b.thread = t->lh_id;
	if (lh_heap_insert(&lh_rt_heap, &b) < 0)
		lh_rt_note_limit(&noted_blocks,
		                 "race detection: more live heap blocks than the block table holds "
		                 "(LH_RT_LOG2_BLOCK_SHARD); races on the others name no allocation");
	t->busy = 0;
}

static size_t usable_size(void *p)
{
	static size_t (*fn)(void *);

	if (!fn) {
		/* the global scope's: a replacement allocator answers for its own */
		void *f = dlsym(RTLD_DEFAULT, "malloc_usable_size");
		__atomic_store_n((void **)&fn, f, __ATOMIC_RELEASE);
	}
	return fn ? fn(p) : 0;
}

void lh_rt_free(void *p)
{
	struct lh_rt_thread *t = lh_rt_cur();
	struct lh_heap_block b;
	size_t n;

	if (!p || !t || t->busy)
		return;
	t->busy = 1;
	/* a block the table does not know (allocated by uninstrumented code,
	 * or while the table was full): the allocator knows its size */
	n = lh_heap_remove(&lh_rt_heap, (uintptr_t)p, &b) ? b.size : usable_size(p);
	if (n)
		rc_forget(lh_rt_engine, (uintptr_t)p, n);
	t->busy = 0;
}

/* ---- start-up ---- */

void lh_rt_init(void)
{
	struct rc_alloc a = { rt_alloc, NULL };
	struct rc_hooks h = { lh_rt_race_hook, engine_limit, NULL };
	struct lh_rt_thread *t;
	int z = 0;

	lh_init();
	if (!__atomic_compare_exchange_n(&init_state, &z, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	if (!__atomic_load_n(&lh_ready, __ATOMIC_ACQUIRE) || lh_disabled) {
		lh_warn("exact mode: the shim is not logging; races are not checked");
		__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
		return;
	}
	lh_in_shim++;
	if (lh_ctx_init(&lh_rt_ctxtab, LH_RT_LOG2_NODES, LH_RT_LOG2_CTXS, &a) < 0 ||
	    lh_ls_init(&lh_rt_locksets, LH_RT_LOG2_LOCKSETS, &a) < 0 ||
	    lh_heap_init(&lh_rt_heap, LH_RT_LOG2_BLOCK_SHARD, &a) < 0 || lh_rt_report_init() < 0 ||
	    !(lh_rt_engine = rc_create(&a, &h)) ||
	    pthread_key_create(&end_key, thread_end) != 0) {
		lh_warn("exact mode: out of memory at start-up; races are not checked");
		lh_in_shim--;
		__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
		return;
	}
	lh_in_shim--;
	/* the first thread: usually main, in the instrumented module's
	 * constructor */
	__atomic_store_n(&lh_rt_on, 1, __ATOMIC_RELEASE);
	t = lh_rt_cur();
	(void)t;
	__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
}

/* ---- fork ---- */

void lh_rt_fork_prepare(void)
{
	lh_mu_lock(&rt_mu);
	lh_heap_lock_all(&lh_rt_heap);
	lh_rt_stripes_lock_all();
}

void lh_rt_fork_parent(void)
{
	lh_rt_stripes_unlock_all();
	lh_heap_unlock_all(&lh_rt_heap);
	lh_mu_unlock(&rt_mu);
}

void lh_rt_fork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	struct lh_rt_thread *me = lh_rt_self;
	int i;

	lh_rt_stripes_unlock_all();
	lh_heap_unlock_all(&lh_rt_heap);
	rt_mu = fresh;
	/* only the forking thread goes on, with its clock; the engine frees
	 * the others' slots, and their states go back to the free list */
	if (me)
		rc_fork_child(lh_rt_engine, me->tid);
	for (i = 1; i < RC_MAX_THREADS; i++) {
		struct lh_rt_thread *t = slots[i];
		if (!t || t == me || t->tid != i)
			continue;
		slots[i] = NULL;
		thread_free_locked(t);
	}
	if (me) {
		me->os_tid = (int)syscall(SYS_gettid);
		me->self = pthread_self();
	}
	/* blocks allocated by the threads that are gone: their allocating
	 * thread is not in the child's log */
	lh_heap_forget_threads(&lh_rt_heap, me ? me->lh_id : 0);
}
