/* lockhound-sampled: clean */
/* Clean twin of racy_counter and racy_stats_many: the counter is changed
 * only by atomic read-modify-writes (lock xadd) and read by atomic loads.
 * Atomic instructions are never a side of a race. */
#include <stdatomic.h>

#include "sb.h"

#define N_THREADS 4

atomic_long counter;
static long added[N_THREADS];

static void *bump(void *arg)
{
	int me = (int)(intptr_t)arg;

	while (sb_running())
		for (int i = 0; i < 64; i++) {
			atomic_fetch_add(&counter, 1);
			added[me]++;
		}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[N_THREADS];
	long sum = 0;

	sb_end_ns = sb_deadline(argc, argv);
	sb_spawn(t, N_THREADS, bump);
	sb_join(t, N_THREADS);
	for (int i = 0; i < N_THREADS; i++)
		sum += added[i];
	printf("clean_atomics: %s\n", sum == atomic_load(&counter) ? "count exact" : "COUNT WRONG");
	return sum != atomic_load(&counter);
}
