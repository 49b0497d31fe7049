/*
 * wrap_signal.c - pthread_sigmask and sigprocmask.
 *
 * Only for the shim's own stack unwinding: libunwind blocks all signals
 * around each procedure lookup (two system calls), to be safe against a
 * signal handler that unwinds the same thread.  The shim's unwinds happen
 * when a new lock order is recorded, and in a program with many lock pairs
 * those system calls were most of its cost.  While the shim unwinds
 * (lh_unwinding), the mask calls are skipped; the only handler that unwinds
 * is the watchdog's sampler, sent only to threads blocked in a lock wait,
 * never to one inside the shim.  Every other call goes to the real function
 * unchanged.  Before the real functions are known (very early start-up),
 * the system call is made directly.
 */
#include "wrap.h"

#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

__thread int lh_unwinding __attribute__((tls_model("initial-exec")));

static int raw_mask(int how, const sigset_t *set, sigset_t *old)
{
	long r = syscall(SYS_rt_sigprocmask, how, set, old, _NSIG / 8);
	return r < 0 ? errno : 0;
}

LH_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	if (lh_unwinding) {
		if (old)
			memset(old, 0, sizeof(*old));
		return 0;
	}
	if (!lh_real.thread_sigmask)
		return raw_mask(how, set, old);
	return lh_real.thread_sigmask(how, set, old);
}

LH_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	int rc;

	if (lh_unwinding) {
		if (old)
			memset(old, 0, sizeof(*old));
		return 0;
	}
	if (lh_real.sigprocmask)
		return lh_real.sigprocmask(how, set, old);
	rc = raw_mask(how, set, old);
	if (rc) {
		errno = rc;
		return -1;
	}
	return 0;
}
