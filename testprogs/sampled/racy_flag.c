/* lockhound-sampled: racy variable=ready var_kind=global also=payload,stop sees=oneshot */
/* An unsynchronized flag: a producer fills `payload` and sets `ready` with
 * plain stores, the consumer spins on `ready`, reads the payload and clears
 * the flag.  `volatile` keeps the compiler from hoisting the loads but makes
 * nothing atomic or ordered: both threads write `ready` (a write/write
 * race), the payload is handed over unordered (write/read), and so is the
 * `stop` flag that ends the run.  sees=oneshot: the producer stores
 * `ready` right after `payload`, on the same page; write-protect's
 * protection ends at the first write (the `payload` store) and comes back
 * at the next tick, so it never sees the producer's `ready` stores, only
 * the consumer's (no pair).  A watchpoint on `ready` sees both. */
#include "sb.h"

volatile int ready;
volatile long payload;
static volatile int stop;

static void *producer(void *arg)
{
	long n = 0;

	while (sb_running()) {
		while (ready && sb_running())
			;
		payload = ++n;
		ready = 1;
	}
	stop = 1;
	return NULL;
}

static void *consumer(void *arg)
{
	long last = 0, got = 0;

	while (!stop) {
		if (!ready)
			continue;
		last = payload;
		got++;
		ready = 0;
	}
	return (void *)(intptr_t)(last >= 0 && got >= 0);
}

int main(int argc, char **argv)
{
	pthread_t p, c;

	sb_end_ns = sb_deadline(argc, argv);
	SB_CHECK(pthread_create(&c, NULL, consumer, NULL));
	SB_CHECK(pthread_create(&p, NULL, producer, NULL));
	SB_CHECK(pthread_join(p, NULL));
	SB_CHECK(pthread_join(c, NULL));
	printf("racy_flag: done\n");
	return 0;
}
