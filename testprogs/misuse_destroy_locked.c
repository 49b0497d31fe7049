/* lockhound-expect: misuse count=1 what=destroy-locked locks=1 functions=destroy_while_locked */
/* Destroying a locked mutex.  glibc refuses with EBUSY and leaves the mutex
 * alone; lockhound must report the misuse without changing the result.  The
 * program then unlocks and destroys it properly. */
#include "tp.h"

static pthread_mutex_t table_lock;
static int rows;

static void destroy_while_locked(void)
{
	TP_CHECK(pthread_mutex_lock(&table_lock));
	rows++;
	int rc = pthread_mutex_destroy(&table_lock); /* still locked */
	if (rc != EBUSY) {
		fprintf(stderr, "destroy_while_locked: destroy returned %s, not EBUSY\n",
		        strerror(rc));
		exit(2);
	}
	TP_CHECK(pthread_mutex_unlock(&table_lock));
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&table_lock, NULL));
	destroy_while_locked();
	TP_CHECK(pthread_mutex_destroy(&table_lock));
	return rows == 1 ? 0 : 1;
}
