/*
 * lockid.c - lock identities: the table from a lock's address to its slot
 * (struct lh_lock), the identity each slot carries, and the table of memory
 * pages that hold locks (so free() can end the identities of the locks in
 * the freed block).  Pure: it knows nothing of threads' held locks, edges
 * or the log format; its only dependencies are lh_alloc, the shim's own
 * mutex and lh_log_note.  tests/unit/test_lockid.c drives it.
 *
 * A lock is its address plus a generation: init (and the first use after a
 * destroy, a free, or with no init seen at all) gives the address a new id,
 * so orders recorded for an old lock never join a new lock at a reused
 * address.  The table is a chain of open-addressing tables (LH_LID_TABLES of
 * them, the first 2^LH_LID_FIRST_BITS slots, each next one twice as large);
 * a slot's address is set once, by compare-and-swap, and never cleared or
 * moved, so look-ups need no lock and each thread keeps a direct-mapped
 * cache of address -> slot that grows for a thread cycling over many
 * locks (lh_lid_get).
 *
 * Publication of an identity (the fields of struct lh_lock, shim.h): the
 * thread that makes an identity first claims the slot by storing
 * LH_LID_BUSY in `id`, then writes kind, flags, init_stack and gen, then
 * publishes the new id with a release store.  A reader acquire-loads `id`
 * first, so a usable id (neither 0 nor LH_LID_BUSY) always comes with the
 * fields of that identity.  A reader that finds the slot claimed spins: the
 * claimant runs a handful of stores between claim and publish and never
 * blocks there.  A claim carries the process's fork generation
 * (LH_LID_BUSY | fork_gen): a claim left by a thread that did not survive a
 * fork (the child has only the forking thread) is stale in the child, and
 * the next claimant takes it over instead of waiting for it forever.
 */
#include "shim.h"

#include <sched.h>
#include <sys/mman.h>

#define LH_LID_TABLES 16
#define LH_LID_FIRST_BITS 14
#define LH_LID_PROBE 32

static struct lh_lock *tables[LH_LID_TABLES]; /* [i] published by the release store of n_tables */
static int n_tables;                          /* atomic: acquire/release */
static size_t newest_used;                    /* atomic relaxed: a fill estimate only */
static uint64_t next_lock_id = 1;             /* atomic relaxed: ids only need to be unique */
pthread_mutex_t lh_lid_grow_mu = PTHREAD_MUTEX_INITIALIZER; /* across fork: forklocks.c */
static uint64_t fork_gen;                     /* atomic relaxed: forks into this process */
static uint64_t fork_first_id;                /* atomic relaxed: next_lock_id at the latest fork */

#ifdef LH_UNIT_TEST
void (*lh_lid_test_hook)(struct lh_lock *lk, int stage);
#define LID_HOOK(lk, stage)                                                                        \
	do {                                                                                       \
		if (lh_lid_test_hook)                                                              \
			lh_lid_test_hook((lk), (stage));                                           \
	} while (0)
#else
#define LID_HOOK(lk, stage) ((void)0)
#endif

static inline size_t hash_addr(uintptr_t a)
{
	uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 17);
}

/* ---- which memory holds locks, for free() ----
 * A lock the program never destroys (std::mutex, a mutex in a struct that is
 * simply freed) would keep its identity after its memory is freed; the next
 * object at that address would inherit its recorded orders and make false
 * cycles.  So free() ends the identities of the locks in the freed block.
 * To keep free() cheap, a table of 2^LH_PAGE_BITS pages that hold locks,
 * with a bit per 8-byte word that is a lock's address, answers "any lock
 * here?" in a couple of loads.  Insert-only and lock-free; a page that finds
 * no free entry within LH_PAGE_PROBE probes is not marked (noted once) and
 * its locks keep their identities past free(). */
#define LH_PAGE_BITS 16
#define LH_PAGE_PROBE 16
struct lock_page {
	uintptr_t page;    /* atomic: address >> 12, 0 = empty; set once by CAS */
	uint64_t words[8]; /* atomic: bit i: a lock at page address + 8 * i */
};
static struct lock_page *pages; /* atomic: published once by CAS */
static int n_pages_used;        /* atomic: 1 once any page is marked */

