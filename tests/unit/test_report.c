/*
 * test_report.c - CUnit tests for analyzer/report.c: the resolved view
 * (each stack symbolized once, whichever renderings read it), and what
 * the text report says about locks and threads.
 */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_run.h"
#include "findings.h"
#include "logbuild.h"
#include "logread.h"
#include "report.h"
#include "report_int.h"

#define BASE 0x7f1200000000ull
#define EX LH_MODE_EXCL

static char err[1024];

/* a two-lock cycle: T2 takes L1 then L2, T3 takes L2 then L1; lock 1 was
 * initialized at stack 5, lock 2 was not seen initialized; the threads
 * were created at stacks 6 and 7 */
static void cycle_log(struct lb *b)
{
	uint32_t k;

	lb_init(b);
	lb_module(b, BASE, BASE, BASE + 0x100000, NULL, 0, "/nonexistent/libapp.so");
	for (k = 1; k <= 7; k++)
		lb_stack1(b, k, BASE + k * 0x1000 + 0x10);
	lb_thread_full(b, 1, 0, 0, 100, 10, "app");
	lb_thread_full(b, 2, 1, 6, 101, 20, "app");
	lb_thread_full(b, 3, 1, 7, 102, 30, "worker");
	lb_lock_full(b, 1, 0x1000, LH_LOCK_MUTEX, 5, 0, 1);
	lb_lock_full(b, 2, 0x2000, LH_LOCK_MUTEX, 0, LH_LOCKF_STATIC_INIT, 1);
	lb_edge(b, 1, 2, 2, 1, 2, EX, EX, NULL, 0);
	lb_edge(b, 2, 1, 3, 3, 4, EX, EX, NULL, 0);
}

/* the end record of a process that ran n threads (0: count not known) */
static void end_with_threads(struct lb *b, uint32_t n)
{
	struct lh_rec_end e;

	memset(&e, 0, sizeof(e));
	e.end_ns = 100;
	e.n_threads = n;
	lb_rec(b, LH_REC_END, &e, sizeof(e));
}

static void cycle_log_ended(struct lb *b)
{
	cycle_log(b);
	end_with_threads(b, 9); /* six more threads ran, took no lock in order */
}

static void cycle_log_old_end(struct lb *b)
{
	struct lh_rec_end e;

	cycle_log(b);
	memset(&e, 0, sizeof(e));
	lb_rec(b, LH_REC_END, &e, LH_REC_END_V1_SIZE);
}

struct setup {
	struct lb b;
	struct lr_log *log;
	struct fd_result res;
	struct rp_input in;
};

static int setup(struct setup *s, void (*build)(struct lb *))
{
	memset(s, 0, sizeof(*s));
	build(&s->b);
	s->log = lb_read(&s->b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->log);
	fd_analyze(s->log, &s->res);
	s->in.logs = &s->log;
	s->in.n_logs = 1;
	s->in.res = &s->res;
	return 0;
}

static void teardown(struct setup *s)
{
	fd_result_free(&s->res);
	lr_free(s->log);
	lb_free(&s->b);
}

/* what was written to f, as a malloc'd string (a tmpfile, not
 * open_memstream: GCC takes open_memstream's buffer for a local) */
