/* lockhound-expect: clean min_edges=0 min_threads=1 */
/* The correct twin of misuse_sem_invalid_timespec: the same sem_timedwait
 * on an empty semaphore with a normalized deadline 10 ms away times out
 * with ETIMEDOUT; with a count of one it succeeds.  No finding. */
#include "tp.h"

#include <time.h>

static sem_t slots;

static int take_slot_within(long ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ns;
	while (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return sem_timedwait(&slots, &ts);
}

int main(void)
{
	tp_sem_init(&slots);
	if (take_slot_within(10000000L) != -1 || errno != ETIMEDOUT) {
		fprintf(stderr, "sem_timedwait on an empty semaphore did not time out\n");
		return 2;
	}
	tp_sem_post(&slots);
	if (take_slot_within(10000000L) != 0)
		tp_die("sem_timedwait");
	sem_destroy(&slots);
	return 0;
}
