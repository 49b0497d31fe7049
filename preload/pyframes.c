/*
 * pyframes.c - the Python frames of a thread of a CPython interpreter
 * (prefix lh_py_): read through CPython's public C API, only while the
 * calling thread holds the GIL, and interned so that a stack record can
 * carry them (docs/DESIGN.md section 27).
 *
 * Finding the interpreter: only in a process whose executable is named
 * python* or that has an object named libpython* loaded (logwrite.c's
 * module map calls lh_py_seen_lib; at start-up, or later after a dlopen),
 * CPython's functions are looked up with dlsym(RTLD_DEFAULT), at start-up
 * or at the next capture.  A dlsym that finds nothing allocates its error
 * message with the program's malloc, which may be an allocator that takes
 * the locks we intercept (tcmalloc, while it initializes): so no other
 * process ever asks, and a Python process asks for each optional function
 * only when the one before it is missing.  Nothing is linked against
 * libpython and nothing is ever loaded: elsewhere lh_py_on stays 0 and every
 * hook is one load and a branch.  Limits: an executable that has CPython
 * linked in under another name (a static embedding) and a libpython
 * dlopened with RTLD_LOCAL (not in the global scope) stay invisible.
 *
 * When it is safe to call CPython: Py_IsInitialized() says the runtime is
 * up and not finalizing (once it has been up and says no, finalization has
 * begun, and frames stay off for good: an interpreter initialized a second
 * time in the same process is not read), PyGILState_Check() says the calling
 * thread holds the GIL, and, where CPython exports it
 * (_PyThreadState_UncheckedGet up to 3.12, PyThreadState_GetUnchecked from
 * 3.13), the thread state running is this thread's own.  PyGILState_Check
 * answers yes without looking once a subinterpreter was made, so a second
 * interpreter turns Python frames off for good (noted).  Otherwise the
 * stack keeps its native frames only.  Every caller runs inside the shim
 * (lh_in_shim), so any lock CPython takes meanwhile passes straight
 * through.
 *
 * CPython 3.11's threading.Lock: acquire first tries sem_trywait with the
 * GIL held and only then releases the GIL and blocks in sem_wait or
 * sem_clockwait; release (sem_post) runs with the GIL held.  So the frames
 * of the failed try are remembered for the thread (py_try, py_try_addr) and
 * are those of the blocking wait on the same semaphore that follows, and of
 * the acquisition that ends it (lh_py_for, lh_py_take).
 *
 * What the calls allocate, and why that is safe:
 *   - PyThreadState_GetFrame and PyFrame_GetBack create a frame object for
 *     an interpreter frame that has none yet (3.11+: PyObject_GC_NewVar, from
 *     CPython's own allocator, pymalloc, whose arenas come from mmap; large
 *     requests go to malloc).  The frame keeps the object (as f_frame_obj),
 *     later walks get it back without allocating, and it dies with the
 *     frame.  Creating a GC object can start a collection, which runs
 *     finalizers (arbitrary Python code, taking locks): the walk runs with
 *     the collector off (PyGC_Disable, then PyGC_Enable if it was on).
 *   - PyUnicode_AsUTF8AndSize caches a UTF-8 copy in a string that is not
 *     ASCII (pymalloc or malloc).  ASCII names are returned in place.
 *   - PyUnicode_InternFromString, once per process, for the attribute names.
 *   - Nothing else: PyFrame_GetCode and PyFrame_GetLineNumber read the
 *     frame; PyObject_GetAttr of a code object's co_filename / co_qualname
 *     returns the member it has (a new reference); Py_DecRef of what the
 *     walk got never frees anything, since the frames and code objects are
 *     still referenced by the running frames.
 * malloc from here is the program's allocator called from inside the shim:
 * the shim's wrappers pass it through (lh_in_shim), no shim lock is held
 * during the walk (lh_py_mu is taken only after it, for interning), and
 * the thread holds the GIL, which CPython's allocators already assume.
 * An error a call leaves behind (MemoryError, UnicodeEncodeError for a
 * name with lone surrogates) is dropped: the program's own pending error is
 * saved before the walk (PyErr_Fetch) and restored after it (PyErr_Restore).
 *
 * The shim's own memory: names and stacks are interned in tables from
 * lh_alloc under lh_py_mu (forklocks.c); each interned stack carries its
 * encoded frames for the stack record (include/lockhound_log.h, format 3).
 * Limits: LH_PY_MAX_FRAMES frames per stack (deeper ones dropped, the
 * stack flagged LH_STACK_PY_TRUNCATED), LH_PY_MAX_NAME bytes of a file name
 * (its end is kept) or function name (its start is kept); when the shim's
 * memory runs out, new Python frames are not recorded (noted once).
 */
#include "shim.h"

#include <dlfcn.h>
#include <string.h>
#include <sys/types.h>

