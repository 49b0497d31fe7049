/*
 * test_edges.c - CUnit tests for preload/edges.c, the rule "held set +
 * acquisition -> record or skip": scripted acquisitions and releases by
 * made-up threads, with a scripted unwinder and log (struct lh_edge_io).
 * Covers edge keys with and without gates, trylock, recursive and read
 * rules, the per-thread cache and memo, the threads-per-context cap, the
 * self-deadlock rule for every lock kind, and the notes left by the limits
 * (LH_MAX_HELD, LH_MAX_GATES, LH_CTX_KINDS_PER_EDGE).  No threads, no shim.
 */
#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "shim_stubs.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the scripted world ---- */

struct edge_seen {
	struct lh_rec_edge e;
	struct lh_rec_gate gates[LH_MAX_GATES];
	int n_locks_before; /* LOCK records written before this edge */
};
static struct edge_seen edges[512];
static int n_edges;
static long n_edge_writes; /* all of them, also past edges[] */
static uint64_t locks_written[1024];
static int n_locks_written;
static int n_unwinds;
/* set: the unwinder finds frames, and each stack names the unwind it came
 * from (bits 16 and up), so a stack reused from an earlier unwind shows */
static int real_unwinds;

static void io_unwind(struct lh_frames *f)
{
	n_unwinds++;
	f->n = real_unwinds ? 1 : 0;
}

/* a "stack" per call site: the low bits of the return address, and the
 * Python frames' n at bit 24 (the tests' fake Python stacks are told apart
 * by it) */
static uint32_t io_stack_of(const struct lh_frames *f, uintptr_t ra, uintptr_t cfa,
                            const struct lh_pystk *py, int *partial)
{
	(void)f;
	*partial = cfa == 0;
	return (uint32_t)(ra & 0xffff) | (real_unwinds ? (uint32_t)n_unwinds << 16 : 0) |
	       (py ? py->n << 24 : 0);
}

static void io_write_lock(const struct lh_rec_lock *r)
{
	if (n_locks_written < (int)N_OF(locks_written))
		locks_written[n_locks_written++] = r->lock_id;
}

static void io_write_edge(struct lh_thread *t, const struct lh_rec_edge *e,
                          const struct lh_rec_gate *gates, int n_gates)
{
	(void)t;
	n_edge_writes++;
	if (n_edges == (int)N_OF(edges))
		return;
	edges[n_edges].e = *e;
	memcpy(edges[n_edges].gates, gates, (size_t)n_gates * sizeof(*gates));
	edges[n_edges].n_locks_before = n_locks_written;
	n_edges++;
}

static uint64_t io_now(void)
{
	return 42;
}

static const struct lh_edge_io io = { io_unwind, io_stack_of, io_write_lock, io_write_edge, io_now,
	                                NULL,      NULL,        NULL,          NULL,
	                                NULL,      NULL,        NULL,          NULL };

/* a fresh start: empty global sets (as in a forked child), a new log epoch */
static void fresh(void)
{
	lh_edge_after_fork_child();
	lh_log_epoch++;
	n_edges = 0;
	n_locks_written = 0;
	n_unwinds = 0;
	stub_reset();
}

static struct lh_thread *thread(uint32_t id)
{
	struct lh_thread *t = calloc(1, sizeof(*t));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	t->id = id;
	t->os_tid = (int)(1000 + id);
	return t;
}

/* a lock at a made-up address, given an identity by init */
static void *new_lock(int kind, uint32_t lflags)
{
	static char arena[1 << 16] __attribute__((aligned(64)));
	static size_t used;
	void *p = arena + used;

	used += 64;
	CU_ASSERT_FATAL(used <= sizeof(arena));
	lh_lid_new(lh_lid_lookup((uintptr_t)p, 1), kind, lflags, 0);
	return p;
}

static struct lh_acq acq_of(void *l, int kind, int flags, uint32_t lflags, uintptr_t ra)
{
	struct lh_acq a = { l, (uint8_t)kind, (uint8_t)flags, (uint16_t)lflags, ra, 0x7000 };
	return a;
}

/* the io acquire() passes: io, or the class-map tests' io_maps */
static const struct lh_edge_io *cur_io = &io;

static int acquire(struct lh_thread *t, void *l, int kind, int flags, uintptr_t ra)
{
	struct lh_acq a = acq_of(l, kind, flags, 0, ra);
	struct lh_lock *lk = lh_lid_get(t, l);

	return lh_edge_acquired(cur_io, t, lk, lh_lid_id(lk, kind, 0), &a);
}

#define LOCK(t, l, ra) acquire((t), (l), LH_LOCK_MUTEX, 0, (ra))
#define UNLOCK(t, l) CU_ASSERT_EQUAL(lh_held_release((t), (l)), LH_REL_RELEASED)

static uint64_t id_of(void *l)
{
	return lh_lid_peek(lh_lid_lookup((uintptr_t)l, 0));
}

/* how many recorded edges go from a to b */
static int n_edges_between(void *a, void *b)
{
	int i, n = 0;
	for (i = 0; i < n_edges; i++)
		if (edges[i].e.from_lock == id_of(a) && edges[i].e.to_lock == id_of(b))
			n++;
	return n;
}

static int written(uint64_t id, int before)
{
	int i;
	for (i = 0; i < before; i++)
		if (locks_written[i] == id)
			return 1;
	return 0;
}

/* ---- tests ---- */

static void test_edge_and_its_context(void)
{
	struct lh_thread *t = thread(1);
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);

	fresh();
	CU_ASSERT_EQUAL(LOCK(t, a, 0x100), LH_ACQ_PUSHED);
	CU_ASSERT_EQUAL(n_edges, 0); /* nothing held before: no edge */
	CU_ASSERT_EQUAL(LOCK(t, b, 0x200), LH_ACQ_PUSHED);
	CU_ASSERT_EQUAL_FATAL(n_edges, 1);
	CU_ASSERT_EQUAL(edges[0].e.from_lock, id_of(a));
	CU_ASSERT_EQUAL(edges[0].e.to_lock, id_of(b));
	CU_ASSERT_EQUAL(edges[0].e.thread_id, 1);
	CU_ASSERT_EQUAL(edges[0].e.from_stack, 0x100);
	CU_ASSERT_EQUAL(edges[0].e.to_stack, 0x200);
	CU_ASSERT_EQUAL(edges[0].e.from_mode, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(edges[0].e.to_mode, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(edges[0].e.n_gates, 0);
	CU_ASSERT_EQUAL(edges[0].e.time_ns, 42);
	/* anything an edge refers to is written first */
	CU_ASSERT(written(id_of(a), edges[0].n_locks_before));
	CU_ASSERT(written(id_of(b), edges[0].n_locks_before));
	CU_ASSERT_EQUAL(t->n_held, 2);
	UNLOCK(t, b);
	UNLOCK(t, a);
	CU_ASSERT_EQUAL(t->n_held, 0);
	/* the same again: cached, no record, no unwind */
	n_unwinds = 0;
	LOCK(t, a, 0x100);
	LOCK(t, b, 0x200);
	CU_ASSERT_EQUAL(n_edges, 1);
	CU_ASSERT_EQUAL(n_unwinds, 0);
	/* the memo the fast path uses: the edge out of a when a was alone */
	{
		const struct lh_lock_ce *e = lh_lc_entry(t, a);
		CU_ASSERT_PTR_EQUAL(e->addr, a);
		CU_ASSERT_EQUAL(e->memo_from_id, id_of(a));
		CU_ASSERT_EQUAL(e->memo_to_id, id_of(b));
		CU_ASSERT_EQUAL(e->memo_to_ra, 0x200);
	}
	UNLOCK(t, b);
	UNLOCK(t, a);
	/* another call site is another context */
	LOCK(t, a, 0x100);
	LOCK(t, b, 0x300);
	CU_ASSERT_EQUAL(n_edges, 2);
	/* the per-thread cache forgotten (new epoch) but not the global sets:
	 * still known, nothing written */
	lh_log_epoch++;
	UNLOCK(t, b);
	LOCK(t, b, 0x300);
	CU_ASSERT_EQUAL(n_edges, 2);
	free(t);
}

/* The Python frames of each acquisition (t->py_cur while it is recorded)
 * stay with its held entry: an edge's from stack carries those of the
 * held lock's acquisition, its to stack those of the new one, even when the
 * thread's Python frames changed in between. */
static void test_python_frames_of_both_ends(void)
{
	static struct lh_pystk py_a = { .n = 1 }, py_b = { .n = 2 };
	struct lh_thread *t = thread(9);
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);

	fresh();
	t->py_cur = &py_a;
	LOCK(t, a, 0x100);
	CU_ASSERT_PTR_EQUAL(t->held[0].py, &py_a);
	t->py_cur = &py_b;
	LOCK(t, b, 0x200);
	CU_ASSERT_PTR_EQUAL(t->held[1].py, &py_b);
	CU_ASSERT_EQUAL_FATAL(n_edges, 1);
	CU_ASSERT_EQUAL(edges[0].e.from_stack, 0x100 | (1u << 24));
	CU_ASSERT_EQUAL(edges[0].e.to_stack, 0x200 | (2u << 24));
	/* a move down the held stack keeps them */
	UNLOCK(t, a);
	CU_ASSERT_PTR_EQUAL(t->held[0].py, &py_b);
	UNLOCK(t, b);
	t->py_cur = NULL;
	free(t);
}

static void test_release_anywhere(void)
{
	struct lh_thread *t = thread(2);
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);
	void *c = new_lock(LH_LOCK_MUTEX, 0);

	fresh();
	LOCK(t, a, 1);
	LOCK(t, b, 2);
	LOCK(t, c, 3);
	UNLOCK(t, a); /* not in reverse order */
	CU_ASSERT_EQUAL(t->n_held, 2);
	CU_ASSERT_PTR_EQUAL(t->held[0].addr, b);
	CU_ASSERT_PTR_EQUAL(t->held[1].addr, c);
	CU_ASSERT_EQUAL(lh_held_release(t, a), LH_REL_NOT_HELD);
	CU_ASSERT_EQUAL(lh_held_find(t, c), 1);
	CU_ASSERT_EQUAL(lh_held_find(t, a), -1);
	free(t);
}

static void test_trylock_adds_no_edge(void)
{
	struct lh_thread *t = thread(3);
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);
	void *c = new_lock(LH_LOCK_MUTEX, 0);

	fresh();
	LOCK(t, a, 1);
	CU_ASSERT_EQUAL(acquire(t, b, LH_LOCK_MUTEX, LH_ACQ_TRY, 2), LH_ACQ_PUSHED);
	CU_ASSERT_EQUAL(n_edges, 0);
	CU_ASSERT_EQUAL(t->n_held, 2); /* held all the same */
	LOCK(t, c, 3); /* edges out of a trylocked lock count */
	CU_ASSERT_EQUAL(n_edges, 2);
	CU_ASSERT_EQUAL(n_edges_between(a, c), 1);
	CU_ASSERT_EQUAL(n_edges_between(b, c), 1);
	CU_ASSERT_EQUAL(n_edges_between(a, b), 0);
	free(t);
}

