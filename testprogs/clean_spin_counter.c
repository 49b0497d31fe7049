/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* lockhound-build: cc */
/* A pthread spinlock orders memory like a mutex: unlock -> the next lock.
 * "unsync" bumps the counter without it: that races. */
#include "tp.h"

static pthread_spinlock_t counter_spin;
static int unsync;
long counter;

static void *count_spin(void *arg)
{
	for (int i = 0; i < 1000; i++) {
		if (!unsync)
			pthread_spin_lock(&counter_spin);
		counter++;
		if (!unsync)
			pthread_spin_unlock(&counter_spin);
	}
	return arg;
}

int main(int argc, char **argv)
{
	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	TP_CHECK(pthread_spin_init(&counter_spin, PTHREAD_PROCESS_PRIVATE));
	pthread_t a = tp_spawn(count_spin, NULL), b = tp_spawn(count_spin, NULL);
	tp_join(a);
	tp_join(b);
	printf("counter %ld\n", counter);
	return 0;
}
