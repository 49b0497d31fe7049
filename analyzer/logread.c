/*
 * logread.c - parse a lockhound log (see logread.h for the contract and
 * include/lockhound_log.h for the format).
 */
#include "logread.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

/* out of memory inside uthash: the analyzer's one policy (xalloc.h) */
#undef uthash_fatal
#define uthash_fatal(msg) xalloc_die(0)
#include <uthash.h>

struct idx_stack {
	uint32_t id;
	size_t pos;
	UT_hash_handle hh;
};
/* Locks, which a large log has by the million, are found through an
 * open-addressing table instead of uthash (a malloc'd entry with a 56-byte
 * handle each, and a pointer chase per look-up): a slot holds the id beside
 * its position in log->locks, at a load of at most 1/2. */
struct idx_lock {
	uint64_t id;
	uint32_t pos1;          /* position + 1; 0: empty */
	uint32_t pad;
};
struct idx_thread {
	uint32_t id;
	size_t pos;
	UT_hash_handle hh;
};
/* an LH_REC_EDGE_CTX: what its LH_REC_EDGE_PAIR records share */
struct idx_ctx {
	uint32_t id;
	struct lh_rec_edge_ctx c;
	uint32_t *gate_modes; /* c.n_gates of them */
	UT_hash_handle hh;
};
/* an LH_REC_CLS_MEMBER: (class << 32 | index) -> lock */
struct idx_member {
	uint64_t key;
	uint64_t lock_id;
	UT_hash_handle hh;
};
/* an LH_REC_CLS_MAP, expanded into edges once the whole log is read (its
 * bits are set after it is written, and its members' records may follow
 * it) */
struct idx_map {
	size_t off;
	struct lh_rec_cls_map r;
	struct lh_rec_edge_ctx c;
	unsigned char *bits; /* r.n_rows * r.n_from / 8 bytes */
};
/* the bounds a reader accepts for one map's rows and bits per row */
#define LR_MAX_MAP_ROWS (1u << 16)
#define LR_MAX_MAP_FROM (1u << 16)
/* an LH_REC_CLS_TUPLE, expanded as the maps are */
struct idx_tuple {
	size_t off;
	struct lh_rec_cls_tuple r;
	struct lh_rec_edge_ctx c[LH_CLS_TUPLE_MAX - 1];
	uint32_t gate_modes[LH_CLS_TUPLE_MAX - 1][LH_CLS_TUPLE_MAX - 2];
	unsigned char *bits;
};
struct index {
	struct idx_member *members;
	struct idx_map *maps;
	size_t n_maps;
	struct idx_tuple *tuples;
	size_t n_tuples;
	struct idx_stack *stacks;
	struct idx_lock *locks; /* n_lock_slots slots, a power of two (or 0) */
	size_t n_lock_slots;
	struct idx_thread *threads;
	struct idx_ctx *ctxs;
};

static size_t lock_hash(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (size_t)x;
}

/* the position of lock id in log->locks, or -1 */
static long lock_find(const struct index *ix, uint64_t id)
{
	size_t mask, i;

	if (!ix->n_lock_slots)
		return -1;
	mask = ix->n_lock_slots - 1;
	for (i = lock_hash(id) & mask; ix->locks[i].pos1; i = (i + 1) & mask)
		if (ix->locks[i].id == id)
			return (long)ix->locks[i].pos1 - 1;
	return -1;
}

static void lock_slot_put(struct idx_lock *slots, size_t n, uint64_t id, size_t pos)
{
	size_t mask = n - 1, i;

	for (i = lock_hash(id) & mask; slots[i].pos1; i = (i + 1) & mask)
		;
	slots[i].id = id;
	slots[i].pos1 = (uint32_t)(pos + 1);
}

/* index lock id at pos (not in the table yet); the table doubles when it
 * would be more than half full */
static void lock_add(const struct lr_log *log, struct index *ix, uint64_t id, size_t pos)
{
	if ((pos + 1) * 2 > ix->n_lock_slots) {
		size_t n = ix->n_lock_slots ? ix->n_lock_slots * 2 : 1024;
		struct idx_lock *t = xcalloc(n, sizeof(*t));
		for (size_t i = 0; i < pos; i++)
			lock_slot_put(t, n, log->locks[i].id, i);
		free(ix->locks);
		ix->locks = t;
		ix->n_lock_slots = n;
	}
	lock_slot_put(ix->locks, ix->n_lock_slots, id, pos);
}


static void add_error(struct lr_log *log, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (log->n_errors == LR_MAX_ERRORS) {
		log->errors = xrealloc(log->errors, (log->n_errors + 1) * sizeof(char *));
		log->errors[log->n_errors++] = xstrdup("further problems not shown");
		return;
	}
	if (log->n_errors > LR_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log->errors = xrealloc(log->errors, (log->n_errors + 1) * sizeof(char *));
	log->errors[log->n_errors++] = xstrdup(buf);
}

#define PUSH(arr, n, item)                                                                         \
	do {                                                                                       \
		if (((n) & ((n)-1)) == 0) /* 0, 1, 2, 4, ...: grow to the next power of two */     \
			(arr) = xrealloc((arr), ((n) ? (n)*2 : 1) * sizeof(*(arr)));                \
		(arr)[(n)++] = (item);                                                             \
	} while (0)

size_t lr_max_edges = LR_MAX_EDGES;

/* Is there room for one more edge?  The first time there is none: the
 * error that says the rest of the log's orders were not read. */
static int edge_room(struct lr_log *log)
{
	if (log->n_edges < lr_max_edges)
		return 1;
	if (!log->edges_capped) {
		log->edges_capped = 1;
		add_error(log, "the log stands for more than LR_MAX_EDGES (%zu) lock orders; the rest "
		          "were not read", lr_max_edges);
	}
	return 0;
}

/* The edges' gate arrays come from chunks of one pool, not a malloc each
 * (most edges have no gate, and a malloc costs 32 bytes even for none: a
 * third of an edge): LR_GATE_CHUNK gates a chunk; an edge without gates
 * has gates NULL. */
#define LR_GATE_CHUNK 4096

struct gate_chunk {
	struct gate_chunk *next;
	size_t used, cap;
	struct lh_rec_gate g[];
};

static struct lh_rec_gate *gate_alloc(struct lr_log *log, size_t n)
{
	struct gate_chunk *c = log->gate_pool;

	if (!n)
		return NULL;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > LR_GATE_CHUNK ? n : LR_GATE_CHUNK;
		c = xmalloc(sizeof(*c) + cap * sizeof(c->g[0]));
		c->used = 0;
		c->cap = cap;
		c->next = log->gate_pool;
		log->gate_pool = c;
	}
	c->used += n;
	return c->g + c->used - n;
}

