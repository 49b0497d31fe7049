/*
 * exitreport.c - the report a program built with `lockhound cc` prints on
 * its own at exit, like a sanitized binary (lh_xr_).
 *
 * When: the shim was linked into the program (not brought in by
 * LD_PRELOAD, which is what `lockhound run` and the plain preload mode
 * use: `lockhound run` reports itself, and a bare preload only writes its
 * log, as before) and the option exit_report is not 0 (`lockhound run`
 * also passes exit_report=0).
 *
 * Where the log goes: log_dir when the user set it (the log is kept
 * there); otherwise a private directory made with mkdtemp under $TMPDIR
 * (or /tmp), and each log is removed once it has been reported.  Fork
 * children write their own logs into the same directory.
 *
 * How: from a destructor of liblockhound.so, which the dynamic loader runs
 * after every atexit and C++ static destructor of the program (the loader's
 * own exit handler is registered before main, so it runs last), the
 * analyzer next to the library (build tree: the same directory; installed:
 * PREFIX/lib/lockhound/ -> PREFIX/bin/lockhound) runs as `lockhound report`
 * on this process's log, with its text report in a file beside the log.
 * That file is copied to stderr only when there are findings: a clean
 * program prints nothing.  Then, with findings and exitcode != 0, stdio is
 * flushed and the process ends with _exit(exitcode) (66 by default; 0
 * keeps the program's own status); without findings the exit goes on
 * untouched.  The watchdog calls lh_xr_report before it ends a deadlocked
 * process (without flushing stdio: a blocked thread may hold a stream's
 * lock).
 *
 * Fork and exec: a fork child that calls exit() reports its own log; the
 * process that made the directory also reports, with its own log, the
 * logs left there by children that have ended without a report (_exit, a
 * signal).  A process that replaces itself with exec leaves its log
 * unreported in the directory (its new image starts afresh).  Nothing is
 * reported after _exit, a fatal signal or SIGKILL (the log stays).
 *
 * The analyzer is started with posix_spawn (no fork handlers run, no
 * allocation through malloc: the argument and environment arrays come from
 * lh_alloc), with all signals at their default and unblocked in the child,
 * and without LD_PRELOAD.  SIGCHLD is blocked while the shim waits for it,
 * and the SIGCHLD its end raises is taken back, so the program's handler
 * never sees a child it did not make; a SIGCHLD disposition of SIG_IGN or
 * SA_NOCLDWAIT (which would reap the child before us) is set aside for the
 * wait.  The wait is bounded (LH_XR_TIMEOUT_MS): an analyzer that takes
 * longer is killed, the log is kept, and one warning line says so.
 */
#include "shim.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define LH_XR_TIMEOUT_MS 60000 /* longest wait for the analyzer at exit */
#define LH_XR_MAX_LOGS 64      /* logs of one report: this process's and ended children's */
#define LH_XR_FOUND 66         /* the analyzer's exit status for "findings" (--exitcode) */

extern char **environ;

static int xr_on;            /* report at exit (decided once, in lh_xr_init) */
static int xr_temp;          /* the log directory is ours: remove reported logs */
static pid_t xr_dir_owner;   /* the process that made the directory */
static int xr_done;          /* this process has reported (once per process) */

static int shim_preloaded(void)
{
	const char *p = getenv("LD_PRELOAD");

	while (p && *p) {
		size_t n = strcspn(p, ": \t");
		const char *base = p, *q;
		for (q = p; q < p + n; q++)
			if (*q == '/')
				base = q + 1;
		if ((size_t)(p + n - base) == strlen("liblockhound.so") &&
		    !strncmp(base, "liblockhound.so", strlen("liblockhound.so")))
			return 1;
		p += n;
		while (*p == ':' || *p == ' ' || *p == '\t')
			p++;
	}
	return 0;
}

void lh_xr_init(void)
{
	const char *tmp;

	xr_on = lh_opt.exit_report && !shim_preloaded();
	if (!xr_on || lh_opt.log_dir[0])
		return;
	tmp = getenv("TMPDIR");
	if (!tmp || tmp[0] != '/' || strlen(tmp) > LH_PATH_MAX - 32)
		tmp = "/tmp";
	snprintf(lh_opt.log_dir, sizeof(lh_opt.log_dir), "%s/lockhound.XXXXXX", tmp);
	if (!mkdtemp(lh_opt.log_dir) &&
	    (strcpy(lh_opt.log_dir, "/tmp/lockhound.XXXXXX"), !mkdtemp(lh_opt.log_dir))) {
		lh_warn("cannot make a log directory in %s: %s; the log goes to the current directory",
		        tmp, strerror(errno));
		lh_opt.log_dir[0] = 0;
		return;
	}
	xr_temp = 1;
	xr_dir_owner = getpid();
}

