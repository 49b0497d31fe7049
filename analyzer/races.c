/*
 * races.c - one data-race finding per racy variable (see races.h).
 */
#include "races.h"
#include "symbolize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* out of memory inside uthash: the analyzer's one policy (xalloc.h) */
#undef uthash_fatal
#define uthash_fatal(msg) xalloc_die(0)
#include <uthash.h>

/* room for the code locations of a whole allocation stack */
#define RA_KEY_LEN (LH_MAX_FRAMES * 4 * 48 + 64)

void ra_code_loc(const struct lr_log *log, uint64_t pc, char *buf, size_t len)
{
	int m = fd_module_of(log, pc);
	const char *path, *base;

	if (m < 0) {
		snprintf(buf, len, "0x%llx", (unsigned long long)pc);
		return;
	}
	path = log->modules[m].path;
	base = strrchr(path, '/');
	snprintf(buf, len, "%s+0x%llx", base ? base + 1 : path,
	         (unsigned long long)(pc - log->modules[m].base));
}

/* the code location of an access: its exact pc (frame 0), and what it did */
static void access_loc(const struct lr_log *log, const struct lh_rec_race_access *a, char *buf,
                       size_t len)
{
	const struct lr_stack *s = lr_stack(log, a->stack_id);
	char loc[256];

	if (s && s->n)
		ra_code_loc(log, s->pcs[0], loc, sizeof(loc));
	else
		snprintf(loc, sizeof(loc), "?");
	snprintf(buf, len, "%s:%s%s", loc, (a->flags & LH_RACC_WRITE) ? "w" : "r",
	         (a->flags & LH_RACC_ATOMIC) ? "a" : "");
}

/* lazily one symbol context per log, for naming globals */
struct namer {
	const struct lr_log *log;
	struct sym_ctx *sym;
};

static struct sym_ctx *namer_ctx(struct namer *n)
{
	size_t m;

	if (n->sym)
		return n->sym;
	n->sym = sym_new();
	for (m = 0; m < n->log->n_modules; m++) {
		const struct lr_module *lm = &n->log->modules[m];
		struct sym_module_desc d;
		d.path = lm->path;
		d.base = lm->base;
		d.lo = lm->lo;
		d.hi = lm->hi;
		d.build_id = lm->build_id;
		d.build_id_len = lm->build_id_len;
		sym_add_module(n->sym, &d);
	}
	return n->sym;
}

/* The known extents of unnamed globals: a sampled record on a stripped
 * module's candidate whose extent an 8-byte access names carries it in
 * var_base/var_size (1-8 bytes); a record elsewhere in it (a window on
 * the counter's upper half, from its cache line) is the same variable. */
struct extent {
	uint64_t base, size;
};

static size_t known_extents(const struct lr_log *log, struct extent **out)
{
	struct extent *v = NULL;
	size_t i, n = 0, k;

	for (i = 0; i < log->n_races; i++) {
		const struct lh_rec_race *r = &log->races[i].r;
		if (r->var_kind != LH_VAR_GLOBAL || r->detected_by == LH_RACE_BY_INSTRUMENTATION ||
		    !r->var_base || r->var_size == 0 || r->var_size > 8 || r->addr < r->var_base ||
		    r->addr >= r->var_base + r->var_size)
			continue;
		for (k = 0; k < n; k++)
			if (v[k].base == r->var_base && v[k].size == r->var_size)
				break;
		if (k < n)
			continue;
		if ((n & (n - 1)) == 0) /* 0, 1, 2, 4, ...: grow to the next power of two */
			v = xreallocarray(v, n ? n * 2 : 1, sizeof(*v));
		v[n].base = r->var_base;
		v[n++].size = r->var_size;
	}
	*out = v;
	return n;
}

/* the known extent holding a sampled global record's address, or NULL */
static const struct extent *extent_of(const struct extent *v, size_t n, const struct lh_rec_race *r)
{
	size_t k;

	if (r->var_kind != LH_VAR_GLOBAL || r->detected_by == LH_RACE_BY_INSTRUMENTATION)
		return NULL;
	for (k = 0; k < n; k++)
		if (r->addr >= v[k].base && r->addr < v[k].base + v[k].size)
			return &v[k];
	return NULL;
}

