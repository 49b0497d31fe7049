/* lockhound-expect: misuse count=1 what=sem-not-initialized locks=1 functions=signal_ready min_edges=0 min_threads=1 */
/* A semaphore posted and waited on that nobody initialized: `ready` is a
 * zeroed global that glibc happens to treat as a semaphore of value 0, but
 * sem_init was never called.  lockhound reports sem-not-initialized at the
 * first use (the later wait on it is the same semaphore, not reported
 * again).  The correct twin is misuse_sem_lifecycle_clean. */
#include "tp.h"

static sem_t ready; /* the bug: no sem_init */

static void signal_ready(void)
{
	tp_sem_post(&ready);
}

int main(void)
{
	signal_ready();
	tp_sem_wait(&ready);
	return 0;
}
