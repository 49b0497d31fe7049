/*
 * rt.h - exact mode, the shim's side (lh_rt_): the compilers'
 * thread-sanitizer runtime ABI (rt_abi.c), per-thread calling contexts and
 * happens-before fed to the race engine (rt.c), race records (rt_report.c).
 *
 * Exact mode is on once an instrumented module's constructor has called
 * __tsan_init (lh_rt_on).  Until then, and in the plain LD_PRELOAD mode,
 * every hook below is one predictable branch on a global that stays 0.
 */
#ifndef LOCKHOUND_RT_H
#define LOCKHOUND_RT_H

#include "shim.h"
#include "race.h"
#include "rt_tab.h"

/* Limits (DESIGN.md, "Exact mode"): reaching one writes a note and the
 * report says it may be incomplete. */
#define LH_RT_MAX_DEPTH 1024     /* shadow call stack frames per thread; deeper calls share the
                                  * context of the frame at the limit */
#define LH_RT_LOG2_NODES 20      /* calling-context tree nodes (2^20 slots, 3/4 usable) */
#define LH_RT_LOG2_CTXS 20       /* access contexts (stack node, lock set, pc) */
#define LH_RT_LOG2_LOCKSETS 14   /* distinct lock sets */
#define LH_RT_LOG2_BLOCK_SHARD 14 /* heap-block table: slots per shard (x LH_HEAP_SHARDS) */
#define LH_RT_LOG2_RACES 14      /* distinct races written (variable, both contexts) */
#define LH_RT_LOG2_RACES_SEEN 16 /* distinct (address, both contexts) already handled */
#define LH_RT_LOG2_PAIRS 14      /* distinct pairs of contexts seen racing */
#define LH_RT_PAIR_VARS 8        /* addresses classified per pair of contexts: the same code
                                  * racing on the many objects of one allocation site is one
                                  * variable, not classified again for each object */
#define LH_RT_CTX_CACHE 256      /* per-thread cache: access pc -> ctx, power of 2 */
#define LH_RT_NODE_CACHE 512     /* per-thread cache: (node, return pc) -> child, power of 2 */
#define LH_RT_STRIPES 256        /* locks that serialize an atomic with its clock */

struct lh_rt_thread {
	rc_tid tid;        /* engine slot */
	uint32_t lh_id;    /* the shim's thread id (T<n>), 0 until known */
	int os_tid;
	int busy;          /* inside the runtime: a signal handler's accesses are not checked */
	int ignore;        /* __tsan_ignore_thread_begin depth */
	int exit_rounds;   /* calls of the end key's destructor so far */
	int lockset_dirty; /* a lock was taken or released since lockset was computed */
	uint32_t lockset;  /* interned held locks (0 = none) */
	/* The shadow call stack.  func_entry only pushes the return address;
	 * the context nodes of the frames are made when an access needs them,
	 * and kept when a frame returns: the next call from the same place (a
	 * loop calling f) finds its node still there.
	 * Invariant: for every i < min(valid, depth, LH_RT_MAX_DEPTH), stack[i]
	 * is the node of the path ret[0..i]; a push of another return address
	 * at level i lowers valid to i. */
	uint32_t depth;    /* frames, including those past LH_RT_MAX_DEPTH */
	uint32_t valid;    /* frames whose node is in stack[] */
	uintptr_t ret[LH_RT_MAX_DEPTH];  /* ret[i]: return address of frame i */
	uint32_t stack[LH_RT_MAX_DEPTH]; /* stack[i]: context node of frame i */
	uintptr_t stack_lo, stack_hi;    /* the thread's stack, for naming stack variables */
	pthread_t self;
	uint8_t state;     /* enum lh_rt_tstate */
	struct lh_rt_thread *next_free;
	struct {
		uintptr_t pc;
		uint32_t node, lockset, ctx;
	} ctx_cache[LH_RT_CTX_CACHE];
	struct {
		uintptr_t pc;
		uint32_t parent, node;
	} node_cache[LH_RT_NODE_CACHE];
};

enum lh_rt_tstate {
	LH_RT_T_FREE = 0,
	LH_RT_T_LIVE = 1,     /* running or not yet joined */
	LH_RT_T_DETACHED = 2, /* detached: nobody joins it */
	LH_RT_T_EXITED = 3,   /* ended, waits for its join */
};

extern int lh_rt_on LH_HIDDEN;
extern struct rc_engine *lh_rt_engine LH_HIDDEN;
extern struct lh_ctxtab lh_rt_ctxtab LH_HIDDEN;
extern struct lh_lstab lh_rt_locksets LH_HIDDEN;
extern struct lh_heap lh_rt_heap LH_HIDDEN;
extern __thread struct lh_rt_thread *lh_rt_self __attribute__((tls_model("initial-exec"))) LH_HIDDEN;
/* > 0 while a handler the program installed runs (wrap_sigaction.c) */
extern __thread int lh_rt_in_signal __attribute__((tls_model("initial-exec"))) LH_HIDDEN;

/* ---- rt.c ---- */
LH_HIDDEN void lh_rt_init(void); /* __tsan_init */
/* the calling thread's runtime state; made on first use for a thread the
 * shim did not see created; NULL while exact mode is off or the thread ends */
LH_HIDDEN struct lh_rt_thread *lh_rt_thread_slow(void);
static inline struct lh_rt_thread *lh_rt_cur(void)
{
	struct lh_rt_thread *t = lh_rt_self;
	return likely(t != NULL) ? t : lh_rt_thread_slow();
}
/* the context node of the innermost frame (0: none), its missing frames'
 * nodes made first */
