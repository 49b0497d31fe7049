/* lockhound-expect: lock-order-cycle functions=take_rotated max_seconds=40 */
/* 45 mutexes taken in 45 rotated orders (round r takes m[r], m[r+1], ...,
 * m[r-1]), each while holding all the earlier ones: every pair of locks is
 * taken in both orders, and each edge has dozens of contexts whose gate
 * sets differ.  The rounds run in threads one after another, so nothing
 * really deadlocks; the rotations starting at a and at b are a real
 * inversion of a and b with no common gate, and the report must say so
 * within seconds (the analysis is bounded). */
#include "tp.h"

#define N_LOCKS 45

static pthread_mutex_t locks[N_LOCKS];

static void take_rotated(int first)
{
	for (int i = 0; i < N_LOCKS; i++)
		TP_CHECK(pthread_mutex_lock(&locks[(first + i) % N_LOCKS]));
	for (int i = N_LOCKS - 1; i >= 0; i--)
		TP_CHECK(pthread_mutex_unlock(&locks[(first + i) % N_LOCKS]));
}

static void *rotated_round(void *arg)
{
	take_rotated((int)(long)arg);
	return NULL;
}

int main(void)
{
	for (int i = 0; i < N_LOCKS; i++)
		TP_CHECK(pthread_mutex_init(&locks[i], NULL));
	for (long r = 0; r < N_LOCKS; r++)
		tp_join(tp_spawn(rotated_round, (void *)r));
	return 0;
}
