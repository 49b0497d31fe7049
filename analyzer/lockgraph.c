/*
 * lockgraph.c - owns the lock-order graph (nodes, edges, per-edge context
 * lists) and the cycle search over it.  See lockgraph.h for the contract.
 *
 * Storage, built for millions of lg_add_edge calls:
 *   - lock id -> dense node index through an open-addressing table whose
 *     slots hold the id beside the index (one cache line per look-up, at a
 *     load of at most 1/2; lg_add_edges prefetches the slots of the next
 *     LG_PREFETCH edges, so that the misses of a table larger than the
 *     cache overlap);
 *   - lg_add_edge appends one record (both node indices, the context: 12
 *     bytes) and nothing else: no table of edges while the graph is filled;
 *   - the first search or lg_edge_count builds the graph (lg_build): nodes
 *     renumbered in ascending id order, the records sorted by (source,
 *     target) with a stable LSD radix sort (digits of LG_RADIX_BITS, so a
 *     pass scatters into few enough runs to stay in the cache), runs folded
 *     into edges of a CSR whose contexts keep the order they were added
 *     in, the records freed.  An add after that turns the CSR back into
 *     records (unbuild), in edge order, which the next build sorts back.
 *
 * The first search also splits the whole graph into SCCs once and keeps
 * the *core*: the nodes of non-trivial SCCs and the edges inside each,
 * still in ascending id order with every list sorted by target.  Every
 * lg_for_each_cycle call (findings.c makes one per length pass) starts
 * from the core, so the output depends only on the set of edges and
 * contexts, never on insertion order or hash layout.  Then:
 *   1. Tarjan (iterative) splits the core into its SCCs (those of the whole
 *      graph: an acyclic graph has an empty core and costs nothing more).
 *   2. Johnson's algorithm, per start node s in ascending id order: the
 *      elementary circuits through s inside the SCC containing s, among the
 *      nodes not yet removed.  Afterwards s is removed and only *that* SCC is
 *      split again (the others are unaffected), so every cycle is found
 *      exactly once, from its smallest node, which is therefore nodes[0].
 *      Cycles come out with nodes[0] non-decreasing; for the same nodes[0],
 *      in depth-first order over ascending target ids.
 *
 * Limits, stated honestly:
 *   - at most 2^32 - 2 nodes and 2^32 - 3 contexts in all (LG_MAX_CTX;
 *     indices are uint32_t to halve the memory); lg_add_edge returns -1
 *     past that.
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
 *     first Tarjan pass of each call is not counted: it is linear in the
 *     core.  Building the CSR sorts the ids, O(n log n), and the records,
 *     O(contexts) per radix pass (at most 6 passes for 2^32 nodes);
 *     everything else for an acyclic graph is O(nodes + edges), once.
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
/* contexts in all (so edges too): cbeg[] holds up to their count, and two
 * position values are B-list sentinels */
#define LG_MAX_CTX (UINT32_MAX - 2u)

#define LG_DEF_MAX_LEN 64
#define LG_DEF_MAX_CYCLES 10000
#define LG_DEF_MAX_STEPS 50000000

/* Radix sort of the contexts (lg_build): digits of at most LG_RADIX_BITS
 * bits, so one pass scatters into at most 2^11 runs, few enough to stay in
 * the cache (one counting-sort pass by source rank scatters into as many
 * runs as there are nodes: a cache miss per context on a large graph). */
#define LG_RADIX_BITS 11

/* One lg_add_edge call, kept until the next build: both ends as dense node
 * indices, and the caller's context. */
struct lg_raw {
	uint32_t f, t, ctx;
};

/* A node-table slot: the lock id beside its index, so that a look-up
 * touches one cache line (idx1 0: empty). */
struct lg_nslot {
	uint64_t id;
	uint32_t idx1;          /* node index + 1 */
	uint32_t pad;
};

/* The search's graph: the nodes of the non-trivial SCCs of the whole graph
 * and the edges inside each, renumbered by ascending lock id (an edge
 * between two SCCs, or out of a trivial one, is on no cycle).  Built once
 * per build, on the first search; every search pass starts from it. */
