/*
 * test_resolve.c - CUnit tests for preload/resolve.c, the table of real
 * functions: scripted look-ups (what an older glibc lacks, what is required),
 * versioned look-ups, and two threads resolving at once, one of them stuck
 * half-way (the second must neither wait for it nor go on with a
 * half-filled table).
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <time.h>

#include "shim.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static char fake[96]; /* fake[i]: what the look-up finds for lh_syms[i] */

struct script {
	const char *absent[4]; /* names the C library lacks */
	int calls;
	const char *cond_version; /* the version asked for pthread_cond_wait */
	/* blocking: the look-up of block_at, in thread blocker, waits on go */
	const char *block_at;
	pthread_t blocker;
	sem_t blocked, go;
};

static void *lookup(const char *name, const char *version, void *ctx)
{
	struct script *sc = ctx;
	size_t i;

	__atomic_add_fetch(&sc->calls, 1, __ATOMIC_RELAXED);
	if (sc->block_at && !strcmp(name, sc->block_at) && pthread_equal(pthread_self(), sc->blocker)) {
		sem_post(&sc->blocked);
		while (sem_wait(&sc->go) != 0)
			;
	}
	if (!strcmp(name, "pthread_cond_wait"))
		sc->cond_version = version;
	for (i = 0; i < N_OF(sc->absent); i++)
		if (sc->absent[i] && !strcmp(name, sc->absent[i]))
			return NULL;
	for (i = 0; i < lh_n_syms; i++)
		if (!strcmp(name, lh_syms[i].name))
			return &fake[i];
	return NULL;
}

static void *slot(const struct lh_real *r, size_t i)
{
	return *(void *const *)((const char *)r + lh_syms[i].offset);
}

static size_t sym_index(const char *name)
{
	size_t i;
	for (i = 0; i < lh_n_syms; i++)
		if (!strcmp(lh_syms[i].name, name))
			return i;
	CU_FAIL("unknown symbol");
	return 0;
}

static void test_all_found(void)
{
	struct lh_resolve_state st = { 0, 0 };
	struct lh_real r;
	struct script sc;
	const char *missing = "x";
	size_t i;

	CU_ASSERT_FATAL(lh_n_syms <= sizeof(fake));
	memset(&r, 0, sizeof(r));
	memset(&sc, 0, sizeof(sc));
	CU_ASSERT_EQUAL(lh_resolve(&st, &r, lookup, &sc, &missing), 0);
	CU_ASSERT_PTR_NULL(missing);
	for (i = 0; i < lh_n_syms; i++)
		CU_ASSERT_PTR_EQUAL(slot(&r, i), &fake[i]);
	CU_ASSERT_STRING_EQUAL(sc.cond_version, "GLIBC_2.3.2");
	/* every slot of struct lh_real is in the table */
	CU_ASSERT_EQUAL(lh_n_syms * sizeof(void *), sizeof(struct lh_real));
}

static void test_done_once(void)
{
	struct lh_resolve_state st = { 0, 0 };
	struct lh_real r;
	struct script sc;

	memset(&r, 0, sizeof(r));
	memset(&sc, 0, sizeof(sc));
	lh_resolve(&st, &r, lookup, &sc, NULL);
	CU_ASSERT_EQUAL(sc.calls, (int)lh_n_syms);
	CU_ASSERT_EQUAL(lh_resolve(&st, &r, lookup, &sc, NULL), 0);
	CU_ASSERT_EQUAL(sc.calls, (int)lh_n_syms); /* no second pass */
}

static void test_older_glibc_optional_missing(void)
{
	struct lh_resolve_state st = { 0, 0 };
	struct lh_real r;
	struct script sc;
	const char *missing = "x";
	struct timespec ts = { 0, 0 };
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	mtx_t cm;

	/* glibc 2.27: no clock* functions, no C11 threads */
	memset(&r, 0, sizeof(r));
	memset(&sc, 0, sizeof(sc));
	sc.absent[0] = "pthread_mutex_clocklock";
	sc.absent[1] = "mtx_lock";
	sc.absent[2] = "thrd_create";
	sc.absent[3] = "pthread_cond_clockwait";
	CU_ASSERT_EQUAL(lh_resolve(&st, &r, lookup, &sc, &missing), 0);
	CU_ASSERT_PTR_NULL(missing);
	/* the wrappers stay callable: they fail like an unsupported call */
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.mutex_clocklock);
	CU_ASSERT_EQUAL(r.mutex_clocklock(&m, CLOCK_MONOTONIC, &ts), ENOSYS);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.mtx_lock);
	CU_ASSERT_EQUAL(r.mtx_lock(&cm), thrd_error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.thrd_create);
	CU_ASSERT_EQUAL(r.thrd_create(NULL, NULL, NULL), thrd_error);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.cond_clockwait);
	/* the others are the real ones */
	CU_ASSERT_PTR_EQUAL(r.mutex_lock, (void *)&fake[sym_index("pthread_mutex_lock")]);
	CU_ASSERT_PTR_EQUAL(r.mtx_unlock, (void *)&fake[sym_index("mtx_unlock")]);
}

