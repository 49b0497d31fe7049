/*
 * race_report.c - the data-race finding as text and JSON (kind
 * "data-race"; the JSON shape is documented in docs/DESIGN.md, "Data-race
 * findings").
 *
 * Both renderings walk the same things in the same order: the variable,
 * then each pair of code locations (most frequent first) with its two
 * accesses in the order they happened (accesses[0] is the earlier one), the
 * locks each side held (M1.. labels from the finding's lock list), the
 * heap block's allocation stack, and the creation stacks of every thread
 * named.  A later SARIF writer can turn each pair into one codeFlow of two
 * locations.
 */
#include "races.h"
#include "report_int.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *detector_name(uint32_t by)
{
	switch (by) {
	case LH_RACE_BY_WATCHPOINT:
		return "watchpoint";
	case LH_RACE_BY_WRITE_PROTECT:
		return "write-protect";
	default:
		return "instrumentation";
	}
}

/* a sampled record's verdict; NULL for exact mode's (and older logs') */
static const char *decided_name(uint32_t flags)
{
	if (flags & LH_RACE_DECIDED_OBSERVED)
		return "observed";
	if (flags & LH_RACE_DECIDED_INFERRED)
		return "inferred";
	return NULL;
}

/* the finding's: observed when any of its pairs was (the stronger
 * evidence), else inferred, else none */
static uint32_t finding_decided(const struct ra_finding *rf)
{
	uint32_t all = 0;
	size_t i;

	for (i = 0; i < rf->n_pairs; i++)
		all |= rf->pairs[i].rec->r.flags;
	return all & LH_RACE_DECIDED_OBSERVED ? LH_RACE_DECIDED_OBSERVED : all;
}

static const char *var_kind_name(uint32_t k)
{
	switch (k) {
	case LH_VAR_GLOBAL:
		return "global";
	case LH_VAR_HEAP:
		return "heap";
	case LH_VAR_STACK:
		return "stack";
	default:
		return "unknown";
	}
}

static const char *base_name(const char *p)
{
	const char *b = p ? strrchr(p, '/') : NULL;
	return b ? b + 1 : p;
}

static void add_tid(uint32_t **v, size_t *n, uint32_t id)
{
	size_t i;

	if (!id)
		return;
	for (i = 0; i < *n; i++)
		if ((*v)[i] == id)
			return;
	if ((*n & (*n - 1)) == 0) /* 0, 1, 2, 4, ...: grow to the next power of two */
		*v = xreallocarray(*v, *n ? *n * 2 : 1, sizeof(**v));
	(*v)[(*n)++] = id;
}

/* every thread the finding names, each once (no cap: a statistics counter
 * bumped by 500 threads lists them all): the accesses' in pair order, then
 * the block's allocator or the stack's owner.  Returns a malloc'd array. */
static uint32_t *finding_threads(const struct fd_finding *f, size_t *n)
{
	const struct ra_finding *rf = f->race;
	uint32_t *ids = NULL;
	size_t i;

	*n = 0;
	for (i = 0; i < rf->n_pairs; i++) {
		add_tid(&ids, n, rf->pairs[i].rec->r.prev.thread_id);
		add_tid(&ids, n, rf->pairs[i].rec->r.cur.thread_id);
	}
	if (rf->var_kind == LH_VAR_HEAP || rf->var_kind == LH_VAR_STACK)
		add_tid(&ids, n, rf->first->r.alloc_thread);
	return ids;
}

/* the held locks of one side: cur's come first in the record's tail */
static const uint64_t *held_locks(const struct lr_race *rc, int cur, uint32_t *n)
{
	*n = cur ? rc->r.n_locks_cur : rc->r.n_locks_prev;
	return cur ? rc->locks : rc->locks + rc->r.n_locks_cur;
}

/* ------------------------------------------------------------------ text */

/* the bytes the finding is on: an unnamed global's known extent (all of
 * its windows), else the first record's overlap */
static unsigned long long var_bytes(const struct ra_finding *rf)
{
	return rf->extent ? rf->extent : rf->first->r.size;
}

