/* lockhound-expect: clean logs=4 min_threads=4 */
/* A process forks a child that execs a program (itself, with an argument)
 * which takes locks of its own and execs once more; the parent waits.  The
 * fork child first tries an exec that fails (no such file) and goes on
 * recording.  The same two locks are nested in one order in each of the
 * four images (the parent, the fork child before its exec, the exec'd
 * program before its own exec with execl, the last program), so the run
 * is clean, and every one of the four logs must end with an end record:
 * two of them are left by exec, not by exit. */
#include "tp.h"

#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t inner = PTHREAD_MUTEX_INITIALIZER;
static long work;

static void nested_in_order(void)
{
	TP_CHECK(pthread_mutex_lock(&outer));
	TP_CHECK(pthread_mutex_lock(&inner));
	work++;
	TP_CHECK(pthread_mutex_unlock(&inner));
	TP_CHECK(pthread_mutex_unlock(&outer));
}

int main(int argc, char **argv)
{
	pid_t pid;
	int status;

	nested_in_order();
	if (argc > 1 && !strcmp(argv[1], "last"))
		return work == 1 ? 0 : 3;
	if (argc > 1 && !strcmp(argv[1], "execd")) {
		/* an exec without a fork before it */
		execl("/proc/self/exe", argv[0], "last", (char *)NULL);
		tp_die("execl");
	}
	pid = fork();
	if (pid < 0)
		tp_die("fork");
	if (pid == 0) {
		char *args[] = { argv[0], (char *)"execd", NULL };

		if (execv("/nonexistent/lockhound-testprog", args) == 0 || errno != ENOENT)
			_exit(4);
		nested_in_order(); /* recorded after the failed exec */
		execv("/proc/self/exe", args);
		_exit(4);
	}
	if (waitpid(pid, &status, 0) != pid)
		tp_die("waitpid");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 5;
}
