/*
 * sarif.c - the SARIF 2.1.0 report (report.h: rp_view_sarif), for code
 * scanning services (docs/REFERENCE.md, "SARIF report").
 *
 * One run, one result per finding, from the same resolved view as the
 * text and JSON reports (same order, same ids in properties).  Each kind
 * has one rule with a stable id (rp_rule_id: lock-order-cycle, deadlock,
 * misuse/<what>, data-race); every rule is listed, so a ruleIndex means the
 * same in every report of this version.  A result points at its primary
 * frame (rp_primary_frame) and walks its stacks in codeFlows: a cycle is
 * one codeFlow with a threadFlow per edge (where the first lock was taken,
 * then where the second was), a race one codeFlow per pair of accesses
 * with a threadFlow per access, a deadlock or misuse one codeFlow with a
 * threadFlow per thread.  partialFingerprints carries rp_fingerprint, made
 * of code locations only.  Paths under the source root are relative to the
 * base id SRCROOT (originalUriBaseIds gives the root as a file URI); other
 * paths are absolute file URIs.  Notes and reading errors of the logs are
 * the invocation's notifications, so "may be incomplete" reaches the
 * service too.
 */
#include "report.h"
#include "report_int.h"
#include "lh_misuse.h"
#include "races.h"
#include "suppress.h"
#include "symbolize.h"
#include "xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define FP_KEY "lockhound/v1"

/* percent-encoding of a path for a URI: unreserved characters and '/'
 * stay, every other byte (spaces, '%', '#', '?', non-ASCII) is %XX */
static char *uri_encode(const char *prefix, const char *path, const char *suffix)
{
	size_t n = strlen(path), o = 0, i;
	char *u = xmalloc(strlen(prefix) + n * 3 + strlen(suffix) + 1);
	static const char hex[] = "0123456789ABCDEF";

	o = (size_t)sprintf(u, "%s", prefix);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
			u[o++] = (char)c;
		else {
			u[o++] = '%';
			u[o++] = hex[c >> 4];
			u[o++] = hex[c & 15];
		}
	}
	strcpy(u + o, suffix);
	return u;
}

static void set_text(json_t *o, const char *key, const char *text)
{
	json_t *m = json_object();
	json_object_set_new(m, "text", rp_json_str(text));
	json_object_set_new(o, key, m);
}

/* a location for one frame (NULL: message only) */
static json_t *frame_location(struct rp *r, const struct sym_frame *fr, const char *msg)
{
	json_t *loc = json_object();
	char rel[4096], name[512];

	if (fr && fr->file) {
		json_t *pl = json_object(), *al = json_object();
		const char *rp = rp_rel_path(r, fr->file, rel, sizeof(rel));
		char *uri;
		if (rp) {
			uri = uri_encode("", rp, "");
			json_object_set_new(al, "uriBaseId", json_string("SRCROOT"));
		} else {
			uri = uri_encode(fr->file[0] == '/' ? "file://" : "", fr->file, "");
		}
		json_object_set_new(al, "uri", json_string(uri));
		free(uri);
		json_object_set_new(pl, "artifactLocation", al);
		if (fr->line > 0) {
			json_t *reg = json_object();
			json_object_set_new(reg, "startLine", json_integer(fr->line));
			json_object_set_new(pl, "region", reg);
		}
		json_object_set_new(loc, "physicalLocation", pl);
	}
	if (fr && (fr->function || fr->module)) {
		json_t *ll = json_array(), *l = json_object();
		if (fr->function) {
			json_object_set_new(l, "fullyQualifiedName", rp_json_str(fr->function));
			json_object_set_new(l, "kind", json_string("function"));
		} else {
			const char *b = strrchr(fr->module, '/');
			snprintf(name, sizeof(name), "%s+0x%llx", b ? b + 1 : fr->module,
			         (unsigned long long)fr->offset);
			json_object_set_new(l, "fullyQualifiedName", rp_json_str(name));
		}
		json_array_append_new(ll, l);
		json_object_set_new(loc, "logicalLocations", ll);
	}
	if (msg)
		set_text(loc, "message", msg);
	return loc;
}

static json_t *sarif_stack(struct rp *r, const struct lr_log *log, uint32_t stack_id,
                           const char *msg)
{
	size_t n, shown, i;
	const struct sym_frame *fr = rp_frames(r, log, stack_id, &n, &shown);
	json_t *st = json_object(), *frames = json_array();

	for (i = 0; i < shown; i++) {
		json_t *fo = json_object();
		json_object_set_new(fo, "location", frame_location(r, &fr[i], NULL));
		if (fr[i].module)
			json_object_set_new(fo, "module", rp_json_str(fr[i].module));
		json_array_append_new(frames, fo);
	}
	set_text(st, "message", msg);
	json_object_set_new(st, "frames", frames);
	return st;
}

