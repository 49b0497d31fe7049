/* lockhound-expect: lock-order-cycle count=1 locks=2 single_thread=true functions=transfer complete=false exit=66 */
/* A crash (SIGSEGV) after an inversion: the log written so far is intact. */
#include "tp.h"

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
	volatile int *volatile nowhere = NULL;

	transfer(&lock_a, &lock_b);
	transfer(&lock_b, &lock_a);
	return *nowhere;
}
