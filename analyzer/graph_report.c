/*
 * graph_report.c - the lock-order graph in graphviz's DOT language
 * (report.h: rp_view_dot).
 *
 * The whole graph of every log: one cluster per process, a node per lock
 * that some recorded lock order names, one edge per distinct (held,
 * acquired) pair with the number of contexts recorded for it.  The locks
 * and edges of every reported lock-order cycle (after suppressions and the
 * baseline) are drawn in RP_CYCLE_COLOUR and labelled with the finding's
 * id.  A graph with more than RP_DOT_MAX_EDGES distinct edges per log is
 * cut there: the cycles' edges are always drawn, the rest up to the
 * limit, and the graph's label says how many were left out.
 *
 * The HTML report (rp_view_html): one self-contained page, no script, no
 * request of any kind (a Content-Security-Policy of default-src 'none'
 * says so to the browser): the summary, the lock-order graph as inline
 * SVG (the DOT above laid out by graphviz's dot -Tsvg, run with a timeout
 * of RP_DOT_TIMEOUT_MS; without dot, the page says so and shows the DOT
 * text), then every finding with its stacks in <details> elements and,
 * for each frame whose source file is a regular file under the source
 * root of at most RP_HTML_MAX_SOURCE_BYTES, RP_HTML_CONTEXT_LINES lines
 * around the line (at most RP_HTML_MAX_SNIPPETS snippets a page).  No
 * other file is read: a path in the debug info outside the source root
 * (a planted log could name any file) gets no snippet.  Every string is
 * escaped for HTML.
 */
#include "report.h"
#include "report_int.h"
#include "xalloc.h"

#include "symbolize.h"
#include "suppress.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define uthash_fatal(msg) xalloc_die(0) /* xalloc.h's policy */
#include <uthash.h>

/* distinct edges drawn per log */
#define RP_DOT_MAX_EDGES 2000
#define RP_CYCLE_COLOUR "#d62728" /* the graph's only: the page uses it nowhere else */
/* the HTML report's bounds */
#define RP_DOT_TIMEOUT_MS 30000
#define RP_HTML_MAX_SVG_BYTES (32u << 20)
#define RP_HTML_MAX_SOURCE_BYTES (4u << 20)
#define RP_HTML_MAX_SNIPPETS 400
#define RP_HTML_CONTEXT_LINES 3

struct g_edge {
	uint64_t key[2]; /* from, to */
	size_t n_ctx;
	char *cycles; /* "F1 F3", NULL if in no reported cycle */
	UT_hash_handle hh;
};

struct g_node {
	uint64_t id;
	int in_cycle;
	UT_hash_handle hh;
};

/* a DOT string: quotes, backslashes and control characters escaped,
 * bytes of no valid UTF-8 sequence as \xNN (as rp_put does) */
