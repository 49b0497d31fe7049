/* lockhound-expect: clean */
/* Producer/consumer on a bounded queue: queue lock Q with two condition
 * variables, plus a stats lock S always taken inside Q (Q -> S only).
 * pthread_cond_wait releases Q while waiting and re-takes it: no cycle. */
#include "tp.h"

#define N_ITEMS 2000
#define QUEUE_CAP 8

static pthread_mutex_t queue_lock, stats_lock;
static pthread_cond_t not_empty, not_full;
static int queue[QUEUE_CAP];
static int q_head, q_len;
static long produced, consumed, sum;

static void *producer(void *arg)
{
	for (int i = 1; i <= N_ITEMS; i++) {
		TP_CHECK(pthread_mutex_lock(&queue_lock));
		while (q_len == QUEUE_CAP)
			TP_CHECK(pthread_cond_wait(&not_full, &queue_lock));
		queue[(q_head + q_len) % QUEUE_CAP] = i;
		q_len++;
		TP_CHECK(pthread_mutex_lock(&stats_lock));
		produced++;
		TP_CHECK(pthread_mutex_unlock(&stats_lock));
		TP_CHECK(pthread_cond_signal(&not_empty));
		TP_CHECK(pthread_mutex_unlock(&queue_lock));
	}
	return NULL;
}

static void *consumer(void *arg)
{
	for (int i = 1; i <= N_ITEMS; i++) {
		TP_CHECK(pthread_mutex_lock(&queue_lock));
		while (q_len == 0)
			TP_CHECK(pthread_cond_wait(&not_empty, &queue_lock));
		int item = queue[q_head];
		q_head = (q_head + 1) % QUEUE_CAP;
		q_len--;
		TP_CHECK(pthread_mutex_lock(&stats_lock));
		consumed++;
		sum += item;
		TP_CHECK(pthread_mutex_unlock(&stats_lock));
		TP_CHECK(pthread_cond_signal(&not_full));
		TP_CHECK(pthread_mutex_unlock(&queue_lock));
	}
	return NULL;
}

/* Main reads the stats alone: S without Q is fine too. */
static long read_consumed(void)
{
	long v;
	TP_CHECK(pthread_mutex_lock(&stats_lock));
	v = consumed;
	TP_CHECK(pthread_mutex_unlock(&stats_lock));
	return v;
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&queue_lock, NULL));
	TP_CHECK(pthread_mutex_init(&stats_lock, NULL));
	TP_CHECK(pthread_cond_init(&not_empty, NULL));
	TP_CHECK(pthread_cond_init(&not_full, NULL));

	pthread_t c = tp_spawn(consumer, NULL);
	pthread_t p = tp_spawn(producer, NULL);
	tp_join(p);
	tp_join(c);
	if (read_consumed() != N_ITEMS || produced != N_ITEMS ||
	    sum != (long)N_ITEMS * (N_ITEMS + 1) / 2)
		return 1;
	return 0;
}
