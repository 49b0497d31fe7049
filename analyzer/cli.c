/*
 * cli.c - `lockhound run` and `lockhound report`.
 *
 * run: checks the program can be entered by LD_PRELOAD, starts it with the
 * shim and LOCKHOUND_OPTIONS (log_dir, a log_prefix unique to this run:
 * lockhound.runPID-RANDOM, so a later run whose pid repeats never reads an
 * earlier run's logs in a kept --log-dir; quiet), waits for it and, as a
 * child subreaper, for every process of the run that outlives it (a
 * daemon's child; said on stderr), ignoring SIGINT/SIGQUIT meanwhile so
 * Ctrl-C reaches the program and a report still follows, then analyzes every log
 * of the run: the program's and those of its forked or exec'd children.
 * Without --log-dir the logs go to a private temporary directory that is
 * removed afterwards.
 */
#include "cli.h"
#include "findings.h"
#include "logread.h"
#include "report.h"
#include "xalloc.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *cli_debuginfod_urls;

void cli_restore_env(void)
{
	if (cli_debuginfod_urls)
		setenv("DEBUGINFOD_URLS", cli_debuginfod_urls, 1);
}

static int parse_exitcode(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 255)
		return -1;
	*out = (int)v;
	return 0;
}

/* "--name VALUE" or "--name=VALUE"; advances *i past what it used */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *matched)
{
	size_t n = strlen(name);

	*matched = 0;
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=') {
		*matched = 1;
		return argv[*i] + n + 1;
	}
	if (argv[*i][n] != 0)
		return NULL;
	*matched = 1;
	if (*i + 1 >= argc)
		return NULL;
	(*i)++;
	return argv[*i];
}

int cli_parse_run(int argc, char **argv, struct cli_run_args *a, char *err, size_t errlen)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->exitcode = 66;
	for (i = 1; i < argc; i++) {
		const char *v;
		int m;

		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (argv[i][0] != '-')
			break;
		if ((v = opt_value(argc, argv, &i, "--json", &m)) || m) {
			if (!v)
				goto missing;
			a->json_path = v;
		} else if ((v = opt_value(argc, argv, &i, "--log-dir", &m)) || m) {
			if (!v)
				goto missing;
			if (v[strcspn(v, ": \t\n")]) {
				snprintf(err, errlen, "--log-dir: '%s' contains ':' or white space, which "
				         "LOCKHOUND_OPTIONS cannot carry; choose another directory", v);
				return -1;
			}
			a->log_dir = v;
		} else if ((v = opt_value(argc, argv, &i, "--options", &m)) || m) {
			if (!v)
				goto missing;
			a->options = v;
		} else if ((v = opt_value(argc, argv, &i, "--exitcode", &m)) || m) {
			if (!v)
				goto missing;
			if (parse_exitcode(v, &a->exitcode)) {
				snprintf(err, errlen, "--exitcode: '%s' is not a number in 0..255", v);
				return -1;
			}
		} else {
			snprintf(err, errlen, "unknown option '%s' (see lockhound --help)", argv[i]);
			return -1;
		}
	}
	if (i >= argc) {
		snprintf(err, errlen, "no program to run (usage: lockhound run [OPTIONS] [--] PROG [ARGS...])");
		return -1;
	}
	a->prog_argv = argv + i;
	if (a->options) {
		struct lh_options o;
		lh_options_default(&o);
		if (lh_options_parse(a->options, &o, err, errlen))
			return -1;
	}
	return 0;
missing:
	snprintf(err, errlen, "option '%s' needs a value", argv[i]);
	return -1;
}

int cli_parse_report(int argc, char **argv, struct cli_report_args *a, char *err, size_t errlen)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->format = CLI_TEXT;
	a->exitcode = 66;
	for (i = 1; i < argc; i++) {
		const char *v;
		int m;

		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (argv[i][0] != '-')
			break;
		if ((v = opt_value(argc, argv, &i, "--format", &m)) || m) {
			if (!v)
				goto missing;
			if (!strcmp(v, "text"))
				a->format = CLI_TEXT;
			else if (!strcmp(v, "json"))
				a->format = CLI_JSON;
			else {
				snprintf(err, errlen, "--format: '%s' is not text or json", v);
				return -1;
			}
		} else if ((v = opt_value(argc, argv, &i, "--output", &m)) || m) {
			if (!v)
				goto missing;
			a->output = v;
		} else if ((v = opt_value(argc, argv, &i, "--exitcode", &m)) || m) {
			if (!v)
				goto missing;
			if (parse_exitcode(v, &a->exitcode)) {
				snprintf(err, errlen, "--exitcode: '%s' is not a number in 0..255", v);
				return -1;
			}
		} else {
			snprintf(err, errlen, "unknown option '%s' (see lockhound --help)", argv[i]);
			return -1;
		}
	}
	if (i >= argc) {
		snprintf(err, errlen, "no log given (usage: lockhound report [OPTIONS] LOG...)");
		return -1;
	}
	a->logs = argv + i;
	a->n_logs = argc - i;
	return 0;
