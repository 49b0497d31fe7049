/*
 * suppress.c - suppressions and baselines (see suppress.h).
 */
#include "suppress.h"
#include "report.h"
#include "report_int.h"
#include "races.h"
#include "symbolize.h"
#include "xalloc.h"
#include "lh_misuse.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const kinds[] = { "lock-order-cycle", "deadlock", "misuse", "race", "*" };

/* "misuse/WHAT": one kind of misuse (WHAT a name of lh_misuse_table, as
 * in the JSON's what and SARIF's rule id); the misuse's value, else 0 */
static uint32_t misuse_what(const char *kind)
{
	uint32_t w;

	if (strncmp(kind, "misuse/", 7) != 0)
		return 0;
	for (w = 1; w < LH_MIS_COUNT_; w++)
		if (lh_misuse_table[w].name && !strcmp(kind + 7, lh_misuse_table[w].name))
			return w;
	return 0;
}

/* Read a whole regular file of at most max bytes (NUL-terminated).
 * Returns NULL with a message in err. */
static char *read_small(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if ((unsigned long long)st.st_size > max) {
		snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* shorter than fstat said: what was read */
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	*len = got;
	return buf;
}

static char *trim(char *s, char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = 0;
	return s;
}

int su_load(struct su_list *l, const char *path, char *err, size_t errlen)
{
	size_t len, k, first = l->n;
	char *buf = read_small(path, SU_MAX_FILE_BYTES, &len, err, errlen), *p, *nl;
	int line = 0;

	if (!buf)
		return -1;
	if (memchr(buf, 0, len)) {
		snprintf(err, errlen, "%s: contains a NUL byte: not a suppressions file", path);
		free(buf);
		return -1;
	}
	for (p = buf; p < buf + len; p = nl + 1) {
		char *colon, *kind, *pat;
		line++;
		nl = memchr(p, '\n', (size_t)(buf + len - p));
		if (!nl)
			nl = buf + len;
		if ((size_t)(nl - p) > SU_MAX_LINE_LEN) {
			snprintf(err, errlen, "%s:%d: line longer than %d characters", path, line,
			         SU_MAX_LINE_LEN);
			goto bad;
		}
		*nl = 0;
		kind = trim(p, nl);
		if (!*kind || *kind == '#')
			continue;
		colon = strchr(kind, ':');
		if (!colon) {
			snprintf(err, errlen, "%s:%d: '%.80s' is not KIND:PATTERN (KIND: lock-order-cycle, "
			         "deadlock, misuse, misuse/WHAT, race or *)", path, line, kind);
			goto bad;
		}
		pat = trim(colon + 1, colon + 1 + strlen(colon + 1));
		*colon = 0;
		kind = trim(kind, colon);
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (!strcmp(kind, kinds[k]))
				break;
		if (k == sizeof(kinds) / sizeof(kinds[0]) && !misuse_what(kind)) {
			snprintf(err, errlen, "%s:%d: unknown kind '%.80s' (expected lock-order-cycle, deadlock, "
			         "misuse, misuse/WHAT, race or *)", path, line, kind);
			goto bad;
		}
		if (!*pat) {
			snprintf(err, errlen, "%s:%d: empty pattern after '%s:' (use * to match everything)",
			         path, line, kind);
			goto bad;
		}
		l->e = xreallocarray(l->e, l->n + 1, sizeof(*l->e));
		l->e[l->n].file = xstrdup(path);
		l->e[l->n].line = line;
		l->e[l->n].kind = xstrdup(kind);
		l->e[l->n].pattern = xstrdup(pat);
		l->e[l->n].n_matched = 0;
		l->n++;
	}
	free(buf);
	return 0;
bad:
	free(buf);
	/* a bad file adds nothing */
	while (l->n > first) {
		l->n--;
		free(l->e[l->n].file);
		free(l->e[l->n].kind);
		free(l->e[l->n].pattern);
	}
	return -1;
}

void su_free(struct su_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->e[i].file);
		free(l->e[i].kind);
		free(l->e[i].pattern);
	}
	free(l->e);
	memset(l, 0, sizeof(*l));
}

