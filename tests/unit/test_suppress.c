/*
 * test_suppress.c - CUnit tests for analyzer/suppress.c: reading
 * suppression files (comments, blanks, every kind, each error naming
 * FILE:LINE, a bad file adding nothing) and baselines (JSON and SARIF
 * reports, fingerprints looked up, files that are no report or lack
 * fingerprints refused).  Matching against findings is tested end to end
 * (tests/integration/ci_tests.py: suppressions_counts).
 */
#include <CUnit/CUnit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cunit_run.h"
#include "suppress.h"

static char dir[64];
static char err[1024];

static const char *file_with(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	if (!dir[0]) {
		strcpy(dir, "/tmp/lh-test-suppress.XXXXXX");
		CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_load_good(void)
{
	struct su_list l;
	const char *p = file_with("good.supp", "# a comment\n\n  lock-order-cycle :  cache_*  \n"
	                                        "deadlock:shutdown\n\t# indented comment\nmisuse:*.so\n"
	                                        "race:counter\r\n*:*\n");

	memset(&l, 0, sizeof(l));
	CU_ASSERT_EQUAL_FATAL(su_load(&l, p, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(l.n, 5);
	CU_ASSERT_STRING_EQUAL(l.e[0].kind, "lock-order-cycle");
	CU_ASSERT_STRING_EQUAL(l.e[0].pattern, "cache_*");
	CU_ASSERT_EQUAL(l.e[0].line, 3);
	CU_ASSERT_STRING_EQUAL(l.e[1].kind, "deadlock");
	CU_ASSERT_EQUAL(l.e[1].line, 4);
	CU_ASSERT_STRING_EQUAL(l.e[2].pattern, "*.so");
	CU_ASSERT_EQUAL(l.e[2].line, 6);
	CU_ASSERT_STRING_EQUAL(l.e[3].pattern, "counter"); /* CR dropped */
	CU_ASSERT_STRING_EQUAL(l.e[4].kind, "*");
	CU_ASSERT_STRING_EQUAL(l.e[4].file, p);
	CU_ASSERT_EQUAL(l.e[4].n_matched, 0);
	/* one kind of misuse */
	{
		struct su_list one;
		memset(&one, 0, sizeof(one));
		CU_ASSERT_EQUAL_FATAL(su_load(&one, file_with("what.supp", "misuse/cond-signal-without-mutex:notify_*\n"),
		                              err, sizeof(err)), 0);
		CU_ASSERT_STRING_EQUAL(one.e[0].kind, "misuse/cond-signal-without-mutex");
		su_free(&one);
	}
	/* a second file appends */
	CU_ASSERT_EQUAL_FATAL(su_load(&l, file_with("two.supp", "race:x\n"), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(l.n, 6);
	CU_ASSERT_EQUAL(l.e[5].line, 1);
	su_free(&l);
	CU_ASSERT_EQUAL(l.n, 0);
}

static void expect_error(const char *text, const char *where, const char *needle)
{
	struct su_list l;
	char want[256];
	const char *p;

	memset(&l, 0, sizeof(l));
	CU_ASSERT_EQUAL_FATAL(su_load(&l, file_with("ok.supp", "race:a\n"), err, sizeof(err)), 0);
	p = file_with("bad.supp", text);
	err[0] = 0;
	CU_ASSERT_EQUAL(su_load(&l, p, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s%s", p, where);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
	CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	CU_ASSERT_EQUAL(l.n, 1); /* the bad file added nothing */
	su_free(&l);
}

static void test_load_errors(void)
{
	char *longline = malloc(SU_MAX_LINE_LEN + 16);

	expect_error("race:a\nrace:b\nbogus:c\n", ":3:", "unknown kind 'bogus'");
	expect_error("# c\nno colon here\n", ":2:", "not KIND:PATTERN");
	expect_error("race:\n", ":1:", "empty pattern");
	expect_error("Race:x\n", ":1:", "unknown kind 'Race'");
	/* misuse/WHAT: WHAT must be a misuse's name */
	expect_error("misuse/no-such-what:x\n", ":1:", "unknown kind 'misuse/no-such-what'");
	expect_error("misuse/:x\n", ":1:", "unknown kind 'misuse/'");
	strcpy(longline, "race:");
	memset(longline + 5, 'x', SU_MAX_LINE_LEN);
	strcpy(longline + 5 + SU_MAX_LINE_LEN, "\n");
	expect_error(longline, ":1:", "longer than");
	free(longline);
}

static void test_load_not_a_file(void)
{
	struct su_list l;
	char path[128];

	memset(&l, 0, sizeof(l));
	file_with("x", "");
	CU_ASSERT_EQUAL(su_load(&l, dir, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
	snprintf(path, sizeof(path), "%s/missing.supp", dir);
	CU_ASSERT_EQUAL(su_load(&l, path, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "No such file"));
	CU_ASSERT_EQUAL(l.n, 0);
}

static void test_baseline_json_and_sarif(void)
{
	struct bl_set b;
	const char *j = file_with("b.json", "{\"tool\":\"lockhound\",\"findings\":[{\"id\":\"F1\","
	                                     "\"fingerprint\":\"00000000000000bb\"},{\"id\":\"F2\","
	                                     "\"fingerprint\":\"00000000000000aa\"}]}");

	CU_ASSERT_EQUAL_FATAL(bl_load(&b, j, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(b.n, 2);
	CU_ASSERT(bl_has(&b, "00000000000000aa"));
	CU_ASSERT(bl_has(&b, "00000000000000bb"));
	CU_ASSERT(!bl_has(&b, "00000000000000cc"));
	bl_free(&b);
	j = file_with("b.sarif", "{\"version\":\"2.1.0\",\"runs\":[{\"results\":[{\"partialFingerprints\":"
	                         "{\"lockhound/v1\":\"1111111111111111\"}}]},{\"results\":[{"
	                         "\"partialFingerprints\":{\"lockhound/v1\":\"2222222222222222\"}}]}]}");
	CU_ASSERT_EQUAL_FATAL(bl_load(&b, j, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(b.n, 2);
	CU_ASSERT(bl_has(&b, "2222222222222222"));
	CU_ASSERT(!bl_has(&b, "00000000000000aa"));
	bl_free(&b);
	/* an empty report is a baseline without findings */
	j = file_with("e.json", "{\"tool\":\"lockhound\",\"findings\":[]}");
	CU_ASSERT_EQUAL(bl_load(&b, j, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(b.n, 0);
	CU_ASSERT(!bl_has(&b, "00000000000000aa"));
	bl_free(&b);
}

static void test_baseline_refused(void)
{
	struct bl_set b;

	CU_ASSERT_EQUAL(bl_load(&b, file_with("n.json", "{not json"), err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not JSON"));
	CU_ASSERT_EQUAL(bl_load(&b, file_with("o.json", "{\"tool\":\"other\",\"findings\":[]}"), err,
	                        sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "neither a lockhound JSON report nor a SARIF log"));
	CU_ASSERT_EQUAL(bl_load(&b, file_with("old.json", "{\"tool\":\"lockhound\",\"findings\":[{\"id\":"
	                                                  "\"F1\"},{\"id\":\"F2\",\"fingerprint\":\"ab\"}]}"),
	                        err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "1 of 2 findings have no lockhound fingerprint"));
	CU_ASSERT_EQUAL(b.n, 0);
	CU_ASSERT_EQUAL(bl_load(&b, dir, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "suppressions: a good file", test_load_good },
		{ "suppressions: bad lines name FILE:LINE", test_load_errors },
		{ "suppressions: not a regular file", test_load_not_a_file },
		{ "baseline: JSON and SARIF", test_baseline_json_and_sarif },
		{ "baseline: refused files", test_baseline_refused },
	};
	int rc = cunit_run("suppress", tests, sizeof(tests) / sizeof(tests[0]));
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (dir[0] && system(cmd) != 0)
		rc = rc ? rc : 2;
	return rc;
}
