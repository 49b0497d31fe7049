/*
 * locations.c - the code locations of a finding, for everything beyond the
 * text and JSON reports: the stacks a finding shows (rp_each_stack), its
 * rule id, its fingerprint, the frame it points at and paths relative to
 * the source root (report_int.h).  SARIF, the HTML report, suppressions
 * and baselines all read findings through these, so a finding has one
 * fingerprint and one set of stacks everywhere.
 */
#include "report_int.h"
#include "races.h"
#include "lh_misuse.h"
#include "symbolize.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void rp_each_stack(const struct fd_finding *f, void (*fn)(void *arg, const struct rp_fstack *s),
                   void *arg)
{
	struct rp_fstack s;
	size_t i;

	memset(&s, 0, sizeof(s));
	if (f->kind == FD_CYCLE) {
		for (i = 0; i < f->n; i++) {
			const struct lr_edge *e = f->edges[i];
			s.flow = i;
			s.thread = e->thread;
			s.lock_a = e->from;
			s.lock_b = e->to;
			s.role = RP_HELD;
			s.stack_id = e->from_stack;
			fn(arg, &s);
			s.role = RP_ACQUIRED;
			s.stack_id = e->to_stack;
			fn(arg, &s);
		}
	} else if (f->kind == FD_DEADLOCK || f->kind == FD_MISUSE) {
		const struct lr_finding *lf = f->live;
		if (f->kind == FD_MISUSE && lf->f.stack_id) {
			s.role = RP_AT;
			s.thread = lf->f.thread_id;
			s.stack_id = lf->f.stack_id;
			s.lock_a = lf->f.lock_id;
			fn(arg, &s);
		}
		for (i = 0; i < lf->f.n_items; i++) {
			const struct lh_rec_finding_item *it = &lf->items[i];
			s.thread = it->thread_id;
			s.stack_id = it->stack_id;
			s.lock_a = it->lock_id;
			s.lock_b = 0;
			s.role = it->role == LH_ROLE_HOLDS ? RP_HOLDS
			         : it->role == LH_ROLE_JOINS ? RP_JOINS
			                                      : RP_WAITS;
			if (it->stack_id)
				fn(arg, &s);
		}
	} else if (f->kind == FD_RACE) {
		const struct ra_finding *rf = f->race;
		for (i = 0; i < rf->n_pairs; i++) {
			const struct lr_race *rc = rf->pairs[i].rec;
			s.flow = i;
			s.role = RP_ACCESS;
			s.thread = rc->r.prev.thread_id;
			s.stack_id = rc->r.prev.stack_id;
			s.write = !!(rc->r.prev.flags & LH_RACC_WRITE);
			fn(arg, &s);
			s.thread = rc->r.cur.thread_id;
			s.stack_id = rc->r.cur.stack_id;
			s.write = !!(rc->r.cur.flags & LH_RACC_WRITE);
			fn(arg, &s);
		}
		if (rf->var_kind == LH_VAR_HEAP && rf->first->r.alloc_stack) {
			s.flow = 0;
			s.write = 0;
			s.role = RP_ALLOC;
			s.thread = rf->first->r.alloc_thread;
			s.stack_id = rf->first->r.alloc_stack;
			fn(arg, &s);
		}
	}
}

const char *rp_rule_id(const struct fd_finding *f, char *buf, size_t len)
{
	if (len)
		buf[0] = '\0'; /* a kind not below (none is made) */
	switch (f->kind) {
	case FD_CYCLE:
		snprintf(buf, len, "lock-order-cycle");
		break;
	case FD_DEADLOCK:
		snprintf(buf, len, "deadlock");
		break;
	case FD_MISUSE:
		snprintf(buf, len, "misuse/%s", lh_misuse_name(f->live->f.what));
		break;
	case FD_RACE:
		snprintf(buf, len, "data-race");
		break;
	}
	return buf;
}

const char *rp_rel_path(const struct rp *r, const char *file, char *buf, size_t len)
{
	const char *root = rp_source_root(r);
	size_t n;

	if (!root || !file || !*file)
		return NULL;
	if (file[0] == '/') {
		n = strlen(root);
		if (!strcmp(root, "/")) {
			snprintf(buf, len, "%s", file + 1);
			return buf;
		}
		if (strncmp(file, root, n) || file[n] != '/' || !file[n + 1])
			return NULL;
		snprintf(buf, len, "%s", file + n + 1);
		return buf;
	}
	/* a relative path is relative to the compilation directory, which
	 * debug info does not always carry: it is the root's only if the
	 * file is there (../ never is) */
	if (!strncmp(file, "../", 3))
		return NULL;
	{
		char *full = xmalloc(strlen(root) + strlen(file) + 2);
		struct stat st;
		int ok;
		sprintf(full, "%s/%s", root, file);
		ok = stat(full, &st) == 0 && S_ISREG(st.st_mode);
		free(full);
		if (!ok)
			return NULL;
	}
	snprintf(buf, len, "%s", file[0] == '.' && file[1] == '/' ? file + 2 : file);
	return buf;
}

