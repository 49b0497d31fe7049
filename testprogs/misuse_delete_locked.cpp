// lockhound-expect: misuse count=1 what_all=free-locked locks=1 functions=drop_account min_edges=0 min_threads=1
// A C++ object deleted while its std::mutex is locked: drop_account takes
// the account's lock to check the balance and, on the "empty" path,
// deletes the account without unlocking (the unique_lock was released
// from its ownership with release(), so nothing unlocks it).  The mutex
// dies locked.  lockhound reports free-locked at the delete (operator
// delete is interposed), naming the mutex and where it was taken.  The
// correct twin is cxx_heap_reuse_clean (objects unlocked, then deleted).
#include <cstdio>
#include <mutex>

struct account {
	std::mutex mu;
	long balance = 0;
};

static long dropped;

static void drop_account(account *a)
{
	std::unique_lock<std::mutex> lk(a->mu);
	if (a->balance == 0) {
		lk.release(); // the bug: the lock is kept, and the object goes
		delete a;
		dropped++;
		return;
	}
}

int main()
{
	account *a = new account;
	drop_account(a);
	std::printf("dropped %ld\n", dropped);
	return dropped == 1 ? 0 : 1;
}
