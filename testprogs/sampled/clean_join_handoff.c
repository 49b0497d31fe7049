/* lockhound-sampled: clean */
/* Hand-off through join: in each round a worker fills a global result,
 * main joins it and then reads and resets the result.  Create and join
 * order every access. */
#include "sb.h"

long result;

static void *work(void *arg)
{
	for (int i = 0; i < 256; i++)
		result += i;
	return NULL;
}

int main(int argc, char **argv)
{
	long rounds = 0;
	int ok = 1;

	sb_end_ns = sb_deadline(argc, argv);
	do { /* one round at least, however late the machine runs main */
		pthread_t t;

		SB_CHECK(pthread_create(&t, NULL, work, NULL));
		SB_CHECK(pthread_join(t, NULL));
		ok &= result == 255 * 256 / 2;
		result = 0;
		rounds++;
	} while (sb_running());
	printf("clean_join_handoff: %s\n", ok && rounds > 0 ? "every round exact" : "A ROUND WAS WRONG");
	return !ok;
}
