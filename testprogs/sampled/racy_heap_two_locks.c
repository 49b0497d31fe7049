/* lockhound-sampled: racy variable=make_stats var_kind=heap */
/* A heap struct's field is written under a lock by each thread, but each
 * thread takes a different lock: the locks order nothing between them.
 * The report names the block by its allocation site (make_stats). */
#include "sb.h"

struct stats {
	long hits;  /* "protected" by lock_a in one thread, lock_b in the other */
	long misses;
};

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static struct stats *st;

static struct stats *make_stats(void)
{
	struct stats *s = calloc(1, sizeof(*s));

	if (!s)
		exit(2);
	return s;
}

static void *count_under(void *arg)
{
	pthread_mutex_t *m = (intptr_t)arg == 0 ? &lock_a : &lock_b;

	while (sb_running())
		for (int i = 0; i < 64; i++) {
			SB_CHECK(pthread_mutex_lock(m));
			st->hits++;
			SB_CHECK(pthread_mutex_unlock(m));
		}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[2];

	st = make_stats();
	sb_end_ns = sb_deadline(argc, argv);
	sb_spawn(t, 2, count_under);
	sb_join(t, 2);
	printf("racy_heap_two_locks: done\n");
	free(st);
	return 0;
}
