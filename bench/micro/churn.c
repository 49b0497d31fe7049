/* churn: thousands of short threads, created and joined in waves of
 * THREADS.  Each takes two shared mutexes nested (A then B) once, so every
 * new thread repeats an edge other threads already recorded. */
#include "bench.h"

#define TOTAL 4000L /* threads created at SCALE 1 */

static pthread_mutex_t ma = PTHREAD_MUTEX_INITIALIZER, mb = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *shortlived(void *p)
{
	pthread_mutex_lock(&ma);
	pthread_mutex_lock(&mb);
	counter++;
	pthread_mutex_unlock(&mb);
	pthread_mutex_unlock(&ma);
	return NULL;
}

int main(int argc, char **argv)
{
	long total, made = 0;
	pthread_t *t;
	int i, n;

	bench_args(argc, argv);
	total = TOTAL * bench_scale;
	t = calloc((size_t)bench_threads, sizeof(*t));
	while (made < total) {
		n = total - made < bench_threads ? (int)(total - made) : bench_threads;
		for (i = 0; i < n; i++)
			bench_check(pthread_create(&t[i], NULL, shortlived, NULL), "pthread_create");
		for (i = 0; i < n; i++)
			bench_check(pthread_join(t[i], NULL), "pthread_join");
		made += n;
	}
	printf("churn threads=%ld counter=%ld\n", made, counter);
	free(t);
	return 0;
}