static const char *base_name(const char *p)
{
	const char *b = p ? strrchr(p, '/') : NULL;
	return b ? b + 1 : p;
}

static int is_tool_module(const char *module)
{
	const char *b = base_name(module);
	return rp_is_libc_module(module) || (b && !strncmp(b, "liblockhound", 12));
}

/* the frame of a stack that names the program's code: the first one
 * outside libc and the shim, else the first */
static const struct sym_frame *top_frame(struct rp *r, const struct lr_log *log, uint32_t stack_id)
{
	size_t n, i;
	const struct sym_frame *fr = rp_frames(r, log, stack_id, &n, NULL);

	for (i = 0; i < n; i++)
		if (!is_tool_module(fr[i].module))
			return &fr[i];
	return n ? &fr[0] : NULL;
}

/* "function@file:line", or "module+0xoffset" without a name */
static void frame_loc(struct rp *r, const struct sym_frame *fr, char *buf, size_t len)
{
	char rel[1024];
	const char *file;

	if (!fr) {
		snprintf(buf, len, "?");
		return;
	}
	if (fr->function) {
		file = fr->file ? rp_rel_path(r, fr->file, rel, sizeof(rel)) : NULL;
		if (!file)
			file = fr->file ? base_name(fr->file) : "";
		snprintf(buf, len, "%s@%s:%d", fr->function, file, fr->line);
	} else if (fr->module) {
		snprintf(buf, len, "%s+0x%llx", base_name(fr->module), (unsigned long long)fr->offset);
	} else {
		snprintf(buf, len, "?"); /* a pc in no module: only its address, which moves */
	}
}

static void stack_loc(struct rp *r, const struct lr_log *log, uint32_t stack_id, char *buf,
                      size_t len)
{
	frame_loc(r, top_frame(r, log, stack_id), buf, len);
}

/* the parts a fingerprint hashes: sorted, so the order in which a run met
 * the threads does not matter */
struct fp_parts {
	char **v;
	size_t n;
};

static void fp_add(struct fp_parts *p, const char *prefix, const char *a, const char *b)
{
	size_t n = strlen(prefix) + strlen(a) + (b ? strlen(b) : 0) + 2;
	p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n] = xmalloc(n);
	snprintf(p->v[p->n], n, "%s%s%s%s", prefix, a, b ? ">" : "", b ? b : "");
	p->n++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* FNV-1a, 64 bits */
static uint64_t fnv(uint64_t h, const char *s)
{
	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ull;
	}
	h ^= 0xff; /* a separator no string contains */
	h *= 0x100000001b3ull;
	return h;
}

void rp_fingerprint(struct rp *r, const struct fd_finding *f, char out[RP_FINGERPRINT_LEN + 1])
{
	const struct lr_log *log = f->log;
	struct fp_parts p = { NULL, 0 };
	char rule[96], a[1200], b[1200];
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	rp_rule_id(f, rule, sizeof(rule));
	h = fnv(h, rule);
	if (f->kind == FD_CYCLE) {
		for (i = 0; i < f->n; i++) {
			stack_loc(r, log, f->edges[i]->from_stack, a, sizeof(a));
			stack_loc(r, log, f->edges[i]->to_stack, b, sizeof(b));
			fp_add(&p, "edge:", a, b);
		}
	} else if (f->kind == FD_DEADLOCK || f->kind == FD_MISUSE) {
		const struct lr_finding *lf = f->live;
		if (f->kind == FD_DEADLOCK)
			h = fnv(h, lf->f.what == LH_DL_SELF ? "self" : "cycle");
		if (f->kind == FD_MISUSE && lf->f.stack_id) {
			stack_loc(r, log, lf->f.stack_id, a, sizeof(a));
			fp_add(&p, "at:", a, NULL);
		} else {
			for (i = 0; i < lf->f.n_items; i++) {
				const struct lh_rec_finding_item *it = &lf->items[i];
				stack_loc(r, log, it->stack_id, a, sizeof(a));
				fp_add(&p, it->role == LH_ROLE_HOLDS ? "holds:" : it->role == LH_ROLE_JOINS ? "joins:" : "waits:", a, NULL);
			}
		}
	} else if (f->kind == FD_RACE) {
		const struct ra_finding *rf = f->race;
		if (rf->var_kind == LH_VAR_GLOBAL && rf->module) {
			snprintf(a, sizeof(a), "%s:", base_name(rf->module));
			if (rf->name)
				fp_add(&p, "global:", a, rf->name);
			else {
				snprintf(b, sizeof(b), "0x%llx", (unsigned long long)rf->offset);
				fp_add(&p, "global:", a, b);
			}
		} else if (rf->var_kind == LH_VAR_HEAP && rf->first->r.alloc_stack) {
			stack_loc(r, log, rf->first->r.alloc_stack, a, sizeof(a));
			snprintf(b, sizeof(b), "%llu", (unsigned long long)rf->offset);
			fp_add(&p, "heap:", a, b);
		} else if (rf->n_pairs) {
			/* nothing but the accesses names the variable */
			const struct lr_race *rc = rf->pairs[0].rec;
			stack_loc(r, log, rc->r.prev.stack_id, a, sizeof(a));
			fp_add(&p, "access:", a, NULL);
			stack_loc(r, log, rc->r.cur.stack_id, a, sizeof(a));
			fp_add(&p, "access:", a, NULL);
		}
	}
	if (p.n > 1)
		qsort(p.v, p.n, sizeof(*p.v), cmp_str);
	for (i = 0; i < p.n; i++) {
		h = fnv(h, p.v[i]);
		free(p.v[i]);
	}
	free(p.v);
	snprintf(out, RP_FINGERPRINT_LEN + 1, "%016llx", (unsigned long long)h);
}

