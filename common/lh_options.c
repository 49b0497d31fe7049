/*
 * lh_options.c - parser for LOCKHOUND_OPTIONS (see lh_options.h).
 *
 * Runs inside the program under test (from the shim's constructor), so it
 * allocates nothing and never exits: errors come back as a message.
 */
#include "lh_options.h"
#include "lockhound_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lh_options_default(struct lh_options *o)
{
	memset(o, 0, sizeof(*o));
	strcpy(o->log_prefix, "lockhound");
	o->exitcode = 66;
	o->deadlock_grace_ms = 1000;
	o->deadlock_exit = 1;
	o->watchdog = 1;
	o->races = 1;
	o->builtin_mutex = 1;
	o->stack_depth = 32;
	o->quiet = 0;
	o->exit_report = 1;
	o->heap_guards = -1; /* race watching decides: GH_MAX_LIVE when it is on */
	o->heap_dense = 4; /* GH_SITE_DENSE_DEFAULT */
}

static int parse_int(const char *v, size_t len, long lo, long hi, int *out)
{
	char buf[32];
	char *end;
	long x;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, v, len);
	buf[len] = 0;
	errno = 0;
	x = strtol(buf, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -1;
	*out = (int)x;
	return 0;
}

static int parse_bool(const char *v, size_t len, int *out)
{
	if ((len == 1 && (v[0] == '1' || v[0] == '0'))) {
		*out = v[0] == '1';
		return 0;
	}
	if (len == 4 && !strncmp(v, "true", 4)) {
		*out = 1;
		return 0;
	}
	if (len == 5 && !strncmp(v, "false", 5)) {
		*out = 0;
		return 0;
	}
	return -1;
}

struct opt_desc {
	const char *name;
	enum { O_INT, O_BOOL, O_STR, O_CHOICE } type;
	size_t off;
	long lo, hi; /* O_INT range; O_STR: capacity in hi */
	const char *const *choices; /* O_CHOICE: the values, stored as their index */
};

static const char *const race_sources[] = { "auto", "hw", "wp", NULL }; /* enum lh_race_source */

#define OFF(f) offsetof(struct lh_options, f)
static const struct opt_desc opts[] = {
	{ "log_dir", O_STR, OFF(log_dir), 0, LH_PATH_MAX, NULL },
	{ "log_prefix", O_STR, OFF(log_prefix), 0, 64, NULL },
	{ "exitcode", O_INT, OFF(exitcode), 0, 255, NULL },
	{ "deadlock_grace_ms", O_INT, OFF(deadlock_grace_ms), 10, 3600000, NULL },
	{ "deadlock_exit", O_BOOL, OFF(deadlock_exit), 0, 0, NULL },
	{ "watchdog", O_BOOL, OFF(watchdog), 0, 0, NULL },
	{ "races", O_BOOL, OFF(races), 0, 0, NULL },
	{ "race_source", O_CHOICE, OFF(race_source), 0, 0, race_sources },
	{ "race_hits_per_sec", O_INT, OFF(race_hits_per_sec), 1, 1000000, NULL },
	{ "race_budget", O_INT, OFF(race_budget), 1, 1000, NULL },
	{ "race_stats", O_BOOL, OFF(race_stats), 0, 0, NULL },
	{ "stack_depth", O_INT, OFF(stack_depth), 1, LH_MAX_FRAMES, NULL },
	{ "quiet", O_BOOL, OFF(quiet), 0, 0, NULL },
	{ "exit_report", O_BOOL, OFF(exit_report), 0, 0, NULL },
	{ "heap_guards", O_INT, OFF(heap_guards), -1, 512 /* GH_MAX_LIVE */, NULL },
	{ "heap_dense", O_INT, OFF(heap_dense), 1, 1000000000, NULL },
	{ "builtin_mutex", O_BOOL, OFF(builtin_mutex), 0, 0, NULL },
	{ "suppressions", O_STR, OFF(suppressions), 0, LH_PATH_MAX, NULL },
};

/* parse into *o; keep: skip a bad pair and go on (returns how many were
 * skipped, the first one's message in err), else stop at the first (-1) */
