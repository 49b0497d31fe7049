/* lockhound-expect: data-race count=1 variable=open_account var_kind=heap functions=deposit_under_a,withdraw_under_b */
/* lockhound-build: cc clang */
/* A heap struct's field is always written under a lock, but not always the
 * same lock: deposits hold lock_a, withdrawals hold lock_b.  Each side
 * "holds a lock", yet nothing orders them.  The report names the block by
 * its allocation site (open_account) and shows the lock each side held. */
#include "tp.h"

struct account {
	int id;
	long balance;
};

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static struct account *open_account(int id)
{
	struct account *acc = calloc(1, sizeof(*acc));
	if (!acc)
		tp_die("calloc");
	acc->id = id;
	return acc;
}

static void *deposit_under_a(void *arg)
{
	struct account *acc = arg;
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&lock_a);
		acc->balance += 10;
		pthread_mutex_unlock(&lock_a);
	}
	return NULL;
}

static void *withdraw_under_b(void *arg)
{
	struct account *acc = arg;
	for (int i = 0; i < 200; i++) {
		pthread_mutex_lock(&lock_b);
		acc->balance -= 10;
		pthread_mutex_unlock(&lock_b);
	}
	return NULL;
}

int main(void)
{
	struct account *acc = open_account(7);
	pthread_t d = tp_spawn(deposit_under_a, acc);
	pthread_t w = tp_spawn(withdraw_under_b, acc);
	tp_join(d);
	tp_join(w);
	printf("balance = %ld\n", acc->balance);
	free(acc);
	return 0;
}