struct primary {
	struct rp *r;
	const struct lr_log *log;
	const struct sym_frame *fr;
};

static void primary_of(void *arg, const struct rp_fstack *s)
{
	struct primary *p = arg;
	size_t n, i;
	const struct sym_frame *fr;

	if (p->fr || s->role == RP_ALLOC)
		return;
	fr = rp_frames(p->r, p->log, s->stack_id, &n, NULL);
	for (i = 0; i < n; i++)
		if (fr[i].file && fr[i].line > 0 && !is_tool_module(fr[i].module)) {
			p->fr = &fr[i];
			return;
		}
}

const struct sym_frame *rp_primary_frame(struct rp *r, const struct fd_finding *f)
{
	struct primary p = { r, f->log, NULL };

	/* a cycle points at the acquisition that closes it: the first edge's
	 * second lock; other kinds at their first stack */
	if (f->kind == FD_CYCLE && f->n) {
		struct rp_fstack s;
		memset(&s, 0, sizeof(s));
		s.role = RP_ACQUIRED;
		s.stack_id = f->edges[0]->to_stack;
		primary_of(&p, &s);
	}
	if (!p.fr)
		rp_each_stack(f, primary_of, &p);
	return p.fr;
}

void rp_lock_name(struct rp *r, const struct lr_log *log, uint64_t lock_id, char *buf, size_t len)
{
	const struct lr_lock *l = lr_lock(log, lock_id);
	const char *sym = l ? rp_lock_symbol(r, log, l) : NULL;

	if (sym)
		snprintf(buf, len, "%s '%s'", rp_kind_name(l->kind), sym);
	else if (l)
		snprintf(buf, len, "%s at 0x%llx", rp_kind_name(l->kind), (unsigned long long)l->addr);
	else
		snprintf(buf, len, "lock L%llu", (unsigned long long)lock_id);
}

void rp_finding_title(struct rp *r, const struct fd_finding *f, char *buf, size_t len)
{
	const struct sym_frame *pf = rp_primary_frame(r, f);
	char where[600] = "";
	size_t i;
	int off;

	if (pf && pf->function)
		snprintf(where, sizeof(where), " in %s", pf->function);
	switch (f->kind) {
	case FD_CYCLE:
		off = snprintf(buf, len, "Potential deadlock: lock-order cycle of %zu locks%s:", f->n, where);
		for (i = 0; i < f->n && off > 0 && (size_t)off < len; i++) {
			char a[300], b[300];
			rp_lock_name(r, f->log, f->edges[i]->from, a, sizeof(a));
			rp_lock_name(r, f->log, f->edges[i]->to, b, sizeof(b));
			off += snprintf(buf + off, len - (size_t)off, "%s T%u takes %s then %s", i ? ";" : "",
			                f->edges[i]->thread, a, b);
		}
		if (off > 0 && (size_t)off < len)
			snprintf(buf + off, len - (size_t)off, ". Take these locks in one order everywhere.");
		break;
	case FD_DEADLOCK:
		if (f->live->f.what == LH_DL_SELF)
			snprintf(buf, len, "Deadlock: a thread blocks on a non-recursive lock it already holds%s.",
			         where);
		else
			snprintf(buf, len, "Deadlock: threads block each other%s; each waits for something the "
			         "next one holds.", where);
		break;
	case FD_MISUSE:
		snprintf(buf, len, "Threading API misuse (%s): %s%s.", lh_misuse_name(f->live->f.what),
		         lh_misuse_text(f->live->f.what), where);
		break;
	case FD_RACE: {
		const struct ra_finding *rf = f->race;
		char var[400];
		if (rf->var_kind == LH_VAR_GLOBAL && rf->name)
			snprintf(var, sizeof(var), "global '%s'", rf->name);
		else if (rf->var_kind == LH_VAR_HEAP)
			snprintf(var, sizeof(var), "a heap block (offset %llu)", (unsigned long long)rf->offset);
		else if (rf->var_kind == LH_VAR_STACK)
			snprintf(var, sizeof(var), "a stack variable");
		else
			snprintf(var, sizeof(var), "memory");
		snprintf(buf, len, "Data race on %s%s: two threads access it, at least one writing, with "
		         "nothing ordering the accesses.", var, where);
		break;
	}
	}
}
