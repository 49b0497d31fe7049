/*
 * lockgraph.c - owns the lock-order graph (nodes, edges, per-edge context
 * lists) and the cycle search over it.  See lockgraph.h for the contract.
 *
 * Storage, built for millions of lg_add_edge calls:
 *   - lock id -> dense node index through an open-addressing table of
 *     node indices, probed by the id's hash and compared against ids[]
 *     (4 bytes a slot at a load of at most 1/2; a uthash entry cost 56
 *     bytes and a pointer chase per look-up, the most of adding 10M edges);
 *   - edges in one dense array, found by (from, to) through a small
 *     open-addressing table of edge indices (uthash would cost a 56-byte
 *     handle plus a malloc per edge, and edges outnumber nodes);
 *   - contexts of an edge kept inline while there are at most two (the
 *     common case), in a doubling heap array after that.
 *
 * The search does not touch those structures' layout: each lg_for_each_cycle
 * call builds a compressed adjacency (CSR) in which nodes are renumbered by
 * ascending lock id and every adjacency list is sorted by target id, so the
 * output depends only on the set of edges and contexts, never on insertion
 * order or hash layout.  Then:
 *   1. Tarjan (iterative) splits the graph into SCCs; nodes in trivial SCCs
 *      are dropped, which is all the work an acyclic graph ever costs.
 *   2. Johnson's algorithm, per start node s in ascending id order: the
 *      elementary circuits through s inside the SCC containing s, among the
 *      nodes not yet removed.  Afterwards s is removed and only *that* SCC is
 *      split again (the others are unaffected), so every cycle is found
 *      exactly once, from its smallest node, which is therefore nodes[0].
 *      Cycles come out with nodes[0] non-decreasing; for the same nodes[0],
 *      in depth-first order over ascending target ids.
 *
 * Limits, stated honestly:
 *   - at most 2^32 - 2 nodes and edges and 2^32 - 1 contexts per edge
 *     (indices are uint32_t to halve the search's memory); lg_add_edge
 *     returns -1 past that.
 *   - max_len: Johnson's blocking assumes a fruitless search from a node
 *     stays fruitless; a search cut by the length bound proves nothing, so a
 *     cut is treated like a found cycle (the node is unblocked).  No cycle of
 *     length <= max_len is lost, but enumeration can then take exponential
 *     time, which max_steps bounds.  capped is set when a cut skipped a
 *     neighbour that might have led back to s, so it can be 1 even when no
 *     longer cycle actually exists (it never says "complete" wrongly).
 *   - max_steps counts edge scans of the search, B-list updates and the
 *     re-splitting of an SCC after each start node (O(SCC size) each time,
 *     so one huge SCC with many cycles costs O(nodes x edges) and will hit
 *     the step cap: e.g. a 100k-lock chain locked in both directions
 *     yields ~130 of its 99999 2-cycles under the defaults, capped).  The
 *     first Tarjan pass is not counted: it is linear.  Building the CSR
 *     sorts the ids, O(n log n); everything else for an acyclic graph is
 *     O(nodes + edges).
 *   - capped from max_cycles is set only when one more cycle than the limit
 *     was found, so exactly max_cycles cycles in the graph is not "capped".
 *   - min_len: cycles shorter than it are still walked (Johnson needs them
 *     for its blocking) but neither delivered nor counted, and start nodes
 *     whose SCC is smaller than min_len are skipped.  A caller enumerating
 *     by increasing length (findings.c) runs passes with (min_len, max_len)
 *     = (2, 2), (3, 3), ...: each pass delivers only its new lengths, and
 *     stats tell why a pass stopped (len_cut: only longer cycles remain
 *     unseen; steps_hit, cycles_hit: the limits).
 *   - the callback must not modify the graph: the context arrays it gets
 *     point into the graph's own storage.
 *   - not thread-safe; one graph, one thread at a time.
 */
#include "lockgraph.h"

#include <stdlib.h>
#include <string.h>

/* The only key is a uint64_t lock id (often an address: low bits constant),
 * so it is mixed with a 64-bit finalizer (murmur3's) before masking. */
static size_t lg_id_hash(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (size_t)x;
}

