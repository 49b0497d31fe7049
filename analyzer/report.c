/*
 * report.c - text and JSON reports (see report.h).
 *
 * Both renderings read one resolved view (struct rp): per log, a sym_ctx
 * (each log is its own address space), the symbolized stacks and the
 * symbol names of lock addresses.  A stack is symbolized the first time a
 * rendering asks for it and kept, so `run --json` (text and JSON from one
 * view) resolves each stack once.  The text report drops the libc frames
 * below the program's own outermost frame (thread start-up,
 * __libc_start_main): they are in the JSON for tools, but a person reading
 * a report does not need them; which frames the text shows is decided once,
 * when the stack is resolved (n_shown).
 *
 * A stack of a Python program (a CPython interpreter) also carries the
 * Python frames of the thread: they come first in the resolved stack
 * (n_py of them, innermost first, marked "lang": "python" in the JSON),
 * then the native frames ("lang": "native").  The text shows the native
 * frames above the interpreter (a C extension's own code, innermost), then
 * the Python frames, and leaves the interpreter's frames to the JSON.
 */
#include "report.h"
#include "report_int.h"
#include "lh_misuse.h"
#include "xalloc.h"
#include "symbolize.h"
#include "suppress.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define uthash_fatal(msg) xalloc_die(0) /* xalloc.h's policy */
#include <uthash.h>

/* frames kept per stack, inline expansion included (LH_MAX_FRAMES
 * recorded pcs, each may expand into several inlined frames) */
#define MAX_SYM 256

/* one symbolized stack of one log */
struct rp_rstack {
	uint32_t id;
	size_t n;       /* frames in fr */
	size_t n_py;    /* the first n_py frames of fr are Python frames */
	size_t n_shown; /* native stack: the first n_shown frames are the text
	                 * report's; with Python frames, the native frames
	                 * fr[n_py .. n_py + n_shown) are, before the Python ones */
	struct sym_frame *fr; /* strings owned by the log's sym_ctx */
	UT_hash_handle hh;
};

/* the symbol naming a lock's address (NULL: none) */
struct rp_rsym {
	uint64_t addr;
	const char *name;
	UT_hash_handle hh;
};

struct rp_rlog {
	const struct lr_log *log;
	struct sym_ctx *sym; /* created on first use */
	struct rp_rstack *stacks;
	struct rp_rsym *syms;
};

struct rp {
	const struct rp_input *in;
	struct rp_rlog *logs; /* one per in->logs[i] */
	struct rp_view_stats st;
	char *root; /* source root, no trailing '/'; NULL: none */
	const struct su_list *supp; /* what filtered findings out (rp_view_set_filtered) */
	size_t n_baselined;
	const char *baseline_path;
};

static struct rp_rlog *rlog_of(struct rp *r, const struct lr_log *log)
{
	size_t i;
	for (i = 0; i < r->in->n_logs; i++)
		if (r->in->logs[i] == log)
			return &r->logs[i];
	return &r->logs[0];
}

static struct sym_ctx *sym_for(struct rp *r, const struct lr_log *log)
{
	struct rp_rlog *rl = rlog_of(r, log);
	size_t m;

	if (!rl->sym) {
		rl->sym = sym_new();
		for (m = 0; m < log->n_modules; m++) {
			struct sym_module_desc d;
			d.path = log->modules[m].path;
			d.base = log->modules[m].base;
			d.lo = log->modules[m].lo;
			d.hi = log->modules[m].hi;
			d.build_id = log->modules[m].build_id;
			d.build_id_len = log->modules[m].build_id_len;
			sym_add_module(rl->sym, &d);
		}
	}
	return rl->sym;
}

static int is_libc(const char *module);

/* the text report hides the start-up frames below main and below a
 * thread's start function: libc's, and the executable's _start */
static size_t shown_frames(const struct sym_frame *fr, size_t n)
{
	size_t i, last = n;

	for (i = 0; i < n; i++)
		if (fr[i].function && !strcmp(fr[i].function, "main")) {
			last = i + 1;
			break;
		}
	while (last > 1 && (is_libc(fr[last - 1].module) ||
	                    (fr[last - 1].function && !strcmp(fr[last - 1].function, "_start"))))
		last--;
	return last;
}

/* Is a native frame CPython's own: in the interpreter's executable,
 * libpython or its standard library's extension modules (lib-dynload), or
 * a function of its API (Py*, _Py*), where the executable of an embedding
 * program has it linked in? */
static int is_interpreter(const struct sym_frame *f)
{
	const char *b = f->module ? strrchr(f->module, '/') : NULL;

	b = b ? b + 1 : f->module;
	if (b && (!strncmp(b, "python", 6) || !strncmp(b, "libpython", 9) ||
	          strstr(f->module, "/lib-dynload/")))
		return 1;
	return f->function && (!strncmp(f->function, "Py", 2) || !strncmp(f->function, "_Py", 3));
}

/* the native frames of a Python program's stack that the text shows: the
 * innermost ones, up to the first of the interpreter */
static size_t above_interpreter(const struct sym_frame *fr, size_t n)
{
	size_t i;

	for (i = 0; i < n && !is_interpreter(&fr[i]); i++)
		;
	return i;
}

/* The resolved stack stack_id of log, symbolized (inlined calls expanded)
 * on first use and kept; NULL if the log has no such stack. */
static const struct rp_rstack *rstack(struct rp *r, const struct lr_log *log, uint32_t stack_id)
{
	struct rp_rlog *rl = rlog_of(r, log);
	const struct lr_stack *s;
	struct rp_rstack *rs;
	struct sym_frame tmp[MAX_SYM];
	struct sym_ctx *sc;
	size_t n = 0, i;

	HASH_FIND(hh, rl->stacks, &stack_id, sizeof(stack_id), rs);
	if (rs)
		return rs;
	s = lr_stack(log, stack_id);
	if (!s)
		return NULL;
	sc = sym_for(r, log);
	for (i = 0; i < s->n_py && n < MAX_SYM; i++, n++) {
		memset(&tmp[n], 0, sizeof(tmp[n]));
		tmp[n].function = s->py[i].func;
		tmp[n].file = s->py[i].file;
		tmp[n].line = (int)s->py[i].line;
	}
	for (i = 0; i < s->n && n < MAX_SYM; i++) {
		int is_ret = !(i == 0 && (s->flags & LH_STACK_FIRST_IS_PC));
		n += sym_lookup(sc, s->pcs[i], is_ret, tmp + n, MAX_SYM - n);
		r->st.n_pc_lookups++;
	}
	rs = xcalloc(1, sizeof(*rs));
	rs->id = stack_id;
	rs->n = n;
	rs->fr = xcalloc(n, sizeof(*rs->fr));
	memcpy(rs->fr, tmp, n * sizeof(*rs->fr));
	rs->n_py = s->n_py < n ? s->n_py : n;
	rs->n_shown = rs->n_py ? above_interpreter(rs->fr + rs->n_py, n - rs->n_py)
	                       : shown_frames(rs->fr, n);
	HASH_ADD(hh, rl->stacks, id, sizeof(rs->id), rs);
	r->st.n_stacks_resolved++;
	return rs;
}

