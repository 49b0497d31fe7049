/*
 * tp.h - helpers shared by the lockhound test programs (not a scenario).
 *
 * Only the boring parts live here: error checking, semaphores used to put
 * the threads of a scenario in a fixed order, start/finish barriers, thread
 * spawn and join.  None of them takes a pthread mutex, rwlock or spinlock,
 * so they add nothing to the lock-order graph; every lock a scenario is
 * about is taken in the scenario's own, clearly named functions.
 *
 * Usable from C and C++.
 */
#ifndef LOCKHOUND_TESTPROG_TP_H
#define LOCKHOUND_TESTPROG_TP_H

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* For calls that return 0 or an error number (the pthread_* family). */
#define TP_CHECK(call)                                                        \
	do {                                                                  \
		int tp_rc_ = (call);                                          \
		if (tp_rc_ != 0) {                                            \
			fprintf(stderr, "%s:%d: %s: %s\n", __FILE__,          \
			        __LINE__, #call, strerror(tp_rc_));           \
			exit(2);                                              \
		}                                                             \
	} while (0)

static inline void tp_die(const char *what)
{
	fprintf(stderr, "testprog: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* sem_t: a one-way signal "step k is done" from one thread to another. */
static inline void tp_sem_init(sem_t *s)
{
	if (sem_init(s, 0, 0) != 0)
		tp_die("sem_init");
}

static inline void tp_sem_post(sem_t *s)
{
	if (sem_post(s) != 0)
		tp_die("sem_post");
}

static inline void tp_sem_wait(sem_t *s)
{
	while (sem_wait(s) != 0) {
		if (errno != EINTR)
			tp_die("sem_wait");
	}
}

/* Barriers: every thread of a scenario waits at a start barrier before it
 * takes any lock, and at a finish barrier before it returns, so all of
 * them are alive at the same time even though their lock operations are
 * put in a fixed order by semaphores. */
static inline void tp_barrier_init(pthread_barrier_t *b, unsigned n)
{
	TP_CHECK(pthread_barrier_init(b, NULL, n));
}

static inline void tp_barrier_wait(pthread_barrier_t *b)
{
	int rc = pthread_barrier_wait(b);
	if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD) {
		fprintf(stderr, "testprog: pthread_barrier_wait: %s\n",
		        strerror(rc));
		exit(2);
	}
}

static inline pthread_t tp_spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	TP_CHECK(pthread_create(&t, NULL, fn, arg));
	return t;
}

static inline void tp_join(pthread_t t)
{
	TP_CHECK(pthread_join(t, NULL));
}

static inline void tp_mutex_init(pthread_mutex_t *m, int type)
{
	pthread_mutexattr_t attr;
	TP_CHECK(pthread_mutexattr_init(&attr));
	TP_CHECK(pthread_mutexattr_settype(&attr, type));
	TP_CHECK(pthread_mutex_init(m, &attr));
	TP_CHECK(pthread_mutexattr_destroy(&attr));
}

#endif
