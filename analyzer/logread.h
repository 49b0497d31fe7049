/*
 * logread.h - reading a lockhound log into memory (prefix lr_).
 *
 * The reader trusts nothing in the file: every size and count is checked
 * against the bytes that are really there, references (stack, lock and
 * thread ids) may be dangling, and a log may end in the middle of a record.
 * Problems become messages in log->errors and the reader keeps what it could
 * read; only an unreadable file, a file that is not a lockhound log, or a
 * log written in a newer format is refused outright.
 */
#ifndef LOCKHOUND_LOGREAD_H
#define LOCKHOUND_LOGREAD_H

#include <stddef.h>
#include <stdint.h>

#include "lockhound_log.h"

/* Limits of the reader.  None of them stops detection in a log the shim
 * wrote: they bound what a corrupt log can make the reader do.
 *   LR_MAX_ERRORS        problems listed per log, then "further problems
 *                        not shown"
 *   LR_MAX_STACK_FRAMES  frames in one stack record (the shim writes at
 *                        most LH_MAX_FRAMES; more is corruption)
 *   LR_MAX_PY_FRAMES     Python frames in one stack record (the shim: at
 *                        most LH_MAX_PY_FRAMES)
 *   LR_MAX_EDGE_GATES    gates in one edge record (the shim: LH_MAX_GATES)
 *   LR_MAX_FINDING_ITEMS items in one finding record
 *   LR_MAX_HEADER_SIZE   bytes of a file header
 *   LR_MAX_LOCKS         distinct locks (their index holds 32-bit
 *                        positions; a lock record past it is an error)
 *   LR_MAX_EDGES         lock orders read from one log (edge records and
 *                        the orders class maps and tuples stand for: a
 *                        map's bit is one order, so a file of all-set bits
 *                        stands for eight orders a byte, each an lr_edge
 *                        of 64 bytes); past it the rest are not read, with
 *                        one error (lr_max_edges, for tests) */
#define LR_MAX_ERRORS 20
#define LR_MAX_STACK_FRAMES (LH_MAX_FRAMES * 4)
#define LR_MAX_PY_FRAMES (LH_MAX_PY_FRAMES * 4)
#define LR_MAX_EDGE_GATES 1024
#define LR_MAX_FINDING_ITEMS 4096
#define LR_MAX_HEADER_SIZE 4096
#define LR_MAX_LOCKS (UINT32_MAX - 1u)
#define LR_MAX_EDGES ((size_t)1 << 25)

/* LR_MAX_EDGES unless a test lowers it */
extern size_t lr_max_edges;

struct lr_module {
	uint64_t base, lo, hi;
	char *path;
	uint8_t *build_id;
	size_t build_id_len;
};

/* a Python frame of a stack (format 3): file and qualified function name
 * as CPython had them, NUL-terminated; line 0 if not known */
struct lr_pyframe {
	char *file, *func;
	uint32_t line;
};

struct lr_stack {
	uint32_t id;
	uint32_t n;
	uint32_t flags;
	uint64_t *pcs;
	uint32_t n_py;          /* Python frames, innermost first (0 in format 1) */
	struct lr_pyframe *py;
};

struct lr_thread {
	uint32_t id, parent, create_stack, os_tid;
	uint64_t start_ns, end_ns; /* end_ns 0: no end recorded */
	char name[LH_THREAD_NAME_LEN + 1];
};

struct lr_lock {
	uint64_t id, addr;
	uint32_t kind, init_stack, flags, generation;
	uint32_t not_lock_why; /* a semaphore found not to be a lock: enum lh_sem_why */
};

struct lr_edge {
	uint64_t from, to;
	uint32_t thread, from_stack, to_stack;
	uint16_t from_mode, to_mode;
	uint32_t flags;
	uint64_t time_ns;
	uint32_t n_gates;
	struct lh_rec_gate *gates; /* NULL when n_gates is 0 */
};

struct lr_finding {
	struct lh_rec_finding f;
	struct lh_rec_finding_item *items;
};

/* LH_REC_RACE, as read: the record, its held-lock tail and where it was.
 * The reader keeps a record whose references (stacks, threads, locks) do
 * not resolve, with an error in log->errors; the report shows "not
 * recorded" for what is missing.  A record with impossible values (size 0,
 * an unknown variable kind or detector, no thread) is dropped. */
struct lr_race {
	struct lh_rec_race r;
	uint64_t *locks; /* r.n_locks_cur ids held by cur, then r.n_locks_prev by prev */
	size_t off;      /* byte offset of the record in the log */
};
/* More held locks than this on one side of a race record is corruption:
 * a thread holding thousands of locks at once is not a real program. */
#define LR_MAX_RACE_LOCKS 1024

struct lr_log {
	char *path;
	struct lh_file_header hdr;
	char *exe;
	char *cmdline; /* arguments joined by spaces */

	struct lr_module *modules;
	size_t n_modules;
	struct lr_stack *stacks;
	size_t n_stacks;
	struct lr_thread *threads;
	size_t n_threads;
	struct lr_lock *locks;
	size_t n_locks;
	struct lr_edge *edges;
	size_t n_edges;
	int edges_capped; /* lr_max_edges was reached: the rest were not read */
	struct lr_finding *findings;
	size_t n_findings;
	char **notes;
	size_t n_notes;
	struct lr_race *races;
	size_t n_races;

	int complete; /* an LH_REC_END was read */
	struct lh_rec_end end;
	size_t n_unknown_records;
	/* edges of semaphores found not to be locks, dropped after reading
	 * (LH_REC_SEM_CLASS): not in edges[] */
	size_t n_void_sem_edges;
	/* a mapped log (LH_HDR_MAPPED) cut short: bytes after its last record
	 * that the shim had allocated but not written (0 if none) */
	size_t unwritten_bytes;

	char **errors; /* problems found while reading */
	size_t n_errors;

	void *index; /* private: id lookups */
	void *gate_pool; /* private: the edges' gate arrays */
};

/* Read the log at path (a regular file only, opened without blocking, and
 * mapped rather than read into memory).  Returns the log (check ->errors),
 * or NULL with a one-line message in err for a file that cannot be used at
 * all. */
struct lr_log *lr_read(const char *path, char *err, size_t errlen);
/* Same, from a buffer (for tests).  The log keeps no pointer into data:
 * everything it needs is copied out while reading. */
struct lr_log *lr_read_mem(const char *name, const void *data, size_t len, char *err, size_t errlen);
void lr_free(struct lr_log *log);

const struct lr_stack *lr_stack(const struct lr_log *log, uint32_t id);
const struct lr_lock *lr_lock(const struct lr_log *log, uint64_t id);
const struct lr_thread *lr_thread(const struct lr_log *log, uint32_t id);

#endif
