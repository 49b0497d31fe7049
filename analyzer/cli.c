/*
 * cli.c - `lockhound run` and `lockhound report`.
 *
 * run: checks the program can be entered by LD_PRELOAD, starts it with the
 * shim and LOCKHOUND_OPTIONS (log_dir, a log_prefix unique to this run:
 * lockhound.runPID-RANDOM, so a later run whose pid repeats never reads an
 * earlier run's logs in a kept --log-dir; quiet), waits for it and, as a
 * child subreaper, for every process of the run that outlives it (a
 * daemon's child; said on stderr), ignoring SIGINT/SIGQUIT meanwhile so
 * Ctrl-C reaches the program and a report still follows, and passing on to
 * the program the signals a supervisor sends to run's pid alone (FWD_SIGNALS:
 * `kill PID`, a service manager's stop), then analyzes every log
 * of the run: the program's and those of its forked or exec'd children.
 * Without --log-dir the logs go to a private temporary directory that is
 * removed afterwards.
 *
 * Both analyze through analyze(): read the logs, find, filter by the
 * suppressions (LOCKHOUND_OPTIONS suppressions= first, then each
 * --suppressions) and the --baseline (suppress.h), then render every
 * requested format from one view; the exit status counts only what is
 * left.  A bad suppressions file or baseline is one error and status 2,
 * for run before the program starts.
 */
#include "cli.h"
#include "findings.h"
#include "logread.h"
#include "report.h"
#include "suppress.h"
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

/* --suppressions, --baseline, --source-root: 1 if argv[*i] was one, 0
 * if not, -1 with err set */
static int filter_opt(int argc, char **argv, int *i, struct cli_filter_args *f, char *err,
                      size_t errlen)
{
	const char *v;
	int m;

	if ((v = opt_value(argc, argv, i, "--suppressions", &m)) || m) {
		if (!v)
			goto missing;
		if (f->n_suppressions >= CLI_MAX_SUPPRESSIONS) {
			snprintf(err, errlen, "--suppressions: at most %d files (CLI_MAX_SUPPRESSIONS); "
			         "merge some", CLI_MAX_SUPPRESSIONS);
			return -1;
		}
		f->suppressions[f->n_suppressions++] = v;
		return 1;
	}
	if ((v = opt_value(argc, argv, i, "--baseline", &m)) || m) {
		if (!v)
			goto missing;
		f->baseline = v;
		return 1;
	}
	if ((v = opt_value(argc, argv, i, "--source-root", &m)) || m) {
		if (!v)
			goto missing;
		f->source_root = v;
		return 1;
	}
	return 0;
missing:
	snprintf(err, errlen, "option '%s' needs a value", argv[*i]);
	return -1;
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
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			a->help = 1;
			return 0;
		}
		if ((m = filter_opt(argc, argv, &i, &a->filt, err, errlen)) < 0)
			return -1;
		if (m)
			continue;
		if ((v = opt_value(argc, argv, &i, "--json", &m)) || m) {
			if (!v)
				goto missing;
			a->json_path = v;
		} else if ((v = opt_value(argc, argv, &i, "--sarif", &m)) || m) {
			if (!v)
				goto missing;
			a->sarif_path = v;
		} else if ((v = opt_value(argc, argv, &i, "--html", &m)) || m) {
			if (!v)
				goto missing;
			a->html_path = v;
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
			snprintf(err, errlen, "unknown option '%s' (see lockhound run --help)", argv[i]);
			return -1;
		}
	}
	if (i >= argc) {
		snprintf(err, errlen, "no program to run (usage: lockhound run [OPTIONS] [--] PROG [ARGS...]; "
		         "see lockhound run --help)");
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
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			a->help = 1;
			return 0;
		}
		if ((m = filter_opt(argc, argv, &i, &a->filt, err, errlen)) < 0)
			return -1;
		if (m)
			continue;
		if ((v = opt_value(argc, argv, &i, "--format", &m)) || m) {
			if (!v)
				goto missing;
			if (!strcmp(v, "text"))
				a->format = CLI_TEXT;
			else if (!strcmp(v, "json"))
				a->format = CLI_JSON;
			else if (!strcmp(v, "sarif"))
				a->format = CLI_SARIF;
			else if (!strcmp(v, "dot"))
				a->format = CLI_DOT;
			else if (!strcmp(v, "html"))
				a->format = CLI_HTML;
			else {
				snprintf(err, errlen, "--format: '%s' is not text, json, sarif, dot or html", v);
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
			snprintf(err, errlen, "unknown option '%s' (see lockhound report --help)", argv[i]);
			return -1;
		}
	}
	if (i >= argc) {
		snprintf(err, errlen, "no log given (usage: lockhound report [OPTIONS] LOG...; see "
		         "lockhound report --help)");
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

/* what one analysis renders, and how it filters */
struct an_out {
	FILE *text;               /* the text report, or NULL */
	FILE *stream;             /* the report in stream_fmt, or NULL */
	enum cli_format stream_fmt;
	const char *json_path, *sarif_path, *html_path; /* run's report files */
	const struct cli_filter_args *filt;
	const char *env_suppressions; /* suppressions= of LOCKHOUND_OPTIONS, or NULL */
};

static void render(FILE *f, enum cli_format fmt, struct rp *view)
{
	switch (fmt) {
	case CLI_TEXT:
		rp_view_text(f, view);
		break;
	case CLI_JSON:
		rp_view_json(f, view);
		break;
	case CLI_SARIF:
		rp_view_sarif(f, view);
		break;
	case CLI_DOT:
		rp_view_dot(f, view);
		break;
	case CLI_HTML:
		rp_view_html(f, view);
		break;
	}
}

/* the report file is the user's output: created or replaced, never
 * followed through a symlink someone else planted */
static FILE *open_output(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f && fd >= 0)
		close(fd);
	return f;
}

