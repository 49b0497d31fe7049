/* lockhound-expect: clean */
/* Forms N distinct lock orders (default 5000; argv[1]) over 200 mutexes, all
 * in one acyclic order (the lower index first), at the same two call sites:
 * the pattern of a table of item locks taken before a table of LRU locks.
 * It prints how many write system calls the process made while forming
 * them (Linux's /proc/self/io syscw, or -1 if unavailable): recording an
 * order must not cost one.  With argv[2] = "kill" it then kills itself with
 * SIGKILL: every order formed is still in the log. */
#include "tp.h"

#include <signal.h>
#include <unistd.h>

#define N_LOCKS 200

static pthread_mutex_t locks[N_LOCKS];

static long write_syscalls(void)
{
	char buf[512];
	long v = -1;
	FILE *f = fopen("/proc/self/io", "r");

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "syscw: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void lock_item_then_lru(int item, int lru)
{
	TP_CHECK(pthread_mutex_lock(&locks[item]));
	TP_CHECK(pthread_mutex_lock(&locks[lru]));
	TP_CHECK(pthread_mutex_unlock(&locks[lru]));
	TP_CHECK(pthread_mutex_unlock(&locks[item]));
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5000, made = 0, before, after;
	int d, i;

	for (i = 0; i < N_LOCKS; i++)
		TP_CHECK(pthread_mutex_init(&locks[i], NULL));
	/* warm up: the first order unwinds its call paths and writes their
	 * stacks and the locks' records */
	lock_item_then_lru(0, 1);
	made = 1;
	before = write_syscalls();
	for (d = 1; d < N_LOCKS && made < n; d++)
		for (i = d == 1 ? 1 : 0; i + d < N_LOCKS && made < n; i++, made++)
			lock_item_then_lru(i, i + d);
	after = write_syscalls();
	printf("many_orders orders=%ld write_syscalls=%ld\n", made,
	       before < 0 || after < 0 ? -1 : after - before);
	fflush(stdout);
	if (argc > 2 && !strcmp(argv[2], "kill"))
		kill(getpid(), SIGKILL);
	return 0;
}
