/* lockhound-expect: deadlock count=1 what=cycle locks=1 ended_process=true functions=join_worker_holding_lock,worker_needs_lock timeout=20 max_seconds=10 */
/* Join while holding a lock the joined thread needs: main locks `registry`
 * and then joins a worker; the worker blocks locking `registry`.  main waits
 * for the worker to end, the worker waits for main's lock: a cycle of one
 * join and one lock wait.  Hangs forever natively. */
#include "tp.h"

static pthread_mutex_t registry = PTHREAD_MUTEX_INITIALIZER;
static sem_t main_holds_registry;
static int registry_entries;

static void *worker_needs_lock(void *arg)
{
	tp_sem_wait(&main_holds_registry);
	TP_CHECK(pthread_mutex_lock(&registry)); /* main holds it: blocks */
	registry_entries++;
	TP_CHECK(pthread_mutex_unlock(&registry));
	return NULL;
}

static void join_worker_holding_lock(void)
{
	pthread_t t = tp_spawn(worker_needs_lock, NULL);
	TP_CHECK(pthread_mutex_lock(&registry));
	tp_sem_post(&main_holds_registry);
	tp_join(t); /* the worker waits for registry: blocks forever */
	TP_CHECK(pthread_mutex_unlock(&registry));
}

int main(void)
{
	tp_sem_init(&main_holds_registry);
	join_worker_holding_lock();
	fprintf(stderr, "deadlock_join_holding: finished, which should be impossible\n");
	return 1;
}
