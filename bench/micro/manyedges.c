/* manyedges: one thread creates EDGES distinct lock-order edges (A then B
 * over EDGES distinct pairs of 1000 mutexes, all in one acyclic order),
 * REPEAT times over.  1000 locks: below the shim's limit of 1024 new locks
 * per pair of call sites, so every edge is recorded (up to 499500).  Not timed against other tools: the growth
 * runs use it to measure the shim's memory and log bytes per edge.
 *   manyedges EDGES [REPEAT] */
#include "bench.h"

int main(int argc, char **argv)
{
	long edges, repeat = 1, n, made = 0, d, i, r;
	pthread_mutex_t *m;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s EDGES [REPEAT]\n", argv[0]);
		return 2;
	}
	edges = atol(argv[1]);
	if (argc == 3)
		repeat = atol(argv[2]);
	if (edges < 1 || repeat < 1) {
		fprintf(stderr, "%s: EDGES and REPEAT must be >= 1\n", argv[0]);
		return 2;
	}
	n = 1000;
	m = calloc((size_t)n, sizeof(*m));
	for (i = 0; i < n; i++)
		pthread_mutex_init(&m[i], NULL);
	for (r = 0; r < repeat; r++) {
		made = 0;
		for (d = 1; made < edges && d < n; d++)
			for (i = 0; i + d < n && made < edges; i++, made++) {
				pthread_mutex_lock(&m[i]);
				pthread_mutex_lock(&m[i + d]);
				pthread_mutex_unlock(&m[i + d]);
				pthread_mutex_unlock(&m[i]);
			}
	}
	printf("manyedges locks=%ld edges=%ld repeat=%ld\n", n, made, repeat);
	free(m);
	return 0;
}
