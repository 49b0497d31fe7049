/* lockhound-expect: misuse count=2 what_all=mutex-reinit locks=1 logs=2 functions=child_work min_edges=0 min_threads=1 */
/* What a fork child may not do, although its first init of a mutex the
 * parent made is allowed (misuse_atfork_reinit_clean): the child repairs
 * `lib_mu` right after fork() (allowed; the stack of that init has no
 * glibc frame, as one from an atfork handler would) and then child_work
 * initializes it a second time (its identity is the child's now); child_work
 * locks `state_mu`, made by the parent, and initializes it while holding it
 * (the child's own lock, taken after the fork), then unlocks it (as
 * misuse_mutex_reinit's worker does).  Two findings, both in the
 * child's log.  The parent initializes each mutex once. */
#include "tp.h"

#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lib_mu;
static pthread_mutex_t state_mu;
static long state;

static void repair(void)
{
	TP_CHECK(pthread_mutex_init(&lib_mu, NULL));
}

static void child_work(void)
{
	TP_CHECK(pthread_mutex_init(&lib_mu, NULL)); /* a second init in the child */
	TP_CHECK(pthread_mutex_lock(&state_mu));
	state++;
	TP_CHECK(pthread_mutex_init(&state_mu, NULL)); /* over the child's own hold */
	state++;
	TP_CHECK(pthread_mutex_unlock(&state_mu));
}

int main(void)
{
	pid_t pid;
	int st;

	TP_CHECK(pthread_mutex_init(&lib_mu, NULL));
	TP_CHECK(pthread_mutex_init(&state_mu, NULL));
	TP_CHECK(pthread_mutex_lock(&state_mu));
	state = 1;
	TP_CHECK(pthread_mutex_unlock(&state_mu));
	pid = fork();
	if (pid < 0)
		tp_die("fork");
	if (pid == 0) {
		repair();
		child_work();
		exit(state == 3 ? 0 : 1);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tp_die("child");
	return 0;
}
