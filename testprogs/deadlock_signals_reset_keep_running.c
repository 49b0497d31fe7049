/* lockhound-expect: deadlock count=1 what=cycle locks=2 ended_process=false functions=keep_reset_hold_a_lock_b,keep_reset_hold_b_lock_a options=deadlock_grace_ms=300:deadlock_exit=0 timeout=20 max_seconds=10 */
/* A program that resets every signal to its default disposition after its
 * threads have started (daemons and test runners do), then deadlocks
 * (ABBA).  The watchdog's stack-sampling signal now has the default action,
 * which for a real-time signal ends the process: sending it would kill the
 * program before the finding is written ("no findings", killed by signal
 * 58).  The watchdog must see that the handler is no longer its own,
 * report the deadlock without samples.  Twin of deadlock_signals_reset with
 * deadlock_exit=0: the watchdog leaves the process alone, and main ends it
 * 2 s later with status 0 (natively too, the workers stuck). */
#include <time.h>
#include <signal.h>
#include "tp.h"

static pthread_mutex_t lock_a, lock_b;
static pthread_barrier_t both_hold_first;
static sem_t signals_reset;

static void *keep_reset_hold_a_lock_b(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&lock_a));
	tp_barrier_wait(&both_hold_first);
	tp_sem_wait(&signals_reset);
	TP_CHECK(pthread_mutex_lock(&lock_b)); /* T2 holds B: blocks for good */
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	return NULL;
}

static void *keep_reset_hold_b_lock_a(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&lock_b));
	tp_barrier_wait(&both_hold_first);
	tp_sem_wait(&signals_reset);
	TP_CHECK(pthread_mutex_lock(&lock_a)); /* T1 holds A: blocks for good */
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	return NULL;
}

static void reset_all_signals(void)
{
	struct sigaction dfl;
	int s;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL); /* SIGKILL, SIGSTOP, glibc's own: refused */
}

int main(void)
{
	struct timespec two_s = { 2, 0 };
	pthread_t t1, t2;

	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	tp_barrier_init(&both_hold_first, 2);
	tp_sem_init(&signals_reset);
	t1 = tp_spawn(keep_reset_hold_a_lock_b, NULL);
	t2 = tp_spawn(keep_reset_hold_b_lock_a, NULL);
	reset_all_signals();
	tp_sem_post(&signals_reset);
	tp_sem_post(&signals_reset);
	while (nanosleep(&two_s, &two_s) != 0 && errno == EINTR)
		;
	(void)t1;
	(void)t2;
	return 0;
}
