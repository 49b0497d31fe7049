/* lockhound-expect: clean min_edges=1 min_threads=3 */
/* A binary semaphore handed from one thread to another.  It starts at 1,
 * and at first the producer uses it like a lock: it takes it, takes the
 * queue mutex inside (token -> queue), gives it back; then, with the queue
 * mutex held, takes it again (queue -> token) and hands it to the consumer,
 * which posts it.  Both orders are recorded while it still looks like a
 * lock; the consumer's post shows it is a hand-off, so those orders are
 * void and no cycle is reported.  The queue -> stats order stays
 * (min_edges=1). */
#include "tp.h"

#define ROUNDS 20

static sem_t token;
static pthread_mutex_t queue_mu, stats_mu;
static sem_t produced;
static long items, handed;

static void *producer(void *arg)
{
	int i;

	for (i = 0; i < ROUNDS; i++) {
		tp_sem_wait(&token);
		TP_CHECK(pthread_mutex_lock(&queue_mu));
		items++;
		TP_CHECK(pthread_mutex_lock(&stats_mu));
		handed++;
		TP_CHECK(pthread_mutex_unlock(&stats_mu));
		TP_CHECK(pthread_mutex_unlock(&queue_mu));
		tp_sem_post(&token);

		TP_CHECK(pthread_mutex_lock(&queue_mu));
		tp_sem_wait(&token); /* free: taken to be handed over */
		TP_CHECK(pthread_mutex_unlock(&queue_mu));
		tp_sem_post(&produced);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	int i;

	for (i = 0; i < ROUNDS; i++) {
		tp_sem_wait(&produced);
		TP_CHECK(pthread_mutex_lock(&queue_mu));
		items--;
		TP_CHECK(pthread_mutex_unlock(&queue_mu));
		tp_sem_post(&token); /* the producer took it: a hand-off */
	}
	return NULL;
}

int main(void)
{
	if (sem_init(&token, 0, 1) != 0)
		tp_die("sem_init");
	tp_sem_init(&produced);
	TP_CHECK(pthread_mutex_init(&queue_mu, NULL));
	TP_CHECK(pthread_mutex_init(&stats_mu, NULL));
	pthread_t p = tp_spawn(producer, NULL);
	pthread_t c = tp_spawn(consumer, NULL);
	tp_join(p);
	tp_join(c);
	return items == 0 && handed == ROUNDS ? 0 : 1;
}
