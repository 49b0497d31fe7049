/* lockhound-sampled: racy variable=g_account var_kind=global */
/* A C++ class member: Account::deposit changes balance_ with no lock, and
 * two threads deposit into the same global object.  The report names the
 * object, g_account. */
#include <thread>
#include <vector>

#include "sb.h"

class Account {
public:
	void deposit(long n) { balance_ += n; }
	long balance() const { return balance_; }

private:
	long balance_ = 0;
	long id_ = 7;
};

Account g_account;

static void depositor()
{
	while (sb_running())
		for (int i = 0; i < 64; i++)
			g_account.deposit(1);
}

int main(int argc, char **argv)
{
	sb_end_ns = sb_deadline(argc, argv);
	std::vector<std::thread> ts;
	for (int i = 0; i < 2; i++)
		ts.emplace_back(depositor);
	for (auto &t : ts)
		t.join();
	printf("racy_cxx_member: done (%s)\n", g_account.balance() > 0 ? "positive" : "zero");
	return 0;
}
