/* lockhound-expect: misuse count=1 what=barrier-destroy-waiters functions=tear_down ; deadlock count=1 what=stall ended_process=true functions=tear_down,wait_at_gate timeout=20 max_seconds=10 */
/* Destroy of a barrier a thread waits in: the worker waits at a gate
 * barrier of two that main never reaches; main destroys the barrier
 * instead.  glibc's pthread_barrier_destroy waits for the round to end,
 * which it never does: both block forever natively.  lockhound reports the
 * destroy at the call, and the hang as a deadlock (a stall).  The correct
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

static void tear_down(void)
{
	TP_CHECK(pthread_barrier_destroy(&gate)); /* blocks: the worker waits */
}

int main(void)
{
	pthread_t w;

	tp_sem_init(&at_gate);
	tp_barrier_init(&gate, 2);
	w = tp_spawn(wait_at_gate, NULL);
	tp_sem_wait(&at_gate);
	usleep(200000); /* the worker is in the barrier by then */
	tear_down();
	tp_join(w);
	return 0;
}
