/* lockhound-expect: deadlock count=1 what=cycle locks=1 ended_process=true functions=timed_waiter,join_holding_cond_mutex timeout=20 max_seconds=10 */
/* A timed condition wait can still end in a deadlock: once its timeout
 * expires, pthread_cond_timedwait must take the mutex back before it
 * returns, and that re-acquisition has no timeout.  Here the worker waits
 * in pthread_cond_timedwait(cv, m) with a 1 s timeout; main locks m (the
 * wait released it) and joins the worker while holding m.  Nobody signals:
 * the timeout expires, the worker blocks taking m back, main waits for the
 * worker to end - a cycle of waits, for ever (natively too).  The timed
 * wait stops being timed when its timeout has passed. */
#include <time.h>
#include "tp.h"

static pthread_mutex_t m_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;
static sem_t worker_holds_m;

static void *timed_waiter(void *arg)
{
	struct timespec deadline;
	int rc;

	TP_CHECK(pthread_mutex_lock(&m_lock));
	tp_sem_post(&worker_holds_m);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 1;
	do
		rc = pthread_cond_timedwait(&never_signalled, &m_lock, &deadline);
	while (rc == 0); /* a spurious wake-up: wait again, same deadline */
	if (rc != ETIMEDOUT) {
		fprintf(stderr, "timed_waiter: pthread_cond_timedwait: %s\n", strerror(rc));
		exit(2);
	}
	TP_CHECK(pthread_mutex_unlock(&m_lock));
	return NULL;
}

static void join_holding_cond_mutex(void)
{
	pthread_t t = tp_spawn(timed_waiter, NULL);
	tp_sem_wait(&worker_holds_m);
	TP_CHECK(pthread_mutex_lock(&m_lock)); /* the worker is in its wait now */
	tp_join(t); /* the worker needs m to return: blocks forever */
	TP_CHECK(pthread_mutex_unlock(&m_lock));
}

int main(void)
{
	tp_sem_init(&worker_holds_m);
	join_holding_cond_mutex();
	fprintf(stderr, "deadlock_cond_timedwait_reacquire: finished, which should be impossible\n");
	return 1;
}
