/* lockhound-expect: data-race count=1 variable=counter var_kind=global functions=bump_counter */
/* lockhound-build: cc clang */
/* Two threads increment a global counter with no lock at all: the classic
 * lost update.  Nothing orders the two threads (no lock, no semaphore, no
 * barrier between them), so every run reports the race, however the
 * threads happen to be scheduled. */
#include "tp.h"

int counter;

static void *bump_counter(void *arg)
{
	for (int i = 0; i < 1000; i++)
		counter++;
	return arg;
}

int main(void)
{
	pthread_t a = tp_spawn(bump_counter, NULL);
	pthread_t b = tp_spawn(bump_counter, NULL);
	tp_join(a);
	tp_join(b);
	printf("counter = %d (2000 if no update was lost)\n", counter);
	return 0;
}
