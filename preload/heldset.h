/*
 * heldset.h - the held-lock stack's protocol between its owner and the
 * threads that read it (the watchdog, misuse's owner lookup).
 *
 * Only the owning thread changes t->held[] and t->n_held.  Other threads
 * read them without a lock, so every field they read is accessed with
 * atomics, ordered by a per-thread sequence counter (a seqlock):
 *
 *   held_seq  odd while the owner is changing the stack in place (removing
 *             an entry from the middle: lh_held_begin/lh_held_end add 1
 *             each), even otherwise; a push at the top adds 2.  The value
 *             only grows, so a reader sees every change that may have
 *             rewritten an entry it was copying.
 *   n_held    relaxed stores by the owner, except a push's release store;
 *             the owner's own loads are plain (no other thread writes it).
 *   held[i].addr, lk, lock_id, ra, cfa, mode, kind, py
 *             relaxed stores by the owner; plain loads by the owner;
 *             relaxed loads by readers, inside a read.
 *   held[i].count, exit_stack
 *             owner only (plain): no other thread reads them.
 *
 * The changes:
 *   push (lh_held_push, the common lock): a release store of held_seq + 2,
 *             a release fence, the entry at n_held (relaxed stores; no
 *             reader reads it yet), a release store of n_held + 1.
 *   pop (lh_held_pop_top, the common unlock): a relaxed store of
 *             n_held - 1; the entry is not written, so a reader sees the
 *             stack before or after the pop, both whole.  A later push
 *             that reuses the entry first adds 2 to held_seq.
 *   in place (lh_held_begin, lh_held_move/lh_held_put/lh_held_set_n,
 *             lh_held_end): held_seq odd around the changes.
 * The reader: acquire load of held_seq (retry while odd), acquire load of
 * n_held (a push's entry is then whole), relaxed loads of the entries,
 * acquire fence, relaxed load of held_seq; the copy is whole when both
 * loads saw the same value.  On x86-64 every one of these stores and loads
 * is a plain move and the fences are compiler barriers: the lock fast path
 * pays one held_seq store, the unlock fast path nothing.  A reader that
 * finds the stack changing LH_HELD_READ_TRIES times in a row gives up (the
 * owner is running, so it is not deadlocked); its callers treat that as
 * "nothing known" for this look.
 */
#ifndef LH_HELDSET_H
#define LH_HELDSET_H

#include "shim.h"

/* how many times a reader retries a copy torn by the owner */
#define LH_HELD_READ_TRIES 8