static void render_file(const char *path, enum cli_format fmt, struct rp *view)
{
	FILE *f = open_output(path);

	if (!f) {
		fprintf(stderr, "lockhound: error: cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	render(f, fmt, view);
	fclose(f);
}

/* the suppressions, baseline and source root asked for; 0, or -1 after
 * a one-line error on stderr */
static int load_filters(const struct an_out *o, struct su_list *supp, int *have_supp,
                        struct bl_set *base, char *root, size_t rootlen)
{
	char err[1024];
	int i;

	*have_supp = 0;
	memset(supp, 0, sizeof(*supp));
	memset(base, 0, sizeof(*base));
	if (o->env_suppressions && *o->env_suppressions) {
		if (su_load(supp, o->env_suppressions, err, sizeof(err))) {
			fprintf(stderr, "lockhound: error: suppressions (LOCKHOUND_OPTIONS): %s\n", err);
			return -1;
		}
		*have_supp = 1;
	}
	for (i = 0; o->filt && i < o->filt->n_suppressions; i++) {
		if (su_load(supp, o->filt->suppressions[i], err, sizeof(err))) {
			fprintf(stderr, "lockhound: error: --suppressions %s\n", err);
			su_free(supp);
			return -1;
		}
		*have_supp = 1;
	}
	if (o->filt && o->filt->baseline && bl_load(base, o->filt->baseline, err, sizeof(err))) {
		fprintf(stderr, "lockhound: error: --baseline %s\n", err);
		su_free(supp);
		return -1;
	}
	root[0] = 0;
	if (o->filt && o->filt->source_root) {
		struct stat st;
		if (!realpath(o->filt->source_root, root) || stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "lockhound: error: --source-root %s: not a directory\n",
			        o->filt->source_root);
			su_free(supp);
			bl_free(base);
			return -1;
		}
	} else if (!getcwd(root, rootlen)) {
		root[0] = 0; /* no root: fingerprints use base names */
	}
	return 0;
}

/* analyze logs and render; returns 1 if findings (after suppressions
 * and the baseline), 0 if none, -1 if nothing could be read or a filter
 * could not be loaded */
static int analyze(char **paths, int n_paths, const struct an_out *o, int *read_errors)
{
	struct lr_log **logs;
	struct fd_result res;
	struct rp_input in;
	struct rp *view;
	struct su_list supp;
	struct bl_set base;
	char root[PATH_MAX];
	size_t n_logs = 0, n_all, n_baselined = 0;
	int i, ret, have_supp;

	*read_errors = 0;
	if (load_filters(o, &supp, &have_supp, &base, root, sizeof(root)))
		return -1;
	logs = xcalloc((size_t)(n_paths ? n_paths : 1), sizeof(*logs));
	memset(&res, 0, sizeof(res));
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
	/* then the cycles no single process formed */
	if (n_logs > 1)
		fd_analyze_joined((const struct lr_log *const *)logs, n_logs, &res, NULL);
	if (n_logs == 0) {
		free(logs);
		su_free(&supp);
		bl_free(&base);
		return -1;
	}
	in.logs = logs;
	in.n_logs = n_logs;
	in.res = &res;
	/* one resolved view for every rendering: each stack symbolized once */
	view = rp_view_new(&in);
	rp_view_set_source_root(view, root[0] ? root : NULL);
	/* the filtered findings move behind the kept ones: the reports render
	 * res.n = the kept, and all n_all are freed */
	n_all = res.n;
	if (have_supp || (o->filt && o->filt->baseline)) {
		res.n = su_filter(view, &res, have_supp ? &supp : NULL,
		                  o->filt && o->filt->baseline ? &base : NULL, &n_baselined);
		rp_view_set_filtered(view, have_supp ? &supp : NULL, n_baselined,
		                     o->filt ? o->filt->baseline : NULL);
	}
	if (o->text)
		rp_view_text(o->text, view);
	if (o->stream)
		render(o->stream, o->stream_fmt, view);
	if (o->json_path)
		render_file(o->json_path, CLI_JSON, view);
	if (o->sarif_path)
		render_file(o->sarif_path, CLI_SARIF, view);
	if (o->html_path)
		render_file(o->html_path, CLI_HTML, view);
	rp_view_free(view);
	ret = res.n > 0;
	res.n = n_all;
	fd_result_free(&res);
	su_free(&supp);
	bl_free(&base);
	for (i = 0; i < (int)n_logs; i++)
		lr_free(logs[i]);
	free(logs);
	return ret;
}

/* suppressions= of LOCKHOUND_OPTIONS (and of extra, run's --options);
 * 0, or -1 with err set */
static int env_suppressions(const char *extra, char *out, size_t len, char *err, size_t errlen)
{
	struct lh_options opt;

	lh_options_default(&opt);
	if (lh_options_parse(getenv("LOCKHOUND_OPTIONS"), &opt, err, errlen) ||
	    lh_options_parse(extra, &opt, err, errlen))
		return -1;
	snprintf(out, len, "%s", opt.suppressions);
	return 0;
}

int cli_report(int argc, char **argv)
{
	struct cli_report_args a;
	struct an_out o;
	char err[512], env_supp[LH_PATH_MAX];
	FILE *out = NULL;
	int r, read_errors;

	if (cli_parse_report(argc, argv, &a, err, sizeof(err))) {
		fprintf(stderr, "lockhound report: %s\n", err);
		return 2;
	}
	if (a.help) {
		cli_usage_report(stdout);
		return 0;
	}
	if (env_suppressions(NULL, env_supp, sizeof(env_supp), err, sizeof(err))) {
		fprintf(stderr, "lockhound report: LOCKHOUND_OPTIONS: %s\n", err);
		return 2;
	}
	if (a.output) {
		out = open_output(a.output);
		if (!out) {
			fprintf(stderr, "lockhound report: cannot write %s: %s\n", a.output, strerror(errno));
			return 2;
		}
	}
	memset(&o, 0, sizeof(o));
	o.filt = &a.filt;
	o.env_suppressions = env_supp;
	if (a.format == CLI_TEXT)
		o.text = out ? out : stdout;
	else {
		o.stream = out ? out : stdout;
		o.stream_fmt = a.format;
	}
	r = analyze(a.logs, a.n_logs, &o, &read_errors);
	if (out)
		fclose(out);
	if (r < 0)
		return 2;
	if (r > 0)
		return a.exitcode;
	return read_errors ? 2 : 0;
}

/* The signals `run` passes on to the program while it runs.  A terminal's
 * SIGINT and SIGQUIT reach the whole foreground process group, the program
 * included, so run ignores those instead.  These are sent to one pid
 * (kill PID, a service manager stopping a service, a CI job's timeout):
 * without this, run would die of SIGTERM and leave the program running
 * with no report.  One sent to the whole process group reaches the program
 * twice (once directly, once passed on).  A signal run itself ignored when
 * it started (nohup's SIGHUP) is not caught: the program inherits the
 * ignoring, as it would natively. */
static const int FWD_SIGNALS[] = { SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 };
#define N_FWD_SIGNALS ((int)(sizeof(FWD_SIGNALS) / sizeof(FWD_SIGNALS[0])))

/* the program's pid while it runs and is not reaped, else 0 */
static volatile sig_atomic_t fwd_pid;

static void fwd_handler(int sig)
{
	int saved = errno;
	pid_t p = (pid_t)fwd_pid;
	if (p > 0)
		kill(p, sig);
	errno = saved;
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
	char prefix[64], *opts, *preload, env_supp[LH_PATH_MAX];
	struct an_out o;
	const char *dir, *old_opts, *old_preload, *why;
	struct sigaction ign, fwd, old_int, old_quit, old_fwd[N_FWD_SIGNALS];
	sigset_t fwd_set, old_mask;
	int status, r, read_errors, n_logs, i, prog_rc;
	char **logs;
	pid_t pid;

	if (cli_parse_run(argc, argv, &a, err, sizeof(err))) {
		fprintf(stderr, "lockhound run: %s\n", err);
		return 2;
	}
	if (a.help) {
		cli_usage_run(stdout);
		return 0;
	}
	if (env_suppressions(a.options, env_supp, sizeof(env_supp), err, sizeof(err))) {
		fprintf(stderr, "lockhound run: LOCKHOUND_OPTIONS: %s\n", err);
		return 2;
	}
	{
		/* a bad suppressions file or baseline stops the run before the
		 * program starts, not after it ran for an hour */
		struct su_list supp;
		struct bl_set base;
		char root[PATH_MAX];
		int have;
		memset(&o, 0, sizeof(o));
		o.filt = &a.filt;
		o.env_suppressions = env_supp;
		if (load_filters(&o, &supp, &have, &base, root, sizeof(root)))
			return 2;
		su_free(&supp);
		bl_free(&base);
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
	/* blocked across the fork: one that arrives before fwd_pid is set is
	 * passed on once it is */
	memset(&fwd, 0, sizeof(fwd));
	fwd.sa_handler = fwd_handler;
	fwd.sa_flags = SA_RESTART;
	sigemptyset(&fwd_set);
	for (i = 0; i < N_FWD_SIGNALS; i++)
		sigaddset(&fwd_set, FWD_SIGNALS[i]);
	fwd.sa_mask = fwd_set;
	sigprocmask(SIG_BLOCK, &fwd_set, &old_mask);
	for (i = 0; i < N_FWD_SIGNALS; i++) {
		sigaction(FWD_SIGNALS[i], NULL, &old_fwd[i]);
		if (old_fwd[i].sa_handler != SIG_IGN)
			sigaction(FWD_SIGNALS[i], &fwd, NULL);
	}
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
		for (i = 0; i < N_FWD_SIGNALS; i++)
			sigaction(FWD_SIGNALS[i], &old_fwd[i], NULL);
		sigprocmask(SIG_SETMASK, &old_mask, NULL);
		setenv("LOCKHOUND_OPTIONS", opts, 1);
		setenv("LD_PRELOAD", preload, 1);
		cli_restore_env();
		execv(prog, a.prog_argv);
		fprintf(stderr, "lockhound run: cannot execute %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	fwd_pid = pid;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* reaped: its pid may be reused; a process that outlived it is not
	 * sent these (run does not know its pid until it ends), and run dies
	 * of them as before it caught them */
	fwd_pid = 0;
	for (i = 0; i < N_FWD_SIGNALS; i++)
		sigaction(FWD_SIGNALS[i], &old_fwd[i], NULL);
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
		memset(&o, 0, sizeof(o));
		o.text = stderr;
		o.json_path = a.json_path;
		o.sarif_path = a.sarif_path;
		o.html_path = a.html_path;
		o.filt = &a.filt;
		o.env_suppressions = env_supp;
		r = analyze(logs, n_logs, &o, &read_errors);
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

/* ---- usage (lockhound --help, run --help, report --help; the man page,
 * docs/lockhound.1, says the same at length) ---- */

static const char usage_run[] =
	"usage: lockhound run [OPTIONS] [--] PROG [ARGS...]\n"
	"\n"
	"Runs PROG with the lockhound shim preloaded (and every process it forks or\n"
	"executes), then prints a report of potential deadlocks (lock-order cycles),\n"
	"deadlocks that happened, threading API misuse and (programs built with\n"
	"lockhound cc) data races on stderr.\n"
	"\n"
	"  --json FILE           also write the JSON report to FILE\n"
	"  --sarif FILE          also write a SARIF 2.1.0 report to FILE (code scanning)\n"
	"  --html FILE           also write a self-contained HTML report to FILE\n"
	"  --suppressions FILE   leave out findings a line of FILE matches (KIND:PATTERN;\n"
	"                        may be given up to 16 times; also suppressions=FILE in\n"
	"                        LOCKHOUND_OPTIONS)\n"
	"  --baseline OLD        report, and fail on, only findings not in OLD (an earlier\n"
	"                        --json or --sarif report), matched by fingerprint\n"
	"  --source-root DIR     paths in SARIF and HTML relative to DIR (default: the\n"
	"                        current directory)\n"
	"  --log-dir DIR         keep the logs in DIR (default: a temporary directory)\n"
	"  --exitcode N          exit status when there are findings (default 66)\n"
	"  --options OPTS        shim options, name=value separated by ':' (see man lockhound)\n"
	"  -h, --help            this text\n"
	"\n"
	"Exit status: PROG's own when there are no findings (128+N if killed by signal\n"
	"N), N (66) when there are, 127 PROG not found, 126 PROG cannot be preloaded\n"
	"(static, setuid), 2 usage error or bad suppressions/baseline file.\n";

static const char usage_report[] =
	"usage: lockhound report [OPTIONS] LOG...\n"
	"\n"
	"Analyzes logs the shim wrote (lockhound.PID.log; LOCKHOUND_OPTIONS=log_dir=DIR\n"
	"under a bare LD_PRELOAD, or lockhound run --log-dir DIR) and prints a report.\n"
	"\n"
	"  --format FMT          text (default), json, sarif (SARIF 2.1.0), dot (the\n"
	"                        whole lock-order graph for graphviz, cycles in red) or\n"
	"                        html (one self-contained page with the graph)\n"
	"  --output FILE         write the report to FILE instead of stdout\n"
	"  --suppressions FILE   leave out findings a line of FILE matches (KIND:PATTERN,\n"
	"                        KIND one of lock-order-cycle, deadlock, misuse,\n"
	"                        misuse/WHAT (one what of a misuse), race, *;\n"
	"                        PATTERN a glob over function, file and module names of\n"
	"                        the finding's stacks; '#' starts a comment line)\n"
	"  --baseline OLD        report, and fail on, only findings not in OLD (an earlier\n"
	"                        JSON or SARIF report), matched by fingerprint\n"
	"  --source-root DIR     paths in SARIF and HTML relative to DIR (default: the\n"
	"                        current directory)\n"
	"  --exitcode N          exit status when there are findings (default 66)\n"
	"  -h, --help            this text\n"
	"\n"
	"Exit status: 0 no findings, N (66) findings, 2 usage error, unreadable log\n"
	"(and no findings), bad suppressions or baseline file.\n";

void cli_usage_run(FILE *out)
{
	fputs(usage_run, out);
}

void cli_usage_report(FILE *out)
{
	fputs(usage_report, out);
}

void cli_usage(FILE *out)
{
	fputs("usage: lockhound run [OPTIONS] [--] PROG [ARGS...]\n"
	      "       lockhound report [OPTIONS] LOG...\n"
	      "       lockhound cc|c++ COMPILER-ARGS...   (also lockhound-cc, lockhound-c++)\n"
	      "       lockhound --version | --help\n"
	      "\n"
	      "run      runs PROG with the lockhound shim preloaded, then prints a report of\n"
	      "         lock-order cycles (potential deadlocks), deadlocks, misuse and data\n"
	      "         races to stderr; --json, --sarif, --html write it to files too.\n"
	      "         Exits with PROG's status, or with N (default 66) if there are findings.\n"
	      "report   analyzes logs written by the shim (lockhound.PID.log) as text, json,\n"
	      "         sarif, dot or html.\n"
	      "cc, c++  the C/C++ compiler ($CC/$CXX, default cc/c++) with thread-sanitizer\n"
	      "         instrumentation, linked against lockhound's runtime: the program\n"
	      "         finds data races too, and run on its own prints its findings at\n"
	      "         exit and exits with 66 (option exitcode) if there are any.\n"
	      "\n"
	      "lockhound run --help and lockhound report --help list their options;\n"
	      "man lockhound has everything (suppressions, baselines, formats, exit codes).\n"
	      "\n"
	      "Shim options (LOCKHOUND_OPTIONS, or --options for run): name=value pairs\n"
	      "separated by ':' : log_dir, log_prefix, exitcode, stack_depth, quiet,\n"
	      "watchdog, deadlock_grace_ms, deadlock_exit, races, race_source,\n"
	      "race_hits_per_sec, race_budget, race_stats, heap_guards, heap_dense,\n"
	      "exit_report, builtin_mutex, suppressions.\n",
	      out);
}
