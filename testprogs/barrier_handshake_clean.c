/* lockhound-expect: clean min_edges=0 min_threads=6 timeout=30 */
/* The correct twin of deadlock_barrier_extra_waiter: barriers waited on by
 * exactly their count in every round.  A start barrier of two is a
 * handshake between main and each new worker in turn (three workers in
 * all, each of which may arrive before main does: more distinct threads
 * than the count, never more than two in a round); a checkpoint barrier
 * of three is passed by three workers five times.  No finding. */
#include "tp.h"

#define ROUNDS 5

static pthread_barrier_t start, checkpoint;
static sem_t release_workers;
static long steps;

static void *handshake_worker(void *arg)
{
	(void)arg;
	tp_barrier_wait(&start);
	tp_sem_wait(&release_workers);
	return NULL;
}

static void *checkpoint_worker(void *arg)
{
	int r;
	(void)arg;
	for (r = 0; r < ROUNDS; r++)
		if (pthread_barrier_wait(&checkpoint) == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_add_fetch(&steps, 1, __ATOMIC_RELAXED);
	return NULL;
}

int main(void)
{
	pthread_t hs[3], cp[3];
	int i;

	tp_sem_init(&release_workers);
	tp_barrier_init(&start, 2);
	tp_barrier_init(&checkpoint, 3);
	for (i = 0; i < 3; i++) {
		hs[i] = tp_spawn(handshake_worker, NULL);
		tp_barrier_wait(&start); /* met by worker i */
	}
	for (i = 0; i < 3; i++)
		tp_sem_post(&release_workers);
	for (i = 0; i < 3; i++)
		tp_join(hs[i]);
	for (i = 0; i < 3; i++)
		cp[i] = tp_spawn(checkpoint_worker, NULL);
	for (i = 0; i < 3; i++)
		tp_join(cp[i]);
	printf("steps %ld\n", steps);
	return steps == ROUNDS ? 0 : 1;
}
