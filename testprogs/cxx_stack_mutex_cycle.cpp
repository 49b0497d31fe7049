// lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=move_ab,move_ba
// ABBA on two std::mutex objects that live on main's stack: std::mutex's
// constructor calls nothing, so no init call is seen, and the report must say
// so ("no init call seen") instead of calling them statically initialized.
// The two orders run one after the other (semaphore), while both threads are
// alive (barrier): the program never hangs.
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
	std::lock_guard<std::mutex> first(b);
	std::lock_guard<std::mutex> second(a);
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
