/*
 * test_cli.c - CUnit tests for analyzer/cli.c: argument parsing of
 * `lockhound run` and `lockhound report`, and cli_preload_obstacle on real
 * files (a dynamic binary, a static one compiled on the fly, scripts,
 * directories, files without exec permission, setuid files of another user
 * when running as root).
 */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ARGC(v) ((int)N_OF(v) - 1) /* argv arrays below end with NULL */

static char err[1024];
static char tmpdir[64];

/* ---- run ------------------------------------------------------------------------ */

static int run(int argc, char **argv, struct cli_run_args *a)
{
	err[0] = 0;
	return cli_parse_run(argc, argv, a, err, sizeof(err));
}

static void test_run_all_options(void)
{
	char *v[] = { "run", "--json", "f.json", "--log-dir", "d", "--exitcode", "7",
		      "--",  "prog",   "a",      "b",         NULL };
	struct cli_run_args a;

	CU_ASSERT_EQUAL_FATAL(run(ARGC(v), v, &a), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.json_path);
	CU_ASSERT_STRING_EQUAL(a.json_path, "f.json");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.log_dir);
	CU_ASSERT_STRING_EQUAL(a.log_dir, "d");
	CU_ASSERT_EQUAL(a.exitcode, 7);
	CU_ASSERT_PTR_NULL(a.options);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.prog_argv);
	CU_ASSERT(a.prog_argv == v + 8);
	CU_ASSERT_STRING_EQUAL(a.prog_argv[0], "prog");
	CU_ASSERT_STRING_EQUAL(a.prog_argv[1], "a");
	CU_ASSERT_STRING_EQUAL(a.prog_argv[2], "b");
	CU_ASSERT_PTR_NULL(a.prog_argv[3]);
}

static void test_run_defaults(void)
{
	char *v[] = { "run", "prog", NULL };
	struct cli_run_args a;

	CU_ASSERT_EQUAL_FATAL(run(ARGC(v), v, &a), 0);
	CU_ASSERT_PTR_NULL(a.json_path);
	CU_ASSERT_PTR_NULL(a.log_dir);
	CU_ASSERT_PTR_NULL(a.options);
	CU_ASSERT_EQUAL(a.exitcode, 66);
	CU_ASSERT_STRING_EQUAL(a.prog_argv[0], "prog");
	CU_ASSERT_PTR_NULL(a.prog_argv[1]);
}

