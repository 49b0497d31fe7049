/* lockhound-expect: clean min_edges=0 min_threads=2 */
/* The correct twin of misuse_invalid_timespec: the same timed lock on a
 * mutex another thread holds, with the deadline normalized (10 ms from
 * now), times out with ETIMEDOUT; a timed lock with a deadline in the past
 * on a free mutex succeeds.  No finding. */
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

static int wait_with_deadline(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 10000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_mutex_timedlock(&queue_lock, &ts);
}

int main(void)
{
	struct timespec past = { 0, 0 };
	pthread_t t;
	int rc;

	tp_sem_init(&held);
	tp_sem_init(&done);
	TP_CHECK(pthread_create(&t, NULL, holder, NULL));
	tp_sem_wait(&held);
	rc = wait_with_deadline();
	tp_sem_post(&done);
	TP_CHECK(pthread_join(t, NULL));
	if (rc != ETIMEDOUT) {
		fprintf(stderr, "timedlock returned %s, not ETIMEDOUT\n", strerror(rc));
		return 2;
	}
	TP_CHECK(pthread_mutex_timedlock(&queue_lock, &past));
	TP_CHECK(pthread_mutex_unlock(&queue_lock));
	return 0;
}