static void dot_str(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\\\x%02x", *p);
		else if (*p >= 0x80)
			fprintf(out, "\\\\x%02x", *p); /* graphviz wants UTF-8; keep it plain */
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static struct g_node *node(struct g_node **set, uint64_t id)
{
	struct g_node *n;

	HASH_FIND(hh, *set, &id, sizeof(id), n);
	if (!n) {
		n = xcalloc(1, sizeof(*n));
		n->id = id;
		HASH_ADD(hh, *set, id, sizeof(n->id), n);
	}
	return n;
}

static struct g_edge *edge(struct g_edge **set, uint64_t from, uint64_t to, int add)
{
	struct g_edge *e;
	uint64_t k[2] = { from, to };

	HASH_FIND(hh, *set, k, sizeof(k), e);
	if (!e && add) {
		e = xcalloc(1, sizeof(*e));
		e->key[0] = from;
		e->key[1] = to;
		HASH_ADD(hh, *set, key, sizeof(e->key), e);
	}
	return e;
}

static void add_cycle_label(struct g_edge *e, const char *fid)
{
	size_t n = e->cycles ? strlen(e->cycles) : 0;

	if (e->cycles && strstr(e->cycles, fid))
		return;
	e->cycles = xrealloc(e->cycles, n + strlen(fid) + 2);
	sprintf(e->cycles + n, "%s%s", n ? " " : "", fid);
}

static int cmp_edge(const void *a, const void *b)
{
	const struct g_edge *x = *(struct g_edge *const *)a, *y = *(struct g_edge *const *)b;

	if (!!x->cycles != !!y->cycles)
		return x->cycles ? -1 : 1; /* the cycles' edges first: never cut */
	if (x->key[0] != y->key[0])
		return x->key[0] < y->key[0] ? -1 : 1;
	if (x->key[1] != y->key[1])
		return x->key[1] < y->key[1] ? -1 : 1;
	return 0;
}

static void dot_log(FILE *out, struct rp *r, size_t li, int clustered)
{
	const struct rp_input *in = rp_view_input(r);
	const struct lr_log *log = in->logs[li];
	struct g_edge *edges = NULL, *e, *te, **sorted;
	struct g_node *nodes = NULL, *n, *tn;
	size_t i, j, n_edges, n_drawn;
	char buf[600], fid[32];

	for (i = 0; i < log->n_edges; i++) {
		e = edge(&edges, log->edges[i].from, log->edges[i].to, 1);
		e->n_ctx++;
	}
	for (i = 0; i < in->res->n; i++) {
		const struct fd_finding *f = &in->res->f[i];
		if (f->kind != FD_CYCLE || f->log != log)
			continue;
		snprintf(fid, sizeof(fid), "F%zu", i + 1);
		for (j = 0; j < f->n; j++) {
			e = edge(&edges, f->edges[j]->from, f->edges[j]->to, 1);
			add_cycle_label(e, fid);
			node(&nodes, e->key[0])->in_cycle = 1;
			node(&nodes, e->key[1])->in_cycle = 1;
		}
	}
	n_edges = HASH_COUNT(edges);
	sorted = xcalloc(n_edges ? n_edges : 1, sizeof(*sorted));
	i = 0;
	HASH_ITER(hh, edges, e, te)
	sorted[i++] = e;
	qsort(sorted, n_edges, sizeof(*sorted), cmp_edge);
	/* sorted: the cycles' edges first, so the cut never drops one */
	for (n_drawn = 0; n_drawn < n_edges; n_drawn++) {
		if (!sorted[n_drawn]->cycles && n_drawn >= RP_DOT_MAX_EDGES)
			break;
		node(&nodes, sorted[n_drawn]->key[0]);
		node(&nodes, sorted[n_drawn]->key[1]);
	}

	if (clustered) {
		fprintf(out, "  subgraph cluster_p%zu {\n    label=", li);
		snprintf(buf, sizeof(buf), "pid %u %s", log->hdr.pid, log->exe ? log->exe : "");
		dot_str(out, buf);
		fprintf(out, ";\n");
	}
	if (n_drawn < n_edges) {
		snprintf(buf, sizeof(buf), "%zu of %zu lock orders drawn (RP_DOT_MAX_EDGES)", n_drawn, n_edges);
		fprintf(out, "    %s", clustered ? "" : "label=");
		if (clustered) {
			fprintf(out, "p%zu_cut [shape=note, label=", li);
			dot_str(out, buf);
			fprintf(out, "];\n");
		} else {
			dot_str(out, buf);
			fprintf(out, ";\n");
		}
	}
	{
		/* nodes in id order: the output is deterministic */
		size_t nn = HASH_COUNT(nodes), k = 0;
		struct g_node **nv = xcalloc(nn ? nn : 1, sizeof(*nv));
		HASH_ITER(hh, nodes, n, tn)
		nv[k++] = n;
		for (i = 1; i < nn; i++)
			for (j = i; j > 0 && nv[j - 1]->id > nv[j]->id; j--) {
				struct g_node *t = nv[j];
				nv[j] = nv[j - 1];
				nv[j - 1] = t;
			}
		for (i = 0; i < nn; i++) {
			rp_lock_name(r, log, nv[i]->id, buf, sizeof(buf));
			fprintf(out, "    p%zu_L%llu [label=", li, (unsigned long long)nv[i]->id);
			dot_str(out, buf);
			if (nv[i]->in_cycle)
				fprintf(out, ", class=\"cycle\", color=\"" RP_CYCLE_COLOUR "\", penwidth=2.5, "
				             "style=\"rounded,filled\", fillcolor=\"#fde0dd\"");
			fprintf(out, "];\n");
		}
		free(nv);
	}
	for (i = 0; i < n_drawn; i++) {
		e = sorted[i];
		fprintf(out, "    p%zu_L%llu -> p%zu_L%llu [", li, (unsigned long long)e->key[0], li,
		        (unsigned long long)e->key[1]);
		if (e->cycles) {
			snprintf(buf, sizeof(buf), "%s (%zu)", e->cycles, e->n_ctx);
			fprintf(out, "label=");
			dot_str(out, buf);
			fprintf(out, ", class=\"cycle\", color=\"" RP_CYCLE_COLOUR "\", fontcolor=\"" RP_CYCLE_COLOUR
			             "\", penwidth=3");
		} else {
			snprintf(buf, sizeof(buf), "%zu", e->n_ctx);
			fprintf(out, "label=");
			dot_str(out, buf);
			fprintf(out, ", color=\"#555555\"");
		}
		fprintf(out, "];\n");
	}
	if (clustered)
		fprintf(out, "  }\n");
	free(sorted);
	HASH_ITER(hh, edges, e, te)
	{
		HASH_DEL(edges, e);
		free(e->cycles);
		free(e);
	}
	HASH_ITER(hh, nodes, n, tn)
	{
		HASH_DEL(nodes, n);
		free(n);
	}
}

int rp_view_dot(FILE *out, struct rp *r)
{
	const struct rp_input *in = rp_view_input(r);
	size_t i;

	fprintf(out, "// lockhound %s: the lock-order graph (an edge A -> B: a thread acquired B\n"
	             "// while holding A; its label: contexts recorded); reported cycles in red\n",
	        LOCKHOUND_VERSION);
	fprintf(out, "digraph lockhound {\n  rankdir=LR;\n  node [shape=box, style=rounded, "
	             "fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n");
	for (i = 0; i < in->n_logs; i++)
		dot_log(out, r, i, in->n_logs > 1);
	fprintf(out, "}\n");
	return ferror(out) ? -1 : 0;
}


/* ------------------------------------------------------------------ HTML */

/* text for HTML: & < > " ' as entities, control characters and bytes of
 * no valid UTF-8 sequence as a visible \xNN */
static void h_text(FILE *out, const char *str, int keep_tabs)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	while (*s) {
		size_t n = rp_utf8_len(s);
		if (n > 1) {
			if (s[0] == 0xc2 && s[1] < 0xa0) /* C1 controls */
				fprintf(out, "\\x%02x\\x%02x", s[0], s[1]);
			else
				fwrite(s, 1, n, out);
			s += n;
			continue;
		}
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			if (*s == '\t' && keep_tabs)
				fputc('\t', out);
			else if (*s < 0x20 || *s >= 0x7f)
				fprintf(out, "\\x%02x", *s);
			else
				fputc(*s, out);
		}
		s++;
	}
}

