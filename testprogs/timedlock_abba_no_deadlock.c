/* lockhound-expect: lock-order-cycle count=1 locks=2 functions=lock_a_then_b,lock_b_then_timed_a timeout=20 max_seconds=10 */
/* An ABBA whose one side uses a timed lock: no deadlock, but still a
 * lock-order inversion.  T1 holds A and blocks (untimed) locking B; T2 holds
 * B and calls pthread_mutex_timedlock(A) with a 1.5 s timeout, so for 1.5 s
 * the two wait for each other.  T2's wait is timed: it gets ETIMEDOUT,
 * backs off (unlocks B), T1 gets B and finishes; then T2 tries again and
 * this time takes B then A.  Both orders A->B and B->A were really taken, so
 * the lock-order cycle is reported; the watchdog must not report a deadlock
 * (a cycle of waits that contains a timed wait is not one). */
#include <time.h>
#include "tp.h"

static pthread_mutex_t lock_a, lock_b;
static pthread_barrier_t both_hold_first;
static sem_t t1_done;
static long value;

static void *lock_a_then_b(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&lock_a));
	tp_barrier_wait(&both_hold_first);
	TP_CHECK(pthread_mutex_lock(&lock_b)); /* waits until T2 backs off */
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	tp_sem_post(&t1_done);
	return NULL;
}

static void *lock_b_then_timed_a(void *arg)
{
	int attempts = 0, rc;

	for (;;) {
		struct timespec deadline;
		TP_CHECK(pthread_mutex_lock(&lock_b));
		if (attempts++ == 0)
			tp_barrier_wait(&both_hold_first);
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 1;
		deadline.tv_nsec += 500000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		rc = pthread_mutex_timedlock(&lock_a, &deadline);
		if (rc == 0)
			break;
		if (rc != ETIMEDOUT) {
			fprintf(stderr, "lock_b_then_timed_a: timedlock: %s\n", strerror(rc));
			exit(2);
		}
		/* back off: give B up, let T1 finish, then try again */
		TP_CHECK(pthread_mutex_unlock(&lock_b));
		tp_sem_wait(&t1_done);
	}
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	return attempts == 2 ? NULL : (void *)1;
}

int main(void)
{
	void *t2_result;

	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	tp_barrier_init(&both_hold_first, 2);
	tp_sem_init(&t1_done);

	pthread_t t1 = tp_spawn(lock_a_then_b, NULL);
	pthread_t t2 = tp_spawn(lock_b_then_timed_a, NULL);
	tp_join(t1);
	TP_CHECK(pthread_join(t2, &t2_result));
	return value == 2 && t2_result == NULL ? 0 : 1;
}
