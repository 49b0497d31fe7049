/*
 * logbuild.h - a tiny in-memory encoder of lockhound logs for unit tests
 * (prefix lb_).  Header-only: every function is static inline, because the
 * Makefile links each tests/unit/test_*.c on its own with the analyzer.
 *
 *   struct lb b;
 *   lb_init(&b);                       file header, format 1
 *   lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
 *   lb_edge(&b, 1, 2, 1, 0, 0, LH_MODE_EXCL, LH_MODE_EXCL, NULL, 0);
 *   struct lr_log *log = lb_read(&b, err, sizeof err);
 *   ...
 *   lr_free(log); lb_free(&b);
 *
 * Each lb_* record function appends one record (struct lh_rec_hdr + payload)
 * and remembers where it starts (b.rec_off[i], b.rec_type[i]), so a test can
 * cut the log at record boundaries or inside a record.  The builder never
 * validates anything: tests use it to write broken logs too.  NULL data
 * with a nonzero length appends zeros.
 */
#ifndef LOCKHOUND_TEST_LOGBUILD_H
#define LOCKHOUND_TEST_LOGBUILD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockhound_log.h"
#include "logread.h"

struct lb {
	unsigned char *p;
	size_t n, cap;
	size_t *rec_off;   /* offset of each record's lh_rec_hdr */
	unsigned *rec_type;
	size_t n_rec, rec_cap;
};

static inline void lb_raw(struct lb *b, const void *data, size_t len)
{
	if (b->n + len > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + len)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	if (len && data)
		memcpy(b->p + b->n, data, len);
	else if (len) /* no data: zeros */
		memset(b->p + b->n, 0, len);
	b->n += len;
}

/* a valid header, as the shim writes it */
static inline void lb_default_header(struct lh_file_header *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, LH_LOG_MAGIC, LH_LOG_MAGIC_LEN);
	h->format_version = LH_LOG_FORMAT_VERSION;
	h->header_size = sizeof(*h);
	h->pid = 4242;
	h->ppid = 1;
	h->start_realtime_ns = 1700000000000000000ull;
	h->start_mono_ns = 1000;
	snprintf(h->tool_version, sizeof(h->tool_version), "0.1.0-test");
	h->pointer_size = 8;
	h->flags = 0;
}

/* start a log with header h (copied as is: it may be invalid on purpose) */
static inline void lb_init_hdr(struct lb *b, const struct lh_file_header *h)
{
	memset(b, 0, sizeof(*b));
	lb_raw(b, h, sizeof(*h));
}

static inline void lb_init(struct lb *b)
{
	struct lh_file_header h;

	lb_default_header(&h);
	lb_init_hdr(b, &h);
}

static inline void lb_free(struct lb *b)
{
	free(b->p);
	free(b->rec_off);
	free(b->rec_type);
	memset(b, 0, sizeof(*b));
}

/* one record: header, then up to three pieces of payload (NULL/0 = none) */
static inline void lb_rec3(struct lb *b, unsigned type, const void *p1, size_t l1, const void *p2,
                           size_t l2, const void *p3, size_t l3)
{
	struct lh_rec_hdr h;

	if (b->n_rec == b->rec_cap) {
		b->rec_cap = b->rec_cap ? b->rec_cap * 2 : 16;
		b->rec_off = realloc(b->rec_off, b->rec_cap * sizeof(*b->rec_off));
		b->rec_type = realloc(b->rec_type, b->rec_cap * sizeof(*b->rec_type));
		if (!b->rec_off || !b->rec_type)
			abort();
	}
	b->rec_off[b->n_rec] = b->n;
	b->rec_type[b->n_rec] = type;
	b->n_rec++;
	memset(&h, 0, sizeof(h));
	h.type = (uint16_t)type;
	h.size = (uint32_t)(l1 + l2 + l3);
	lb_raw(b, &h, sizeof(h));
	lb_raw(b, p1, l1);
	lb_raw(b, p2, l2);
	lb_raw(b, p3, l3);
}

static inline void lb_rec(struct lb *b, unsigned type, const void *payload, size_t len)
{
	lb_rec3(b, type, payload, len, NULL, 0, NULL, 0);
}