int lh_xr_active(void)
{
	return xr_on;
}

int lh_xr_temp_log(void)
{
	return xr_temp;
}

/* the analyzer next to this library: build tree or installed layout */
static int find_analyzer(char *out, size_t len)
{
	Dl_info info;
	char dir[LH_PATH_MAX];
	char *slash;

	if (!dladdr((void *)lh_xr_init, &info) || !info.dli_fname || !info.dli_fname[0])
		return -1;
	snprintf(dir, sizeof(dir), "%s", info.dli_fname);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		*slash = 0;
	snprintf(out, len, "%s/lockhound", dir);
	if (access(out, X_OK) == 0)
		return 0;
	snprintf(out, len, "%s/../../bin/lockhound", dir);
	return access(out, X_OK);
}

/* pid in "PREFIX.PID.log" or "PREFIX.PID.N.log", or 0 */
static pid_t log_pid(const char *name)
{
	size_t pl = strlen(lh_opt.log_prefix), n = strlen(name);
	long pid = 0;
	const char *p;

	if (strncmp(name, lh_opt.log_prefix, pl) || name[pl] != '.' || n < pl + 6 ||
	    strcmp(name + n - 4, ".log"))
		return 0;
	for (p = name + pl + 1; *p >= '0' && *p <= '9'; p++)
		pid = pid * 10 + (*p - '0');
	return (*p == '.' && p > name + pl + 1 && pid > 0 && pid < 1 << 30) ? (pid_t)pid : 0;
}

static int alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/* logs of ended processes in the directory (other than ours), read with
 * getdents64: opendir would allocate with malloc */
static int ended_logs(char **paths, int max, char *buf, size_t buflen)
{
	char ents[4096] __attribute__((aligned(8)));
	size_t used = 0;
	int fd, n = 0, skipped = 0;
	long got;

	fd = open(lh_opt.log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((got = syscall(SYS_getdents64, fd, ents, sizeof(ents))) > 0) {
		long off = 0;
		while (off < got) {
			struct dirent64 *d = (void *)(ents + off); /* the kernel's layout */
			pid_t pid = log_pid(d->d_name);
			size_t need = strlen(lh_opt.log_dir) + strlen(d->d_name) + 2;
			off += d->d_reclen;
			if (!pid || pid == getpid() || alive(pid))
				continue;
			if (n >= max || used + need > buflen) {
				skipped++;
				continue;
			}
			snprintf(buf + used, need, "%s/%s", lh_opt.log_dir, d->d_name);
			paths[n++] = buf + used;
			used += need;
		}
	}
	close(fd);
	if (skipped)
		lh_warn("%d more logs of ended processes in %s are not in this report "
		        "(LH_XR_MAX_LOGS); run lockhound report on them",
		        skipped, lh_opt.log_dir);
	return n;
}

/* the environment without LD_PRELOAD, in lh_alloc memory */
static char **analyzer_env(void)
{
	int n = 0, i, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = lh_alloc((size_t)(n + 1) * sizeof(char *));
	if (!env)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11))
			env[k++] = environ[i];
	env[k] = NULL;
	return env;
}

/* copy the report file to stderr */
static void copy_to_stderr(const char *path)
{
	char buf[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		ssize_t off = 0;
		while (n > 0 && off < n) {
			ssize_t w = write(2, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				close(fd);
				return;
			}
			off += w;
		}
	}
	close(fd);
}

/* Run the analyzer on the logs; its exit status, or -1 (not started,
 * killed after the timeout). */
