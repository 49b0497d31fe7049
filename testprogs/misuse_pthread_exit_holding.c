/* lockhound-expect: misuse count=1 what=exit-holding-locks locks=2 functions=job_thread */
/* A thread calls pthread_exit while holding two locks: a mutex and a read
 * lock on an rwlock.  lockhound must report one exit-holding-locks finding
 * listing both.  main touches neither lock again and exits 0. */
#include "tp.h"

static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t config_rw = PTHREAD_RWLOCK_INITIALIZER;
static int jobs_taken;

static void leave_through_pthread_exit(void)
{
	pthread_exit(NULL); /* both locks still held */
}

static void *job_thread(void *arg)
{
	TP_CHECK(pthread_rwlock_rdlock(&config_rw));
	TP_CHECK(pthread_mutex_lock(&jobs_lock));
	jobs_taken++;
	leave_through_pthread_exit();
	return NULL;
}

int main(void)
{
	pthread_t t = tp_spawn(job_thread, NULL);
	tp_join(t);
	return jobs_taken == 1 ? 0 : 1;
}
