/*
 * report.h - printing findings as text for people and JSON for tools
 * (prefix rp_).  Both come from the same symbolized data, in the same
 * order, with the same ids (F1 for findings, T1 for threads as the shim
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

/* The text report: one block per finding, then a summary line. */
void rp_text(FILE *out, const struct rp_input *in);
/* The JSON report (see README "JSON report"); returns 0 or -1 with errno. */
int rp_json(FILE *out, const struct rp_input *in);
/* One-line summary, e.g. "1 potential deadlock (lock-order cycle)". */
void rp_summary(char *buf, size_t len, const struct fd_result *res);

#endif
