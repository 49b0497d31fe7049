/*
 * wrap_mem.c - exact mode's view of the program's allocations and of the
 * C library's memory and string functions: the __wrap_NAME functions that
 * `lockhound cc` links the program's own objects to (-Wl,--wrap=NAME for
 * each name of common/lh_wrap_syms.h; why --wrap and not interposition is
 * explained there).  Each calls NAME itself (the C library's, or whatever
 * the program links in its place) and tells the race runtime what the call
 * did: a new heap block, a freed one, the bytes read and written.
 *
 * C++ operator new is reached through a weak reference: a C program has
 * none (and never calls these), a C++ program gets its own replacement
 * operator if it defines one, else libstdc++'s.  Operator delete needs no
 * wrap: wrap_delete.c interposes it already and tells the runtime.
 */
#include "rt.h"
#include "lh_wrap_syms.h"


#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RA ((uintptr_t)__builtin_return_address(0))
#define ON() unlikely(__atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED))
/* the call instruction itself: frame 0 of a report is an exact pc */
#define READS(p, n) lh_rt_range((p), (n), 0, RA - 1)
#define WRITES(p, n) lh_rt_range((p), (n), 1, RA - 1)

/* ---- allocation ---- */

LH_EXPORT void *__wrap_malloc(size_t n)
{
	void *p = malloc(n);
	if (ON())
		lh_rt_alloc(p, n, RA);
	return p;
}

LH_EXPORT void *__wrap_calloc(size_t k, size_t n)
{
	void *p = calloc(k, n);
	if (ON())
		lh_rt_alloc(p, k * n, RA); /* no overflow: calloc checked it */
	return p;
}

/* realloc: the old block is gone (moved or resized) and the result is a
 * new object.  The old one leaves the table before the call (after it, its
 * address may already belong to another thread's block); a failed call
 * leaves it as it was, so it comes back, with this call as its origin. */
LH_EXPORT void *__wrap_realloc(void *old, size_t n)
{
	size_t old_n = 0;
	void *p;

	if (!ON())
		return realloc(old, n);
	if (old)
		old_n = malloc_usable_size(old);
	lh_rt_free(old);
	p = realloc(old, n);
	if (p)
		lh_rt_alloc(p, n, RA);
	else if (old && n != 0)
		lh_rt_alloc(old, old_n, RA);
	return p;
}

LH_EXPORT void *__wrap_reallocarray(void *old, size_t k, size_t n)
{
	size_t old_n = 0;
	void *p;

	if (!ON())
		return reallocarray(old, k, n);
	if (old)
		old_n = malloc_usable_size(old);
	lh_rt_free(old);
	p = reallocarray(old, k, n);
	if (p)
		lh_rt_alloc(p, k * n, RA);
	else if (old)
		lh_rt_alloc(old, old_n, RA);
	return p;
}

LH_EXPORT void __wrap_free(void *p)
{
	if (ON())
		lh_rt_free(p); /* before the block can be handed out again */
	free(p);
}

LH_EXPORT int __wrap_posix_memalign(void **pp, size_t al, size_t n)
{
	int rc = posix_memalign(pp, al, n);
	if (rc == 0 && ON())
		lh_rt_alloc(*pp, n, RA);
	return rc;
}

LH_EXPORT void *__wrap_aligned_alloc(size_t al, size_t n)
{
	void *p = aligned_alloc(al, n);
	if (ON())
		lh_rt_alloc(p, n, RA);
	return p;
}

LH_EXPORT void *__wrap_memalign(size_t al, size_t n)
{
	void *p = memalign(al, n);
	if (ON())
		lh_rt_alloc(p, n, RA);
	return p;
}

LH_EXPORT void *__wrap_valloc(size_t n)
{
	void *p = valloc(n);
	if (ON())
		lh_rt_alloc(p, n, RA);
	return p;
}

LH_EXPORT void *__wrap_pvalloc(size_t n)
{
	void *p = pvalloc(n);
	if (ON())
		lh_rt_alloc(p, n, RA);
	return p;
}

LH_EXPORT char *__wrap_strdup(const char *s)
{
	size_t n;
	char *p;

	if (!ON())
		return strdup(s);
	n = strlen(s) + 1;
	READS(s, n);
	p = strdup(s);
	lh_rt_alloc(p, n, RA);
	return p;
}

LH_EXPORT char *__wrap_strndup(const char *s, size_t max)
{
	size_t n;
	char *p;

	if (!ON())
		return strndup(s, max);
	n = strnlen(s, max);
	READS(s, n < max ? n + 1 : n);
	p = strndup(s, max);
	lh_rt_alloc(p, n + 1, RA);
	return p;
}

/* operator new, all forms (see the header comment) */
struct nothrow_t_;
extern void *_Znwm(size_t) __attribute__((weak));
extern void *_Znam(size_t) __attribute__((weak));
extern void *_ZnwmRKSt9nothrow_t(size_t, const struct nothrow_t_ *) __attribute__((weak));
extern void *_ZnamRKSt9nothrow_t(size_t, const struct nothrow_t_ *) __attribute__((weak));
extern void *_ZnwmSt11align_val_t(size_t, size_t) __attribute__((weak));
extern void *_ZnamSt11align_val_t(size_t, size_t) __attribute__((weak));
extern void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t, size_t, const struct nothrow_t_ *)
    __attribute__((weak));
