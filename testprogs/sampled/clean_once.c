/* lockhound-sampled: clean */
/* pthread_once initialization: every thread calls pthread_once and then
 * reads the configuration it initialized, over and over.  Only the one
 * init write exists, ordered before every read by pthread_once. */
#include "sb.h"

#define N_THREADS 4

struct config {
	long limit;
	long scale;
};
struct config config;
static pthread_once_t config_once = PTHREAD_ONCE_INIT;

static void init_config(void)
{
	config.limit = 1000;
	config.scale = 3;
}

static void *use(void *arg)
{
	long sum = 0;

	while (sb_running()) {
		SB_CHECK(pthread_once(&config_once, init_config));
		for (int i = 0; i < 64; i++)
			sum += config.limit * config.scale;
	}
	return (void *)(intptr_t)(sum % 3000 == 0);
}

int main(int argc, char **argv)
{
	pthread_t t[N_THREADS];
	int ok = 1;

	sb_end_ns = sb_deadline(argc, argv);
	sb_spawn(t, N_THREADS, use);
	for (int i = 0; i < N_THREADS; i++) {
		void *r;

		SB_CHECK(pthread_join(t[i], &r));
		ok &= r != NULL;
	}
	printf("clean_once: %s\n", ok ? "configuration seen whole" : "CONFIGURATION TORN");
	return !ok;
}
