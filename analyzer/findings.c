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

#define MAX_CHOICE_STEPS 20000

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

static int lifetimes_overlap(const struct lr_log *log, uint32_t a, uint32_t b)
{
	const struct lr_thread *ta = lr_thread(log, a), *tb = lr_thread(log, b);
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

/* does a thread waiting for `lock` in wait_mode block on one holding it in
 * hold_mode? */
static int blocks(const struct lr_log *log, uint64_t lock, int wait_mode, int hold_mode)
{
	const struct lr_lock *l = lr_lock(log, lock);

	if (wait_mode == LH_MODE_SHARED && hold_mode == LH_MODE_SHARED)
		return l && (l->flags & LH_LOCKF_WRITER_PREF); /* conservative there */
	return 1;
}

/* Per edge of the cycle, the contexts worth trying: contexts with the same
 * modes and the same gate set are alike for feasibility, so only a few of
 * each kind (from different threads, for the concurrency choice) are kept.
 * A thread pool taking one edge in 200 threads costs 4 tries, not 200. */
#define REPS_PER_KIND 4
#define MAX_KINDS LH_CTX_KINDS_PER_EDGE

struct chooser {
	const struct lr_log *log;
	const struct lg_cycle *c;
	const uint32_t *const *ctx; /* reduced contexts per edge */
	const size_t *n_ctx;
	const struct lr_edge *const *all; /* ctx index -> edge */
	const struct lr_edge **cur, **best;
	int best_score;
	long steps;
};

static int score(struct chooser *ch)
{
	size_t n = ch->c->n, i, j;
	int distinct = 0, concurrent = 1;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			if (ch->cur[j]->thread == ch->cur[i]->thread)
				break;
		if (j == i)
			distinct++;
		for (j = 0; j < i; j++)
			if (ch->cur[j]->thread != ch->cur[i]->thread &&
			    !lifetimes_overlap(ch->log, ch->cur[j]->thread, ch->cur[i]->thread))
				concurrent = 0;
	}
	return distinct * 2 + (distinct > 1 && concurrent);
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

static size_t reduce_contexts(const struct lr_edge *const *all, const uint32_t *ctx, size_t n,
                              uint32_t *out)
{
	uint64_t sig[MAX_KINDS];
	size_t reps[MAX_KINDS], n_kinds = 0, n_out = 0, k, s, r;

	for (k = 0; k < n; k++) {
		const struct lr_edge *e = all[ctx[k]];
		uint64_t h = feas_signature(e);
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
		/* prefer contexts of threads not already kept for this kind */
		for (r = 0; r < n_out; r++)
			if (feas_signature(all[out[r]]) == h && all[out[r]]->thread == e->thread)
				break;
		if (r < n_out)
			continue;
		out[n_out++] = ctx[k];
		reps[s]++;
	}
	return n_out;
}

static void choose(struct chooser *ch, size_t i)
{
	size_t k, j, n = ch->c->n;

	if (ch->steps++ > MAX_CHOICE_STEPS || ch->best_score == (int)n * 2 + 1)
		return;
	if (i == n) {
		int s = score(ch);
		if (s > ch->best_score) {
			ch->best_score = s;
			memcpy(ch->best, ch->cur, n * sizeof(*ch->cur));
		}
		return;
	}
	for (k = 0; k < ch->n_ctx[i]; k++) {
		const struct lr_edge *e = ch->all[ch->ctx[i][k]];
		int ok = 1;
		/* the lock this edge waits for must block against the next edge's
		 * hold, checked when both sides are chosen */
		if (i > 0 && !blocks(ch->log, e->from, ch->cur[i - 1]->to_mode, e->from_mode))
			ok = 0;
		if (ok && i == n - 1 && !blocks(ch->log, e->to, e->to_mode, ch->cur[0]->from_mode))
			ok = 0;
		for (j = 0; ok && j < i; j++)
			if (gates_conflict(ch->cur[j], e))
				ok = 0;
		if (!ok)
			continue;
		ch->cur[i] = e;
		choose(ch, i + 1);
	}
}


struct walk {
	const struct lr_log *log;
	const struct lr_edge *const *all;
	struct fd_result *res;
	size_t first; /* this log's findings start here in res */
};

static int on_cycle(void *arg, const struct lg_cycle *c)
{
	struct walk *w = arg;
	struct chooser ch;
	const struct lr_edge *cur[64], *best[64];
	char **locs, *key;
	size_t i, r, rot = 0, keylen = 0;
	struct fd_finding *f;

	w->res->n_cycles++;
	if (c->n > 64)
		return 0;
	memset(&ch, 0, sizeof(ch));
	{
		uint32_t *red[64];
		size_t n_red[64];
		for (i = 0; i < c->n; i++) {
			red[i] = xmalloc(REPS_PER_KIND * MAX_KINDS * sizeof(uint32_t));
			n_red[i] = reduce_contexts(w->all, c->ctx[i], c->n_ctx[i], red[i]);
		}
		ch.log = w->log;
		ch.c = c;
		ch.ctx = (const uint32_t *const *)red;
		ch.n_ctx = n_red;
		ch.all = w->all;
		ch.cur = cur;
		ch.best = best;
		ch.best_score = -1;
		choose(&ch, 0);
		for (i = 0; i < c->n; i++)
			free(red[i]);
	}
	if (ch.best_score < 0) {
		if (ch.steps > MAX_CHOICE_STEPS)
			w->res->capped = 1; /* not ruled out: the search gave up */
		else
			w->res->n_infeasible++;
		return 0;
	}

	/* dedupe key: the code locations of each edge, in the rotation that
	 * sorts first, so the same code found through other locks matches */
	locs = xcalloc(c->n, sizeof(char *));
	for (i = 0; i < c->n; i++) {
		char a[160], b[160];
		code_loc(w->log, best[i]->from_stack, a, sizeof(a));
		code_loc(w->log, best[i]->to_stack, b, sizeof(b));
		locs[i] = xmalloc(strlen(a) + strlen(b) + 4);
		sprintf(locs[i], "%s>%s", a, b);
		keylen += strlen(locs[i]) + 1;
	}
	for (r = 1; r < c->n; r++) {
		for (i = 0; i < c->n; i++) {
			int d = strcmp(locs[(r + i) % c->n], locs[(rot + i) % c->n]);
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
	for (i = 0; i < c->n; i++) {
		strcat(key, locs[(rot + i) % c->n]);
		strcat(key, "|");
	}
	for (i = 0; i < c->n; i++)
		free(locs[i]);
	free(locs);

	for (i = w->first; i < w->res->n; i++) {
		f = &w->res->f[i];
		if (f->kind == FD_CYCLE && !strcmp(f->key, key)) {
			f->count++;
			free(key);
			return 0;
		}
	}
	f = fd_new_finding(w->res);
	f->kind = FD_CYCLE;
	f->log = w->log;
	f->n = c->n;
	f->count = 1;
	f->key = key;
	f->locks = xmalloc(c->n * sizeof(uint64_t));
	f->edges = xmalloc(c->n * sizeof(*f->edges));
	for (i = 0; i < c->n; i++) {
		f->locks[i] = c->nodes[(rot + i) % c->n];
		f->edges[i] = best[(rot + i) % c->n];
	}
	f->single_thread = 1;
	f->concurrent = 0;
	for (i = 1; i < c->n; i++)
		if (f->edges[i]->thread != f->edges[0]->thread)
			f->single_thread = 0;
	if (!f->single_thread) {
		size_t j;
		f->concurrent = 1;
		for (i = 0; i < c->n; i++)
			for (j = 0; j < i; j++)
				if (f->edges[i]->thread != f->edges[j]->thread &&
				    !lifetimes_overlap(w->log, f->edges[i]->thread, f->edges[j]->thread))
					f->concurrent = 0;
	}
	return 0;
}

static int cmp_finding(const void *a, const void *b)
{
	const struct fd_finding *x = a, *y = b;

	if (x->kind != y->kind)
		return (int)x->kind - (int)y->kind;
	if (x->log != y->log)
		return 0; /* stable sort keeps log order */
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
	struct lg_graph *g = lg_new();
	const struct lr_edge **all;
	struct lg_limits lim = { 0, 0, 0 };
	struct lg_stats st;
	struct walk w;
	size_t i;

	if (!g)
		xalloc_die(0);
	all = xmalloc((log->n_edges ? log->n_edges : 1) * sizeof(*all));
	for (i = 0; i < log->n_edges; i++) {
		all[i] = &log->edges[i];
		if (lg_add_edge(g, log->edges[i].from, log->edges[i].to, (uint32_t)i) < 0)
			xalloc_die(0); /* lockgraph's -1: the one policy (xalloc.h) */
	}
	w.log = log;
	w.all = all;
	w.res = res;
	w.first = res->n;
	memset(&st, 0, sizeof(st));
	if (lg_for_each_cycle(g, &lim, on_cycle, &w, &st) < 0)
		xalloc_die(0);
	if (st.capped)
		res->capped = 1;
	lg_free(g);
	/* all[] is only needed during the search: findings point into log */
	free(all);
	live_findings(log, res, w.first);
	fold_cycles(res, w.first);
	ra_analyze(log, res);
	if (res->n > w.first)
		qsort(res->f + w.first, res->n - w.first, sizeof(res->f[0]), cmp_finding);
}

void fd_result_free(struct fd_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		free(res->f[i].locks);
		free(res->f[i].edges);
		free(res->f[i].key);
		ra_free(res->f[i].race);
	}
	free(res->f);
	memset(res, 0, sizeof(*res));
}
