/* lockhound-expect: misuse count=1 what=barrier-reinit-waiters functions=restart_gate ; deadlock count=1 what=stall ended_process=true timeout=20 max_seconds=10 */
/* A barrier initialized again while a thread waits in it: the worker
 * waits at a gate barrier of two; main, restarting, initializes the gate
 * again and then waits at it.  The new barrier knows nothing of the
 * worker's arrival, so main waits for a second thread and the worker for a
 * round that never ends: both block forever natively.  lockhound reports
 * the init at the call, and the hang as a deadlock (a stall).  The correct
 * twin is stall_waits_clean. */
#include "tp.h"

#include <unistd.h>

static pthread_barrier_t gate;
static sem_t at_gate;

static void *wait_at_gate(void *arg)
{
	tp_sem_post(&at_gate);
	tp_barrier_wait(&gate);
	return NULL;
}

static void restart_gate(void)
{
	tp_barrier_init(&gate, 2); /* the worker waits in it */
}

int main(void)
{
	pthread_t w;

	tp_sem_init(&at_gate);
	tp_barrier_init(&gate, 2);
	w = tp_spawn(wait_at_gate, NULL);
	tp_sem_wait(&at_gate);
	usleep(200000); /* the worker is in the barrier by then */
	restart_gate();
	tp_barrier_wait(&gate);
	tp_join(w);
	return 0;
}
