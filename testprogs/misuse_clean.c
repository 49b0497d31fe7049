/* lockhound-expect: clean min_edges=0 min_threads=5 timeout=20 */
/* The correct twin of the misuse_* programs: the same calls, used right.
 * Locks are unlocked by their owners (ERRORCHECK, normal, recursive,
 * rwlock, spinlock, C11), trylock of a lock another thread holds fails with
 * EBUSY (no misuse), mutexes are destroyed unlocked and with no waiters,
 * a destroyed mutex is initialized again before it is used again, condition
 * waits hold their mutex and two threads wait on one condvar with the same
 * mutex, and every thread (returning or through pthread_exit) has unlocked
 * everything first. */
#include <threads.h>
#include "tp.h"

static pthread_mutex_t ec_lock, plain_lock, rec_lock;
static pthread_rwlock_t rw;
static pthread_spinlock_t spin;
static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static mtx_t c11_lock;
static cnd_t c11_cv;
static sem_t holder_ready, tried, waiters_in;
static int go, c11_go, counter;

static void *holder_thread(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&ec_lock));
	tp_sem_post(&holder_ready);
	tp_sem_wait(&tried);
	TP_CHECK(pthread_mutex_unlock(&ec_lock)); /* the owner unlocks */
	return NULL;
}

static void trylock_held_by_other(void)
{
	tp_sem_wait(&holder_ready);
	int rc = pthread_mutex_trylock(&ec_lock);
	if (rc != EBUSY) {
		fprintf(stderr, "trylock_held_by_other: %s\n", strerror(rc));
		exit(2);
	}
	tp_sem_post(&tried);
}

static void *cv_waiter(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&cv_lock));
	tp_sem_post(&waiters_in);
	while (!go)
		TP_CHECK(pthread_cond_wait(&cv, &cv_lock)); /* held, same mutex */
	counter++;
	TP_CHECK(pthread_mutex_unlock(&cv_lock));
	if (arg)
		pthread_exit(NULL); /* nothing held */
	return NULL;
}

static int c11_waiter(void *arg)
{
	if (mtx_lock(&c11_lock) != thrd_success)
		exit(2);
	while (!c11_go)
		if (cnd_wait(&c11_cv, &c11_lock) != thrd_success)
			exit(2);
	if (mtx_unlock(&c11_lock) != thrd_success)
		exit(2);
	return 0;
}

static void use_every_kind(void)
{
	TP_CHECK(pthread_mutex_lock(&plain_lock));
	TP_CHECK(pthread_mutex_unlock(&plain_lock));
	TP_CHECK(pthread_mutex_lock(&rec_lock));
	TP_CHECK(pthread_mutex_lock(&rec_lock)); /* recursive: fine */
	TP_CHECK(pthread_mutex_unlock(&rec_lock));
	TP_CHECK(pthread_mutex_unlock(&rec_lock));
	TP_CHECK(pthread_rwlock_rdlock(&rw));
	TP_CHECK(pthread_rwlock_rdlock(&rw)); /* two read holds */
	TP_CHECK(pthread_rwlock_unlock(&rw));
	TP_CHECK(pthread_rwlock_unlock(&rw));
	TP_CHECK(pthread_rwlock_wrlock(&rw));
	TP_CHECK(pthread_rwlock_unlock(&rw));
	TP_CHECK(pthread_spin_lock(&spin));
	TP_CHECK(pthread_spin_unlock(&spin));
}

static void destroy_and_reinit(void)
{
	TP_CHECK(pthread_mutex_destroy(&plain_lock));
	TP_CHECK(pthread_mutex_init(&plain_lock, NULL));
	TP_CHECK(pthread_mutex_lock(&plain_lock));
	TP_CHECK(pthread_mutex_unlock(&plain_lock));
}

int main(void)
{
	thrd_t c11_t;

	tp_mutex_init(&ec_lock, PTHREAD_MUTEX_ERRORCHECK);
	TP_CHECK(pthread_mutex_init(&plain_lock, NULL));
	tp_mutex_init(&rec_lock, PTHREAD_MUTEX_RECURSIVE);
	TP_CHECK(pthread_rwlock_init(&rw, NULL));
	TP_CHECK(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE));
	if (mtx_init(&c11_lock, mtx_plain) != thrd_success || cnd_init(&c11_cv) != thrd_success)
		return 2;
	tp_sem_init(&holder_ready);
	tp_sem_init(&tried);
	tp_sem_init(&waiters_in);

	/* a lock held by another thread: trylock says EBUSY, owner unlocks */
	pthread_t holder = tp_spawn(holder_thread, NULL);
	trylock_held_by_other();
	tp_join(holder);
	TP_CHECK(pthread_mutex_lock(&ec_lock));
	TP_CHECK(pthread_mutex_unlock(&ec_lock));

	use_every_kind();
	destroy_and_reinit();

	/* two waiters on one condvar, both with cv_lock */
	pthread_t w1 = tp_spawn(cv_waiter, NULL);
	pthread_t w2 = tp_spawn(cv_waiter, (void *)1);
	tp_sem_wait(&waiters_in);
	tp_sem_wait(&waiters_in);
	TP_CHECK(pthread_mutex_lock(&cv_lock));
	go = 1;
	TP_CHECK(pthread_cond_broadcast(&cv));
	TP_CHECK(pthread_mutex_unlock(&cv_lock));
	tp_join(w1);
	tp_join(w2);

	/* C11 mutex and condition variable */
	if (thrd_create(&c11_t, c11_waiter, NULL) != thrd_success)
		return 2;
	if (mtx_lock(&c11_lock) != thrd_success)
		return 2;
	c11_go = 1;
	if (cnd_signal(&c11_cv) != thrd_success || mtx_unlock(&c11_lock) != thrd_success)
		return 2;
	if (thrd_join(c11_t, NULL) != thrd_success)
		return 2;

	/* everything unlocked, no thread waits: destroy it all */
	TP_CHECK(pthread_mutex_destroy(&ec_lock));
	TP_CHECK(pthread_mutex_destroy(&plain_lock));
	TP_CHECK(pthread_mutex_destroy(&rec_lock));
	TP_CHECK(pthread_mutex_destroy(&cv_lock));
	TP_CHECK(pthread_cond_destroy(&cv));
	TP_CHECK(pthread_rwlock_destroy(&rw));
	TP_CHECK(pthread_spin_destroy(&spin));
	cnd_destroy(&c11_cv);
	mtx_destroy(&c11_lock);
	return counter == 2 ? 0 : 1;
}
