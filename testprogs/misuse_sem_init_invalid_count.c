/* lockhound-expect: misuse count=1 what=sem-init-invalid-count locks=1 functions=make_pool_slots min_edges=0 min_threads=1 */
/* sem_init with a count above SEM_VALUE_MAX: glibc refuses with EINVAL and
 * the semaphore stays uninitialized; the program ignores the error.
 * lockhound reports sem-init-invalid-count at the call, naming the
 * semaphore, and keeps the EINVAL.  The correct twin is misuse_init_count_clean. */
#include "tp.h"

#include <limits.h>

static sem_t pool_slots;

static int make_pool_slots(unsigned n)
{
	return sem_init(&pool_slots, 0, n);
}

int main(void)
{
	int rc = make_pool_slots((unsigned)SEM_VALUE_MAX + 1u); /* the bug: too many slots */
	if (rc != -1 || errno != EINVAL) {
		fprintf(stderr, "sem_init returned %d (%s), not EINVAL\n", rc, strerror(errno));
		return 2;
	}
	return 0;
}
