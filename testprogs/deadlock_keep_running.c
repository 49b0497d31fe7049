/* lockhound-expect: deadlock count=1 what=cycle locks=2 ended_process=false functions=keep_hold_a_lock_b,keep_hold_b_lock_a options=deadlock_grace_ms=300:deadlock_exit=0 timeout=20 max_seconds=10 */
/* deadlock_exit=0: the watchdog reports the deadlock but leaves the process
 * alone.  Two detached workers deadlock (ABBA, barrier-synchronized), and
 * main, which does not join them, sleeps 2 s and then returns 0: the process
 * ends by itself (natively too), with the two workers still stuck.  The
 * report must hold the deadlock, marked as not having ended the process;
 * lockhound run exits 66 because there is a finding. */
#include <time.h>
#include "tp.h"

static pthread_mutex_t lock_a, lock_b;
static pthread_barrier_t both_hold_first;

static void *keep_hold_a_lock_b(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&lock_a));
	tp_barrier_wait(&both_hold_first);
	TP_CHECK(pthread_mutex_lock(&lock_b)); /* blocks until the process ends */
	return NULL;
}

static void *keep_hold_b_lock_a(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&lock_b));
	tp_barrier_wait(&both_hold_first);
	TP_CHECK(pthread_mutex_lock(&lock_a)); /* blocks until the process ends */
	return NULL;
}

int main(void)
{
	struct timespec two_s = { 2, 0 };

	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	tp_barrier_init(&both_hold_first, 2);

	TP_CHECK(pthread_detach(tp_spawn(keep_hold_a_lock_b, NULL)));
	TP_CHECK(pthread_detach(tp_spawn(keep_hold_b_lock_a, NULL)));
	while (nanosleep(&two_s, &two_s) != 0 && errno == EINTR)
		;
	printf("deadlock_keep_running: main still running after the deadlock\n");
	return 0;
}
