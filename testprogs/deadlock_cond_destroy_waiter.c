/* lockhound-expect: deadlock count=1 what=stall ended_process=true functions=shut_down_queue,wait_for_job timeout=20 max_seconds=10 ; misuse count=1 what=cond-destroy-waiters functions=shut_down_queue */
/* Destroy of a condition variable a thread still waits on: the worker
 * waits for a job that never comes, and main, shutting down, destroys the
 * condition variable without waking it.  glibc's pthread_cond_destroy
 * waits for the waiters to leave, and nothing will wake the worker: both
 * block forever natively.  lockhound reports the destroy as a misuse at
 * the call, and the hang as a deadlock (a stall: no thread is left to
 * signal).  The correct twin is stall_waits_clean. */
#include "tp.h"

static pthread_mutex_t queue_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_ready = PTHREAD_COND_INITIALIZER;
static int n_jobs;
static sem_t worker_waiting;

static void *wait_for_job(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&queue_mu));
	tp_sem_post(&worker_waiting);
	while (n_jobs == 0)
		TP_CHECK(pthread_cond_wait(&queue_ready, &queue_mu));
	n_jobs--;
	TP_CHECK(pthread_mutex_unlock(&queue_mu));
	return NULL;
}

static void shut_down_queue(void)
{
	/* the worker is inside pthread_cond_wait once it let go of queue_mu */
	TP_CHECK(pthread_mutex_lock(&queue_mu));
	TP_CHECK(pthread_mutex_unlock(&queue_mu));
	TP_CHECK(pthread_cond_destroy(&queue_ready)); /* blocks: a thread waits */
}

int main(void)
{
	pthread_t worker;

	tp_sem_init(&worker_waiting);
	worker = tp_spawn(wait_for_job, NULL);
	tp_sem_wait(&worker_waiting);
	shut_down_queue();
	tp_join(worker);
	return 0;
}
