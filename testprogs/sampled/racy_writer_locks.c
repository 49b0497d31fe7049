/* lockhound-sampled: racy variable=shared_value var_kind=global sees=reads */
/* Only the writer locks: it updates shared_value under a mutex, the reader
 * reads it holding nothing.  A write/read race; a trap source that sees
 * writes only (write-protect) cannot see its read side. */
#include "sb.h"

static pthread_mutex_t value_lock = PTHREAD_MUTEX_INITIALIZER;
long shared_value;
static long reader_sum; /* the reader's own */

static void *writer(void *arg)
{
	while (sb_running())
		for (int i = 0; i < 64; i++) {
			SB_CHECK(pthread_mutex_lock(&value_lock));
			shared_value++;
			SB_CHECK(pthread_mutex_unlock(&value_lock));
		}
	return NULL;
}

static void *reader(void *arg)
{
	while (sb_running())
		for (int i = 0; i < 64; i++)
			reader_sum += shared_value; /* no lock */
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t w, r;

	sb_end_ns = sb_deadline(argc, argv);
	SB_CHECK(pthread_create(&w, NULL, writer, NULL));
	SB_CHECK(pthread_create(&r, NULL, reader, NULL));
	SB_CHECK(pthread_join(w, NULL));
	SB_CHECK(pthread_join(r, NULL));
	printf("racy_writer_locks: done\n");
	return 0;
}
