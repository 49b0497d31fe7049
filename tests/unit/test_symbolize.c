/*
 * test_symbolize.c - CUnit tests for analyzer/symbolize.c.
 *
 * The tests symbolize pcs of this very process: module descriptors are
 * built from dl_iterate_phdr exactly as the shim records them (path, load
 * bias, union of PT_LOAD, GNU build-id read from the in-memory PT_NOTE), so
 * the address math is checked on a PIE executable (this test) and on shared
 * libraries (libc, libstdc++).  The file must be built with -g; the
 * assertions hold at -O0 and -O2 because every helper whose pc we record is
 * noinline/noclone and is followed by an asm barrier (no tail calls).
 *
 * Inline expansion is tested with an always_inline helper that calls a
 * noinline recorder: the recorder's return address lies in code inlined
 * from the helper into its caller, which GCC describes with
 * DW_TAG_inlined_subroutine at every optimisation level (always_inline is
 * inlined even at -O0).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "symbolize.h"

#include <CUnit/Basic.h>
#include <dlfcn.h>
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- this process's modules, as the shim would record them ---- */

struct obj {
	char path[PATH_MAX];
	uint64_t base, lo, hi;
	uint8_t bid[64];
	size_t bid_len;
};

static struct obj g_objs[256];
static size_t g_nobjs;

static size_t note_align(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static void read_build_id(struct dl_phdr_info *info, const ElfW(Phdr) *ph,
                          struct obj *o)
{
	size_t align = ph->p_align == 8 ? 8 : 4;
	const unsigned char *p =
		(const unsigned char *)(uintptr_t)(info->dlpi_addr + ph->p_vaddr);
	const unsigned char *end = p + ph->p_memsz;
	while (p + sizeof(ElfW(Nhdr)) <= end) {
		const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)(const void *)p;
		const unsigned char *name = p + sizeof(*nh);
		const unsigned char *desc = name + note_align(nh->n_namesz, align);
		const unsigned char *next = desc + note_align(nh->n_descsz, align);
		if (next > end)
			break;
		if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
		    memcmp(name, "GNU", 4) == 0 && nh->n_descsz <= sizeof(o->bid)) {
			memcpy(o->bid, desc, nh->n_descsz);
			o->bid_len = nh->n_descsz;
			return;
		}
		p = next;
	}
}

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	if (g_nobjs >= sizeof(g_objs) / sizeof(g_objs[0]))
		return 1;
	struct obj *o = &g_objs[g_nobjs];
	memset(o, 0, sizeof(*o));
	if (g_nobjs == 0 && (!info->dlpi_name || !*info->dlpi_name)) {
		if (!realpath("/proc/self/exe", o->path))
			return 0;
	} else {
		snprintf(o->path, sizeof(o->path), "%s",
		         info->dlpi_name ? info->dlpi_name : "");
	}
	o->base = info->dlpi_addr;
	o->lo = UINT64_MAX;
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD) {
			uint64_t a = info->dlpi_addr + ph->p_vaddr;
			if (a < o->lo)
				o->lo = a;
			if (a + ph->p_memsz > o->hi)
				o->hi = a + ph->p_memsz;
		} else if (ph->p_type == PT_NOTE && o->bid_len == 0) {
			read_build_id(info, ph, o);
		}
	}
	if (o->lo < o->hi)
		g_nobjs++;
	return 0;
}

static void scan_objects(void)
{
	g_nobjs = 0;
	dl_iterate_phdr(phdr_cb, NULL);
}

static const struct obj *obj_for(uint64_t addr)
{
	for (size_t i = 0; i < g_nobjs; i++)
		if (addr >= g_objs[i].lo && addr < g_objs[i].hi)
			return &g_objs[i];
	return NULL;
}

static struct sym_module_desc desc_of(const struct obj *o)
{
	struct sym_module_desc d = {
		.path = o->path, .base = o->base, .lo = o->lo, .hi = o->hi,
		.build_id = o->bid, .build_id_len = o->bid_len,
	};
	return d;
}

