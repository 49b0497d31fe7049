/* lockhound-expect: deadlock count=1 what=cycle locks=2 ended_process=true functions=take_both,sampled_outer_ab,sampled_outer_ba timeout=20 max_seconds=10 */
/* ABBA through a helper: both threads lock their pair in take_both, called
 * from sampled_outer_ab and sampled_outer_ba.  The call sites of the waits
 * name only take_both; the callers are in the stacks only if the watchdog
 * sampled the blocked threads after writing the finding and the analyzer
 * merged those stacks (the finding-stacks record) into the one finding. */
#include "tp.h"

static pthread_mutex_t lock_a, lock_b;
static pthread_barrier_t both_hold_first;

static __attribute__((noinline)) void take_both(pthread_mutex_t *first, pthread_mutex_t *second)
{
	TP_CHECK(pthread_mutex_lock(first));
	tp_barrier_wait(&both_hold_first);
	TP_CHECK(pthread_mutex_lock(second)); /* the other thread holds it: blocks for good */
	TP_CHECK(pthread_mutex_unlock(second));
	TP_CHECK(pthread_mutex_unlock(first));
}

static __attribute__((noinline)) void *sampled_outer_ab(void *arg)
{
	take_both(&lock_a, &lock_b);
	return arg;
}

static __attribute__((noinline)) void *sampled_outer_ba(void *arg)
{
	take_both(&lock_b, &lock_a);
	return arg;
}

int main(void)
{
	pthread_t t1, t2;

	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	tp_barrier_init(&both_hold_first, 2);
	t1 = tp_spawn(sampled_outer_ab, NULL);
	t2 = tp_spawn(sampled_outer_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	return 0;
}
