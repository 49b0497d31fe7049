// lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=transfer_ab,transfer_ba
// ABBA in C++: std::mutex with std::lock_guard in two std::threads;
// transfer_ab locks alice then bob, transfer_ba bob then alice (sequenced).
#include <mutex>
#include <thread>
#include "tp.h"

namespace {

struct Account {
	std::mutex m;
	long balance = 100;
};

Account alice;
Account bob;
pthread_barrier_t start, finish;
sem_t ab_done;

void transfer_ab(long amount)
{
	std::lock_guard<std::mutex> from(alice.m);
	std::lock_guard<std::mutex> to(bob.m);
	alice.balance -= amount;
	bob.balance += amount;
}

void transfer_ba(long amount)
{
	std::lock_guard<std::mutex> from(bob.m);
	std::lock_guard<std::mutex> to(alice.m);
	bob.balance -= amount;
	alice.balance += amount;
}

void teller_one()
{
	tp_barrier_wait(&start);
	transfer_ab(10);
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
}

void teller_two()
{
	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
	transfer_ba(10);
	tp_barrier_wait(&finish);
}

} // namespace

int main()
{
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&ab_done);

	std::thread t1(teller_one);
	std::thread t2(teller_two);
	t1.join();
	t2.join();
	return alice.balance == 100 && bob.balance == 100 ? 0 : 1;
}
