/*
 * test_cc.c - CUnit tests for analyzer/cc.c: how `lockhound cc` classifies
 * a compiler command line (compile only, link, -shared, -r, the program's
 * own -fsanitize=thread, response files with quoting) and the command it
 * builds from it (instrumentation everywhere, the runtime before the
 * program's arguments on link steps only, gcc's libtsan stand-ins or
 * clang's -fno-sanitize-link-runtime).  Running real compilers is the
 * integration tests' part (tests/integration/test_cc.py).
 */
#include <CUnit/CUnit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cunit_run.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ARGC(v) ((int)N_OF(v) - 1) /* argv arrays below end with NULL */

static struct cc_step classify(int argc, char **argv)
{
	struct cc_step st;
	cc_classify(argc, argv, &st);
	return st;
}

static void test_compile_only(void)
{
	char *flags[] = { "-c", "-S", "-E", "-M", "-MM", "-fsyntax-only" };
	size_t i;

	for (i = 0; i < N_OF(flags); i++) {
		char *v[] = { "-O2", flags[i], "x.c", "-o", "x.o", NULL };
		struct cc_step st = classify(ARGC(v), v);
		CU_ASSERT_EQUAL(st.compile_only, 1);
		CU_ASSERT_EQUAL(st.link, 0);
		CU_ASSERT_EQUAL(st.n_inputs, 1);
	}
}

static void test_link_and_compile_link(void)
{
	char *v1[] = { "a.o", "b.o", "-o", "prog", "-lm", NULL };
	char *v2[] = { "-O2", "-g", "prog.c", "-o", "prog", NULL };
	char *v3[] = { "-MD", "-MF", "x.d", "prog.c", NULL }; /* -MD compiles and links */
	struct cc_step st;

	st = classify(ARGC(v1), v1);
	CU_ASSERT(st.link && !st.compile_only && !st.shared && st.n_inputs == 2 && st.has_output);
	st = classify(ARGC(v2), v2);
	CU_ASSERT(st.link && st.n_inputs == 1);
	st = classify(ARGC(v3), v3);
	CU_ASSERT(st.link && st.n_inputs == 1); /* x.d is -MF's value, not an input */
}

static void test_values_are_not_inputs(void)
{
	char *v[] = { "-I", "inc", "-D", "X=1", "-include", "cfg.h", "-x", "c", "-Xlinker",
		      "--as-needed", "-L", "lib", "-isystem", "sys", NULL };
	struct cc_step st = classify(ARGC(v), v);
	CU_ASSERT_EQUAL(st.n_inputs, 0);
	CU_ASSERT_EQUAL(st.link, 0); /* no input: a query, passed through */
}

static void test_queries(void)
{
	char *v1[] = { "--version", NULL };
	char *v2[] = { "-print-file-name=libc.so", NULL };
	char *v3[] = { "-x", "c", "-", NULL }; /* stdin is an input */
	struct cc_step st;

	st = classify(ARGC(v1), v1);
	CU_ASSERT(!st.link && st.n_inputs == 0);
	st = classify(ARGC(v2), v2);
	CU_ASSERT(!st.link);
	st = classify(ARGC(v3), v3);
	CU_ASSERT(st.link && st.n_inputs == 1);
}

static void test_shared_relocatable_tsan(void)
{
	char *v1[] = { "-shared", "-fPIC", "lib.c", "-o", "libx.so", NULL };
	char *v2[] = { "-r", "a.o", "b.o", "-o", "ab.o", NULL };
	char *v3[] = { "-Xlinker", "-r", "a.o", NULL };
	char *v4[] = { "-fsanitize=undefined,thread", "x.c", NULL };
	char *v5[] = { "-fsanitize=threads", "x.c", NULL };
	struct cc_step st;

	st = classify(ARGC(v1), v1);
	CU_ASSERT(st.link && st.shared && !st.relocatable);
	st = classify(ARGC(v2), v2);
	CU_ASSERT(st.link && st.relocatable);
	st = classify(ARGC(v3), v3);
	CU_ASSERT(st.relocatable);
	st = classify(ARGC(v4), v4);
	CU_ASSERT(st.has_tsan);
	st = classify(ARGC(v5), v5);
	CU_ASSERT(!st.has_tsan);
}

static char rsp_dir[64];

