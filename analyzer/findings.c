/*
 * findings.c - from a parsed log to findings (see findings.h).
 */
#include "findings.h"
#include "lockgraph.h"
#include "races.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* uthash allocates through the analyzer's one policy (xalloc.h) */
#define uthash_malloc(sz) xmalloc(sz)
#define uthash_free(ptr, sz) free(ptr)
#define uthash_fatal(msg) xalloc_die(0)
#include <uthash.h>

int fd_module_of(const struct lr_log *log, uint64_t pc)
{
	int best = -1;
	size_t i;

	/* later records win: a dlclose'd range reused by a later dlopen */
	for (i = 0; i < log->n_modules; i++)
		if (pc >= log->modules[i].lo && pc < log->modules[i].hi)
			best = (int)i;
	return best;
}

/* "module-basename+offset" of a stack's top frame: stable across runs
 * (ASLR moves pcs, not offsets) */
static void code_loc(const struct lr_log *log, uint32_t stack, char *buf, size_t len)
{
	const struct lr_stack *s = lr_stack(log, stack);
	int m;

	if (!s || s->n == 0) {
		snprintf(buf, len, "?");
		return;
	}
	m = fd_module_of(log, s->pcs[0]);
	if (m < 0) {
		snprintf(buf, len, "0x%llx", (unsigned long long)s->pcs[0]);
		return;
	}
	const char *base = strrchr(log->modules[m].path, '/');
	snprintf(buf, len, "%s+0x%llx", base ? base + 1 : log->modules[m].path,
	         (unsigned long long)(s->pcs[0] - log->modules[m].base));
}

/* were thread a of log la and thread b of log lb alive at once?  (The
 * shim's clock is CLOCK_MONOTONIC: the same in every process.) */
static int lifetimes_overlap(const struct lr_log *la, uint32_t a, const struct lr_log *lb, uint32_t b)
{
	const struct lr_thread *ta = lr_thread(la, a), *tb = lr_thread(lb, b);
	uint64_t ea, eb;

	if (!ta || !tb)
		return 1; /* unknown: do not claim they were apart */
	ea = ta->end_ns ? ta->end_ns : UINT64_MAX;
	eb = tb->end_ns ? tb->end_ns : UINT64_MAX;
	return ta->start_ns < eb && tb->start_ns < ea;
}

/* could the two contexts run at the same moment, as far as gate locks go? */
static int gates_conflict(const struct lr_edge *a, const struct lr_edge *b)
{
	uint32_t i, j;

	for (i = 0; i < a->n_gates; i++)
		for (j = 0; j < b->n_gates; j++)
			if (a->gates[i].lock_id == b->gates[j].lock_id &&
			    !(a->gates[i].mode == LH_MODE_SHARED && b->gates[j].mode == LH_MODE_SHARED))
				return 1;
	return 0;
}

/* does a thread waiting for a lock in wait_mode block on one holding it in
 * hold_mode?  wpref: the lock is a writer-preferring rwlock */
static int blocks(int wpref, int wait_mode, int hold_mode)
{
	if (wait_mode == LH_MODE_SHARED && hold_mode == LH_MODE_SHARED)
		return wpref; /* conservative there */
	return 1;
}

/*
 * The bounds of one log's lock-order analysis (docs/DESIGN.md, sections 8
 * and 10).  All are work counts, so the same log always gives the same
 * report, except FD_TIME_BUDGET_MS, a CPU-time backstop for what the work
 * counts do not see (reducing very long context lists, a slow machine).
 * It is CPU time, not wall time: a loaded machine (a shared CI runner)
 * stretches the wall clock, and must not change the report.
 *
 *   FD_MAX_CYCLE_LEN     longest cycle enumerated (locks)
 *   FD_MAX_CYCLES        cycles enumerated, all lengths together
 *   FD_MAX_SEARCH_STEPS  steps of the cycle enumeration, all passes together
 *   FD_MAX_CHOICE_STEPS  steps of the search for one cycle's choice of
 *                        contexts (the per-cycle cap)
 *   FD_CHEAP_STEPS       steps every cycle gets in the first, cheap round
 *   FD_CHOICE_BUDGET     work of all choice searches of the log together
 *                        (steps plus exact gate comparisons)
 *   FD_MAX_REPS          contexts kept for the search, all edges together
 *                        (the memory bound: about 48 bytes each)
 *   FD_TIME_BUDGET_MS    CPU time of the log's cycle analysis (the
 *                        analyzer's own: a loaded machine, which stretches
 *                        wall time, does not change the report)
 *
 * A cycle the budgets left undecided (no feasible choice found, none ruled
 * out) is counted in res->n_undecided and sets res->budget_hit, and the
 * report says the result may be incomplete; so does a memory or time stop.
 */
#define FD_MAX_CYCLE_LEN 64
#define FD_MAX_CYCLES 10000
#define FD_MAX_SEARCH_STEPS 50000000
#define FD_MAX_CHOICE_STEPS 20000
#define FD_CHEAP_STEPS 256
#define FD_CHOICE_BUDGET 20000000L
#define FD_MAX_REPS (1u << 20)
#define FD_TIME_BUDGET_MS 60000

/* Cycles are enumerated shortest first, in passes of these maximum lengths
 * (each pass delivers the lengths above the previous one): when a budget
 * runs out, the short cycles, which are the ones a person fixes first and
 * the cheapest to decide, have been seen.  A pass in which no path was cut
 * at its length found every cycle, and the passes stop there. */
static const size_t fd_len_passes[] = { 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, FD_MAX_CYCLE_LEN };

/* Per edge of the cycle, the contexts worth trying: contexts with the same
 * modes and the same gate set are alike for feasibility, so only a few of
 * each kind (from different threads, for the concurrency choice) are kept.
 * A thread pool taking one edge in 200 threads costs 4 tries, not 200. */
#define REPS_PER_KIND 4
#define MAX_KINDS LH_CTX_KINDS_PER_EDGE

