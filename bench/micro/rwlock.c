/* rwlock: read-mostly access to a shared table under one rwlock: 1 write
 * lock in 64 acquisitions, the rest read locks. */
#include "bench.h"

#define TOTAL 8000000L /* acquisitions at SCALE 1, over all threads */
#define TABLE 1024

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long table[TABLE];

struct arg {
	long iters;
	long seed;
	long sum;
	long writes;
};

static void *worker(void *p)
{
	struct arg *a = p;
	unsigned long x = (unsigned long)a->seed * 2654435761ul + 1;
	long i, sum = 0;

	for (i = 0; i < a->iters; i++) {
		x = x * 6364136223846793005ul + 1442695040888963407ul;
		if ((i & 63) == 63) {
			pthread_rwlock_wrlock(&rw);
			table[(x >> 33) % TABLE]++;
			pthread_rwlock_unlock(&rw);
			a->writes++;
		} else {
			pthread_rwlock_rdlock(&rw);
			sum += table[(x >> 33) % TABLE];
			pthread_rwlock_unlock(&rw);
		}
	}
	a->sum = sum; /* depends on timing: not printed */
	return NULL;
}

int main(int argc, char **argv)
{
	struct arg *a;
	long writes = 0, total = 0;
	int i;

	bench_args(argc, argv);
	a = calloc((size_t)bench_threads, sizeof(*a));
	for (i = 0; i < bench_threads; i++) {
		a[i].iters = TOTAL * bench_scale / bench_threads;
		a[i].seed = i + 1;
	}
	bench_run_threads(bench_threads, worker, a, sizeof(*a));
	for (i = 0; i < bench_threads; i++)
		writes += a[i].writes;
	for (i = 0; i < TABLE; i++)
		total += table[i];
	printf("rwlock writes=%ld table=%ld\n", writes, total);
	free(a);
	return 0;
}
