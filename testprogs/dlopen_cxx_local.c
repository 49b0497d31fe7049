/* lockhound-expect: clean min_edges=0 min_threads=1 */
/* A C program (no libstdc++ at start-up) dlopens a C++ plugin RTLD_LOCAL,
 * as ar and nm do with the LLVMgold plugin and as Python does with C++
 * extension modules: libstdc++ is then in the plugin's local scope only,
 * so the shim's operator delete finds no next definition in the global
 * scope and must find libstdc++'s where it is.  The plugin's constructor
 * and plugin_answer use every interposed operator delete; the program
 * prints 42 and exits 0, as it does without lockhound. */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>
#include "tp.h"

int main(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int (*answer)(void);
	void *h;
	int v;

	if (n < 0)
		tp_die("readlink /proc/self/exe");
	exe[n] = '\0';
	snprintf(path, sizeof(path), "%s/libcxxplugin.so", dirname(exe));
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlopen_cxx_local: %s\n", dlerror());
		return 2;
	}
	answer = (int (*)(void))dlsym(h, "plugin_answer");
	if (!answer) {
		fprintf(stderr, "dlopen_cxx_local: %s\n", dlerror());
		return 2;
	}
	v = answer();
	printf("%d\n", v);
	return v == 42 ? 0 : 1;
}
