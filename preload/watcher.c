/*
 * watcher.c - sampled race watching, the decision core: candidates,
 * rotation, budgets, windows and the two verdicts (watcher.h says what
 * each call means; DESIGN.md, "Sampled race watching", why).
 *
 * Pure: no system calls, no clocks, no threads; the caller serializes.
 * Memory comes from the caller's allocator, all of it at wt_create: the
 * hot path (wt_hit) allocates nothing except what the race engine may
 * need for its shadow.
 */
#include "watcher.h"

#include <string.h>

/* the budget's defaults (DESIGN.md says how they were chosen) */
#define WT_DEFAULT_WINDOW_NS 20000000ull /* 20 ms of program time per window */
#define WT_DEFAULT_HOLD_NS 3000000ull    /* the first thread held 3 ms */
#define WT_DEFAULT_HITS_PER_WINDOW 64
#define WT_DEFAULT_HITS_PER_SEC 4000     /* ~30 us per trap: at most ~12% of one CPU */
#define WT_DEFAULT_SITE_DENSE 4
#define WT_DEFAULT_MAX_HEAP 512
#define WT_DEFAULT_COST_PERMILLE 20        /* 2% of the program's time */
#define WT_DEFAULT_COST_START_NS 40000000ull /* 40 ms of credit at start */

#define NS_PER_SEC 1000000000ull

#define WT_HELD_READ 1 /* hold_done: a read was held, no verdict came of it */
#define WT_HELD_DONE 2 /* hold_done: the window holds no thread again */

struct cand {
	uintptr_t addr;
	uint32_t size;
	uint32_t name;
	uint8_t kind;     /* enum wt_kind; 0: free entry */
	uint8_t backoff;  /* hot windows in a row, decays by one per quiet window */
	int8_t slot;      /* the slot watching it, -1: none */
	uint32_t off;     /* next offset to watch inside it (rotation over its words) */
	uint64_t threads; /* bit (thread % WT_THREAD_BITS) for each thread that touched it */
	uint64_t next_ok_ns; /* not armed again before (back-off) */
	uint32_t windows; /* windows it had */
	uint8_t sync_seen; /* an atomic instruction touched it: a synchronization
	                    * object (WT_INFER_WRITES needs it clear) */
	uint8_t barren;    /* its last holds in a row that no other thread's access
	                    * met (at most WT_BARREN_MAX): the hold back-off */
	uint8_t quiet;     /* its last whole windows in a row that no access reached
	                    * (at most WT_QUIET_MAX): the quiet back-off */
	uint8_t written;   /* a plain or atomic write hit it in one of its windows:
	                    * once every word had a window, only then are its
	                    * reads held (the read-only hold rule, wt_hit) */
	uint8_t scanned;   /* every word of it had a window (the rotation over
	                    * its words came round once) */
	/* what its windows did (wt_cand_stat); n_found, its verdicts, also
	 * ends the lighter back-off of shared data (wt_disarm) */
	uint32_t n_hits, n_holds, n_met, n_hot, n_found;
};

struct ring_ent {
	uint32_t seq; /* the ctx the engine was given for it; 0: empty */
	struct wt_access a;
	uint8_t is_atomic;
};

struct site {
	uint64_t key; /* site + 1; 0: empty */
	uint32_t n;   /* allocations seen */
};

/* The engine and the cores that feed it: the engine's race hook finds the
 * core whose hit is being recorded (active), and a race's earlier side in
 * the ring of the core that recorded it (bit 31 of the ctx: the core). */
struct wt_shared {
	struct wt_core *active;
	struct wt_core *core[2];
};
#define WT_CTX_CORE 0x80000000u

struct wt_core {
	struct wt_budget b;
	struct wt_shared *sh;  /* with the engine; the owner's when sharing */
	uint32_t space;        /* 0: the engine's owner, WT_CTX_CORE: the sharing core */
	unsigned flags;        /* WT_INFER_* */
	struct wt_hooks h;
	struct rc_engine *rc;
	struct cand *c;       /* WT_MAX_CANDS entries */
	int n_hi;             /* entries [0, n_hi) used or freed */
	int n_live;
	int last_add;         /* the candidate wt_cand_add made last, -1: none */
	int *free_idx;        /* freed entries, a stack */
	int n_free;
	struct wt_window win[WT_SLOTS];
	/* the window's holds: 0 none yet, WT_HELD_READ its first hold was of a
	 * read that no other thread's write met (a write may still be held
	 * once), WT_HELD_DONE no more holds in this window */
	int hold_done[WT_SLOTS];
	int hot[WT_SLOTS];           /* the window used up its hits */
	int observed_done[WT_SLOTS]; /* the current hold already gave its observed verdict */
	int passes[WT_SLOTS];        /* holds handed on in the window (WT_PASS) */
	int win_holds[WT_SLOTS];     /* WT_HOLD_BLOCKS: holds granted in the window */
	int met[WT_SLOTS];           /* another thread's access met the current hold */
	/* WT_HOLD_BLOCKS: the accesses waiting in the current hold, at bytes
	 * other than the held first access's */
	struct wt_access waiting[WT_SLOTS][WT_WAITERS];
	int n_waiting[WT_SLOTS];
	uint64_t hold_t0[WT_SLOTS];  /* program time the current hold was granted at */
	int armed;                   /* windows armed now (read by wt_armed) */
	uint32_t next_tag;
	int cursor;           /* rotation over every candidate */
	int cursor_shared;    /* rotation over candidates several threads touched */
	int pick_shared;      /* alternates */
	uint64_t sec_start_ns;
	uint32_t sec_hits;
	/* the cost budget: credit = cost_start_ns + permille of the program
	 * time since cost_t0 - cost_spent; cost_spent is raised so that the
	 * credit never exceeds cost_start_ns */
	int cost_started;
	uint64_t cost_t0;
	uint64_t cost_spent;
	uint64_t move_ns; /* one move of the source, a running average (wt_cost_move) */
	struct ring_ent ring[WT_RING];
	uint32_t ring_seq;
	/* set while rc_access runs for a hit */
	int cur_cand;
	int suppress_inferred;
	struct site *sites;   /* 2^WT_LOG2_SITES */
	uint32_t n_sites;
	uint64_t overflow_allocs;
	uint32_t live_heap;
	int noted[WT_LIMIT_N];
	struct wt_stats st;
};