static void test_recursive_adds_no_edge(void)
{
	struct lh_thread *t = thread(4);
	void *a = new_lock(LH_LOCK_MUTEX, LH_LOCKF_RECURSIVE), *b = new_lock(LH_LOCK_MUTEX, 0);

	fresh();
	LOCK(t, a, 1);
	LOCK(t, b, 2);
	CU_ASSERT_EQUAL(n_edges, 1);
	CU_ASSERT_EQUAL(LOCK(t, a, 3), LH_ACQ_NESTED); /* a again, b held: no b -> a */
	CU_ASSERT_EQUAL(n_edges, 1);
	CU_ASSERT_EQUAL(n_edges_between(b, a), 0);
	CU_ASSERT_EQUAL(t->n_held, 2);
	CU_ASSERT_EQUAL(t->held[0].count, 2);
	UNLOCK(t, a);
	CU_ASSERT_EQUAL(lh_held_find(t, a), 0); /* still held once */
	UNLOCK(t, a);
	CU_ASSERT_EQUAL(lh_held_find(t, a), -1);
	/* nested read locks count the same way */
	{
		void *r = new_lock(LH_LOCK_RWLOCK, 0);
		CU_ASSERT_EQUAL(acquire(t, r, LH_LOCK_RWLOCK, LH_ACQ_SHARED, 5), LH_ACQ_PUSHED);
		CU_ASSERT_EQUAL(acquire(t, r, LH_LOCK_RWLOCK, LH_ACQ_SHARED, 6), LH_ACQ_NESTED);
		CU_ASSERT_EQUAL(n_edges_between(r, r), 0);
		/* a condition wait drops every count at once */
		CU_ASSERT_EQUAL(lh_held_drop(t, r), 1);
		CU_ASSERT_EQUAL(lh_held_find(t, r), -1);
		CU_ASSERT_EQUAL(lh_held_drop(t, r), 0);
	}
	free(t);
}

static void test_read_modes(void)
{
	struct lh_thread *t = thread(5);
	void *a = new_lock(LH_LOCK_RWLOCK, 0), *b = new_lock(LH_LOCK_RWLOCK, 0);

	fresh();
	acquire(t, a, LH_LOCK_RWLOCK, LH_ACQ_SHARED, 1);
	acquire(t, b, LH_LOCK_RWLOCK, 0, 2);
	CU_ASSERT_EQUAL_FATAL(n_edges, 1);
	CU_ASSERT_EQUAL(edges[0].e.from_mode, LH_MODE_SHARED);
	CU_ASSERT_EQUAL(edges[0].e.to_mode, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(t->held[0].mode, LH_MODE_SHARED);
	UNLOCK(t, b);
	UNLOCK(t, a);
	/* same locks and call sites, other modes: another context */
	acquire(t, a, LH_LOCK_RWLOCK, 0, 1);
	acquire(t, b, LH_LOCK_RWLOCK, LH_ACQ_SHARED, 2);
	CU_ASSERT_EQUAL_FATAL(n_edges, 2);
	CU_ASSERT_EQUAL(edges[1].e.from_mode, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(edges[1].e.to_mode, LH_MODE_SHARED);
	free(t);
}

/* lock_pair(a, b) once under a gate g and once without it: two contexts;
 * the one without the gate is what makes a cycle with another thread's
 * g, b, a possible, so it must not be folded into the gated one */
static void test_gate_set_in_key(void)
{
	struct lh_thread *t = thread(6);
	void *g = new_lock(LH_LOCK_MUTEX, 0), *a = new_lock(LH_LOCK_MUTEX, 0);
	void *b = new_lock(LH_LOCK_MUTEX, 0);
	int i;

	fresh();
	LOCK(t, g, 0x10);
	LOCK(t, a, 0x20);
	LOCK(t, b, 0x30);
	CU_ASSERT_EQUAL(n_edges, 3); /* g->a, g->b, a->b */
	CU_ASSERT_EQUAL(n_edges_between(a, b), 1);
	for (i = 0; i < n_edges; i++)
		if (edges[i].e.from_lock == id_of(a)) {
			CU_ASSERT_EQUAL(edges[i].e.n_gates, 1);
			CU_ASSERT_EQUAL(edges[i].gates[0].lock_id, id_of(g));
			CU_ASSERT_EQUAL(edges[i].gates[0].mode, LH_MODE_EXCL);
			CU_ASSERT(written(id_of(g), edges[i].n_locks_before));
		}
	UNLOCK(t, b);
	UNLOCK(t, a);
	UNLOCK(t, g);
	LOCK(t, a, 0x20); /* the same call sites, no gate */
	LOCK(t, b, 0x30);
	CU_ASSERT_EQUAL(n_edges_between(a, b), 2);
	CU_ASSERT_EQUAL(edges[n_edges - 1].e.n_gates, 0);
	free(t);
}

/* a gate set is a set: the order its locks were taken in is not part of it */
static void test_gate_order_does_not_matter(void)
{
	struct lh_thread *t = thread(7);
	void *g1 = new_lock(LH_LOCK_MUTEX, 0), *g2 = new_lock(LH_LOCK_MUTEX, 0);
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);

	fresh();
	LOCK(t, g1, 1);
	LOCK(t, g2, 2);
	LOCK(t, a, 3);
	LOCK(t, b, 4);
	CU_ASSERT_EQUAL(n_edges_between(a, b), 1);
	UNLOCK(t, b);
	UNLOCK(t, a);
	UNLOCK(t, g2);
	UNLOCK(t, g1);
	LOCK(t, g2, 2);
	LOCK(t, g1, 1);
	LOCK(t, a, 3);
	LOCK(t, b, 4);
	CU_ASSERT_EQUAL(n_edges_between(a, b), 1);
	CU_ASSERT_EQUAL(n_edges_between(g2, g1), 1);
	/* and the key itself */
	CU_ASSERT_NOT_EQUAL(lh_edge_key(1, 2, 0, 0, 3, 4, 0), lh_edge_key(1, 2, 0, 0, 3, 4, 5));
	CU_ASSERT_NOT_EQUAL(lh_edge_key(1, 2, 0, 0, 3, 4, 0), lh_edge_key(2, 1, 0, 0, 3, 4, 0));
	CU_ASSERT_NOT_EQUAL(lh_edge_key(1, 2, 0, 0, 3, 4, 0), lh_edge_key(1, 2, 1, 0, 3, 4, 0));
	CU_ASSERT_NOT_EQUAL(lh_edge_key(1, 2, 0, 0, 3, 4, 0), lh_edge_key(1, 2, 0, 0, 4, 3, 0));
	CU_ASSERT_EQUAL(lh_edge_key(1, 2, 0, 0, 3, 4, 9) & 1, 1); /* never 0, the empty key */
	free(t);
}

static void test_threads_per_context(void)
{
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);
	int i;

	fresh();
	for (i = 0; i < LH_THREADS_PER_EDGE + 3; i++) {
		struct lh_thread *t = thread(100 + (uint32_t)i);
		LOCK(t, a, 1);
		LOCK(t, b, 2);
		free(t);
	}
	CU_ASSERT_EQUAL(n_edges_between(a, b), LH_THREADS_PER_EDGE);
}

/* Each thread records a context once, also when its own cache has forgotten
 * it (a new struct with the same id starts with an empty cache), and a
 * thread id too large for a slot of the packed value counts the same way:
 * two threads, so the context's slots never fill up. */
static void test_threads_per_context_remembered(void)
{
	static const uint32_t small[] = { 7, 0xfffe, 7, 0xfffe, 7 };
	static const uint32_t large[] = { 0xffff, 70000, 0xffff, 70000, 70000 };
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);
	void *c = new_lock(LH_LOCK_MUTEX, 0), *d = new_lock(LH_LOCK_MUTEX, 0);
	size_t i;

	fresh();
	for (i = 0; i < N_OF(small); i++) {
		struct lh_thread *t = thread(small[i]);
		LOCK(t, a, 1);
		LOCK(t, b, 2);
		free(t);
	}
	CU_ASSERT_EQUAL(n_edges_between(a, b), 2);
	for (i = 0; i < N_OF(large); i++) {
		struct lh_thread *t = thread(large[i]);
		LOCK(t, c, 3);
		LOCK(t, d, 4);
		free(t);
	}
	CU_ASSERT_EQUAL(n_edges_between(c, d), 2);
}

/* the self-deadlock rule, for every lock kind (docs/DESIGN.md section 6) */
static int self_blocks(int kind, uint32_t lflags, int held_flags, int flags)
{
	struct lh_thread *t = thread(8);
	void *l = new_lock(kind, lflags);
	struct lh_acq a;
	int r;

	acquire(t, l, kind, held_flags, 1);
	a = acq_of(l, kind, flags, lflags, 2);
	r = lh_edge_self_blocks(t, &a);
	free(t);
	return r;
}

static void test_self_deadlock_rules(void)
{
	struct lh_thread *t = thread(9);
	void *l = new_lock(LH_LOCK_MUTEX, 0);
	struct lh_acq a = acq_of(l, LH_LOCK_MUTEX, 0, 0, 1);

	fresh();
	CU_ASSERT_FALSE(lh_edge_self_blocks(t, &a)); /* not held: an ordinary wait */
	free(t);
	CU_ASSERT_TRUE(self_blocks(LH_LOCK_MUTEX, 0, 0, 0));
	CU_ASSERT_FALSE(self_blocks(LH_LOCK_MUTEX, LH_LOCKF_ERRORCHECK, 0, 0)); /* EDEADLK */
	CU_ASSERT_FALSE(self_blocks(LH_LOCK_MUTEX, LH_LOCKF_RECURSIVE, 0, 0));
	CU_ASSERT_FALSE(self_blocks(LH_LOCK_MUTEX, 0, 0, LH_ACQ_TIMED)); /* ends by itself */
	CU_ASSERT_TRUE(self_blocks(LH_LOCK_C11_MTX, 0, 0, 0));
	CU_ASSERT_FALSE(self_blocks(LH_LOCK_C11_MTX, LH_LOCKF_RECURSIVE, 0, 0));
	CU_ASSERT_FALSE(self_blocks(LH_LOCK_C11_MTX, 0, 0, LH_ACQ_TIMED));
	CU_ASSERT_TRUE(self_blocks(LH_LOCK_SPIN, 0, 0, 0));
	/* rwlock: read-held, then a write lock: blocks forever */
	CU_ASSERT_TRUE(self_blocks(LH_LOCK_RWLOCK, 0, LH_ACQ_SHARED, 0));
	CU_ASSERT_TRUE(self_blocks(LH_LOCK_RWLOCK, LH_LOCKF_WRITER_PREF, LH_ACQ_SHARED, 0));
	CU_ASSERT_FALSE(self_blocks(LH_LOCK_RWLOCK, 0, LH_ACQ_SHARED, LH_ACQ_TIMED));
	/* write-held, then a read or a write lock: glibc says EDEADLK */
	CU_ASSERT_FALSE(self_blocks(LH_LOCK_RWLOCK, 0, 0, LH_ACQ_SHARED));
	CU_ASSERT_FALSE(self_blocks(LH_LOCK_RWLOCK, 0, 0, 0));
	/* read-held, read again: a nested read lock */
	CU_ASSERT_FALSE(self_blocks(LH_LOCK_RWLOCK, 0, LH_ACQ_SHARED, LH_ACQ_SHARED));
	/* annotated locks: the shim knows nothing of their type */
	CU_ASSERT_FALSE(self_blocks(LH_LOCK_USER, 0, 0, 0));
}

