/* lockhound-expect: clean min_edges=4 */
/* Twin of gate_sometimes_pair_cycle: T1 calls lock_pair(a, b) twice, both
 * times while holding the gate G (from two callers); T2 takes G, then B,
 * then A.  Every A/B inversion happens under G, which serializes them:
 * no deadlock is possible. */
#include "tp.h"

static pthread_mutex_t gate, lock_a, lock_b;
static pthread_barrier_t start, finish;
static sem_t first_done;
static long value;

static void lock_pair(pthread_mutex_t *x, pthread_mutex_t *y)
{
	TP_CHECK(pthread_mutex_lock(x));
	TP_CHECK(pthread_mutex_lock(y));
	value++;
	TP_CHECK(pthread_mutex_unlock(y));
	TP_CHECK(pthread_mutex_unlock(x));
}

static void gated_caller(void)
{
	TP_CHECK(pthread_mutex_lock(&gate));
	lock_pair(&lock_a, &lock_b);
	TP_CHECK(pthread_mutex_unlock(&gate));
}

static void other_gated_caller(void)
{
	TP_CHECK(pthread_mutex_lock(&gate));
	lock_pair(&lock_a, &lock_b);
	TP_CHECK(pthread_mutex_unlock(&gate));
}

static void *pair_user(void *arg)
{
	tp_barrier_wait(&start);
	gated_caller();
	other_gated_caller();
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

	pthread_t t1 = tp_spawn(pair_user, NULL);
	pthread_t t2 = tp_spawn(gated_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	return value == 3 ? 0 : 1;
}
