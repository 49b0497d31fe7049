/* lockhound-expect: clean min_edges=1 min_threads=5 */
/* A counting semaphore (a pool of 3 slots) with mutexes: one kind of worker
 * takes a slot and then the stats mutex, another takes the stats mutex and
 * then a slot (sem_wait and sem_timedwait), every worker nests the stats
 * mutex over the log mutex.  Were the pool a lock, slot and stats would make
 * a cycle; a pool is no lock, so it adds no order and the program is clean.
 * The stats -> log order shows that orders were recorded (min_edges=1). */
#include "tp.h"

#include <time.h>

#define N_WORKERS 4
#define ROUNDS 50

static sem_t pool;
static pthread_mutex_t stats_mu, log_mu;
static long in_use, max_in_use, log_lines;

static void account(int delta)
{
	TP_CHECK(pthread_mutex_lock(&log_mu));
	in_use += delta;
	if (in_use > max_in_use)
		max_in_use = in_use;
	log_lines++;
	TP_CHECK(pthread_mutex_unlock(&log_mu));
}

static void *slot_then_stats(void *arg)
{
	int i;

	for (i = 0; i < ROUNDS; i++) {
		tp_sem_wait(&pool);
		TP_CHECK(pthread_mutex_lock(&stats_mu));
		account(1);
		account(-1);
		TP_CHECK(pthread_mutex_unlock(&stats_mu));
		tp_sem_post(&pool);
	}
	return NULL;
}

static void *stats_then_slot(void *arg)
{
	struct timespec ts;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		TP_CHECK(pthread_mutex_lock(&stats_mu));
		if (i % 2) {
			tp_sem_wait(&pool);
		} else {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 10;
			while (sem_timedwait(&pool, &ts) != 0)
				if (errno != EINTR)
					tp_die("sem_timedwait");
		}
		account(1);
		account(-1);
		tp_sem_post(&pool);
		TP_CHECK(pthread_mutex_unlock(&stats_mu));
	}
	return NULL;
}

int main(void)
{
	pthread_t t[N_WORKERS];
	int i;

	if (sem_init(&pool, 0, 3) != 0)
		tp_die("sem_init");
	TP_CHECK(pthread_mutex_init(&stats_mu, NULL));
	TP_CHECK(pthread_mutex_init(&log_mu, NULL));
	for (i = 0; i < N_WORKERS; i++)
		t[i] = tp_spawn(i % 2 ? stats_then_slot : slot_then_stats, NULL);
	for (i = 0; i < N_WORKERS; i++)
		tp_join(t[i]);
	return in_use == 0 && log_lines == 2L * N_WORKERS * ROUNDS ? 0 : 1;
}
