/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=new_locks_ab,new_locks_ba min_edges=3 */
/* Twin of destroy_static_reinit_clean: T1 takes A then B; main destroys
 * both and assigns PTHREAD_MUTEX_INITIALIZER; then T2 takes the new A then
 * the new B, and T3 the new B then the new A.  The old locks form no cycle
 * with the new ones, but the new ones invert among themselves: one cycle,
 * between the new generation (tracked from its first use, with no init
 * call seen). */
#include "tp.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start, finish;
static sem_t old_done, new_ready, ab_done;
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

static void *new_locks_ab(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&new_ready);
	TP_CHECK(pthread_mutex_lock(&lock_a));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *new_locks_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
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
	tp_barrier_init(&start, 3);
	tp_barrier_init(&finish, 3);
	tp_sem_init(&old_done);
	tp_sem_init(&new_ready);
	tp_sem_init(&ab_done);

	pthread_t t1 = tp_spawn(old_locks_ab, NULL);
	pthread_t t2 = tp_spawn(new_locks_ab, NULL);
	pthread_t t3 = tp_spawn(new_locks_ba, NULL);
	tp_sem_wait(&old_done);
	destroy_and_static_reinit();
	tp_sem_post(&new_ready);
	tp_join(t1);
	tp_join(t2);
	tp_join(t3);
	return value == 3 ? 0 : 1;
}
