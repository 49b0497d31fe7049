/* lockhound-expect: clean min_edges=0 min_threads=4 */
/* The correct twin of misuse_cond_signal_unlocked: signals sent after the
 * mutex is released, on purpose (the woken waiter need not block on a
 * mutex the signaller still holds).  The predicate is always changed under
 * the waiters' mutex, so no wakeup can be lost: the rule flags a signal
 * whose thread neither holds that mutex nor released it among its last
 * few unlocks (LH_REL_RECENT), not the order of unlock and signal.  Here:
 * the notifier sets `stopping` under queue_mu, unlocks, takes and releases
 * a statistics lock, then signals; main broadcasts after unlocking; a
 * condition variable nobody ever waited on is signalled with no mutex (no
 * waiter, no mutex known); a C11 cnd_signal after mtx_unlock.  No
 * finding. */
#include "tp.h"

#include <sched.h>
#include <threads.h>

static pthread_mutex_t queue_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t nobody_waits = PTHREAD_COND_INITIALIZER;
static int worker_waiting, jobs, stopping, c11_ready;
static long done, notices;
static mtx_t c11_mu;
static cnd_t c11_cv;

static void *worker(void *arg)
{
	(void)arg;
	TP_CHECK(pthread_mutex_lock(&queue_mu));
	worker_waiting = 1;
	while (jobs == 0)
		TP_CHECK(pthread_cond_wait(&work_ready, &queue_mu));
	jobs--;
	done++;
	while (!stopping)
		TP_CHECK(pthread_cond_wait(&work_ready, &queue_mu));
	TP_CHECK(pthread_mutex_unlock(&queue_mu));
	return NULL;
}

static void announce_shutdown(void)
{
	TP_CHECK(pthread_mutex_lock(&queue_mu));
	stopping = 1;
	TP_CHECK(pthread_mutex_unlock(&queue_mu));
	TP_CHECK(pthread_mutex_lock(&stats_mu));
	notices++;
	TP_CHECK(pthread_mutex_unlock(&stats_mu));
	TP_CHECK(pthread_cond_signal(&work_ready)); /* after the unlock: fine */
}

static void *notifier(void *arg)
{
	(void)arg;
	announce_shutdown();
	return NULL;
}

static void hand_over_first_job(void)
{
	for (;;) {
		TP_CHECK(pthread_mutex_lock(&queue_mu));
		if (worker_waiting)
			break;
		TP_CHECK(pthread_mutex_unlock(&queue_mu));
		sched_yield();
	}
	jobs++;
	TP_CHECK(pthread_mutex_unlock(&queue_mu));
	TP_CHECK(pthread_cond_broadcast(&work_ready));
}

static void *c11_waiter(void *arg)
{
	(void)arg;
	if (mtx_lock(&c11_mu) != thrd_success)
		tp_die("mtx_lock");
	while (!c11_ready)
		if (cnd_wait(&c11_cv, &c11_mu) != thrd_success)
			tp_die("cnd_wait");
	mtx_unlock(&c11_mu);
	return NULL;
}

int main(void)
{
	pthread_t w, n, c;

	if (mtx_init(&c11_mu, mtx_plain) != thrd_success || cnd_init(&c11_cv) != thrd_success)
		tp_die("mtx_init");
	w = tp_spawn(worker, NULL);
	hand_over_first_job();
	n = tp_spawn(notifier, NULL);
	tp_join(n);
	tp_join(w);
	TP_CHECK(pthread_cond_signal(&nobody_waits));
	c = tp_spawn(c11_waiter, NULL);
	if (mtx_lock(&c11_mu) != thrd_success)
		tp_die("mtx_lock");
	c11_ready = 1;
	mtx_unlock(&c11_mu);
	if (cnd_signal(&c11_cv) != thrd_success)
		tp_die("cnd_signal");
	tp_join(c);
	cnd_destroy(&c11_cv);
	mtx_destroy(&c11_mu);
	printf("done %ld notices %ld\n", done, notices);
	return done == 1 ? 0 : 1;
}