static const char *rec_name(unsigned t)
{
	static const char *names[] = { "?",    "process", "module", "stack",   "thread", "thread-end",
		                       "thread-name", "lock", "edge", "finding", "end",   "note",
		                       "race", "finding-stacks", "sem-class", "edge-context",
		                       "edge-pair", "class-member", "class-map", "class-tuple" };
	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

/* a NUL-terminated string of at most len bytes at p, or NULL */
static char *take_str(const char *p, size_t len)
{
	char *s;

	if (len == 0)
		return xstrdup("");
	s = xmalloc(len + 1);
	memcpy(s, p, len);
	s[len] = 0;
	return s;
}

static void free_py(struct lr_pyframe *py, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(py[i].file);
		free(py[i].func);
	}
	free(py);
}

/* does the LH_REC_FINDING_STACKS record u (items at raw, unaligned) belong
 * to finding f?  (the rule is in lockhound_log.h) */
static int finding_matches(const struct lr_finding *f, const struct lh_rec_finding *u, const char *raw)
{
	uint32_t i;

	if (f->f.kind != u->kind || f->f.what != u->what || f->f.thread_id != u->thread_id ||
	    f->f.time_ns != u->time_ns || f->f.n_items != u->n_items)
		return 0;
	for (i = 0; i < u->n_items; i++) {
		struct lh_rec_finding_item it;
		const struct lh_rec_finding_item *o = &f->items[i];
		memcpy(&it, raw + (size_t)i * sizeof(it), sizeof(it));
		if (it.thread_id != o->thread_id || it.role != o->role || it.lock_id != o->lock_id ||
		    it.target_thread != o->target_thread)
			return 0;
	}
	return 1;
}

/* the non-zero stack ids of u replace those of f */
static void finding_merge_stacks(struct lr_finding *f, const struct lh_rec_finding *u, const char *raw)
{
	uint32_t i;

	if (u->stack_id)
		f->f.stack_id = u->stack_id;
	for (i = 0; i < u->n_items; i++) {
		struct lh_rec_finding_item it;
		memcpy(&it, raw + (size_t)i * sizeof(it), sizeof(it));
		if (it.stack_id)
			f->items[i].stack_id = it.stack_id;
		if (it.stack2_id)
			f->items[i].stack2_id = it.stack2_id;
	}
}

static int not_lock(const struct lr_log *log, struct index *ix, uint64_t id)
{
	long pos = lock_find(ix, id);

	return pos >= 0 && log->locks[pos].not_lock_why != 0;
}

/* The orders of a semaphore that the shim found not to be a lock after
 * they were recorded (LH_REC_SEM_CLASS) are void, those recorded before the
 * record as much as after: its edges go, and so does its place in other
 * edges' gate sets (it never kept two threads apart).  Counted in
 * n_void_sem_edges. */
static void drop_not_locks(struct lr_log *log, struct index *ix)
{
	size_t i, k = 0;
	uint32_t g, ng;
	int any = 0;

	for (i = 0; i < log->n_locks; i++)
		if (log->locks[i].not_lock_why)
			any = 1;
	if (!any)
		return;
	for (i = 0; i < log->n_edges; i++) {
		struct lr_edge *e = &log->edges[i];
		if (not_lock(log, ix, e->from) || not_lock(log, ix, e->to)) {
			log->n_void_sem_edges++; /* its gates stay in the pool */
			continue;
		}
		for (g = 0, ng = 0; g < e->n_gates; g++)
			if (!not_lock(log, ix, e->gates[g].lock_id))
				e->gates[ng++] = e->gates[g];
		e->n_gates = ng;
		log->edges[k++] = *e;
	}
	log->n_edges = k;
}

/* The bytes of the bitmap of a class-map or class-tuple record of `size`
 * payload bytes (fixed part n_fixed), 0 (with its error) if its sizes are
 * out of bounds or the payload does not end exactly with the bitmap. */
static uint64_t bitmap_bytes(struct lr_log *log, unsigned type, size_t off, size_t size, size_t n_fixed,
                             uint32_t row0, uint32_t n_rows, uint32_t n_from, uint32_t bits_off)
{
	uint64_t n;

	if (n_rows == 0 || n_rows > LR_MAX_MAP_ROWS || n_from == 0 || n_from % 8 ||
	    n_from > LR_MAX_MAP_FROM || bits_off < n_fixed || (uint64_t)row0 + n_rows > UINT32_MAX) {
		add_error(log, "corrupt %s record at byte %zu: %u rows of %u bits from row %u at offset %u",
		          rec_name(type), off, n_rows, n_from, row0, bits_off);
		return 0;
	}
	n = (uint64_t)n_rows * n_from / 8;
	if (size < bits_off + n) {
		add_error(log, "corrupt %s record at byte %zu: %zu bytes, need %llu", rec_name(type), off,
		          size, (unsigned long long)(bits_off + n));
		return 0;
	}
	if (size != bits_off + n) {
		add_error(log, "corrupt %s record at byte %zu: %zu bytes, its bitmap ends at %llu",
		          rec_name(type), off, size, (unsigned long long)(bits_off + n));
		return 0;
	}
	return n;
}

