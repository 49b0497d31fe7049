/*
 * race.c - the race engine (rc_): vector clocks per thread slot and per
 * sync address, FastTrack-style epochs in byte-precise shadow cells.
 * DESIGN.md, "Races: the engine", explains the model; this file owns the
 * shadow memory, the thread slots, the sync clocks and the race decision.
 *
 * Pure: no malloc (memory from the caller's rc_alloc, never returned; what
 * the engine frees goes to its own free lists), no threads, no signals, no
 * log.  Locks are the engine's own spinlocks on atomics (lk_*), which a
 * fork child can take over from threads that no longer exist (rc_fork_child).
 *
 * Concurrency, in short:
 *   - a thread's clock (struct rc_thread) is written only by that thread
 *     (and by its creator before it runs, by its joiner after it ended);
 *   - a sync clock is read and written under its hash bucket's lock;
 *   - a granule's cells are written under the granule's lock bit, and read
 *     without it on the fast path: each cell is one 64-bit word, so a reader
 *     sees a whole old or a whole new cell; overflow chunks are read under
 *     the granule's version (a seqlock) and the walk is bounded.
 */
#include "race.h"

#include <sched.h>
#include <string.h>

/* ---- cells ---------------------------------------------------------
 * One access record, one 64-bit word:
 *   bits  0..9   tid   (0: empty cell)
 *   bits 10..17  mask  bytes of the granule accessed (bit i = byte i)
 *   bit  18      W     a write
 *   bit  19      P     plain (not atomic)
 *   bits 20..63  clock the tid's epoch at the access (RC_CLOCK_BITS)
 * Its ctx sits in a parallel 32-bit array.  The W and P bits are chosen so
 * that "cell A dominates access X" (every access racing with X also races
 * with A) is (A & need(X)) == need(X) for the kind bits. */
#define C_TID_MASK 0x3ffull
#define C_MASK_SHIFT 10
#define C_W (1ull << 18)
#define C_P (1ull << 19)
#define C_CLK_SHIFT 20
#define C_KEY (C_TID_MASK | (~0ull << C_CLK_SHIFT)) /* tid + clock */
#define C_TID(c) ((unsigned)((c)&C_TID_MASK))
#define C_MASK(c) ((unsigned)(((c) >> C_MASK_SHIFT) & 0xff))
#define C_CLK(c) ((c) >> C_CLK_SHIFT)

#define RC_CLOCK_BITS 44
#define RC_CLOCK_MAX ((1ull << RC_CLOCK_BITS) - 1) /* a slot's epoch saturates here (RC_LIMIT_EPOCH) */

_Static_assert(RC_MAX_THREADS <= 1024, "tids must fit the cell's 10 bits");

/* ---- shadow memory ---------------------------------------------------
 * Three levels: top[addr >> 30] -> dir[(addr >> 16) & 16383] -> leaf of
 * 8192 granules (64 KiB of program memory, 384 KiB of shadow).  Leaves and
 * directories are made on first write, never returned. */
#define RC_ADDR_BITS 48   /* addresses at or above 2^48 are not checked (RC_LIMIT_ADDRESS) */
#define RC_LEAF_SHIFT 16  /* program bytes per leaf: 64 KiB */
#define RC_DIR_BITS 14    /* leaves per directory */
#define RC_TOP_SHIFT (RC_LEAF_SHIFT + RC_DIR_BITS)
#define RC_TOP_ENTRIES (1ul << (RC_ADDR_BITS - RC_TOP_SHIFT))
#define RC_LEAF_GRANS (1u << (RC_LEAF_SHIFT - 3))

/* One 8-byte granule: 48 bytes.  RC_INLINE_CELLS cells inline; more in a
 * chain of overflow chunks, only while more than that many accesses to the
 * granule can still race with a future access (none dominates another).
 * Three, not two: a write by one thread and a reader's records of two
 * epochs (a re-read in 4-byte halves after a lock), or two readers, stay
 * inline.
 * lock: bit 0 held, bits 1..7 fork generation of the holder, bits 8..31
 * a version bumped at each unlock (the overflow reader's seqlock).
 * more: bit 31 "a sync clock lives at an address in this granule", bits
 * 0..30 the first overflow chunk (0: none). */
#define RC_INLINE_CELLS 3
struct rc_gran {
	uint64_t cell[RC_INLINE_CELLS];
	uint32_t ctx[RC_INLINE_CELLS];
	uint32_t lock;
	uint32_t more;
	uint32_t pad;
};
_Static_assert(sizeof(struct rc_gran) == 48, "48 bytes of shadow per granule");
#define G_SYNC 0x80000000u
#define G_IDX 0x7fffffffu

/* An overflow chunk: one cache line. */
#define RC_CHUNK_CELLS 5
struct rc_chunk {
	uint64_t cell[RC_CHUNK_CELLS];
	uint32_t ctx[RC_CHUNK_CELLS];
	uint32_t next; /* next chunk index, 0: end (on the free list: next free) */
};
_Static_assert(sizeof(struct rc_chunk) == 64, "a chunk is one cache line");
#define RC_CHUNK_BLOCK_SHIFT 14   /* chunks per block: 16384 (1 MiB) */
#define RC_MAX_CHUNK_BLOCKS 8192  /* at most 2^27 chunks (8 GiB); beyond: RC_LIMIT_MEMORY */
#define RC_SPARE_CHUNKS 8         /* free chunks a thread keeps for itself (no lock) */

/* ---- sync clocks ----------------------------------------------------- */
#define RC_SYNC_BUCKETS (1u << 16) /* fixed hash size: chains grow beyond 64K sync addresses */
#define RC_VC_CLASSES 7            /* sync clock capacities 16 << k entries, k < 7 (16..1024) */

struct rc_sync {
	uintptr_t addr;
	struct rc_sync *next;
	uint64_t *vc;   /* release clock; entries >= cap are 0 */
	uint64_t *rvc;  /* read-unlock clock of a rwlock (rc_release_shared) */
	uint32_t cap, rcap;
	rc_tid head;    /* the thread whose release store heads the release sequence, 0: none */
	rc_tid last;    /* the thread of the last release into vc: a memo is made only by a
	                 * thread releasing twice in a row (a lock handed off between threads
	                 * would void each memo at once, and pay for it) */
	uint64_t seq;   /* bumped (under the bucket's lock) before every change of vc or head and
	                 * when the object is dropped: a thread's memo of it (rc_memo) holds while
	                 * seq is the value the memo read; never reset, so a dropped and reused
	                 * object never matches an old memo */
};

struct rc_bucket {
	uint32_t lock;
	struct rc_sync *head;
};

/* ---- threads ---------------------------------------------------------- */
enum { TH_FREE = 0, TH_LIVE = 1, TH_EXITED = 2 };

struct rc_pend {          /* one race found by the access being checked */
	uint64_t key;     /* the earlier cell without its mask */
	uint32_t ctx;
	uintptr_t lo, hi;   /* overlapping bytes */
	uintptr_t plo, phi; /* the earlier access's bytes seen */
};

/* A thread's memo of its last release into one sync address (RC_MEMOS per
 * thread, direct-mapped by address).  Written at a release whose join left
 * the sync clock equal to the thread's clock (nothing in it the thread did
 * not know: a lock only this thread has released since its last change).
 * Invariant, while s->seq == seq: s->vc <= the thread's vc (an acquire of
 * addr changes nothing: rc_acquire skips the bucket), and while also
 * fgen == the thread's fgen, s->vc equals the thread's vc on every entry
 * but its own (a release of addr only has to store the thread's epoch:
 * release_memo).  rc_thread_new clears a slot's memos. */
#define RC_MEMOS 8
struct rc_memo {
	uintptr_t addr;  /* 0: unused */
	struct rc_sync *s;
	uint64_t seq;    /* s->seq after the memo's release */
	uint64_t fgen;   /* the thread's fgen then */
};

struct rc_thread {
	uint64_t clk;      /* == vc[self]: the current epoch */
	uint64_t fgen;     /* bumped whenever an entry of vc other than its own may have grown */
	uint64_t n_memo;   /* lock feeds the memos answered (rc_memo_counts) */
	uint64_t n_memo_made; /* memos made (rc_memo_counts) */
	struct rc_memo memo[RC_MEMOS];
	uint64_t *vc;      /* RC_MAX_THREADS entries: vc[u] = latest epoch of u that happens before
	                    * this thread's next event.  Invariant (live slot s): every other clock's
	                    * entry for s is < clk */
	uint64_t *rel;     /* clock at the last release fence (has_rel) */
	uint64_t *acq;     /* join of the clocks read by relaxed loads since the last acquire fence (has_acq) */
	int has_rel, has_acq;
	int state, detached;
	int in_hook;       /* inside the race hook: accesses are ignored */
	uint64_t freed_seq; /* when the slot became free: the oldest is reused first */
	struct rc_pend *pend;
	uint32_t n_pend, cap_pend;
	uint32_t spare[RC_SPARE_CHUNKS]; /* free chunks kept by this thread */
	uint32_t n_spare;
};