static int kind_matches(const char *kind, const struct fd_finding *f)
{
	uint32_t what = misuse_what(kind);

	if (!strcmp(kind, "*"))
		return 1;
	if (what)
		return f->kind == FD_MISUSE && f->live && f->live->f.what == what;
	switch (f->kind) {
	case FD_CYCLE:
		return !strcmp(kind, "lock-order-cycle");
	case FD_DEADLOCK:
		return !strcmp(kind, "deadlock");
	case FD_MISUSE:
		return !strcmp(kind, "misuse");
	case FD_RACE:
		return !strcmp(kind, "race");
	}
	return 0;
}

static const char *base_name(const char *p)
{
	const char *b = p ? strrchr(p, '/') : NULL;
	return b ? b + 1 : p;
}

static int glob_hit(const char *pat, const char *s)
{
	return s && fnmatch(pat, s, 0) == 0;
}

struct match {
	struct rp *view;
	const struct lr_log *log;
	const char *pattern;
	int hit;
};

static void match_stack(void *arg, const struct rp_fstack *s)
{
	struct match *m = arg;
	size_t n, i;
	const struct sym_frame *fr;

	if (m->hit)
		return;
	fr = rp_frames(m->view, m->log, s->stack_id, &n, NULL);
	for (i = 0; i < n && !m->hit; i++)
		m->hit = glob_hit(m->pattern, fr[i].function) || glob_hit(m->pattern, fr[i].file) ||
		         glob_hit(m->pattern, base_name(fr[i].file)) || glob_hit(m->pattern, fr[i].module) ||
		         glob_hit(m->pattern, base_name(fr[i].module));
}

struct su_entry *su_match(struct su_list *l, struct rp *view, const struct fd_finding *f)
{
	size_t i;

	for (i = 0; l && i < l->n; i++) {
		struct match m = { view, f->log, l->e[i].pattern, 0 };
		if (!kind_matches(l->e[i].kind, f))
			continue;
		if (f->kind == FD_RACE && f->race->name && glob_hit(m.pattern, f->race->name))
			return &l->e[i];
		rp_each_stack(f, match_stack, &m);
		if (m.hit)
			return &l->e[i];
	}
	return NULL;
}

void su_text_summary(FILE *out, const struct su_list *l)
{
	size_t i, shown = 0;

	if (l->n_suppressed) {
		fprintf(out, "lockhound: %zu finding%s suppressed:", l->n_suppressed,
		        l->n_suppressed == 1 ? "" : "s");
		for (i = 0; i < l->n; i++) {
			if (!l->e[i].n_matched)
				continue;
			fprintf(out, "%s %zu by ", shown++ ? "," : "", l->e[i].n_matched);
			rp_put(out, l->e[i].file);
			fprintf(out, ":%d (", l->e[i].line);
			rp_put(out, l->e[i].kind);
			fputc(':', out);
			rp_put(out, l->e[i].pattern);
			fputc(')', out);
		}
		fputc('\n', out);
	}
	for (i = 0; i < l->n; i++) {
		if (l->e[i].n_matched)
			continue;
		fputs("lockhound: unused suppression ", out);
		rp_put(out, l->e[i].file);
		fprintf(out, ":%d: ", l->e[i].line);
		rp_put(out, l->e[i].kind);
		fputc(':', out);
		rp_put(out, l->e[i].pattern);
		fputs(" (it matched no finding; delete it if it is stale)\n", out);
	}
}

json_t *su_json(const struct su_list *l)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < l->n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "file", rp_json_str(l->e[i].file));
		json_object_set_new(o, "line", json_integer(l->e[i].line));
		json_object_set_new(o, "kind", rp_json_str(l->e[i].kind));
		json_object_set_new(o, "pattern", rp_json_str(l->e[i].pattern));
		json_object_set_new(o, "matched", json_integer((json_int_t)l->e[i].n_matched));
		json_array_append_new(a, o);
	}
	return a;
}

