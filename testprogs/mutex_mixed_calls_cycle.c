/* lockhound-expect: lock-order-cycle count=1 locks=2 functions=producer_ab,consumer_ba ; misuse what=unlock-not-locked */
/* The same mutexes through every way in: lock, trylock, timedlock and
 * condition waits, from several threads at once, on default, recursive
 * and errorcheck mutexes, with glibc's own answers (EBUSY, EDEADLK, EPERM)
 * printed.  One inversion: the producer takes A then B (B by timedlock),
 * the consumer B then A (B re-taken by a condition wait, A by lock,
 * once the producer is past its last A), so the report has one cycle; every other order is consistent.  The output is
 * the same natively and under lockhound, whichever side takes the locks. */
#include "tp.h"

#include <time.h>

#define ROUNDS 20000

static pthread_mutex_t A = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t B = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t R; /* recursive */
static pthread_mutex_t E; /* errorcheck */
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_spinlock_t S;
static long queued, produced, consumed, tries_won, rec_depth_max, spun;
static int done;

static void deadline(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += 30;
}

static void *producer_ab(void *p)
{
	struct timespec ts;
	int i;

	(void)p;
	for (i = 0; i < ROUNDS; i++) {
		TP_CHECK(pthread_mutex_lock(&A));
		deadline(&ts);
		TP_CHECK(pthread_mutex_timedlock(&B, &ts));
		queued++;
		produced++;
		TP_CHECK(pthread_cond_signal(&cv));
		TP_CHECK(pthread_mutex_unlock(&B));
		TP_CHECK(pthread_mutex_unlock(&A));
	}
	TP_CHECK(pthread_mutex_lock(&B));
	done = 1;
	TP_CHECK(pthread_cond_broadcast(&cv));
	TP_CHECK(pthread_mutex_unlock(&B));
	return NULL;
}

static void *consumer_ba(void *p)
{
	struct timespec past = { 0, 0 };
	int rc;

	(void)p;
	TP_CHECK(pthread_mutex_lock(&B));
	for (;;) {
		while (queued == 0 && !done)
			TP_CHECK(pthread_cond_wait(&cv, &B));
		if (queued == 0 && done)
			break;
		queued--;
		consumed++;
	}
	/* B is re-taken by a condition wait whose deadline has passed (glibc
	 * releases and re-takes the mutex even so), so the B held below was
	 * always taken at this line: when the producer finished before this
	 * thread first ran, the loop above never waited, and the cycle's stacks
	 * (its fingerprint) would depend on that timing */
	rc = pthread_cond_timedwait(&cv, &B, &past);
	if (rc != ETIMEDOUT) {
		fprintf(stderr, "timed wait with a past deadline: %d\n", rc);
		exit(2);
	}
	/* once, with the producer past its last A: B then A (no real hang) */
	TP_CHECK(pthread_mutex_lock(&A));
	TP_CHECK(pthread_mutex_unlock(&A));
	TP_CHECK(pthread_mutex_unlock(&B));
	return NULL;
}

/* trylock of A against the producer: wins some, EBUSY for the rest */
static void *trier(void *p)
{
	int i, rc;

	(void)p;
	for (i = 0; i < ROUNDS; i++) {
		rc = pthread_mutex_trylock(&A);
		if (rc == 0) {
			__atomic_add_fetch(&tries_won, 1, __ATOMIC_RELAXED);
			TP_CHECK(pthread_mutex_unlock(&A));
		} else if (rc != EBUSY) {
			fprintf(stderr, "trylock: %s\n", strerror(rc));
			exit(2);
		}
	}
	return NULL;
}

