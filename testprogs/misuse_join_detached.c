/* lockhound-expect: misuse count=1 what=join-detached functions=collect_result min_threads=2 min_edges=0 */
/* Joining a thread that was detached: glibc refuses with EINVAL (the
 * thread is still running, so the call is defined), and the program never
 * learns whether the thread finished.  lockhound reports join-detached at
 * the join and keeps the EINVAL.  The correct twin is misuse_thread_clean. */
#include "tp.h"

static sem_t go, finished;

static void *work(void *arg)
{
	(void)arg;
	tp_sem_wait(&go);
	tp_sem_post(&finished);
	return NULL;
}

static int collect_result(pthread_t t)
{
	return pthread_join(t, NULL); /* the bug: t was detached */
}

int main(void)
{
	pthread_t t;
	int rc;

	tp_sem_init(&go);
	tp_sem_init(&finished);
	TP_CHECK(pthread_create(&t, NULL, work, NULL));
	TP_CHECK(pthread_detach(t));
	rc = collect_result(t); /* t waits for `go`: still running */
	tp_sem_post(&go);
	tp_sem_wait(&finished);
	if (rc != EINVAL) {
		fprintf(stderr, "join of a detached thread returned %s, not EINVAL\n", strerror(rc));
		return 2;
	}
	return 0;
}