/* One context worth trying, with what the search needs inline: its gate
 * locks hashed to one bit of 64 (any mode, and exclusive only: two
 * contexts can share a gate only if one's gmask meets the other's xmask)
 * and its thread's lifetime (unknown thread: always alive). */
struct fd_rep {
	const struct lr_edge *e;
	uint64_t gmask, xmask;
	uint64_t start_ns, end_ns;
	uint32_t thread;
	uint32_t lg;            /* index of the context's log (joined analysis) */
	const uint32_t *gcls;   /* joined analysis: each gate's class (0: none) */
	uint8_t wp_from, wp_to; /* its from / to lock is a writer-preferring rwlock */
};

/* The reduced contexts of one graph edge, computed once however many
 * cycles go through it; keyed by the edge's context array in the graph. */
struct fd_edge_reps {
	const uint32_t *key;
	size_t n, n_ungated;
	struct fd_rep *reps;
	uint32_t *gcls;         /* the reps' gate classes, joined analysis */
	long single_lg;         /* every rep from this log; -1: from several */
	UT_hash_handle hh;
};

/* One enumerated cycle, kept until every cycle is decided (in arrays of
 * the analysis, from offset off): nodes, the edges' reps, the choice. */
enum fd_state { FD_OPEN, FD_FEASIBLE, FD_INFEASIBLE, FD_CUT };

struct fd_cyc {
	size_t n, off;
	enum fd_state state;
	int fallback;  /* a feasible choice from the cheap round is in best */
};

struct fd_analysis {
	const struct lr_log *const *logs; /* the log analyzed, or the logs joined */
	size_t n_logs;
	int joined;                 /* locks of several logs joined by class */
	const uint32_t *ctx_log;    /* joined: ctx index -> log index */
	uint32_t **cls;             /* joined: per log, per lock record: class (0: none) */
	const struct lr_edge *const *all; /* joined: ctx index -> edge (one log: NULL) */
	struct fd_result *res;
	struct fd_edge_reps *reps; /* uthash head */
	size_t n_reps;
	struct fd_cyc *cyc;
	size_t n_cyc, cap_cyc;
	uint64_t *nodes;            /* per cycle position */
	struct fd_edge_reps **er;   /* per cycle position */
	const struct fd_rep **best; /* per cycle position */
	size_t n_pos, cap_pos;
	long work;                  /* of budget, spent */
	long budget;                /* FD_CHOICE_BUDGET, or the caller's */
	size_t max_reps;            /* FD_MAX_REPS, or the caller's */
	long time_ms;               /* FD_TIME_BUDGET_MS, or the caller's */
	struct timespec t0;
	int stopped;                /* FD_MAX_REPS or the time stopped the enumeration */
	int timed_out;              /* FD_TIME_BUDGET_MS: nothing more is decided */
};

/* why a search stopped early */
#define FD_CUT_CAP 1    /* FD_MAX_CHOICE_STEPS (or the cheap round's limit) */
#define FD_CUT_BUDGET 2 /* FD_CHOICE_BUDGET or FD_TIME_BUDGET_MS */

/* CPU time of this thread since t0 */
static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static uint64_t feas_signature(const struct lr_edge *e)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)e->from_mode << 1 | e->to_mode);
	uint32_t g;

	/* gate order does not matter: combine commutatively */
	for (g = 0; g < e->n_gates; g++) {
		uint64_t x = (e->gates[g].lock_id * 0xff51afd7ed558ccdull) ^ e->gates[g].mode;
		h += x ^ (x >> 29);
	}
	return h;
}

static uint64_t gate_bit(uint64_t lock_id)
{
	uint64_t x = lock_id * 0x9E3779B97F4A7C15ull;
	return 1ull << (x >> 58);
}

/* the class of lock `id` of log lg in the joined analysis (0: none) */
static uint32_t lock_class(const struct fd_analysis *a, uint32_t lg, uint64_t id)
{
	const struct lr_log *log = a->logs[lg];
	const struct lr_lock *l = lr_lock(log, id);

	return l && a->cls ? a->cls[lg][l - log->locks] : 0;
}

static int writer_pref(const struct lr_log *log, uint64_t id)
{
	const struct lr_lock *l = lr_lock(log, id);
	return l && (l->flags & LH_LOCKF_WRITER_PREF);
}

/* gcls: room for e's gate classes (joined analysis), or NULL */
static void fill_rep(const struct fd_analysis *a, struct fd_rep *r, const struct lr_edge *e,
                     uint32_t lg, uint32_t *gcls)
{
	const struct lr_log *log = a->logs[lg];
	const struct lr_thread *t = lr_thread(log, e->thread);
	uint32_t g;

	r->e = e;
	r->lg = lg;
	r->gcls = gcls;
	r->gmask = r->xmask = 0;
	for (g = 0; g < e->n_gates; g++) {
		/* joined: a classed gate by its class (it meets the same class in
		 * another log), else by its id in its log */
		uint64_t key = e->gates[g].lock_id ^ ((uint64_t)lg << 48), bit;
		if (gcls) {
			gcls[g] = lock_class(a, lg, e->gates[g].lock_id);
			if (gcls[g])
				key = 0xC1A55ull << 40 | gcls[g];
		}
		bit = gate_bit(key);
		r->gmask |= bit;
		if (e->gates[g].mode != LH_MODE_SHARED)
			r->xmask |= bit;
	}
	r->thread = e->thread;
	r->start_ns = t ? t->start_ns : 0;
	r->end_ns = t && t->end_ns ? t->end_ns : UINT64_MAX;
	r->wp_from = (uint8_t)writer_pref(log, e->from);
	r->wp_to = (uint8_t)writer_pref(log, e->to);
}

/* could two chosen contexts run at the same moment, as far as gates go?
 * In one log by lock id; in two logs (joined analysis) by class: the same
 * code run in one process would hold the same lock. */