static void limit(struct wt_core *w, enum wt_limit what)
{
	if (w->noted[what])
		return;
	w->noted[what] = 1;
	if (w->h.limit)
		w->h.limit(w->h.cookie, what);
}

void wt_budget_default(struct wt_budget *b)
{
	b->window_ns = WT_DEFAULT_WINDOW_NS;
	b->hold_ns = WT_DEFAULT_HOLD_NS;
	b->hits_per_window = WT_DEFAULT_HITS_PER_WINDOW;
	b->hits_per_sec = WT_DEFAULT_HITS_PER_SEC;
	b->site_dense = WT_DEFAULT_SITE_DENSE;
	b->max_heap = WT_DEFAULT_MAX_HEAP;
	b->cost_permille = WT_DEFAULT_COST_PERMILLE;
	b->cost_start_ns = WT_DEFAULT_COST_START_NS;
	b->quiet_ns = WT_DEFAULT_QUIET_NS;
}

void wt_cost(struct wt_core *w, uint64_t ns)
{
	w->cost_spent += ns;
	w->st.cost_ns += ns;
}

void wt_cost_move(struct wt_core *w, uint64_t ns)
{
	wt_cost(w, ns);
	/* the last few moves weigh most: the cost follows the program's
	 * thread count */
	w->move_ns = w->move_ns ? (3 * w->move_ns + ns) / 4 : ns;
}

uint64_t wt_move_ns(const struct wt_core *w)
{
	return w->move_ns;
}

void wt_cost_share(struct wt_core *w, uint32_t permille, uint64_t now_ns)
{
	/* from now on: the credit so far stays what it is (the earned part is
	 * the permille times all the time since cost_t0, so the clock starts
	 * again at now with the credit carried over) */
	if (w->cost_started && w->b.cost_permille && permille) {
		int64_t credit = wt_cost_credit(w, now_ns);
		w->cost_t0 = now_ns;
		w->cost_spent = (uint64_t)((int64_t)w->b.cost_start_ns - credit);
	}
	w->b.cost_permille = permille;
}

int64_t wt_cost_credit(struct wt_core *w, uint64_t now_ns)
{
	uint64_t earned;

	if (!w->b.cost_permille)
		return INT64_MAX;
	if (!w->cost_started || now_ns < w->cost_t0) {
		/* the first call starts the clock (a clock that went back: again) */
		w->cost_started = 1;
		w->cost_t0 = now_ns;
	}
	earned = w->b.cost_start_ns + (now_ns - w->cost_t0) / 1000 * w->b.cost_permille;
	if (earned > w->cost_spent + w->b.cost_start_ns)
		w->cost_spent = earned - w->b.cost_start_ns; /* no credit above the start's */
	return (int64_t)(earned - w->cost_spent);
}

/* the budget is spent: count it, note it once */
static int over_cost(struct wt_core *w, uint64_t now_ns, uint64_t need_ns)
{
	if (wt_cost_credit(w, now_ns) > (int64_t)need_ns)
		return 0;
	limit(w, WT_LIMIT_COST);
	w->st.cost_cut++;
	return 1;
}

static struct ring_ent *ring_get(struct wt_core *w, uint32_t seq)
{
	struct ring_ent *e = &w->ring[seq % WT_RING];

	return seq && e->seq == seq ? e : NULL;
}

/* the hit an engine ctx names, in the ring of the core that recorded it */
static struct ring_ent *ring_of_ctx(const struct wt_shared *sh, uint32_t ctx)
{
	struct wt_core *w = sh->core[(ctx & WT_CTX_CORE) ? 1 : 0];

	return w ? ring_get(w, ctx & ~WT_CTX_CORE) : NULL;
}