static int is_libc(const char *module)
{
	const char *b;
	if (!module)
		return 0;
	b = strrchr(module, '/');
	b = b ? b + 1 : module;
	return !strncmp(b, "libc.so", 7) || !strncmp(b, "libc-", 5) || !strncmp(b, "ld-linux", 8);
}

static const char *base_name(const char *p)
{
	const char *b = p ? strrchr(p, '/') : NULL;
	return b ? b + 1 : p;
}

const char *rp_kind_name(uint32_t kind)
{
	switch (kind) {
	case LH_LOCK_MUTEX:
		return "mutex";
	case LH_LOCK_RWLOCK:
		return "rwlock";
	case LH_LOCK_SPIN:
		return "spinlock";
	case LH_LOCK_C11_MTX:
		return "c11-mutex";
	case LH_LOCK_USER:
		return "user";
	case LH_LOCK_SEM:
		return "semaphore";
	case LH_LOCK_BARRIER:
		return "barrier";
	case LH_LOCK_COND:
		return "condvar";
	}
	return "lock";
}

static const char *kind_name(uint32_t kind)
{
	return rp_kind_name(kind);
}

/* a global's name for a lock's address, if its module's symbols have one
 * (looked up once per address and kept in the view) */
static const char *lock_symbol(struct rp *r, const struct lr_log *log, const struct lr_lock *l)
{
	struct rp_rlog *rl;
	struct rp_rsym *e;
	struct sym_frame f;

	if (!l || fd_module_of(log, l->addr) < 0)
		return NULL;
	rl = rlog_of(r, log);
	HASH_FIND(hh, rl->syms, &l->addr, sizeof(l->addr), e);
	if (e)
		return e->name;
	e = xcalloc(1, sizeof(*e));
	e->addr = l->addr;
	r->st.n_pc_lookups++;
	if (sym_lookup(sym_for(r, log), l->addr, 0, &f, 1) >= 1 && f.function)
		e->name = f.function;
	HASH_ADD(hh, rl->syms, addr, sizeof(e->addr), e);
	return e->name;
}

/* ------------------------------------------------------------------ text */

/* ---- program-controlled strings ---- */

/* the length of the valid UTF-8 sequence at s, 0 if invalid */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void rp_put(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = utf8_len(s);
		unsigned c = *s;
		if (n == 2 && c == 0xc2 && s[1] < 0xa0) {
			/* a C1 control character (CSI is U+009B) */
			fprintf(out, "\\u%04x", (unsigned)s[1]);
			s += 2;
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, n, out);
			s += n;
			continue;
		}
		if (c == '\\')
			fputs("\\\\", out);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c == '\r')
			fputs("\\r", out);
		else if (c == 0x1b)
			fputs("\\e", out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\x%02x", c); /* a control, or a byte of no
			                                valid UTF-8 sequence */
		else
			fputc((int)c, out);
		s++;
	}
}

json_t *rp_json_str(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len, i, o;
	char *buf;
	json_t *j;

	if (!str)
		return NULL;
	for (i = 0; s[i]; i += utf8_len(s + i))
		if (!utf8_len(s + i))
			break;
	if (!s[i])
		return json_string(str);
	len = strlen(str);
	buf = xmalloc(len * 4 + 1);
	for (i = 0, o = 0; s[i];) {
		size_t n = utf8_len(s + i);
		if (!n) {
			o += (size_t)sprintf(buf + o, "\\x%02x", s[i]);
			i++;
		} else if (s[i] == '\\') {
			buf[o++] = '\\';
			buf[o++] = '\\';
			i++;
		} else {
			memcpy(buf + o, s + i, n);
			o += n;
			i += n;
		}
	}
	buf[o] = 0;
	j = json_string(buf);
	free(buf);
	return j;
}

static void text_frame(FILE *out, const struct sym_frame *f, size_t i, const char *indent);

static void text_stack(FILE *out, struct rp *r, const struct lr_log *log, uint32_t stack_id,
                       const char *indent)
{
	const struct rp_rstack *rs = rstack(r, log, stack_id);
	const struct sym_frame *fr;
	size_t i;

	if (!rs || rs->n == 0) {
		fprintf(out, "%s(no stack recorded)\n", indent);
		return;
	}
	fr = rs->fr;
	if (rs->n_py) {
		/* the native frames above the interpreter, then the Python frames */
		size_t k = 0;
		for (i = 0; i < rs->n_shown; i++)
			text_frame(out, &fr[rs->n_py + i], k++, indent);
		for (i = 0; i < rs->n_py; i++)
			text_frame(out, &fr[i], k++, indent);
		fprintf(out, "%s    (native frames: in the JSON report)\n", indent);
		return;
	}
	for (i = 0; i < rs->n_shown; i++)
		text_frame(out, &fr[i], i, indent);
}

/* one "#N function  file:line" line; a Python frame has no module and
 * always a file */
static void text_frame(FILE *out, const struct sym_frame *f, size_t i, const char *indent)
{
	fprintf(out, "%s#%-2zu ", indent, i);
	if (f->function)
		rp_put(out, f->function);
	else
		fprintf(out, "0x%llx", (unsigned long long)f->pc);
	if (f->file) {
		fputs("  ", out);
		rp_put(out, f->file);
		fprintf(out, ":%d", f->line);
	}
	if (!f->file || !f->function) {
		if (f->module) {
			fputs("  (", out);
			rp_put(out, base_name(f->module));
			fprintf(out, "+0x%llx)", (unsigned long long)f->offset);
		} else {
			fprintf(out, "  (no module)");
		}
	}
	fprintf(out, "%s\n", f->inlined ? "  [inlined]" : "");
}

static void text_thread_name(FILE *out, const struct lr_log *log, uint32_t id)
{
	const struct lr_thread *t = lr_thread(log, id), *main_t = lr_thread(log, 1);
	fprintf(out, "T%u", id);
	/* threads inherit the program's name: show only names of their own */
	if (t && t->name[0] && id != 1 && !(main_t && !strcmp(main_t->name, t->name))) {
		fputs(" \"", out);
		rp_put(out, t->name);
		fputc('"', out);
	}
}

static const char *mode_word(int mode, uint32_t kind)
{
	if (kind == LH_LOCK_RWLOCK)
		return mode == LH_MODE_SHARED ? " for reading" : " for writing";
	return "";
}


/* Add thread id to the distinct list v of *n entries (at most 64 are
 * listed); returns 1 if it was new and added. */
static int add_thread(uint32_t *v, size_t *n, uint32_t id)
{
	size_t j;

	if (!id || *n >= 64)
		return 0;
	for (j = 0; j < *n; j++)
		if (v[j] == id)
			return 0;
	v[(*n)++] = id;
	return 1;
}

