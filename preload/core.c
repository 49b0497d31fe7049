/*
 * core.c - what the shim knows about locks: their identities, which locks
 * each thread holds, and the lock-order edges it records.
 *
 * Lock identity.  A lock is its address plus a generation: init (and the
 * first use after a destroy) gives the address a new id, so orders recorded
 * for an old lock never join a new lock at a reused address.  The table
 * mapping address -> struct lh_lock is a chain of open-addressing tables,
 * each twice the size of the one before; a slot's address is set once (by
 * compare-and-swap) and never cleared or moved, so lookups need no lock and
 * each thread keeps a small direct-mapped cache of address -> slot.
 *
 * Edges.  When a thread acquires L (not by trylock) while holding H, the
 * edge H -> L is recorded with its context: the thread, the modes, the
 * other held locks (the gates) and both acquisition stacks.  The fast path
 * only hashes (H, L, modes, call sites, gates) and looks the key up in a
 * per-thread cache; a miss takes core_mu and checks the global sets.  Only
 * a context never seen before costs an unwind and a log record, so the log
 * grows with the program's distinct behaviour, not its run time.  One
 * context is recorded for at most LH_THREADS_PER_EDGE threads; later threads
 * doing exactly the same thing add nothing (thread-pool churn stays cheap).
 *
 * Stacks of held locks are not captured when the lock is taken (that would
 * put an unwind on every lock call).  Each held entry keeps the call's
 * return address and the caller's stack pointer; when a new edge needs the
 * held lock's stack, the current unwind is searched for that frame, and the
 * held stack is the call site followed by that frame's callers.  Limit: if
 * the function that took H has returned since (H taken in a helper that
 * returned with it held), only H's call site is exact and the edge is
 * flagged LH_EDGE_FROM_STACK_PARTIAL.
 */
#include "rt.h"

#include <errno.h>
#include <string.h>

#define LH_THREADS_PER_EDGE 4
#define N_TABLES 16
#define FIRST_BITS 14
#define MAX_PROBE 32

static struct lh_lock *tables[N_TABLES];
static struct lh_lock *lock_lookup(uintptr_t addr, int create);
static int n_tables;
static size_t newest_used;
static uint64_t next_lock_id = 1;
static pthread_mutex_t grow_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t core_mu = PTHREAD_MUTEX_INITIALIZER;

static inline size_t hash_addr(uintptr_t a)
{
	uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ull;
	return (size_t)(h >> 17);
}

/* ---- which memory holds locks, for free() ----
 * A lock the program never destroys (std::mutex, a mutex in a struct that is
 * simply freed) keeps its identity in the table after its memory is freed;
 * the next object at that address would inherit its recorded orders and make
 * false cycles.  So free() retires the identities of the locks in the freed
 * block.  To keep free() cheap, a table of pages that hold locks, with a bit
 * per 8-byte word that is a lock's address, answers "any lock here?" in a
 * couple of loads.  Insert-only and lock-free; when it is full, new pages are
 * not marked (noted once) and their locks keep identities past free().
 * Limit: only the first page of a freed block is examined. */
#define LH_PAGE_BITS 16
#define LH_PAGE_PROBE 16
struct lock_page {
	uintptr_t page; /* address >> 12, 0 = empty */
	uint64_t words[8]; /* bit i: a lock at page address + 8 * i */
};
static struct lock_page *pages;
static int n_pages_used;

static void mark_page(uintptr_t addr)
{
	uintptr_t pg = addr >> 12;
	size_t j = (size_t)((pg * 0x9E3779B97F4A7C15ull) >> 40) & ((1u << LH_PAGE_BITS) - 1);
	unsigned w = (unsigned)((addr & 4095) >> 3);
	int k;
	static int full_noted;

	if (!pages) {
		struct lock_page *p = lh_alloc(sizeof(*pages) << LH_PAGE_BITS);
		struct lock_page *expected = NULL;
		if (!p || !__atomic_compare_exchange_n(&pages, &expected, p, 0, __ATOMIC_ACQ_REL,
		                                       __ATOMIC_ACQUIRE))
			if (!pages)
				return;
	}
	for (k = 0; k < LH_PAGE_PROBE; k++, j = (j + 1) & ((1u << LH_PAGE_BITS) - 1)) {
		uintptr_t cur = __atomic_load_n(&pages[j].page, __ATOMIC_ACQUIRE);
		if (cur == 0 && __atomic_compare_exchange_n(&pages[j].page, &cur, pg, 0, __ATOMIC_ACQ_REL,
		                                            __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&n_pages_used, 1, __ATOMIC_RELEASE);
			cur = pg;
		}
		if (cur == pg) {
			__atomic_or_fetch(&pages[j].words[w >> 6], 1ull << (w & 63), __ATOMIC_RELEASE);
			return;
		}
	}
	if (!__atomic_exchange_n(&full_noted, 1, __ATOMIC_RELAXED))
		lh_log_note("the table of memory pages holding locks is full: locks in memory freed "
		            "later may keep their old identity");
}

