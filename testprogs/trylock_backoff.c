/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* Lock-then-trylock with back-off: T1 locks A and trylocks B, T2 locks B and
 * trylocks A; on EBUSY each unlocks and retries.  Nobody blocks while holding
 * a lock, so there is no deadlock: trylocks add no edge. */
#include <sched.h>
#include "tp.h"

#define ITERS 1000

static pthread_mutex_t lock_a, lock_b;
static pthread_barrier_t start, finish;
static sem_t b_held, a_tried;
static long value, backoffs;

/* Lock `first`, then trylock `second` until both are held. */
static void lock_pair_with_backoff(pthread_mutex_t *first, pthread_mutex_t *second)
{
	for (;;) {
		TP_CHECK(pthread_mutex_lock(first));
		int rc = pthread_mutex_trylock(second);
		if (rc == 0)
			return;
		if (rc != EBUSY) {
			fprintf(stderr, "trylock_backoff: trylock: %s\n", strerror(rc));
			exit(2);
		}
		TP_CHECK(pthread_mutex_unlock(first));
		__atomic_fetch_add(&backoffs, 1, __ATOMIC_RELAXED);
		sched_yield();
	}
}

static void unlock_pair(pthread_mutex_t *first, pthread_mutex_t *second)
{
	TP_CHECK(pthread_mutex_unlock(second));
	TP_CHECK(pthread_mutex_unlock(first));
}

static void *trylock_ab(void *arg)
{
	tp_barrier_wait(&start);

	/* Phase 1, sequenced: B is held by the other thread, so this trylock
	 * fails for sure and the back-off path runs at least once. */
	tp_sem_wait(&b_held);
	TP_CHECK(pthread_mutex_lock(&lock_a));
	if (pthread_mutex_trylock(&lock_b) != EBUSY) {
		fprintf(stderr, "trylock_backoff: trylock of a held lock succeeded\n");
		exit(2);
	}
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	tp_sem_post(&a_tried);

	/* Phase 2, really concurrent. */
	for (int i = 0; i < ITERS; i++) {
		lock_pair_with_backoff(&lock_a, &lock_b);
		value++;
		unlock_pair(&lock_a, &lock_b);
	}
	tp_barrier_wait(&finish);
	return NULL;
}

static void *trylock_ba(void *arg)
{
	tp_barrier_wait(&start);

	TP_CHECK(pthread_mutex_lock(&lock_b));
	tp_sem_post(&b_held);
	tp_sem_wait(&a_tried);
	TP_CHECK(pthread_mutex_unlock(&lock_b));

	for (int i = 0; i < ITERS; i++) {
		lock_pair_with_backoff(&lock_b, &lock_a);
		value--;
		unlock_pair(&lock_b, &lock_a);
	}
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&b_held);
	tp_sem_init(&a_tried);

	pthread_t t1 = tp_spawn(trylock_ab, NULL);
	pthread_t t2 = tp_spawn(trylock_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	return value == 0 ? 0 : 1;
}