/* the engine found two unordered accesses: both were hits of this core */
static void engine_race(void *cookie, const struct rc_race *r)
{
	struct wt_shared *sh = cookie;
	struct wt_core *w = sh->active;
	struct ring_ent *cur, *prev;
	const struct cand *c;
	struct wt_race out;

	if (!w || w->suppress_inferred || w->cur_cand < 0)
		return;
	if (r->cur.is_atomic || r->prev.is_atomic) /* an atomic instruction is never a side */
		return;
	cur = ring_of_ctx(sh, r->cur.ctx);
	prev = ring_of_ctx(sh, r->prev.ctx);
	if (!cur || !prev) {
		limit(w, WT_LIMIT_RING);
		return;
	}
	c = &w->c[w->cur_cand];
	/* lock evidence: at least one side under a lock (watcher.h); or, in a
	 * core of a writes-only source, two plain writes of a candidate no
	 * atomic instruction ever touched */
	if (!cur->a.locked && !prev->a.locked &&
	    !((w->flags & WT_INFER_WRITES) && cur->a.is_write && prev->a.is_write && !c->sync_seen))
		return;
	memset(&out, 0, sizeof(out));
	out.how = WT_BY_INFERRED;
	out.cand = w->cur_cand;
	out.kind = (enum wt_kind)c->kind;
	out.name = c->name;
	out.base = c->addr;
	out.var_size = c->size;
	out.first = prev->a;
	out.second = cur->a;
	w->st.inferred++;
	w->c[w->cur_cand].n_found++;
	if (w->h.race)
		w->h.race(w->h.cookie, &out);
}

static void engine_limit(void *cookie, enum rc_limit what)
{
	struct wt_shared *sh = cookie;
	struct wt_core *w = sh->active ? sh->active : sh->core[0];

	/* each engine limit keeps its own meaning in the note (a reused slot
	 * was once told as "out of memory") */
	limit(w, what == RC_LIMIT_THREADS  ? WT_LIMIT_THREADS
	         : what == RC_LIMIT_MEMORY ? WT_LIMIT_MEMORY
	         : what == RC_LIMIT_REUSE  ? WT_LIMIT_REUSE
	                                   : WT_LIMIT_ENGINE);
}

static struct wt_core *create(const struct wt_budget *b, const struct rc_alloc *a,
                              const struct wt_hooks *h, int with_engine, struct wt_core *owner,
                              unsigned flags)
{
	struct wt_core *w = a->alloc(a->cookie, sizeof(*w));
	int i;

	if (!w)
		return NULL;
	w->flags = flags;
	w->c = a->alloc(a->cookie, WT_MAX_CANDS * sizeof(*w->c));
	w->free_idx = a->alloc(a->cookie, WT_MAX_CANDS * sizeof(*w->free_idx));
	w->sites = a->alloc(a->cookie, ((size_t)1 << WT_LOG2_SITES) * sizeof(*w->sites));
	if (!w->c || !w->free_idx || !w->sites)
		return NULL;
	if (b)
		w->b = *b;
	else
		wt_budget_default(&w->b);
	if (!w->b.hits_per_window)
		w->b.hits_per_window = 1;
	if (!w->b.site_dense)
		w->b.site_dense = 1;
	if (h)
		w->h = *h;
	if (owner) {
		/* the owner's engine, and its thread and lock events */
		if (!owner->rc || !owner->sh || owner->sh->core[1])
			return NULL;
		w->rc = owner->rc;
		w->sh = owner->sh;
		w->space = WT_CTX_CORE;
		w->sh->core[1] = w;
	} else if (with_engine) {
		w->sh = a->alloc(a->cookie, sizeof(*w->sh));
		if (!w->sh)
			return NULL;
		memset(w->sh, 0, sizeof(*w->sh));
		w->sh->core[0] = w;
		{
			struct rc_hooks rh = { engine_race, engine_limit, w->sh };
			w->rc = rc_create(a, &rh);
		}
		if (!w->rc)
			return NULL;
	}
	for (i = 0; i < WT_SLOTS; i++)
		w->win[i].cand = -1;
	w->cur_cand = -1;
	w->last_add = -1;
	w->next_tag = 1;
	return w;
}

struct wt_core *wt_create(const struct wt_budget *b, const struct rc_alloc *a,
                          const struct wt_hooks *h, int with_engine)
{
	return create(b, a, h, with_engine, NULL, 0);
}

struct wt_core *wt_create_sharing(const struct wt_budget *b, const struct rc_alloc *a,
                                  const struct wt_hooks *h, struct wt_core *owner, unsigned flags)
{
	return owner ? create(b, a, h, 1, owner, flags) : NULL;
}

struct rc_engine *wt_engine(struct wt_core *w)
{
	return w->rc;
}

/* ---- candidates ---- */

int wt_cand_add(struct wt_core *w, enum wt_kind kind, uintptr_t addr, uint32_t size, uint32_t name)
{
	int i;
	struct cand *c;

	if (!size || addr + size < addr)
		return -1;
	/* the same bytes as the candidate added just before (a global's
	 * field that is the whole global: an 8-byte counter its code names)
	 * are that candidate: two would take two turns of the rotation */
	if (w->last_add >= 0) {
		c = &w->c[w->last_add];
		if (c->kind == (uint8_t)kind && c->addr == addr && c->size == size && c->name == name)
			return w->last_add;
	}
	if (w->n_free)
		i = w->free_idx[--w->n_free];
	else if (w->n_hi < WT_MAX_CANDS)
		i = w->n_hi++;
	else {
		limit(w, WT_LIMIT_CANDS);
		return -1;
	}
	c = &w->c[i];
	memset(c, 0, sizeof(*c));
	c->addr = addr;
	c->size = size;
	c->name = name;
	c->kind = (uint8_t)kind;
	c->slot = -1;
	w->n_live++;
	w->last_add = i;
	return i;
}

