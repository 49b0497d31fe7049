/* lockhound-expect: clean */
/* Read-only "cycle": T1 read-locks A then B, T2 read-locks B then A.  The
 * rwlocks are reader-preferring (glibc's default, set explicitly here) and
 * nobody ever write-locks them, so neither read lock can wait: no deadlock. */
#include "tp.h"

static pthread_rwlock_t rw_a, rw_b;
static pthread_barrier_t start, finish;
static sem_t first_done;
static long data_a = 1, data_b = 2;
static long sum1, sum2;

static void *reader_ab(void *arg)
{
	tp_barrier_wait(&start);
	TP_CHECK(pthread_rwlock_rdlock(&rw_a));
	TP_CHECK(pthread_rwlock_rdlock(&rw_b));
	sum1 = data_a + data_b;
	TP_CHECK(pthread_rwlock_unlock(&rw_b));
	TP_CHECK(pthread_rwlock_unlock(&rw_a));
	tp_sem_post(&first_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *reader_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&first_done);
	TP_CHECK(pthread_rwlock_rdlock(&rw_b));
	TP_CHECK(pthread_rwlock_rdlock(&rw_a));
	sum2 = data_b + data_a;
	TP_CHECK(pthread_rwlock_unlock(&rw_a));
	TP_CHECK(pthread_rwlock_unlock(&rw_b));
	tp_barrier_wait(&finish);
	return NULL;
}

static void reader_preferring_init(pthread_rwlock_t *rw)
{
	pthread_rwlockattr_t attr;
	TP_CHECK(pthread_rwlockattr_init(&attr));
	TP_CHECK(pthread_rwlockattr_setkind_np(&attr,
	                                       PTHREAD_RWLOCK_PREFER_READER_NP));
	TP_CHECK(pthread_rwlock_init(rw, &attr));
	TP_CHECK(pthread_rwlockattr_destroy(&attr));
}

int main(void)
{
	reader_preferring_init(&rw_a);
	reader_preferring_init(&rw_b);
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&first_done);

	pthread_t t1 = tp_spawn(reader_ab, NULL);
	pthread_t t2 = tp_spawn(reader_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	return sum1 == 3 && sum2 == 3 ? 0 : 1;
}
