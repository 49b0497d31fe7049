/*
 * threads.c - the thread registry: every thread gets a small id (1 = the
 * first thread the shim saw, normally main), its parent and creation stack,
 * and per-thread state (struct lh_thread) that the core and the watchdog use.
 *
 * Threads created through pthread_create/thrd_create start in a trampoline
 * that registers them before the user's function runs.  Threads the shim
 * did not see created (made by glibc internally, or before the shim was
 * ready) are registered on their first intercepted call, with parent 0.
 * A pthread key destructor ends every registered thread, however it exits
 * (return, pthread_exit, cancellation); after that the thread's calls pass
 * through untracked.  The state is recycled through a free list and never
 * unmapped, so a racy reader (the watchdog) never touches freed memory.
 * The small start record handed to a new thread is malloc'd: it is made in
 * pthread_create's caller, which may allocate anyway.
 */
#include "heldset.h"
#include "rt.h"
#include "glibc_locks.h"
#include "tracememo.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

pthread_mutex_t lh_thr_mu = PTHREAD_MUTEX_INITIALIZER;
struct lh_thread *lh_thr_list;
static struct lh_thread *free_list;
static uint32_t next_tid = 1;
/* threads this process ran (main, created, first seen running), for the
 * END record's n_threads; the fork child starts again at its one thread */
static uint32_t n_ran;
static pthread_key_t exit_key;
__thread struct lh_thread *lh_self_td __attribute__((tls_model("initial-exec")));
#define self_td lh_self_td
static __thread int self_gone __attribute__((tls_model("initial-exec")));

struct lh_start {
	void *fn;
	void *arg;
	int c11;
	struct lh_thread *td; /* registered by the creator, started by the child */
};

static struct lh_thread *td_alloc(void)
{
	struct lh_thread *t;

	lh_mu_lock(&lh_thr_mu);
	t = free_list;
	if (t)
		free_list = t->next;
	lh_mu_unlock(&lh_thr_mu);
	if (!t) {
		t = lh_alloc(sizeof(*t));
		if (t)
			lh_lid_thread_init(t);
	} else {
		/* a grown edge cache or lock cache stays with the struct (the
		 * shim's memory is never freed: dropping it would leak it per
		 * thread) */
		uint64_t *ec = t->edge_cache;
		uint32_t mask = t->edge_mask;
		struct lh_lock_ce *lc = t->lock_cache;
		uint32_t lmask = t->lock_mask;
		struct lh_cls_maps *cm = t->cls_maps;
		struct lh_tmemo *tm = t->trace_memo;
		memset(t, 0, sizeof(*t));
		if (ec && ec != t->edge_cache0) {
			t->edge_cache = ec;
			t->edge_mask = mask;
		}
		if (lc && lc != t->lock_cache0) {
			t->lock_cache = lc;
			t->lock_mask = lmask;
		}
		lh_lid_thread_init(t);
		t->cls_maps = cm;
		lh_edge_thread_reset(t); /* what the old thread recorded */
		if (tm) { /* the old thread's stack addresses */
			lh_tmemo_reset(tm);
			t->trace_memo = tm;
		}
	}
	return t;
}

static void td_link(struct lh_thread *t)
{
	lh_mu_lock(&lh_thr_mu);
	t->next = lh_thr_list;
	t->prev = NULL;
	if (lh_thr_list)
		lh_thr_list->prev = t;
	lh_thr_list = t;
	lh_mu_unlock(&lh_thr_mu);
}

void lh_thr_emit(struct lh_thread *t)
{
	struct lh_rec_thread r;

	t->emitted_epoch = lh_log_epoch;
	if (t->create_stack)
		lh_stk_rewrite(t->create_stack);
	memset(&r, 0, sizeof(r));
	r.thread_id = t->id;
	r.parent_id = t->parent;
	r.create_stack = t->create_stack;
	r.os_tid = (uint32_t)t->os_tid;
	r.start_ns = t->start_ns;
	memcpy(r.name, t->name, sizeof(r.name));
	lh_log_record(LH_REC_THREAD, &r, sizeof(r), NULL, 0, NULL, 0);
}

