/* lockhound-expect: clean min_edges=0 min_threads=9 */
/* lockhound-build: cc */
/* Each thread writes only its own slot of one shared array (adjacent ints,
 * no byte in common), and main sums the slots after joining every thread.
 * "unsync" makes main read the slots before the joins: that races. */
#include "tp.h"

#define N_SLOTS 8

int slots[N_SLOTS];

static void *fill_own_slot(void *arg)
{
	int i = (int)(long)arg;
	for (int k = 0; k < 100; k++)
		slots[i] += i;
	return NULL;
}

static long sum_slots(void)
{
	long sum = 0;
	for (int i = 0; i < N_SLOTS; i++)
		sum += slots[i];
	return sum;
}

int main(int argc, char **argv)
{
	int unsync = argc > 1 && !strcmp(argv[1], "unsync");
	pthread_t t[N_SLOTS];
	long early = 0;

	for (long i = 0; i < N_SLOTS; i++)
		t[i] = tp_spawn(fill_own_slot, (void *)i);
	if (unsync)
		early = sum_slots();
	for (int i = 0; i < N_SLOTS; i++)
		tp_join(t[i]);
	printf("sum = %ld (early %ld)\n", sum_slots(), early);
	return 0;
}
