/* lockhound-expect: misuse count=1 what=detach-detached functions=release_worker min_threads=2 min_edges=0 */
/* Detaching a thread twice: the second pthread_detach fails with EINVAL
 * (the thread is still running, so the call is defined).  lockhound reports
 * detach-detached at the second call and keeps the EINVAL.  The correct
 * twin is misuse_thread_clean. */
#include "tp.h"

static sem_t go, finished;

static void *work(void *arg)
{
	(void)arg;
	tp_sem_wait(&go);
	tp_sem_post(&finished);
	return NULL;
}

static int release_worker(pthread_t t)
{
	return pthread_detach(t); /* the bug: already detached by main */
}

int main(void)
{
	pthread_t t;
	int rc;

	tp_sem_init(&go);
	tp_sem_init(&finished);
	TP_CHECK(pthread_create(&t, NULL, work, NULL));
	TP_CHECK(pthread_detach(t));
	rc = release_worker(t); /* t waits for `go`: still running */
	tp_sem_post(&go);
	tp_sem_wait(&finished);
	if (rc != EINVAL) {
		fprintf(stderr, "second detach returned %s, not EINVAL\n", strerror(rc));
		return 2;
	}
	return 0;
}
