/* lockhound-expect: clean */
/* Loads N copies of a tiny shared object (N = argv[1], default 0), each
 * from a file of its own so the loader maps each one, then takes two locks
 * in one order (a new stack: the shim updates its module map first).  Clean
 * whatever N is.  With N past the shim's module limit (MAX_MODS, 4096) the
 * log must carry a note that stacks in the objects beyond it cannot be
 * symbolized (tests/integration/shim_tests.py runs it with N = 4200). */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include "tp.h"

static pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER, inner = PTHREAD_MUTEX_INITIALIZER;
static char lib[65536];
static ssize_t lib_len;

/* the tiny object sits next to this program */
static void read_lib(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	char *slash;
	int fd;

	if (n <= 0)
		tp_die("readlink");
	path[n] = 0;
	slash = strrchr(path, '/');
	strcpy(slash + 1, "libtiny_module.so");
	fd = open(path, O_RDONLY);
	if (fd < 0)
		tp_die(path);
	lib_len = read(fd, lib, sizeof(lib));
	close(fd);
	if (lib_len <= 0 || lib_len == (ssize_t)sizeof(lib))
		tp_die("read libtiny_module.so");
}

static void load_copies(int n)
{
	char dir[] = "/tmp/lockhound-modules-XXXXXX", path[PATH_MAX];
	int i;

	if (!mkdtemp(dir))
		tp_die("mkdtemp");
	for (i = 0; i < n; i++) {
		int fd;
		snprintf(path, sizeof(path), "%s/libtiny_%d.so", dir, i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || write(fd, lib, (size_t)lib_len) != lib_len)
			tp_die(path);
		close(fd);
		if (!dlopen(path, RTLD_NOW | RTLD_LOCAL)) {
			fprintf(stderr, "many_modules_clean: dlopen %s: %s\n", path, dlerror());
			exit(2);
		}
		unlink(path); /* mapped: the file is no longer needed */
	}
	rmdir(dir);
}

static void take_both(void)
{
	TP_CHECK(pthread_mutex_lock(&outer));
	TP_CHECK(pthread_mutex_lock(&inner));
	TP_CHECK(pthread_mutex_unlock(&inner));
	TP_CHECK(pthread_mutex_unlock(&outer));
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;

	if (n > 0) {
		read_lib();
		load_copies(n);
	}
	take_both();
	printf("many_modules_clean: %d objects loaded\n", n);
	return 0;
}
