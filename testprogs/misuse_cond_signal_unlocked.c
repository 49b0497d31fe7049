/* lockhound-expect: misuse count=1 what=cond-signal-without-mutex locks=2 functions=announce_shutdown min_edges=0 min_threads=3 */
/* A condition variable signalled by a thread that never takes the mutex
 * its waiters use: the shutdown notifier sets `stopping` (an atomic) and
 * signals `work_ready` without `queue_mu`.  The worker checks its
 * predicate under queue_mu and then waits; a signal that lands between the
 * check and the wait wakes nobody, and the worker sleeps on (a lost
 * wakeup).  In this run main makes sure the worker already waits when the
 * notifier starts, so the signal is not lost and the program ends; the
 * code is as wrong either way.  Helgrind calls this "dubious"; some
 * programs do it on purpose, so it is its own `what`, suppressible
 * (docs/REFERENCE.md, Suppressions).  lockhound names the condition
 * variable and the waiter with the mutex it waits with.  The correct twin
 * is misuse_cond_signal_clean. */
#include "tp.h"

#include <sched.h>
#include <stdatomic.h>

static pthread_mutex_t queue_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_ready;
static int worker_stage, jobs;
static atomic_int stopping;
static long done;

static void *worker(void *arg)
{
	(void)arg;
	TP_CHECK(pthread_mutex_lock(&queue_mu));
	worker_stage = 1;
	while (jobs == 0)
		TP_CHECK(pthread_cond_wait(&work_ready, &queue_mu));
	jobs--;
	done++;
	worker_stage = 2;
	while (!atomic_load(&stopping))
		TP_CHECK(pthread_cond_wait(&work_ready, &queue_mu));
	TP_CHECK(pthread_mutex_unlock(&queue_mu));
	return NULL;
}

/* the bug: the predicate is set and the signal sent without queue_mu */
static void announce_shutdown(void)
{
	atomic_store(&stopping, 1);
	TP_CHECK(pthread_cond_signal(&work_ready));
}

static void *notifier(void *arg)
{
	(void)arg;
	announce_shutdown();
	return NULL;
}

/* The worker holds queue_mu from setting its stage until its wait
 * releases it: once main sees the stage under queue_mu, the worker
 * waits.  Returns with queue_mu held. */
static void lock_when_worker_waits(int stage)
{
	for (;;) {
		TP_CHECK(pthread_mutex_lock(&queue_mu));
		if (worker_stage == stage)
			return;
		TP_CHECK(pthread_mutex_unlock(&queue_mu));
		sched_yield();
	}
}

int main(void)
{
	pthread_t w, n;

	TP_CHECK(pthread_cond_init(&work_ready, NULL));
	w = tp_spawn(worker, NULL);
	lock_when_worker_waits(1);
	jobs++;
	TP_CHECK(pthread_cond_signal(&work_ready)); /* right: queue_mu is held */
	TP_CHECK(pthread_mutex_unlock(&queue_mu));
	lock_when_worker_waits(2);
	TP_CHECK(pthread_mutex_unlock(&queue_mu));
	n = tp_spawn(notifier, NULL);
	tp_join(n);
	tp_join(w);
	TP_CHECK(pthread_cond_destroy(&work_ready));
	return done == 1 ? 0 : 1;
}
