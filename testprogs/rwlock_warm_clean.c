/* lockhound-expect: clean min_edges=3 */
/* The clean twin of rwlock_warm_write_cycle and rwlock_warm_read_cycle:
 * T1 as there (A, B under it from the leaf path, C under both); T2 takes
 * A and then C, the same order.  A -> B, A -> C and B -> C make no
 * cycle: no finding, and the three orders are in the log. */
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

static __attribute__((noinline)) void *write_a_write_c(void *arg)
{
	(void)arg;
	TP_CHECK(pthread_rwlock_wrlock(&rw_a));
	TP_CHECK(pthread_rwlock_wrlock(&rw_c));
	value--;
	TP_CHECK(pthread_rwlock_unlock(&rw_c));
	TP_CHECK(pthread_rwlock_unlock(&rw_a));
	return NULL;
}

int main(void)
{
	/* one after the other: the run never hangs */
	tp_join(tp_spawn(warm_a_b_then_c, NULL));
	tp_join(tp_spawn(write_a_write_c, NULL));
	printf("rwlock_warm_clean: value %ld\n", value);
	return 0;
}
