/* itemlru: memcached's nesting.  Every thread takes one of ITEMS "item"
 * locks, then one of LRUS "LRU" locks under it, and releases both, in a
 * loop over pseudo-random pairs: ITEMS x LRUS distinct pairs of lock
 * instances, all formed at the same two call sites.  The cost of an
 * acquisition whose order was recorded already but is one of many
 * (the per-thread cache of edge keys cannot hold them all). */
#include "bench.h"

#define TOTAL 8000000L /* item-then-LRU rounds at SCALE 1, over all threads */
#define ITEMS 4096     /* item locks, initialized at one call site */
#define LRUS 16        /* LRU locks, initialized at another */

static pthread_mutex_t items[ITEMS], lrus[LRUS];
static long counts[LRUS];

struct worker_arg {
	long iters;
	uint32_t seed;
} __attribute__((aligned(64)));

static void *worker(void *p)
{
	struct worker_arg *w = p;
	uint32_t x = w->seed;
	long i;

	for (i = 0; i < w->iters; i++) {
		unsigned it, lr;
		x ^= x << 13; /* xorshift32: the same pairs in every run */
		x ^= x >> 17;
		x ^= x << 5;
		it = x % ITEMS;
		lr = (x >> 12) % LRUS;
		pthread_mutex_lock(&items[it]);
		pthread_mutex_lock(&lrus[lr]);
		counts[lr]++;
		pthread_mutex_unlock(&lrus[lr]);
		pthread_mutex_unlock(&items[it]);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker_arg *w;
	long total = 0;
	int i;

	bench_args(argc, argv);
	for (i = 0; i < ITEMS; i++)
		pthread_mutex_init(&items[i], NULL);
	for (i = 0; i < LRUS; i++)
		pthread_mutex_init(&lrus[i], NULL);
	w = aligned_alloc(64, sizeof(*w) * (size_t)bench_threads);
	memset(w, 0, sizeof(*w) * (size_t)bench_threads);
	for (i = 0; i < bench_threads; i++) {
		w[i].iters = TOTAL * bench_scale / bench_threads;
		w[i].seed = 2463534242u + 7919u * (uint32_t)i;
	}
	bench_run_threads(bench_threads, worker, w, sizeof(*w));
	for (i = 0; i < LRUS; i++)
		total += counts[i];
	printf("itemlru rounds=%ld\n", total);
	free(w);
	return 0;
}
