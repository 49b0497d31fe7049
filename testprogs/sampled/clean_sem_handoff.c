/* lockhound-sampled: clean */
/* Semaphore hand-off: ping writes the shared box and posts `full`; pong
 * waits on `full`, reads and rewrites the box, posts `empty`.  sem_post
 * orders each access before the sem_wait it releases. */
#include <semaphore.h>

#include "sb.h"

long box;
static sem_t full, empty;
static volatile int done; /* written by ping before its last post only */

static void *ping(void *arg)
{
	long n = 0;

	while (sb_running()) {
		if (sem_wait(&empty) != 0)
			exit(2);
		box = ++n * 2;
		sem_post(&full);
	}
	if (sem_wait(&empty) != 0)
		exit(2);
	done = 1;
	sem_post(&full);
	return NULL;
}

static void *pong(void *arg)
{
	int ok = 1;
	long last = 0;

	for (;;) {
		if (sem_wait(&full) != 0)
			exit(2);
		if (done)
			break;
		ok &= box == last + 2;
		last = box;
		box = -1;
		sem_post(&empty);
	}
	return (void *)(intptr_t)ok;
}

int main(int argc, char **argv)
{
	pthread_t a, b;
	void *ok;

	if (sem_init(&full, 0, 0) != 0 || sem_init(&empty, 0, 1) != 0)
		return 2;
	sb_end_ns = sb_deadline(argc, argv);
	SB_CHECK(pthread_create(&b, NULL, pong, NULL));
	SB_CHECK(pthread_create(&a, NULL, ping, NULL));
	SB_CHECK(pthread_join(a, NULL));
	SB_CHECK(pthread_join(b, &ok));
	printf("clean_sem_handoff: %s\n", ok ? "every hand-off seen" : "A HAND-OFF WAS LOST");
	return !ok;
}