missing:
	snprintf(err, errlen, "option '%s' needs a value", argv[i]);
	return -1;
}

/* find PROG the way execvp would; returns 0 with the path in out */
static int find_program(const char *prog, char *out, size_t len)
{
	const char *path, *p;

	if (strchr(prog, '/')) {
		snprintf(out, len, "%s", prog);
		return access(out, F_OK) == 0 ? 0 : -1;
	}
	path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p;) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", prog);
		if (access(out, X_OK) == 0)
			return 0;
		if (!e)
			break;
		p = e + 1;
	}
	return -1;
}

const char *cli_preload_obstacle(const char *path, char *buf, size_t len)
{
	struct stat st;
	unsigned char hdr[64];
	Elf64_Ehdr eh;
	int fd, i, has_interp = 0;
	ssize_t n;

	if (stat(path, &st) < 0) {
		snprintf(buf, len, "%s: %s", path, strerror(errno));
		return buf;
	}
	if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
		snprintf(buf, len, "%s: not an executable file", path);
		return buf;
	}
	if (((st.st_mode & S_ISUID) && st.st_uid != geteuid()) ||
	    ((st.st_mode & S_ISGID) && st.st_gid != getegid())) {
		snprintf(buf, len,
		         "%s is setuid/setgid: the dynamic loader ignores LD_PRELOAD for it, so "
		         "lockhound cannot watch it (run a copy without the bit)",
		         path);
		return buf;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(buf, len, "%s: %s", path, strerror(errno));
		return buf;
	}
	n = read(fd, hdr, sizeof(hdr));
	if (n >= 2 && hdr[0] == '#' && hdr[1] == '!') {
		close(fd);
		return NULL; /* a script: its interpreter is what gets the shim */
	}
	if (n < (ssize_t)sizeof(eh) || memcmp(hdr, ELFMAG, SELFMAG) != 0 || hdr[EI_CLASS] != ELFCLASS64) {
		close(fd);
		return NULL; /* not ELF64: let exec decide */
	}
	memcpy(&eh, hdr, sizeof(eh));
	for (i = 0; i < eh.e_phnum && i < 256; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
		    (ssize_t)sizeof(ph))
			break;
		if (ph.p_type == PT_INTERP)
			has_interp = 1;
	}
	close(fd);
	if (!has_interp) {
		snprintf(buf, len,
		         "%s is statically linked: LD_PRELOAD cannot enter it, so lockhound cannot "
		         "watch its locks (link it dynamically)",
		         path);
		return buf;
	}
	return NULL;
}

