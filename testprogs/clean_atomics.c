/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* lockhound-build: cc clang */
/* Shared counters updated only with atomic operations (seq_cst and relaxed
 * read-modify-writes, relaxed loads): atomic accesses never race with each
 * other, whatever their memory order.  "unsync" makes one thread use a
 * plain increment on the same variable, which does race. */
#include <stdatomic.h>

#include "tp.h"

static int unsync;
atomic_long hits;
atomic_int peak;

static void *count_hits(void *arg)
{
	for (int i = 0; i < 500; i++) {
		if (unsync && arg)
			(*(long *)&hits)++;
		else
			atomic_fetch_add(&hits, 1);
		int seen = atomic_load_explicit(&peak, memory_order_relaxed);
		if (i > seen)
			atomic_fetch_add_explicit(&peak, 1, memory_order_relaxed);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	pthread_t a = tp_spawn(count_hits, NULL);
	pthread_t b = tp_spawn(count_hits, &unsync);
	tp_join(a);
	tp_join(b);
	printf("hits = %ld\n", atomic_load(&hits));
	return 0;
}
