/*
 * init.c - start-up of the shim: resolve every real function (the table
 * is resolve.c's), read LOCKHOUND_OPTIONS, open the log, register the main
 * thread.
 *
 * lh_init is safe to call more than once and from any wrapper that runs
 * before the constructor (another library's constructor may lock a mutex
 * first).  Until it finishes, wrappers pass straight through to the real
 * functions without tracking.  A failure here never stops the program: it
 * prints one "lockhound: warning:" line and the shim passes everything
 * through (lh_disabled).
 *
 * Fork rules (implemented in fork_prepare/parent/child below, registered
 * with pthread_atfork): every one of the shim's own locks is taken before
 * fork, in the order listed in forklocks.c, and released after it in the
 * parent; in the child they are made anew (only the forking thread is
 * there, and it held them all), so the child never inherits one held by a
 * thread that does not exist there, nor data that thread was changing.  The child opens a log of its own
 * (the pid is in the name), writes the module map again, and goes on with
 * only the forking thread registered.  The log descriptor is O_CLOEXEC, so
 * an exec'd program starts its own log through LD_PRELOAD; before the exec,
 * the exec wrappers end the old image's log (wrap_exec.c).
 */
#include "rt.h"
#include "watch.h"

#include "glibc_mutex.h"
#include "glibc_rwlock.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <sys/syscall.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct lh_real lh_real;
struct lh_options lh_opt;
int lh_ready;
int lh_disabled;
__thread int lh_in_shim __attribute__((tls_model("initial-exec")));

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER; /* only via lh_real */
static int init_state; /* 0 not done, 2 done (acquire/release) */

void lh_warn(const char *fmt, ...)
{
	char buf[512];
	int n;
	va_list ap;

	n = snprintf(buf, sizeof(buf), "lockhound: warning: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(2, buf, (size_t)n) < 0) {
		/* nothing to do: stderr is gone */
	}
}

uint64_t lh_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

__thread int lh_locks_held __attribute__((tls_model("initial-exec")));

void lh_mu_lock(pthread_mutex_t *m)
{
	lh_real.mutex_lock(m);
	lh_locks_held++;
}

int lh_mu_trylock(pthread_mutex_t *m)
{
	int rc = lh_real.mutex_trylock(m);

	if (rc == 0)
		lh_locks_held++;
	return rc;
}

void lh_mu_unlock(pthread_mutex_t *m)
{
	lh_locks_held--;
	lh_real.mutex_unlock(m);
}

/* look-ups for resolve.c: the next definition after the shim's own */
static void *dl_lookup(const char *name, const char *version, void *ctx)
{
	void *p = NULL;

	if (version)
		p = dlvsym(RTLD_NEXT, name, version);
	if (!p)
		p = dlsym(RTLD_NEXT, name);
	return p;
}

static struct lh_resolve_state resolve_state;

/* 1 while this process's fork handlers hold every shim lock (the forking
 * thread's prepare took them); 0 when fork came from a signal handler that
 * interrupted the shim in that thread, which may hold one of them */
static int fork_locked;
static int fork_held; /* the forking thread's lh_locks_held before prepare */

static void fork_prepare(void)
{
	int held = lh_locks_held;

	if (!lh_ready)
		return;
	lh_in_shim++;
	LH_RT_HOOK(lh_rt_fork_prepare());
	/* A thread that holds a shim lock can only be forking from a signal
	 * handler that interrupted the shim: taking the locks would wait for
	 * itself.  Then the child gets the locks made anew, with a note that
	 * its state may be inconsistent. */
	fork_held = held;
	fork_locked = held == 0;
	if (fork_locked)
		lh_fork_lock_all();
}

static void fork_parent(void)
{
	if (!lh_ready)
		return;
	if (fork_locked)
		lh_fork_unlock_all();
	LH_RT_HOOK(lh_rt_fork_parent());
	lh_in_shim--;
}

