/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* The correct twin of misuse_sem_init_invalid_count and
 * misuse_barrier_count_zero: a semaphore initialized with SEM_VALUE_MAX and
 * with 0, a barrier of count 1 and one of count 2 used by two threads.  No
 * finding. */
#include "tp.h"

#include <limits.h>

static sem_t big, empty;
static pthread_barrier_t one, two;

static void *worker(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&two);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;

	if (sem_init(&big, 0, SEM_VALUE_MAX) != 0 || sem_init(&empty, 0, 0) != 0)
		tp_die("sem_init");
	TP_CHECK(pthread_barrier_init(&one, NULL, 1));
	TP_CHECK(pthread_barrier_init(&two, NULL, 2));
	pthread_barrier_wait(&one);
	TP_CHECK(pthread_create(&t1, NULL, worker, NULL));
	TP_CHECK(pthread_create(&t2, NULL, worker, NULL));
	TP_CHECK(pthread_join(t1, NULL));
	TP_CHECK(pthread_join(t2, NULL));
	TP_CHECK(pthread_barrier_destroy(&one));
	TP_CHECK(pthread_barrier_destroy(&two));
	sem_destroy(&big);
	sem_destroy(&empty);
	return 0;
}