static struct sym_ctx *ctx_with_all_objects(void)
{
	struct sym_ctx *s = sym_new();
	CU_ASSERT_FATAL(s != NULL);
	for (size_t i = 0; i < g_nobjs; i++) {
		struct sym_module_desc d = desc_of(&g_objs[i]);
		CU_ASSERT(sym_add_module(s, &d) == 0);
	}
	return s;
}

static const char *base_name(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;
	return s ? s + 1 : p;
}

static void dump(const char *what, const struct sym_frame *f, size_t n)
{
	if (!getenv("LH_TEST_VERBOSE"))
		return;
	for (size_t i = 0; i < n; i++)
		printf("\n  %s #%zu pc=%#llx %s %s:%d:%d [%s+%#llx]%s", what, i,
		       (unsigned long long)f[i].pc,
		       f[i].function ? f[i].function : "??",
		       f[i].file ? f[i].file : "??", f[i].line, f[i].column,
		       f[i].module ? f[i].module : "-",
		       (unsigned long long)f[i].offset,
		       f[i].inlined ? " (inlined)" : "");
}

/* ---- code whose pcs we symbolize ---- */

static volatile uint64_t g_ra;
static volatile int g_call_line, g_inl_line, g_outer_line;

__attribute__((noinline, noclone)) static void lh_record_ra(void)
{
	g_ra = (uint64_t)(uintptr_t)__builtin_return_address(0);
	__asm__ volatile("" ::: "memory");
}

static const int lh_known_caller_line = __LINE__ + 1;
__attribute__((noinline, noclone)) static void lh_known_caller(void)
{
	g_call_line = __LINE__; lh_record_ra();
	__asm__ volatile("" ::: "memory"); /* no tail call */
}

static inline __attribute__((always_inline)) void lh_inline_helper(void)
{
	g_inl_line = __LINE__; lh_record_ra();
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline, noclone)) static void lh_inline_outer(void)
{
	g_outer_line = __LINE__; lh_inline_helper();
	__asm__ volatile("" ::: "memory");
}

static const struct obj *self_obj(void)
{
	const struct obj *o =
		obj_for((uint64_t)(uintptr_t)&lh_known_caller);
	CU_ASSERT_FATAL(o != NULL);
	return o;
}

/* ---- tests ---- */

static void test_self_return_address(void)
{
	lh_known_caller();
	uint64_t ra = g_ra;
	const struct obj *self = self_obj();
	struct sym_ctx *s = ctx_with_all_objects();
	struct sym_frame f[8];
	size_t n = sym_lookup(s, ra, 1, f, 8);
	dump("self", f, n);
	CU_ASSERT_FATAL(n == 1);
	CU_ASSERT(f[0].pc == ra);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f[0].function);
	CU_ASSERT_STRING_EQUAL(f[0].function, "lh_known_caller");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f[0].file);
	CU_ASSERT_STRING_EQUAL(base_name(f[0].file), "test_symbolize.c");
	CU_ASSERT(f[0].line == g_call_line);
	CU_ASSERT(f[0].inlined == 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f[0].module);
	CU_ASSERT_STRING_EQUAL(f[0].module, self->path);
	CU_ASSERT(f[0].offset == ra - self->base);
	/* correct build-ids: nothing to warn about */
	CU_ASSERT_STRING_EQUAL(sym_warnings(s), "");

	/* cached: same answer, same strings */
	struct sym_frame g[8];
	CU_ASSERT(sym_lookup(s, ra, 1, g, 8) == 1);
	CU_ASSERT(g[0].function == f[0].function && g[0].file == f[0].file &&
	          g[0].line == f[0].line);
	sym_free(s);
}

static void test_self_function_entry(void)
{
	uint64_t pc = (uint64_t)(uintptr_t)&lh_known_caller;
	struct sym_ctx *s = ctx_with_all_objects();
	struct sym_frame f[8];
	size_t n = sym_lookup(s, pc, 0, f, 8);
	dump("entry", f, n);
	CU_ASSERT_FATAL(n == 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f[0].function);
	CU_ASSERT_STRING_EQUAL(f[0].function, "lh_known_caller");
	CU_ASSERT(f[0].line >= lh_known_caller_line &&
	          f[0].line <= lh_known_caller_line + 2);
	sym_free(s);
}