static int reps_conflict(const struct fd_rep *x, const struct fd_rep *y)
{
	uint32_t i, j;

	if (!x->gcls || x->lg == y->lg)
		return gates_conflict(x->e, y->e);
	for (i = 0; i < x->e->n_gates; i++)
		for (j = 0; j < y->e->n_gates; j++)
			if (x->gcls[i] && x->gcls[i] == y->gcls[j] &&
			    !(x->e->gates[i].mode == LH_MODE_SHARED && y->e->gates[j].mode == LH_MODE_SHARED))
				return 1;
	return 0;
}

/* the edge context number idx of the graph: of the joined table, or (one
 * log) the log's own edge idx, with no table of pointers */
static const struct lr_edge *ctx_edge(const struct fd_analysis *a, uint32_t idx)
{
	return a->all ? a->all[idx] : &a->logs[0]->edges[idx];
}

/* could the threads of two contexts have been alive at once? */
static int reps_overlap(const struct fd_rep *x, const struct fd_rep *y)
{
	return x->start_ns < y->end_ns && y->start_ns < x->end_ns;
}

/* The reduced contexts of the edge whose contexts are ctx[0..n), from the
 * cache or made now; NULL when FD_MAX_REPS is reached. */
static struct fd_edge_reps *edge_reps(struct fd_analysis *a, const uint32_t *ctx, size_t n)
{
	struct fd_edge_reps *er;
	uint64_t sig[MAX_KINDS], *osig;
	size_t reps[MAX_KINDS], n_kinds = 0, n_out = 0, k, s, r;
	uint32_t *out;

	HASH_FIND_PTR(a->reps, &ctx, er);
	if (er)
		return er;
	if (a->n_reps >= a->max_reps)
		return NULL;
	out = xmalloc(REPS_PER_KIND * MAX_KINDS * sizeof(*out));
	osig = xmalloc(REPS_PER_KIND * MAX_KINDS * sizeof(*osig));
	for (k = 0; k < n; k++) {
		const struct lr_edge *e = ctx_edge(a, ctx[k]);
		uint64_t h = feas_signature(e);
		if (a->joined) {
			/* joined: contexts of other logs or instances are not
			 * alike (gates compare by log, locks must match) */
			uint64_t x = ((uint64_t)a->ctx_log[ctx[k]] << 32) ^ e->from * 0x9E3779B97F4A7C15ull ^
			             e->to * 0xc4ceb9fe1a85ec53ull;
			h ^= x ^ (x >> 31);
		}
		for (s = 0; s < n_kinds; s++)
			if (sig[s] == h)
				break;
		if (s == n_kinds) {
			if (n_kinds == MAX_KINDS)
				continue;
			sig[n_kinds] = h;
			reps[n_kinds++] = 0;
		}
		if (reps[s] >= REPS_PER_KIND)
			continue;
		/* prefer contexts of threads not already kept for this kind
		 * (a kind is of one log when joined) */
		for (r = 0; r < n_out; r++)
			if (osig[r] == h && ctx_edge(a, out[r])->thread == e->thread)
				break;
		if (r < n_out)
			continue;
		osig[n_out] = h;
		out[n_out++] = ctx[k];
		reps[s]++;
	}
	er = xcalloc(1, sizeof(*er));
	er->key = ctx;
	er->n = n_out;
	er->reps = xmalloc((n_out ? n_out : 1) * sizeof(*er->reps));
	er->single_lg = n_out && a->ctx_log ? (long)a->ctx_log[out[0]] : 0;
	if (a->joined) {
		size_t n_g = 0;
		for (k = 0; k < n_out; k++)
			n_g += ctx_edge(a, out[k])->n_gates;
		er->gcls = xmalloc((n_g ? n_g : 1) * sizeof(*er->gcls));
	}
	for (k = 0, s = 0; k < n_out; k++) {
		uint32_t lg = a->ctx_log ? a->ctx_log[out[k]] : 0;
		fill_rep(a, &er->reps[k], ctx_edge(a, out[k]), lg, er->gcls ? er->gcls + s : NULL);
		s += ctx_edge(a, out[k])->n_gates;
		er->n_ungated += ctx_edge(a, out[k])->n_gates == 0;
		if ((long)lg != er->single_lg)
			er->single_lg = -1;
	}
	free(out);
	free(osig);
	a->n_reps += n_out;
	HASH_ADD_PTR(a->reps, key, er);
	return er;
}

/*
 * The search for one cycle's choice: depth-first over the reps of each
 * edge in order, pruned by gate conflicts and read modes, keeping the
 * first choice of the best score (2 per distinct thread, 1 more when they
 * all overlapped in time).  What today's choice depends on is only that
 * order and the per-cycle step cap; the rest only makes it cheaper: the
 * gate masks of the chosen contexts are OR-ed along the path, so a context
 * whose gates cannot meet them needs no comparison; the score is kept as
 * the path grows (distinct threads, pairs that never overlapped); and a
 * branch that cannot beat the best found, or a best that reaches the upper
 * bound of this cycle (its reps' distinct threads, and whether any two of
 * them overlapped), ends the search.  ungated_first tries contexts without
 * gates before the others: the cheap round's fallback, which finds a
 * feasible choice at once when every edge has such a context.
 */
struct fd_search {
	struct fd_analysis *a;
	size_t n;
	struct fd_edge_reps *const *er;
	int joined;
	const struct fd_rep **cur, **best;
	uint64_t accg[FD_MAX_CYCLE_LEN + 1], accx[FD_MAX_CYCLE_LEN + 1];
	const struct fd_rep *dthr[FD_MAX_CYCLE_LEN]; /* distinct threads on the path */
	size_t dcnt[FD_MAX_CYCLE_LEN], nd, nonover;
	int best_score, ub_d, ub_bonus, ub;
	int ungated_first;
	int count_compares; /* the cheap round: comparisons are steps too */
	long steps, limit;
	int cut;
};

