/*
 * stacks.c - capturing call stacks (libunwind, local unwinding) and the
 * stack table: each distinct stack is written to the log once and then
 * referred to by number.
 *
 * Capture happens only when something new is recorded (a new edge, a lock
 * init, a thread creation, a finding), never on the uncontended lock path.
 * Frames inside the shim are dropped by locating the caller of the
 * interposed function: its return address (for unw_backtrace) or its stack
 * pointer (for unwinds with stack pointers).
 *
 * A stack may also carry the Python frames of the thread (pyframes.c): a
 * stack's identity is its pcs, its flags and its interned Python frames.
 *
 * Limit: a stack has at most lh_opt.stack_depth frames; deeper frames are
 * dropped and the stack is flagged LH_STACK_TRUNCATED.
 */
#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "shim.h"
#include "tracememo.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

struct stk_entry {
	uint64_t hash;
	uint32_t id;
	uint32_t epoch; /* log epoch in which its record was written */
	uint32_t n;
	uint32_t flags;
	uintptr_t *pcs;
	const struct lh_pystk *py; /* Python frames, NULL if none */
};

/* Open addressing, grown by doubling under lh_stk_mu.  Invariant: n_used <=
 * cap / 2; ids are 1..n_used in order of first capture. */
static struct stk_entry *tab;
static size_t cap, n_used;
static uint32_t next_id = 1;
static uint64_t *hash_of_id; /* id -> hash, to find a stack by id */
static size_t hash_of_id_cap;
pthread_mutex_t lh_stk_mu = PTHREAD_MUTEX_INITIALIZER; /* across fork: forklocks.c */
static int unw_ready;

/* a limit that drops stacks, each noted in the log once (caller holds
 * lh_stk_mu) */
enum { FULL_TABLE, FULL_PCS, FULL_INDEX, N_FULL };
static void full_note(int which, const char *what)
{
	static int noted[N_FULL];

	if (!noted[which]++)
		lh_log_note("%s", what);
}

static uint64_t hash_pcs(const uintptr_t *pcs, int n, uint32_t flags, const struct lh_pystk *py)
{
	uint64_t h = (1469598103934665603ull ^ flags) + (py ? py->hash * 31 : 0);
	int i;
	for (i = 0; i < n; i++) {
		h ^= pcs[i];
		h *= 1099511628211ull;
		h ^= h >> 29;
	}
	return h ? h : 1;
}

static int grow(void)
{
	size_t ncap = cap ? cap * 2 : 4096, i;
	struct stk_entry *nt = lh_alloc(ncap * sizeof(*nt));

	if (!nt)
		return -1;
	for (i = 0; i < cap; i++) {
		if (tab[i].hash) {
			size_t j = tab[i].hash & (ncap - 1);
			while (nt[j].hash)
				j = (j + 1) & (ncap - 1);
			nt[j] = tab[i];
		}
	}
	/* the old table is abandoned to the bump allocator: stacks are few */
	tab = nt;
	cap = ncap;
	return 0;
}

static void emit(struct stk_entry *e)
{
	struct lh_rec_stack r;
	uint64_t pcs[LH_MAX_FRAMES];
	uint32_t i;

	r.stack_id = e->id;
	r.n_frames = e->n;
	r.flags = e->flags | (e->py ? e->py->flags : 0);
	r.n_py_frames = e->py ? e->py->n : 0;
	for (i = 0; i < e->n; i++)
		pcs[i] = e->pcs[i];
	lh_log_record(LH_REC_STACK, &r, sizeof(r), pcs, e->n * sizeof(uint64_t), e->py ? e->py->rec : NULL,
	              e->py ? e->py->rec_len : 0);
	e->epoch = lh_log_epoch;
}

uint32_t lh_stk_intern(const uintptr_t *pcs, int n, uint32_t flags)
{
	return lh_stk_intern_py(pcs, n, flags, NULL);
}

