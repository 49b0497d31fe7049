/*
 * wrap_malloc.c - the malloc family, interposed, for sampled heap blocks
 * (gheap.h): a small fraction of the program's allocations get pages of
 * their own from a pool the shim maps, so that sampled race watching can
 * write-protect or watch one block and nothing else.  Every other
 * allocation goes to the function the program would call without the shim
 * (next_fn, at the first call): the C library's, a replacement allocator
 * loaded after the shim, or, for a function the shim is the global
 * definition of only because an allocator preloaded before it lacks it
 * (tcmalloc's and jemalloc's missing reallocarray), built on that
 * allocator's own realloc.
 *
 * Cost when not sampling: malloc, calloc and the aligned forms decrement a
 * per-thread countdown and call the next allocator; free, realloc and
 * malloc_usable_size compare the pointer with the pool's range.  free and
 * realloc also check free-locked (misuse_live.c): nothing more than
 * reading the thread's held-lock count while it holds no lock.  The
 * countdown reaching zero is a look (gh_pick), under a spin lock that is
 * only tried (a busy lock: not sampled), so an allocation never waits:
 * not for another thread, not in a fork handler, not in a signal handler.
 *
 * What the program sees does not change:
 *  - a guarded block starts at its slot's first byte: aligned to a page,
 *    so malloc's 16 bytes and every alignment up to a page hold (bigger
 *    alignments, invalid ones and blocks bigger than a slot go to the next
 *    allocator, which gives them their usual result or error);
 *  - malloc_usable_size is the size asked for; realloc within the slot
 *    stays in place, beyond it moves the bytes to the next allocator's
 *    block; realloc(p, 0) frees and returns NULL, as glibc does;
 *  - calloc's block is zero: a slot's pages are always zero when it is
 *    claimed (never touched, or returned with MADV_DONTNEED at free);
 *  - errno is the program's: the system calls here save and restore it;
 *  - fork: the pool is private anonymous memory, copied like the rest of
 *    the heap; the picker's spin is in forklocks.c's list.
 * A free of a pointer inside the pool that is not a block in flight (a
 * double free, a pointer into the middle) is ignored; glibc would abort.
 *
 * Freed blocks' pages are returned at once (MADV_DONTNEED) and the slot is
 * the first one claimed again (the lowest free slot): the pool's resident
 * memory is bounded by the blocks in flight.
 *
 * Start-up: the dynamic loader and other libraries' constructors allocate
 * before the shim's constructor runs.  The first call of any of these
 * functions looks the next allocator up; dlsym may itself allocate, and
 * those calls (on the looking thread) are served from a small static arena
 * (BOOT_BYTES) whose blocks are never freed.  Sampling starts when
 * lh_gh_start (init.c) turns it on: then every function of the family must
 * be the shim's in the global scope; a program that brings its own malloc
 * (linked into the executable, or an allocator preloaded before the shim)
 * keeps sampling off, else a guarded block could reach its free.
 */
#include "shim.h"
#include "gheap.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RA ((uintptr_t)__builtin_return_address(0))
#define BOOT_BYTES (64u * 1024)   /* the start-up arena for dlsym's own allocations */
#define GH_OFF_RECHECK (1 << 20)  /* while sampling is off: allocations between looks */

struct real_malloc {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*usable)(void *);
};
static struct real_malloc next_m;
static int next_done;                /* next_m is filled */
/* this thread is in dlsym for next_m.  volatile: glibc declares dlsym and
 * dladdr leaf (they never call back into this file), so the compiler
 * dropped the increment around them; a failed lookup's error message is
 * allocated with malloc, and without it that malloc looked up again */
static __thread volatile int resolving;
static __thread int countdown;       /* allocations until this thread's next look */

static _Alignas(64) char boot[BOOT_BYTES];
static size_t boot_used;

static struct gh_pool pool;
static struct gh_picker picker;
/* per slot, while its block is in flight: what race watching knows of it */
static uintptr_t slot_site[GH_MAX_LIVE]; /* the allocation's return address */
static int slot_tid[GH_MAX_LIVE];        /* the allocating thread */
static int slot_cand[GH_MAX_LIVE];       /* its watcher candidate (sampler_wp.c), -1: none */
int lh_gh_spin; /* serializes the picker; only tried; across fork: forklocks.c */
static int gh_on;
static size_t page_bytes;
static unsigned noted_limits; /* bits of enum gh_limit written as notes */

