/* lockhound-expect: misuse count=1 what=unlock-other-thread locks=1 functions=unlock_someone_elses_lock */
/* Unlocking a mutex another thread holds.  The owner locks `queue_lock` and
 * waits; a second thread calls pthread_mutex_unlock on it.  The mutex is
 * ERRORCHECK, so glibc returns EPERM and the mutex stays locked by its
 * owner; lockhound must report the misuse (and who holds the lock).  Then
 * the owner unlocks it properly and everything ends normally. */
#include "tp.h"

static pthread_mutex_t queue_lock;
static sem_t owner_holds, intruder_done;
static int queue_len;

static void *owner(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&queue_lock));
	queue_len++;
	tp_sem_post(&owner_holds);
	tp_sem_wait(&intruder_done);
	TP_CHECK(pthread_mutex_unlock(&queue_lock));
	return NULL;
}

static void unlock_someone_elses_lock(void)
{
	int rc = pthread_mutex_unlock(&queue_lock);
	if (rc != EPERM) {
		fprintf(stderr, "unlock_someone_elses_lock: unlock returned %s, not EPERM\n",
		        strerror(rc));
		exit(2);
	}
}

static void *intruder(void *arg)
{
	tp_sem_wait(&owner_holds);
	unlock_someone_elses_lock();
	tp_sem_post(&intruder_done);
	return NULL;
}

int main(void)
{
	tp_mutex_init(&queue_lock, PTHREAD_MUTEX_ERRORCHECK);
	tp_sem_init(&owner_holds);
	tp_sem_init(&intruder_done);
	pthread_t t1 = tp_spawn(owner, NULL);
	pthread_t t2 = tp_spawn(intruder, NULL);
	tp_join(t1);
	tp_join(t2);
	TP_CHECK(pthread_mutex_destroy(&queue_lock));
	return queue_len == 1 ? 0 : 1;
}
