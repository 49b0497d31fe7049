/* lockhound-expect: clean */
/* Clean twin of cycle3_three_threads: thread 3 takes A then C instead of
 * C then A, so the order A < B < C is respected everywhere. */
#include "tp.h"

static pthread_mutex_t lock_a, lock_b, lock_c;
static pthread_barrier_t start, finish;
static sem_t ab_done, bc_done;
static long counter;

static void nested(pthread_mutex_t *outer, pthread_mutex_t *inner)
{
	TP_CHECK(pthread_mutex_lock(outer));
	TP_CHECK(pthread_mutex_lock(inner));
	counter++;
	TP_CHECK(pthread_mutex_unlock(inner));
	TP_CHECK(pthread_mutex_unlock(outer));
}

static void *worker_ab(void *arg)
{
	tp_barrier_wait(&start);
	nested(&lock_a, &lock_b);
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *worker_bc(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
	nested(&lock_b, &lock_c);
	tp_sem_post(&bc_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *worker_ac(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&bc_done);
	nested(&lock_a, &lock_c);
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	TP_CHECK(pthread_mutex_init(&lock_c, NULL));
	tp_barrier_init(&start, 3);
	tp_barrier_init(&finish, 3);
	tp_sem_init(&ab_done);
	tp_sem_init(&bc_done);

	pthread_t t1 = tp_spawn(worker_ab, NULL);
	pthread_t t2 = tp_spawn(worker_bc, NULL);
	pthread_t t3 = tp_spawn(worker_ac, NULL);
	tp_join(t1);
	tp_join(t2);
	tp_join(t3);
	return counter == 3 ? 0 : 1;
}
