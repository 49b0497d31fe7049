/*
 * test_race_mt.c - the race engine (preload/race.c) called from real
 * threads at once, as the shim calls it: concurrent accesses to the same
 * granules, sync operations, thread creation and memory freed while other
 * threads run.  It must never crash, lose its invariants (rc_sanity) or
 * report a race the scripted order does not have, and must still find the
 * races that are there.  Short loops: a few hundred milliseconds.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../preload/race.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define NT 4

static long n_races;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static uintptr_t last_lo;

static void on_race(void *cookie, const struct rc_race *r)
{
	(void)cookie;
	pthread_mutex_lock(&count_lock);
	n_races++;
	last_lo = r->lo;
	pthread_mutex_unlock(&count_lock);
}

/* the engine's memory, released when the next test makes its engine */
static void *mem[65536];
static int n_mem;

static void *t_alloc(void *cookie, size_t size)
{
	void *p = calloc(1, size);
	(void)cookie;
	pthread_mutex_lock(&count_lock);
	if (p && n_mem < (int)N_OF(mem))
		mem[n_mem++] = p;
	pthread_mutex_unlock(&count_lock);
	return p;
}

static struct rc_engine *E;

static void mk(void)
{
	static const struct rc_alloc a = {t_alloc, NULL};
	static const struct rc_hooks h = {on_race, NULL, NULL};

	for (int i = 0; i < n_mem; i++)
		free(mem[i]);
	n_mem = 0;
	n_races = 0;
	E = rc_create(&a, &h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(E);
}

static void sane(void)
{
	const char *why = rc_sanity(E);
	if (why)
		fprintf(stderr, "rc_sanity: %s\n", why);
	CU_ASSERT_PTR_NULL(why);
}

#define SHARED ((uintptr_t)0x10000000)
#define PRIVATE ((uintptr_t)0x20000000)
#define COUNTER ((uintptr_t)0x30000000)
#define MUTEX ((uintptr_t)0x30001000)

struct arg {
	rc_tid t;
	int i;
	int mode;
};

enum { READERS, LOCKED, RACY, FORGET };

static pthread_mutex_t real_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start; /* the workers begin together */

static void *worker(void *p)
{
	struct arg *a = p;

	pthread_barrier_wait(&start);
	for (int r = 0; r < 20000; r++) {
		switch (a->mode) {
		case READERS:
			/* shared read-only words, own words written, new epochs */
			for (int w = 0; w < 32; w++)
				rc_access(E, a->t, SHARED + 8 * w, 8, 0, 0, 1);
			rc_access(E, a->t, PRIVATE + 64 * a->i + 8 * (r & 7), 8, 1, 0, 2);
			/* neighbours' bytes of one granule: each thread its own byte */
			rc_access(E, a->t, SHARED + 512 + a->i, 1, 1, 0, 3);
			if (!(r & 15))
				rc_release(E, a->t, MUTEX + 8 * a->i); /* nobody acquires it */
			break;
		case LOCKED:
			pthread_mutex_lock(&real_lock);
			rc_acquire(E, a->t, MUTEX);
			rc_access(E, a->t, COUNTER, 8, 0, 0, 4);
			rc_access(E, a->t, COUNTER, 8, 1, 0, 5);
			rc_release(E, a->t, MUTEX);
			pthread_mutex_unlock(&real_lock);
			break;
		case RACY:
			rc_access(E, a->t, COUNTER, 8, 0, 0, 6);
			rc_access(E, a->t, COUNTER, 8, 1, 0, 7);
			break;
		case FORGET:
			/* each thread allocates, uses and frees its own blocks,
			 * interleaved with the others' in the same leaves */
			rc_access_range(E, a->t, PRIVATE + 4096 * a->i, 256, 1, 8);
			rc_access(E, a->t, PRIVATE + 4096 * a->i + 8 * (r & 31), 8, 0, 0, 9);
			rc_release(E, a->t, PRIVATE + 4096 * a->i + 128); /* a lock inside */
			rc_forget(E, PRIVATE + 4096 * a->i, 256);
			break;
		}
	}
	rc_thread_exit(E, a->t);
	return NULL;
}

static void run(int mode)
{
	pthread_t th[NT];
	struct arg a[NT];
	rc_tid m;

	mk();
	pthread_barrier_init(&start, NULL, NT);
	m = rc_thread_new(E, 0);
	for (int w = 0; w < 64; w++)
		rc_access(E, m, SHARED + 8 * w, 8, 1, 0, 10);
	for (int i = 0; i < NT; i++) {
		a[i].t = rc_thread_new(E, m);
		a[i].i = i;
		a[i].mode = mode;
		CU_ASSERT_FATAL(pthread_create(&th[i], NULL, worker, &a[i]) == 0);
	}
	for (int i = 0; i < NT; i++) {
		pthread_join(th[i], NULL);
		rc_thread_join(E, m, a[i].t);
	}
	pthread_barrier_destroy(&start);
	sane();
}

static void test_concurrent_readers(void)
{
	run(READERS);
	CU_ASSERT_EQUAL(n_races, 0);
	/* after the joins, main's write is ordered after every read */
	CU_ASSERT_EQUAL(rc_access(E, 1, SHARED, 8, 1, 0, 11), 0);
	sane();
}

static void test_concurrent_locked(void)
{
	run(LOCKED);
	CU_ASSERT_EQUAL(n_races, 0);
}

static void test_concurrent_racy(void)
{
	run(RACY);
	CU_ASSERT(n_races >= 1);
	CU_ASSERT_EQUAL(last_lo, COUNTER);
}

static void test_concurrent_forget(void)
{
	run(FORGET);
	CU_ASSERT_EQUAL(n_races, 0);
}

/* threads creating and joining threads while others access memory */
static int no_slot;

static void *spawner(void *p)
{
	struct arg *a = p;

	pthread_barrier_wait(&start);
	for (int r = 0; r < 2000; r++) {
		rc_tid c = rc_thread_new(E, a->t);
		if (!c) /* CUnit's asserts are not for other threads */
			__atomic_fetch_add(&no_slot, 1, __ATOMIC_RELAXED);
		rc_access(E, c, PRIVATE + 64 * a->i, 8, 1, 0, 12);
		rc_thread_exit(E, c);
		rc_thread_join(E, a->t, c);
		rc_access(E, a->t, PRIVATE + 64 * a->i, 8, 1, 0, 13);
	}
	return NULL;
}

static void test_concurrent_churn(void)
{
	pthread_t th[NT];
	struct arg a[NT];
	rc_tid m;

	mk();
	pthread_barrier_init(&start, NULL, NT);
	m = rc_thread_new(E, 0);
	for (int i = 0; i < NT; i++) {
		a[i].t = rc_thread_new(E, m);
		a[i].i = i;
		CU_ASSERT_FATAL(pthread_create(&th[i], NULL, spawner, &a[i]) == 0);
	}
	for (int i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	CU_ASSERT_EQUAL(n_races, 0);
	CU_ASSERT_EQUAL(no_slot, 0);
	sane();
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{"concurrent readers of shared data: no race", test_concurrent_readers},
		{"a counter under a real mutex: no race", test_concurrent_locked},
		{"an unguarded counter: found", test_concurrent_racy},
		{"blocks freed while others run: no race", test_concurrent_forget},
		{"threads created and joined at once", test_concurrent_churn},
	};
	return cunit_run("race engine, real threads", tests, N_OF(tests));
}
