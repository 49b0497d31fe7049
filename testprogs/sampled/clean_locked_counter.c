/* lockhound-sampled: clean */
/* Clean twin of racy_counter: the same four threads, the counter under one
 * mutex.  The final count equals the sum of what each thread added. */
#include "sb.h"

#define N_THREADS 4

long counter;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long added[N_THREADS];

static void *bump(void *arg)
{
	int me = (int)(intptr_t)arg;

	while (sb_running())
		for (int i = 0; i < 64; i++) {
			SB_CHECK(pthread_mutex_lock(&counter_lock));
			counter++;
			SB_CHECK(pthread_mutex_unlock(&counter_lock));
			added[me]++;
		}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[N_THREADS];
	long sum = 0;

	sb_end_ns = sb_deadline(argc, argv);
	sb_spawn(t, N_THREADS, bump);
	sb_join(t, N_THREADS);
	for (int i = 0; i < N_THREADS; i++)
		sum += added[i];
	printf("clean_locked_counter: %s\n", sum == counter ? "count exact" : "COUNT WRONG");
	return sum != counter;
}