static int over_budget(struct fd_analysis *a)
{
	if (a->timed_out)
		return 1;
	if (a->work >= a->budget) {
		a->res->budget_hit = 1;
		return 1;
	}
	if ((a->work & 4095) == 0 && elapsed_ms(&a->t0) > a->time_ms) {
		a->timed_out = 1;
		a->res->budget_hit = 1;
		return 1;
	}
	return 0;
}

static void choose(struct fd_search *s, size_t i)
{
	size_t n = s->n, k, j;
	int pass;

	if (s->steps++ > s->limit) {
		s->cut = FD_CUT_CAP;
		return;
	}
	s->a->work++;
	if (over_budget(s->a)) {
		s->cut = FD_CUT_BUDGET;
		return;
	}
	if (s->best_score == s->ub)
		return;
	if (i == n) {
		int sc = (int)s->nd * 2 + (s->nd > 1 && s->nonover == 0);
		if (s->joined) {
			/* a cycle of one log is that log's own analysis */
			for (j = 1; j < n; j++)
				if (s->cur[j]->lg != s->cur[0]->lg)
					break;
			if (j == n)
				return;
		}
		if (sc > s->best_score) {
			s->best_score = sc;
			memcpy(s->best, s->cur, n * sizeof(*s->cur));
		}
		return;
	}
	if (s->best_score >= 0) {
		size_t d = s->nd + (n - i);
		if (d > (size_t)s->ub_d)
			d = (size_t)s->ub_d;
		if ((int)d * 2 + (s->ub_bonus && s->nonover == 0 && d > 1) <= s->best_score)
			return;
	}
	for (pass = s->ungated_first ? 0 : 1; pass < 3; pass++) {
		for (k = 0; k < s->er[i]->n; k++) {
			const struct fd_rep *r = &s->er[i]->reps[k];
			const struct lr_edge *e = r->e;
			size_t added = 0;
			int known = 0;

			if (pass == 0 && e->n_gates)
				continue;
			if (pass == 2 && !e->n_gates)
				continue;
			/* the lock this edge waits for must block against the
			 * next edge's hold, checked when both sides are chosen */
			if (i > 0 && !blocks(s->cur[i - 1]->wp_to | r->wp_from, s->cur[i - 1]->e->to_mode,
			                     e->from_mode))
				continue;
			if (i == n - 1 && !blocks(r->wp_to | s->cur[0]->wp_from, e->to_mode,
			                          s->cur[0]->e->from_mode))
				continue;
			/* two edges of one log meet at one lock, not at another of
			 * the same class (joined analysis; always so in one log) */
			if (i > 0 && s->cur[i - 1]->lg == r->lg && s->cur[i - 1]->e->to != e->from)
				continue;
			if (i == n - 1 && s->cur[0]->lg == r->lg && e->to != s->cur[0]->e->from)
				continue;
			if ((r->gmask & s->accx[i]) | (r->xmask & s->accg[i])) {
				for (j = 0; j < i; j++) {
					if (!((r->gmask & s->cur[j]->xmask) | (r->xmask & s->cur[j]->gmask)))
						continue;
					s->a->work++;
					s->steps += s->count_compares;
					if (reps_conflict(s->cur[j], r))
						break;
				}
				if (j < i)
					continue;
			}
			s->cur[i] = r;
			s->accg[i + 1] = s->accg[i] | r->gmask;
			s->accx[i + 1] = s->accx[i] | r->xmask;
			for (j = 0; j < s->nd; j++)
				if (s->dthr[j]->thread == r->thread && s->dthr[j]->lg == r->lg)
					break;
			if (j < s->nd) {
				s->dcnt[j]++;
				known = 1;
			} else {
				for (j = 0; j < s->nd; j++)
					added += !reps_overlap(s->dthr[j], r);
				s->dthr[s->nd] = r;
				s->dcnt[s->nd++] = 1;
				s->nonover += added;
			}
			choose(s, i + 1);
			if (known) {
				for (j = 0; j < s->nd; j++)
					if (s->dthr[j]->thread == r->thread && s->dthr[j]->lg == r->lg)
						s->dcnt[j]--;
			} else {
				s->nd--; /* pushed last, popped first */
				s->nonover -= added;
			}
			if (s->cut || s->best_score == s->ub)
				return;
		}
		if (pass == 1)
			break; /* the whole list in its order */
	}
}

struct fd_thr { uint32_t lg, thread; uint64_t start_ns, end_ns; };

static int cmp_thr_id(const void *x, const void *y)
{
	const struct fd_thr *a = x, *b = y;
	if (a->lg != b->lg)
		return (a->lg > b->lg) - (a->lg < b->lg);
	return (a->thread > b->thread) - (a->thread < b->thread);
}

static int cmp_thr_start(const void *x, const void *y)
{
	const struct fd_thr *a = x, *b = y;
	return (a->start_ns > b->start_ns) - (a->start_ns < b->start_ns);
}

/* Upper bound of a cycle's score: distinct threads among its reps (at
 * most one per edge), and whether any two of them were alive at once. */
static void score_bound(struct fd_search *s)
{
	size_t n_all = 0, i, k, nt;
	struct fd_thr *t;
	uint64_t end_max = 0;

	for (i = 0; i < s->n; i++)
		n_all += s->er[i]->n;
	t = xmalloc((n_all ? n_all : 1) * sizeof(*t));
	n_all = 0;
	for (i = 0; i < s->n; i++)
		for (k = 0; k < s->er[i]->n; k++) {
			const struct fd_rep *r = &s->er[i]->reps[k];
			t[n_all].lg = r->lg;
			t[n_all].thread = r->thread;
			t[n_all].start_ns = r->start_ns;
			t[n_all++].end_ns = r->end_ns;
		}
	qsort(t, n_all, sizeof(*t), cmp_thr_id);
	for (i = nt = 0; i < n_all; i++)
		if (nt == 0 || t[nt - 1].thread != t[i].thread || t[nt - 1].lg != t[i].lg)
			t[nt++] = t[i];
	qsort(t, nt, sizeof(*t), cmp_thr_start);
	s->ub_bonus = 0;
	for (i = 0; i < nt; i++) {
		if (i && t[i].start_ns < end_max)
			s->ub_bonus = 1;
		if (t[i].end_ns > end_max)
			end_max = t[i].end_ns;
	}
	free(t);
	s->ub_d = (int)(nt < s->n ? nt : s->n);
	if (s->ub_d < 2)
		s->ub_bonus = 0;
	s->ub = s->ub_d * 2 + s->ub_bonus;
}

