/* lockhound-expect: deadlock count=1 what=cycle locks=2 ended_process=false functions=keep_a_take_b,keep_b_take_a options=deadlock_grace_ms=300:deadlock_exit=0 timeout=20 max_seconds=10 */
/* deadlock_exit=0 with a deadlock through binary semaphores: the watchdog
 * reports it, samples the two blocked threads' stacks with its signal and
 * leaves the process alone.  The signal must not show: sem_wait would fail
 * with EINTR, which each worker checks for (exit status 3).  main sleeps
 * 2 s and returns 0 with the workers still stuck; lockhound run exits 66
 * for the finding. */
#include <time.h>
#include <unistd.h>
#include "tp.h"

static sem_t sem_a, sem_b;
static pthread_barrier_t both_have_first;

static void strict_wait(sem_t *s)
{
	if (sem_wait(s) != 0) {
		fprintf(stderr, "deadlock_sem_keep_running: sem_wait: %s\n", strerror(errno));
		_exit(3);
	}
}

static void *keep_a_take_b(void *arg)
{
	strict_wait(&sem_a);
	tp_barrier_wait(&both_have_first);
	strict_wait(&sem_b); /* blocks until the process ends */
	return NULL;
}

static void *keep_b_take_a(void *arg)
{
	strict_wait(&sem_b);
	tp_barrier_wait(&both_have_first);
	strict_wait(&sem_a); /* blocks until the process ends */
	return NULL;
}

int main(void)
{
	struct timespec two_s = { 2, 0 };
	pthread_attr_t detached;

	if (sem_init(&sem_a, 0, 1) != 0 || sem_init(&sem_b, 0, 1) != 0)
		tp_die("sem_init");
	tp_barrier_init(&both_have_first, 2);
	TP_CHECK(pthread_attr_init(&detached));
	TP_CHECK(pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED));
	pthread_t t;
	TP_CHECK(pthread_create(&t, &detached, keep_a_take_b, NULL));
	TP_CHECK(pthread_create(&t, &detached, keep_b_take_a, NULL));
	while (nanosleep(&two_s, &two_s) != 0 && errno == EINTR)
		;
	return 0;
}
