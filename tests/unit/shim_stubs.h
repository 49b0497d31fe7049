/*
 * shim_stubs.h - what the shim's pure units (preload/lockid.c, edges.c,
 * condtab.c, misuse.c) need from the rest of the shim, stood in for by
 * tests/unit/shim_stubs.c, so CUnit tests link them without LD_PRELOAD,
 * without the shim's constructor (init.c) and without a log file.
 *
 * Notes (lh_log_note) and records (lh_log_record) are captured in memory
 * for the tests to look at; the shim's mutex is a plain pthread mutex.
 */
#ifndef LOCKHOUND_TEST_SHIM_STUBS_H
#define LOCKHOUND_TEST_SHIM_STUBS_H

#include <stddef.h>
#include <stdint.h>

#define STUB_MAX_NOTES 64
#define STUB_MAX_RECS 4096
#define STUB_REC_BYTES 512

extern int stub_n_notes;
extern char stub_notes[STUB_MAX_NOTES][256];

struct stub_rec {
	uint16_t type;
	size_t len;
	unsigned char data[STUB_REC_BYTES];
};
extern int stub_n_recs;
extern struct stub_rec stub_recs[STUB_MAX_RECS];

/* the thread misuse.c's findings are written for (lh_thr_current_raw) */
struct lh_thread;
extern struct lh_thread *stub_self;

/* how many times lh_mu_lock took edges.c's lh_edge_mu */
extern long stub_edge_mu_locks;

/* forget every captured note and record */
void stub_reset(void);
/* how many captured notes contain `text` */
int stub_notes_with(const char *text);
/* how many captured records are of `type` */
int stub_recs_of(uint16_t type);

#endif
