/*
 * test_semmodel.c - CUnit tests for preload/semmodel.c, the model that says
 * whether a POSIX semaphore is a lock, from scripted waits and posts by
 * made-up thread ids: the classes a semaphore starts in (initial 1, 0, a
 * pool of 3, unknown), each event that demotes it (a post by another
 * thread, a post while free, a second wait, a wait by its holder) and that
 * a demotion is for good; its posters; and, through edges.c with a scripted
 * log, that orders recorded while a semaphore looked like a lock are voided
 * by an LH_REC_SEM_CLASS record written after its LOCK record, in either
 * order of events, and that a held semaphore given up by another thread is
 * pruned from the holder's stack.  No threads, no shim.
 */
#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"
#include "shim_stubs.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the pure decisions ---- */

static void test_initial_classes(void)
{
	CU_ASSERT_TRUE(lh_sem_is_lock(lh_sem_initial(1, 1)));
	CU_ASSERT_FALSE(lh_sem_is_lock(lh_sem_initial(1, 0)));  /* signalling */
	CU_ASSERT_FALSE(lh_sem_is_lock(lh_sem_initial(1, 3)));  /* a pool of 3 */
	CU_ASSERT_FALSE(lh_sem_is_lock(lh_sem_initial(0, 1)));  /* value not known */
	CU_ASSERT_FALSE(lh_sem_is_lock(0));                     /* a new identity's word */
	CU_ASSERT_EQUAL(lh_sem_holder(lh_sem_initial(1, 1)), 0);
}

static void test_lock_wait_post_same_thread(void)
{
	uint64_t st = lh_sem_initial(1, 1);
	int why = 0, round;

	for (round = 0; round < 3; round++) {
		uint32_t tid = 1 + (uint32_t)round; /* a different thread each round */
		CU_ASSERT_EQUAL(lh_sem_wait_call(&st, tid, &why), LH_SEM_NOTHING);
		CU_ASSERT_EQUAL(lh_sem_waited(&st, tid, &why), LH_SEM_TAKE);
		CU_ASSERT_EQUAL(lh_sem_holder(st), tid);
		/* another thread's blocking wait while it is held changes nothing */
		CU_ASSERT_EQUAL(lh_sem_wait_call(&st, tid + 10, &why), LH_SEM_NOTHING);
		CU_ASSERT_EQUAL(lh_sem_posting(&st, tid, &why), LH_SEM_GIVE);
		CU_ASSERT_EQUAL(lh_sem_holder(st), 0);
		CU_ASSERT_TRUE(lh_sem_is_lock(st));
	}
}

static void demoted(uint64_t st, int want_why, uint32_t want_who)
{
	uint32_t who = 0;

	CU_ASSERT_FALSE(lh_sem_is_lock(st));
	CU_ASSERT_EQUAL(lh_sem_holder(st), 0);
	CU_ASSERT_EQUAL(lh_sem_why(st, &who), want_why);
	CU_ASSERT_EQUAL(who, want_who);
}

/* once not a lock, never again: every later event says nothing */
static void stays_demoted(uint64_t *st)
{
	int why = 0;

	CU_ASSERT_EQUAL(lh_sem_waited(st, 1, &why), LH_SEM_NOTHING);
	CU_ASSERT_EQUAL(lh_sem_wait_call(st, 1, &why), LH_SEM_NOTHING);
	CU_ASSERT_EQUAL(lh_sem_posting(st, 1, &why), LH_SEM_NOTHING);
	CU_ASSERT_EQUAL(lh_sem_posting(st, 2, &why), LH_SEM_NOTHING);
	CU_ASSERT_FALSE(lh_sem_is_lock(*st));
}

static void test_post_by_other_thread(void)
{
	uint64_t st = lh_sem_initial(1, 1);
	int why = 0;

	CU_ASSERT_EQUAL(lh_sem_waited(&st, 1, &why), LH_SEM_TAKE);
	CU_ASSERT_EQUAL(lh_sem_posting(&st, 2, &why), LH_SEM_DEMOTED);
	CU_ASSERT_EQUAL(why, LH_SEMW_POSTED_BY_OTHER);
	demoted(st, LH_SEMW_POSTED_BY_OTHER, 2);
	stays_demoted(&st);
}

