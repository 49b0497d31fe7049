/*
 * test_options.c - CUnit tests for common/lh_options.c, the LOCKHOUND_OPTIONS
 * parser shared by the shim and `lockhound run`: defaults, separators,
 * every option's type and range, and the messages of bad input.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <stdio.h>
#include <string.h>

#include "lh_options.h"
#include "lockhound_log.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static char err[512];

/* parse s on top of the defaults; err is cleared first */
static int parse(const char *s, struct lh_options *o)
{
	lh_options_default(o);
	err[0] = 0;
	return lh_options_parse(s, o, err, sizeof(err));
}

static void test_defaults(void)
{
	struct lh_options o;

	memset(&o, 0x5a, sizeof(o));
	lh_options_default(&o);
	CU_ASSERT_EQUAL(o.exitcode, 66);
	CU_ASSERT_STRING_EQUAL(o.log_prefix, "lockhound");
	CU_ASSERT_STRING_EQUAL(o.log_dir, "");
	CU_ASSERT_EQUAL(o.deadlock_grace_ms, 1000);
	CU_ASSERT_EQUAL(o.deadlock_exit, 1);
	CU_ASSERT_EQUAL(o.races, 1);
	CU_ASSERT_EQUAL(o.watchdog, 1);
	CU_ASSERT_EQUAL(o.quiet, 0);
	CU_ASSERT_EQUAL(o.builtin_mutex, 1);
	CU_ASSERT(o.stack_depth >= 1 && o.stack_depth <= LH_MAX_FRAMES);
}

static void test_empty_and_null(void)
{
	struct lh_options o, d;

	lh_options_default(&d);
	CU_ASSERT_EQUAL(parse("", &o), 0);
	CU_ASSERT(memcmp(&o, &d, sizeof(o)) == 0);
	CU_ASSERT_EQUAL(parse(NULL, &o), 0);
	CU_ASSERT(memcmp(&o, &d, sizeof(o)) == 0);
	CU_ASSERT_EQUAL(parse(" : \t::\n ", &o), 0); /* only separators */
	CU_ASSERT(memcmp(&o, &d, sizeof(o)) == 0);
}

