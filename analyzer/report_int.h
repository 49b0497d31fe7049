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

/* race_report.c: the data-race finding (rid: its number among races, R1..) */
void ra_text(FILE *out, struct rp *r, const struct fd_finding *f, size_t rid);
json_t *ra_json(struct rp *r, const struct fd_finding *f, size_t rid);

#endif