static void h(FILE *out, const char *str)
{
	h_text(out, str, 0);
}

struct html {
	struct rp *r;
	FILE *out;
	const struct lr_log *log;
	const struct fd_finding *f;
	size_t n_snippets;
	int snippets_capped;
};

/* the file a frame names, if it may be read for a snippet: a regular
 * file under the source root, not too big */
static int source_path(struct html *hx, const char *file, char *full, size_t len)
{
	const char *root = rp_source_root(hx->r);
	char rel[PATH_MAX], real[PATH_MAX];
	struct stat st;
	size_t n;

	if (!root || !file || !rp_rel_path(hx->r, file, rel, sizeof(rel)))
		return 0;
	if ((size_t)snprintf(full, len, "%s/%s", strcmp(root, "/") ? root : "", rel) >= len)
		return 0;
	/* through symlinks too: what is read must be under the root */
	if (!realpath(full, real))
		return 0;
	n = strlen(root);
	if (strcmp(root, "/") && (strncmp(real, root, n) || real[n] != '/'))
		return 0;
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)RP_HTML_MAX_SOURCE_BYTES)
		return 0;
	snprintf(full, len, "%s", real);
	return 1;
}

static void snippet(struct html *hx, const struct sym_frame *fr)
{
	char path[PATH_MAX], *buf = NULL;
	int fd, ln = 1;
	struct stat st;
	size_t got = 0;
	const char *p, *end;

	if (!fr->file || fr->line <= 0 || !source_path(hx, fr->file, path, sizeof(path)))
		return;
	if (hx->n_snippets >= RP_HTML_MAX_SNIPPETS) {
		hx->snippets_capped = 1;
		return;
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= (off_t)RP_HTML_MAX_SOURCE_BYTES) {
		buf = xmalloc((size_t)st.st_size + 1);
		while (got < (size_t)st.st_size) {
			ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		buf[got] = 0;
	}
	close(fd);
	if (!buf)
		return;
	hx->n_snippets++;
	fputs("<pre class=\"src\">", hx->out);
	for (p = buf, end = buf + got; p < end && ln <= fr->line + RP_HTML_CONTEXT_LINES; ln++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (ln >= fr->line - RP_HTML_CONTEXT_LINES) {
			char *line = xmalloc(n + 1);
			memcpy(line, p, n);
			line[n] = 0;
			/* a NUL inside the line ends it: shown up to there */
			fprintf(hx->out, "<span class=\"%s\"><span class=\"ln\">%5d</span> ",
			        ln == fr->line ? "hit" : "ctx", ln);
			h_text(hx->out, line, 1);
			fputs("</span>", hx->out);
			free(line);
		}
		p = nl ? nl + 1 : end;
	}
	fputs("</pre>", hx->out);
	free(buf);
}

static void html_frame(struct html *hx, const struct sym_frame *fr, size_t i)
{
	char rel[PATH_MAX];
	const char *shown = fr->file ? rp_rel_path(hx->r, fr->file, rel, sizeof(rel)) : NULL;

	fprintf(hx->out, "<li><span class=\"fno\">#%zu</span> <code class=\"fn\">", i);
	if (fr->function)
		h(hx->out, fr->function);
	else
		fprintf(hx->out, "0x%llx", (unsigned long long)fr->pc);
	fputs("</code>", hx->out);
	if (fr->file) {
		fputs(" <span class=\"loc\">", hx->out);
		h(hx->out, shown ? shown : fr->file);
		fprintf(hx->out, ":%d</span>", fr->line);
	}
	if (fr->module && (!fr->file || !fr->function)) {
		const char *b = strrchr(fr->module, '/');
		fputs(" <span class=\"mod\">(", hx->out);
		h(hx->out, b ? b + 1 : fr->module);
		fprintf(hx->out, "+0x%llx)</span>", (unsigned long long)fr->offset);
	}
	if (fr->inlined)
		fputs(" <span class=\"mod\">[inlined]</span>", hx->out);
	snippet(hx, fr);
	fputs("</li>\n", hx->out);
}

static const char *role_text(const struct rp_fstack *s, char *buf, size_t len, const struct fd_finding *f)
{
	char la[32], lb[32];

	rp_lock_label(f, s->lock_a, la, sizeof(la));
	rp_lock_label(f, s->lock_b, lb, sizeof(lb));
	switch (s->role) {
	case RP_HELD:
		snprintf(buf, len, "T%u acquires %s first, at", s->thread, la);
		break;
	case RP_ACQUIRED:
		snprintf(buf, len, "T%u acquires %s while holding %s, at", s->thread, lb, la);
		break;
	case RP_WAITS:
		snprintf(buf, len, "T%u waits for %s, blocked at", s->thread, la);
		break;
	case RP_HOLDS:
		snprintf(buf, len, "T%u holds %s, acquired at", s->thread, la);
		break;
	case RP_JOINS:
		snprintf(buf, len, "T%u waits in join, blocked at", s->thread);
		break;
	case RP_AT:
		snprintf(buf, len, "T%u makes the call at", s->thread);
		break;
	case RP_ACCESS:
		snprintf(buf, len, "pair %zu: T%u %s at", s->flow + 1, s->thread, s->write ? "writes" : "reads");
		break;
	case RP_ALLOC:
		snprintf(buf, len, "the block was allocated by T%u at", s->thread);
		break;
	}
	return buf;
}

static void html_stack(void *arg, const struct rp_fstack *s)
{
	struct html *hx = arg;
	size_t n, shown, i;
	const struct sym_frame *fr = rp_frames(hx->r, hx->log, s->stack_id, &n, &shown);
	char buf[200];

	fprintf(hx->out, "<details class=\"stack\" open><summary>");
	h(hx->out, role_text(s, buf, sizeof(buf), hx->f));
	if (shown && fr[0].function) {
		fputs(" <code>", hx->out);
		h(hx->out, fr[0].function);
		fputs("</code>", hx->out);
	}
	fputs("</summary><ol class=\"frames\">\n", hx->out);
	if (!shown)
		fputs("<li>(no stack recorded)</li>\n", hx->out);
	for (i = 0; i < shown; i++)
		html_frame(hx, &fr[i], i);
	fputs("</ol></details>\n", hx->out);
}

/* dot -Tsvg on the graph, with a timeout; the SVG (from "<svg"), or NULL
 * with why */
static char *layout_svg(struct rp *r, char *why, size_t whylen)
{
	char dir[] = "/tmp/lockhound-html.XXXXXX", dotp[64], svgp[64];
	char *argv[] = { "dot", "-Tsvg", "-o", svgp, dotp, NULL };
	posix_spawn_file_actions_t fa;
	char *svg = NULL, *start;
	FILE *f;
	pid_t pid;
	int st = 0, waited = 0;
	struct stat sb;

	if (!mkdtemp(dir)) {
		snprintf(why, whylen, "cannot create a temporary directory: %s", strerror(errno));
		return NULL;
	}
	snprintf(dotp, sizeof(dotp), "%s/g.dot", dir);
	snprintf(svgp, sizeof(svgp), "%s/g.svg", dir);
	f = fopen(dotp, "w");
	if (!f) {
		snprintf(why, whylen, "cannot write %s: %s", dotp, strerror(errno));
		rmdir(dir);
		return NULL;
	}
	rp_view_dot(f, r);
	fclose(f);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "dot", &fa, NULL, argv, environ) != 0) {
		snprintf(why, whylen, "graphviz's dot was not found (install graphviz)");
		pid = -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	while (pid > 0) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (waited >= RP_DOT_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			snprintf(why, whylen, "dot took longer than %d ms (RP_DOT_TIMEOUT_MS)", RP_DOT_TIMEOUT_MS);
			pid = -1;
			break;
		}
		nanosleep(&ts, NULL);
		waited += 10;
	}
	if (pid > 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
		snprintf(why, whylen, "dot failed (status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	else if (pid > 0 && stat(svgp, &sb) == 0 && S_ISREG(sb.st_mode) &&
	         sb.st_size <= (off_t)RP_HTML_MAX_SVG_BYTES && (f = fopen(svgp, "r"))) {
		size_t n;
		svg = xmalloc((size_t)sb.st_size + 1);
		n = fread(svg, 1, (size_t)sb.st_size, f);
		svg[n] = 0;
		fclose(f);
		start = strstr(svg, "<svg");
		if (!start) {
			snprintf(why, whylen, "dot wrote no SVG");
			free(svg);
			svg = NULL;
		} else {
			memmove(svg, start, strlen(start) + 1);
		}
	} else if (pid > 0) {
		snprintf(why, whylen, "dot's SVG is missing or larger than %u bytes", RP_HTML_MAX_SVG_BYTES);
	}
	unlink(dotp);
	unlink(svgp);
	rmdir(dir);
	return svg;
}