static void test_parse_mixed_separators(void)
{
	struct lh_options o;

	CU_ASSERT_EQUAL(parse("log_dir=/tmp/x:exitcode=3 quiet=1", &o), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_STRING_EQUAL(o.log_dir, "/tmp/x");
	CU_ASSERT_EQUAL(o.exitcode, 3);
	CU_ASSERT_EQUAL(o.quiet, 1);
	/* untouched ones keep their defaults */
	CU_ASSERT_STRING_EQUAL(o.log_prefix, "lockhound");
	CU_ASSERT_EQUAL(o.deadlock_grace_ms, 1000);
	CU_ASSERT_EQUAL(o.races, 1);
	CU_ASSERT_EQUAL(o.watchdog, 1);
}

static void test_every_option(void)
{
	struct lh_options o;

	CU_ASSERT_EQUAL(parse("::log_prefix=app\tdeadlock_grace_ms=10\ndeadlock_exit=false:"
	                      "watchdog=0 races=false:stack_depth=64 quiet=true::",
	                      &o),
	                0);
	CU_ASSERT_STRING_EQUAL(o.log_prefix, "app");
	CU_ASSERT_EQUAL(o.deadlock_grace_ms, 10);
	CU_ASSERT_EQUAL(o.deadlock_exit, 0);
	CU_ASSERT_EQUAL(o.watchdog, 0);
	CU_ASSERT_EQUAL(o.races, 0);
	CU_ASSERT_EQUAL(o.stack_depth, 64);
	CU_ASSERT_EQUAL(o.quiet, 1);

	/* range ends */
	CU_ASSERT_EQUAL(parse("exitcode=0 deadlock_grace_ms=3600000 stack_depth=1", &o), 0);
	CU_ASSERT_EQUAL(o.exitcode, 0);
	CU_ASSERT_EQUAL(o.deadlock_grace_ms, 3600000);
	CU_ASSERT_EQUAL(o.stack_depth, 1);
	CU_ASSERT_EQUAL(parse("exitcode=255", &o), 0);
	CU_ASSERT_EQUAL(o.exitcode, 255);
	CU_ASSERT_EQUAL(parse("watchdog=true races=1", &o), 0);
	CU_ASSERT_EQUAL(o.watchdog, 1);
	CU_ASSERT_EQUAL(o.races, 1);
}

/* later settings win, and parsing goes on top of the current values */
static void test_later_wins_and_layering(void)
{
	struct lh_options o;

	CU_ASSERT_EQUAL(parse("exitcode=3:exitcode=4", &o), 0);
	CU_ASSERT_EQUAL(o.exitcode, 4);
	CU_ASSERT_EQUAL(lh_options_parse("quiet=1", &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.exitcode, 4);
	CU_ASSERT_EQUAL(o.quiet, 1);
	/* an empty log_dir means the current directory */
	CU_ASSERT_EQUAL(lh_options_parse("log_dir=/a log_dir=", &o, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(o.log_dir, "");
}

static void test_unknown_option(void)
{
	struct lh_options o;

	CU_ASSERT_EQUAL(parse("quiet=1:frobnicate=2", &o), -1);
	CU_ASSERT(strstr(err, "frobnicate") != NULL);
	CU_ASSERT(strstr(err, "unknown") != NULL);
	/* a prefix or extension of a real name is not that name */
	CU_ASSERT_EQUAL(parse("exit=1", &o), -1);
	CU_ASSERT(strstr(err, "'exit'") != NULL);
	CU_ASSERT_EQUAL(parse("exitcodes=1", &o), -1);
	CU_ASSERT(strstr(err, "exitcodes") != NULL);
	CU_ASSERT_EQUAL(parse("EXITCODE=1", &o), -1);
	CU_ASSERT_EQUAL(parse("=1", &o), -1);
}

static void test_missing_equals(void)
{
	struct lh_options o;

	CU_ASSERT_EQUAL(parse("quiet", &o), -1);
	CU_ASSERT(strstr(err, "quiet") != NULL);
	CU_ASSERT(strstr(err, "=") != NULL);
	CU_ASSERT_EQUAL(parse("exitcode=3:log_dir", &o), -1);
	CU_ASSERT(strstr(err, "log_dir") != NULL);
	/* "name = value" with spaces: the name alone has no '=' */
	CU_ASSERT_EQUAL(parse("exitcode = 3", &o), -1);
	CU_ASSERT(strstr(err, "exitcode") != NULL);
}

static void test_number_errors(void)
{
	struct lh_options o;

	CU_ASSERT_EQUAL(parse("exitcode=256", &o), -1);
	CU_ASSERT(strstr(err, "exitcode") != NULL);
	CU_ASSERT(strstr(err, "256") != NULL);
	CU_ASSERT(strstr(err, "0..255") != NULL);
	CU_ASSERT_EQUAL(parse("exitcode=-1", &o), -1);
	CU_ASSERT(strstr(err, "exitcode") != NULL);
	CU_ASSERT_EQUAL(parse("deadlock_grace_ms=9", &o), -1);
	CU_ASSERT(strstr(err, "deadlock_grace_ms") != NULL);
	CU_ASSERT_EQUAL(parse("deadlock_grace_ms=3600001", &o), -1);
	CU_ASSERT_EQUAL(parse("stack_depth=0", &o), -1);
	CU_ASSERT(strstr(err, "stack_depth") != NULL);
	CU_ASSERT_EQUAL(parse("stack_depth=65", &o), -1);
	CU_ASSERT_EQUAL(parse("exitcode=99999999999999999999", &o), -1); /* overflows long */
	CU_ASSERT_EQUAL(parse("exitcode=4294967299", &o), -1);          /* would wrap as int */
	CU_ASSERT_EQUAL(o.exitcode, 66);

	/* not numbers */
	CU_ASSERT_EQUAL(parse("exitcode=abc", &o), -1);
	CU_ASSERT(strstr(err, "exitcode") != NULL);
	CU_ASSERT(strstr(err, "abc") != NULL);
	CU_ASSERT_EQUAL(parse("exitcode=", &o), -1);
	CU_ASSERT(strstr(err, "exitcode") != NULL);
	CU_ASSERT_EQUAL(parse("exitcode=3x", &o), -1);
	CU_ASSERT_EQUAL(parse("exitcode=0x10", &o), -1);
	CU_ASSERT_EQUAL(parse("exitcode=1.5", &o), -1);
	CU_ASSERT_EQUAL(o.exitcode, 66);
}

static void test_bool_errors(void)
{
	struct lh_options o;
	static const char *bad[] = { "quiet=yes", "quiet=2", "quiet=", "quiet=TRUE", "quiet=truex",
		                     "quiet=10", "races=on", "watchdog=-1", "deadlock_exit=fals" };
	size_t i;

	for (i = 0; i < N_OF(bad); i++) {
		char name[32];
		size_t n = strcspn(bad[i], "=");
		CU_ASSERT_EQUAL(parse(bad[i], &o), -1);
		snprintf(name, sizeof(name), "%.*s", (int)n, bad[i]);
		CU_ASSERT(strstr(err, name) != NULL);
	}
	CU_ASSERT_EQUAL(parse("quiet=yes", &o), -1);
	CU_ASSERT(strstr(err, "'yes'") != NULL);
}

static void test_log_prefix_errors(void)
{
	struct lh_options o;

	CU_ASSERT_EQUAL(parse("log_prefix=a/b", &o), -1);
	CU_ASSERT(strstr(err, "log_prefix") != NULL);
	CU_ASSERT(strstr(err, "/") != NULL);
	/* a rejected value must not be stored: the shim would otherwise write
	 * its log outside log_dir */
	CU_ASSERT_STRING_EQUAL(o.log_prefix, "lockhound");
	CU_ASSERT_EQUAL(parse("log_prefix=../x", &o), -1);
	CU_ASSERT_STRING_EQUAL(o.log_prefix, "lockhound");
	CU_ASSERT_EQUAL(parse("log_prefix=/abs", &o), -1);
	CU_ASSERT_EQUAL(parse("log_prefix=", &o), -1);
	CU_ASSERT(strstr(err, "log_prefix") != NULL);
	CU_ASSERT_STRING_EQUAL(o.log_prefix, "lockhound");
	CU_ASSERT_EQUAL(parse("log_prefix=my-app.v2", &o), 0);
	CU_ASSERT_STRING_EQUAL(o.log_prefix, "my-app.v2");
	/* a log_dir may contain '/' of course */
	CU_ASSERT_EQUAL(parse("log_dir=/var/tmp/a/b", &o), 0);
	CU_ASSERT_STRING_EQUAL(o.log_dir, "/var/tmp/a/b");
}

static void test_too_long_values(void)
{
	struct lh_options o;
	static char s[2 * LH_PATH_MAX + 64];
	char longest[64];

	/* log_prefix: 63 characters fit, 64 do not */
	memset(longest, 'p', 63);
	longest[63] = 0;
	snprintf(s, sizeof(s), "log_prefix=%s", longest);
	CU_ASSERT_EQUAL(parse(s, &o), 0);
	CU_ASSERT_STRING_EQUAL(o.log_prefix, longest);
	snprintf(s, sizeof(s), "log_prefix=%sp", longest);
	CU_ASSERT_EQUAL(parse(s, &o), -1);
	CU_ASSERT(strstr(err, "log_prefix") != NULL);
	CU_ASSERT(strstr(err, "too long") != NULL);
	CU_ASSERT_STRING_EQUAL(o.log_prefix, "lockhound");

	/* log_dir: LH_PATH_MAX - 1 fit */
	strcpy(s, "log_dir=/");
	memset(s + 9, 'd', LH_PATH_MAX - 2);
	s[9 + LH_PATH_MAX - 2] = 0;
	CU_ASSERT_EQUAL(parse(s, &o), 0);
	CU_ASSERT_EQUAL(strlen(o.log_dir), LH_PATH_MAX - 1);
	strcat(s, "d");
	CU_ASSERT_EQUAL(parse(s, &o), -1);
	CU_ASSERT(strstr(err, "log_dir") != NULL);
	CU_ASSERT(strstr(err, "too long") != NULL);
	CU_ASSERT_STRING_EQUAL(o.log_dir, "");
	/* the struct around it is intact */
	CU_ASSERT_STRING_EQUAL(o.log_prefix, "lockhound");
	CU_ASSERT_EQUAL(o.exitcode, 66);
}

/* the shim reports a bad LOCKHOUND_OPTIONS as "(ignored)" and goes on with
 * the struct it passed in, so a failed parse must leave *o as it was */
static void test_failed_parse_changes_nothing(void)
{
	struct lh_options o, d;

	lh_options_default(&d);
	/* one bad option rejects the whole string: the shim says it ignored
	 * LOCKHOUND_OPTIONS, so nothing of it may take effect */
	CU_ASSERT_EQUAL(parse("exitcode=3:log_dir=/elsewhere:bogus=1", &o), -1);
	CU_ASSERT(strstr(err, "bogus") != NULL);
	CU_ASSERT(memcmp(&o, &d, sizeof(o)) == 0);
	CU_ASSERT_EQUAL(o.exitcode, 66);
	CU_ASSERT_EQUAL(parse("quiet=1 exitcode=300", &o), -1);
	CU_ASSERT_EQUAL(o.quiet, 0);
}

/* an error message never overflows a small buffer, and always terminates */
static void test_small_error_buffer(void)
{
	struct lh_options o;
	char small[8];

	lh_options_default(&o);
	memset(small, 'x', sizeof(small));
	CU_ASSERT_EQUAL(lh_options_parse("averyveryverylongunknownoption=1", &o, small, sizeof(small)),
	                -1);
	CU_ASSERT(memchr(small, 0, sizeof(small)) != NULL);
	CU_ASSERT(strlen(small) == sizeof(small) - 1);
}

/* the sampled race watching options: races, race_source, race_hits_per_sec */
static void test_race_options(void)
{
	struct lh_options o;
	char small[12];

	CU_ASSERT_EQUAL(parse("", &o), 0);
	CU_ASSERT_EQUAL(o.race_source, LH_RACE_SRC_AUTO);
	CU_ASSERT_EQUAL(o.race_hits_per_sec, 0); /* the core's default */
	CU_ASSERT_EQUAL(parse("race_source=hw", &o), 0);
	CU_ASSERT_EQUAL(o.race_source, LH_RACE_SRC_HW);
	CU_ASSERT_EQUAL(parse("race_source=wp", &o), 0);
	CU_ASSERT_EQUAL(o.race_source, LH_RACE_SRC_WP);
	CU_ASSERT_EQUAL(parse("race_source=hw:race_source=auto", &o), 0);
	CU_ASSERT_EQUAL(o.race_source, LH_RACE_SRC_AUTO);
	CU_ASSERT_EQUAL(parse("race_source=HW", &o), -1);
	CU_ASSERT(strstr(err, "race_source") && strstr(err, "auto, hw, wp"));
	CU_ASSERT_EQUAL(parse("race_source=h", &o), -1);
	CU_ASSERT_EQUAL(parse("race_source=hwx", &o), -1);
	CU_ASSERT_EQUAL(parse("race_source=", &o), -1);
	lh_options_default(&o);
	CU_ASSERT_EQUAL(lh_options_parse("race_source=nope", &o, small, sizeof(small)), -1);
	CU_ASSERT(strlen(small) == sizeof(small) - 1);
	CU_ASSERT_EQUAL(parse("race_hits_per_sec=250", &o), 0);
	CU_ASSERT_EQUAL(o.race_hits_per_sec, 250);
	CU_ASSERT_EQUAL(parse("race_hits_per_sec=1000000", &o), 0);
	CU_ASSERT_EQUAL(parse("race_hits_per_sec=0", &o), -1);
	CU_ASSERT_EQUAL(parse("race_hits_per_sec=1000001", &o), -1);
	CU_ASSERT_EQUAL(parse("races=0", &o), 0);
	CU_ASSERT_EQUAL(o.races, 0);
}

/* the shim's parse: a bad pair is skipped, every good one applies */
static void test_keep_the_rest(void)
{
	struct lh_options o;

	lh_options_default(&o);
	err[0] = 0;
	CU_ASSERT_EQUAL(lh_options_parse_keep("log_dir=/tmp/x:bogus=1:quiet=1", &o, err, sizeof(err)),
	                1);
	CU_ASSERT_STRING_EQUAL(o.log_dir, "/tmp/x");
	CU_ASSERT_EQUAL(o.quiet, 1);
	CU_ASSERT(strstr(err, "unknown option 'bogus'") != NULL);
	/* several bad ones: counted, the first one's message kept */
	lh_options_default(&o);
	err[0] = 0;
	CU_ASSERT_EQUAL(lh_options_parse_keep("frob=2 exitcode=999 exitcode=7 nothing races=0", &o,
	                                      err, sizeof(err)),
	                3);
	CU_ASSERT(strstr(err, "frob") != NULL);
	CU_ASSERT_EQUAL(o.exitcode, 7);
	CU_ASSERT_EQUAL(o.races, 0);
	/* a bad value leaves the option as it was */
	lh_options_default(&o);
	CU_ASSERT_EQUAL(lh_options_parse_keep("deadlock_grace_ms=5:race_source=xx", &o, err,
	                                      sizeof(err)),
	                2);
	CU_ASSERT_EQUAL(o.deadlock_grace_ms, 1000);
	CU_ASSERT_EQUAL(o.race_source, LH_RACE_SRC_AUTO);
	CU_ASSERT_EQUAL(lh_options_parse_keep("", &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(lh_options_parse_keep(NULL, &o, err, sizeof(err)), 0);
	/* the strict parse still refuses the whole string */
	lh_options_default(&o);
	CU_ASSERT_EQUAL(lh_options_parse("log_dir=/tmp/x:bogus=1", &o, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(o.log_dir, "");
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "defaults", test_defaults },
		{ "empty and NULL", test_empty_and_null },
		{ "':' and whitespace separators", test_parse_mixed_separators },
		{ "every option", test_every_option },
		{ "later wins, layering", test_later_wins_and_layering },
		{ "unknown option", test_unknown_option },
		{ "missing '='", test_missing_equals },
		{ "numbers: range and syntax", test_number_errors },
		{ "bad bools", test_bool_errors },
		{ "log_prefix checks", test_log_prefix_errors },
		{ "too-long values", test_too_long_values },
		{ "failed parse changes nothing", test_failed_parse_changes_nothing },
		{ "small error buffer", test_small_error_buffer },
		{ "race watching options", test_race_options },
		{ "shim: a bad option skipped, the rest kept", test_keep_the_rest },
	};
	return cunit_run("options", tests, sizeof(tests) / sizeof(tests[0]));
}
