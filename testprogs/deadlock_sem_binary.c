/* lockhound-expect: deadlock count=1 what=cycle locks=2 ended_process=true functions=hold_a_then_take_b,hold_b_then_take_a timeout=20 max_seconds=10 */
/* A real deadlock through binary semaphores used as locks: one thread has
 * A and blocks in sem_wait for B, the other has B and blocks for A.  A
 * barrier makes sure both have their first semaphore before either asks
 * for its second, so this hangs forever natively; the watchdog sees that
 * each waits for a semaphore the other took, reports it and ends it. */
#include "tp.h"

static sem_t sem_a, sem_b;
static pthread_barrier_t both_have_first;

static void *hold_a_then_take_b(void *arg)
{
	tp_sem_wait(&sem_a);
	tp_barrier_wait(&both_have_first);
	tp_sem_wait(&sem_b); /* blocks forever */
	tp_sem_post(&sem_b);
	tp_sem_post(&sem_a);
	return NULL;
}

static void *hold_b_then_take_a(void *arg)
{
	tp_sem_wait(&sem_b);
	tp_barrier_wait(&both_have_first);
	tp_sem_wait(&sem_a); /* blocks forever */
	tp_sem_post(&sem_a);
	tp_sem_post(&sem_b);
	return NULL;
}

int main(void)
{
	if (sem_init(&sem_a, 0, 1) != 0 || sem_init(&sem_b, 0, 1) != 0)
		tp_die("sem_init");
	tp_barrier_init(&both_have_first, 2);

	pthread_t t1 = tp_spawn(hold_a_then_take_b, NULL);
	pthread_t t2 = tp_spawn(hold_b_then_take_a, NULL);
	tp_join(t1);
	tp_join(t2);
	fprintf(stderr, "deadlock_sem_binary: finished, which should be impossible\n");
	return 1;
}
