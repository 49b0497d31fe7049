/* lockhound-expect: deadlock count=1 what=cycle locks=3 ended_process=true functions=ring_hold_a_lock_b,ring_hold_b_lock_c,ring_hold_c_lock_a timeout=20 max_seconds=10 */
/* A real three-thread ring deadlock: T1 holds A and blocks on B, T2 holds B
 * and blocks on C, T3 holds C and blocks on A.  A barrier makes every thread
 * hold its first lock before any asks for its second, so this hangs forever
 * natively; lockhound must report one cycle of three waits and end it. */
#include "tp.h"

static pthread_mutex_t lock_a, lock_b, lock_c;
static pthread_barrier_t all_hold_first;

static void hold_then_lock(pthread_mutex_t *held, pthread_mutex_t *wanted)
{
	TP_CHECK(pthread_mutex_lock(held));
	tp_barrier_wait(&all_hold_first);
	TP_CHECK(pthread_mutex_lock(wanted)); /* blocks forever */
	TP_CHECK(pthread_mutex_unlock(wanted));
	TP_CHECK(pthread_mutex_unlock(held));
}

static void *ring_hold_a_lock_b(void *arg)
{
	hold_then_lock(&lock_a, &lock_b);
	return NULL;
}

static void *ring_hold_b_lock_c(void *arg)
{
	hold_then_lock(&lock_b, &lock_c);
	return NULL;
}

static void *ring_hold_c_lock_a(void *arg)
{
	hold_then_lock(&lock_c, &lock_a);
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	TP_CHECK(pthread_mutex_init(&lock_c, NULL));
	tp_barrier_init(&all_hold_first, 3);

	pthread_t t1 = tp_spawn(ring_hold_a_lock_b, NULL);
	pthread_t t2 = tp_spawn(ring_hold_b_lock_c, NULL);
	pthread_t t3 = tp_spawn(ring_hold_c_lock_a, NULL);
	tp_join(t1);
	tp_join(t2);
	tp_join(t3);
	fprintf(stderr, "deadlock_ring3: finished, which should be impossible\n");
	return 1;
}