static inline __attribute__((always_inline)) void lh_held_begin(struct lh_thread *t)
{
	__atomic_store_n(&t->held_seq, t->held_seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline __attribute__((always_inline)) void lh_held_end(struct lh_thread *t)
{
	__atomic_store_n(&t->held_seq, t->held_seq + 1, __ATOMIC_RELEASE);
}

/* write entry i but its Python frames (mode and kind in one store) */
static inline __attribute__((always_inline)) void lh_held_put_nopy(struct lh_thread *t, int i, void *addr,
                                                                    struct lh_lock *lk, uint64_t id,
                                                                    uintptr_t ra, uintptr_t cfa,
                                                                    uint8_t mode, uint8_t kind)
{
	struct lh_held *h = &t->held[i];
	union {
		struct {
			uint8_t mode, kind;
		};
		uint16_t both;
	} mk = { { mode, kind } };
	__atomic_store_n(&h->addr, addr, __ATOMIC_RELAXED);
	__atomic_store_n(&h->lk, lk, __ATOMIC_RELAXED);
	__atomic_store_n(&h->lock_id, id, __ATOMIC_RELAXED);
	__atomic_store_n(&h->ra, ra, __ATOMIC_RELAXED);
	__atomic_store_n(&h->cfa, cfa, __ATOMIC_RELAXED);
	__atomic_store_n(&h->mode_kind, mk.both, __ATOMIC_RELAXED);
}

/* write entry i (inside lh_held_begin/lh_held_end) */
static inline __attribute__((always_inline)) void lh_held_put(struct lh_thread *t, int i, void *addr, struct lh_lock *lk, uint64_t id,
                               uintptr_t ra, uintptr_t cfa, uint8_t mode, uint8_t kind,
                               const struct lh_pystk *py)
{
	__atomic_store_n(&t->held[i].py, py, __ATOMIC_RELAXED);
	lh_held_put_nopy(t, i, addr, lk, id, ra, cfa, mode, kind);
}

/* Push a new innermost entry at n (== n_held) with count 1: the common
 * lock, outside lh_held_begin/lh_held_end.  with_py 0 leaves the entry's
 * Python frames as they are: for a thread that has never seen lh_py_on set,
 * whose entries all have none (lh_py_on is never cleared, and frames exist
 * only once it is set). */
static inline __attribute__((always_inline)) void lh_held_push_at(struct lh_thread *t, int n, void *addr,
                                                                   struct lh_lock *lk, uint64_t id,
                                                                   uintptr_t ra, uintptr_t cfa,
                                                                   uint8_t mode, uint8_t kind,
                                                                   const struct lh_pystk *py, int with_py)
{
	__atomic_store_n(&t->held_seq, t->held_seq + 2, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (with_py)
		__atomic_store_n(&t->held[n].py, py, __ATOMIC_RELAXED);
	lh_held_put_nopy(t, n, addr, lk, id, ra, cfa, mode, kind);
	t->held[n].count = 1;
	t->held[n].exit_stack = 0;
	__atomic_store_n(&t->n_held, n + 1, __ATOMIC_RELEASE);
}

static inline __attribute__((always_inline)) void lh_held_push(struct lh_thread *t, int n, void *addr, struct lh_lock *lk,
                                uint64_t id, uintptr_t ra, uintptr_t cfa, uint8_t mode,
                                uint8_t kind, const struct lh_pystk *py)
{
	lh_held_push_at(t, n, addr, lk, id, ra, cfa, mode, kind, py, 1);
}

/* copy entry `from` over entry `to` (inside lh_held_begin/lh_held_end) */
static inline __attribute__((always_inline)) void lh_held_move(struct lh_thread *t, int to, int from)
{
	const struct lh_held *s = &t->held[from];
	lh_held_put(t, to, s->addr, s->lk, s->lock_id, s->ra, s->cfa, s->mode, s->kind, s->py);
	t->held[to].count = s->count;
	t->held[to].exit_stack = s->exit_stack;
}

static inline __attribute__((always_inline)) void lh_held_set_n(struct lh_thread *t, int n)
{
	__atomic_store_n(&t->n_held, n, __ATOMIC_RELAXED);
}

/* Drop the innermost of n entries (no held_seq change: see the top) */
static inline __attribute__((always_inline)) void lh_held_pop_top(struct lh_thread *t, int n)
{
	lh_held_set_n(t, n - 1);
}

/* Another thread's held-lock stack, copied whole: the shared fields of
 * its first min(n_held, max) entries into out[] (count and exit_stack are
 * left 0).  Returns how many were copied, or -1 when the stack kept
 * changing for LH_HELD_READ_TRIES tries. */
static inline int lh_held_read(const struct lh_thread *t, struct lh_held *out, int max)
{
	int tries;

	for (tries = 0; tries < LH_HELD_READ_TRIES; tries++) {
		uint32_t s1 = __atomic_load_n(&t->held_seq, __ATOMIC_ACQUIRE), s2;
		int i, n;
		if (s1 & 1)
			continue;
		n = __atomic_load_n(&t->n_held, __ATOMIC_ACQUIRE);
		if (n < 0)
			n = 0;
		if (n > LH_MAX_HELD)
			n = LH_MAX_HELD;
		if (n > max)
			n = max;
		for (i = 0; i < n; i++) {
			const struct lh_held *h = &t->held[i];
			out[i].addr = __atomic_load_n(&h->addr, __ATOMIC_RELAXED);
			out[i].lk = __atomic_load_n(&h->lk, __ATOMIC_RELAXED);
			out[i].lock_id = __atomic_load_n(&h->lock_id, __ATOMIC_RELAXED);
			out[i].ra = __atomic_load_n(&h->ra, __ATOMIC_RELAXED);
			out[i].cfa = __atomic_load_n(&h->cfa, __ATOMIC_RELAXED);
			out[i].mode = __atomic_load_n(&h->mode, __ATOMIC_RELAXED);
			out[i].kind = __atomic_load_n(&h->kind, __ATOMIC_RELAXED);
			out[i].py = __atomic_load_n(&h->py, __ATOMIC_RELAXED);
			out[i].count = 0;
			out[i].exit_stack = 0;
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&t->held_seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			return n;
	}
	return -1;
}

#endif