#define LG_NONE UINT32_MAX              /* no node / removed node */
#define LG_MAX_NODES (UINT32_MAX - 1u)
/* Two values are reserved as B-list sentinels on CSR positions. */
#define LG_B_END UINT32_MAX             /* end of a B-list */
#define LG_B_OUT (UINT32_MAX - 1u)      /* position not in any B-list */
#define LG_MAX_EDGES (UINT32_MAX - 2u)

#define LG_DEF_MAX_LEN 64
#define LG_DEF_MAX_CYCLES 10000
#define LG_DEF_MAX_STEPS 50000000

#define LG_INLINE_CTX 2

struct lg_edge {
	uint32_t from, to;      /* dense node indices */
	uint32_t n_ctx, cap_ctx; /* cap_ctx <= LG_INLINE_CTX: stored inline */
	union {
		uint32_t inl[LG_INLINE_CTX];
		uint32_t *heap;
	} ctx;
};

struct lg_graph {
	uint32_t *nslot;        /* node index + 1; 0 = empty */
	size_t n_nslot;         /* power of two, or 0 before the first node */
	uint64_t *ids;          /* dense index -> lock id */
	size_t n_nodes, cap_nodes;
	struct lg_edge *edges;
	size_t n_edges, cap_edges;
	uint32_t *eslot;        /* edge index + 1; 0 = empty */
	size_t n_eslot;         /* power of two, or 0 before the first edge */
};

/* ---- storage ---------------------------------------------------------- */

struct lg_graph *lg_new(void)
{
	return calloc(1, sizeof(struct lg_graph));
}

void lg_free(struct lg_graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_edges; i++)
		if (g->edges[i].cap_ctx > LG_INLINE_CTX)
			free(g->edges[i].ctx.heap);
	free(g->nslot);
	free(g->ids);
	free(g->edges);
	free(g->eslot);
	free(g);
}

size_t lg_node_count(const struct lg_graph *g)
{
	return g ? g->n_nodes : 0;
}

size_t lg_edge_count(const struct lg_graph *g)
{
	return g ? g->n_edges : 0;
}

static const uint32_t *edge_ctx(const struct lg_edge *e)
{
	return e->cap_ctx <= LG_INLINE_CTX ? e->ctx.inl : e->ctx.heap;
}

/* Grow *p (elements of size sz, capacity *cap) to hold at least `need`. */
static int grow(void *p, size_t *cap, size_t need, size_t sz, size_t first)
{
	void **pp = p;
	size_t c = *cap;
	void *n;

	if (need <= c)
		return 0;
	if (c < first)
		c = first;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return -1;
		c *= 2;
	}
	if (c > SIZE_MAX / sz)
		return -1;
	n = realloc(*pp, c * sz);
	if (!n)
		return -1;
	*pp = n;
	*cap = c;
	return 0;
}

static int ctx_push(struct lg_edge *e, uint32_t ctx)
{
	if (e->n_ctx == e->cap_ctx) {
		uint32_t nc;
		uint32_t *h;

		if (e->cap_ctx == UINT32_MAX)
			return -1;
		nc = e->cap_ctx > UINT32_MAX / 2 ? UINT32_MAX : e->cap_ctx * 2;
		if (e->cap_ctx <= LG_INLINE_CTX) {
			h = malloc((size_t)nc * sizeof *h);
			if (!h)
				return -1;
			memcpy(h, e->ctx.inl, e->n_ctx * sizeof *h);
		} else {
			h = realloc(e->ctx.heap, (size_t)nc * sizeof *h);
			if (!h)
				return -1;
		}
		e->ctx.heap = h;
		e->cap_ctx = nc;
	}
	(e->cap_ctx <= LG_INLINE_CTX ? e->ctx.inl : e->ctx.heap)[e->n_ctx++] = ctx;
	return 0;
}

/* splitmix64's finalizer: dense indices are sequential, so they need real
 * mixing before masking. */
static size_t edge_hash(uint32_t from, uint32_t to)
{
	uint64_t x = ((uint64_t)from << 32) | to;

	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)x;
}

static uint32_t edge_find(const struct lg_graph *g, uint32_t from, uint32_t to)
{
	size_t mask, i;

	if (!g->n_eslot)
		return LG_NONE;
	mask = g->n_eslot - 1;
	for (i = edge_hash(from, to) & mask; g->eslot[i]; i = (i + 1) & mask) {
		const struct lg_edge *e = &g->edges[g->eslot[i] - 1];
		if (e->from == from && e->to == to)
			return g->eslot[i] - 1;
	}
	return LG_NONE;
}

