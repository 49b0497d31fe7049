/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=static_ab,static_ba */
/* ABBA on mutexes initialized with PTHREAD_MUTEX_INITIALIZER only (never
 * pthread_mutex_init): the shim must track them from their first use. */
#include "tp.h"

static pthread_mutex_t static_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t static_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start, finish;
static sem_t ab_done;
static long value;

static void *static_ab(void *arg)
{
	tp_barrier_wait(&start);
	TP_CHECK(pthread_mutex_lock(&static_a));
	TP_CHECK(pthread_mutex_lock(&static_b));
	value++;
	TP_CHECK(pthread_mutex_unlock(&static_b));
	TP_CHECK(pthread_mutex_unlock(&static_a));
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *static_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
	TP_CHECK(pthread_mutex_lock(&static_b));
	TP_CHECK(pthread_mutex_lock(&static_a));
	value++;
	TP_CHECK(pthread_mutex_unlock(&static_a));
	TP_CHECK(pthread_mutex_unlock(&static_b));
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&ab_done);

	pthread_t t1 = tp_spawn(static_ab, NULL);
	pthread_t t2 = tp_spawn(static_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	return value == 2 ? 0 : 1;
}
