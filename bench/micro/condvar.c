/* condvar: pairs of threads hand a token back and forth through a mutex and
 * a condition variable (ping-pong).  THREADS/2 pairs (at least one). */
#include "bench.h"

#define TOTAL 100000L /* hand-overs at SCALE 1, over all pairs */

struct pair {
	pthread_mutex_t m;
	pthread_cond_t c;
	int turn;
	long rounds;
	long done;
} __attribute__((aligned(128)));

struct arg {
	struct pair *p;
	int side;
};

static void *player(void *v)
{
	struct arg *a = v;
	struct pair *p = a->p;
	long i;

	for (i = 0; i < p->rounds; i++) {
		pthread_mutex_lock(&p->m);
		while (p->turn != a->side)
			pthread_cond_wait(&p->c, &p->m);
		p->turn = !a->side;
		p->done++;
		pthread_cond_signal(&p->c);
		pthread_mutex_unlock(&p->m);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int pairs, i;
	struct pair *p;
	struct arg *a;
	long total = 0;

	bench_args(argc, argv);
	pairs = bench_threads / 2 > 0 ? bench_threads / 2 : 1;
	p = aligned_alloc(128, sizeof(*p) * (size_t)pairs);
	memset(p, 0, sizeof(*p) * (size_t)pairs);
	a = calloc((size_t)pairs * 2, sizeof(*a));
	for (i = 0; i < pairs; i++) {
		pthread_mutex_init(&p[i].m, NULL);
		pthread_cond_init(&p[i].c, NULL);
		p[i].rounds = TOTAL * bench_scale / pairs / 2;
		a[2 * i].p = a[2 * i + 1].p = &p[i];
		a[2 * i].side = 0;
		a[2 * i + 1].side = 1;
	}
	bench_run_threads(pairs * 2, player, a, sizeof(*a));
	for (i = 0; i < pairs; i++)
		total += p[i].done;
	printf("condvar handovers=%ld\n", total);
	free(a);
	free(p);
	return 0;
}
