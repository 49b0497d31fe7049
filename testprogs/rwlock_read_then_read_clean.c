/* lockhound-expect: clean min_edges=1 */
/* Twin of deadlock_rwlock_read_then_write: the worker read-locks a default
 * rwlock and, through a helper, read-locks it again (allowed: a nested read
 * lock), then takes a mutex under it.  No self-deadlock, no cycle; the
 * order rwlock -> mutex is recorded once. */
#include "tp.h"

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int table_value, reads;

static int read_table(void)
{
	int v;

	TP_CHECK(pthread_rwlock_rdlock(&table_lock)); /* read-held by us: fine */
	v = table_value;
	TP_CHECK(pthread_mutex_lock(&stats_lock));
	reads++;
	TP_CHECK(pthread_mutex_unlock(&stats_lock));
	TP_CHECK(pthread_rwlock_unlock(&table_lock));
	return v;
}

static void read_then_read(void)
{
	TP_CHECK(pthread_rwlock_rdlock(&table_lock));
	if (read_table() == 0)
		table_value = 0;
	TP_CHECK(pthread_rwlock_unlock(&table_lock));
}

static void *reader_worker(void *arg)
{
	read_then_read();
	return NULL;
}

int main(void)
{
	pthread_t t = tp_spawn(reader_worker, NULL);
	tp_join(t);
	return reads == 1 ? 0 : 1;
}