static void test_held_limit(void)
{
	struct lh_thread *t = thread(10);
	void *l[LH_MAX_HELD + 2];
	int i;

	fresh();
	for (i = 0; i < LH_MAX_HELD + 2; i++)
		l[i] = new_lock(LH_LOCK_MUTEX, 0);
	for (i = 0; i < LH_MAX_HELD; i++)
		CU_ASSERT_EQUAL(acquire(t, l[i], LH_LOCK_MUTEX, LH_ACQ_TRY, 1), LH_ACQ_PUSHED);
	CU_ASSERT_EQUAL(stub_notes_with("more than 64 locks"), 0);
	CU_ASSERT_EQUAL(acquire(t, l[LH_MAX_HELD], LH_LOCK_MUTEX, LH_ACQ_TRY, 1), LH_ACQ_UNTRACKED);
	CU_ASSERT_EQUAL(acquire(t, l[LH_MAX_HELD + 1], LH_LOCK_MUTEX, LH_ACQ_TRY, 1), LH_ACQ_UNTRACKED);
	CU_ASSERT_EQUAL(stub_notes_with("more than 64 locks"), 1);
	CU_ASSERT_EQUAL(t->n_held, LH_MAX_HELD);
	CU_ASSERT_EQUAL(lh_held_release(t, l[LH_MAX_HELD + 1]), LH_REL_OVERFLOW);
	CU_ASSERT_EQUAL(lh_held_release(t, l[LH_MAX_HELD]), LH_REL_OVERFLOW);
	CU_ASSERT_EQUAL(lh_held_release(t, l[LH_MAX_HELD]), LH_REL_NOT_HELD);
	free(t);
}

/* more other locks held than a gate set records: the edge keeps
 * LH_MAX_GATES of them and the log says so, once */
static void test_gate_limit_noted(void)
{
	struct lh_thread *t = thread(11);
	void *l[LH_MAX_GATES + 3];
	int i, n = LH_MAX_GATES + 2; /* n held: LH_MAX_GATES + 1 gates per edge */

	fresh();
	for (i = 0; i <= n; i++)
		l[i] = new_lock(LH_LOCK_MUTEX, 0);
	for (i = 0; i < n; i++)
		acquire(t, l[i], LH_LOCK_MUTEX, LH_ACQ_TRY, (uintptr_t)i + 1);
	CU_ASSERT_EQUAL(n_edges, 0);
	CU_ASSERT_EQUAL(stub_notes_with("gate set"), 0);
	LOCK(t, l[n], 0x99);
	CU_ASSERT_EQUAL_FATAL(n_edges, n);
	for (i = 0; i < n_edges; i++)
		CU_ASSERT_EQUAL(edges[i].e.n_gates, LH_MAX_GATES);
	CU_ASSERT_EQUAL(stub_notes_with("gate set"), 1);
	free(t);
}

/* exactly LH_MAX_GATES gates: all recorded, nothing to say */
static void test_gates_at_limit_not_noted(void)
{
	struct lh_thread *t = thread(12);
	void *l[LH_MAX_GATES + 2];
	int i, n = LH_MAX_GATES + 1;

	fresh();
	for (i = 0; i <= n; i++)
		l[i] = new_lock(LH_LOCK_MUTEX, 0);
	for (i = 0; i < n; i++)
		acquire(t, l[i], LH_LOCK_MUTEX, LH_ACQ_TRY, (uintptr_t)i + 1);
	LOCK(t, l[n], 0x99);
	CU_ASSERT_EQUAL_FATAL(n_edges, n);
	CU_ASSERT_EQUAL(edges[0].e.n_gates, LH_MAX_GATES);
	CU_ASSERT_EQUAL(stub_notes_with("gate set"), 0);
	free(t);
}

/* one edge a -> b taken under LH_CTX_KINDS_PER_EDGE + 1 different gates:
 * more kinds of context than the analyzer tries; noted once */
static void test_context_kinds_noted(void)
{
	struct lh_thread *t = thread(13);
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);
	int i;

	fresh();
	for (i = 0; i < LH_CTX_KINDS_PER_EDGE + 2; i++) {
		void *g = new_lock(LH_LOCK_MUTEX, 0);
		if (i == LH_CTX_KINDS_PER_EDGE)
			CU_ASSERT_EQUAL(stub_notes_with("kinds of context"), 0);
		acquire(t, g, LH_LOCK_MUTEX, LH_ACQ_TRY, 1);
		LOCK(t, a, 2);
		LOCK(t, b, 3);
		UNLOCK(t, b);
		UNLOCK(t, a);
		UNLOCK(t, g);
	}
	CU_ASSERT_EQUAL(n_edges_between(a, b), LH_CTX_KINDS_PER_EDGE + 2); /* all recorded */
	CU_ASSERT_EQUAL(stub_notes_with("kinds of context"), 1);
	/* noted once per process: nothing more is counted, the sets are empty */
	CU_ASSERT_EQUAL(lh_edge_kinds_keys(), 0);
	for (i = 0; i < 8; i++) {
		void *g = new_lock(LH_LOCK_MUTEX, 0);
		acquire(t, g, LH_LOCK_MUTEX, LH_ACQ_TRY, 1);
		LOCK(t, a, 2);
		LOCK(t, b, 3);
		UNLOCK(t, b);
		UNLOCK(t, a);
		UNLOCK(t, g);
	}
	CU_ASSERT_EQUAL(n_edges_between(a, b), LH_CTX_KINDS_PER_EDGE + 10); /* still recorded */
	CU_ASSERT_EQUAL(lh_edge_kinds_keys(), 0);
	CU_ASSERT_EQUAL(stub_notes_with("kinds of context"), 1);
	free(t);
}

/* a forked child's log starts empty: contexts and LOCK records again */
static void test_after_fork(void)
{
	struct lh_thread *t = thread(14);
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);

	fresh();
	LOCK(t, a, 1);
	LOCK(t, b, 2);
	UNLOCK(t, b);
	UNLOCK(t, a);
	CU_ASSERT_EQUAL(n_edges, 1);
	fresh();
	LOCK(t, a, 1);
	LOCK(t, b, 2);
	CU_ASSERT_EQUAL_FATAL(n_edges, 1);
	CU_ASSERT(written(id_of(a), edges[0].n_locks_before));
	CU_ASSERT(written(id_of(b), edges[0].n_locks_before));
	free(t);
}

/* a LOCK record for every identity an edge names, even when the slot's
 * previous identity was written in this log already */
static void test_lock_record_per_identity(void)
{
	struct lh_thread *t = thread(15);
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);
	struct lh_lock *lb = lh_lid_lookup((uintptr_t)b, 0);

	fresh();
	LOCK(t, a, 1);
	LOCK(t, b, 2);
	UNLOCK(t, b);
	lh_lid_end(lb); /* destroy b; m = PTHREAD_MUTEX_INITIALIZER; lock again */
	LOCK(t, b, 3);
	CU_ASSERT_EQUAL_FATAL(n_edges, 2);
	CU_ASSERT_NOT_EQUAL(edges[0].e.to_lock, edges[1].e.to_lock);
	CU_ASSERT(written(edges[1].e.to_lock, edges[1].n_locks_before));
	free(t);
}

/* the return addresses the trace finds: a frame of the shim, then the
 * acquiring call's ra, then trace_callers */
static uintptr_t trace_callers[2] = { 0x5000, 0x6000 };
static uintptr_t trace_ra = 0x200; /* the acquiring call's */

static int io_trace(uintptr_t *ips, int max, uintptr_t ra, uintptr_t cfa)
{
	(void)ra;
	(void)cfa;
	CU_ASSERT_FATAL(max >= 4);
	ips[0] = 0x1; /* inside the shim: not part of the path */
	ips[1] = trace_ra;
	ips[2] = trace_callers[0];
	ips[3] = trace_callers[1];
	return 4;
}

static const struct lh_edge_io io_traced = { io_unwind, io_stack_of, io_write_lock, io_write_edge,
	                                     io_now, io_trace, NULL, NULL, NULL, NULL, NULL, NULL, NULL };

static void pair_at(const struct lh_edge_io *use, struct lh_thread *t, void *a, void *b,
                    uintptr_t cfa_a, uintptr_t cfa_b)
{
	struct lh_acq qa = acq_of(a, LH_LOCK_MUTEX, 0, 0, 0x100);
	struct lh_acq qb = acq_of(b, LH_LOCK_MUTEX, 0, 0, 0x200);
	struct lh_lock *la = lh_lid_get(t, a), *lb = lh_lid_get(t, b);

	qa.cfa = cfa_a;
	qb.cfa = cfa_b;
	lh_edge_acquired(use, t, la, lh_lid_id(la, LH_LOCK_MUTEX, 0), &qa);
	lh_edge_acquired(use, t, lb, lh_lid_id(lb, LH_LOCK_MUTEX, 0), &qb);
	UNLOCK(t, b);
	UNLOCK(t, a);
}

/* New pairs of lock instances on call paths already unwound reuse their
 * stacks: one unwind per acquiring path (its return addresses) and held
 * call (its ra and its distance from the acquiring frame), shared by
 * threads; other callers or another distance unwind again; without a
 * trace every new edge unwinds; a forked child unwinds again. */
