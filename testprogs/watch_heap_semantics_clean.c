/* lockhound-expect: clean min_edges=0 min_threads=3 options=heap_guards=512:heap_dense=1000000000 */
/* Hazard scenario for sampled heap blocks (preload/wrap_malloc.c): with
 * every allocation sampled (heap_dense very high) the malloc family must
 * keep what the program sees: contents across realloc (in place and moved
 * past a guarded slot), calloc zeroing (also of a slot used before), the
 * alignment of posix_memalign / aligned_alloc / memalign / valloc /
 * pvalloc and their errors, malloc_usable_size >= the size asked, realloc
 * to 0, reallocarray's overflow, errno kept by malloc and free, strdup,
 * blocks freed by other threads, and a fork child using and freeing its
 * parent's blocks.  Its output is the same natively and under the shim
 * (tests/integration/watch_tests.py compares them).
 *
 * `probe` (argv[1]) prints instead what only the shim changes: whether
 * small blocks start on a page (guarded), whether a freed block's page is
 * returned (mincore) and the slot given out again, zeroed; the integration
 * test checks those facts under the shim. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
static volatile size_t huge = SIZE_MAX / 2; /* a product of it overflows */

#define CHECK(cond)                                                                \
	do {                                                                       \
		if (!(cond)) {                                                     \
			printf("FAILED line %d: %s\n", __LINE__, #cond);           \
			failures++;                                                \
		}                                                                  \
	} while (0)

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	size_t i;
	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static int same(const unsigned char *p, size_t n, unsigned seed)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return 0;
	return 1;
}

