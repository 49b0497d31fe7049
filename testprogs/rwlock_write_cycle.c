/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=writer_ab,writer_ba */
/* ABBA with rwlocks held for writing: one thread write-locks A then B, the
 * other B then A (sequenced, so this run does not hang). */
#include "tp.h"

static pthread_rwlock_t rw_a, rw_b;
static pthread_barrier_t start, finish;
static sem_t ab_done;
static long table_a, table_b;

static void *writer_ab(void *arg)
{
	tp_barrier_wait(&start);
	TP_CHECK(pthread_rwlock_wrlock(&rw_a));
	TP_CHECK(pthread_rwlock_wrlock(&rw_b));
	table_a++;
	table_b++;
	TP_CHECK(pthread_rwlock_unlock(&rw_b));
	TP_CHECK(pthread_rwlock_unlock(&rw_a));
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *writer_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
	TP_CHECK(pthread_rwlock_wrlock(&rw_b));
	TP_CHECK(pthread_rwlock_wrlock(&rw_a));
	table_a--;
	table_b--;
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
	tp_sem_init(&ab_done);

	pthread_t t1 = tp_spawn(writer_ab, NULL);
	pthread_t t2 = tp_spawn(writer_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	return table_a == 0 && table_b == 0 ? 0 : 1;
}
