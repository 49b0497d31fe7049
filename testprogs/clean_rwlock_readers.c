/* lockhound-expect: clean min_edges=0 min_threads=5 */
/* lockhound-build: cc */
/* Readers read the settings under the read lock while a writer updates
 * them under the write lock: a write unlock happens before every later
 * lock, so no read races a write (and readers never race each other).
 * "unsync" makes the readers skip the lock: that races. */
#include "tp.h"

#define N_READERS 3

static pthread_rwlock_t settings_rw = PTHREAD_RWLOCK_INITIALIZER;
static int unsync;
struct settings {
	int level;
	int limit;
} settings;

static void *update_settings(void *arg)
{
	for (int i = 0; i < 100; i++) {
		pthread_rwlock_wrlock(&settings_rw);
		settings.level = i;
		settings.limit = 2 * i;
		pthread_rwlock_unlock(&settings_rw);
	}
	return arg;
}

static void *read_settings(void *arg)
{
	long sum = 0;
	for (int i = 0; i < 100; i++) {
		if (!unsync)
			pthread_rwlock_rdlock(&settings_rw);
		sum += settings.level + settings.limit;
		if (!unsync)
			pthread_rwlock_unlock(&settings_rw);
	}
	*(long *)arg = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t r[N_READERS], w;
	long sums[N_READERS];
	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	for (int i = 0; i < N_READERS; i++)
		r[i] = tp_spawn(read_settings, &sums[i]);
	w = tp_spawn(update_settings, NULL);
	tp_join(w);
	for (int i = 0; i < N_READERS; i++)
		tp_join(r[i]);
	printf("sums %ld %ld %ld\n", sums[0], sums[1], sums[2]);
	return 0;
}
