/* lockhound-expect: misuse count=1 what=cond-wait-not-held locks=1 functions=wait_without_lock */
/* pthread_cond_wait with a mutex the caller does not hold.  With a normal
 * mutex that is undefined behaviour, so the mutex is ERRORCHECK: glibc's
 * pthread_cond_wait fails at once with EPERM (it cannot release the mutex)
 * and does not wait.  lockhound must report cond-wait-not-held and keep the
 * EPERM.  The worker then does the wait correctly (holding the mutex, with
 * a predicate loop), is signalled by main, unlocks and returns: it must not
 * look as if the failed wait had left it holding the mutex. */
#include "tp.h"

static pthread_mutex_t state_lock;
static pthread_cond_t state_cv = PTHREAD_COND_INITIALIZER;
static sem_t worker_waiting;
static int state_ready;

static void wait_without_lock(void)
{
	int rc = pthread_cond_wait(&state_cv, &state_lock); /* not held */
	if (rc != EPERM) {
		fprintf(stderr, "wait_without_lock: pthread_cond_wait returned %s, not EPERM\n",
		        strerror(rc));
		exit(2);
	}
}

static void *state_worker(void *arg)
{
	wait_without_lock();

	TP_CHECK(pthread_mutex_lock(&state_lock));
	tp_sem_post(&worker_waiting);
	while (!state_ready)
		TP_CHECK(pthread_cond_wait(&state_cv, &state_lock));
	TP_CHECK(pthread_mutex_unlock(&state_lock));
	return NULL;
}

int main(void)
{
	tp_mutex_init(&state_lock, PTHREAD_MUTEX_ERRORCHECK);
	tp_sem_init(&worker_waiting);
	pthread_t t = tp_spawn(state_worker, NULL);

	tp_sem_wait(&worker_waiting);
	TP_CHECK(pthread_mutex_lock(&state_lock));
	state_ready = 1;
	TP_CHECK(pthread_cond_signal(&state_cv));
	TP_CHECK(pthread_mutex_unlock(&state_lock));
	tp_join(t);
	TP_CHECK(pthread_mutex_destroy(&state_lock));
	TP_CHECK(pthread_cond_destroy(&state_cv));
	return 0;
}
