/*
 * lh_misuse.h - the names of the threading-API misuses (enum lh_misuse in
 * lockhound_log.h), one table for the shim's warning line and the
 * analyzer's text and JSON reports, so a misuse has one name everywhere.
 */
#ifndef LOCKHOUND_MISUSE_H
#define LOCKHOUND_MISUSE_H

#include <stdint.h>

#include "lockhound_log.h"

struct lh_misuse_desc {
	const char *name; /* short, stable: JSON "what", e.g. "unlock-not-locked" */
	const char *text; /* a sentence fragment for people */
};

/* Indexed by enum lh_misuse; entry 0 is the generic "misuse". */
extern const struct lh_misuse_desc lh_misuse_table[LH_MIS_COUNT_];

/* The name and text of `what`; the generic entry for a value this build
 * does not know (a newer shim's log). */
const char *lh_misuse_name(uint32_t what);
const char *lh_misuse_text(uint32_t what);

#endif
