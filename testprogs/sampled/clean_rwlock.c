/* lockhound-sampled: clean */
/* rwlock readers with a writer: three readers read a pair of fields under
 * the read lock, one writer changes both under the write lock; readers
 * always see the pair consistent. */
#include "sb.h"

#define N_READERS 3

struct pair {
	long a, b; /* b == 2 * a whenever the lock is free */
};
struct pair table;
static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;

static void *writer(void *arg)
{
	while (sb_running())
		for (int i = 0; i < 16; i++) {
			SB_CHECK(pthread_rwlock_wrlock(&table_lock));
			table.a++;
			table.b = 2 * table.a;
			SB_CHECK(pthread_rwlock_unlock(&table_lock));
		}
	return NULL;
}

static void *reader(void *arg)
{
	int ok = 1;

	while (sb_running())
		for (int i = 0; i < 16; i++) {
			SB_CHECK(pthread_rwlock_rdlock(&table_lock));
			ok &= table.b == 2 * table.a;
			SB_CHECK(pthread_rwlock_unlock(&table_lock));
		}
	return (void *)(intptr_t)ok;
}

int main(int argc, char **argv)
{
	pthread_t w, r[N_READERS];
	int ok = 1;

	sb_end_ns = sb_deadline(argc, argv);
	SB_CHECK(pthread_create(&w, NULL, writer, NULL));
	sb_spawn(r, N_READERS, reader);
	SB_CHECK(pthread_join(w, NULL));
	for (int i = 0; i < N_READERS; i++) {
		void *v;

		SB_CHECK(pthread_join(r[i], &v));
		ok &= v != NULL;
	}
	printf("clean_rwlock: %s\n", ok ? "pairs consistent" : "A PAIR WAS TORN");
	return !ok;
}
