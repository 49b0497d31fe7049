/* lockhound-expect: lock-order-cycle count=1 locks=3 single_thread=true functions=take_in_order,take_in_order_too */
/* Three locks whose ids are small and close (1, 64, 2) form a cycle
 * 1 -> 64 -> 2 -> 1 through the same call sites.  Lock orders are kept by
 * a 64-bit key; a weak key once made 2 -> 1 look like 1 -> 64, so the last
 * order was dropped and the cycle missed. */
#include "tp.h"

#define N_LOCKS 80

static pthread_mutex_t locks[N_LOCKS];

static __attribute__((noinline)) void take_in_order(int first, int second)
{
	TP_CHECK(pthread_mutex_lock(&locks[first]));
	TP_CHECK(pthread_mutex_lock(&locks[second]));
	TP_CHECK(pthread_mutex_unlock(&locks[second]));
	TP_CHECK(pthread_mutex_unlock(&locks[first]));
}

static __attribute__((noinline)) void take_in_order_too(int first, int second)
{
	TP_CHECK(pthread_mutex_lock(&locks[first]));
	TP_CHECK(pthread_mutex_lock(&locks[second]));
	TP_CHECK(pthread_mutex_unlock(&locks[second]));
	TP_CHECK(pthread_mutex_unlock(&locks[first]));
}

int main(void)
{
	int i;

	for (i = 0; i < N_LOCKS; i++)
		TP_CHECK(pthread_mutex_init(&locks[i], NULL)); /* ids 1..80 */
	take_in_order(0, 63);     /* 1 -> 64 */
	take_in_order_too(63, 1); /* 64 -> 2 */
	take_in_order(1, 0);      /* 2 -> 1 */
	return 0;
}
