/* lockhound-expect: clean */
/* Clean twin of spin_cycle: both threads take spin A then spin B.  They run
 * truly in parallel here (consistent order cannot deadlock). */
#include "tp.h"

#define ITERS 2000

static pthread_spinlock_t spin_a, spin_b;
static pthread_barrier_t start, finish;
static long hits;

static void *spin_ab(void *arg)
{
	tp_barrier_wait(&start);
	for (int i = 0; i < ITERS; i++) {
		TP_CHECK(pthread_spin_lock(&spin_a));
		TP_CHECK(pthread_spin_lock(&spin_b));
		hits++;
		TP_CHECK(pthread_spin_unlock(&spin_b));
		TP_CHECK(pthread_spin_unlock(&spin_a));
	}
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_spin_init(&spin_a, PTHREAD_PROCESS_PRIVATE));
	TP_CHECK(pthread_spin_init(&spin_b, PTHREAD_PROCESS_PRIVATE));
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);

	pthread_t t1 = tp_spawn(spin_ab, NULL);
	pthread_t t2 = tp_spawn(spin_ab, NULL);
	tp_join(t1);
	tp_join(t2);
	return hits == 2 * ITERS ? 0 : 1;
}
