/* lockhound-expect: clean */
/* The clean twin of release_out_of_order_cycle: hand-over-hand locking
 * (A, then B, A released first, then C under B) in two threads at once,
 * every thread in the same order.  A -> B and B -> C make no cycle, and
 * every out-of-order unlock is of a lock the thread holds: no finding. */
#include "tp.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;
static long value;

static void *hand_over_hand(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++) {
		TP_CHECK(pthread_mutex_lock(&lock_a));
		TP_CHECK(pthread_mutex_lock(&lock_b));
		TP_CHECK(pthread_mutex_unlock(&lock_a));
		TP_CHECK(pthread_mutex_lock(&lock_c));
		value++;
		TP_CHECK(pthread_mutex_unlock(&lock_c));
		TP_CHECK(pthread_mutex_unlock(&lock_b));
	}
	return NULL;
}

int main(void)
{
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		TP_CHECK(pthread_create(&t[i], NULL, hand_over_hand, NULL));
	for (int i = 0; i < 2; i++)
		TP_CHECK(pthread_join(t[i], NULL));
	printf("hand_over_hand_clean: value %ld\n", value);
	return 0;
}