static inline size_t page_hash(uintptr_t pg)
{
	return (size_t)((pg * 0x9E3779B97F4A7C15ull) >> 40) & ((1u << LH_PAGE_BITS) - 1);
}

static void mark_page(uintptr_t addr)
{
	uintptr_t pg = addr >> 12;
	size_t j = page_hash(pg);
	unsigned w = (unsigned)((addr & 4095) >> 3);
	struct lock_page *pt = __atomic_load_n(&pages, __ATOMIC_ACQUIRE);
	int k;
	static int full_noted;

	if (!pt) {
		struct lock_page *p = lh_alloc(sizeof(*pages) << LH_PAGE_BITS);
		struct lock_page *expected = NULL;
		if (p && __atomic_compare_exchange_n(&pages, &expected, p, 0, __ATOMIC_ACQ_REL,
		                                     __ATOMIC_ACQUIRE))
			pt = p;
		else
			pt = expected; /* another thread's table (or NULL: out of memory) */
		if (!pt)
			return;
	}
	for (k = 0; k < LH_PAGE_PROBE; k++, j = (j + 1) & ((1u << LH_PAGE_BITS) - 1)) {
		uintptr_t cur = __atomic_load_n(&pt[j].page, __ATOMIC_ACQUIRE);
		if (cur == 0 && __atomic_compare_exchange_n(&pt[j].page, &cur, pg, 0, __ATOMIC_ACQ_REL,
		                                            __ATOMIC_ACQUIRE))
			cur = pg;
		if (cur == pg) {
			__atomic_or_fetch(&pt[j].words[w >> 6], 1ull << (w & 63), __ATOMIC_RELEASE);
			__atomic_store_n(&n_pages_used, 1, __ATOMIC_RELEASE);
			return;
		}
	}
	if (!__atomic_exchange_n(&full_noted, 1, __ATOMIC_RELAXED))
		lh_log_note("the table of memory pages holding locks is full: locks in memory freed "
		            "later may keep their old identity");
}

/* End the identities of the locks in [ptr, ptr + size): the memory is free,
 * and the next lock there is a new one.  Every page of the block is
 * examined (one probe sequence per page). */
void lh_lid_freed(void *ptr, size_t size)
{
	uintptr_t addr = (uintptr_t)ptr, end = addr + size, pg;
	struct lock_page *pt;

	if (!ptr || !__atomic_load_n(&n_pages_used, __ATOMIC_ACQUIRE))
		return;
	pt = __atomic_load_n(&pages, __ATOMIC_ACQUIRE);
	for (pg = addr >> 12; (pg << 12) < end; pg++) {
		size_t j = page_hash(pg);
		int k;
		for (k = 0; k < LH_PAGE_PROBE; k++, j = (j + 1) & ((1u << LH_PAGE_BITS) - 1)) {
			uintptr_t cur = __atomic_load_n(&pt[j].page, __ATOMIC_ACQUIRE);
			uintptr_t lo = addr > (pg << 12) ? addr : (pg << 12);
			uintptr_t hi = end < ((pg + 1) << 12) ? end : ((pg + 1) << 12);
			unsigned w;
			if (cur == 0)
				break;
			if (cur != pg)
				continue;
			for (w = (unsigned)((lo & 4095) >> 3); w < 512 && (pg << 12) + (uintptr_t)w * 8 < hi; w++) {
				struct lh_lock *lk;
				if (!(__atomic_load_n(&pt[j].words[w >> 6], __ATOMIC_ACQUIRE) & (1ull << (w & 63))))
					continue;
				lk = lh_lid_lookup((pg << 12) + (uintptr_t)w * 8, 0);
				if (lk)
					lh_lid_end(lk);
			}
			break;
		}
	}
}

/* ---- the address -> slot table ---- */

static struct lh_lock *probe(struct lh_lock *tab, size_t mask, uintptr_t addr, int insert)
{
	size_t j = hash_addr(addr) & mask;
	int k;

