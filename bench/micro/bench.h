/*
 * bench.h - shared by the lockhound microbenchmarks (the .c files in bench/micro).
 *
 * Every microbenchmark does a fixed amount of work, split over a thread
 * count given on the command line, and prints one deterministic result
 * line on stdout so a run under a tool can be checked against the native
 * run.  Usage of every program:  PROG THREADS [SCALE]
 *   THREADS  worker threads (>= 1)
 *   SCALE    multiplies the total work (default 1; the growth runs use 10)
 * Timing is done from outside (bench/bench.py); nothing here measures or
 * asserts anything about time.
 */
#ifndef LH_BENCH_H
#define LH_BENCH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bench_threads = 1;
static long bench_scale = 1;

static inline void bench_args(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s THREADS [SCALE]\n", argv[0]);
		exit(2);
	}
	bench_threads = atoi(argv[1]);
	if (argc == 3)
		bench_scale = atol(argv[2]);
	if (bench_threads < 1 || bench_threads > 1024 || bench_scale < 1 || bench_scale > 1000) {
		fprintf(stderr, "%s: THREADS must be 1..1024 and SCALE 1..1000\n", argv[0]);
		exit(2);
	}
}

static inline void bench_check(int rc, const char *what)
{
	if (rc) {
		fprintf(stderr, "%s failed: %s\n", what, strerror(rc));
		exit(1);
	}
}

/* start n threads running fn(i), join them all */
static inline void bench_run_threads(int n, void *(*fn)(void *), void *args, size_t argsize)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	int i;

	for (i = 0; i < n; i++)
		bench_check(pthread_create(&t[i], NULL, fn, (char *)args + (size_t)i * argsize),
		            "pthread_create");
	for (i = 0; i < n; i++)
		bench_check(pthread_join(t[i], NULL), "pthread_join");
	free(t);
}

#endif
