/* lockhound-expect: misuse count=1 what=sem-destroy-waiters locks=1 functions=tear_down,wait_for_work min_edges=0 min_threads=2 timeout=30 */
/* sem_destroy while another thread waits on the semaphore: the worker
 * blocks in sem_timedwait on `work` (a 3 s deadline, so the program ends
 * natively too), and main destroys `work` meanwhile.  lockhound reports
 * sem-destroy-waiters at the sem_destroy, naming the waiting thread and
 * where it waits.  The correct twin is misuse_sem_lifecycle_clean. */
#include <time.h>
#include "tp.h"

static sem_t work, worker_ready;

static void *wait_for_work(void *arg)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3;
	tp_sem_post(&worker_ready);
	while (sem_timedwait(&work, &ts) != 0 && errno == EINTR)
		;
	return NULL;
}

static void tear_down(void)
{
	if (sem_destroy(&work) != 0) /* the bug: the worker still waits */
		tp_die("sem_destroy");
}

int main(void)
{
	struct timespec half = { 0, 500000000L };

	if (sem_init(&work, 0, 0) != 0)
		tp_die("sem_init");
	tp_sem_init(&worker_ready);
	pthread_t t = tp_spawn(wait_for_work, NULL);
	tp_sem_wait(&worker_ready);
	while (nanosleep(&half, &half) != 0 && errno == EINTR)
		;
	tear_down();
	tp_join(t);
	return 0;
}
