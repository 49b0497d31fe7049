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
	o->stack_depth = 32;
	o->quiet = 0;
	o->exit_report = 1;
	o->heap_guards = 0;
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
	enum { O_INT, O_BOOL, O_STR } type;
	size_t off;
	long lo, hi; /* O_INT range; O_STR: capacity in hi */
};

#define OFF(f) offsetof(struct lh_options, f)
static const struct opt_desc opts[] = {
	{ "log_dir", O_STR, OFF(log_dir), 0, LH_PATH_MAX },
	{ "log_prefix", O_STR, OFF(log_prefix), 0, 64 },
	{ "exitcode", O_INT, OFF(exitcode), 0, 255 },
	{ "deadlock_grace_ms", O_INT, OFF(deadlock_grace_ms), 10, 3600000 },
	{ "deadlock_exit", O_BOOL, OFF(deadlock_exit), 0, 0 },
	{ "watchdog", O_BOOL, OFF(watchdog), 0, 0 },
	{ "races", O_BOOL, OFF(races), 0, 0 },
	{ "stack_depth", O_INT, OFF(stack_depth), 1, LH_MAX_FRAMES },
	{ "quiet", O_BOOL, OFF(quiet), 0, 0 },
	{ "exit_report", O_BOOL, OFF(exit_report), 0, 0 },
	{ "heap_guards", O_INT, OFF(heap_guards), 0, 512 /* GH_MAX_LIVE */ },
	{ "heap_dense", O_INT, OFF(heap_dense), 1, 1000000000 },
};

/* parse into a copy: a string with any bad option changes nothing */
static int parse_into(const char *s, struct lh_options *o, char *err, size_t errlen);

int lh_options_parse(const char *s, struct lh_options *o, char *err, size_t errlen)
{
	struct lh_options tmp = *o;

	if (!s)
		return 0;
	if (parse_into(s, &tmp, err, errlen))
		return -1;
	*o = tmp;
	return 0;
}

static int parse_into(const char *s, struct lh_options *o, char *err, size_t errlen)
{
	const char *p = s;

	while (*p) {
		const char *name, *eq, *val, *end;
		size_t nlen, vlen, i;

		while (*p == ':' || *p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		name = p;
		while (*p && *p != ':' && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		end = p;
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
		}
	}
	return 0;
}
