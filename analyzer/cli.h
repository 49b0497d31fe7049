/*
 * cli.h - the command line of `lockhound run` and `lockhound report`.
 * Argument parsing is separate from doing, so unit tests can drive it.
 */
#ifndef LOCKHOUND_CLI_H
#define LOCKHOUND_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "lh_options.h"
#include "lockhound_log.h"

enum cli_format { CLI_TEXT, CLI_JSON, CLI_SARIF, CLI_DOT, CLI_HTML };

/* --suppressions may be given this many times */
#define CLI_MAX_SUPPRESSIONS 16

/* what run and report share: filtering and paths */
struct cli_filter_args {
	const char *suppressions[CLI_MAX_SUPPRESSIONS]; /* --suppressions FILE ... */
	int n_suppressions;
	const char *baseline;    /* --baseline OLD.json|OLD.sarif */
	const char *source_root; /* --source-root DIR (default: the current directory) */
};

struct cli_run_args {
	const char *json_path;  /* --json FILE */
	const char *sarif_path; /* --sarif FILE */
	const char *html_path;  /* --html FILE */
	struct cli_filter_args filt;
	int help;               /* --help: print run's usage */
	const char *log_dir;    /* --log-dir DIR: keep logs there */
	const char *options;    /* --options OPTS, added to LOCKHOUND_OPTIONS */
	int exitcode;           /* --exitcode N */
	char **prog_argv;       /* PROG ARGS..., NULL-terminated */
};

struct cli_report_args {
	enum cli_format format;
	struct cli_filter_args filt;
	int help; /* --help */
	const char *output; /* --output FILE, default stdout (json) / stderr (text) */
	int exitcode;
	char **logs;
	int n_logs;
};

/* Parse argv (argv[0] is "run" / "report").  Return 0, or -1 with a one-line
 * message in err. */
int cli_parse_run(int argc, char **argv, struct cli_run_args *a, char *err, size_t errlen);
int cli_parse_report(int argc, char **argv, struct cli_report_args *a, char *err, size_t errlen);

/* Why LD_PRELOAD cannot enter the program at `path`, or NULL if it can
 * (statically linked, setuid/setgid for someone else, not executable).
 * Writes into buf. */
const char *cli_preload_obstacle(const char *path, char *buf, size_t len);

/* DEBUGINFOD_URLS as lockhound was started with it (NULL if unset): main()
 * removes it from the analyzer's own environment, and every program
 * lockhound executes gets it back through cli_restore_env(). */
extern char *cli_debuginfod_urls;
void cli_restore_env(void);

/* the usage texts of lockhound, run and report */
void cli_usage(FILE *out);
void cli_usage_run(FILE *out);
void cli_usage_report(FILE *out);

int cli_run(int argc, char **argv);
int cli_report(int argc, char **argv);

/* ---- `lockhound cc` / `lockhound c++` (cc.c) ---- */

/* What a compiler command line does, as far as the driver cares. */
struct cc_step {
	int compile_only; /* -c, -S, -E, -M, -MM, -fsyntax-only */
	int link;         /* not compile-only and has an input: a link step */
	int shared;       /* -shared */
	int relocatable;  /* -r: a partial link, no runtime */
	int has_tsan;     /* the program already says -fsanitize=thread */
	int has_output;   /* -o given */
	int n_inputs;     /* input files (and "-") */
};

/* Classify compiler arguments (without the compiler's name), reading
 * response files. */
void cc_classify(int argc, char **argv, struct cc_step *st);
/* The command to run: the compiler's words, lockhound's additions (rtdir:
 * the runtime's directory, used on link steps), the arguments.  Writes at
 * most max entries including the final NULL into out; returns the count,
 * or -1 if out is too small.  Refers to static storage. */
int cc_build_argv(char **words, int n_words, int argc, char **argv, const struct cc_step *st,
                  int clang, const char *rtdir, char **out, int max);
/* argv[0] is "cc" or "c++"; execs the compiler, or returns an exit status
 * after a one-line error */
int cli_cc(int argc, char **argv, int cxx);

#endif
