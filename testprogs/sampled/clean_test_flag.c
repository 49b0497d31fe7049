/* lockhound-sampled: clean */
/* Threads only test a flag byte main set before they started: `if (flags
 * & 2)` as gcc -O2 makes it, testb $2,flags(%rip), now and then under a
 * mutex.  No write races anything.  Capstone 4.0.2 marks the memory
 * operand of test r/m, imm as written, which once made every read here a
 * one-byte write (as on Redis's server fields); a compare or bit test only
 * reads (insn.c). */
#include "sb.h"

#define N_THREADS 2

unsigned char flags;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) static int peek(void)
{
	unsigned char set;

	__asm__ volatile("testb $2, flags(%%rip)\n\tsetne %0" : "=r"(set) : : "cc", "memory");
	return set;
}

static void *reader(void *arg)
{
	long sum = 0, i;

	(void)arg;
	while (sb_running())
		for (i = 0; i < 4096; i++) {
			if ((i & 255) == 0) {
				SB_CHECK(pthread_mutex_lock(&mu));
				sum += peek();
				SB_CHECK(pthread_mutex_unlock(&mu));
			} else {
				sum += peek();
			}
		}
	return (void *)(intptr_t)(sum > 0);
}

int main(int argc, char **argv)
{
	pthread_t t[N_THREADS];
	int ok = 1;

	sb_end_ns = sb_deadline(argc, argv);
	flags = 2;
	sb_spawn(t, N_THREADS, reader);
	for (int i = 0; i < N_THREADS; i++) {
		void *r;

		SB_CHECK(pthread_join(t[i], &r));
		ok &= r != NULL;
	}
	printf("clean_test_flag: %s\n", ok ? "flag seen set" : "FLAG NOT SEEN");
	return !ok;
}