static void parse_record(struct lr_log *log, struct index *ix, unsigned type, const char *p,
                         size_t size, size_t off)
{
#define NEED(n)                                                                                    \
	do {                                                                                       \
		if (size < (size_t)(n)) {                                                          \
			add_error(log, "corrupt %s record at byte %zu: %zu bytes, need %zu",       \
			          rec_name(type), off, size, (size_t)(n));                         \
			return;                                                                    \
		}                                                                                  \
	} while (0)

	switch (type) {
	case LH_REC_PROCESS: {
		struct lh_rec_process r;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		NEED(sizeof(r) + (size_t)r.exe_len + r.cmdline_len);
		free(log->exe);
		free(log->cmdline);
		log->exe = take_str(p + sizeof(r), r.exe_len);
		log->cmdline = take_str(p + sizeof(r) + r.exe_len, r.cmdline_len);
		/* arguments are NUL-separated: show them with spaces */
		for (size_t i = 0; r.cmdline_len > 1 && i + 1 < r.cmdline_len; i++)
			if (log->cmdline[i] == 0)
				log->cmdline[i] = ' ';
		break;
	}
	case LH_REC_MODULE: {
		struct lh_rec_module r;
		struct lr_module m;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		NEED(sizeof(r) + (size_t)r.build_id_len + r.path_len);
		if (r.lo >= r.hi) {
			add_error(log, "corrupt module record at byte %zu: empty address range", off);
			return;
		}
		m.base = r.base;
		m.lo = r.lo;
		m.hi = r.hi;
		m.build_id_len = r.build_id_len;
		m.build_id = xmalloc(r.build_id_len ? r.build_id_len : 1);
		memcpy(m.build_id, p + sizeof(r), r.build_id_len);
		m.path = take_str(p + sizeof(r) + r.build_id_len, r.path_len);
		PUSH(log->modules, log->n_modules, m);
		break;
	}
	case LH_REC_STACK: {
		struct lh_rec_stack r;
		struct lr_stack s;
		struct idx_stack *e;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		if (r.n_frames > LR_MAX_STACK_FRAMES) {
			add_error(log, "corrupt stack record at byte %zu: %u frames", off, r.n_frames);
			return;
		}
		NEED(sizeof(r) + (size_t)r.n_frames * 8);
		if (log->hdr.format_version < 3)
			r.n_py_frames = 0; /* a pad in formats 1 and 2 */
		if (r.n_py_frames > LR_MAX_PY_FRAMES) {
			add_error(log, "corrupt stack record at byte %zu: %u Python frames", off,
			          r.n_py_frames);
			return;
		}
		HASH_FIND(hh, ix->stacks, &r.stack_id, sizeof(uint32_t), e);
		if (e || r.stack_id == 0)
			return; /* a stack written again after fork: keep the first */
		s.id = r.stack_id;
		s.n = r.n_frames;
		s.flags = r.flags;
		s.n_py = 0;
		s.py = NULL;
		if (r.n_py_frames) {
			size_t at = sizeof(r) + (size_t)r.n_frames * 8;
			uint32_t k;
			s.py = xcalloc(r.n_py_frames, sizeof(*s.py));
			for (k = 0; k < r.n_py_frames; k++) {
				struct lh_rec_pyframe pf;
				if (at + sizeof(pf) > size ||
				    (memcpy(&pf, p + at, sizeof(pf)), at + sizeof(pf) + pf.file_len + pf.func_len > size)) {
					add_error(log, "corrupt stack record at byte %zu: Python frame %u "
					          "runs past the record",
					          off, k);
					free_py(s.py, k);
					return;
				}
				at += sizeof(pf);
				s.py[k].file = take_str(p + at, pf.file_len);
				s.py[k].func = take_str(p + at + pf.file_len, pf.func_len);
				s.py[k].line = pf.line;
				at += (size_t)pf.file_len + pf.func_len;
			}
			s.n_py = r.n_py_frames;
		}
		s.pcs = xmalloc(r.n_frames ? r.n_frames * 8 : 8);
		memcpy(s.pcs, p + sizeof(r), (size_t)r.n_frames * 8);
		e = xmalloc(sizeof(*e));
		e->id = s.id;
		e->pos = log->n_stacks;
		HASH_ADD(hh, ix->stacks, id, sizeof(uint32_t), e);
		PUSH(log->stacks, log->n_stacks, s);
		break;
	}
	case LH_REC_THREAD: {
		struct lh_rec_thread r;
		struct lr_thread t;
		struct idx_thread *e;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		memset(&t, 0, sizeof(t));
		t.id = r.thread_id;
		t.parent = r.parent_id;
		t.create_stack = r.create_stack;
		t.os_tid = r.os_tid;
		t.start_ns = r.start_ns;
		memcpy(t.name, r.name, LH_THREAD_NAME_LEN);
		HASH_FIND(hh, ix->threads, &t.id, sizeof(uint32_t), e);
		if (e) {
			log->threads[e->pos] = t; /* re-registered (fork child) */
			return;
		}
		e = xmalloc(sizeof(*e));
		e->id = t.id;
		e->pos = log->n_threads;
		HASH_ADD(hh, ix->threads, id, sizeof(uint32_t), e);
		PUSH(log->threads, log->n_threads, t);
		break;
	}
	case LH_REC_THREAD_END: {
		struct lh_rec_thread_end r;
		struct idx_thread *e;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		HASH_FIND(hh, ix->threads, &r.thread_id, sizeof(uint32_t), e);
		if (e)
			log->threads[e->pos].end_ns = r.end_ns ? r.end_ns : 1;
		break;
	}
	case LH_REC_THREAD_NAME: {
		struct lh_rec_thread_name r;
		struct idx_thread *e;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		HASH_FIND(hh, ix->threads, &r.thread_id, sizeof(uint32_t), e);
		if (e) {
			memcpy(log->threads[e->pos].name, r.name, LH_THREAD_NAME_LEN);
			log->threads[e->pos].name[LH_THREAD_NAME_LEN] = 0;
		}
		break;
	}
	case LH_REC_LOCK: {
		struct lh_rec_lock r;
		struct lr_lock l;
		long pos;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		l.id = r.lock_id;
		l.addr = r.addr;
		l.kind = r.kind;
		l.init_stack = r.init_stack;
		l.flags = r.flags;
		l.generation = r.generation;
		if (l.id == 0) {
			add_error(log, "corrupt lock record at byte %zu: lock id 0", off);
			return;
		}
		l.not_lock_why = 0;
		pos = lock_find(ix, l.id);
		if (pos >= 0) {
			l.not_lock_why = log->locks[pos].not_lock_why;
			log->locks[pos] = l;
			return;
		}
		if (log->n_locks >= LR_MAX_LOCKS) {
			add_error(log, "lock record at byte %zu: more than %u locks", off,
			          (unsigned)LR_MAX_LOCKS);
			return;
		}
		PUSH(log->locks, log->n_locks, l);
		lock_add(log, ix, l.id, log->n_locks - 1);
		break;
	}
	case LH_REC_EDGE: {
		struct lh_rec_edge r;
		struct lr_edge ed;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		if (r.n_gates > LR_MAX_EDGE_GATES) {
			add_error(log, "corrupt edge record at byte %zu: %u gates", off, r.n_gates);
			return;
		}
		NEED(sizeof(r) + (size_t)r.n_gates * sizeof(struct lh_rec_gate));
		ed.from = r.from_lock;
		ed.to = r.to_lock;
		ed.thread = r.thread_id;
		ed.from_stack = r.from_stack;
		ed.to_stack = r.to_stack;
		ed.from_mode = r.from_mode;
		ed.to_mode = r.to_mode;
		ed.flags = r.flags;
		ed.time_ns = r.time_ns;
		ed.n_gates = r.n_gates;
		if (!edge_room(log))
			return;
		ed.gates = gate_alloc(log, r.n_gates);
		if (r.n_gates)
			memcpy(ed.gates, p + sizeof(r), r.n_gates * sizeof(struct lh_rec_gate));
		PUSH(log->edges, log->n_edges, ed);
		break;
	}
	case LH_REC_EDGE_CTX: {
		struct lh_rec_edge_ctx r;
		struct idx_ctx *e;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		if (r.ctx_id == 0) {
			add_error(log, "corrupt edge-context record at byte %zu: context id 0", off);
			return;
		}
		if (r.n_gates > LR_MAX_EDGE_GATES) {
			add_error(log, "corrupt edge-context record at byte %zu: %u gates", off, r.n_gates);
			return;
		}
		NEED(sizeof(r) + (size_t)r.n_gates * sizeof(uint32_t));
		HASH_FIND(hh, ix->ctxs, &r.ctx_id, sizeof(uint32_t), e);
		if (!e) {
			e = xmalloc(sizeof(*e));
			e->id = r.ctx_id;
			HASH_ADD(hh, ix->ctxs, id, sizeof(uint32_t), e);
		} else {
			free(e->gate_modes);
		}
		e->c = r;
		e->gate_modes = xmalloc((r.n_gates ? r.n_gates : 1) * sizeof(uint32_t));
		memcpy(e->gate_modes, p + sizeof(r), r.n_gates * sizeof(uint32_t));
		break;
	}
	case LH_REC_CLS_MEMBER: {
		struct lh_rec_cls_member r;
		struct idx_member *e;
		uint64_t key;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		if (r.lock_id == 0 || lock_find(ix, r.lock_id) < 0) {
			add_error(log, "corrupt class-member record at byte %zu: lock %llu is not defined before it",
			          off, (unsigned long long)r.lock_id);
			return;
		}
		key = (uint64_t)r.cls << 32 | r.idx;
		HASH_FIND(hh, ix->members, &key, sizeof(key), e);
		if (!e) {
			e = xmalloc(sizeof(*e));
			e->key = key;
			HASH_ADD(hh, ix->members, key, sizeof(uint64_t), e);
		}
		e->lock_id = r.lock_id;
		break;
	}
	case LH_REC_CLS_MAP: {
		struct lh_rec_cls_map r;
		struct idx_map mp;
		struct idx_ctx *e;
		uint64_t n_bytes;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		n_bytes = bitmap_bytes(log, type, off, size, sizeof(r), r.row0, r.n_rows, r.n_from, r.bits_off);
		if (!n_bytes)
			return;
		HASH_FIND(hh, ix->ctxs, &r.ctx_id, sizeof(uint32_t), e);
		if (!e || e->c.n_gates) {
			add_error(log, "corrupt class-map record at byte %zu: context %u is not defined before it%s",
			          off, r.ctx_id, e ? " without gates" : "");
			return;
		}
		mp.off = off;
		mp.r = r;
		mp.c = e->c;
		mp.bits = xmalloc((size_t)n_bytes);
		memcpy(mp.bits, p + r.bits_off, (size_t)n_bytes);
		PUSH(ix->maps, ix->n_maps, mp);
		break;
	}
	case LH_REC_CLS_TUPLE: {
		struct lh_rec_cls_tuple r;
		struct idx_tuple tp;
		struct idx_ctx *e;
		uint64_t n_bytes;
		uint32_t k;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		if (r.n_part < 3 || r.n_part > LH_CLS_TUPLE_MAX || r.col_part >= r.n_part ||
		    r.row_part >= r.n_part || r.col_part == r.row_part) {
			add_error(log, "corrupt class-tuple record at byte %zu: %u participants (%u, %u)", off,
			          r.n_part, r.col_part, r.row_part);
			return;
		}
		n_bytes = bitmap_bytes(log, type, off, size, sizeof(r), r.row0, r.n_rows, r.n_from, r.bits_off);
		if (!n_bytes)
			return;
		memset(&tp, 0, sizeof(tp));
		for (k = 0; k + 1 < r.n_part; k++) {
			HASH_FIND(hh, ix->ctxs, &r.ctx_id[k], sizeof(uint32_t), e);
			if (!e || e->c.n_gates != r.n_part - 2) {
				add_error(log, "corrupt class-tuple record at byte %zu: context %u is not defined "
				          "before it with %u gates", off, r.ctx_id[k], r.n_part - 2);
				return;
			}
			tp.c[k] = e->c;
			memcpy(tp.gate_modes[k], e->gate_modes, (r.n_part - 2) * sizeof(uint32_t));
		}
		tp.off = off;
		tp.r = r;
		tp.bits = xmalloc((size_t)n_bytes);
		memcpy(tp.bits, p + r.bits_off, (size_t)n_bytes);
		PUSH(ix->tuples, ix->n_tuples, tp);
		break;
	}
	case LH_REC_EDGE_PAIR: {
		struct lh_rec_edge_pair r;
		struct lr_edge ed;
		struct idx_ctx *e;
		uint32_t k, gl;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		HASH_FIND(hh, ix->ctxs, &r.ctx_id, sizeof(uint32_t), e);
		if (!e) {
			/* the context carries the edge's thread, stacks and modes */
			add_error(log, "corrupt edge-pair record at byte %zu: context %u is not defined before it",
			          off, r.ctx_id);
			return;
		}
		NEED(sizeof(r) + (size_t)e->c.n_gates * sizeof(uint32_t));
		ed.from = r.from_lock;
		ed.to = r.to_lock;
		ed.thread = e->c.thread_id;
		ed.from_stack = e->c.from_stack;
		ed.to_stack = e->c.to_stack;
		ed.from_mode = e->c.from_mode;
		ed.to_mode = e->c.to_mode;
		ed.flags = e->c.flags;
		ed.time_ns = e->c.time_ns;
		ed.n_gates = e->c.n_gates;
		if (!edge_room(log))
			return;
		ed.gates = gate_alloc(log, ed.n_gates);
		for (k = 0; k < ed.n_gates; k++) {
			memcpy(&gl, p + sizeof(r) + k * sizeof(uint32_t), sizeof(gl));
			ed.gates[k].lock_id = gl;
			ed.gates[k].mode = e->gate_modes[k];
			ed.gates[k].pad = 0;
		}
		PUSH(log->edges, log->n_edges, ed);
		break;
	}
	case LH_REC_FINDING: {
		struct lr_finding f;
		NEED(sizeof(f.f));
		memcpy(&f.f, p, sizeof(f.f));
		if (f.f.n_items > LR_MAX_FINDING_ITEMS) {
			add_error(log, "corrupt finding record at byte %zu: %u items", off, f.f.n_items);
			return;
		}
		NEED(sizeof(f.f) + (size_t)f.f.n_items * sizeof(struct lh_rec_finding_item));
		f.items = xmalloc((f.f.n_items ? f.f.n_items : 1) * sizeof(struct lh_rec_finding_item));
		memcpy(f.items, p + sizeof(f.f), f.f.n_items * sizeof(struct lh_rec_finding_item));
		PUSH(log->findings, log->n_findings, f);
		break;
	}
	case LH_REC_FINDING_STACKS: {
		struct lh_rec_finding u;
		const char *ui;
		size_t k;
		NEED(sizeof(u));
		memcpy(&u, p, sizeof(u));
		if (u.n_items > LR_MAX_FINDING_ITEMS) {
			add_error(log, "corrupt finding-stacks record at byte %zu: %u items", off, u.n_items);
			return;
		}
		NEED(sizeof(u) + (size_t)u.n_items * sizeof(struct lh_rec_finding_item));
		ui = p + sizeof(u);
		k = log->n_findings;
		while (k > 0 && !finding_matches(&log->findings[k - 1], &u, ui))
			k--;
		if (k == 0) {
			add_error(log, "corrupt finding-stacks record at byte %zu: no earlier finding it belongs to",
			          off);
			return;
		}
		finding_merge_stacks(&log->findings[k - 1], &u, ui);
		break;
	}
	case LH_REC_END:
		/* an older shim's end record stops before n_threads: then the
		 * count is not known (0) */
		NEED(LH_REC_END_V1_SIZE);
		memset(&log->end, 0, sizeof(log->end));
		memcpy(&log->end, p, size >= sizeof(log->end) ? sizeof(log->end) : LH_REC_END_V1_SIZE);
		log->complete = 1;
		break;
	case LH_REC_NOTE: {
		struct lh_rec_note r;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		NEED(sizeof(r) + (size_t)r.len);
		char *s = take_str(p + sizeof(r), r.len);
		PUSH(log->notes, log->n_notes, s);
		break;
	}
	case LH_REC_RACE: {
		struct lr_race rc;
		uint32_t i, n_locks;
		NEED(sizeof(rc.r));
		memcpy(&rc.r, p, sizeof(rc.r));
		if (rc.r.n_locks_cur > LR_MAX_RACE_LOCKS || rc.r.n_locks_prev > LR_MAX_RACE_LOCKS) {
			add_error(log, "corrupt race record at byte %zu: %u + %u held locks", off,
			          rc.r.n_locks_cur, rc.r.n_locks_prev);
			return;
		}
		n_locks = rc.r.n_locks_cur + rc.r.n_locks_prev;
		NEED(sizeof(rc.r) + (size_t)n_locks * sizeof(uint64_t));
		if (rc.r.size == 0 || rc.r.cur.size == 0 || rc.r.prev.size == 0 ||
		    rc.r.var_kind > LH_VAR_STACK || rc.r.detected_by < LH_RACE_BY_INSTRUMENTATION ||
		    rc.r.detected_by > LH_RACE_BY_WRITE_PROTECT || rc.r.cur.thread_id == 0 ||
		    rc.r.prev.thread_id == 0) {
			add_error(log,
			          "corrupt race record at byte %zu: size %u (accesses %u, %u), variable "
			          "kind %u, detector %u, threads %u and %u",
			          off, rc.r.size, rc.r.cur.size, rc.r.prev.size, rc.r.var_kind,
			          rc.r.detected_by, rc.r.cur.thread_id, rc.r.prev.thread_id);
			return;
		}
		rc.locks = xmalloc((n_locks ? n_locks : 1) * sizeof(uint64_t));
		memcpy(rc.locks, p + sizeof(rc.r), (size_t)n_locks * sizeof(uint64_t));
		rc.off = off;
		/* everything a race record refers to is written before it */
		{
			const uint32_t st[3] = { rc.r.cur.stack_id, rc.r.prev.stack_id, rc.r.alloc_stack };
			const uint32_t th[3] = { rc.r.cur.thread_id, rc.r.prev.thread_id, rc.r.alloc_thread };
			struct idx_stack *es;
			struct idx_thread *et;
			for (i = 0; i < 3; i++) {
				if (st[i]) {
					HASH_FIND(hh, ix->stacks, &st[i], sizeof(uint32_t), es);
					if (!es)
						add_error(log, "race record at byte %zu refers to stack %u, "
						          "which the log does not have", off, st[i]);
				}
				if (th[i]) {
					HASH_FIND(hh, ix->threads, &th[i], sizeof(uint32_t), et);
					if (!et)
						add_error(log, "race record at byte %zu refers to thread T%u, "
						          "which the log does not have", off, th[i]);
				}
			}
			for (i = 0; i < n_locks; i++) {
				if (lock_find(ix, rc.locks[i]) < 0)
					add_error(log, "race record at byte %zu refers to lock %llu, "
					          "which the log does not have", off,
					          (unsigned long long)rc.locks[i]);
			}
		}
		PUSH(log->races, log->n_races, rc);
		break;
	}
	case LH_REC_SEM_CLASS: {
		struct lh_rec_sem_class r;
		long pos;
		NEED(sizeof(r));
		memcpy(&r, p, sizeof(r));
		pos = lock_find(ix, r.lock_id);
		if (pos < 0 || log->locks[pos].kind != LH_LOCK_SEM) {
			add_error(log, "sem-class record at byte %zu refers to lock %llu, which the log "
			          "does not have as a semaphore", off, (unsigned long long)r.lock_id);
			return;
		}
		if (!log->locks[pos].not_lock_why)
			log->locks[pos].not_lock_why = r.why ? r.why : LH_SEMW_POSTED_BY_OTHER;
		break;
	}
	default:
		log->n_unknown_records++; /* a newer shim's record: skip it */
		break;
	}
#undef NEED
}

