/*
 * raceprobe.c - does a race-detector build really detect races?  Built by
 * bench/exact_build.py with every exact-mode configuration (gcc and clang
 * ThreadSanitizer, lockhound cc) before any of its numbers are measured,
 * so that a column is never the cost of a runtime that does nothing.
 *
 *   raceprobe racy    two threads increment one counter with no lock: a
 *                     detector must report a data race
 *   raceprobe clean   the same increments under a mutex: it must not
 *
 * Prints the final count (the racy total may be short; nothing checks it).
 * The threads meet at a barrier first so that both are alive and run the
 * loop at the same time.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS 10000

static long counter;
static int locked;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;

static void *bump(void *p)
{
	int i;

	pthread_barrier_wait(&start);
	for (i = 0; i < ROUNDS; i++) {
		if (locked)
			pthread_mutex_lock(&mu);
		counter++;
		if (locked)
			pthread_mutex_unlock(&mu);
	}
	return p;
}

int main(int argc, char **argv)
{
	pthread_t t[2];
	int i;

	if (argc != 2 || (strcmp(argv[1], "racy") && strcmp(argv[1], "clean"))) {
		fprintf(stderr, "usage: raceprobe racy|clean\n");
		return 2;
	}
	locked = !strcmp(argv[1], "clean");
	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, bump, NULL)) {
			fprintf(stderr, "raceprobe: pthread_create failed\n");
			return 1;
		}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("raceprobe %s counter=%ld\n", argv[1], counter);
	return 0;
}