static const char html_css[] =
	"body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:70em;color:#222;"
	"background:#fafafa}h1{font-size:1.5em;margin-bottom:.2em}"
	"h2{font-size:1.15em;margin:.2em 0}.summary{font-size:1.05em}"
	".note{color:#8a5a00;background:#fff6e0;padding:.3em .6em;border-radius:4px;margin:.3em 0}"
	".graph{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5em;overflow:auto}"
	".graph svg{max-width:100%;height:auto}"
	".finding{background:#fff;border:1px solid #ddd;border-left:6px solid #7a5195;"
	"border-radius:6px;padding:.6em 1em;margin:1em 0}"
	".finding.deadlock{border-left-color:#000}.finding.misuse{border-left-color:#ef8f00}"
	".finding.data-race{border-left-color:#1f77b4}.kind{font-family:monospace;color:#555}"
	".fp{font-family:monospace;color:#888;font-size:.85em}"
	"details.stack{margin:.3em 0 .3em 1em}summary{cursor:pointer}"
	"ol.frames{list-style:none;padding-left:1em;margin:.2em 0}"
	"code.fn{font-weight:600}.loc{color:#555}.mod{color:#888}.fno{color:#999}"
	"pre.src{background:#f3f3f3;border-radius:4px;padding:.3em .5em;margin:.2em 0 .5em;"
	"font-size:.85em;overflow:auto}pre.src>span{display:block;min-height:1em}pre.src .hit{background:#fff2a8}"
	"pre.src .ln{color:#999}pre.dot{font-size:.8em}";

