/* lockhound-expect: clean */
/* Both inverted orders happen while holding a common gate lock G: T1 takes
 * G, A, B and T2 takes G, B, A.  G serializes them, so A->B / B->A cannot
 * deadlock (the gate lock makes the cycle harmless). */
#include "tp.h"

static pthread_mutex_t gate, lock_a, lock_b;
static pthread_barrier_t start, finish;
static sem_t first_done;
static long value;

static void *gated_ab(void *arg)
{
	tp_barrier_wait(&start);
	TP_CHECK(pthread_mutex_lock(&gate));
	TP_CHECK(pthread_mutex_lock(&lock_a));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&gate));
	tp_sem_post(&first_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *gated_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&first_done);
	TP_CHECK(pthread_mutex_lock(&gate));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	TP_CHECK(pthread_mutex_lock(&lock_a));
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&gate));
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&gate, NULL));
	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&first_done);

	pthread_t t1 = tp_spawn(gated_ab, NULL);
	pthread_t t2 = tp_spawn(gated_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	return value == 2 ? 0 : 1;
}
