/* lockhound-expect: clean min_edges=0 min_threads=2 */
/* lockhound-build: cc clang */
/* Thread creation orders memory: everything the creator wrote before
 * pthread_create happens before the new thread starts, so the worker reads
 * the settings without a lock.  "unsync" writes a setting after the thread
 * was created: that races with the worker's read. */
#include "tp.h"

struct settings {
	int verbose;
	int retries;
	char name[32];
};
static struct settings config;
static int unsync;

static void *read_settings(void *arg)
{
	*(int *)arg = config.verbose + config.retries + (int)strlen(config.name);
	return NULL;
}

int main(int argc, char **argv)
{
	int sum = 0;
	pthread_t t;

	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	config.verbose = 1;
	config.retries = 3;
	strcpy(config.name, "primary");
	t = tp_spawn(read_settings, &sum);
	if (unsync)
		config.retries = 4;
	tp_join(t);
	printf("sum %d\n", sum);
	return 0;
}
