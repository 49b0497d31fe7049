/* lockhound-expect: clean */
/* Clean twin of dlopen_cycle: both threads call lib_lock_ab from the
 * dlopen'ed libdlcycle.so (A then B each time); lib_lock_ba is never called. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>
#include "tp.h"

typedef long (*lib_fn)(void);

static lib_fn lock_ab;
static pthread_barrier_t start, finish;
static sem_t first_done;

static void *load_library(const char *name)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		tp_die("readlink /proc/self/exe");
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dirname(exe), name);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlopen_clean: %s\n", dlerror());
		exit(2);
	}
	return h;
}

static void *call_lock_ab_first(void *arg)
{
	tp_barrier_wait(&start);
	lock_ab();
	tp_sem_post(&first_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *call_lock_ab_second(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&first_done);
	lock_ab();
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	void *lib = load_library("libdlcycle.so");

	lock_ab = (lib_fn)dlsym(lib, "lib_lock_ab");
	if (!lock_ab) {
		fprintf(stderr, "dlopen_clean: dlsym: %s\n", dlerror());
		return 2;
	}
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&first_done);

	pthread_t t1 = tp_spawn(call_lock_ab_first, NULL);
	pthread_t t2 = tp_spawn(call_lock_ab_second, NULL);
	tp_join(t1);
	tp_join(t2);
	dlclose(lib);
	return 0;
}
