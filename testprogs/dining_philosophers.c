/* lockhound-expect: lock-order-cycle count=1 locks=5 concurrent=true functions=pick_up_forks,philosopher */
/* Five philosophers, each picks up the left fork then the right fork: the
 * 5-lock cycle fork0 -> fork1 -> ... -> fork4 -> fork0.  They eat in turns
 * (one semaphore per seat), so the program never hangs. */
#include "tp.h"

#define N_PHIL 5
#define ROUNDS 3

static pthread_mutex_t forks[N_PHIL];
static sem_t turn[N_PHIL];
static pthread_barrier_t start, finish;
static int meals[N_PHIL];

static void pick_up_forks(int seat)
{
	pthread_mutex_t *left = &forks[seat];
	pthread_mutex_t *right = &forks[(seat + 1) % N_PHIL];

	TP_CHECK(pthread_mutex_lock(left));
	TP_CHECK(pthread_mutex_lock(right));
	meals[seat]++;
	TP_CHECK(pthread_mutex_unlock(right));
	TP_CHECK(pthread_mutex_unlock(left));
}

static void *philosopher(void *arg)
{
	int seat = (int)(long)arg;

	tp_barrier_wait(&start);
	for (int round = 0; round < ROUNDS; round++) {
		tp_sem_wait(&turn[seat]);
		pick_up_forks(seat);
		tp_sem_post(&turn[(seat + 1) % N_PHIL]);
	}
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	pthread_t t[N_PHIL];

	for (int i = 0; i < N_PHIL; i++) {
		TP_CHECK(pthread_mutex_init(&forks[i], NULL));
		tp_sem_init(&turn[i]);
	}
	tp_barrier_init(&start, N_PHIL);
	tp_barrier_init(&finish, N_PHIL);
	for (int i = 0; i < N_PHIL; i++)
		t[i] = tp_spawn(philosopher, (void *)(long)i);
	tp_sem_post(&turn[0]);
	for (int i = 0; i < N_PHIL; i++)
		tp_join(t[i]);
	for (int i = 0; i < N_PHIL; i++)
		if (meals[i] != ROUNDS)
			return 1;
	return 0;
}