/* Retire the identities of the locks in [ptr, ptr + size): the memory is
 * free, and the next lock there is a new one. */
void lh_core_freed(void *ptr, size_t size)
{
	uintptr_t addr = (uintptr_t)ptr, end = addr + size, pg;

	if (!__atomic_load_n(&n_pages_used, __ATOMIC_ACQUIRE) || !ptr)
		return;
	for (pg = addr >> 12; (pg << 12) < end; pg++) {
		size_t j = (size_t)((pg * 0x9E3779B97F4A7C15ull) >> 40) & ((1u << LH_PAGE_BITS) - 1);
		int k;
		for (k = 0; k < LH_PAGE_PROBE; k++, j = (j + 1) & ((1u << LH_PAGE_BITS) - 1)) {
			uintptr_t cur = __atomic_load_n(&pages[j].page, __ATOMIC_ACQUIRE);
			uintptr_t lo = addr > (pg << 12) ? addr : (pg << 12);
			uintptr_t hi = end < ((pg + 1) << 12) ? end : ((pg + 1) << 12);
			unsigned w;
			if (cur == 0)
				break;
			if (cur != pg)
				continue;
			for (w = (unsigned)((lo & 4095) >> 3); w < 512 && (pg << 12) + (uintptr_t)w * 8 < hi; w++) {
				struct lh_lock *lk;
				if (!(__atomic_load_n(&pages[j].words[w >> 6], __ATOMIC_ACQUIRE) & (1ull << (w & 63))))
					continue;
				lk = lock_lookup((pg << 12) + (uintptr_t)w * 8, 0);
				if (lk)
					__atomic_store_n(&lk->id, 0, __ATOMIC_RELEASE);
			}
			break;
		}
	}
}

static struct lh_lock *probe(struct lh_lock *tab, size_t mask, uintptr_t addr, int insert)
{
	size_t j = hash_addr(addr) & mask;
	int k;

	for (k = 0; k < MAX_PROBE; k++, j = (j + 1) & mask) {
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

	lh_mu_lock(&grow_mu);
	if (n_tables == seen) {
		if (seen == N_TABLES) {
			ok = 0;
		} else {
			struct lh_lock *t = lh_alloc(sizeof(struct lh_lock) << (FIRST_BITS + seen));
			if (!t) {
				ok = 0;
			} else {
				tables[seen] = t;
				newest_used = 0;
				__atomic_store_n(&n_tables, seen + 1, __ATOMIC_RELEASE);
			}
		}
	}
	lh_mu_unlock(&grow_mu);
	return ok;
}

/* Find the slot for addr, creating it if asked. NULL if the table is full
 * (noted once in the log: locks beyond it are not tracked). */
static struct lh_lock *lock_lookup(uintptr_t addr, int create)
{
	int n = __atomic_load_n(&n_tables, __ATOMIC_ACQUIRE), i;
	struct lh_lock *lk;
	static int full_noted;

