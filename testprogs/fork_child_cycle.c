/* lockhound-expect: lock-order-cycle count=1 locks=2 single_thread=true concurrent=false functions=transfer,child_main logs=2 */
/* The parent forks and waits; the child, single-threaded, does transfer(a, b)
 * then transfer(b, a) and exits 0, so the one finding comes from the child's
 * log.  The parent then only takes A then B: its own log is clean. */
#include <sys/wait.h>
#include <unistd.h>
#include "tp.h"

struct account {
	pthread_mutex_t lock;
	long balance;
};

static struct account acct_a, acct_b;

static void transfer(struct account *from, struct account *to, long amount)
{
	TP_CHECK(pthread_mutex_lock(&from->lock));
	TP_CHECK(pthread_mutex_lock(&to->lock));
	from->balance -= amount;
	to->balance += amount;
	TP_CHECK(pthread_mutex_unlock(&to->lock));
	TP_CHECK(pthread_mutex_unlock(&from->lock));
}

static int child_main(void)
{
	transfer(&acct_a, &acct_b, 5);
	transfer(&acct_b, &acct_a, 5);
	return acct_a.balance == 100 && acct_b.balance == 100 ? 0 : 1;
}

int main(void)
{
	int status;

	TP_CHECK(pthread_mutex_init(&acct_a.lock, NULL));
	TP_CHECK(pthread_mutex_init(&acct_b.lock, NULL));
	acct_a.balance = acct_b.balance = 100;
	fflush(NULL);

	pid_t pid = fork();
	if (pid < 0)
		tp_die("fork");
	if (pid == 0)
		exit(child_main());
	if (waitpid(pid, &status, 0) != pid)
		tp_die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "fork_child_cycle: child failed (status 0x%x)\n",
		        status);
		return 1;
	}
	transfer(&acct_a, &acct_b, 1); /* parent: A then B only */
	return 0;
}
