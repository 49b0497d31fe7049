/*
 * race_bench.c - the race engine alone (preload/race.c): nanoseconds per
 * rc_access on its fast path (same thread, same epoch; shared read-only
 * data) and on its slow paths (new epoch, first touch), and per
 * release/acquire pair.  Scripted threads on one OS thread, except the
 * last case, where real threads read shared data at once.  Not part of
 * make check: make bench-engine.  Prints the best of REPS runs; with a
 * second argument, runs that one case once (for instruction counts).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../preload/race.h"

#define REPS 5

static void *b_alloc(void *cookie, size_t size)
{
	(void)cookie;
	return calloc(1, size);
}

static long races;
static void on_race(void *cookie, const struct rc_race *r)
{
	(void)cookie;
	(void)r;
	races++;
}

static struct rc_engine *mk(void)
{
	static const struct rc_alloc a = {b_alloc, NULL};
	static const struct rc_hooks h = {on_race, NULL, NULL};
	struct rc_engine *e = rc_create(&a, &h);
	if (!e) {
		fprintf(stderr, "race_bench: rc_create failed\n");
		exit(1);
	}
	return e;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define BASE ((uintptr_t)0x7f0000000000)
#define WORDS 512 /* 4 KiB of data, in cache */

/* one thread, the same words again and again in one epoch */
static double same_thread(long n, int write)
{
	struct rc_engine *e = mk();
	rc_tid t = rc_thread_new(e, 0);
	double t0, t1;

	for (long i = 0; i < WORDS; i++)
		rc_access(e, t, BASE + 8 * i, 8, write, 0, 1);
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		rc_access(e, t, BASE + 8 * (i & (WORDS - 1)), 8, write, 0, 1);
	t1 = now_ns();
	return (t1 - t0) / n;
}

/* k threads read data written before they started, round robin */
static double shared_read(long n, int k)
{
	struct rc_engine *e = mk();
	rc_tid m = rc_thread_new(e, 0), t[64];
	double t0, t1;

	for (long i = 0; i < WORDS; i++)
		rc_access(e, m, BASE + 8 * i, 8, 1, 0, 1);
	for (int j = 0; j < k; j++)
		t[j] = rc_thread_new(e, m);
	for (int j = 0; j < k; j++)
		for (long i = 0; i < WORDS; i++)
			rc_access(e, t[j], BASE + 8 * i, 8, 0, 0, 2);
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		rc_access(e, t[(i / WORDS) % k], BASE + 8 * (i & (WORDS - 1)), 8, 0, 0, 2);
	t1 = now_ns();
	return (t1 - t0) / n;
}

/* one thread, a release between passes: every access starts a new epoch's record */
static double new_epoch(long n)
{
	struct rc_engine *e = mk();
	rc_tid t = rc_thread_new(e, 0);
	double t0, t1;

	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		if (!(i & (WORDS - 1)))
			rc_release(e, t, 0x1000);
		rc_access(e, t, BASE + 8 * (i & (WORDS - 1)), 8, 1, 0, 1);
	}
	t1 = now_ns();
	return (t1 - t0) / n;
}

/* the compute benchmark's pattern: data written by main before the worker
 * started, read 4 bytes at a time, a lock taken between passes */
static double reread_after_init(long n)
{
	struct rc_engine *e = mk();
	rc_tid m = rc_thread_new(e, 0), t;
	double t0, t1;

	for (long i = 0; i < 2 * WORDS; i++)
		rc_access(e, m, BASE + 4 * i, 4, 1, 0, 1);
	t = rc_thread_new(e, m);
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		if (!(i & (2 * WORDS - 1))) {
			rc_acquire(e, t, 0x1000);
			rc_release(e, t, 0x1000);
		}
		rc_access(e, t, BASE + 4 * (i & (2 * WORDS - 1)), 4, 0, 0, 2);
	}
	t1 = now_ns();
	return (t1 - t0) / n;
}

/* first touch of fresh memory (shadow leaves made on the way) */
static double first_touch(long n)
{
	struct rc_engine *e = mk();
	rc_tid t = rc_thread_new(e, 0);
	double t0, t1;

	t0 = now_ns();
	for (long i = 0; i < n; i++)
		rc_access(e, t, BASE + 8 * i, 8, 1, 0, 1);
	t1 = now_ns();
	return (t1 - t0) / n;
}

/* k threads in turn: acquire, release.  Shared: one lock handed off, one
 * write under it.  Own (the lock paths' feeds of sampled watching for the
 * uncontended microbenchmark): each thread its own lock, nothing
 * accessed, at least 5 threads made (6 slots, as in a 4-thread run). */
/* own 2: the releases as the shim's fast unlock paths make them, by the
 * lock's holder (rc_release_held) */
