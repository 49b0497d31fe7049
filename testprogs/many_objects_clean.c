/* lockhound-expect: clean */
/* Clean twin of many_objects_inversion: same 1000 accounts and the same two
 * tellers, but transfer() always locks the account at the lower address
 * first, so every edge goes from a[i] to a[i+1]. */
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
	struct account *first = from < to ? from : to;
	struct account *second = from < to ? to : from;

	TP_CHECK(pthread_mutex_lock(&first->lock));
	TP_CHECK(pthread_mutex_lock(&second->lock));
	from->balance -= amount;
	to->balance += amount;
	TP_CHECK(pthread_mutex_unlock(&second->lock));
	TP_CHECK(pthread_mutex_unlock(&first->lock));
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
