/* lockhound-expect: lock-order-cycle count=1 locks=2 single_thread=true min_occurrences=80 functions=take_in_order */
/* 160 mutexes with consecutive ids; pairs (i, i + 80) are taken in one order
 * and then in the other, through the same call sites: 80 inversions of the
 * same code, one finding that must count all 80 (a lock order lost, to a
 * key collision or anything else, shows up as a smaller count). */
#include "tp.h"

#define N_PAIRS 80

static pthread_mutex_t locks[2 * N_PAIRS];

static __attribute__((noinline)) void take_in_order(pthread_mutex_t *first, pthread_mutex_t *second)
{
	TP_CHECK(pthread_mutex_lock(first));
	TP_CHECK(pthread_mutex_lock(second));
	TP_CHECK(pthread_mutex_unlock(second));
	TP_CHECK(pthread_mutex_unlock(first));
}

int main(void)
{
	int i;

	for (i = 0; i < 2 * N_PAIRS; i++)
		TP_CHECK(pthread_mutex_init(&locks[i], NULL));
	for (i = 0; i < N_PAIRS; i++)
		take_in_order(&locks[i], &locks[i + N_PAIRS]);
	for (i = 0; i < N_PAIRS; i++)
		take_in_order(&locks[i + N_PAIRS], &locks[i]);
	return 0;
}