/* the shim: next to this executable (build tree) or in ../lib/lockhound */
static int find_shim(char *out, size_t len)
{
	char self[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	const char *env = getenv("LOCKHOUND_SHIM");

	if (env && *env) {
		snprintf(out, len, "%s", env);
		return access(out, R_OK);
	}
	if (n <= 0)
		return -1;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = 0;
	snprintf(out, len, "%s/liblockhound.so", self);
	if (access(out, R_OK) == 0)
		return 0;
	snprintf(out, len, "%s/../lib/lockhound/liblockhound.so", self);
	return access(out, R_OK);
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the logs in dir whose names start with prefix + "." */
static char **list_logs(const char *dir, const char *prefix, int *n_out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	int n = 0;
	size_t pl = strlen(prefix);

	*n_out = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (strncmp(de->d_name, prefix, pl) || de->d_name[pl] != '.' || l < 4 ||
		    strcmp(de->d_name + l - 4, ".log"))
			continue;
		v = xrealloc(v, (size_t)(n + 1) * sizeof(char *));
		v[n] = xmalloc(strlen(dir) + l + 2);
		sprintf(v[n], "%s/%s", dir, de->d_name);
		n++;
	}
	closedir(d);
	if (n > 1) /* v is NULL when there is none: no qsort(NULL, 0) */
		qsort(v, (size_t)n, sizeof(char *), cmp_strp);
	*n_out = n;
	return v;
}

/* analyze logs and print; returns 1 if findings, 0 if none, -1 if nothing
 * could be read */
static int analyze(char **paths, int n_paths, enum cli_format fmt, FILE *text_out,
                   const char *json_path, FILE *json_stream, int *read_errors)
{
	struct lr_log **logs = xcalloc((size_t)(n_paths ? n_paths : 1), sizeof(*logs));
	struct fd_result res;
	struct rp_input in;
	struct rp *view;
	size_t n_logs = 0;
	int i, ret;

	memset(&res, 0, sizeof(res));
	*read_errors = 0;
	for (i = 0; i < n_paths; i++) {
		char err[512];
		struct lr_log *l = lr_read(paths[i], err, sizeof(err));
		if (!l) {
			fprintf(stderr, "lockhound: error: %s\n", err);
			(*read_errors)++;
			continue;
		}
		if (l->n_errors) {
			(*read_errors)++;
			fprintf(stderr, "lockhound: error: %s: %s (reporting what could be read)\n", l->path,
			        l->errors[0]);
		}
		logs[n_logs++] = l;
		fd_analyze(l, &res);
	}
	if (n_logs == 0) {
		free(logs);
		return -1;
	}
	in.logs = logs;
	in.n_logs = n_logs;
	in.res = &res;
	/* one resolved view for every rendering: each stack symbolized once */
	view = rp_view_new(&in);
	if (fmt == CLI_TEXT && text_out)
		rp_view_text(text_out, view);
	if (json_stream)
		rp_view_json(json_stream, view);
	if (json_path) {
		/* the report file is the user's output: created or replaced, never
		 * followed through a symlink someone else planted */
		int fd = open(json_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!f) {
			fprintf(stderr, "lockhound: error: cannot write %s: %s\n", json_path, strerror(errno));
			if (fd >= 0)
				close(fd);
		} else {
			rp_view_json(f, view);
			fclose(f);
		}
	}
	rp_view_free(view);
	ret = res.n > 0;
	fd_result_free(&res);
	for (i = 0; i < (int)n_logs; i++)
		lr_free(logs[i]);
	free(logs);
	return ret;
}

int cli_report(int argc, char **argv)
{
	struct cli_report_args a;
	char err[512];
	FILE *out = NULL;
	int r, read_errors;

	if (cli_parse_report(argc, argv, &a, err, sizeof(err))) {
		fprintf(stderr, "lockhound report: %s\n", err);
		return 2;
	}
	if (a.output) {
		int fd = open(a.output, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
		out = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!out) {
			fprintf(stderr, "lockhound report: cannot write %s: %s\n", a.output, strerror(errno));
			return 2;
		}
	}
	if (a.format == CLI_JSON)
		r = analyze(a.logs, a.n_logs, CLI_JSON, NULL, NULL, out ? out : stdout, &read_errors);
	else
		r = analyze(a.logs, a.n_logs, CLI_TEXT, out ? out : stdout, NULL, NULL, &read_errors);
	if (out)
		fclose(out);
	if (r < 0)
		return 2;
	if (r > 0)
		return a.exitcode;
	return read_errors ? 2 : 0;
}

static void rm_logs(const char *dir, const char *prefix)
{
	int n, i;
	char **v = list_logs(dir, prefix, &n);
	for (i = 0; i < n; i++) {
		unlink(v[i]);
		free(v[i]);
	}
	free(v);
}

int cli_run(int argc, char **argv)
{
	struct cli_run_args a;
	char err[1024], prog[PATH_MAX], shim[PATH_MAX], tmpdir[] = "/tmp/lockhound.XXXXXX";
	char prefix[64], *opts, *preload;
	const char *dir, *old_opts, *old_preload, *why;
	struct sigaction ign, old_int, old_quit;
	int status, r, read_errors, n_logs, i, prog_rc;
	char **logs;
	pid_t pid;

	if (cli_parse_run(argc, argv, &a, err, sizeof(err))) {
		fprintf(stderr, "lockhound run: %s\n", err);
		return 2;
	}
	if (find_program(a.prog_argv[0], prog, sizeof(prog))) {
		fprintf(stderr, "lockhound run: %s: program not found\n", a.prog_argv[0]);
		return 127;
	}
	why = cli_preload_obstacle(prog, err, sizeof(err));
	if (why) {
		fprintf(stderr, "lockhound run: %s\n", why);
		return 126;
	}
	if (find_shim(shim, sizeof(shim))) {
		fprintf(stderr, "lockhound run: cannot find liblockhound.so next to this lockhound or in "
		                "../lib/lockhound (set LOCKHOUND_SHIM)\n");
		return 2;
	}
	if (a.log_dir) {
		struct stat st;
		if (stat(a.log_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "lockhound run: --log-dir %s: not a directory\n", a.log_dir);
			return 2;
		}
		dir = a.log_dir;
	} else {
		if (!mkdtemp(tmpdir)) {
			fprintf(stderr, "lockhound run: cannot create a log directory: %s\n", strerror(errno));
			return 2;
		}
		dir = tmpdir;
	}
	{
		/* the pid alone repeats (a fresh container starts every run at
		 * the same pid): 64 random bits make the prefix this run's own */
		unsigned long long token = 0;
		if (getrandom(&token, sizeof(token), GRND_NONBLOCK) != (ssize_t)sizeof(token)) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			token ^= (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
		}
		snprintf(prefix, sizeof(prefix), "lockhound.run%d-%016llx", (int)getpid(), token);
	}

	old_opts = getenv("LOCKHOUND_OPTIONS");
	opts = xmalloc(strlen(dir) + (old_opts ? strlen(old_opts) : 0) + (a.options ? strlen(a.options) : 0) +
	              256);
	/* exit_report=0: a program built with lockhound cc does not report on
	 * its own under run, which reports on every log of the run */
	sprintf(opts, "%s%s%s%slog_dir=%s:log_prefix=%s:quiet=1:exit_report=0:exitcode=%d",
	        old_opts ? old_opts : "",
	        old_opts ? ":" : "", a.options ? a.options : "", a.options ? ":" : "", dir, prefix,
	        a.exitcode);
	{
		struct lh_options o;
		lh_options_default(&o);
		if (lh_options_parse(opts, &o, err, sizeof(err))) {
			fprintf(stderr, "lockhound run: LOCKHOUND_OPTIONS: %s\n", err);
			return 2;
		}
	}
	old_preload = getenv("LD_PRELOAD");
	preload = xmalloc(strlen(shim) + (old_preload ? strlen(old_preload) : 0) + 2);
	sprintf(preload, "%s%s%s", shim, old_preload && *old_preload ? ":" : "",
	        old_preload ? old_preload : "");

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	fflush(NULL);
	/* every process of the run that outlives the program becomes ours to
	 * wait for (see below), not init's */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "lockhound run: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		setenv("LOCKHOUND_OPTIONS", opts, 1);
		setenv("LD_PRELOAD", preload, 1);
		cli_restore_env();
		execv(prog, a.prog_argv);
		fprintf(stderr, "lockhound run: cannot execute %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	{
		/* processes of the run that outlived the program (a daemonizing
		 * server's child) were reparented to this subreaper: their logs
		 * are part of the run and are complete only once they end */
		int n_outlived = 0, st2;
		pid_t w;
		while ((w = waitpid(-1, &st2, 0)) > 0 || (w < 0 && errno == EINTR))
			if (w > 0)
				n_outlived++;
		if (n_outlived)
			fprintf(stderr,
			        "lockhound run: waited for %d process%s of the run that outlived %s\n",
			        n_outlived, n_outlived == 1 ? "" : "es", prog);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (WIFEXITED(status))
		prog_rc = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		prog_rc = 128 + WTERMSIG(status);
	else
		prog_rc = 1;

	logs = list_logs(dir, prefix, &n_logs);
	if (n_logs == 0) {
		fprintf(stderr, "lockhound run: %s wrote no log (did it run? exit status %d)\n", prog,
		        prog_rc);
		r = -1;
	} else {
		r = analyze(logs, n_logs, CLI_TEXT, stderr, a.json_path, NULL, &read_errors);
	}
	for (i = 0; i < n_logs; i++)
		free(logs[i]);
	free(logs);
	if (!a.log_dir) {
		rm_logs(dir, prefix);
		rmdir(dir);
	}
	free(opts);
	free(preload);
	if (r > 0)
		return a.exitcode;
	return prog_rc;
}