static void test_stacks_per_call_path(void)
{
	struct lh_thread *t = thread(16), *u = thread(17);
	void *l[10];
	int i;

	for (i = 0; i < 10; i++)
		l[i] = new_lock(LH_LOCK_MUTEX, 0);
	fresh();
	real_unwinds = 1;
	pair_at(&io_traced, t, l[0], l[1], 0x7100, 0x7000);
	CU_ASSERT_EQUAL_FATAL(n_edges, 1);
	CU_ASSERT_EQUAL(n_unwinds, 1);
	pair_at(&io_traced, t, l[2], l[3], 0x7100, 0x7000); /* new locks, same paths */
	CU_ASSERT_EQUAL_FATAL(n_edges, 2);
	CU_ASSERT_EQUAL(n_unwinds, 1);
	CU_ASSERT_EQUAL(edges[1].e.from_stack, edges[0].e.from_stack);
	CU_ASSERT_EQUAL(edges[1].e.to_stack, edges[0].e.to_stack);
	CU_ASSERT_EQUAL(edges[1].e.from_lock, id_of(l[2]));
	CU_ASSERT_EQUAL(edges[1].e.to_lock, id_of(l[3]));
	/* another thread, its stack elsewhere, the same paths */
	pair_at(&io_traced, u, l[4], l[5], 0x9100, 0x9000);
	CU_ASSERT_EQUAL_FATAL(n_edges, 3);
	CU_ASSERT_EQUAL(n_unwinds, 1);
	CU_ASSERT_EQUAL(edges[2].e.to_stack, edges[0].e.to_stack);
	CU_ASSERT_EQUAL(edges[2].e.thread_id, 17);
	/* the same call sites reached from another caller */
	trace_callers[1] = 0x6100;
	pair_at(&io_traced, t, l[4], l[6], 0x7100, 0x7000);
	CU_ASSERT_EQUAL_FATAL(n_edges, 4);
	CU_ASSERT_EQUAL(n_unwinds, 2);
	CU_ASSERT_NOT_EQUAL(edges[3].e.to_stack, edges[0].e.to_stack);
	trace_callers[1] = 0x6000;
	/* the held lock taken in another frame */
	pair_at(&io_traced, t, l[0], l[7], 0x7200, 0x7000);
	CU_ASSERT_EQUAL_FATAL(n_edges, 5);
	CU_ASSERT_EQUAL(n_unwinds, 3);
	CU_ASSERT_NOT_EQUAL(edges[4].e.from_stack, edges[0].e.from_stack);
	/* no trace: every new edge unwinds */
	pair_at(&io, t, l[8], l[9], 0x7100, 0x7000);
	pair_at(&io, t, l[1], l[8], 0x7100, 0x7000);
	CU_ASSERT_EQUAL(n_edges, 7);
	CU_ASSERT_EQUAL(n_unwinds, 5);
	/* a forked child's log has none of the parent's stacks */
	fresh();
	real_unwinds = 1;
	pair_at(&io_traced, t, l[5], l[6], 0x7100, 0x7000);
	CU_ASSERT_EQUAL(n_edges, 1);
	CU_ASSERT_EQUAL(n_unwinds, 1);
	real_unwinds = 0;
	free(t);
	free(u);
}

/* the compact records (format 4), as written */
static struct lh_rec_edge_ctx ctxs_seen[64];
static int n_ctxs;
static uint32_t ctx_gate_modes[64][LH_MAX_GATES];
static struct lh_rec_edge_pair pairs_seen[64];
static uint32_t pair_gates[64][LH_MAX_GATES];
static int pair_n_gates[64];
static int n_pairs;
static int pair_locks_before[64];

static void io_write_edge_ctx(struct lh_thread *t, const struct lh_rec_edge_ctx *c,
                              const uint32_t *gate_modes)
{
	CU_ASSERT_EQUAL(c->thread_id, t->id);
	CU_ASSERT_FATAL(c->n_gates <= LH_MAX_GATES);
	if (n_ctxs < (int)N_OF(ctxs_seen)) {
		memcpy(ctx_gate_modes[n_ctxs], gate_modes, c->n_gates * sizeof(uint32_t));
		ctxs_seen[n_ctxs++] = *c;
	}
}

static long n_pair_writes; /* all of them, also past pairs_seen[] */

static void io_write_edge_pair(const struct lh_rec_edge_pair *p, const uint32_t *gate_locks, int n)
{
	n_pair_writes++;
	if (n_pairs < (int)N_OF(pairs_seen)) {
		pair_locks_before[n_pairs] = n_locks_written;
		memcpy(pair_gates[n_pairs], gate_locks, (size_t)n * sizeof(uint32_t));
		pair_n_gates[n_pairs] = n;
		pairs_seen[n_pairs++] = *p;
	}
}

/* the context of pair record k */
static const struct lh_rec_edge_ctx *ctx_of_pair(int k)
{
	int i;
	for (i = n_ctxs - 1; i >= 0; i--)
		if (ctxs_seen[i].ctx_id == pairs_seen[k].ctx_id)
			return &ctxs_seen[i];
	CU_FAIL("a pair record before its context");
	return &ctxs_seen[0];
}

static const struct lh_edge_io io_compact = { io_unwind, io_stack_of, io_write_lock, io_write_edge,
	                                      io_now, io_trace, NULL, io_write_edge_ctx,
	                                      io_write_edge_pair, NULL, NULL, NULL, NULL };

/* three locks at three call sites, each frame 16 bytes inside the last */
static void chain3(struct lh_thread *t, void *x, void *y, void *z)
{
	void *ls[3] = { x, y, z };
	int i;

	for (i = 0; i < 3; i++) {
		struct lh_acq q = acq_of(ls[i], LH_LOCK_MUTEX, 0, 0, 0x300 + 16 * (uintptr_t)i);
		struct lh_lock *lx = lh_lid_get(t, ls[i]);
		q.cfa = 0x7100 - 16 * (uintptr_t)i;
		trace_ra = q.ra;
		lh_edge_acquired(&io_compact, t, lx, lh_lid_id(lx, LH_LOCK_MUTEX, 0), &q);
	}
	trace_ra = 0x200;
	UNLOCK(t, z);
	UNLOCK(t, y);
	UNLOCK(t, x);
}

/* Edges are written as pair records in a context: the first edge at a
 * pair of call paths unwinds and writes its context; a new pair of
 * instances at paths seen before writes only a pair record (no unwind, no
 * new context, no new stack); another thread or other callers is a new
 * context; an edge with gates has their ids in its pair and their modes
 * in its context; a new log (epoch) or a forked child writes the context
 * again. */
static void test_compact_pairs(void)
{
	struct lh_thread *t = thread(21), *u = thread(22);
	void *l[12], *g;
	int i, c0, u0;

	for (i = 0; i < 12; i++)
		l[i] = new_lock(LH_LOCK_MUTEX, 0);
	g = new_lock(LH_LOCK_MUTEX, 0);
	fresh();
	n_ctxs = n_pairs = 0;
	real_unwinds = 1;
	pair_at(&io_compact, t, l[0], l[1], 0x7100, 0x7000);
	CU_ASSERT_EQUAL(n_edges, 0); /* no whole edge record */
	CU_ASSERT_EQUAL_FATAL(n_ctxs, 1);
	CU_ASSERT_EQUAL_FATAL(n_pairs, 1);
	CU_ASSERT_EQUAL(n_unwinds, 1);
	CU_ASSERT_NOT_EQUAL(ctxs_seen[0].ctx_id, 0);
	CU_ASSERT_EQUAL(ctxs_seen[0].thread_id, 21);
	CU_ASSERT_EQUAL(ctxs_seen[0].time_ns, 42);
	CU_ASSERT_EQUAL(ctxs_seen[0].n_gates, 0);
	CU_ASSERT_EQUAL(pairs_seen[0].ctx_id, ctxs_seen[0].ctx_id);
	CU_ASSERT_EQUAL(pairs_seen[0].from_lock, id_of(l[0]));
	CU_ASSERT_EQUAL(pairs_seen[0].to_lock, id_of(l[1]));
	/* both locks' records come before the pair that names them */
	CU_ASSERT(written(id_of(l[0]), pair_locks_before[0]));
	CU_ASSERT(written(id_of(l[1]), pair_locks_before[0]));
	/* seen context: new instances, no unwind, no new context */
	pair_at(&io_compact, t, l[2], l[3], 0x7100, 0x7000);
	pair_at(&io_compact, t, l[1], l[2], 0x7100, 0x7000);
	CU_ASSERT_EQUAL(n_unwinds, 1);
	CU_ASSERT_EQUAL(n_ctxs, 1);
	CU_ASSERT_EQUAL_FATAL(n_pairs, 3);
	CU_ASSERT_EQUAL(pairs_seen[1].ctx_id, ctxs_seen[0].ctx_id);
	CU_ASSERT_EQUAL(pairs_seen[1].from_lock, id_of(l[2]));
	CU_ASSERT_EQUAL(pairs_seen[1].to_lock, id_of(l[3]));
	CU_ASSERT_EQUAL(pairs_seen[2].from_lock, id_of(l[1]));
	/* a pair seen before: nothing at all */
	pair_at(&io_compact, t, l[2], l[3], 0x7100, 0x7000);
	CU_ASSERT_EQUAL(n_pairs, 3);
	/* another thread at the same paths: its own context, same stacks */
	pair_at(&io_compact, u, l[4], l[5], 0x9100, 0x9000);
	CU_ASSERT_EQUAL_FATAL(n_ctxs, 2);
	CU_ASSERT_EQUAL(n_unwinds, 1);
	CU_ASSERT_EQUAL(ctxs_seen[1].thread_id, 22);
	CU_ASSERT_EQUAL(ctxs_seen[1].to_stack, ctxs_seen[0].to_stack);
	CU_ASSERT_NOT_EQUAL(ctxs_seen[1].ctx_id, ctxs_seen[0].ctx_id);
	CU_ASSERT_EQUAL_FATAL(n_pairs, 4);
	CU_ASSERT_EQUAL(pairs_seen[3].ctx_id, ctxs_seen[1].ctx_id);
	/* new context: the same call sites from another caller unwind again */
	trace_callers[1] = 0x6100;
	pair_at(&io_compact, t, l[4], l[6], 0x7100, 0x7000);
	trace_callers[1] = 0x6000;
	CU_ASSERT_EQUAL(n_unwinds, 2);
	CU_ASSERT_EQUAL_FATAL(n_ctxs, 3);
	CU_ASSERT_NOT_EQUAL(ctxs_seen[2].to_stack, ctxs_seen[0].to_stack);
	CU_ASSERT_EQUAL(pairs_seen[4].ctx_id, ctxs_seen[2].ctx_id);
	/* gates: the edges into l[8] under l[7] and g are pairs in contexts
	 * with one gate each, the gates' ids in the pairs, their modes in
	 * the contexts */
	chain3(t, g, l[7], l[8]);
	CU_ASSERT_EQUAL(n_edges, 0);
	CU_ASSERT_EQUAL_FATAL(n_pairs, 8);
	CU_ASSERT_EQUAL(pair_n_gates[5], 0); /* g -> l[7] */
	CU_ASSERT_EQUAL(pair_n_gates[6], 1);
	CU_ASSERT_EQUAL(pair_n_gates[7], 1);
	CU_ASSERT_EQUAL(pairs_seen[6].from_lock, id_of(g));
	CU_ASSERT_EQUAL(pairs_seen[6].to_lock, id_of(l[8]));
	CU_ASSERT_EQUAL(pair_gates[6][0], id_of(l[7]));
	CU_ASSERT_EQUAL(pairs_seen[7].from_lock, id_of(l[7]));
	CU_ASSERT_EQUAL(pair_gates[7][0], id_of(g));
	CU_ASSERT_EQUAL(ctx_of_pair(6)->n_gates, 1);
	CU_ASSERT_EQUAL(ctx_of_pair(7)->n_gates, 1);
	CU_ASSERT_EQUAL(ctx_gate_modes[n_ctxs - 1][0], LH_MODE_EXCL);
	CU_ASSERT(written(id_of(l[7]), pair_locks_before[7]));
	CU_ASSERT(written(id_of(g), pair_locks_before[7]));
	/* the same three call paths over new instances: pairs only */
	c0 = n_ctxs;
	u0 = n_unwinds;
	chain3(t, l[9], l[10], l[11]);
	CU_ASSERT_EQUAL(n_ctxs, c0);
	CU_ASSERT_EQUAL(n_unwinds, u0);
	CU_ASSERT_EQUAL_FATAL(n_pairs, 11);
	CU_ASSERT_EQUAL(pairs_seen[10].ctx_id, pairs_seen[7].ctx_id);
	CU_ASSERT_EQUAL(pair_gates[10][0], id_of(l[9]));
	/* a new log: the context is written again before its next pair */
	lh_log_epoch++;
	pair_at(&io_compact, t, l[5], l[7], 0x7100, 0x7000);
	CU_ASSERT_EQUAL_FATAL(n_ctxs, c0 + 1);
	CU_ASSERT_EQUAL(ctxs_seen[c0].to_stack, ctxs_seen[0].to_stack);
	CU_ASSERT_EQUAL(pairs_seen[n_pairs - 1].ctx_id, ctxs_seen[c0].ctx_id);
	/* a forked child: contexts again, and its stacks (one unwind) */
	fresh();
	n_unwinds = 0;
	pair_at(&io_compact, t, l[10], l[11], 0x7100, 0x7000);
	CU_ASSERT_EQUAL(n_unwinds, 1);
	CU_ASSERT_EQUAL(n_ctxs, c0 + 2);
	CU_ASSERT_EQUAL(pairs_seen[n_pairs - 1].ctx_id, ctxs_seen[n_ctxs - 1].ctx_id);
	real_unwinds = 0;
	free(t);
	free(u);
}