static void test_inline_expansion(void)
{
	lh_inline_outer();
	uint64_t ra = g_ra;
	struct sym_ctx *s = ctx_with_all_objects();
	struct sym_frame f[8];
	size_t n = sym_lookup(s, ra, 1, f, 8);
	dump("inline", f, n);
	CU_ASSERT_FATAL(n >= 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f[0].function);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f[n - 1].function);
	CU_ASSERT_STRING_EQUAL(f[0].function, "lh_inline_helper");
	CU_ASSERT(f[0].line == g_inl_line);
	CU_ASSERT(f[0].inlined == 1);
	CU_ASSERT_STRING_EQUAL(f[n - 1].function, "lh_inline_outer");
	CU_ASSERT(f[n - 1].line == g_outer_line);
	CU_ASSERT(f[n - 1].inlined == 0);
	CU_ASSERT_PTR_NOT_NULL(f[n - 1].file);
	if (f[n - 1].file)
		CU_ASSERT_STRING_EQUAL(base_name(f[n - 1].file),
		                       "test_symbolize.c");
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT(f[i].pc == ra);
		CU_ASSERT(f[i].module == f[0].module && f[i].module != NULL);
	}

	/* max_out cuts the chain, innermost first */
	struct sym_frame one;
	CU_ASSERT(sym_lookup(s, ra, 1, &one, 1) == 1);
	CU_ASSERT(one.function == f[0].function);
	CU_ASSERT(sym_lookup(s, ra, 1, NULL, 0) == 0);
	sym_free(s);
}

static int debug_file_exists(const struct obj *o)
{
	if (o->bid_len < 2)
		return 0;
	char p[PATH_MAX];
	int k = snprintf(p, sizeof(p), "/usr/lib/debug/.build-id/%02x/",
	                 o->bid[0]);
	for (size_t i = 1; i < o->bid_len; i++)
		k += snprintf(p + k, sizeof(p) - (size_t)k, "%02x", o->bid[i]);
	snprintf(p + k, sizeof(p) - (size_t)k, ".debug");
	return access(p, R_OK) == 0;
}

static void test_libc_function(void)
{
	/* ask libc itself: RTLD_DEFAULT could find an interposer (ASan, or
	 * the lockhound shim) */
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	void *fn = dlsym(h, "pthread_mutex_lock");
	dlclose(h);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fn);
	uint64_t pc = (uint64_t)(uintptr_t)fn;
	const struct obj *libc = obj_for(pc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(libc);
	struct sym_ctx *s = ctx_with_all_objects();
	struct sym_frame f[8];
	size_t n = sym_lookup(s, pc, 0, f, 8);
	dump("libc", f, n);
	CU_ASSERT_FATAL(n >= 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f[n - 1].function);
	CU_ASSERT(strstr(f[n - 1].function, "pthread_mutex_lock") != NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f[0].module);
	CU_ASSERT(strstr(f[0].module, "libc") != NULL);
	CU_ASSERT(f[0].offset == pc - libc->base);
	/* With libc6-dbg installed the separate debug file must be found
	 * through its build-id, giving a source position. */
	if (debug_file_exists(libc)) {
		CU_ASSERT_PTR_NOT_NULL(f[0].file);
		CU_ASSERT(f[0].line > 0);
	}
	CU_ASSERT_STRING_EQUAL(sym_warnings(s), "");
	sym_free(s);
}

/* A C++ library added after lookups started (like a dlopen): the mangled
 * symbol must come out demangled, from DWARF or from .dynsym. */
