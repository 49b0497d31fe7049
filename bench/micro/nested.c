/* nested: every thread takes its private A, then its private B, and
 * releases them, in a loop.  Each acquisition of B while holding A is a
 * lock-order edge: the cost of the edge fast path (already recorded). */
#include "bench.h"

#define TOTAL 20000000L /* A-then-B rounds at SCALE 1, over all threads */

struct slot {
	pthread_mutex_t a, b;
	long count;
	long iters;
} __attribute__((aligned(128)));

static void *worker(void *p)
{
	struct slot *s = p;
	long i;

	for (i = 0; i < s->iters; i++) {
		pthread_mutex_lock(&s->a);
		pthread_mutex_lock(&s->b);
		s->count++;
		pthread_mutex_unlock(&s->b);
		pthread_mutex_unlock(&s->a);
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
		pthread_mutex_init(&s[i].a, NULL);
		pthread_mutex_init(&s[i].b, NULL);
		s[i].iters = TOTAL * bench_scale / bench_threads;
	}
	bench_run_threads(bench_threads, worker, s, sizeof(*s));
	for (i = 0; i < bench_threads; i++)
		total += s[i].count;
	printf("nested rounds=%ld\n", total);
	free(s);
	return 0;
}
