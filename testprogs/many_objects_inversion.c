/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true min_occurrences=2 functions=transfer,teller_forward,teller_backward */
/* 1000 accounts with a mutex each; one thread does transfer(a[i], a[i+1]) for
 * all i, then the other transfer(a[i+1], a[i]): 999 two-lock cycles from the
 * same two code locations, reported as ONE finding with a count > 1. */
#include "tp.h"

#define N_ACCOUNTS 1000

struct account {
	pthread_mutex_t lock;
	long balance;
};

static struct account accounts[N_ACCOUNTS];
static pthread_barrier_t start, finish;
static sem_t forward_done;

static void transfer(struct account *from, struct account *to, long amount)
{
	TP_CHECK(pthread_mutex_lock(&from->lock));
	TP_CHECK(pthread_mutex_lock(&to->lock));
	from->balance -= amount;
	to->balance += amount;
	TP_CHECK(pthread_mutex_unlock(&to->lock));
	TP_CHECK(pthread_mutex_unlock(&from->lock));
}

static void *teller_forward(void *arg)
{
	tp_barrier_wait(&start);
	for (int i = 0; i + 1 < N_ACCOUNTS; i++)
		transfer(&accounts[i], &accounts[i + 1], 1);
	tp_sem_post(&forward_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *teller_backward(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&forward_done);
	for (int i = 0; i + 1 < N_ACCOUNTS; i++)
		transfer(&accounts[i + 1], &accounts[i], 1);
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	for (int i = 0; i < N_ACCOUNTS; i++) {
		TP_CHECK(pthread_mutex_init(&accounts[i].lock, NULL));
		accounts[i].balance = 10;
	}
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&forward_done);

	pthread_t t1 = tp_spawn(teller_forward, NULL);
	pthread_t t2 = tp_spawn(teller_backward, NULL);
	tp_join(t1);
	tp_join(t2);
	for (int i = 0; i < N_ACCOUNTS; i++)
		if (accounts[i].balance != 10)
			return 1;
	return 0;
}
