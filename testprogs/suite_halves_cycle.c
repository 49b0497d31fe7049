/* lockhound-expect: lock-order-cycle count=1 locks=2 processes=2 functions=lookup_cached,store_fresh */
/* A test suite in one driver: the driver starts itself once per test case
 * (posix_spawn, as test drivers do: the exec'd case writes its own log).
 * Case "lookup" takes the cache lock (a global) and then the
 * database lock (a heap lock made by db_open); case "store" takes the
 * database lock and then the cache lock.  Each case alone is clean, one
 * order each; together their logs give a cycle that no single process
 * formed: the locks of the two processes are the same by class (the
 * global by module and offset, the heap lock by its init call). */
#include "tp.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct db {
	pthread_mutex_t lock;
	long rows;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static long cached;

static struct db *db_open(void)
{
	struct db *d = calloc(1, sizeof(*d));

	if (!d)
		tp_die("calloc");
	TP_CHECK(pthread_mutex_init(&d->lock, NULL));
	return d;
}

static void lookup_cached(struct db *d)
{
	TP_CHECK(pthread_mutex_lock(&cache_lock));
	TP_CHECK(pthread_mutex_lock(&d->lock));
	cached = d->rows;
	TP_CHECK(pthread_mutex_unlock(&d->lock));
	TP_CHECK(pthread_mutex_unlock(&cache_lock));
}

static void store_fresh(struct db *d)
{
	TP_CHECK(pthread_mutex_lock(&d->lock));
	d->rows++;
	TP_CHECK(pthread_mutex_lock(&cache_lock));
	cached = d->rows;
	TP_CHECK(pthread_mutex_unlock(&cache_lock));
	TP_CHECK(pthread_mutex_unlock(&d->lock));
}

/* one test case, in a process of its own */
static int run_case(const char *name)
{
	struct db *d = db_open();

	if (!strcmp(name, "lookup"))
		lookup_cached(d);
	else if (!strcmp(name, "store"))
		store_fresh(d);
	else
		return 2;
	TP_CHECK(pthread_mutex_destroy(&d->lock));
	free(d);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *cases[] = { "lookup", "store" };
	int status;

	if (argc > 1)
		return run_case(argv[1]);
	/* the driver: each case a process of its own, one after the other */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *args[] = { argv[0], (char *)cases[i], NULL };
		pid_t pid;
		int rc = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ);
		if (rc != 0) {
			errno = rc;
			tp_die("posix_spawn");
		}
		if (waitpid(pid, &status, 0) != pid)
			tp_die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return 3;
	}
	return 0;
}
