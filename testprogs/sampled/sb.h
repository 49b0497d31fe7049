/*
 * sb.h - helpers of the sampled-mode test programs (testprogs/sampled/):
 * programs built natively (plain cc, no lockhound cc), for race watching on
 * unmodified binaries.  Not a scenario.
 *
 * Sampling finds a race only if the racy code keeps running while windows
 * rotate, so every scenario runs its threads for a wall-clock duration
 * rather than a fixed count: argv[1] milliseconds (default SB_DEFAULT_MS).
 * A run under watching may be slower, never longer than the duration plus
 * one round.  None of the helpers takes a lock or touches the scenario's
 * shared data; each scenario's synchronization is in its own file.
 */
#ifndef LOCKHOUND_SB_H
#define LOCKHOUND_SB_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SB_DEFAULT_MS 300 /* how long the racing part runs by default */

#define SB_CHECK(call)                                                        \
	do {                                                                  \
		int sb_rc_ = (call);                                          \
		if (sb_rc_ != 0) {                                            \
			fprintf(stderr, "%s:%d: %s: %s\n", __FILE__,          \
			        __LINE__, #call, strerror(sb_rc_));           \
			exit(2);                                              \
		}                                                             \
	} while (0)

static inline uint64_t sb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* the end of the racing part: now + argv[1] ms */
static inline uint64_t sb_deadline(int argc, char **argv)
{
	long ms = SB_DEFAULT_MS;

	if (argc > 1) {
		char *end;

		ms = strtol(argv[1], &end, 10);
		if (*end || ms < 1 || ms > 600000) {
			fprintf(stderr, "usage: %s [MILLISECONDS]\n", argv[0]);
			exit(2);
		}
	}
	return sb_now_ns() + (uint64_t)ms * 1000000ull;
}

/* read only by the threads (written once before they start) */
static uint64_t sb_end_ns;

static inline int sb_running(void)
{
	return sb_now_ns() < sb_end_ns;
}

static inline void sb_spawn(pthread_t *t, int n, void *(*fn)(void *))
{
	for (int i = 0; i < n; i++)
		SB_CHECK(pthread_create(&t[i], NULL, fn, (void *)(intptr_t)i));
}

static inline void sb_join(pthread_t *t, int n)
{
	for (int i = 0; i < n; i++)
		SB_CHECK(pthread_join(t[i], NULL));
}

#endif