/* "counter (global, racy_counter+0x0, 4 bytes)" */
static void text_variable(FILE *out, const struct fd_finding *f)
{
	const struct ra_finding *rf = f->race;
	const struct lh_rec_race *r = &rf->first->r;

	switch (rf->var_kind) {
	case LH_VAR_GLOBAL:
		if (rf->name) {
			rp_put(out, rf->name);
			fputs(" (global, ", out);
			rp_put(out, rf->module ? base_name(rf->module) : "?");
			fprintf(out, "+0x%llx, %u bytes)", (unsigned long long)rf->offset, r->size);
		} else if (rf->module && rf->section) {
			/* "a global at memcached .bss+0x1a0 (global, no symbol, 4 bytes)" */
			fputs("a global at ", out);
			rp_put(out, base_name(rf->module));
			fputc(' ', out);
			rp_put(out, rf->section);
			fprintf(out, "+0x%llx (global, no symbol, %llu bytes)",
			        (unsigned long long)rf->section_offset, var_bytes(rf));
		} else if (rf->module) {
			fputs("a global at ", out);
			rp_put(out, base_name(rf->module));
			fprintf(out, "+0x%llx (global, no symbol, %llu bytes)", (unsigned long long)rf->offset,
			        var_bytes(rf));
		}
		else
			fprintf(out, "a global at 0x%llx (global, in no module, %u bytes)",
			        (unsigned long long)r->addr, r->size);
		break;
	case LH_VAR_HEAP:
		fprintf(out, "a heap block (heap, offset %llu of %llu bytes, %u bytes)",
		        (unsigned long long)rf->offset, (unsigned long long)r->var_size, r->size);
		break;
	case LH_VAR_STACK:
		fprintf(out, "a stack variable (stack of T%u, %u bytes)", r->alloc_thread, r->size);
		break;
	default:
		fprintf(out, "memory at 0x%llx (unknown, %u bytes)", (unsigned long long)r->addr,
		        r->size);
		break;
	}
}

/* "T3 wrote 4 bytes holding M1 (mu_a)" */
static void text_side(FILE *out, struct rp *r, const struct fd_finding *f, const struct lr_race *rc,
                      int cur)
{
	const struct lh_rec_race_access *a = cur ? &rc->r.cur : &rc->r.prev;
	const uint64_t *locks;
	uint32_t n, i;
	char lb[32];

	locks = held_locks(rc, cur, &n);
	rp_text_thread_name(out, f->log, a->thread_id);
	fprintf(out, " %s%s %u byte%s holding ", (a->flags & LH_RACC_ATOMIC) ? "atomically " : "",
	        (a->flags & LH_RACC_WRITE) ? "wrote" : "read", a->size, a->size == 1 ? "" : "s");
	if (n == 0)
		fprintf(out, "nothing");
	for (i = 0; i < n; i++) {
		const char *sym = rp_lock_symbol(r, f->log, lr_lock(f->log, locks[i]));
		fprintf(out, "%s%s", i ? ", " : "", rp_lock_label(f, locks[i], lb, sizeof(lb)));
		if (sym) {
			fputs(" (", out);
			rp_put(out, sym);
			fputc(')', out);
		}
	}
}