/* Search cycle c, in the cheap round (FD_CHEAP_STEPS, exact gate
 * comparisons counted as steps too: a search that completes gives the same
 * choice whatever its limit) or in full (FD_MAX_CHOICE_STEPS); returns the
 * best score, or -1 for no feasible choice; *cut says why the search
 * stopped early (FD_CUT_*), 0 if it did not. */
static int search(struct fd_analysis *a, const struct fd_cyc *c, int cheap, int ungated_first,
                  const struct fd_rep **best, int *cut)
{
	struct fd_search s;
	const struct fd_rep *cur[FD_MAX_CYCLE_LEN];

	memset(&s, 0, sizeof(s));
	s.a = a;
	s.n = c->n;
	s.er = a->er + c->off;
	s.joined = a->joined;
	s.cur = cur;
	s.best = best;
	s.best_score = -1;
	s.ungated_first = ungated_first;
	s.count_compares = cheap;
	s.limit = cheap ? FD_CHEAP_STEPS : FD_MAX_CHOICE_STEPS;
	score_bound(&s);
	choose(&s, 0);
	*cut = s.cut;
	return s.best_score;
}

/* lockgraph's callback: keep the cycle for the rounds of decisions */
static int on_cycle(void *arg, const struct lg_cycle *c)
{
	struct fd_analysis *a = arg;
	struct fd_cyc *y;
	size_t i;

	a->res->n_cycles++;
	if (c->n > FD_MAX_CYCLE_LEN)
		return 0;
	if (a->n_pos + c->n > a->cap_pos) {
		size_t cap = a->cap_pos ? a->cap_pos * 2 : 1024;
		while (cap < a->n_pos + c->n)
			cap *= 2;
		a->nodes = xreallocarray(a->nodes, cap, sizeof(*a->nodes));
		a->er = xreallocarray(a->er, cap, sizeof(*a->er));
		a->best = xreallocarray(a->best, cap, sizeof(*a->best));
		a->cap_pos = cap;
	}
	for (i = 0; i < c->n; i++) {
		struct fd_edge_reps *er = edge_reps(a, c->ctx[i], c->n_ctx[i]);
		if (!er) {
			a->stopped = 1; /* FD_MAX_REPS: the memory bound */
			a->res->budget_hit = 1;
			a->res->n_cycles--;
			return 1;
		}
		a->nodes[a->n_pos + i] = c->nodes[i];
		a->er[a->n_pos + i] = er;
	}
	if (a->joined) {
		/* every context of every edge from one log: that log's own */
		for (i = 1; i < c->n; i++)
			if (a->er[a->n_pos + i]->single_lg < 0 ||
			    a->er[a->n_pos + i]->single_lg != a->er[a->n_pos]->single_lg)
				break;
		if (i == c->n && a->er[a->n_pos]->single_lg >= 0) {
			a->res->n_cycles--;
			return 0;
		}
	}
	if (a->n_cyc == a->cap_cyc) {
		a->cap_cyc = a->cap_cyc ? a->cap_cyc * 2 : 256;
		a->cyc = xreallocarray(a->cyc, a->cap_cyc, sizeof(*a->cyc));
	}
	y = &a->cyc[a->n_cyc++];
	memset(y, 0, sizeof(*y));
	y->n = c->n;
	y->off = a->n_pos;
	a->n_pos += c->n;
	if ((a->n_cyc & 255) == 0 && elapsed_ms(&a->t0) > a->time_ms) {
		a->stopped = a->timed_out = 1;
		a->res->budget_hit = 1;
		return 1;
	}
	return 0;
}

/* Enumerate the cycles shortest first (fd_len_passes), within the
 * enumeration limits shared by all passes. */
static void enumerate(struct fd_analysis *a, struct lg_graph *g)
{
	size_t p, prev = 1, steps = 0, cycles = 0;

	for (p = 0; p < sizeof(fd_len_passes) / sizeof(fd_len_passes[0]); p++) {
		struct lg_limits lim;
		struct lg_stats st;

		memset(&lim, 0, sizeof(lim));
		memset(&st, 0, sizeof(st));
		lim.min_len = prev + 1;
		lim.max_len = fd_len_passes[p];
		lim.max_cycles = FD_MAX_CYCLES - cycles;
		lim.max_steps = FD_MAX_SEARCH_STEPS - steps;
		if (lg_for_each_cycle(g, &lim, on_cycle, a, &st) < 0)
			xalloc_die(0);
		steps += st.steps;
		cycles += st.n_cycles;
		if (a->stopped)
			return;
		if (st.steps_hit || st.cycles_hit || steps >= FD_MAX_SEARCH_STEPS ||
		    cycles >= FD_MAX_CYCLES) {
			/* cycles_hit means one more cycle exists; the step cap
			 * that nothing more was looked at */
			if (st.steps_hit || st.cycles_hit || st.len_cut)
				a->res->capped = 1;
			return;
		}
		if (!st.len_cut)
			return; /* no path was cut: every cycle has been seen */
		prev = fd_len_passes[p];
	}
	a->res->capped = 1; /* cut at FD_MAX_CYCLE_LEN: longer cycles may exist */
}

/* The rounds of decisions: every cycle first gets FD_CHEAP_STEPS (most are
 * decided there: few contexts, or no gates); a cycle still open gets a
 * fallback from a cheap search that tries ungated contexts first (a
 * feasible choice proves the cycle real), then, in enumeration order
 * (shortest first), the full search of up to FD_MAX_CHOICE_STEPS while
 * FD_CHOICE_BUDGET lasts. */
