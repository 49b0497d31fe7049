/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=lib_lock_ab,lib_lock_ba */
/* The locks and the inverted orders live in a library loaded with dlopen
 * (libdlcycle.so, next to this executable): one thread calls lib_lock_ab,
 * the other lib_lock_ba (sequenced).  Frames must resolve into the library. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>
#include "tp.h"

typedef long (*lib_fn)(void);

static lib_fn lock_ab, lock_ba;
static pthread_barrier_t start, finish;
static sem_t ab_done;

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
		fprintf(stderr, "dlopen_cycle: %s\n", dlerror());
		exit(2);
	}
	return h;
}

static void *call_lock_ab(void *arg)
{
	tp_barrier_wait(&start);
	lock_ab();
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
	return NULL;
}

static void *call_lock_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
	lock_ba();
	tp_barrier_wait(&finish);
	return NULL;
}

int main(void)
{
	void *lib = load_library("libdlcycle.so");

	lock_ab = (lib_fn)dlsym(lib, "lib_lock_ab");
	lock_ba = (lib_fn)dlsym(lib, "lib_lock_ba");
	if (!lock_ab || !lock_ba) {
		fprintf(stderr, "dlopen_cycle: dlsym: %s\n", dlerror());
		return 2;
	}
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&ab_done);

	pthread_t t1 = tp_spawn(call_lock_ab, NULL);
	pthread_t t2 = tp_spawn(call_lock_ba, NULL);
	tp_join(t1);
	tp_join(t2);
	dlclose(lib);
	return 0;
}