/* the recursive and errorcheck mutexes, shared by two of these threads */
static void *kinds(void *p)
{
	long depth = 0;
	int i, rc;

	(void)p;
	for (i = 0; i < ROUNDS / 4; i++) {
		TP_CHECK(pthread_mutex_lock(&R));
		TP_CHECK(pthread_mutex_lock(&R));
		rc = pthread_mutex_trylock(&R);
		depth = rc == 0 ? 3 : 2;
		if (rc == 0)
			TP_CHECK(pthread_mutex_unlock(&R));
		TP_CHECK(pthread_mutex_unlock(&R));
		TP_CHECK(pthread_mutex_unlock(&R));
		TP_CHECK(pthread_mutex_lock(&E));
		rc = pthread_mutex_trylock(&E);
		if (rc != EBUSY) {
			fprintf(stderr, "errorcheck trylock of a held mutex: %d\n", rc);
			exit(2);
		}
		TP_CHECK(pthread_mutex_unlock(&E));
		TP_CHECK(pthread_spin_lock(&S));
		spun++;
		rc = pthread_spin_trylock(&S);
		if (rc != EBUSY) {
			fprintf(stderr, "trylock of a held spinlock: %d\n", rc);
			exit(2);
		}
		TP_CHECK(pthread_spin_unlock(&S));
		if (pthread_spin_trylock(&S) == 0) {
			spun++;
			TP_CHECK(pthread_spin_unlock(&S));
		} else {
			TP_CHECK(pthread_spin_lock(&S));
			spun++;
			TP_CHECK(pthread_spin_unlock(&S));
		}
	}
	/* under R: a relaxed atomic store is a plain mov on x86, and two of them
	 * from two threads look like a race to sampled race watching */
	TP_CHECK(pthread_mutex_lock(&R));
	rec_depth_max = depth;
	TP_CHECK(pthread_mutex_unlock(&R));
	return NULL;
}

int main(void)
{
	pthread_t t[5];
	int rc;

	tp_mutex_init(&R, PTHREAD_MUTEX_RECURSIVE);
	tp_mutex_init(&E, PTHREAD_MUTEX_ERRORCHECK);
	TP_CHECK(pthread_spin_init(&S, PTHREAD_PROCESS_PRIVATE));
	/* glibc's own answers for an errorcheck mutex, from one thread */
	TP_CHECK(pthread_mutex_lock(&E));
	rc = pthread_mutex_lock(&E);
	printf("errorcheck relock: %s\n", rc == EDEADLK ? "EDEADLK" : "other");
	TP_CHECK(pthread_mutex_unlock(&E));
	rc = pthread_mutex_unlock(&E);
	printf("errorcheck unlock of a free one: %s\n", rc == EPERM ? "EPERM" : "other");

	t[0] = tp_spawn(consumer_ba, NULL);
	t[1] = tp_spawn(producer_ab, NULL);
	t[2] = tp_spawn(trier, NULL);
	t[3] = tp_spawn(kinds, NULL);
	t[4] = tp_spawn(kinds, NULL);
	for (rc = 0; rc < 5; rc++)
		tp_join(t[rc]);
	printf("produced %ld consumed %ld queued %ld\n", produced, consumed, queued);
	printf("trylock won: %s\n", tries_won <= ROUNDS ? "some" : "too many");
	printf("recursive depth: %ld\n", rec_depth_max);
	printf("spinlock rounds: %ld\n", spun);
	/* every mutex is free again, as glibc sees it */
	printf("free: %d %d %d %d\n", pthread_mutex_trylock(&A), pthread_mutex_trylock(&B),
	       pthread_mutex_trylock(&R), pthread_mutex_trylock(&E));
	TP_CHECK(pthread_mutex_unlock(&A));
	TP_CHECK(pthread_mutex_unlock(&B));
	TP_CHECK(pthread_mutex_unlock(&R));
	TP_CHECK(pthread_mutex_unlock(&E));
	TP_CHECK(pthread_mutex_destroy(&A));
	TP_CHECK(pthread_mutex_destroy(&B));
	TP_CHECK(pthread_mutex_destroy(&R));
	TP_CHECK(pthread_mutex_destroy(&E));
	TP_CHECK(pthread_spin_destroy(&S));
	return 0;
}
