/* lockhound-expect: deadlock count=1 what=stall ended_process=true functions=step_together timeout=20 max_seconds=10 */
/* A barrier of two that hangs, but is not waited on by more threads than
 * its count: main and a first worker pass it twice (two rounds), the
 * worker ends, and a second worker arrives alone while main, which should
 * have met it there, waits in pthread_join instead.  lockhound reports
 * the stall (every thread blocked, nobody left to arrive); it does not
 * report barrier-extra-waiter, because threads passed this barrier more
 * than once: with rounds, or a partner that changes, a third thread is no
 * sign of a count too small.  The scenario with the misuse is
 * deadlock_barrier_extra_waiter. */
#include "tp.h"

static pthread_barrier_t step;

static void step_together(void)
{
	tp_barrier_wait(&step);
}

static void *first_worker(void *arg)
{
	(void)arg;
	step_together();
	step_together();
	return NULL;
}

static void *second_worker(void *arg)
{
	(void)arg;
	step_together(); /* main never comes */
	return NULL;
}

int main(void)
{
	pthread_t w;

	tp_barrier_init(&step, 2);
	w = tp_spawn(first_worker, NULL);
	step_together();
	step_together();
	tp_join(w);
	w = tp_spawn(second_worker, NULL);
	tp_join(w); /* the bug: main forgot its step_together() */
	return 0;
}