extern void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t, size_t, const struct nothrow_t_ *)
    __attribute__((weak));

#define NEW1(sym)                                                                                  \
	LH_EXPORT void *__wrap_##sym(size_t n)                                                     \
	{                                                                                          \
		void *p = sym(n);                                                                  \
		if (ON())                                                                          \
			lh_rt_alloc(p, n, RA);                                                     \
		return p;                                                                          \
	}
#define NEW2(sym, T)                                                                               \
	LH_EXPORT void *__wrap_##sym(size_t n, T x)                                                \
	{                                                                                          \
		void *p = sym(n, x);                                                               \
		if (ON())                                                                          \
			lh_rt_alloc(p, n, RA);                                                     \
		return p;                                                                          \
	}
#define NEW3(sym)                                                                                  \
	LH_EXPORT void *__wrap_##sym(size_t n, size_t al, const struct nothrow_t_ *nt)             \
	{                                                                                          \
		void *p = sym(n, al, nt);                                                          \
		if (ON())                                                                          \
			lh_rt_alloc(p, n, RA);                                                     \
		return p;                                                                          \
	}
NEW1(_Znwm)
NEW1(_Znam)
NEW2(_ZnwmRKSt9nothrow_t, const struct nothrow_t_ *)
NEW2(_ZnamRKSt9nothrow_t, const struct nothrow_t_ *)
NEW2(_ZnwmSt11align_val_t, size_t)
NEW2(_ZnamSt11align_val_t, size_t)
NEW3(_ZnwmSt11align_val_tRKSt9nothrow_t)
NEW3(_ZnamSt11align_val_tRKSt9nothrow_t)

/* ---- memory and strings: the bytes each call reads and writes ---- */

LH_EXPORT void *__wrap_memcpy(void *d, const void *s, size_t n)
{
	if (ON()) {
		READS(s, n);
		WRITES(d, n);
	}
	return memcpy(d, s, n);
}

LH_EXPORT void *__wrap_memmove(void *d, const void *s, size_t n)
{
	if (ON()) {
		READS(s, n);
		WRITES(d, n);
	}
	return memmove(d, s, n);
}

LH_EXPORT void *__wrap_mempcpy(void *d, const void *s, size_t n)
{
	if (ON()) {
		READS(s, n);
		WRITES(d, n);
	}
	return mempcpy(d, s, n);
}

LH_EXPORT void *__wrap_memset(void *d, int c, size_t n)
{
	if (ON())
		WRITES(d, n);
	return memset(d, c, n);
}

LH_EXPORT void __wrap_bzero(void *d, size_t n)
{
	if (ON())
		WRITES(d, n);
	memset(d, 0, n);
}

/* bytes a comparison looks at: up to the first difference */
static size_t cmp_extent(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < n; i++)
		if (x[i] != y[i])
			return i + 1;
	return n;
}

LH_EXPORT int __wrap_memcmp(const void *a, const void *b, size_t n)
{
	if (ON()) {
		size_t k = cmp_extent(a, b, n);
		READS(a, k);
		READS(b, k);
	}
	return memcmp(a, b, n);
}

LH_EXPORT int __wrap_bcmp(const void *a, const void *b, size_t n)
{
	if (ON()) {
		size_t k = cmp_extent(a, b, n);
		READS(a, k);
		READS(b, k);
	}
	return memcmp(a, b, n);
}

LH_EXPORT void *__wrap_memchr(const void *s, int c, size_t n)
{
	void *r = memchr(s, c, n);
	if (ON())
		READS(s, r ? (size_t)((const char *)r - (const char *)s) + 1 : n);
	return r;
}

LH_EXPORT size_t __wrap_strlen(const char *s)
{
	size_t n = strlen(s);
	if (ON())
		READS(s, n + 1);
	return n;
}

LH_EXPORT size_t __wrap_strnlen(const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	if (ON())
		READS(s, n < max ? n + 1 : n);
	return n;
}

LH_EXPORT char *__wrap_strcpy(char *d, const char *s)
{
	if (ON()) {
		size_t n = strlen(s) + 1;
		READS(s, n);
		WRITES(d, n);
	}
	return strcpy(d, s);
}

LH_EXPORT char *__wrap_stpcpy(char *d, const char *s)
{
	if (ON()) {
		size_t n = strlen(s) + 1;
		READS(s, n);
		WRITES(d, n);
	}
	return stpcpy(d, s);
}

LH_EXPORT char *__wrap_strncpy(char *d, const char *s, size_t max)
{
	if (ON()) {
		size_t n = strnlen(s, max);
		READS(s, n < max ? n + 1 : n);
		WRITES(d, max); /* pads with NULs to max */
	}
	return strncpy(d, s, max);
}

