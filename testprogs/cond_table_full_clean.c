/* lockhound-expect: clean min_edges=0 min_threads=66 */
/* The condition-variable table's probe limit, reached on purpose: 65
 * threads wait at once on 65 condition variables whose addresses all hash
 * to the same slot of the table, one more than LH_COND_PROBE (64) probes
 * can place.  The last one's wait is not tracked for the two-mutex check:
 * a note in the log, and the report says it may be incomplete (checked by
 * the core_limits_noted test, tests/integration/core_tests.py).  No
 * misuse, no deadlock. */
#include "tp.h"

#define N_WAITERS 65
#define STRIDE 65536 /* the table hashes (address >> 4) mod 4096 */

struct waiter {
	pthread_cond_t cond;
	pthread_mutex_t mutex;
	int go;
	char pad[STRIDE - sizeof(pthread_cond_t) - sizeof(pthread_mutex_t) - sizeof(int)];
};

static struct waiter w[N_WAITERS] __attribute__((aligned(STRIDE)));
static sem_t waiting;

static void *wait_for_go(void *arg)
{
	struct waiter *me = arg;

	TP_CHECK(pthread_mutex_lock(&me->mutex));
	tp_sem_post(&waiting);
	while (!me->go)
		TP_CHECK(pthread_cond_wait(&me->cond, &me->mutex));
	TP_CHECK(pthread_mutex_unlock(&me->mutex));
	return NULL;
}

int main(void)
{
	pthread_t t[N_WAITERS];
	int i;

	tp_sem_init(&waiting);
	for (i = 0; i < N_WAITERS; i++) {
		TP_CHECK(pthread_cond_init(&w[i].cond, NULL));
		TP_CHECK(pthread_mutex_init(&w[i].mutex, NULL));
		t[i] = tp_spawn(wait_for_go, &w[i]);
	}
	for (i = 0; i < N_WAITERS; i++)
		tp_sem_wait(&waiting);
	/* each thread holds its mutex until it is inside its wait: taking
	 * every mutex once means all of them are waiting at the same time */
	for (i = 0; i < N_WAITERS; i++) {
		TP_CHECK(pthread_mutex_lock(&w[i].mutex));
		TP_CHECK(pthread_mutex_unlock(&w[i].mutex));
	}
	for (i = 0; i < N_WAITERS; i++) {
		TP_CHECK(pthread_mutex_lock(&w[i].mutex));
		w[i].go = 1;
		TP_CHECK(pthread_cond_signal(&w[i].cond));
		TP_CHECK(pthread_mutex_unlock(&w[i].mutex));
	}
	for (i = 0; i < N_WAITERS; i++)
		tp_join(t[i]);
	return 0;
}
