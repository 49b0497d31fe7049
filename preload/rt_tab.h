/*
 * rt_tab.h - the pure tables of exact mode (rt_tab.c): interned calling
 * contexts, interned lock sets, the heap-block table, and the mapping from
 * an atomic operation's memory order to the race engine's calls.
 *
 * Pure: no threads, log, libunwind or globals; memory comes from the
 * caller's allocator (struct rc_alloc: the shim's mmap allocator, malloc in
 * the unit tests, tests/unit/test_rt_tab.c).  Every table has a fixed
 * capacity chosen at init and answers "full" past it; the caller notes the
 * limit in the log.  Lookups and inserts are safe from any thread at once.
 */
#ifndef LOCKHOUND_RT_TAB_H
#define LOCKHOUND_RT_TAB_H

#include <stddef.h>
#include <stdint.h>

#include "race.h"

/* ---- interning of two-word keys (lh_itab) ----
 * A key (k1, k2) gets a small id, the same for the same key for the life
 * of the table: ids are slot numbers + 1, so id -> key is one load.  Open
 * addressing, lock-free: an inserter claims an empty slot by CAS, fills
 * the key and publishes it (state LH_ISLOT_READY, release); a reader that
 * meets a slot being filled waits the few instructions it takes.
 * Invariant: n_used <= max_used (3/4 of the slots), so probes end. */
enum { LH_ISLOT_EMPTY = 0, LH_ISLOT_FILLING = 1, LH_ISLOT_READY = 2 };
struct lh_islot {
	uint32_t state;
	uint32_t pad;
	uint64_t k1, k2;
};
struct lh_itab {
	struct lh_islot *slot;
	uint32_t mask;     /* slots - 1 */
	uint32_t max_used; /* inserts beyond this many fail: the table is full */
	uint32_t n_used;
};
int lh_itab_init(struct lh_itab *t, unsigned log2_slots, const struct rc_alloc *a);
/* the key's id, inserting it if new (*is_new set when is_new != NULL);
 * 0 when the table is full */
uint32_t lh_itab_get(struct lh_itab *t, uint64_t k1, uint64_t k2, int *is_new);
/* the key of id, or NULL for 0 / an id never handed out */
const struct lh_islot *lh_itab_key(const struct lh_itab *t, uint32_t id);

/* ---- calling contexts ----
 * A calling-context tree: node = (parent node, return address), root 0.
 * A ctx (the engine's 32-bit access context) = (node, lock set, access pc).
 * lh_ctx_stack turns a ctx back into pcs, innermost first: the access pc,
 * then the return addresses from the node up to the root. */
struct lh_ctxtab {
	struct lh_itab nodes;
	struct lh_itab ctxs;
};
int lh_ctx_init(struct lh_ctxtab *c, unsigned log2_nodes, unsigned log2_ctxs, const struct rc_alloc *a);
static inline uint32_t lh_ctx_node(struct lh_ctxtab *c, uint32_t parent, uintptr_t ret_pc)
{
	return lh_itab_get(&c->nodes, parent, ret_pc, NULL);
}
static inline uint32_t lh_ctx_make(struct lh_ctxtab *c, uint32_t node, uint32_t lockset, uintptr_t pc)
{
	return lh_itab_get(&c->ctxs, ((uint64_t)node << 32) | lockset, pc, NULL);
}
/* fills up to max pcs; returns how many, *truncated when deeper frames
 * were left out; *lockset gets the ctx's lock set (NULL: not wanted).
 * 0 for an unknown ctx. */
int lh_ctx_stack(const struct lh_ctxtab *c, uint32_t ctx, uintptr_t *pcs, int max, int *truncated,
                 uint32_t *lockset);
/* pcs of a bare node (an allocation site kept as a node) */
int lh_ctx_node_stack(const struct lh_ctxtab *c, uint32_t node, uintptr_t *pcs, int max, int *truncated);

/* ---- lock sets ----
 * The locks a thread holds at an access, in acquisition order, interned:
 * id 0 is the empty set.  A set of more than LH_LOCKSET_MAX locks keeps the
 * first LH_LOCKSET_MAX (the caller notes it). */
#define LH_LOCKSET_MAX 16
struct lh_lockref {
	uint64_t addr;
	uint32_t kind; /* enum lh_lock_kind */
	uint32_t mode; /* enum lh_mode */
};
struct lh_lsslot {
	uint32_t state; /* LH_ISLOT_* */
	uint32_t n;
	uint64_t hash;
	struct lh_lockref *locks;
};
struct lh_lstab {
	struct lh_lsslot *slot;
	uint32_t mask, max_used, n_used;
	struct rc_alloc a;
};
int lh_ls_init(struct lh_lstab *t, unsigned log2_slots, const struct rc_alloc *a);
/* the set's id (0 for n == 0); UINT32_MAX when the table is full */
uint32_t lh_ls_get(struct lh_lstab *t, const struct lh_lockref *locks, int n);
/* the locks of id: returns their number, *locks points at them */
int lh_ls_locks(const struct lh_lstab *t, uint32_t id, const struct lh_lockref **locks);

