/*
 * rt_tab.c - exact mode's pure tables: interning (calling contexts, lock
 * sets), the heap-block table, the atomic memory-order plan.  See
 * rt_tab.h for the invariants; DESIGN.md "Exact mode" for why.
 */
#include "rt_tab.h"

#include <string.h>

static inline uint64_t fmix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint64_t hash2(uint64_t k1, uint64_t k2)
{
	return fmix64(k1 * 0x9e3779b97f4a7c15ull ^ fmix64(k2));
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* ---- lh_itab ---- */

int lh_itab_init(struct lh_itab *t, unsigned log2_slots, const struct rc_alloc *a)
{
	size_t n = (size_t)1 << log2_slots;

	t->slot = a->alloc(a->cookie, n * sizeof(*t->slot));
	if (!t->slot)
		return -1;
	t->mask = (uint32_t)(n - 1);
	t->max_used = (uint32_t)(n / 4 * 3);
	t->n_used = 0;
	return 0;
}

uint32_t lh_itab_get(struct lh_itab *t, uint64_t k1, uint64_t k2, int *is_new)
{
	uint32_t j = (uint32_t)hash2(k1, k2) & t->mask;

	if (is_new)
		*is_new = 0;
	for (;;) {
		struct lh_islot *s = &t->slot[j];
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

		if (st == LH_ISLOT_EMPTY) {
			/* reserve room first: a full table must stay probe-able */
			if (__atomic_add_fetch(&t->n_used, 1, __ATOMIC_RELAXED) > t->max_used) {
				__atomic_sub_fetch(&t->n_used, 1, __ATOMIC_RELAXED);
				return 0;
			}
			if (__atomic_compare_exchange_n(&s->state, &st, LH_ISLOT_FILLING, 0,
			                                __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
				s->k1 = k1;
				s->k2 = k2;
				__atomic_store_n(&s->state, LH_ISLOT_READY, __ATOMIC_RELEASE);
				if (is_new)
					*is_new = 1;
				return j + 1;
			}
			__atomic_sub_fetch(&t->n_used, 1, __ATOMIC_RELAXED);
			/* someone else claimed it: look at what they put there */
		}
		while ((st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE)) == LH_ISLOT_FILLING)
			cpu_relax();
		if (s->k1 == k1 && s->k2 == k2)
			return j + 1;
		j = (j + 1) & t->mask;
	}
}

const struct lh_islot *lh_itab_key(const struct lh_itab *t, uint32_t id)
{
	const struct lh_islot *s;

	if (id == 0 || id - 1 > t->mask)
		return NULL;
	s = &t->slot[id - 1];
	return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == LH_ISLOT_READY ? s : NULL;
}

/* ---- calling contexts ---- */

int lh_ctx_init(struct lh_ctxtab *c, unsigned log2_nodes, unsigned log2_ctxs, const struct rc_alloc *a)
{
	if (lh_itab_init(&c->nodes, log2_nodes, a) < 0 || lh_itab_init(&c->ctxs, log2_ctxs, a) < 0)
		return -1;
	return 0;
}

int lh_ctx_node_stack(const struct lh_ctxtab *c, uint32_t node, uintptr_t *pcs, int max, int *truncated)
{
	int n = 0;

	*truncated = 0;
	while (node != 0) {
		const struct lh_islot *s = lh_itab_key(&c->nodes, node);
		if (!s)
			break;
		if (n == max) {
			*truncated = 1;
			break;
		}
		pcs[n++] = (uintptr_t)s->k2;
		/* parents are always made before their children: ids of a path
		 * never repeat, but a corrupt table must not loop forever */
		if ((uint32_t)s->k1 == node)
			break;
		node = (uint32_t)s->k1;
	}
	return n;
}

int lh_ctx_stack(const struct lh_ctxtab *c, uint32_t ctx, uintptr_t *pcs, int max, int *truncated,
                 uint32_t *lockset)
{
	const struct lh_islot *s = lh_itab_key(&c->ctxs, ctx);

	*truncated = 0;
	if (lockset)
		*lockset = 0;
	if (!s || max < 1)
		return 0;
	if (lockset)
		*lockset = (uint32_t)s->k1;
	pcs[0] = (uintptr_t)s->k2;
	return 1 + lh_ctx_node_stack(c, (uint32_t)(s->k1 >> 32), pcs + 1, max - 1, truncated);
}

/* ---- lock sets ---- */

int lh_ls_init(struct lh_lstab *t, unsigned log2_slots, const struct rc_alloc *a)
{
	size_t n = (size_t)1 << log2_slots;

	t->slot = a->alloc(a->cookie, n * sizeof(*t->slot));
	if (!t->slot)
		return -1;
	t->mask = (uint32_t)(n - 1);
	t->max_used = (uint32_t)(n / 4 * 3);
	t->n_used = 0;
	t->a = *a;
	return 0;
}

static uint64_t ls_hash(const struct lh_lockref *l, int n)
{
	uint64_t h = 0x243f6a8885a308d3ull ^ (uint64_t)n;
	int i;

	for (i = 0; i < n; i++)
		h = hash2(h, l[i].addr ^ ((uint64_t)l[i].kind << 56) ^ ((uint64_t)l[i].mode << 60));
	return h;
}

uint32_t lh_ls_get(struct lh_lstab *t, const struct lh_lockref *locks, int n)
{
	uint64_t h;
	uint32_t j;

	if (n <= 0)
		return 0;
	if (n > LH_LOCKSET_MAX)
		n = LH_LOCKSET_MAX;
	h = ls_hash(locks, n);
	j = (uint32_t)h & t->mask;
	for (;;) {
		struct lh_lsslot *s = &t->slot[j];
		uint32_t st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);

		if (st == LH_ISLOT_EMPTY) {
			if (__atomic_add_fetch(&t->n_used, 1, __ATOMIC_RELAXED) > t->max_used) {
				__atomic_sub_fetch(&t->n_used, 1, __ATOMIC_RELAXED);
				return UINT32_MAX;
			}
			if (__atomic_compare_exchange_n(&s->state, &st, LH_ISLOT_FILLING, 0,
			                                __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
				struct lh_lockref *copy = t->a.alloc(t->a.cookie, (size_t)n * sizeof(*copy));
				if (copy)
					memcpy(copy, locks, (size_t)n * sizeof(*copy));
				s->locks = copy;
				s->n = copy ? (uint32_t)n : 0;
				s->hash = h;
				__atomic_store_n(&s->state, LH_ISLOT_READY, __ATOMIC_RELEASE);
				return copy ? j + 1 : UINT32_MAX;
			}
			__atomic_sub_fetch(&t->n_used, 1, __ATOMIC_RELAXED);
		}
		while ((st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE)) == LH_ISLOT_FILLING)
			cpu_relax();
		if (s->hash == h && s->n == (uint32_t)n && !memcmp(s->locks, locks, (size_t)n * sizeof(*locks)))
			return j + 1;
		j = (j + 1) & t->mask;
	}
}

