/* lockhound-expect: data-race count=1 variable=config_value var_kind=global ops=write,read functions=update_config,read_config_unlocked */
/* lockhound-build: cc */
/* The writer takes the mutex, the reader does not: "only writes need the
 * lock" is a myth.  The reader's load is unordered with the writer's store,
 * so this is a write/read race; the report shows the writer holding
 * config_mu and the reader holding nothing. */
#include "tp.h"

static pthread_mutex_t config_mu = PTHREAD_MUTEX_INITIALIZER;
long config_value;

static void *update_config(void *arg)
{
	for (int i = 1; i <= 100; i++) {
		pthread_mutex_lock(&config_mu);
		config_value = i;
		pthread_mutex_unlock(&config_mu);
	}
	return arg;
}

static void *read_config_unlocked(void *arg)
{
	long sum = 0;
	for (int i = 0; i < 100; i++)
		sum += config_value;
	*(long *)arg = sum;
	return NULL;
}

int main(void)
{
	long sum = 0;
	pthread_t w = tp_spawn(update_config, NULL);
	pthread_t r = tp_spawn(read_config_unlocked, &sum);
	tp_join(w);
	tp_join(r);
	printf("sum = %ld\n", sum);
	return 0;
}