uint32_t lh_stk_intern_py(const uintptr_t *pcs, int n, uint32_t flags, const struct lh_pystk *py)
{
	uint64_t h;
	size_t j;
	uint32_t id = 0;

	if (n <= 0)
		return 0;
	if (n > lh_opt.stack_depth) {
		n = lh_opt.stack_depth;
		flags |= LH_STACK_TRUNCATED;
	}
	h = hash_pcs(pcs, n, flags, py);
	lh_in_shim++;
	lh_mu_lock(&lh_stk_mu);
	if ((n_used + 1) * 2 > cap && grow() < 0) {
		full_note(FULL_TABLE, "the stack table cannot grow (out of memory): new call stacks are not "
		          "recorded; the result may be incomplete");
		goto out;
	}
	for (j = h & (cap - 1); tab[j].hash; j = (j + 1) & (cap - 1)) {
		struct stk_entry *e = &tab[j];
		if (e->hash == h && e->n == (uint32_t)n && e->flags == flags && e->py == py &&
		    !memcmp(e->pcs, pcs, (size_t)n * sizeof(*pcs))) {
			if (e->epoch != lh_log_epoch)
				emit(e);
			id = e->id;
			goto out;
		}
	}
	/* a new stack may point into an object loaded since the module map
	 * was last written: its MODULE record must come first */
	lh_log_modules_if_changed();
	tab[j].pcs = lh_alloc((size_t)n * sizeof(*pcs));
	if (!tab[j].pcs) {
		full_note(FULL_PCS, "out of memory for call stacks: new call stacks are not recorded; the "
		          "result may be incomplete");
		goto out;
	}
	memcpy(tab[j].pcs, pcs, (size_t)n * sizeof(*pcs));
	tab[j].hash = h;
	tab[j].n = (uint32_t)n;
	tab[j].flags = flags;
	tab[j].py = py;
	tab[j].id = id = next_id++;
	n_used++;
	if (id >= hash_of_id_cap) {
		size_t ncap = hash_of_id_cap ? hash_of_id_cap * 2 : 4096;
		uint64_t *nh = lh_alloc(ncap * sizeof(*nh));
		if (nh) {
			if (hash_of_id)
				memcpy(nh, hash_of_id, hash_of_id_cap * sizeof(*nh));
			hash_of_id = nh;
			hash_of_id_cap = ncap;
		}
	}
	if (id < hash_of_id_cap)
		hash_of_id[id] = h;
	else
		full_note(FULL_INDEX, "the stack table's index cannot grow (out of memory): stacks recorded "
		          "from now on are missing from the logs of forked children; the result "
		          "may be incomplete");
	emit(&tab[j]);
out:
	lh_mu_unlock(&lh_stk_mu);
	lh_in_shim--;
	return id;
}

uint32_t lh_stk_rewrite(uint32_t id)
{
	size_t j;

	lh_in_shim++;
	lh_mu_lock(&lh_stk_mu);
	if (id < hash_of_id_cap && cap) {
		uint64_t h = hash_of_id[id];
		for (j = h & (cap - 1); tab[j].hash; j = (j + 1) & (cap - 1))
			if (tab[j].id == id) {
				if (tab[j].epoch != lh_log_epoch)
					emit(&tab[j]);
				break;
			}
	}
	lh_mu_unlock(&lh_stk_mu);
	lh_in_shim--;
	return id;
}

static void unw_setup(void)
{
	if (!unw_ready) {
		unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
		unw_ready = 1;
	}
}

uint32_t lh_stk_capture(uintptr_t ra)
{
	void *buf[LH_MAX_FRAMES + 16];
	const struct lh_pystk *py = unlikely(lh_py_on | lh_py_retry) ? lh_py_now() : NULL;
	int n, i;

	if (lh_stack_is_short())
		return lh_stk_intern_py(&ra, 1, 0, py);
	lh_in_shim++;
	lh_unwinding++;
	unw_setup();
	n = unw_backtrace(buf, LH_MAX_FRAMES + 16);
	lh_unwinding--;
	lh_in_shim--;
	/* drop the shim's own frames: everything up to the caller's return
	 * address.  If it is not found (tail calls), keep everything after
	 * this function's frame. */
	for (i = 0; i < n; i++)
		if ((uintptr_t)buf[i] == ra)
			break;
	if (i == n)
		i = n > 1 ? 1 : 0;
	return lh_stk_intern_py((const uintptr_t *)buf + i, n - i, 0, py);
}