/* Every set bit of every class map as the edge it stands for, with its
 * context's thread, stacks, modes and time (as an LH_REC_EDGE_PAIR of that
 * context would be read).  A bit whose member has no LH_REC_CLS_MEMBER is
 * an error (one per map), and so is a map with none. */
static void expand_maps(struct lr_log *log, struct index *ix)
{
	size_t m;

	for (m = 0; m < ix->n_maps; m++) {
		const struct idx_map *mp = &ix->maps[m];
		size_t n_bytes = (size_t)mp->r.n_rows * mp->r.n_from / 8, b;
		int dangling = 0;

		for (b = 0; b < n_bytes; b++) {
			unsigned v = mp->bits[b], k;
			for (k = 0; v && k < 8; k++) {
				uint64_t bit = (uint64_t)b * 8 + k, fk, tk;
				struct idx_member *fm, *tm;
				struct lr_edge ed;
				if (!(v & (1u << k)))
					continue;
				v &= ~(1u << k);
				if (!edge_room(log))
					return;
				fk = (uint64_t)mp->r.from_cls << 32 | (uint32_t)(bit % mp->r.n_from);
				tk = (uint64_t)mp->r.to_cls << 32 | (uint32_t)(mp->r.row0 + bit / mp->r.n_from);
				HASH_FIND(hh, ix->members, &fk, sizeof(fk), fm);
				HASH_FIND(hh, ix->members, &tk, sizeof(tk), tm);
				if (!fm || !tm) {
					if (!dangling++)
						add_error(log, "class-map record at byte %zu: a bit names member %u of "
						          "class %u, which the log does not have", mp->off,
						          (uint32_t)(fm ? tk : fk), (uint32_t)((fm ? tk : fk) >> 32));
					continue;
				}
				memset(&ed, 0, sizeof(ed));
				ed.from = fm->lock_id;
				ed.to = tm->lock_id;
				ed.thread = mp->c.thread_id;
				ed.from_stack = mp->c.from_stack;
				ed.to_stack = mp->c.to_stack;
				ed.from_mode = mp->c.from_mode;
				ed.to_mode = mp->c.to_mode;
				ed.flags = mp->c.flags;
				ed.time_ns = mp->c.time_ns;
				ed.n_gates = 0;
				ed.gates = NULL;
				PUSH(log->edges, log->n_edges, ed);
			}
		}
	}
}