/* ---- the next allocator ---- */

static void *boot_alloc(size_t n, size_t align)
{
	size_t off, cur;

	if (align < 16)
		align = 16;
	cur = __atomic_load_n(&boot_used, __ATOMIC_RELAXED);
	do {
		off = (cur + 16 + align - 1) & ~(align - 1); /* 16 bytes before it: the size */
		if (off + n > BOOT_BYTES || off + n < off)
			return NULL;
	} while (!__atomic_compare_exchange_n(&boot_used, &cur, off + n, 0, __ATOMIC_RELAXED,
	                                      __ATOMIC_RELAXED));
	*(size_t *)(boot + off - 16) = n;
	return boot + off; /* static memory: zero, and never reused */
}

static inline int boot_has(const void *p)
{
	return (uintptr_t)p - (uintptr_t)boot < BOOT_BYTES;
}

static size_t boot_size(const void *p)
{
	return *(const size_t *)((const char *)p - 16);
}

/* The load address of the object that defines fn (0: none).  Compared
 * with self_base: the address of an exported function taken in this file
 * is the global scope's definition, another allocator's when one comes
 * first, so "is it ours" is asked of the object instead. */
static uintptr_t object_of(void *fn)
{
	Dl_info info;

	if (!fn || !dladdr(fn, &info))
		return 0;
	return (uintptr_t)info.dli_fbase;
}

static uintptr_t self_base; /* this library's load address, set by resolve_next */

/* 1 when f is exactly where a symbol an object defines starts (*lm: that
 * object's link map).  dladdr also matches an undefined symbol with a
 * value: the PLT entry a non-PIE executable gives a function whose
 * address it takes; its section index (SHN_UNDEF) tells it apart. */
