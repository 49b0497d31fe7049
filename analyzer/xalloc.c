/*
 * xalloc.c - allocation that stops the analyzer on failure (see xalloc.h).
 */
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Noreturn void xalloc_die(size_t bytes)
{
	/* no stdio buffer may be needed to say it: format on the stack */
	char line[96];
	int n;

	if (bytes)
		n = snprintf(line, sizeof(line), "lockhound: error: out of memory (allocating %zu bytes)\n",
		             bytes);
	else
		n = snprintf(line, sizeof(line), "lockhound: error: out of memory\n");
	if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nothing else can be done */
	}
	exit(XALLOC_EXIT_STATUS);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		xalloc_die(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		xalloc_die(SIZE_MAX);
	p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		xalloc_die(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		xalloc_die(n);
	return q;
}

void *xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		xalloc_die(SIZE_MAX);
	return xrealloc(p, n * size);
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = xmalloc(n);
	memcpy(d, s, n);
	return d;
}