static void write_file(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;
	snprintf(path, len, "%s/%s", rsp_dir, name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static void test_response_files(void)
{
	char p1[128], p2[128], a1[160], a2[160];
	struct cc_step st;

	strcpy(rsp_dir, "/tmp/lh-test-cc.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(rsp_dir));
	/* quoting: "-c" inside quotes is still the word -c; 'a b.c' is one input */
	write_file("inner.rsp", "\"-c\"\n", p2, sizeof(p2));
	snprintf(a2, sizeof(a2), "-O2 'a b.c' -o out\\ file.o @%s\n", p2);
	write_file("outer.rsp", a2, p1, sizeof(p1));
	snprintf(a1, sizeof(a1), "@%s", p1);
	{
		char *v[] = { a1, NULL };
		st = classify(ARGC(v), v);
		CU_ASSERT_EQUAL(st.compile_only, 1); /* found in the nested file */
		CU_ASSERT_EQUAL(st.n_inputs, 1);     /* 'a b.c' only: out\ file.o is -o's */
		CU_ASSERT_EQUAL(st.link, 0);
	}
	/* a response file that does not exist is an argument, as for gcc */
	{
		char *v[] = { "@/nonexistent/lh.rsp", NULL };
		st = classify(ARGC(v), v);
		CU_ASSERT_EQUAL(st.n_inputs, 1);
	}
	/* a file that includes itself stops at the depth limit */
	{
		char self[160], ps[128];
		snprintf(self, sizeof(self), "-c @%s/self.rsp", rsp_dir);
		write_file("self.rsp", self, ps, sizeof(ps));
		snprintf(a1, sizeof(a1), "@%s", ps);
		char *v[] = { a1, NULL };
		st = classify(ARGC(v), v);
		CU_ASSERT_EQUAL(st.compile_only, 1);
	}
	snprintf(a1, sizeof(a1), "rm -rf '%s'", rsp_dir);
	CU_ASSERT_EQUAL(system(a1), 0);
}

static int find(char **v, const char *s)
{
	int i;
	for (i = 0; v[i]; i++)
		if (!strcmp(v[i], s))
			return i;
	return -1;
}

static void test_build_compile(void)
{
	char *words[] = { "ccache", "gcc" };
	char *v[] = { "-c", "x.c", "-o", "x.o", NULL };
	char *out[32];
	struct cc_step st = classify(ARGC(v), v);
	int n = cc_build_argv(words, 2, ARGC(v), v, &st, 0, "/rt", out, 32);

	CU_ASSERT_EQUAL(n, 7);
	CU_ASSERT_STRING_EQUAL(out[0], "ccache");
	CU_ASSERT_STRING_EQUAL(out[1], "gcc");
	CU_ASSERT_STRING_EQUAL(out[2], "-fsanitize=thread");
	CU_ASSERT_STRING_EQUAL(out[3], "-c");
	CU_ASSERT_PTR_NULL(out[n]);
	CU_ASSERT_EQUAL(find(out, "/rt/liblockhound.so"), -1); /* no runtime on a compile */
}

static void test_build_link_gcc_clang(void)
{
	char *words[] = { "cc" };
	char *v[] = { "-fsanitize=thread", "a.o", "-lc", "-o", "prog", NULL };
	char *out[128];
	struct cc_step st = classify(ARGC(v), v);
	int n, rt, user;

	n = cc_build_argv(words, 1, ARGC(v), v, &st, 0, "/rt", out, 128);
	CU_ASSERT(n > 0);
	rt = find(out, "/rt/liblockhound.so");
	user = find(out, "a.o");
	CU_ASSERT(rt > 0 && rt < user);            /* the runtime before the program's libraries */
	CU_ASSERT(find(out, "-B/rt/tsan-stub/") > 0); /* gcc: libtsan stand-ins */
	CU_ASSERT(find(out, "-fno-sanitize-link-runtime") < 0);
	CU_ASSERT(find(out, "-Wl,-rpath,/rt") > 0);
	CU_ASSERT_STRING_EQUAL(out[rt - 1], "-Wl,--push-state,--no-as-needed");
	/* exact mode sees the program's allocations and memory calls (lh_wrap_syms.h) */
	CU_ASSERT(find(out, "-Wl,--wrap=malloc") > rt && find(out, "-Wl,--wrap=malloc") < user);
	CU_ASSERT(find(out, "-Wl,--wrap=free") > rt);
	CU_ASSERT(find(out, "-Wl,--wrap=memcpy") > rt);
	CU_ASSERT(find(out, "-Wl,--wrap=_Znwm") > rt);
	/* the program's own -fsanitize=thread is not doubled */
	{
		int i, k = 0;
		for (i = 0; out[i]; i++)
			k += !strcmp(out[i], "-fsanitize=thread");
		CU_ASSERT_EQUAL(k, 1);
	}
	n = cc_build_argv(words, 1, ARGC(v), v, &st, 1, "/rt", out, 128);
	CU_ASSERT(n > 0);
	CU_ASSERT(find(out, "-fno-sanitize-link-runtime") > 0);
	CU_ASSERT(find(out, "-B/rt/tsan-stub/") < 0);
	CU_ASSERT(find(out, "/rt/liblockhound.so") > 0);
}

static void test_build_partial_link_and_small_buffer(void)
{
	char *words[] = { "cc" };
	char *v[] = { "-r", "a.o", "b.o", "-o", "ab.o", NULL };
	char *out[32];
	struct cc_step st = classify(ARGC(v), v);
	int n = cc_build_argv(words, 1, ARGC(v), v, &st, 0, "/rt", out, 32);

	CU_ASSERT(n > 0);
	CU_ASSERT_EQUAL(find(out, "/rt/liblockhound.so"), -1);
	CU_ASSERT_EQUAL(cc_build_argv(words, 1, ARGC(v), v, &st, 0, "/rt", out, 4), -1);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "classify: compile only", test_compile_only },
		{ "classify: link, compile+link", test_link_and_compile_link },
		{ "classify: option values are not inputs", test_values_are_not_inputs },
		{ "classify: queries", test_queries },
		{ "classify: -shared, -r, -fsanitize=thread", test_shared_relocatable_tsan },
		{ "classify: response files", test_response_files },
		{ "build: compile step", test_build_compile },
		{ "build: link step, gcc and clang", test_build_link_gcc_clang },
		{ "build: -r, small buffer", test_build_partial_link_and_small_buffer },
	};
	return cunit_run("cc", tests, N_OF(tests));
}
