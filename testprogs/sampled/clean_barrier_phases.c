/* lockhound-sampled: clean */
/* Barrier phases: in each phase every thread writes its own cell, then,
 * after a barrier, reads every other thread's cell, then waits at a second
 * barrier before the next phase writes again.  Whether to go on is decided
 * by thread 0 between the barriers. */
#include "sb.h"

#define N_THREADS 4

long cells[N_THREADS];
static pthread_barrier_t bar;
static int go_on = 1; /* written by thread 0 only between the two barriers */

static void *phase(void *arg)
{
	int me = (int)(intptr_t)arg;
	int ok = 1;

	for (long ph = 1;; ph++) {
		cells[me] = ph * 100 + me;
		pthread_barrier_wait(&bar);
		for (int i = 0; i < N_THREADS; i++)
			ok &= cells[i] == ph * 100 + i;
		if (me == 0)
			go_on = sb_running();
		pthread_barrier_wait(&bar);
		if (!go_on)
			break;
	}
	return (void *)(intptr_t)ok;
}

int main(int argc, char **argv)
{
	pthread_t t[N_THREADS];
	int ok = 1;

	SB_CHECK(pthread_barrier_init(&bar, NULL, N_THREADS));
	sb_end_ns = sb_deadline(argc, argv);
	sb_spawn(t, N_THREADS, phase);
	for (int i = 0; i < N_THREADS; i++) {
		void *r;

		SB_CHECK(pthread_join(t[i], &r));
		ok &= r != NULL;
	}
	printf("clean_barrier_phases: %s\n", ok ? "every phase consistent" : "A PHASE WAS TORN");
	return !ok;
}
