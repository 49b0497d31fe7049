/* lockhound-expect: misuse count=1 what=detach-joined functions=forget_worker min_edges=0 */
/* A thread detached after it was joined: the worker is joined, and the
 * cleanup path detaches it as well "to be safe".  The handle names a
 * thread that is gone; glibc returns 0 and nothing seems wrong, but the
 * handle may by then be another thread's.  lockhound reports
 * detach-joined at the call.  The correct twin is misuse_exit_join_clean. */
#include "tp.h"

static void *work(void *arg)
{
	(void)arg;
	return NULL;
}

static void forget_worker(pthread_t t)
{
	(void)pthread_detach(t);
}

int main(void)
{
	pthread_t w = tp_spawn(work, NULL);

	tp_join(w);
	forget_worker(w);
	return 0;
}