/* a record whose header claims `size` payload bytes, followed by the len
 * bytes actually given (for corrupt-size and truncation tests) */
static inline void lb_rec_claim(struct lb *b, unsigned type, uint32_t size, const void *payload,
                                size_t len)
{
	struct lh_rec_hdr h;

	lb_rec3(b, type, NULL, 0, NULL, 0, NULL, 0);
	memset(&h, 0, sizeof(h));
	h.type = (uint16_t)type;
	h.size = size;
	memcpy(b->p + b->rec_off[b->n_rec - 1], &h, sizeof(h));
	lb_raw(b, payload, len);
}

/* args: NUL-separated, e.g. "prog\0a\0b" with args_len counting the final NUL */
static inline void lb_process(struct lb *b, const char *exe, const char *args, size_t args_len)
{
	struct lh_rec_process r;

	r.exe_len = (uint32_t)strlen(exe) + 1;
	r.cmdline_len = (uint32_t)args_len;
	lb_rec3(b, LH_REC_PROCESS, &r, sizeof(r), exe, r.exe_len, args, args_len);
}

static inline void lb_module(struct lb *b, uint64_t base, uint64_t lo, uint64_t hi,
                             const void *build_id, size_t build_id_len, const char *path)
{
	struct lh_rec_module r;

	memset(&r, 0, sizeof(r));
	r.base = base;
	r.lo = lo;
	r.hi = hi;
	r.build_id_len = (uint32_t)build_id_len;
	r.path_len = (uint32_t)strlen(path) + 1;
	lb_rec3(b, LH_REC_MODULE, &r, sizeof(r), build_id, build_id_len, path, r.path_len);
}

static inline void lb_stack(struct lb *b, uint32_t id, uint32_t flags, const uint64_t *pcs,
                            uint32_t n)
{
	struct lh_rec_stack r;

	memset(&r, 0, sizeof(r));
	r.stack_id = id;
	r.n_frames = n;
	r.flags = flags;
	lb_rec3(b, LH_REC_STACK, &r, sizeof(r), pcs, (size_t)n * 8, NULL, 0);
}

/* a one-frame stack */
static inline void lb_stack1(struct lb *b, uint32_t id, uint64_t pc)
{
	lb_stack(b, id, 0, &pc, 1);
}

static inline void lb_thread_full(struct lb *b, uint32_t id, uint32_t parent, uint32_t create_stack,
                                  uint32_t os_tid, uint64_t start_ns, const char *name)
{
	struct lh_rec_thread r;

	memset(&r, 0, sizeof(r));
	r.thread_id = id;
	r.parent_id = parent;
	r.create_stack = create_stack;
	r.os_tid = os_tid;
	r.start_ns = start_ns;
	if (name) /* may fill all 16 bytes: then not terminated */
		memcpy(r.name, name, strlen(name) < sizeof(r.name) ? strlen(name) : sizeof(r.name));
	lb_rec(b, LH_REC_THREAD, &r, sizeof(r));
}

static inline void lb_thread(struct lb *b, uint32_t id, uint64_t start_ns)
{
	lb_thread_full(b, id, id > 1 ? 1 : 0, 0, 1000 + id, start_ns, NULL);
}

static inline void lb_thread_end(struct lb *b, uint32_t id, uint64_t end_ns)
{
	struct lh_rec_thread_end r;

	memset(&r, 0, sizeof(r));
	r.thread_id = id;
	r.end_ns = end_ns;
	lb_rec(b, LH_REC_THREAD_END, &r, sizeof(r));
}

/* a thread with a lifetime [start, end); end 0 = no end record */
static inline void lb_thread_life(struct lb *b, uint32_t id, uint64_t start_ns, uint64_t end_ns)
{
	lb_thread(b, id, start_ns);
	if (end_ns)
		lb_thread_end(b, id, end_ns);
}

static inline void lb_thread_name(struct lb *b, uint32_t id, const char *name)
{
	struct lh_rec_thread_name r;

	memset(&r, 0, sizeof(r));
	r.thread_id = id;
	memcpy(r.name, name, strlen(name) < sizeof(r.name) ? strlen(name) : sizeof(r.name));
	lb_rec(b, LH_REC_THREAD_NAME, &r, sizeof(r));
}