static void test_cxx_late_dlopen(void)
{
	void *h = dlopen("libstdc++.so.6", RTLD_NOW);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	void *fn = dlsym(h, "_ZSt9terminatev");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fn);
	uint64_t pc = (uint64_t)(uintptr_t)fn;

	struct sym_ctx *s = sym_new();
	CU_ASSERT_FATAL(s != NULL);
	struct sym_frame f[8];
	CU_ASSERT(sym_lookup(s, pc, 0, f, 8) == 1);
	CU_ASSERT(f[0].module == NULL && f[0].function == NULL);

	scan_objects();
	const struct obj *o = obj_for(pc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	struct sym_module_desc d = desc_of(o);
	CU_ASSERT(sym_add_module(s, &d) == 0);
	size_t n = sym_lookup(s, pc, 0, f, 8);
	dump("c++", f, n);
	CU_ASSERT_FATAL(n >= 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f[n - 1].function);
	CU_ASSERT_STRING_EQUAL(f[n - 1].function, "std::terminate()");
	CU_ASSERT(f[0].module != NULL && strstr(f[0].module, "libstdc++"));
	sym_free(s);
	dlclose(h);
}

static void test_outside_any_module(void)
{
	struct sym_ctx *s = ctx_with_all_objects();
	static const uint64_t pcs[] = { 0, 1, 0x10, UINT64_MAX };
	for (size_t i = 0; i < sizeof(pcs) / sizeof(pcs[0]); i++) {
		for (int ra = 0; ra <= 1; ra++) {
			struct sym_frame f[4];
			memset(f, 0xab, sizeof(f));
			size_t n = sym_lookup(s, pcs[i], ra, f, 4);
			CU_ASSERT(n == 1);
			CU_ASSERT(f[0].pc == pcs[i]);
			CU_ASSERT_PTR_NULL(f[0].module);
			CU_ASSERT_PTR_NULL(f[0].function);
			CU_ASSERT_PTR_NULL(f[0].file);
			CU_ASSERT(f[0].line == 0);
		}
	}
	sym_free(s);
}

static void test_build_id_mismatch(void)
{
	lh_known_caller();
	uint64_t ra = g_ra;
	const struct obj *self = self_obj();
	CU_ASSERT_FATAL(self->bid_len > 0);
	struct obj bad = *self;
	bad.bid[0] ^= 0xff;

	struct sym_ctx *s = sym_new();
	struct sym_module_desc d = desc_of(&bad);
	CU_ASSERT(sym_add_module(s, &d) == 0);
	struct sym_frame f[4];
	size_t n = sym_lookup(s, ra, 1, f, 4);
	CU_ASSERT_FATAL(n == 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f[0].module);
	CU_ASSERT_STRING_EQUAL(f[0].module, self->path);
	CU_ASSERT(f[0].offset == ra - self->base);
	CU_ASSERT_PTR_NULL(f[0].function);
	CU_ASSERT_PTR_NULL(f[0].file);
	const char *w = sym_warnings(s);
	CU_ASSERT(strstr(w, self->path) != NULL);
	CU_ASSERT(strstr(w, "build-id") != NULL);
	/* one line per module, however many lookups */
	sym_lookup(s, ra + 1, 1, f, 4);
	CU_ASSERT(strchr(w, '\n') == w + strlen(w) - 1);

	/* an empty recorded build-id skips the check */
	struct sym_ctx *s2 = sym_new();
	struct obj nobid = *self;
	nobid.bid_len = 0;
	d = desc_of(&nobid);
	CU_ASSERT(sym_add_module(s2, &d) == 0);
	n = sym_lookup(s2, ra, 1, f, 4);
	CU_ASSERT(n == 1 && f[0].function != NULL &&
	          strcmp(f[0].function, "lh_known_caller") == 0);
	CU_ASSERT_STRING_EQUAL(sym_warnings(s2), "");

	/* no build-id and a range the file cannot have been mapped at */
	struct sym_ctx *s3 = sym_new();
	struct sym_module_desc far = { .path = self->path, .base = 0,
	                               .lo = 0x7a0000000000ull,
	                               .hi = 0x7a0000100000ull };
	CU_ASSERT(sym_add_module(s3, &far) == 0);
	n = sym_lookup(s3, 0x7a0000000123ull, 0, f, 4);
	CU_ASSERT(n == 1 && f[0].function == NULL && f[0].module != NULL &&
	          f[0].offset == 0x7a0000000123ull);
	CU_ASSERT(strstr(sym_warnings(s3), self->path) != NULL);

	sym_free(s);
	sym_free(s2);
	sym_free(s3);
}