static void decide(struct fd_analysis *a)
{
	size_t i;

	for (i = 0; i < a->n_cyc && !over_budget(a); i++) {
		struct fd_cyc *c = &a->cyc[i];
		int cut, sc = search(a, c, 1, 0, a->best + c->off, &cut);

		if (!cut) {
			c->state = sc >= 0 ? FD_FEASIBLE : FD_INFEASIBLE;
			continue;
		}
		if (sc >= 0 || search(a, c, 1, 1, a->best + c->off, &cut) >= 0)
			c->fallback = 1;
	}
	for (i = 0; i < a->n_cyc && !over_budget(a); i++) {
		struct fd_cyc *c = &a->cyc[i];
		const struct fd_rep *best[FD_MAX_CYCLE_LEN];
		int cut, sc;

		if (c->state != FD_OPEN)
			continue;
		sc = search(a, c, 0, 0, best, &cut);
		if (sc >= 0) {
			memcpy(a->best + c->off, best, c->n * sizeof(*best));
			c->state = FD_FEASIBLE;
		} else if (c->fallback) {
			c->state = FD_FEASIBLE; /* proven, the best choice not found */
		} else if (cut != FD_CUT_BUDGET) {
			/* the whole space was searched, or the per-cycle cap
			 * stopped it: not ruled out, but not for the budget */
			c->state = cut ? FD_CUT : FD_INFEASIBLE;
		}
	}
	for (i = 0; i < a->n_cyc; i++) {
		struct fd_cyc *c = &a->cyc[i];
		if (c->state == FD_OPEN && c->fallback)
			c->state = FD_FEASIBLE; /* proven feasible, choice not the best */
	}
}

static int cmp_finding(const void *a, const void *b);

/* A decided feasible cycle becomes a finding, or is folded into one with
 * the same code locations.  Joined analysis: a cycle some single process
 * formed by the same code is that process's finding already, and is
 * dropped; the others fold among themselves. */
static void add_cycle(struct fd_analysis *a, const struct fd_cyc *c, size_t first)
{
	const struct fd_rep *const *best = a->best + c->off;
	char **locs, *key;
	size_t i, r, rot = 0, keylen = 0, n = c->n;
	struct fd_finding *f;
	struct fd_result *res = a->res;

	/* dedupe key: the code locations of each edge, in the rotation that
	 * sorts first, so the same code found through other locks matches */
	locs = xcalloc(n, sizeof(char *));
	for (i = 0; i < n; i++) {
		const struct lr_log *log = a->logs[best[i]->lg];
		char x[160], y[160];
		code_loc(log, best[i]->e->from_stack, x, sizeof(x));
		code_loc(log, best[i]->e->to_stack, y, sizeof(y));
		locs[i] = xmalloc(strlen(x) + strlen(y) + 4);
		sprintf(locs[i], "%s>%s", x, y);
		keylen += strlen(locs[i]) + 1;
	}
	for (r = 1; r < n; r++) {
		for (i = 0; i < n; i++) {
			int d = strcmp(locs[(r + i) % n], locs[(rot + i) % n]);
			if (d < 0) {
				rot = r;
				break;
			}
			if (d > 0)
				break;
		}
	}
	key = xmalloc(keylen + 8);
	key[0] = 0;
	for (i = 0; i < n; i++) {
		strcat(key, locs[(rot + i) % n]);
		strcat(key, "|");
	}
	for (i = 0; i < n; i++)
		free(locs[i]);
	free(locs);

	for (i = a->joined ? 0 : first; i < res->n; i++) {
		f = &res->f[i];
		if (f->kind != FD_CYCLE || strcmp(f->key, key))
			continue;
		if (a->joined && !f->edge_logs)
			res->n_formed_alone++; /* a single process formed it */
		else
			f->count++;
		free(key);
		return;
	}
	f = fd_new_finding(res);
	f->kind = FD_CYCLE;
	f->log = a->logs[best[rot]->lg];
	f->n = n;
	f->count = 1;
	f->key = key;
	f->locks = xmalloc(n * sizeof(uint64_t));
	f->edges = xmalloc(n * sizeof(*f->edges));
	if (a->joined)
		f->edge_logs = xmalloc(n * sizeof(*f->edge_logs));
	for (i = 0; i < n; i++) {
		const struct fd_rep *b = best[(rot + i) % n];
		f->locks[i] = b->e->from;
		f->edges[i] = b->e;
		if (f->edge_logs)
			f->edge_logs[i] = a->logs[b->lg];
	}
	if (f->edge_logs) {
		size_t j;
		for (i = 0; i < n; i++) {
			for (j = 0; j < i; j++)
				if (f->edge_logs[j] == f->edge_logs[i])
					break;
			f->n_procs += j == i;
		}
	}
	f->single_thread = 1;
	f->concurrent = 0;
	for (i = 1; i < n; i++)
		if (f->edges[i]->thread != f->edges[0]->thread ||
		    fd_edge_log(f, i) != fd_edge_log(f, 0))
			f->single_thread = 0;
	if (!f->single_thread) {
		size_t j;
		f->concurrent = 1;
		for (i = 0; i < n; i++)
			for (j = 0; j < i; j++) {
				const struct lr_log *li = fd_edge_log(f, i), *lj = fd_edge_log(f, j);
				if (li == lj && f->edges[i]->thread == f->edges[j]->thread)
					continue;
				if (!lifetimes_overlap(li, f->edges[i]->thread, lj, f->edges[j]->thread))
					f->concurrent = 0;
			}
	}
}