static int parse_into(const char *s, struct lh_options *o, char *err, size_t errlen, int keep);

/* strict: a string with any bad option changes nothing (parsed into a copy) */
int lh_options_parse(const char *s, struct lh_options *o, char *err, size_t errlen)
{
	struct lh_options tmp = *o;

	if (!s)
		return 0;
	if (parse_into(s, &tmp, err, errlen, 0))
		return -1;
	*o = tmp;
	return 0;
}

int lh_options_parse_keep(const char *s, struct lh_options *o, char *err, size_t errlen)
{
	if (!s)
		return 0;
	return parse_into(s, o, err, errlen, 1);
}

static int parse_pair(const char *name, const char *end, struct lh_options *o, char *err,
                      size_t errlen);

static int parse_into(const char *s, struct lh_options *o, char *err, size_t errlen, int keep)
{
	const char *p = s;
	int bad = 0;

	while (*p) {
		const char *name;
		char first[256];

		while (*p == ':' || *p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		name = p;
		while (*p && *p != ':' && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (parse_pair(name, p, o, bad ? first : err, bad ? sizeof(first) : errlen) == 0)
			continue;
		if (!keep)
			return -1;
		bad++;
	}
	return bad;
}

/* one name=value pair, [name, end) */
static int parse_pair(const char *name, const char *end, struct lh_options *o, char *err,
                      size_t errlen)
{
	const char *eq, *val;
	size_t nlen, vlen, i;

	eq = memchr(name, '=', (size_t)(end - name));
	if (!eq) {
		snprintf(err, errlen, "option '%.*s' has no value (expected name=value)",
		         (int)(end - name), name);
		return -1;
	}
	nlen = (size_t)(eq - name);
	val = eq + 1;
	vlen = (size_t)(end - val);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strlen(opts[i].name) == nlen && !strncmp(opts[i].name, name, nlen))
			break;
	if (i == sizeof(opts) / sizeof(opts[0])) {
		snprintf(err, errlen, "unknown option '%.*s'", (int)nlen, name);
		return -1;
	}
	switch (opts[i].type) {
	case O_INT:
		if (parse_int(val, vlen, opts[i].lo, opts[i].hi,
		              (int *)((char *)o + opts[i].off))) {
			snprintf(err, errlen, "option %s: '%.*s' is not a number in %ld..%ld",
			         opts[i].name, (int)vlen, val, opts[i].lo, opts[i].hi);
			return -1;
		}
		break;
	case O_BOOL:
		if (parse_bool(val, vlen, (int *)((char *)o + opts[i].off))) {
			snprintf(err, errlen, "option %s: '%.*s' is not 0, 1, true or false",
			         opts[i].name, (int)vlen, val);
			return -1;
		}
		break;
	case O_STR:
		if (vlen >= (size_t)opts[i].hi) {
			snprintf(err, errlen, "option %s: value too long", opts[i].name);
			return -1;
		}
		if (!strcmp(opts[i].name, "log_prefix") &&
		    (vlen == 0 || memchr(val, '/', vlen) || (val[0] == '.' && vlen <= 2))) {
			snprintf(err, errlen, "option log_prefix: must be a non-empty file name without '/'");
			return -1;
		}
		memcpy((char *)o + opts[i].off, val, vlen);
		((char *)o + opts[i].off)[vlen] = 0;
		break;
	case O_CHOICE: {
		size_t k;
		for (k = 0; opts[i].choices[k]; k++)
			if (strlen(opts[i].choices[k]) == vlen &&
			    !strncmp(opts[i].choices[k], val, vlen))
				break;
		if (!opts[i].choices[k]) {
			int n = snprintf(err, errlen, "option %s: '%.*s' is not one of", opts[i].name,
			                 (int)vlen, val);
			for (k = 0; opts[i].choices[k] && n >= 0 && (size_t)n < errlen; k++)
				n += snprintf(err + n, errlen - (size_t)n, "%s %s", k ? "," : "",
				              opts[i].choices[k]);
			return -1;
		}
		*(int *)((char *)o + opts[i].off) = (int)k;
		break;
	}
	}
	return 0;
}