static int defined_at(void *f, struct link_map **lm)
{
	const ElfW(Sym) *sym = NULL;
	Dl_info info;

	*lm = NULL;
	if (!f || !dladdr1(f, &info, (void **)lm, RTLD_DL_LINKMAP) || !*lm)
		return 0;
	if (!dladdr1(f, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym)
		return 0;
	return info.dli_saddr == f && sym->st_shndx != SHN_UNDEF;
}

/* d_ptr of a dynamic entry as an address: the loader has added the load
 * bias to a writable dynamic section, not to a read-only one */
static uintptr_t dyn_addr(const struct link_map *lm, uintptr_t p)
{
	return p < lm->l_addr ? p + lm->l_addr : p;
}

/* 1 when lm itself defines name (*fn: the function, NULL for one this
 * cannot tell the address of: an indirect function or not a function),
 * from its dynamic symbol table via its GNU or SysV hash table; else 0.
 * Reads only loaded memory: no lookup that could fail, allocate or take
 * the loader's lock. */
static int own_def(const struct link_map *lm, const char *name, void **fn)
{
	const ElfW(Dyn) *dyn;
	const ElfW(Sym) *symtab = NULL, *sym = NULL;
	const uint32_t *gnu = NULL, *sysv = NULL;
	const char *strtab = NULL;
	const unsigned char *c;
	uint32_t h, i;

	for (dyn = lm->l_ld; dyn && dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t v = dyn_addr(lm, dyn->d_un.d_ptr);
		if (dyn->d_tag == DT_SYMTAB)
			symtab = (const ElfW(Sym) *)v;
		else if (dyn->d_tag == DT_STRTAB)
			strtab = (const char *)v;
		else if (dyn->d_tag == DT_GNU_HASH)
			gnu = (const uint32_t *)v;
		else if (dyn->d_tag == DT_HASH)
			sysv = (const uint32_t *)v;
	}
	if (!symtab || !strtab)
		return 0;
	if (gnu) {
		/* nbuckets, symoffset, bloom words, bloom shift; bloom;
		 * buckets; hash chain (low bit set: its last) */
		const uint32_t *buckets = (const uint32_t *)(const void *)(
			(const ElfW(Addr) *)(const void *)(gnu + 4) + gnu[2]);
		const uint32_t *chain = buckets + gnu[0] - gnu[1];

		for (h = 5381, c = (const unsigned char *)name; *c; c++)
			h = h * 33 + *c;
		if (!gnu[0])
			return 0;
		for (i = buckets[h % gnu[0]]; i >= gnu[1]; i++) {
			if ((chain[i] | 1) == (h | 1) && !strcmp(strtab + symtab[i].st_name, name)) {
				sym = &symtab[i];
				break;
			}
			if (chain[i] & 1)
				break;
		}
	} else if (sysv) {
		/* nbucket, nchain; buckets; chain */
		uint32_t g;

		for (h = 0, c = (const unsigned char *)name; *c; c++) {
			h = (h << 4) + *c;
			g = h & 0xf0000000u;
			h ^= g >> 24;
			h &= ~g;
		}
		if (!sysv[0])
			return 0;
		for (i = sysv[2 + h % sysv[0]]; i && i < sysv[1]; i = sysv[2 + sysv[0] + i])
			if (!strcmp(strtab + symtab[i].st_name, name)) {
				sym = &symtab[i];
				break;
			}
	}
	if (!sym || sym->st_shndx == SHN_UNDEF)
		return 0;
	*fn = ELF64_ST_TYPE(sym->st_info) == STT_FUNC ? (void *)(lm->l_addr + sym->st_value) : NULL;
	return 1;
}

/* The definition of name that the program's own calls reach (NULL: none
 * found): the global scope's, when it is a defined symbol (defined_at).
 * A non-PIE executable that takes a function's address (/usr/bin/python3
 * takes malloc's) gives its undefined symbol the address of its PLT
 * entry, and the global scope answers with that stub: no allocator, and
 * calling it lands in the global definition, the shim's own malloc, again
 * and again.  For such a stub the objects after the executable are asked
 * in the load order (the search order of the objects loaded at start:
 * the preloaded ones, then what they and the executable need), each for
 * its own definition (own_def); the kernel's vDSO, named without a path,
 * is passed over.  A stub outside the executable is not followed. */
static void *reached(const char *name)
{
	struct link_map *lm;
	void *f = dlsym(RTLD_DEFAULT, name), *g;

	if (defined_at(f, &lm))
		return f;
	if (!lm || lm->l_prev)
		return NULL; /* not the executable (the head of the list) */
	for (lm = lm->l_next; lm; lm = lm->l_next) {
		if (!lm->l_name || !strchr(lm->l_name, '/'))
			continue;
		if (own_def(lm, name, &g))
			return g;
	}
	return NULL;
}

/* The function name that the program would call if the shim were not
 * loaded: the definition its calls reach (reached) when it is not the shim's
 * (another allocator preloaded before the shim, or linked into the
 * executable, owns the program's blocks), else the next one after the
 * shim.  RTLD_NEXT alone hands glibc's realloc a block of the allocator
 * before the shim: with tcmalloc preloaded first, the shim's reallocarray
 * (tcmalloc has none) forwarded ls's blocks to glibc, and glibc's blocks
 * reached tcmalloc's free. */
static void *next_fn(const char *name)
{
	void *f = reached(name);

	if (!f || object_of(f) == self_base)
		f = dlsym(RTLD_NEXT, name);
	return f;
}

/* Fills next_m (every caller that finds it empty does, like resolve.c:
 * nobody waits for another thread's dlsym).  A function no allocator
 * defines is made of the others (valloc and pvalloc are not in every
 * allocator; reallocarray always is realloc). */
static void resolve_next(void)
{
	struct real_malloc m;
	int saved = errno;

	resolving++;
	self_base = object_of((void *)resolve_next);
#define NEXT(f, name) m.f = (__typeof__(m.f))next_fn(name)
	NEXT(malloc, "malloc");
	NEXT(free, "free");
	NEXT(calloc, "calloc");
	NEXT(realloc, "realloc");
	NEXT(posix_memalign, "posix_memalign");
	NEXT(aligned_alloc, "aligned_alloc");
	NEXT(memalign, "memalign");
	NEXT(valloc, "valloc");
	NEXT(pvalloc, "pvalloc");
	NEXT(usable, "malloc_usable_size");
#undef NEXT
	resolving--;
	errno = saved;
	if (!m.malloc || !m.free || !m.calloc || !m.realloc)
		return; /* cannot happen with a C library; calls go to the arena */
	next_m = m;
	__atomic_store_n(&next_done, 1, __ATOMIC_RELEASE);
}

/* 1 when next_m can be used; 0 on the thread that is looking it up */
static inline int next_ready(void)
{
	if (likely(__atomic_load_n(&next_done, __ATOMIC_ACQUIRE)))
		return 1;
	if (resolving)
		return 0;
	resolve_next();
	return __atomic_load_n(&next_done, __ATOMIC_ACQUIRE);
}

/* ---- sampling ---- */

/* A look at this allocation (the countdown reached zero): a guarded block
 * of n bytes aligned to `align`, or NULL to let the next allocator serve
 * it.  The countdown is reset here in every case. */
static void *look(size_t n, size_t align, uintptr_t site)
{
	uint32_t next = GH_OFF_RECHECK;
	int slot, take;

	if (!__atomic_load_n(&gh_on, __ATOMIC_ACQUIRE) || lh_in_shim || lh_smp_creating()) {
		countdown = lh_in_shim || lh_smp_creating() ? 1 : GH_OFF_RECHECK;
		return NULL;
	}
	if (__atomic_exchange_n(&lh_gh_spin, 1, __ATOMIC_ACQUIRE)) {
		countdown = 1; /* busy: the next allocation looks again */
		return NULL;
	}
	take = gh_pick(&picker, site, &next);
	__atomic_store_n(&lh_gh_spin, 0, __ATOMIC_RELEASE);
	countdown = (int)next;
	if (!take || n == 0 || n > pool.slot_bytes || align > page_bytes)
		return NULL;
	slot = gh_pool_claim(&pool, n);
	if (slot < 0) {
		__atomic_or_fetch(&picker.limits, 1u << GH_LIMIT_LIVE, __ATOMIC_RELAXED);
		return NULL;
	}
	slot_site[slot] = site;
	slot_tid[slot] = (int)syscall(SYS_gettid);
	/* a candidate for write-protect watching (-1 while it is off) */
	slot_cand[slot] = lh_smp_heap_add(slot, gh_pool_addr(&pool, slot), n);
	return (void *)gh_pool_addr(&pool, slot);
}

/* countdown: the fast path of every allocation */
#define LOOK_NOW() unlikely(--countdown <= 0)

/* guarded blocks freed inside a thread creation (lh_smp_creating): their
 * slots stay taken until lh_gh_drain gives them back */
static uint64_t deferred[GH_WORDS];

static void release_slot(int slot);

static void guarded_free(void *p)
{
	int slot = gh_pool_slot_of(&pool, p);

	if (slot < 0)
		return; /* not a block in flight: ignored (see the header) */
	if (lh_smp_creating()) {
		__atomic_or_fetch(&deferred[slot / 64], 1ull << (slot % 64), __ATOMIC_RELEASE);
		return;
	}
	release_slot(slot);
}

void lh_gh_drain(void)
{
	unsigned w;

	for (w = 0; w < GH_WORDS; w++) {
		uint64_t bits = __atomic_exchange_n(&deferred[w], 0, __ATOMIC_ACQ_REL);
		while (bits) {
			unsigned b = (unsigned)__builtin_ctzll(bits);
			bits &= bits - 1;
			release_slot((int)(w * 64 + b));
		}
	}
}

static void release_slot(int slot)
{
	void *p = (void *)gh_pool_addr(&pool, slot);
	int saved;

	saved = errno;
	/* no window may protect the pages once they are another block's */
	lh_smp_heap_remove(slot_cand[slot]);
	slot_cand[slot] = -1;
	/* the pages go back to the kernel, and come back zero (calloc) */
	if (madvise(p, pool.slot_bytes, MADV_DONTNEED) != 0)
		memset(p, 0, pool.slot_bytes);
	errno = saved;
	gh_pool_release(&pool, slot);
}

static size_t guarded_size(const void *p)
{
	int slot = gh_pool_slot_of(&pool, p);
	return slot < 0 ? 0 : pool.size[slot];
}

/* ---- the family ---- */

LH_EXPORT void *malloc(size_t n)
{
	if (LOOK_NOW()) {
		void *p;
		if (!next_ready())
			return boot_alloc(n, 16);
		p = look(n, 16, RA);
		if (p)
			return p;
	}
	return next_m.malloc(n);
}

LH_EXPORT void free(void *p)
{
	LH_FREE_CHECK(p, 0, RA); /* free-locked: two loads when no lock is held */
	lh_free_unchecked(p);
}

/* free() after its free-locked check (also operator delete's last resort,
 * wrap_delete.c) */
void lh_free_unchecked(void *p)
{
	if (unlikely(gh_pool_has(&pool, p))) {
		guarded_free(p);
		return;
	}
	if (unlikely(boot_has(p)))
		return;
	if (unlikely(!next_ready()))
		return; /* only dlsym's thread, freeing what the arena gave it */
	next_m.free(p);
}

LH_EXPORT void *calloc(size_t k, size_t n)
{
	if (LOOK_NOW()) {
		size_t bytes;
		void *p;
		if (__builtin_mul_overflow(k, n, &bytes)) {
			if (next_ready())
				return next_m.calloc(k, n); /* its own ENOMEM */
			errno = ENOMEM;
			return NULL;
		}
		if (!next_ready())
			return boot_alloc(bytes, 16);
		p = look(bytes, 16, RA);
		if (p)
			return p; /* zero: see the header */
	}
	return next_m.calloc(k, n);
}

/* realloc of a guarded or start-up block: in place while it fits its slot,
 * else the bytes move to a block of the next allocator */
static void *realloc_ours(void *old, size_t n)
{
	size_t old_n;
	void *p;
	int slot;

	if (boot_has(old)) {
		old_n = boot_size(old);
		if (!next_ready())
			p = boot_alloc(n, 16);
		else
			p = next_m.malloc(n);
		if (p)
			memcpy(p, old, old_n < n ? old_n : n);
		return p;
	}
	slot = gh_pool_slot_of(&pool, old);
	if (slot < 0) {
		errno = EINVAL; /* not a block of ours: glibc would abort */
		return NULL;
	}
	if (n == 0) {
		guarded_free(old);
		return NULL;
	}
	old_n = pool.size[slot];
	if (n <= pool.slot_bytes) {
		int saved = errno;
		pool.size[slot] = n; /* the whole slot is zeroed at free: calloc stays right */
		/* the candidate is the block's new size (inside a thread
		 * creation it keeps the old one: lh_smp_creating) */
		if (!lh_smp_creating()) {
			lh_smp_heap_remove(slot_cand[slot]);
			slot_cand[slot] = lh_smp_heap_add(slot, (uintptr_t)old, n);
		}
		errno = saved;
		return old;
	}
	p = next_m.malloc(n);
	if (!p)
		return NULL; /* the old block stays, as realloc requires */
	memcpy(p, old, old_n);
	guarded_free(old);
	return p;
}

/* realloc of a block that is not NULL: ours, or the next allocator's */
static void *realloc_any(void *old, size_t n)
{
	if (unlikely(gh_pool_has(&pool, old) || boot_has(old)))
		return realloc_ours(old, n);
	next_ready();
	return next_m.realloc(old, n);
}

/* A realloc that moves the block (or frees it: size 0) frees the old one:
 * free-locked if it held a lock the thread holds (misuse_live.c).  The old
 * block's size is asked only when a held lock lies just past old
 * (lh_mis_free_may_hold), before the call; the check after it compares
 * addresses only. */
static void *realloc_checked(void *old, size_t n, uintptr_t ra)
{
	struct lh_thread *t = lh_self_td;
	size_t old_n;
	void *p;

	if (likely(t == NULL || t->n_held == 0) || !lh_mis_free_may_hold(t, old))
		return realloc_any(old, n);
	old_n = malloc_usable_size(old);
	p = realloc_any(old, n);
	if (p != old && (p != NULL || n == 0))
		lh_mis_free_check(t, old, old_n, ra);
	return p;
}

LH_EXPORT void *realloc(void *old, size_t n)
{
	if (!old) {
		if (LOOK_NOW()) {
			void *p;
			if (!next_ready())
				return boot_alloc(n, 16);
			p = look(n, 16, RA);
			if (p)
				return p;
		}
		return next_m.realloc(NULL, n);
	}
	return realloc_checked(old, n, RA);
}

LH_EXPORT void *reallocarray(void *old, size_t k, size_t n)
{
	size_t bytes;

	if (__builtin_mul_overflow(k, n, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	if (!old) {
		if (LOOK_NOW()) {
			void *p;
			if (!next_ready())
				return boot_alloc(bytes, 16);
			p = look(bytes, 16, RA);
			if (p)
				return p;
		}
		return next_m.realloc(NULL, bytes);
	}
	return realloc_checked(old, bytes, RA);
}

static inline int pow2(size_t x)
{
	return x && !(x & (x - 1));
}

LH_EXPORT int posix_memalign(void **pp, size_t al, size_t n)
{
	if (LOOK_NOW() && pow2(al) && al % sizeof(void *) == 0) {
		void *p;
		if (!next_ready()) {
			p = boot_alloc(n, al);
			if (!p)
				return ENOMEM;
			*pp = p;
			return 0;
		}
		p = look(n, al, RA);
		if (p) {
			*pp = p;
			return 0;
		}
	}
	if (!next_ready())
		return ENOMEM;
	return next_m.posix_memalign(pp, al, n);
}

LH_EXPORT void *aligned_alloc(size_t al, size_t n)
{
	if (LOOK_NOW() && pow2(al)) {
		void *p;
		if (!next_ready())
			return boot_alloc(n, al);
		p = look(n, al, RA);
		if (p)
			return p;
	}
	if (!next_ready())
		return NULL;
	return next_m.aligned_alloc(al, n);
}

LH_EXPORT void *memalign(size_t al, size_t n)
{
	if (LOOK_NOW() && pow2(al)) {
		void *p;
		if (!next_ready())
			return boot_alloc(n, al);
		p = look(n, al, RA);
		if (p)
			return p;
	}
	if (!next_ready())
		return NULL;
	return next_m.memalign(al, n);
}

LH_EXPORT void *valloc(size_t n)
{
	if (LOOK_NOW()) {
		void *p;
		if (!next_ready())
			return boot_alloc(n, 4096);
		p = look(n, page_bytes ? page_bytes : 4096, RA);
		if (p)
			return p;
	}
	if (!next_ready())
		return NULL;
	return next_m.valloc ? next_m.valloc(n) : next_m.memalign(4096, n);
}

LH_EXPORT void *pvalloc(size_t n)
{
	if (LOOK_NOW() && page_bytes && n <= pool.slot_bytes) {
		/* pvalloc's size is whole pages (one for 0) */
		size_t whole = n ? (n + page_bytes - 1) & ~(page_bytes - 1) : page_bytes;
		void *p;
		if (!next_ready())
			return boot_alloc(whole, 4096);
		p = look(whole, page_bytes, RA);
		if (p)
			return p;
	}
	if (!next_ready())
		return NULL;
	return next_m.pvalloc ? next_m.pvalloc(n) : next_m.memalign(4096, n);
}

LH_EXPORT size_t malloc_usable_size(void *p)
{
	if (unlikely(gh_pool_has(&pool, p)))
		return guarded_size(p);
	if (unlikely(boot_has(p)))
		return boot_size(p);
	if (!p || !next_ready() || !next_m.usable)
		return 0;
	return next_m.usable(p);
}

/* ---- the shim's side ---- */

/* every function of the family is this library's where the program's
 * calls reach it (reached: NULL), else the name of the first that is not */
static const char *family_not_ours(void)
{
	static const char *const fam[] = {
		"malloc",        "free",          "calloc", "realloc", "reallocarray",
		"posix_memalign", "aligned_alloc", "memalign", "valloc", "pvalloc",
		"malloc_usable_size",
	};
	size_t i;

	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++)
		if (object_of(reached(fam[i])) != self_base)
			return fam[i];
	return NULL;
}

void lh_gh_start(unsigned max_live, unsigned dense)
{
	const char *other;
	size_t slot_bytes;
	void *mem;

	if (!max_live || __atomic_load_n(&gh_on, __ATOMIC_RELAXED))
		return;
	if (max_live > GH_MAX_LIVE)
		max_live = GH_MAX_LIVE;
	next_ready();
	other = family_not_ours();
	if (other) {
		lh_log_note("sampled heap blocks are off: %s is another allocator's (preloaded "
		            "before the shim or linked into the program: a guarded block could "
		            "reach its free); heap blocks are not watched",
		            other);
		return;
	}
	page_bytes = (size_t)sysconf(_SC_PAGESIZE);
	slot_bytes = GH_SLOT_PAGES * page_bytes;
	mem = lh_alloc(max_live * slot_bytes + page_bytes); /* its own mapping: page-aligned */
	if (!mem) {
		lh_log_note("sampled heap blocks are off: no memory for %u guarded blocks", max_live);
		return;
	}
	mem = (void *)(((uintptr_t)mem + page_bytes - 1) & ~(page_bytes - 1));
	gh_picker_init(&picker, dense);
	for (unsigned i = 0; i < GH_MAX_LIVE; i++)
		slot_cand[i] = -1;
	gh_pool_init(&pool, (uintptr_t)mem, slot_bytes, max_live);
	__atomic_store_n(&gh_on, 1, __ATOMIC_RELEASE);
	countdown = 0; /* this thread looks at its next allocation */
}

void lh_gh_stop(void)
{
	__atomic_store_n(&gh_on, 0, __ATOMIC_RELEASE);
}

/* at exit: the limits reached, one note each */
void lh_gh_at_exit(void)
{
	unsigned lim = __atomic_load_n(&picker.limits, __ATOMIC_RELAXED);

	if (!pool.n_slots)
		return;
	if ((lim & (1u << GH_LIMIT_SITES)) && !(noted_limits & (1u << GH_LIMIT_SITES)))
		lh_log_note("sampled heap blocks: more than %u allocation sites (GH_LOG2_SITES); "
		            "later sites were sampled at the sparsest rate; the result may be "
		            "incomplete",
		            (1u << GH_LOG2_SITES) / 4 * 3);
	if ((lim & (1u << GH_LIMIT_LIVE)) && !(noted_limits & (1u << GH_LIMIT_LIVE)))
		lh_log_note("sampled heap blocks: all %u guarded blocks (heap_guards, at most "
		            "GH_MAX_LIVE) were in use at once; allocations meanwhile were not "
		            "sampled; the result may be incomplete",
		            pool.n_slots);
	noted_limits |= lim;
}

void lh_gh_handed(const void *arg, uint32_t from, uint32_t to)
{
	int slot;

	if (!arg || !lh_gh_owns(arg))
		return;
	slot = gh_pool_slot_of(&pool, arg); /* the block's first byte: most often */
	if (slot >= 0 && slot_cand[slot] >= 0)
		lh_smp_heap_handed(slot_cand[slot], from, to);
}

void lh_gh_block_info(int slot, uintptr_t *site, int *tid, size_t *size)
{
	if (slot < 0 || (unsigned)slot >= pool.n_slots) {
		*site = 0;
		*tid = 0;
		*size = 0;
		return;
	}
	*site = slot_site[slot];
	*tid = slot_tid[slot];
	*size = pool.size[slot];
}

/* race watching has started (the program's first thread creation, when
 * the process has one thread): every block in flight that is no candidate
 * yet becomes one */
void lh_gh_adopt(void)
{
	unsigned i;

	for (i = 0; i < pool.n_slots; i++)
		if (slot_cand[i] < 0 && gh_pool_slot_of(&pool, (void *)gh_pool_addr(&pool, (int)i)) >= 0)
			slot_cand[i] = lh_smp_heap_add((int)i, gh_pool_addr(&pool, (int)i), pool.size[i]);
}

int lh_gh_owns(const void *p)
{
	return gh_pool_slot_of(&pool, p) >= 0;
}
