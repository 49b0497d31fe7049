/* lockhound-expect: misuse count=1 what=join-twice functions=collect_results min_edges=0 */
/* A thread joined twice: the pool joins every worker when it drains, and
 * again at shutdown.  After the first join the thread's handle names
 * freed memory (or a new thread that reuses it): glibc answers the second
 * join with EINVAL here, which the program ignores.  lockhound reports
 * join-twice at the second call.  The correct twin is
 * misuse_exit_join_clean. */
#include "tp.h"

#define N_WORKERS 2

static pthread_t workers[N_WORKERS];

static void *work(void *arg)
{
	(void)arg;
	return NULL;
}

static void collect_results(void)
{
	int i;

	for (i = 0; i < N_WORKERS; i++)
		(void)pthread_join(workers[i], NULL); /* the result is not checked */
}

int main(void)
{
	int i;

	for (i = 0; i < N_WORKERS; i++)
		workers[i] = tp_spawn(work, NULL);
	collect_results(); /* drain */
	collect_results(); /* shutdown: joins them again */
	return 0;
}
