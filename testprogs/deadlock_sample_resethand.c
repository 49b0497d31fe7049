/* lockhound-expect: deadlock count=1 what=cycle locks=2 functions=resethand_hold_a_lock_b,resethand_hold_b_lock_a complete=false exit=66 timeout=20 max_seconds=10 */
/* Stack sampling that kills the program.  Each of its threads gives itself
 * an alternate signal stack that cannot be written (PROT_NONE), and the
 * program re-installs every real-time signal handler it finds (the
 * watchdog's sampling handler among them) unchanged but with SA_ONSTACK
 * and SA_RESETHAND.  It then deadlocks (ABBA).  The watchdog sees its own
 * handler, so it samples: the kernel cannot write the signal frame and
 * ends the process with SIGSEGV.  The finding must already be in the log
 * when that happens: the report shows the deadlock, with the call sites
 * of the waits as stacks, from a log that was cut short. */
#include <signal.h>
#include <sys/mman.h>
#include "tp.h"

static pthread_mutex_t lock_a, lock_b;
static pthread_barrier_t both_hold_first;
static sem_t handlers_changed;
static pthread_barrier_t stacks_set;

/* signals delivered on an alternate stack kill this thread's process */
static void unwritable_signal_stack(void)
{
	stack_t ss;

	memset(&ss, 0, sizeof(ss));
	ss.ss_size = 1 << 16;
	ss.ss_sp = mmap(NULL, ss.ss_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0)
		tp_die("sigaltstack");
	tp_barrier_wait(&stacks_set);
}

static void *resethand_hold_a_lock_b(void *arg)
{
	unwritable_signal_stack();
	TP_CHECK(pthread_mutex_lock(&lock_a));
	tp_barrier_wait(&both_hold_first);
	tp_sem_wait(&handlers_changed);
	TP_CHECK(pthread_mutex_lock(&lock_b)); /* T2 holds B: blocks for good */
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	return NULL;
}

static void *resethand_hold_b_lock_a(void *arg)
{
	unwritable_signal_stack();
	TP_CHECK(pthread_mutex_lock(&lock_b));
	tp_barrier_wait(&both_hold_first);
	tp_sem_wait(&handlers_changed);
	TP_CHECK(pthread_mutex_lock(&lock_a)); /* T1 holds A: blocks for good */
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	return NULL;
}

/* every real-time signal with a handler keeps it, once, on the alternate
 * stack */
static void handlers_reset_on_first_use(void)
{
	struct sigaction sa;
	int s;

	for (s = SIGRTMIN; s <= SIGRTMAX; s++) {
		if (sigaction(s, NULL, &sa) != 0 || !(sa.sa_flags & SA_SIGINFO))
			continue;
		sa.sa_flags |= SA_ONSTACK | SA_RESETHAND;
		sigaction(s, &sa, NULL);
	}
}

int main(void)
{
	pthread_t t1, t2;

	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	tp_barrier_init(&both_hold_first, 2);
	tp_barrier_init(&stacks_set, 3);
	tp_sem_init(&handlers_changed);
	t1 = tp_spawn(resethand_hold_a_lock_b, NULL);
	t2 = tp_spawn(resethand_hold_b_lock_a, NULL);
	tp_barrier_wait(&stacks_set);
	handlers_reset_on_first_use();
	tp_sem_post(&handlers_changed);
	tp_sem_post(&handlers_changed);
	tp_join(t1);
	tp_join(t2);
	return 0;
}