static void eslot_put(uint32_t *slots, size_t n_slots, const struct lg_edge *e,
                      uint32_t ei)
{
	size_t mask = n_slots - 1, i;

	for (i = edge_hash(e->from, e->to) & mask; slots[i]; i = (i + 1) & mask)
		;
	slots[i] = ei + 1;
}

/* Keep the load factor at most 1/2 for `need` edges, so probes stay short;
 * rehashing is amortized O(1) per edge. */
static int eslot_reserve(struct lg_graph *g, size_t need)
{
	size_t n = g->n_eslot ? g->n_eslot : 1024;
	uint32_t *s;

	while (need > n / 2) {
		if (n > SIZE_MAX / 2 / sizeof *s)
			return -1;
		n *= 2;
	}
	if (n == g->n_eslot)
		return 0;
	s = calloc(n, sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; i < g->n_edges; i++)
		eslot_put(s, n, &g->edges[i], (uint32_t)i);
	free(g->eslot);
	g->eslot = s;
	g->n_eslot = n;
	return 0;
}

/* the dense index of lock id, or LG_NONE */
static uint32_t node_find(const struct lg_graph *g, uint64_t id)
{
	size_t mask, i;

	if (!g->n_nslot)
		return LG_NONE;
	mask = g->n_nslot - 1;
	for (i = lg_id_hash(id) & mask; g->nslot[i]; i = (i + 1) & mask)
		if (g->ids[g->nslot[i] - 1] == id)
			return g->nslot[i] - 1;
	return LG_NONE;
}

static void nslot_put(uint32_t *slots, size_t n_slots, uint64_t id, uint32_t idx)
{
	size_t mask = n_slots - 1, i;

	for (i = lg_id_hash(id) & mask; slots[i]; i = (i + 1) & mask)
		;
	slots[i] = idx + 1;
}

/* Make room for `extra` more nodes (ids[] and a node table at a load of
 * at most 1/2), so that node_create cannot fail. */
static int node_reserve(struct lg_graph *g, size_t extra)
{
	size_t need = g->n_nodes + extra, n = g->n_nslot ? g->n_nslot : 1024;
	uint32_t *s;

	if (grow(&g->ids, &g->cap_nodes, need, sizeof *g->ids, 1024))
		return -1;
	while (need > n / 2) {
		if (n > SIZE_MAX / 2 / sizeof *s)
			return -1;
		n *= 2;
	}
	if (n == g->n_nslot)
		return 0;
	s = calloc(n, sizeof *s);
	if (!s)
		return -1;
	for (size_t i = 0; i < g->n_nodes; i++)
		nslot_put(s, n, g->ids[i], (uint32_t)i);
	free(g->nslot);
	g->nslot = s;
	g->n_nslot = n;
	return 0;
}

/* after node_reserve */
static uint32_t node_create(struct lg_graph *g, uint64_t id)
{
	uint32_t i = (uint32_t)g->n_nodes;

	g->ids[i] = id;
	nslot_put(g->nslot, g->n_nslot, id, i);
	g->n_nodes++;
	return i;
}

int lg_add_edge(struct lg_graph *g, uint64_t from, uint64_t to, uint32_t ctx)
{
	uint32_t f, t;
	struct lg_edge *e;
	size_t extra;

	if (!g)
		return -1;
	if (from == to)
		return 0;       /* self-deadlock is decided elsewhere */
	f = node_find(g, from);
	t = node_find(g, to);
	if (f != LG_NONE && t != LG_NONE) {
		uint32_t ei = edge_find(g, f, t);
		if (ei != LG_NONE)
			return ctx_push(&g->edges[ei], ctx);
	}

	/* A new edge.  Reserve everything first, so that a failure leaves the
	 * graph as it was (at most with more capacity). */
	extra = (size_t)(f == LG_NONE) + (size_t)(t == LG_NONE);
	if (g->n_nodes + extra > LG_MAX_NODES || g->n_edges >= LG_MAX_EDGES)
		return -1;
	if (node_reserve(g, extra) ||
	    grow(&g->edges, &g->cap_edges, g->n_edges + 1, sizeof *g->edges, 1024) ||
	    eslot_reserve(g, g->n_edges + 1))
		return -1;
	if (f == LG_NONE)
		f = node_create(g, from);
	if (t == LG_NONE)
		t = node_create(g, to);

	e = &g->edges[g->n_edges];
	memset(e, 0, sizeof *e);
	e->from = f;
	e->to = t;
	e->n_ctx = 1;
	e->cap_ctx = LG_INLINE_CTX;
	e->ctx.inl[0] = ctx;
	eslot_put(g->eslot, g->n_eslot, e, (uint32_t)g->n_edges);
	g->n_edges++;
	return 0;
}

