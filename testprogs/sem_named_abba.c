/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=worker_ab,worker_ba */
/* ABBA through named semaphores used as locks: sem_open with O_CREAT and
 * an initial value of 1 makes two binary semaphores, one thread takes A
 * then B, the other B then A (one after the other: it never hangs).  The
 * second thread takes A through a second sem_open of the same name, which
 * glibc maps at the same address: the same semaphore, the same lock. */
#include <fcntl.h>
#include <unistd.h>
#include "tp.h"

static sem_t *sem_a, *sem_b;
static char name_a[64], name_b[64];
static pthread_barrier_t start, finish;
static sem_t ab_done;

static sem_t *open_binary(const char *name)
{
	sem_t *s = sem_open(name, O_CREAT, 0600, 1);
	if (s == SEM_FAILED)
		tp_die("sem_open");
	return s;
}

static void *worker_ab(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(sem_a);
	tp_sem_wait(sem_b);
	tp_sem_post(sem_b);
	tp_sem_post(sem_a);
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *worker_ba(void *arg)
{
	sem_t *a_again;

	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
	a_again = open_binary(name_a); /* the same semaphore as sem_a */
	tp_sem_wait(sem_b);
	tp_sem_wait(a_again);
	tp_sem_post(a_again);
	tp_sem_post(sem_b);
	if (sem_close(a_again) != 0)
		tp_die("sem_close");
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	snprintf(name_a, sizeof(name_a), "/lockhound-abba-a-%d", (int)getpid());
	snprintf(name_b, sizeof(name_b), "/lockhound-abba-b-%d", (int)getpid());
	sem_a = open_binary(name_a);
	sem_b = open_binary(name_b);
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&ab_done);

	pthread_t t1 = tp_spawn(worker_ab, NULL);
	pthread_t t2 = tp_spawn(worker_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	sem_close(sem_a);
	sem_close(sem_b);
	sem_unlink(name_a);
	sem_unlink(name_b);
	return 0;
}
