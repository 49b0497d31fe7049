/* lockhound-expect: clean min_edges=1 min_threads=3 */
/* Growing and shrinking buffers under locks: two threads each take list_mu
 * then stats_mu (one consistent order) and grow a buffer with realloc and
 * reallocarray, shrink it, and hand it to free, thousands of times.  It
 * prints one checksum line that does not depend on the allocator or the
 * schedule, so a run under the shim, with or without another allocator
 * preloaded (tests/integration/shim_tests.py: shim_other_allocators), must
 * print the native line and exit 0.  A block that reaches an allocator that
 * does not own it aborts the program instead. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 2000
#define STEPS 24

static pthread_mutex_t list_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t total; /* under stats_mu */

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	int r, s;

	for (r = 0; r < ROUNDS; r++) {
		unsigned char *buf = NULL;
		size_t n = 0;
		uint64_t sum = 0;

		for (s = 1; s <= STEPS; s++) {
			size_t grow = (size_t)s * (16 + (seed + (unsigned)r) % 200);
			unsigned char *nb = s % 2 ? realloc(buf, n + grow)
			                          : reallocarray(buf, n + grow, 1);
			if (!nb) {
				free(buf);
				return (void *)1;
			}
			buf = nb;
			memset(buf + n, s, grow);
			n += grow;
		}
		buf = realloc(buf, n / 2); /* shrinks: the first half stays */
		if (!buf)
			return (void *)1;
		for (size_t i = 0; i < n / 2; i++)
			sum += buf[i];
		pthread_mutex_lock(&list_mu);
		pthread_mutex_lock(&stats_mu);
		total += sum;
		pthread_mutex_unlock(&stats_mu);
		pthread_mutex_unlock(&list_mu);
		free(buf);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[2];
	void *rv;
	int i, bad = 0;

	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)(i * 7)) != 0)
			return 2;
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], &rv);
		bad |= rv != NULL;
	}
	if (bad)
		return 1;
	printf("realloc_churn total=%llu\n", (unsigned long long)total);
	return 0;
}