/* ---- search ----------------------------------------------------------- */

/*
 * Working state of one lg_for_each_cycle call.  Nodes are "ranks": dense
 * indices renumbered in ascending lock-id order.
 *
 * Components: comp[v] is the label of v's current SCC, LG_NONE once v is
 * removed (in a trivial SCC, or already used as a start node).  A label is
 * the start of the SCC's range in members[], clen[label] its size; ranges
 * of live SCCs are disjoint, so labels are unique and need no table that
 * grows.  Re-splitting an SCC writes its sub-SCCs into its own range.
 */
struct lg_work {
	const struct lg_graph *g;
	size_t n;
	uint64_t *rid;          /* rank -> lock id */
	uint32_t *off;          /* CSR: out-edges of v are off[v] .. off[v+1] */
	uint32_t *adj;          /* CSR position -> target rank */
	uint32_t *aedge;        /* CSR position -> index in g->edges */
	uint32_t *asrc;         /* CSR position -> source rank */
	uint32_t *comp, *clen, *members, *tmp;
	uint32_t *tidx, *tlow;  /* Tarjan numbering */
	uint8_t *onstk;         /* Tarjan: on the SCC stack */
	uint32_t *sstk;         /* Tarjan SCC stack; Johnson unblock worklist */
	uint32_t *fv, *fpos;    /* DFS frames: node, next CSR position */
	uint8_t *ffound;        /* Johnson frame: a cycle (or a cut) below */
	uint8_t *blocked;       /* Johnson */
	/* Johnson's B-lists.  "v waits in B(w)" only ever happens for an edge
	 * v -> w, so an entry is a CSR position p (v = asrc[p]), each position
	 * is in at most one list, membership is bnext[p] != LG_B_OUT: O(1)
	 * de-duplication and no allocation while searching. */
	uint32_t *bhead;        /* per node: first position, or LG_B_END */
	uint32_t *bnext;        /* per CSR position */
	/* the cycle handed to the callback */
	uint64_t *cnodes;
	const uint32_t **cctx;
	size_t *cnctx;

	size_t min_len, max_len, max_cycles, max_steps, steps;
	lg_cycle_fn fn;
	void *arg;
	struct lg_stats *st;
};

struct lg_rank {
	uint64_t id;
	uint32_t idx;
};

static int rank_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct lg_rank *)a)->id;
	uint64_t y = ((const struct lg_rank *)b)->id;

	return (x > y) - (x < y);
}

static void work_free(struct lg_work *w)
{
	free(w->rid); free(w->off); free(w->adj); free(w->aedge); free(w->asrc);
	free(w->comp); free(w->clen); free(w->members); free(w->tmp);
	free(w->tidx); free(w->tlow); free(w->onstk); free(w->sstk);
	free(w->fv); free(w->fpos); free(w->ffound); free(w->blocked);
	free(w->bhead); free(w->bnext);
	free(w->cnodes); free(w->cctx); free(w->cnctx);
}

/* Renumber nodes by id and build the CSR with each list sorted by target:
 * two counting-sort passes (by target, then stably by source), O(n + m). */
