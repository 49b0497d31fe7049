/*
 * xalloc.h - the analyzer's one out-of-memory policy (prefix x).
 *
 * The analyzer is its own process, run after the program: when memory runs
 * out there is no partial report worth more than a clear failure.  Every
 * allocation in analyzer/ goes through these functions; on failure they
 * print one line, "lockhound: error: out of memory (allocating N bytes)",
 * and end the analyzer with exit status XALLOC_EXIT_STATUS (2, the status
 * `lockhound report` and `lockhound run` use for "could not analyze").
 * So no caller checks for NULL, and no function returns an allocation
 * failure.  The one exception is lockgraph.c, a pure unit whose contract
 * is "-1 on allocation failure" (it keeps uthash's non-fatal mode): its
 * only caller, fd_analyze, turns that -1 into xalloc_die.
 *
 * (The shim never uses these: it allocates with lh_alloc and degrades.)
 */
#ifndef LOCKHOUND_XALLOC_H
#define LOCKHOUND_XALLOC_H

#include <stddef.h>

#define XALLOC_EXIT_STATUS 2

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* xrealloc of n elements of size bytes, with the multiplication checked */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
/* Print the out-of-memory line for a request of `bytes` (0: unknown) and
 * exit(XALLOC_EXIT_STATUS). */
_Noreturn void xalloc_die(size_t bytes);

#endif
