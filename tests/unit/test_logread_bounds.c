/*
 * test_logread_bounds.c - every size check of analyzer/logread.c at its
 * boundary: for each record, a payload exactly one element short (rejected
 * with an error, nothing kept) and one exactly right (kept, with the right
 * content); for each count limit, the limit (kept) and one past it
 * (rejected); for the header and the record framing, the same.  So an
 * off-by-one in any check fails a test.
 *
 * The log is read from a heap copy of exactly its own size, with the record
 * under test last, so a check that lets one element too many through also
 * reads past the end of the buffer, which ASan reports (make unit-asan).
 */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_run.h"
#include "logbuild.h"
#include "logread.h"

static char err[1024];

/* read the first len bytes of b from a buffer of exactly len bytes */
static struct lr_log *read_exact(const struct lb *b, size_t len)
{
	char *copy = malloc(len ? len : 1);
	struct lr_log *log;

	memcpy(copy, b->p, len);
	err[0] = 0;
	log = lr_read_mem("bounds", copy, len, err, sizeof(err));
	free(copy);
	return log;
}

/* count of what a record of `type` leaves in the log */
static size_t kept(const struct lr_log *log, unsigned type)
{
	switch (type) {
	case LH_REC_PROCESS:
		return log->exe != NULL;
	case LH_REC_MODULE:
		return log->n_modules;
	case LH_REC_STACK:
		return log->n_stacks;
	case LH_REC_THREAD:
		return log->n_threads;
	case LH_REC_THREAD_END:
		return log->n_threads == 1 && log->threads[0].end_ns != 0;
	case LH_REC_THREAD_NAME:
		return log->n_threads == 1 && log->threads[0].name[0] == 'w';
	case LH_REC_LOCK:
		return log->n_locks;
	case LH_REC_EDGE:
		return log->n_edges;
	case LH_REC_FINDING:
		return log->n_findings;
	case LH_REC_END:
		return (size_t)log->complete;
	case LH_REC_NOTE:
		return log->n_notes;
	}
	return 0;
}

static const char *rec_word(unsigned type)
{
	switch (type) {
	case LH_REC_PROCESS:
		return "corrupt process record";
	case LH_REC_MODULE:
		return "corrupt module record";
	case LH_REC_STACK:
		return "corrupt stack record";
	case LH_REC_THREAD:
		return "corrupt thread record";
	case LH_REC_THREAD_END:
		return "corrupt thread-end record";
	case LH_REC_THREAD_NAME:
		return "corrupt thread-name record";
	case LH_REC_LOCK:
		return "corrupt lock record";
	case LH_REC_EDGE:
		return "corrupt edge record";
	case LH_REC_FINDING:
		return "corrupt finding record";
	case LH_REC_END:
		return "corrupt end record";
	case LH_REC_NOTE:
		return "corrupt note record";
	}
	return "?";
}

/*
 * One record of `type` whose payload is the first `len` bytes of `payload`,
 * last in a log that may start with a thread record (for the records that
 * refer to thread 1).  Expect it kept (ok) or rejected with its error.
 */
