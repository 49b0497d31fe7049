/* lockhound-sampled: clean */
/* Per-thread slots of one array: each thread writes only slots[me] (8
 * bytes, aligned), so neighbouring threads touch the same page and cache
 * line but never the same bytes.  Main reads them after join. */
#include "sb.h"

#define N_THREADS 4

long slots[N_THREADS];

static void *fill(void *arg)
{
	int me = (int)(intptr_t)arg;

	/* one round at least: on a loaded machine a thread may start after
	 * the deadline (then a while loop left its slot empty, natively too) */
	do
		for (int i = 0; i < 64; i++)
			slots[me]++;
	while (sb_running());
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[N_THREADS];
	int ok = 1;

	sb_end_ns = sb_deadline(argc, argv);
	sb_spawn(t, N_THREADS, fill);
	sb_join(t, N_THREADS);
	for (int i = 0; i < N_THREADS; i++)
		ok &= slots[i] > 0;
	printf("clean_per_thread_slots: %s\n", ok ? "every slot filled" : "A SLOT IS EMPTY");
	return !ok;
}