/* Enumerate the graph's cycles, decide them, and make findings. */
static void analyze_graph(struct fd_analysis *a, struct lg_graph *g, size_t first)
{
	struct fd_edge_reps *er, *tmp;
	size_t i;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a->t0);
	enumerate(a, g);
	decide(a);
	for (i = 0; i < a->n_cyc; i++) {
		switch (a->cyc[i].state) {
		case FD_FEASIBLE:
			add_cycle(a, &a->cyc[i], first);
			break;
		case FD_INFEASIBLE:
			a->res->n_infeasible++;
			break;
		case FD_CUT:
			a->res->capped = 1; /* not ruled out: the search gave up */
			break;
		case FD_OPEN:
			a->res->n_undecided++;
			a->res->budget_hit = 1;
			break;
		}
	}
	HASH_ITER(hh, a->reps, er, tmp) {
		HASH_DEL(a->reps, er);
		free(er->reps);
		free(er->gcls);
		free(er);
	}
	free(a->cyc);
	free(a->nodes);
	free(a->er);
	free(a->best);
}

static void set_bounds(struct fd_analysis *a, const struct fd_bounds *bounds)
{
	a->budget = bounds && bounds->choice_budget ? bounds->choice_budget : FD_CHOICE_BUDGET;
	a->max_reps = bounds && bounds->max_reps ? bounds->max_reps : FD_MAX_REPS;
	a->time_ms = bounds && bounds->time_ms ? bounds->time_ms : FD_TIME_BUDGET_MS;
}

static void lock_cycles(const struct lr_log *log, struct fd_result *res,
                        const struct fd_bounds *bounds)
{
	struct lg_graph *g = lg_new();
	struct fd_analysis a;

	if (!g)
		xalloc_die(0);
	if (log->n_edges > UINT32_MAX - 2)
		xalloc_die(0); /* lockgraph's indices are 32 bits */
	if (log->n_edges &&
	    lg_add_edges(g, log->n_edges, &log->edges[0].from, &log->edges[0].to,
	                 sizeof(log->edges[0]), 0) < 0)
		xalloc_die(0); /* lockgraph's -1: the one policy (xalloc.h) */
	memset(&a, 0, sizeof(a));
	a.logs = &log;
	a.n_logs = 1;
	a.res = res; /* contexts are the log's edges by index: no a.all */
	set_bounds(&a, bounds);
	analyze_graph(&a, g, res->n);
	lg_free(g);
}

/* ---- joined analysis: locks of several processes, by class ---------------- */

struct fd_class {
	char *key;
	uint32_t id;
	UT_hash_handle hh;
};

/* The class of a lock, as a string: a lock inside a module's mapping (a
 * global or static lock) by module path and offset; any other lock (heap,
 * stack) by the code location of its init call.  0: no class (no init
 * call seen and not in a module: a zeroed or C++ lock on the heap). */
static int class_key(const struct lr_log *log, const struct lr_lock *l, char *buf, size_t len)
{
	const struct lr_stack *s;
	int m = fd_module_of(log, l->addr);

	if (m >= 0) {
		snprintf(buf, len, "S|%s|%llx", log->modules[m].path,
		         (unsigned long long)(l->addr - log->modules[m].base));
		return 1;
	}
	s = l->init_stack ? lr_stack(log, l->init_stack) : NULL;
	if (s && s->n && (m = fd_module_of(log, s->pcs[0])) >= 0) {
		snprintf(buf, len, "I|%s|%llx", log->modules[m].path,
		         (unsigned long long)(s->pcs[0] - log->modules[m].base));
		return 1;
	}
	return 0;
}

void fd_analyze_joined(const struct lr_log *const *logs, size_t n_logs, struct fd_result *res,
                       const struct fd_bounds *bounds)
{
	struct fd_class *classes = NULL, *cl, *tmp;
	uint32_t n_classes = 0, *ctx_log;
	uint64_t *node_base;
	const struct lr_edge **all;
	struct lg_graph *g;
	struct fd_analysis a;
	size_t i, k, n_ctx = 0, total = 0, first;
	char buf[4200];

	if (n_logs < 2)
		return;
	memset(&a, 0, sizeof(a));
	a.cls = xcalloc(n_logs, sizeof(*a.cls));
	node_base = xcalloc(n_logs, sizeof(*node_base));
	for (i = 0; i < n_logs; i++) {
		a.cls[i] = xcalloc(logs[i]->n_locks ? logs[i]->n_locks : 1, sizeof(**a.cls));
		for (k = 0; k < logs[i]->n_locks; k++) {
			if (!class_key(logs[i], &logs[i]->locks[k], buf, sizeof(buf)))
				continue;
			HASH_FIND_STR(classes, buf, cl);
			if (!cl) {
				cl = xmalloc(sizeof(*cl));
				cl->key = xstrdup(buf);
				cl->id = ++n_classes;
				HASH_ADD_KEYPTR(hh, classes, cl->key, strlen(cl->key), cl);
			}
			a.cls[i][k] = cl->id;
		}
		total += logs[i]->n_edges;
	}
	/* graph nodes: a class (1..n_classes), or a lock of no class, which
	 * only its own log's edges reach */
	for (i = 0; i < n_logs; i++)
		node_base[i] = i ? node_base[i - 1] + logs[i - 1]->n_locks : n_classes;
	if (total > UINT32_MAX - 2) {
		res->capped = 1; /* the graph's context indices are 32 bits */
		total = UINT32_MAX - 2;
	}
	all = xmalloc((total ? total : 1) * sizeof(*all));
	ctx_log = xmalloc((total ? total : 1) * sizeof(*ctx_log));
	g = lg_new();
	if (!g)
		xalloc_die(0);
	for (i = 0; i < n_logs; i++) {
		const struct lr_log *log = logs[i];
		for (k = 0; k < log->n_edges && n_ctx < total; k++) {
			const struct lr_edge *e = &log->edges[k];
			const struct lr_lock *f = lr_lock(log, e->from), *t = lr_lock(log, e->to);
			uint64_t nf, nt;
			if (!f || !t)
				continue; /* no lock record: nothing to join it by */
			nf = a.cls[i][f - log->locks];
			nt = a.cls[i][t - log->locks];
			if (!nf)
				nf = node_base[i] + 1 + (uint64_t)(f - log->locks);
			if (!nt)
				nt = node_base[i] + 1 + (uint64_t)(t - log->locks);
			all[n_ctx] = e;
			ctx_log[n_ctx] = (uint32_t)i;
			if (lg_add_edge(g, nf, nt, (uint32_t)n_ctx) < 0)
				xalloc_die(0);
			n_ctx++;
		}
	}
	a.logs = logs;
	a.n_logs = n_logs;
	a.joined = 1;
	a.ctx_log = ctx_log;
	a.all = all;
	a.res = res;
	set_bounds(&a, bounds);
	first = res->n;
	analyze_graph(&a, g, 0);
	if (res->n > first)
		qsort(res->f + first, res->n - first, sizeof(res->f[0]), cmp_finding);
	lg_free(g);
	free(all);
	free(ctx_log);
	for (i = 0; i < n_logs; i++)
		free(a.cls[i]);
	free(a.cls);
	free(node_base);
	HASH_ITER(hh, classes, cl, tmp) {
		HASH_DEL(classes, cl);
		free(cl->key);
		free(cl);
	}
}

