/* lockhound-expect: clean min_edges=0 min_threads=6 timeout=30 */
/* The correct twin of deadlock_cond_destroy_waiter,
 * deadlock_barrier_extra_waiter, deadlock_cnd_lost_wakeup and
 * misuse_barrier_destroy_waiters: waits that last well past the
 * watchdog's grace period but end, because some thread could still end
 * them.  No finding.
 *   - a worker waits on a condition variable (with a predicate) while main
 *     sleeps for longer than the grace period, then signals: main was
 *     running, so the wait was no stall; the condition variable is
 *     destroyed after the worker is joined;
 *   - C11: the same with cnd_wait and a predicate;
 *   - three threads meet at a barrier of three for several rounds, one of
 *     them late by more than the grace period; destroyed after the joins;
 *   - a worker loops in timed condition waits that time out while main
 *     waits in pthread_join for it: a timed wait ends by itself;
 *   - main, the only thread the shim knows, waits on a condition variable
 *     that a SIGEV_THREAD timer's callback signals later: glibc starts the
 *     timer's threads itself, unseen by the shim, and they are counted as
 *     threads that could signal. */
#include "tp.h"

#include <signal.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#define LONGER_THAN_GRACE_US 1500000 /* the default deadlock_grace_ms is 1000 */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_ready = PTHREAD_COND_INITIALIZER;
static int n_jobs;
static sem_t waiting;

static void *wait_for_job(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&mu));
	tp_sem_post(&waiting);
	while (n_jobs == 0)
		TP_CHECK(pthread_cond_wait(&job_ready, &mu));
	n_jobs--;
	TP_CHECK(pthread_mutex_unlock(&mu));
	return NULL;
}

static void cond_late_signal(void)
{
	pthread_t w = tp_spawn(wait_for_job, NULL);

	tp_sem_wait(&waiting);
	usleep(LONGER_THAN_GRACE_US);
	TP_CHECK(pthread_mutex_lock(&mu));
	n_jobs = 1;
	TP_CHECK(pthread_cond_signal(&job_ready));
	TP_CHECK(pthread_mutex_unlock(&mu));
	tp_join(w);
	TP_CHECK(pthread_cond_destroy(&job_ready));
}

static mtx_t c11_mu;
static cnd_t c11_started;
static int c11_go;

static int c11_wait(void *arg)
{
	(void)arg;
	mtx_lock(&c11_mu);
	tp_sem_post(&waiting);
	while (!c11_go)
		cnd_wait(&c11_started, &c11_mu);
	mtx_unlock(&c11_mu);
	return 0;
}

static void c11_late_signal(void)
{
	thrd_t w;

	mtx_init(&c11_mu, mtx_plain);
	cnd_init(&c11_started);
	if (thrd_create(&w, c11_wait, NULL) != thrd_success)
		exit(2);
	tp_sem_wait(&waiting);
	usleep(LONGER_THAN_GRACE_US);
	mtx_lock(&c11_mu);
	c11_go = 1;
	cnd_signal(&c11_started);
	mtx_unlock(&c11_mu);
	thrd_join(w, NULL);
	cnd_destroy(&c11_started);
	mtx_destroy(&c11_mu);
}

#define ROUNDS 4
static pthread_barrier_t phase;

static void *phased_work(void *arg)
{
	int i;

	for (i = 0; i < ROUNDS; i++) {
		if (arg && i == 1)
			usleep(LONGER_THAN_GRACE_US); /* late, but on its way */
		tp_barrier_wait(&phase);
	}
	return NULL;
}

static void barrier_rounds(void)
{
	pthread_t a, b;

	tp_barrier_init(&phase, 3);
	a = tp_spawn(phased_work, NULL);
	b = tp_spawn(phased_work, &phase);
	phased_work(NULL);
	tp_join(a);
	tp_join(b);
	TP_CHECK(pthread_barrier_destroy(&phase));
}

static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *timed_waits(void *arg)
{
	int i;

	TP_CHECK(pthread_mutex_lock(&mu));
	for (i = 0; i < 3; i++) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 600000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&never, &mu, &ts) != ETIMEDOUT)
			exit(2);
	}
	TP_CHECK(pthread_mutex_unlock(&mu));
	return NULL;
}

static pthread_cond_t fired = PTHREAD_COND_INITIALIZER;
static int n_fired;

static void timer_fired(union sigval v)
{
	(void)v;
	TP_CHECK(pthread_mutex_lock(&mu));
	n_fired++;
	TP_CHECK(pthread_cond_signal(&fired));
	TP_CHECK(pthread_mutex_unlock(&mu));
}

static void timer_signals(void)
{
	struct sigevent sev;
	struct itimerspec its;
	timer_t tm;

	memset(&sev, 0, sizeof(sev));
	memset(&its, 0, sizeof(its));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = timer_fired;
	its.it_value.tv_sec = LONGER_THAN_GRACE_US / 1000000;
	its.it_value.tv_nsec = (LONGER_THAN_GRACE_US % 1000000) * 1000L;
	if (timer_create(CLOCK_MONOTONIC, &sev, &tm) != 0 || timer_settime(tm, 0, &its, NULL) != 0)
		tp_die("timer");
	TP_CHECK(pthread_mutex_lock(&mu));
	while (n_fired == 0)
		TP_CHECK(pthread_cond_wait(&fired, &mu));
	TP_CHECK(pthread_mutex_unlock(&mu));
	timer_delete(tm);
}

int main(void)
{
	tp_sem_init(&waiting);
	cond_late_signal();
	c11_late_signal();
	barrier_rounds();
	tp_join(tp_spawn(timed_waits, NULL));
	timer_signals();
	puts("done");
	return 0;
}