static void test_run_equals_form(void)
{
	char *v[] = { "run", "--json=f", "--log-dir=/tmp/l", "--exitcode=0",
		      "--options=quiet=1:exitcode=4", "prog", NULL };
	struct cli_run_args a;

	CU_ASSERT_EQUAL_FATAL(run(ARGC(v), v, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.json_path, "f");
	CU_ASSERT_STRING_EQUAL(a.log_dir, "/tmp/l");
	CU_ASSERT_EQUAL(a.exitcode, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.options);
	CU_ASSERT_STRING_EQUAL(a.options, "quiet=1:exitcode=4");
	CU_ASSERT_STRING_EQUAL(a.prog_argv[0], "prog");
}

/* without "--", the first non-option is the program and the rest is its */
static void test_run_program_options_are_its_own(void)
{
	char *v[] = { "run", "--json", "x", "prog", "--json", "y", "-v", NULL };
	struct cli_run_args a;

	CU_ASSERT_EQUAL_FATAL(run(ARGC(v), v, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.json_path, "x");
	CU_ASSERT(a.prog_argv == v + 3);
	CU_ASSERT_STRING_EQUAL(a.prog_argv[1], "--json");
	CU_ASSERT_STRING_EQUAL(a.prog_argv[3], "-v");
}

/* a program named like an option, after "--" */
static void test_run_program_named_like_option(void)
{
	char *v1[] = { "run", "--", "--json", "x", NULL };
	char *v2[] = { "run", "--exitcode", "5", "--", "--", "z", NULL };
	char *v3[] = { "run", "--", "-", NULL };
	struct cli_run_args a;

	CU_ASSERT_EQUAL_FATAL(run(ARGC(v1), v1, &a), 0);
	CU_ASSERT_PTR_NULL(a.json_path);
	CU_ASSERT_STRING_EQUAL(a.prog_argv[0], "--json");
	CU_ASSERT_STRING_EQUAL(a.prog_argv[1], "x");
	CU_ASSERT_EQUAL(a.exitcode, 66);

	CU_ASSERT_EQUAL_FATAL(run(ARGC(v2), v2, &a), 0);
	CU_ASSERT_EQUAL(a.exitcode, 5);
	CU_ASSERT_STRING_EQUAL(a.prog_argv[0], "--");
	CU_ASSERT_STRING_EQUAL(a.prog_argv[1], "z");

	CU_ASSERT_EQUAL_FATAL(run(ARGC(v3), v3, &a), 0);
	CU_ASSERT_STRING_EQUAL(a.prog_argv[0], "-");
}

static void test_run_missing_program(void)
{
	char *v1[] = { "run", NULL };
	char *v2[] = { "run", "--json", "f.json", NULL };
	char *v3[] = { "run", "--json", "f.json", "--", NULL };
	struct cli_run_args a;

	CU_ASSERT_EQUAL(run(ARGC(v1), v1, &a), -1);
	CU_ASSERT(strstr(err, "no program") != NULL);
	CU_ASSERT_EQUAL(run(ARGC(v2), v2, &a), -1);
	CU_ASSERT(strstr(err, "no program") != NULL);
	CU_ASSERT_EQUAL(run(ARGC(v3), v3, &a), -1);
	CU_ASSERT(strstr(err, "no program") != NULL);
}

static void test_run_missing_value(void)
{
	char *v1[] = { "run", "--json", NULL };
	char *v2[] = { "run", "--log-dir", NULL };
	struct cli_run_args a;

	CU_ASSERT_EQUAL(run(ARGC(v1), v1, &a), -1);
	CU_ASSERT(strstr(err, "--json") != NULL);
	CU_ASSERT(strstr(err, "value") != NULL);
	CU_ASSERT_EQUAL(run(ARGC(v2), v2, &a), -1);
	CU_ASSERT(strstr(err, "--log-dir") != NULL);
}

static void test_run_unknown_option(void)
{
	char *v1[] = { "run", "--frobnicate", "prog", NULL };
	char *v2[] = { "run", "--jsonx", "f", "prog", NULL };
	char *v3[] = { "run", "-j", "f", "prog", NULL };
	char *v4[] = { "run", "--json", "f", "--log", "d", "prog", NULL };
	struct cli_run_args a;

	CU_ASSERT_EQUAL(run(ARGC(v1), v1, &a), -1);
	CU_ASSERT(strstr(err, "--frobnicate") != NULL);
	CU_ASSERT(strstr(err, "unknown") != NULL);
	CU_ASSERT_EQUAL(run(ARGC(v2), v2, &a), -1);
	CU_ASSERT(strstr(err, "--jsonx") != NULL);
	CU_ASSERT_EQUAL(run(ARGC(v3), v3, &a), -1);
	CU_ASSERT(strstr(err, "'-j'") != NULL);
	CU_ASSERT_EQUAL(run(ARGC(v4), v4, &a), -1);
	CU_ASSERT(strstr(err, "'--log'") != NULL);
}

static void test_run_bad_exitcode(void)
{
	static const char *bad[] = { "300", "256", "-1", "abc", "", "7x", "99999999999999999999" };
	struct cli_run_args a;
	size_t i;

	for (i = 0; i < N_OF(bad); i++) {
		char *v[] = { "run", "--exitcode", (char *)bad[i], "prog", NULL };
		CU_ASSERT_EQUAL(run(ARGC(v), v, &a), -1);
		CU_ASSERT(strstr(err, "--exitcode") != NULL);
		CU_ASSERT(strstr(err, bad[i]) != NULL);
	}
	{
		char *v[] = { "run", "--exitcode=300", "prog", NULL };
		CU_ASSERT_EQUAL(run(ARGC(v), v, &a), -1);
		CU_ASSERT(strstr(err, "300") != NULL);
	}
	{
		char *v[] = { "run", "--exitcode", "255", "prog", NULL };
		CU_ASSERT_EQUAL(run(ARGC(v), v, &a), 0);
		CU_ASSERT_EQUAL(a.exitcode, 255);
	}
}

static void test_run_bad_options(void)
{
	char *v1[] = { "run", "--options", "bogus=1", "prog", NULL };
	char *v2[] = { "run", "--options", "exitcode=999", "prog", NULL };
	char *v3[] = { "run", "--options", "quiet", "prog", NULL };
	char *v4[] = { "run", "--options", "", "prog", NULL };
	struct cli_run_args a;

	CU_ASSERT_EQUAL(run(ARGC(v1), v1, &a), -1);
	CU_ASSERT(strstr(err, "bogus") != NULL);
	CU_ASSERT_EQUAL(run(ARGC(v2), v2, &a), -1);
	CU_ASSERT(strstr(err, "exitcode") != NULL);
	CU_ASSERT_EQUAL(run(ARGC(v3), v3, &a), -1);
	CU_ASSERT(strstr(err, "quiet") != NULL);
	CU_ASSERT_EQUAL(run(ARGC(v4), v4, &a), 0); /* empty options: nothing to set */
}

/* ---- report ---------------------------------------------------------------------- */

static int report(int argc, char **argv, struct cli_report_args *a)
{
	err[0] = 0;
	return cli_parse_report(argc, argv, a, err, sizeof(err));
}

static void test_report_defaults(void)
{
	char *v[] = { "report", "a.log", NULL };
	struct cli_report_args a;

	CU_ASSERT_EQUAL_FATAL(report(ARGC(v), v, &a), 0);
	CU_ASSERT_EQUAL(a.format, CLI_TEXT);
	CU_ASSERT_PTR_NULL(a.output);
	CU_ASSERT_EQUAL(a.exitcode, 66);
	CU_ASSERT_EQUAL(a.n_logs, 1);
	CU_ASSERT_STRING_EQUAL(a.logs[0], "a.log");
}

static void test_report_formats(void)
{
	char *v1[] = { "report", "--format", "json", "--output", "o.json", "a.log", "b.log", NULL };
	char *v2[] = { "report", "--format=text", "--exitcode=0", "a.log", NULL };
	char *v3[] = { "report", "--format", "json", "--format", "text", "a.log", NULL };
	struct cli_report_args a;

	CU_ASSERT_EQUAL_FATAL(report(ARGC(v1), v1, &a), 0);
	CU_ASSERT_EQUAL(a.format, CLI_JSON);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.output);
	CU_ASSERT_STRING_EQUAL(a.output, "o.json");
	CU_ASSERT_EQUAL_FATAL(a.n_logs, 2);
	CU_ASSERT_STRING_EQUAL(a.logs[0], "a.log");
	CU_ASSERT_STRING_EQUAL(a.logs[1], "b.log");

	CU_ASSERT_EQUAL_FATAL(report(ARGC(v2), v2, &a), 0);
	CU_ASSERT_EQUAL(a.format, CLI_TEXT);
	CU_ASSERT_EQUAL(a.exitcode, 0);
	CU_ASSERT_EQUAL(a.n_logs, 1);

	CU_ASSERT_EQUAL_FATAL(report(ARGC(v3), v3, &a), 0); /* the last one wins */
	CU_ASSERT_EQUAL(a.format, CLI_TEXT);
}

static void test_report_errors(void)
{
	char *v1[] = { "report", "--format", "xml", "a.log", NULL };
	char *v2[] = { "report", "--format", "json", NULL };
	char *v3[] = { "report", NULL };
	char *v4[] = { "report", "--format", NULL };
	char *v5[] = { "report", "--verbose", "a.log", NULL };
	char *v6[] = { "report", "--exitcode", "256", "a.log", NULL };
	char *v7[] = { "report", "--", NULL };
	struct cli_report_args a;

	CU_ASSERT_EQUAL(report(ARGC(v1), v1, &a), -1);
	CU_ASSERT(strstr(err, "xml") != NULL);
	CU_ASSERT(strstr(err, "--format") != NULL);
	CU_ASSERT_EQUAL(report(ARGC(v2), v2, &a), -1);
	CU_ASSERT(strstr(err, "no log") != NULL);
	CU_ASSERT_EQUAL(report(ARGC(v3), v3, &a), -1);
	CU_ASSERT(strstr(err, "no log") != NULL);
	CU_ASSERT_EQUAL(report(ARGC(v4), v4, &a), -1);
	CU_ASSERT(strstr(err, "--format") != NULL);
	CU_ASSERT_EQUAL(report(ARGC(v5), v5, &a), -1);
	CU_ASSERT(strstr(err, "--verbose") != NULL);
	CU_ASSERT_EQUAL(report(ARGC(v6), v6, &a), -1);
	CU_ASSERT(strstr(err, "256") != NULL);
	CU_ASSERT_EQUAL(report(ARGC(v7), v7, &a), -1);
	CU_ASSERT(strstr(err, "no log") != NULL);
}

static void test_report_log_named_like_option(void)
{
	char *v[] = { "report", "--format", "json", "--", "--weird.log", "-", NULL };
	struct cli_report_args a;

	CU_ASSERT_EQUAL_FATAL(report(ARGC(v), v, &a), 0);
	CU_ASSERT_EQUAL(a.format, CLI_JSON);
	CU_ASSERT_EQUAL_FATAL(a.n_logs, 2);
	CU_ASSERT_STRING_EQUAL(a.logs[0], "--weird.log");
	CU_ASSERT_STRING_EQUAL(a.logs[1], "-");
}

/* ---- cli_preload_obstacle -------------------------------------------------------------- */

static char *tmp_path(const char *name)
{
	static char p[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
	return p[k];
}

static int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	close(fd);
	if (n != (ssize_t)len)
		return -1;
	return chmod(path, mode);
}

static const char *obstacle(const char *path)
{
	memset(err, 0, sizeof(err));
	return cli_preload_obstacle(path, err, sizeof(err));
}

static void test_obstacle_dynamic_binary(void)
{
	const char *why = obstacle("/bin/sh");

	CU_ASSERT_PTR_NULL(why);
	if (why)
		fprintf(stderr, "\n    /bin/sh: %s\n", why);
}

static void test_obstacle_missing(void)
{
	const char *p = tmp_path("does-not-exist");
	const char *why = obstacle(p);

	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT(why == err);
	CU_ASSERT(strstr(why, p) != NULL);
	CU_ASSERT(strstr(why, strerror(ENOENT)) != NULL);
}

static void test_obstacle_directory(void)
{
	const char *why = obstacle(tmpdir);

	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT(strstr(why, tmpdir) != NULL);
	CU_ASSERT(strstr(why, "not an executable") != NULL);
}

static void test_obstacle_not_executable(void)
{
	const char *p = tmp_path("noexec.sh");
	const char *why;

	CU_ASSERT_EQUAL_FATAL(write_file(p, "#!/bin/sh\nexit 0\n", 17, 0644), 0);
	why = obstacle(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT(strstr(why, p) != NULL);
	CU_ASSERT(strstr(why, "not an executable") != NULL);
	unlink(p);

	/* a copy of a real dynamic binary, mode 0644 */
	p = tmp_path("noexec-elf");
	{
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "cp /bin/sh '%s' && chmod 0644 '%s'", p, p);
		CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	}
	why = obstacle(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT(strstr(why, "not an executable") != NULL);
	unlink(p);
}

static void test_obstacle_script(void)
{
	const char *p = tmp_path("script.sh");

	CU_ASSERT_EQUAL_FATAL(write_file(p, "#!/bin/sh\nexit 0\n", 17, 0755), 0);
	CU_ASSERT_PTR_NULL(obstacle(p));
	unlink(p);
	/* the shortest script there is */
	CU_ASSERT_EQUAL_FATAL(write_file(p, "#!", 2, 0755), 0);
	CU_ASSERT_PTR_NULL(obstacle(p));
	unlink(p);
}

/* not ELF (or not ELF64), or too short to tell: exec decides */
static void test_obstacle_not_elf(void)
{
	const char *p = tmp_path("blob");
	unsigned char blob[200];

	memset(blob, 0x41, sizeof(blob));
	CU_ASSERT_EQUAL_FATAL(write_file(p, blob, sizeof(blob), 0755), 0);
	CU_ASSERT_PTR_NULL(obstacle(p));
	CU_ASSERT_EQUAL_FATAL(write_file(p, "\x7f" "ELF\2\1\1", 7, 0755), 0); /* truncated ELF */
	CU_ASSERT_PTR_NULL(obstacle(p));
	CU_ASSERT_EQUAL_FATAL(write_file(p, "", 0, 0755), 0); /* empty */
	CU_ASSERT_PTR_NULL(obstacle(p));
	unlink(p);
}

static int compile(const char *flags, const char *out)
{
	char cmd[1024];
	const char *src = tmp_path("prog.c");

	if (write_file(src, "int main(void) { return 0; }\n", 29, 0644))
		return -1;
	snprintf(cmd, sizeof(cmd), "gcc %s -o '%s' '%s' >/dev/null 2>&1", flags, out, src);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_obstacle_static_binary(void)
{
	const char *p = tmp_path("static-prog");
	const char *why;

	if (compile("-static", p)) {
		fprintf(stderr, "\n    note: gcc -static failed (no static libc?): not tested\n");
		CU_PASS("gcc -static unavailable");
		return;
	}
	why = obstacle(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT(strstr(why, p) != NULL);
	CU_ASSERT(strstr(why, "statically linked") != NULL);

	/* through a symlink: the target is what runs */
	{
		const char *l = tmp_path("static-link");
		CU_ASSERT_EQUAL_FATAL(symlink(p, l), 0);
		why = obstacle(l);
		CU_ASSERT_PTR_NOT_NULL(why);
		if (why)
			CU_ASSERT(strstr(why, "statically linked") != NULL);
		unlink(l);
	}
	unlink(p);

	/* static-pie has no PT_INTERP either */
	p = tmp_path("static-pie-prog");
	if (compile("-static-pie", p) == 0) {
		why = obstacle(p);
		CU_ASSERT_PTR_NOT_NULL(why);
		if (why)
			CU_ASSERT(strstr(why, "statically linked") != NULL);
		unlink(p);
	} else {
		fprintf(stderr, "\n    note: gcc -static-pie failed: not tested\n");
	}
}

static void test_obstacle_dynamic_compiled(void)
{
	const char *p = tmp_path("dyn-prog");

	if (compile("", p)) {
		fprintf(stderr, "\n    note: gcc failed: not tested\n");
		CU_PASS("gcc unavailable");
		return;
	}
	CU_ASSERT_PTR_NULL(obstacle(p));
	unlink(p);
}

/* setuid to someone else: only root can make such a file */
static void test_obstacle_setuid_other_user(void)
{
	const char *p = tmp_path("suid.sh");
	const char *why;

	CU_ASSERT_EQUAL_FATAL(write_file(p, "#!/bin/sh\nexit 0\n", 17, 0755), 0);
	if (geteuid() != 0 || chown(p, 65534, (gid_t)-1) != 0) {
		fprintf(stderr, "\n    note: not root: setuid of another user not tested\n");
		CU_PASS("not root");
		unlink(p);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(chmod(p, 04755), 0);
	why = obstacle(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT(strstr(why, "setuid") != NULL);

	/* setgid to another group */
	CU_ASSERT_EQUAL_FATAL(chown(p, geteuid(), 65534), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(p, 02755), 0);
	why = obstacle(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT(strstr(why, "setgid") != NULL);

	/* setuid to ourselves: LD_PRELOAD still works */
	CU_ASSERT_EQUAL_FATAL(chown(p, geteuid(), getegid()), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(p, 06755), 0);
	CU_ASSERT_PTR_NULL(obstacle(p));
	unlink(p);
}

/* a message never overflows the caller's buffer */
static void test_obstacle_small_buffer(void)
{
	char small[12];
	const char *why;

	memset(small, 'x', sizeof(small));
	why = cli_preload_obstacle(tmp_path("missing-with-a-long-name"), small, sizeof(small));
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_EQUAL(strlen(why), sizeof(small) - 1);
}

static int suite_init(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/lh_test_cli.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int suite_clean(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
		{ "run: all options", test_run_all_options },
		{ "run: defaults", test_run_defaults },
		{ "run: --name=value form", test_run_equals_form },
		{ "run: options after PROG are PROG's", test_run_program_options_are_its_own },
		{ "run: program named like an option", test_run_program_named_like_option },
		{ "run: missing program", test_run_missing_program },
		{ "run: missing value", test_run_missing_value },
		{ "run: unknown option", test_run_unknown_option },
		{ "run: bad --exitcode", test_run_bad_exitcode },
		{ "run: bad --options", test_run_bad_options },
		{ "report: defaults", test_report_defaults },
		{ "report: formats", test_report_formats },
		{ "report: errors", test_report_errors },
		{ "report: log named like an option", test_report_log_named_like_option },
		{ "obstacle: /bin/sh", test_obstacle_dynamic_binary },
		{ "obstacle: missing file", test_obstacle_missing },
		{ "obstacle: directory", test_obstacle_directory },
		{ "obstacle: no exec bit", test_obstacle_not_executable },
		{ "obstacle: script", test_obstacle_script },
		{ "obstacle: not ELF", test_obstacle_not_elf },
		{ "obstacle: static binary", test_obstacle_static_binary },
		{ "obstacle: dynamic binary compiled", test_obstacle_dynamic_compiled },
		{ "obstacle: setuid/setgid of another user", test_obstacle_setuid_other_user },
		{ "obstacle: small buffer", test_obstacle_small_buffer },
	};
	CU_pSuite s;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("cli", suite_init, suite_clean);
	if (!s) {
		CU_cleanup_registry();
		return 2;
	}
	for (size_t i = 0; i < N_OF(tests); i++)
		if (!CU_add_test(s, tests[i].name, tests[i].fn)) {
			CU_cleanup_registry();
			return 2;
		}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
