/* lockhound-expect: data-race count=1 variable=payload var_kind=global ops=write,read functions=produce_payload,consume_payload */
/* lockhound-build: cc clang */
/* Message passing through a relaxed atomic flag: the flag itself is atomic
 * on both sides (no race on it), but a relaxed store and load do not order
 * the plain payload written before and read after.  Exactly one finding:
 * the payload, not the flag.  (clean_release_acquire is the fixed twin.) */
#include <stdatomic.h>

#include "tp.h"

int payload;
atomic_int ready;

static void *produce_payload(void *arg)
{
	payload = 42;
	atomic_store_explicit(&ready, 1, memory_order_relaxed);
	return arg;
}

static void *consume_payload(void *arg)
{
	while (!atomic_load_explicit(&ready, memory_order_relaxed))
		;
	*(int *)arg = payload;
	return NULL;
}

int main(void)
{
	int got = 0;
	pthread_t c = tp_spawn(consume_payload, &got);
	pthread_t p = tp_spawn(produce_payload, NULL);
	tp_join(p);
	tp_join(c);
	printf("payload = %d\n", got);
	return 0;
}