/* Every set bit of every class tuple as the n_part - 1 edges it stands
 * for; a bit naming a member without a record: an error once per tuple. */
static void expand_tuples(struct lr_log *log, struct index *ix)
{
	size_t m;

	for (m = 0; m < ix->n_tuples; m++) {
		const struct idx_tuple *tp = &ix->tuples[m];
		const struct lh_rec_cls_tuple *r = &tp->r;
		size_t n_bytes = (size_t)r->n_rows * r->n_from / 8, b;
		uint32_t np = r->n_part, nh = np - 1;
		int dangling = 0;

		for (b = 0; b < n_bytes; b++) {
			unsigned v = tp->bits[b], k;
			for (k = 0; v && k < 8; k++) {
				uint64_t bit = (uint64_t)b * 8 + k, lock[LH_CLS_TUPLE_MAX];
				uint32_t q, e, g, j;
				if (!(v & (1u << k)))
					continue;
				v &= ~(1u << k);
				for (q = 0; q < np; q++) {
					uint32_t idx = q == r->col_part   ? (uint32_t)(bit % r->n_from)
					               : q == r->row_part ? r->row0 + (uint32_t)(bit / r->n_from)
					                                  : 0;
					uint64_t key = (uint64_t)r->cls[q] << 32 | idx;
					struct idx_member *mb;
					HASH_FIND(hh, ix->members, &key, sizeof(key), mb);
					if (!mb) {
						if (!dangling++)
							add_error(log, "class-tuple record at byte %zu: a bit names member "
							          "%u of class %u, which the log does not have",
							          tp->off, idx, r->cls[q]);
						break;
					}
					lock[q] = mb->lock_id;
				}
				if (q < np)
					continue;
				for (e = 0; e < nh; e++) {
					struct lr_edge ed;
					if (!edge_room(log))
						return;
					memset(&ed, 0, sizeof(ed));
					ed.from = lock[e];
					ed.to = lock[nh];
					ed.thread = tp->c[e].thread_id;
					ed.from_stack = tp->c[e].from_stack;
					ed.to_stack = tp->c[e].to_stack;
					ed.from_mode = tp->c[e].from_mode;
					ed.to_mode = tp->c[e].to_mode;
					ed.flags = tp->c[e].flags;
					ed.time_ns = tp->c[e].time_ns;
					ed.n_gates = nh - 1;
					ed.gates = gate_alloc(log, ed.n_gates);
					for (g = 0, j = 0; j < nh; j++)
						if (j != e) {
							ed.gates[g].lock_id = lock[j];
							ed.gates[g].mode = tp->gate_modes[e][g];
							ed.gates[g].pad = 0;
							g++;
						}
					PUSH(log->edges, log->n_edges, ed);
				}
			}
		}
	}
}