	for (k = 0; k < LH_LID_PROBE; k++, j = (j + 1) & mask) {
		uintptr_t cur = __atomic_load_n(&tab[j].addr, __ATOMIC_ACQUIRE);
		if (cur == addr)
			return &tab[j];
		if (cur == 0) {
			if (!insert)
				return NULL;
			if (__atomic_compare_exchange_n(&tab[j].addr, &cur, addr, 0, __ATOMIC_ACQ_REL,
			                                __ATOMIC_ACQUIRE)) {
				__atomic_add_fetch(&newest_used, 1, __ATOMIC_RELAXED);
				mark_page(addr);
				return &tab[j];
			}
			if (cur == addr)
				return &tab[j];
		}
	}
	return NULL;
}

static int grow_tables(int seen)
{
	int ok = 1;

	lh_mu_lock(&lh_lid_grow_mu);
	if (__atomic_load_n(&n_tables, __ATOMIC_RELAXED) == seen) {
		if (seen == LH_LID_TABLES) {
			ok = 0;
		} else {
			struct lh_lock *t = lh_alloc(sizeof(struct lh_lock) << (LH_LID_FIRST_BITS + seen));
			if (!t) {
				ok = 0;
			} else {
				tables[seen] = t;
				__atomic_store_n(&newest_used, 0, __ATOMIC_RELAXED);
				__atomic_store_n(&n_tables, seen + 1, __ATOMIC_RELEASE);
			}
		}
	}
	lh_mu_unlock(&lh_lid_grow_mu);
	return ok;
}

struct lh_lock *lh_lid_lookup(uintptr_t addr, int create)
{
	int n = __atomic_load_n(&n_tables, __ATOMIC_ACQUIRE), i;
	struct lh_lock *lk;
	static int full_noted;

	for (i = n - 1; i >= 0; i--) {
		lk = probe(tables[i], ((size_t)1 << (LH_LID_FIRST_BITS + i)) - 1, addr, 0);
		if (lk)
			return lk;
	}
	if (!create)
		return NULL;
	for (;;) {
		if (n > 0 && __atomic_load_n(&newest_used, __ATOMIC_RELAXED) <
		                 ((size_t)1 << (LH_LID_FIRST_BITS + n - 1)) / 2) {
			lk = probe(tables[n - 1], ((size_t)1 << (LH_LID_FIRST_BITS + n - 1)) - 1, addr, 1);
			if (lk)
				return lk;
		}
		if (!grow_tables(n)) {
			if (!__atomic_exchange_n(&full_noted, 1, __ATOMIC_RELAXED)) {
				lh_warn("lock table full: locks first used from now on are not tracked");
				lh_log_note("lock table full: locks first used after this point are not tracked");
			}
			return NULL;
		}
		n = __atomic_load_n(&n_tables, __ATOMIC_ACQUIRE);
	}
}

/* The per-thread cache of address -> slot.  A thread that takes more locks
 * than it holds entries in a cycle (itemlru and memcached: one of 4096 item
 * locks, then one of 16 LRU locks) misses it on nearly every acquisition,
 * and each miss walks the table and sends the acquisition off the
 * wrappers' fast path.  So, as the edge cache does, the cache grows 4x (to
 * at most LH_LOCK_CACHE_MAX entries) once its misses since the last growth
 * that found a lock with an identity outnumber its entries; a thread that
 * only meets new locks (first use, or a new lock at a freed address) keeps
 * the small one.  The grown array starts empty: the next misses fill it.
 * Indexed by address / 8: an array of locks fills it with no collision.
 * Bounded: LH_LOCK_CACHE_MAX entries of 56 bytes, 224 KiB per thread at
 * most (the arrays it replaced give their pages back), resident only where
 * touched.  Limit: a thread cycling over more
 * locks than that misses again (slower, nothing lost, so no note). */
_Static_assert((LH_LOCK_CACHE_MAX & (LH_LOCK_CACHE_MAX - 1)) == 0 && LH_LOCK_CACHE_MAX >= LH_LOCK_CACHE,
               "the lock cache's sizes are powers of 2");
