/*
 * suppress.h - suppressions and baselines: the findings a report leaves
 * out (prefixes su_, bl_).
 *
 * A suppressions file (--suppressions FILE, suppressions=FILE in
 * LOCKHOUND_OPTIONS) has one KIND:PATTERN per line; blank lines and lines
 * whose first non-blank character is '#' are ignored; blanks around KIND
 * and PATTERN are dropped.  KIND is lock-order-cycle, deadlock, misuse,
 * race or * (any).  PATTERN is a glob (fnmatch(3), no flags) matched
 * against every frame of the finding's stacks (rp_each_stack): the
 * function name, the source file as recorded and its base name, the
 * module path and its base name; for a race also the variable's name.
 * The first line in file order that matches takes the finding; each line
 * counts what it took, and a line that took nothing is listed as unused.
 *
 * A baseline (--baseline OLD.json|OLD.sarif) is an earlier report of
 * lockhound, JSON or SARIF: its findings' fingerprints (JSON "fingerprint",
 * SARIF partialFingerprints "lockhound/v1") are the ones not reported
 * again.
 */
#ifndef LOCKHOUND_SUPPRESS_H
#define LOCKHOUND_SUPPRESS_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "findings.h"

/* limits of what is read: a bigger file or longer line is refused with
 * one line naming it, never cut */
#define SU_MAX_FILE_BYTES (1u << 20)
#define SU_MAX_LINE_LEN 4096
#define BL_MAX_FILE_BYTES (512u << 20)

struct su_entry {
	char *file;    /* the suppressions file, as given */
	int line;      /* 1-based */
	char *kind;    /* lock-order-cycle, deadlock, misuse, misuse/WHAT, race or * */
	char *pattern;
	size_t n_matched; /* findings this line took */
};

struct su_list {
	struct su_entry *e;
	size_t n;
	size_t n_suppressed; /* findings suppressed, all lines */
};

/* Append the lines of path to l.  Returns 0, or -1 with a one-line
 * message "FILE:LINE: what is wrong" (or "FILE: ...") in err. */
int su_load(struct su_list *l, const char *path, char *err, size_t errlen);
void su_free(struct su_list *l);
/* the list's line, if any, that matches finding f (its kind and stacks
 * through the view); NULL if none.  Does not count. */
struct rp;
struct su_entry *su_match(struct su_list *l, struct rp *view, const struct fd_finding *f);
/* text: "N findings suppressed: ..." and one line per unused suppression */
void su_text_summary(FILE *out, const struct su_list *l);
/* JSON: [{file, line, kind, pattern, matched}, ...] */
json_t *su_json(const struct su_list *l);

struct bl_set {
	char **fp; /* sorted */
	size_t n;
};
/* Read the fingerprints of the lockhound JSON or SARIF report at path.
 * Returns 0, or -1 with a one-line message in err. */
int bl_load(struct bl_set *b, const char *path, char *err, size_t errlen);
int bl_has(const struct bl_set *b, const char *fp);
void bl_free(struct bl_set *b);

/* Move the findings of res that l suppresses or b has to the end of
 * res->f (both may be NULL), keeping the order of the rest; returns how
 * many are kept first.  Counts in l's entries; *n_baselined gets the
 * number b had.  The caller renders the first N and frees all. */
size_t su_filter(struct rp *view, struct fd_result *res, struct su_list *l, const struct bl_set *b,
                 size_t *n_baselined);

#endif