/* Does the unwritten tail of a mapped log start here?  A record header of
 * type 0 (the shim stores the type last), or fewer bytes than a header that
 * are all zero. */
static int unwritten_tail(const char *p, size_t left)
{
	struct lh_rec_hdr rh;
	size_t i;

	if (left >= sizeof(rh)) {
		memcpy(&rh, p, sizeof(rh));
		return rh.type == 0;
	}
	for (i = 0; i < left; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Parse a log in data[0..len).  drop_behind (a mapped file): every
 * LR_DROP_BEHIND bytes read, the pages behind are given back
 * (MADV_DONTNEED: a private read-only mapping reads them again from the
 * file if touched), so a large log's file pages do not add up in the
 * analyzer's memory on top of what is read out of them (8 MiB: a madvise
 * per 8 MiB costs nothing, and so do at most 8 MiB of file pages). */
#define LR_DROP_BEHIND ((size_t)8 << 20)

static struct lr_log *read_buf(const char *name, const void *data, size_t len, char *err,
                               size_t errlen, int drop_behind)
{
	const char *buf = data;
	struct lr_log *log;
	struct index *ix;
	size_t off, dropped = 0;

	if (len < LH_LOG_MAGIC_LEN && memcmp(buf, LH_LOG_MAGIC, len) == 0) {
		snprintf(err, errlen, "%s: truncated: the file ends inside the header (%zu bytes)", name, len);
		return NULL;
	}
	if (len < LH_LOG_MAGIC_LEN || memcmp(buf, LH_LOG_MAGIC, LH_LOG_MAGIC_LEN) != 0) {
		snprintf(err, errlen, "%s: not a lockhound log (bad magic)", name);
		return NULL;
	}
	if (len < 16) {
		snprintf(err, errlen, "%s: truncated: the file ends inside the header (%zu bytes)", name, len);
		return NULL;
	}
	log = xcalloc(1, sizeof(*log));
	ix = xcalloc(1, sizeof(*ix));
	log->index = ix;
	log->path = xstrdup(name);
	memcpy(&log->hdr, buf, 16); /* magic, version, header size */
	if (log->hdr.format_version > LH_LOG_FORMAT_VERSION) {
		char tv[sizeof(log->hdr.tool_version)] = "?";
		size_t at = offsetof(struct lh_file_header, tool_version);
		if (len >= at + sizeof(tv) - 1)
			memcpy(tv, buf + at, sizeof(tv) - 1);
		tv[sizeof(tv) - 1] = 0;
		snprintf(err, errlen,
		         "%s: written in log format version %u by lockhound %s, newer than this "
		         "lockhound reads (version %u and older): use a newer lockhound to read it",
		         name, log->hdr.format_version, tv, LH_LOG_FORMAT_VERSION);
		lr_free(log);
		return NULL;
	}
	if (log->hdr.format_version == 0 || log->hdr.header_size < 16 ||
	    log->hdr.header_size > LR_MAX_HEADER_SIZE) {
		snprintf(err, errlen, "%s: corrupt header (format %u, header size %u)", name,
		         log->hdr.format_version, log->hdr.header_size);
		lr_free(log);
		return NULL;
	}
	if (len < log->hdr.header_size) {
		snprintf(err, errlen, "%s: truncated: the file ends inside the header (%zu of %u bytes)",
		         name, len, log->hdr.header_size);
		lr_free(log);
		return NULL;
	}
	/* the rest of the header: only the bytes the header really has (an
	 * older, shorter header leaves the newer fields zero) */
	memcpy(&log->hdr, buf,
	       log->hdr.header_size < sizeof(log->hdr) ? log->hdr.header_size : sizeof(log->hdr));
	log->hdr.tool_version[sizeof(log->hdr.tool_version) - 1] = 0;
	off = log->hdr.header_size;
	while (off < len) {
		struct lh_rec_hdr rh;

		/* a mapped log ends at its first zero type: the unwritten tail */
		if ((log->hdr.flags & LH_HDR_MAPPED) && unwritten_tail(buf + off, len - off)) {
			log->unwritten_bytes = len - off;
			break;
		}
		if (len - off < sizeof(rh)) {
			add_error(log, "truncated at byte %zu: %zu bytes left, less than a record header",
			          off, len - off);
			break;
		}
		memcpy(&rh, buf + off, sizeof(rh));
		if (rh.size > LH_MAX_RECORD_SIZE || rh.type == 0) {
			add_error(log, "corrupt record at byte %zu (type %u, size %u): the rest of the log "
			          "(%zu bytes) is skipped",
			          off, rh.type, rh.size, len - off);
			break;
		}
		if (len - off - sizeof(rh) < rh.size) {
			add_error(log, "truncated at byte %zu: a %s record needs %u bytes, %zu remain", off,
			          rec_name(rh.type), rh.size, len - off - sizeof(rh));
			break;
		}
		parse_record(log, ix, rh.type, buf + off + sizeof(rh), rh.size, off);
		off += sizeof(rh) + rh.size;
		if (drop_behind && off - dropped >= LR_DROP_BEHIND) {
			size_t to = off & ~(LR_DROP_BEHIND - 1);
			madvise((char *)buf + dropped, to - dropped, MADV_DONTNEED);
			dropped = to;
		}
	}
	expand_maps(log, ix);
	expand_tuples(log, ix);
	drop_not_locks(log, ix);
	return log;
}

struct lr_log *lr_read_mem(const char *name, const void *data, size_t len, char *err, size_t errlen)
{
	return read_buf(name, data, len, err, errlen, 0);
}

/* A log is mapped, not read whole into memory: a huge file costs only the
 * pages the reader touches before it stops at the first bad record.  A
 * mapped file cut shorter while it is read (someone else's file in a shared
 * log directory) raises SIGBUS on the lost pages; the reader then refuses
 * the log with one line instead of dying (what it allocated so far is
 * left behind: the analyzer exits soon after). */
static sigjmp_buf map_jmp;
static volatile sig_atomic_t map_active;

static void map_sigbus(int sig)
{
	(void)sig;
	if (map_active)
		siglongjmp(map_jmp, 1);
	signal(SIGBUS, SIG_DFL);
	raise(SIGBUS);
}

struct lr_log *lr_read(const char *path, char *err, size_t errlen)
{
	struct sigaction sa, old;
	struct stat st;
	struct lr_log *volatile log = NULL;
	void *map;
	size_t len;
	int fd;

	/* O_NONBLOCK: opening a FIFO (planted in a shared log directory, or
	 * named by mistake) must not wait for a writer; nothing but a regular
	 * file is read */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	len = (size_t)st.st_size;
	if (len == 0) {
		close(fd);
		return lr_read_mem(path, "", 0, err, errlen);
	}
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(err, errlen, "%s: cannot map the file: %s", path, strerror(errno));
		return NULL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = map_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(map_jmp, 1) == 0) {
		map_active = 1;
		log = read_buf(path, map, len, err, errlen, 1);
	} else {
		log = NULL;
		snprintf(err, errlen, "%s: truncated: the file shrank while it was read", path);
	}
	map_active = 0;
	sigaction(SIGBUS, &old, NULL);
	munmap(map, len);
	return log;
}

