/* lockhound-sampled: clean */
/* Clean twin of racy_flag: the same hand-over of a payload, with the flag
 * stored with release and loaded with acquire.  On x86 both compile to
 * plain moves, so only the program's memory order (not the instruction)
 * says this is synchronization: a binary-only watcher must not call the
 * flag or the payload a race. */
#include <stdatomic.h>

#include "sb.h"

atomic_int ready;
long payload;
static atomic_int stop;

static void *producer(void *arg)
{
	long n = 0;

	while (sb_running()) {
		while (atomic_load_explicit(&ready, memory_order_acquire) && sb_running())
			;
		if (atomic_load_explicit(&ready, memory_order_acquire))
			break;
		payload = ++n;
		atomic_store_explicit(&ready, 1, memory_order_release);
	}
	atomic_store_explicit(&stop, 1, memory_order_release);
	return NULL;
}

static void *consumer(void *arg)
{
	long last = 0;
	int ok = 1;

	while (!atomic_load_explicit(&stop, memory_order_acquire)) {
		if (!atomic_load_explicit(&ready, memory_order_acquire))
			continue;
		if (payload != last + 1)
			ok = 0;
		last = payload;
		atomic_store_explicit(&ready, 0, memory_order_release);
	}
	return (void *)(intptr_t)ok;
}

int main(int argc, char **argv)
{
	pthread_t p, c;
	void *ok;

	sb_end_ns = sb_deadline(argc, argv);
	SB_CHECK(pthread_create(&c, NULL, consumer, NULL));
	SB_CHECK(pthread_create(&p, NULL, producer, NULL));
	SB_CHECK(pthread_join(p, NULL));
	SB_CHECK(pthread_join(c, &ok));
	printf("clean_release_acquire: %s\n", ok ? "payloads in order" : "PAYLOAD OUT OF ORDER");
	return !ok;
}
