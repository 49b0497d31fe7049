/* lockhound-expect: data-race count=1 variable=lookups var_kind=global functions=count_lookup */
/* lockhound-build: cc */
/* Readers of a read-write lock are not ordered with each other: two
 * threads that both hold the lock for reading and bump a statistics
 * counter race on it, although each "holds the lock".  (A write lock
 * would order them; the clean twin, clean_rwlock_readers, only reads.) */
#include "tp.h"

static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static int table[16];
long lookups;

static void *count_lookup(void *arg)
{
	int i, sum = 0;
	for (i = 0; i < 100; i++) {
		pthread_rwlock_rdlock(&table_lock);
		sum += table[i % 16];
		lookups++; /* a write under a read lock */
		pthread_rwlock_unlock(&table_lock);
	}
	return (void *)(long)sum;
}

int main(void)
{
	pthread_t a = tp_spawn(count_lookup, NULL), b = tp_spawn(count_lookup, NULL);
	tp_join(a);
	tp_join(b);
	printf("lookups %ld\n", lookups);
	return 0;
}