static int work_build(struct lg_work *w)
{
	const struct lg_graph *g = w->g;
	size_t n = g->n_nodes, m = g->n_edges, lmax;
	struct lg_rank *r = malloc(n * sizeof *r);
	uint32_t *rank = malloc(n * sizeof *rank);
	uint32_t *cur = calloc(n + 1, sizeof *cur);
	uint32_t *order = malloc((m ? m : 1) * sizeof *order);
	int rc = -1;

	lmax = w->max_len < n ? w->max_len : n;
	w->n = n;
	w->rid = malloc(n * sizeof *w->rid);
	w->off = calloc(n + 1, sizeof *w->off);
	w->adj = malloc((m ? m : 1) * sizeof *w->adj);
	w->aedge = malloc((m ? m : 1) * sizeof *w->aedge);
	w->asrc = malloc((m ? m : 1) * sizeof *w->asrc);
	w->bnext = malloc((m ? m : 1) * sizeof *w->bnext);
	w->comp = calloc(n, sizeof *w->comp);
	w->clen = malloc(n * sizeof *w->clen);
	w->members = malloc(n * sizeof *w->members);
	w->tmp = malloc(n * sizeof *w->tmp);
	w->tidx = calloc(n, sizeof *w->tidx);
	w->tlow = malloc(n * sizeof *w->tlow);
	w->onstk = calloc(n, 1);
	w->sstk = malloc(n * sizeof *w->sstk);
	w->fv = malloc(n * sizeof *w->fv);
	w->fpos = malloc(n * sizeof *w->fpos);
	w->ffound = malloc(n);
	w->blocked = calloc(n, 1);
	w->bhead = malloc(n * sizeof *w->bhead);
	w->cnodes = malloc(lmax * sizeof *w->cnodes);
	w->cctx = malloc(lmax * sizeof *w->cctx);
	w->cnctx = malloc(lmax * sizeof *w->cnctx);
	if (!r || !rank || !cur || !order || !w->rid || !w->off || !w->adj ||
	    !w->aedge || !w->asrc || !w->bnext || !w->comp || !w->clen ||
	    !w->members || !w->tmp || !w->tidx || !w->tlow || !w->onstk ||
	    !w->sstk || !w->fv || !w->fpos || !w->ffound || !w->blocked ||
	    !w->bhead || !w->cnodes || !w->cctx || !w->cnctx)
		goto out;

	for (size_t i = 0; i < n; i++) {
		r[i].id = g->ids[i];
		r[i].idx = (uint32_t)i;
	}
	qsort(r, n, sizeof *r, rank_cmp);
	for (size_t i = 0; i < n; i++) {
		rank[r[i].idx] = (uint32_t)i;
		w->rid[i] = r[i].id;
		w->members[i] = (uint32_t)i;
		w->bhead[i] = LG_B_END;
	}

	/* pass 1: edges ordered by target rank */
	for (size_t e = 0; e < m; e++)
		cur[rank[g->edges[e].to] + 1]++;
	for (size_t i = 0; i < n; i++)
		cur[i + 1] += cur[i];
	for (size_t e = 0; e < m; e++)
		order[cur[rank[g->edges[e].to]]++] = (uint32_t)e;
	/* pass 2: stable by source rank */
	for (size_t e = 0; e < m; e++)
		w->off[rank[g->edges[e].from] + 1]++;
	for (size_t i = 0; i < n; i++)
		w->off[i + 1] += w->off[i];
	memcpy(cur, w->off, (n + 1) * sizeof *cur);
	for (size_t k = 0; k < m; k++) {
		const struct lg_edge *e = &g->edges[order[k]];
		uint32_t s = rank[e->from], p = cur[s]++;

		w->adj[p] = rank[e->to];
		w->aedge[p] = order[k];
		w->asrc[p] = s;
		w->bnext[p] = LG_B_OUT;
	}
	rc = 0;
out:
	free(r);
	free(rank);
	free(cur);
	free(order);
	return rc;
}

static int over_steps(struct lg_work *w)
{
	if (w->steps > w->max_steps) {
		w->st->capped = 1;
		w->st->steps_hit = 1;
		return 1;
	}
	return 0;
}

/*
 * Split the node set labelled c into SCCs (Tarjan, with explicit frames).
 * Nodes in trivial SCCs get LG_NONE; each non-trivial SCC gets a new label
 * inside c's range.  Edges to nodes outside the set are ignored, which
 * needs no extra test: a relabelled node either fails comp[x] == c or is
 * already numbered and off the stack, and Tarjan skips both.
 * Returns the number of non-trivial SCCs, or -1 if the step cap hit (when
 * `count` is set; the first, whole-graph pass is linear and not counted).
 */