static void test_post_while_free(void)
{
	uint64_t st = lh_sem_initial(1, 1);
	int why = 0;

	CU_ASSERT_EQUAL(lh_sem_posting(&st, 3, &why), LH_SEM_DEMOTED);
	CU_ASSERT_EQUAL(why, LH_SEMW_POSTED_FREE);
	demoted(st, LH_SEMW_POSTED_FREE, 3);
	stays_demoted(&st);
}

static void test_second_wait_succeeds(void)
{
	uint64_t st = lh_sem_initial(1, 1);
	int why = 0;

	CU_ASSERT_EQUAL(lh_sem_waited(&st, 1, &why), LH_SEM_TAKE);
	CU_ASSERT_EQUAL(lh_sem_waited(&st, 2, &why), LH_SEM_DEMOTED);
	CU_ASSERT_EQUAL(why, LH_SEMW_WAITED_TWICE);
	demoted(st, LH_SEMW_WAITED_TWICE, 2);
	stays_demoted(&st);
	/* the holder's own second wait that got through: the same */
	st = lh_sem_initial(1, 1);
	CU_ASSERT_EQUAL(lh_sem_waited(&st, 4, &why), LH_SEM_TAKE);
	CU_ASSERT_EQUAL(lh_sem_waited(&st, 4, &why), LH_SEM_DEMOTED);
	demoted(st, LH_SEMW_WAITED_TWICE, 4);
}

/* threading.Condition: the waiter lock is taken, then waited on again by
 * the same thread until another thread releases it */
static void test_holder_blocks_on_it(void)
{
	uint64_t st = lh_sem_initial(1, 1);
	int why = 0;

	CU_ASSERT_EQUAL(lh_sem_waited(&st, 1, &why), LH_SEM_TAKE);
	CU_ASSERT_EQUAL(lh_sem_wait_call(&st, 1, &why), LH_SEM_DEMOTED);
	CU_ASSERT_EQUAL(why, LH_SEMW_WAITED_TWICE);
	demoted(st, LH_SEMW_WAITED_TWICE, 1);
	/* the notifier's post and the waiter's wake-up say nothing more */
	stays_demoted(&st);
}

static void test_pool_and_signal_never_locks(void)
{
	uint64_t pool = lh_sem_initial(1, 3), sig = lh_sem_initial(1, 0);
	int why = 0, i;

	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(lh_sem_waited(&pool, (uint32_t)i + 1, &why), LH_SEM_NOTHING);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(lh_sem_posting(&pool, (uint32_t)i + 1, &why), LH_SEM_NOTHING);
	CU_ASSERT_EQUAL(lh_sem_posting(&sig, 2, &why), LH_SEM_NOTHING);
	CU_ASSERT_EQUAL(lh_sem_wait_call(&sig, 1, &why), LH_SEM_NOTHING);
	CU_ASSERT_EQUAL(lh_sem_waited(&sig, 1, &why), LH_SEM_NOTHING);
	CU_ASSERT_EQUAL(lh_sem_why(sig, &(uint32_t){ 0 }), 0); /* not a lock from its start */
}

/* a failed trywait, a timeout or EINTR tell the model nothing: only the
 * events above exist.  A lock taken, "timed out" by another thread (no
 * event), then posted by its holder stays a lock. */
static void test_failed_waits_are_no_events(void)
{
	uint64_t st = lh_sem_initial(1, 1);
	int why = 0;

	CU_ASSERT_EQUAL(lh_sem_waited(&st, 1, &why), LH_SEM_TAKE);
	CU_ASSERT_EQUAL(lh_sem_wait_call(&st, 2, &why), LH_SEM_NOTHING); /* T2's timed wait begins */
	CU_ASSERT_EQUAL(lh_sem_posting(&st, 1, &why), LH_SEM_GIVE);
	CU_ASSERT_TRUE(lh_sem_is_lock(st));
}

