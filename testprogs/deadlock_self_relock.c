/* lockhound-expect: deadlock count=1 what=self locks=1 ended_process=true functions=relock_worker,lock_config_twice timeout=20 max_seconds=10 */
/* Self-deadlock: a worker locks a default (normal) mutex and, through a
 * helper, locks it again.  A normal glibc mutex does not detect this: the
 * second lock blocks forever natively.  lockhound must report it at once as
 * a "self" deadlock (no grace period needed) and end the process.  main is
 * meanwhile in pthread_join of the worker, which is no cycle of its own. */
#include "tp.h"

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static int config_value;

static void update_config(int v)
{
	TP_CHECK(pthread_mutex_lock(&config_lock)); /* already held: hangs */
	config_value = v;
	TP_CHECK(pthread_mutex_unlock(&config_lock));
}

static void lock_config_twice(void)
{
	TP_CHECK(pthread_mutex_lock(&config_lock));
	update_config(config_value + 1);
	TP_CHECK(pthread_mutex_unlock(&config_lock));
}

static void *relock_worker(void *arg)
{
	lock_config_twice();
	return NULL;
}

int main(void)
{
	pthread_t t = tp_spawn(relock_worker, NULL);
	tp_join(t);
	fprintf(stderr, "deadlock_self_relock: finished, which should be impossible\n");
	return 1;
}