int wt_cand_remove(struct wt_core *w, int cand)
{
	struct cand *c;
	int slot;

	if (cand < 0 || cand >= w->n_hi || !w->c[cand].kind)
		return -1;
	c = &w->c[cand];
	slot = c->slot;
	if (slot >= 0) {
		/* the engine's shadow of it goes with the window */
		w->win[slot].cand = -1;
		w->win[slot].held = 0;
		w->n_waiting[slot] = 0;
		w->armed--;
	}
	if (w->rc)
		rc_forget(w->rc, c->addr, c->size);
	c->kind = 0;
	c->slot = -1;
	if (w->last_add == cand)
		w->last_add = -1;
	w->free_idx[w->n_free++] = cand;
	w->n_live--;
	return slot;
}

int wt_n_cands(const struct wt_core *w)
{
	return w->n_live;
}

int wt_cand_range(const struct wt_core *w, int cand, uintptr_t *addr, uint32_t *size)
{
	if (cand < 0 || cand >= w->n_hi || !w->c[cand].kind)
		return -1;
	*addr = w->c[cand].addr;
	*size = w->c[cand].size;
	return 0;
}

void wt_cand_handed(struct wt_core *w, int cand, uint32_t from, uint32_t to)
{
	if (cand < 0 || cand >= w->n_hi || !w->c[cand].kind)
		return;
	w->c[cand].threads |= 1ull << (from % WT_THREAD_BITS) | 1ull << (to % WT_THREAD_BITS);
}

int wt_cand_threads(const struct wt_core *w, int cand)
{
	if (cand < 0 || cand >= w->n_hi || !w->c[cand].kind)
		return 0;
	return __builtin_popcountll(w->c[cand].threads);
}

/* LiteRace's lesson: the first allocations of a site are sampled one by
 * one (a new site is cold code, where races hide), later ones ever more
 * rarely: the n-th allocation of a site after site_dense is sampled when n
 * is a multiple of 2^k, k = log2(n / site_dense), at most
 * WT_SITE_MAX_SHIFT.  A site allocating a million blocks gets ~1000
 * sampled, a site allocating five gets all five. */
static int thinned(uint64_t n, uint32_t dense)
{
	uint64_t q;
	int k = 0;

	if (n <= dense)
		return 1;
	for (q = n / dense; q > 1 && k < WT_SITE_MAX_SHIFT; q >>= 1)
		k++;
	return (n & ((1ull << k) - 1)) == 0;
}

int wt_sample_alloc(struct wt_core *w, uint64_t site)
{
	size_t mask = ((size_t)1 << WT_LOG2_SITES) - 1, j, probes;
	uint64_t key = site + 1 ? site + 1 : 1, n = 0;
	int yes;

	for (j = (size_t)(key * 0x9e3779b97f4a7c15ull >> 40) & mask, probes = 0; probes <= mask;
	     j = (j + 1) & mask, probes++) {
		struct site *s = &w->sites[j];
		if (s->key == key || !s->key) {
			if (!s->key) {
				/* 3/4 full: new sites share the sparse rate */
				if (w->n_sites >= (mask + 1) / 4 * 3)
					break;
				s->key = key;
				w->n_sites++;
			}
			n = ++s->n;
			break;
		}
	}
	if (!n) {
		limit(w, WT_LIMIT_SITES);
		n = ++w->overflow_allocs;
		yes = (n & ((1ull << WT_SITE_MAX_SHIFT) - 1)) == 0;
	} else
		yes = thinned(n, w->b.site_dense);
	if (yes && w->live_heap >= w->b.max_heap) {
		limit(w, WT_LIMIT_HEAP);
		yes = 0;
	}
	if (yes) {
		w->live_heap++;
		w->st.sampled++;
	} else
		w->st.not_sampled++;
	return yes;
}

void wt_heap_freed(struct wt_core *w)
{
	if (w->live_heap)
		w->live_heap--;
}

/* ---- windows ---- */

static int eligible(const struct wt_core *w, int i, uint64_t now_ns)
{
	const struct cand *c = &w->c[i];

	return c->kind && c->slot < 0 && c->next_ok_ns <= now_ns;
}

static int shared(const struct cand *c)
{
	return __builtin_popcountll(c->threads) >= 2;
}

/* the next candidate in turn: every other pick from those several threads
 * touched (if any is eligible), else the plain rotation, which reaches
 * every candidate within n_hi picks of its own */
static int pick(struct wt_core *w, uint64_t now_ns)
{
	int n = w->n_hi, k, i;

	if (!n)
		return -1;
	w->pick_shared ^= 1;
	if (w->pick_shared) {
		for (k = 0; k < n; k++) {
			i = (w->cursor_shared + k) % n;
			if (shared(&w->c[i]) && eligible(w, i, now_ns)) {
				w->cursor_shared = (i + 1) % n;
				return i;
			}
		}
	}
	for (k = 0; k < n; k++) {
		i = (w->cursor + k) % n;
		if (eligible(w, i, now_ns)) {
			w->cursor = (i + 1) % n;
			return i;
		}
	}
	return -1;
}

static int over_sec_budget(struct wt_core *w, uint64_t now_ns)
{
	if (now_ns - w->sec_start_ns >= NS_PER_SEC || now_ns < w->sec_start_ns) {
		w->sec_start_ns = now_ns;
		w->sec_hits = 0;
	}
	return w->sec_hits >= w->b.hits_per_sec;
}