static void text_lock_line(FILE *out, struct rp *r, const struct lr_log *log, const struct fd_finding *f,
                           size_t i)
{
	const struct lr_lock *l = lr_lock(log, f->locks[i]);
	const char *sym = lock_symbol(r, log, l);

	fprintf(out, "  M%zu: %s%s", i + 1, l ? kind_name(l->kind) : "lock",
	        l && (l->flags & LH_LOCKF_RECURSIVE) ? " (recursive)" : "");
	if (f->kind == FD_CYCLE && f->edge_logs)
		fprintf(out, " of pid %u", log->hdr.pid); /* a cycle across processes */
	if (sym) {
		fputs(" '", out);
		rp_put(out, sym);
		fputc('\'', out);
	}
	if (l)
		fprintf(out, " at 0x%llx", (unsigned long long)l->addr);
	if (l && l->init_stack) {
		fprintf(out, ", initialized at:\n");
		text_stack(out, r, log, l->init_stack, "        ");
	} else {
		/* no init call seen: a static initializer or a C++ std::mutex,
		 * global or on the stack; the shim cannot tell which */
		fprintf(out, "%s\n", l && (l->flags & LH_LOCKF_STATIC_INIT) ? ", no init call seen" : "");
	}
}

static size_t label_index(const struct fd_finding *f, uint64_t id)
{
	size_t i;
	for (i = 0; i < f->n; i++)
		if (f->locks[i] == id)
			return i + 1;
	return 0;
}

static void text_threads(FILE *out, struct rp *r, const struct lr_log *log, const uint32_t *ids, size_t n);

static void text_deadlock(FILE *out, struct rp *r, const struct fd_finding *f, size_t fid)
{
	const struct lr_log *log = f->log;
	const struct lr_finding *lf = f->live;
	uint32_t threads[64];
	size_t nt = 0, i;

	for (i = 0; i < lf->f.n_items; i++)
		add_thread(threads, &nt, lf->items[i].thread_id);
	{
		/* the count, uncapped (the list above keeps the first 64) */
		size_t k, m;
		for (nt = 0, k = 0; k < lf->f.n_items; k++) {
			for (m = 0; m < k; m++)
				if (lf->items[m].thread_id == lf->items[k].thread_id)
					break;
			if (m == k)
				nt++;
		}
	}
	if (lf->f.what == LH_DL_SELF) {
		fprintf(out, "==== lockhound: F%zu: deadlock: a thread blocks on a lock it holds ====\n", fid);
		fprintf(out, "T%u waits for a lock it already holds; the lock is not recursive, so it\n"
		             "waits for itself forever.\n",
		        lf->f.thread_id);
	} else if (lf->f.what == LH_DL_STALL) {
		fprintf(out, "==== lockhound: F%zu: deadlock: %zu thread%s blocked, none left to wake %s ====\n",
		        fid, nt, nt == 1 ? "" : "s", nt == 1 ? "it" : "them");
		fprintf(out, "Every thread of the process is blocked, and some wait for an event (a\n"
		             "signal, the other threads of a barrier, waiters leaving) that only a\n"
		             "running thread could cause: no one can release them.\n");
	} else {
		fprintf(out, "==== lockhound: F%zu: deadlock: %zu threads block each other ====\n", fid, nt);
		fprintf(out, "Each thread waits for something the next one holds, and none can go on.\n");
	}
	if (log->complete && (log->end.flags & LH_END_DEADLOCK))
		fprintf(out, "The program hung here; lockhound ended it with exit code %d.\n",
		        log->end.exit_status);
	fprintf(out, "\n");
	for (i = 0; i < f->n; i++)
		text_lock_line(out, r, log, f, i);
	fprintf(out, "\n");
	for (i = 0; i < lf->f.n_items; i++) {
		const struct lh_rec_finding_item *it = &lf->items[i];
		fprintf(out, "  ");
		text_thread_name(out, log, it->thread_id);
		if (it->role == LH_ROLE_JOINS) {
			fprintf(out, " waits in join for T%u to end, blocked at:\n", it->target_thread);
			text_stack(out, r, log, it->stack_id, "      ");
		} else if (it->role == LH_ROLE_POSTER) {
			fprintf(out, " is the only thread that posted M%zu so far; it could post it again, "
			             "but it is blocked too\n",
			        label_index(f, it->lock_id));
		} else if (it->role == LH_ROLE_SIGNAL) {
			fprintf(out, " waits on M%zu for a signal, blocked at:\n", label_index(f, it->lock_id));
			text_stack(out, r, log, it->stack_id, "      ");
		} else if (it->role == LH_ROLE_BARRIER) {
			fprintf(out, " waits in M%zu for the other threads to arrive, blocked at:\n",
			        label_index(f, it->lock_id));
			text_stack(out, r, log, it->stack_id, "      ");
		} else if (it->role == LH_ROLE_DESTROYS) {
			fprintf(out, " destroys M%zu and waits for its waiters to leave, blocked at:\n",
			        label_index(f, it->lock_id));
			text_stack(out, r, log, it->stack_id, "      ");
		} else if (it->role == LH_ROLE_WAITS) {
			const struct lr_lock *l = lr_lock(log, it->lock_id);
			fprintf(out, " waits for M%zu%s, blocked at:\n", label_index(f, it->lock_id),
			        mode_word(it->mode, l ? l->kind : 0));
			text_stack(out, r, log, it->stack_id, "      ");
		} else {
			const struct lr_lock *l = lr_lock(log, it->lock_id);
			fprintf(out, " holds M%zu%s, acquired at:\n", label_index(f, it->lock_id),
			        mode_word(it->mode, l ? l->kind : 0));
			text_stack(out, r, log, it->stack_id, "      ");
		}
	}
	fprintf(out, "\n");
	text_threads(out, r, log, threads, nt < 64 ? nt : 64);
	fprintf(out, "\n");
}

static void text_misuse(FILE *out, struct rp *r, const struct fd_finding *f, size_t fid)
{
	const struct lr_log *log = f->log;
	const struct lr_finding *lf = f->live;
	uint32_t threads[64];
	size_t nt = 0, i;

	threads[nt++] = lf->f.thread_id;
	for (i = 0; i < lf->f.n_items; i++)
		add_thread(threads, &nt, lf->items[i].thread_id);
	fprintf(out, "==== lockhound: F%zu: threading API misuse: %s (%s) ====\n", fid,
	        lh_misuse_text(lf->f.what), lh_misuse_name(lf->f.what));
	for (i = 0; i < f->n; i++)
		text_lock_line(out, r, log, f, i);
	fprintf(out, "\n  ");
	text_thread_name(out, log, lf->f.thread_id);
	if (lf->f.what == LH_MIS_EXIT_HOLDING)
		fprintf(out, " ends while holding %u lock%s:\n", lf->f.n_items, lf->f.n_items == 1 ? "" : "s");
	else
		fprintf(out, " at:\n");
	if (lf->f.what != LH_MIS_EXIT_HOLDING)
		text_stack(out, r, log, lf->f.stack_id, "      ");
	for (i = 0; i < lf->f.n_items; i++) {
		const struct lh_rec_finding_item *it = &lf->items[i];
		if (it->role == LH_ROLE_WAITS) {
			fprintf(out, "  ");
			text_thread_name(out, log, it->thread_id);
			if (lf->f.what == LH_MIS_COND_TWO_MUTEXES)
				fprintf(out, " waits on the same condition variable with M%zu, at:\n",
				        label_index(f, it->lock_id));
			else
				fprintf(out, " waits on M%zu, at:\n", label_index(f, it->lock_id));
			text_stack(out, r, log, it->stack_id, "      ");
			continue;
		}
		if (it->role != LH_ROLE_HOLDS)
			continue;
		fprintf(out, "  ");
		text_thread_name(out, log, it->thread_id);
		if (it->lock_id)
			fprintf(out, " holds M%zu", label_index(f, it->lock_id));
		else
			fprintf(out, " holds it");
		if (it->stack_id) {
			fprintf(out, ", acquired at:\n");
			text_stack(out, r, log, it->stack_id, "      ");
		} else {
			fprintf(out, "\n");
		}
	}
	if (f->count > 1)
		fprintf(out, "  (seen %zu times at this call site)\n", f->count);
	fprintf(out, "\n");
	text_threads(out, r, log, threads, nt);
	fprintf(out, "\n");
}