int lh_stk_trace(uintptr_t *ips, int max, uintptr_t ra, uintptr_t cfa)
{
	struct lh_thread *t = lh_self_td;
	struct lh_tmemo *m = t ? t->trace_memo : NULL;
	int n, k;

	if (lh_stack_is_short())
		return 0;
	if (m && (n = lh_tmemo_get(m, ra, cfa, ips, max)) > 0)
		return n;
	lh_in_shim++;
	lh_unwinding++;
	unw_setup();
	n = unw_backtrace((void **)ips, max);
	lh_unwinding--;
	lh_in_shim--;
	if (n <= 0)
		return 0;
	/* remember the path from the lock call outward, with where the
	 * stack holds it (an unwind: each frame's stack pointer) */
	if (!m && t) {
		lh_in_shim++;
		m = t->trace_memo = lh_alloc(sizeof(*m));
		lh_in_shim--;
	}
	for (k = 0; k < n && ips[k] != ra; k++)
		;
	if (m && k < n && n - k <= LH_TMEMO_FRAMES && lh_tmemo_may_put(m, ra, cfa)) {
		struct lh_frames f;
		lh_stk_unwind(&f);
		lh_tmemo_put(m, ra, cfa, ips + k, n - k, f.ip, f.sp, f.n);
	}
	return n;
}

void lh_stk_unwind(struct lh_frames *f)
{
	unw_context_t uc;
	unw_cursor_t c;
	int max = (int)(sizeof(f->ip) / sizeof(f->ip[0]));

	f->n = 0;
	lh_in_shim++;
	lh_unwinding++;
	unw_setup();
	if (unw_getcontext(&uc) == 0 && unw_init_local(&c, &uc) == 0) {
		do {
			unw_word_t ip, sp;
			if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || unw_get_reg(&c, UNW_REG_SP, &sp) < 0)
				break;
			if (ip == 0)
				break;
			f->ip[f->n] = ip;
			f->sp[f->n] = sp;
			f->n++;
		} while (f->n < max && unw_step(&c) > 0);
	}
	lh_unwinding--;
	lh_in_shim--;
}

uint32_t lh_stk_from_frames(const struct lh_frames *f, uintptr_t ra, uintptr_t cfa,
                            const struct lh_pystk *py, int *partial)
{
	uintptr_t pcs[LH_MAX_FRAMES + 8];
	int i, n = 0;

	*partial = 0;
	/* The frame that made the call has stack pointer == cfa (the value the
	 * caller's sp had at the call).  When it is still on the stack, the
	 * acquisition's stack is ra followed by that frame's callers. */
	for (i = 0; i < f->n; i++)
		if (f->sp[i] == cfa)
			break;
	pcs[n++] = ra;
	if (i < f->n) {
		int j;
		for (j = i + 1; j < f->n && n < (int)(sizeof(pcs) / sizeof(pcs[0])); j++)
			pcs[n++] = f->ip[j];
	} else {
		*partial = 1;
	}
	return lh_stk_intern_py(pcs, n, 0, py);
}

/* 1 once this process's log has the note of lh_dep_unwatched */
static int dep_noted;

void lh_dep_unwatched(uintptr_t ra)
{
	int i, n = __atomic_load_n(&lh_n_dep_ranges, __ATOMIC_ACQUIRE);
	const char *name = NULL;

	if (likely(__atomic_load_n(&dep_noted, __ATOMIC_RELAXED)))
		return;
	/* Not libunwind's own calls (range 0): its per-thread cache's
	 * destructor locks a mutex at every thread exit of a thread the shim
	 * unwound in, outside the shim's guard, and would note in every
	 * program.  Limit: the program's own calls to libunwind (tcmalloc's)
	 * are then not noted either. */
	for (i = 1; i < n; i++)
		if (ra - lh_dep_ranges[i].lo < lh_dep_ranges[i].hi - lh_dep_ranges[i].lo)
			name = lh_dep_ranges[i].name;
	if (!name || __atomic_exchange_n(&dep_noted, 1, __ATOMIC_RELAXED))
		return;
	{
		int saved = errno;
		lh_in_shim++;
		lh_log_note("calls from %s, a library lockhound itself uses, are not watched: its "
		            "threads and locks are missing from this report; the result may be "
		            "incomplete",
		            name);
		lh_in_shim--;
		errno = saved;
	}
}

void lh_stk_after_fork_child(void)
{
	/* the child's log is its own: its first unwatched call notes again */
	dep_noted = 0;
	/* lh_stk_mu was re-made by lh_fork_reset_all; the table is whole (no
	 * thread was changing it at fork), and epochs make every stack be
	 * written again on use */
}

/* ---- the shim's own dependencies ----
 *
 * libunwind (and what it needs besides the C library) may be called by the
 * program too: gperftools' tcmalloc unwinds through it while it sets up
 * its heap.  libunwind then calls pthread_mutex_init and pthread_mutex_lock
 * with its own lock held, and a wrapper that captured a stack would call
 * libunwind again, blocking on that lock.  So every wrapper called from
 * these objects' code passes straight through (lh_from_dep in wrap.h), as
 * if the shim itself were running; the first such call in a process from
 * a library libunwind needs leaves a note naming it (lh_dep_unwatched):
 * what the program does through it (liblzma's threads in xz -T2) is not in
 * the report.  At most LH_MAX_DEP_RANGES objects. */
