/*
 * alloc.c - the shim's memory.  Everything comes from mmap in 1 MiB chunks
 * (bigger requests get their own mapping) and is never returned: what the
 * shim allocates grows with the program's distinct behaviour (locks, stacks,
 * edges, threads alive at once), not with its run time.  malloc is never
 * used, because the program's allocator may itself take the locks we
 * intercept (jemalloc, tcmalloc), and we may be called from inside it.
 */
#include "shim.h"

#include <sys/mman.h>

#define CHUNK (1u << 20)

static char *cur, *end;
int lh_alloc_spin; /* a spin, held for a few instructions; across fork: forklocks.c */

static void *map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void *lh_alloc(size_t size)
{
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (size > CHUNK / 4)
		return map(size); /* mmap memory is zeroed */
	while (__atomic_exchange_n(&lh_alloc_spin, 1, __ATOMIC_ACQUIRE))
		;
	lh_locks_held++;
	/* Invariant: cur and end change only under the spin, which fork
	 * handlers hold across fork (forklocks.c): a child never sees one
	 * changed without the other */
	p = NULL;
	if (!cur || (size_t)(end - cur) < size) {
		char *c = map(CHUNK);
		if (!c)
			goto out;
		cur = c;
		end = c + CHUNK;
	}
	p = cur;
	cur += size;
out:
	lh_locks_held--;
	__atomic_store_n(&lh_alloc_spin, 0, __ATOMIC_RELEASE);
	return p;
}
