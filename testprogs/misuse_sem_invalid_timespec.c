/* lockhound-expect: misuse count=1 what=invalid-timespec locks=1 functions=take_slot_before min_edges=0 min_threads=1 */
/* sem_timedwait on an empty semaphore with a deadline whose tv_nsec is
 * not normalized: glibc fails with EINVAL instead of waiting.  lockhound
 * reports invalid-timespec at the call, naming the semaphore, and keeps
 * the -1/EINVAL.  The correct twin is misuse_sem_timespec_clean. */
#include "tp.h"

#include <time.h>

static sem_t slots;

static int take_slot_before(long extra_ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += extra_ns; /* the bug: not normalized into tv_sec */
	return sem_timedwait(&slots, &ts);
}

int main(void)
{
	int rc;

	tp_sem_init(&slots);
	rc = take_slot_before(2000000000L);
	if (rc != -1 || errno != EINVAL) {
		fprintf(stderr, "sem_timedwait returned %d (%s), not EINVAL\n", rc, strerror(errno));
		return 2;
	}
	sem_destroy(&slots);
	return 0;
}
