/* contended: all threads increment one counter under one mutex, with a
 * little private work between critical sections so the lock changes hands
 * often. */
#include "bench.h"

#define TOTAL 8000000L /* critical sections at SCALE 1, over all threads */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

struct arg {
	long iters;
	unsigned long local;
};

static void *worker(void *p)
{
	struct arg *a = p;
	unsigned long x = 88172645463325252ul;
	long i;
	int k;

	for (i = 0; i < a->iters; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
		for (k = 0; k < 8; k++) { /* xorshift: private work */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
	}
	a->local = x;
	return NULL;
}

int main(int argc, char **argv)
{
	struct arg *a;
	int i;

	bench_args(argc, argv);
	a = calloc((size_t)bench_threads, sizeof(*a));
	for (i = 0; i < bench_threads; i++)
		a[i].iters = TOTAL * bench_scale / bench_threads;
	bench_run_threads(bench_threads, worker, a, sizeof(*a));
	printf("contended counter=%ld\n", counter);
	free(a);
	return 0;
}
