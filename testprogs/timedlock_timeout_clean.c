/* lockhound-expect: clean min_edges=0 min_threads=3 timeout=20 */
/* Timed waits end by themselves, so they are never part of a deadlock.
 * Phase 1: main locks `session` and joins a worker; the worker calls
 * pthread_mutex_timedlock(session) with a 1.5 s timeout.  main waits for
 * the worker, the worker waits for main's lock - it would be a cycle, but
 * the worker's wait is timed: it gets ETIMEDOUT and returns, and main's join
 * ends.  Phase 2: the same with pthread_mutex_clocklock (CLOCK_MONOTONIC,
 * 1.2 s).  Both waits outlast the watchdog's 1 s grace.  No thread ever
 * holds one lock while taking another: no lock-order edges at all. */
#include <time.h>
#include "tp.h"

static pthread_mutex_t session = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cache = PTHREAD_MUTEX_INITIALIZER;
static sem_t main_holds_lock;

static void deadline_after(clockid_t clk, struct timespec *ts, long ms)
{
	clock_gettime(clk, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *timedlock_gives_up(void *arg)
{
	struct timespec deadline;

	tp_sem_wait(&main_holds_lock);
	deadline_after(CLOCK_REALTIME, &deadline, 1500);
	int rc = pthread_mutex_timedlock(&session, &deadline);
	if (rc != ETIMEDOUT) {
		fprintf(stderr, "timedlock_gives_up: expected ETIMEDOUT, got %s\n", strerror(rc));
		exit(2);
	}
	return NULL;
}

static void *clocklock_gives_up(void *arg)
{
	struct timespec deadline;

	tp_sem_wait(&main_holds_lock);
	deadline_after(CLOCK_MONOTONIC, &deadline, 1200);
	int rc = pthread_mutex_clocklock(&cache, CLOCK_MONOTONIC, &deadline);
	if (rc != ETIMEDOUT) {
		fprintf(stderr, "clocklock_gives_up: expected ETIMEDOUT, got %s\n", strerror(rc));
		exit(2);
	}
	return NULL;
}

static void join_holding(pthread_mutex_t *m, void *(*worker)(void *))
{
	pthread_t t = tp_spawn(worker, NULL);
	TP_CHECK(pthread_mutex_lock(m));
	tp_sem_post(&main_holds_lock);
	tp_join(t); /* returns once the worker's timed wait expires */
	TP_CHECK(pthread_mutex_unlock(m));
}

int main(void)
{
	tp_sem_init(&main_holds_lock);
	join_holding(&session, timedlock_gives_up);
	join_holding(&cache, clocklock_gives_up);
	return 0;
}
