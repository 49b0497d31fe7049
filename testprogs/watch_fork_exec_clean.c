/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* Hazard scenario for sampled race watching: fork and exec while race
 * watching runs.  Threads of the parent update a counter under a mutex and
 * hand a heap block over through join; a fork child does the same with
 * threads of its own and exits with its result; a shell started with
 * posix_spawn (exec without the shim) runs and exits as natively.  Fork
 * followed by exec is covered with real traps in tests/unit/test_watch.c.  The output and exit statuses must be the native
 * ones (no SIGTRAP in a child, no blocked write). */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *work(void *arg)
{
	long *slot = arg;
	int i;

	for (i = 0; i < 1000; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
		slot[i % 16] += i;
	}
	return NULL;
}

static long run_threads(void)
{
	pthread_t t;
	long *slot = calloc(16, sizeof(long)), sum = 0;
	int i;

	if (!slot)
		return -1;
	pthread_create(&t, NULL, work, slot);
	pthread_join(t, NULL);
	for (i = 0; i < 16; i++)
		sum += slot[i];
	free(slot);
	return sum;
}

int main(void)
{
	pid_t c;
	int st = 0;
	long sum = run_threads();

	printf("parent sum=%ld counter=%ld\n", sum, counter);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		long s = run_threads();
		exit(s == 499500 && counter == 2000 ? 42 : 1);
	}
	waitpid(c, &st, 0);
	printf("fork child: exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));
	fflush(stdout);
	/* exec through posix_spawn (no fork handlers run, like system());
	 * the shell runs without the shim: an exec'd program is cleanly left */
	{
		char *argv[] = { "sh", "-c", "echo exec ran; exit 7", NULL };
		char *envp[] = { "PATH=/usr/bin:/bin", NULL };
		if (posix_spawn(&c, "/bin/sh", NULL, NULL, argv, envp) != 0)
			return 1;
	}
	waitpid(c, &st, 0);
	printf("exec child: exited=%d status=%d\n", WIFEXITED(st), WEXITSTATUS(st));
	sum = run_threads();
	printf("parent again sum=%ld counter=%ld\n", sum, counter);
	return 0;
}