static double lock_rounds(long n, int k, int own)
{
	struct rc_engine *e = mk();
	rc_tid m = rc_thread_new(e, 0), t[64];
	double t0, t1;

	for (int j = 0; j < k; j++)
		t[j] = rc_thread_new(e, m);
	for (int j = k; own && j < 5; j++)
		rc_thread_new(e, m);
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		int j = (int)(i % k);
		uintptr_t l = 0x2000 + (own ? 128 * (uintptr_t)j : 0);
		rc_acquire(e, t[j], l);
		if (!own)
			rc_access(e, t[j], BASE, 8, 1, 0, 3);
		if (own == 2)
			rc_release_held(e, t[j], l);
		else
			rc_release(e, t[j], l);
	}
	t1 = now_ns();
	return (t1 - t0) / n;
}

/* real threads reading shared data at once */
struct par {
	struct rc_engine *e;
	rc_tid t;
	long n;
};

static void *par_reader(void *arg)
{
	struct par *p = arg;
	for (long i = 0; i < p->n; i++)
		rc_access(p->e, p->t, BASE + 8 * (i & (WORDS - 1)), 8, 0, 0, 4);
	return NULL;
}

static double parallel_read(long n, int k)
{
	struct rc_engine *e = mk();
	rc_tid m = rc_thread_new(e, 0);
	pthread_t th[8];
	struct par p[8];
	double t0, t1;

	for (long i = 0; i < WORDS; i++)
		rc_access(e, m, BASE + 8 * i, 8, 1, 0, 1);
	for (int j = 0; j < k; j++) {
		p[j].e = e;
		p[j].t = rc_thread_new(e, m);
		p[j].n = n;
	}
	t0 = now_ns();
	for (int j = 0; j < k; j++)
		pthread_create(&th[j], NULL, par_reader, &p[j]);
	for (int j = 0; j < k; j++)
		pthread_join(th[j], NULL);
	t1 = now_ns();
	return (t1 - t0) / n; /* wall time per access of one thread */
}

#define BEST(expr)                                                                          \
	({                                                                                  \
		double b_ = 1e30;                                                           \
		for (int r_ = 0; r_ < REPS; r_++) {                                         \
			double v_ = (expr);                                                 \
			if (v_ < b_)                                                        \
				b_ = v_;                                                    \
		}                                                                           \
		b_;                                                                         \
	})

/* race_bench N CASE: one case, once, for counting instructions
 * (valgrind --tool=cachegrind; subtract a run with N = 0) */
static int one_case(long n, int c)
{
	switch (c) {
	case 0: same_thread(n, 1); break;
	case 1: shared_read(n, 2); break;
	case 2: shared_read(n, 8); break;
	case 3: new_epoch(n); break;
	case 4: reread_after_init(n); break;
	case 5: first_touch(n); break;
	case 6: lock_rounds(n, 2, 0); break;
	case 7: lock_rounds(n, 4, 1); break;
	case 8: lock_rounds(n, 4, 2); break;
	default:
		fprintf(stderr, "race_bench: CASE is 0..8\n");
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000000;

	if (argc > 2)
		return one_case(n, atoi(argv[2]));

	printf("rc_access, ns per call, best of %d runs of %ld calls\n", REPS, n);
	printf("  same thread, same epoch, write        %6.2f\n", BEST(same_thread(n, 1)));
	printf("  same thread, same epoch, read         %6.2f\n", BEST(same_thread(n, 0)));
	printf("  shared read-only, 2 readers (inline)  %6.2f\n", BEST(shared_read(n, 2)));
	printf("  shared read-only, 8 readers (chain)   %6.2f\n", BEST(shared_read(n, 8)));
	printf("  shared read-only, 32 readers (chain)  %6.2f\n", BEST(shared_read(n, 32)));
	printf("  new epoch each pass (slow path)       %6.2f\n", BEST(new_epoch(n)));
	printf("  4-byte reads, init by another, new epoch %6.2f\n", BEST(reread_after_init(n)));
	printf("  first touch (slow path, new shadow)   %6.2f\n", BEST(first_touch(n / 10)));
	printf("acquire + write + release, ns per round\n");
	printf("  2 threads                             %6.2f\n", BEST(lock_rounds(n / 10, 2, 0)));
	printf("  64 threads                            %6.2f\n", BEST(lock_rounds(n / 10, 64, 0)));
	printf("acquire + release of a thread's own lock, ns per round\n");
	printf("  4 threads, 6 slots                    %6.2f\n", BEST(lock_rounds(n / 10, 4, 1)));
	printf("  the same, released by the holder     %6.2f\n", BEST(lock_rounds(n / 10, 4, 2)));
	printf("real threads reading shared data at once, wall ns per access\n");
	printf("  1 thread                              %6.2f\n", BEST(parallel_read(n, 1)));
	printf("  2 threads                             %6.2f\n", BEST(parallel_read(n, 2)));
	if (races)
		printf("unexpected races: %ld\n", races);
	return races != 0;
}