/* The variable's key (see races.h) and, for a new finding, its names;
 * ext: the known extent holding an unnamed global's address, or NULL. */
static void var_key(struct namer *n, const struct lr_race *rc, const struct extent *ext, char *key,
                    size_t len, struct ra_finding *out)
{
	const struct lr_log *log = n->log;
	const struct lh_rec_race *r = &rc->r;

	memset(out, 0, sizeof(*out));
	out->var_kind = r->var_kind;
	out->first = rc;
	switch (r->var_kind) {
	case LH_VAR_GLOBAL: {
		struct sym_data d;
		struct sym_section sec;
		int m = fd_module_of(log, r->addr);
		uint64_t at = r->addr;
		char loc[256];
		if (m >= 0)
			out->module = xstrdup(log->modules[m].path);
		if (m >= 0 && sym_data_lookup(namer_ctx(n), r->addr, &d)) {
			const char *base = strrchr(log->modules[m].path, '/');
			out->name = xstrdup(d.name);
			out->offset = r->addr - d.start;
			snprintf(key, len, "g:%s:%s", base ? base + 1 : log->modules[m].path, d.name);
			return;
		}
		/* no symbol, and the extent is known: named by its first byte */
		if (ext && fd_module_of(log, ext->base) == m) {
			at = ext->base;
			out->extent = ext->size;
			out->extent_base = ext->base;
		}
		if (m >= 0)
			out->offset = at - log->modules[m].base;
		/* no symbol (a stripped module): the section and the offset in
		 * it, which stay the same from run to run */
		if (m >= 0 && sym_data_section(namer_ctx(n), at, &sec)) {
			const char *base = strrchr(log->modules[m].path, '/');
			out->section = xstrdup(sec.name);
			out->section_offset = sec.offset;
			snprintf(key, len, "g:%s:%s+0x%llx", base ? base + 1 : log->modules[m].path,
			         sec.name, (unsigned long long)sec.offset);
			return;
		}
		ra_code_loc(log, at, loc, sizeof(loc));
		snprintf(key, len, "g:%s", loc);
		return;
	}
	case LH_VAR_HEAP: {
		const struct lr_stack *s = lr_stack(log, r->alloc_stack);
		size_t off, i;
		out->offset = r->addr - r->var_base;
		off = (size_t)snprintf(key, len, "h:+0x%llx:", (unsigned long long)out->offset);
		if (!s || s->n == 0) {
			snprintf(key + off, len - off, "block@0x%llx", (unsigned long long)r->var_base);
			return;
		}
		for (i = 0; i < s->n && off + 1 < len; i++) {
			char loc[256];
			ra_code_loc(log, s->pcs[i], loc, sizeof(loc));
			off += (size_t)snprintf(key + off, len - off, "%s%s", i ? "<" : "", loc);
		}
		return;
	}
	case LH_VAR_STACK:
		snprintf(key, len, "s:T%010u:0x%016llx", r->alloc_thread, (unsigned long long)r->addr);
		return;
	default:
		snprintf(key, len, "u:0x%016llx", (unsigned long long)r->addr);
		return;
	}
}

struct pair_ent {
	char *key;
	size_t idx; /* in ra_finding.pairs */
	UT_hash_handle hh;
};