/* " (pid N)" after a thread of a cycle across processes, whose thread
 * numbers are each process's own */
static void text_pid_of(FILE *out, const struct fd_finding *f, size_t i)
{
	if (f->edge_logs)
		fprintf(out, " (pid %u)", fd_edge_log(f, i)->hdr.pid);
}

/* processes named in the text report's list, then "and N more" */
#define RP_MAX_PROCS_LISTED 16

static void text_cycle(FILE *out, struct rp *r, const struct fd_finding *f, size_t fid)
{
	const struct lr_log *log = f->log;
	uint32_t threads[64];
	size_t nt = 0, i, j, k;

	fprintf(out, "==== lockhound: F%zu: potential deadlock: lock-order cycle of %zu locks%s ====\n",
	        fid, f->n, f->edge_logs ? " across processes" : "");
	/* the orders at a glance: "T2 takes M1 then M2; T3 takes M2 then M1" */
	for (i = 0; i < f->n; i++) {
		fprintf(out, "%s%sT%u", i == 0 ? "" : ";", i == 0 ? "" : (i % 3 ? " " : "\n"),
		        f->edges[i]->thread);
		text_pid_of(out, f, i);
		fprintf(out, " takes M%zu then M%zu", i + 1, (i + 1) % f->n + 1);
	}
	fprintf(out, ".\n");
	if (f->edge_logs)
		fprintf(out, "No single process formed this cycle: %zu processes each took part of it.\n"
		             "The same code run in one process (or locks shared between processes)\n"
		             "could hold one lock each and wait forever for the next. Locks of\n"
		             "different processes are matched by where they live (a global: module\n"
		             "and offset) or where they were initialized.\n",
		        f->n_procs);
	else if (f->single_thread)
		fprintf(out, "One thread did both, at different times: two threads running these paths\n"
		             "at once could each hold one lock and wait forever for the other.\n");
	else if (f->concurrent)
		fprintf(out, "These threads were alive at the same time: if each takes its first lock\n"
		             "before the next takes its second, they all wait forever.\n");
	else
		fprintf(out, "These threads did not overlap in this run, but nothing orders them: if\n"
		             "they ever do, each can hold one lock and wait forever for the next.\n");
	if (f->edge_logs) {
		for (i = 0; i < f->n; i++) {
			for (j = 0; j < i; j++)
				if (f->edge_logs[j] == f->edge_logs[i])
					break;
			if (j < i)
				continue;
			fprintf(out, "Process %u (", f->edge_logs[i]->hdr.pid);
			rp_put(out, f->edge_logs[i]->exe ? f->edge_logs[i]->exe : "?");
			fputs(")\n", out);
		}
	} else if (log->hdr.pid && r->in->n_logs > 1) {
		fprintf(out, "Process %u (", log->hdr.pid);
		rp_put(out, log->exe ? log->exe : "?");
		fputs(")\n", out);
	}
	fprintf(out, "\n");

	for (i = 0; i < f->n; i++)
		text_lock_line(out, r, fd_edge_log(f, i), f, i);
	fprintf(out, "\n");

	for (i = 0; i < f->n; i++) {
		const struct lr_log *el = fd_edge_log(f, i);
		const struct lr_edge *e = f->edges[i];
		const struct lr_lock *from = lr_lock(el, e->from), *to = lr_lock(el, e->to);
		size_t a = i + 1, b = (i + 1) % f->n + 1;
		fprintf(out, "  ");
		text_thread_name(out, el, e->thread);
		text_pid_of(out, f, i);
		fprintf(out, " acquires M%zu%s while holding M%zu%s\n", b,
		        mode_word(e->to_mode, to ? to->kind : 0), a,
		        mode_word(e->from_mode, from ? from->kind : 0));
		fprintf(out, "    M%zu acquired at:\n", b);
		text_stack(out, r, el, e->to_stack, "      ");
		fprintf(out, "    M%zu was acquired at%s:\n", a,
		        (e->flags & LH_EDGE_FROM_STACK_PARTIAL) ? " (call site exact, callers not recorded)" : "");
		text_stack(out, r, el, e->from_stack, "      ");
		if (e->n_gates) {
			fprintf(out, "    also holding:");
			for (j = 0; j < e->n_gates; j++)
				fprintf(out, " 0x%llx", (unsigned long long)(lr_lock(el, e->gates[j].lock_id)
				                                                 ? lr_lock(el, e->gates[j].lock_id)->addr
				                                                 : 0));
			fprintf(out, "\n");
		}
		fprintf(out, "\n");
	}

	/* the threads, per process (one for a cycle of one log) */
	for (i = 0; i < f->n; i++) {
		const struct lr_log *el = fd_edge_log(f, i);
		for (j = 0; j < i; j++)
			if (fd_edge_log(f, j) == el)
				break;
		if (j < i)
			continue;
		nt = 0;
		for (k = i; k < f->n; k++)
			if (fd_edge_log(f, k) == el)
				add_thread(threads, &nt, f->edges[k]->thread);
		if (f->edge_logs)
			fprintf(out, "  in process %u:\n", el->hdr.pid);
		text_threads(out, r, el, threads, nt);
	}
	if (f->count > 1)
		fprintf(out, "\n  The same code forms this cycle %zu times, with different locks.\n",
		        f->count);
	fprintf(out, "\n  Fix: take these locks in one order everywhere, or guard both paths with one\n"
	             "  lock that is taken first.\n\n");
}

static void text_threads(FILE *out, struct rp *r, const struct lr_log *log, const uint32_t *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct lr_thread *t = lr_thread(log, ids[i]);
		fprintf(out, "  ");
		text_thread_name(out, log, ids[i]);
		if (!t) {
			fprintf(out, ": not recorded\n");
		} else if (t->create_stack) {
			fprintf(out, " (tid %u), created by ", t->os_tid);
			text_thread_name(out, log, t->parent);
			fprintf(out, " at:\n");
			text_stack(out, r, log, t->create_stack, "      ");
		} else {
			fprintf(out, " (tid %u)%s\n", t->os_tid,
			        t->parent == 0 && t->id == 1 ? ", the main thread" : "");
		}
	}
}

/* The threads a log's process ran: the count its END record gives, or
 * (cut short, or an older shim) the threads its records name, which is a
 * lower bound; *exact says which. */
static size_t threads_run(const struct lr_log *log, int *exact)
{
	*exact = log->complete && log->end.n_threads > 0;
	if (*exact)
		return log->end.n_threads > log->n_threads ? log->end.n_threads : log->n_threads;
	return log->n_threads;
}

