/*
 * wrap_delete.c - C++ operator delete.  A std::mutex is never passed to
 * pthread_mutex_init or pthread_mutex_destroy, so the only sign that one is
 * gone is that its memory is freed; the next object at that address must
 * not inherit the old lock's recorded orders.  The sized forms give the
 * block's size; the others ask the allocator (malloc_usable_size, looked up
 * in the global scope so that a replacement allocator answers for its own
 * blocks).  Each then calls the real operator delete (libstdc++'s; a
 * program that defines its own takes precedence over this one anyway).
 *
 * In exact mode the block is also a new object for the race runtime
 * (lh_rt_free: its shadow is cleared, it leaves the heap-block table).
 *
 * Each first checks free-locked (a lock the thread holds inside the
 * block: LH_FREE_CHECK, misuse_live.c), as free() and realloc do.
 *
 * Limit: C code that frees a struct holding a pthread mutex it never
 * destroyed does not end that lock's identity: free() is interposed
 * (wrap_malloc.c) to take back sampled heap blocks and for free-locked,
 * and tells the core nothing else (the dynamic loader calls it before the
 * shim is ready).
 */
#include "wrap.h"

#include <dlfcn.h>

/* the C++ library whose operator delete is the real one */
#define LH_LIBSTDCXX "libstdc++.so.6"

typedef void (*del_fn)(void *);
typedef void (*del_sized_fn)(void *, size_t);
typedef void (*del_al_fn)(void *, size_t);          /* (ptr, align_val_t) */
typedef void (*del_sized_al_fn)(void *, size_t, size_t);

static size_t (*usable_size)(void *);

/* The real operator delete: the next definition after the shim's in the
 * global scope, or, when libstdc++ is not there (a C program that dlopens
 * a C++ plugin RTLD_LOCAL: ar with the LLVMgold plugin, Python extension
 * modules), libstdc++'s own definition, looked up in the loaded libstdc++
 * itself (RTLD_NOLOAD: never loads it; the reference it takes is kept, so
 * the cached address stays valid).  Only a found function is cached: a
 * libstdc++ dlopened later is found at a later call.  NULL when neither
 * exists; the caller then frees the block as libstdc++'s default operator
 * delete does (every variant calls free). */
static void *next_fn(void **slot, const char *name, void *self)
{
	static void *cxx;
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (f)
		return f;
	f = dlsym(RTLD_NEXT, name);
	if (!f) {
		void *h = __atomic_load_n(&cxx, __ATOMIC_ACQUIRE);
		if (!h) {
			h = dlopen(LH_LIBSTDCXX, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
			if (h && !__atomic_compare_exchange_n(&cxx, &(void *){ NULL }, h, 0,
			                                      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				dlclose(h); /* another thread's reference is kept */
				h = __atomic_load_n(&cxx, __ATOMIC_ACQUIRE);
			}
		}
		if (h)
			f = dlsym(h, name);
		if (f == self) /* never the shim's own (not in libstdc++'s scope) */
			f = NULL;
	}
	if (f)
		__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	return f;
}

static size_t block_size(void *p)
{
	if (!usable_size) {
		void *f = dlsym(RTLD_DEFAULT, "malloc_usable_size");
		__atomic_store_n((void **)&usable_size, f, __ATOMIC_RELEASE);
	}
	return usable_size ? usable_size(p) : 1;
}

static inline int watching(void *p)
{
	return p && __atomic_load_n(&lh_ready, __ATOMIC_ACQUIRE) && !lh_disabled && !lh_in_shim;
}

/* the real operator delete of this variant, else free (the shim's, minus
 * the free-locked check just made: a sampled block goes back to its pool) */
#define CALL_REAL(type, sym, p, ...)                                                                    \
	do {                                                                                       \
		type f_ = (type)next_fn(&real, #sym, (void *)sym);                                              \
		if (f_)                                                                            \
			f_(p, ##__VA_ARGS__);                                                      \
		else                                                                               \
			lh_free_unchecked(p);                                                      \
	} while (0)

#define DELETE_UNSIZED(sym)                                                                        \
	LH_EXPORT void sym(void *p)                                                                \
	{                                                                                          \
		static void *real;                                                                 \
		LH_FREE_CHECK(p, 0, LH_RA);                                                        \
		if (watching(p))                                                                   \
			LH_TELL(lh_core_freed(p, block_size(p)));                                  \
		LH_RT_HOOK(lh_rt_free(p));                                                         \
		CALL_REAL(del_fn, sym, p);                                                 \
	}
#define DELETE_SIZED(sym)                                                                          \
	LH_EXPORT void sym(void *p, size_t n)                                                      \
	{                                                                                          \
		static void *real;                                                                 \
		LH_FREE_CHECK(p, n, LH_RA);                                                        \
		if (watching(p))                                                                   \
			LH_TELL(lh_core_freed(p, n));                                              \
		LH_RT_HOOK(lh_rt_free(p));                                                         \
		CALL_REAL(del_sized_fn, sym, p, n);                                        \
	}
#define DELETE_ALIGNED(sym)                                                                        \
	LH_EXPORT void sym(void *p, size_t al)                                                     \
	{                                                                                          \
		static void *real;                                                                 \
		LH_FREE_CHECK(p, 0, LH_RA);                                                        \
		if (watching(p))                                                                   \
			LH_TELL(lh_core_freed(p, block_size(p)));                                  \
		LH_RT_HOOK(lh_rt_free(p));                                                         \
		CALL_REAL(del_al_fn, sym, p, al);                                          \
	}
#define DELETE_SIZED_ALIGNED(sym)                                                                  \
	LH_EXPORT void sym(void *p, size_t n, size_t al)                                           \
	{                                                                                          \
		static void *real;                                                                 \
		LH_FREE_CHECK(p, n, LH_RA);                                                        \
		if (watching(p))                                                                   \
			LH_TELL(lh_core_freed(p, n));                                              \
		LH_RT_HOOK(lh_rt_free(p));                                                         \
		CALL_REAL(del_sized_al_fn, sym, p, n, al);                                 \
	}

/* operator delete(void*), delete[](void*) */
DELETE_UNSIZED(_ZdlPv)
DELETE_UNSIZED(_ZdaPv)
/* sized: delete(void*, size_t), delete[](void*, size_t) */
DELETE_SIZED(_ZdlPvm)
DELETE_SIZED(_ZdaPvm)
/* aligned: delete(void*, align_val_t), delete[](void*, align_val_t) */
DELETE_ALIGNED(_ZdlPvSt11align_val_t)
DELETE_ALIGNED(_ZdaPvSt11align_val_t)
/* sized and aligned */
DELETE_SIZED_ALIGNED(_ZdlPvmSt11align_val_t)
DELETE_SIZED_ALIGNED(_ZdaPvmSt11align_val_t)