int wt_arm(struct wt_core *w, int slot, uint32_t max_len, uint64_t now_ns, struct wt_window *out)
{
	struct wt_window *win;
	struct cand *c;
	uintptr_t a;
	uint32_t len;
	int i;

	if (slot < 0 || slot >= WT_SLOTS || w->win[slot].cand >= 0 || !max_len)
		return -1;
	/* the second's hits are spent: nothing armed until the next second */
	if (over_sec_budget(w, now_ns))
		return -1;
	/* the cost budget is spent, or has less than the window's arm and end
	 * (two moves): nothing armed until it is earned again */
	if (over_cost(w, now_ns, 2 * w->move_ns))
		return -1;
	i = pick(w, now_ns);
	if (i < 0)
		return -1;
	c = &w->c[i];
	if (c->off >= c->size) {
		c->off = 0;
		c->scanned = 1;
	}
	/* the word to watch: max_len bytes aligned to max_len (a watchpoint's
	 * rule; a page for write-protect), covering offset c->off, which moves
	 * on by a word each window so every word of a block gets its turn */
	len = max_len;
	if (len & (len - 1)) { /* not a power of two: the block itself */
		a = c->addr;
		len = c->size;
		if (c->windows)
			c->scanned = 1;
	} else {
		a = (c->addr + c->off) & ~(uintptr_t)(len - 1);
		c->off = (uint32_t)(a + len - c->addr);
	}
	win = &w->win[slot];
	memset(win, 0, sizeof(*win));
	win->cand = i;
	win->tag = w->next_tag++;
	if (!w->next_tag)
		w->next_tag = 1;
	win->addr = a;
	win->len = len;
	win->start_ns = now_ns;
	w->hold_done[slot] = 0;
	w->hot[slot] = 0;
	w->observed_done[slot] = 0;
	w->passes[slot] = 0;
	w->win_holds[slot] = 0;
	c->slot = (int8_t)slot;
	c->windows++;
	w->armed++;
	w->st.windows++;
	if (out)
		*out = *win;
	return 0;
}

void wt_disarm(struct wt_core *w, int slot, uint64_t now_ns)
{
	struct wt_window *win;
	struct cand *c;

	if (slot < 0 || slot >= WT_SLOTS || w->win[slot].cand < 0)
		return;
	win = &w->win[slot];
	c = &w->c[win->cand];
	/* a hot window doubles the wait before the candidate's next one; a
	 * quiet one halves it again.  A candidate of more words than a
	 * window covers moves on to its next word instead: the hot word's
	 * back-off is the scan coming round (a hot word must not keep a
	 * block's other words from their turn).  Not one of at most
	 * WT_WORD_MAX bytes: every access of 4 bytes or more to it is seen
	 * from any of its words, so its next word is as hot (racy_flag's
	 * 8-byte payload, watched 4 bytes at a time, had 13-15 hot windows
	 * of 64 hits in a 300 ms run, a fifth of the cost budget) */
	if (w->hot[slot] && win->len < c->size && c->size > WT_WORD_MAX) {
		if (c->backoff)
			c->backoff--;
	} else if (w->hot[slot]) {
		/* shared data whose holds meet other threads, and that no
		 * verdict named yet, is what watching is for: it waits at most
		 * 2^WT_BACKOFF_SHARED windows (racy_flag's `ready`, hot in
		 * every window as both threads spin on it, had 3-13 windows a
		 * 300 ms run under the full back-off and gave 1-5 verdicts; the
		 * cost budget still bounds what its windows take) */
		int cap = shared(c) && !c->barren && !c->n_found ? WT_BACKOFF_SHARED : WT_BACKOFF_MAX;
		if (c->backoff < cap)
			c->backoff++;
		else
			c->backoff = (uint8_t)cap;
	} else if (c->backoff)
		c->backoff--;
	c->next_ok_ns = c->backoff ? now_ns + (w->b.window_ns << c->backoff) : 0;
	/* a window over the whole candidate that no access reached: the
	 * candidate waits budget.quiet_ns, doubled per such window in a row
	 * (at most 2^(WT_QUIET_MAX-1) times), before its next.  Without it a
	 * program with few candidates, all quiet, had its slots moved to them
	 * again at every quiet window's end: 315 windows of no hit in a
	 * 0.5 s condition-variable ping-pong, each move of an inherited
	 * watchpoint an interrupt of every CPU running the program.  One hit
	 * ends the back-off.  A candidate of more than one word
	 * (WT_WORD_MAX) that the window did not cover hands its quiet word
	 * on to its next word instead (the scan) */
	if (win->hits)
		c->quiet = 0;
	else if (w->b.quiet_ns && (win->len >= c->size || c->size <= WT_WORD_MAX)) {
		uint64_t until;
		if (c->quiet < WT_QUIET_MAX)
			c->quiet++;
		until = now_ns + (w->b.quiet_ns << (c->quiet - 1));
		if (until > c->next_ok_ns)
			c->next_ok_ns = until;
	}
	c->slot = -1;
	/* accesses of this window are forgotten: the next window starts
	 * without the happens-before the engine missed in between.  Sync
	 * clocks in the word stay: a window on a global pthread_mutex_t
	 * ending dropped the lock's clock, and the next thread to take it
	 * looked unordered with the last one (create_join_churn_clean) */
	if (w->rc)
		rc_forget_accesses(w->rc, win->addr, win->len);
	win->cand = -1;
	win->held = 0;
	w->n_waiting[slot] = 0;
	w->armed--;
}

unsigned wt_expired(const struct wt_core *w, uint64_t now_ns)
{
	unsigned m = 0;
	int i;

	for (i = 0; i < WT_SLOTS; i++)
		if (w->win[i].cand >= 0 && now_ns - w->win[i].start_ns >= w->b.window_ns)
			m |= 1u << i;
	return m;
}