/* ---------------------------------------------------------------- baselines */

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void bl_add(struct bl_set *b, const char *fp)
{
	b->fp = xreallocarray(b->fp, b->n + 1, sizeof(*b->fp));
	b->fp[b->n++] = xstrdup(fp);
}

int bl_load(struct bl_set *b, const char *path, char *err, size_t errlen)
{
	size_t len, i, j, n_without = 0, n_results = 0;
	char *buf;
	json_t *doc, *findings, *runs;
	json_error_t je;

	memset(b, 0, sizeof(*b));
	buf = read_small(path, BL_MAX_FILE_BYTES, &len, err, errlen);
	if (!buf)
		return -1;
	json_set_alloc_funcs(xmalloc, free);
	doc = json_loadb(buf, len, 0, &je);
	free(buf);
	if (!doc) {
		snprintf(err, errlen, "%s:%d: not JSON: %s", path, je.line, je.text);
		return -1;
	}
	findings = json_object_get(doc, "findings");
	runs = json_object_get(doc, "runs");
	if (json_is_array(findings) && json_is_string(json_object_get(doc, "tool")) &&
	    !strcmp(json_string_value(json_object_get(doc, "tool")), "lockhound")) {
		for (i = 0; i < json_array_size(findings); i++) {
			json_t *fp = json_object_get(json_array_get(findings, i), "fingerprint");
			n_results++;
			if (json_is_string(fp))
				bl_add(b, json_string_value(fp));
			else
				n_without++;
		}
	} else if (json_is_array(runs)) {
		for (i = 0; i < json_array_size(runs); i++) {
			json_t *res = json_object_get(json_array_get(runs, i), "results");
			for (j = 0; j < json_array_size(res); j++) {
				json_t *pf = json_object_get(json_array_get(res, j), "partialFingerprints");
				json_t *fp = json_object_get(pf, "lockhound/v1");
				n_results++;
				if (json_is_string(fp))
					bl_add(b, json_string_value(fp));
				else
					n_without++;
			}
		}
	} else {
		snprintf(err, errlen, "%s: neither a lockhound JSON report nor a SARIF log", path);
		json_decref(doc);
		return -1;
	}
	json_decref(doc);
	if (n_without) {
		snprintf(err, errlen, "%s: %zu of %zu findings have no lockhound fingerprint (a report of "
		         "an older lockhound? write the baseline again)", path, n_without, n_results);
		bl_free(b);
		return -1;
	}
	if (b->n > 1)
		qsort(b->fp, b->n, sizeof(*b->fp), cmp_strp);
	return 0;
}

int bl_has(const struct bl_set *b, const char *fp)
{
	return b && b->n && bsearch(&fp, b->fp, b->n, sizeof(*b->fp), cmp_strp) != NULL;
}

void bl_free(struct bl_set *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->fp[i]);
	free(b->fp);
	memset(b, 0, sizeof(*b));
}

size_t su_filter(struct rp *view, struct fd_result *res, struct su_list *l, const struct bl_set *b,
                 size_t *n_baselined)
{
	struct fd_finding *kept, *out;
	size_t i, nk = 0, no = 0;

	*n_baselined = 0;
	if (!res->n)
		return 0;
	kept = xcalloc(res->n, sizeof(*kept));
	out = xcalloc(res->n, sizeof(*out));
	for (i = 0; i < res->n; i++) {
		const struct fd_finding *f = &res->f[i];
		/* suppressions first: a line that matches is not stale, even if
		 * the baseline has the finding too */
		struct su_entry *e = l ? su_match(l, view, f) : NULL;
		if (e) {
			e->n_matched++;
			l->n_suppressed++;
			out[no++] = *f;
			continue;
		}
		if (b) {
			char fp[RP_FINGERPRINT_LEN + 1];
			rp_fingerprint(view, f, fp);
			if (bl_has(b, fp)) {
				(*n_baselined)++;
				out[no++] = *f;
				continue;
			}
		}
		kept[nk++] = *f;
	}
	memcpy(res->f, kept, nk * sizeof(*kept));
	memcpy(res->f + nk, out, no * sizeof(*out));
	free(kept);
	free(out);
	return nk;
}
