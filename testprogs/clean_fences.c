/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* lockhound-build: cc clang */
/* Fences make relaxed atomics order memory: a release fence before a
 * relaxed store of the flag, and an acquire fence after the relaxed load
 * that saw it, hand the plain data over.  "unsync" leaves the fences out:
 * then the flag orders nothing and the data races. */
#include <stdatomic.h>

#include "tp.h"

static atomic_int flag;
static int unsync;
long payload[4];

static void *produce(void *arg)
{
	for (int i = 0; i < 4; i++)
		payload[i] = 10 * i;
	if (!unsync)
		atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&flag, 1, memory_order_relaxed);
	return arg;
}

static void *consume(void *arg)
{
	while (!atomic_load_explicit(&flag, memory_order_relaxed))
		;
	if (!unsync)
		atomic_thread_fence(memory_order_acquire);
	*(long *)arg = payload[0] + payload[1] + payload[2] + payload[3];
	return NULL;
}

int main(int argc, char **argv)
{
	long sum = 0;

	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	pthread_t c = tp_spawn(consume, &sum), p = tp_spawn(produce, NULL);
	tp_join(p);
	tp_join(c);
	printf("sum %ld\n", sum);
	return 0;
}