LH_EXPORT char *__wrap_strcat(char *d, const char *s)
{
	if (ON()) {
		size_t dl = strlen(d), sl = strlen(s) + 1;
		READS(d, dl);
		READS(s, sl);
		WRITES(d + dl, sl);
	}
	return strcat(d, s);
}

LH_EXPORT char *__wrap_strncat(char *d, const char *s, size_t max)
{
	if (ON()) {
		size_t dl = strlen(d), sl = strnlen(s, max);
		READS(d, dl);
		READS(s, sl);
		WRITES(d + dl, sl + 1);
	}
	return strncat(d, s, max);
}

/* bytes strcmp/strncmp look at: up to the first difference or NUL */
static size_t str_extent(const char *a, const char *b, size_t max)
{
	size_t i;

	for (i = 0; i < max; i++)
		if (a[i] != b[i] || a[i] == 0)
			return i + 1;
	return max;
}

LH_EXPORT int __wrap_strcmp(const char *a, const char *b)
{
	if (ON()) {
		size_t k = str_extent(a, b, (size_t)-1);
		READS(a, k);
		READS(b, k);
	}
	return strcmp(a, b);
}

LH_EXPORT int __wrap_strncmp(const char *a, const char *b, size_t max)
{
	if (ON()) {
		size_t k = str_extent(a, b, max);
		READS(a, k);
		READS(b, k);
	}
	return strncmp(a, b, max);
}

LH_EXPORT char *__wrap_strchr(const char *s, int c)
{
	char *r = strchr(s, c);
	if (ON())
		READS(s, r ? (size_t)(r - s) + 1 : strlen(s) + 1);
	return r;
}

LH_EXPORT char *__wrap_strrchr(const char *s, int c)
{
	if (ON())
		READS(s, strlen(s) + 1);
	return strrchr(s, c);
}

/* _FORTIFY_SOURCE forms: glibc's checking versions, same accesses */
extern void *__memcpy_chk(void *, const void *, size_t, size_t);
extern void *__memmove_chk(void *, const void *, size_t, size_t);
extern void *__mempcpy_chk(void *, const void *, size_t, size_t);
extern void *__memset_chk(void *, int, size_t, size_t);
extern char *__strcpy_chk(char *, const char *, size_t);
extern char *__stpcpy_chk(char *, const char *, size_t);
extern char *__strncpy_chk(char *, const char *, size_t, size_t);
extern char *__strcat_chk(char *, const char *, size_t);
extern char *__strncat_chk(char *, const char *, size_t, size_t);

#define CHK_COPY(name)                                                                             \
	LH_EXPORT void *__wrap_##name(void *d, const void *s, size_t n, size_t dl)                 \
	{                                                                                          \
		if (ON() && n <= dl) {                                                             \
			READS(s, n);                                                                \
			WRITES(d, n);                                                               \
		}                                                                                  \
		return name(d, s, n, dl);                                                          \
	}
CHK_COPY(__memcpy_chk)
CHK_COPY(__memmove_chk)
CHK_COPY(__mempcpy_chk)

LH_EXPORT void *__wrap___memset_chk(void *d, int c, size_t n, size_t dl)
{
	if (ON() && n <= dl)
		WRITES(d, n);
	return __memset_chk(d, c, n, dl);
}

#define CHK_STRCPY(name)                                                                           \
	LH_EXPORT char *__wrap_##name(char *d, const char *s, size_t dl)                           \
	{                                                                                          \
		if (ON()) {                                                                        \
			size_t n = strlen(s) + 1;                                                  \
			READS(s, n);                                                                \
			if (n <= dl)                                                               \
				WRITES(d, n);                                                       \
		}                                                                                  \
		return name(d, s, dl);                                                             \
	}
CHK_STRCPY(__strcpy_chk)
CHK_STRCPY(__stpcpy_chk)

LH_EXPORT char *__wrap___strncpy_chk(char *d, const char *s, size_t max, size_t dl)
{
	if (ON()) {
		size_t n = strnlen(s, max);
		READS(s, n < max ? n + 1 : n);
		if (max <= dl)
			WRITES(d, max);
	}
	return __strncpy_chk(d, s, max, dl);
}

LH_EXPORT char *__wrap___strcat_chk(char *d, const char *s, size_t dl)
{
	if (ON()) {
		size_t l = strlen(d), n = strlen(s) + 1;
		READS(d, l);
		READS(s, n);
		if (l + n <= dl)
			WRITES(d + l, n);
	}
	return __strcat_chk(d, s, dl);
}

LH_EXPORT char *__wrap___strncat_chk(char *d, const char *s, size_t max, size_t dl)
{
	if (ON()) {
		size_t l = strlen(d), n = strnlen(s, max);
		READS(d, l);
		READS(s, n);
		if (l + n + 1 <= dl)
			WRITES(d + l, n + 1);
	}
	return __strncat_chk(d, s, max, dl);
}

/* every name of the list has its __wrap_ here: the build fails otherwise */
#define LH_DECL_CHECK(name) extern __typeof__(__wrap_##name) __wrap_##name;
LH_WRAP_SYMS(LH_DECL_CHECK)
