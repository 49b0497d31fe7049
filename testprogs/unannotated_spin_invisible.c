/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* The same hand-made spinlock ABBA without annotations: lockhound cannot
 * see locks built on atomics, so there is nothing to report (a documented
 * limit; annotate such locks with lockhound.h). */
#include "tp.h"

#include <stdatomic.h>

#define LOCKHOUND_DISABLE
#include "lockhound.h"

struct my_spin {
	atomic_int locked;
};

static struct my_spin spin_a, spin_b;
static sem_t ab_done;
static pthread_barrier_t start, finish;

static void my_spin_init(struct my_spin *s)
{
	atomic_init(&s->locked, 0);
	LOCKHOUND_LOCK_CREATED(s);
}

static void my_spin_lock(struct my_spin *s)
{
	int expected = 0;

	LOCKHOUND_LOCK_ACQUIRING(s, 0);
	while (!atomic_compare_exchange_weak(&s->locked, &expected, 1))
		expected = 0;
	LOCKHOUND_LOCK_ACQUIRED(s, 0);
}

static void my_spin_unlock(struct my_spin *s)
{
	LOCKHOUND_LOCK_RELEASED(s);
	atomic_store(&s->locked, 0);
}

static void *worker_ab(void *arg)
{
	tp_barrier_wait(&start);
	my_spin_lock(&spin_a);
	my_spin_lock(&spin_b);
	my_spin_unlock(&spin_b);
	my_spin_unlock(&spin_a);
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *worker_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
	my_spin_lock(&spin_b);
	my_spin_lock(&spin_a);
	my_spin_unlock(&spin_a);
	my_spin_unlock(&spin_b);
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;

	my_spin_init(&spin_a);
	my_spin_init(&spin_b);
	tp_sem_init(&ab_done);
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	t1 = tp_spawn(worker_ab, NULL);
	t2 = tp_spawn(worker_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	return 0;
}