void ra_text(FILE *out, struct rp *r, const struct fd_finding *f, size_t rid)
{
	const struct ra_finding *rf = f->race;
	const struct lr_log *log = f->log;
	const struct lh_rec_race *first = &rf->first->r;
	uint32_t *threads;
	size_t nt, i, n_approx = 0;

	/* exact mode rebuilds every stack from the instrumented calls: say so
	 * once, and mark single stacks only when the finding mixes both */
	for (i = 0; i < rf->n_pairs; i++)
		n_approx += !!(rf->pairs[i].rec->r.prev.flags & LH_RACC_STACK_APPROX) +
		            !!(rf->pairs[i].rec->r.cur.flags & LH_RACC_STACK_APPROX);
	fprintf(out, "==== lockhound: R%zu: data race on ", rid);
	text_variable(out, f);
	fprintf(out, " — 2 accesses unordered ====\n");
	fprintf(out, "Two threads accessed these bytes, at least one writing, and nothing (no lock\n"
	             "both held, no hand-off) ordered the accesses.\n");
	if (finding_decided(rf) & LH_RACE_DECIDED_OBSERVED)
		fprintf(out, "Seen by sampled watching (%s): the second access came while the first\n"
		             "thread was held at its own.\n",
		        detector_name(rf->first->r.detected_by));
	else if (finding_decided(rf) & LH_RACE_DECIDED_INFERRED)
		fprintf(out, "Found by sampled watching (%s): no lock or thread event the shim saw\n"
		             "ordered the two accesses, and a lock was held at one of them.\n",
		        detector_name(rf->first->r.detected_by));
	if (rp_is_process_shown(r)) {
		fprintf(out, "Process %u (", log->hdr.pid);
		rp_put(out, log->exe ? log->exe : "?");
		fputs(")\n", out);
	}
	if (rf->n_pairs > 1 || f->count > 1)
		fprintf(out, "%zu pair%s of code locations race on it (%zu record%s).\n", rf->n_pairs,
		        rf->n_pairs == 1 ? "" : "s", f->count, f->count == 1 ? "" : "s");
	if (n_approx == 2 * rf->n_pairs)
		fprintf(out, "Stacks are rebuilt from the instrumented calls (uninstrumented callers do not\n"
		             "show).\n");
	fprintf(out, "\n");
	for (i = 0; i < rf->n_pairs; i++) {
		const struct ra_pair *p = &rf->pairs[i];
		const struct lr_race *rc = p->rec;
		int side;

		fprintf(out, "  ");
		if (rf->n_pairs > 1)
			fprintf(out, "[%zu] ", i + 1);
		text_side(out, r, f, rc, 0);
		fprintf(out, "; then ");
		text_side(out, r, f, rc, 1);
		if (p->count > 1)
			fprintf(out, "  (%zu times)", p->count);
		fprintf(out, "\n");
		for (side = 0; side < 2; side++) {
			const struct lh_rec_race_access *a = side ? &rc->r.cur : &rc->r.prev;
			fprintf(out, "    ");
			text_side(out, r, f, rc, side);
			fprintf(out, ", at 0x%llx%s:\n", (unsigned long long)a->addr,
			        (a->flags & LH_RACC_STACK_APPROX) && n_approx < 2 * rf->n_pairs
			                ? " (stack rebuilt from the instrumented calls)"
			                : "");
			rp_text_stack(out, r, log, a->stack_id, "      ");
		}
		fprintf(out, "\n");
	}
	if (rf->var_kind == LH_VAR_HEAP) {
		fprintf(out, "  The block of %llu bytes at 0x%llx was allocated by ",
		        (unsigned long long)first->var_size, (unsigned long long)first->var_base);
		if (first->alloc_thread)
			rp_text_thread_name(out, log, first->alloc_thread);
		else
			fprintf(out, "an unknown thread");
		fprintf(out, " at:\n");
		rp_text_stack(out, r, log, first->alloc_stack, "      ");
		fprintf(out, "\n");
	}
	if (f->n) {
		for (i = 0; i < f->n; i++)
			rp_text_lock_line(out, r, log, f, i);
		fprintf(out, "\n");
	}
	threads = finding_threads(f, &nt);
	rp_text_threads(out, r, log, threads, nt);
	free(threads);
	fprintf(out, "\n  Fix: guard every access with one lock that all of them take, or make the\n"
	             "  variable atomic.\n\n");
}

/* ------------------------------------------------------------------ JSON */

static json_t *tid_json(uint32_t id)
{
	char b[32];

	if (!id)
		return json_null();
	snprintf(b, sizeof(b), "T%u", id);
	return rp_json_str(b);
}

static json_t *json_access(struct rp *r, const struct fd_finding *f, const struct lr_race *rc,
                           int cur)
{
	const struct lh_rec_race_access *a = cur ? &rc->r.cur : &rc->r.prev;
	json_t *o = json_object(), *held = json_array();
	const uint64_t *locks;
	uint32_t n, i;
	char lb[32];

	locks = held_locks(rc, cur, &n);
	json_object_set_new(o, "thread", tid_json(a->thread_id));
	json_object_set_new(o, "op", rp_json_str((a->flags & LH_RACC_WRITE) ? "write" : "read"));
	json_object_set_new(o, "atomic", json_boolean(a->flags & LH_RACC_ATOMIC));
	json_object_set_new(o, "size", json_integer(a->size));
	json_object_set_new(o, "address", rp_json_hex(a->addr));
	json_object_set_new(o, "stack", rp_json_stack(r, f->log, a->stack_id));
	if (a->flags & LH_RACC_STACK_APPROX)
		json_object_set_new(o, "stack_approx", json_true());
	for (i = 0; i < n; i++)
		json_array_append_new(held, rp_json_str(rp_lock_label(f, locks[i], lb, sizeof(lb))));
	json_object_set_new(o, "locks_held", held);
	return o;
}

