/*
 * rusage.c - run a program and record its peak RSS, for bench/bench.py.
 *
 *   rusage OUTFILE [-e NAME=VALUE]... -- PROG [ARGS...]
 *
 * Forks, sets the -e variables in the child only (so LD_PRELOAD reaches
 * PROG and not this wrapper), execs PROG, waits for it with wait4 and
 * writes "MAXRSS_KB STATUS" to OUTFILE, where STATUS is the exit code or
 * 128+signal.  Exits with STATUS too.  SIGTERM, SIGINT and SIGHUP are
 * passed on to PROG.  The point of the wrapper: a child's ru_maxrss counts
 * the memory of the process it was forked from, so it has to be forked
 * from something small (the python driver is ~20 MiB).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct rusage ru;
	int i, status, code;
	FILE *out;

	if (argc < 4) {
		fprintf(stderr, "usage: rusage OUTFILE [-e NAME=VALUE]... -- PROG [ARGS...]\n");
		return 125;
	}
	for (i = 2; i < argc && strcmp(argv[i], "--"); i += 2)
		if (strcmp(argv[i], "-e") || i + 1 >= argc || !strchr(argv[i + 1], '=')) {
			fprintf(stderr, "rusage: bad option '%s'\n", argv[i]);
			return 125;
		}
	if (i + 1 >= argc) {
		fprintf(stderr, "rusage: no program\n");
		return 125;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = forward;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	child = fork();
	if (child < 0) {
		perror("rusage: fork");
		return 125;
	}
	if (child == 0) {
		int j;
		for (j = 2; j < i; j += 2)
			putenv(argv[j + 1]);
		execvp(argv[i + 1], argv + i + 1);
		fprintf(stderr, "rusage: %s: %s\n", argv[i + 1], strerror(errno));
		_exit(127);
	}
	while (wait4(child, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("rusage: wait4");
			return 125;
		}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	out = fopen(argv[1], "w");
	if (out) {
		fprintf(out, "%ld %d\n", ru.ru_maxrss, code);
		fclose(out);
	}
	return code;
}
