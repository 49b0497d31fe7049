/* lockhound-expect: misuse count=1 what=unlock-not-locked locks=1 functions=spin_release_unlocked */
/* Unlocking a spinlock that is not locked.  glibc's pthread_spin_unlock just
 * stores "unlocked", so natively nothing visible happens; lockhound must
 * report the misuse.  The spinlock is then used correctly and destroyed. */
#include "tp.h"

static pthread_spinlock_t counter_spin;
static long counter;

static void spin_release_unlocked(void)
{
	TP_CHECK(pthread_spin_unlock(&counter_spin)); /* never locked */
}

int main(void)
{
	TP_CHECK(pthread_spin_init(&counter_spin, PTHREAD_PROCESS_PRIVATE));
	spin_release_unlocked();
	TP_CHECK(pthread_spin_lock(&counter_spin));
	counter++;
	TP_CHECK(pthread_spin_unlock(&counter_spin));
	TP_CHECK(pthread_spin_destroy(&counter_spin));
	return counter == 1 ? 0 : 1;
}
