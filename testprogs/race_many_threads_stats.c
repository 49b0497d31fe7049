/* lockhound-expect: data-race count=1 variable=stats_requests var_kind=global functions=count_request */
/* lockhound-build: cc */
/* Eight threads each handle requests: the work itself is under a mutex,
 * but the statistics counter is bumped outside it.  One racy variable, many
 * racing pairs of threads: one finding (not one per thread pair or per
 * occurrence), with its count. */
#include "tp.h"

#define N_WORKERS 8

static pthread_mutex_t work_mu = PTHREAD_MUTEX_INITIALIZER;
static long work_done;
unsigned long stats_requests;

static void count_request(void)
{
	stats_requests++;
}

static void *handle_requests(void *arg)
{
	for (int i = 0; i < 100; i++) {
		pthread_mutex_lock(&work_mu);
		work_done++;
		pthread_mutex_unlock(&work_mu);
		count_request();
	}
	return arg;
}

int main(void)
{
	pthread_t t[N_WORKERS];
	for (int i = 0; i < N_WORKERS; i++)
		t[i] = tp_spawn(handle_requests, NULL);
	for (int i = 0; i < N_WORKERS; i++)
		tp_join(t[i]);
	printf("work %ld, requests counted %lu\n", work_done, stats_requests);
	return 0;
}