static void fork_child(void)
{
	int locked = fork_locked;

	if (!lh_ready)
		return;
	/* only this thread exists now, holding every shim lock: they can be
	 * made anew over data no other thread was changing */
	lh_fork_reset_all();
	lh_locks_held = fork_held; /* the locks prepare took are made anew */
	lh_log_forget_parent_map(); /* before anything could be written */
	LH_RT_HOOK(lh_rt_fork_child());
	if (lh_log_open(1) == 0) {
		lh_exec_log_opened();
		if (!locked)
			lh_log_note("fork from a signal handler that interrupted lockhound: the "
			            "shim's state in this process may be inconsistent; the result may be "
			            "incomplete");
		lh_log_modules_after_fork_child();
		lh_stk_after_fork_child();
		lh_core_after_fork_child();
		lh_thr_after_fork_child();
		lh_wd_after_fork_child();
	} else {
		lh_disabled = 1;
		lh_self_td = NULL; /* this thread's calls pass through from now on */
	}
	/* the parent's watchpoints and userfaultfd are not the child's */
	lh_watch_fork_child();
	lh_smp_fork_child();
	lh_in_shim--;
}

static void at_exit(void)
{
	if (!lh_ready || lh_disabled)
		return;
	lh_in_shim++;
	LH_RT_HOOK(lh_rt_at_exit());
	lh_smp_stop(); /* no window is armed again */
	lh_watch_shutdown(); /* wakes every thread a trap source holds */
	lh_gh_at_exit();
	lh_thr_at_exit();
	lh_log_end(-1, 0);
	lh_in_shim--;
}

static void lh_init_once(void);

/* Race watching loads the instruction decoder (Capstone, by dlopen:
 * insn.c), so lh_smp_init runs only from the shim's constructor, where the
 * loader calls it.  A shim started earlier by a wrapper may be inside
 * another library's initialization (tcmalloc starts it from its
 * pthread_once, inside its allocator), where dlopen's malloc would enter
 * that allocator again: race watching then starts when the constructor
 * runs (smp_deferred), before main. */
static __thread int in_constructor __attribute__((tls_model("initial-exec")));
static int smp_deferred; /* under init_mu */

void lh_init(void)
{
	int saved_errno;

	if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2)
		return;
	/* the program's errno is not ours to change, whatever init does */
	saved_errno = errno;
	lh_init_once();
	errno = saved_errno;
}

/* The built-in uncontended mutex path (glibc_mutex.h): on only when this
 * process's glibc passes the self-check, with the real functions, on
 * mutexes of the check's own, and cannot elide locks; otherwise one note
 * says why it is off (every mutex call then goes to glibc, as it always
 * may).  Run before the shim is ready, so no wrapper takes the path before
 * the check has decided. */
static void gm_start(void)
{
	struct lh_gm_ops ops = { lh_real.mutex_init, lh_real.mutex_lock, lh_real.mutex_trylock,
		                 lh_real.mutex_unlock, lh_real.mutex_destroy };
	const char *why;

	if (!lh_opt.builtin_mutex)
		return;
	why = lh_gm_elision(&ops);
	if (!why)
		why = lh_gm_selfcheck(&ops, gnu_get_libc_version(), (int)syscall(SYS_gettid));
	if (why) {
		lh_log_note("built-in mutex path off: %s (glibc %s); every mutex call goes to glibc", why,
		            gnu_get_libc_version());
		return;
	}
	__atomic_store_n(&lh_gm_on, 1, __ATOMIC_RELAXED);
}

/* the same for spinlocks (lh_gs_selfcheck): no version or elision
 * condition, since the check reads the lock word's two values from
 * glibc's own functions */
static void gs_start(void)
{
	struct lh_gs_ops ops = { lh_real.spin_init, lh_real.spin_trylock, lh_real.spin_unlock };
	const char *why;

	if (!lh_opt.builtin_mutex)
		return;
	why = lh_gs_selfcheck(&ops);
	if (why) {
		lh_log_note("built-in spinlock path off: %s; every spinlock call goes to glibc", why);
		return;
	}
	__atomic_store_n(&lh_gs.on, 1, __ATOMIC_RELAXED);
}

/* the same for rwlocks (lh_grw_selfcheck, glibc_rwlock.h): glibc does not
 * elide rwlocks, so there is no elision condition */