/* A thread that keeps missing its cache on contexts recorded already
 * grows its cache (4x, up to LH_EDGE_CACHE_MAX); one that only forms new
 * contexts does not; nothing is recorded twice; a recycled-looking reset
 * (new epoch) clears the grown cache. */
static void test_edge_cache_grows(void)
{
	struct lh_thread *t = thread(19);
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);
	int k, r, n0;
	long w0;

	fresh();
	w0 = n_edge_writes;
	/* 2048 new contexts (a taken at 2048 call sites, then b): new, so no
	 * growth */
	for (k = 0; k < 2048; k++) {
		LOCK(t, a, 0x10000 + 16 * k);
		LOCK(t, b, 0x200);
		UNLOCK(t, b);
		UNLOCK(t, a);
	}
	CU_ASSERT_EQUAL_FATAL(n_edge_writes - w0, 2048);
	CU_ASSERT_EQUAL(t->edge_mask, LH_EDGE_CACHE - 1);
	CU_ASSERT_PTR_EQUAL(t->edge_cache, t->edge_cache0);
	/* the same contexts again and again: most miss the small cache */
	for (r = 0; r < 8; r++)
		for (k = 0; k < 2048; k++) {
			LOCK(t, a, 0x10000 + 16 * k);
			LOCK(t, b, 0x200);
			UNLOCK(t, b);
			UNLOCK(t, a);
		}
	CU_ASSERT(t->edge_mask + 1 > LH_EDGE_CACHE);
	CU_ASSERT(t->edge_mask + 1 <= LH_EDGE_CACHE_MAX);
	CU_ASSERT_EQUAL(n_edge_writes - w0, 2048);
	/* once grown, repeating them finds most in the cache (the small one
	 * missed about 1 - 1/(4e) of them) */
	n0 = (int)t->known_misses;
	for (k = 0; k < 2048; k++) {
		LOCK(t, a, 0x10000 + 16 * k);
		LOCK(t, b, 0x200);
		UNLOCK(t, b);
		UNLOCK(t, a);
	}
	CU_ASSERT((int)t->known_misses - n0 < 2048 / 3);
	CU_ASSERT_EQUAL(n_edge_writes - w0, 2048);
	free(t);
}

/* Enough contexts that the global sets replace tables of a MiB and more
 * (whose memory then goes back): every context is still known after the
 * growth, none recorded twice. */
static void test_large_sets_keep_contexts(void)
{
	struct lh_thread *t = thread(20);
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);
	long w0, k, n = 70000;

	fresh();
	w0 = n_edge_writes;
	for (k = 0; k < n; k++) {
		LOCK(t, a, 0x100000 + 16 * (uintptr_t)k);
		LOCK(t, b, 0x200);
		UNLOCK(t, b);
		UNLOCK(t, a);
	}
	CU_ASSERT_EQUAL_FATAL(n_edge_writes - w0, n);
	lh_log_epoch++; /* the thread's cache forgets; the global sets must not */
	for (k = 0; k < n; k++) {
		LOCK(t, a, 0x100000 + 16 * (uintptr_t)k);
		LOCK(t, b, 0x200);
		UNLOCK(t, b);
		UNLOCK(t, a);
	}
	CU_ASSERT_EQUAL(n_edge_writes - w0, n);
	free(t);
}

/* a lock initialized at the call path with stack id `stack` (its class) */
static void *new_lock_of(uint32_t stack)
{
	void *p = new_lock(LH_LOCK_MUTEX, 0);

	lh_lid_new(lh_lid_lookup((uintptr_t)p, 1), LH_LOCK_MUTEX, 0, stack);
	return p;
}

/* ---- class maps as records (LH_REC_CLS_MAP, LH_REC_CLS_MEMBER) ----
 * (orders outside maps are written whole: edges[] has them)
 * io_maps hands out a zeroed buffer per map segment (the shim's: a page
 * of the log mapped on its own) and keeps every one, also after the
 * thread lets go of it (io_unmap), so the bits set over a test are
 * counted; maps_fail: no segment can be mapped (a log written by writev). */
struct seg_seen {
	struct lh_rec_cls_map r;
	unsigned char *bits;
	size_t n_bytes;
	int n_locks_before; /* LOCK records written before the segment */
};
static struct seg_seen segs[256];
static int n_segs, maps_fail, n_unmaps, n_map_tries;
static struct lh_rec_cls_member members[16384];
static int n_members;

static void io_write_member(const struct lh_rec_cls_member *r)
{
	if (n_members < (int)N_OF(members))
		members[n_members++] = *r;
}

static void *io_map_bits(struct lh_rec_cls_map *r, size_t n_bytes)
{
	n_map_tries++;
	if (maps_fail || n_segs == (int)N_OF(segs))
		return NULL;
	r->bits_off = 4096 - 8;
	segs[n_segs].r = *r;
	segs[n_segs].bits = calloc(1, n_bytes);
	segs[n_segs].n_bytes = n_bytes;
	segs[n_segs].n_locks_before = n_locks_written;
	CU_ASSERT_PTR_NOT_NULL_FATAL(segs[n_segs].bits);
	return segs[n_segs++].bits;
}

/* class tuples: kept as the segments are */
static struct {
	struct lh_rec_cls_tuple r;
	unsigned char *bits;
} tups[64];
static int n_tups;

static void *io_map_tuple(struct lh_rec_cls_tuple *r, size_t n_bytes)
{
	if (maps_fail || n_tups == (int)N_OF(tups))
		return NULL;
	r->bits_off = 4096 - 8;
	tups[n_tups].r = *r;
	tups[n_tups].bits = calloc(1, n_bytes);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tups[n_tups].bits);
	return tups[n_tups++].bits;
}

/* forget the tuple segments of an earlier test (io_unmap keeps them, for
 * the test to read) */
static void fresh_tuples(void)
{
	while (n_tups > 0)
		free(tups[--n_tups].bits);
}

static void io_unmap(void *bits, size_t n_bytes)
{
	(void)bits;
	(void)n_bytes;
	n_unmaps++;
}

static const struct lh_edge_io io_maps = { io_unwind,       io_stack_of, io_write_lock,
	                                   io_write_edge,   io_now,      NULL,
	                                   NULL,            io_write_edge_ctx, NULL,
	                                   io_write_member, io_map_bits, io_unmap,
	                                   io_map_tuple };

/* the member record of (class, index), or NULL */
static const struct lh_rec_cls_member *member(uint32_t cls, uint32_t idx)
{
	int i;
	for (i = n_members - 1; i >= 0; i--)
		if (members[i].cls == cls && members[i].idx == idx)
			return &members[i];
	return NULL;
}

/* bits set in all segments; with thread id tid only (0: any) */
static long map_bits(uint32_t tid)
{
	long n = 0;
	int i, j;

	for (i = 0; i < n_segs; i++) {
		const struct lh_rec_edge_ctx *c = NULL;
		for (j = n_ctxs - 1; j >= 0; j--)
			if (ctxs_seen[j].ctx_id == segs[i].r.ctx_id)
				c = &ctxs_seen[j];
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		if (tid && c->thread_id != tid)
			continue;
		for (size_t b = 0; b < segs[i].n_bytes; b++)
			n += __builtin_popcount(segs[i].bits[b]);
	}
	return n;
}

/* does a set bit stand for the order a -> b (through the member records)? */
static int map_has(void *a, void *b)
{
	int i;
	for (i = 0; i < n_segs; i++) {
		const struct seg_seen *g = &segs[i];
		for (size_t bit = 0; bit < g->n_bytes * 8; bit++) {
			const struct lh_rec_cls_member *f, *to;
			if (!(g->bits[bit / 8] & (1u << (bit % 8))))
				continue;
			f = member(g->r.from_cls, (uint32_t)(bit % g->r.n_from));
			to = member(g->r.to_cls, g->r.row0 + (uint32_t)(bit / g->r.n_from));
			if (f && to && f->lock_id == id_of(a) && to->lock_id == id_of(b))
				return 1;
		}
	}
	return 0;
}

/* orders recorded: edge records, pair records and map bits */
#define RECORDED() (n_edge_writes + n_pair_writes + map_bits(0))

static void fresh_maps(void)
{
	fresh();
	cur_io = &io_maps;
	n_pairs = 0;
	maps_fail = 0;
}