static void lock_cache_grow(struct lh_thread *t)
{
	size_t n = ((size_t)t->lock_mask + 1) * 4, old_bytes;
	struct lh_lock_ce *nc, *old;

	t->lock_known_misses = 0;
	if (n > LH_LOCK_CACHE_MAX)
		n = LH_LOCK_CACHE_MAX;
	if (n <= (size_t)t->lock_mask + 1)
		return;
	nc = lh_alloc(n * sizeof(*nc)); /* zeroed: the shim's memory comes from mmap */
	if (!nc)
		return;
	old = t->lock_cache;
	old_bytes = ((size_t)t->lock_mask + 1) * sizeof(*old);
	/* the array before its larger mask, so that a look-up between the
	 * two stays inside the new array (the wrappers raise lh_in_shim around
	 * the core, so a signal handler's lock call should not look; this
	 * keeps it in bounds if one does) */
	__atomic_store_n(&t->lock_cache, nc, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&t->lock_mask, (uint32_t)(n - 1), __ATOMIC_RELAXED);
	/* The replaced array's whole pages go back (lh_alloc never frees, but
	 * no other allocation shares a page that lies wholly inside it): the
	 * steps before the last were a third of a grown thread's cache
	 * memory.  Only this thread reads its cache; a signal handler of its
	 * own that still reads the old array finds zeros, a miss. */
	if (old != t->lock_cache0) {
		uintptr_t lo = ((uintptr_t)old + 4095) & ~(uintptr_t)4095;
		uintptr_t hi = ((uintptr_t)old + old_bytes) & ~(uintptr_t)4095;
		if (hi > lo)
			madvise((void *)lo, hi - lo, MADV_DONTNEED);
	}
}

/* A recycled struct's grown array keeps its entries: an address's slot is
 * set once and never moves, so they stay true for any thread; only the
 * memos are the old thread's, and lh_edge_thread_reset clears them. */
void lh_lid_thread_init(struct lh_thread *t)
{
	if (!t->lock_cache) {
		t->lock_cache = t->lock_cache0;
		t->lock_mask = LH_LOCK_CACHE - 1;
	}
	t->lock_known_misses = 0;
}

struct lh_lock *lh_lid_get(struct lh_thread *t, void *addr)
{
	struct lh_lock_ce *e;
	struct lh_lock *lk;

	if (unlikely(!t->lock_cache))
		lh_lid_thread_init(t);
	e = lh_lc_entry(t, addr);
	if (likely(e->addr == addr))
		return e->lk;
	lk = lh_lid_lookup((uintptr_t)addr, 1);
	if (lk) {
		if (lh_lid_peek(lk) != 0 && ++t->lock_known_misses > t->lock_mask + 1) {
			lock_cache_grow(t);
			e = lh_lc_entry(t, addr);
		}
		e->addr = addr;
		e->lk = lk;
		e->memo_to_id = 0; /* the memo was about the slot's previous address */
	}
	return lk;
}

/* ---- identities ---- */

static inline int is_claim(uint64_t id)
{
	return (id & LH_LID_BUSY) != 0;
}

/* Claim the slot: swap `id` to this process's claim value.  With
 * `only_if_none`, only a slot with no identity is claimed (first use);
 * returns the id found instead, or 0 once claimed.  Otherwise any identity
 * is replaced (init).  Waits while another living thread holds the claim. */
static uint64_t claim(struct lh_lock *lk, int only_if_none)
{
	uint64_t mine = LH_LID_BUSY | __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
	unsigned spins = 0;

	for (;;) {
		uint64_t cur = __atomic_load_n(&lk->id, __ATOMIC_ACQUIRE);
		if (cur == mine) {
			if (++spins % 64 == 0)
				sched_yield(); /* the claimant was preempted */
			continue;
		}
		/* a stale claim (from before a fork) counts as no identity */
		if (cur != 0 && !is_claim(cur) && only_if_none)
			return cur;
		if (__atomic_compare_exchange_n(&lk->id, &cur, mine, 0, __ATOMIC_ACQUIRE,
		                                __ATOMIC_RELAXED))
			return 0;
	}
}

/* Fill the claimed slot's fields, then publish the new id (release: the
 * fields are visible to whoever acquire-loads the id). */