/* the first frame of a stack with a source file outside libc, else its
 * first frame */
static const struct sym_frame *step_frame(struct rp *r, const struct lr_log *log, uint32_t stack_id)
{
	size_t n, i;
	const struct sym_frame *fr = rp_frames(r, log, stack_id, &n, NULL);

	for (i = 0; i < n; i++)
		if (fr[i].file && !rp_is_libc_module(fr[i].module))
			return &fr[i];
	return n ? fr : NULL;
}

static json_t *flow_location(struct rp *r, const struct lr_log *log, uint32_t stack_id,
                             const char *msg, int order)
{
	json_t *tl = json_object();

	json_object_set_new(tl, "location", frame_location(r, step_frame(r, log, stack_id), msg));
	json_object_set_new(tl, "stack", sarif_stack(r, log, stack_id, msg));
	json_object_set_new(tl, "executionOrder", json_integer(order));
	return tl;
}

static json_t *thread_flow(uint32_t thread, const char *msg)
{
	json_t *tf = json_object();
	char b[32];

	snprintf(b, sizeof(b), "T%u", thread);
	json_object_set_new(tf, "id", json_string(b));
	if (msg)
		set_text(tf, "message", msg);
	json_object_set_new(tf, "locations", json_array());
	return tf;
}

static const char *label(const struct fd_finding *f, uint64_t id, char *buf, size_t len)
{
	return rp_lock_label(f, id, buf, len);
}

/* the codeFlows of f */
static json_t *code_flows(struct rp *r, const struct fd_finding *f)
{
	const struct lr_log *log = f->log;
	json_t *flows = json_array(), *cf, *tfs;
	char msg[1024], la[32], lb[32], na[300], nb[300];
	size_t i, order = 0;

	if (f->kind == FD_CYCLE) {
		cf = json_object();
		tfs = json_array();
		set_text(cf, "message", "Each thread takes the first lock, then waits for the next: together "
		                        "they close the cycle.");
		for (i = 0; i < f->n; i++) {
			const struct lr_edge *e = f->edges[i];
			json_t *tf;
			rp_lock_name(r, log, e->from, na, sizeof(na));
			rp_lock_name(r, log, e->to, nb, sizeof(nb));
			snprintf(msg, sizeof(msg), "T%u takes %s then %s", e->thread, label(f, e->from, la, sizeof(la)),
			         label(f, e->to, lb, sizeof(lb)));
			tf = thread_flow(e->thread, msg);
			snprintf(msg, sizeof(msg), "T%u acquires %s (%s) here, first", e->thread, la, na);
			json_array_append_new(json_object_get(tf, "locations"),
			                      flow_location(r, log, e->from_stack, msg, (int)++order));
			snprintf(msg, sizeof(msg), "T%u acquires %s (%s) here while holding %s", e->thread, lb, nb, la);
			json_array_append_new(json_object_get(tf, "locations"),
			                      flow_location(r, log, e->to_stack, msg, (int)++order));
			json_array_append_new(tfs, tf);
		}
		json_object_set_new(cf, "threadFlows", tfs);
		json_array_append_new(flows, cf);
	} else if (f->kind == FD_RACE) {
		for (i = 0; i < f->race->n_pairs; i++) {
			const struct lr_race *rc = f->race->pairs[i].rec;
			int side;
			cf = json_object();
			tfs = json_array();
			snprintf(msg, sizeof(msg), "Pair %zu of code locations racing on the variable (%zu time%s)",
			         i + 1, f->race->pairs[i].count, f->race->pairs[i].count == 1 ? "" : "s");
			set_text(cf, "message", msg);
			for (side = 0; side < 2; side++) {
				const struct lh_rec_race_access *a = side ? &rc->r.cur : &rc->r.prev;
				json_t *tf = thread_flow(a->thread_id, NULL);
				snprintf(msg, sizeof(msg), "T%u %s%s %u byte%s here%s", a->thread_id,
				         (a->flags & LH_RACC_ATOMIC) ? "atomically " : "",
				         (a->flags & LH_RACC_WRITE) ? "writes" : "reads", a->size, a->size == 1 ? "" : "s",
				         side ? ", unordered with the access before" : "");
				json_array_append_new(json_object_get(tf, "locations"),
				                      flow_location(r, log, a->stack_id, msg, side + 1));
				json_array_append_new(tfs, tf);
			}
			json_object_set_new(cf, "threadFlows", tfs);
			json_array_append_new(flows, cf);
		}
	} else {
		const struct lr_finding *lf = f->live;
		uint32_t *threads = xcalloc(lf->f.n_items + 1, sizeof(*threads));
		size_t nt = 0, k, j;
		cf = json_object();
		tfs = json_array();
		set_text(cf, "message", f->kind == FD_DEADLOCK ? "What each thread holds and waits for"
		                                               : "The call, and what the threads held");
		if (f->kind == FD_MISUSE)
			threads[nt++] = lf->f.thread_id;
		for (i = 0; i < lf->f.n_items; i++) {
			for (j = 0; j < nt; j++)
				if (threads[j] == lf->items[i].thread_id)
					break;
			if (j == nt)
				threads[nt++] = lf->items[i].thread_id;
		}
		for (k = 0; k < nt; k++) {
			json_t *tf = thread_flow(threads[k], NULL), *locs = json_object_get(tf, "locations");
			if (f->kind == FD_MISUSE && k == 0 && lf->f.stack_id) {
				snprintf(msg, sizeof(msg), "T%u: %s", lf->f.thread_id, lh_misuse_text(lf->f.what));
				json_array_append_new(locs, flow_location(r, log, lf->f.stack_id, msg, (int)++order));
			}
			for (i = 0; i < lf->f.n_items; i++) {
				const struct lh_rec_finding_item *it = &lf->items[i];
				if (it->thread_id != threads[k] || !it->stack_id)
					continue;
				rp_lock_name(r, log, it->lock_id, na, sizeof(na));
				if (it->role == LH_ROLE_HOLDS)
					snprintf(msg, sizeof(msg), "T%u holds %s (%s), acquired here", it->thread_id,
					         label(f, it->lock_id, la, sizeof(la)), na);
				else if (it->role == LH_ROLE_JOINS)
					snprintf(msg, sizeof(msg), "T%u waits here in join for T%u to end", it->thread_id,
					         it->target_thread);
				else
					snprintf(msg, sizeof(msg), "T%u waits here for %s (%s)", it->thread_id,
					         label(f, it->lock_id, la, sizeof(la)), na);
				json_array_append_new(locs, flow_location(r, log, it->stack_id, msg, (int)++order));
			}
			if (json_array_size(locs))
				json_array_append_new(tfs, tf);
			else
				json_decref(tf);
		}
		free(threads);
		if (json_array_size(tfs)) {
			json_object_set_new(cf, "threadFlows", tfs);
			json_array_append_new(flows, cf);
		} else {
			json_decref(tfs);
			json_decref(cf);
		}
	}
	return flows;
}

