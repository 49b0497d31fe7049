/* lockhound-expect: clean */
/* Initializes N mutexes (N = argv[1], default 64), each at a call stack of
 * its own (eight call sites on each of eight levels) and takes each one
 * inside an outer lock, so the shim's stack table grows with N.  Clean.
 * Run with little address space (tests/integration/shim_tests.py), the
 * shim's memory runs out: the program goes on, and the log says its stack
 * table could not grow and the result may be incomplete.  Prints VmPeak. */
#include <stdio.h>
#include "tp.h"

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pool[64];

static void stack_leaf(pthread_mutex_t *m)
{
	TP_CHECK(pthread_mutex_init(m, NULL));
	TP_CHECK(pthread_mutex_lock(&outer));
	TP_CHECK(pthread_mutex_lock(m));
	TP_CHECK(pthread_mutex_unlock(m));
	TP_CHECK(pthread_mutex_unlock(&outer));
	TP_CHECK(pthread_mutex_destroy(m));
}

/* a call stack chosen by the octal digits of n */
static void stack_level(pthread_mutex_t *m, unsigned long n, int depth)
{
	if (depth == 0) {
		stack_leaf(m);
		return;
	}
	switch (n & 7) {
	case 0: stack_level(m, n >> 3, depth - 1); break;
	case 1: stack_level(m, n >> 3, depth - 1); break;
	case 2: stack_level(m, n >> 3, depth - 1); break;
	case 3: stack_level(m, n >> 3, depth - 1); break;
	case 4: stack_level(m, n >> 3, depth - 1); break;
	case 5: stack_level(m, n >> 3, depth - 1); break;
	case 6: stack_level(m, n >> 3, depth - 1); break;
	default: stack_level(m, n >> 3, depth - 1); break;
	}
}

int main(int argc, char **argv)
{
	unsigned long i, n = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	char line[256];
	FILE *f;

	for (i = 0; i < n; i++)
		stack_level(&pool[i % 64], i, 8);
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmPeak:", 7))
			fputs(line, stdout);
	if (f)
		fclose(f);
	return 0;
}
