/*
 * wrap_exec.c - the exec family: the log's end record before the image is
 * replaced.
 *
 * A process that execs ends its image without exit, so the shim's exit
 * handler never writes the end record, and the log looked cut short
 * (`complete: false`): always so for a fork child that execs, the usual way
 * to start a program.  Each wrapper writes the end record (exit status -1,
 * LH_END_EXEC) and calls the real function; the exec'd program, preloaded
 * again, starts a log of its own (init.c).  If the exec fails, the program
 * goes on: its later records follow the end record, and its exit writes a
 * second one, which the reader takes (it keeps the last).
 *
 * glibc's exec functions call its internal execve directly, so each one is
 * wrapped: execve, execv, execvp, execvpe, fexecve, and execl, execlp and
 * execle, whose arguments are gathered into an array (on the stack, as
 * glibc's own do) for execv, execvp and execve.  posix_spawn execs in a
 * child that runs no shim code: that child has no log to end.
 *
 * vfork: a vfork child shares its parent's memory and log, and no fork
 * handler runs in it; an end record written there would end the parent's
 * log.  The pid the current log belongs to is kept (lh_exec_log_pid, set
 * when a log is opened: init and the fork child), and an exec from any
 * other process writes nothing.
 */
#include "wrap.h"

#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static pid_t log_pid; /* the process the open log belongs to; 0: none */

void lh_exec_log_opened(void)
{
	log_pid = (pid_t)syscall(SYS_getpid);
}

/* End the log of this process before its image is replaced. */
static void exec_prepare(uintptr_t ra)
{
	int saved_errno = errno;

	if (!lh_pass_at(ra) && log_pid && (pid_t)syscall(SYS_getpid) == log_pid) {
		lh_in_shim++;
		lh_log_end(-1, LH_END_EXEC);
		lh_in_shim--;
	}
	errno = saved_errno;
}

LH_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	exec_prepare(LH_RA);
	if (!lh_real.execve)
		return (int)syscall(SYS_execve, path, argv, envp);
	return lh_real.execve(path, argv, envp);
}

LH_EXPORT int execv(const char *path, char *const argv[])
{
	exec_prepare(LH_RA);
	if (!lh_real.execv)
		return (int)syscall(SYS_execve, path, argv, environ);
	return lh_real.execv(path, argv);
}

LH_EXPORT int execvp(const char *file, char *const argv[])
{
	exec_prepare(LH_RA);
	if (!lh_real.execvp) {
		errno = ENOSYS;
		return -1;
	}
	return lh_real.execvp(file, argv);
}

LH_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	exec_prepare(LH_RA);
	if (!lh_real.execvpe) {
		errno = ENOSYS;
		return -1;
	}
	return lh_real.execvpe(file, argv, envp);
}

LH_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	exec_prepare(LH_RA);
	if (!lh_real.fexecve) {
		errno = ENOSYS;
		return -1;
	}
	return lh_real.fexecve(fd, argv, envp);
}

/* The arguments from arg0 up to the NULL that ends them, as glibc's execl
 * counts them (arg0 itself may be NULL: no arguments).  glibc declares
 * arg0 nonnull, so it is only looked at here, not in the wrappers. */
static size_t count_args(const char *arg0, va_list ap)
{
	size_t n = 0;

	if (!arg0)
		return 0;
	for (n = 1; va_arg(ap, const char *); n++)
		;
	return n;
}

/* argv[0 .. n] from arg0 and ap: the n arguments and the NULL */
static void fill_args(const char **argv, size_t n, const char *arg0, va_list ap)
{
	argv[0] = arg0;
	for (size_t i = 1; i <= n; i++)
		argv[i] = i < n ? va_arg(ap, const char *) : NULL;
	argv[n] = NULL;
}

LH_EXPORT int execl(const char *path, const char *arg0, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, arg0);
	n = count_args(arg0, ap);
	va_end(ap);
	{
		const char *argv[n + 1];

		va_start(ap, arg0);
		fill_args(argv, n, arg0, ap);
		va_end(ap);
		return execv(path, (char *const *)argv);
	}
}

LH_EXPORT int execlp(const char *file, const char *arg0, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, arg0);
	n = count_args(arg0, ap);
	va_end(ap);
	{
		const char *argv[n + 1];

		va_start(ap, arg0);
		fill_args(argv, n, arg0, ap);
		va_end(ap);
		return execvp(file, (char *const *)argv);
	}
}

LH_EXPORT int execle(const char *path, const char *arg0, ...)
{
	va_list ap;
	size_t n;
	char *const *envp;

	/* the environment follows the NULL that ends the arguments (arg0
	 * itself when there are none) */
	va_start(ap, arg0);
	n = count_args(arg0, ap);
	envp = va_arg(ap, char *const *);
	va_end(ap);
	{
		const char *argv[n + 1];

		va_start(ap, arg0);
		fill_args(argv, n, arg0, ap);
		va_end(ap);
		return execve(path, (char *const *)argv, envp);
	}
}
