/* lockhound-sampled: racy variable=stats_requests var_kind=global */
/* Many threads, one statistics counter: sixteen workers each do their own
 * (locked, correct) work and bump a global request counter with no lock,
 * the way servers keep statistics. */
#include "sb.h"

#define N_THREADS 16

long stats_requests; /* every worker, no lock */
static pthread_mutex_t work_lock[N_THREADS];
static long work[N_THREADS];

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;

	while (sb_running())
		for (int i = 0; i < 16; i++) {
			SB_CHECK(pthread_mutex_lock(&work_lock[me]));
			work[me]++;
			SB_CHECK(pthread_mutex_unlock(&work_lock[me]));
			stats_requests++;
		}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[N_THREADS];

	for (int i = 0; i < N_THREADS; i++)
		SB_CHECK(pthread_mutex_init(&work_lock[i], NULL));
	sb_end_ns = sb_deadline(argc, argv);
	sb_spawn(t, N_THREADS, worker);
	sb_join(t, N_THREADS);
	printf("racy_stats_many: done\n");
	return 0;
}
