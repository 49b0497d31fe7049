/* lockhound-expect: deadlock count=1 what=cycle locks=2 ended_process=true functions=read_a_then_write_b,read_b_then_write_a timeout=20 max_seconds=10 */
/* Writers wait for readers: T1 read-locks A, T2 read-locks B, then T1 asks
 * to write-lock B and T2 to write-lock A.  A writer waits until the readers
 * are gone, and each reader is the other blocked writer, so this hangs
 * forever natively.  lockhound must report the cycle of (exclusive) waits
 * on locks held shared. */
#include "tp.h"

static pthread_rwlock_t table_a, table_b;
static pthread_barrier_t both_read_locked;

static void *read_a_then_write_b(void *arg)
{
	TP_CHECK(pthread_rwlock_rdlock(&table_a));
	tp_barrier_wait(&both_read_locked);
	TP_CHECK(pthread_rwlock_wrlock(&table_b)); /* T2 reads B: blocks */
	TP_CHECK(pthread_rwlock_unlock(&table_b));
	TP_CHECK(pthread_rwlock_unlock(&table_a));
	return NULL;
}

static void *read_b_then_write_a(void *arg)
{
	TP_CHECK(pthread_rwlock_rdlock(&table_b));
	tp_barrier_wait(&both_read_locked);
	TP_CHECK(pthread_rwlock_wrlock(&table_a)); /* T1 reads A: blocks */
	TP_CHECK(pthread_rwlock_unlock(&table_a));
	TP_CHECK(pthread_rwlock_unlock(&table_b));
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_rwlock_init(&table_a, NULL));
	TP_CHECK(pthread_rwlock_init(&table_b, NULL));
	tp_barrier_init(&both_read_locked, 2);

	pthread_t t1 = tp_spawn(read_a_then_write_b, NULL);
	pthread_t t2 = tp_spawn(read_b_then_write_a, NULL);
	tp_join(t1);
	tp_join(t2);
	fprintf(stderr, "deadlock_rwlock_writer_reader: finished, which should be impossible\n");
	return 1;
}
