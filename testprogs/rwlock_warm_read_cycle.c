/* lockhound-expect: lock-order-cycle count=1 locks=2 functions=warm_a_b_then_c,write_c_write_b */
/* An rwlock read-locked by the leaf path under one held lock (the order
 * from it the one seen last time) is held like any other.  T1 write-locks
 * A and read-locks B under it many times from the same call sites, and the
 * last time write-locks C under both; T2, after T1 has joined,
 * write-locks C and then B: B -> C and C -> B are a cycle that can
 * deadlock (T2's write waits on T1's read hold of B).  The clean twin is
 * rwlock_warm_clean. */
#include "tp.h"

#define WARM 1000

static pthread_rwlock_t rw_a = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t rw_b = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t rw_c = PTHREAD_RWLOCK_INITIALIZER;
static long value;

/* A for writing, B for reading under it, WARM times from the same call
 * sites; the last time C for writing under both */
static __attribute__((noinline)) void *warm_a_b_then_c(void *arg)
{
	(void)arg;
	for (int i = 0; i < WARM; i++) {
		TP_CHECK(pthread_rwlock_wrlock(&rw_a));
		TP_CHECK(pthread_rwlock_rdlock(&rw_b));
		if (i == WARM - 1) {
			TP_CHECK(pthread_rwlock_wrlock(&rw_c));
			value++;
			TP_CHECK(pthread_rwlock_unlock(&rw_c));
		}
		TP_CHECK(pthread_rwlock_unlock(&rw_b));
		TP_CHECK(pthread_rwlock_unlock(&rw_a));
	}
	return NULL;
}

static __attribute__((noinline)) void *write_c_write_b(void *arg)
{
	(void)arg;
	TP_CHECK(pthread_rwlock_wrlock(&rw_c));
	TP_CHECK(pthread_rwlock_wrlock(&rw_b));
	value--;
	TP_CHECK(pthread_rwlock_unlock(&rw_b));
	TP_CHECK(pthread_rwlock_unlock(&rw_c));
	return NULL;
}

int main(void)
{
	/* one after the other: the run never hangs */
	tp_join(tp_spawn(warm_a_b_then_c, NULL));
	tp_join(tp_spawn(write_c_write_b, NULL));
	printf("rwlock_warm_read_cycle: value %ld\n", value);
	return 0;
}
