/* lockhound-expect: data-race count=1 variable=banner var_kind=global ops=write,read functions=write_banner,show_banner */
/* lockhound-build: cc clang */
/* A libc call is an access too: one thread memcpy's a new banner into a
 * global buffer while another reads it, and only a relaxed flag (which
 * orders nothing) stands between them.  lockhound cc links the program's
 * memcpy calls to the runtime, which counts the bytes copied. */
#include <stdatomic.h>

#include "tp.h"

char banner[64];
static atomic_int published;

static void *write_banner(void *arg)
{
	const char *text = arg;
	memcpy(banner, text, strlen(text) + 1);
	atomic_store_explicit(&published, 1, memory_order_relaxed);
	return NULL;
}

static void *show_banner(void *arg)
{
	while (!atomic_load_explicit(&published, memory_order_relaxed))
		;
	*(char *)arg = banner[3];
	return NULL;
}

int main(int argc, char **argv)
{
	char c = 0;
	pthread_t w = tp_spawn(write_banner, argc > 5 ? argv[1] : "welcome to the server");
	pthread_t r = tp_spawn(show_banner, &c);
	tp_join(w);
	tp_join(r);
	printf("banner[3] = %c\n", c);
	return 0;
}
