/* lockhound-expect: deadlock count=1 what=cycle locks=1 ended_process=true functions=join_running_worker_holding_lock,running_worker_needs_lock timeout=20 max_seconds=10 */
/* deadlock_join_holding, with the worker known to be running before main
 * joins it: the worker posts `worker_running` first thing, main waits for
 * that, locks `registry` and joins; the worker then blocks locking
 * `registry`.  A cycle of one join and one lock wait; hangs natively. */
#include "tp.h"

static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
static sem_t worker_running, main_holds_registry;
static int registry_entries;

static void *running_worker_needs_lock(void *arg)
{
	tp_sem_post(&worker_running);
	tp_sem_wait(&main_holds_registry);
	TP_CHECK(pthread_mutex_lock(&registry)); /* main holds it: blocks */
	registry_entries++;
	TP_CHECK(pthread_mutex_unlock(&registry));
	return NULL;
}

static void join_running_worker_holding_lock(void)
{
	pthread_t t = tp_spawn(running_worker_needs_lock, NULL);
	tp_sem_wait(&worker_running);
	TP_CHECK(pthread_mutex_lock(&registry));
	tp_sem_post(&main_holds_registry);
	tp_join(t); /* the worker waits for registry: blocks forever */
	TP_CHECK(pthread_mutex_unlock(&registry));
}

int main(void)
{
	tp_sem_init(&worker_running);
	tp_sem_init(&main_holds_registry);
	join_running_worker_holding_lock();
	fprintf(stderr, "deadlock_join_running_holding: finished, which should be impossible\n");
	return 1;
}