/* Could the report be missing something?  The shim notes every limit that
 * stops detection (a full table, too many held locks, ...), the reader
 * lists what it could not read, and the cycle search may stop at a cap. */
static int may_be_incomplete(const struct rp_input *in)
{
	size_t i;

	if (in->res->capped || in->res->budget_hit)
		return 1;
	for (i = 0; i < in->n_logs; i++)
		if (in->logs[i]->n_notes || in->logs[i]->n_errors)
			return 1;
	return 0;
}

int rp_may_be_incomplete(const struct rp_input *in)
{
	return may_be_incomplete(in);
}

void rp_summary(char *buf, size_t len, const struct fd_result *res)
{
	size_t n_cycle = 0, n_dead = 0, n_mis = 0, n_race = 0, i;
	int off = 0;

	for (i = 0; i < res->n; i++) {
		switch (res->f[i].kind) {
		case FD_CYCLE:
			n_cycle++;
			break;
		case FD_DEADLOCK:
			n_dead++;
			break;
		case FD_MISUSE:
			n_mis++;
			break;
		case FD_RACE:
			n_race++;
			break;
		}
	}
	if (res->n == 0) {
		snprintf(buf, len, "no findings");
		return;
	}
	off = snprintf(buf, len, "%zu finding%s:", res->n, res->n == 1 ? "" : "s");
#define PART(n, what)                                                                              \
	if ((n) && off < (int)len)                                                                 \
		off += snprintf(buf + off, len - (size_t)off, "%s %zu %s", off > 0 && buf[off - 1] != ':' ? "," : "", \
		                (size_t)(n), what);
	PART(n_dead, n_dead == 1 ? "deadlock" : "deadlocks");
	PART(n_cycle, n_cycle == 1 ? "potential deadlock (lock-order cycle)"
	                           : "potential deadlocks (lock-order cycles)");
	PART(n_mis, n_mis == 1 ? "threading API misuse" : "threading API misuses");
	PART(n_race, n_race == 1 ? "data race" : "data races");
#undef PART
}

struct rp *rp_view_new(const struct rp_input *in)
{
	struct rp *r = xcalloc(1, sizeof(*r));
	size_t i;

	r->in = in;
	r->logs = xcalloc(in->n_logs ? in->n_logs : 1, sizeof(*r->logs));
	for (i = 0; i < in->n_logs; i++)
		r->logs[i].log = in->logs[i];
	return r;
}

void rp_view_free(struct rp *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->in->n_logs; i++) {
		struct rp_rlog *rl = &r->logs[i];
		struct rp_rstack *s, *ts;
		struct rp_rsym *y, *ty;
		HASH_ITER(hh, rl->stacks, s, ts)
		{
			HASH_DEL(rl->stacks, s);
			free(s->fr);
			free(s);
		}
		HASH_ITER(hh, rl->syms, y, ty)
		{
			HASH_DEL(rl->syms, y);
			free(y);
		}
		if (rl->sym)
			sym_free(rl->sym);
	}
	free(r->logs);
	free(r->root);
	free(r);
}

void rp_view_set_source_root(struct rp *r, const char *root)
{
	size_t n;

	free(r->root);
	r->root = NULL;
	if (!root || !*root)
		return;
	r->root = xstrdup(root);
	n = strlen(r->root);
	while (n > 1 && r->root[n - 1] == '/')
		r->root[--n] = 0;
}

const char *rp_source_root(const struct rp *r)
{
	return r->root;
}

void rp_view_set_filtered(struct rp *r, const struct su_list *supp, size_t n_baselined,
                          const char *baseline_path)
{
	r->supp = supp;
	r->n_baselined = n_baselined;
	r->baseline_path = baseline_path;
}

json_t *rp_view_filter_json(struct rp *r)
{
	json_t *o;

	if (!r->supp && !r->baseline_path)
		return NULL;
	o = json_object();
	if (r->supp) {
		json_object_set_new(o, "suppressed", json_integer((json_int_t)r->supp->n_suppressed));
		json_object_set_new(o, "suppressions", su_json(r->supp));
	}
	if (r->baseline_path) {
		json_object_set_new(o, "baseline", rp_json_str(r->baseline_path));
		json_object_set_new(o, "in_baseline", json_integer((json_int_t)r->n_baselined));
	}
	return o;
}

const struct rp_input *rp_view_input(const struct rp *r)
{
	return r->in;
}

const struct sym_frame *rp_frames(struct rp *r, const struct lr_log *log, uint32_t stack_id,
                                  size_t *n, size_t *n_shown)
{
	const struct rp_rstack *rs = stack_id ? rstack(r, log, stack_id) : NULL;

	*n = rs ? rs->n : 0;
	if (n_shown)
		*n_shown = rs ? rs->n_shown : 0;
	return rs ? rs->fr : NULL;
}

size_t rp_utf8_len(const unsigned char *s)
{
	return utf8_len(s);
}

int rp_is_libc_module(const char *module)
{
	return is_libc(module);
}

struct rp_view_stats rp_view_stats(const struct rp *r)
{
	return r->st;
}

void rp_text(FILE *out, const struct rp_input *in)
{
	struct rp *r = rp_view_new(in);
	rp_view_text(out, r);
	rp_view_free(r);
}

int rp_json(FILE *out, const struct rp_input *in)
{
	struct rp *r = rp_view_new(in);
	int rc = rp_view_json(out, r);
	rp_view_free(r);
	return rc;
}

