/*
 * lh_options.h - LOCKHOUND_OPTIONS, parsed the same way by the shim and by
 * `lockhound run` (which checks them before it starts the program), so an
 * option has one spelling everywhere.
 *
 * Syntax: name=value pairs separated by ':' or whitespace, like the
 * sanitizers' options.  A value cannot contain ':' or whitespace.
 */
#ifndef LOCKHOUND_OPTIONS_H
#define LOCKHOUND_OPTIONS_H

#include <stddef.h>

#define LH_PATH_MAX 4096

struct lh_options {
	char log_dir[LH_PATH_MAX]; /* where logs go; "" = current directory */
	char log_prefix[64];       /* file name prefix, default "lockhound" */
	int exitcode;              /* exit status when findings exist (66) */
	int deadlock_grace_ms;     /* how long a wait-for cycle must persist */
	int deadlock_exit;         /* 1: end the process after a live deadlock */
	int watchdog;              /* 1: live deadlock watchdog on */
	int races;                 /* 1: sampled race watching on (preloaded programs;
	                            * exact mode always checks) */
	int race_source;           /* enum lh_race_source: the trap sources it may use */
	int race_hits_per_sec;     /* its hits-per-second budget; 0 = the core's default
	                            * (WT_DEFAULT_HITS_SEC) */
	int race_budget;           /* per mille of the program's time race watching may
	                            * spend (traps, holds, arming); 0 = the core's
	                            * default (WT_DEFAULT_COST_PERMILLE) */
	int race_stats;            /* 1: a note at exit of where race watching's windows
	                            * went (the hardware-watchpoint core's counters) */
	int builtin_mutex;         /* 1: the mutex and spinlock wrappers lock and unlock a
	                            * free plain mutex or spinlock themselves, as glibc does
	                            * (preload/glibc_mutex.h), when the start-up self-checks
	                            * pass; 0: always glibc */
	int stack_depth;           /* frames kept per stack, <= LH_MAX_FRAMES */
	int quiet;                 /* 1: the shim prints nothing but warnings */
	int exit_report;           /* 1: a program linked with the shim (lockhound cc)
	                            * reports at exit (preload/exitreport.c) */
	int heap_guards;           /* sampled heap blocks on pages of their own at
	                            * once (preload/gheap.h, at most GH_MAX_LIVE);
	                            * 0: none; -1 (the default): GH_MAX_LIVE when
	                            * sampled race watching is on, else none */
	int heap_dense;            /* looks at an allocation site that are all
	                            * sampled before it is thinned out */
	char suppressions[LH_PATH_MAX]; /* the analyzer's suppressions file ("" none;
	                                 * the shim only checks the spelling) */
};

enum lh_race_source {
	LH_RACE_SRC_AUTO = 0, /* every source that works here */
	LH_RACE_SRC_HW = 1,   /* hardware watchpoints only */
	LH_RACE_SRC_WP = 2,   /* userfaultfd write-protect only */
};

void lh_options_default(struct lh_options *o);

/* Parse `s` on top of the current values of *o.  Returns 0, or -1 with a
 * one-line message in err (naming the bad option). */
int lh_options_parse(const char *s, struct lh_options *o, char *err, size_t errlen);

/* The shim's reading of LOCKHOUND_OPTIONS: every good name=value pair
 * applies, a bad one (unknown name, bad value, no '=') is skipped.
 * Returns how many were skipped, with the first one's message in err
 * (the shim warns once and goes on with the rest: a misspelt option must
 * not cost the user log_dir). */
int lh_options_parse_keep(const char *s, struct lh_options *o, char *err, size_t errlen);

#endif
