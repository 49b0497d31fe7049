/*
 * races.h - data-race findings from LH_REC_RACE records (prefix ra_).
 *
 * The shim writes one record per distinct (variable, calling context of
 * each side); this module folds them into one finding per racy variable:
 *   global   by module + symbol (the STT_OBJECT symbol of the module's
 *            symbol table that covers the address; without one, by module
 *            + offset of the address in the module, or of the first byte
 *            of the variable when a sampled record of the log gives its
 *            extent: bytes 0 and 4 of an 8-byte counter, watched in two
 *            windows, are one finding)
 *   heap     by allocation site (the code locations of the allocation
 *            stack) + offset of the racing bytes in the block
 *   stack    by owning thread + address (the log has no frame ranges, so
 *            the function is not known: "stack of T2")
 *   unknown  by address
 * Within a finding, records are folded into pairs of code locations (the
 * module offsets of both accesses' exact pcs, as an unordered pair with
 * each side's op), listed most frequent first, ties by location.  Keys
 * never contain addresses that move with ASLR, except where nothing else
 * names the variable (stack, unknown, heap block without an allocation
 * stack).
 *
 * The data addresses of globals are symbolized here, once per finding,
 * from the module files named by the log (with libdw, symbolize.h); the
 * result is kept in the finding so the report does not look it up again.
 */
#ifndef LOCKHOUND_RACES_H
#define LOCKHOUND_RACES_H

#include <stddef.h>
#include <stdint.h>

#include "findings.h"
#include "logread.h"

struct ra_pair {
	const struct lr_race *rec; /* the first record of this pair, in log order */
	size_t count;              /* records folded into this pair */
	char *key;                 /* "loc:op|loc:op", the locations sorted */
};

struct ra_finding {
	uint32_t var_kind;          /* enum lh_race_var */
	const struct lr_race *first; /* the first record of the variable: its address and size */
	char *name;   /* global: the symbol, NULL if the symbol table names none */
	char *module; /* global: path of the module holding it, NULL if in none */
	uint64_t offset; /* global: from the symbol (named) or module base (unnamed);
	                    heap: from the block start; else 0 */
	char *section;   /* unnamed global: the module's section holding it (".bss"),
	                    NULL if named or not found */
	uint64_t section_offset; /* unnamed global: from the section's start */
	uint64_t extent; /* unnamed global: the variable's bytes when known (a
	                    sampled record's var_size: an 8-byte access names
	                    them), its offsets then its first byte's; else 0 */
	uint64_t extent_base; /* with extent: the variable's first byte */
	struct ra_pair *pairs; /* most frequent first */
	size_t n_pairs;
};

/* Append one FD_RACE finding per racy variable of log to res (f->race set,
 * f->count = records folded, f->locks = every held lock, in pair order,
 * prev side first, for the M labels; f->key = the variable's key).
 * Running out of memory ends the analyzer (xalloc.h). */
void ra_analyze(const struct lr_log *log, struct fd_result *res);
void ra_free(struct ra_finding *r);

/* "module-basename+0xoffset" for a pc, stable across runs; the raw address
 * for a pc in no module. */
void ra_code_loc(const struct lr_log *log, uint64_t pc, char *buf, size_t len);

#endif
