// lockhound-expect: clean min_edges=0 min_threads=3
// std::scoped_lock(a, b) in one thread and std::scoped_lock(b, a) in another:
// std::lock blocks on one mutex only and try_locks the rest (backing off on
// failure), so no thread ever blocks while holding a lock: clean.
#include <mutex>
#include <thread>
#include "tp.h"

namespace {

constexpr int kIters = 2000;

std::mutex a;
std::mutex b;
long shared_a, shared_b;
pthread_barrier_t start, finish;

void lock_both_ab()
{
	tp_barrier_wait(&start);
	for (int i = 0; i < kIters; i++) {
		std::scoped_lock both(a, b);
		shared_a++;
		shared_b++;
	}
	tp_barrier_wait(&finish);
}

void lock_both_ba()
{
	tp_barrier_wait(&start);
	for (int i = 0; i < kIters; i++) {
		std::scoped_lock both(b, a);
		shared_b--;
		shared_a--;
	}
	tp_barrier_wait(&finish);
}

} // namespace

int main()
{
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);

	std::thread t1(lock_both_ab);
	std::thread t2(lock_both_ba);
	t1.join();
	t2.join();
	return shared_a == 0 && shared_b == 0 ? 0 : 1;
}
