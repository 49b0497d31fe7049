/* lockhound-expect: clean */
/* 16 threads all take A, then B, then C, many times, really in parallel.
 * One global order, lots of contention: no cycle. */
#include "tp.h"

#define N_THREADS 16
#define ITERS 300

static pthread_mutex_t lock_a, lock_b, lock_c;
static pthread_barrier_t start;
static long value;

static void take_abc(void)
{
	TP_CHECK(pthread_mutex_lock(&lock_a));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	TP_CHECK(pthread_mutex_lock(&lock_c));
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_c));
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
}

static void *ordered_worker(void *arg)
{
	tp_barrier_wait(&start);
	for (int i = 0; i < ITERS; i++)
		take_abc();
	return NULL;
}

int main(void)
{
	pthread_t t[N_THREADS];

	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	TP_CHECK(pthread_mutex_init(&lock_c, NULL));
	tp_barrier_init(&start, N_THREADS);
	for (int i = 0; i < N_THREADS; i++)
		t[i] = tp_spawn(ordered_worker, NULL);
	for (int i = 0; i < N_THREADS; i++)
		tp_join(t[i]);
	return value == (long)N_THREADS * ITERS ? 0 : 1;
}
