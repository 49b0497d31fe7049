/* lockhound-expect: lock-order-cycle functions=churn_transfer,churn_child logs=41 timeout=150 max_seconds=140 */
/* Fork while other threads keep the shim busy.  Three churn threads make
 * new mutexes all the time, each initialized at a new call stack (eight
 * call sites on each of six levels), so the shim's allocator, its lock
 * table and its stack table keep growing.  Meanwhile main forks 40 times;
 * each child inits a few mutexes of its own, runs transfer(a, b) and, in a
 * thread, transfer(b, a) (a lock-order cycle in every child's log), and
 * exits 0.  A shim lock copied into a child while another thread held it,
 * or re-made over data that thread was changing (the allocator's bump
 * pointer, the stack table while it grows), makes a child hang or crash:
 * main gives each child 20 s, kills it otherwise, and exits 3 if any child
 * did not exit 0. */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "tp.h"

#define N_FORKS 40
#define N_CHURN 3
#define POOL 4096

struct account {
	pthread_mutex_t lock;
	long balance;
};

static struct account acct_a, acct_b;
static pthread_mutex_t pool[N_CHURN][POOL];
static int stop; /* main's signal to end: atomic (a plain flag is a data race) */

static void churn_transfer(struct account *from, struct account *to)
{
	TP_CHECK(pthread_mutex_lock(&from->lock));
	TP_CHECK(pthread_mutex_lock(&to->lock));
	from->balance--;
	to->balance++;
	TP_CHECK(pthread_mutex_unlock(&to->lock));
	TP_CHECK(pthread_mutex_unlock(&from->lock));
}

/* a new mutex initialized at a call stack chosen by the digits of n */
static void churn_level(pthread_mutex_t *m, unsigned long n, int depth)
{
	if (depth == 0) {
		TP_CHECK(pthread_mutex_init(m, NULL));
		TP_CHECK(pthread_mutex_lock(m));
		TP_CHECK(pthread_mutex_unlock(m));
		TP_CHECK(pthread_mutex_destroy(m));
		return;
	}
	switch (n & 7) { /* eight call sites: eight return addresses */
	case 0: churn_level(m, n >> 3, depth - 1); break;
	case 1: churn_level(m, n >> 3, depth - 1); break;
	case 2: churn_level(m, n >> 3, depth - 1); break;
	case 3: churn_level(m, n >> 3, depth - 1); break;
	case 4: churn_level(m, n >> 3, depth - 1); break;
	case 5: churn_level(m, n >> 3, depth - 1); break;
	case 6: churn_level(m, n >> 3, depth - 1); break;
	default: churn_level(m, n >> 3, depth - 1); break;
	}
}

static void *churn_main(void *arg)
{
	long k = (long)arg;
	unsigned long n = (unsigned long)k * 1000003u;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		churn_level(&pool[k][n % POOL], n, 6);
		n++;
	}
	return NULL;
}

static void *churn_backward(void *arg)
{
	churn_transfer(&acct_b, &acct_a);
	return NULL;
}

static int churn_child(int i)
{
	pthread_mutex_t own[8];
	int j;

	for (j = 0; j < 8; j++) { /* the allocator and stack table, child side */
		churn_level(&own[j], (unsigned long)(i * 8 + j) * 7919u, 6);
	}
	churn_transfer(&acct_a, &acct_b);
	tp_join(tp_spawn(churn_backward, NULL));
	return 0;
}

/* wait up to 20 s for the child; kill it if it is still running */
static int child_ok(pid_t pid)
{
	int st, tries;

	for (tries = 0; tries < 2000; tries++) {
		struct timespec ten_ms = { 0, 10000000 };
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0;
		if (r < 0)
			return 0;
		nanosleep(&ten_ms, NULL);
	}
	fprintf(stderr, "fork_churn_cycle: child %d hangs; killing it\n", (int)pid);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 0;
}

int main(void)
{
	pthread_t churn[N_CHURN];
	long k;
	int i, bad = 0;

	TP_CHECK(pthread_mutex_init(&acct_a.lock, NULL));
	TP_CHECK(pthread_mutex_init(&acct_b.lock, NULL));
	for (k = 0; k < N_CHURN; k++)
		churn[k] = tp_spawn(churn_main, (void *)k);
	for (i = 0; i < N_FORKS; i++) {
		struct timespec pause = { 0, 20000000 };
		pid_t pid;
		nanosleep(&pause, NULL); /* let the churn run between forks */
		pid = fork();
		if (pid < 0)
			tp_die("fork");
		if (pid == 0)
			exit(churn_child(i));
		if (!child_ok(pid))
			bad++;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (k = 0; k < N_CHURN; k++)
		tp_join(churn[k]);
	if (bad)
		fprintf(stderr, "fork_churn_cycle: %d of %d children failed\n", bad, N_FORKS);
	return bad ? 3 : 0;
}
