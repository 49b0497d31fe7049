/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=recursive_ab,recursive_ba */
/* ABBA with recursive mutexes: each thread re-locks its first mutex (which
 * never blocks) and then takes the other one; the orders A->B and B->A still
 * form a real cycle. */
#include "tp.h"

static pthread_mutex_t rec_a, rec_b;
static pthread_barrier_t start, finish;
static sem_t ab_done;
static long depth_seen;

static void *recursive_ab(void *arg)
{
	tp_barrier_wait(&start);
	TP_CHECK(pthread_mutex_lock(&rec_a));
	TP_CHECK(pthread_mutex_lock(&rec_a)); /* recursive re-lock */
	TP_CHECK(pthread_mutex_lock(&rec_b));
	depth_seen++;
	TP_CHECK(pthread_mutex_unlock(&rec_b));
	TP_CHECK(pthread_mutex_unlock(&rec_a));
	TP_CHECK(pthread_mutex_unlock(&rec_a));
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *recursive_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
	TP_CHECK(pthread_mutex_lock(&rec_b));
	TP_CHECK(pthread_mutex_lock(&rec_b)); /* recursive re-lock */
	TP_CHECK(pthread_mutex_lock(&rec_a));
	depth_seen++;
	TP_CHECK(pthread_mutex_unlock(&rec_a));
	TP_CHECK(pthread_mutex_unlock(&rec_b));
	TP_CHECK(pthread_mutex_unlock(&rec_b));
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	tp_mutex_init(&rec_a, PTHREAD_MUTEX_RECURSIVE);
	tp_mutex_init(&rec_b, PTHREAD_MUTEX_RECURSIVE);
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&ab_done);

	pthread_t t1 = tp_spawn(recursive_ab, NULL);
	pthread_t t2 = tp_spawn(recursive_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	return depth_seen == 2 ? 0 : 1;
}
