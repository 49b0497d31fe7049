/* lockhound-expect: data-race count=1 var_kind=stack functions=report_progress,main */
/* lockhound-build: cc */
/* A variable on main's stack, shared by pointer: the worker writes its
 * progress there and main polls it without synchronization.  The report
 * names a stack variable of main's thread. */
#include <stdatomic.h>

#include "tp.h"

static atomic_int written;

static void *report_progress(void *arg)
{
	*(int *)arg = 100;
	atomic_store_explicit(&written, 1, memory_order_relaxed);
	return NULL;
}

int main(void)
{
	int progress = 0;
	pthread_t t = tp_spawn(report_progress, &progress);
	while (!atomic_load_explicit(&written, memory_order_relaxed))
		;
	printf("progress %d\n", progress);
	tp_join(t);
	return 0;
}