	for (i = n - 1; i >= 0; i--) {
		lk = probe(tables[i], ((size_t)1 << (FIRST_BITS + i)) - 1, addr, 0);
		if (lk)
			return lk;
	}
	if (!create)
		return NULL;
	for (;;) {
		if (n > 0 && __atomic_load_n(&newest_used, __ATOMIC_RELAXED) <
		                 ((size_t)1 << (FIRST_BITS + n - 1)) / 2) {
			lk = probe(tables[n - 1], ((size_t)1 << (FIRST_BITS + n - 1)) - 1, addr, 1);
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

static struct lh_lock *lock_get(struct lh_thread *t, void *addr)
{
	size_t j = ((uintptr_t)addr >> 3) & (LH_LOCK_CACHE - 1);
	struct lh_lock *lk;

	if (likely(t->lock_cache[j].addr == addr))
		return t->lock_cache[j].lk;
	lk = lock_lookup((uintptr_t)addr, 1);
	if (lk) {
		t->lock_cache[j].addr = addr;
		t->lock_cache[j].lk = lk;
	}
	return lk;
}

/* The lock's current id, starting a new identity on first use (a lock
 * initialized statically, or used again after destroy). */
static uint64_t lock_id(struct lh_lock *lk, int kind, uint32_t lflags)
{
	uint64_t id = __atomic_load_n(&lk->id, __ATOMIC_ACQUIRE), fresh = 0;

	if (likely(id != 0))
		return id;
	fresh = __atomic_fetch_add(&next_lock_id, 1, __ATOMIC_RELAXED);
	if (__atomic_compare_exchange_n(&lk->id, &id, fresh, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		lk->kind = (uint16_t)kind;
		lk->flags = (uint16_t)(lflags | LH_LOCKF_STATIC_INIT);
		lk->init_stack = 0;
		lk->gen++;
		lk->emitted_epoch = 0;
		return fresh;
	}
	return id;
}

/* caller holds core_mu */
static void lock_emit(struct lh_lock *lk, uint64_t id)
{
	struct lh_rec_lock r;

	if (lk->emitted_epoch == lh_log_epoch)
		return;
	memset(&r, 0, sizeof(r));
	r.lock_id = id;
	r.addr = lk->addr;
	r.kind = lk->kind;
	r.init_stack = lk->init_stack;
	r.flags = lk->flags;
	r.generation = lk->gen;
	/* the init stack may date from before a fork: write it again */
	if (r.init_stack)
		r.init_stack = lh_stk_rewrite(r.init_stack);
	lh_log_record(LH_REC_LOCK, &r, sizeof(r), NULL, 0, NULL, 0);
	lk->emitted_epoch = lh_log_epoch;
}

uint32_t lh_core_mutex_flags(const pthread_mutex_t *m)
{
	/* glibc keeps the type in the low bits of __kind (ABI-stable: the
	 * static initializers write it) */
	int k = m->__data.__kind & 3;
	if (k == PTHREAD_MUTEX_RECURSIVE)
		return LH_LOCKF_RECURSIVE;
	if (k == PTHREAD_MUTEX_ERRORCHECK)
		return LH_LOCKF_ERRORCHECK;
	return 0;
}

void lh_core_init_lock(void *addr, int kind, uint32_t lflags, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_lock *lk;
	uint32_t st;

	if (!t)
		return;
	lk = lock_get(t, addr);
	if (!lk)
		return;
	st = lh_stk_capture(ra);
	/* a new identity, whether or not the old one was destroyed: memory
	 * re-initialized in place is a new lock */
	__atomic_store_n(&lk->id, 0, __ATOMIC_RELEASE);
	lock_id(lk, kind, lflags);
	lk->flags = (uint16_t)lflags;
	lk->init_stack = st;
}

void lh_core_destroy_lock(void *addr, int kind, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_lock *lk;

	if (!t)
		return;
	lk = lock_get(t, addr);
	if (lk)
		__atomic_store_n(&lk->id, 0, __ATOMIC_RELEASE);
}

/* Is t about to block on a lock it holds itself, for good?  A recursive
 * mutex never gets here (its trylock succeeds); an error-checking mutex
 * returns EDEADLK instead of blocking; glibc also refuses a read lock on a
 * rwlock the thread write-holds.  What is left blocks forever: a normal
 * mutex, a spinlock, and a write lock on a rwlock the thread read-holds. */
static int self_blocks(struct lh_thread *t, const struct lh_acq *a)
{
	int i;

	for (i = 0; i < t->n_held; i++) {
		if (t->held[i].addr != a->addr)
			continue;
		switch (a->kind) {
		case LH_LOCK_MUTEX:
		case LH_LOCK_C11_MTX:
			return !(lh_core_mutex_flags(a->addr) & (LH_LOCKF_ERRORCHECK | LH_LOCKF_RECURSIVE));
		case LH_LOCK_SPIN:
			return 1;
		case LH_LOCK_RWLOCK:
			return !(a->flags & LH_ACQ_SHARED) && t->held[i].mode == LH_MODE_SHARED;
		}
	}
	return 0;
}

void lh_core_wait_begin(const struct lh_acq *a)
{
	struct lh_thread *t = lh_thr_self();

	if (!t)
		return;
	lh_wait_note(t, LH_WAIT_LOCK, a->addr, (a->flags & LH_ACQ_SHARED) ? LH_MODE_SHARED : LH_MODE_EXCL,
	             (a->flags & LH_ACQ_TIMED) != 0, a->ra, a->cfa);
	if (!(a->flags & LH_ACQ_TIMED) && self_blocks(t, a))
		lh_wd_self_deadlock(t, a->addr, a->kind);
	lh_wd_kick();
}

void lh_core_wait_end(void)
{
	struct lh_thread *t = lh_thr_current_raw();

	if (t)
		lh_wait_clear(t);
}

/* ---- edge recording ---- */

/* Global sets: contexts recorded per thread (key ^ thread), per context how
 * many threads recorded it, and more (below).  Open addressing over uint64
 * keys (0 = empty), doubled when half full.  Written under core_mu only;
 * read without it (kset_peek): a table is published with a release store
 * after it is filled, a key after its value, and a table that was replaced
 * stays mapped, so a reader sees a valid table, perhaps a little old.  A
 * reader that misses takes core_mu and looks again. */
struct ktab {
	size_t cap;
	uint64_t *keys;
	uint32_t *vals;
};
struct kset {
	struct ktab *t;
	size_t used;
};
static struct kset ctx_by_thread, threads_by_ctx, pairs_by_site;

/* New locks recorded per pair of call sites.  A loop that creates a lock
 * per request and takes it under a global lock would otherwise add an edge
 * per request, forever.  Edges into a lock that no recorded edge has
 * touched yet count against a quota per pair of call sites; past it they
 * are not recorded (noted once in the log).  Edges between locks already
 * recorded always are, so transfer(a, b) then transfer(b, a) over many
 * objects still closes its cycles.  Limit: an inversion that first
 * involves a lock past the quota is missed. */
#define LH_PAIRS_PER_SITE 1024

/* caller holds core_mu */
static uint32_t *kset_get(struct kset *s, uint64_t key, int *is_new)
{
	struct ktab *t = s->t;
	size_t j;

	if (!t || (s->used + 1) * 2 > t->cap) {
		size_t ncap = t ? t->cap * 2 : 8192, i;
		struct ktab *nt = lh_alloc(sizeof(*nt));
		if (!nt)
			return NULL;
		nt->cap = ncap;
		nt->keys = lh_alloc(ncap * sizeof(*nt->keys));
		nt->vals = lh_alloc(ncap * sizeof(*nt->vals));
		if (!nt->keys || !nt->vals)
			return NULL;
		for (i = 0; t && i < t->cap; i++) {
			if (!t->keys[i])
				continue;
			for (j = t->keys[i] & (ncap - 1); nt->keys[j]; j = (j + 1) & (ncap - 1))
				;
			nt->keys[j] = t->keys[i];
			nt->vals[j] = t->vals[i];
		}
		__atomic_store_n(&s->t, nt, __ATOMIC_RELEASE);
		t = nt;
	}
	for (j = key & (t->cap - 1); t->keys[j]; j = (j + 1) & (t->cap - 1))
		if (t->keys[j] == key) {
			*is_new = 0;
			return &t->vals[j];
		}
	t->vals[j] = 0;
	__atomic_store_n(&t->keys[j], key, __ATOMIC_RELEASE);
	s->used++;
	*is_new = 1;
	return &t->vals[j];
}

/* with or without core_mu */
static uint32_t *kset_peek(struct kset *s, uint64_t key)
{
	struct ktab *t = __atomic_load_n(&s->t, __ATOMIC_ACQUIRE);
	size_t j;
	uint64_t k;

	if (!t)
		return NULL;
	for (j = key & (t->cap - 1); (k = __atomic_load_n(&t->keys[j], __ATOMIC_ACQUIRE)); j = (j + 1) & (t->cap - 1))
		if (k == key)
			return &t->vals[j];
	return NULL;
}

/* Edge contexts are identified by a 64-bit key alone (the sets store no
 * more), so two different contexts with the same key would silently drop
 * the second one's edge.  Each component goes through a full 64-bit
 * finalizer (splitmix64's) before it is combined, so a collision is a 2^-64
 * chance per pair of contexts, not a pattern of small lock ids. */
static inline uint64_t fmix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	return fmix(h * 0x9E3779B97F4A7C15ull + fmix(v + 0x632BE59BD9B4E019ull));
}

static inline uint64_t gate_term(const struct lh_held *h)
{
	return mix(h->lock_id, h->mode) | 1;
}

struct edge_ctx {
	struct lh_frames frames; /* unwound lazily, once per acquisition */
	int unwound;
	uint32_t to_stack;
};

static void record_edge(struct lh_thread *t, int i, struct lh_lock *lk, uint64_t id,
                        const struct lh_acq *a, uint64_t key, struct edge_ctx *ec)
{
	struct lh_held *h = &t->held[i];
	struct lh_rec_edge e;
	struct lh_rec_gate gates[LH_MAX_GATES];
	uint32_t *nthreads, *seen;
	int is_new, partial = 0, g, j;

	/* Known already (the per-thread cache forgot it)?  Answered without
	 * the lock, so a program with many lock pairs does not serialize here. */
	nthreads = kset_peek(&threads_by_ctx, key);
	if (nthreads && __atomic_load_n(nthreads, __ATOMIC_RELAXED) >= LH_THREADS_PER_EDGE)
		return;
	if (kset_peek(&ctx_by_thread, mix(key, t->id) | 1))
		return;
	lh_in_shim++;
	lh_mu_lock(&core_mu);
	/* A context into a lock no recorded edge has touched yet: within the
	 * quota of its call sites?  Checked before anything is remembered, so
	 * a program that makes a new lock per request stops growing here. */
	if (lk->emitted_epoch != lh_log_epoch) {
		uint64_t site = mix(mix(h->ra, a->ra), (h->mode << 1) | (a->flags & LH_ACQ_SHARED ? 1 : 0)) | 1;
		uint32_t *pairs = kset_peek(&pairs_by_site, site);
		if (pairs && *pairs >= LH_PAIRS_PER_SITE) {
			if (*pairs == LH_PAIRS_PER_SITE) {
				(*pairs)++;
				lh_log_note("more than %d new locks taken at the same two call sites (0x%lx, "
				            "0x%lx); further ones there are not recorded",
				            LH_PAIRS_PER_SITE, (unsigned long)h->ra, (unsigned long)a->ra);
			}
			goto out;
		}
		nthreads = kset_get(&threads_by_ctx, key, &is_new);
		if (!nthreads)
			goto out;
		if (is_new) {
			pairs = kset_get(&pairs_by_site, site, &is_new);
			if (pairs)
				(*pairs)++;
		}
	} else {
		nthreads = kset_get(&threads_by_ctx, key, &is_new);
		if (!nthreads)
			goto out;
	}
	/* enough threads recorded this context already: nothing to remember
	 * per thread either (thread churn must not grow the sets) */
	if (*nthreads >= LH_THREADS_PER_EDGE)
		goto out;
	seen = kset_get(&ctx_by_thread, mix(key, t->id) | 1, &is_new);
	if (!seen || !is_new)
		goto out;
	(*nthreads)++;
	if (!ec->unwound) {
		/* too little stack left for libunwind: call sites only */
		if (lh_stack_is_short())
			ec->frames.n = 0;
		else
			lh_stk_unwind(&ec->frames);
		ec->to_stack = lh_stk_from_frames(&ec->frames, a->ra, a->cfa, &partial);
		ec->unwound = 1;
	}
	memset(&e, 0, sizeof(e));
	e.to_stack = ec->to_stack;
	e.from_stack = lh_stk_from_frames(&ec->frames, h->ra, h->cfa, &partial);
	e.from_lock = h->lock_id;
	e.to_lock = id;
	e.thread_id = t->id;
	e.from_mode = h->mode;
	e.to_mode = (a->flags & LH_ACQ_SHARED) ? LH_MODE_SHARED : LH_MODE_EXCL;
	e.flags = partial ? LH_EDGE_FROM_STACK_PARTIAL : 0;
	e.time_ns = lh_now_ns();
	for (g = 0, j = 0; j < t->n_held && g < LH_MAX_GATES; j++) {
		if (j == i)
			continue;
		lock_emit(t->held[j].lk, t->held[j].lock_id);
		gates[g].lock_id = t->held[j].lock_id;
		gates[g].mode = t->held[j].mode;
		gates[g].pad = 0;
		g++;
	}
	e.n_gates = (uint32_t)g;
	lock_emit(h->lk, h->lock_id);
	lock_emit(lk, id);
	lh_thr_ensure(t);
	lh_log_record(LH_REC_EDGE, &e, sizeof(e), gates, (size_t)g * sizeof(gates[0]), NULL, 0);
out:
	lh_mu_unlock(&core_mu);
	lh_in_shim--;
}

static void add_edges(struct lh_thread *t, struct lh_lock *lk, uint64_t id, const struct lh_acq *a)
{
	uint64_t all_gates = 0, to_mode = (a->flags & LH_ACQ_SHARED) ? 1 : 0;
	struct edge_ctx ec;
	int i;

	if (unlikely(t->log_epoch != lh_log_epoch)) {
		memset(t->edge_cache, 0, sizeof(t->edge_cache));
		for (i = 0; i < LH_LOCK_CACHE; i++)
			t->lock_cache[i].memo_to_id = 0;
		t->log_epoch = lh_log_epoch;
	}
	for (i = 0; i < t->n_held; i++)
		all_gates += gate_term(&t->held[i]);
	ec.unwound = 0;
	for (i = 0; i < t->n_held; i++) {
		const struct lh_held *h = &t->held[i];
		uint64_t key = mix(mix(mix(h->lock_id, id), (h->mode << 1) | to_mode),
		                   mix(mix(h->ra, a->ra), all_gates - gate_term(h)));
		size_t slot;

		key |= 1;
		slot = (size_t)(key >> 20) & (LH_EDGE_CACHE - 1);
		if (likely(t->edge_cache[slot] == key))
			continue;
		record_edge(t, i, lk, id, a, key, &ec);
		t->edge_cache[slot] = key;
	}
	if (t->n_held == 1) {
		const struct lh_held *h = &t->held[0];
		size_t j = ((uintptr_t)h->addr >> 3) & (LH_LOCK_CACHE - 1);
		if (t->lock_cache[j].addr == h->addr) {
			t->lock_cache[j].memo_from_id = h->lock_id;
			t->lock_cache[j].memo_from_ra = h->ra;
			t->lock_cache[j].memo_to_id = id;
			t->lock_cache[j].memo_to_ra = a->ra;
			t->lock_cache[j].memo_modes = (uint32_t)(h->mode << 1) | (uint32_t)to_mode;
		}
	}
}

void lh_core_acquired(const struct lh_acq *a)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_lock *lk;
	struct lh_held *h;
	uint64_t id;
	int i;

	LH_RT_HOOK(lh_rt_lock_acquired(a->addr, a->kind,
	                               (a->flags & LH_ACQ_SHARED) ? LH_MODE_SHARED : LH_MODE_EXCL));
	if (!t)
		return;
	lk = lock_get(t, a->addr);
	if (!lk)
		return;
	id = lock_id(lk, a->kind, a->lflags);
	/* already held by this thread: a recursive mutex or a nested read lock;
	 * no edge (a thread cannot wait for itself there) */
	for (i = t->n_held - 1; i >= 0; i--)
		if (t->held[i].addr == a->addr) {
			t->held[i].count++;
			return;
		}
	if (!(a->flags & LH_ACQ_TRY) && t->n_held > 0)
		add_edges(t, lk, id, a);
	if (unlikely(t->n_held == LH_MAX_HELD)) {
		if (!t->overflow++) {
			lh_log_note("thread T%u holds more than %d locks at once; deeper locks are not "
			            "tracked",
			            t->id, LH_MAX_HELD);
		}
		return;
	}
	h = &t->held[t->n_held++];
	h->addr = a->addr;
	h->lk = lk;
	h->lock_id = id;
	h->ra = a->ra;
	h->cfa = a->cfa;
	h->count = 1;
	h->mode = (a->flags & LH_ACQ_SHARED) ? LH_MODE_SHARED : LH_MODE_EXCL;
	h->kind = a->kind;
}

static int spin_unlocked_value(void)
{
	static int value = -1;

	if (value == -1) {
		pthread_spinlock_t probe;
		lh_real.spin_init(&probe, PTHREAD_PROCESS_PRIVATE);
		value = *(volatile int *)&probe;
		lh_real.spin_destroy(&probe);
	}
	return value;
}

/* What glibc's own fields say about a lock: 1 locked, 0 unlocked, -1 not
 * known.  *owner gets the owning thread's kernel tid where glibc keeps it
 * (mutexes, write-locked rwlocks), *waiters whether others wait.  Layouts
 * are glibc's public, ABI-stable ones. */
static int lock_state(void *addr, int kind, int *owner, int *waiters)
{
	*owner = 0;
	*waiters = 0;
	switch (kind) {
	case LH_LOCK_MUTEX:
	case LH_LOCK_C11_MTX: {
		const pthread_mutex_t *m = addr;
		int v = __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED);
		*owner = m->__data.__owner;
		*waiters = v > 1;
		return v != 0;
	}
	case LH_LOCK_RWLOCK: {
		const pthread_rwlock_t *l = addr;
		unsigned r = __atomic_load_n(&l->__data.__readers, __ATOMIC_RELAXED);
		*owner = l->__data.__cur_writer;
		/* readers >> 3 counts readers; bit 1 is "write-locked" */
		return (r >> 3) != 0 || (r & 2) != 0;
	}
	case LH_LOCK_SPIN:
		/* glibc's unlocked value differs between ports (1 on x86-64, 0 on
		 * the generic code): compare with what init wrote */
		return __atomic_load_n((const int *)addr, __ATOMIC_RELAXED) != spin_unlocked_value();
	}
	return -1;
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

uint64_t lh_core_lock_id_emit(void *addr, int kind)
{
	struct lh_lock *lk = lock_lookup((uintptr_t)addr, 1);
	uint64_t id;

	if (!lk)
		return 0;
	id = lock_id(lk, kind ? kind : LH_LOCK_MUTEX, 0);
	lh_mu_lock(&core_mu);
	lock_emit(lk, id);
	lh_mu_unlock(&core_mu);
	return id;
}

/* A HOLDS item for the thread with kernel tid `owner`, when it is known:
 * the lock, and the call site where that thread took it (read from its
 * held-lock stack without its cooperation; only the call site is known). */
static int owner_item(int owner, void *addr, int kind, struct lh_rec_finding_item *it)
{
	struct lh_thread *o;
	uintptr_t ra = 0;
	int mode = 0;

	memset(it, 0, sizeof(*it));
	if (owner <= 0)
		return 0;
	lh_mu_lock(&lh_thr_mu);
	for (o = lh_thr_list; o; o = o->next) {
		int i, n = o->n_held;
		if (o->os_tid != owner || o->exiting)
			continue;
		it->thread_id = o->id;
		for (i = 0; i < n && i < LH_MAX_HELD; i++)
			if (o->held[i].addr == addr) {
				ra = o->held[i].ra;
				mode = o->held[i].mode;
			}
		break;
	}
	lh_mu_unlock(&lh_thr_mu);
	if (!it->thread_id)
		return 0;
	it->role = LH_ROLE_HOLDS;
	it->lock_id = lh_core_lock_id_emit(addr, kind);
	it->mode = (uint32_t)mode;
	it->stack_id = ra ? lh_stk_intern(&ra, 1, 0) : 0;
	return 1;
}

/* drop held[i]; the entries above it move down (acquisition order kept) */
static void held_remove(struct lh_thread *t, int i)
{
	memmove(&t->held[i], &t->held[i + 1], (size_t)(t->n_held - i - 1) * sizeof(t->held[0]));
	t->n_held--;
}

void lh_core_released(void *addr, int kind, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_rec_finding_item it;
	int i, owner, waiters, st;

	LH_RT_HOOK(lh_rt_lock_released(addr, kind, -1));
	if (!t)
		return;
	for (i = t->n_held - 1; i >= 0; i--) {
		if (t->held[i].addr != addr)
			continue;
		if (--t->held[i].count == 0)
			held_remove(t, i);
		return;
	}
	if (t->overflow > 0) {
		t->overflow--;
		return;
	}
	/* not held by this thread as far as the shim saw: ask the lock itself,
	 * so a lock taken before the shim was watching is no false alarm */
	st = lock_state(addr, kind, &owner, &waiters);
	if (st == 0)
		lh_report_misuse(LH_MIS_UNLOCK_NOT_LOCKED, addr, kind, ra, NULL, 0);
	else if (st == 1 && owner != 0 && owner != t->os_tid)
		lh_report_misuse(LH_MIS_UNLOCK_OTHER_THREAD, addr, kind, ra, &it,
		                 owner_item(owner, addr, kind, &it));
}

void lh_core_destroy_check(void *addr, int kind, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self(), *o;
	struct lh_rec_finding_item it;
	int owner, waiters, st, i, n = 0;

	if (!t)
		return;
	st = lock_state(addr, kind, &owner, &waiters);
	for (i = 0; i < t->n_held; i++)
		if (t->held[i].addr == addr)
			st = 1, owner = t->os_tid;
	if (st != 1)
		return;
	/* waiters the shim can see, beyond what the futex word says */
	lh_mu_lock(&lh_thr_mu);
	for (o = lh_thr_list; o; o = o->next)
		if (o != t && __atomic_load_n(&o->wait_kind, __ATOMIC_ACQUIRE) == LH_WAIT_LOCK &&
		    o->wait_addr == addr)
			waiters = 1;
	lh_mu_unlock(&lh_thr_mu);
	n = owner_item(owner, addr, kind, &it);
	lh_report_misuse(waiters ? LH_MIS_DESTROY_WAITERS : LH_MIS_DESTROY_LOCKED, addr, kind, ra, &it, n);
}

void lh_core_lock_failed(void *addr, int kind, int rc, uintptr_t ra)
{
	/* glibc marks a destroyed mutex with kind -1 and then fails with EINVAL */
	if (rc == EINVAL && (kind == LH_LOCK_MUTEX || kind == LH_LOCK_C11_MTX) &&
	    ((pthread_mutex_t *)addr)->__data.__kind == -1)
		lh_report_misuse(LH_MIS_USE_AFTER_DESTROY, addr, kind, ra, NULL, 0);
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
		t->held[i].exit_stack = lh_stk_from_frames(t->sample, t->held[i].ra, t->held[i].cfa, &partial);
	t->exit_call_stack = lh_stk_capture(ra);
}

void lh_core_thread_exit_check(struct lh_thread *t)
{
	struct lh_rec_finding_item items[LH_MAX_HELD];
	int i;

	if (t->n_held == 0 || t->exit_checked)
		return;
	t->exit_checked = 1;
	for (i = 0; i < t->n_held; i++) {
		memset(&items[i], 0, sizeof(items[i]));
		items[i].thread_id = t->id;
		items[i].role = LH_ROLE_HOLDS;
		items[i].lock_id = lh_core_lock_id_emit(t->held[i].addr, t->held[i].kind);
		items[i].mode = t->held[i].mode;
		items[i].stack_id =
		    t->held[i].exit_stack ? t->held[i].exit_stack : lh_stk_intern(&t->held[i].ra, 1, 0);
	}
	lh_report_misuse_stack(LH_MIS_EXIT_HOLDING, t->held[0].addr, t->held[0].kind,
	                       t->exit_call_stack, items, t->n_held);
}

/* ---- condition variables: which mutex each is being waited with ---- */

#define N_CONDS 4096
static struct {
	void *cond;
	void *mutex;
	int waiters;
	uint32_t thread; /* a thread waiting with `mutex` */
	uintptr_t ra;    /* and where it waits */
} conds[N_CONDS];
static pthread_mutex_t cond_mu = PTHREAD_MUTEX_INITIALIZER;

void lh_core_cond_enter(void *cond, void *mutex, int kind, uintptr_t ra, uintptr_t cfa,
                        const struct timespec *deadline, clockid_t clk)
{
	struct lh_thread *t = lh_thr_self();
	size_t j, k;
	int i, held = 0, owner, waiters, other = 0;
	void *other_mutex = NULL;
	uint32_t other_thread = 0;
	uintptr_t other_ra = 0;

	if (!t)
		return;
	for (i = 0; i < t->n_held; i++)
		if (t->held[i].addr == mutex)
			held = 1;
	if (!held && !(lock_state(mutex, kind, &owner, &waiters) == 1 && owner == t->os_tid))
		lh_report_misuse(LH_MIS_COND_NOT_HELD, mutex, kind, ra, NULL, 0);
	lh_mu_lock(&cond_mu);
	for (j = ((uintptr_t)cond >> 4) % N_CONDS, k = 0; k < 64; k++, j = (j + 1) % N_CONDS) {
		if (conds[j].cond == cond || conds[j].waiters == 0) {
			if (conds[j].cond == cond && conds[j].waiters > 0 && conds[j].mutex != mutex) {
				other = 1;
				other_mutex = conds[j].mutex;
				other_thread = conds[j].thread;
				other_ra = conds[j].ra;
			}
			if (!other && conds[j].waiters == 0) {
				conds[j].mutex = mutex;
				conds[j].thread = t->id;
				conds[j].ra = ra;
			}
			conds[j].cond = cond;
			conds[j].waiters++;
			break;
		}
	}
	lh_mu_unlock(&cond_mu);
	if (other) {
		struct lh_rec_finding_item it;
		/* the other waiter, and the mutex it waits with */
		memset(&it, 0, sizeof(it));
		it.thread_id = other_thread;
		it.role = LH_ROLE_WAITS;
		it.lock_id = lh_core_lock_id_emit(other_mutex, kind);
		it.stack_id = other_ra ? lh_stk_intern(&other_ra, 1, 0) : 0;
		lh_report_misuse(LH_MIS_COND_TWO_MUTEXES, mutex, kind, ra, &it, 1);
	}
	lh_core_cond_release(mutex, kind, ra);
	/* a timed wait still ends by taking the mutex back, without a timeout:
	 * the watchdog counts it once its deadline has passed */
	t->wait_clock = clk;
	t->wait_deadline_ns =
	    deadline ? (uint64_t)deadline->tv_sec * 1000000000u + (uint64_t)deadline->tv_nsec : 0;
	lh_wait_note(t, LH_WAIT_COND, mutex, LH_MODE_EXCL, deadline != NULL, ra, cfa);
	lh_wd_kick();
}

void lh_core_cond_leave(void *cond)
{
	size_t j, k;

	LH_RT_HOOK(lh_rt_acquire(cond)); /* what the signal that woke it released */
	lh_core_wait_end();
	lh_mu_lock(&cond_mu);
	for (j = ((uintptr_t)cond >> 4) % N_CONDS, k = 0; k < 64; k++, j = (j + 1) % N_CONDS)
		if (conds[j].cond == cond && conds[j].waiters > 0) {
			conds[j].waiters--;
			break;
		}
	lh_mu_unlock(&cond_mu);
}

void lh_core_cond_release(void *mutex, int kind, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	int i;

	LH_RT_HOOK(lh_rt_lock_released(mutex, kind, LH_MODE_EXCL));
	if (!t)
		return;
	/* the wait releases the mutex completely, whatever its count */
	for (i = t->n_held - 1; i >= 0; i--) {
		if (t->held[i].addr != mutex)
			continue;
		held_remove(t, i);
		return;
	}
}

void lh_core_after_fork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	core_mu = fresh;
	grow_mu = fresh;
	cond_mu = fresh;
	memset(conds, 0, sizeof(conds)); /* the waiters were other threads */
	/* the child's log starts empty: contexts must be recorded again */
	memset(&ctx_by_thread, 0, sizeof(ctx_by_thread));
	memset(&threads_by_ctx, 0, sizeof(threads_by_ctx));
	memset(&pairs_by_site, 0, sizeof(pairs_by_site));
}
