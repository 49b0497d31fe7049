/* compute: a compute-heavy loop over shared, read-only data.  Each thread
 * hashes its slice of a shared array for several passes and merges its
 * result under a mutex once per pass: locks are rare, memory accesses are
 * not (what a race detector that watches memory pays for). */
#include "bench.h"

#define N (1L << 20) /* shared array: 4 MiB of uint32 */
#define PASSES 768L  /* at SCALE 1 */

static uint32_t *data;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t result;

struct arg {
	long lo, hi, passes;
};

static void *worker(void *p)
{
	struct arg *a = p;
	long pass, i;

	for (pass = 0; pass < a->passes; pass++) {
		uint64_t acc = (uint64_t)pass;
		for (i = a->lo; i < a->hi; i++) {
			acc += (uint64_t)data[i] * 0x9E3779B97F4A7C15ull;
			acc ^= acc >> 29;
		}
		pthread_mutex_lock(&mu);
		result += acc; /* addition commutes: the total is deterministic */
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct arg *a;
	uint32_t x = 2463534242u;
	long i;
	int t;

	bench_args(argc, argv);
	data = malloc(N * sizeof(*data));
	for (i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = x;
	}
	a = calloc((size_t)bench_threads, sizeof(*a));
	for (t = 0; t < bench_threads; t++) {
		a[t].lo = N * t / bench_threads;
		a[t].hi = N * (t + 1) / bench_threads;
		a[t].passes = PASSES * bench_scale;
	}
	bench_run_threads(bench_threads, worker, a, sizeof(*a));
	printf("compute result=%016llx\n", (unsigned long long)result);
	free(a);
	free(data);
	return 0;
}