static void test_posters(void)
{
	uint32_t p = 0;

	CU_ASSERT_EQUAL(lh_sem_only_poster(p), 0);
	lh_sem_posted_by(&p, 7);
	lh_sem_posted_by(&p, 7);
	CU_ASSERT_EQUAL(lh_sem_only_poster(p), 7);
	lh_sem_posted_by(&p, 8);
	CU_ASSERT_EQUAL(lh_sem_only_poster(p), 0);
	lh_sem_posted_by(&p, 7);
	CU_ASSERT_EQUAL(p, LH_SEM_MANY_POSTERS);
}

/* ---- through edges.c, with a scripted log ---- */

static uint64_t locks_written[64];
static int n_locks_written;
struct seen_class {
	struct lh_rec_sem_class c;
	int n_locks_before;
};
static struct seen_class classes[16];
static int n_classes;
static struct lh_rec_edge edges[64];
static int n_edges;

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
	if (n_locks_written < (int)N_OF(locks_written))
		locks_written[n_locks_written++] = r->lock_id;
}

static void io_write_edge(struct lh_thread *t, const struct lh_rec_edge *e,
                          const struct lh_rec_gate *gates, int n_gates)
{
	(void)t;
	(void)gates;
	(void)n_gates;
	if (n_edges < (int)N_OF(edges))
		edges[n_edges++] = *e;
}

static uint64_t io_now(void)
{
	return 42;
}

static void io_write_sem_class(const struct lh_rec_sem_class *r)
{
	if (n_classes < (int)N_OF(classes)) {
		classes[n_classes].c = *r;
		classes[n_classes].n_locks_before = n_locks_written;
		n_classes++;
	}
}

static const struct lh_edge_io io = {
	.unwind = io_unwind,
	.stack_of = io_stack_of,
	.write_lock = io_write_lock,
	.write_edge = io_write_edge,
	.now_ns = io_now,
	.write_sem_class = io_write_sem_class,
};

static void fresh(void)
{
	lh_edge_after_fork_child();
	lh_log_epoch++;
	n_locks_written = n_classes = n_edges = 0;
	stub_reset();
}

static struct lh_thread *thread(uint32_t id)
{
	struct lh_thread *t = calloc(1, sizeof(*t));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	t->id = id;
	t->os_tid = (int)(2000 + id);
	return t;
}

static char arena[1 << 14] __attribute__((aligned(64)));
static size_t arena_used;

static void *new_addr(void)
{
	void *p = arena + arena_used;
	arena_used += 64;
	CU_ASSERT_FATAL(arena_used <= sizeof(arena));
	return p;
}

static void *new_sem(unsigned value)
{
	void *p = new_addr();
	lh_lid_new_sem(lh_lid_lookup((uintptr_t)p, 1), 0, 0, lh_sem_initial(1, value));
	return p;
}

static void *new_mutex(void)
{
	void *p = new_addr();
	lh_lid_new(lh_lid_lookup((uintptr_t)p, 1), LH_LOCK_MUTEX, 0, 0);
	return p;
}

static uint64_t id_of(struct lh_thread *t, void *l)
{
	return lh_lid_peek(lh_lid_get(t, l));
}

/* what core.c does when a wait on s succeeded */
static int sem_acquired(struct lh_thread *t, void *s, uintptr_t ra)
{
	struct lh_lock *lk = lh_lid_get(t, s);
	struct lh_acq a = { s, LH_LOCK_SEM, 0, 0, ra, 0x7000 };
	int why, r;

	lh_held_prune_sems(t);
	r = lh_sem_waited(&lk->sem_state, t->id, &why);
	if (r == LH_SEM_TAKE)
		lh_edge_acquired(&io, t, lk, lh_lid_peek(lk), &a);
	else if (r == LH_SEM_DEMOTED)
		lh_edge_sem_demoted(&io, lk, lh_lid_peek(lk));
	return r;
}

