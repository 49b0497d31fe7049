/* lockhound-expect: clean min_edges=2 */
/* T1 takes A then B; main then destroys both and makes them new by
 * assigning PTHREAD_MUTEX_INITIALIZER (no init call the shim could see);
 * T2 takes the new B then the new A.  Same addresses, but the destroy ended
 * the old locks: the new ones start fresh identities on first use, so there
 * is no cycle.  Twin: destroy_static_reinit_cycle. */
#include "tp.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start, finish;
static sem_t old_done, new_ready;
static long value;

static void *old_locks_ab(void *arg)
{
	tp_barrier_wait(&start);
	TP_CHECK(pthread_mutex_lock(&lock_a));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	tp_sem_post(&old_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *new_locks_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&new_ready);
	TP_CHECK(pthread_mutex_lock(&lock_b));
	TP_CHECK(pthread_mutex_lock(&lock_a));
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	tp_barrier_wait(&finish);
	return NULL;
}

static void destroy_and_static_reinit(void)
{
	static const pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

	TP_CHECK(pthread_mutex_destroy(&lock_a));
	TP_CHECK(pthread_mutex_destroy(&lock_b));
	lock_a = fresh;
	lock_b = fresh;
}

int main(void)
{
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&old_done);
	tp_sem_init(&new_ready);

	pthread_t t1 = tp_spawn(old_locks_ab, NULL);
	pthread_t t2 = tp_spawn(new_locks_ba, NULL);
	tp_sem_wait(&old_done);
	destroy_and_static_reinit();
	tp_sem_post(&new_ready);
	tp_join(t1);
	tp_join(t2);
	return value == 2 ? 0 : 1;
}
