/*
 * race.h - lockhound's race engine (rc_): happens-before by vector clocks
 * with FastTrack-style epochs, over shadow memory.
 *
 * The engine is pure: it sees events (thread start/exit/join, acquire and
 * release of synchronization objects, memory accesses, memory freed) and
 * never threads, signals, the log or libunwind.  Its callers serialize
 * nothing for it: every entry point is safe to call from any thread at any
 * time, and an access check is lock-free on the fast path.  CUnit drives it
 * with scripted events (tests/unit/test_race.c); the exact mode (race_rt.c,
 * the compilers' thread-sanitizer ABI) and, later, sampled race watching
 * feed it in the shim.
 *
 * Memory comes from the allocator the caller passes in (the shim's mmap
 * allocator; malloc in the unit tests): the engine never calls malloc.
 *
 * Vocabulary
 *   tid     an engine thread slot, 0 < tid < RC_MAX_THREADS.  Slots of
 *           threads that ended and were joined (or detached) are reused;
 *           a reused slot keeps counting its epoch upwards, so old shadow
 *           cells of the slot stay comparable (DESIGN.md, "Races").
 *   ctx     an opaque 32-bit calling-context id chosen by the caller (the
 *           shim's interned stack + held-lock set); stored with each access
 *           in shadow memory and handed back in a race report, so both
 *           sides of a race can be shown with their stacks and locks.
 *   sync    any address used for synchronization (a mutex, a condvar, an
 *           atomic variable, a thread's join handle): the engine keeps a
 *           vector clock per sync address, made on first use.
 */
#ifndef LOCKHOUND_RACE_H
#define LOCKHOUND_RACE_H

#include <stddef.h>
#include <stdint.h>

#define RC_MAX_THREADS 1024 /* live engine slots at once; beyond: note, thread untracked (tid 0) */

typedef uint16_t rc_tid; /* 0 = not tracked: every call with tid 0 does nothing */

struct rc_engine;

struct rc_alloc {
	void *(*alloc)(void *cookie, size_t size); /* zeroed memory, or NULL */
	void *cookie;
};

/* What the engine tells its caller about limits it hit (one call per kind,
 * the first time): the caller writes a note into the log. */
enum rc_limit {
	RC_LIMIT_THREADS = 1,  /* RC_MAX_THREADS live slots in use */
	RC_LIMIT_MEMORY = 2,   /* the allocator failed: some accesses unchecked */
	RC_LIMIT_EPOCH = 3,    /* a slot's epoch reached RC_CLOCK_MAX (2^44-1): it stops
	                        * advancing, later races of the slot may be missed */
	RC_LIMIT_REUSE = 4,    /* a thread slot reused although the new thread's parent does
	                        * not know the old occupant ended: races between the two
	                        * threads may be missed (never a false race) */
	RC_LIMIT_ADDRESS = 5,  /* an access at or above 2^48: not checked */
};

/* One side of a race. */
struct rc_side {
	rc_tid tid;
	uint8_t is_write;
	uint8_t is_atomic;
	uint32_t ctx;     /* the ctx given with that access */
	uintptr_t addr;   /* first byte of the access */
	uint32_t size;    /* bytes of the access */
};

struct rc_race {
	struct rc_side cur;  /* the access being checked now */
	struct rc_side prev; /* the earlier access it is not ordered with */
	uintptr_t lo, hi;    /* the overlapping bytes [lo, hi) */
};

struct rc_hooks {
	/* a race found; called on the accessing thread, from inside
	 * rc_access, at most once per (cur access, prev cell).  May be NULL. */
	void (*race)(void *cookie, const struct rc_race *r);
	void (*limit)(void *cookie, enum rc_limit what);
	void *cookie;
};

struct rc_engine *rc_create(const struct rc_alloc *a, const struct rc_hooks *h);

/* ---- threads ---- */
/* A new thread, created by `parent` (0: none, e.g. the first thread): the
 * parent's clock so far happens before everything the child does. */
rc_tid rc_thread_new(struct rc_engine *e, rc_tid parent);
/* The thread ended: its final clock is kept for a join. */
void rc_thread_exit(struct rc_engine *e, rc_tid t);
/* The thread's last event is a release on `sync`, then it ends
 * (rc_thread_exit): a thread that joins it by acquiring `sync` instead of
 * rc_thread_join.  Its epoch does not move on after this release (nothing
 * of the thread follows it), so whoever acquired `sync` knows the slot's
 * whole past and its next thread_new gets the slot back exactly. */
void rc_thread_exit_release(struct rc_engine *e, rc_tid t, uintptr_t sync);
/* `joiner` joined `joined` (after rc_thread_exit of it): everything
 * `joined` did happens before what `joiner` does next.  The slot of
 * `joined` may be reused afterwards. */
