/* lockhound-expect: clean min_edges=0 min_threads=2 */
/* The correct twin of misuse_cond_not_initialized and
 * misuse_cond_overwritten: condition variables that are initialized, each
 * in one of the ways glibc accepts, signalled before anyone waits and
 * waited on:
 *  - a static PTHREAD_COND_INITIALIZER (all zeros), signalled with no
 *    waiter, then waited on by a thread a second thread wakes;
 *  - a heap one set up by pthread_cond_init (CLOCK_MONOTONIC), its
 *    neighbour's memory overwritten, the condition variable left alone;
 *  - one in calloc'd memory with no init call: zeroed memory is
 *    PTHREAD_COND_INITIALIZER's value, which glibc takes as initialized;
 *  - a C11 cnd_init one, signalled, broadcast and waited on;
 *  - one destroyed, its memory filled with garbage, initialized again;
 *  - a process-shared one that a forked child initialized in shared memory
 *    and waited on: the parent saw no init, but glibc's field says shared,
 *    and another process may initialize such a one. */
#include "tp.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int go;

static void *waker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&mu);
	go = 1;
	pthread_cond_signal(&ready);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void static_initializer(void)
{
	pthread_t t;

	pthread_mutex_lock(&mu);
	pthread_cond_signal(&ready); /* nobody waits yet */
	pthread_mutex_unlock(&mu);
	if (pthread_create(&t, NULL, waker, NULL) != 0)
		tp_die("pthread_create");
	pthread_mutex_lock(&mu);
	while (!go)
		pthread_cond_wait(&ready, &mu);
	pthread_mutex_unlock(&mu);
	pthread_join(t, NULL);
}

struct job {
	char name[16];
	pthread_cond_t done;
	pthread_mutex_t mu;
};

static void timed_wait_now(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts); /* already past: returns at once */
	pthread_mutex_lock(m);
	(void)pthread_cond_timedwait(c, m, &ts);
	pthread_mutex_unlock(m);
}

static void heap_init(void)
{
	struct job *j = malloc(sizeof(*j));
	pthread_condattr_t ca;

	if (!j)
		tp_die("malloc");
	memset(j, 0x5a, sizeof(*j));
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->done, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&j->mu, NULL);
	memset(j->name, 0x5a, sizeof(j->name)); /* the neighbour only */
	pthread_cond_broadcast(&j->done);
	timed_wait_now(&j->done, &j->mu, CLOCK_MONOTONIC);
	pthread_cond_signal(&j->done);
	pthread_cond_destroy(&j->done);
	/* destroyed, overwritten, initialized again: a new one */
	memset(&j->done, 0xa5, sizeof(j->done));
	pthread_cond_init(&j->done, NULL);
	pthread_cond_signal(&j->done);
	timed_wait_now(&j->done, &j->mu, CLOCK_REALTIME);
	pthread_cond_destroy(&j->done);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

static void zeroed_memory(void)
{
	struct job *j = calloc(1, sizeof(*j)); /* no init: zeros are the initializer */

	if (!j)
		tp_die("calloc");
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_signal(&j->done);
	timed_wait_now(&j->done, &j->mu, CLOCK_REALTIME);
	pthread_cond_broadcast(&j->done);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

static void c11(void)
{
	cnd_t c;
	mtx_t m;
	struct timespec ts;

	if (cnd_init(&c) != thrd_success || mtx_init(&m, mtx_plain) != thrd_success)
		tp_die("cnd_init");
	cnd_signal(&c);
	cnd_broadcast(&c);
	timespec_get(&ts, TIME_UTC);
	mtx_lock(&m);
	(void)cnd_timedwait(&c, &m, &ts);
	mtx_unlock(&m);
	cnd_signal(&c);
	mtx_destroy(&m);
	cnd_destroy(&c);
}

struct shared {
	pthread_mutex_t mu;
	pthread_cond_t c;
};

static void shared_from_child(void)
{
	struct shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status;
	pid_t pid;

	if (s == MAP_FAILED)
		tp_die("mmap");
	pid = fork();
	if (pid < 0)
		tp_die("fork");
	if (pid == 0) {
		pthread_mutexattr_t ma;
		pthread_condattr_t ca;

		pthread_mutexattr_init(&ma);
		pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
		pthread_mutex_init(&s->mu, &ma);
		pthread_condattr_init(&ca);
		pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
		pthread_cond_init(&s->c, &ca);
		timed_wait_now(&s->c, &s->mu, CLOCK_REALTIME); /* fields no longer fresh */
		exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		tp_die("child");
	pthread_mutex_lock(&s->mu);
	pthread_cond_signal(&s->c);
	pthread_mutex_unlock(&s->mu);
	munmap(s, sizeof(*s));
}

int main(void)
{
	static_initializer();
	heap_init();
	zeroed_memory();
	c11();
	shared_from_child();
	return 0;
}
