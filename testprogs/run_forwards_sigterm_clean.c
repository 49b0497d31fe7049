/* lockhound-expect: clean min_edges=0 min_threads=2 */
/* A server that stops on SIGTERM: a worker counts under a lock until the
 * main thread's SIGTERM handler says stop, then main joins it and exits 0.
 * Run alone (no argument) it sends itself the SIGTERM.  With "wait" it
 * prints "ready" and waits up to 30 s for one from outside: the test
 * run_forwards_sigterm sends it to `lockhound run`'s pid, which must pass it
 * on (a service manager stopping the service), not die and leave the
 * program running. */
#include "tp.h"
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* atomic: the handler runs on the main thread, the worker reads it */
static atomic_int stop;
static long count;

static void on_term(int sig)
{
	(void)sig;
	atomic_store(&stop, 1);
}

static void *worker(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		pthread_mutex_lock(&mu);
		count++;
		pthread_mutex_unlock(&mu);
		usleep(1000);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	pthread_t t;
	int waited_ms = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	pthread_create(&t, NULL, worker, NULL);
	if (argc > 1 && !strcmp(argv[1], "wait")) {
		printf("ready\n");
		fflush(stdout);
	} else
		kill(getpid(), SIGTERM);
	while (!atomic_load(&stop) && waited_ms < 30000) {
		usleep(10000);
		waited_ms += 10;
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	if (waited_ms >= 30000) {
		printf("no SIGTERM\n");
		return 3;
	}
	printf("got SIGTERM\n");
	return 0;
}