static json_t *json_variable(struct rp *r, const struct fd_finding *f)
{
	const struct ra_finding *rf = f->race;
	const struct lh_rec_race *first = &rf->first->r;
	json_t *v = json_object();

	json_object_set_new(v, "kind", rp_json_str(var_kind_name(rf->var_kind)));
	json_object_set_new(v, "name", rf->name ? rp_json_str(rf->name) : json_null());
	json_object_set_new(v, "module", rf->module ? rp_json_str(rf->module) : json_null());
	json_object_set_new(v, "address", rp_json_hex(rf->extent ? rf->extent_base : first->addr));
	json_object_set_new(v, "offset", json_integer((json_int_t)rf->offset));
	json_object_set_new(v, "size", json_integer((json_int_t)var_bytes(rf)));
	if (rf->var_kind == LH_VAR_GLOBAL && !rf->name) {
		/* no symbol: the section and the offset in it, or null */
		json_object_set_new(v, "section", rf->section ? rp_json_str(rf->section) : json_null());
		json_object_set_new(v, "section_offset", rf->section
		                    ? json_integer((json_int_t)rf->section_offset) : json_null());
	}
	if (rf->var_kind == LH_VAR_HEAP) {
		json_t *b = json_object();
		json_object_set_new(b, "address", rp_json_hex(first->var_base));
		json_object_set_new(b, "size", json_integer((json_int_t)first->var_size));
		json_object_set_new(b, "alloc_stack", rp_json_stack(r, f->log, first->alloc_stack));
		json_object_set_new(b, "alloc_thread", tid_json(first->alloc_thread));
		json_object_set_new(v, "block", b);
	}
	if (rf->var_kind == LH_VAR_STACK) {
		json_object_set_new(v, "thread", tid_json(first->alloc_thread));
		json_object_set_new(v, "function", json_null()); /* frame ranges are not recorded */
	}
	return v;
}

json_t *ra_json(struct rp *r, const struct fd_finding *f, size_t rid)
{
	const struct ra_finding *rf = f->race;
	json_t *o = json_object(), *pairs = json_array(), *locks = json_array(),
	       *threads = json_array();
	uint32_t *tids;
	size_t nt, i;
	char b[32];

	snprintf(b, sizeof(b), "R%zu", rid);
	json_object_set_new(o, "id", rp_json_str(b));
	json_object_set_new(o, "kind", rp_json_str("data-race"));
	json_object_set_new(o, "detected_by", rp_json_str(detector_name(rf->first->r.detected_by)));
	if (decided_name(finding_decided(rf)))
		json_object_set_new(o, "decided_by", rp_json_str(decided_name(finding_decided(rf))));
	json_object_set_new(o, "pid", json_integer(f->log->hdr.pid));
	json_object_set_new(o, "variable", json_variable(r, f));
	json_object_set_new(o, "count", json_integer((json_int_t)f->count));
	for (i = 0; i < rf->n_pairs; i++) {
		json_t *p = json_object(), *acc = json_array();
		json_object_set_new(p, "count", json_integer((json_int_t)rf->pairs[i].count));
		if (decided_name(rf->pairs[i].rec->r.flags))
			json_object_set_new(p, "decided_by",
			                    rp_json_str(decided_name(rf->pairs[i].rec->r.flags)));
		json_array_append_new(acc, json_access(r, f, rf->pairs[i].rec, 0));
		json_array_append_new(acc, json_access(r, f, rf->pairs[i].rec, 1));
		json_object_set_new(p, "accesses", acc);
		json_array_append_new(pairs, p);
	}
	json_object_set_new(o, "pairs", pairs);
	for (i = 0; i < f->n; i++)
		json_array_append_new(locks, rp_json_lock(r, f->log, f, f->locks[i]));
	json_object_set_new(o, "locks", locks);
	tids = finding_threads(f, &nt);
	for (i = 0; i < nt; i++) {
		json_t *t = rp_json_thread(r, f->log, tids[i]);
		/* data-race findings call the creation stack created_stack */
		json_t *cs = json_object_get(t, "create_stack");
		if (cs) {
			json_object_set(t, "created_stack", cs);
			json_object_del(t, "create_stack");
		}
		json_array_append_new(threads, t);
	}
	free(tids);
	json_object_set_new(o, "threads", threads);
	return o;
}