LH_HIDDEN uint32_t lh_rt_top_slow(struct lh_rt_thread *t, uint32_t d);
static inline uint32_t lh_rt_top(struct lh_rt_thread *t)
{
	uint32_t d = t->depth < LH_RT_MAX_DEPTH ? t->depth : LH_RT_MAX_DEPTH;

	if (likely(t->valid >= d))
		return d ? t->stack[d - 1] : 0;
	return lh_rt_top_slow(t, d);
}

/* the ctx of an access at pc by t (calling context, held locks, pc) */
LH_HIDDEN uint32_t lh_rt_ctx_slow(struct lh_rt_thread *t, uint32_t node, uintptr_t pc);
static inline uint32_t lh_rt_ctx(struct lh_rt_thread *t, uintptr_t pc)
{
	uint32_t node = lh_rt_top(t);
	size_t j = (pc ^ (pc >> 9)) & (LH_RT_CTX_CACHE - 1);

	if (likely(!t->lockset_dirty && t->ctx_cache[j].pc == pc && t->ctx_cache[j].node == node &&
	           t->ctx_cache[j].lockset == t->lockset))
		return t->ctx_cache[j].ctx;
	return lh_rt_ctx_slow(t, node, pc);
}
/* the calling-context node (parent, return address pc): the thread's
 * cache first */
LH_HIDDEN uint32_t lh_rt_node_slow(struct lh_rt_thread *t, uint32_t parent, uintptr_t pc, size_t j);
static inline uint32_t lh_rt_child(struct lh_rt_thread *t, uint32_t parent, uintptr_t pc)
{
	size_t j = ((pc >> 2) ^ parent * 0x9e3779b1u) & (LH_RT_NODE_CACHE - 1);

	if (likely(t->node_cache[j].pc == pc && t->node_cache[j].parent == parent &&
	           t->node_cache[j].node))
		return t->node_cache[j].node;
	return lh_rt_node_slow(t, parent, pc, j);
}
/* the node of a call at return address pc from the current frame (an
 * allocation site) */
static inline uint32_t lh_rt_node(struct lh_rt_thread *t, uintptr_t pc)
{
	return lh_rt_child(t, lh_rt_top(t), pc);
}

/* happens-before from the shim's wrappers (each only while lh_rt_on) */
LH_HIDDEN void lh_rt_acquire(const void *sync);
LH_HIDDEN void lh_rt_release(const void *sync);
/* a lock was taken (after the real call) / is being released (before it):
 * mode is enum lh_mode, or -1 when the caller does not know it; held 1:
 * the release of a lock the thread's held stack says it holds (the fast
 * release paths, wrap.h), so no other release of it runs meanwhile
 * (rc_release_held) */
LH_HIDDEN void lh_rt_lock_acquired(void *addr, int kind, int mode);
LH_HIDDEN void lh_rt_lock_released(void *addr, int kind, int mode, int held);
/* threads: the creator makes the child's engine slot before it exists */
LH_HIDDEN struct lh_rt_thread *lh_rt_thread_new(void);
LH_HIDDEN void lh_rt_thread_created(struct lh_rt_thread *c, pthread_t pt, int detached);
LH_HIDDEN void lh_rt_thread_create_failed(struct lh_rt_thread *c);
LH_HIDDEN void lh_rt_thread_begin(struct lh_rt_thread *c); /* in the child, first thing */
/* joins: look the target up before the real join, tell after it worked */
LH_HIDDEN struct lh_rt_thread *lh_rt_join_target(pthread_t pt);
LH_HIDDEN void lh_rt_joined(struct lh_rt_thread *target);
LH_HIDDEN void lh_rt_detach(pthread_t pt);
/* fork (init.c's handlers) */
LH_HIDDEN void lh_rt_fork_prepare(void);
LH_HIDDEN void lh_rt_fork_parent(void);
LH_HIDDEN void lh_rt_fork_child(void);
LH_HIDDEN void lh_rt_at_exit(void);  /* notes that had to wait */
LH_HIDDEN void lh_rt_stripes_lock_all(void);   /* rt_abi.c */
LH_HIDDEN void lh_rt_stripes_unlock_all(void);
/* the program's memory: an access range by the calling thread at pc */
LH_HIDDEN void lh_rt_range(const void *addr, size_t n, int is_write, uintptr_t pc);
/* a heap block allocated at return address ra / freed */
LH_HIDDEN void lh_rt_alloc(void *p, size_t n, uintptr_t ra);
LH_HIDDEN void lh_rt_free(void *p);
/* one note per limit (*noted): written now, or, where the log lock must
 * not be taken (a signal handler, the shim's own code), kept and written
 * at the next safe note or at exit */
LH_HIDDEN void lh_rt_note_limit(int *noted, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
LH_HIDDEN void lh_rt_flush_notes(void);

/* ---- rt_report.c ---- */
LH_HIDDEN void lh_rt_race_hook(void *cookie, const struct rc_race *r);
LH_HIDDEN int lh_rt_report_init(void);
/* for reports (rt.c): the shim's id of the thread that last had engine
 * slot tid; the live thread whose stack holds addr (0: none) */
LH_HIDDEN uint32_t lh_rt_thread_id(rc_tid tid);
LH_HIDDEN uint32_t lh_rt_stack_owner(uintptr_t addr);
LH_HIDDEN struct lh_rt_thread *lh_rt_thread_of(rc_tid tid);

/* ---- the hooks the lock paths call: one branch in plain mode ---- */
#define LH_RT_HOOK(call)                                                                           \
	do {                                                                                       \
		if (unlikely(__atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED)))                        \
			call;                                                                      \
	} while (0)

#endif