static long tarjan(struct lg_work *w, uint32_t c, int count)
{
	uint32_t base = c, len = w->clen[c], out = 0, counter = 0, sp = 0;
	long nscc = 0;

	for (uint32_t i = 0; i < len; i++)
		w->tidx[w->members[base + i]] = 0;
	if (count)
		w->steps += len;

	for (uint32_t i = 0; i < len; i++) {
		uint32_t root = w->members[base + i];
		size_t depth = 0;

		if (w->comp[root] != c || w->tidx[root])
			continue;
		w->tidx[root] = w->tlow[root] = ++counter;
		w->sstk[sp++] = root;
		w->onstk[root] = 1;
		w->fv[0] = root;
		w->fpos[0] = w->off[root];
		depth = 1;
		while (depth) {
			uint32_t v = w->fv[depth - 1];

			if (w->fpos[depth - 1] < w->off[v + 1]) {
				uint32_t x = w->adj[w->fpos[depth - 1]++];

				if (count && ++w->steps > w->max_steps) {
					w->st->capped = 1;
					w->st->steps_hit = 1;
					return -1;
				}
				if (w->comp[x] != c)
					continue;
				if (!w->tidx[x]) {
					w->tidx[x] = w->tlow[x] = ++counter;
					w->sstk[sp++] = x;
					w->onstk[x] = 1;
					w->fv[depth] = x;
					w->fpos[depth] = w->off[x];
					depth++;
				} else if (w->onstk[x] && w->tidx[x] < w->tlow[v]) {
					w->tlow[v] = w->tidx[x];
				}
				continue;
			}
			/* v is finished */
			depth--;
			if (depth && w->tlow[v] < w->tlow[w->fv[depth - 1]])
				w->tlow[w->fv[depth - 1]] = w->tlow[v];
			if (w->tlow[v] != w->tidx[v])
				continue;
			if (w->sstk[sp - 1] == v) {
				sp--;
				w->onstk[v] = 0;
				w->comp[v] = LG_NONE;
			} else {
				uint32_t label = base + out, k = 0, x;

				do {
					x = w->sstk[--sp];
					w->onstk[x] = 0;
					w->comp[x] = label;
					w->tmp[out++] = x;
					k++;
				} while (x != v);
				w->clen[label] = k;
				nscc++;
			}
		}
	}
	memcpy(w->members + base, w->tmp, out * sizeof *w->tmp);
	return nscc;
}

/* Clear u's block and, transitively, of everything waiting on it. */
static void unblock(struct lg_work *w, uint32_t u)
{
	size_t n = 0;

	w->blocked[u] = 0;
	w->sstk[n++] = u;
	while (n) {
		uint32_t x = w->sstk[--n], p = w->bhead[x];

		while (p != LG_B_END) {
			uint32_t nx = w->bnext[p], y = w->asrc[p];

			w->bnext[p] = LG_B_OUT;
			w->steps++;
			if (w->blocked[y]) {
				w->blocked[y] = 0;
				w->sstk[n++] = y;
			}
			p = nx;
		}
		w->bhead[x] = LG_B_END;
	}
}

/* Hand the cycle on the frame stack to the callback.  Returns 1 to stop. */
static int deliver(struct lg_work *w, size_t len)
{
	struct lg_cycle cy;

	if (len < w->min_len)
		return 0;       /* an earlier pass delivered it */
	if (w->st->n_cycles >= w->max_cycles) {
		w->st->capped = 1;
		w->st->cycles_hit = 1;
		return 1;
	}
	for (size_t i = 0; i < len; i++) {
		/* fpos[i] is one past the edge that left fv[i], including the
		 * closing edge of the top frame */
		const struct lg_edge *e = &w->g->edges[w->aedge[w->fpos[i] - 1]];

		w->cnodes[i] = w->rid[w->fv[i]];
		w->cctx[i] = edge_ctx(e);
		w->cnctx[i] = e->n_ctx;
	}
	cy.n = len;
	cy.nodes = w->cnodes;
	cy.ctx = w->cctx;
	cy.n_ctx = w->cnctx;
	w->st->n_cycles++;
	return w->fn ? w->fn(w->arg, &cy) != 0 : 0;
}

/*
 * Johnson's CIRCUIT(s) within SCC c, iteratively: frame i holds fv[i] (the
 * path), fpos[i] (its next out-edge) and ffound[i] (whether a cycle, or a
 * length cut, was seen below it).  Returns 1 to stop the whole search.
 */