const int *wt_armed_count(const struct wt_core *w)
{
	return &w->armed;
}

const struct wt_window *wt_slot(const struct wt_core *w, int slot)
{
	return slot >= 0 && slot < WT_SLOTS ? &w->win[slot] : NULL;
}

int wt_reached(const struct wt_core *w)
{
	int i, n = 0;

	for (i = 0; i < WT_SLOTS; i++)
		n += w->win[i].cand >= 0 && w->win[i].hits > 0;
	return n;
}

/* ---- traps ---- */

static int overlap(uintptr_t a, uint32_t an, uintptr_t b, uint32_t bn)
{
	return a < b + bn && b < a + an;
}

static void observed(struct wt_core *w, int slot, const struct wt_access *first,
                     const struct wt_hit *h)
{
	struct wt_window *win = &w->win[slot];
	const struct cand *c = &w->c[win->cand];
	struct wt_race r;

	memset(&r, 0, sizeof(r));
	r.how = WT_BY_OBSERVED;
	r.cand = win->cand;
	r.kind = (enum wt_kind)c->kind;
	r.name = c->name;
	r.base = c->addr;
	r.var_size = c->size;
	r.first = *first;
	r.second.thread = h->thread;
	r.second.addr = h->addr;
	r.second.size = h->size;
	r.second.is_write = h->is_write;
	r.second.locked = h->locked;
	r.second.pc = h->pc;
	w->observed_done[slot] = 1;
	w->st.observed++;
	w->c[win->cand].n_found++;
	if (w->h.race)
		w->h.race(w->h.cookie, &r);
}

/* slot's window holds the thread of h, whose access re (ring entry seq)
 * is the window's first from now on */
static void start_hold(struct wt_core *w, int slot, struct wt_window *win, const struct wt_hit *h,
                       const struct ring_ent *re, uint32_t seq, uint64_t now_ns)
{
	win->held = 1;
	win->first = re->a;
	win->first_tid = h->tid;
	win->first_ring = seq;
	w->hold_t0[slot] = now_ns;
	w->met[slot] = 0;
	w->n_waiting[slot] = 0;
	w->c[win->cand].n_holds++;
}

/* WT_HOLD_BLOCKS: access `a` (hit h) waits in slot's hold at bytes other
 * than the held first access's.  Another thread already waiting at
 * overlapping bytes, one of the two writing (neither atomic: the caller
 * and the list keep none), is the observed verdict, with the waiting one
 * as the first side: both threads were at their accesses at once, and
 * neither can go on before the hold ends.  Else `a` waits too.  1: a
 * verdict (or one was given in this hold already, and `a` is no news) */
static int co_held(struct wt_core *w, int slot, const struct wt_hit *h, const struct wt_access *a)
{
	int k;

	for (k = 0; k < w->n_waiting[slot]; k++) {
		const struct wt_access *o = &w->waiting[slot][k];
		if (o->thread != a->thread && (o->is_write || a->is_write) &&
		    overlap(a->addr, a->size, o->addr, o->size)) {
			if (w->observed_done[slot])
				return 0;
			observed(w, slot, o, h);
			w->st.co_held++;
			w->met[slot] = 1; /* the hold met two threads: not barren */
			return 1;
		}
	}
	if (w->n_waiting[slot] < WT_WAITERS)
		w->waiting[slot][w->n_waiting[slot]++] = *a;
	else
		limit(w, WT_LIMIT_WAITERS);
	/* another thread's write waits in the hold: the hold met it (a
	 * second one at the same bytes would be the verdict), so it is not
	 * barren.  Before, only the held write's own bytes counted: in
	 * racy_stats_many every worker's first write is most often its own
	 * work[] slot, and holds in which 4-6 workers waited were backed off
	 * as barren (3-8 of 8-12 windows a run under race_source=wp) */
	w->met[slot] = 1;
	return 0;
}

enum wt_action wt_hit(struct wt_core *w, const struct wt_hit *h, uint64_t now_ns)
{
	struct wt_window *win;
	struct cand *c;
	struct ring_ent *re;
	uint32_t seq, size = h->size ? h->size : 1;
	int slot = (int)h->slot, was_observed = 0;

