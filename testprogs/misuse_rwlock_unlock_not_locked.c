/* lockhound-expect: misuse count=1 what=unlock-not-locked locks=1 functions=rwlock_release_unlocked */
/* Unlocking an rwlock that nobody holds.  glibc returns 0 but its reader
 * count underflows, so that rwlock is broken from then on: the program
 * never locks it again, and destroys it at the end (glibc's destroy
 * returns 0).  lockhound must report the misuse once: the underflowed
 * count is no reader, so the destroy is not also destroy-locked.  A second
 * rwlock is then used correctly, and the program exits 0. */
#include "tp.h"

static pthread_rwlock_t broken_rw, good_rw;
static long reads, writes;

static void rwlock_release_unlocked(void)
{
	TP_CHECK(pthread_rwlock_unlock(&broken_rw)); /* never locked */
}

static void correct_use(void)
{
	TP_CHECK(pthread_rwlock_rdlock(&good_rw));
	reads++;
	TP_CHECK(pthread_rwlock_unlock(&good_rw));
	TP_CHECK(pthread_rwlock_wrlock(&good_rw));
	writes++;
	TP_CHECK(pthread_rwlock_unlock(&good_rw));
}

int main(void)
{
	TP_CHECK(pthread_rwlock_init(&broken_rw, NULL));
	TP_CHECK(pthread_rwlock_init(&good_rw, NULL));
	rwlock_release_unlocked();
	correct_use();
	TP_CHECK(pthread_rwlock_destroy(&good_rw));
	TP_CHECK(pthread_rwlock_destroy(&broken_rw));
	return reads == 1 && writes == 1 ? 0 : 1;
}
