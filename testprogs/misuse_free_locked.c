/* lockhound-expect: misuse count=2 what_all=free-locked locks=1 min_edges=0 min_threads=2 */
/* Memory freed while it holds a mutex the thread still holds, twice:
 * close_conn locks the connection and, on its error path, frees it
 * without unlocking (the lock dies locked; another thread blocked on it
 * would wait on freed memory), and grow_table resizes a table under the
 * table's own mutex with realloc, which moves the block (4 MiB: a new
 * mapping) and frees the old one with the held mutex in it.  lockhound
 * reports free-locked at the free and at the realloc, naming the mutex,
 * where it was initialized and where the thread took it.  The correct
 * twin is misuse_free_clean. */
#include "tp.h"

struct conn {
	pthread_mutex_t mu;
	int fd;
	long bytes;
};

struct table {
	pthread_mutex_t mu;
	size_t n;
	long slots[];
};

static long closed;

static void close_conn(struct conn *c)
{
	TP_CHECK(pthread_mutex_lock(&c->mu));
	if (c->fd < 0) {
		free(c); /* the bug: still locked */
		return;
	}
	c->fd = -1;
	closed++;
	TP_CHECK(pthread_mutex_unlock(&c->mu));
}

static struct table *grow_table(struct table *t, size_t n)
{
	struct table *bigger;

	TP_CHECK(pthread_mutex_lock(&t->mu));
	bigger = realloc(t, sizeof(*t) + n * sizeof(t->slots[0])); /* the bug: moves a held mutex */
	if (!bigger)
		tp_die("realloc");
	bigger->n = n;
	/* the mutex now at bigger->mu is a copy of a locked one: unlock it */
	TP_CHECK(pthread_mutex_unlock(&bigger->mu));
	return bigger;
}

static void *serve(void *arg)
{
	struct conn *c = malloc(sizeof(*c));
	(void)arg;
	if (!c)
		tp_die("malloc");
	TP_CHECK(pthread_mutex_init(&c->mu, NULL));
	c->fd = -1; /* never connected */
	c->bytes = 0;
	close_conn(c);
	return NULL;
}

int main(void)
{
	struct table *t = malloc(sizeof(*t) + 4 * sizeof(long));
	pthread_t w;

	if (!t)
		tp_die("malloc");
	TP_CHECK(pthread_mutex_init(&t->mu, NULL));
	t->n = 4;
	t = grow_table(t, (4u << 20) / sizeof(long));
	w = tp_spawn(serve, NULL);
	tp_join(w);
	TP_CHECK(pthread_mutex_destroy(&t->mu));
	free(t);
	return closed == 0 && t != NULL ? 0 : 1;
}