/* every rule of this version, in a fixed order: ruleIndex is stable */
static json_t *rule(const char *id, const char *name, const char *short_text, const char *full,
                    const char *level)
{
	json_t *o = json_object(), *cfg = json_object();

	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "name", json_string(name));
	set_text(o, "shortDescription", short_text);
	set_text(o, "fullDescription", full);
	json_object_set_new(cfg, "level", json_string(level));
	json_object_set_new(o, "defaultConfiguration", cfg);
	set_text(o, "help", full);
	return o;
}

static json_t *rules(void)
{
	json_t *a = json_array();
	char id[96], name[96], text[300];
	int i;

	json_array_append_new(a, rule("lock-order-cycle", "LockOrderCycle",
	                              "Potential deadlock: locks taken in inconsistent orders",
	                              "Threads took these locks in orders that form a cycle. If they run "
	                              "at once, each can hold one lock and wait forever for the next. Take "
	                              "the locks in one order everywhere, or guard the paths with one lock "
	                              "taken first.",
	                              "error"));
	json_array_append_new(a, rule("deadlock", "Deadlock", "Deadlock: threads blocked each other",
	                              "The program hung: each thread waited for a lock or a thread that "
	                              "the next one held, and none could go on.",
	                              "error"));
	json_array_append_new(a, rule("data-race", "DataRace", "Data race: unordered accesses, one writing",
	                              "Two threads accessed the same bytes, at least one writing, and "
	                              "nothing (no common lock, no hand-off) ordered the accesses. Guard "
	                              "every access with one lock, or make the variable atomic.",
	                              "error"));
	for (i = 0; i < LH_MIS_COUNT_; i++) {
		snprintf(id, sizeof(id), "misuse/%s", lh_misuse_table[i].name);
		snprintf(name, sizeof(name), "Misuse");
		snprintf(text, sizeof(text), "Threading API misuse: %s", lh_misuse_table[i].text);
		json_array_append_new(a, rule(id, name, text, text, "warning"));
	}
	return a;
}

static int rule_index(const struct fd_finding *f)
{
	uint32_t what;

	switch (f->kind) {
	case FD_CYCLE:
		return 0;
	case FD_DEADLOCK:
		return 1;
	case FD_RACE:
		return 2;
	case FD_MISUSE:
		what = f->live->f.what;
		return 3 + (what < LH_MIS_COUNT_ ? (int)what : 0);
	}
	return 0;
}