/* what core.c does before a post */
static int sem_posting(struct lh_thread *t, void *s)
{
	struct lh_lock *lk = lh_lid_get(t, s);
	int why, r = lh_sem_posting(&lk->sem_state, t->id, &why);

	if (r == LH_SEM_GIVE)
		lh_held_drop(t, s);
	else if (r == LH_SEM_DEMOTED)
		lh_edge_sem_demoted(&io, lk, lh_lid_peek(lk));
	return r;
}

static void mutex_acquired(struct lh_thread *t, void *m, uintptr_t ra)
{
	struct lh_lock *lk = lh_lid_get(t, m);
	struct lh_acq a = { m, LH_LOCK_MUTEX, 0, 0, ra, 0x7000 };
	lh_edge_acquired(&io, t, lk, lh_lid_id(lk, LH_LOCK_MUTEX, 0), &a);
}

/* ABBA through two binary semaphores: both orders are recorded as edges */
static void test_binary_sems_record_orders(void)
{
	struct lh_thread *t1 = thread(1), *t2 = thread(2);
	void *a = new_sem(1), *b = new_sem(1);

	fresh();
	CU_ASSERT_EQUAL(sem_acquired(t1, a, 0x11), LH_SEM_TAKE);
	CU_ASSERT_EQUAL(sem_acquired(t1, b, 0x12), LH_SEM_TAKE);
	CU_ASSERT_EQUAL(sem_posting(t1, b), LH_SEM_GIVE);
	CU_ASSERT_EQUAL(sem_posting(t1, a), LH_SEM_GIVE);
	CU_ASSERT_EQUAL(t1->n_held, 0);
	CU_ASSERT_EQUAL(sem_acquired(t2, b, 0x21), LH_SEM_TAKE);
	CU_ASSERT_EQUAL(sem_acquired(t2, a, 0x22), LH_SEM_TAKE);
	CU_ASSERT_EQUAL(n_edges, 2);
	CU_ASSERT_EQUAL(edges[0].from_lock, id_of(t1, a));
	CU_ASSERT_EQUAL(edges[0].to_lock, id_of(t1, b));
	CU_ASSERT_EQUAL(edges[1].from_lock, id_of(t1, b));
	CU_ASSERT_EQUAL(edges[1].to_lock, id_of(t1, a));
	CU_ASSERT_EQUAL(n_classes, 0); /* both are still locks */
	free(t1);
	free(t2);
}

/* a pool of 3 taken with a mutex held, and a mutex taken with a slot:
 * no order at all */
static void test_pool_adds_no_order(void)
{
	struct lh_thread *t1 = thread(1);
	void *pool = new_sem(3), *m = new_mutex();

	fresh();
	mutex_acquired(t1, m, 0x31);
	CU_ASSERT_EQUAL(sem_acquired(t1, pool, 0x32), LH_SEM_NOTHING);
	CU_ASSERT_EQUAL(t1->n_held, 1);
	CU_ASSERT_EQUAL(lh_held_release(t1, m), LH_REL_RELEASED);
	CU_ASSERT_EQUAL(sem_acquired(t1, pool, 0x33), LH_SEM_NOTHING);
	mutex_acquired(t1, m, 0x34);
	CU_ASSERT_EQUAL(n_edges, 0);
	free(t1);
}

/* S looked like a lock and an order S -> M was recorded; then another
 * thread posts S (a hand-off): the class record follows S's LOCK record,
 * and S leaves T1's held stack at its next look */
