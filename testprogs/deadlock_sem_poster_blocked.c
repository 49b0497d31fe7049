/* lockhound-expect: deadlock count=1 what=cycle locks=2 ended_process=true functions=wait_for_data,post_under_lock timeout=20 max_seconds=10 */
/* A signalling semaphore (initial 0) whose only poster blocks: the
 * producer posted `data` once already, so it is the thread that could post
 * it again; the consumer holds `state` and waits on `data`, while the
 * producer needs `state` before it posts.  Neither can go on: the consumer
 * waits for its poster, the poster waits for the consumer's mutex.  The
 * watchdog follows the wait on the semaphore to its known poster, sees the
 * cycle, reports it and ends the process. */
#include "tp.h"

static sem_t data;
static pthread_mutex_t state;
static pthread_barrier_t consumer_holds_state;

static void *post_under_lock(void *arg)
{
	tp_sem_post(&data); /* the first item: this thread is the poster */
	tp_barrier_wait(&consumer_holds_state);
	TP_CHECK(pthread_mutex_lock(&state)); /* blocks forever */
	tp_sem_post(&data);
	TP_CHECK(pthread_mutex_unlock(&state));
	return NULL;
}

static void *wait_for_data(void *arg)
{
	tp_sem_wait(&data); /* the first item */
	TP_CHECK(pthread_mutex_lock(&state));
	tp_barrier_wait(&consumer_holds_state);
	tp_sem_wait(&data); /* blocks forever: the poster needs `state` */
	TP_CHECK(pthread_mutex_unlock(&state));
	return NULL;
}

int main(void)
{
	tp_sem_init(&data);
	TP_CHECK(pthread_mutex_init(&state, NULL));
	tp_barrier_init(&consumer_holds_state, 2);

	pthread_t c = tp_spawn(wait_for_data, NULL);
	pthread_t p = tp_spawn(post_under_lock, NULL);
	tp_join(c);
	tp_join(p);
	fprintf(stderr, "deadlock_sem_poster_blocked: finished, which should be impossible\n");
	return 1;
}
