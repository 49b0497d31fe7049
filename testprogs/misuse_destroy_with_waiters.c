/* lockhound-expect: misuse count=1 what=destroy-with-waiters locks=1 functions=destroy_while_waited_for timeout=20 */
/* Destroying a mutex another thread is blocked on.  main locks `pool_lock`,
 * a worker blocks in pthread_mutex_lock on it, and main calls
 * pthread_mutex_destroy: glibc refuses with EBUSY; lockhound must report
 * destroy-with-waiters.  Then main unlocks, the worker gets the lock and
 * finishes, and main destroys the mutex properly.
 *
 * "The worker is blocked" is made certain, not guessed: after the worker
 * says it is about to lock, main polls glibc's lock word until it shows a
 * waiter (value 2: locked, with waiters), which glibc stores right before
 * the worker sleeps in the kernel. */
#include <time.h>
#include "tp.h"

static pthread_mutex_t pool_lock;
static sem_t worker_locking;
static int pool_size;

static void *pool_worker(void *arg)
{
	tp_sem_wait(&worker_locking);
	TP_CHECK(pthread_mutex_lock(&pool_lock)); /* main holds it: blocks */
	pool_size++;
	TP_CHECK(pthread_mutex_unlock(&pool_lock));
	return NULL;
}

static void wait_until_lock_has_waiter(pthread_mutex_t *m)
{
	struct timespec ms = { 0, 1000000L };
	for (int i = 0; i < 10000; i++) {
		if (__atomic_load_n(&m->__data.__lock, __ATOMIC_ACQUIRE) == 2)
			return;
		nanosleep(&ms, NULL);
	}
	fprintf(stderr, "wait_until_lock_has_waiter: the worker never blocked\n");
	exit(2);
}

static void destroy_while_waited_for(void)
{
	int rc = pthread_mutex_destroy(&pool_lock);
	if (rc != EBUSY) {
		fprintf(stderr, "destroy_while_waited_for: destroy returned %s, not EBUSY\n",
		        strerror(rc));
		exit(2);
	}
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&pool_lock, NULL));
	tp_sem_init(&worker_locking);
	pthread_t t = tp_spawn(pool_worker, NULL);

	TP_CHECK(pthread_mutex_lock(&pool_lock));
	tp_sem_post(&worker_locking);
	wait_until_lock_has_waiter(&pool_lock);
	destroy_while_waited_for();
	TP_CHECK(pthread_mutex_unlock(&pool_lock));
	tp_join(t);
	TP_CHECK(pthread_mutex_destroy(&pool_lock));
	return pool_size == 1 ? 0 : 1;
}
