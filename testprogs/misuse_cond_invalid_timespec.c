/* lockhound-expect: misuse count=1 what=invalid-timespec functions=wait_for_reply min_edges=0 */
/* A timed condition wait with a deadline that is not a valid time: the
 * program adds 500 ms to tv_nsec without carrying into tv_sec, so tv_nsec
 * can reach 1e9 or more and glibc fails the wait with EINVAL at once.  The
 * program treats every non-zero result as a timeout and never waits.
 * lockhound reports invalid-timespec at the call, naming the condition
 * variable.  The correct twin is misuse_exit_join_clean. */
#include "tp.h"

#include <time.h>

static pthread_mutex_t reply_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reply_ready = PTHREAD_COND_INITIALIZER;
static int have_reply;

static int wait_for_reply(void)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec = 999999999L;
	ts.tv_nsec += 500000000L; /* no carry: invalid */
	TP_CHECK(pthread_mutex_lock(&reply_mu));
	while (!have_reply && rc == 0)
		rc = pthread_cond_timedwait(&reply_ready, &reply_mu, &ts);
	TP_CHECK(pthread_mutex_unlock(&reply_mu));
	return rc == 0;
}

int main(void)
{
	if (!wait_for_reply())
		puts("no reply (timed out, as far as the program knows)");
	return 0;
}
