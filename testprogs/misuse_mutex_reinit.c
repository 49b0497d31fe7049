/* lockhound-expect: misuse count=2 what_all=mutex-reinit locks=1 min_edges=0 min_threads=2 */
/* A mutex initialized again without a destroy between, twice: reload_config
 * calls pthread_mutex_init on the global `config_mu` that setup initialized
 * (unlocked at the time), and reset_stats re-initializes `stats_mu` while
 * the worker holds it (glibc overwrites the locked mutex: the worker's
 * critical section is no longer exclusive, and its unlock leaves glibc's
 * user count at -1, so stats_mu cannot be destroyed any more).  lockhound reports
 * mutex-reinit at each second init, naming the mutex and where it was
 * first initialized; for stats_mu also the worker that holds it.  The
 * correct twin is misuse_mutex_init_clean. */
#include "tp.h"

static pthread_mutex_t config_mu, stats_mu;
static sem_t worker_holds, worker_may_go;
static long config_version, stats_total;

static void setup(void)
{
	TP_CHECK(pthread_mutex_init(&config_mu, NULL));
	TP_CHECK(pthread_mutex_init(&stats_mu, NULL));
}

static void reload_config(void)
{
	TP_CHECK(pthread_mutex_init(&config_mu, NULL)); /* the bug: no destroy before */
	TP_CHECK(pthread_mutex_lock(&config_mu));
	config_version++;
	TP_CHECK(pthread_mutex_unlock(&config_mu));
}

static void reset_stats(void)
{
	TP_CHECK(pthread_mutex_init(&stats_mu, NULL)); /* the bug: the worker holds it */
	stats_total = 0;
}

static void *add_stats(void *arg)
{
	(void)arg;
	TP_CHECK(pthread_mutex_lock(&stats_mu));
	stats_total += 10;
	tp_sem_post(&worker_holds);
	tp_sem_wait(&worker_may_go);
	TP_CHECK(pthread_mutex_unlock(&stats_mu));
	return NULL;
}

int main(void)
{
	pthread_t w;

	tp_sem_init(&worker_holds);
	tp_sem_init(&worker_may_go);
	setup();
	TP_CHECK(pthread_mutex_lock(&config_mu));
	config_version = 1;
	TP_CHECK(pthread_mutex_unlock(&config_mu));
	reload_config();
	w = tp_spawn(add_stats, NULL);
	tp_sem_wait(&worker_holds);
	reset_stats();
	tp_sem_post(&worker_may_go);
	tp_join(w);
	TP_CHECK(pthread_mutex_destroy(&config_mu));
	return config_version == 2 ? 0 : 1;
}