static int run_analyzer(const char *analyzer, char *const *argv)
{
	posix_spawnattr_t attr;
	sigset_t chld, old_mask, pending, none, all;
	struct sigaction old_sa, dfl;
	int status = -1, was_pending, restore_sa = 0, waited_ms = 0, r;
	char **env = analyzer_env();
	pid_t pid;

	if (!env)
		return -1;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	lh_real.thread_sigmask(SIG_BLOCK, &chld, &old_mask);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGCHLD);
	if (sigaction(SIGCHLD, NULL, &old_sa) == 0 &&
	    (old_sa.sa_handler == SIG_IGN || (old_sa.sa_flags & SA_NOCLDWAIT))) {
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGCHLD, &dfl, NULL);
		restore_sa = 1;
	}
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	r = posix_spawn(&pid, analyzer, NULL, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	if (r == 0) {
		for (;;) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid)
				break;
			if (w < 0 && errno != EINTR) {
				status = -1;
				break;
			}
			if (waited_ms >= LH_XR_TIMEOUT_MS) {
				kill(pid, SIGKILL);
				while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
					;
				lh_warn("the analyzer took more than %d s (LH_XR_TIMEOUT_MS) and was stopped",
				        LH_XR_TIMEOUT_MS / 1000);
				status = -1;
				break;
			}
			usleep(10000);
			waited_ms += 10;
		}
		if (status != -1)
			status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	} else {
		lh_warn("cannot start %s: %s", analyzer, strerror(r));
	}
	if (!was_pending) {
		struct timespec zero = { 0, 0 };
		sigpending(&pending);
		if (sigismember(&pending, SIGCHLD))
			sigtimedwait(&chld, NULL, &zero);
	}
	if (restore_sa)
		sigaction(SIGCHLD, &old_sa, NULL);
	lh_real.thread_sigmask(SIG_SETMASK, &old_mask, NULL);
	return status;
}

int lh_xr_report(int flush_stdio)
{
	static char analyzer[LH_PATH_MAX + 32], outpath[LH_PATH_MAX + 256], own[LH_PATH_MAX + 128];
	static char names[LH_XR_MAX_LOGS * 256];
	char *argv[LH_XR_MAX_LOGS + 8];
	int n = 0, n_logs, i, status, saved_errno = errno;

	if (!xr_on || !lh_ready || lh_disabled || xr_done)
		return -1;
	xr_done = 1;
	lh_in_shim++;
	if (find_analyzer(analyzer, sizeof(analyzer))) {
		lh_warn("cannot find the lockhound analyzer next to liblockhound.so; the log is kept "
		        "at %s (lockhound report LOG)",
		        lh_log_path());
		goto out_fail;
	}
	snprintf(own, sizeof(own), "%s", lh_log_path());
	snprintf(outpath, sizeof(outpath), "%s.report", own);
	argv[n++] = analyzer;
	argv[n++] = "report";
	argv[n++] = "--exitcode";
	argv[n++] = "66";
	argv[n++] = "--output";
	argv[n++] = outpath;
	argv[n++] = own;
	n_logs = 1;
	if (xr_temp && getpid() == xr_dir_owner)
		n_logs += ended_logs(argv + n, LH_XR_MAX_LOGS - 1, names, sizeof(names));
	argv[n + n_logs - 1] = NULL;
	n += n_logs - 1;
	argv[n] = NULL;
	if (flush_stdio)
		fflush(NULL);
	status = run_analyzer(analyzer, argv);
	if (status == LH_XR_FOUND)
		copy_to_stderr(outpath);
	unlink(outpath);
	if (status != 0 && status != LH_XR_FOUND) {
		if (status >= 0)
			lh_warn("the analyzer could not read the log (exit status %d); it is kept at %s",
			        status, own);
		else
			lh_warn("no report; the log is kept at %s", own);
		goto out_fail;
	}
	if (xr_temp) {
		for (i = 6; argv[i]; i++)
			unlink(argv[i]);
		if (getpid() == xr_dir_owner)
			rmdir(lh_opt.log_dir); /* fails while other processes' logs are there */
	}
	lh_in_shim--;
	errno = saved_errno;
	return status == LH_XR_FOUND;
out_fail:
	lh_in_shim--;
	errno = saved_errno;
	return -1;
}

/* The destructor with the lowest priority runs last among this library's.
 * By then every atexit handler has run, the shim's own included (it wrote
 * the END record). */
__attribute__((destructor(101))) static void xr_at_exit(void)
{
	if (lh_xr_report(1) == 1 && lh_opt.exitcode != 0) {
		fflush(NULL);
		_exit(lh_opt.exitcode);
	}
}
