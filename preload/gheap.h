/*
 * gheap.h - sampled heap blocks on pages of their own (GWP-ASan style), the
 * decisions (gh_): which allocations are sampled, and which slot of the
 * guarded pool a sampled block gets.  Sampled race watching (issue 10)
 * watches these blocks: a write-protected page or a watchpoint on a block
 * that shares its page with nothing else traps on that block alone.
 *
 * This unit is pure: no system calls, no clock, no log.  wrap_malloc.c
 * owns the pool's memory (one mapping from the shim's allocator), the
 * interposed malloc family and the notes; tests/unit/test_gheap.c drives
 * the decisions with scripted allocations.
 *
 * Sampling (LiteRace's lesson, over allocation sites): the fast path of
 * every allocation is one per-thread countdown decrement; when it reaches
 * zero the allocation is looked at (gh_pick): its site (the return address
 * of the call) is counted in a table, and
 *   - a site seen at most `dense` times is cold: the allocation is sampled,
 *     and the next look comes at the very next allocation (interval 1), so
 *     new sites (start-up, a new phase of a server) are looked at densely;
 *   - a hotter site is sampled on one look in 2^k, k = log2(looks / dense)
 *     (at most GH_SITE_MAX_SHIFT), and the interval between looks doubles,
 *     up to GH_INTERVAL_MAX: a loop of a million allocations from one
 *     place costs one look per GH_INTERVAL_MAX of them and a few dozen
 *     guarded blocks.
 * Misses: while the interval is long, a new site that allocates rarely is
 * looked at with probability about (its allocations) / GH_INTERVAL_MAX.
 *
 * The pool: GH_MAX_LIVE slots of GH_SLOT_PAGES pages each; a sampled block
 * starts at the first byte of its slot (left-aligned: any alignment up to
 * a page holds, malloc's 16 bytes included, and a block is never closer
 * than a page to another one's bytes).  Blocks bigger than a slot are not
 * sampled.  Slot claims and releases are lock-free (a bitmap of atomic
 * words), so free never waits and a fork never finds a slot half-taken.
 */
#ifndef LOCKHOUND_GHEAP_H
#define LOCKHOUND_GHEAP_H

#include <stddef.h>
#include <stdint.h>

/* Limits and tunings (DESIGN.md, "Sampled heap blocks") */
#define GH_LOG2_SITES 10        /* sites with a count of their own: 1024 (3/4 used at most) */
#define GH_SITE_DENSE_DEFAULT 4 /* looks of a site that are all sampled */
#define GH_SITE_MAX_SHIFT 10    /* the sparsest rate of a hot site: 1 look in 2^10 */
#define GH_INTERVAL_MAX 64      /* allocations between two looks, at most */
#define GH_MAX_LIVE 512         /* guarded blocks in flight at most: the pool's slots */
#define GH_SLOT_PAGES 4         /* pages per slot: the biggest block sampled */

enum gh_limit {
	GH_LIMIT_SITES = 1, /* the site table is full: new sites share the sparsest rate */
	GH_LIMIT_LIVE = 2,  /* every slot of the budget is taken: allocations not sampled */
	GH_LIMIT_N = 3
};

struct gh_picker {
	uint32_t dense;    /* looks of a site that are all sampled (>= 1) */
	uint32_t interval; /* allocations until the next look, for the thread that looked */
	uint32_t n_sites;
	uint64_t overflow; /* looks of the sites the full table could not take */
	uint64_t site[1u << GH_LOG2_SITES];   /* return address, 0: free */
	uint64_t looks[1u << GH_LOG2_SITES];  /* looks at that site */
	uint64_t n_looks, n_sampled;
	unsigned limits; /* bit (1 << enum gh_limit): reached at least once */
};

/* dense 0: GH_SITE_DENSE_DEFAULT */
void gh_picker_init(struct gh_picker *p, uint32_t dense);
/* A look at one allocation of `site` (its caller's return address, not 0).
 * Returns 1 when the allocation is to be sampled; *next: how many
 * allocations the thread makes before its next look (>= 1).  The caller
 * serializes calls (wrap_malloc.c: a spin lock it only tries). */
int gh_pick(struct gh_picker *p, uint64_t site, uint32_t *next);
/* 1 when the caller's look was at a site seen only `dense` times or less
 * (for the tests and the stats) */
int gh_site_cold(const struct gh_picker *p, uint64_t site);

/* ---- the pool's slots ---- */
#define GH_WORDS ((GH_MAX_LIVE + 63) / 64)
struct gh_pool {
	uintptr_t base;        /* first slot's first byte; slots follow each other */
	size_t slot_bytes;     /* GH_SLOT_PAGES pages */
	unsigned n_slots;      /* the budget: at most GH_MAX_LIVE */
	uint64_t used[GH_WORDS];  /* bit i: slot i holds a block (or is being freed) */
	size_t size[GH_MAX_LIVE]; /* the block's size as the program asked (usable size) */
	uint32_t live, peak;      /* blocks in flight now / at most */
	uint64_t claims, releases, reuses; /* reuses: a claim of a slot used before */
	uint64_t ever[GH_WORDS];  /* bit i: slot i was used at least once */
};

/* over [base, base + n_slots * slot_bytes); n_slots <= GH_MAX_LIVE */
void gh_pool_init(struct gh_pool *g, uintptr_t base, size_t slot_bytes, unsigned n_slots);
/* 1 when p lies in the pool (two compares: free's and realloc's test) */
static inline int gh_pool_has(const struct gh_pool *g, const void *p)
{
	return (uintptr_t)p - g->base < (uintptr_t)g->n_slots * g->slot_bytes;
}
/* A free slot for a block of n bytes (n <= slot_bytes): its index, the
 * lowest free one (a freed slot is the first to be used again), or -1 when
 * all are taken.  Lock-free. */
int gh_pool_claim(struct gh_pool *g, size_t n);
static inline uintptr_t gh_pool_addr(const struct gh_pool *g, int slot)
{
	return g->base + (uintptr_t)slot * g->slot_bytes;
}
/* The slot of the block at p, or -1 when p is not the start of a block in
 * flight (a pointer into the pool that was never returned by it, or a
 * block already freed). */
int gh_pool_slot_of(const struct gh_pool *g, const void *p);
/* The block of slot is gone; the caller has returned its pages first.
 * Returns 0, or -1 when the slot was not in use (a double free: ignored). */
int gh_pool_release(struct gh_pool *g, int slot);
/* 0 when the pool's invariants hold, else what is wrong */
const char *gh_pool_sanity(const struct gh_pool *g);

#endif
