// lockhound-expect: clean min_edges=1
// Clean twin of cxx_stack_mutex_cycle: the same two std::mutex objects on
// main's stack, but both threads take a then b: one order, no cycle.
#include <mutex>
#include <thread>
#include "tp.h"

namespace {

sem_t ab_done;
pthread_barrier_t finish;

void move_ab(std::mutex &a, std::mutex &b)
{
	std::lock_guard<std::mutex> first(a);
	std::lock_guard<std::mutex> second(b);
}

void move_ba(std::mutex &a, std::mutex &b)
{
	std::lock_guard<std::mutex> first(a); /* same order as move_ab */
	std::lock_guard<std::mutex> second(b);
}

} // namespace

int main()
{
	std::mutex a, b; /* on the stack */

	tp_sem_init(&ab_done);
	tp_barrier_init(&finish, 2);
	std::thread t1([&] {
		move_ab(a, b);
		tp_sem_post(&ab_done);
		tp_barrier_wait(&finish);
	});
	std::thread t2([&] {
		tp_sem_wait(&ab_done);
		move_ba(a, b);
		tp_barrier_wait(&finish);
	});
	t1.join();
	t2.join();
	return 0;
}