int lh_py_on;
int lh_py_retry;
pthread_mutex_t lh_py_mu = PTHREAD_MUTEX_INITIALIZER; /* across fork: forklocks.c */

typedef void pyobj; /* PyObject, PyFrameObject, PyCodeObject, PyThreadState */

static struct {
	int (*is_initialized)(void);
	int (*gil_check)(void);
	pyobj *(*tstate_get)(void);
	pyobj *(*tstate_unchecked)(void); /* optional */
	pyobj *(*tstate_frame)(pyobj *);
	pyobj *(*frame_code)(pyobj *);
	int (*frame_line)(pyobj *);
	pyobj *(*frame_back)(pyobj *);
	pyobj *(*getattr)(pyobj *, pyobj *);
	pyobj *(*intern)(const char *);
	const char *(*utf8)(pyobj *, ssize_t *);
	void (*decref)(pyobj *);
	int (*gc_disable)(void);
	int (*gc_enable)(void);
	void (*err_fetch)(pyobj **, pyobj **, pyobj **);
	void (*err_restore)(pyobj *, pyobj *, pyobj *);
	pyobj *(*interp_main)(void);
	pyobj *(*interp_next)(pyobj *);
} py;

/* the required functions and their slots in struct py (tstate_unchecked
 * is optional), Py_IsInitialized first */
static const struct {
	const char *name;
	size_t off;
} py_syms[] = {
#define S(n, f) { n, offsetof(__typeof__(py), f) }
	S("Py_IsInitialized", is_initialized),
	S("PyGILState_Check", gil_check),
	S("PyThreadState_Get", tstate_get),
	S("PyThreadState_GetFrame", tstate_frame),
	S("PyFrame_GetCode", frame_code),
	S("PyFrame_GetLineNumber", frame_line),
	S("PyFrame_GetBack", frame_back),
	S("PyObject_GetAttr", getattr),
	S("PyUnicode_InternFromString", intern),
	S("PyUnicode_AsUTF8AndSize", utf8),
	S("Py_DecRef", decref),
	S("PyGC_Disable", gc_disable),
	S("PyGC_Enable", gc_enable),
	S("PyErr_Fetch", err_fetch),
	S("PyErr_Restore", err_restore),
	S("PyInterpreterState_Main", interp_main),
	S("PyInterpreterState_Next", interp_next),
#undef S
};

/* 1 once CPython was seen initialized: after that, "not initialized"
 * means finalizing */
static int py_seen_up;
static int py_off; /* turned off for good (finalization, a subinterpreter) */
static pyobj *name_file, *name_qualname, *name_name; /* under the GIL */

/* Called with lh_py_retry set (an interpreter is in the module map), with
 * no lock of the shim held: at start-up, or from lh_py_now. */
void lh_py_init(void)
{
	void *p[sizeof(py_syms) / sizeof(py_syms[0])];
	size_t i;

	if (!__atomic_exchange_n(&lh_py_retry, 0, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&lh_py_on, __ATOMIC_ACQUIRE))
		return;
	lh_in_shim++;
	/* Py_IsInitialized first: a python* executable without it is no CPython */
	for (i = 0; i < sizeof(py_syms) / sizeof(py_syms[0]); i++) {
		p[i] = dlsym(RTLD_DEFAULT, py_syms[i].name);
		if (!p[i])
			break;
	}
	if (i == sizeof(py_syms) / sizeof(py_syms[0])) {
		for (i = 0; i < sizeof(py_syms) / sizeof(py_syms[0]); i++)
			memcpy((char *)&py + py_syms[i].off, &p[i], sizeof(void *));
		/* 3.5 .. 3.12 export the first; 3.13 made it public as the second */
		py.tstate_unchecked = (pyobj * (*)(void)) dlsym(RTLD_DEFAULT, "_PyThreadState_UncheckedGet");
		if (!py.tstate_unchecked)
			py.tstate_unchecked = (pyobj * (*)(void)) dlsym(RTLD_DEFAULT, "PyThreadState_GetUnchecked");
		__atomic_store_n(&lh_py_on, 1, __ATOMIC_RELEASE);
	} else if (i > 0) {
		/* a CPython older than 3.10 (no PyGC_Disable) or without one of
		 * the functions: native frames only */
		lh_log_note("the program is a Python interpreter without %s (CPython 3.10 or newer "
		            "has it): its stacks show native frames only",
		            py_syms[i].name);
	}
	lh_in_shim--;
}

void lh_py_seen_lib(void)
{
	static int seen; /* under lh_mods_mu: ask once per process */

	if (!seen++ && !__atomic_load_n(&lh_py_on, __ATOMIC_RELAXED))
		__atomic_store_n(&lh_py_retry, 1, __ATOMIC_RELAXED);
}

/* ---- interning (under lh_py_mu) ---- */

