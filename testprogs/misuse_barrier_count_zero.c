/* lockhound-expect: misuse count=1 what=barrier-count-zero locks=1 functions=make_phase_barrier min_edges=0 min_threads=1 */
/* pthread_barrier_init with count 0 (no workers configured): glibc refuses
 * with EINVAL and the barrier stays uninitialized; the program ignores the
 * error.  lockhound reports barrier-count-zero at the call, naming the
 * barrier, and keeps the EINVAL.  The correct twin is misuse_init_count_clean. */
#include "tp.h"

static pthread_barrier_t phase;

static int make_phase_barrier(unsigned workers)
{
	return pthread_barrier_init(&phase, NULL, workers);
}

int main(void)
{
	int rc = make_phase_barrier(0); /* the bug: no workers configured */
	if (rc != EINVAL) {
		fprintf(stderr, "pthread_barrier_init returned %s, not EINVAL\n", strerror(rc));
		return 2;
	}
	return 0;
}
