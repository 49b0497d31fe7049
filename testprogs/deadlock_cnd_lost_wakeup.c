/* lockhound-expect: deadlock count=1 what=stall ended_process=true functions=wait_for_start timeout=20 max_seconds=10 */
/* A lost wakeup with C11 threads: main signals `started` before the
 * worker waits on it, and the worker waits without a predicate, so the
 * signal is gone and cnd_wait never returns; main waits in thrd_join.
 * Hangs forever natively; lockhound reports the hang (a stall: nobody is
 * left to signal) and ends the program.  The correct twin is
 * stall_waits_clean. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <threads.h>

static mtx_t start_mu;
static cnd_t started;
static int ready_to_wait;

static void check(int rc, const char *what)
{
	if (rc != thrd_success) {
		fprintf(stderr, "%s failed\n", what);
		exit(2);
	}
}

static int wait_for_start(void *arg)
{
	(void)arg;
	check(mtx_lock(&start_mu), "mtx_lock");
	__atomic_store_n(&ready_to_wait, 1, __ATOMIC_SEQ_CST);
	/* ...main signals here, before the wait... */
	while (__atomic_load_n(&ready_to_wait, __ATOMIC_SEQ_CST) != 2)
		sched_yield();
	check(cnd_wait(&started, &start_mu), "cnd_wait"); /* the signal is gone */
	check(mtx_unlock(&start_mu), "mtx_unlock");
	return 0;
}

int main(void)
{
	thrd_t worker;

	check(mtx_init(&start_mu, mtx_plain), "mtx_init");
	check(cnd_init(&started), "cnd_init");
	check(thrd_create(&worker, wait_for_start, NULL), "thrd_create");
	while (__atomic_load_n(&ready_to_wait, __ATOMIC_SEQ_CST) != 1)
		sched_yield();
	check(cnd_signal(&started), "cnd_signal"); /* no one waits yet: lost */
	__atomic_store_n(&ready_to_wait, 2, __ATOMIC_SEQ_CST);
	check(thrd_join(worker, NULL), "thrd_join");
	return 0;
}