struct lh_dep_range lh_dep_ranges[LH_MAX_DEP_RANGES];
int lh_n_dep_ranges;
uintptr_t lh_dep_lo, lh_dep_span; /* their bounding range: the wrappers' first test */

struct dep_find {
	uintptr_t base;   /* find the object loaded at this base... */
	const char *name; /* ...or whose file name ends in this soname */
	uintptr_t lo, hi;
	const char *path; /* found: its file name */
};

static int dep_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct dep_find *d = data;
	const char *nm = info->dlpi_name ? info->dlpi_name : "";
	size_t ln = strlen(nm), ls;
	int i;

	if (d->name) {
		ls = strlen(d->name);
		if (ln < ls || strcmp(nm + ln - ls, d->name) || (ln > ls && nm[ln - ls - 1] != '/'))
			return 0;
	} else if (info->dlpi_addr != d->base || !nm[0]) {
		return 0;
	}
	d->path = nm;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type != PT_LOAD)
			continue;
		if (!d->lo || a < d->lo)
			d->lo = a;
		if (a + ph->p_memsz > d->hi)
			d->hi = a + ph->p_memsz;
	}
	return 1;
}

static void add_dep(struct dep_find *d)
{
	static int full_noted;

	if (dl_iterate_phdr(dep_cb, d) == 0 || !d->hi)
		return;
	if (lh_n_dep_ranges == LH_MAX_DEP_RANGES) {
		if (!full_noted++)
			lh_log_note("the shim's dependencies span more than %d objects "
			            "(LH_MAX_DEP_RANGES); calls from the others are tracked",
			            LH_MAX_DEP_RANGES);
		return;
	}
	lh_dep_ranges[lh_n_dep_ranges].lo = d->lo;
	lh_dep_ranges[lh_n_dep_ranges].hi = d->hi;
	{
		const char *base = d->path ? strrchr(d->path, '/') : NULL;
		base = base ? base + 1 : d->path ? d->path : "?";
		snprintf(lh_dep_ranges[lh_n_dep_ranges].name,
		         sizeof(lh_dep_ranges[lh_n_dep_ranges].name), "%s", base);
	}
	{
		uintptr_t lo = lh_dep_span && lh_dep_lo < d->lo ? lh_dep_lo : d->lo;
		uintptr_t hi = lh_dep_span && lh_dep_lo + lh_dep_span > d->hi ? lh_dep_lo + lh_dep_span : d->hi;
		/* widened before the new range is published: a reader that
		 * sees the new count sees the new bounds too */
		__atomic_store_n(&lh_dep_lo, lo, __ATOMIC_RELAXED);
		__atomic_store_n(&lh_dep_span, hi - lo, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&lh_n_dep_ranges, lh_n_dep_ranges + 1, __ATOMIC_RELEASE);
}

/* the C library's own objects call the real functions internally */
static int is_libc_part(const char *soname)
{
	static const char *const parts[] = { "libc.so", "libpthread.so", "libdl.so", "librt.so",
		                             "libm.so", "ld-linux" };
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (!strncmp(soname, parts[i], strlen(parts[i])))
			return 1;
	return 0;
}

void lh_stk_find_deps(void)
{
	Dl_info info;
	struct link_map *lm = NULL;
	struct dep_find d;
	const ElfW(Dyn) *dyn;
	const char *strtab = NULL;

	memset(&d, 0, sizeof(d));
	if (!dladdr1((void *)&unw_backtrace, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return;
	d.base = lm->l_addr;
	add_dep(&d);
	/* and the objects libunwind needs, besides the C library (liblzma) */
	for (dyn = lm->l_ld; dyn && dyn->d_tag != DT_NULL; dyn++)
		if (dyn->d_tag == DT_STRTAB)
			strtab = (const char *)dyn->d_un.d_ptr;
	for (dyn = lm->l_ld; strtab && dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag != DT_NEEDED || is_libc_part(strtab + dyn->d_un.d_val))
			continue;
		memset(&d, 0, sizeof(d));
		d.name = strtab + dyn->d_un.d_val;
		add_dep(&d);
	}
}
