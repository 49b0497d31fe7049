/* lockhound-expect: clean min_edges=0 min_threads=2 */
/* lockhound-build: cc */
/* A worker fills a heap result; main reads it only after pthread_join,
 * which orders everything the worker did before it.  "unsync" peeks at the
 * result before the join: that races. */
#include "tp.h"

struct result {
	long total;
	int done;
};

static struct result *new_result(void)
{
	struct result *r = calloc(1, sizeof(*r));
	if (!r)
		tp_die("calloc");
	return r;
}

static void *compute_result(void *arg)
{
	struct result *r = arg;
	for (int i = 1; i <= 100; i++)
		r->total += i;
	r->done = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	int unsync = argc > 1 && !strcmp(argv[1], "unsync");
	struct result *r = new_result();
	long early = 0;
	pthread_t w = tp_spawn(compute_result, r);

	if (unsync)
		early = r->total;
	tp_join(w);
	printf("total = %ld (done %d, early %ld)\n", r->total, r->done, early);
	free(r);
	return 0;
}
