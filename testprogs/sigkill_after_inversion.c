/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=worker_ab,worker_ba complete=false exit=66 */
/* Killed with SIGKILL after an ABBA inversion between two threads: nothing
 * runs at exit, yet everything recorded before is in the log. */
#include "tp.h"

#include <signal.h>
#include <unistd.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static sem_t ab_done;

static void *worker_ab(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&lock_a));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	tp_sem_post(&ab_done);
	for (;;)
		pause();
	return NULL;
}

static void *worker_ba(void *arg)
{
	tp_sem_wait(&ab_done);
	TP_CHECK(pthread_mutex_lock(&lock_b));
	TP_CHECK(pthread_mutex_lock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	kill(getpid(), SIGKILL);
	return NULL;
}

int main(void)
{
	tp_sem_init(&ab_done);
	tp_spawn(worker_ab, NULL);
	tp_spawn(worker_ba, NULL);
	for (;;)
		pause();
}
