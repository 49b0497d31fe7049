/* lockhound-expect: misuse count=1 what=use-after-destroy locks=1 functions=lock_destroyed_mutex */
/* Locking a mutex after pthread_mutex_destroy.  glibc marks a destroyed
 * mutex and its pthread_mutex_lock then fails with EINVAL (no hang);
 * lockhound must report use-after-destroy and keep the EINVAL.  The mutex
 * is then initialized again and used correctly. */
#include "tp.h"

static pthread_mutex_t cache_lock;
static int hits;

static void lock_destroyed_mutex(void)
{
	int rc = pthread_mutex_lock(&cache_lock); /* destroyed */
	if (rc != EINVAL) {
		fprintf(stderr, "lock_destroyed_mutex: lock returned %s, not EINVAL\n",
		        strerror(rc));
		exit(2);
	}
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&cache_lock, NULL));
	TP_CHECK(pthread_mutex_lock(&cache_lock));
	hits++;
	TP_CHECK(pthread_mutex_unlock(&cache_lock));
	TP_CHECK(pthread_mutex_destroy(&cache_lock));

	lock_destroyed_mutex();

	TP_CHECK(pthread_mutex_init(&cache_lock, NULL));
	TP_CHECK(pthread_mutex_lock(&cache_lock));
	hits++;
	TP_CHECK(pthread_mutex_unlock(&cache_lock));
	TP_CHECK(pthread_mutex_destroy(&cache_lock));
	return hits == 2 ? 0 : 1;
}
