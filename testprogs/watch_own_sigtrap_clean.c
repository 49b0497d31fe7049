/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* Hazard scenario for sampled race watching: the program has its own
 * SIGTRAP handler (hardware watching delivers its traps as SIGTRAP too).
 * The handler must get every SIGTRAP the program causes (raise, int3) in
 * every thread, sigaction and signal must report the program's own
 * handlers as the old action, and the counts must be the native ones.
 * The counter is a sig_atomic_t per thread, summed after join: no race. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static __thread volatile sig_atomic_t traps;
static __thread volatile int last_code;

static void on_trap(int sig, siginfo_t *si, void *uc)
{
	traps++;
	last_code = si->si_code;
}

static void on_trap_plain(int sig)
{
	traps += 100;
}

static void *worker(void *arg)
{
	int i, n = (int)(long)arg;

	for (i = 0; i < n; i++)
		raise(SIGTRAP);
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("int3");
#else
	raise(SIGTRAP);
#endif
	return (void *)(long)traps;
}

int main(void)
{
	struct sigaction sa, old;
	pthread_t t[2];
	void *r[2];
	sighandler_t prev;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTRAP, &sa, &old);
	printf("first old is default: %d\n", !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL);
	sigaction(SIGTRAP, NULL, &old);
	printf("current is mine: %d\n", (old.sa_flags & SA_SIGINFO) && old.sa_sigaction == on_trap);
	pthread_create(&t[0], NULL, worker, (void *)3L);
	pthread_create(&t[1], NULL, worker, (void *)5L);
	pthread_join(t[0], &r[0]);
	pthread_join(t[1], &r[1]);
	printf("thread traps: %ld %ld\n", (long)r[0], (long)r[1]);
	raise(SIGTRAP);
	printf("main traps: %d code-is-tkill: %d\n", (int)traps, last_code == SI_TKILL);
	prev = signal(SIGTRAP, on_trap_plain);
	printf("signal returned mine: %d\n", prev == (sighandler_t)(void *)on_trap);
	raise(SIGTRAP);
	printf("main traps after signal(): %d\n", (int)traps);
	prev = signal(SIGTRAP, SIG_DFL);
	printf("signal returned plain: %d\n", prev == on_trap_plain);
	return 0;
}
