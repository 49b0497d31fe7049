/* lockhound-expect: clean min_edges=0 min_threads=5 */
/* lockhound-build: cc */
/* A table initialized once with pthread_once from whichever thread gets
 * there first; the others' pthread_once returns only after the
 * initialization finished, so their reads are ordered after its writes.
 * "unsync" uses a hand-made "initialized" flag instead (plain loads and
 * stores): that races. */
#include "tp.h"

#define N_THREADS 4

static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static int unsync;
int table_ready;
int lookup_table[16];

static void init_table(void)
{
	for (int i = 0; i < 16; i++)
		lookup_table[i] = i * i;
	table_ready = 1;
}

static void *use_table(void *arg)
{
	if (unsync) {
		if (!table_ready)
			init_table();
	} else {
		pthread_once(&table_once, init_table);
	}
	*(int *)arg = lookup_table[5];
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[N_THREADS];
	int out[N_THREADS];
	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	for (int i = 0; i < N_THREADS; i++)
		t[i] = tp_spawn(use_table, &out[i]);
	for (int i = 0; i < N_THREADS; i++)
		tp_join(t[i]);
	printf("lookup %d %d %d %d\n", out[0], out[1], out[2], out[3]);
	return 0;
}