static void thread_end(void *p);

/* the calling thread takes over t (already linked into the registry) */
/* The lowest address of the calling thread's stack, 0 if unknown.  The main
 * thread is registered during start-up, which may run inside the program's
 * allocator (gperftools' tcmalloc starts the shim from its own
 * initialization, through pthread_once): pthread_getattr_np would call
 * malloc there (it reads /proc/self/maps with stdio, and allocates a CPU
 * set), re-entering the allocator.  The main thread's stack is instead the
 * stack size limit below its top (__libc_stack_end), as glibc computes it
 * (it also stops at the mapping below, which this does not see). */
extern void *__libc_stack_end;

static uintptr_t stack_lo_of_self(int is_main)
{
	pthread_attr_t attr;
	void *lo;
	size_t size;
	uintptr_t r = 0;

	if (is_main) {
		struct rlimit rl;
		uintptr_t top = (uintptr_t)__libc_stack_end;
		if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && top > rl.rlim_cur)
			r = top - rl.rlim_cur;
		return r;
	}
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		if (pthread_attr_getstack(&attr, &lo, &size) == 0)
			r = (uintptr_t)lo;
		pthread_attr_destroy(&attr);
	}
	return r;
}

static void td_start(struct lh_thread *t)
{
	lh_mu_lock(&lh_thr_mu);
	t->os_tid = (int)syscall(SYS_gettid);
	t->self = pthread_self();
	t->started = 1;
	lh_mu_unlock(&lh_thr_mu);
	t->start_ns = lh_now_ns();
	t->log_epoch = lh_log_epoch;
	t->stack_lo = stack_lo_of_self(t->os_tid == (int)getpid());
	pthread_getname_np(t->self, t->name, sizeof(t->name));
	self_td = t;
	t->in_shim = &lh_in_shim;
	pthread_setspecific(exit_key, t);
	if (t->id == 1)
		lh_thr_emit(t); /* the first thread always; others when referred to */
}

static struct lh_thread *find_id(uint32_t id)
{
	struct lh_thread *o;

	for (o = lh_thr_list; o; o = o->next)
		if (o->id == id && !o->exiting)
			return o;
	return NULL;
}

void lh_thr_ensure(struct lh_thread *t)
{
	uint32_t chain[64];
	int n = 0;

	if (!t || __atomic_load_n(&t->emitted_epoch, __ATOMIC_ACQUIRE) == lh_log_epoch)
		return;
	/* ancestors first, while they are alive: the report shows who created
	 * whom */
	lh_mu_lock(&lh_thr_mu);
	{
		struct lh_thread *p = t;
		while (p && p->emitted_epoch != lh_log_epoch && n < 64) {
			chain[n++] = p->id;
			p = p->parent ? find_id(p->parent) : NULL;
		}
	}
	lh_mu_unlock(&lh_thr_mu);
	while (n-- > 0) {
		struct lh_thread *p;
		lh_mu_lock(&lh_thr_mu);
		p = find_id(chain[n]);
		if (p && p->emitted_epoch != lh_log_epoch)
			p->emitted_epoch = lh_log_epoch;
		else
			p = NULL;
		lh_mu_unlock(&lh_thr_mu);
		if (p)
			lh_thr_emit(p);
	}
}

void lh_thr_ensure_id(uint32_t id)
{
	struct lh_thread *p;

	if (!id)
		return;
	lh_mu_lock(&lh_thr_mu);
	p = find_id(id);
	lh_mu_unlock(&lh_thr_mu);
	lh_thr_ensure(p);
}

static void td_register(struct lh_thread *t, uint32_t id, uint32_t parent, uint32_t cstack)
{
	t->id = id;
	t->parent = parent;
	t->create_stack = cstack;
	td_link(t);
	td_start(t);
}

void lh_thr_init_main(void)
{
	struct lh_thread *t;

	pthread_key_create(&exit_key, thread_end);
	t = td_alloc();
	if (t)
		td_register(t, __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED), 0, 0);
	__atomic_fetch_add(&n_ran, 1, __ATOMIC_RELAXED);
}

