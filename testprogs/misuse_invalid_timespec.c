/* lockhound-expect: misuse count=1 what=invalid-timespec locks=1 functions=wait_with_bad_deadline min_threads=2 */
/* A timed lock whose deadline is not a valid time (tv_nsec of one
 * second): while another thread holds the mutex, glibc must look at the
 * deadline and fails with EINVAL instead of waiting.  lockhound reports
 * invalid-timespec at the call and keeps the EINVAL.  The correct twin is
 * misuse_invalid_timespec_clean. */
#include "tp.h"

#include <time.h>

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t held, done;

static void *holder(void *arg)
{
	(void)arg;
	TP_CHECK(pthread_mutex_lock(&queue_lock));
	tp_sem_post(&held);
	tp_sem_wait(&done);
	TP_CHECK(pthread_mutex_unlock(&queue_lock));
	return NULL;
}

static int wait_with_bad_deadline(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 1000000000L; /* the bug: not normalized into tv_sec */
	return pthread_mutex_timedlock(&queue_lock, &ts);
}

int main(void)
{
	pthread_t t;
	int rc;

	tp_sem_init(&held);
	tp_sem_init(&done);
	TP_CHECK(pthread_create(&t, NULL, holder, NULL));
	tp_sem_wait(&held);
	rc = wait_with_bad_deadline();
	tp_sem_post(&done);
	TP_CHECK(pthread_join(t, NULL));
	if (rc != EINVAL) {
		fprintf(stderr, "timedlock returned %s, not EINVAL\n", strerror(rc));
		return 2;
	}
	return 0;
}
