/* lockhound-expect: clean */
/* 2000 short-lived threads (created and joined in batches of 16), each
 * taking A then B once: thread-table churn, one consistent order. */
#include "tp.h"

#define N_THREADS 2000
#define BATCH 16

static pthread_mutex_t lock_a, lock_b;
static long value;

static void *short_worker(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&lock_a));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	return NULL;
}

int main(void)
{
	pthread_t batch[BATCH];

	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	for (int done = 0; done < N_THREADS; done += BATCH) {
		int n = N_THREADS - done < BATCH ? N_THREADS - done : BATCH;
		for (int i = 0; i < n; i++)
			batch[i] = tp_spawn(short_worker, NULL);
		for (int i = 0; i < n; i++)
			tp_join(batch[i]);
	}
	return value == N_THREADS ? 0 : 1;
}
