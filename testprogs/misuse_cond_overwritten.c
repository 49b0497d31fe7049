/* lockhound-expect: misuse count=2 what_all=cond-overwritten locks=1 functions=reset_stats min_edges=0 min_threads=1 */
/* A condition variable whose memory is overwritten after pthread_cond_init:
 * a memset meant for the counters next to it zeroes `stats.changed` as
 * well, a condition variable initialized for CLOCK_MONOTONIC, which glibc
 * now takes for one on CLOCK_REALTIME (its timed waits would measure the
 * wrong clock).  lockhound reports cond-overwritten at the signal that
 * follows, and at the timed wait after it (its deadline already past: it
 * returns at once), each call site once.  Zeros over
 * a condition variable with default attributes look like a fresh one and
 * are not seen.  The correct twin is misuse_cond_init_clean. */
#include "tp.h"

#include <time.h>

static struct {
	long counters[4];
	pthread_cond_t changed;
} stats;
static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;

static void reset_stats(void)
{
	struct timespec ts;

	pthread_mutex_lock(&stats_mu);
	memset(&stats, 0, sizeof(stats)); /* the bug: meant sizeof(stats.counters) */
	pthread_cond_signal(&stats.changed);
	clock_gettime(CLOCK_REALTIME, &ts);
	(void)pthread_cond_timedwait(&stats.changed, &stats_mu, &ts);
	pthread_mutex_unlock(&stats_mu);
}

int main(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_cond_init(&stats.changed, &ca) != 0)
		tp_die("pthread_cond_init");
	pthread_condattr_destroy(&ca);
	reset_stats();
	pthread_cond_destroy(&stats.changed);
	return 0;
}