void rp_view_text(FILE *out, struct rp *r)
{
	const struct rp_input *in = r->in;
	char sum[256];
	size_t i, n_edges = 0, n_locks = 0, n_threads = 0, n_races = 0;
	int all_exact = 1;

	for (i = 0; i < in->n_logs; i++) {
		size_t k;
		n_edges += in->logs[i]->n_edges;
		n_locks += in->logs[i]->n_locks;
		int exact;
		n_threads += threads_run(in->logs[i], &exact);
		all_exact &= exact;
		for (k = 0; k < in->logs[i]->n_errors; k++) {
			fputs("lockhound: warning: ", out);
			rp_put(out, in->logs[i]->path);
			fputs(": ", out);
			rp_put(out, in->logs[i]->errors[k]);
			fputc('\n', out);
		}
		for (k = 0; k < in->logs[i]->n_notes; k++) {
			fprintf(out, "lockhound: note: pid %u: ", in->logs[i]->hdr.pid);
			rp_put(out, in->logs[i]->notes[k]);
			fputc('\n', out);
		}
	}
	for (i = 0; i < in->res->n; i++) {
		const struct fd_finding *f = &in->res->f[i];
		if (f->kind == FD_RACE)
			ra_text(out, r, f, ++n_races);
		else if (f->kind == FD_CYCLE)
			text_cycle(out, r, f, i + 1);
		else if (f->kind == FD_DEADLOCK)
			text_deadlock(out, r, f, i + 1);
		else if (f->kind == FD_MISUSE)
			text_misuse(out, r, f, i + 1);
	}
	if (in->res->capped)
		fprintf(out, "lockhound: note: the lock graph has too many cycles to list them all; "
		             "the search stopped at its limit, so more may exist.\n");
	if (in->res->budget_hit)
		fprintf(out, "lockhound: note: the lock-order analysis reached its budget of work or "
		             "time (%zu cycle%s left undecided): cycles may be missing.\n",
		        in->res->n_undecided, in->res->n_undecided == 1 ? "" : "s");
	for (i = 0; i < in->n_logs; i++) {
		const char *w = r->logs[i].sym ? sym_warnings(r->logs[i].sym) : "";
		if (w && *w)
			fprintf(out, "%s%s", w, w[strlen(w) - 1] == '\n' ? "" : "\n");
	}
	if (may_be_incomplete(in))
		fprintf(out, "lockhound: note: a limit was reached or a log could not be read in full "
		             "(see above): this report may be incomplete.\n");
	if (r->supp)
		su_text_summary(out, r->supp);
	if (r->n_baselined) {
		fprintf(out, "lockhound: %zu finding%s already in the baseline ", r->n_baselined,
		        r->n_baselined == 1 ? "" : "s");
		rp_put(out, r->baseline_path ? r->baseline_path : "");
		fprintf(out, " not reported\n");
	}
	if (in->n_logs > 1) {
		/* which processes: a suite's, or a program's forked and exec'd
		 * children (a fork child's log says so; an exec keeps the pid) */
		fprintf(out, "lockhound: processes analyzed:");
		for (i = 0; i < in->n_logs && i < RP_MAX_PROCS_LISTED; i++) {
			const struct lr_log *l = in->logs[i];
			fprintf(out, "%s pid %u (", i ? "," : "", l->hdr.pid);
			rp_put(out, l->exe ? l->exe : "?");
			fputs(l->hdr.flags & LH_HDR_FORKED_CHILD ? ", forked" : "", out);
			fputc(')', out);
		}
		if (in->n_logs > RP_MAX_PROCS_LISTED)
			fprintf(out, " and %zu more", in->n_logs - RP_MAX_PROCS_LISTED);
		fputc('\n', out);
	}
	rp_summary(sum, sizeof(sum), in->res);
	fprintf(out, "lockhound: %s (%zu process%s, %s%zu thread%s, %zu lock order%s recorded)\n", sum,
	        in->n_logs, in->n_logs == 1 ? "" : "es", all_exact ? "" : "at least ", n_threads,
	        n_threads == 1 ? "" : "s", n_edges, n_edges == 1 ? "" : "s");
	(void)n_locks;
}

/* ------------------------------------------------------------------ JSON */

static json_t *json_hex(uint64_t v)
{
	char b[32];
	snprintf(b, sizeof(b), "0x%llx", (unsigned long long)v);
	return rp_json_str(b);
}

