/* lockhound-expect: clean timeout=20 */
/* A long wait is not a deadlock.  T1 holds A and works (busy, no sleeping)
 * for about 2.5 s; T2 holds B and blocks locking A; T3 blocks locking B.
 * main blocks in pthread_join.  Every wait lasts well past the watchdog's
 * 1 s grace, but the waits form a chain (T3 -> T2 -> T1, main -> T1), not a
 * cycle, and T1 is running: everything finishes.  A is always taken before
 * B, so there is no lock-order inversion either. */
#include <time.h>
#include "tp.h"

static pthread_mutex_t lock_a, lock_b;
static sem_t a_held, b_held;
static volatile unsigned long work_done;
static long value;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *busy_worker_holding_a(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&lock_a));
	tp_sem_post(&a_held);
	double end = now_s() + 2.5;
	while (now_s() < end)
		work_done++;
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	return NULL;
}

static void *holds_b_waits_for_a(void *arg)
{
	tp_sem_wait(&a_held);
	TP_CHECK(pthread_mutex_lock(&lock_b));
	tp_sem_post(&b_held);
	TP_CHECK(pthread_mutex_lock(&lock_a)); /* waits ~2.5 s */
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	return NULL;
}

static void *waits_for_b(void *arg)
{
	tp_sem_wait(&b_held);
	TP_CHECK(pthread_mutex_lock(&lock_b)); /* waits behind T2 */
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	tp_sem_init(&a_held);
	tp_sem_init(&b_held);

	pthread_t t1 = tp_spawn(busy_worker_holding_a, NULL);
	pthread_t t2 = tp_spawn(holds_b_waits_for_a, NULL);
	pthread_t t3 = tp_spawn(waits_for_b, NULL);
	tp_join(t1);
	tp_join(t2);
	tp_join(t3);
	TP_CHECK(pthread_mutex_destroy(&lock_a));
	TP_CHECK(pthread_mutex_destroy(&lock_b));
	return value == 3 ? 0 : 1;
}
