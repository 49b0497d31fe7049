/* lockhound-expect: clean min_edges=0 min_threads=3 timeout=20 */
/* A long condition wait is not a deadlock.  The consumer waits in
 * pthread_cond_wait for about 2.5 s.  The producer first works for 1 s,
 * then locks the condition's mutex and holds it for 1.5 s (so the
 * consumer's wait now depends on the producer, who is not waiting for
 * anything), then sets the flag and signals.  main waits in pthread_join
 * of the consumer.  Chain, not cycle: clean. */
#include <time.h>
#include "tp.h"

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cv = PTHREAD_COND_INITIALIZER;
static sem_t consumer_holds_lock;
static int item_ready, item;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void *consumer_waits(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&queue_lock));
	tp_sem_post(&consumer_holds_lock);
	while (!item_ready)
		TP_CHECK(pthread_cond_wait(&queue_cv, &queue_lock));
	int got = item;
	TP_CHECK(pthread_mutex_unlock(&queue_lock));
	return got == 42 ? NULL : (void *)1;
}

static void *slow_producer(void *arg)
{
	tp_sem_wait(&consumer_holds_lock);
	sleep_ms(1000);
	TP_CHECK(pthread_mutex_lock(&queue_lock));
	sleep_ms(1500); /* the consumer's wait cannot end while we hold this */
	item = 42;
	item_ready = 1;
	TP_CHECK(pthread_cond_signal(&queue_cv));
	TP_CHECK(pthread_mutex_unlock(&queue_lock));
	return NULL;
}

int main(void)
{
	void *consumer_result;

	tp_sem_init(&consumer_holds_lock);
	pthread_t consumer = tp_spawn(consumer_waits, NULL);
	pthread_t producer = tp_spawn(slow_producer, NULL);
	TP_CHECK(pthread_join(consumer, &consumer_result));
	tp_join(producer);
	return consumer_result == NULL ? 0 : 1;
}
