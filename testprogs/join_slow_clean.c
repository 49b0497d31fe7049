/* lockhound-expect: clean min_edges=0 min_threads=4 timeout=20 */
/* Joining a slow thread is not a deadlock, even while holding a lock, as
 * long as the joined thread does not need that lock.  main locks `stats`
 * and joins a worker that computes for 2 s without touching `stats`; a
 * second thread blocks on `stats` meanwhile.  Waits: helper -> main (lock),
 * main -> worker (join), worker runs.  A chain: clean.  Then main unlocks,
 * and joins the helper; a C11 thread (thrd_create/thrd_join) that sleeps
 * 1.2 s is joined last. */
#include <threads.h>
#include <time.h>
#include "tp.h"

static pthread_mutex_t stats = PTHREAD_MUTEX_INITIALIZER;
static sem_t main_holds_stats;
static volatile unsigned long work_done;
static long stats_updates;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *slow_worker(void *arg)
{
	double end = now_s() + 2.0;
	while (now_s() < end)
		work_done++;
	return NULL;
}

static void *stats_reader(void *arg)
{
	tp_sem_wait(&main_holds_stats);
	TP_CHECK(pthread_mutex_lock(&stats)); /* waits ~2 s for main */
	stats_updates++;
	TP_CHECK(pthread_mutex_unlock(&stats));
	return NULL;
}

static int c11_sleeper(void *arg)
{
	struct timespec ts = { 1, 200000000L };
	while (thrd_sleep(&ts, &ts) == -1)
		;
	return 7;
}

static void join_slow_worker_holding_stats(void)
{
	pthread_t worker = tp_spawn(slow_worker, NULL);
	pthread_t reader = tp_spawn(stats_reader, NULL);
	TP_CHECK(pthread_mutex_lock(&stats));
	tp_sem_post(&main_holds_stats);
	tp_join(worker); /* ~2 s */
	stats_updates++;
	TP_CHECK(pthread_mutex_unlock(&stats));
	tp_join(reader);
}

int main(void)
{
	thrd_t sleeper;
	int res = 0;

	tp_sem_init(&main_holds_stats);
	join_slow_worker_holding_stats();
	if (thrd_create(&sleeper, c11_sleeper, NULL) != thrd_success ||
	    thrd_join(sleeper, &res) != thrd_success || res != 7) {
		fprintf(stderr, "join_slow_clean: C11 thread failed\n");
		return 2;
	}
	return stats_updates == 2 ? 0 : 1;
}
