/*
 * findings.h - deciding what to report from a log (prefix fd_).
 *
 * A pure module: it takes a parsed log and returns findings, with no I/O,
 * so unit tests can feed it logs built in memory.  (Data races, races.c,
 * read the symbol tables of the log's module files to name globals.)
 *
 * Lock-order cycles: the lock graph's elementary cycles are candidates.  For
 * each, one recorded context is chosen per edge such that the cycle could
 * really block: no two chosen contexts hold a common gate lock (a lock that
 * would keep them from running at once), and at every lock of the cycle the
 * waiter and the holder conflict (a read waiting for a read-held,
 * reader-preferring rwlock does not block).  Among feasible choices, the one
 * with the most distinct, concurrently alive threads is kept.  Cycles whose
 * chosen contexts share the same code locations (the call sites of both
 * acquisitions of every edge) are one finding with a count.
 */
#ifndef LOCKHOUND_FINDINGS_H
#define LOCKHOUND_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "logread.h"

enum fd_kind {
	FD_DEADLOCK = 0, /* ordered first in reports: the most urgent */
	FD_CYCLE = 1,
	FD_MISUSE = 2,
	FD_RACE = 3,
};

struct ra_finding; /* races.h */

struct fd_finding {
	enum fd_kind kind;
	const struct lr_log *log;

	/* FD_CYCLE: locks[i] -> locks[(i+1) % n], taken in context edges[i] */
	size_t n;
	uint64_t *locks;
	const struct lr_edge **edges;
	/* a cycle across processes (fd_analyze_joined): edges[i] and locks[i]
	 * are of log edge_logs[i], n_procs of them; NULL for a cycle of one
	 * log (`log`).  Use fd_edge_log. */
	const struct lr_log **edge_logs;
	size_t n_procs;
	size_t count;      /* distinct lock cycles folded into this finding */
	int concurrent;    /* taken by >= 2 threads whose lifetimes overlapped */
	int single_thread; /* every edge taken by one thread */

	/* FD_DEADLOCK / FD_MISUSE: what the shim saw live */
	const struct lr_finding *live;

	/* FD_RACE: the variable and its pairs (races.h); locks/n are every
	 * lock either side held, count the race records folded */
	struct ra_finding *race;

	char *key; /* dedupe key: code locations, stable across runs */
};

struct fd_result {
	struct fd_finding *f;
	size_t n;
	size_t n_cycles;    /* cycles examined */
	size_t n_infeasible; /* cycles ruled out by gates or read modes */
	int capped;         /* cycle search stopped at a limit */
	int budget_hit;     /* the analysis stopped at its work, memory or time
	                     * budget (findings.c): cycles may be missing */
	size_t n_undecided; /* cycles the budget left undecided */
	size_t n_formed_alone; /* cross-process cycles a single process formed too */
};

/* the log of edge i (and of lock i) of a cycle finding */
static inline const struct lr_log *fd_edge_log(const struct fd_finding *f, size_t i)
{
	return f->edge_logs ? f->edge_logs[i] : f->log;
}

/* Analyze one log and append its findings to res (sorted, deduplicated
 * within the log).  Running out of memory ends the analyzer (xalloc.h). */
void fd_analyze(const struct lr_log *log, struct fd_result *res);

/* The bounds of the lock-order analysis (findings.c: FD_CHOICE_BUDGET,
 * FD_MAX_REPS, FD_TIME_BUDGET_MS); a zero field keeps the default.  For
 * tests and benchmarks: the report always uses the defaults. */
struct fd_bounds {
	long choice_budget;
	size_t max_reps;
	long time_ms;
};
void fd_analyze_bounded(const struct lr_log *log, struct fd_result *res,
                        const struct fd_bounds *bounds);

/* Lock-order cycles that no single process formed, across the logs of
 * several processes (a test suite, a program that forks and execs), found
 * after each log's own fd_analyze.  Locks of different logs are joined by
 * class: a lock inside a module (a global or static lock) by module path
 * and offset, any other by the code location of its init call; a lock of
 * neither (no init call seen, not in a module) is its log's alone.  Within
 * one log a cycle keeps instance precision: two of its edges that meet
 * meet at one lock.  Gates of two logs conflict by class.  A cycle whose
 * code locations match one a single log formed is not reported again
 * (counted in res->n_formed_alone).  Appended to res, with edge_logs set;
 * the same bounds as fd_analyze_bounded (NULL: the defaults). */
void fd_analyze_joined(const struct lr_log *const *logs, size_t n_logs, struct fd_result *res,
                       const struct fd_bounds *bounds);
void fd_result_free(struct fd_result *res);

/* Append a zeroed finding to res (for the analysis modules, races.c). */
struct fd_finding *fd_new_finding(struct fd_result *res);

/* Index of the module containing pc in log->modules, or -1. */
int fd_module_of(const struct lr_log *log, uint64_t pc);

#endif
