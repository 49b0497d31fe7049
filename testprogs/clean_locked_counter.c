/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* lockhound-build: cc clang */
/* The fixed race_unguarded_counter: every increment holds counter_mu, so
 * each unlock happens before the next lock and no update is lost.  With the
 * argument "unsync" the lock is skipped and the same accesses race (the
 * integration tests check that too: the runtime was watching). */
#include "tp.h"

static pthread_mutex_t counter_mu = PTHREAD_MUTEX_INITIALIZER;
static int unsync;
int counter;

static void *bump_counter_locked(void *arg)
{
	for (int i = 0; i < 1000; i++) {
		if (!unsync)
			pthread_mutex_lock(&counter_mu);
		counter++;
		if (!unsync)
			pthread_mutex_unlock(&counter_mu);
	}
	return arg;
}

int main(int argc, char **argv)
{
	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	pthread_t a = tp_spawn(bump_counter_locked, NULL);
	pthread_t b = tp_spawn(bump_counter_locked, NULL);
	tp_join(a);
	tp_join(b);
	printf("counter = %d\n", counter);
	return 0;
}
