/* lockhound-expect: misuse count=1 what=join-self functions=wait_for_workers min_edges=0 */
/* A thread joins itself: glibc refuses with EDEADLK (it would wait
 * forever), which the program ignores.  lockhound reports join-self at the
 * call and keeps the EDEADLK.  The correct twin is misuse_thread_clean. */
#include "tp.h"

static pthread_t workers[2];
static int n_workers;

static void *work(void *arg)
{
	(void)arg;
	return NULL;
}

static void wait_for_workers(void)
{
	int i;

	for (i = 0; i < n_workers; i++) {
		int rc = pthread_join(workers[i], NULL);
		if (rc != 0 && rc != EDEADLK) {
			fprintf(stderr, "join: %s\n", strerror(rc));
			exit(2);
		}
	}
}

int main(void)
{
	TP_CHECK(pthread_create(&workers[n_workers++], NULL, work, NULL));
	workers[n_workers++] = pthread_self(); /* the bug: main lists itself */
	wait_for_workers();
	return 0;
}
