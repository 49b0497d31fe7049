/* lockhound-expect: clean min_edges=0 min_threads=3 timeout=60 */
/* The shim's own read of a watched word is not the program's access.
 * libpython_shim_reads.so (linked at build time: a module loaded by
 * dlopen is not watched) looks like CPython to the shim, so every lock
 * wrapper's stack capture calls its PyGILState_Check (pyframes.c), whose
 * code reads gil_word.  One thread writes gil_word with no lock, another
 * only locks and unlocks: the program has one accessor, so no race.
 * Race watching once took the check's read (its pc in the library, a
 * watched module) for the locking thread's and reported a data race on
 * gil_word; a hit while the thread is inside the shim is dropped now. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define RUN_MS 1500

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER, mu2 = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop;
void gil_set(int v); /* libpython_shim_reads.so, linked: a watched module */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static void *writer(void *arg)
{
	for (int i = 0; !stop; i++)
		gil_set(i & 0xffff);
	return NULL;
}

static void *locker(void *arg)
{
	long end = now_ms() + RUN_MS;

	for (long i = 0; (i & 1023) || now_ms() < end; i++) {
		pthread_mutex_t *m = i & 1 ? &mu : &mu2;
		pthread_mutex_lock(m);
		pthread_mutex_unlock(m);
	}
	return NULL;
}

int main(void)
{
	pthread_t w, l;

	pthread_create(&w, NULL, writer, NULL);
	pthread_create(&l, NULL, locker, NULL);
	pthread_join(l, NULL);
	stop = 1;
	pthread_join(w, NULL);
	puts("shim_own_read_clean: done");
	return 0;
}
