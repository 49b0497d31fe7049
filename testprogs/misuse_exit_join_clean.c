/* lockhound-expect: clean min_edges=0 min_threads=4 */
/* The correct twin of misuse_join_twice, misuse_detach_joined,
 * misuse_main_exit_holding and misuse_cond_invalid_timespec, and the
 * case exit-holding-locks must not report: every worker is joined once and
 * never detached afterwards, and a handle reused for a new thread is that
 * thread's (joined again, legitimately); a worker ends while holding a
 * robust mutex, on purpose, and main recovers it from EOWNERDEAD; main
 * releases what it holds before returning; a timed condition wait with a
 * normalized deadline times out.  No finding. */
#include "tp.h"

#include <time.h>

static pthread_mutex_t state_mu; /* robust */
static pthread_mutex_t reply_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reply_ready = PTHREAD_COND_INITIALIZER;

static void *work(void *arg)
{
	(void)arg;
	return NULL;
}

static void *die_holding_state(void *arg)
{
	(void)arg;
	TP_CHECK(pthread_mutex_lock(&state_mu));
	return NULL; /* the robust mutex's next locker gets EOWNERDEAD */
}

static void recover_state(void)
{
	int rc = pthread_mutex_lock(&state_mu);

	if (rc != EOWNERDEAD) {
		fprintf(stderr, "expected EOWNERDEAD, got %d\n", rc);
		exit(2);
	}
	TP_CHECK(pthread_mutex_consistent(&state_mu));
	TP_CHECK(pthread_mutex_unlock(&state_mu));
}

static void timed_wait_normalized(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	TP_CHECK(pthread_mutex_lock(&reply_mu));
	if (pthread_cond_timedwait(&reply_ready, &reply_mu, &ts) != ETIMEDOUT)
		exit(2);
	TP_CHECK(pthread_mutex_unlock(&reply_mu));
}

int main(void)
{
	pthread_mutexattr_t at;
	pthread_t w;
	int i;

	/* one after the other: glibc hands the same handle out again */
	for (i = 0; i < 2; i++)
		tp_join(tp_spawn(work, NULL));
	w = tp_spawn(work, NULL);
	TP_CHECK(pthread_detach(w)); /* detached, never joined */

	TP_CHECK(pthread_mutexattr_init(&at));
	TP_CHECK(pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST));
	TP_CHECK(pthread_mutex_init(&state_mu, &at));
	TP_CHECK(pthread_mutexattr_destroy(&at));
	tp_join(tp_spawn(die_holding_state, NULL));
	recover_state();

	timed_wait_normalized();
	TP_CHECK(pthread_mutex_lock(&reply_mu));
	TP_CHECK(pthread_mutex_unlock(&reply_mu)); /* nothing held at return */
	return 0;
}
