/* uncontended: every thread locks and unlocks a private mutex in a loop.
 * The cost of a tool's lock/unlock fast path, nothing else. */
#include "bench.h"

#define TOTAL 40000000L /* lock/unlock pairs at SCALE 1, over all threads */

struct slot {
	pthread_mutex_t m;
	long count;
	long iters;
} __attribute__((aligned(128)));

static void *worker(void *p)
{
	struct slot *s = p;
	long i;

	for (i = 0; i < s->iters; i++) {
		pthread_mutex_lock(&s->m);
		s->count++;
		pthread_mutex_unlock(&s->m);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct slot *s;
	long total = 0;
	int i;

	bench_args(argc, argv);
	s = aligned_alloc(128, sizeof(*s) * (size_t)bench_threads);
	memset(s, 0, sizeof(*s) * (size_t)bench_threads);
	for (i = 0; i < bench_threads; i++) {
		pthread_mutex_init(&s[i].m, NULL);
		s[i].iters = TOTAL * bench_scale / bench_threads;
	}
	bench_run_threads(bench_threads, worker, s, sizeof(*s));
	for (i = 0; i < bench_threads; i++) {
		total += s[i].count;
		pthread_mutex_destroy(&s[i].m);
	}
	printf("uncontended pairs=%ld\n", total);
	free(s);
	return 0;
}