static int circuits(struct lg_work *w, uint32_t s, uint32_t c)
{
	size_t depth = 1;

	w->blocked[s] = 1;
	w->fv[0] = s;
	w->fpos[0] = w->off[s];
	w->ffound[0] = 0;
	while (depth) {
		size_t top = depth - 1;
		uint32_t v = w->fv[top];

		if (w->fpos[top] < w->off[v + 1]) {
			uint32_t x = w->adj[w->fpos[top]++];

			if (++w->steps > w->max_steps)
				return over_steps(w);
			if (w->comp[x] != c)
				continue;
			if (x == s) {
				w->ffound[top] = 1;
				if (deliver(w, depth))
					return 1;
			} else if (!w->blocked[x]) {
				if (depth >= w->max_len) {
					/* a longer cycle may go through x: treat as
					 * found so nothing stays wrongly blocked */
					w->ffound[top] = 1;
					w->st->capped = 1;
					w->st->len_cut = 1;
				} else {
					w->blocked[x] = 1;
					w->fv[depth] = x;
					w->fpos[depth] = w->off[x];
					w->ffound[depth] = 0;
					depth++;
				}
			}
			continue;
		}
		/* v is finished */
		if (w->ffound[top]) {
			unblock(w, v);
		} else {
			for (uint32_t p = w->off[v]; p < w->off[v + 1]; p++) {
				uint32_t x = w->adj[p];

				if (w->comp[x] == c && w->bnext[p] == LG_B_OUT) {
					w->bnext[p] = w->bhead[x];
					w->bhead[x] = p;
					w->steps++;
				}
			}
		}
		depth--;
		if (depth && w->ffound[top])
			w->ffound[depth - 1] = 1;
	}
	return 0;
}

/*
 * Reset Johnson's state on SCC c after a complete search from one start
 * node.  By Johnson's invariants nothing should be left: s is on a cycle,
 * so unblock(s) cascades to every node still blocked.  The reset costs
 * O(|c|), the same as the re-split that follows, and keeps the next search
 * correct without relying on that argument.
 */
static void johnson_reset(struct lg_work *w, uint32_t c)
{
	uint32_t len = w->clen[c];

	for (uint32_t i = 0; i < len; i++) {
		uint32_t x = w->members[c + i], p = w->bhead[x];

		w->blocked[x] = 0;
		while (p != LG_B_END) {
			uint32_t nx = w->bnext[p];

			w->bnext[p] = LG_B_OUT;
			p = nx;
		}
		w->bhead[x] = LG_B_END;
	}
	w->steps += len;
}

int lg_for_each_cycle(struct lg_graph *g, const struct lg_limits *lim,
                      lg_cycle_fn fn, void *arg, struct lg_stats *stats)
{
	struct lg_work w;
	struct lg_stats dummy;
	long nscc;
	int rc = 0;

	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	if (!g)
		return -1;
	stats->n_nodes = g->n_nodes;
	stats->n_edges = g->n_edges;
	if (g->n_nodes < 2 || g->n_edges < 2)
		return 0;       /* a cycle needs two edges */

	memset(&w, 0, sizeof w);
	w.g = g;
	w.fn = fn;
	w.arg = arg;
	w.st = stats;
	w.max_len = lim && lim->max_len ? lim->max_len : LG_DEF_MAX_LEN;
	w.max_cycles = lim && lim->max_cycles ? lim->max_cycles : LG_DEF_MAX_CYCLES;
	w.max_steps = lim && lim->max_steps ? lim->max_steps : LG_DEF_MAX_STEPS;
	w.min_len = lim && lim->min_len ? lim->min_len : 2;
	if (work_build(&w)) {
		rc = -1;
		goto out;
	}

	w.clen[0] = (uint32_t)w.n;      /* one set labelled 0: every node */
	nscc = tarjan(&w, 0, 0);
	stats->n_sccs = (size_t)nscc;

	/* Ascending start nodes: all smaller ranks are removed by now, so s
	 * is the least node of its SCC and of every cycle found from it. */
	for (uint32_t s = 0; s < w.n && nscc > 0; s++) {
		uint32_t c = w.comp[s];

		if (c == LG_NONE)
			continue;
		/* an SCC smaller than min_len holds no cycle to deliver */
		if (w.clen[c] >= w.min_len && circuits(&w, s, c))
			break;
		johnson_reset(&w, c);
		w.comp[s] = LG_NONE;
		if (tarjan(&w, c, 1) < 0)
			break;
	}
	stats->steps = w.steps;
out:
	work_free(&w);
	return rc;
}
