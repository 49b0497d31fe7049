/* lockhound-expect: lock-order-cycle count=1 locks=2 single_thread=true concurrent=false functions=transfer,pay_rent,refund_rent */
/* One thread only: transfer(a, b) and later transfer(b, a).  Nothing can
 * deadlock in this run, but the same code called from two threads could; the
 * finding says it was seen in a single thread. */
#include "tp.h"

struct account {
	pthread_mutex_t lock;
	long balance;
};

static struct account tenant, landlord;

static void transfer(struct account *from, struct account *to, long amount)
{
	TP_CHECK(pthread_mutex_lock(&from->lock));
	TP_CHECK(pthread_mutex_lock(&to->lock));
	from->balance -= amount;
	to->balance += amount;
	TP_CHECK(pthread_mutex_unlock(&to->lock));
	TP_CHECK(pthread_mutex_unlock(&from->lock));
}

static void pay_rent(void)
{
	transfer(&tenant, &landlord, 500);
}

static void refund_rent(void)
{
	transfer(&landlord, &tenant, 500);
}

int main(void)
{
	TP_CHECK(pthread_mutex_init(&tenant.lock, NULL));
	TP_CHECK(pthread_mutex_init(&landlord.lock, NULL));
	tenant.balance = 1000;
	pay_rent();
	refund_rent();
	return tenant.balance == 1000 ? 0 : 1;
}
