/* lockhound-sampled: racy variable=counter var_kind=global */
/* Four threads increment one global counter with no synchronization at all:
 * the plainest write/write race.  Built natively; sampled race watching must
 * name `counter`. */
#include "sb.h"

#define N_THREADS 4

long counter; /* written by every thread, no lock */

static void *bump(void *arg)
{
	while (sb_running())
		for (int i = 0; i < 64; i++)
			counter++;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[N_THREADS];

	sb_end_ns = sb_deadline(argc, argv);
	sb_spawn(t, N_THREADS, bump);
	sb_join(t, N_THREADS);
	printf("racy_counter: done\n");
	return 0;
}
