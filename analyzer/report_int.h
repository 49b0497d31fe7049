/*
 * report_int.h - the report's building blocks, shared by report.c and the
 * renderers of other finding kinds (race_report.c).  Not an interface for
 * anything outside the report.
 */
#ifndef LOCKHOUND_REPORT_INT_H
#define LOCKHOUND_REPORT_INT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "findings.h"
#include "logread.h"

struct rp; /* one report being written: its input and symbol contexts */

/* text: s as it is, except what a terminal or a reader of the report would
 * take for structure: control characters (C0, DEL and, in UTF-8, C1) are
 * written as \n, \t, \r, \e, \u00NN or \xNN, a byte of no valid UTF-8
 * sequence as \xNN, a backslash as \\.  Every string
 * the program under test controls (thread names, module and file paths,
 * symbol names, notes) goes through it, so none can forge a report line. */
void rp_put(FILE *out, const char *s);
/* JSON: a string value that is never dropped.  Valid UTF-8 is kept as it
 * is; a string that is not valid UTF-8 is written with each byte of an
 * invalid sequence as \xNN and each backslash as \\ (docs/REFERENCE.md,
 * "Strings that are not UTF-8").  NULL gives NULL, like json_string. */
json_t *rp_json_str(const char *s);

/* text: a symbolized stack, one "#N function  file:line" line per frame */
void rp_text_stack(FILE *out, struct rp *r, const struct lr_log *log, uint32_t stack_id,
                   const char *indent);
/* text: "T2" or 'T2 "name"' */
void rp_text_thread_name(FILE *out, const struct lr_log *log, uint32_t id);
/* text: each thread with its creation stack */
void rp_text_threads(FILE *out, struct rp *r, const struct lr_log *log, const uint32_t *ids,
                     size_t n);
/* text: "  M1: mutex 'mu' at 0x...", for f->locks[i] */
void rp_text_lock_line(FILE *out, struct rp *r, const struct lr_log *log,
                       const struct fd_finding *f, size_t i);
/* the global naming a lock's address, NULL if none */
const char *rp_lock_symbol(struct rp *r, const struct lr_log *log, const struct lr_lock *l);
/* JSON: a stack as frame objects, a thread, a lock (labelled from f->locks) */
json_t *rp_json_stack(struct rp *r, const struct lr_log *log, uint32_t stack_id);
json_t *rp_json_thread(struct rp *r, const struct lr_log *log, uint32_t id);
json_t *rp_json_lock(struct rp *r, const struct lr_log *log, const struct fd_finding *f,
                     uint64_t id);
json_t *rp_json_hex(uint64_t v);
/* "M1" for a lock of f, "L<id>" for one it does not list */
const char *rp_lock_label(const struct fd_finding *f, uint64_t id, char *buf, size_t len);
/* more than one log: blocks name their process */
int rp_is_process_shown(const struct rp *r);

/* ---- code locations (locations.c): fingerprints, suppressions, SARIF, HTML ---- */

struct sym_frame;
/* the symbolized frames of a stack (NULL, *n = 0 if the log has none);
 * the first *n_shown are the ones the text report shows */
const struct sym_frame *rp_frames(struct rp *r, const struct lr_log *log, uint32_t stack_id,
                                  size_t *n, size_t *n_shown);
/* a limit was noted, a log not read in full or the cycle search capped */
struct rp_input;
int rp_may_be_incomplete(const struct rp_input *in);
/* the length of the valid UTF-8 sequence at s, 0 if invalid */
size_t rp_utf8_len(const unsigned char *s);
/* the module is the C library or the dynamic loader */
int rp_is_libc_module(const char *module);
/* the source root paths are made relative to (rp_view_set_source_root) */
const char *rp_source_root(const struct rp *r);

/* What a stack of a finding shows. */
enum rp_role {
	RP_HELD,     /* cycle edge: where the lock held first was acquired */
	RP_ACQUIRED, /* cycle edge: where the second lock was acquired */
	RP_WAITS,    /* deadlock / misuse item: where a thread waits */
	RP_HOLDS,    /* deadlock / misuse item: where a held lock was acquired */
	RP_JOINS,    /* deadlock item: a join waiting for a thread */
	RP_AT,       /* misuse: the call */
	RP_ACCESS,   /* race: one of a pair's two accesses */
	RP_ALLOC,    /* race: the heap block's allocation (not a step of a flow) */
};
struct rp_fstack {
	uint32_t stack_id;
	uint32_t thread;  /* T<thread>, 0 if none */
	enum rp_role role;
	size_t flow;      /* the step group: cycle edge, race pair, 0 otherwise */
	uint64_t lock_a, lock_b; /* the lock ids involved (0: none): held/waited, acquired */
	int write;        /* RP_ACCESS: 1 for a write */
};
/* Calls fn for every stack of finding f, in report order: a cycle's
 * edges (held, then acquired), a deadlock's or misuse's items (a misuse's
 * call first), a race's pairs (earlier access first), then a heap race's
 * allocation.  Lock init and thread creation stacks are not included. */
void rp_each_stack(const struct fd_finding *f, void (*fn)(void *arg, const struct rp_fstack *s),
                   void *arg);

/* "lock-order-cycle", "deadlock", "misuse/<what>", "data-race" */
const char *rp_rule_id(const struct fd_finding *f, char *buf, size_t len);
/* A finding's fingerprint, RP_FINGERPRINT_LEN hex digits: a hash of its
 * rule id and code locations (function, source file relative to the
 * source root or its base name, line; module base name and offset for a
 * frame without a name), never addresses or thread ids, so the same bug
 * in two runs of the same build (ASLR on) has the same fingerprint. */
#define RP_FINGERPRINT_LEN 16
void rp_fingerprint(struct rp *r, const struct fd_finding *f, char out[RP_FINGERPRINT_LEN + 1]);
/* file as the report names it: relative to the source root when it is
 * under it (an absolute path under the root, or a relative path that
 * exists there), else NULL */
const char *rp_rel_path(const struct rp *r, const char *file, char *buf, size_t len);
/* the frame a finding points at: the first frame, in report order, of
 * the first stack with one that has a source file and is not in libc;
 * NULL if none */
const struct sym_frame *rp_primary_frame(struct rp *r, const struct fd_finding *f);
/* a short sentence describing f, for a SARIF message or an HTML heading */
void rp_finding_title(struct rp *r, const struct fd_finding *f, char *buf, size_t len);
/* the lock's name for a person: its global's name, else "mutex at 0x..." */
void rp_lock_name(struct rp *r, const struct lr_log *log, uint64_t lock_id, char *buf, size_t len);
/* "mutex", "rwlock", ... */
const char *rp_kind_name(uint32_t kind);

/* what was filtered out (suppressions with their counts, the baseline),
 * as a JSON object; NULL when nothing was asked to filter */
json_t *rp_view_filter_json(struct rp *r);

/* race_report.c: the data-race finding (rid: its number among races, R1..) */
void ra_text(FILE *out, struct rp *r, const struct fd_finding *f, size_t rid);
json_t *ra_json(struct rp *r, const struct fd_finding *f, size_t rid);

#endif