static inline void lb_lock_full(struct lb *b, uint64_t id, uint64_t addr, uint32_t kind,
                                uint32_t init_stack, uint32_t flags, uint32_t generation)
{
	struct lh_rec_lock r;

	memset(&r, 0, sizeof(r));
	r.lock_id = id;
	r.addr = addr;
	r.kind = kind;
	r.init_stack = init_stack;
	r.flags = flags;
	r.generation = generation;
	lb_rec(b, LH_REC_LOCK, &r, sizeof(r));
}

static inline void lb_lock(struct lb *b, uint64_t id, uint64_t addr, uint32_t kind, uint32_t flags)
{
	lb_lock_full(b, id, addr, kind, 0, flags, 1);
}

static inline void lb_edge_rec(struct lb *b, const struct lh_rec_edge *e,
                               const struct lh_rec_gate *gates)
{
	lb_rec3(b, LH_REC_EDGE, e, sizeof(*e), gates, (size_t)e->n_gates * sizeof(*gates), NULL, 0);
}

/* thread `thread` acquired `to` (at to_stack, in to_mode) while holding
 * `from` (taken at from_stack, in from_mode) and the n_gates gate locks */
static inline void lb_edge(struct lb *b, uint64_t from, uint64_t to, uint32_t thread,
                           uint32_t from_stack, uint32_t to_stack, unsigned from_mode,
                           unsigned to_mode, const struct lh_rec_gate *gates, uint32_t n_gates)
{
	struct lh_rec_edge e;

	memset(&e, 0, sizeof(e));
	e.from_lock = from;
	e.to_lock = to;
	e.thread_id = thread;
	e.from_stack = from_stack;
	e.to_stack = to_stack;
	e.from_mode = (uint16_t)from_mode;
	e.to_mode = (uint16_t)to_mode;
	e.n_gates = n_gates;
	e.time_ns = 5000;
	lb_edge_rec(b, &e, gates);
}

static inline void lb_finding(struct lb *b, const struct lh_rec_finding *f,
                              const struct lh_rec_finding_item *items)
{
	lb_rec3(b, LH_REC_FINDING, f, sizeof(*f), items, (size_t)f->n_items * sizeof(*items), NULL,
	        0);
}

/* a race record with its held-lock tail: r->n_locks_cur ids, then
 * r->n_locks_prev (taken from locks in that order) */
static inline void lb_race(struct lb *b, const struct lh_rec_race *r, const uint64_t *locks)
{
	lb_rec3(b, LH_REC_RACE, r, sizeof(*r), locks,
	        ((size_t)r->n_locks_cur + r->n_locks_prev) * sizeof(uint64_t), NULL, 0);
}

static inline void lb_end(struct lb *b, uint64_t end_ns, int32_t exit_status)
{
	struct lh_rec_end r;

	memset(&r, 0, sizeof(r));
	r.end_ns = end_ns;
	r.exit_status = exit_status;
	lb_rec(b, LH_REC_END, &r, sizeof(r));
}

static inline void lb_note(struct lb *b, uint32_t level, const char *text)
{
	struct lh_rec_note r;

	r.level = level;
	r.len = (uint32_t)strlen(text) + 1;
	lb_rec3(b, LH_REC_NOTE, &r, sizeof(r), text, r.len, NULL, 0);
}

/* a record type this reader does not know */
static inline void lb_unknown(struct lb *b, unsigned type, const void *payload, size_t len)
{
	lb_rec(b, type, payload, len);
}

static inline struct lr_log *lb_read_n(const struct lb *b, size_t len, char *err, size_t errlen)
{
	if (errlen)
		err[0] = 0;
	return lr_read_mem("test.log", b->p, len, err, errlen);
}

static inline struct lr_log *lb_read(const struct lb *b, char *err, size_t errlen)
{
	return lb_read_n(b, b->n, err, errlen);
}

/* does any of log->errors contain `what`? */
static inline int lb_has_error(const struct lr_log *log, const char *what)
{
	size_t i;

	for (i = 0; i < log->n_errors; i++)
		if (log->errors[i] && strstr(log->errors[i], what))
			return 1;
	return 0;
}

#endif
