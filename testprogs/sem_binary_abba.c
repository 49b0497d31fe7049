/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=worker_ab,worker_ba */
/* ABBA through binary semaphores used as locks (initial value 1, each
 * sem_wait released by a sem_post from the same thread): one thread takes
 * A then B, the other B then A, one after the other so it never hangs.
 * The inner acquisition of one thread is a sem_trywait, which orders like a
 * wait (CPython takes every threading.Lock that way).  The two binary
 * semaphores are locks of the graph, and the cycle between them is found. */
#include "tp.h"

static sem_t sem_a, sem_b;
static pthread_barrier_t start, finish;
static sem_t ab_done;
static long shared_value;

static void take(sem_t *s)
{
	tp_sem_wait(s);
}

static void give(sem_t *s)
{
	tp_sem_post(s);
}

static void *worker_ab(void *arg)
{
	tp_barrier_wait(&start);
	take(&sem_a);
	take(&sem_b);
	shared_value++;
	give(&sem_b);
	give(&sem_a);
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *worker_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
	take(&sem_b);
	while (sem_trywait(&sem_a) != 0) /* free by now: the first try succeeds */
		if (errno != EAGAIN && errno != EINTR)
			tp_die("sem_trywait");
	shared_value--;
	give(&sem_a);
	give(&sem_b);
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	if (sem_init(&sem_a, 0, 1) != 0 || sem_init(&sem_b, 0, 1) != 0)
		tp_die("sem_init");
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&ab_done);

	pthread_t t1 = tp_spawn(worker_ab, NULL);
	pthread_t t2 = tp_spawn(worker_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	return shared_value == 0 ? 0 : 1;
}
