/* lockhound-expect: misuse count=1 what=cond-two-mutexes locks=2 functions=wait_with_mutex_2 */
/* Two threads wait on one condition variable at the same time, each with a
 * different mutex (POSIX leaves that undefined; glibc happens to cope).
 * Waiter 1 waits with mutex_1; once it is in the wait (main could lock
 * mutex_1, which the wait released), waiter 2 waits on the same condvar
 * with mutex_2.  lockhound must report cond-two-mutexes at waiter 2's wait.
 * main then sets both flags and broadcasts; both return. */
#include "tp.h"

static pthread_mutex_t mutex_1 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mutex_2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t shared_cv = PTHREAD_COND_INITIALIZER;
static sem_t w1_holds, w2_start, w2_holds;
static int go_1, go_2;

static void *wait_with_mutex_1(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&mutex_1));
	tp_sem_post(&w1_holds);
	while (!go_1)
		TP_CHECK(pthread_cond_wait(&shared_cv, &mutex_1));
	TP_CHECK(pthread_mutex_unlock(&mutex_1));
	return NULL;
}

static void *wait_with_mutex_2(void *arg)
{
	tp_sem_wait(&w2_start);
	TP_CHECK(pthread_mutex_lock(&mutex_2));
	tp_sem_post(&w2_holds);
	while (!go_2)
		TP_CHECK(pthread_cond_wait(&shared_cv, &mutex_2)); /* another mutex */
	TP_CHECK(pthread_mutex_unlock(&mutex_2));
	return NULL;
}

int main(void)
{
	tp_sem_init(&w1_holds);
	tp_sem_init(&w2_start);
	tp_sem_init(&w2_holds);
	pthread_t t1 = tp_spawn(wait_with_mutex_1, NULL);
	pthread_t t2 = tp_spawn(wait_with_mutex_2, NULL);

	/* waiter 1 is inside pthread_cond_wait once mutex_1 can be taken */
	tp_sem_wait(&w1_holds);
	TP_CHECK(pthread_mutex_lock(&mutex_1));
	TP_CHECK(pthread_mutex_unlock(&mutex_1));
	tp_sem_post(&w2_start);
	tp_sem_wait(&w2_holds);
	TP_CHECK(pthread_mutex_lock(&mutex_2));
	TP_CHECK(pthread_mutex_unlock(&mutex_2));

	TP_CHECK(pthread_mutex_lock(&mutex_1));
	go_1 = 1;
	TP_CHECK(pthread_mutex_unlock(&mutex_1));
	TP_CHECK(pthread_mutex_lock(&mutex_2));
	go_2 = 1;
	TP_CHECK(pthread_mutex_unlock(&mutex_2));
	TP_CHECK(pthread_cond_broadcast(&shared_cv));
	tp_join(t1);
	tp_join(t2);
	return 0;
}
