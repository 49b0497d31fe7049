/* lockhound-expect: clean min_edges=0 min_threads=2 */
/* The correct twin of misuse_mutex_reinit: every mutex is initialized once
 * per life.  A PTHREAD_MUTEX_INITIALIZER mutex, already used, initialized
 * once with attributes; a global destroyed and initialized again (twice,
 * one of them after a worker held and released it); a mutex in a heap
 * block freed without a destroy and a new one initialized in the block
 * malloc hands out next (reuse the shim does not see); a stack mutex of a
 * function called twice; a C11 mtx_t initialized, destroyed and
 * initialized again.  No finding. */
#include "tp.h"

#include <threads.h>

static pthread_mutex_t static_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cycled_mu;
static mtx_t c11_mu;
static long total;

static void *worker(void *arg)
{
	(void)arg;
	TP_CHECK(pthread_mutex_lock(&cycled_mu));
	total++;
	TP_CHECK(pthread_mutex_unlock(&cycled_mu));
	return NULL;
}

static void use_static_then_init(void)
{
	pthread_mutexattr_t at;

	TP_CHECK(pthread_mutex_lock(&static_mu));
	total++;
	TP_CHECK(pthread_mutex_unlock(&static_mu));
	TP_CHECK(pthread_mutexattr_init(&at));
	TP_CHECK(pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ERRORCHECK));
	TP_CHECK(pthread_mutex_init(&static_mu, &at)); /* first init: fine */
	TP_CHECK(pthread_mutexattr_destroy(&at));
	TP_CHECK(pthread_mutex_lock(&static_mu));
	total++;
	TP_CHECK(pthread_mutex_unlock(&static_mu));
}

static void cycle_global(void)
{
	int round;

	for (round = 0; round < 2; round++) {
		pthread_t w;
		TP_CHECK(pthread_mutex_init(&cycled_mu, NULL));
		w = tp_spawn(worker, NULL);
		tp_join(w);
		TP_CHECK(pthread_mutex_destroy(&cycled_mu));
	}
}

struct session {
	pthread_mutex_t mu;
	long hits;
};

static void heap_reuse(void)
{
	int round;

	for (round = 0; round < 3; round++) {
		struct session *s = malloc(sizeof(*s));
		if (!s)
			tp_die("malloc");
		TP_CHECK(pthread_mutex_init(&s->mu, NULL));
		TP_CHECK(pthread_mutex_lock(&s->mu));
		s->hits = round;
		total += s->hits;
		TP_CHECK(pthread_mutex_unlock(&s->mu));
		free(s); /* no destroy: glibc's is a no-op for a free mutex */
	}
}

static void stack_mutex(int n)
{
	pthread_mutex_t mu;

	TP_CHECK(pthread_mutex_init(&mu, NULL));
	TP_CHECK(pthread_mutex_lock(&mu));
	total += n;
	TP_CHECK(pthread_mutex_unlock(&mu));
	TP_CHECK(pthread_mutex_destroy(&mu));
}

static void c11_cycle(void)
{
	int round;

	for (round = 0; round < 2; round++) {
		if (mtx_init(&c11_mu, mtx_plain) != thrd_success)
			tp_die("mtx_init");
		if (mtx_lock(&c11_mu) != thrd_success)
			tp_die("mtx_lock");
		total++;
		mtx_unlock(&c11_mu);
		mtx_destroy(&c11_mu);
	}
}

int main(void)
{
	use_static_then_init();
	cycle_global();
	heap_reuse();
	stack_mutex(1);
	stack_mutex(2);
	c11_cycle();
	printf("total %ld\n", total);
	return 0;
}
