/*
 * wrap_sigaction.c - sigaction and signal, for exact mode only: a handler
 * the program installs runs inside a trampoline that marks the thread as
 * in a signal handler (lh_rt_in_signal), so a race found by an access in
 * the handler is not written there (that would take the log lock and
 * intern stacks in a handler); it is counted and noted at exit instead,
 * and found again if it also happens outside a handler.
 *
 * The program sees its own handler: sigaction's old action names the
 * handler it installed, not the trampoline.  In the plain mode, for the
 * shim's own calls (the watchdog's sampling signal, the at-exit report's
 * SIGCHLD) and for SIG_DFL / SIG_IGN, the real function is called
 * unchanged.  signal() is done through sigaction with glibc's BSD
 * semantics (SA_RESTART, the signal blocked in its handler), because
 * glibc's signal calls its internal sigaction, which no wrapper sees.
 *
 * SIGTRAP, while hardware race watching holds it (watch.c), is routed to
 * lh_watch_sigtrap_action in every mode: the program's handler is kept
 * there and chained, and old actions report it, never the shim's.
 *
 * Limit: a handler that leaves by siglongjmp leaves the mark set, so that
 * thread writes no more races (they are counted in the note).  A handler
 * installed before exact mode started is not wrapped.
 */
#include "wrap.h"
#include "watch.h"

#include <signal.h>

__thread int lh_rt_in_signal __attribute__((tls_model("initial-exec")));

struct user_action {
	void *handler; /* sa_handler or sa_sigaction, as installed */
	int siginfo;   /* SA_SIGINFO was set */
};
static struct user_action user[_NSIG];

static void trampoline(int sig, siginfo_t *si, void *uc)
{
	struct user_action a;

	a.handler = __atomic_load_n(&user[sig].handler, __ATOMIC_ACQUIRE);
	a.siginfo = __atomic_load_n(&user[sig].siginfo, __ATOMIC_RELAXED);
	lh_rt_in_signal++;
	if (a.siginfo)
		((void (*)(int, siginfo_t *, void *))a.handler)(sig, si, uc);
	else if (a.handler != (void *)SIG_DFL && a.handler != (void *)SIG_IGN)
		((void (*)(int))a.handler)(sig);
	lh_rt_in_signal--;
}

/* the action the program installed, where the kernel has the trampoline */
static void show_user(struct sigaction *old, const struct user_action *was)
{
	if (!(old->sa_flags & SA_SIGINFO) || old->sa_sigaction != trampoline)
		return;
	if (was->siginfo) {
		old->sa_sigaction = (void (*)(int, siginfo_t *, void *))was->handler;
	} else {
		old->sa_handler = (void (*)(int))was->handler;
		old->sa_flags &= ~SA_SIGINFO;
	}
}

LH_EXPORT int sigaction(int sig, const struct sigaction *__restrict act,
                        struct sigaction *__restrict old)
{
	struct sigaction mine;
	struct user_action was;
	int rc;

	if (!lh_real.sigaction)
		lh_init();
	if (sig <= 0 || sig >= _NSIG)
		return lh_real.sigaction(sig, act, old);
	/* hardware race watching holds SIGTRAP and chains the program's */
	if (sig == SIGTRAP && !lh_in_shim && lh_watch_sigtrap_action(act, old, &rc))
		return rc;
	was.handler = __atomic_load_n(&user[sig].handler, __ATOMIC_ACQUIRE);
	was.siginfo = user[sig].siginfo;
	if (likely(!__atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED)) || lh_in_shim || !act ||
	    act->sa_handler == SIG_DFL || act->sa_handler == SIG_IGN) {
		rc = lh_real.sigaction(sig, act, old);
		if (rc == 0 && old)
			show_user(old, &was);
		return rc;
	}
	mine = *act;
	__atomic_store_n(&user[sig].siginfo, (act->sa_flags & SA_SIGINFO) != 0, __ATOMIC_RELAXED);
	__atomic_store_n(&user[sig].handler, (void *)act->sa_handler, __ATOMIC_RELEASE);
	mine.sa_sigaction = trampoline;
	mine.sa_flags |= SA_SIGINFO;
	rc = lh_real.sigaction(sig, &mine, old);
	if (rc == 0 && old)
		show_user(old, &was);
	return rc;
}

LH_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction sa, old;

	if (!lh_real.signal)
		lh_init();
	if ((likely(!__atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED)) || lh_in_shim) &&
	    (sig != SIGTRAP || !(lh_watch_sources() & LH_WSRC_HW)))
		return lh_real.signal(sig, handler);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	if (sig > 0 && sig < _NSIG)
		sigaddset(&sa.sa_mask, sig);
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}
