/* lockhound-expect: lock-order-cycle count=1 locks=2 single_thread=true functions=transfer,main complete=false exit=66 */
/* The log must survive the program: an inversion, then abort().  The report
 * still shows the cycle; the log is marked incomplete (no end record). */
#include "tp.h"

#include <stdlib.h>

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void transfer(pthread_mutex_t *from, pthread_mutex_t *to)
{
	TP_CHECK(pthread_mutex_lock(from));
	TP_CHECK(pthread_mutex_lock(to));
	TP_CHECK(pthread_mutex_unlock(to));
	TP_CHECK(pthread_mutex_unlock(from));
}

int main(void)
{
	transfer(&lock_a, &lock_b);
	transfer(&lock_b, &lock_a);
	abort();
}
