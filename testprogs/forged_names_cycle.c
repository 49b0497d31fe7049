/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=worker_ab,worker_ba */
/* ABBA between two threads whose names the program chose to attack the
 * report: one name starts with a newline and spells a report header (a
 * forged line in a text report that prints names raw), the other is not
 * UTF-8 (a JSON report that drops such strings loses it).  The report
 * must escape the first and keep the second (hardening_tests.py:
 * report_escapes_program_strings). */
#include "tp.h"

static pthread_mutex_t lock_a;
static pthread_mutex_t lock_b;
static pthread_barrier_t start, finish;
static sem_t ab_done;
static long shared_value;

static void *worker_ab(void *arg)
{
	/* 15 bytes, the most a thread name holds */
	TP_CHECK(pthread_setname_np(pthread_self(), "\n==== lockhound"));
	tp_barrier_wait(&start);
	TP_CHECK(pthread_mutex_lock(&lock_a));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	shared_value++;
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *worker_ba(void *arg)
{
	TP_CHECK(pthread_setname_np(pthread_self(), "bad\xff\xfe\x1b[2Jname"));
	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
	TP_CHECK(pthread_mutex_lock(&lock_b));
	TP_CHECK(pthread_mutex_lock(&lock_a));
	shared_value--;
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&ab_done);

	pthread_t t1 = tp_spawn(worker_ab, NULL);
	pthread_t t2 = tp_spawn(worker_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	return shared_value == 0 ? 0 : 1;
}