struct lg_core {
	int ready;
	size_t n, m;
	uint64_t *rid;          /* core node -> lock id, ascending */
	uint32_t *off;          /* out-edges of v: off[v] .. off[v+1] */
	uint32_t *adj;          /* position -> target core node */
	uint32_t *aedge;        /* position -> edge (position in the CSR) */
	uint32_t *asrc;         /* position -> source core node */
	uint32_t *bnext;        /* Johnson's B-lists, per position */
};

struct lg_graph {
	struct lg_nslot *nslot;
	size_t n_nslot;         /* power of two, or 0 before the first node */
	uint64_t *ids;          /* node index -> lock id; ascending up to
	                         * n_sorted (a build renumbers the nodes) */
	size_t n_nodes, cap_nodes, n_sorted;
	/* contexts added since the graph was last built, in order (NULL
	 * while built) */
	struct lg_raw *raw;
	size_t n_raw, cap_raw;
	/* built: the distinct edges as a CSR sorted by (source, target)
	 * index, which is (source, target) lock-id order; an edge is its
	 * position.  Its contexts, in the order they were added, are
	 * ctx[cbeg[e]] .. ctx[cbeg[e + 1] - 1]. */
	int built;
	size_t n_edges, n_ctx;
	uint32_t *off;          /* n_nodes + 1 */
	uint32_t *adj;          /* n_edges: target node */
	uint32_t *cbeg;         /* n_edges + 1 */
	uint32_t *ctx;          /* n_ctx */
	struct lg_core core;
};

/* ---- storage ---------------------------------------------------------- */

struct lg_graph *lg_new(void)
{
	return calloc(1, sizeof(struct lg_graph));
}

static void core_free(struct lg_core *c)
{
	free(c->rid); free(c->off); free(c->adj); free(c->aedge);
	free(c->asrc); free(c->bnext);
	memset(c, 0, sizeof *c);
}

static void built_free(struct lg_graph *g)
{
	core_free(&g->core);
	free(g->off); free(g->adj); free(g->cbeg); free(g->ctx);
	g->off = g->adj = g->cbeg = g->ctx = NULL;
	g->built = 0;
}

void lg_free(struct lg_graph *g)
{
	if (!g)
		return;
	built_free(g);
	free(g->raw);
	free(g->nslot);
	free(g->ids);
	free(g);
}

