/*
 * test_findings_joined.c - CUnit tests of fd_analyze_joined
 * (analyzer/findings.c): lock-order cycles that no single process formed,
 * across the logs of several processes, with locks joined by class (a
 * global by module and offset, any other lock by its init call's code
 * location), instance precision within one log, gates compared by class
 * across logs, and no second report of a cycle a single process formed.
 *
 * Each log is one process of one program (module /usr/bin/suite) loaded at
 * its own base, so offsets match where addresses do not.  Logs are built
 * in memory with tests/unit/logbuild.h.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "logbuild.h"
#include "logread.h"

#define EX LH_MODE_EXCL
#define SH LH_MODE_SHARED
#define MOD_SIZE 0x100000ull
#define HEAP 0x7e0000000000ull

static char err[1024];

/* A process of /usr/bin/suite loaded at base; stacks k = 1..16 have one
 * frame at offset k * 0x100 (a call site per stack, the same in every
 * process).  Threads 1 and 2 alive [100, 1000). */
static void process(struct lb *b, uint32_t pid, uint64_t base)
{
	struct lh_file_header h;
	uint32_t k;

	lb_default_header(&h);
	h.pid = pid;
	lb_init_hdr(b, &h);
	lb_process(b, "/usr/bin/suite", "suite", 6);
	lb_module(b, base, base, base + MOD_SIZE, NULL, 0, "/usr/bin/suite");
	for (k = 1; k <= 16; k++)
		lb_stack1(b, k, base + k * 0x100);
	lb_thread_life(b, 1, 100, 1000);
	lb_thread_life(b, 2, 100, 1000);
}

/* a global: at offset off of the module (no init call) */
static void global_lock(struct lb *b, uint64_t id, uint64_t base, uint64_t off)
{
	lb_lock_full(b, id, base + off, LH_LOCK_MUTEX, 0, LH_LOCKF_STATIC_INIT, 1);
}

/* a heap lock at addr, initialized at stack init_stack */
static void heap_lock(struct lb *b, uint64_t id, uint64_t addr, uint32_t init_stack)
{
	lb_lock_full(b, id, addr, LH_LOCK_MUTEX, init_stack, 0, 1);
}

struct two {
	struct lb b[3];
	struct lr_log *l[3];
	size_t n;
	struct fd_result res;
};

