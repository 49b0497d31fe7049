/* lockhound-expect: deadlock count=1 what=self locks=1 ended_process=true functions=upgrade_worker,read_then_update options=deadlock_grace_ms=60000 timeout=90 max_seconds=10 */
/* Self-deadlock on a rwlock: a worker read-locks a default rwlock and,
 * through a helper, asks for the write lock on it ("upgrade").  glibc does
 * not track readers, so it cannot refuse: the write lock waits for the
 * readers to leave, and the only reader is the waiting thread itself.
 * lockhound must report it at once as a "self" deadlock and end the
 * process, never hang.  "At once": the shim decides it before the thread
 * blocks, so the run ends long before the watchdog's (here one-minute)
 * grace period would.  Twin: rwlock_read_then_read_clean. */
#include "tp.h"

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static int table_value;

static void update_table(int v)
{
	TP_CHECK(pthread_rwlock_wrlock(&table_lock)); /* read-held by us: hangs */
	table_value = v;
	TP_CHECK(pthread_rwlock_unlock(&table_lock));
}

static void read_then_update(void)
{
	TP_CHECK(pthread_rwlock_rdlock(&table_lock));
	if (table_value == 0)
		update_table(1);
	TP_CHECK(pthread_rwlock_unlock(&table_lock));
}

static void *upgrade_worker(void *arg)
{
	read_then_update();
	return NULL;
}

int main(void)
{
	pthread_t t = tp_spawn(upgrade_worker, NULL);
	tp_join(t);
	fprintf(stderr, "deadlock_rwlock_read_then_write: finished, which should be impossible\n");
	return 1;
}
