/* lockhound-expect: lock-order-cycle count=1 locks=2 functions=try_a_then_b,lock_b_then_a */
/* A lock taken by trylock is held like any other: an order from it is an
 * order.  T1 takes A by trylock (many times first, so that the later ones
 * are the trylock's fast path) and then B under it; T2, after T1 has
 * joined, takes B then A.  The run never hangs, but the two orders are a
 * lock-order cycle.  The clean twin is trylock_backoff: there the trylock
 * is of the second lock, which adds no order. */
#include "tp.h"

#define WARM 1000

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static long value;

static __attribute__((noinline)) void *try_a_then_b(void *arg)
{
	(void)arg;
	for (int i = 0; i < WARM; i++) {
		TP_CHECK(pthread_mutex_trylock(&lock_a));
		value++;
		TP_CHECK(pthread_mutex_unlock(&lock_a));
	}
	TP_CHECK(pthread_mutex_trylock(&lock_a));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	return NULL;
}

static __attribute__((noinline)) void *lock_b_then_a(void *arg)
{
	(void)arg;
	TP_CHECK(pthread_mutex_lock(&lock_b));
	TP_CHECK(pthread_mutex_lock(&lock_a));
	value--;
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	return NULL;
}

int main(void)
{
	/* one after the other: the run never hangs */
	tp_join(tp_spawn(try_a_then_b, NULL));
	tp_join(tp_spawn(lock_b_then_a, NULL));
	printf("trylock_held_cycle: value %ld\n", value);
	return 0;
}
