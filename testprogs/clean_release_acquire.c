/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* lockhound-build: cc clang */
/* Message passing done right (race_relaxed_flag's twin): the producer's
 * release store of the flag happens before the consumer's acquire load that
 * reads it, and so does the plain payload written before it.  "unsync" uses
 * relaxed orders instead, and the payload races. */
#include <stdatomic.h>

#include "tp.h"

static int unsync;
int payload;
atomic_int ready;

static void *publish_payload(void *arg)
{
	payload = 42;
	atomic_store_explicit(&ready, 1, unsync ? memory_order_relaxed : memory_order_release);
	return arg;
}

static void *receive_payload(void *arg)
{
	while (!atomic_load_explicit(&ready, unsync ? memory_order_relaxed : memory_order_acquire))
		;
	*(int *)arg = payload;
	return NULL;
}

int main(int argc, char **argv)
{
	int got = 0;
	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	pthread_t c = tp_spawn(receive_payload, &got);
	pthread_t p = tp_spawn(publish_payload, NULL);
	tp_join(p);
	tp_join(c);
	printf("payload = %d\n", got);
	return 0;
}