/* ---- heap blocks ----
 * Live blocks the program allocated: base -> size, allocation context (a
 * calling-context node, turned into a stack only for a report) and the
 * allocating thread.  LH_HEAP_SHARDS shards, each behind its own spin lock,
 * chosen by the base address, so threads that allocate at once rarely meet.
 * Each shard: linear probing with backward-shift deletion (no tombstones:
 * a program that allocates and frees forever never fills it).
 * Invariant: a shard holds at most 3/4 of its slots; no two entries with the
 * same base. */
#define LH_HEAP_SHARDS 64
struct lh_heap_block {
	uint64_t base; /* 0: empty slot */
	uint64_t size;
	uint32_t alloc_node;
	uint32_t thread;
};
struct lh_heap_shard {
	volatile int lock;
	uint32_t n_used;
	struct lh_heap_block *slot;
	char pad[64 - sizeof(int) - sizeof(uint32_t) - sizeof(void *)];
};
/* Finding the block that contains an address (for reports): blocks of up
 * to LH_HEAP_NEAR bytes by looking up every 16-byte-aligned base below the
 * address (malloc's alignment); bigger blocks are also kept in a list of
 * at most LH_HEAP_BIG; only when that list overflowed is every shard
 * scanned. */
#define LH_HEAP_NEAR 65536
#define LH_HEAP_BIG 4096
struct lh_heap {
	struct lh_heap_shard shard[LH_HEAP_SHARDS];
	uint32_t mask;     /* slots per shard - 1 */
	uint32_t max_used; /* per shard */
	volatile int big_lock;
	uint32_t n_big;
	int big_overflow; /* a big block was not listed: lh_heap_find scans everything */
	struct lh_heap_block *big;
};
int lh_heap_init(struct lh_heap *h, unsigned log2_slots_per_shard, const struct rc_alloc *a);
/* 0, or -1 when the block's shard is full (the block is not recorded); a
 * block with the base of one already present replaces it */
int lh_heap_insert(struct lh_heap *h, const struct lh_heap_block *b);
/* removes the block starting at base: 1 and *out filled, or 0 */
int lh_heap_remove(struct lh_heap *h, uint64_t base, struct lh_heap_block *out);
/* the live block containing addr (a zero-size block contains its base):
 * 1 and *out filled, or 0.  For reports only: up to LH_HEAP_NEAR / 16
 * look-ups, then the big-block list (or, after it overflowed, every shard). */
/* (LH_HEAP_NEAR / 8 look-ups, on 8-byte boundaries) */
int lh_heap_find(struct lh_heap *h, uint64_t addr, struct lh_heap_block *out);
uint64_t lh_heap_count(struct lh_heap *h);
/* every block allocated by a thread other than `keep` gets thread 0 (a
 * fork child: those threads are not in its log) */
void lh_heap_forget_threads(struct lh_heap *h, uint32_t keep);
/* fork: hold every shard across fork(), release in both processes */
void lh_heap_lock_all(struct lh_heap *h);
void lh_heap_unlock_all(struct lh_heap *h);

/* ---- atomics: memory order -> engine calls ----
 * What the runtime does around one atomic operation, as flags.  The
 * compilers pass C11 memory orders (0 relaxed .. 5 seq_cst; gcc may set
 * higher bits for HLE and __sync, which are masked off). */
enum lh_aop {
	LH_AOP_LOAD = 0,
	LH_AOP_STORE = 1,
	LH_AOP_RMW = 2,      /* exchange, fetch_*, a compare-exchange that succeeded */
	LH_AOP_CAS_FAIL = 3, /* a compare-exchange that failed: a load, with the failure order */
	LH_AOP_FENCE = 4,    /* atomic_thread_fence */
};
#define LH_RTA_ACQUIRE 0x01       /* rc_acquire(addr) */
#define LH_RTA_RELEASE 0x02       /* rc_release(addr): unused by atomics (a lock's release) */
#define LH_RTA_RELEASE_STORE 0x04 /* rc_release_store(addr) */
#define LH_RTA_ACQ_REL 0x08       /* rc_acq_rel(addr) */
#define LH_RTA_RELEASE_RMW 0x800  /* rc_release_rmw(addr): a release RMW */
#define LH_RTA_RELAXED_RMW 0x1000 /* rc_relaxed_rmw(addr): a relaxed RMW */
#define LH_RTA_RELAXED_LOAD 0x10  /* rc_relaxed_load(addr): an acquire fence may follow */
#define LH_RTA_RELAXED_STORE 0x20 /* rc_relaxed_store(addr): a release fence may precede */
#define LH_RTA_FENCE_ACQ 0x40     /* rc_fence_acquire */
#define LH_RTA_FENCE_REL 0x80     /* rc_fence_release */
#define LH_RTA_SERIAL 0x100       /* the operation and its engine call under the address's
                                   * stripe lock, so the clock goes with the value */
#define LH_RTA_WRITE 0x200        /* counts as an atomic write (else an atomic read) */
#define LH_RTA_ACCESS 0x400       /* is a memory access (fences are not) */
unsigned lh_rt_atomic_plan(int op, int mo);

#endif