void rc_thread_join(struct rc_engine *e, rc_tid joiner, rc_tid joined);
/* A detached thread's slot may be reused once it exits. */
void rc_thread_detach(struct rc_engine *e, rc_tid t);
/* In a fork child, on its only thread t (the one that called fork), before
 * anything else: the other threads are gone, everything they did is in t's
 * past, their slots are free; engine locks they held are released. */
void rc_fork_child(struct rc_engine *e, rc_tid t);

/* ---- synchronization ---- */
/* t acquires sync: t's clock joins the sync's clock. */
void rc_acquire(struct rc_engine *e, rc_tid t, uintptr_t sync);
/* t releases sync: the sync's clock joins t's clock, t's epoch advances.
 * (mutex unlock, sem_post, cond signal, barrier arrival, once done) */
void rc_release(struct rc_engine *e, rc_tid t, uintptr_t sync);
/* the same, by the thread that holds sync exclusively (no other release
 * of it can run meanwhile): takes no engine lock when t's memo answers */
void rc_release_held(struct rc_engine *e, rc_tid t, uintptr_t sync);
/* a release store to an atomic: the sync's clock becomes t's clock (a
 * later plain store by another thread ends the release sequence) */
void rc_release_store(struct rc_engine *e, rc_tid t, uintptr_t sync);
/* read-modify-write with acquire and release semantics */
void rc_acq_rel(struct rc_engine *e, rc_tid t, uintptr_t sync);
/* fences: an acquire fence makes relaxed loads before it acquiring; a
 * release fence makes relaxed stores after it releasing */
void rc_relaxed_load(struct rc_engine *e, rc_tid t, uintptr_t sync);
void rc_relaxed_store(struct rc_engine *e, rc_tid t, uintptr_t sync);
void rc_fence_acquire(struct rc_engine *e, rc_tid t);
void rc_fence_release(struct rc_engine *e, rc_tid t);
/* fork: the child's only thread continues t's clock (rc_fork_child) */
/* rwlocks: rdlock -> rc_acquire, wrlock -> rc_acquire_exclusive,
 * read unlock -> rc_release_shared, write unlock -> rc_release.  Read
 * unlocks release only to later write locks, not to other readers. */
void rc_acquire_exclusive(struct rc_engine *e, rc_tid t, uintptr_t sync);
void rc_release_shared(struct rc_engine *e, rc_tid t, uintptr_t sync);
/* read-modify-writes: release (continues the release sequence, and counts
 * as a relaxed load for a later acquire fence) and relaxed (a relaxed load
 * and, after a release fence, releases what the fence saw).  Acquire RMW:
 * rc_acquire; acq_rel and seq_cst RMW: rc_acq_rel.
 * The memory access of an atomic is checked separately: rc_access with
 * is_atomic set, then the one sync call for its memory order
 * (loads: acquire/seq_cst -> rc_acquire, relaxed -> rc_relaxed_load;
 * stores: release/seq_cst -> rc_release_store, relaxed -> rc_relaxed_store;
 * seq_cst fence: both fences). */
void rc_release_rmw(struct rc_engine *e, rc_tid t, uintptr_t sync);
void rc_relaxed_rmw(struct rc_engine *e, rc_tid t, uintptr_t sync);

/* ---- memory ---- */
/* Check one access of size 1..16 bytes (larger: rc_access_range) and
 * record it.  Returns the number of races reported for it. */
int rc_access(struct rc_engine *e, rc_tid t, uintptr_t addr, uint32_t size, int is_write,
              int is_atomic, uint32_t ctx);
/* memcpy/memset-style accesses of any size */
int rc_access_range(struct rc_engine *e, rc_tid t, uintptr_t addr, size_t size, int is_write,
                    uint32_t ctx);
/* [addr, addr+size) is freed or newly allocated: a new object.  Its
 * shadow is cleared and sync clocks inside it are dropped. */
void rc_forget(struct rc_engine *e, uintptr_t addr, size_t size);
/* Only the accesses recorded in [addr, addr+size) are dropped; sync clocks
 * there stay (sampled watching ends a window on a word that may hold a
 * lock the program still uses). */
void rc_forget_accesses(struct rc_engine *e, uintptr_t addr, size_t size);

/* ---- tests and diagnostics ---- */
/* t's current epoch and its view of u's clock */
uint32_t rc_clock(struct rc_engine *e, rc_tid t, rc_tid u);

/* acquires and releases a thread's memo of its last release answered (no
 * join, no hash lookup: DESIGN.md section 19, "Release memos"), summed
 * over the slots, and in *made (if not NULL) the memos made; for
 * race_stats and the tests */
uint64_t rc_memo_counts(struct rc_engine *e, uint64_t *made);
/* checks the engine's invariants; 0 when they hold, else a description */
const char *rc_sanity(struct rc_engine *e);

#endif