static void check_record(unsigned type, const void *payload, size_t len, int ok, int with_thread,
                         const char *what)
{
	struct lb b;
	struct lr_log *log;

	lb_init(&b);
	if (with_thread)
		lb_thread(&b, 1, 10);
	lb_rec(&b, type, payload, len);
	log = read_exact(&b, b.n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	if (ok) {
		if (log->n_errors != 0 || kept(log, type) != 1)
			fprintf(stderr, "\n    %s (%zu bytes): expected kept: %s\n", what, len,
			        log->n_errors ? log->errors[0] : "not kept");
		CU_ASSERT_EQUAL(log->n_errors, 0);
		CU_ASSERT_EQUAL(kept(log, type), 1);
	} else {
		if (log->n_errors != 1 || !lb_has_error(log, rec_word(type)) || kept(log, type) != 0)
			fprintf(stderr, "\n    %s (%zu bytes): expected rejected\n", what, len);
		CU_ASSERT_EQUAL(log->n_errors, 1);
		CU_ASSERT(lb_has_error(log, rec_word(type)));
		CU_ASSERT_EQUAL(kept(log, type), 0);
	}
	lr_free(log);
	lb_free(&b);
}

/* the record exactly right, one `elem` short, and (for the fixed part) one
 * byte short of it */
static void check_sizes(unsigned type, const void *payload, size_t len, size_t elem,
                        size_t fixed, int with_thread, const char *what)
{
	check_record(type, payload, len, 1, with_thread, what);
	check_record(type, payload, len - elem, 0, with_thread, what);
	if (fixed && fixed != len)
		check_record(type, payload, fixed - 1, 0, with_thread, what);
}

/* ---- records with a tail ---------------------------------------------- */

static void test_process(void)
{
	unsigned char p[sizeof(struct lh_rec_process) + 16];
	struct lh_rec_process r = { 7, 4 };

	memcpy(p, &r, sizeof(r));
	memcpy(p + sizeof(r), "/bin/p\0a\0b\0", 11);
	check_sizes(LH_REC_PROCESS, p, sizeof(r) + 11, 1, sizeof(r), 0, "process: exe + cmdline");
	/* the exe alone one byte short (no cmdline) */
	r.cmdline_len = 0;
	memcpy(p, &r, sizeof(r));
	check_sizes(LH_REC_PROCESS, p, sizeof(r) + 7, 1, 0, 0, "process: exe only");
}

static void test_module(void)
{
	unsigned char p[sizeof(struct lh_rec_module) + 32];
	struct lh_rec_module r;
	struct lb b;
	struct lr_log *log;

	memset(&r, 0, sizeof(r));
	r.lo = 0x1000;
	r.hi = 0x2000;
	r.build_id_len = 4;
	r.path_len = 10;
	memcpy(p, &r, sizeof(r));
	memcpy(p + sizeof(r), "\x01\x02\x03\x04/lib/x.so", 14);
	check_sizes(LH_REC_MODULE, p, sizeof(r) + 14, 1, sizeof(r), 0, "module: build-id + path");
	/* the build-id alone (path_len 0) */
	r.path_len = 0;
	memcpy(p, &r, sizeof(r));
	check_sizes(LH_REC_MODULE, p, sizeof(r) + 4, 1, 0, 0, "module: build-id only");
	/* the content of the right one */
	r.path_len = 10;
	memcpy(p, &r, sizeof(r));
	lb_init(&b);
	lb_rec(&b, LH_REC_MODULE, p, sizeof(r) + 14);
	log = read_exact(&b, b.n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(log->n_modules, 1);
	CU_ASSERT_STRING_EQUAL(log->modules[0].path, "/lib/x.so");
	CU_ASSERT_EQUAL(log->modules[0].build_id_len, 4);
	CU_ASSERT_EQUAL(log->modules[0].build_id[3], 4);
	lr_free(log);
	lb_free(&b);
}

static void test_stack(void)
{
	unsigned char p[sizeof(struct lh_rec_stack) + 3 * 8];
	struct lh_rec_stack r;
	uint64_t pcs[3] = { 0x111, 0x222, 0x333 };
	struct lb b;
	struct lr_log *log;

	memset(&r, 0, sizeof(r));
	r.stack_id = 5;
	r.n_frames = 3;
	memcpy(p, &r, sizeof(r));
	memcpy(p + sizeof(r), pcs, sizeof(pcs));
	check_sizes(LH_REC_STACK, p, sizeof(p), 8, sizeof(r), 0, "stack: 3 frames");
	lb_init(&b);
	lb_rec(&b, LH_REC_STACK, p, sizeof(p));
	log = read_exact(&b, b.n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lr_stack(log, 5));
	CU_ASSERT_EQUAL(lr_stack(log, 5)->n, 3);
	CU_ASSERT_EQUAL(lr_stack(log, 5)->pcs[2], 0x333);
	lr_free(log);
	lb_free(&b);
}

static void test_edge(void)
{
	unsigned char p[sizeof(struct lh_rec_edge) + 2 * sizeof(struct lh_rec_gate)];
	struct lh_rec_edge r;
	struct lh_rec_gate g[2] = { { 7, 0, 0 }, { 8, 1, 0 } };
	struct lb b;
	struct lr_log *log;

	memset(&r, 0, sizeof(r));
	r.from_lock = 1;
	r.to_lock = 2;
	r.thread_id = 1;
	r.n_gates = 2;
	memcpy(p, &r, sizeof(r));
	memcpy(p + sizeof(r), g, sizeof(g));
	check_sizes(LH_REC_EDGE, p, sizeof(p), sizeof(g[0]), sizeof(r), 0, "edge: 2 gates");
	lb_init(&b);
	lb_rec(&b, LH_REC_EDGE, p, sizeof(p));
	log = read_exact(&b, b.n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(log->n_edges, 1);
	CU_ASSERT_EQUAL(log->edges[0].n_gates, 2);
	CU_ASSERT_EQUAL(log->edges[0].gates[1].lock_id, 8);
	CU_ASSERT_EQUAL(log->edges[0].gates[1].mode, 1);
	lr_free(log);
	lb_free(&b);
}

static void test_finding(void)
{
	unsigned char p[sizeof(struct lh_rec_finding) + 2 * sizeof(struct lh_rec_finding_item)];
	struct lh_rec_finding r;
	struct lh_rec_finding_item it[2];
	struct lb b;
	struct lr_log *log;

	memset(&r, 0, sizeof(r));
	memset(it, 0, sizeof(it));
	r.kind = LH_FIND_DEADLOCK;
	r.what = LH_DL_CYCLE;
	r.n_items = 2;
	it[1].thread_id = 9;
	it[1].role = LH_ROLE_HOLDS;
	memcpy(p, &r, sizeof(r));
	memcpy(p + sizeof(r), it, sizeof(it));
	check_sizes(LH_REC_FINDING, p, sizeof(p), sizeof(it[0]), sizeof(r), 0, "finding: 2 items");
	lb_init(&b);
	lb_rec(&b, LH_REC_FINDING, p, sizeof(p));
	log = read_exact(&b, b.n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(log->n_findings, 1);
	CU_ASSERT_EQUAL(log->findings[0].items[1].thread_id, 9);
	lr_free(log);
	lb_free(&b);
}

static void test_note(void)
{
	unsigned char p[sizeof(struct lh_rec_note) + 8];
	struct lh_rec_note r = { 1, 6 };
	struct lb b;
	struct lr_log *log;

	memcpy(p, &r, sizeof(r));
	memcpy(p + sizeof(r), "limit", 6);
	check_sizes(LH_REC_NOTE, p, sizeof(r) + 6, 1, sizeof(r), 0, "note");
	lb_init(&b);
	lb_rec(&b, LH_REC_NOTE, p, sizeof(r) + 6);
	log = read_exact(&b, b.n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(log->n_notes, 1);
	CU_ASSERT_STRING_EQUAL(log->notes[0], "limit");
	lr_free(log);
	lb_free(&b);
}

/* the fixed part alone, with every count zero: exactly enough */
static void test_empty_tails(void)
{
	struct lh_rec_process pr = { 0, 0 };
	struct lh_rec_module mo;
	struct lh_rec_stack st;
	struct lh_rec_edge ed;
	struct lh_rec_finding fi;
	struct lh_rec_note no = { 1, 0 };

	memset(&mo, 0, sizeof(mo));
	mo.lo = 0x1000;
	mo.hi = 0x2000;
	memset(&st, 0, sizeof(st));
	st.stack_id = 4;
	memset(&ed, 0, sizeof(ed));
	ed.from_lock = 1;
	ed.to_lock = 2;
	memset(&fi, 0, sizeof(fi));
	fi.kind = LH_FIND_MISUSE;
	check_sizes(LH_REC_PROCESS, &pr, sizeof(pr), 1, 0, 0, "process, no strings");
	check_sizes(LH_REC_MODULE, &mo, sizeof(mo), 1, 0, 0, "module, no build-id or path");
	check_sizes(LH_REC_STACK, &st, sizeof(st), 1, 0, 0, "stack, no frames");
	check_sizes(LH_REC_EDGE, &ed, sizeof(ed), 1, 0, 0, "edge, no gates");
	check_sizes(LH_REC_FINDING, &fi, sizeof(fi), 1, 0, 0, "finding, no items");
	check_sizes(LH_REC_NOTE, &no, sizeof(no), 1, 0, 0, "note, no text");
}

/* ---- fixed-size records: one byte short, exactly right ---------------- */

static void test_fixed_records(void)
{
	struct lh_rec_thread t;
	struct lh_rec_thread_end te;
	struct lh_rec_thread_name tn;
	struct lh_rec_lock l;
	struct lh_rec_end e;

	memset(&t, 0, sizeof(t));
	t.thread_id = 1;
	check_sizes(LH_REC_THREAD, &t, sizeof(t), 1, 0, 0, "thread");
	memset(&te, 0, sizeof(te));
	te.thread_id = 1;
	te.end_ns = 50;
	check_sizes(LH_REC_THREAD_END, &te, sizeof(te), 1, 0, 1, "thread-end");
	memset(&tn, 0, sizeof(tn));
	tn.thread_id = 1;
	memcpy(tn.name, "worker", 6);
	check_sizes(LH_REC_THREAD_NAME, &tn, sizeof(tn), 1, 0, 1, "thread-name");
	memset(&l, 0, sizeof(l));
	l.lock_id = 3;
	l.addr = 0x1000;
	l.kind = LH_LOCK_MUTEX;
	check_sizes(LH_REC_LOCK, &l, sizeof(l), 1, 0, 0, "lock");
	/* the end record: an older shim's (no thread count) is the shortest
	 * accepted; the count is read only when all of it is there */
	memset(&e, 0, sizeof(e));
	e.n_threads = 7;
	check_sizes(LH_REC_END, &e, LH_REC_END_V1_SIZE, 1, 0, 0, "end, older size");
	{
		struct lb b;
		struct lr_log *log;
		size_t len;
		for (len = LH_REC_END_V1_SIZE; len <= sizeof(e); len++) {
			lb_init(&b);
			lb_rec(&b, LH_REC_END, &e, len);
			log = read_exact(&b, b.n);
			CU_ASSERT_PTR_NOT_NULL_FATAL(log);
			CU_ASSERT_EQUAL(log->n_errors, 0);
			CU_ASSERT_EQUAL(log->complete, 1);
			CU_ASSERT_EQUAL(log->end.n_threads, len == sizeof(e) ? 7u : 0u);
			lr_free(log);
			lb_free(&b);
		}
	}
}

/* ---- count limits: the limit is kept, one past it is not -------------- */

static void check_count(unsigned type, const void *fixed, size_t fixed_len, size_t elem,
                        size_t limit, int ok, const char *what)
{
	size_t len = fixed_len + limit * elem;
	unsigned char *p = calloc(1, len);

	memcpy(p, fixed, fixed_len);
	check_record(type, p, len, ok, 0, what);
	free(p);
}

static void test_count_limits(void)
{
	struct lh_rec_stack s;
	struct lh_rec_edge e;
	struct lh_rec_finding f;

	memset(&s, 0, sizeof(s));
	s.stack_id = 1;
	s.n_frames = LR_MAX_STACK_FRAMES;
	check_count(LH_REC_STACK, &s, sizeof(s), 8, LR_MAX_STACK_FRAMES, 1, "stack at its limit");
	s.n_frames = LR_MAX_STACK_FRAMES + 1;
	check_count(LH_REC_STACK, &s, sizeof(s), 8, LR_MAX_STACK_FRAMES + 1, 0, "stack past its limit");

	memset(&e, 0, sizeof(e));
	e.from_lock = 1;
	e.to_lock = 2;
	e.n_gates = LR_MAX_EDGE_GATES;
	check_count(LH_REC_EDGE, &e, sizeof(e), sizeof(struct lh_rec_gate), LR_MAX_EDGE_GATES, 1,
	            "edge at its limit");
	e.n_gates = LR_MAX_EDGE_GATES + 1;
	check_count(LH_REC_EDGE, &e, sizeof(e), sizeof(struct lh_rec_gate), LR_MAX_EDGE_GATES + 1, 0,
	            "edge past its limit");

	memset(&f, 0, sizeof(f));
	f.kind = LH_FIND_MISUSE;
	f.n_items = LR_MAX_FINDING_ITEMS;
	check_count(LH_REC_FINDING, &f, sizeof(f), sizeof(struct lh_rec_finding_item),
	            LR_MAX_FINDING_ITEMS, 1, "finding at its limit");
	f.n_items = LR_MAX_FINDING_ITEMS + 1;
	check_count(LH_REC_FINDING, &f, sizeof(f), sizeof(struct lh_rec_finding_item),
	            LR_MAX_FINDING_ITEMS + 1, 0, "finding past its limit");
}

/* ---- the header --------------------------------------------------------- */

static struct lr_log *read_header(uint32_t header_size, size_t len)
{
	struct lh_file_header h;
	unsigned char *p = calloc(1, len + sizeof(h) + LR_MAX_HEADER_SIZE + 1);
	struct lr_log *log;

	lb_default_header(&h);
	h.header_size = header_size;
	memcpy(p, &h, sizeof(h));
	{
		char *copy = malloc(len ? len : 1);
		memcpy(copy, p, len);
		err[0] = 0;
		log = lr_read_mem("hdr", copy, len, err, sizeof(err));
		free(copy);
	}
	free(p);
	return log;
}

static void test_header_sizes(void)
{
	struct lr_log *log;

	/* the smallest header the reader accepts: magic, version, size */
	log = read_header(16, 16);
	CU_ASSERT_PTR_NOT_NULL(log);
	lr_free(log);
	log = read_header(15, 16);
	CU_ASSERT_PTR_NULL(log);
	CU_ASSERT(strstr(err, "corrupt header") != NULL);
	/* the largest */
	log = read_header(LR_MAX_HEADER_SIZE, LR_MAX_HEADER_SIZE);
	CU_ASSERT_PTR_NOT_NULL(log);
	if (log)
		CU_ASSERT_EQUAL(log->n_errors, 0);
	lr_free(log);
	log = read_header(LR_MAX_HEADER_SIZE + 1, LR_MAX_HEADER_SIZE + 1);
	CU_ASSERT_PTR_NULL(log);
	CU_ASSERT(strstr(err, "corrupt header") != NULL);
	/* the file holds the header exactly, or one byte less */
	log = read_header(sizeof(struct lh_file_header), sizeof(struct lh_file_header));
	CU_ASSERT_PTR_NOT_NULL(log);
	if (log)
		CU_ASSERT_EQUAL(log->hdr.pid, 4242);
	lr_free(log);
	log = read_header(sizeof(struct lh_file_header), sizeof(struct lh_file_header) - 1);
	CU_ASSERT_PTR_NULL(log);
	CU_ASSERT(strstr(err, "truncated") != NULL);
	/* 16 bytes are needed before the header size can be read */
	log = read_header(16, 15);
	CU_ASSERT_PTR_NULL(log);
	CU_ASSERT(strstr(err, "truncated") != NULL);
}

/* ---- record framing ------------------------------------------------------ */

static void test_record_framing(void)
{
	struct lb b;
	struct lr_log *log;
	struct lh_rec_hdr h;
	size_t hdr_end;
	unsigned char *big;

	/* a record header with nothing after it: 8 bytes are a record (size
	 * 0, a type this reader does not know), 7 are not */
	lb_init(&b);
	hdr_end = b.n;
	lb_rec(&b, 99, NULL, 0);
	log = read_exact(&b, b.n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_unknown_records, 1);
	lr_free(log);
	log = read_exact(&b, hdr_end + sizeof(h) - 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 1);
	CU_ASSERT(lb_has_error(log, "less than a record header"));
	lr_free(log);
	lb_free(&b);

	/* the payload: all there, or one byte short */
	lb_init(&b);
	lb_rec(&b, 99, "abcdefgh", 8);
	log = read_exact(&b, b.n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_unknown_records, 1);
	lr_free(log);
	log = read_exact(&b, b.n - 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 1);
	CU_ASSERT(lb_has_error(log, "truncated"));
	CU_ASSERT_EQUAL(log->n_unknown_records, 0);
	lr_free(log);
	lb_free(&b);

	/* the largest record accepted, and one byte larger */
	big = calloc(1, LH_MAX_RECORD_SIZE + 1);
	lb_init(&b);
	lb_rec(&b, 99, big, LH_MAX_RECORD_SIZE);
	log = read_exact(&b, b.n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_unknown_records, 1);
	lr_free(log);
	lb_free(&b);
	lb_init(&b);
	lb_rec(&b, 99, big, LH_MAX_RECORD_SIZE + 1);
	log = read_exact(&b, b.n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 1);
	CU_ASSERT(lb_has_error(log, "corrupt record"));
	CU_ASSERT_EQUAL(log->n_unknown_records, 0);
	lr_free(log);
	lb_free(&b);
	free(big);
}

/* the error list: LR_MAX_ERRORS problems, then one line saying more exist */
static void test_error_list_limit(void)
{
	struct lb b;
	struct lr_log *log;
	struct lh_rec_lock l;
	int i;

	memset(&l, 0, sizeof(l)); /* lock id 0: one error each */
	for (int n = LR_MAX_ERRORS; n <= LR_MAX_ERRORS + 1; n++) {
		lb_init(&b);
		for (i = 0; i < n; i++)
			lb_rec(&b, LH_REC_LOCK, &l, sizeof(l));
		log = read_exact(&b, b.n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(log);
		if (n == LR_MAX_ERRORS) {
			CU_ASSERT_EQUAL(log->n_errors, LR_MAX_ERRORS);
			CU_ASSERT(!lb_has_error(log, "further problems not shown"));
		} else {
			CU_ASSERT_EQUAL(log->n_errors, LR_MAX_ERRORS + 1);
			CU_ASSERT(lb_has_error(log, "further problems not shown"));
		}
		lr_free(log);
		lb_free(&b);
	}
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "process record: one byte short / exact", test_process },
		{ "module record: one byte short / exact", test_module },
		{ "stack record: one frame short / exact", test_stack },
		{ "edge record: one gate short / exact", test_edge },
		{ "finding record: one item short / exact", test_finding },
		{ "note record: one byte short / exact", test_note },
		{ "fixed parts with empty tails: one byte short / exact", test_empty_tails },
		{ "fixed-size records: one byte short / exact", test_fixed_records },
		{ "count limits: at the limit / one past", test_count_limits },
		{ "header sizes at their bounds", test_header_sizes },
		{ "record framing at its bounds", test_record_framing },
		{ "error list at its limit", test_error_list_limit },
	};
	return cunit_run("logread bounds", tests, sizeof(tests) / sizeof(tests[0]));
}
