/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=write_a_read_b,write_b_read_a */
/* Mixed-mode cycle that can really deadlock: T1 write-locks A then read-locks
 * B, T2 write-locks B then read-locks A.  A read lock waits while the other
 * thread holds the lock for writing, so each would wait for the other. */
#include "tp.h"

static pthread_rwlock_t rw_a, rw_b;
static pthread_barrier_t start, finish;
static sem_t first_done;
static long data_a, data_b, seen;

static void *write_a_read_b(void *arg)
{
	tp_barrier_wait(&start);
	TP_CHECK(pthread_rwlock_wrlock(&rw_a));
	TP_CHECK(pthread_rwlock_rdlock(&rw_b));
	data_a = data_b + 1;
	TP_CHECK(pthread_rwlock_unlock(&rw_b));
	TP_CHECK(pthread_rwlock_unlock(&rw_a));
	tp_sem_post(&first_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *write_b_read_a(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&first_done);
	TP_CHECK(pthread_rwlock_wrlock(&rw_b));
	TP_CHECK(pthread_rwlock_rdlock(&rw_a));
	data_b = data_a + 1;
	seen = data_b;
	TP_CHECK(pthread_rwlock_unlock(&rw_a));
	TP_CHECK(pthread_rwlock_unlock(&rw_b));
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_rwlock_init(&rw_a, NULL));
	TP_CHECK(pthread_rwlock_init(&rw_b, NULL));
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&first_done);

	pthread_t t1 = tp_spawn(write_a_read_b, NULL);
	pthread_t t2 = tp_spawn(write_b_read_a, NULL);
	tp_join(t1);
	tp_join(t2);
	return seen == 2 ? 0 : 1;
}