int rp_view_html(FILE *out, struct rp *r)
{
	const struct rp_input *in = rp_view_input(r);
	struct html hx;
	char sum[256], title[2048], fp[RP_FINGERPRINT_LEN + 1], rule[96], why[256] = "";
	char *svg;
	size_t i, k, n_races = 0, n_edges = 0;

	memset(&hx, 0, sizeof(hx));
	hx.r = r;
	hx.out = out;
	for (i = 0; i < in->n_logs; i++)
		n_edges += in->logs[i]->n_edges;
	rp_summary(sum, sizeof(sum), in->res);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"generator\" content=\"lockhound " LOCKHOUND_VERSION "\">\n"
	      "<title>lockhound report</title>\n<style>",
	      out);
	fputs(html_css, out);
	fputs("</style></head><body>\n<h1>lockhound report</h1>\n<p class=\"summary\" id=\"summary\">", out);
	h(out, sum);
	fprintf(out, " &middot; %zu process%s, %zu lock order%s recorded</p>\n", in->n_logs,
	        in->n_logs == 1 ? "" : "es", n_edges, n_edges == 1 ? "" : "s");
	for (i = 0; i < in->n_logs; i++) {
		const struct lr_log *l = in->logs[i];
		for (k = 0; k < l->n_errors; k++) {
			fputs("<p class=\"note\">error: ", out);
			h(out, l->path);
			fputs(": ", out);
			h(out, l->errors[k]);
			fputs("</p>\n", out);
		}
		for (k = 0; k < l->n_notes; k++) {
			fprintf(out, "<p class=\"note\">note: pid %u: ", l->hdr.pid);
			h(out, l->notes[k]);
			fputs("</p>\n", out);
		}
	}
	if (rp_may_be_incomplete(in))
		fputs("<p class=\"note\" id=\"incomplete\">A limit was reached or a log could not be read in "
		      "full: this report may be incomplete.</p>\n",
		      out);
	{
		json_t *fo = rp_view_filter_json(r);
		if (fo) {
			json_t *n = json_object_get(fo, "suppressed"), *b = json_object_get(fo, "in_baseline");
			fputs("<p class=\"note\" id=\"filtered\">", out);
			if (n)
				fprintf(out, "%lld finding(s) suppressed. ", (long long)json_integer_value(n));
			if (b)
				fprintf(out, "%lld finding(s) already in the baseline, not shown.",
				        (long long)json_integer_value(b));
			fputs("</p>\n", out);
			json_decref(fo);
		}
	}

	fputs("<h2>Lock-order graph</h2>\n<p>An arrow A &rarr; B: a thread acquired B while holding A "
	      "(label: contexts recorded). Reported cycles are drawn in red, labelled with their "
	      "finding.</p>\n<div class=\"graph\" id=\"graph\">\n",
	      out);
	svg = layout_svg(r, why, sizeof(why));
	if (svg) {
		fputs(svg, out);
		free(svg);
	} else {
		fputs("<p class=\"note\">The graph is not drawn: ", out);
		h(out, why);
		fputs(". Its DOT text:</p><pre class=\"dot\">", out);
		{
			char *buf = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&buf, &len);
			if (m) {
				rp_view_dot(m, r);
				fclose(m);
				h(out, buf);
				free(buf);
			}
		}
		fputs("</pre>", out);
	}
	fputs("</div>\n<h2>Findings</h2>\n", out);
	if (!in->res->n)
		fputs("<p>No findings.</p>\n", out);
	for (i = 0; i < in->res->n; i++) {
		const struct fd_finding *f = &in->res->f[i];
		char id[32];
		const char *cls = f->kind == FD_CYCLE ? "lock-order-cycle" : f->kind == FD_DEADLOCK ? "deadlock"
		                  : f->kind == FD_MISUSE                    ? "misuse"
		                                                            : "data-race";
		if (f->kind == FD_RACE)
			snprintf(id, sizeof(id), "R%zu", ++n_races);
		else
			snprintf(id, sizeof(id), "F%zu", i + 1);
		rp_finding_title(r, f, title, sizeof(title));
		rp_fingerprint(r, f, fp);
		fprintf(out, "<section class=\"finding %s\" id=\"%s\">\n<h2>%s <span class=\"kind\">", cls, id, id);
		h(out, rp_rule_id(f, rule, sizeof(rule)));
		fputs("</span></h2>\n<p>", out);
		h(out, title);
		fputs("</p>\n", out);
		if (in->n_logs > 1) {
			fprintf(out, "<p>Process %u (", f->log->hdr.pid);
			h(out, f->log->exe ? f->log->exe : "?");
			fputs(")</p>\n", out);
		}
		for (k = 0; k < f->n && f->kind != FD_RACE; k++) {
			char nm[300];
			rp_lock_name(r, f->log, f->locks[k], nm, sizeof(nm));
			fprintf(out, "<div class=\"lock\">M%zu: ", k + 1);
			h(out, nm);
			fputs("</div>\n", out);
		}
		hx.log = f->log;
		hx.f = f;
		rp_each_stack(f, html_stack, &hx);
		fprintf(out, "<p class=\"fp\">fingerprint %s</p>\n</section>\n", fp);
	}
	if (hx.snippets_capped)
		fprintf(out, "<p class=\"note\">Source snippets stop after %d (RP_HTML_MAX_SNIPPETS).</p>\n",
		        RP_HTML_MAX_SNIPPETS);
	fputs("</body></html>\n", out);
	return ferror(out) ? -1 : 0;
}
