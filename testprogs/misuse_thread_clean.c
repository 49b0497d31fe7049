/* lockhound-expect: clean min_edges=0 min_threads=4 */
/* The correct twin of misuse_join_self, misuse_join_detached and
 * misuse_detach_detached: every joinable thread is joined once, by another
 * thread; a thread is detached once and never joined; a thread detaches
 * itself once.  No finding. */
#include "tp.h"

static sem_t go, finished;

static void *work(void *arg)
{
	(void)arg;
	return NULL;
}

static void *detached_work(void *arg)
{
	(void)arg;
	tp_sem_wait(&go);
	tp_sem_post(&finished);
	return NULL;
}

static void *self_detaching(void *arg)
{
	(void)arg;
	TP_CHECK(pthread_detach(pthread_self()));
	tp_sem_post(&finished);
	return NULL;
}

int main(void)
{
	pthread_t a, d, s;

	tp_sem_init(&go);
	tp_sem_init(&finished);
	TP_CHECK(pthread_create(&a, NULL, work, NULL));
	TP_CHECK(pthread_join(a, NULL));
	TP_CHECK(pthread_create(&d, NULL, detached_work, NULL));
	TP_CHECK(pthread_detach(d));
	tp_sem_post(&go);
	tp_sem_wait(&finished);
	TP_CHECK(pthread_create(&s, NULL, self_detaching, NULL));
	tp_sem_wait(&finished);
	return 0;
}