static uint64_t publish(struct lh_lock *lk, int kind, uint32_t flags, uint32_t init_stack,
                        uint64_t sem_state)
{
	uint64_t fresh = __atomic_fetch_add(&next_lock_id, 1, __ATOMIC_RELAXED);

	LID_HOOK(lk, LH_LID_STAGE_CLAIMED);
	__atomic_store_n(&lk->kind, (uint16_t)kind, __ATOMIC_RELAXED);
	__atomic_store_n(&lk->flags, (uint16_t)flags, __ATOMIC_RELAXED);
	__atomic_store_n(&lk->init_stack, init_stack, __ATOMIC_RELAXED);
	__atomic_store_n(&lk->gen, __atomic_load_n(&lk->gen, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
	/* a semaphore's model starts again with its identity (semmodel.c) */
	__atomic_store_n(&lk->sem_state, sem_state, __ATOMIC_RELAXED);
	__atomic_store_n(&lk->sem_posters, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&lk->cond_mutex, 0, __ATOMIC_RELAXED);
	LID_HOOK(lk, LH_LID_STAGE_FILLED);
	__atomic_store_n(&lk->id, fresh, __ATOMIC_RELEASE);
	LID_HOOK(lk, LH_LID_STAGE_PUBLISHED);
	return fresh;
}

uint64_t lh_lid_id(struct lh_lock *lk, int kind, uint32_t lflags)
{
	uint64_t id = __atomic_load_n(&lk->id, __ATOMIC_ACQUIRE);

	if (likely((int64_t)id > 0)) /* neither 0 nor a claim */
		return id;
	id = claim(lk, 1);
	if (id)
		return id; /* another thread made it meanwhile */
	return publish(lk, kind, lflags | LH_LOCKF_STATIC_INIT, 0, 0);
}

uint64_t lh_lid_new(struct lh_lock *lk, int kind, uint32_t lflags, uint32_t init_stack)
{
	claim(lk, 0);
	return publish(lk, kind, lflags, init_stack, 0);
}

uint64_t lh_lid_new_sem(struct lh_lock *lk, uint32_t lflags, uint32_t init_stack, uint64_t sem_state)
{
	claim(lk, 0);
	return publish(lk, LH_LOCK_SEM, lflags, init_stack, sem_state);
}

void lh_lid_end(struct lh_lock *lk)
{
	uint64_t cur = __atomic_load_n(&lk->id, __ATOMIC_ACQUIRE);

	/* a slot being made is left to its maker (ending an identity that is
	 * being created is the program's race: init or first use vs. destroy) */
	while (cur != 0 && !is_claim(cur) &&
	       !__atomic_compare_exchange_n(&lk->id, &cur, 0, 0, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
		;
}

uint64_t lh_lid_peek(const struct lh_lock *lk)
{
	uint64_t id = __atomic_load_n(&lk->id, __ATOMIC_ACQUIRE);
	return is_claim(id) ? 0 : id;
}

void lh_lid_describe(const struct lh_lock *lk, uint64_t id, struct lh_rec_lock *r)
{
	r->lock_id = id;
	r->addr = __atomic_load_n(&lk->addr, __ATOMIC_RELAXED);
	r->kind = __atomic_load_n(&lk->kind, __ATOMIC_RELAXED);
	r->init_stack = __atomic_load_n(&lk->init_stack, __ATOMIC_RELAXED);
	r->flags = __atomic_load_n(&lk->flags, __ATOMIC_RELAXED);
	r->generation = __atomic_load_n(&lk->gen, __ATOMIC_RELAXED);
}

void lh_lid_after_fork_child(void)
{
	/* lh_lid_grow_mu was re-made by lh_fork_reset_all; claims of the
	 * threads that did not come along are stale now */
	__atomic_store_n(&fork_gen, (__atomic_load_n(&fork_gen, __ATOMIC_RELAXED) + 1) & ~LH_LID_BUSY,
	                 __ATOMIC_RELAXED);
	/* ids only grow, and the child goes on from the parent's counter:
	 * every id below this one was made before the fork */
	__atomic_store_n(&fork_first_id, __atomic_load_n(&next_lock_id, __ATOMIC_RELAXED),
	                 __ATOMIC_RELAXED);
}

int lh_lid_before_fork(uint64_t id)
{
	return id != 0 && id < __atomic_load_n(&fork_first_id, __ATOMIC_RELAXED);
}
