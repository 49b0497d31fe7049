/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=lock_pair,ungated_caller,gated_ba */
/* lock_pair(a, b) is called twice by T1: once while T1 holds the gate G,
 * and once without it, from the same call sites.  T2 takes G, then B, then
 * A.  The gated call cannot deadlock with T2 (G serializes them), but the
 * ungated one can: T1 holds A and waits for B while T2 holds G and B and
 * waits for A.  The two calls of lock_pair differ only in their gate set,
 * so the shim must record both contexts.  Twin: gate_always_pair_clean. */
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

static void ungated_caller(void)
{
	lock_pair(&lock_a, &lock_b);
}

static void *pair_user(void *arg)
{
	tp_barrier_wait(&start);
	gated_caller();
	ungated_caller();
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
