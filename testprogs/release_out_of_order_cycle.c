/* lockhound-expect: lock-order-cycle count=1 locks=2 functions=hand_over_hand,c_then_b */
/* Locks released out of order are released, and the one left is still
 * held.  T1 goes hand over hand: A, then B, releases A first, then takes C
 * while it holds only B (B -> C).  T2, after T1 has joined, takes C then B
 * (C -> B): a cycle with T1's B -> C, the only one (A -> B and B -> C
 * form none).  Had the shim kept A and lost B at the out-of-order unlock,
 * T1's order would read A -> C and there would be no cycle.  The clean
 * twin: hand_over_hand_clean. */
#include "tp.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;
static long value;

static __attribute__((noinline)) void *hand_over_hand(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
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

static __attribute__((noinline)) void *c_then_b(void *arg)
{
	(void)arg;
	TP_CHECK(pthread_mutex_lock(&lock_c));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	value--;
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_c));
	return NULL;
}

int main(void)
{
	/* one after the other: the run never hangs */
	tp_join(tp_spawn(hand_over_hand, NULL));
	tp_join(tp_spawn(c_then_b, NULL));
	printf("release_out_of_order_cycle: value %ld\n", value);
	return 0;
}