static char *drain(FILE *f)
{
	long n;
	char *buf;

	fflush(f);
	n = ftell(f);
	CU_ASSERT_FATAL(n >= 0);
	buf = calloc(1, (size_t)n + 1);
	rewind(f);
	CU_ASSERT_FATAL(fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	return buf;
}

/* the text (or JSON) a fresh one-rendering view produces */
static char *render(const struct rp_input *in, int json)
{
	FILE *f = tmpfile();

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	if (json)
		rp_json(f, in);
	else
		rp_text(f, in);
	return drain(f);
}

static char *render_view(struct rp *v, int json)
{
	FILE *f = tmpfile();

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	if (json)
		rp_view_json(f, v);
	else
		rp_view_text(f, v);
	return drain(f);
}

static void test_view_symbolizes_each_stack_once(void)
{
	struct setup s;
	struct rp *v;
	struct rp_view_stats a, b, c;
	char *t1, *j1, *t2, *j2;

	setup(&s, cycle_log_ended);
	CU_ASSERT_EQUAL_FATAL(s.res.n, 1);
	v = rp_view_new(&s.in);
	a = rp_view_stats(v);
	CU_ASSERT_EQUAL(a.n_stacks_resolved, 0);
	t1 = render_view(v, 0);
	b = rp_view_stats(v);
	/* the seven stacks: four of the edges, one init, two creations */
	CU_ASSERT_EQUAL(b.n_stacks_resolved, 7);
	CU_ASSERT(b.n_pc_lookups >= 7);
	j1 = render_view(v, 1);
	c = rp_view_stats(v);
	/* the JSON after the text: nothing symbolized again */
	CU_ASSERT_EQUAL(c.n_stacks_resolved, b.n_stacks_resolved);
	CU_ASSERT_EQUAL(c.n_pc_lookups, b.n_pc_lookups);
	/* and the same reports as views of their own */
	t2 = render(&s.in, 0);
	j2 = render(&s.in, 1);
	CU_ASSERT_STRING_EQUAL(t1, t2);
	CU_ASSERT_STRING_EQUAL(j1, j2);
	CU_ASSERT(strstr(t1, "lock-order cycle of 2 locks") != NULL);
	CU_ASSERT(strstr(j1, "\"lock-order-cycle\"") != NULL);
	rp_view_free(v);
	free(t1);
	free(t2);
	free(j1);
	free(j2);
	teardown(&s);
}

static void test_view_json_first(void)
{
	struct setup s;
	struct rp *v;
	struct rp_view_stats a, b;
	char *j, *t;

	setup(&s, cycle_log_ended);
	v = rp_view_new(&s.in);
	j = render_view(v, 1);
	a = rp_view_stats(v);
	CU_ASSERT_EQUAL(a.n_stacks_resolved, 7);
	t = render_view(v, 0);
	b = rp_view_stats(v);
	CU_ASSERT_EQUAL(b.n_stacks_resolved, 7);
	CU_ASSERT_EQUAL(b.n_pc_lookups, a.n_pc_lookups);
	rp_view_free(v);
	free(j);
	free(t);
	teardown(&s);
}

static void cycle_log_noted(struct lb *b)
{
	cycle_log_ended(b);
	lb_note(b, 1, "lock table full: locks first used after this point are not tracked");
}

static char *text_of(void (*build)(struct lb *))
{
	struct setup s;
	char *t;

	setup(&s, build);
	t = render(&s.in, 0);
	teardown(&s);
	return t;
}

/* the summary counts the threads the process ran, not the thread records */
static void test_thread_count(void)
{
	char *t = text_of(cycle_log_ended);
	CU_ASSERT(strstr(t, "(1 process, 9 threads, 2 lock orders recorded)") != NULL);
	free(t);
	/* cut short: only the threads the records name, as a lower bound */
	t = text_of(cycle_log);
	CU_ASSERT(strstr(t, "(1 process, at least 3 threads, 2 lock orders recorded)") != NULL);
	free(t);
	/* an older shim's end record: no count either */
	t = text_of(cycle_log_old_end);
	CU_ASSERT(strstr(t, "(1 process, at least 3 threads,") != NULL);
	free(t);
}

static void test_thread_count_json(void)
{
	struct setup s;
	char *j;

	setup(&s, cycle_log_ended);
	j = render(&s.in, 1);
	CU_ASSERT(strstr(j, "\"threads_run\": 9") != NULL);
	free(j);
	teardown(&s);
	setup(&s, cycle_log);
	j = render(&s.in, 1);
	CU_ASSERT(strstr(j, "\"threads_run\": null") != NULL);
	free(j);
	teardown(&s);
}

/* a lock with no init call (a static initializer, or a C++ std::mutex on
 * the stack) is described by what is known, not as static */
static void test_no_init_call(void)
{
	char *t = text_of(cycle_log_ended);
	const char *m1 = strstr(t, "  M1: mutex"), *m2 = strstr(t, "  M2: mutex");

	CU_ASSERT_PTR_NOT_NULL_FATAL(m1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m2);
	CU_ASSERT(strstr(t, "statically") == NULL);
	/* M1 was initialized at a stack, M2 was not seen initialized */
	CU_ASSERT(strncmp(strchr(m1, ','), ", initialized at:", 17) == 0);
	CU_ASSERT(strncmp(strchr(m2, ','), ", no init call seen\n", 20) == 0);
	free(t);
}

/* a limit the shim noted makes the report say it may be incomplete */
static void test_may_be_incomplete(void)
{
	struct setup s;
	char *t, *j;

	setup(&s, cycle_log_noted);
	t = render(&s.in, 0);
	j = render(&s.in, 1);
	CU_ASSERT(strstr(t, "lockhound: note: pid 4242: lock table full") != NULL);
	CU_ASSERT(strstr(t, "this report may be incomplete") != NULL);
	CU_ASSERT(strstr(j, "\"may_be_incomplete\": true") != NULL);
	free(t);
	free(j);
	teardown(&s);
	setup(&s, cycle_log_ended);
	t = render(&s.in, 0);
	j = render(&s.in, 1);
	CU_ASSERT(strstr(t, "may be incomplete") == NULL);
	CU_ASSERT(strstr(j, "\"may_be_incomplete\": false") != NULL);
	free(t);
	free(j);
	teardown(&s);
}

/* rp_put: program-controlled strings cannot forge lines or send escapes */
static char *put(const char *s)
{
	FILE *f = tmpfile();

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	rp_put(f, s);
	return drain(f);
}

static void test_put_escapes(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain/lib.so", "plain/lib.so" },
		{ "a\n==== lockhound: F9", "a\\n==== lockhound: F9" },
		{ "\x1b[2J\t\r\x01\x7f", "\\e[2J\\t\\r\\x01\\x7f" },
		{ "back\\slash", "back\\\\slash" },
		{ "caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac" }, /* UTF-8 kept */
		{ "\xc2\x9b" "31m", "\\u009b31m" },                          /* C1 CSI */
		{ "bad\xff\xfe\xc3", "bad\\xff\\xfe\\xc3" },          /* invalid bytes */
		{ "\xed\xa0\x80\xc0\xaf", "\\xed\\xa0\\x80\\xc0\\xaf" }, /* surrogate, overlong */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = put(cases[i].in);
		if (strcmp(got, cases[i].out))
			fprintf(stderr, "rp_put case %zu: got '%s', expected '%s'\n", i, got, cases[i].out);
		CU_ASSERT_STRING_EQUAL(got, cases[i].out);
		CU_ASSERT(strchr(got, '\n') == NULL);
		free(got);
	}
}

/* rp_json_str: nothing is dropped; valid UTF-8 unchanged */
static void test_json_str_keeps_non_utf8(void)
{
	json_t *j;

	j = rp_json_str("caf\xc3\xa9 a\\b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(j), "caf\xc3\xa9 a\\b");
	json_decref(j);
	j = rp_json_str("bad\xff name\\x");
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(j), "bad\\xff name\\\\x");
	json_decref(j);
	j = rp_json_str("\xc3");
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(j), "\\xc3");
	json_decref(j);
	CU_ASSERT_PTR_NULL(rp_json_str(NULL));
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "text: control characters and bad bytes escaped", test_put_escapes },
		{ "JSON: strings that are not UTF-8 kept, escaped", test_json_str_keeps_non_utf8 },
		{ "view: text then JSON symbolize each stack once", test_view_symbolizes_each_stack_once },
		{ "view: JSON then text", test_view_json_first },
		{ "summary: threads the process ran", test_thread_count },
		{ "JSON: threads_run", test_thread_count_json },
		{ "lock without an init call", test_no_init_call },
		{ "limits noted: the report may be incomplete", test_may_be_incomplete },
	};
	return cunit_run("report", tests, sizeof(tests) / sizeof(tests[0]));
}