int lh_ls_locks(const struct lh_lstab *t, uint32_t id, const struct lh_lockref **locks)
{
	const struct lh_lsslot *s;

	*locks = NULL;
	if (id == 0 || id - 1 > t->mask)
		return 0;
	s = &t->slot[id - 1];
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != LH_ISLOT_READY)
		return 0;
	*locks = s->locks;
	return (int)s->n;
}

/* ---- heap blocks ---- */

static inline void shard_lock(struct lh_heap_shard *s)
{
	while (__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&s->lock, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void shard_unlock(struct lh_heap_shard *s)
{
	__atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
}

static inline uint64_t heap_hash(uint64_t base)
{
	return fmix64(base >> 4);
}

int lh_heap_init(struct lh_heap *h, unsigned log2_slots_per_shard, const struct rc_alloc *a)
{
	size_t n = (size_t)1 << log2_slots_per_shard;
	int i;

	memset(h, 0, sizeof(*h));
	h->mask = (uint32_t)(n - 1);
	h->max_used = (uint32_t)(n / 4 * 3);
	for (i = 0; i < LH_HEAP_SHARDS; i++) {
		h->shard[i].slot = a->alloc(a->cookie, n * sizeof(struct lh_heap_block));
		if (!h->shard[i].slot)
			return -1;
	}
	h->big = a->alloc(a->cookie, LH_HEAP_BIG * sizeof(struct lh_heap_block));
	return h->big ? 0 : -1;
}

static inline void big_lock(struct lh_heap *h)
{
	while (__atomic_exchange_n(&h->big_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&h->big_lock, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void big_unlock(struct lh_heap *h)
{
	__atomic_store_n(&h->big_lock, 0, __ATOMIC_RELEASE);
}

/* the big-block list: set (or drop, b->size == 0 meaning removal) base */
static void big_update(struct lh_heap *h, uint64_t base, const struct lh_heap_block *b)
{
	uint32_t i;

	big_lock(h);
	for (i = 0; i < h->n_big; i++)
		if (h->big[i].base == base)
			break;
	if (b) {
		if (i < h->n_big)
			h->big[i] = *b;
		else if (h->n_big < LH_HEAP_BIG)
			h->big[h->n_big++] = *b;
		else
			h->big_overflow = 1;
	} else if (i < h->n_big) {
		h->big[i] = h->big[--h->n_big];
	}
	big_unlock(h);
}

static inline struct lh_heap_shard *shard_of(struct lh_heap *h, uint64_t hv)
{
	return &h->shard[(hv >> 58) & (LH_HEAP_SHARDS - 1)];
}

int lh_heap_insert(struct lh_heap *h, const struct lh_heap_block *b)
{
	uint64_t hv = heap_hash(b->base);
	struct lh_heap_shard *s = shard_of(h, hv);
	uint32_t j = (uint32_t)hv & h->mask;
	int rc = 0;

	if (b->base == 0)
		return -1;
	shard_lock(s);
	for (; s->slot[j].base; j = (j + 1) & h->mask)
		if (s->slot[j].base == b->base)
			break;
	if (s->slot[j].base == 0) {
		if (s->n_used >= h->max_used) {
			rc = -1;
			goto out;
		}
		s->n_used++;
	}
	s->slot[j] = *b;
out:
	shard_unlock(s);
	if (rc == 0 && b->size > LH_HEAP_NEAR)
		big_update(h, b->base, b);
	return rc;
}

int lh_heap_remove(struct lh_heap *h, uint64_t base, struct lh_heap_block *out)
{
	uint64_t hv = heap_hash(base);
	struct lh_heap_shard *s = shard_of(h, hv);
	uint32_t j = (uint32_t)hv & h->mask, k;

	if (base == 0)
		return 0;
	shard_lock(s);
	for (; s->slot[j].base; j = (j + 1) & h->mask)
		if (s->slot[j].base == base)
			break;
	if (s->slot[j].base == 0) {
		shard_unlock(s);
		return 0;
	}
	if (out)
		*out = s->slot[j];
	/* backward shift: move later entries of the probe run into the hole
	 * when the hole lies between their home slot and where they are */
	for (k = (j + 1) & h->mask; s->slot[k].base; k = (k + 1) & h->mask) {
		uint32_t home = (uint32_t)heap_hash(s->slot[k].base) & h->mask;
		/* is home cyclically in (j, k]?  then the entry stays */
		if (j <= k ? (home > j && home <= k) : (home > j || home <= k))
			continue;
		s->slot[j] = s->slot[k];
		j = k;
	}
	s->slot[j].base = 0;
	s->n_used--;
	shard_unlock(s);
	if (__atomic_load_n(&h->n_big, __ATOMIC_RELAXED))
		big_update(h, base, NULL);
	return 1;
}

/* the block starting exactly at base */
static int heap_get(struct lh_heap *h, uint64_t base, struct lh_heap_block *out)
{
	uint64_t hv = heap_hash(base);
	struct lh_heap_shard *s = shard_of(h, hv);
	uint32_t j = (uint32_t)hv & h->mask;
	int found = 0;

	shard_lock(s);
	for (; s->slot[j].base; j = (j + 1) & h->mask)
		if (s->slot[j].base == base) {
			*out = s->slot[j];
			found = 1;
			break;
		}
	shard_unlock(s);
	return found;
}

static int contains(const struct lh_heap_block *b, uint64_t addr)
{
	return b->base && addr >= b->base && addr - b->base < (b->size ? b->size : 1);
}

int lh_heap_find(struct lh_heap *h, uint64_t addr, struct lh_heap_block *out)
{
	int i, found = 0;
	uint32_t j;
	uint64_t base;

	/* the blocks that can contain addr start at most LH_HEAP_NEAR below it
	 * (or are big), on an 8-byte boundary at least */
	for (base = addr & ~(uint64_t)7; base + LH_HEAP_NEAR > addr && base > 0; base -= 8)
		if (heap_get(h, base, out) && contains(out, addr))
			return 1;
	big_lock(h);
	for (j = 0; j < h->n_big; j++)
		if (contains(&h->big[j], addr)) {
			*out = h->big[j];
			found = 1;
			break;
		}
	big_unlock(h);
	if (found || !__atomic_load_n(&h->big_overflow, __ATOMIC_RELAXED))
		return found;
	for (i = 0; i < LH_HEAP_SHARDS && !found; i++) {
		struct lh_heap_shard *s = &h->shard[i];
		shard_lock(s);
		for (j = 0; j <= h->mask; j++) {
			const struct lh_heap_block *b = &s->slot[j];
			if (b->base && addr >= b->base && addr - b->base < (b->size ? b->size : 1)) {
				*out = *b;
				found = 1;
				break;
			}
		}
		shard_unlock(s);
	}
	return found;
}

uint64_t lh_heap_count(struct lh_heap *h)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < LH_HEAP_SHARDS; i++)
		n += __atomic_load_n(&h->shard[i].n_used, __ATOMIC_RELAXED);
	return n;
}

void lh_heap_forget_threads(struct lh_heap *h, uint32_t keep)
{
	int i;
	uint32_t j;

	for (i = 0; i < LH_HEAP_SHARDS; i++) {
		struct lh_heap_shard *s = &h->shard[i];
		shard_lock(s);
		if (s->n_used)
			for (j = 0; j <= h->mask; j++)
				if (s->slot[j].base && s->slot[j].thread != keep)
					s->slot[j].thread = 0;
		shard_unlock(s);
	}
	big_lock(h);
	for (j = 0; j < h->n_big; j++)
		if (h->big[j].thread != keep)
			h->big[j].thread = 0;
	big_unlock(h);
}

void lh_heap_lock_all(struct lh_heap *h)
{
	int i;
	for (i = 0; i < LH_HEAP_SHARDS; i++)
		shard_lock(&h->shard[i]);
	big_lock(h);
}

void lh_heap_unlock_all(struct lh_heap *h)
{
	int i;
	big_unlock(h);
	for (i = 0; i < LH_HEAP_SHARDS; i++)
		shard_unlock(&h->shard[i]);
}

/* ---- atomics ----
 * Loads that acquire and stores that release go with their clock under the
 * address's stripe lock (LH_RTA_SERIAL): another thread's release store
 * can then never slip between a load and the clock it acquires.  Relaxed
 * operations go under it too: a fence may turn them into a release or an
 * acquire (clean_fences), and a relaxed load that sees a store before the
 * storing thread told the engine would acquire a stale clock.  A
 * read-modify-write has calls of its own (rc_release_rmw, rc_relaxed_rmw):
 * an RMW continues a release sequence (C11 7.17.3), so a relaxed reference
 * count increment must not cut the orders a release decrement published. */
unsigned lh_rt_atomic_plan(int op, int mo)
{
	int acq, rel;

	mo &= 0xff;
	if (mo > 5)
		mo = 5;
	acq = mo == 1 || mo == 2 || mo == 4 || mo == 5; /* consume counts as acquire */
	rel = mo == 3 || mo == 4 || mo == 5;
	switch (op) {
	case LH_AOP_LOAD:
	case LH_AOP_CAS_FAIL:
		/* a load cannot release: a release order on it is ignored */
		return LH_RTA_ACCESS | (acq ? LH_RTA_ACQUIRE : LH_RTA_RELAXED_LOAD) | LH_RTA_SERIAL;
	case LH_AOP_STORE:
		return LH_RTA_ACCESS | LH_RTA_WRITE |
		       (rel ? LH_RTA_RELEASE_STORE : LH_RTA_RELAXED_STORE) | LH_RTA_SERIAL;
	case LH_AOP_RMW:
		if (acq && rel)
			return LH_RTA_ACCESS | LH_RTA_WRITE | LH_RTA_ACQ_REL | LH_RTA_SERIAL;
		if (acq)
			return LH_RTA_ACCESS | LH_RTA_WRITE | LH_RTA_ACQUIRE | LH_RTA_SERIAL;
		if (rel)
			return LH_RTA_ACCESS | LH_RTA_WRITE | LH_RTA_RELEASE_RMW | LH_RTA_SERIAL;
		return LH_RTA_ACCESS | LH_RTA_WRITE | LH_RTA_RELAXED_RMW | LH_RTA_SERIAL;
	case LH_AOP_FENCE:
		return (acq ? LH_RTA_FENCE_ACQ : 0) | (rel ? LH_RTA_FENCE_REL : 0);
	}
	return 0;
}
