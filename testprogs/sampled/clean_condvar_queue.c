/* lockhound-sampled: clean */
/* A condition-variable queue: a producer puts heap items into a ring under
 * a mutex and signals; the consumer waits, takes them under the mutex and
 * reads and frees each item outside it.  The item's fields are handed over
 * through the queue's lock. */
#include <stdbool.h>

#include "sb.h"

#define QLEN 16

struct item {
	long seq;
	long payload[4];
};

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_nonempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_nonfull = PTHREAD_COND_INITIALIZER;
static struct item *queue[QLEN];
static int q_head, q_len;
static bool q_done;

static struct item *make_item(long seq)
{
	struct item *it = malloc(sizeof(*it));

	if (!it)
		exit(2);
	it->seq = seq;
	for (int i = 0; i < 4; i++)
		it->payload[i] = seq * 4 + i;
	return it;
}

static void *producer(void *arg)
{
	for (long seq = 0; sb_running(); seq++) {
		struct item *it = make_item(seq);

		SB_CHECK(pthread_mutex_lock(&q_lock));
		while (q_len == QLEN)
			SB_CHECK(pthread_cond_wait(&q_nonfull, &q_lock));
		queue[(q_head + q_len) % QLEN] = it;
		q_len++;
		SB_CHECK(pthread_cond_signal(&q_nonempty));
		SB_CHECK(pthread_mutex_unlock(&q_lock));
	}
	SB_CHECK(pthread_mutex_lock(&q_lock));
	q_done = true;
	SB_CHECK(pthread_cond_signal(&q_nonempty));
	SB_CHECK(pthread_mutex_unlock(&q_lock));
	return NULL;
}

static void *consumer(void *arg)
{
	long want = 0;
	int ok = 1;

	for (;;) {
		struct item *it;

		SB_CHECK(pthread_mutex_lock(&q_lock));
		while (q_len == 0 && !q_done)
			SB_CHECK(pthread_cond_wait(&q_nonempty, &q_lock));
		if (q_len == 0) {
			SB_CHECK(pthread_mutex_unlock(&q_lock));
			break;
		}
		it = queue[q_head];
		q_head = (q_head + 1) % QLEN;
		q_len--;
		SB_CHECK(pthread_cond_signal(&q_nonfull));
		SB_CHECK(pthread_mutex_unlock(&q_lock));
		ok &= it->seq == want && it->payload[3] == want * 4 + 3;
		want++;
		free(it);
	}
	return (void *)(intptr_t)ok;
}

int main(int argc, char **argv)
{
	pthread_t p, c;
	void *ok;

	sb_end_ns = sb_deadline(argc, argv);
	SB_CHECK(pthread_create(&c, NULL, consumer, NULL));
	SB_CHECK(pthread_create(&p, NULL, producer, NULL));
	SB_CHECK(pthread_join(p, NULL));
	SB_CHECK(pthread_join(c, &ok));
	printf("clean_condvar_queue: %s\n", ok ? "items in order" : "ITEM OUT OF ORDER");
	return !ok;
}