static json_t *json_stack(struct rp *r, const struct lr_log *log, uint32_t stack_id)
{
	const struct rp_rstack *rs = rstack(r, log, stack_id);
	const struct sym_frame *fr = rs ? rs->fr : NULL;
	size_t n = rs ? rs->n : 0, i;
	json_t *a = json_array();

	for (i = 0; i < n; i++) {
		json_t *o = json_object();
		if (i < rs->n_py) {
			json_object_set_new(o, "lang", json_string("python"));
			json_object_set_new(o, "function", rp_json_str(fr[i].function));
			json_object_set_new(o, "file", rp_json_str(fr[i].file));
			if (fr[i].line > 0)
				json_object_set_new(o, "line", json_integer(fr[i].line));
			json_array_append_new(a, o);
			continue;
		}
		json_object_set_new(o, "lang", json_string("native"));
		json_object_set_new(o, "pc", json_hex(fr[i].pc));
		if (fr[i].function)
			json_object_set_new(o, "function", rp_json_str(fr[i].function));
		if (fr[i].file)
			json_object_set_new(o, "file", rp_json_str(fr[i].file));
		if (fr[i].line > 0)
			json_object_set_new(o, "line", json_integer(fr[i].line));
		if (fr[i].module) {
			json_object_set_new(o, "module", rp_json_str(fr[i].module));
			json_object_set_new(o, "offset", json_hex(fr[i].offset));
		}
		if (fr[i].inlined)
			json_object_set_new(o, "inlined", json_true());
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *json_thread(struct rp *r, const struct lr_log *log, uint32_t id)
{
	const struct lr_thread *t = lr_thread(log, id);
	json_t *o = json_object();
	char b[32];

	snprintf(b, sizeof(b), "T%u", id);
	json_object_set_new(o, "id", rp_json_str(b));
	if (t) {
		json_object_set_new(o, "tid", json_integer(t->os_tid));
		if (t->name[0])
			json_object_set_new(o, "name", rp_json_str(t->name));
		if (t->parent) {
			snprintf(b, sizeof(b), "T%u", t->parent);
			json_object_set_new(o, "parent", rp_json_str(b));
		}
		if (t->create_stack)
			json_object_set_new(o, "create_stack", json_stack(r, log, t->create_stack));
	}
	return o;
}

static const char *lock_label(const struct fd_finding *f, uint64_t id, char *buf, size_t len)
{
	size_t i;
	for (i = 0; i < f->n; i++)
		if (f->locks[i] == id) {
			snprintf(buf, len, "M%zu", i + 1);
			return buf;
		}
	snprintf(buf, len, "L%llu", (unsigned long long)id);
	return buf;
}

static json_t *json_lock(struct rp *r, const struct lr_log *log, const struct fd_finding *f, uint64_t id)
{
	const struct lr_lock *l = lr_lock(log, id);
	json_t *o = json_object();
	char b[32];
	const char *sym;

	json_object_set_new(o, "id", rp_json_str(lock_label(f, id, b, sizeof(b))));
	if (!l)
		return o;
	json_object_set_new(o, "address", json_hex(l->addr));
	json_object_set_new(o, "kind", rp_json_str(kind_name(l->kind)));
	json_object_set_new(o, "recursive", json_boolean(l->flags & LH_LOCKF_RECURSIVE));
	json_object_set_new(o, "static_init", json_boolean(l->flags & LH_LOCKF_STATIC_INIT));
	json_object_set_new(o, "generation", json_integer(l->generation));
	sym = lock_symbol(r, log, l);
	if (sym)
		json_object_set_new(o, "symbol", rp_json_str(sym));
	if (l->init_stack)
		json_object_set_new(o, "init_stack", json_stack(r, log, l->init_stack));
	return o;
}

static const char *mode_str(int m)
{
	return m == LH_MODE_SHARED ? "shared" : "exclusive";
}

static json_t *json_cycle(struct rp *r, const struct fd_finding *f, size_t fid)
{
	const struct lr_log *log = f->log;
	json_t *o = json_object(), *locks = json_array(), *threads = json_array(), *edges = json_array();
	uint32_t seen[64];
	const struct lr_log *seen_log[64];
	size_t ns = 0, i, j;
	char b[32];

	snprintf(b, sizeof(b), "F%zu", fid);
	json_object_set_new(o, "id", rp_json_str(b));
	json_object_set_new(o, "kind", rp_json_str("lock-order-cycle"));
	json_object_set_new(o, "pid", json_integer(log->hdr.pid));
	json_object_set_new(o, "count", json_integer((json_int_t)f->count));
	json_object_set_new(o, "concurrent", json_boolean(f->concurrent));
	json_object_set_new(o, "single_thread", json_boolean(f->single_thread));
	if (f->edge_logs) {
		/* a cycle across processes: which, and each lock, edge and
		 * thread says its pid (thread numbers are per process) */
		json_t *procs = json_array();
		json_object_set_new(o, "spans_processes", json_integer((json_int_t)f->n_procs));
		for (i = 0; i < f->n; i++) {
			json_t *po;
			for (j = 0; j < i; j++)
				if (f->edge_logs[j] == f->edge_logs[i])
					break;
			if (j < i)
				continue;
			po = json_object();
			json_object_set_new(po, "pid", json_integer(f->edge_logs[i]->hdr.pid));
			json_object_set_new(po, "exe", f->edge_logs[i]->exe ? rp_json_str(f->edge_logs[i]->exe)
			                                                    : json_null());
			json_array_append_new(procs, po);
		}
		json_object_set_new(o, "processes", procs);
	}
	for (i = 0; i < f->n; i++) {
		json_t *lo = json_lock(r, fd_edge_log(f, i), f, f->locks[i]);
		snprintf(b, sizeof(b), "M%zu", i + 1);
		json_object_set_new(lo, "id", rp_json_str(b)); /* ids of two logs may be equal */
		if (f->edge_logs)
			json_object_set_new(lo, "pid", json_integer(f->edge_logs[i]->hdr.pid));
		json_array_append_new(locks, lo);
	}
	for (i = 0; i < f->n; i++) {
		const struct lr_log *el = fd_edge_log(f, i);
		const struct lr_edge *e = f->edges[i];
		json_t *eo = json_object(), *gates = json_array();
		snprintf(b, sizeof(b), "M%zu", i + 1);
		json_object_set_new(eo, "from", rp_json_str(b));
		snprintf(b, sizeof(b), "M%zu", (i + 1) % f->n + 1);
		json_object_set_new(eo, "to", rp_json_str(b));
		snprintf(b, sizeof(b), "T%u", e->thread);
		json_object_set_new(eo, "thread", rp_json_str(b));
		if (f->edge_logs)
			json_object_set_new(eo, "pid", json_integer(el->hdr.pid));
		json_object_set_new(eo, "from_mode", rp_json_str(mode_str(e->from_mode)));
		json_object_set_new(eo, "to_mode", rp_json_str(mode_str(e->to_mode)));
		json_object_set_new(eo, "held_stack", json_stack(r, el, e->from_stack));
		json_object_set_new(eo, "acquired_stack", json_stack(r, el, e->to_stack));
		if (e->flags & LH_EDGE_FROM_STACK_PARTIAL)
			json_object_set_new(eo, "held_stack_partial", json_true());
		for (j = 0; j < e->n_gates; j++) {
			const struct lr_lock *g = lr_lock(el, e->gates[j].lock_id);
			json_array_append_new(gates, g ? json_hex(g->addr) : json_null());
		}
		json_object_set_new(eo, "gates", gates);
		json_array_append_new(edges, eo);
		for (j = 0; j < ns; j++)
			if (seen[j] == e->thread && seen_log[j] == el)
				break;
		if (j == ns && ns < 64 && e->thread) {
			json_t *to = json_thread(r, el, e->thread);
			if (f->edge_logs)
				json_object_set_new(to, "pid", json_integer(el->hdr.pid));
			seen_log[ns] = el;
			seen[ns++] = e->thread;
			json_array_append_new(threads, to);
		}
	}
	json_object_set_new(o, "locks", locks);
	json_object_set_new(o, "threads", threads);
	json_object_set_new(o, "edges", edges);
	return o;
}


/* what a wait item waits for, in the JSON: a lock (or a mutex a
 * condition wait takes back), a thread's end, a signal, a barrier's other
 * threads, a destroyed object's waiters */
static const char *wait_for_str(uint32_t role)
{
	switch (role) {
	case LH_ROLE_JOINS:
		return "join";
	case LH_ROLE_SIGNAL:
		return "signal";
	case LH_ROLE_BARRIER:
		return "barrier";
	case LH_ROLE_DESTROYS:
		return "waiters";
	}
	return "lock";
}

static json_t *json_live(struct rp *r, const struct fd_finding *f, size_t fid)
{
	const struct lr_log *log = f->log;
	const struct lr_finding *lf = f->live;
	json_t *o = json_object(), *locks = json_array(), *threads = json_array(), *waits = json_array(),
	       *holds = json_array(), *posters = json_array();
	uint32_t seen[64];
	size_t ns = 0, i;
	char b[32];

	snprintf(b, sizeof(b), "F%zu", fid);
	json_object_set_new(o, "id", rp_json_str(b));
	if (f->kind == FD_DEADLOCK) {
		json_object_set_new(o, "kind", rp_json_str("deadlock"));
		json_object_set_new(o, "what", rp_json_str(lf->f.what == LH_DL_SELF    ? "self"
		                                           : lf->f.what == LH_DL_STALL ? "stall"
		                                                                       : "cycle"));
		json_object_set_new(o, "ended_process",
		                    json_boolean(log->complete && (log->end.flags & LH_END_DEADLOCK)));
	} else {
		json_object_set_new(o, "kind", rp_json_str("misuse"));
		json_object_set_new(o, "what", rp_json_str(lh_misuse_name(lf->f.what)));
		json_object_set_new(o, "description", rp_json_str(lh_misuse_text(lf->f.what)));
		snprintf(b, sizeof(b), "T%u", lf->f.thread_id);
		json_object_set_new(o, "thread", rp_json_str(b));
		json_object_set_new(o, "stack", json_stack(r, log, lf->f.stack_id));
		if (lf->f.lock_id)
			json_object_set_new(o, "lock", rp_json_str(lock_label(f, lf->f.lock_id, b, sizeof(b))));
		seen[ns++] = lf->f.thread_id;
		json_array_append_new(threads, json_thread(r, log, lf->f.thread_id));
	}
	json_object_set_new(o, "pid", json_integer(log->hdr.pid));
	json_object_set_new(o, "count", json_integer((json_int_t)f->count));
	for (i = 0; i < f->n; i++)
		json_array_append_new(locks, json_lock(r, log, f, f->locks[i]));
	for (i = 0; i < lf->f.n_items; i++) {
		const struct lh_rec_finding_item *it = &lf->items[i];
		json_t *io = json_object();
		snprintf(b, sizeof(b), "T%u", it->thread_id);
		json_object_set_new(io, "thread", rp_json_str(b));
		if (it->lock_id)
			json_object_set_new(io, "lock", rp_json_str(lock_label(f, it->lock_id, b, sizeof(b))));
		json_object_set_new(io, "mode", rp_json_str(mode_str((int)it->mode)));
		if (it->role == LH_ROLE_HOLDS) {
			json_object_set_new(io, "acquired_stack", json_stack(r, log, it->stack_id));
			json_array_append_new(holds, io);
		} else if (it->role == LH_ROLE_POSTER) {
			/* the only thread that posted the semaphore a wait is on */
			json_object_del(io, "mode");
			json_array_append_new(posters, io);
		} else {
			if (it->role == LH_ROLE_JOINS) {
				snprintf(b, sizeof(b), "T%u", it->target_thread);
				json_object_set_new(io, "joins", rp_json_str(b));
			}
			json_object_set_new(io, "for", rp_json_str(wait_for_str(it->role)));
			json_object_set_new(io, "blocked_stack", json_stack(r, log, it->stack_id));
			json_array_append_new(waits, io);
		}
		if (add_thread(seen, &ns, it->thread_id))
			json_array_append_new(threads, json_thread(r, log, it->thread_id));
	}
	json_object_set_new(o, "locks", locks);
	json_object_set_new(o, "threads", threads);
	if (f->kind == FD_DEADLOCK || json_array_size(waits) > 0)
		json_object_set_new(o, "waits", waits);
	else
		json_decref(waits);
	json_object_set_new(o, "holds", holds);
	if (json_array_size(posters) > 0)
		json_object_set_new(o, "posters", posters);
	else
		json_decref(posters);
	return o;
}

int rp_view_json(FILE *out, struct rp *r)
{
	const struct rp_input *in = r->in;
	json_t *top, *logs, *findings, *sum, *by;
	size_t i, k, n_races = 0;
	int rc;

	/* jansson allocates with the analyzer's policy (xalloc.h) */
	json_set_alloc_funcs(xmalloc, free);
	top = json_object();
	logs = json_array();
	findings = json_array();
	json_object_set_new(top, "tool", rp_json_str("lockhound"));
	json_object_set_new(top, "version", rp_json_str(LOCKHOUND_VERSION));
	for (i = 0; i < in->n_logs; i++) {
		const struct lr_log *l = in->logs[i];
		json_t *lo = json_object(), *errs = json_array(), *notes = json_array();
		json_object_set_new(lo, "path", rp_json_str(l->path));
		json_object_set_new(lo, "pid", json_integer(l->hdr.pid));
		if (l->exe)
			json_object_set_new(lo, "exe", rp_json_str(l->exe));
		if (l->cmdline)
			json_object_set_new(lo, "cmdline", rp_json_str(l->cmdline));
		/* a child created by fork (an exec'd program has the pid of the
		 * process it replaced, and its own log) */
		json_object_set_new(lo, "forked", json_boolean(l->hdr.flags & LH_HDR_FORKED_CHILD));
		json_object_set_new(lo, "complete", json_boolean(l->complete));
		for (k = 0; k < l->n_errors; k++)
			json_array_append_new(errs, rp_json_str(l->errors[k]));
		for (k = 0; k < l->n_notes; k++)
			json_array_append_new(notes, rp_json_str(l->notes[k]));
		json_object_set_new(lo, "errors", errs);
		json_object_set_new(lo, "notes", notes);
		json_object_set_new(lo, "threads", json_integer((json_int_t)l->n_threads));
		{
			int exact;
			size_t n = threads_run(l, &exact);
			/* threads the process ran; null when only a lower bound is known */
			json_object_set_new(lo, "threads_run", exact ? json_integer((json_int_t)n) : json_null());
		}
		json_object_set_new(lo, "locks", json_integer((json_int_t)l->n_locks));
		json_object_set_new(lo, "lock_orders", json_integer((json_int_t)l->n_edges));
		json_array_append_new(logs, lo);
	}
	for (i = 0; i < in->res->n; i++) {
		const struct fd_finding *f = &in->res->f[i];
		json_t *fo = NULL;
		char fp[RP_FINGERPRINT_LEN + 1];
		if (f->kind == FD_RACE)
			fo = ra_json(r, f, ++n_races);
		else if (f->kind == FD_CYCLE)
			fo = json_cycle(r, f, i + 1);
		else if (f->kind == FD_DEADLOCK || f->kind == FD_MISUSE)
			fo = json_live(r, f, i + 1);
		if (!fo)
			continue;
		/* code locations only: the same across runs (docs/REFERENCE.md) */
		rp_fingerprint(r, f, fp);
		json_object_set_new(fo, "fingerprint", rp_json_str(fp));
		json_array_append_new(findings, fo);
	}
	json_object_set_new(top, "logs", logs);
	json_object_set_new(top, "findings", findings);
	sum = json_object();
	by = json_object();
	for (i = 0; i < in->res->n; i++) {
		static const char *names[] = { "deadlock", "lock-order-cycle", "misuse", "data-race" };
		const char *nm = names[in->res->f[i].kind];
		json_t *c = json_object_get(by, nm);
		json_object_set_new(by, nm, json_integer(c ? json_integer_value(c) + 1 : 1));
	}
	json_object_set_new(sum, "findings", json_integer((json_int_t)in->res->n));
	json_object_set_new(sum, "by_kind", by);
	json_object_set_new(sum, "cycle_search_capped", json_boolean(in->res->capped));
	/* the lock-order analysis stopped at its work, memory or time budget */
	json_object_set_new(sum, "analysis_budget_hit", json_boolean(in->res->budget_hit));
	json_object_set_new(sum, "cycles_undecided", json_integer((json_int_t)in->res->n_undecided));
	/* a limit noted by the shim, a log not read in full, or the cap above */
	json_object_set_new(sum, "may_be_incomplete", json_boolean(may_be_incomplete(in)));
	{
		json_t *fo = rp_view_filter_json(r);
		if (fo)
			json_object_set_new(sum, "filtered", fo);
	}
	json_object_set_new(top, "summary", sum);
	rc = json_dumpf(top, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(top);
	return rc;
}

/* ------------------------------------- building blocks (report_int.h) */

void rp_text_stack(FILE *out, struct rp *r, const struct lr_log *log, uint32_t stack_id,
                   const char *indent)
{
	text_stack(out, r, log, stack_id, indent);
}

void rp_text_thread_name(FILE *out, const struct lr_log *log, uint32_t id)
{
	text_thread_name(out, log, id);
}

void rp_text_threads(FILE *out, struct rp *r, const struct lr_log *log, const uint32_t *ids,
                     size_t n)
{
	text_threads(out, r, log, ids, n);
}

void rp_text_lock_line(FILE *out, struct rp *r, const struct lr_log *log,
                       const struct fd_finding *f, size_t i)
{
	text_lock_line(out, r, log, f, i);
}

const char *rp_lock_symbol(struct rp *r, const struct lr_log *log, const struct lr_lock *l)
{
	return lock_symbol(r, log, l);
}

json_t *rp_json_stack(struct rp *r, const struct lr_log *log, uint32_t stack_id)
{
	return json_stack(r, log, stack_id);
}

json_t *rp_json_thread(struct rp *r, const struct lr_log *log, uint32_t id)
{
	return json_thread(r, log, id);
}

json_t *rp_json_lock(struct rp *r, const struct lr_log *log, const struct fd_finding *f,
                     uint64_t id)
{
	return json_lock(r, log, f, id);
}

json_t *rp_json_hex(uint64_t v)
{
	return json_hex(v);
}

const char *rp_lock_label(const struct fd_finding *f, uint64_t id, char *buf, size_t len)
{
	return lock_label(f, id, buf, len);
}

int rp_is_process_shown(const struct rp *r)
{
	return r->in->n_logs > 1;
}
