/* lockhound-expect: clean min_edges=0 min_threads=4 */
/* lockhound-build: cc clang */
/* C11 <threads.h> orders memory like pthreads: thrd_create -> the thread,
 * the thread -> thrd_join, mtx_unlock -> the next mtx_lock, cnd_signal ->
 * the woken cnd_wait, and call_once's initializer -> every call_once that
 * returns.  "unsync" bumps the counter without the mutex: that races. */
#include <threads.h>

#include "tp.h"

static mtx_t counter_mtx;
static cnd_t ready_cnd;
static once_flag table_once = ONCE_FLAG_INIT;
static int unsync, ready;
long counter;
int table[8];
int result;

static void fill_table(void)
{
	for (int i = 0; i < 8; i++)
		table[i] = i * i;
}

static int c11_worker(void *arg)
{
	int base;

	call_once(&table_once, fill_table);
	base = table[1]; /* ordered after fill_table by call_once alone */
	for (int i = 0; i < 100; i++) {
		if (!unsync)
			mtx_lock(&counter_mtx);
		counter += table[i % 8] + base;
		if (!unsync)
			mtx_unlock(&counter_mtx);
	}
	mtx_lock(&counter_mtx);
	ready++;
	cnd_signal(&ready_cnd);
	mtx_unlock(&counter_mtx);
	return 0;
}

static int c11_result(void *arg)
{
	result = 42;
	return 0;
}

int main(int argc, char **argv)
{
	thrd_t a, b, c;

	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	mtx_init(&counter_mtx, mtx_plain);
	cnd_init(&ready_cnd);
	thrd_create(&a, c11_worker, NULL);
	thrd_create(&b, c11_worker, NULL);
	mtx_lock(&counter_mtx);
	while (ready < 2)
		cnd_wait(&ready_cnd, &counter_mtx);
	printf("counter %ld\n", counter);
	mtx_unlock(&counter_mtx);
	thrd_join(a, NULL);
	thrd_join(b, NULL);
	thrd_create(&c, c11_result, NULL);
	thrd_join(c, NULL);
	call_once(&table_once, fill_table);
	printf("result %d table %d\n", result, table[3]);
	return 0;
}
