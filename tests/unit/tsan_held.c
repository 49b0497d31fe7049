/*
 * tsan_held.c - the held-lock stack read by another thread while its owner
 * changes it (preload/heldset.h), built with -fsanitize=thread.
 *
 * An owner thread takes and releases locks through preload/edges.c
 * (lh_edge_acquired, lh_held_release: pushes, and removals from the
 * middle of the stack) and through the fast path's operations
 * (lh_held_push, lh_held_pop_top), always in
 * ascending lock order.  A reader thread copies the stack with
 * lh_held_read, as the watchdog and misuse's owner lookup do, and checks
 * every copy it gets is whole: ascending addresses, each entry's fields
 * those of its lock.  ThreadSanitizer fails the run on any data race
 * between the two (halt_on_error via TSAN_OPTIONS from make); a torn copy
 * fails an assertion.
 */
#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "heldset.h"
#include "shim_stubs.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define N_LOCKS 12
#define ROUNDS 20000

static void io_unwind(struct lh_frames *f)
{
	f->n = 0;
}
static uint32_t io_stack_of(const struct lh_frames *f, uintptr_t ra, uintptr_t cfa,
                            const struct lh_pystk *py, int *partial)
{
	(void)f;
	(void)cfa;
	(void)py;
	*partial = 0;
	return (uint32_t)(ra & 0xffff);
}
static void io_write_lock(const struct lh_rec_lock *r)
{
	(void)r;
}
static void io_write_edge(struct lh_thread *t, const struct lh_rec_edge *e, const struct lh_rec_gate *g, int n)
{
	(void)t;
	(void)e;
	(void)g;
	(void)n;
}
static uint64_t io_now(void)
{
	return 42;
}
/* named fields: the ones not named (trace, the format 4 and 5 writers, the
 * class-map segments) are NULL, so edges go through the sets and records */
static const struct lh_edge_io io = { .unwind = io_unwind,
	                              .stack_of = io_stack_of,
	                              .write_lock = io_write_lock,
	                              .write_edge = io_write_edge,
	                              .now_ns = io_now };

static char arena[N_LOCKS * 64] __attribute__((aligned(64)));
static struct lh_lock *lks[N_LOCKS];
static uint64_t ids[N_LOCKS];
static struct lh_thread *owner;
static int done;            /* owner finished; release/acquire */
static long n_copies, n_entries, n_bad, n_gave_up; /* reader thread only */

static void *lock_at(int i)
{
	return arena + 64 * i;
}
static uintptr_t ra_of(int i)
{
	return 0x400000 + (uintptr_t)i * 16;
}

static void take(int i)
{
	struct lh_acq a = { lock_at(i), LH_LOCK_MUTEX, 0, 0, ra_of(i), 0x7000 + (uintptr_t)i };
	CU_ASSERT_EQUAL(lh_edge_acquired(&io, owner, lks[i], ids[i], &a), LH_ACQ_PUSHED);
}

/* the fast path's push and pop (preload/wrap.h) */
static void take_fast(int i)
{
	lh_held_push(owner, owner->n_held, lock_at(i), lks[i], ids[i], ra_of(i), 0x7000 + (uintptr_t)i,
	             LH_MODE_EXCL, LH_LOCK_MUTEX, NULL);
}

static void *owner_main(void *arg)
{
	unsigned r, x = 12345;
	(void)arg;

	for (r = 0; r < ROUNDS; r++) {
		int i, k = 0, picked[N_LOCKS];
		x = x * 1103515245u + 12345u;
		for (i = 0; i < N_LOCKS; i++)
			if ((x >> (i + 3)) & 1) {
				picked[k++] = i;
				if (r & 1)
					take(i);
				else
					take_fast(i);
			}
		/* release: the middle first (entries move down), then from the top */
		if (k > 2)
			CU_ASSERT_EQUAL(lh_held_release(owner, lock_at(picked[k / 2])), LH_REL_RELEASED);
		while (owner->n_held > 0) {
			int n = owner->n_held;
			if (r & 2)
				lh_held_pop_top(owner, n);
			else
				CU_ASSERT_EQUAL(lh_held_release(owner, owner->held[n - 1].addr), LH_REL_RELEASED);
		}
	}
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int index_of(const void *addr)
{
	uintptr_t d = (uintptr_t)addr - (uintptr_t)arena;
	if ((uintptr_t)addr < (uintptr_t)arena || d % 64 || d / 64 >= N_LOCKS)
		return -1;
	return (int)(d / 64);
}

static void *reader_main(void *arg)
{
	static struct lh_held cp[LH_MAX_HELD];
	(void)arg;

	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
		int i, prev = -1, n = lh_held_read(owner, cp, LH_MAX_HELD);
		if (n < 0) {
			n_gave_up++;
			continue;
		}
		n_copies++;
		for (i = 0; i < n; i++) {
			int j = index_of(cp[i].addr);
			n_entries++;
			if (j <= prev || cp[i].lk != lks[j] || cp[i].lock_id != ids[j] || cp[i].ra != ra_of(j) ||
			    cp[i].cfa != 0x7000 + (uintptr_t)j || cp[i].mode != LH_MODE_EXCL ||
			    cp[i].kind != LH_LOCK_MUTEX) {
				n_bad++;
				break;
			}
			prev = j;
		}
	}
	return NULL;
}

static void test_reader_against_owner(void)
{
	pthread_t w, r;
	int i;

	owner = calloc(1, sizeof(*owner));
	CU_ASSERT_PTR_NOT_NULL_FATAL(owner);
	owner->id = 1;
	for (i = 0; i < N_LOCKS; i++) {
		lh_lid_new(lh_lid_lookup((uintptr_t)lock_at(i), 1), LH_LOCK_MUTEX, 0, 0);
		lks[i] = lh_lid_get(owner, lock_at(i));
		ids[i] = lh_lid_id(lks[i], LH_LOCK_MUTEX, 0);
		CU_ASSERT_FATAL(lks[i] != NULL && ids[i] != 0);
	}
	CU_ASSERT_FATAL(pthread_create(&r, NULL, reader_main, NULL) == 0);
	CU_ASSERT_FATAL(pthread_create(&w, NULL, owner_main, NULL) == 0);
	pthread_join(w, NULL);
	pthread_join(r, NULL);
	CU_ASSERT_EQUAL(n_bad, 0);
	/* the reader saw the stack, and saw locks on it */
	CU_ASSERT(n_copies > 0);
	CU_ASSERT(n_entries > 0);
	CU_ASSERT_EQUAL(owner->n_held, 0);
	fprintf(stderr, "copies %ld (entries %ld), gave up %ld, torn %ld\n", n_copies, n_entries, n_gave_up,
	        n_bad);
	free(owner);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "reader_against_owner", test_reader_against_owner },
	};
	return cunit_run("held-lock stack under ThreadSanitizer", tests, N_OF(tests));
}
