/* lockhound-expect: clean logs=2 min_edges=0 min_threads=3 */
/* lockhound-build: cc */
/* A fork child continues its parent's history: what the parent wrote
 * before fork() happens before everything in the child, including the
 * threads the child starts.  "unsync" makes the child's main thread write
 * the table while its worker reads it: that races, in the child's log. */
#include <sys/wait.h>
#include <unistd.h>

#include "tp.h"

int table[64];
static int unsync;

static void *sum_table(void *arg)
{
	long s = 0;
	for (int i = 0; i < 64; i++)
		s += table[i];
	*(long *)arg = s;
	return NULL;
}

int main(int argc, char **argv)
{
	pid_t pid;
	int st = 0;

	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	for (int i = 0; i < 64; i++)
		table[i] = i;
	pid = fork();
	if (pid < 0)
		tp_die("fork");
	if (pid == 0) {
		long s = 0;
		pthread_t t = tp_spawn(sum_table, &s);
		if (unsync)
			table[5] = 0;
		tp_join(t);
		printf("child sum %ld\n", s);
		exit(0);
	}
	if (waitpid(pid, &st, 0) < 0)
		tp_die("waitpid");
	printf("parent: child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
