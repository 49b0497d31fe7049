/*
 * gheap.c - sampled heap blocks, the decisions (see gheap.h): the adaptive
 * per-site sampler and the guarded pool's slots.  Pure: the caller passes
 * the memory's address and does the system calls.
 */
#include "gheap.h"

#include <string.h>

#define SITES (1u << GH_LOG2_SITES)
#define SITES_MAX (SITES / 4 * 3) /* a table fuller than this probes too long */

void gh_picker_init(struct gh_picker *p, uint32_t dense)
{
	memset(p, 0, sizeof(*p));
	p->dense = dense ? dense : GH_SITE_DENSE_DEFAULT;
	p->interval = 1;
}

static uint32_t site_hash(uint64_t site)
{
	/* return addresses differ in their low bits; mix them all in */
	site ^= site >> 29;
	site *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(site >> (64 - GH_LOG2_SITES));
}

/* the looks counter of site (a new entry if there is room), or NULL when
 * the table is full and site is not in it */
static uint64_t *site_looks(struct gh_picker *p, uint64_t site, int add)
{
	uint32_t i = site_hash(site);

	for (;;) {
		if (p->site[i] == site)
			return &p->looks[i];
		if (!p->site[i])
			break;
		i = (i + 1) & (SITES - 1);
	}
	if (!add)
		return NULL;
	if (p->n_sites >= SITES_MAX) {
		p->limits |= 1u << GH_LIMIT_SITES;
		return NULL;
	}
	p->site[i] = site;
	p->looks[i] = 0;
	p->n_sites++;
	return &p->looks[i];
}

static unsigned log2_floor(uint64_t x)
{
	return x ? 63u - (unsigned)__builtin_clzll(x) : 0;
}

int gh_site_cold(const struct gh_picker *p, uint64_t site)
{
	uint64_t *n = site_looks((struct gh_picker *)p, site, 0);
	return n && *n <= p->dense;
}

int gh_pick(struct gh_picker *p, uint64_t site, uint32_t *next)
{
	uint64_t *np = site_looks(p, site, 1);
	uint64_t n;
	unsigned k;
	int sample;

	p->n_looks++;
	/* a site the full table cannot take counts with every other such
	 * site: together they are one hot site, sampled at the sparsest rate */
	n = np ? ++*np : ++p->overflow + ((uint64_t)p->dense << GH_SITE_MAX_SHIFT);
	if (n <= p->dense) {
		sample = 1;
		p->interval = 1; /* cold code: look at every allocation */
	} else {
		k = log2_floor(n / p->dense);
		if (k > GH_SITE_MAX_SHIFT)
			k = GH_SITE_MAX_SHIFT;
		sample = (n & ((1ull << k) - 1)) == 0;
		if (p->interval < GH_INTERVAL_MAX)
			p->interval *= 2;
	}
	if (sample)
		p->n_sampled++;
	*next = p->interval;
	return sample;
}

/* ---- the pool ---- */

void gh_pool_init(struct gh_pool *g, uintptr_t base, size_t slot_bytes, unsigned n_slots)
{
	memset(g, 0, sizeof(*g));
	g->base = base;
	g->slot_bytes = slot_bytes;
	g->n_slots = n_slots > GH_MAX_LIVE ? GH_MAX_LIVE : n_slots;
}

int gh_pool_claim(struct gh_pool *g, size_t n)
{
	unsigned w;

	if (n > g->slot_bytes)
		return -1;
	for (w = 0; w * 64 < g->n_slots; w++) {
		uint64_t cur = __atomic_load_n(&g->used[w], __ATOMIC_RELAXED);
		unsigned top = g->n_slots - w * 64 < 64 ? g->n_slots - w * 64 : 64;
		uint64_t valid = top == 64 ? ~0ull : (1ull << top) - 1;

		while ((~cur & valid) != 0) {
			unsigned b = (unsigned)__builtin_ctzll(~cur & valid);
			if (__atomic_compare_exchange_n(&g->used[w], &cur, cur | (1ull << b), 0,
			                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
				int slot = (int)(w * 64 + b);
				uint32_t live;
				uint64_t was = __atomic_fetch_or(&g->ever[w], 1ull << b,
				                                 __ATOMIC_RELAXED);

				g->size[slot] = n;
				live = __atomic_add_fetch(&g->live, 1, __ATOMIC_RELAXED);
				/* peak: a racy max is fine for a statistic, but keep it monotone */
				for (uint32_t pk = __atomic_load_n(&g->peak, __ATOMIC_RELAXED);
				     live > pk && !__atomic_compare_exchange_n(&g->peak, &pk, live, 0,
				                                               __ATOMIC_RELAXED,
				                                               __ATOMIC_RELAXED);)
					;
				__atomic_add_fetch(&g->claims, 1, __ATOMIC_RELAXED);
				if (was & (1ull << b))
					__atomic_add_fetch(&g->reuses, 1, __ATOMIC_RELAXED);
				return slot;
			}
		}
	}
	return -1;
}

int gh_pool_slot_of(const struct gh_pool *g, const void *p)
{
	uintptr_t off = (uintptr_t)p - g->base;
	unsigned slot;

	if (!gh_pool_has(g, p) || off % g->slot_bytes)
		return -1;
	slot = (unsigned)(off / g->slot_bytes);
	if (!(__atomic_load_n(&g->used[slot / 64], __ATOMIC_ACQUIRE) & (1ull << (slot % 64))))
		return -1;
	return (int)slot;
}

int gh_pool_release(struct gh_pool *g, int slot)
{
	uint64_t bit, was;

	if (slot < 0 || (unsigned)slot >= g->n_slots)
		return -1;
	bit = 1ull << (slot % 64);
	/* live drops before the bit is cleared: once it is clear another
	 * thread may claim the slot, and with the old order its count came
	 * first, so live (and peak) passed n_slots for a moment */
	__atomic_sub_fetch(&g->live, 1, __ATOMIC_RELAXED);
	was = __atomic_fetch_and(&g->used[slot / 64], ~bit, __ATOMIC_ACQ_REL);
	if (!(was & bit)) {
		__atomic_add_fetch(&g->live, 1, __ATOMIC_RELAXED);
		return -1;
	}
	__atomic_add_fetch(&g->releases, 1, __ATOMIC_RELAXED);
	return 0;
}

const char *gh_pool_sanity(const struct gh_pool *g)
{
	unsigned w, n = 0;

	if (g->n_slots > GH_MAX_LIVE)
		return "more slots than GH_MAX_LIVE";
	for (w = 0; w < GH_WORDS; w++) {
		uint64_t u = __atomic_load_n(&g->used[w], __ATOMIC_RELAXED);
		if (u & ~__atomic_load_n(&g->ever[w], __ATOMIC_RELAXED))
			return "a slot in use that was never claimed";
		if (w * 64 >= g->n_slots ? u != 0
		                         : g->n_slots - w * 64 < 64 && (u >> (g->n_slots - w * 64)))
			return "a slot beyond the budget in use";
		n += (unsigned)__builtin_popcountll(u);
	}
	if (n != __atomic_load_n(&g->live, __ATOMIC_RELAXED))
		return "live count differs from the slots in use";
	if (g->live > g->peak)
		return "live above its peak";
	if (g->claims - g->releases != g->live)
		return "claims - releases != live";
	return 0;
}
