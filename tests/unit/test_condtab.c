/*
 * test_condtab.c - CUnit tests for preload/condtab.c, the table of which
 * mutex each condition variable is waited with: the two-mutex decision,
 * entries freed and reused, an entry found past a freed slot, and the probe
 * limit (LH_COND_PROBE), which leaves a note.  Scripted waits, no threads.
 */
#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <stdint.h>
#include <string.h>

#include "shim.h"
#include "shim_stubs.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* condition variables whose addresses all hash to the same slot */
#define STRIDE (16 * LH_COND_SLOTS)
static char space[(LH_COND_PROBE + 2) * STRIDE] __attribute__((aligned(1 << 16)));
#define CV(i) ((void *)(space + (size_t)(i) * STRIDE))

static void fresh(void)
{
	lh_cond_after_fork_child();
	stub_reset();
}

static void test_one_mutex_many_waiters(void)
{
	int m1, m2;
	struct lh_cond_other o;
	void *c = CV(0);

	fresh();
	CU_ASSERT_EQUAL(lh_cond_enter(c, &m1, 1, 0x10, &o), LH_COND_OK);
	CU_ASSERT_EQUAL(lh_cond_enter(c, &m1, 2, 0x20, &o), LH_COND_OK);
	CU_ASSERT_EQUAL(lh_cond_waiters(c), 2);
	memset(&o, 0, sizeof(o));
	CU_ASSERT_EQUAL(lh_cond_enter(c, &m2, 3, 0x30, &o), LH_COND_OTHER_MUTEX);
	CU_ASSERT_PTR_EQUAL(o.mutex, &m1); /* the first waiter's mutex, thread and site */
	CU_ASSERT_EQUAL(o.thread, 1);
	CU_ASSERT_EQUAL(o.ra, 0x10);
	CU_ASSERT_EQUAL(lh_cond_waiters(c), 3);
	lh_cond_leave(c, LH_COND_OK);
	lh_cond_leave(c, LH_COND_OK);
	lh_cond_leave(c, LH_COND_OTHER_MUTEX);
	CU_ASSERT_EQUAL(lh_cond_waiters(c), 0);
	/* nobody waits any more: the other mutex is fine now */
	CU_ASSERT_EQUAL(lh_cond_enter(c, &m2, 4, 0x40, &o), LH_COND_OK);
	CU_ASSERT_EQUAL(lh_cond_enter(c, &m2, 5, 0x50, &o), LH_COND_OK);
	lh_cond_leave(c, LH_COND_OK);
	lh_cond_leave(c, LH_COND_OK);
}

/* c1 and c2 collide; c1's entry is freed while c2 still waits: c2's entry
 * must be found behind the free slot, not duplicated into it */
static void test_entry_behind_free_slot(void)
{
	int m1, m2;
	struct lh_cond_other o;

	fresh();
	CU_ASSERT_EQUAL(lh_cond_enter(CV(0), &m1, 1, 1, &o), LH_COND_OK);
	CU_ASSERT_EQUAL(lh_cond_enter(CV(1), &m1, 2, 2, &o), LH_COND_OK);
	lh_cond_leave(CV(0), LH_COND_OK);
	CU_ASSERT_EQUAL(lh_cond_enter(CV(1), &m2, 3, 3, &o), LH_COND_OTHER_MUTEX);
	CU_ASSERT_EQUAL(o.thread, 2);
	CU_ASSERT_EQUAL(lh_cond_waiters(CV(1)), 2);
	CU_ASSERT_EQUAL(lh_cond_waiters(CV(0)), 0);
}

static void test_probe_limit_noted(void)
{
	int m1, m2;
	struct lh_cond_other o;
	int i;

	fresh();
	for (i = 0; i < LH_COND_PROBE; i++)
		CU_ASSERT_EQUAL(lh_cond_enter(CV(i), &m1, 1, 1, &o), LH_COND_OK);
	CU_ASSERT_EQUAL(stub_notes_with("condition variables"), 0);
	CU_ASSERT_EQUAL(lh_cond_enter(CV(LH_COND_PROBE), &m1, 2, 2, &o), LH_COND_UNTRACKED);
	CU_ASSERT_EQUAL(stub_notes_with("condition variables"), 1);
	/* its two-mutex misuse is what is missed */
	CU_ASSERT_EQUAL(lh_cond_enter(CV(LH_COND_PROBE), &m2, 3, 3, &o), LH_COND_UNTRACKED);
	CU_ASSERT_EQUAL(stub_notes_with("condition variables"), 1); /* once */
	/* leaving an untracked wait takes nothing from anyone */
	lh_cond_leave(CV(LH_COND_PROBE), LH_COND_UNTRACKED);
	lh_cond_leave(CV(LH_COND_PROBE), LH_COND_UNTRACKED);
	for (i = 0; i < LH_COND_PROBE; i++)
		CU_ASSERT_EQUAL(lh_cond_waiters(CV(i)), 1);
	/* a freed entry is used again */
	lh_cond_leave(CV(5), LH_COND_OK);
	CU_ASSERT_EQUAL(lh_cond_enter(CV(LH_COND_PROBE), &m1, 4, 4, &o), LH_COND_OK);
	CU_ASSERT_EQUAL(lh_cond_enter(CV(LH_COND_PROBE), &m2, 5, 5, &o), LH_COND_OTHER_MUTEX);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "one_mutex_many_waiters", test_one_mutex_many_waiters },
		{ "entry_behind_free_slot", test_entry_behind_free_slot },
		{ "probe_limit_noted", test_probe_limit_noted },
	};
	return cunit_run("condtab", tests, N_OF(tests));
}