static json_t *result(struct rp *r, const struct fd_finding *f, const char *id)
{
	json_t *o = json_object(), *locs = json_array(), *fps = json_object(), *props = json_object();
	char rid[96], title[2048], fp[RP_FINGERPRINT_LEN + 1];
	const struct sym_frame *pf = rp_primary_frame(r, f);

	json_object_set_new(o, "ruleId", json_string(rp_rule_id(f, rid, sizeof(rid))));
	json_object_set_new(o, "ruleIndex", json_integer(rule_index(f)));
	json_object_set_new(o, "level", json_string(f->kind == FD_MISUSE ? "warning" : "error"));
	rp_finding_title(r, f, title, sizeof(title));
	set_text(o, "message", title);
	json_array_append_new(locs, frame_location(r, pf, NULL));
	json_object_set_new(o, "locations", locs);
	json_object_set_new(o, "codeFlows", code_flows(r, f));
	rp_fingerprint(r, f, fp);
	json_object_set_new(fps, FP_KEY, json_string(fp));
	json_object_set_new(o, "partialFingerprints", fps);
	json_object_set_new(props, "id", json_string(id));
	json_object_set_new(props, "count", json_integer((json_int_t)(f->count ? f->count : 1)));
	json_object_set_new(props, "pid", json_integer(f->log->hdr.pid));
	if (f->log->exe)
		json_object_set_new(props, "exe", rp_json_str(f->log->exe));
	json_object_set_new(o, "properties", props);
	return o;
}

static json_t *notification(const char *level, const char *text)
{
	json_t *n = json_object();
	json_object_set_new(n, "level", json_string(level));
	set_text(n, "message", text);
	return n;
}

int rp_view_sarif(FILE *out, struct rp *r)
{
	const struct rp_input *in = rp_view_input(r);
	json_t *top = json_object(), *runs = json_array(), *run = json_object(), *tool = json_object(),
	       *drv = json_object(), *results = json_array(), *inv = json_object(),
	       *invs = json_array(), *notes = json_array(), *props = json_object();
	size_t i, k, n_races = 0;
	int rc;
	char id[32], buf[1200];

	json_set_alloc_funcs(xmalloc, free);
	json_object_set_new(top, "$schema", json_string(SARIF_SCHEMA));
	json_object_set_new(top, "version", json_string("2.1.0"));
	json_object_set_new(drv, "name", json_string("lockhound"));
	json_object_set_new(drv, "version", json_string(LOCKHOUND_VERSION));
	json_object_set_new(drv, "semanticVersion", json_string(LOCKHOUND_VERSION));
	json_object_set_new(drv, "rules", rules());
	json_object_set_new(tool, "driver", drv);
	json_object_set_new(run, "tool", tool);
	if (rp_source_root(r)) {
		json_t *ids = json_object(), *root = json_object();
		char *uri = uri_encode("file://", rp_source_root(r),
		                       strcmp(rp_source_root(r), "/") ? "/" : "");
		json_object_set_new(root, "uri", json_string(uri));
		free(uri);
		set_text(root, "description", "the source root (lockhound --source-root)");
		json_object_set_new(ids, "SRCROOT", root);
		json_object_set_new(run, "originalUriBaseIds", ids);
	}
	for (i = 0; i < in->res->n; i++) {
		const struct fd_finding *f = &in->res->f[i];
		if (f->kind == FD_RACE)
			snprintf(id, sizeof(id), "R%zu", ++n_races);
		else
			snprintf(id, sizeof(id), "F%zu", i + 1);
		json_array_append_new(results, result(r, f, id));
	}
	for (i = 0; i < in->n_logs; i++) {
		const struct lr_log *l = in->logs[i];
		for (k = 0; k < l->n_errors; k++) {
			snprintf(buf, sizeof(buf), "%s: %s", l->path, l->errors[k]);
			json_array_append_new(notes, notification("error", buf));
		}
		for (k = 0; k < l->n_notes; k++) {
			snprintf(buf, sizeof(buf), "pid %u: %s", l->hdr.pid, l->notes[k]);
			json_array_append_new(notes, notification("warning", buf));
		}
	}
	if (in->res->capped)
		json_array_append_new(notes, notification("warning", "the lock graph has too many cycles to "
		                                                     "list them all; more may exist"));
	json_object_set_new(inv, "executionSuccessful", json_true());
	json_object_set_new(inv, "toolExecutionNotifications", notes);
	json_array_append_new(invs, inv);
	json_object_set_new(run, "invocations", invs);
	json_object_set_new(run, "results", results);
	{
		json_t *s = rp_view_filter_json(r);
		if (s)
			json_object_set_new(props, "lockhound/filtered", s);
	}
	json_object_set_new(props, "lockhound/processes", json_integer((json_int_t)in->n_logs));
	json_object_set_new(run, "properties", props);
	json_array_append_new(runs, run);
	json_object_set_new(top, "runs", runs);
	rc = json_dumpf(top, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(top);
	return rc;
}