void lr_free(struct lr_log *log)
{
	struct index *ix;
	size_t i;

	if (!log)
		return;
	ix = log->index;
	if (ix) {
		struct idx_stack *s, *ts;
		struct idx_thread *t, *tt;
		struct idx_ctx *c, *tc;
		HASH_ITER(hh, ix->stacks, s, ts)
		{
			HASH_DEL(ix->stacks, s);
			free(s);
		}
		free(ix->locks);
		HASH_ITER(hh, ix->threads, t, tt)
		{
			HASH_DEL(ix->threads, t);
			free(t);
		}
		HASH_ITER(hh, ix->ctxs, c, tc)
		{
			HASH_DEL(ix->ctxs, c);
			free(c->gate_modes);
			free(c);
		}
		struct idx_member *mb, *tmb;
		HASH_ITER(hh, ix->members, mb, tmb)
		{
			HASH_DEL(ix->members, mb);
			free(mb);
		}
		for (i = 0; i < ix->n_maps; i++)
			free(ix->maps[i].bits);
		free(ix->maps);
		for (i = 0; i < ix->n_tuples; i++)
			free(ix->tuples[i].bits);
		free(ix->tuples);
		free(ix);
	}
	for (i = 0; i < log->n_modules; i++) {
		free(log->modules[i].path);
		free(log->modules[i].build_id);
	}
	for (i = 0; i < log->n_stacks; i++) {
		free(log->stacks[i].pcs);
		free_py(log->stacks[i].py, log->stacks[i].n_py);
	}
	while (log->gate_pool) {
		struct gate_chunk *c = log->gate_pool;
		log->gate_pool = c->next;
		free(c);
	}
	for (i = 0; i < log->n_findings; i++)
		free(log->findings[i].items);
	for (i = 0; i < log->n_notes; i++)
		free(log->notes[i]);
	for (i = 0; i < log->n_races; i++)
		free(log->races[i].locks);
	free(log->races);
	for (i = 0; i < log->n_errors; i++)
		free(log->errors[i]);
	free(log->modules);
	free(log->stacks);
	free(log->threads);
	free(log->locks);
	free(log->edges);
	free(log->findings);
	free(log->notes);
	free(log->errors);
	free(log->exe);
	free(log->cmdline);
	free(log->path);
	free(log);
}

const struct lr_stack *lr_stack(const struct lr_log *log, uint32_t id)
{
	struct index *ix = log->index;
	struct idx_stack *e;

	if (!id)
		return NULL;
	HASH_FIND(hh, ix->stacks, &id, sizeof(uint32_t), e);
	return e ? &log->stacks[e->pos] : NULL;
}

const struct lr_lock *lr_lock(const struct lr_log *log, uint64_t id)
{
	long pos = lock_find(log->index, id);

	return pos >= 0 ? &log->locks[pos] : NULL;
}

const struct lr_thread *lr_thread(const struct lr_log *log, uint32_t id)
{
	struct index *ix = log->index;
	struct idx_thread *e;

	HASH_FIND(hh, ix->threads, &id, sizeof(uint32_t), e);
	return e ? &log->threads[e->pos] : NULL;
}