uint32_t lh_thr_count(void)
{
	return __atomic_load_n(&n_ran, __ATOMIC_RELAXED);
}

struct lh_thread *lh_thr_current_raw(void)
{
	return self_td;
}

struct lh_thread *lh_thr_self(void)
{
	struct lh_thread *t = self_td;

	if (likely(t != NULL))
		return t;
	if (!__atomic_load_n(&lh_ready, __ATOMIC_ACQUIRE) || lh_disabled || self_gone || lh_in_shim)
		return NULL;
	/* a thread we did not see start */
	lh_in_shim++;
	t = td_alloc();
	if (t)
		td_register(t, __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED), 0, 0);
	__atomic_fetch_add(&n_ran, 1, __ATOMIC_RELAXED);
	lh_wd_kick();
	lh_in_shim--;
	return t;
}

/* less than this much stack left: no unwinding (libunwind and the frame
 * buffers need it), only call sites */
#define LH_STACK_RESERVE (48 * 1024)

int lh_stack_is_short(void)
{
	struct lh_thread *t = self_td;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	return t && t->stack_lo && sp - t->stack_lo < LH_STACK_RESERVE;
}

uint32_t lh_thr_id_of(pthread_t pt)
{
	struct lh_thread *t;
	uint32_t id = 0;

	lh_mu_lock(&lh_thr_mu);
	for (t = lh_thr_list; t; t = t->next)
		if (pthread_equal(t->self, pt) && !t->exiting) {
			id = t->id;
			break;
		}
	lh_mu_unlock(&lh_thr_mu);
	return id;
}

void lh_thr_set_name(struct lh_thread *t, const char *name)
{
	struct lh_rec_thread_name r;

	memset(&r, 0, sizeof(r));
	strncpy(t->name, name, sizeof(t->name) - 1);
	if (t->emitted_epoch != lh_log_epoch)
		return; /* its THREAD record, if ever written, carries the name */
	r.thread_id = t->id;
	memcpy(r.name, t->name, sizeof(r.name));
	lh_log_record(LH_REC_THREAD_NAME, &r, sizeof(r), NULL, 0, NULL, 0);
}

/* write t's end, if its THREAD record is in this log (else nothing refers
 * to it) */
static void emit_end(struct lh_thread *t)
{
	struct lh_rec_thread_end r;

	if (t->emitted_epoch != lh_log_epoch)
		return;
	r.thread_id = t->id;
	r.pad = 0;
	r.end_ns = lh_now_ns();
	lh_log_record(LH_REC_THREAD_END, &r, sizeof(r), NULL, 0, NULL, 0);
}

/* take t out of the registry and onto the free list (its memory stays
 * valid for racy readers) */
static void td_retire(struct lh_thread *t)
{
	lh_mu_lock(&lh_thr_mu);
	t->exiting = 1;
	if (t->prev)
		t->prev->next = t->next;
	else
		lh_thr_list = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->next = free_list;
	free_list = t;
	lh_mu_unlock(&lh_thr_mu);
	lh_wd_thread_gone();
}

static void thread_end(void *p)
{
	struct lh_thread *t = p;

	if (!t || t != self_td)
		return;
	/* Stay registered until the last round of key destructors: the
	 * program's own destructors (keys created after ours run after ours in
	 * each round) may still take and release locks, or block. */
	if (++t->exit_rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
		pthread_setspecific(exit_key, t);
		return;
	}
	lh_in_shim++;
	lh_core_thread_exit_check(t);
	lh_smp_thread_exit(t);
	emit_end(t);
	td_retire(t);
	self_td = NULL;
	self_gone = 1;
	lh_in_shim--;
}

/* The process exits (exit, or a return from main) in this thread: what
 * it still holds is checked like any thread's end (exit-holding-locks),
 * after the program's own exit handlers ran (the shim's was registered
 * first, so it runs last). */
void lh_thr_at_exit(void)
{
	if (self_td) {
		lh_core_thread_exit_check(self_td);
		emit_end(self_td);
	}
}

