/* lockhound-expect: clean min_edges=1 min_threads=2 */
/* The correct twin of misuse_free_locked: every mutex in a block is
 * unlocked before the block is freed or moved.  A connection unlocked,
 * destroyed, then freed; blocks freed while the thread holds a list lock
 * that lives elsewhere (a global) and a lock in another heap block; a
 * realloc that moves a block whose mutex is unlocked, under the list lock;
 * free(NULL) while holding a lock; a C++-style free after a worker that
 * held the block's mutex released it.  No finding. */
#include "tp.h"

struct conn {
	pthread_mutex_t mu;
	int fd;
};

static pthread_mutex_t list_mu = PTHREAD_MUTEX_INITIALIZER;
static long freed;

static struct conn *new_conn(void)
{
	struct conn *c = malloc(sizeof(*c));
	if (!c)
		tp_die("malloc");
	TP_CHECK(pthread_mutex_init(&c->mu, NULL));
	c->fd = 3;
	return c;
}

static void close_conn(struct conn *c)
{
	TP_CHECK(pthread_mutex_lock(&c->mu));
	c->fd = -1;
	TP_CHECK(pthread_mutex_unlock(&c->mu));
	TP_CHECK(pthread_mutex_destroy(&c->mu));
	free(c);
	freed++;
}

static void free_under_other_locks(void)
{
	struct conn *keep = new_conn(), *drop = new_conn();
	char *buf;

	TP_CHECK(pthread_mutex_lock(&list_mu));
	TP_CHECK(pthread_mutex_lock(&keep->mu)); /* nested: list_mu -> keep->mu */
	TP_CHECK(pthread_mutex_destroy(&drop->mu));
	free(drop);
	buf = malloc(64);
	free(buf);
	free(NULL);
	drop = new_conn();
	drop = realloc(drop, 4u << 20); /* moves, its mutex unlocked */
	if (!drop)
		tp_die("realloc");
	TP_CHECK(pthread_mutex_unlock(&keep->mu));
	TP_CHECK(pthread_mutex_unlock(&list_mu));
	TP_CHECK(pthread_mutex_destroy(&drop->mu));
	free(drop);
	close_conn(keep);
}

static void *use_conn(void *arg)
{
	struct conn *c = arg;
	TP_CHECK(pthread_mutex_lock(&c->mu));
	c->fd++;
	TP_CHECK(pthread_mutex_unlock(&c->mu));
	return NULL;
}

int main(void)
{
	struct conn *c = new_conn();
	pthread_t w;

	close_conn(new_conn());
	free_under_other_locks();
	w = tp_spawn(use_conn, c);
	tp_join(w);
	close_conn(c);
	printf("freed %ld\n", freed);
	return freed == 3 ? 0 : 1;
}
