/* lockhound-expect: clean min_edges=0 min_threads=4 timeout=30 */
/* Long semaphore waits that end, each past the watchdog's 1 s grace:
 *  - T1 waits on `first`, which no thread has posted yet (no known waker:
 *    silent) until main posts it after about 1.5 s;
 *  - T2 waits on `data`, whose only poster so far, T3, is blocked too, but
 *    on a lock held by main, which runs (sleeps) and lets it go after about
 *    1.5 s: the waits form a chain that ends at a running thread, not a
 *    cycle;
 *  - a binary semaphore held by main while T3 waits in sem_wait for it, a
 *    lock wait on a running holder.
 * Every wait ends and the program finishes cleanly. */
#include <time.h>
#include "tp.h"

static sem_t first, data, binary;
static pthread_mutex_t gate;
static sem_t t3_posted;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void *wait_first(void *arg)
{
	tp_sem_wait(&first);
	return NULL;
}

static void *wait_data(void *arg)
{
	tp_sem_wait(&data); /* T3's first post */
	tp_sem_wait(&data); /* T3 blocks on gate before its second one */
	return NULL;
}

static void *poster(void *arg)
{
	tp_sem_post(&data);
	tp_sem_post(&t3_posted);
	TP_CHECK(pthread_mutex_lock(&gate)); /* main holds it for a while */
	tp_sem_post(&data);
	TP_CHECK(pthread_mutex_unlock(&gate));
	tp_sem_wait(&binary); /* main has it for a while */
	tp_sem_post(&binary);
	return NULL;
}

int main(void)
{
	tp_sem_init(&first);
	tp_sem_init(&data);
	tp_sem_init(&t3_posted);
	if (sem_init(&binary, 0, 1) != 0)
		tp_die("sem_init");
	TP_CHECK(pthread_mutex_init(&gate, NULL));

	TP_CHECK(pthread_mutex_lock(&gate));
	tp_sem_wait(&binary);
	pthread_t t1 = tp_spawn(wait_first, NULL);
	pthread_t t2 = tp_spawn(wait_data, NULL);
	pthread_t t3 = tp_spawn(poster, NULL);
	tp_sem_wait(&t3_posted);
	sleep_ms(1500);
	TP_CHECK(pthread_mutex_unlock(&gate));
	sleep_ms(1500);
	tp_sem_post(&binary);
	tp_sem_post(&first);
	tp_join(t1);
	tp_join(t2);
	tp_join(t3);
	return 0;
}
