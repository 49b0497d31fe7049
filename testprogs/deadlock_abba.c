/* lockhound-expect: deadlock count=1 what=cycle locks=2 ended_process=true functions=hold_a_then_lock_b,hold_b_then_lock_a timeout=20 max_seconds=10 */
/* A real ABBA deadlock: one thread holds A and blocks locking B, the other
 * holds B and blocks locking A.  A barrier makes sure both hold their first
 * lock before either asks for its second, so this hangs forever natively;
 * lockhound's watchdog must see the cycle of waits and end the process. */
#include "tp.h"

static pthread_mutex_t lock_a, lock_b;
static pthread_barrier_t both_hold_first;

static void *hold_a_then_lock_b(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&lock_a));
	tp_barrier_wait(&both_hold_first);
	TP_CHECK(pthread_mutex_lock(&lock_b)); /* blocks forever */
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	return NULL;
}

static void *hold_b_then_lock_a(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&lock_b));
	tp_barrier_wait(&both_hold_first);
	TP_CHECK(pthread_mutex_lock(&lock_a)); /* blocks forever */
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	tp_barrier_init(&both_hold_first, 2);

	pthread_t t1 = tp_spawn(hold_a_then_lock_b, NULL);
	pthread_t t2 = tp_spawn(hold_b_then_lock_a, NULL);
	tp_join(t1);
	tp_join(t2);
	fprintf(stderr, "deadlock_abba: finished, which should be impossible\n");
	return 1;
}
