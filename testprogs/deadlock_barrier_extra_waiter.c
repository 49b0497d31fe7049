/* lockhound-expect: deadlock count=1 what=stall ended_process=true functions=reach_checkpoint timeout=20 max_seconds=10 ; misuse count=1 what_all=barrier-extra-waiter locks=1 */
/* A barrier waited on by more threads than its count: three workers meet
 * at a checkpoint barrier made for two.  Two pass the first round; the
 * third starts a second round that no thread will ever complete, and main
 * waits in pthread_join for it.  Every thread is blocked and no one is
 * left to arrive: hangs forever natively, and lockhound reports the hang
 * (a stall) and ends the program, with barrier-extra-waiter for the third
 * worker (each thread arrived once, three for a count of two).  The
 * correct twins are stall_waits_clean and barrier_handshake_clean; a
 * barrier that hangs after rounds is deadlock_barrier_rounds_stall. */
#include "tp.h"

#define N_WORKERS 3

static pthread_barrier_t checkpoint;
static sem_t passed;

static void *reach_checkpoint(void *arg)
{
	tp_barrier_wait(&checkpoint);
	tp_sem_post(&passed);
	return NULL;
}

int main(void)
{
	pthread_t w[N_WORKERS];
	int i;

	tp_sem_init(&passed);
	tp_barrier_init(&checkpoint, N_WORKERS - 1); /* one short */
	/* the first two fill the round, then the third comes */
	for (i = 0; i < N_WORKERS - 1; i++)
		w[i] = tp_spawn(reach_checkpoint, NULL);
	for (i = 0; i < N_WORKERS - 1; i++)
		tp_sem_wait(&passed);
	w[N_WORKERS - 1] = tp_spawn(reach_checkpoint, NULL);
	for (i = 0; i < N_WORKERS; i++)
		tp_join(w[i]); /* blocks on the worker left in the barrier */
	return 0;
}