static void test_missing_file(void)
{
	static const char *path = "/nonexistent/lockhound/libgone.so";
	static const uint8_t bid[] = { 1, 2, 3, 4 };
	struct sym_module_desc d = { .path = path, .base = 0x100000,
	                             .lo = 0x100000, .hi = 0x200000,
	                             .build_id = bid,
	                             .build_id_len = sizeof(bid) };
	struct sym_ctx *s = sym_new();
	CU_ASSERT(sym_add_module(s, &d) == 0);
	struct sym_frame f[4];
	size_t n = sym_lookup(s, 0x100124, 1, f, 4);
	CU_ASSERT_FATAL(n == 1);
	CU_ASSERT(f[0].pc == 0x100124);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f[0].module);
	CU_ASSERT_STRING_EQUAL(f[0].module, path);
	CU_ASSERT(f[0].offset == 0x124);
	CU_ASSERT_PTR_NULL(f[0].function);
	const char *w = sym_warnings(s);
	CU_ASSERT(strstr(w, path) != NULL);
	CU_ASSERT(strstr(w, "not found") != NULL);
	sym_free(s);
}

/* Garbage in the log must not crash anything. */
static void test_garbage_modules(void)
{
	static const char *paths[] = {
		"/etc/passwd", "", "/", "/dev/null", "relative/nonsense",
		"/tmp/bad\npath\x01", "/proc/self/exe/..", NULL,
	};
	struct sym_ctx *s = sym_new();
	CU_ASSERT(sym_add_module(s, NULL) == -1);
	size_t np = sizeof(paths) / sizeof(paths[0]);
	for (size_t i = 0; i < np; i++) {
		struct sym_module_desc d = { .path = paths[i],
		                             .base = 0x1000000 * (i + 1),
		                             .lo = 0x1000000 * (i + 1),
		                             .hi = 0x1000000 * (i + 1) + 0x1000 };
		CU_ASSERT(sym_add_module(s, &d) == 0);
	}
	for (size_t i = 0; i < np; i++) {
		struct sym_frame f[4];
		uint64_t pc = 0x1000000 * (i + 1) + 0x10;
		size_t n = sym_lookup(s, pc, 1, f, 4);
		CU_ASSERT(n == 1);
		CU_ASSERT(f[0].module != NULL);
		CU_ASSERT(f[0].offset == 0x10);
		CU_ASSERT(f[0].function == NULL);
	}
	/* every warning is one well-formed line */
	const char *w = sym_warnings(s);
	CU_ASSERT(strlen(w) > 0);
	for (const char *line = w; *line;) {
		CU_ASSERT(strncmp(line, "lockhound: warning: ", 20) == 0);
		const char *nl = strchr(line, '\n');
		CU_ASSERT_FATAL(nl != NULL);
		line = nl + 1;
	}
	CU_ASSERT(strstr(w, "/etc/passwd") != NULL);

	struct sym_module_desc all = { .path = "/nonexistent/all", .base = 0,
	                               .lo = 0, .hi = UINT64_MAX };
	struct sym_ctx *s2 = sym_new();
	CU_ASSERT(sym_add_module(s2, &all) == 0);
	struct sym_frame f[2];
	CU_ASSERT(sym_lookup(s2, 0, 1, f, 2) == 1);
	CU_ASSERT(f[0].module != NULL && f[0].offset == 0);
	sym_free(s2);
	sym_free(s);

	CU_ASSERT(sym_lookup(NULL, 42, 1, f, 2) == 1);
	CU_ASSERT(f[0].pc == 42 && f[0].module == NULL);
	CU_ASSERT_STRING_EQUAL(sym_warnings(NULL), "");
	sym_free(NULL);
}

/* Modules added after lookups, in any order; overlapping ranges: the later
 * one wins, and cached answers for the range are refreshed. */
