/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=spin_ab,spin_ba */
/* ABBA with pthread spinlocks: one thread takes spin A then spin B, the other
 * B then A (sequenced, so the run does not spin forever). */
#include "tp.h"

static pthread_spinlock_t spin_a, spin_b;
static pthread_barrier_t start, finish;
static sem_t ab_done;
static long hits;

static void *spin_ab(void *arg)
{
	tp_barrier_wait(&start);
	TP_CHECK(pthread_spin_lock(&spin_a));
	TP_CHECK(pthread_spin_lock(&spin_b));
	hits++;
	TP_CHECK(pthread_spin_unlock(&spin_b));
	TP_CHECK(pthread_spin_unlock(&spin_a));
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *spin_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
	TP_CHECK(pthread_spin_lock(&spin_b));
	TP_CHECK(pthread_spin_lock(&spin_a));
	hits++;
	TP_CHECK(pthread_spin_unlock(&spin_a));
	TP_CHECK(pthread_spin_unlock(&spin_b));
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_spin_init(&spin_a, PTHREAD_PROCESS_PRIVATE));
	TP_CHECK(pthread_spin_init(&spin_b, PTHREAD_PROCESS_PRIVATE));
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&ab_done);

	pthread_t t1 = tp_spawn(spin_ab, NULL);
	pthread_t t2 = tp_spawn(spin_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	return hits == 2 ? 0 : 1;
}