static int zero(const unsigned char *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void test_malloc_realloc(void)
{
	unsigned char *p = malloc(100), *q;

	CHECK(p && ((uintptr_t)p % 16) == 0);
	CHECK(malloc_usable_size(p) >= 100);
	fill(p, 100, 1);
	q = realloc(p, 1000); /* within a slot: may stay */
	CHECK(q && same(q, 100, 1));
	fill(q, 1000, 2);
	p = realloc(q, 50000); /* past a guarded slot: moves */
	CHECK(p && same(p, 1000, 2));
	fill(p, 50000, 3);
	q = realloc(p, 10); /* shrink */
	CHECK(q && same(q, 10, 3));
	free(q);
	p = realloc(NULL, 64);
	CHECK(p != NULL);
	free(p);
	p = malloc(1);
	CHECK(realloc(p, 0) == NULL); /* glibc: frees, returns NULL */
	errno = 0;
	CHECK(reallocarray(NULL, huge, 4) == NULL && errno == ENOMEM);
	p = reallocarray(NULL, 10, 10);
	CHECK(p && malloc_usable_size(p) >= 100);
	fill(p, 100, 4);
	q = reallocarray(p, 20, 10);
	CHECK(q && same(q, 100, 4));
	free(q);
	free(NULL);
	printf("malloc/realloc: ok\n");
}

static void test_calloc(void)
{
	int round;

	for (round = 0; round < 3; round++) {
		unsigned char *p = malloc(3000);
		CHECK(p != NULL);
		memset(p, 0xab, 3000);
		free(p);
		p = calloc(30, 100); /* may be the slot just freed */
		CHECK(p && zero(p, 3000));
		free(p);
	}
	errno = 0;
	CHECK(calloc(huge, 4) == NULL && errno == ENOMEM);
	printf("calloc: ok\n");
}

static void test_aligned(void)
{
	size_t al;
	void *p;
	long page = sysconf(_SC_PAGESIZE);

	for (al = sizeof(void *); al <= 65536; al *= 2) {
		p = NULL;
		CHECK(posix_memalign(&p, al, 200) == 0 && p && (uintptr_t)p % al == 0);
		CHECK(malloc_usable_size(p) >= 200);
		memset(p, 1, 200);
		free(p);
		p = aligned_alloc(al, 4 * al);
		CHECK(p && (uintptr_t)p % al == 0);
		free(p);
		p = memalign(al, 300);
		CHECK(p && (uintptr_t)p % al == 0);
		free(p);
	}
	p = (void *)1;
	CHECK(posix_memalign(&p, 24, 100) == EINVAL && p == (void *)1);
	CHECK(posix_memalign(&p, 2, 100) == EINVAL);
	p = valloc(100);
	CHECK(p && (uintptr_t)p % (uintptr_t)page == 0);
	free(p);
	p = pvalloc(100);
	CHECK(p && (uintptr_t)p % (uintptr_t)page == 0 && malloc_usable_size(p) >= (size_t)page);
	memset(p, 2, (size_t)page);
	free(p);
	printf("aligned: ok\n");
}

static void test_errno_strdup(void)
{
	char *s;
	void *p;

	errno = 1234;
	p = malloc(10);
	free(p);
	CHECK(errno == 1234);
	s = strdup("sampled heap blocks");
	CHECK(s && !strcmp(s, "sampled heap blocks"));
	free(s);
	printf("errno/strdup: ok\n");
}

/* blocks made by one thread, checked and freed by another */
#define N_PASS 2000
static void *passed[N_PASS];

static void *producer(void *arg)
{
	int i;
	for (i = 0; i < N_PASS; i++) {
		passed[i] = malloc((size_t)(i % 300) + 1);
		fill(passed[i], (size_t)(i % 300) + 1, (unsigned)i);
	}
	return arg;
}

static void *consumer(void *arg)
{
	int i, bad = 0;
	for (i = 0; i < N_PASS; i++) {
		if (!same(passed[i], (size_t)(i % 300) + 1, (unsigned)i))
			bad++;
		free(passed[i]);
	}
	return (void *)(intptr_t)bad;
}

static void test_threads(void)
{
	pthread_t a, b;
	void *bad;

	pthread_create(&a, NULL, producer, NULL);
	pthread_join(a, NULL);
	pthread_create(&b, NULL, consumer, NULL);
	pthread_join(b, &bad);
	CHECK(bad == NULL);
	printf("threads: ok\n");
}

static void test_fork(void)
{
	unsigned char *p = malloc(500), *q = calloc(1, 700);
	pid_t pid;
	int st = 0;

	fill(p, 500, 9);
	fflush(stdout); /* the child's exit flushes only its own output */
	pid = fork();
	if (pid == 0) {
		int ok = same(p, 500, 9) && zero(q, 700);
		unsigned char *r = realloc(p, 40000);
		ok = ok && r && same(r, 500, 9);
		free(r);
		free(q);
		r = malloc(100);
		ok = ok && r;
		free(r);
		exit(ok ? 0 : 1); /* exit, not _exit: the shim ends the child's log */
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(same(p, 500, 9) && zero(q, 700)); /* the child's frees are its own */
	free(p);
	free(q);
	printf("fork: ok\n");
}

/* what only the shim changes (see the header) */
static int probe(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char vec = 0;
	int on_page = 0, i;
	unsigned char *p, *q;
	uintptr_t pg;

	for (i = 0; i < 100; i++) {
		void *b = malloc(100);
		on_page += (uintptr_t)b % (uintptr_t)page == 0;
		free(b);
	}
	printf("page-aligned small blocks: %d of 100\n", on_page);
	p = malloc(100);
	memset(p, 0x5a, 100);
	pg = (uintptr_t)p & ~(uintptr_t)(page - 1);
	CHECK(mincore((void *)pg, (size_t)page, &vec) == 0);
	printf("resident while in use: %d\n", vec & 1);
	free(p);
	vec = 0xff;
	CHECK(mincore((void *)pg, (size_t)page, &vec) == 0);
	printf("resident after free: %d\n", vec & 1);
	q = malloc(100);
	printf("same slot again: %d\n", (uintptr_t)q == pg);
	printf("zero again: %d\n", zero(q, 100));
	free(q);
	return failures != 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "probe"))
		return probe();
	test_malloc_realloc();
	test_calloc();
	test_aligned();
	test_errno_strdup();
	test_threads();
	test_fork();
	printf("%s\n", failures ? "FAILED" : "all ok");
	return failures != 0;
}
