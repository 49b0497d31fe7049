/*
 * lockgraph.h - the lock-order graph and its cycle search (prefix lg_).
 *
 * A pure module: nodes are lock ids (uint64_t, never 0), an edge from -> to
 * means "some thread acquired `to` while holding `from`".  Each call to
 * lg_add_edge adds one *context* to the edge (the caller's opaque index,
 * e.g. into its table of recorded edge contexts); the same (from, to) pair
 * added twice is one edge with two contexts.  Self-edges (from == to) are
 * ignored: re-acquiring a held lock is a self-deadlock, decided elsewhere.
 *
 * Adding only records the edge; the first lg_for_each_cycle (or
 * lg_edge_count) builds the graph from the records (sorting them), and the
 * build and its split into SCCs are kept for the calls that follow, until
 * the next lg_add_edge.
 *
 * lg_for_each_cycle finds the strongly connected components first (Tarjan,
 * iterative, so a long chain cannot overflow the C stack) and enumerates the
 * elementary cycles inside each non-trivial component only (Johnson's
 * algorithm), so a large acyclic graph costs O(nodes + edges).  Enumeration
 * is bounded by the limits; when a limit cuts it short, stats->capped is set
 * so the report can say that more cycles may exist.
 */
#ifndef LOCKHOUND_LOCKGRAPH_H
#define LOCKHOUND_LOCKGRAPH_H

#include <stddef.h>
#include <stdint.h>

struct lg_graph;

struct lg_graph *lg_new(void);
void lg_free(struct lg_graph *g);

/* Add context `ctx` to edge from -> to.  Returns 0, or -1 on allocation
 * failure. */
int lg_add_edge(struct lg_graph *g, uint64_t from, uint64_t to, uint32_t ctx);

/* lg_add_edge for n edges: edge k from *(from + k * stride bytes) to
 * *(to + k * stride bytes), context ctx0 + k (stride lets a caller pass
 * the fields of its own array of records).  The same graph as n calls, in
 * less time on a large graph.  Returns 0, or -1 on allocation failure
 * (the edges before the failing one are added) or a bad argument. */
int lg_add_edges(struct lg_graph *g, size_t n, const uint64_t *from, const uint64_t *to,
                 size_t stride, uint32_t ctx0);

size_t lg_node_count(const struct lg_graph *g);
/* distinct (from, to) pairs; builds the graph (0 if that fails for memory) */
size_t lg_edge_count(struct lg_graph *g);

/* One elementary cycle: nodes[0] -> nodes[1] -> ... -> nodes[n-1] -> nodes[0].
 * Rotated so that nodes[0] is the smallest id in the cycle, and each cycle
 * is delivered exactly once.  ctx[i] / n_ctx[i] are the contexts of edge
 * nodes[i] -> nodes[(i+1) % n], in the order they were added.  All arrays
 * are valid only during the callback. */
struct lg_cycle {
	size_t n;
	const uint64_t *nodes;
	const uint32_t *const *ctx;
	const size_t *n_ctx;
};

struct lg_limits {
	size_t max_len;         /* longest cycle to enumerate (0: 64) */
	size_t max_cycles;      /* total cycles to deliver (0: 10000) */
	size_t max_steps;       /* search steps overall, a time bound (0: 50M) */
	size_t min_len;         /* shorter cycles are searched through but not
	                         * delivered nor counted (0: 2), so a caller can
	                         * enumerate by increasing length in passes */
};

struct lg_stats {
	size_t n_nodes;
	size_t n_edges;
	size_t n_sccs;   /* non-trivial SCCs (more than one node) */
	size_t n_cycles; /* cycles delivered */
	size_t steps;    /* search steps spent (counted against max_steps) */
	int capped;      /* 1 if a limit stopped the search early: */
	int len_cut;     /*   a path was cut at max_len (longer cycles may exist) */
	int steps_hit;   /*   max_steps was reached */
	int cycles_hit;  /*   more than max_cycles cycles exist */
};

/* Return nonzero from the callback to stop the search (not counted as
 * capped).  Returns 0, or -1 on allocation failure. */
typedef int (*lg_cycle_fn)(void *arg, const struct lg_cycle *c);
int lg_for_each_cycle(struct lg_graph *g, const struct lg_limits *lim,
                      lg_cycle_fn fn, void *arg, struct lg_stats *stats);

#endif
