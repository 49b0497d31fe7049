/* lockhound-expect: deadlock count=1 what=cycle locks=2 ended_process=true functions=consumer_waits_holding_x,producer_signals_then_locks_x timeout=20 max_seconds=10 */
/* A deadlock through a condition wait.  The consumer holds X and waits in
 * pthread_cond_wait(ready_cv, m).  The producer locks m (it can: the wait
 * released it), sets the flag, signals, and then - still holding m - locks
 * X.  X is held by the consumer, who was woken but must take m back before
 * pthread_cond_wait can return, and m is held by the producer.  Each waits
 * for the other for ever (natively too).
 *
 * Order, made certain by a semaphore: the consumer locks X and m and posts;
 * the producer waits for the post and locks m, which succeeds only once the
 * consumer is inside pthread_cond_wait (the wait releases m atomically), so
 * the signal cannot be lost. */
#include "tp.h"

static pthread_mutex_t x_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static sem_t consumer_holds_m;
static int ready;

static void *consumer_waits_holding_x(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&x_lock));
	TP_CHECK(pthread_mutex_lock(&m_lock));
	tp_sem_post(&consumer_holds_m);
	while (!ready)
		TP_CHECK(pthread_cond_wait(&ready_cv, &m_lock)); /* cannot retake m */
	TP_CHECK(pthread_mutex_unlock(&m_lock));
	TP_CHECK(pthread_mutex_unlock(&x_lock));
	return NULL;
}

static void *producer_signals_then_locks_x(void *arg)
{
	tp_sem_wait(&consumer_holds_m);
	TP_CHECK(pthread_mutex_lock(&m_lock)); /* the consumer is in the wait now */
	ready = 1;
	TP_CHECK(pthread_cond_signal(&ready_cv));
	TP_CHECK(pthread_mutex_lock(&x_lock)); /* the consumer holds X: blocks */
	TP_CHECK(pthread_mutex_unlock(&x_lock));
	TP_CHECK(pthread_mutex_unlock(&m_lock));
	return NULL;
}

int main(void)
{
	tp_sem_init(&consumer_holds_m);
	pthread_t consumer = tp_spawn(consumer_waits_holding_x, NULL);
	pthread_t producer = tp_spawn(producer_signals_then_locks_x, NULL);
	tp_join(consumer);
	tp_join(producer);
	fprintf(stderr, "deadlock_cond_reacquire: finished, which should be impossible\n");
	return 1;
}
