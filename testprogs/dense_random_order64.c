/* lockhound-expect: lock-order-cycle functions=take_in_random_order max_seconds=40 */
/* 64 mutexes, each round taking all of them in a fresh random order while
 * holding every one taken before (a complete graph in both directions,
 * every edge with many contexts and gate sets).  The rounds run in threads
 * one after another, so nothing really deadlocks; the report must still
 * name the inversions, and within seconds (the analysis is bounded). */
#include "tp.h"

#define N_LOCKS 64
#define N_ROUNDS 3

static pthread_mutex_t locks[N_LOCKS];
static unsigned seed = 12345;

static unsigned next_random(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 16;
}

static void take_in_random_order(void)
{
	int order[N_LOCKS];

	for (int i = 0; i < N_LOCKS; i++)
		order[i] = i;
	for (int i = N_LOCKS - 1; i > 0; i--) {
		int j = (int)(next_random() % (unsigned)(i + 1)), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int i = 0; i < N_LOCKS; i++)
		TP_CHECK(pthread_mutex_lock(&locks[order[i]]));
	for (int i = N_LOCKS - 1; i >= 0; i--)
		TP_CHECK(pthread_mutex_unlock(&locks[order[i]]));
}

static void *random_round(void *arg)
{
	(void)arg;
	take_in_random_order();
	return NULL;
}

int main(void)
{
	for (int i = 0; i < N_LOCKS; i++)
		TP_CHECK(pthread_mutex_init(&locks[i], NULL));
	for (int r = 0; r < N_ROUNDS; r++)
		tp_join(tp_spawn(random_round, NULL));
	return 0;
}
