/* lockhound-sampled: clean */
/* Threads only read a field main wrote before they started, now and then
 * under a mutex, with CPython 3.11 take_gil's own instruction and the 23
 * bytes before it in /usr/bin/python3.11: mov 0x178(%r15),%eax
 * (41 8b 87 78 01 00 00).  A watchpoint traps after it, and decoding
 * backwards by votes alone picks its last two bytes, 00 00 =
 * add %al,(%rax), a one-byte write: a read reported as a write/write race.
 * The decoder keeps only a candidate whose operand, from the trap's
 * registers, covers the watched byte (insn.c).  The bytes before it are
 * jumped over: only their values matter to the decoder. */
#include "sb.h"

#define N_THREADS 2

struct rt {
	char pad[0x178];
	int locked;
} runtime;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) static int peek(void)
{
	int v;

	__asm__ volatile("mov %1, %%r15\n\t"
	                 "jmp 1f\n\t"
	                 ".byte 0x4c,0x89,0xef,0x48,0x89,0x44,0x24,0x08,0xe8,0x69,0x78,0xf2,0xff,"
	                 "0x89,0xc6,0x85,0xc0,0x0f,0x85,0x44,0xc3,0xf2,0xff\n\t"
	                 "1: .byte 0x41,0x8b,0x87,0x78,0x01,0x00,0x00\n\t" /* mov 0x178(%r15),%eax */
	                 "mov %%eax, %0"
	                 : "=r"(v)
	                 : "r"(&runtime)
	                 : "r15", "rax", "memory");
	return v;
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
	runtime.locked = 1; /* RIP-relative: the field is a candidate of its own */
	sb_spawn(t, N_THREADS, reader);
	for (int i = 0; i < N_THREADS; i++) {
		void *r;

		SB_CHECK(pthread_join(t[i], &r));
		ok &= r != NULL;
	}
	printf("clean_read_decoded_back: %s\n", ok ? "field seen set" : "FIELD NOT SEEN");
	return !ok;
}