struct itab {
	size_t cap, used; /* used <= cap / 2 */
	void **slot;
	uint64_t *hash;
};
static struct itab names, stacks;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;
	for (i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static int itab_room(struct itab *t)
{
	size_t ncap, i, j;
	void **ns;
	uint64_t *nh;

	if ((t->used + 1) * 2 <= t->cap)
		return 0;
	ncap = t->cap ? t->cap * 2 : 1024;
	ns = lh_alloc(ncap * sizeof(*ns));
	nh = lh_alloc(ncap * sizeof(*nh));
	if (!ns || !nh)
		return -1;
	for (i = 0; i < t->cap; i++)
		if (t->slot[i]) {
			for (j = t->hash[i] & (ncap - 1); ns[j]; j = (j + 1) & (ncap - 1))
				;
			ns[j] = t->slot[i];
			nh[j] = t->hash[i];
		}
	/* the old arrays are abandoned to the bump allocator */
	t->slot = ns;
	t->hash = nh;
	t->cap = ncap;
	return 0;
}

static void out_of_memory(void)
{
	static int noted;
	if (!noted++)
		lh_log_note("out of memory for Python frames: new stacks show native frames only; "
		            "the result may be incomplete");
}

static const struct lh_pystr *intern_name(const char *s, size_t n)
{
	uint64_t h = fnv(1469598103934665603ull, s, n) | 1;
	struct lh_pystr *e;
	size_t j;

	if (itab_room(&names) < 0)
		return NULL;
	for (j = h & (names.cap - 1); names.slot[j]; j = (j + 1) & (names.cap - 1)) {
		e = names.slot[j];
		if (names.hash[j] == h && e->len == n && !memcmp(e->s, s, n))
			return e;
	}
	e = lh_alloc(sizeof(*e) + n + 1);
	if (!e)
		return NULL;
	e->len = (uint32_t)n;
	memcpy(e->s, s, n);
	names.slot[j] = e;
	names.hash[j] = h;
	names.used++;
	return e;
}

/* caller holds lh_py_mu; f[0..n) have interned names */
static const struct lh_pystk *intern_stack(const struct lh_pyframe *f, int n, uint32_t flags)
{
	struct lh_pystk *st;
	uint64_t h = 1469598103934665603ull ^ flags;
	size_t rec_len = 0, j;
	unsigned char *w;
	int i;

	for (i = 0; i < n; i++) {
		h = fnv(h, &f[i], sizeof(f[i]));
		rec_len += sizeof(struct lh_rec_pyframe) + f[i].file->len + f[i].func->len;
	}
	h |= 1;
	if (itab_room(&stacks) < 0)
		return NULL;
	for (j = h & (stacks.cap - 1); stacks.slot[j]; j = (j + 1) & (stacks.cap - 1)) {
		st = stacks.slot[j];
		if (stacks.hash[j] == h && st->n == (uint32_t)n && st->flags == flags &&
		    !memcmp(st->f, f, (size_t)n * sizeof(f[0])))
			return st;
	}
	st = lh_alloc(sizeof(*st) + (size_t)n * sizeof(f[0]) + rec_len);
	if (!st)
		return NULL;
	st->hash = h;
	st->n = (uint32_t)n;
	st->flags = flags;
	memcpy(st->f, f, (size_t)n * sizeof(f[0]));
	/* the frames as the stack record carries them */
	w = (unsigned char *)(st->f + n);
	st->rec = w;
	st->rec_len = rec_len;
	for (i = 0; i < n; i++) {
		struct lh_rec_pyframe r;
		r.line = (uint32_t)f[i].line;
		r.file_len = (uint16_t)f[i].file->len;
		r.func_len = (uint16_t)f[i].func->len;
		memcpy(w, &r, sizeof(r));
		w += sizeof(r);
		memcpy(w, f[i].file->s, f[i].file->len);
		w += f[i].file->len;
		memcpy(w, f[i].func->s, f[i].func->len);
		w += f[i].func->len;
	}
	stacks.slot[j] = st;
	stacks.hash[j] = h;
	stacks.used++;
	return st;
}

/* ---- reading the frames ---- */

static const struct lh_pystr *intern_locked(const char *s, size_t n)
{
	const struct lh_pystr *e;

	lh_mu_lock(&lh_py_mu);
	e = intern_name(s, n);
	lh_mu_unlock(&lh_py_mu);
	return e;
}

/* o's attribute `name` (a str), interned; keep_end: its last
 * LH_PY_MAX_NAME bytes if it is longer, else its first.  "?" if o has no
 * such attribute or it cannot be encoded; NULL when out of memory. */
static const struct lh_pystr *name_of(pyobj *o, pyobj *name, int keep_end)
{
	pyobj *s = name ? py.getattr(o, name) : NULL;
	const struct lh_pystr *e;
	const char *u;
	ssize_t n = 0;

	if (!s)
		return intern_locked("?", 1);
	u = py.utf8(s, &n);
	if (u && n >= 0) {
		size_t len = (size_t)n, from = 0;
		if (len > LH_PY_MAX_NAME) {
			from = keep_end ? len - LH_PY_MAX_NAME : 0;
			len = LH_PY_MAX_NAME;
		}
		e = intern_locked(u + from, len); /* u lives as long as s */
	} else {
		e = intern_locked("?", 1);
	}
	py.decref(s);
	return e;
}

/* Is it safe to call CPython here?  Turns frames off for good when it
 * never will be again. */
static int py_safe(void)
{
	pyobj *m;

	if (__atomic_load_n(&py_off, __ATOMIC_RELAXED))
		return 0;
	if (!py.is_initialized()) {
		if (__atomic_load_n(&py_seen_up, __ATOMIC_RELAXED))
			__atomic_store_n(&py_off, 1, __ATOMIC_RELAXED); /* finalizing */
		return 0;
	}
	if (!py.gil_check())
		return 0;
	if (py.tstate_unchecked) {
		pyobj *cur = py.tstate_unchecked();
		if (!cur)
			return 0;
	}
	/* the interpreter list only changes with the GIL held, and a second
	 * interpreter makes PyGILState_Check say yes to any thread */
	m = py.interp_main();
	if (!m || py.interp_next(m)) {
		if (!__atomic_exchange_n(&py_off, 1, __ATOMIC_RELAXED))
			lh_log_note("the Python program made a subinterpreter: from now on its "
			            "stacks show native frames only");
		return 0;
	}
	__atomic_store_n(&py_seen_up, 1, __ATOMIC_RELAXED);
	return 1;
}

const struct lh_pystk *lh_py_now(void)
{
	struct lh_pyframe fr[LH_PY_MAX_FRAMES];
	const struct lh_pystk *st = NULL;
	pyobj *et, *ev, *etb, *f;
	uint32_t flags = 0;
	int n = 0, gc_was_on, oom = 0;

	if (unlikely(__atomic_load_n(&lh_py_retry, __ATOMIC_RELAXED)))
		lh_py_init();
	if (!__atomic_load_n(&lh_py_on, __ATOMIC_ACQUIRE) || lh_stack_is_short())
		return NULL;
	lh_in_shim++;
	if (!py_safe())
		goto out;
	if (!name_file) {
		name_file = py.intern("co_filename");
		name_qualname = py.intern("co_qualname"); /* 3.11+ */
		name_name = py.intern("co_name");
	}
	py.err_fetch(&et, &ev, &etb);
	gc_was_on = py.gc_disable();
	f = py.tstate_frame(py.tstate_get());
	while (f) {
		pyobj *code, *back;
		if (n == LH_PY_MAX_FRAMES) {
			flags |= LH_STACK_PY_TRUNCATED;
			py.decref(f);
			break;
		}
		code = py.frame_code(f);
		fr[n].line = (uint32_t)py.frame_line(f);
		fr[n].file = name_of(code, name_file, 1);
		fr[n].func = name_of(code, name_qualname, 0);
		if (fr[n].func && fr[n].func->len == 1 && fr[n].func->s[0] == '?')
			fr[n].func = name_of(code, name_name, 0);
		py.decref(code);
		if (!fr[n].file || !fr[n].func)
			oom = 1;
		n++;
		back = py.frame_back(f);
		py.decref(f);
		f = back;
		if (oom) {
			if (f)
				py.decref(f);
			break;
		}
	}
	if (gc_was_on)
		py.gc_enable();
	py.err_restore(et, ev, etb);
	if (n > 0 && !oom) {
		lh_mu_lock(&lh_py_mu);
		st = intern_stack(fr, n, flags);
		lh_mu_unlock(&lh_py_mu);
	}
	if ((n > 0 && !st) || oom)
		out_of_memory();
out:
	lh_in_shim--;
	return st;
}

const struct lh_pystk *lh_py_for(struct lh_thread *t, const void *addr)
{
	const struct lh_pystk *p;

	if (t->py_try_addr == addr && t->py_try)
		return t->py_try;
	p = lh_py_now();
	if (p) {
		t->py_try = p;
		t->py_try_addr = addr;
	}
	return p;
}

void lh_py_try_failed(struct lh_thread *t, const void *addr)
{
	const struct lh_pystk *p = lh_py_now();

	if (p) {
		t->py_try = p;
		t->py_try_addr = addr;
	}
}

const struct lh_pystk *lh_py_take(struct lh_thread *t, const void *addr)
{
	if (t->py_try_addr == addr) {
		const struct lh_pystk *p = t->py_try;
		t->py_try = NULL;
		t->py_try_addr = NULL;
		if (p)
			return p;
	}
	return lh_py_now();
}