static void test_order_and_overlap(void)
{
	lh_known_caller();
	uint64_t ra = g_ra;
	const struct obj *self = self_obj();
	struct sym_frame f[4];

	struct sym_ctx *s = sym_new();
	CU_ASSERT(sym_lookup(s, ra, 1, f, 4) == 1);
	CU_ASSERT_PTR_NULL(f[0].module);
	/* stale module occupying the same range first, then the real one */
	struct sym_module_desc old = { .path = "/nonexistent/old.so",
	                               .base = self->base, .lo = self->lo,
	                               .hi = self->hi };
	CU_ASSERT(sym_add_module(s, &old) == 0);
	CU_ASSERT(sym_lookup(s, ra, 1, f, 4) == 1);
	CU_ASSERT(f[0].module && strcmp(f[0].module, old.path) == 0);
	CU_ASSERT_PTR_NULL(f[0].function);
	struct sym_module_desc d = desc_of(self);
	CU_ASSERT(sym_add_module(s, &d) == 0);
	CU_ASSERT(sym_lookup(s, ra, 1, f, 4) == 1);
	CU_ASSERT(f[0].module && strcmp(f[0].module, self->path) == 0);
	CU_ASSERT(f[0].function &&
	          strcmp(f[0].function, "lh_known_caller") == 0);
	/* and the other way round: a later object over the real one wins */
	CU_ASSERT(sym_add_module(s, &old) == 0);
	CU_ASSERT(sym_lookup(s, ra, 1, f, 4) == 1);
	CU_ASSERT(f[0].module && strcmp(f[0].module, old.path) == 0);
	CU_ASSERT_PTR_NULL(f[0].function);
	/* same file added again (dlclose + dlopen at the same place) */
	CU_ASSERT(sym_add_module(s, &d) == 0);
	CU_ASSERT(sym_lookup(s, ra, 1, f, 4) == 1);
	CU_ASSERT(f[0].function &&
	          strcmp(f[0].function, "lh_known_caller") == 0);
	/* the stale module's missing file was warned about once */
	const char *w = sym_warnings(s);
	const char *first = strstr(w, old.path);
	CU_ASSERT(first != NULL);
	if (first)
		CU_ASSERT(strstr(first + 1, old.path) == NULL);
	sym_free(s);
}

static void test_demangle(void)
{
	char *d = sym_demangle("_ZN3foo3barEi");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(d, "foo::bar(int)");
	free(d);
	CU_ASSERT_PTR_NULL(sym_demangle("main"));
	CU_ASSERT_PTR_NULL(sym_demangle("i")); /* a type, not a symbol */
	CU_ASSERT_PTR_NULL(sym_demangle("_Z"));
	CU_ASSERT_PTR_NULL(sym_demangle("_Zgarbage!!"));
	CU_ASSERT_PTR_NULL(sym_demangle(""));
	CU_ASSERT_PTR_NULL(sym_demangle(NULL));
}

int main(void)
{
	scan_objects();
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite suite = CU_add_suite("symbolize", NULL, NULL);
	if (!suite ||
	    !CU_add_test(suite, "self return address", test_self_return_address) ||
	    !CU_add_test(suite, "self function entry", test_self_function_entry) ||
	    !CU_add_test(suite, "inline expansion", test_inline_expansion) ||
	    !CU_add_test(suite, "libc function", test_libc_function) ||
	    !CU_add_test(suite, "outside any module", test_outside_any_module) ||
	    !CU_add_test(suite, "build-id mismatch", test_build_id_mismatch) ||
	    !CU_add_test(suite, "missing file", test_missing_file) ||
	    !CU_add_test(suite, "garbage modules", test_garbage_modules) ||
	    !CU_add_test(suite, "order and overlap", test_order_and_overlap) ||
	    !CU_add_test(suite, "demangle", test_demangle) ||
	    !CU_add_test(suite, "c++ library added late", test_cxx_late_dlopen)) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned fails = CU_get_number_of_failures();
	unsigned errs = CU_get_error() != CUE_SUCCESS;
	CU_cleanup_registry();
	return (fails || errs) ? 1 : 0;
}
