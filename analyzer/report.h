/*
 * report.h - printing findings as text for people and JSON, SARIF, DOT and
 * HTML for tools and browsers (prefix rp_).  All come from the same resolved
 * view (struct rp), in the same order, with the same ids (F1 for findings, T1 for threads as the shim
 * numbered them, M1.. for the locks of each finding in cycle order).
 */
#ifndef LOCKHOUND_REPORT_H
#define LOCKHOUND_REPORT_H

#include <stdio.h>

#include "findings.h"
#include "logread.h"

struct rp_input {
	struct lr_log **logs;
	size_t n_logs;
	struct fd_result *res;
};

/* The resolved view both reports are rendered from: per log, the
 * symbolized stacks (each symbolized once, on first use, then kept) and the
 * symbol names of lock addresses.  Render text and JSON from one view and
 * no stack is symbolized twice.  in must outlive the view. */
struct rp;
struct rp *rp_view_new(const struct rp_input *in);
void rp_view_free(struct rp *v);

/* The text report: one block per finding, then a summary line. */
void rp_view_text(FILE *out, struct rp *v);
/* The JSON report (see docs/REFERENCE.md, "JSON report"); returns 0 or -1 with errno. */
int rp_view_json(FILE *out, struct rp *v);

/* Paths under root are named relative to it (SARIF, HTML, fingerprints);
 * without a root, only base names are used in fingerprints. */
void rp_view_set_source_root(struct rp *v, const char *root);
/* What was filtered out of the findings before rendering, for the reports
 * to say: suppressions with their counts (suppress.h), findings dropped
 * because the baseline at baseline_path has them (NULL: no baseline). */
struct su_list;
void rp_view_set_filtered(struct rp *v, const struct su_list *supp, size_t n_baselined,
                          const char *baseline_path);
const struct rp_input *rp_view_input(const struct rp *v);

/* SARIF 2.1.0 (sarif.c, docs/REFERENCE.md "SARIF report"); 0 or -1. */
int rp_view_sarif(FILE *out, struct rp *v);
/* The whole lock-order graph in graphviz's DOT language, each reported
 * cycle's locks and edges highlighted (graph_report.c). */
int rp_view_dot(FILE *out, struct rp *v);
/* One self-contained HTML page: every finding, collapsible stacks with
 * source snippets, the lock graph as inline SVG (graph_report.c). */
int rp_view_html(FILE *out, struct rp *v);

/* What the view has resolved so far (for tests and diagnostics). */
struct rp_view_stats {
	size_t n_stacks_resolved; /* distinct (log, stack id) symbolized */
	size_t n_pc_lookups;      /* sym_lookup calls made for them and for lock addresses */
};
struct rp_view_stats rp_view_stats(const struct rp *v);

/* One view for one rendering: rp_view_new, render, rp_view_free. */
void rp_text(FILE *out, const struct rp_input *in);
int rp_json(FILE *out, const struct rp_input *in);
/* One-line summary, e.g. "1 potential deadlock (lock-order cycle)". */
void rp_summary(char *buf, size_t len, const struct fd_result *res);

#endif
