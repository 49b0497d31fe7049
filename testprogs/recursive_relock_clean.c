/* lockhound-expect: clean */
/* A recursive mutex R is locked twice by one thread (no self edge), then M is
 * taken (R -> M), then R is re-locked while M is held: R is already owned, so
 * that re-lock cannot block and must not add M -> R.  Both threads do this. */
#include "tp.h"

static pthread_mutex_t rec_r;
static pthread_mutex_t plain_m;
static pthread_barrier_t start, finish;
static long work_done;

static void relock_then_nest(void)
{
	TP_CHECK(pthread_mutex_lock(&rec_r));
	TP_CHECK(pthread_mutex_lock(&rec_r)); /* depth 2: never blocks */
	TP_CHECK(pthread_mutex_lock(&plain_m));
	TP_CHECK(pthread_mutex_lock(&rec_r)); /* depth 3, under M: never blocks */
	work_done++;
	TP_CHECK(pthread_mutex_unlock(&rec_r));
	TP_CHECK(pthread_mutex_unlock(&plain_m));
	TP_CHECK(pthread_mutex_unlock(&rec_r));
	TP_CHECK(pthread_mutex_unlock(&rec_r));
}

static void *relock_worker(void *arg)
{
	tp_barrier_wait(&start);
	for (int i = 0; i < 100; i++)
		relock_then_nest();
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	tp_mutex_init(&rec_r, PTHREAD_MUTEX_RECURSIVE);
	TP_CHECK(pthread_mutex_init(&plain_m, NULL));
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);

	pthread_t t1 = tp_spawn(relock_worker, NULL);
	pthread_t t2 = tp_spawn(relock_worker, NULL);
	tp_join(t1);
	tp_join(t2);
	return work_done == 200 ? 0 : 1;
}