struct grp {
	char *key;
	size_t fidx; /* in res->f: res->f moves as findings are added */
	struct pair_ent *pairs;
	size_t cap;
	UT_hash_handle hh;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct ra_pair *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void add_pair(struct grp *g, struct ra_finding *rf, const char *key, const struct lr_race *rc)
{
	struct pair_ent *pe;

	HASH_FIND_STR(g->pairs, key, pe);
	if (pe) {
		rf->pairs[pe->idx].count++;
		return;
	}
	if (rf->n_pairs == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 4;
		rf->pairs = xreallocarray(rf->pairs, g->cap, sizeof(*rf->pairs));
	}
	pe = xcalloc(1, sizeof(*pe));
	pe->key = xstrdup(key);
	pe->idx = rf->n_pairs;
	rf->pairs[rf->n_pairs].rec = rc;
	rf->pairs[rf->n_pairs].count = 1;
	rf->pairs[rf->n_pairs].key = xstrdup(key);
	rf->n_pairs++;
	HASH_ADD_KEYPTR(hh, g->pairs, pe->key, strlen(pe->key), pe);
}

static void add_lock_id(struct fd_finding *f, uint64_t id)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->locks[i] == id)
			return;
	f->locks = xreallocarray(f->locks, f->n + 1, sizeof(uint64_t));
	f->locks[f->n++] = id;
}

void ra_analyze(const struct lr_log *log, struct fd_result *res)
{
	struct namer nm = { log, NULL };
	struct grp *groups = NULL, *g, *tg;
	char *key = xmalloc(RA_KEY_LEN);
	struct extent *ext;
	size_t i, j, n_ext = known_extents(log, &ext);

	for (i = 0; i < log->n_races; i++) {
		const struct lr_race *r = &log->races[i];
		struct ra_finding named;
		char a[300], b[300], pk[620];

		/* a sampled record on a variable declared atomic: the trap
		 * source saw plain-looking moves of an atomic (x86 compiles
		 * atomic loads and release stores to plain moves) */
		if (r->r.detected_by != LH_RACE_BY_INSTRUMENTATION && r->r.var_kind == LH_VAR_GLOBAL &&
		    sym_data_atomic(namer_ctx(&nm), r->r.addr))
			continue;
		var_key(&nm, r, extent_of(ext, n_ext, &r->r), key, RA_KEY_LEN, &named);
		HASH_FIND_STR(groups, key, g);
		if (!g) {
			struct fd_finding *f = fd_new_finding(res);
			g = xcalloc(1, sizeof(*g));
			f->kind = FD_RACE;
			f->log = log;
			f->race = xmalloc(sizeof(*f->race));
			*f->race = named;
			f->key = xstrdup(key);
			g->key = xstrdup(key);
			g->fidx = (size_t)(f - res->f);
			HASH_ADD_KEYPTR(hh, groups, g->key, strlen(g->key), g);
		} else {
			free(named.name);
			free(named.module);
			free(named.section);
		}
		/* an unordered pair: which side came first is timing */
		access_loc(log, &r->r.prev, a, sizeof(a));
		access_loc(log, &r->r.cur, b, sizeof(b));
		if (strcmp(a, b) <= 0)
			snprintf(pk, sizeof(pk), "%s|%s", a, b);
		else
			snprintf(pk, sizeof(pk), "%s|%s", b, a);
		res->f[g->fidx].count++;
		add_pair(g, res->f[g->fidx].race, pk, r);
	}
	HASH_ITER(hh, groups, g, tg)
	{
		struct fd_finding *f = &res->f[g->fidx];
		struct ra_finding *rf = f->race;
		struct pair_ent *pe, *tp;

		qsort(rf->pairs, rf->n_pairs, sizeof(rf->pairs[0]), cmp_pair);
		for (j = 0; j < rf->n_pairs; j++) {
			const struct lr_race *r = rf->pairs[j].rec;
			uint32_t k;
			for (k = 0; k < r->r.n_locks_prev; k++)
				add_lock_id(f, r->locks[r->r.n_locks_cur + k]);
			for (k = 0; k < r->r.n_locks_cur; k++)
				add_lock_id(f, r->locks[k]);
		}
		HASH_ITER(hh, g->pairs, pe, tp)
		{
			HASH_DEL(g->pairs, pe);
			free(pe->key);
			free(pe);
		}
		HASH_DEL(groups, g);
		free(g->key);
		free(g);
	}
	if (nm.sym)
		sym_free(nm.sym);
	free(ext);
	free(key);
}

void ra_free(struct ra_finding *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_pairs; i++)
		free(r->pairs[i].key);
	free(r->pairs);
	free(r->name);
	free(r->module);
	free(r->section);
	free(r);
}
