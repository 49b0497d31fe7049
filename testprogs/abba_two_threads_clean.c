/* lockhound-expect: clean */
/* Clean twin of abba_two_threads: both threads take A then B, in the same
 * sequence (one after the other), so the lock order is consistent. */
#include "tp.h"

static pthread_mutex_t lock_a;
static pthread_mutex_t lock_b;
static pthread_barrier_t start, finish;
static sem_t first_done;
static long shared_value;

static void *worker_ab_first(void *arg)
{
	tp_barrier_wait(&start);
	TP_CHECK(pthread_mutex_lock(&lock_a));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	shared_value++;
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	tp_sem_post(&first_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *worker_ab_second(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&first_done);
	TP_CHECK(pthread_mutex_lock(&lock_a));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	shared_value--;
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&first_done);

	pthread_t t1 = tp_spawn(worker_ab_first, NULL);
	pthread_t t2 = tp_spawn(worker_ab_second, NULL);
	tp_join(t1);
	tp_join(t2);
	return shared_value == 0 ? 0 : 1;
}
