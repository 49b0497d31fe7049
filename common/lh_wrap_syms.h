/*
 * lh_wrap_syms.h - the C library and C++ runtime functions that exact mode
 * sees through the linker's --wrap, in one list that both sides read:
 *
 *   - `lockhound cc` / `c++` link every program and shared library they
 *     build with `-Wl,--wrap=NAME` for each NAME below, so the calls that
 *     the program's own objects make go to __wrap_NAME;
 *   - liblockhound.so defines (and exports) __wrap_NAME for each, which
 *     tells the race runtime what the call does and then calls NAME itself.
 *
 * Why --wrap and not interposition: an exported malloc or memcpy in
 * liblockhound.so would be called by every program run under the plain
 * LD_PRELOAD mode (and by the shim itself, libunwind and the dynamic
 * loader), and would shadow a replacement allocator linked into the
 * program.  With --wrap only instrumented code pays, the plain mode sees no
 * allocator or string call at all, and NAME still reaches whatever the
 * program would have called (glibc's malloc, jemalloc, ...).  Calls made
 * inside uninstrumented libraries are not seen (DESIGN.md, "Exact mode").
 *
 * Each list calls X(name) once per function.
 */
#ifndef LOCKHOUND_WRAP_SYMS_H
#define LOCKHOUND_WRAP_SYMS_H

/* allocation: a block allocated is a new object (its shadow is cleared),
 * and its base, size, allocation context and thread go into the heap-block
 * table that race reports name heap variables with */
#define LH_WRAP_ALLOC_SYMS(X)                                                                      \
	X(malloc)                                                                                  \
	X(calloc)                                                                                  \
	X(realloc)                                                                                 \
	X(reallocarray)                                                                            \
	X(free)                                                                                    \
	X(posix_memalign)                                                                          \
	X(aligned_alloc)                                                                           \
	X(memalign)                                                                                \
	X(valloc)                                                                                  \
	X(pvalloc)                                                                                 \
	X(strdup)                                                                                  \
	X(strndup)                                                                                 \
	X(_Znwm)                                                                                   \
	X(_Znam)                                                                                   \
	X(_ZnwmRKSt9nothrow_t)                                                                     \
	X(_ZnamRKSt9nothrow_t)                                                                     \
	X(_ZnwmSt11align_val_t)                                                                    \
	X(_ZnamSt11align_val_t)                                                                    \
	X(_ZnwmSt11align_val_tRKSt9nothrow_t)                                                      \
	X(_ZnamSt11align_val_tRKSt9nothrow_t)

/* memory and string functions: each counts as the reads and writes it
 * makes on the program's memory */
#define LH_WRAP_MEM_SYMS(X)                                                                        \
	X(memcpy)                                                                                  \
	X(memmove)                                                                                 \
	X(memset)                                                                                  \
	X(mempcpy)                                                                                 \
	X(memcmp)                                                                                  \
	X(bcmp)                                                                                    \
	X(memchr)                                                                                  \
	X(bzero)                                                                                   \
	X(strlen)                                                                                  \
	X(strnlen)                                                                                 \
	X(strcpy)                                                                                  \
	X(strncpy)                                                                                 \
	X(stpcpy)                                                                                  \
	X(strcat)                                                                                  \
	X(strncat)                                                                                 \
	X(strcmp)                                                                                  \
	X(strncmp)                                                                                 \
	X(strchr)                                                                                  \
	X(strrchr)                                                                                 \
	X(__memcpy_chk)                                                                            \
	X(__memmove_chk)                                                                           \
	X(__memset_chk)                                                                            \
	X(__mempcpy_chk)                                                                           \
	X(__strcpy_chk)                                                                            \
	X(__stpcpy_chk)                                                                            \
	X(__strncpy_chk)                                                                           \
	X(__strcat_chk)                                                                            \
	X(__strncat_chk)

#define LH_WRAP_SYMS(X) LH_WRAP_ALLOC_SYMS(X) LH_WRAP_MEM_SYMS(X)

#endif
