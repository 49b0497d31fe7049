/* lockhound-expect: clean min_edges=0 min_threads=5 */
/* lockhound-build: cc */
/* Threads work in phases separated by a barrier: in phase 1 each writes its
 * own cell, in phase 2 each reads its neighbour's.  Every arrival at the
 * barrier happens before every departure from it.  "unsync" reads the
 * neighbour's cell before the barrier: that races. */
#include "tp.h"

#define N_THREADS 4

static pthread_barrier_t phase_barrier;
static int unsync;
int grid[N_THREADS];
int seen[N_THREADS];

static void *run_phases(void *arg)
{
	int i = (int)(long)arg, next = (i + 1) % N_THREADS;

	grid[i] = i * 10;
	if (unsync)
		seen[i] = grid[next];
	tp_barrier_wait(&phase_barrier);
	seen[i] += grid[next];
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[N_THREADS];
	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	tp_barrier_init(&phase_barrier, N_THREADS);
	for (long i = 0; i < N_THREADS; i++)
		t[i] = tp_spawn(run_phases, (void *)i);
	for (int i = 0; i < N_THREADS; i++)
		tp_join(t[i]);
	printf("seen %d %d %d %d\n", seen[0], seen[1], seen[2], seen[3]);
	return 0;
}