static int cmp_finding(const void *a, const void *b)
{
	const struct fd_finding *x = a, *y = b;

	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	if (x->log != y->log && !(x->edge_logs && y->edge_logs))
		return 0; /* sorted within one log (or among the joined ones) */
	return strcmp(x->key ? x->key : "", y->key ? y->key : "");
}

struct fd_finding *fd_new_finding(struct fd_result *res)
{
	struct fd_finding *f;

	if ((res->n & (res->n - 1)) == 0)
		res->f = xrealloc(res->f, (res->n ? res->n * 2 : 1) * sizeof(*f));
	f = &res->f[res->n++];
	memset(f, 0, sizeof(*f));
	return f;
}

static void add_lock(struct fd_finding *f, uint64_t id)
{
	size_t i;

	if (!id)
		return;
	for (i = 0; i < f->n; i++)
		if (f->locks[i] == id)
			return;
	f->locks = xrealloc(f->locks, (f->n + 1) * sizeof(uint64_t));
	f->locks[f->n++] = id;
}

/* deadlocks and misuses the shim saw live; misuses deduplicated by what
 * and call site */
static void live_findings(const struct lr_log *log, struct fd_result *res, size_t first)
{
	size_t i, j, k;

	for (i = 0; i < log->n_findings; i++) {
		const struct lr_finding *lf = &log->findings[i];
		char key[512], loc[200];
		struct fd_finding *f;
		int dup = 0;

		if (lf->f.kind == LH_FIND_DEADLOCK) {
			size_t off = (size_t)snprintf(key, sizeof(key), "dl:");
			for (k = 0; k < lf->f.n_items && off < sizeof(key) - 1; k++) {
				if (lf->items[k].role == LH_ROLE_HOLDS || lf->items[k].role == LH_ROLE_POSTER)
					continue;
				code_loc(log, lf->items[k].stack_id, loc, sizeof(loc));
				off += (size_t)snprintf(key + off, sizeof(key) - off, "%s|", loc);
			}
		} else if (lf->f.kind == LH_FIND_MISUSE) {
			code_loc(log, lf->f.stack_id, loc, sizeof(loc));
			snprintf(key, sizeof(key), "mis:%u:%s", lf->f.what, loc);
		} else {
			continue; /* a kind this analyzer does not know */
		}
		for (j = first; j < res->n; j++)
			if (res->f[j].live && !strcmp(res->f[j].key, key)) {
				res->f[j].count++;
				dup = 1;
			}
		if (dup)
			continue;
		f = fd_new_finding(res);
		f->kind = lf->f.kind == LH_FIND_DEADLOCK ? FD_DEADLOCK : FD_MISUSE;
		f->log = log;
		f->live = lf;
		f->count = 1;
		f->key = xstrdup(key);
		add_lock(f, lf->f.lock_id);
		for (k = 0; k < lf->f.n_items; k++)
			add_lock(f, lf->items[k].lock_id);
	}
}

/* A live deadlock proves the cycle of its locks: drop lock-order cycles
 * whose locks are all among a deadlock's, so it is reported once. */
static void fold_cycles(struct fd_result *res, size_t first)
{
	size_t i, j, k, l, out = first;

	for (i = first; i < res->n; i++) {
		struct fd_finding *c = &res->f[i];
		int folded = 0;
		if (c->kind == FD_CYCLE) {
			for (j = first; j < res->n && !folded; j++) {
				const struct fd_finding *d = &res->f[j];
				int all = 1;
				if (d->kind != FD_DEADLOCK || d->n == 0)
					continue;
				for (k = 0; k < c->n && all; k++) {
					int in = 0;
					for (l = 0; l < d->n; l++)
						if (d->locks[l] == c->locks[k])
							in = 1;
					all = in;
				}
				folded = all;
			}
		}
		if (folded) {
			free(c->locks);
			free(c->edges);
			free(c->key);
			continue;
		}
		res->f[out++] = *c;
	}
	res->n = out;
}

void fd_analyze(const struct lr_log *log, struct fd_result *res)
{
	fd_analyze_bounded(log, res, NULL);
}

void fd_analyze_bounded(const struct lr_log *log, struct fd_result *res,
                        const struct fd_bounds *bounds)
{
	size_t first = res->n;

	lock_cycles(log, res, bounds);
	live_findings(log, res, first);
	fold_cycles(res, first);
	ra_analyze(log, res);
	if (res->n > first)
		qsort(res->f + first, res->n - first, sizeof(res->f[0]), cmp_finding);
}

void fd_result_free(struct fd_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		free(res->f[i].locks);
		free(res->f[i].edges);
		free(res->f[i].edge_logs);
		free(res->f[i].key);
		ra_free(res->f[i].race);
	}
	free(res->f);
	memset(res, 0, sizeof(*res));
}