static void test_required_missing(void)
{
	struct lh_resolve_state st = { 0, 0 };
	struct lh_real r;
	struct script sc;
	const char *missing = NULL;

	memset(&r, 0, sizeof(r));
	memset(&sc, 0, sizeof(sc));
	sc.absent[0] = "pthread_rwlock_unlock";
	sc.absent[1] = "pthread_mutex_lock";
	CU_ASSERT_EQUAL(lh_resolve(&st, &r, lookup, &sc, &missing), 2);
	/* the first in table order is named */
	CU_ASSERT_PTR_NOT_NULL_FATAL(missing);
	CU_ASSERT_STRING_EQUAL(missing, "pthread_mutex_lock");
	CU_ASSERT_PTR_NULL(r.mutex_lock);
	/* later callers learn it too */
	CU_ASSERT_EQUAL(lh_resolve(&st, &r, lookup, &sc, &missing), 2);
}

struct racer {
	struct lh_resolve_state *st;
	struct lh_real *r;
	struct script *sc;
	int rc;
	int complete; /* every slot set when lh_resolve returned */
	int blocks;   /* this thread is the one that gets stuck */
};

static void *racer_main(void *arg)
{
	struct racer *x = arg;
	size_t i;

	if (x->blocks)
		x->sc->blocker = pthread_self();
	x->rc = lh_resolve(x->st, x->r, lookup, x->sc, NULL);
	x->complete = 1;
	for (i = 0; i < lh_n_syms; i++)
		if (!__atomic_load_n((void **)((char *)x->r + lh_syms[i].offset), __ATOMIC_RELAXED))
			x->complete = 0;
	return NULL;
}

static void test_second_thread_never_half_filled(void)
{
	struct lh_resolve_state st = { 0, 0 };
	struct lh_real r;
	struct script sc;
	struct racer first, second;
	pthread_t tf, ts2;
	struct timespec deadline;
	size_t i;
	int joined;

	memset(&r, 0, sizeof(r));
	memset(&sc, 0, sizeof(sc));
	sem_init(&sc.blocked, 0, 0);
	sem_init(&sc.go, 0, 0);
	/* the first thread stops right after pthread_mutex_lock was found */
	sc.block_at = "pthread_mutex_trylock";
	first = (struct racer){ &st, &r, &sc, -1, 0, 1 };
	second = (struct racer){ &st, &r, &sc, -1, 0, 0 };
	CU_ASSERT_FATAL(pthread_create(&tf, NULL, racer_main, &first) == 0);
	while (sem_wait(&sc.blocked) != 0)
		;
	CU_ASSERT_PTR_NOT_NULL(r.mutex_lock); /* half-filled now */
	CU_ASSERT_PTR_NULL(r.mutex_unlock);
	CU_ASSERT_FATAL(pthread_create(&ts2, NULL, racer_main, &second) == 0);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	joined = pthread_timedjoin_np(ts2, NULL, &deadline) == 0;
	CU_ASSERT(joined); /* it did not wait for the stuck thread */
	CU_ASSERT_EQUAL(second.rc, 0);
	CU_ASSERT(second.complete); /* and did not go on with a partial table */
	sem_post(&sc.go);
	pthread_join(tf, NULL);
	if (!joined)
		pthread_join(ts2, NULL);
	CU_ASSERT_EQUAL(first.rc, 0);
	for (i = 0; i < lh_n_syms; i++)
		CU_ASSERT_PTR_EQUAL(slot(&r, i), &fake[i]);
	sem_destroy(&sc.blocked);
	sem_destroy(&sc.go);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "all_found", test_all_found },
		{ "done_once", test_done_once },
		{ "older_glibc_optional_missing", test_older_glibc_optional_missing },
		{ "required_missing", test_required_missing },
		{ "second_thread_never_half_filled", test_second_thread_never_half_filled },
	};
	return cunit_run("resolve", tests, N_OF(tests));
}