static void grw_start(void)
{
	struct lh_grw_ops ops = { lh_real.rw_init,   lh_real.rw_rdlock,    lh_real.rw_tryrdlock,
		                  lh_real.rw_wrlock, lh_real.rw_trywrlock, lh_real.rw_unlock,
		                  lh_real.rw_destroy };
	const char *why;

	if (!lh_opt.builtin_mutex)
		return;
	why = lh_grw_selfcheck(&ops, gnu_get_libc_version(), (int)syscall(SYS_gettid));
	if (why) {
		lh_log_note("built-in rwlock path off: %s (glibc %s); every rwlock call goes to glibc", why,
		            gnu_get_libc_version());
		return;
	}
	__atomic_store_n(&lh_grw_on, 1, __ATOMIC_RELAXED);
}

static void lh_init_once(void)
{
	const char *env;
	char err[256];

	/* Every caller that finds the table of real functions incomplete fills
	 * it itself (resolve.c): a second early thread (a library constructor
	 * may start threads) never goes on with a half-filled table, and never
	 * waits for the first, whose dlsym may need a loader lock it holds. */
	if (!__atomic_load_n(&resolve_state.done, __ATOMIC_ACQUIRE)) {
		const char *missing;
		lh_in_shim++;
		if (lh_resolve(&resolve_state, &lh_real, dl_lookup, NULL, &missing)) {
			if (missing)
				lh_warn("cannot find the real %s; lockhound is disabled", missing);
			lh_disabled = 1;
		}
		lh_in_shim--;
	}
	if (lh_disabled) {
		__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
		return;
	}
	lh_real.mutex_lock(&init_mu);
	if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2 || lh_ready) {
		lh_real.mutex_unlock(&init_mu);
		return;
	}
	lh_in_shim++;
	lh_options_default(&lh_opt);
	env = getenv("LOCKHOUND_OPTIONS");
	if (env) {
		/* a bad pair is skipped, the others apply (log_dir among them) */
		int bad = lh_options_parse_keep(env, &lh_opt, err, sizeof(err));
		if (bad == 1)
			lh_warn("LOCKHOUND_OPTIONS: %s (ignored; the other options apply)", err);
		else if (bad > 1)
			lh_warn("LOCKHOUND_OPTIONS: %s, and %d more bad options (ignored; the other "
			        "options apply)", err, bad - 1);
	}
	lh_xr_init();
	if (lh_log_open(0) != 0) {
		lh_disabled = 1;
	} else {
		lh_exec_log_opened();
		lh_stk_find_deps(); /* before tracking starts */
		lh_log_modules();
		lh_py_init(); /* a CPython interpreter? (pyframes.c) */
		gm_start();
		gs_start();
		grw_start();
		lh_thr_init_main();
		if (lh_opt.races && lh_opt.heap_guards > 0) /* asked for: whatever watches them */
			lh_gh_start((unsigned)lh_opt.heap_guards, (unsigned)lh_opt.heap_dense);
		/* the hardware source needs it before any other thread */
		if (in_constructor)
			lh_smp_init();
		else
			smp_deferred = 1;
		pthread_atfork(fork_prepare, fork_parent, fork_child);
		atexit(at_exit);
		__atomic_store_n(&lh_ready, 1, __ATOMIC_RELEASE);
	}
	lh_in_shim--;
	__atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
	lh_real.mutex_unlock(&init_mu);
}

/* Fork handlers run in reverse order of registration for prepare: the
 * shim's must be registered before any other, so that its prepare runs
 * last (after the program's and libraries' handlers have taken their own
 * locks, which may need the shim) and its child handler runs first.  A
 * library constructor can register handlers before the shim's constructor
 * runs; catching the registration starts the shim first. */
LH_EXPORT int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
                                void *dso)
{
	if (!lh_in_shim)
		lh_init();
	if (!lh_real.register_atfork)
		return ENOMEM;
	return lh_real.register_atfork(prepare, parent, child, dso);
}

__attribute__((constructor(101))) static void lh_constructor(void)
{
	int saved_errno;

	in_constructor = 1;
	lh_init();
	in_constructor = 0;
	if (lh_disabled || !lh_real.mutex_lock)
		return;
	lh_real.mutex_lock(&init_mu);
	if (smp_deferred && lh_ready && !lh_disabled) {
		smp_deferred = 0;
		saved_errno = errno;
		lh_in_shim++;
		lh_smp_init();
		lh_in_shim--;
		errno = saved_errno;
	}
	lh_real.mutex_unlock(&init_mu);
}
