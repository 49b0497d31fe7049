/*
 * test_xalloc.c - CUnit tests for the analyzer's out-of-memory policy
 * (analyzer/xalloc.h): an allocation that fails prints one line and exits
 * with status 2, from xalloc itself and from the log reader when the
 * address space runs out in the middle of a log.
 */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cunit_run.h"
#include "logbuild.h"
#include "logread.h"
#include "xalloc.h"

/* Run fn in a child with stderr into a pipe; return its wait status and
 * what it wrote (NUL-terminated, at most len-1 bytes). */
static int in_child(void (*fn)(void), char *out, size_t len)
{
	int p[2], st = 0;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		fn();
		_exit(0); /* fn returned: the policy was not applied */
	}
	close(p[1]);
	while (got + 1 < len && (n = read(p[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	return st;
}

static void huge_malloc(void)
{
	volatile size_t n = SIZE_MAX / 2;
	char *p = xmalloc(n);
	p[0] = 1;
}

static void huge_calloc_overflow(void)
{
	volatile size_t n = SIZE_MAX / 4;
	char *p = xcalloc(n, 8); /* n * 8 wraps: must not allocate 0 bytes */
	p[0] = 1;
}

static void huge_realloc(void)
{
	volatile size_t n = SIZE_MAX / 2;
	char *p = xrealloc(NULL, n);
	p[0] = 1;
}

static void test_die_line_and_status(void)
{
	char out[512];
	void (*fns[])(void) = { huge_malloc, huge_calloc_overflow, huge_realloc };
	size_t i;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		int st = in_child(fns[i], out, sizeof(out));
		CU_ASSERT(WIFEXITED(st));
		CU_ASSERT_EQUAL(WEXITSTATUS(st), XALLOC_EXIT_STATUS);
		/* one line of lockhound's, ending the output (a sanitizer may
		 * write its own warning before it) */
		const char *l = strstr(out, "lockhound: error: out of memory");
		CU_ASSERT(l != NULL);
		if (l) {
			CU_ASSERT(strstr(l + 1, "lockhound:") == NULL);
			CU_ASSERT(strchr(l, '\n') == out + strlen(out) - 1);
		}
	}
}

static void test_small_allocations_work(void)
{
	char *s = xstrdup("lock");
	int *v = xcalloc(4, sizeof(int));

	CU_ASSERT_STRING_EQUAL(s, "lock");
	CU_ASSERT_EQUAL(v[3], 0);
	v = xreallocarray(v, 1000, sizeof(int));
	v[999] = 7;
	CU_ASSERT_EQUAL(v[999], 7);
	free(v);
	free(s);
	free(xmalloc(0)); /* 0 bytes: a pointer, not NULL */
}

#if !defined(__SANITIZE_ADDRESS__)
/* the reader runs out of address space part-way through a large log */
static struct lb big;
static void read_under_rlimit(void)
{
	struct rlimit rl;
	char err[256];
	struct lr_log *log;

	/* what is mapped now, plus a little: the log's parse needs far more */
	rl.rlim_cur = rl.rlim_max = 0;
	{
		FILE *f = fopen("/proc/self/statm", "r");
		unsigned long pages = 0;
		if (!f || fscanf(f, "%lu", &pages) != 1)
			_exit(99);
		fclose(f);
		rl.rlim_cur = rl.rlim_max = pages * (unsigned long)sysconf(_SC_PAGESIZE) + (8u << 20);
	}
	if (setrlimit(RLIMIT_AS, &rl) < 0)
		_exit(98);
	log = lr_read_mem("big", big.p, big.n, err, sizeof(err));
	lr_free(log);
}
#endif

static void test_reader_out_of_memory(void)
{
#if defined(__SANITIZE_ADDRESS__)
	/* ASan's shadow memory cannot live under an address-space limit */
	CU_PASS("skipped under ASan");
#else
	char out[512];
	struct lh_rec_stack s;
	uint64_t pcs[LH_MAX_FRAMES];
	uint32_t i;
	int st;

	lb_init(&big);
	memset(pcs, 0x11, sizeof(pcs));
	/* 40000 stacks of 64 frames: 20 MB of records, more than 8 MB to keep */
	for (i = 1; i <= 40000; i++) {
		memset(&s, 0, sizeof(s));
		s.stack_id = i;
		s.n_frames = LH_MAX_FRAMES;
		lb_rec3(&big, LH_REC_STACK, &s, sizeof(s), pcs, sizeof(pcs), NULL, 0);
	}
	st = in_child(read_under_rlimit, out, sizeof(out));
	CU_ASSERT(WIFEXITED(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), XALLOC_EXIT_STATUS);
	CU_ASSERT(!strncmp(out, "lockhound: error: out of memory", 31));
	lb_free(&big);
#endif
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "failed allocation: one line, exit 2", test_die_line_and_status },
		{ "allocations that fit", test_small_allocations_work },
		{ "log reader out of memory", test_reader_out_of_memory },
	};
	return cunit_run("xalloc", tests, sizeof(tests) / sizeof(tests[0]));
}