struct rc_engine {
	struct rc_alloc a;
	struct rc_hooks h;
	uint32_t gen;       /* fork generation: locks held by an older one are free */
	uint32_t told;      /* limits already reported, bit per enum rc_limit */

	uint32_t th_lock;
	uint32_t n_slots;   /* slots 1..n_slots-1 have been used */
	uint64_t free_seq;
	struct rc_thread *th[RC_MAX_THREADS];

	uint32_t shadow_lock; /* making directories and leaves */
	struct rc_gran ***top; /* RC_TOP_ENTRIES */

	uint32_t chunk_lock;
	uint32_t chunk_free;  /* free list head */
	uint32_t chunk_fresh; /* next never-used chunk index (0 is "none") */
	struct rc_chunk *blocks[RC_MAX_CHUNK_BLOCKS];

	struct rc_bucket *buckets; /* RC_SYNC_BUCKETS */
	uint32_t free_lock;  /* free lists of sync objects and clocks */
	struct rc_sync *sync_free;
	uint64_t *vc_free[RC_VC_CLASSES];
};

/* ---- small helpers ---------------------------------------------------- */

#define LD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define ST(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void limit(struct rc_engine *e, enum rc_limit what)
{
	uint32_t bit = 1u << what;

	if (__atomic_fetch_or(&e->told, bit, __ATOMIC_RELAXED) & bit)
		return;
	if (e->h.limit)
		e->h.limit(e->h.cookie, what);
}

static void *zalloc(struct rc_engine *e, size_t size)
{
	void *p = e->a.alloc(e->a.cookie, size);

	if (!p)
		limit(e, RC_LIMIT_MEMORY);
	return p;
}

/* Memory that shares no cache line with other memory: sync objects, sync
 * clocks and thread clocks, written by the thread that releases or ticks
 * them.  Side by side at the allocator's 16 bytes, four threads locking
 * four mutexes of their own wrote the same lines (never freed: the
 * allocator has no free, the engine keeps free lists). */
#define RC_LINE 64
static void *zalloc_line(struct rc_engine *e, size_t size)
{
	char *p = zalloc(e, size + RC_LINE - 1);

	return p ? (void *)(((uintptr_t)p + RC_LINE - 1) & ~(uintptr_t)(RC_LINE - 1)) : NULL;
}

/* The engine's spinlock: 0 free, else (gen << 1) | 1.  A lock held under an
 * older fork generation was held by a thread that does not exist in this
 * process (rc_fork_child) and is taken over. */