#define ITEMS 64
#define LRUS 4

/* every item-then-LRU pair once, in a scrambled order */
static void item_lru_round(struct lh_thread *t, void **item, void **lru)
{
	int k;

	for (k = 0; k < ITEMS * LRUS; k++) {
		int x = (k * 37) % (ITEMS * LRUS);
		LOCK(t, item[x / LRUS], 0x100);
		LOCK(t, lru[x % LRUS], 0x200);
		UNLOCK(t, lru[x % LRUS]);
		UNLOCK(t, item[x / LRUS]);
	}
}

/* Orders between many locks of two classes (memcached's item locks, then
 * its LRU locks): the thread's class map answers "passed already" for each
 * pair of instances, each instance order is written once per thread, a
 * lock's new identity is a new instance, and a reset thread asks again. */
static void test_class_maps(void)
{
	struct lh_thread *t = thread(21), *u = thread(22);
	void *item[ITEMS], *lru[LRUS];
	long w0;
	int n;
	int i, j, all = 1;

	for (i = 0; i < ITEMS; i++)
		item[i] = new_lock_of(0x7001);
	for (i = 0; i < LRUS; i++)
		lru[i] = new_lock_of(0x7002);
	fresh_maps();
	w0 = RECORDED();
	item_lru_round(t, item, lru);
	CU_ASSERT_EQUAL_FATAL(RECORDED() - w0, ITEMS * LRUS);
	for (i = 0; i < ITEMS; i++)
		for (j = 0; j < LRUS; j++)
			all &= n_edges_between(item[i], lru[j]) + map_has(item[i], lru[j]) == 1;
	CU_ASSERT(all);
	/* one map: one context (two classes, two call sites, two modes) */
	CU_ASSERT_EQUAL(lh_edge_cls_maps_used(t), 1);
	/* the map alone answers: with the global sets and the thread's cache
	 * emptied, asking them would write every order again; all but the
	 * order between the two classes' index-0 locks, which the map leaves
	 * to the cache (two classes of one lock each look like that) */
	lh_edge_after_fork_child();
	memset(t->edge_cache, 0, ((size_t)t->edge_mask + 1) * sizeof(*t->edge_cache));
	item_lru_round(t, item, lru);
	CU_ASSERT_EQUAL(RECORDED() - w0, ITEMS * LRUS + 1);
	/* another thread records its own */
	item_lru_round(u, item, lru);
	CU_ASSERT_EQUAL(RECORDED() - w0, 2 * ITEMS * LRUS + 1);
	/* an item lock initialized again is a new lock: its orders are new */
	lh_lid_new(lh_lid_lookup((uintptr_t)item[5], 1), LH_LOCK_MUTEX, 0, 0x7001);
	item_lru_round(t, item, lru);
	CU_ASSERT_EQUAL(RECORDED() - w0, 2 * ITEMS * LRUS + 1 + LRUS);
	/* a reset thread (recycled, or the child of a fork) lets go of its
	 * maps and records every order again in new ones (the maps do not ask
	 * the global sets); the order of the two index-0 locks, which the
	 * sets know since the second round, is not written again */
	n = n_unmaps;
	lh_edge_thread_reset(t);
	CU_ASSERT(n_unmaps > n);
	CU_ASSERT_EQUAL(lh_edge_cls_maps_used(t), 0);
	item_lru_round(t, item, lru);
	CU_ASSERT_EQUAL(RECORDED() - w0, 3 * ITEMS * LRUS + LRUS);
	CU_ASSERT_EQUAL(lh_edge_cls_maps_used(t), 1);
	free(t);
	free(u);
	cur_io = &io;
}

/* what the wrappers' fast path asks while t holds only `held`: is the
 * order into l (call site ra, mode to_mode) known to t's class maps? */
static int known(struct lh_thread *t, void *l, uintptr_t ra, unsigned to_mode)
{
	struct lh_lock *lk = lh_lid_lookup((uintptr_t)l, 0);

	CU_ASSERT_EQUAL_FATAL(t->n_held, 1);
	return lh_edge_known(t, &t->held[0], lk, lh_lid_peek(lk), ra, to_mode);
}

/* lh_edge_known answers from the class maps alone, only for the exact
 * context a map has (both classes, both call sites, both modes), only for
 * the identities the bits were set for, and only after the order went
 * through add_edges; never for the two index-0 locks the maps leave to the
 * edge cache, nor after a reset. */
static void test_edge_known(void)
{
	struct lh_thread *t = thread(25), *u = thread(26);
	void *item[ITEMS], *lru[LRUS];
	int i;

	for (i = 0; i < ITEMS; i++)
		item[i] = new_lock_of(0x7a01);
	for (i = 0; i < LRUS; i++)
		lru[i] = new_lock_of(0x7a02);
	fresh_maps();
	/* before any order: no map */
	LOCK(t, item[3], 0x100);
	CU_ASSERT(!known(t, lru[1], 0x200, 0));
	UNLOCK(t, item[3]);
	/* the first order gives both locks index 0 of their classes */
	LOCK(t, item[0], 0x100);
	LOCK(t, lru[0], 0x200);
	UNLOCK(t, lru[0]);
	UNLOCK(t, item[0]);
	/* one order recorded: that one only */
	LOCK(t, item[3], 0x100);
	LOCK(t, lru[1], 0x200);
	UNLOCK(t, lru[1]);
	CU_ASSERT(known(t, lru[1], 0x200, 0));
	CU_ASSERT(!known(t, lru[2], 0x200, 0));
	UNLOCK(t, item[3]);
	item_lru_round(t, item, lru);
	LOCK(t, item[3], 0x100);
	CU_ASSERT(known(t, lru[2], 0x200, 0));
	CU_ASSERT(!known(t, lru[2], 0x300, 0)); /* another call site */
	CU_ASSERT(!known(t, lru[2], 0x200, 1)); /* another mode */
	UNLOCK(t, item[3]);
	LOCK(t, item[3], 0x180); /* the held lock taken elsewhere */
	CU_ASSERT(!known(t, lru[2], 0x200, 0));
	UNLOCK(t, item[3]);
	/* the two index-0 locks: left to the edge cache */
	LOCK(t, item[0], 0x100);
	CU_ASSERT(!known(t, lru[0], 0x200, 0));
	UNLOCK(t, item[0]);
	/* another thread has its own maps */
	LOCK(u, item[3], 0x100);
	CU_ASSERT(!known(u, lru[2], 0x200, 0));
	UNLOCK(u, item[3]);
	/* a new identity at either end is a new lock */
	lh_lid_new(lh_lid_lookup((uintptr_t)lru[2], 1), LH_LOCK_MUTEX, 0, 0x7a02);
	LOCK(t, item[3], 0x100);
	CU_ASSERT(!known(t, lru[2], 0x200, 0));
	CU_ASSERT(known(t, lru[3], 0x200, 0));
	UNLOCK(t, item[3]);
	{
		/* a held entry of item[3]'s old identity, and lru[3]'s old id */
		struct lh_held old_item;
		struct lh_lock *l3 = lh_lid_lookup((uintptr_t)lru[3], 0);
		uint64_t old_l3 = id_of(lru[3]);
		LOCK(t, item[3], 0x100);
		old_item = t->held[0];
		UNLOCK(t, item[3]);
		lh_lid_new(lh_lid_lookup((uintptr_t)item[3], 1), LH_LOCK_MUTEX, 0, 0x7a01);
		LOCK(t, item[3], 0x100);
		CU_ASSERT(!known(t, lru[3], 0x200, 0));
		/* once the new identities' orders are known, the old ids
		 * still are not answered with their bits */
		lh_lid_new(l3, LH_LOCK_MUTEX, 0, 0x7a02);
		LOCK(t, lru[3], 0x200);
		UNLOCK(t, lru[3]);
		CU_ASSERT(known(t, lru[3], 0x200, 0));
		CU_ASSERT(!lh_edge_known(t, &t->held[0], l3, old_l3, 0x200, 0));
		CU_ASSERT(!lh_edge_known(t, &old_item, l3, id_of(lru[3]), 0x200, 0));
		UNLOCK(t, item[3]);
	}
	/* a reset thread knows nothing */
	LOCK(t, item[4], 0x100);
	CU_ASSERT(known(t, lru[1], 0x200, 0));
	lh_edge_thread_reset(t);
	CU_ASSERT(!known(t, lru[1], 0x200, 0));
	UNLOCK(t, item[4]);
	free(t);
	free(u);
	cur_io = &io;
}

/* Two locks each alone in its class (no init stack, or the only one of
 * its init stack so far) get no map: the cache holds those */
static void test_class_maps_not_for_singles(void)
{
	struct lh_thread *t = thread(23);
	void *a = new_lock(LH_LOCK_MUTEX, 0), *b = new_lock(LH_LOCK_MUTEX, 0);
	void *c = new_lock_of(0x7101), *d = new_lock_of(0x7102);

	fresh_maps();
	LOCK(t, a, 0x100);
	LOCK(t, b, 0x200);
	UNLOCK(t, b);
	UNLOCK(t, a);
	LOCK(t, c, 0x100);
	LOCK(t, d, 0x200);
	UNLOCK(t, d);
	UNLOCK(t, c);
	CU_ASSERT_EQUAL(n_edges_between(a, b), 1);
	CU_ASSERT_EQUAL(n_edges_between(c, d), 1);
	CU_ASSERT_PTR_NULL(t->cls_maps);
	free(t);
	cur_io = &io;
}

/* An order the quota of its call sites skipped (LH_PAIRS_PER_SITE new
 * locks there already) is not remembered by the class map: once its lock
 * is recorded through another order, the same order at the quota'd sites
 * is recorded, and the quota's note is written once. */