static void analyze(struct two *t, size_t n)
{
	const struct lr_log *logs[3];
	size_t i;

	memset(&t->res, 0, sizeof(t->res));
	t->n = n;
	for (i = 0; i < n; i++) {
		t->l[i] = lb_read(&t->b[i], err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(t->l[i]);
		CU_ASSERT_EQUAL(t->l[i]->n_errors, 0);
		fd_analyze(t->l[i], &t->res);
		logs[i] = t->l[i];
	}
	fd_analyze_joined(logs, n, &t->res, NULL);
}

static void done(struct two *t)
{
	size_t i;

	fd_result_free(&t->res);
	for (i = 0; i < t->n; i++) {
		lr_free(t->l[i]);
		lb_free(&t->b[i]);
	}
}

/* the cache lock (a global at offset 0x8000) and a db lock (heap, made at
 * stack 9): process 1 takes cache then db, process 2 db then cache */
static void build_cache_db(struct two *t, uint32_t db_init_2)
{
	uint64_t b1 = 0x555500000000ull, b2 = 0x561200000000ull;

	process(&t->b[0], 101, b1);
	global_lock(&t->b[0], 1, b1, 0x8000);
	heap_lock(&t->b[0], 2, HEAP + 0x40, 9);
	lb_edge(&t->b[0], 1, 2, 1, 1, 2, EX, EX, NULL, 0);

	/* other ids and addresses in process 2, same classes */
	process(&t->b[1], 202, b2);
	heap_lock(&t->b[1], 7, HEAP + 0x9000, db_init_2);
	global_lock(&t->b[1], 8, b2, 0x8000);
	lb_edge(&t->b[1], 7, 8, 2, 3, 4, EX, EX, NULL, 0);
}

static void test_cycle_across_two_processes(void)
{
	struct two t;
	const struct fd_finding *f;

	build_cache_db(&t, 9);
	analyze(&t, 2);
	CU_ASSERT_EQUAL_FATAL(t.res.n, 1);
	f = &t.res.f[0];
	CU_ASSERT_EQUAL(f->kind, FD_CYCLE);
	CU_ASSERT_EQUAL(f->n, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->edge_logs);
	CU_ASSERT_EQUAL(f->n_procs, 2);
	CU_ASSERT_EQUAL(f->single_thread, 0);
	CU_ASSERT_EQUAL(f->concurrent, 1);
	/* each edge and lock of its own log, ids as that log has them */
	for (size_t i = 0; i < 2; i++) {
		const struct lr_log *el = fd_edge_log(f, i);
		CU_ASSERT(el == t.l[0] || el == t.l[1]);
		CU_ASSERT(f->edges[i] >= el->edges && f->edges[i] < el->edges + el->n_edges);
		CU_ASSERT_EQUAL(f->edges[i]->from, f->locks[i]);
		CU_ASSERT_PTR_NOT_NULL(lr_lock(el, f->locks[i]));
	}
	CU_ASSERT(fd_edge_log(f, 0) != fd_edge_log(f, 1));
	done(&t);

	/* each process alone is clean */
	for (size_t i = 0; i < 2; i++) {
		build_cache_db(&t, 9);
		analyze(&t, 2);
		fd_result_free(&t.res);
		memset(&t.res, 0, sizeof(t.res));
		fd_analyze(t.l[i], &t.res);
		CU_ASSERT_EQUAL(t.res.n, 0);
		done(&t);
	}
}

/* heap locks of different classes (other init sites) never join */
static void test_other_init_site_no_cycle(void)
{
	struct two t;

	build_cache_db(&t, 10);
	analyze(&t, 2);
	CU_ASSERT_EQUAL(t.res.n, 0);
	done(&t);
}

/* a heap lock with no init call (zeroed memory, a C++ mutex) has no class */
static void test_unclassed_never_joined(void)
{
	struct two t;
	uint64_t b1 = 0x555500000000ull, b2 = 0x561200000000ull;

	process(&t.b[0], 101, b1);
	global_lock(&t.b[0], 1, b1, 0x8000);
	lb_lock(&t.b[0], 2, HEAP + 0x40, LH_LOCK_MUTEX, LH_LOCKF_STATIC_INIT);
	lb_edge(&t.b[0], 1, 2, 1, 1, 2, EX, EX, NULL, 0);
	process(&t.b[1], 202, b2);
	lb_lock(&t.b[1], 2, HEAP + 0x40, LH_LOCK_MUTEX, LH_LOCKF_STATIC_INIT);
	global_lock(&t.b[1], 1, b2, 0x8000);
	lb_edge(&t.b[1], 2, 1, 1, 3, 4, EX, EX, NULL, 0);
	analyze(&t, 2);
	CU_ASSERT_EQUAL(t.res.n, 0);
	done(&t);
}

/* Instance precision within a process: process 1 takes a1 -> b1 and
 * b2 -> c1 (two locks of class B), process 2 c -> a.  The class cycle
 * A -> B -> C -> A meets at B inside process 1 through two different
 * locks: not a cycle.  With process 1 taking b1 -> c1, it is. */
static void three_classes(struct two *t, uint64_t second_from)
{
	uint64_t b1 = 0x555500000000ull, b2 = 0x561200000000ull;

	process(&t->b[0], 101, b1);
	global_lock(&t->b[0], 1, b1, 0x1000);   /* a1 */
	heap_lock(&t->b[0], 2, HEAP + 0x40, 9); /* b1 */
	heap_lock(&t->b[0], 3, HEAP + 0x80, 9); /* b2: same class */
	global_lock(&t->b[0], 4, b1, 0x3000);   /* c1 */
	lb_edge(&t->b[0], 1, 2, 1, 1, 2, EX, EX, NULL, 0);
	lb_edge(&t->b[0], second_from, 4, 2, 3, 4, EX, EX, NULL, 0);
	process(&t->b[1], 202, b2);
	global_lock(&t->b[1], 1, b2, 0x3000);   /* c */
	global_lock(&t->b[1], 2, b2, 0x1000);   /* a */
	lb_edge(&t->b[1], 1, 2, 1, 5, 6, EX, EX, NULL, 0);
}

static void test_instance_precision_within_a_process(void)
{
	struct two t;

	three_classes(&t, 3);
	analyze(&t, 2);
	CU_ASSERT_EQUAL(t.res.n, 0);
	done(&t);

	three_classes(&t, 2);
	analyze(&t, 2);
	CU_ASSERT_EQUAL_FATAL(t.res.n, 1);
	CU_ASSERT_EQUAL(t.res.f[0].n, 3);
	CU_ASSERT_EQUAL(t.res.f[0].n_procs, 2);
	done(&t);
}

/* A gate of the same class in both processes keeps the halves apart, as
 * the same code in one process would; held for reading on both sides it
 * does not.  Gate ids differ between the processes (3 and 9), classes
 * (offset 0x9000) do not. */
static void gated_only(struct two *t, unsigned mode1, unsigned mode2)
{
	uint64_t b1 = 0x555500000000ull, b2 = 0x561200000000ull;
	struct lh_rec_gate g;

	memset(&g, 0, sizeof(g));
	process(&t->b[0], 101, b1);
	global_lock(&t->b[0], 1, b1, 0x8000);
	heap_lock(&t->b[0], 2, HEAP + 0x40, 9);
	global_lock(&t->b[0], 3, b1, 0x9000);
	g.lock_id = 3;
	g.mode = (uint16_t)mode1;
	lb_edge(&t->b[0], 1, 2, 1, 1, 2, EX, EX, &g, 1);
	process(&t->b[1], 202, b2);
	heap_lock(&t->b[1], 7, HEAP + 0x9000, 9);
	global_lock(&t->b[1], 8, b2, 0x8000);
	global_lock(&t->b[1], 9, b2, 0x9000);
	g.lock_id = 9;
	g.mode = (uint16_t)mode2;
	lb_edge(&t->b[1], 7, 8, 2, 3, 4, EX, EX, &g, 1);
}

static void test_gates_by_class_across_processes(void)
{
	struct two t;

	gated_only(&t, EX, EX);
	analyze(&t, 2);
	CU_ASSERT_EQUAL(t.res.n, 0);
	CU_ASSERT_EQUAL(t.res.n_infeasible, 1);
	done(&t);

	gated_only(&t, EX, SH);
	analyze(&t, 2);
	CU_ASSERT_EQUAL(t.res.n, 0);
	done(&t);

	gated_only(&t, SH, SH);
	analyze(&t, 2);
	CU_ASSERT_EQUAL(t.res.n, 1);
	CU_ASSERT_EQUAL(t.res.n_infeasible, 0);
	done(&t);
}

/* A cycle a single process formed with the same code is that process's
 * finding: not reported again across processes. */
static void test_formed_alone_not_repeated(void)
{
	struct two t;

	build_cache_db(&t, 9);
	/* process 2 also takes cache then db itself, at process 1's sites */
	lb_edge(&t.b[1], 8, 7, 1, 1, 2, EX, EX, NULL, 0);
	analyze(&t, 2);
	CU_ASSERT_EQUAL_FATAL(t.res.n, 1);
	CU_ASSERT_PTR_NULL(t.res.f[0].edge_logs);
	CU_ASSERT(t.res.f[0].log == t.l[1]);
	CU_ASSERT(t.res.n_formed_alone >= 1);
	done(&t);
}

/* Two processes of three: the third's unrelated locks change nothing,
 * and the finding names exactly the two. */
static void test_three_logs(void)
{
	struct two t;
	uint64_t b3 = 0x570000000000ull;

	build_cache_db(&t, 9);
	process(&t.b[2], 303, b3);
	global_lock(&t.b[2], 1, b3, 0x5000);
	global_lock(&t.b[2], 2, b3, 0x6000);
	lb_edge(&t.b[2], 1, 2, 1, 11, 12, EX, EX, NULL, 0);
	analyze(&t, 3);
	CU_ASSERT_EQUAL_FATAL(t.res.n, 1);
	CU_ASSERT_EQUAL(t.res.f[0].n_procs, 2);
	for (size_t i = 0; i < t.res.f[0].n; i++)
		CU_ASSERT(fd_edge_log(&t.res.f[0], i) != t.l[2]);
	done(&t);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "cycle across two processes", test_cycle_across_two_processes },
		{ "other init site: no cycle", test_other_init_site_no_cycle },
		{ "lock without class never joined", test_unclassed_never_joined },
		{ "instance precision within a process", test_instance_precision_within_a_process },
		{ "gates by class across processes", test_gates_by_class_across_processes },
		{ "formed by one process: not repeated", test_formed_alone_not_repeated },
		{ "three logs", test_three_logs },
	};
	return cunit_run("findings_joined", tests, sizeof(tests) / sizeof(tests[0]));
}