	if (slot < 0 || slot >= WT_SLOTS || w->win[slot].cand < 0 || w->win[slot].tag != h->tag) {
		w->st.late++; /* the slot moved on since the trap was raised */
		return WT_IGNORE;
	}
	win = &w->win[slot];
	c = &w->c[win->cand];
	/* bytes of the watched word (or page) outside the candidate: another
	 * object's, not watched */
	if (!overlap(h->addr, size, c->addr, c->size) || !overlap(h->addr, size, win->addr, win->len))
		return WT_IGNORE;
	w->st.hits++;
	if (h->is_write)
		c->written = 1;
	if (over_sec_budget(w, now_ns)) {
		limit(w, WT_LIMIT_HITS_SEC);
		w->st.budget_cut++;
		return WT_DISARM;
	}
	if (over_cost(w, now_ns, 0))
		return WT_DISARM;
	w->sec_hits++;
	win->hits++;
	c->n_hits++;
	c->threads |= 1ull << (h->thread % WT_THREAD_BITS);
	if (win->held && h->thread != win->first.thread &&
	    overlap(h->addr, size, win->first.addr, win->first.size))
		w->met[slot] = 1;
	if (h->is_atomic) {
		w->st.atomics++;
		c->sync_seen = 1;
	}
	/* observed: another thread on overlapping bytes while the first is
	 * held, one of them writing, neither atomic */
	if (win->held && !w->observed_done[slot] && h->thread != win->first.thread && !h->is_atomic &&
	    (h->is_write || win->first.is_write) &&
	    overlap(h->addr, size, win->first.addr, win->first.size)) {
		observed(w, slot, &win->first, h);
		was_observed = 1;
	}
	/* every hit is an access for the engine (see watcher.h) */
	/* 31 bits: bit 31 of the engine's ctx names the core */
	w->ring_seq = (w->ring_seq + 1) & ~WT_CTX_CORE;
	if (!w->ring_seq)
		w->ring_seq = 1;
	seq = w->ring_seq;
	re = &w->ring[seq % WT_RING];
	re->seq = seq;
	re->a.thread = h->thread;
	re->a.addr = h->addr;
	re->a.size = size;
	re->a.is_write = h->is_write;
	re->a.locked = h->locked;
	re->a.pc = h->pc;
	re->is_atomic = h->is_atomic;
	if ((w->flags & WT_HOLD_BLOCKS) && win->held && !h->is_atomic &&
	    h->thread != win->first.thread &&
	    !overlap(h->addr, size, win->first.addr, win->first.size))
		was_observed |= co_held(w, slot, h, &re->a);
	if (w->rc && h->tid) {
		w->sh->active = w;
		w->cur_cand = win->cand;
		w->suppress_inferred = was_observed;
		rc_access(w->rc, h->tid, h->addr, size > 16 ? 16 : size, h->is_write, h->is_atomic,
		          seq | w->space);
		w->cur_cand = -1;
		w->suppress_inferred = 0;
		w->sh->active = NULL;
	}
	if (win->hits >= w->b.hits_per_window) {
		/* a hot address: the window ends, the candidate backs off */
		w->hot[slot] = 1;
		w->st.hot++;
		c->n_hot++;
		limit(w, WT_LIMIT_HOT);
		return WT_DISARM;
	}
	/* a held read that another thread's plain read met shows nothing
	 * more: two reads never race.  In a flag handed back and forth, the
	 * held thread is as likely the one that writes next while the other
	 * spins reading (every read a trap, until the window is hot): the
	 * hold passes to the reader (WT_PASS: the held thread goes on, the
	 * unused part of its charge is refunded, the reader is held), at
	 * most WT_PASSES times a window, so the thread that writes next
	 * goes on and meets the held spinner.  Without the budget for the
	 * new hold the first just goes on (WT_CUT) */
	if (win->held && !win->first.is_write && !h->is_write && !h->is_atomic &&
	    h->thread != win->first.thread && overlap(h->addr, size, win->first.addr, win->first.size) &&
	    w->passes[slot] < WT_PASSES) {
		uint64_t used = now_ns > w->hold_t0[slot] ? now_ns - w->hold_t0[slot] : 0;
		if (used < w->b.hold_ns) {
			uint64_t back = w->b.hold_ns - used;
			w->cost_spent = w->cost_spent > back ? w->cost_spent - back : 0;
			w->st.cost_ns = w->st.cost_ns > back ? w->st.cost_ns - back : 0;
		}
		win->cut_thread = win->first.thread;
		win->held = 0;
		c->barren = 0; /* it met another thread */
		w->passes[slot]++;
		w->st.cuts++;
		if (over_cost(w, now_ns, w->b.hold_ns))
			return WT_CUT;
		wt_cost(w, w->b.hold_ns);
		start_hold(w, slot, win, h, re, seq, now_ns);
		w->observed_done[slot] = 0;
		w->st.holds++;
		return WT_PASS;
	}
	/* the holds of a window: the first plain access; and when that was a
	 * read that no other thread's write met while it was held, the next
	 * plain write once more.  A read held while the other threads only
	 * read shows nothing: two threads handing a flag back and forth spin
	 * reading it while the one that would write it next is held at its
	 * read (racy_flag: 5 observed verdicts in 20 holds), whereas a held
	 * write is met by the other's read.  At most two holds per window. */
	/* the read-only hold rule: a held read can meet nothing but another
	 * thread's write, so once each of its words had a window (scanned)
	 * a candidate no write ever hit gets no hold of a read (a word set
	 * before the threads started that all of them read: racy_stats_many's
	 * sb_end_ns, read by sixteen threads, took 4-7 holds of 3 ms and their
	 * passes a run for nothing, and the cost budget then had none left
	 * for the counter) */
	if (!win->held && !h->is_atomic && (h->is_write || c->written || !c->scanned) &&
	    (!w->hold_done[slot] || (w->hold_done[slot] == WT_HELD_READ && h->is_write))) {
		/* the hold back-off: a candidate whose last `barren` holds no
		 * other thread met (a value handed over only after the held
		 * access, which the hold delays: racy_flag's payload, 30 holds
		 * of 3 ms for nothing) holds in every 2^barren-th window only,
		 * so the cost budget goes to the candidates where holds meet
		 * other threads; one met hold resets it.  (A window's second
		 * hold, of a write after a held read no one met, is not
		 * backed off: the read's hold said nothing about the write) */
		if (!w->hold_done[slot] && c->barren && c->windows % (1u << c->barren)) {
			w->hold_done[slot] = WT_HELD_DONE;
			w->st.hold_skips++;
			return WT_IGNORE;
		}
		/* a hold costs its length: granted only while the budget has it */
		if (over_cost(w, now_ns, w->b.hold_ns)) {
			w->hold_done[slot] = WT_HELD_DONE;
			return WT_IGNORE;
		}
		wt_cost(w, w->b.hold_ns);
		start_hold(w, slot, win, h, re, seq, now_ns);
		w->win_holds[slot]++;
		w->hold_done[slot] = h->is_write || w->hold_done[slot] ? WT_HELD_DONE : WT_HELD_READ;
		w->observed_done[slot] = 0;
		w->st.holds++;
		return WT_HOLD;
	}
	return WT_IGNORE;
}