static void test_class_maps_skip_quota(void)
{
	struct lh_thread *t = thread(24);
	void *f = new_lock_of(0x7201), *x0 = new_lock_of(0x7202), *x1 = new_lock_of(0x7202);
	void *x2 = new_lock_of(0x7202), *c = new_lock(LH_LOCK_MUTEX, 0), *g = new_lock(LH_LOCK_MUTEX, 0);
	long w0;
	int k;

	fresh_maps();
	/* x0 takes index 0 of its class, so f -> x1 is a map's */
	LOCK(t, x0, 0x400);
	LOCK(t, g, 0x500);
	UNLOCK(t, g);
	UNLOCK(t, x0);
	/* the quota of sites (0x100, 0x200), filled by new identities of c */
	for (k = 0; k < LH_PAIRS_PER_SITE; k++) {
		lh_lid_new(lh_lid_lookup((uintptr_t)c, 1), LH_LOCK_MUTEX, 0, 0);
		LOCK(t, f, 0x100);
		LOCK(t, c, 0x200);
		UNLOCK(t, c);
		UNLOCK(t, f);
	}
	CU_ASSERT_EQUAL(stub_notes_with("new locks taken at the same two call sites"), 0);
	w0 = RECORDED();
	for (k = 0; k < 3; k++) {
		LOCK(t, f, 0x100);
		LOCK(t, k == 2 ? x2 : x1, 0x200);
		UNLOCK(t, k == 2 ? x2 : x1);
		UNLOCK(t, f);
	}
	CU_ASSERT_EQUAL(RECORDED(), w0);
	CU_ASSERT_EQUAL(stub_notes_with("new locks taken at the same two call sites"), 1);
	/* skipped orders are not marked: no bit, not even a map for them */
	CU_ASSERT_EQUAL(lh_edge_cls_maps_used(t), 0);
	CU_ASSERT(!map_has(f, x1) && !map_has(f, x2));
	/* x1 recorded at other sites, then the quota'd sites' order is too */
	LOCK(t, f, 0x100);
	LOCK(t, x1, 0x300);
	UNLOCK(t, x1);
	UNLOCK(t, f);
	CU_ASSERT_EQUAL(RECORDED(), w0 + 1);
	for (k = 0; k < 2; k++) {
		LOCK(t, f, 0x100);
		LOCK(t, x1, 0x200);
		UNLOCK(t, x1);
		UNLOCK(t, f);
	}
	CU_ASSERT_EQUAL(RECORDED(), w0 + 2);
	CU_ASSERT_EQUAL(lh_edge_cls_maps_used(t), 2);
	/* x2 still past the quota, the note not written again */
	LOCK(t, f, 0x100);
	LOCK(t, x2, 0x200);
	UNLOCK(t, x2);
	UNLOCK(t, f);
	CU_ASSERT_EQUAL(RECORDED(), w0 + 2);
	CU_ASSERT_EQUAL(stub_notes_with("new locks taken at the same two call sites"), 1);
	free(t);
	cur_io = &io;
}

/* An order under a gate (another lock held) is its own order: the class
 * map of the order without gates does not answer for it. */
static void test_class_maps_not_for_gated(void)
{
	struct lh_thread *t = thread(25);
	void *f0 = new_lock_of(0x7301), *f1 = new_lock_of(0x7301), *x = new_lock_of(0x7302);
	void *gate = new_lock(LH_LOCK_MUTEX, 0);
	int i, gated = 0, plain = 0;

	fresh_maps();
	LOCK(t, f0, 0x100);
	LOCK(t, x, 0x200);
	UNLOCK(t, x);
	UNLOCK(t, f0);
	LOCK(t, f1, 0x100);
	LOCK(t, x, 0x200);
	UNLOCK(t, x);
	UNLOCK(t, f1);
	CU_ASSERT_EQUAL(lh_edge_cls_maps_used(t), 1);
	LOCK(t, gate, 0x50);
	LOCK(t, f1, 0x100);
	LOCK(t, x, 0x200);
	UNLOCK(t, x);
	UNLOCK(t, f1);
	UNLOCK(t, gate);
	for (i = 0; i < n_edges; i++) {
		if (edges[i].e.from_lock != id_of(f1) || edges[i].e.to_lock != id_of(x))
			continue;
		if (edges[i].e.n_gates == 1 && edges[i].gates[0].lock_id == id_of(gate))
			gated++;
		else if (edges[i].e.n_gates == 0)
			plain++;
	}
	/* the plain order is a bit of the map, the gated one an edge record */
	CU_ASSERT_EQUAL(plain, 0);
	CU_ASSERT(map_has(f1, x));
	CU_ASSERT_EQUAL(gated, 1);
	free(t);
	cur_io = &io;
}

/* A lock with no init stack (a static initializer) is a class of its own:
 * orders between it and the many locks of a class are answered by maps,
 * both ways (memcached: an item lock, then its static slabs lock). */
static void test_class_maps_static_lock(void)
{
	struct lh_thread *t = thread(26);
	void *item[8], *st = new_lock(LH_LOCK_MUTEX, 0);
	long w0;
	int i, k;

	for (i = 0; i < 8; i++)
		item[i] = new_lock_of(0x7401);
	fresh_maps();
	w0 = RECORDED();
	for (k = 0; k < 2; k++) {
		for (i = 0; i < 8; i++) {
			LOCK(t, item[i], 0x100);
			LOCK(t, st, 0x200);
			UNLOCK(t, st);
			UNLOCK(t, item[i]);
			LOCK(t, st, 0x300);
			LOCK(t, item[i], 0x400);
			UNLOCK(t, item[i]);
			UNLOCK(t, st);
		}
		if (k == 0) {
			CU_ASSERT_EQUAL(RECORDED() - w0, 16);
			CU_ASSERT_EQUAL(lh_edge_cls_maps_used(t), 2);
			/* the sets and the cache forgotten: only the maps answer,
			 * but for item[0] <-> st (index 0 both: the cache's) */
			lh_edge_after_fork_child();
			memset(t->edge_cache, 0, ((size_t)t->edge_mask + 1) * sizeof(*t->edge_cache));
		}
	}
	CU_ASSERT_EQUAL(RECORDED() - w0, 18);
	free(t);
	cur_io = &io;
}

/* A segment that cannot be mapped (the log is written by writev): every
 * order of the thread is written as a record, none lost, none twice, and
 * the maps are not asked again; a reset thread tries them again. */
static void test_class_maps_fallback(void)
{
	struct lh_thread *t = thread(27);
	void *item[ITEMS], *lru[LRUS];
	long w0;
	int i, j, all = 1, s0;

	for (i = 0; i < ITEMS; i++)
		item[i] = new_lock_of(0x7501);
	for (i = 0; i < LRUS; i++)
		lru[i] = new_lock_of(0x7502);
	fresh_maps();
	s0 = n_segs;
	maps_fail = 1;
	n_map_tries = 0;
	w0 = n_edge_writes;
	item_lru_round(t, item, lru);
	CU_ASSERT_EQUAL(n_edge_writes - w0, ITEMS * LRUS);
	CU_ASSERT_EQUAL(n_map_tries, 1); /* one failure turns the thread's maps off */
	CU_ASSERT_EQUAL(n_segs, s0);
	for (i = 0; i < ITEMS; i++)
		for (j = 0; j < LRUS; j++)
			all &= n_edges_between(item[i], lru[j]) == 1;
	CU_ASSERT(all);
	item_lru_round(t, item, lru);
	CU_ASSERT_EQUAL(n_edge_writes - w0, ITEMS * LRUS);
	maps_fail = 0;
	lh_edge_thread_reset(t);
	lh_lid_new(lh_lid_lookup((uintptr_t)item[3], 1), LH_LOCK_MUTEX, 0, 0x7501);
	LOCK(t, item[3], 0x100);
	LOCK(t, lru[1], 0x200);
	UNLOCK(t, lru[1]);
	UNLOCK(t, item[3]);
	CU_ASSERT_EQUAL(n_segs, s0 + 1);
	CU_ASSERT_TRUE(map_has(item[3], lru[1]));
	free(t);
	cur_io = &io;
}

/* The same two call sites reached through two call paths (other stacks):
 * each order's bit goes to the map of its own edge context, so the reader
 * gives it its own stacks. */
static void test_class_maps_per_context(void)
{
	struct lh_thread *t = thread(28);
	void *f[3], *x = new_lock_of(0x7602);
	int i, s0;

	for (i = 0; i < 3; i++)
		f[i] = new_lock_of(0x7601);
	fresh_maps();
	real_unwinds = 1; /* no trace: each new order unwinds, its stacks name the unwind */
	for (i = 0; i < 3; i++) {
		LOCK(t, f[i], 0x100);
		LOCK(t, x, 0x200);
		UNLOCK(t, x);
		UNLOCK(t, f[i]);
	}
	real_unwinds = 0;
	s0 = n_segs;
	/* f[0] -> x: both index 0, an edge record; f[1], f[2]: a map each */
	CU_ASSERT_EQUAL(n_edges_between(f[0], x), 1);
	CU_ASSERT_EQUAL(lh_edge_cls_maps_used(t), 2);
	CU_ASSERT_TRUE(s0 >= 2 && segs[s0 - 1].r.ctx_id != segs[s0 - 2].r.ctx_id);
	CU_ASSERT_TRUE(map_has(f[1], x) && map_has(f[2], x));
	free(t);
	cur_io = &io;
}

/* the class maps' io with a trace: call paths name their stacks */
static const struct lh_edge_io io_maps_traced = { io_unwind,       io_stack_of, io_write_lock,
	                                          io_write_edge,   io_now,      io_trace,
	                                          NULL,            io_write_edge_ctx, NULL,
	                                          io_write_member, io_map_bits, io_unmap,
	                                          io_map_tuple };

/* An order of a map context the thread has, between two locks whose
 * records are in the log (memcached's item lock, then an LRU lock, each
 * seen in other orders), at a call path whose stacks are known, is set in
 * the map without lh_edge_mu (map_order_quick): threads that form new
 * orders while they hold the program's locks do not queue on the shim's.
 * A lock new to the log still takes it (its records, the quota). */
static void test_class_maps_unlocked(void)
{
	struct lh_thread *t = thread(31);
	void *item[ITEMS], *lru[LRUS], *late;
	long mu0, w0;
	int i, j, all = 1;

	for (i = 0; i < ITEMS; i++)
		item[i] = new_lock_of(0x7c01);
	for (j = 0; j < LRUS; j++)
		lru[j] = new_lock_of(0x7c02);
	late = new_lock_of(0x7c01);
	fresh_maps();
	cur_io = &io_maps_traced;
	real_unwinds = 1; /* an unwind finds frames: its stacks are shared by path */
	/* every lock in some order: each item into lru[0], item[0] into each LRU */
	for (i = 0; i < ITEMS; i++) {
		LOCK(t, item[i], 0x100);
		LOCK(t, lru[0], 0x200);
		UNLOCK(t, lru[0]);
		UNLOCK(t, item[i]);
	}
	for (j = 1; j < LRUS; j++) {
		LOCK(t, item[0], 0x100);
		LOCK(t, lru[j], 0x200);
		UNLOCK(t, lru[j]);
		UNLOCK(t, item[0]);
	}
	CU_ASSERT_EQUAL(lh_edge_cls_maps_used(t), 1);
	mu0 = stub_edge_mu_locks;
	w0 = RECORDED();
	for (i = 1; i < ITEMS; i++)
		for (j = 1; j < LRUS; j++) {
			LOCK(t, item[i], 0x100);
			LOCK(t, lru[j], 0x200);
			UNLOCK(t, lru[j]);
			UNLOCK(t, item[i]);
		}
	CU_ASSERT_EQUAL(stub_edge_mu_locks, mu0);
	CU_ASSERT_EQUAL(RECORDED() - w0, (ITEMS - 1) * (LRUS - 1));
	for (i = 1; i < ITEMS; i++)
		for (j = 1; j < LRUS; j++)
			all &= map_has(item[i], lru[j]) && n_edges_between(item[i], lru[j]) == 0;
	CU_ASSERT(all);
	CU_ASSERT_EQUAL(lh_edge_cls_maps_used(t), 1);
	/* a lock not in the log yet: its records are written under the lock */
	LOCK(t, late, 0x100);
	LOCK(t, lru[1], 0x200);
	UNLOCK(t, lru[1]);
	UNLOCK(t, late);
	CU_ASSERT(stub_edge_mu_locks > mu0);
	CU_ASSERT(map_has(late, lru[1]));
	real_unwinds = 0;
	free(t);
	cur_io = &io;
}