size_t lg_node_count(const struct lg_graph *g)
{
	return g ? g->n_nodes : 0;
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

/* the dense index of lock id, or LG_NONE */
static uint32_t node_find(const struct lg_graph *g, uint64_t id)
{
	size_t mask, i;

	if (!g->n_nslot)
		return LG_NONE;
	mask = g->n_nslot - 1;
	for (i = lg_id_hash(id) & mask; g->nslot[i].idx1; i = (i + 1) & mask)
		if (g->nslot[i].id == id)
			return g->nslot[i].idx1 - 1;
	return LG_NONE;
}

static void nslot_put(struct lg_nslot *slots, size_t n_slots, uint64_t id, uint32_t idx)
{
	size_t mask = n_slots - 1, i;

	for (i = lg_id_hash(id) & mask; slots[i].idx1; i = (i + 1) & mask)
		;
	slots[i].id = id;
	slots[i].idx1 = idx + 1;
}

/* Make room for `extra` more nodes (ids[] and a node table at a load of
 * at most 1/2), so that node_create cannot fail. */
static int node_reserve(struct lg_graph *g, size_t extra)
{
	size_t need = g->n_nodes + extra, n = g->n_nslot ? g->n_nslot : 1024;
	struct lg_nslot *s;

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

/* Back from built to raw contexts before an edge is added: the CSR's
 * contexts, edge by edge in order, which a new build sorts back into the
 * same edges with the contexts in the same order.  On failure the graph
 * stays built. */
static int unbuild(struct lg_graph *g)
{
	struct lg_raw *r;
	size_t cap = g->n_ctx + 1024, k = 0;

	r = malloc(cap * sizeof *r);
	if (!r)
		return -1;
	for (size_t v = 0; v < g->n_nodes; v++)
		for (uint32_t p = g->off[v]; p < g->off[v + 1]; p++)
			for (uint32_t q = g->cbeg[p]; q < g->cbeg[p + 1]; q++) {
				r[k].f = (uint32_t)v;
				r[k].t = g->adj[p];
				r[k].ctx = g->ctx[q];
				k++;
			}
	built_free(g);
	g->raw = r;
	g->n_raw = k;
	g->cap_raw = cap;
	return 0;
}

int lg_add_edge(struct lg_graph *g, uint64_t from, uint64_t to, uint32_t ctx)
{
	uint32_t f, t;
	size_t extra;

	if (!g)
		return -1;
	if (from == to)
		return 0;       /* self-deadlock is decided elsewhere */
	if (g->built && unbuild(g))
		return -1;
	f = node_find(g, from);
	t = node_find(g, to);

	/* Reserve everything first, so that a failure leaves the graph as it
	 * was (at most with more capacity). */
	extra = (size_t)(f == LG_NONE) + (size_t)(t == LG_NONE);
	if (g->n_nodes + extra > LG_MAX_NODES || g->n_raw >= LG_MAX_CTX)
		return -1;
	if (node_reserve(g, extra) ||
	    grow(&g->raw, &g->cap_raw, g->n_raw + 1, sizeof *g->raw, 1024))
		return -1;
	if (f == LG_NONE)
		f = node_create(g, from);
	if (t == LG_NONE)
		t = node_create(g, to);
	g->raw[g->n_raw].f = f;
	g->raw[g->n_raw].t = t;
	g->raw[g->n_raw].ctx = ctx;
	g->n_raw++;
	return 0;
}

/* Edges added in blocks of LG_PREFETCH: the node-table slots of a block's
 * ends are fetched before the block is looked up, so the cache misses of a
 * table larger than the cache overlap instead of coming one after another. */
#define LG_PREFETCH 16

int lg_add_edges(struct lg_graph *g, size_t n, const uint64_t *from, const uint64_t *to,
                 size_t stride, uint32_t ctx0)
{
	const char *fp = (const char *)from, *tp = (const char *)to;

	if (!g || (n && (!from || !to || !stride)) || n > (size_t)UINT32_MAX - ctx0)
		return -1;
	for (size_t i = 0; i < n; i += LG_PREFETCH) {
		size_t end = n - i < LG_PREFETCH ? n : i + LG_PREFETCH;

		if (g->n_nslot) {
			size_t mask = g->n_nslot - 1;

			for (size_t k = i; k < end; k++) {
				uint64_t f, t;

				memcpy(&f, fp + k * stride, sizeof f);
				memcpy(&t, tp + k * stride, sizeof t);
				__builtin_prefetch(&g->nslot[lg_id_hash(f) & mask]);
				__builtin_prefetch(&g->nslot[lg_id_hash(t) & mask]);
			}
		}
		for (size_t k = i; k < end; k++) {
			uint64_t f, t;

			memcpy(&f, fp + k * stride, sizeof f);
			memcpy(&t, tp + k * stride, sizeof t);
			if (lg_add_edge(g, f, t, ctx0 + (uint32_t)k))
				return -1;
		}
	}
	return 0;
}

struct lg_rank {
	uint64_t id;
	uint32_t idx;
};

/* Sort r[0..n) by id: LSD radix passes of LG_RADIX_BITS over the 64 bits,
 * skipping the digits every id shares (the high bits of addresses).
 * Returns the sorted array (r or the buffer, the other one freed), or NULL
 * with r untouched and still owned by the caller. */
static struct lg_rank *rank_sort(struct lg_rank *r, size_t n)
{
	const size_t nb = (size_t)1 << LG_RADIX_BITS, mask = nb - 1;
	struct lg_rank *src = r, *dst = malloc((n ? n : 1) * sizeof *dst), *t;
	size_t *cnt = malloc(nb * sizeof *cnt);

	if (!dst || !cnt) {
		free(dst);
		free(cnt);
		return NULL;
	}
	for (unsigned sh = 0; sh < 64; sh += LG_RADIX_BITS) {
		size_t i, sum = 0;

		memset(cnt, 0, nb * sizeof *cnt);
		for (i = 0; i < n; i++)
			cnt[(src[i].id >> sh) & mask]++;
		for (i = 0; i < nb && cnt[i] != n; i++)
			;
		if (i < nb)
			continue;       /* one digit value only */
		for (i = 0; i < nb; i++) {
			size_t c = cnt[i];
			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[(src[i].id >> sh) & mask]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	free(cnt);
	free(dst);
	return src;
}

/* Renumber the nodes in ascending id order (node tables, ids[] and the raw
 * contexts), so that index order is id order.  Only nodes added since the
 * last renumbering can be out of order. */
static int renumber(struct lg_graph *g)
{
	size_t n = g->n_nodes, i;
	struct lg_rank *r, *s;
	uint32_t *rank;
	int sorted = 1;

	for (i = g->n_sorted; i + 1 < n && sorted; i++)
		sorted = g->ids[i] < g->ids[i + 1];
	if (g->n_sorted && g->n_sorted < n)
		sorted = sorted && g->ids[g->n_sorted - 1] < g->ids[g->n_sorted];
	if (sorted) {
		g->n_sorted = n;
		return 0;
	}
	r = malloc(n * sizeof *r);
	rank = malloc(n * sizeof *rank);
	if (!r || !rank) {
		free(r);
		free(rank);
		return -1;
	}
	for (i = 0; i < n; i++) {
		r[i].id = g->ids[i];
		r[i].idx = (uint32_t)i;
	}
	s = rank_sort(r, n);
	if (!s) {
		free(r);
		free(rank);
		return -1;
	}
	r = s;
	for (i = 0; i < n; i++) {
		rank[r[i].idx] = (uint32_t)i;
		g->ids[i] = r[i].id;
	}
	free(r);
	for (i = 0; i < g->n_nslot; i++)
		if (g->nslot[i].idx1)
			g->nslot[i].idx1 = rank[g->nslot[i].idx1 - 1] + 1;
	for (i = 0; i < g->n_raw; i++) {
		g->raw[i].f = rank[g->raw[i].f];
		g->raw[i].t = rank[g->raw[i].t];
	}
	free(rank);
	g->n_sorted = n;
	return 0;
}

static unsigned bits_for(size_t x)
{
	unsigned b = 0;

	while (b < 64 && (x >> b))
		b++;
	return b;
}

/* Sort the raw contexts by (f, t), stably: LSD radix passes over the key
 * f * 2^tb + t, t's digits first.  Passes whose digit is the same in every
 * context are skipped.  Uses a buffer as large as raw[]. */
static int raw_sort(struct lg_graph *g)
{
	size_t n = g->n_raw;
	unsigned tb = bits_for(g->n_nodes ? g->n_nodes - 1 : 0), kb = 2 * tb, np, db;
	struct lg_raw *src = g->raw, *dst;
	size_t *cnt;

	if (n < 2 || kb == 0)
		return 0;
	np = (kb + LG_RADIX_BITS - 1) / LG_RADIX_BITS;
	db = (kb + np - 1) / np;
	dst = malloc(n * sizeof *dst);
	cnt = malloc(((size_t)1 << db) * sizeof *cnt);
	if (!dst || !cnt) {
		free(dst);
		free(cnt);
		return -1;
	}
	for (unsigned p = 0; p < np; p++) {
		unsigned sh = p * db;
		size_t nb = (size_t)1 << db, mask = nb - 1, sum = 0, i;
		struct lg_raw *tmp;

		memset(cnt, 0, nb * sizeof *cnt);
		for (i = 0; i < n; i++)
			cnt[((((uint64_t)src[i].f << tb) | src[i].t) >> sh) & mask]++;
		for (i = 0; i < nb && cnt[i] != n; i++)
			;
		if (i < nb)
			continue;       /* one digit value only: already in order */
		for (i = 0; i < nb; i++) {
			size_t c = cnt[i];
			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[((((uint64_t)src[i].f << tb) | src[i].t) >> sh) & mask]++] = src[i];
		tmp = src;
		src = dst;
		dst = tmp;
	}
	free(cnt);
	/* src holds the result; dst is the other buffer */
	if (src != g->raw) {
		free(g->raw);
		g->raw = src;
		g->cap_raw = n;
	} else {
		free(dst);
	}
	return 0;
}

/*
 * Build the CSR from the raw contexts: renumber the nodes by id, sort the
 * contexts by (source, target) (stable, so each edge keeps its contexts in
 * the order they were added), and fold the runs of one (source, target)
 * into one edge.  The raw contexts are freed.  O(nodes log nodes + contexts).
 * On failure the graph stays as it was, unbuilt (possibly renumbered and
 * sorted, which changes nothing it reports).
 */
static int lg_build(struct lg_graph *g)
{
	size_t n, k, m = 0, i;
	uint32_t *off, *adj, *cbeg, *ctx;

	if (g->built)
		return 0;
	if (renumber(g) || raw_sort(g))
		return -1;
	n = g->n_nodes;
	k = g->n_raw;
	for (i = 0; i < k; i++)
		m += !i || g->raw[i].f != g->raw[i - 1].f || g->raw[i].t != g->raw[i - 1].t;
	off = calloc(n + 1, sizeof *off);
	adj = malloc((m ? m : 1) * sizeof *adj);
	cbeg = malloc((m + 1) * sizeof *cbeg);
	ctx = malloc((k ? k : 1) * sizeof *ctx);
	if (!off || !adj || !cbeg || !ctx) {
		free(off); free(adj); free(cbeg); free(ctx);
		return -1;
	}
	m = 0;
	for (i = 0; i < k; i++) {
		const struct lg_raw *r = &g->raw[i];

		if (!i || r->f != r[-1].f || r->t != r[-1].t) {
			off[r->f + 1]++;
			adj[m] = r->t;
			cbeg[m++] = (uint32_t)i;
		}
		ctx[i] = r->ctx;
	}
	cbeg[m] = (uint32_t)k;
	for (i = 0; i < n; i++)
		off[i + 1] += off[i];
	free(g->raw);
	g->raw = NULL;
	g->n_raw = g->cap_raw = 0;
	g->off = off;
	g->adj = adj;
	g->cbeg = cbeg;
	g->ctx = ctx;
	g->n_edges = m;
	g->n_ctx = k;
	g->built = 1;
	return 0;
}

size_t lg_edge_count(struct lg_graph *g)
{
	if (!g || lg_build(g))
		return 0;
	return g->n_edges;
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
	const uint64_t *rid;    /* node -> lock id */
	const uint32_t *off;    /* CSR: out-edges of v are off[v] .. off[v+1] */
	const uint32_t *adj;    /* CSR position -> target node */
	const uint32_t *aedge;  /* CSR position -> edge of the graph */
	const uint32_t *asrc;   /* CSR position -> source node */
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

static void work_free(struct lg_work *w)
{
	free(w->comp); free(w->clen); free(w->members); free(w->tmp);
	free(w->tidx); free(w->tlow); free(w->onstk); free(w->sstk);
	free(w->fv); free(w->fpos); free(w->ffound); free(w->blocked);
	free(w->bhead);
	free(w->cnodes); free(w->cctx); free(w->cnctx);
}

/* Tarjan's arrays for n nodes, every node in one set labelled 0. */
static int work_tarjan_alloc(struct lg_work *w, size_t n)
{
	size_t n1 = n ? n : 1;

	w->n = n;
	w->comp = calloc(n1, sizeof *w->comp);
	w->clen = malloc(n1 * sizeof *w->clen);
	w->members = malloc(n1 * sizeof *w->members);
	w->tmp = malloc(n1 * sizeof *w->tmp);
	w->tidx = calloc(n1, sizeof *w->tidx);
	w->tlow = malloc(n1 * sizeof *w->tlow);
	w->onstk = calloc(n1, 1);
	w->sstk = malloc(n1 * sizeof *w->sstk);
	w->fv = malloc(n1 * sizeof *w->fv);
	w->fpos = malloc(n1 * sizeof *w->fpos);
	if (!w->comp || !w->clen || !w->members || !w->tmp || !w->tidx ||
	    !w->tlow || !w->onstk || !w->sstk || !w->fv || !w->fpos)
		return -1;
	for (size_t i = 0; i < n; i++)
		w->members[i] = (uint32_t)i;
	w->clen[0] = (uint32_t)n;
	return 0;
}

static long tarjan(struct lg_work *w, uint32_t c, int count);

/*
 * The core of a built graph (struct lg_core): Tarjan over the whole CSR,
 * then the nodes of non-trivial SCCs in ascending id order with the edges
 * that stay inside their SCC, each list still sorted by target.  O(nodes +
 * edges), once per build; the search passes then cost only the core.
 */
static int core_build(struct lg_graph *g)
{
	struct lg_core *c = &g->core;
	struct lg_work w;
	size_t n = g->n_nodes, k = 0, m = 0;
	uint32_t *map;
	int rc = -1;

	if (c->ready)
		return 0;
	memset(&w, 0, sizeof w);
	w.g = g;
	w.off = g->off;
	w.adj = g->adj;
	if (work_tarjan_alloc(&w, n))
		goto out;
	if (n)
		tarjan(&w, 0, 0);
	map = w.tidx;           /* reused: node -> core node */
	for (size_t v = 0; v < n; v++) {
		if (w.comp[v] == LG_NONE)
			continue;
		map[v] = (uint32_t)k++;
		for (uint32_t p = g->off[v]; p < g->off[v + 1]; p++)
			m += w.comp[g->adj[p]] == w.comp[v];
	}
	c->n = k;
	c->m = m;
	c->rid = malloc((k ? k : 1) * sizeof *c->rid);
	c->off = malloc((k + 1) * sizeof *c->off);
	c->adj = malloc((m ? m : 1) * sizeof *c->adj);
	c->aedge = malloc((m ? m : 1) * sizeof *c->aedge);
	c->asrc = malloc((m ? m : 1) * sizeof *c->asrc);
	c->bnext = malloc((m ? m : 1) * sizeof *c->bnext);
	if (!c->rid || !c->off || !c->adj || !c->aedge || !c->asrc || !c->bnext) {
		core_free(c);
		goto out;
	}
	k = m = 0;
	for (size_t v = 0; v < n; v++) {
		if (w.comp[v] == LG_NONE)
			continue;
		c->rid[k] = g->ids[v];
		c->off[k] = (uint32_t)m;
		for (uint32_t p = g->off[v]; p < g->off[v + 1]; p++) {
			uint32_t x = g->adj[p];

			if (w.comp[x] != w.comp[v])
				continue;
			c->adj[m] = map[x];
			c->aedge[m] = p;
			c->asrc[m] = (uint32_t)k;
			m++;
		}
		k++;
	}
	c->off[k] = (uint32_t)m;
	c->ready = 1;
	rc = 0;
out:
	work_free(&w);
	return rc;
}

/* The search's state over the core, fresh for one lg_for_each_cycle. */
static int work_build(struct lg_work *w)
{
	const struct lg_core *c = &w->g->core;
	size_t n = c->n, lmax;

	w->rid = c->rid;
	w->off = c->off;
	w->adj = c->adj;
	w->aedge = c->aedge;
	w->asrc = c->asrc;
	w->bnext = c->bnext;
	if (work_tarjan_alloc(w, n))
		return -1;
	lmax = w->max_len < n ? w->max_len : n;
	w->ffound = malloc(n ? n : 1);
	w->blocked = calloc(n ? n : 1, 1);
	w->bhead = malloc((n ? n : 1) * sizeof *w->bhead);
	w->cnodes = malloc((lmax ? lmax : 1) * sizeof *w->cnodes);
	w->cctx = malloc((lmax ? lmax : 1) * sizeof *w->cctx);
	w->cnctx = malloc((lmax ? lmax : 1) * sizeof *w->cnctx);
	if (!w->ffound || !w->blocked || !w->bhead || !w->cnodes || !w->cctx ||
	    !w->cnctx)
		return -1;
	for (size_t i = 0; i < n; i++)
		w->bhead[i] = LG_B_END;
	for (size_t p = 0; p < c->m; p++)
		w->bnext[p] = LG_B_OUT;
	return 0;
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
		uint32_t e = w->aedge[w->fpos[i] - 1];

		w->cnodes[i] = w->rid[w->fv[i]];
		w->cctx[i] = w->g->ctx + w->g->cbeg[e];
		w->cnctx[i] = w->g->cbeg[e + 1] - w->g->cbeg[e];
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
	if (!g || lg_build(g))
		return -1;
	stats->n_nodes = g->n_nodes;
	stats->n_edges = g->n_edges;
	if (g->n_nodes < 2 || g->n_edges < 2)
		return 0;       /* a cycle needs two edges */
	if (core_build(g))
		return -1;
	if (g->core.n < 2)
		return 0;       /* no non-trivial SCC */

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

	/* one set labelled 0: every node of the core; its SCCs are the
	 * whole graph's non-trivial ones */
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