static void lk_lock(struct rc_engine *e, uint32_t *l)
{
	uint32_t gen = LD(&e->gen);
	uint32_t mine = (gen << 1) | 1;
	unsigned spins = 0;

	for (;;) {
		uint32_t v = LD(l);
		if ((v == 0 || (v >> 1) != gen) &&
		    __atomic_compare_exchange_n(l, &v, mine, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		if (++spins < 64)
			cpu_relax();
		else
			sched_yield();
	}
}

static void lk_unlock(uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* granule lock: see struct rc_gran */
static void g_lock(struct rc_engine *e, struct rc_gran *g)
{
	uint32_t gen = LD(&e->gen) & 127;
	unsigned spins = 0;

	for (;;) {
		uint32_t v = LD(&g->lock);
		if ((!(v & 1) || ((v >> 1) & 127) != gen) &&
		    __atomic_compare_exchange_n(&g->lock, &v, (v & ~0xffu) | (gen << 1) | 1, 0,
		                                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		if (++spins < 64)
			cpu_relax();
		else
			sched_yield();
	}
}

static void g_unlock(struct rc_gran *g)
{
	uint32_t v = LD(&g->lock);
	__atomic_store_n(&g->lock, (v & ~0xffu) + 0x100u, __ATOMIC_RELEASE);
}

static void g_set_more(struct rc_gran *g, uint32_t idx)
{
	uint32_t v = LD(&g->more);
	while (!__atomic_compare_exchange_n(&g->more, &v, (v & G_SYNC) | idx, 1, __ATOMIC_RELAXED,
	                                    __ATOMIC_RELAXED))
		;
}

/* no memcpy/memset: the shim may interpose them */
static void vc_zero(uint64_t *v, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		ST(&v[i], 0);
}

static void vc_copy(uint64_t *d, const uint64_t *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		ST(&d[i], LD(&s[i]));
}

/* d[i] = max(d[i], s[i]) for i < n; returns 1 when d[i] < s[i] for some
 * i (d grew), 0 when d already covered s */
static int vc_join(uint64_t *d, const uint64_t *s, uint32_t n)
{
	int grew = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t x = LD(&s[i]);
		if (x > d[i]) {
			ST(&d[i], x);
			grew = 1;
		}
	}
	return grew;
}

/* a join into a thread's own clock: entries other than its own may grow,
 * so its release memos' fast path (fgen) no longer holds */
static void th_join(struct rc_thread *th, const uint64_t *s, uint32_t n)
{
	if (vc_join(th->vc, s, n))
		th->fgen++;
}

static uint32_t n_slots(struct rc_engine *e)
{
	return __atomic_load_n(&e->n_slots, __ATOMIC_ACQUIRE);
}

static struct rc_thread *thr(struct rc_engine *e, rc_tid t)
{
	if (!t || t >= RC_MAX_THREADS)
		return NULL;
	return __atomic_load_n(&e->th[t], __ATOMIC_ACQUIRE);
}

/* The thread's epoch moves on after a release: what it does next is not
 * covered by what it released. */
static void tick(struct rc_engine *e, struct rc_thread *th, rc_tid t)
{
	if (th->clk >= RC_CLOCK_MAX) {
		limit(e, RC_LIMIT_EPOCH);
		return;
	}
	ST(&th->clk, th->clk + 1);
	ST(&th->vc[t], th->clk);
}

/* ---- engine ------------------------------------------------------------ */

struct rc_engine *rc_create(const struct rc_alloc *a, const struct rc_hooks *h)
{
	struct rc_engine *e;

	if (!a || !a->alloc)
		return NULL;
	e = a->alloc(a->cookie, sizeof(*e));
	if (!e)
		return NULL;
	e->a = *a;
	if (h)
		e->h = *h;
	e->n_slots = 1;
	e->chunk_fresh = 1;
	e->top = a->alloc(a->cookie, RC_TOP_ENTRIES * sizeof(*e->top));
	e->buckets = a->alloc(a->cookie, RC_SYNC_BUCKETS * sizeof(*e->buckets));
	if (!e->top || !e->buckets)
		return NULL; /* what was allocated stays with the caller's allocator */
	return e;
}

/* ---- shadow lookup ------------------------------------------------------ */

static struct rc_gran *gran_peek(struct rc_engine *e, uintptr_t addr)
{
	struct rc_gran **dir, *leaf;

	if (addr >> RC_ADDR_BITS)
		return NULL;
	dir = __atomic_load_n(&e->top[addr >> RC_TOP_SHIFT], __ATOMIC_ACQUIRE);
	if (!dir)
		return NULL;
	leaf = __atomic_load_n(&dir[(addr >> RC_LEAF_SHIFT) & ((1u << RC_DIR_BITS) - 1)],
	                       __ATOMIC_ACQUIRE);
	if (!leaf)
		return NULL;
	return &leaf[(addr >> 3) & (RC_LEAF_GRANS - 1)];
}

static struct rc_gran *gran_get(struct rc_engine *e, uintptr_t addr)
{
	struct rc_gran *g = gran_peek(e, addr), ***slot, **dir, **lslot;

	if (g)
		return g;
	if (addr >> RC_ADDR_BITS) {
		limit(e, RC_LIMIT_ADDRESS);
		return NULL;
	}
	lk_lock(e, &e->shadow_lock);
	slot = &e->top[addr >> RC_TOP_SHIFT];
	dir = *slot;
	if (!dir) {
		dir = zalloc(e, sizeof(*dir) << RC_DIR_BITS);
		if (!dir)
			goto out;
		__atomic_store_n(slot, dir, __ATOMIC_RELEASE);
	}
	lslot = &dir[(addr >> RC_LEAF_SHIFT) & ((1u << RC_DIR_BITS) - 1)];
	if (!*lslot) {
		struct rc_gran *leaf = zalloc(e, sizeof(struct rc_gran) * RC_LEAF_GRANS);
		if (!leaf)
			goto out;
		__atomic_store_n(lslot, leaf, __ATOMIC_RELEASE);
	}
	g = &(*lslot)[(addr >> 3) & (RC_LEAF_GRANS - 1)];
out:
	lk_unlock(&e->shadow_lock);
	return g;
}

/* ---- overflow chunks ----------------------------------------------------- */

/* NULL for an index that names no chunk (a racy reader may see any value) */
static struct rc_chunk *chunk_at(struct rc_engine *e, uint32_t idx)
{
	uint32_t b = idx >> RC_CHUNK_BLOCK_SHIFT;
	struct rc_chunk *blk;

	if (!idx || b >= RC_MAX_CHUNK_BLOCKS)
		return NULL;
	blk = __atomic_load_n(&e->blocks[b], __ATOMIC_ACQUIRE);
	return blk ? &blk[idx & ((1u << RC_CHUNK_BLOCK_SHIFT) - 1)] : NULL;
}

/* th: the accessing thread, whose few spare chunks spare the lock (NULL:
 * none) */
static uint32_t chunk_new(struct rc_engine *e, struct rc_thread *th)
{
	uint32_t idx = 0;
	struct rc_chunk *c;

	if (th && th->n_spare) {
		idx = th->spare[--th->n_spare];
		goto got;
	}
	lk_lock(e, &e->chunk_lock);
	if (e->chunk_free) {
		idx = e->chunk_free;
		e->chunk_free = chunk_at(e, idx)->next;
	} else if ((e->chunk_fresh >> RC_CHUNK_BLOCK_SHIFT) < RC_MAX_CHUNK_BLOCKS) {
		uint32_t b = e->chunk_fresh >> RC_CHUNK_BLOCK_SHIFT;
		if (!e->blocks[b]) {
			struct rc_chunk *blk = zalloc(e, sizeof(*blk) << RC_CHUNK_BLOCK_SHIFT);
			if (blk)
				__atomic_store_n(&e->blocks[b], blk, __ATOMIC_RELEASE);
		}
		if (e->blocks[b])
			idx = e->chunk_fresh++;
	} else {
		limit(e, RC_LIMIT_MEMORY);
	}
	lk_unlock(&e->chunk_lock);
got:
	if (idx) {
		c = chunk_at(e, idx);
		for (int k = 0; k < RC_CHUNK_CELLS; k++) {
			ST(&c->cell[k], 0);
			ST(&c->ctx[k], 0);
		}
		ST(&c->next, 0);
	}
	return idx;
}

static void chunk_free(struct rc_engine *e, struct rc_thread *th, uint32_t idx)
{
	if (th && th->n_spare < RC_SPARE_CHUNKS) {
		th->spare[th->n_spare++] = idx;
		return;
	}
	lk_lock(e, &e->chunk_lock);
	ST(&chunk_at(e, idx)->next, e->chunk_free);
	e->chunk_free = idx;
	lk_unlock(&e->chunk_lock);
}

/* ---- the access check ---------------------------------------------------- */

struct acc {
	struct rc_engine *e;
	struct rc_thread *th;
	rc_tid t;
	int is_write, is_atomic;
	uint32_t ctx;
	uintptr_t addr;
	size_t size;
	uint64_t key;   /* t | clock */
	uint64_t kind;  /* C_W, C_P bits of this access */
};

static unsigned lowbit(unsigned m)
{
	return (unsigned)__builtin_ctz(m);
}

static unsigned highbit(unsigned m)
{
	return 31u - (unsigned)__builtin_clz(m);
}

static void add_pending(struct acc *a, uint64_t c, uint32_t ctx, uintptr_t gbase, unsigned overlap)
{
	struct rc_thread *th = a->th;
	uint64_t key = c & ~(0xffull << C_MASK_SHIFT);
	unsigned m = C_MASK(c);
	uintptr_t lo = gbase + lowbit(overlap), hi = gbase + highbit(overlap) + 1;
	uintptr_t plo = gbase + lowbit(m), phi = gbase + highbit(m) + 1;
	struct rc_pend *p;

	for (uint32_t i = 0; i < th->n_pend; i++) {
		p = &th->pend[i];
		if (p->key == key && p->ctx == ctx) {
			if (lo < p->lo)
				p->lo = lo;
			if (hi > p->hi)
				p->hi = hi;
			if (plo < p->plo)
				p->plo = plo;
			if (phi > p->phi)
				p->phi = phi;
			return;
		}
	}
	if (th->n_pend == th->cap_pend) {
		uint32_t cap = th->cap_pend ? th->cap_pend * 2 : 16;
		struct rc_pend *np = zalloc(a->e, cap * sizeof(*np));
		if (!np)
			return; /* noted as RC_LIMIT_MEMORY: this race goes unreported */
		for (uint32_t i = 0; i < th->n_pend; i++)
			np[i] = th->pend[i];
		th->pend = np; /* the old buffer is not returned (the allocator has no free) */
		th->cap_pend = cap;
	}
	p = &th->pend[th->n_pend++];
	p->key = key;
	p->ctx = ctx;
	p->lo = lo;
	p->hi = hi;
	p->plo = plo;
	p->phi = phi;
}



/* What check_gran's pass over the cells builds: the record to insert and
 * the first free cell. */
struct upd {
	uint64_t newc;
	uint64_t *empty;
	uint32_t *empty_ctx;
};

#define C_MASKBITS (0xffull << C_MASK_SHIFT)

/* One group of cells (inline or a chunk) for check_gran, called under the
 * granule's lock (each c is a whole record the engine wrote): the races
 * with each, then what the access dominates is dropped and this epoch's
 * record of the same kind and ctx merged into the new one.  An access X
 * dominates cell c on their shared bytes when c happens before X, X is a
 * write if c is and plain if c is: every access that would race with c
 * there races with X too, so those bytes of c can go. */
static inline __attribute__((always_inline)) void
update_cells(struct acc *a, uint64_t *cells, uint32_t *ctxs, int n, unsigned mask, uintptr_t gbase,
             struct upd *up)
{
	const uint64_t same = up->newc & ~C_MASKBITS; /* this thread, epoch and kind */
	const uint64_t *vc = a->th->vc;
	uint64_t newc = up->newc;

	for (int k = 0; k < n; k++) {
		uint64_t c = LD(&cells[k]);
		unsigned cm, ov, u;

		if (!c)
			goto free_cell;
		cm = C_MASK(c);
		ov = cm & mask;
		if ((c & ~C_MASKBITS) == same) {
			/* ordered and dominated: merged when the ctx is the same,
			 * else only the shared bytes go */
			if (LD(&ctxs[k]) == a->ctx) {
				newc |= (uint64_t)cm << C_MASK_SHIFT;
				ST(&cells[k], 0);
				goto free_cell;
			}
		} else if (!ov) {
			continue;
		} else {
			u = C_TID(c);
			if (u != a->t && C_CLK(c) > LD(&vc[u])) {
				/* not ordered: a race unless both read or both are atomic */
				if ((a->is_write || (c & C_W)) && (!a->is_atomic || (c & C_P)))
					add_pending(a, c, LD(&ctxs[k]), gbase, ov);
				continue;
			}
			/* ordered: dominated when X is a write if c is, plain if c is */
			if ((a->kind & c & (C_W | C_P)) != (c & (C_W | C_P)))
				continue;
		}
		if (!ov)
			continue;
		cm &= ~mask;
		if (cm) {
			ST(&cells[k], (c & ~C_MASKBITS) | ((uint64_t)cm << C_MASK_SHIFT));
			continue;
		}
		ST(&cells[k], 0);
	free_cell:
		if (!up->empty) {
			up->empty = &cells[k];
			up->empty_ctx = &ctxs[k];
		}
	}
	up->newc = newc;
}

/* the fast check: a cell of this thread's epoch that dominates the access */
static inline __attribute__((always_inline)) int hit_inline(const struct rc_gran *g, uint64_t sel,
                                                          uint64_t want)
{
	return (LD(&g->cell[0]) & sel) == want || (LD(&g->cell[1]) & sel) == want ||
	       (LD(&g->cell[2]) & sel) == want;
}

static int hit_chain(struct rc_engine *e, struct rc_gran *g, uint64_t sel, uint64_t want)
{
	uint32_t v1 = __atomic_load_n(&g->lock, __ATOMIC_ACQUIRE), idx;
	uint32_t steps = 0, bound = LD(&e->chunk_fresh);
	int found = 0;

	if (v1 & 1)
		return 0;
	idx = LD(&g->more) & G_IDX;
	while (idx && !found && steps++ < bound) {
		struct rc_chunk *c = chunk_at(e, idx);
		if (!c)
			return 0;
		for (int k = 0; k < RC_CHUNK_CELLS; k++)
			if ((LD(&c->cell[k]) & sel) == want)
				found = 1;
		idx = LD(&c->next);
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return found && LD(&g->lock) == v1;
}

/* Under the granule's lock: keep the chain short.  Empty inline cells are
 * filled from the chain, empty chunks unlinked and freed (invariant: a
 * granule has a chain only while all its inline cells are in use). */
static void compact(struct rc_engine *e, struct rc_thread *th, struct rc_gran *g)
{
	struct rc_chunk *c, *prev = NULL;
	uint32_t idx, next;

	for (idx = LD(&g->more) & G_IDX; idx; idx = next) {
		int used = 0;

		c = chunk_at(e, idx);
		next = c->next;
		for (int k = 0; k < RC_CHUNK_CELLS; k++) {
			if (!c->cell[k])
				continue;
			for (int j = 0; j < RC_INLINE_CELLS; j++)
				if (!g->cell[j]) {
					ST(&g->ctx[j], c->ctx[k]);
					ST(&g->cell[j], c->cell[k]);
					ST(&c->cell[k], 0);
					break;
				}
			if (c->cell[k])
				used = 1;
		}
		if (used) {
			prev = c;
			continue;
		}
		if (prev)
			ST(&prev->next, next);
		else
			g_set_more(g, next);
		chunk_free(e, th, idx);
	}
}

/* Check the access against granule g (its bytes `mask`), then record it. */
static void check_gran(struct acc *a, struct rc_gran *g, uintptr_t gbase, unsigned mask,
                       int inline_checked)
{
	struct rc_engine *e = a->e;
	uint64_t need = ((uint64_t)mask << C_MASK_SHIFT) | a->kind;
	uint64_t sel = C_KEY | need, want = a->key | need;
	struct upd up = {a->key | need, NULL, NULL};
	uint32_t idx;
	struct rc_chunk *c;

	if (!inline_checked && hit_inline(g, sel, want))
		return;
	g_lock(e, g);
	/* under the lock, the chain is consistent: a hit anywhere means done */
	for (idx = LD(&g->more) & G_IDX; idx; idx = c->next) {
		c = chunk_at(e, idx);
		for (int k = 0; k < RC_CHUNK_CELLS; k++)
			if ((c->cell[k] & sel) == want)
				goto unlock;
	}
	if (hit_inline(g, sel, want))
		goto unlock;

	/* races, then drop what the access dominates, merge with this epoch's record */
	update_cells(a, g->cell, g->ctx, RC_INLINE_CELLS, mask, gbase, &up);
	for (idx = LD(&g->more) & G_IDX; idx; idx = c->next) {
		c = chunk_at(e, idx);
		update_cells(a, c->cell, c->ctx, RC_CHUNK_CELLS, mask, gbase, &up);
	}
	if (!up.empty) {
		uint32_t n = chunk_new(e, a->th);
		if (!n)
			goto unlock; /* RC_LIMIT_MEMORY told: this access goes unrecorded */
		c = chunk_at(e, n);
		ST(&c->next, LD(&g->more) & G_IDX);
		g_set_more(g, n);
		up.empty = &c->cell[0];
		up.empty_ctx = &c->ctx[0];
	}
	ST(up.empty_ctx, a->ctx);
	ST(up.empty, up.newc);
	if (LD(&g->more) & G_IDX)
		compact(e, a->th, g);
unlock:
	g_unlock(g);
}

static int flush(struct acc *a)
{
	struct rc_thread *th = a->th;
	uint32_t n = th->n_pend;

	th->n_pend = 0;
	if (!a->e->h.race)
		return (int)n;
	th->in_hook = 1;
	for (uint32_t i = 0; i < n; i++) {
		const struct rc_pend *p = &th->pend[i];
		struct rc_race r;

		r.cur.tid = a->t;
		r.cur.is_write = (uint8_t)!!a->is_write;
		r.cur.is_atomic = (uint8_t)!!a->is_atomic;
		r.cur.ctx = a->ctx;
		r.cur.addr = a->addr;
		r.cur.size = a->size > UINT32_MAX ? UINT32_MAX : (uint32_t)a->size;
		r.prev.tid = (rc_tid)C_TID(p->key);
		r.prev.is_write = (uint8_t)!!(p->key & C_W);
		r.prev.is_atomic = (uint8_t)!(p->key & C_P);
		r.prev.ctx = p->ctx;
		r.prev.addr = p->plo;
		r.prev.size = (uint32_t)(p->phi - p->plo);
		r.lo = p->lo;
		r.hi = p->hi;
		a->e->h.race(a->e->h.cookie, &r);
	}
	th->in_hook = 0;
	return (int)n;
}

static int access_slow(struct rc_engine *e, struct rc_thread *th, rc_tid t, uintptr_t addr,
                       size_t size, int is_write, int is_atomic, uint32_t ctx)
{
	struct acc a;
	uintptr_t end = addr + size, p;

	if (end < addr)
		end = UINTPTR_MAX; /* a range to the top of the address space */
	a.e = e;
	a.th = th;
	a.t = t;
	a.is_write = is_write;
	a.is_atomic = is_atomic;
	a.ctx = ctx;
	a.addr = addr;
	a.size = size;
	a.key = (uint64_t)t | (th->clk << C_CLK_SHIFT);
	a.kind = (is_write ? C_W : 0) | (is_atomic ? 0 : C_P);
	th->n_pend = 0;
	for (p = addr; p < end;) {
		uintptr_t gbase = p & ~(uintptr_t)7, gend = gbase + 8;
		unsigned lo = (unsigned)(p - gbase), hi = gend <= end ? 8 : (unsigned)(end - gbase);
		unsigned mask = ((1u << hi) - 1) & ~((1u << lo) - 1);
		struct rc_gran *g;

		if ((p >> RC_ADDR_BITS) || !(g = gran_get(e, p))) {
			if (p >> RC_ADDR_BITS)
				limit(e, RC_LIMIT_ADDRESS);
			/* skip the unmapped rest of this leaf */
			p = (p | ((1ul << RC_LEAF_SHIFT) - 1)) + 1;
			if (!p || (p >> RC_ADDR_BITS))
				break;
			continue;
		}
		check_gran(&a, g, gbase, mask, 0);
		if (gend < gbase)
			break;
		p = gend;
	}
	return th->n_pend ? flush(&a) : 0;
}

/* everything but a hit, out of line so that the fast path saves no
 * registers: the rest of a single-granule check, or a wider access */
static __attribute__((noinline)) int access_miss(struct rc_engine *e, rc_tid t, uintptr_t addr,
                                                 uint32_t size, int is_write, int is_atomic,
                                                 uint32_t ctx)
{
	struct rc_thread *th = thr(e, t);
	unsigned off = (unsigned)(addr & 7);
	struct rc_gran *g;
	struct acc a;
	uint64_t need, want, sel;

	if (!th || !size || th->in_hook)
		return 0;
	if (size > 16)
		is_atomic = 0;
	if (off + size > 8 || !(g = gran_peek(e, addr)))
		return access_slow(e, th, t, addr, size, is_write, is_atomic, ctx);
	need = ((uint64_t)(((1u << size) - 1) << off) << C_MASK_SHIFT) | (is_write ? C_W : 0) |
	       (is_atomic ? 0 : C_P);
	want = (uint64_t)t | (th->clk << C_CLK_SHIFT) | need;
	sel = C_KEY | need;
	if ((LD(&g->more) & G_IDX) && hit_chain(e, g, sel, want))
		return 0;
	a.e = e;
	a.th = th;
	a.t = t;
	a.is_write = is_write;
	a.is_atomic = is_atomic;
	a.ctx = ctx;
	a.addr = addr;
	a.size = size;
	a.key = (uint64_t)t | (th->clk << C_CLK_SHIFT);
	a.kind = (is_write ? C_W : 0) | (is_atomic ? 0 : C_P);
	th->n_pend = 0;
	check_gran(&a, g, addr & ~(uintptr_t)7, (unsigned)(((1u << size) - 1) << off), 0);
	return th->n_pend ? flush(&a) : 0;
}

/* A miss in the inline cells of granule g, for an access inside it.  want
 * is the cell the access would be (tid, epoch, mask, kind): six arguments,
 * all in registers, so the fast path reaches here by a jump. */
static __attribute__((noinline)) int miss_in_gran(struct rc_engine *e, struct rc_thread *th,
                                                  struct rc_gran *g, uintptr_t addr,
                                                  uint64_t want, uint32_t ctx)
{
	unsigned mask = C_MASK(want);
	uint64_t sel = C_KEY | (want & ~C_KEY);
	struct acc a;

	if (!mask || th->in_hook)
		return 0;
	if ((LD(&g->more) & G_IDX) && hit_chain(e, g, sel, want))
		return 0;
	a.e = e;
	a.th = th;
	a.t = (rc_tid)C_TID(want);
	a.is_write = !!(want & C_W);
	a.is_atomic = !(want & C_P);
	a.ctx = ctx;
	a.addr = addr;
	a.size = (size_t)__builtin_popcount(mask);
	a.key = want & C_KEY;
	a.kind = want & (C_W | C_P);
	th->n_pend = 0;
	check_gran(&a, g, addr & ~(uintptr_t)7, mask, 1);
	return th->n_pend ? flush(&a) : 0;
}

/* The fast path: a record of this thread's epoch in the granule's inline
 * cells that dominates the access.  Slot 0 is never used, so th[0] is NULL
 * and tid 0 falls through to access_miss, which ignores it. */
int rc_access(struct rc_engine *e, rc_tid t, uintptr_t addr, uint32_t size, int is_write,
              int is_atomic, uint32_t ctx)
{
	unsigned off = (unsigned)(addr & 7);
	const struct rc_thread *th;
	struct rc_gran **dir, *leaf, *g;
	uint64_t need, want, sel;

	if (__builtin_expect(t >= RC_MAX_THREADS || (addr >> RC_ADDR_BITS) || off + size > 8, 0))
		return access_miss(e, t, addr, size, is_write, is_atomic, ctx);
	th = LD(&e->th[t]);
	dir = __atomic_load_n(&e->top[addr >> RC_TOP_SHIFT], __ATOMIC_ACQUIRE);
	if (__builtin_expect(!th || !dir, 0))
		return access_miss(e, t, addr, size, is_write, is_atomic, ctx);
	leaf = __atomic_load_n(&dir[(addr >> RC_LEAF_SHIFT) & ((1u << RC_DIR_BITS) - 1)],
	                       __ATOMIC_ACQUIRE);
	if (__builtin_expect(!leaf, 0))
		return access_miss(e, t, addr, size, is_write, is_atomic, ctx);
	g = &leaf[(addr >> 3) & (RC_LEAF_GRANS - 1)];
	need = ((uint64_t)(((1u << size) - 1) << off) << C_MASK_SHIFT) | (is_write ? C_W : 0) |
	       (is_atomic ? 0 : C_P);
	want = (uint64_t)t | (LD(&th->clk) << C_CLK_SHIFT) | need;
	sel = C_KEY | need;
	if (__builtin_expect(hit_inline(g, sel, want), 1))
		return 0;
	return miss_in_gran(e, (struct rc_thread *)th, g, addr, want, ctx);
}

int rc_access_range(struct rc_engine *e, rc_tid t, uintptr_t addr, size_t size, int is_write,
                    uint32_t ctx)
{
	struct rc_thread *th = thr(e, t);

	if (!th || !size || th->in_hook)
		return 0;
	return access_slow(e, th, t, addr, size, is_write, 0, ctx);
}

/* ---- sync clocks ---------------------------------------------------------- */

static struct rc_bucket *bucket_of(struct rc_engine *e, uintptr_t addr)
{
	uint64_t h = (uint64_t)addr * 0x9e3779b97f4a7c15ull;
	return &e->buckets[h >> (64 - 16)];
}
_Static_assert(RC_SYNC_BUCKETS == 1u << 16, "bucket_of takes the top 16 bits");

static struct rc_sync *sync_find(struct rc_bucket *b, uintptr_t addr)
{
	struct rc_sync *s;

	for (s = b->head; s; s = s->next)
		if (s->addr == addr)
			return s;
	return NULL;
}

/* the bucket is locked */
static struct rc_sync *sync_get(struct rc_engine *e, struct rc_bucket *b, uintptr_t addr)
{
	struct rc_sync *s = sync_find(b, addr);
	struct rc_gran *g;

	if (s)
		return s;
	lk_lock(e, &e->free_lock);
	s = e->sync_free;
	if (s)
		e->sync_free = s->next;
	lk_unlock(&e->free_lock);
	if (!s)
		s = zalloc_line(e, sizeof(*s));
	if (!s)
		return NULL;
	s->addr = addr;
	s->head = 0;
	s->next = b->head;
	b->head = s;
	/* the granule says a clock lives here, for rc_forget and relaxed accesses */
	g = gran_get(e, addr);
	if (g)
		__atomic_fetch_or(&g->more, G_SYNC, __ATOMIC_RELAXED);
	return s;
}

static void vc_free(struct rc_engine *e, uint64_t *v, uint32_t cap)
{
	int k = 0;

	if (!v)
		return;
	while ((16u << k) < cap)
		k++;
	lk_lock(e, &e->free_lock);
	*(uint64_t **)v = e->vc_free[k];
	e->vc_free[k] = v;
	lk_unlock(&e->free_lock);
}

/* make room for n entries in a sync clock, keeping its contents */
static int vc_reserve(struct rc_engine *e, uint64_t **vp, uint32_t *capp, uint32_t n)
{
	uint32_t cap = 16;
	int k = 0;
	uint64_t *v;

	if (*vp && *capp >= n)
		return 1;
	while (cap < n) {
		cap <<= 1;
		k++;
	}
	lk_lock(e, &e->free_lock);
	v = e->vc_free[k];
	if (v)
		e->vc_free[k] = *(uint64_t **)v;
	lk_unlock(&e->free_lock);
	if (v)
		vc_zero(v, cap);
	else
		v = zalloc_line(e, cap * sizeof(*v));
	if (!v)
		return 0;
	if (*vp) {
		vc_copy(v, *vp, *capp);
		vc_free(e, *vp, *capp);
	}
	*vp = v;
	*capp = cap;
	return 1;
}

static void sync_drop(struct rc_engine *e, struct rc_sync *s)
{
	ST(&s->seq, s->seq + 1); /* every memo of it is void */
	vc_free(e, s->vc, s->cap);
	vc_free(e, s->rvc, s->rcap);
	s->vc = s->rvc = NULL;
	s->cap = s->rcap = 0;
	lk_lock(e, &e->free_lock);
	s->next = e->sync_free;
	e->sync_free = s;
	lk_unlock(&e->free_lock);
}

/* what a release writes into a clock */
enum { REL_JOIN, REL_COPY };

/* d[i] = max(d[i], s[i]) for i < n; returns 1 when d ends equal to s on
 * [0, n) (d had nothing s lacks) */
static int vc_join_sole(uint64_t *d, const uint64_t *s, uint32_t n)
{
	int sole = 1;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t x = LD(&s[i]), y = LD(&d[i]);
		if (x > y)
			ST(&d[i], x);
		else if (y > x)
			sole = 0;
	}
	return sole;
}

static struct rc_memo *memo_of(struct rc_thread *th, uintptr_t addr)
{
	return &th->memo[((uint64_t)addr * 0x9e3779b97f4a7c15ull) >> (64 - 3)];
}
_Static_assert(RC_MEMOS == 8, "memo_of takes the top 3 bits");

/* The release into a sync clock.  A join of th's own clock into the write
 * side (memo: th's tid) that leaves the sync clock equal to it, by the
 * thread that made the last release too, records th's memo of the
 * address (struct rc_memo); any other release into the address voids the
 * memos of it (seq). */
static inline __attribute__((always_inline)) void
release_body(struct rc_engine *e, struct rc_thread *th, uintptr_t addr, int read_side, int how,
             const uint64_t *src, int head, rc_tid memo)
{
	struct rc_bucket *b = bucket_of(e, addr);
	uint32_t n = n_slots(e);
	struct rc_sync *s;
	int sole = 0;

	lk_lock(e, &b->lock);
	s = sync_get(e, b, addr);
	if (s) {
		uint64_t **vp = read_side ? &s->rvc : &s->vc;
		uint32_t *cp = read_side ? &s->rcap : &s->cap;
		int again = memo && s->last == memo;
		if (!read_side) {
			ST(&s->seq, s->seq + 1); /* before the change: see rc_acquire */
			s->last = memo;
		}
		if (vc_reserve(e, vp, cp, n)) {
			if (how == REL_COPY) {
				vc_copy(*vp, src, n);
				vc_zero(*vp + n, *cp - n);
			} else if (again && !read_side) {
				sole = vc_join_sole(*vp, src, n);
			} else {
				vc_join(*vp, src, n);
			}
			if (!read_side && head >= 0)
				s->head = (rc_tid)head;
			else if (!read_side && !s->head) /* an RMW continues the sequence */
				s->head = (rc_tid)-head;
		}
	}
	if (memo) {
		struct rc_memo *m = memo_of(th, addr);
		if (sole) {
			th->n_memo_made++;
			m->addr = addr;
			m->s = s;
			m->seq = s->seq;
			m->fgen = th->fgen;
		} else if (m->addr == addr) {
			m->addr = 0;
		}
	}
	lk_unlock(&b->lock);
}

/* the two kinds, each compiled on its own: most releases make no memo */
static void sync_release(struct rc_engine *e, struct rc_thread *th, uintptr_t addr, int read_side,
                         int how, const uint64_t *src, int head)
{
	release_body(e, th, addr, read_side, how, src, head, 0);
}

static __attribute__((noinline)) void sync_release_memo(struct rc_engine *e, struct rc_thread *th,
                                                        uintptr_t addr, rc_tid t)
{
	release_body(e, th, addr, 0, REL_JOIN, th->vc, 0, t);
}

/* A release the thread's memo of the address answers: the sync clock is
 * the thread's clock but for its own entry, so the join is one store.
 * Under the bucket's lock, since another thread's release into the
 * address (two sem_posts) may run at the same time.  0: no memo (or a
 * void one), the caller takes sync_release. */
static int release_memo(struct rc_engine *e, struct rc_thread *th, rc_tid t, uintptr_t addr)
{
	struct rc_memo *m = memo_of(th, addr);
	struct rc_bucket *b;
	struct rc_sync *s;
	int hit;

	if (m->addr != addr || m->fgen != th->fgen)
		return 0;
	s = m->s;
	b = bucket_of(e, addr);
	lk_lock(e, &b->lock);
	hit = LD(&s->seq) == m->seq;
	if (hit) {
		ST(&s->seq, s->seq + 1);
		ST(&s->vc[t], th->clk);
		m->seq = s->seq;
	}
	lk_unlock(&b->lock);
	if (hit)
		th->n_memo++;
	return hit;
}

/* into: the thread's own clock or its pending-acquire clock; a join that
 * grows the thread's own clock bumps its fgen */
static void sync_acquire(struct rc_engine *e, struct rc_thread *th, uint64_t *into, uintptr_t addr,
                         int both)
{
	struct rc_bucket *b = bucket_of(e, addr);
	uint32_t n = n_slots(e);
	struct rc_sync *s;
	int grew = 0;

	lk_lock(e, &b->lock);
	s = sync_find(b, addr);
	if (s) {
		if (s->vc)
			grew |= vc_join(into, s->vc, s->cap < n ? s->cap : n);
		if (both && s->rvc)
			grew |= vc_join(into, s->rvc, s->rcap < n ? s->rcap : n);
	}
	lk_unlock(&b->lock);
	if (grew && into == th->vc)
		th->fgen++;
}

/* cheap test before a hash lookup: no clock lives in this granule */
static int maybe_sync(struct rc_engine *e, uintptr_t addr)
{
	struct rc_gran *g = gran_peek(e, addr);
	return g && (LD(&g->more) & G_SYNC);
}

/* An acquire the thread's memo answers changes nothing (the sync clock is
 * at most the thread's clock) and takes no lock.  The memo's seq is read
 * without the bucket's lock: a release of the address that the program
 * ordered before this acquire was fed before its unlock and is seen (its
 * seq bump first); one running at the same time is not ordered with this
 * acquire, which may then come first. */
void rc_acquire(struct rc_engine *e, rc_tid t, uintptr_t sync)
{
	struct rc_thread *th = thr(e, t);
	struct rc_memo *m;

	if (!th)
		return;
	m = memo_of(th, sync);
	if (m->addr == sync && LD(&m->s->seq) == m->seq) {
		th->n_memo++;
		return;
	}
	if (maybe_sync(e, sync))
		sync_acquire(e, th, th->vc, sync, 0);
}

void rc_acquire_exclusive(struct rc_engine *e, rc_tid t, uintptr_t sync)
{
	struct rc_thread *th = thr(e, t);

	if (th && maybe_sync(e, sync))
		sync_acquire(e, th, th->vc, sync, 1);
}

/* The release rule: the sync's clock takes t's clock (joined or copied, on
 * the read or write side), then t moves to a new epoch, so what t does next
 * is not covered by that release. */
static void release_tick(struct rc_engine *e, struct rc_thread *th, rc_tid t, uintptr_t sync,
                         int read_side, int how, int head)
{
	sync_release(e, th, sync, read_side, how, th->vc, head);
	tick(e, th, t);
}

/* a lock's unlock, a post: the memo's one store when it holds */
void rc_release(struct rc_engine *e, rc_tid t, uintptr_t sync)
{
	struct rc_thread *th = thr(e, t);

	if (!th)
		return;
	if (!release_memo(e, th, t, sync))
		sync_release_memo(e, th, sync, t);
	tick(e, th, t);
}

/* The same release by the thread that holds the lock exclusively (a
 * mutex, spinlock, C11 mutex or write-held rwlock the shim's held stack
 * says it holds): no other release of the address runs at the same time,
 * and the next acquire of it runs only after the lock changed hands, so
 * the memo's one store needs no bucket lock.  Release memos of such locks
 * were a lock round trip at every unlock while race watching was on.
 * Limit: a program that unlocks another thread's normal mutex (a misuse
 * the shim reports) may run this store and another thread's release of
 * the address at once; that release's join may then write an older value
 * over the store, and a later acquire miss this release (a race reported
 * that the unlock ordered). */
void rc_release_held(struct rc_engine *e, rc_tid t, uintptr_t sync)
{
	struct rc_thread *th = thr(e, t);
	struct rc_memo *m;

	if (!th)
		return;
	m = memo_of(th, sync);
	/* seq stays: only this thread's memo can match it (another thread's
	 * release since this thread's last one would have voided it), so
	 * there is no other memo of the address to void */
	if (m->addr == sync && m->fgen == th->fgen && LD(&m->s->seq) == m->seq) {
		ST(&m->s->vc[t], th->clk);
		th->n_memo++;
	} else {
		sync_release_memo(e, th, sync, t);
	}
	tick(e, th, t);
}

void rc_release_shared(struct rc_engine *e, rc_tid t, uintptr_t sync)
{
	struct rc_thread *th = thr(e, t);

	if (!th)
		return;
	release_tick(e, th, t, sync, 1, REL_JOIN, 0);
}

void rc_release_store(struct rc_engine *e, rc_tid t, uintptr_t sync)
{
	struct rc_thread *th = thr(e, t);

	if (!th)
		return;
	release_tick(e, th, t, sync, 0, REL_COPY, t);
}

/* a relaxed load feeds a later acquire fence */
static void pend_acquire(struct rc_engine *e, struct rc_thread *th, uintptr_t sync)
{
	if (!maybe_sync(e, sync))
		return;
	if (!th->acq) {
		th->acq = zalloc(e, RC_MAX_THREADS * sizeof(*th->acq));
		if (!th->acq)
			return;
	}
	if (!th->has_acq) {
		vc_zero(th->acq, n_slots(e));
		th->has_acq = 1;
	}
	sync_acquire(e, th, th->acq, sync, 0);
}

void rc_acq_rel(struct rc_engine *e, rc_tid t, uintptr_t sync)
{
	struct rc_thread *th = thr(e, t);

	if (!th)
		return;
	if (maybe_sync(e, sync))
		sync_acquire(e, th, th->vc, sync, 0);
	/* an RMW continues the release sequence: join, keep the head */
	release_tick(e, th, t, sync, 0, REL_JOIN, -(int)t);
}

void rc_release_rmw(struct rc_engine *e, rc_tid t, uintptr_t sync)
{
	struct rc_thread *th = thr(e, t);

	if (!th)
		return;
	pend_acquire(e, th, sync);
	release_tick(e, th, t, sync, 0, REL_JOIN, -(int)t);
}

void rc_relaxed_rmw(struct rc_engine *e, rc_tid t, uintptr_t sync)
{
	struct rc_thread *th = thr(e, t);

	if (!th)
		return;
	pend_acquire(e, th, sync);
	if (th->has_rel) /* a release fence before it: releases what the fence saw */
		sync_release(e, th, sync, 0, REL_JOIN, th->rel, -(int)t);
}

void rc_relaxed_load(struct rc_engine *e, rc_tid t, uintptr_t sync)
{
	struct rc_thread *th = thr(e, t);

	if (th)
		pend_acquire(e, th, sync);
}

/* A relaxed store ends other threads' release sequences on the address; a
 * store by the thread heading the sequence continues it (C++11's rule: a
 * C++20 program that relies on it only has a race missed, never a false
 * one).  After a release fence it releases what the thread had there. */
void rc_relaxed_store(struct rc_engine *e, rc_tid t, uintptr_t sync)
{
	struct rc_thread *th = thr(e, t);
	struct rc_bucket *b;
	struct rc_sync *s;

	if (!th)
		return;
	if (th->has_rel) {
		b = bucket_of(e, sync);
		lk_lock(e, &b->lock);
		s = sync_find(b, sync);
		int join = s && s->head == t;
		lk_unlock(&b->lock);
		sync_release(e, th, sync, 0, join ? REL_JOIN : REL_COPY, th->rel, t);
		return;
	}
	if (!maybe_sync(e, sync))
		return;
	b = bucket_of(e, sync);
	lk_lock(e, &b->lock);
	s = sync_find(b, sync);
	if (s && s->head != t) {
		ST(&s->seq, s->seq + 1);
		if (s->vc)
			vc_zero(s->vc, s->cap);
		s->head = 0;
	}
	lk_unlock(&b->lock);
}

void rc_fence_acquire(struct rc_engine *e, rc_tid t)
{
	struct rc_thread *th = thr(e, t);

	if (!th || !th->has_acq)
		return;
	th_join(th, th->acq, n_slots(e));
	th->has_acq = 0;
}

void rc_fence_release(struct rc_engine *e, rc_tid t)
{
	struct rc_thread *th = thr(e, t);

	if (!th)
		return;
	if (!th->rel) {
		th->rel = zalloc(e, RC_MAX_THREADS * sizeof(*th->rel));
		if (!th->rel)
			return;
	}
	vc_copy(th->rel, th->vc, n_slots(e));
	th->has_rel = 1;
	tick(e, th, t);
}

/* ---- threads ----------------------------------------------------------------- */

static void slot_free(struct rc_engine *e, struct rc_thread *th)
{
	th->state = TH_FREE;
	th->freed_seq = ++e->free_seq;
}

rc_tid rc_thread_new(struct rc_engine *e, rc_tid parent)
{
	struct rc_thread *p = thr(e, parent), *th;
	uint32_t s, n, pick = 0, oldest = 0;
	int fresh = 0;

	lk_lock(e, &e->th_lock);
	n = e->n_slots;
	/* 1. a free slot whose last occupant happens before the parent: exact */
	for (s = 1; s < n; s++) {
		th = e->th[s];
		if (!th || th->state != TH_FREE)
			continue;
		if (p && p->vc[s] >= th->clk && th->clk < RC_CLOCK_MAX) {
			pick = s;
			break;
		}
		if (!oldest || th->freed_seq < e->th[oldest]->freed_seq)
			oldest = s;
	}
	/* 2. a slot never used */
	if (!pick && n < RC_MAX_THREADS) {
		th = e->th[n];
		if (!th) {
			th = zalloc_line(e, sizeof(*th));
			if (th)
				th->vc = zalloc_line(e, RC_MAX_THREADS * sizeof(*th->vc));
			if (th && th->vc)
				__atomic_store_n(&e->th[n], th, __ATOMIC_RELEASE);
		}
		if (e->th[n]) {
			pick = n;
			fresh = 1;
			__atomic_store_n(&e->n_slots, n + 1, __ATOMIC_RELEASE);
			n++;
		}
	}
	/* 3. the slot freed longest ago, although the parent does not know its
	 * last occupant ended: its old accesses now look ordered before the new
	 * thread, so races between the two threads can be missed (never a
	 * false one) */
	if (!pick && oldest && e->th[oldest]->clk < RC_CLOCK_MAX) {
		pick = oldest;
		limit(e, RC_LIMIT_REUSE);
	}
	if (!pick) {
		lk_unlock(&e->th_lock);
		limit(e, RC_LIMIT_THREADS);
		return 0;
	}
	th = e->th[pick];
	{
		uint64_t base = fresh ? 1 : th->clk + 1;
		if (p)
			vc_copy(th->vc, p->vc, n);
		else
			vc_zero(th->vc, n);
		ST(&th->vc[pick], base);
		ST(&th->clk, base);
	}
	th->has_rel = th->has_acq = 0;
	/* a new occupant's clock is not its last occupant's: the memos go */
	for (int k = 0; k < RC_MEMOS; k++)
		th->memo[k].addr = 0;
	th->detached = 0;
	th->in_hook = 0;
	th->n_pend = 0;
	th->state = TH_LIVE;
	lk_unlock(&e->th_lock);
	if (p)
		tick(e, p, parent); /* the parent's later accesses are not the child's past */
	return (rc_tid)pick;
}

void rc_thread_exit(struct rc_engine *e, rc_tid t)
{
	struct rc_thread *th = thr(e, t);

	if (!th)
		return;
	lk_lock(e, &e->th_lock);
	if (th->state == TH_LIVE) {
		th->state = TH_EXITED;
		if (th->detached)
			slot_free(e, th);
	}
	lk_unlock(&e->th_lock);
}

/* No tick after this release: rc_thread_new reuses a free slot exactly
 * when the parent's clock covers the slot's epoch, and a tick would put
 * the epoch one past what any acquire of `sync` can learn (the sampler's
 * thread churn then used a fresh slot per thread up to RC_MAX_THREADS, 8
 * KiB of clock each and every clock RC_MAX_THREADS long, and reused the
 * oldest inexactly from then on).  Nothing of the thread follows it. */
void rc_thread_exit_release(struct rc_engine *e, rc_tid t, uintptr_t sync)
{
	struct rc_thread *th = thr(e, t);

	if (!th)
		return;
	sync_release(e, th, sync, 0, REL_JOIN, th->vc, 0);
	rc_thread_exit(e, t);
}

void rc_thread_join(struct rc_engine *e, rc_tid joiner, rc_tid joined)
{
	struct rc_thread *j = thr(e, joiner), *d = thr(e, joined);

	if (!d || joiner == joined)
		return;
	if (j)
		th_join(j, d->vc, n_slots(e));
	lk_lock(e, &e->th_lock);
	if (d->state != TH_FREE)
		slot_free(e, d);
	lk_unlock(&e->th_lock);
}

void rc_thread_detach(struct rc_engine *e, rc_tid t)
{
	struct rc_thread *th = thr(e, t);

	if (!th)
		return;
	lk_lock(e, &e->th_lock);
	th->detached = 1;
	if (th->state == TH_EXITED)
		slot_free(e, th);
	lk_unlock(&e->th_lock);
}

void rc_fork_child(struct rc_engine *e, rc_tid t)
{
	struct rc_thread *th = thr(e, t);
	uint32_t n;

	/* locks held at fork by threads that are gone become free */
	__atomic_store_n(&e->gen, e->gen + 1, __ATOMIC_RELAXED);
	if (!th)
		return;
	lk_lock(e, &e->th_lock);
	n = e->n_slots;
	for (uint32_t s = 1; s < n; s++) {
		struct rc_thread *o = e->th[s];
		if (!o || s == t || o->state == TH_FREE)
			continue;
		/* everything the other threads did is in the child's past */
		if (o->clk > th->vc[s]) {
			ST(&th->vc[s], o->clk);
			th->fgen++;
		}
		slot_free(e, o);
	}
	lk_unlock(&e->th_lock);
}

/* ---- forgetting memory ------------------------------------------------------ */

static void forget_gran(struct rc_engine *e, struct rc_gran *g, unsigned mask)
{
	uint32_t idx;
	struct rc_chunk *c;

	g_lock(e, g);
	for (int k = 0; k < RC_INLINE_CELLS; k++) {
		uint64_t x = g->cell[k];
		unsigned m = C_MASK(x) & ~mask;
		if (!x)
			continue;
		ST(&g->cell[k], m ? (x & ~(0xffull << C_MASK_SHIFT)) | ((uint64_t)m << C_MASK_SHIFT) : 0);
	}
	for (idx = LD(&g->more) & G_IDX; idx; idx = c->next) {
		c = chunk_at(e, idx);
		for (int k = 0; k < RC_CHUNK_CELLS; k++) {
			uint64_t x = c->cell[k];
			unsigned m = C_MASK(x) & ~mask;
			if (x)
				ST(&c->cell[k],
				   m ? (x & ~(0xffull << C_MASK_SHIFT)) | ((uint64_t)m << C_MASK_SHIFT) : 0);
		}
	}
	compact(e, NULL, g);
	g_unlock(g);
}

/* drop the sync clocks at [lo, hi) inside one granule */
static void forget_syncs(struct rc_engine *e, struct rc_gran *g, uintptr_t gbase, uintptr_t lo,
                         uintptr_t hi)
{
	int left = 0;

	__atomic_fetch_and(&g->more, ~G_SYNC, __ATOMIC_RELAXED);
	for (uintptr_t a = gbase; a < gbase + 8; a++) {
		struct rc_bucket *b = bucket_of(e, a);
		struct rc_sync **pp, *s;

		lk_lock(e, &b->lock);
		for (pp = &b->head; (s = *pp); pp = &s->next)
			if (s->addr == a)
				break;
		if (s && a >= lo && a < hi) {
			*pp = s->next;
			sync_drop(e, s);
		} else if (s) {
			left = 1;
		}
		lk_unlock(&b->lock);
	}
	if (left)
		__atomic_fetch_or(&g->more, G_SYNC, __ATOMIC_RELAXED);
}

static void forget_range(struct rc_engine *e, uintptr_t addr, size_t size, int syncs);

void rc_forget(struct rc_engine *e, uintptr_t addr, size_t size)
{
	forget_range(e, addr, size, 1);
}

void rc_forget_accesses(struct rc_engine *e, uintptr_t addr, size_t size)
{
	forget_range(e, addr, size, 0);
}

static void forget_range(struct rc_engine *e, uintptr_t addr, size_t size, int syncs)
{
	uintptr_t end = addr + size, p;

	if (!size)
		return;
	if (end < addr)
		end = UINTPTR_MAX;
	for (p = addr; p < end && !(p >> RC_ADDR_BITS);) {
		struct rc_gran *g = gran_peek(e, p);
		uintptr_t gbase = p & ~(uintptr_t)7, gend = gbase + 8;

		if (!g) { /* nothing recorded in this leaf */
			p = (p | ((1ul << RC_LEAF_SHIFT) - 1)) + 1;
			if (!p)
				break;
			continue;
		}
		if (LD(&g->cell[0]) || LD(&g->cell[1]) || LD(&g->cell[2]) || LD(&g->more)) {
			unsigned lo = (unsigned)(p - gbase), hi = gend <= end ? 8 : (unsigned)(end - gbase);
			unsigned mask = ((1u << hi) - 1) & ~((1u << lo) - 1);
			forget_gran(e, g, mask);
			if (syncs && (LD(&g->more) & G_SYNC))
				forget_syncs(e, g, gbase, p, gend <= end ? gend : end);
		}
		if (gend < gbase)
			break;
		p = gend;
	}
}

/* ---- tests and diagnostics ------------------------------------------------------- */

uint64_t rc_memo_counts(struct rc_engine *e, uint64_t *made)
{
	uint64_t n = 0, k = 0;

	for (uint32_t s = 1; s < n_slots(e); s++) {
		struct rc_thread *th = thr(e, s);
		if (th) {
			n += LD(&th->n_memo);
			k += LD(&th->n_memo_made);
		}
	}
	if (made)
		*made = k;
	return n;
}

uint32_t rc_clock(struct rc_engine *e, rc_tid t, rc_tid u)
{
	struct rc_thread *th = thr(e, t);

	if (!th || u >= RC_MAX_THREADS)
		return 0;
	return (uint32_t)th->vc[u];
}

static const char *check_cell(struct rc_engine *e, uint64_t c)
{
	unsigned u = C_TID(c);
	struct rc_thread *o;

	if (!c)
		return NULL;
	if (!u || u >= e->n_slots || !(o = e->th[u]))
		return "a shadow cell names a slot never used";
	if (!C_MASK(c))
		return "a shadow cell with no bytes";
	if (!C_CLK(c) || C_CLK(c) > o->clk)
		return "a shadow cell from a slot's future";
	return NULL;
}

const char *rc_sanity(struct rc_engine *e)
{
	uint32_t n = e->n_slots, refs = 0, nfree = 0;
	const char *why;

	if (n < 1 || n > RC_MAX_THREADS)
		return "slot count out of range";
	for (uint32_t s = 1; s < n; s++) {
		struct rc_thread *th = e->th[s];
		if (!th)
			return "a used slot has no thread";
		if (th->vc[s] != th->clk)
			return "a thread's own clock entry is not its epoch";
		if (th->state != TH_LIVE || th->clk == RC_CLOCK_MAX)
			continue;
		for (uint32_t u = 1; u < n; u++)
			if (u != s && e->th[u] && e->th[u]->vc[s] >= th->clk)
				return "another thread knows a live thread's current epoch";
		for (int k = 0; k < RC_MEMOS; k++) {
			const struct rc_memo *m = &th->memo[k];
			if (!m->addr || m->s->seq != m->seq)
				continue;
			if (m->s->addr != m->addr || memo_of(th, m->addr) != m)
				return "a live memo names another sync address";
			for (uint32_t u = 0; u < n; u++) {
				uint64_t x = u < m->s->cap ? m->s->vc[u] : 0;
				if (x > th->vc[u])
					return "a live memo's sync clock knows more than its thread";
				if (m->fgen == th->fgen && u != s && x != th->vc[u])
					return "a live memo's sync clock differs from its thread's clock";
			}
		}
	}
	for (uint32_t b = 0; b < RC_SYNC_BUCKETS; b++) {
		for (struct rc_sync *s = e->buckets[b].head; s; s = s->next) {
			struct rc_gran *g = gran_peek(e, s->addr);
			if (bucket_of(e, s->addr) != &e->buckets[b])
				return "a sync clock in the wrong bucket";
			if (!g || !(g->more & G_SYNC))
				return "a sync clock whose granule does not say so";
			for (uint32_t u = 1; u < n && u < s->cap; u++)
				if (e->th[u]->state == TH_LIVE && s->vc[u] >= e->th[u]->clk &&
				    e->th[u]->clk != RC_CLOCK_MAX)
					return "a sync clock knows a live thread's current epoch";
		}
	}
	for (uint32_t i = 0; i < RC_TOP_ENTRIES; i++) {
		struct rc_gran **dir = e->top[i];
		if (!dir)
			continue;
		for (uint32_t j = 0; j < (1u << RC_DIR_BITS); j++) {
			struct rc_gran *leaf = dir[j];
			if (!leaf)
				continue;
			for (uint32_t k = 0; k < RC_LEAF_GRANS; k++) {
				struct rc_gran *g = &leaf[k];
				uint32_t steps = 0;
				if (g->lock & 1)
					return "a granule left locked";
				for (int x = 0; x < RC_INLINE_CELLS; x++)
					if ((why = check_cell(e, g->cell[x])))
						return why;
				for (uint32_t idx = g->more & G_IDX; idx; idx = chunk_at(e, idx)->next) {
					struct rc_chunk *c = chunk_at(e, idx);
					int used = 0;
					if (!c || ++steps > e->chunk_fresh)
						return "a broken overflow chain";
					for (int x = 0; x < RC_CHUNK_CELLS; x++) {
						if ((why = check_cell(e, c->cell[x])))
							return why;
						used |= c->cell[x] != 0;
					}
					if (!used)
						return "an empty overflow chunk left in a chain";
					refs++;
				}
				if ((g->more & G_IDX) && (!g->cell[0] || !g->cell[1] || !g->cell[2]))
					return "an overflow chain while an inline cell is free";
			}
		}
	}
	for (uint32_t idx = e->chunk_free; idx; idx = chunk_at(e, idx)->next)
		if (!chunk_at(e, idx) || ++nfree > e->chunk_fresh)
			return "a broken chunk free list";
	for (uint32_t t = 1; t < n; t++)
		for (uint32_t k = 0; k < e->th[t]->n_spare; k++)
			if (!chunk_at(e, e->th[t]->spare[k]) || ++nfree > e->chunk_fresh)
				return "a bad spare chunk";
	if (refs + nfree != e->chunk_fresh - 1)
		return "overflow chunks lost or shared";
	return NULL;
}