static void hold_end(struct wt_core *w, int slot, uint32_t tag, uint32_t thread)
{
	if (slot < 0 || slot >= WT_SLOTS || w->win[slot].cand < 0 || w->win[slot].tag != tag)
		return;
	/* a hold WT_CUT or WT_PASS ended: the window's hold now, if any, is
	 * another thread's */
	if (thread && (!w->win[slot].held || w->win[slot].first.thread != thread))
		return;
	if (w->win[slot].held) {
		struct cand *c = &w->c[w->win[slot].cand];
		if (w->met[slot]) {
			c->barren = 0;
			c->n_met++;
		} else if (c->barren < WT_BARREN_MAX)
			c->barren++;
	}
	w->win[slot].held = 0;
	w->n_waiting[slot] = 0;
	/* a held read that gave a verdict: the window is done holding */
	if (w->observed_done[slot])
		w->hold_done[slot] = WT_HELD_DONE;
	/* WT_HOLD_BLOCKS: a hold that gave no verdict leaves the window free
	 * to hold again, up to WT_BLOCK_HOLDS (the source protects the pages
	 * again at its next tick, and the next write there is held: each
	 * hold is one more chance for two writers to wait at the same
	 * bytes; one hold a window gave racy_stats_many 2-8 holds in a
	 * 300 ms run, too few) */
	else if ((w->flags & WT_HOLD_BLOCKS) && w->win_holds[slot] < WT_BLOCK_HOLDS)
		w->hold_done[slot] = 0;
}

void wt_hold_end(struct wt_core *w, int slot, uint32_t tag)
{
	hold_end(w, slot, tag, 0);
}

void wt_hold_end_thread(struct wt_core *w, int slot, uint32_t tag, uint32_t thread)
{
	hold_end(w, slot, tag, thread);
}

void wt_stats(const struct wt_core *w, struct wt_stats *out)
{
	*out = w->st;
}

void wt_cand_summary(const struct wt_core *w, struct wt_cand_class out[WT_CLS_N])
{
	int i;

	memset(out, 0, sizeof(struct wt_cand_class) * WT_CLS_N);
	for (i = 0; i < w->n_hi; i++) {
		const struct cand *c = &w->c[i];
		struct wt_cand_class *k;
		if (!c->kind)
			continue;
		k = &out[c->kind == WT_HEAP ? WT_CLS_HEAP : c->size <= 8 ? WT_CLS_WORD : WT_CLS_WIDE];
		k->cands++;
		k->windowed += c->windows > 0;
		k->windows += c->windows;
		if (__builtin_popcountll(c->threads) >= 2) {
			k->shared++;
			k->shared_windows += c->windows;
		}
	}
}

int wt_cand_stat(const struct wt_core *w, int cand, struct wt_cand_stat *out)
{
	const struct cand *c;

	if (cand < 0 || cand >= w->n_hi || !w->c[cand].kind)
		return -1;
	c = &w->c[cand];
	out->addr = c->addr;
	out->size = c->size;
	out->windows = c->windows;
	out->hits = c->n_hits;
	out->holds = c->n_holds;
	out->met = c->n_met;
	out->hot = c->n_hot;
	out->found = c->n_found;
	out->threads = (uint32_t)__builtin_popcountll(c->threads);
	return 0;
}

const char *wt_sanity(const struct wt_core *w)
{
	int i, armed = 0, live = 0;

	for (i = 0; i < WT_SLOTS; i++) {
		const struct wt_window *win = &w->win[i];
		if (win->cand < 0) {
			if (win->held)
				return "a free slot holds a thread";
			continue;
		}
		armed++;
		if (win->cand >= w->n_hi || !w->c[win->cand].kind)
			return "a slot watches a free candidate";
		if (w->c[win->cand].slot != i)
			return "a watched candidate does not name its slot";
		if (!overlap(win->addr, win->len, w->c[win->cand].addr, w->c[win->cand].size))
			return "a window watches bytes outside its candidate";
	}
	if (armed != w->armed)
		return "the armed count is wrong";
	for (i = 0; i < w->n_hi; i++) {
		const struct cand *c = &w->c[i];
		if (!c->kind)
			continue;
		live++;
		if (c->slot >= 0 && (c->slot >= WT_SLOTS || w->win[(int)c->slot].cand != i))
			return "a candidate names a slot that does not watch it";
		if (c->backoff > WT_BACKOFF_MAX)
			return "back-off beyond WT_BACKOFF_MAX";
	}
	if (live != w->n_live || w->n_live + w->n_free != w->n_hi)
		return "candidate counts are wrong";
	if (w->live_heap > w->b.max_heap)
		return "more sampled heap blocks than budget.max_heap";
	return NULL;
}
