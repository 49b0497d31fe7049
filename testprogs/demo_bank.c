/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=transfer,teller_alice,teller_bob */
/* The demo behind `make demo`: a tiny bank where two tellers move money
 * between the same two accounts in opposite directions.  transfer() locks the
 * source account, then the destination: a lock-order inversion (ABBA). */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

struct account {
	const char *name;
	long balance;
	pthread_mutex_t lock;
};

static struct account checking = { "checking", 1000, PTHREAD_MUTEX_INITIALIZER };
static struct account savings = { "savings", 1000, PTHREAD_MUTEX_INITIALIZER };

/* Move money between accounts.  The bug: the locks are taken in argument
 * order, so two transfers in opposite directions take them in opposite
 * orders, and each can end up waiting for the lock the other one holds. */
static void transfer(struct account *from, struct account *to, long amount)
{
	pthread_mutex_lock(&from->lock);
	pthread_mutex_lock(&to->lock);
	from->balance -= amount;
	to->balance += amount;
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
}

static pthread_barrier_t bank_opens;
static sem_t alice_done;

/* Alice moves money from checking to savings. */
static void *teller_alice(void *arg)
{
	pthread_barrier_wait(&bank_opens);
	for (int i = 0; i < 3; i++)
		transfer(&checking, &savings, 100);
	sem_post(&alice_done);
	return NULL;
}

/* Bob moves money from savings to checking. */
static void *teller_bob(void *arg)
{
	pthread_barrier_wait(&bank_opens);
	/* Only so that this demo never really hangs: Bob starts once Alice is
	 * done.  The bug is still there, and lockhound finds it from the order
	 * in which the locks were taken; it does not need to see a hang. */
	sem_wait(&alice_done);
	for (int i = 0; i < 3; i++)
		transfer(&savings, &checking, 50);
	return NULL;
}

int main(void)
{
	pthread_t alice, bob;

	pthread_barrier_init(&bank_opens, NULL, 2);
	sem_init(&alice_done, 0, 0);

	pthread_create(&alice, NULL, teller_alice, NULL);
	pthread_create(&bob, NULL, teller_bob, NULL);
	pthread_join(alice, NULL);
	pthread_join(bob, NULL);

	printf("checking: %ld, savings: %ld\n", checking.balance, savings.balance);
	return 0;
}