static void test_demotion_voids_recorded_orders(void)
{
	struct lh_thread *t1 = thread(1), *t2 = thread(2);
	void *s = new_sem(1), *m = new_mutex();
	uint64_t sid = id_of(t1, s);
	int i, lock_at = -1;

	fresh();
	CU_ASSERT_EQUAL(sem_acquired(t1, s, 0x41), LH_SEM_TAKE);
	mutex_acquired(t1, m, 0x42);
	CU_ASSERT_EQUAL_FATAL(n_edges, 1);
	CU_ASSERT_EQUAL(edges[0].from_lock, sid);
	CU_ASSERT_EQUAL(sem_posting(t2, s), LH_SEM_DEMOTED);
	CU_ASSERT_EQUAL_FATAL(n_classes, 1);
	CU_ASSERT_EQUAL(classes[0].c.lock_id, sid);
	CU_ASSERT_EQUAL(classes[0].c.thread_id, 2);
	CU_ASSERT_EQUAL(classes[0].c.why, LH_SEMW_POSTED_BY_OTHER);
	for (i = 0; i < n_locks_written; i++)
		if (locks_written[i] == sid)
			lock_at = i;
	CU_ASSERT_TRUE(lock_at >= 0 && lock_at < classes[0].n_locks_before);
	/* T1 still has the entry; pruning drops it and keeps the mutex */
	CU_ASSERT_EQUAL(t1->n_held, 2);
	CU_ASSERT_EQUAL(lh_held_prune_sems(t1), 1);
	CU_ASSERT_EQUAL(t1->n_held, 1);
	CU_ASSERT_PTR_EQUAL(t1->held[0].addr, m);
	free(t1);
	free(t2);
}

/* demoted before any edge named it: no record then; a stale entry that
 * later makes an edge writes the LOCK record and the class record at once */
static void test_class_follows_late_lock_record(void)
{
	struct lh_thread *t1 = thread(1), *t2 = thread(2);
	void *s = new_sem(1), *m = new_mutex();
	uint64_t sid = id_of(t1, s);

	fresh();
	CU_ASSERT_EQUAL(sem_acquired(t1, s, 0x51), LH_SEM_TAKE);
	CU_ASSERT_EQUAL(sem_posting(t2, s), LH_SEM_DEMOTED);
	CU_ASSERT_EQUAL(n_classes, 0);
	CU_ASSERT_EQUAL(n_locks_written, 0);
	mutex_acquired(t1, m, 0x52); /* a mutex wrapper does not prune */
	CU_ASSERT_EQUAL_FATAL(n_edges, 1);
	CU_ASSERT_EQUAL_FATAL(n_classes, 1);
	CU_ASSERT_EQUAL(classes[0].c.lock_id, sid);
	CU_ASSERT_EQUAL(locks_written[classes[0].n_locks_before - 1], sid);
	free(t1);
	free(t2);
}

/* a new identity at a held semaphore's address (sem_init again) ends
 * the old one's entry; the new one starts as its initial value says */
static void test_reinit_prunes_and_restarts(void)
{
	struct lh_thread *t1 = thread(1);
	void *s = new_sem(1);
	struct lh_lock *lk = lh_lid_get(t1, s);

	fresh();
	CU_ASSERT_EQUAL(sem_acquired(t1, s, 0x61), LH_SEM_TAKE);
	lh_lid_new_sem(lk, 0, 0, lh_sem_initial(1, 0));
	CU_ASSERT_FALSE(lh_sem_is_lock(__atomic_load_n(&lk->sem_state, __ATOMIC_RELAXED)));
	CU_ASSERT_EQUAL(lk->sem_posters, 0);
	CU_ASSERT_EQUAL(lh_held_prune_sems(t1), 1);
	CU_ASSERT_EQUAL(t1->n_held, 0);
	free(t1);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "initial classes", test_initial_classes },
		{ "lock: wait and post by the same thread", test_lock_wait_post_same_thread },
		{ "post by another thread demotes", test_post_by_other_thread },
		{ "post while free demotes", test_post_while_free },
		{ "second successful wait demotes", test_second_wait_succeeds },
		{ "holder blocking on it demotes", test_holder_blocks_on_it },
		{ "pool and signal never locks", test_pool_and_signal_never_locks },
		{ "failed waits are no events", test_failed_waits_are_no_events },
		{ "posters", test_posters },
		{ "binary semaphores record orders", test_binary_sems_record_orders },
		{ "pool adds no order", test_pool_adds_no_order },
		{ "demotion voids recorded orders", test_demotion_voids_recorded_orders },
		{ "class record follows a late lock record", test_class_follows_late_lock_record },
		{ "re-init prunes and restarts", test_reinit_prunes_and_restarts },
	};
	return cunit_run("semmodel", tests, N_OF(tests));
}
