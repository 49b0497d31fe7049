/* lockhound-expect: misuse count=2 what_all=cond-not-initialized locks=1 functions=use_queue min_edges=0 min_threads=1 */
/* Condition variables that nobody initialized: each `struct queue` comes
 * from malloc, whose memory holds whatever was there before (here a
 * pattern the program writes, to be deterministic), and the
 * pthread_cond_init meant for it was forgotten.  lockhound reports
 * cond-not-initialized before glibc runs on the garbage: for one queue at
 * its first signal (wake_workers), for the other at its first wait
 * (wait_for_job).  The pattern is one glibc 2.36 survives at once: no
 * waiter in __wrefs (signal and broadcast return at once), both groups'
 * __g_signals closed (bit 0: the wait returns without blocking), and
 * __wrefs not process-shared (a shared one may have been initialized by
 * another process: not reported).  The correct twin is
 * misuse_cond_init_clean. */
#include "tp.h"

#include <time.h>

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t nonempty;
	int n;
};

static struct queue *new_queue(void)
{
	struct queue *q = malloc(sizeof(*q));

	if (!q)
		tp_die("malloc");
	memset(q, 0x5a, sizeof(*q)); /* what the heap happened to hold */
	pthread_mutex_init(&q->mu, NULL);
	/* the bug: no pthread_cond_init(&q->nonempty, NULL) */
	q->nonempty.__data.__wrefs = 0;           /* no waiters, private */
	q->nonempty.__data.__g_signals[0] = 0x5b; /* both groups closed */
	q->nonempty.__data.__g_signals[1] = 0x5b;
	return q;
}

static void wake_workers(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->n++;
	pthread_cond_signal(&q->nonempty);
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->mu);
}

static void wait_for_job(struct queue *q)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	pthread_mutex_lock(&q->mu);
	(void)pthread_cond_timedwait(&q->nonempty, &q->mu, &ts);
	pthread_mutex_unlock(&q->mu);
}

static void use_queue(struct queue *a, struct queue *b)
{
	wake_workers(a);
	wait_for_job(b);
}

int main(void)
{
	struct queue *a = new_queue(), *b = new_queue();

	use_queue(a, b);
	pthread_mutex_destroy(&a->mu);
	pthread_mutex_destroy(&b->mu);
	free(a);
	free(b);
	return 0;
}