/* bits set in the class tuples */
static long tuple_bits(void)
{
	long n = 0;
	int i;

	for (i = 0; i < n_tups; i++)
		for (size_t b = 0; b < 4096 * 16 / 8; b++) /* a segment: 16 rows of 4096 */
			n += __builtin_popcount(tups[i].bits[b]);
	return n;
}

/* Orders under a gate: a lock of its own (member 0 of its class) held,
 * then an item lock, then an LRU lock (memcached's LRU maintainer).  Each
 * acquisition whose item and LRU locks are past member 0 is one bit of a
 * class tuple standing for its two orders; the others are written as
 * records; a second round, with the global sets and the cache emptied,
 * writes nothing: the tuples answer. */
static void test_class_tuples(void)
{
	struct lh_thread *t = thread(29);
	void *item[ITEMS], *lru[LRUS], *own = new_lock(LH_LOCK_MUTEX, 0);
	long w0, t0;
	int i, k, r;

	for (i = 0; i < ITEMS; i++)
		item[i] = new_lock_of(0x7701);
	for (i = 0; i < LRUS; i++)
		lru[i] = new_lock_of(0x7702);
	fresh_maps();
	fresh_tuples();
	w0 = n_edge_writes;
	for (r = 0; r < 2; r++) {
		for (k = 0; k < ITEMS * LRUS; k++) {
			int x = (k * 37) % (ITEMS * LRUS);
			LOCK(t, own, 0x50);
			LOCK(t, item[x / LRUS], 0x100);
			LOCK(t, lru[x % LRUS], 0x200);
			UNLOCK(t, lru[x % LRUS]);
			UNLOCK(t, item[x / LRUS]);
			UNLOCK(t, own);
		}
		if (r == 0) {
			t0 = tuple_bits();
			/* item[0] and lru[0] are member 0: those acquisitions have
			 * one free lock, not two */
			CU_ASSERT_EQUAL(t0, (ITEMS - 1) * (LRUS - 1));
			/* and own -> item[0], both member 0 (the class maps take
			 * own -> the other items) */
			CU_ASSERT_EQUAL(n_edge_writes - w0, 2 * (ITEMS + LRUS - 1) + 1);
			CU_ASSERT_TRUE(n_tups >= 1 && tups[0].r.n_part == 3 && tups[0].r.ctx_id[0] &&
			               tups[0].r.ctx_id[1] && tups[0].r.ctx_id[0] != tups[0].r.ctx_id[1]);
			lh_edge_after_fork_child();
			memset(t->edge_cache, 0, ((size_t)t->edge_mask + 1) * sizeof(*t->edge_cache));
			w0 = n_edge_writes + 2 * (ITEMS + LRUS - 1) + 1;
		}
	}
	CU_ASSERT_EQUAL(tuple_bits(), t0);
	/* the records of the member-0 acquisitions, once more (sets emptied) */
	CU_ASSERT_EQUAL(n_edge_writes, w0);
	free(t);
	cur_io = &io;
}

/* The wrappers' question for a thread holding two locks (lh_tuple_known):
 * yes for every acquisition a tuple map recorded, with the same call
 * sites; no for another call site, a lock not in the maps, or a thread
 * holding its locks in another order. */
static void test_tuple_known(void)
{
	struct lh_thread *t = thread(32);
	void *item[ITEMS], *lru[LRUS], *own = new_lock(LH_LOCK_MUTEX, 0), *late;
	struct lh_lock *lk;
	int i, j, yes = 1;

	for (i = 0; i < ITEMS; i++)
		item[i] = new_lock_of(0x7d01);
	for (j = 0; j < LRUS; j++)
		lru[j] = new_lock_of(0x7d02);
	late = new_lock_of(0x7d01);
	fresh_maps();
	fresh_tuples();
	for (i = 0; i < ITEMS; i++)
		for (j = 0; j < LRUS; j++) {
			LOCK(t, own, 0x50);
			LOCK(t, item[i], 0x100);
			LOCK(t, lru[j], 0x200);
			UNLOCK(t, lru[j]);
			UNLOCK(t, item[i]);
			UNLOCK(t, own);
		}
	CU_ASSERT_TRUE_FATAL(n_tups >= 1);
	for (i = 1; i < ITEMS; i++)
		for (j = 1; j < LRUS; j++) {
			LOCK(t, own, 0x50);
			LOCK(t, item[i], 0x100);
			lk = lh_lid_get(t, lru[j]);
			yes &= lh_tuple_known(t, lk, id_of(lru[j]), 0x200, LH_MODE_EXCL);
			if (i == 1 && j == 1) {
				CU_ASSERT_FALSE(lh_tuple_known(t, lk, id_of(lru[j]), 0x208, LH_MODE_EXCL));
				CU_ASSERT_FALSE(lh_tuple_known(t, lk, id_of(lru[j]), 0x200, LH_MODE_SHARED));
			}
			UNLOCK(t, item[i]);
			UNLOCK(t, own);
		}
	CU_ASSERT_TRUE(yes);
	/* a lock none of the maps has */
	LOCK(t, own, 0x50);
	LOCK(t, late, 0x100);
	lk = lh_lid_get(t, lru[1]);
	CU_ASSERT_FALSE(lh_tuple_known(t, lk, id_of(lru[1]), 0x200, LH_MODE_EXCL));
	UNLOCK(t, late);
	UNLOCK(t, own);
	/* the held locks the other way round */
	LOCK(t, item[1], 0x100);
	LOCK(t, own, 0x50);
	CU_ASSERT_FALSE(lh_tuple_known(t, lk, id_of(lru[1]), 0x200, LH_MODE_EXCL));
	UNLOCK(t, own);
	UNLOCK(t, item[1]);
	free(t);
	cur_io = &io;
}

/* The roles of a tuple map's two free participants come from the indices
 * of its first acquisition: here an item lock of index 1 under an LRU lock
 * of index 3 (the LRU lock gets the columns), then items past the rows'
 * LH_CLS_TO_IDX (256) under the same LRU locks.  Those get a second map
 * with the roles the other way round, so every acquisition with both free
 * participants past member 0 is a bit and none is a pair record. */
static void test_class_tuples_roles(void)
{
	enum { N_ITEMS = 300, N_LRUS = 4 };
	struct lh_thread *t = thread(30);
	void *item[N_ITEMS], *lru[N_LRUS], *own = new_lock(LH_LOCK_MUTEX, 0);
	long w0, expect = 0;
	int i, j;

	for (i = 0; i < N_ITEMS; i++)
		item[i] = new_lock_of(0x7b01);
	for (i = 0; i < N_LRUS; i++)
		lru[i] = new_lock_of(0x7b02);
	fresh_maps();
	fresh_tuples();
	/* indices by first order: lru 0..3 and item 0 (under own), then item 1
	 * in the first tuple */
	for (j = 0; j < N_LRUS; j++) {
		LOCK(t, own, 0x50);
		LOCK(t, lru[j], 0x60);
		UNLOCK(t, lru[j]);
		UNLOCK(t, own);
	}
	LOCK(t, own, 0x50);
	LOCK(t, item[0], 0x60);
	UNLOCK(t, item[0]);
	UNLOCK(t, own);
	w0 = n_edge_writes;
	for (i = 1; i < N_ITEMS; i++)
		for (j = (i == 1 ? N_LRUS - 1 : 1); j < N_LRUS; j++) {
			LOCK(t, own, 0x50);
			LOCK(t, item[i], 0x100);
			LOCK(t, lru[j], 0x200);
			UNLOCK(t, lru[j]);
			UNLOCK(t, item[i]);
			UNLOCK(t, own);
			expect++;
		}
	CU_ASSERT_EQUAL(tuple_bits(), expect);
	CU_ASSERT_TRUE(n_tups >= 2);
	/* what is written as records: own -> item[i] (class maps take most of
	 * those) but no acquisition of both free participants */
	CU_ASSERT_TRUE(n_edge_writes - w0 < N_ITEMS);
	free(t);
	cur_io = &io;
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "edge_and_its_context", test_edge_and_its_context },
		{ "python_frames_of_both_ends", test_python_frames_of_both_ends },
		{ "release_anywhere", test_release_anywhere },
		{ "trylock_adds_no_edge", test_trylock_adds_no_edge },
		{ "recursive_adds_no_edge", test_recursive_adds_no_edge },
		{ "read_modes", test_read_modes },
		{ "gate_set_in_key", test_gate_set_in_key },
		{ "gate_order_does_not_matter", test_gate_order_does_not_matter },
		{ "threads_per_context", test_threads_per_context },
		{ "threads_per_context_remembered", test_threads_per_context_remembered },
		{ "self_deadlock_rules", test_self_deadlock_rules },
		{ "held_limit", test_held_limit },
		{ "gates_at_limit_not_noted", test_gates_at_limit_not_noted },
		{ "gate_limit_noted", test_gate_limit_noted },
		{ "context_kinds_noted", test_context_kinds_noted },
		{ "after_fork", test_after_fork },
		{ "lock_record_per_identity", test_lock_record_per_identity },
		{ "stacks_per_call_path", test_stacks_per_call_path },
		{ "edge_cache_grows", test_edge_cache_grows },
		{ "large_sets_keep_contexts", test_large_sets_keep_contexts },
		{ "compact_pairs", test_compact_pairs },
		{ "class_maps", test_class_maps },
		{ "edge_known", test_edge_known },
		{ "class_maps_not_for_singles", test_class_maps_not_for_singles },
		{ "class_maps_skip_quota", test_class_maps_skip_quota },
		{ "class_maps_not_for_gated", test_class_maps_not_for_gated },
		{ "class_maps_static_lock", test_class_maps_static_lock },
		{ "class_maps_fallback", test_class_maps_fallback },
		{ "class_maps_per_context", test_class_maps_per_context },
		{ "class_maps_unlocked", test_class_maps_unlocked },
		{ "class_tuples", test_class_tuples },
		{ "tuple_known", test_tuple_known },
		{ "class_tuples_roles", test_class_tuples_roles },
	};
	return cunit_run("edges", tests, N_OF(tests));
}
