/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* lockhound-build: cc */
/* Memory freed and allocated again is a new object: one thread fills a
 * block and frees it, another allocates a block of the same size (with the
 * mmap threshold fixed, the same pages come back) and fills it.  Nothing
 * orders the two fills but the allocator's own locks, which the run cannot
 * see; they are still no race.  The flag between the threads is a relaxed
 * atomic, so it orders nothing.  "unsync" also has both threads write the
 * same global: that races. */
#include <malloc.h>
#include <stdatomic.h>

#include "tp.h"

#define BLOCK (1 << 20)
static atomic_int first_done;
static _Atomic(char *) first_block;
static int unsync;
int last_writer;

static void *fill_first(void *arg)
{
	char *p = malloc(BLOCK);
	if (!p)
		tp_die("malloc");
	for (int i = 0; i < BLOCK; i += 4096)
		p[i] = 1;
	if (unsync)
		last_writer = 1;
	atomic_store_explicit(&first_block, p, memory_order_relaxed);
	free(p);
	atomic_store_explicit(&first_done, 1, memory_order_relaxed);
	return arg;
}

static void *fill_second(void *arg)
{
	char *p;
	while (!atomic_load_explicit(&first_done, memory_order_relaxed))
		;
	p = malloc(BLOCK);
	if (!p)
		tp_die("malloc");
	for (int i = 0; i < BLOCK; i += 4096)
		p[i] = 2;
	if (unsync)
		last_writer = 2;
	*(int *)arg = p == atomic_load_explicit(&first_block, memory_order_relaxed);
	free(p);
	return NULL;
}

int main(int argc, char **argv)
{
	int same = 0;

	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	mallopt(M_MMAP_THRESHOLD, 65536); /* no dynamic threshold: both blocks mmap'd */
	pthread_t a = tp_spawn(fill_first, NULL), b = tp_spawn(fill_second, &same);
	tp_join(a);
	tp_join(b);
	printf("same address: %s\n", same ? "yes" : "no");
	return 0;
}
