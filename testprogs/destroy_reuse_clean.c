/* lockhound-expect: clean */
/* T1 takes A then B; A and B are destroyed and new mutexes are initialized
 * in the SAME storage; T2 takes the new B then the new A.  Same addresses, but
 * different locks (a new generation), so there is no cycle. */
#include "tp.h"

struct pair {
	pthread_mutex_t a;
	pthread_mutex_t b;
};

static struct pair locks; /* one storage, two generations of locks */
static pthread_barrier_t start, finish;
static sem_t old_done, new_ready;
static long value;

static void *old_generation_ab(void *arg)
{
	tp_barrier_wait(&start);
	TP_CHECK(pthread_mutex_lock(&locks.a));
	TP_CHECK(pthread_mutex_lock(&locks.b));
	value++;
	TP_CHECK(pthread_mutex_unlock(&locks.b));
	TP_CHECK(pthread_mutex_unlock(&locks.a));
	tp_sem_post(&old_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *new_generation_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&new_ready);
	TP_CHECK(pthread_mutex_lock(&locks.b));
	TP_CHECK(pthread_mutex_lock(&locks.a));
	value++;
	TP_CHECK(pthread_mutex_unlock(&locks.a));
	TP_CHECK(pthread_mutex_unlock(&locks.b));
	tp_barrier_wait(&finish);
	return NULL;
}

static void reinit_pair(void)
{
	TP_CHECK(pthread_mutex_destroy(&locks.a));
	TP_CHECK(pthread_mutex_destroy(&locks.b));
	TP_CHECK(pthread_mutex_init(&locks.a, NULL));
	TP_CHECK(pthread_mutex_init(&locks.b, NULL));
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&locks.a, NULL));
	TP_CHECK(pthread_mutex_init(&locks.b, NULL));
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&old_done);
	tp_sem_init(&new_ready);

	pthread_t t1 = tp_spawn(old_generation_ab, NULL);
	pthread_t t2 = tp_spawn(new_generation_ba, NULL);
	tp_sem_wait(&old_done);
	reinit_pair();
	tp_sem_post(&new_ready);
	tp_join(t1);
	tp_join(t2);
	TP_CHECK(pthread_mutex_destroy(&locks.a));
	TP_CHECK(pthread_mutex_destroy(&locks.b));
	return value == 2 ? 0 : 1;
}
