/* lockhound-expect: misuse count=1 what=unlock-not-locked locks=1 functions=release_twice */
/* Unlocking a mutex that is not locked: a double unlock.  The mutex is an
 * ERRORCHECK mutex, so glibc refuses the second unlock with EPERM and
 * nothing is damaged; lockhound must report the misuse and leave the
 * return value alone.  The program then goes on using the mutex correctly
 * and exits 0. */
#include "tp.h"

static pthread_mutex_t account_lock;
static long balance;

static void release_twice(void)
{
	TP_CHECK(pthread_mutex_lock(&account_lock));
	balance += 10;
	TP_CHECK(pthread_mutex_unlock(&account_lock));
	int rc = pthread_mutex_unlock(&account_lock); /* not locked any more */
	if (rc != EPERM) {
		fprintf(stderr, "release_twice: second unlock returned %s, not EPERM\n",
		        strerror(rc));
		exit(2);
	}
}

static void correct_use(void)
{
	TP_CHECK(pthread_mutex_lock(&account_lock));
	balance -= 10;
	TP_CHECK(pthread_mutex_unlock(&account_lock));
}

int main(void)
{
	tp_mutex_init(&account_lock, PTHREAD_MUTEX_ERRORCHECK);
	release_twice();
	correct_use();
	TP_CHECK(pthread_mutex_destroy(&account_lock));
	return balance == 0 ? 0 : 1;
}