/* The new thread is registered by its creator, before it exists: a join
 * that follows at once must find it (pthread_join on a thread that has not
 * run yet still waits for it). */
struct lh_start *lh_thr_prepare(void *fn, void *arg, int c11, uintptr_t ra)
{
	struct lh_start *s = malloc(sizeof(*s));
	struct lh_thread *me = lh_thr_self(), *td;

	if (!s)
		return NULL;
	lh_in_shim++;
	td = td_alloc();
	lh_in_shim--;
	if (!td) {
		free(s);
		return NULL;
	}
	s->fn = fn;
	s->arg = arg;
	s->c11 = c11;
	s->td = td;
	td->parent = me ? me->id : 0;
	td->id = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	td->create_stack = lh_stk_capture(ra);
	td_link(td);
	return s;
}

struct lh_thread *lh_thr_start_td(struct lh_start *s, uint32_t *id)
{
	*id = s->td->id;
	return s->td;
}

void lh_thr_created(struct lh_thread *td, uint32_t id, pthread_t pt)
{
	/* the child may have started (it sets the same value), or even ended
	 * and its state been reused: only a not-yet-started td of this id */
	__atomic_fetch_add(&n_ran, 1, __ATOMIC_RELAXED); /* created: it runs */
	lh_mu_lock(&lh_thr_mu);
	if (td->id == id && !td->started && !td->exiting)
		td->self = pt;
	lh_mu_unlock(&lh_thr_mu);
}

static void start_common(struct lh_start *s)
{
	lh_in_shim++;
	/* this thread's handle may be a joined thread's again: before the
	 * creator learns it, the thread itself may detach or pass it on */
	lh_mis_joined_forget(pthread_self());
	td_start(s->td);
	lh_in_shim--;
	LH_RT_HOOK(lh_rt_thread_begin(s->td->rt)); /* exact mode: the slot the creator made */
	lh_smp_thread_begin(s->td); /* sampled watching: its THREAD record now */
}

void *lh_thr_trampoline(void *p)
{
	struct lh_start s = *(struct lh_start *)p;

	free(p);
	start_common(&s);
	return ((void *(*)(void *))s.fn)(s.arg);
}

int lh_thr_trampoline_c11(void *p)
{
	struct lh_start s = *(struct lh_start *)p;

	free(p);
	start_common(&s);
	return ((int (*)(void *))s.fn)(s.arg);
}

void lh_thr_prepare_failed(struct lh_start *s)
{
	td_retire(s->td);
	free(s);
}

int lh_own_threads;

void lh_thr_after_fork_child(void)
{
	struct lh_thread *t = self_td, *o, *next;

	__atomic_store_n(&lh_own_threads, 0, __ATOMIC_RELAXED); /* none survived the fork */
	/* only the forking thread exists in the child; the others' states go
	 * to the free list (their memory stays valid) */
	for (o = lh_thr_list; o; o = next) {
		next = o->next;
		if (o != t) {
			o->exiting = 1;
			o->next = free_list;
			free_list = o;
		}
	}
	lh_thr_list = NULL;
	__atomic_store_n(&n_ran, 1, __ATOMIC_RELAXED);
	if (t) {
		int i, j;
		t->os_tid = (int)syscall(SYS_gettid);
		t->next = t->prev = NULL;
		/* a process-shared lock held across fork is held by the parent,
		 * not by this child */
		lh_held_begin(t);
		for (i = 0, j = 0; i < t->n_held; i++) {
			const struct lh_held *h = &t->held[i];
			int pshared = (h->kind == LH_LOCK_MUTEX && lh_gl_mutex_pshared(h->addr)) ||
			              (h->kind == LH_LOCK_RWLOCK && lh_gl_rwlock_pshared(h->addr));
			if (!pshared)
				lh_held_move(t, j++, i);
		}
		lh_held_set_n(t, j);
		lh_held_end(t);
		if (t->create_stack)
			lh_stk_rewrite(t->create_stack);
		t->log_epoch = lh_log_epoch;
		lh_edge_thread_reset(t);
		lh_thr_list = t;
		lh_thr_emit(t);
	}
}
