/*
 * test_logread.c - CUnit tests for analyzer/logread.c: every record type
 * read back, duplicates, id lookups, unknown records, forward-compatible
 * record tails, truncation at every byte, corrupt sizes and counts, header
 * checks, reading from files, and a deterministic byte-flip fuzz (which
 * also runs fd_analyze on whatever the reader accepted).
 *
 * Logs are built in memory with tests/unit/logbuild.h.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "findings.h"
#include "logbuild.h"
#include "logread.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static char err[1024];

/* ---- round trip ---------------------------------------------------------- */

static void test_empty_log(void)
{
	struct lb b;
	struct lr_log *log;

	lb_init(&b);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->complete, 0);
	CU_ASSERT_EQUAL(log->n_modules + log->n_stacks + log->n_threads + log->n_locks +
	                        log->n_edges + log->n_findings + log->n_notes,
	                0);
	CU_ASSERT_STRING_EQUAL(log->path, "test.log");
	CU_ASSERT_EQUAL(log->hdr.pid, 4242);
	CU_ASSERT_EQUAL(log->hdr.ppid, 1);
	CU_ASSERT_EQUAL(log->hdr.start_realtime_ns, 1700000000000000000ull);
	CU_ASSERT_EQUAL(log->hdr.start_mono_ns, 1000);
	CU_ASSERT_STRING_EQUAL(log->hdr.tool_version, "0.1.0-test");
	CU_ASSERT_EQUAL(log->hdr.pointer_size, 8);
	lr_free(log);
	lb_free(&b);
}

static void test_round_trip(void)
{
	static const char args[] = "prog\0a\0b c"; /* 3 args, with final NUL: 11 bytes */
	static const uint8_t bid[20] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6,
		                         7,    8,    9,    10,   11, 12, 13, 14, 15, 16 };
	const uint64_t pcs[3] = { 0x401000, 0x401234, 0x7f0000001000ull };
	struct lh_rec_gate gates[2] = { { 77, LH_MODE_SHARED, 0 }, { 78, LH_MODE_EXCL, 0 } };
	struct lh_rec_edge e;
	struct lh_rec_finding f;
	struct lh_rec_finding_item items[2];
	struct lh_file_header h;
	struct lb b;
	struct lr_log *log;
	const struct lr_thread *t;
	const struct lr_lock *l;

	lb_default_header(&h);
	h.flags = LH_HDR_FORKED_CHILD;
	h.pid = 777;
	h.ppid = 776;
	lb_init_hdr(&b, &h);
	lb_process(&b, "/usr/bin/prog", args, sizeof(args));
	lb_module(&b, 0x400000, 0x400000, 0x500000, bid, sizeof(bid), "/usr/bin/prog");
	lb_module(&b, 0x7f0000000000ull, 0x7f0000000000ull, 0x7f0000100000ull, NULL, 0,
	          "/lib/libc.so.6");
	lb_stack(&b, 5, LH_STACK_FIRST_IS_PC | LH_STACK_TRUNCATED, pcs, 3);
	lb_thread_full(&b, 1, 0, 0, 9001, 111, "main");
	lb_thread_full(&b, 2, 1, 5, 9002, 222, "0123456789abcdef"); /* 16 chars, unterminated */
	lb_thread_end(&b, 2, 333);
	lb_thread_name(&b, 1, "renamed");
	lb_lock_full(&b, 10, 0x601040, LH_LOCK_MUTEX, 5, LH_LOCKF_RECURSIVE, 1);
	lb_lock_full(&b, 11, 0x601080, LH_LOCK_RWLOCK, 0, LH_LOCKF_STATIC_INIT | LH_LOCKF_WRITER_PREF,
	             3);
	memset(&e, 0, sizeof(e));
	e.from_lock = 10;
	e.to_lock = 11;
	e.thread_id = 2;
	e.from_stack = 5;
	e.to_stack = 6;
	e.from_mode = LH_MODE_EXCL;
	e.to_mode = LH_MODE_SHARED;
	e.flags = LH_EDGE_FROM_STACK_PARTIAL;
	e.n_gates = 2;
	e.time_ns = 123456789;
	lb_edge_rec(&b, &e, gates);
	memset(&f, 0, sizeof(f));
	memset(items, 0, sizeof(items));
	f.kind = LH_FIND_DEADLOCK;
	f.what = 3;
	f.thread_id = 2;
	f.stack_id = 5;
	f.lock_id = 11;
	f.time_ns = 444;
	f.n_items = 2;
	items[0].thread_id = 1;
	items[0].role = LH_ROLE_WAITS;
	items[0].lock_id = 10;
	items[0].stack_id = 5;
	items[0].stack2_id = 6;
	items[0].mode = LH_MODE_EXCL;
	items[1].thread_id = 2;
	items[1].role = LH_ROLE_JOINS;
	items[1].target_thread = 1;
	lb_finding(&b, &f, items);
	lb_note(&b, 1, "stack limit reached");
	lb_note(&b, 2, "second note");
	lb_end(&b, 999, 3);

	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_unknown_records, 0);
	CU_ASSERT_EQUAL(log->hdr.flags, LH_HDR_FORKED_CHILD);
	CU_ASSERT_EQUAL(log->hdr.pid, 777);
	CU_ASSERT_EQUAL(log->hdr.ppid, 776);

	/* process */
	CU_ASSERT_PTR_NOT_NULL_FATAL(log->exe);
	CU_ASSERT_STRING_EQUAL(log->exe, "/usr/bin/prog");
	CU_ASSERT_PTR_NOT_NULL_FATAL(log->cmdline);
	CU_ASSERT_STRING_EQUAL(log->cmdline, "prog a b c");

	/* modules */
	CU_ASSERT_EQUAL_FATAL(log->n_modules, 2);
	CU_ASSERT_EQUAL(log->modules[0].base, 0x400000);
	CU_ASSERT_EQUAL(log->modules[0].lo, 0x400000);
	CU_ASSERT_EQUAL(log->modules[0].hi, 0x500000);
	CU_ASSERT_STRING_EQUAL(log->modules[0].path, "/usr/bin/prog");
	CU_ASSERT_EQUAL(log->modules[0].build_id_len, 20);
	CU_ASSERT(memcmp(log->modules[0].build_id, bid, 20) == 0);
	CU_ASSERT_EQUAL(log->modules[1].base, 0x7f0000000000ull);
	CU_ASSERT_EQUAL(log->modules[1].hi, 0x7f0000100000ull);
	CU_ASSERT_EQUAL(log->modules[1].build_id_len, 0);
	CU_ASSERT_STRING_EQUAL(log->modules[1].path, "/lib/libc.so.6");

	/* stack */
	CU_ASSERT_EQUAL_FATAL(log->n_stacks, 1);
	CU_ASSERT_EQUAL(log->stacks[0].id, 5);
	CU_ASSERT_EQUAL(log->stacks[0].n, 3);
	CU_ASSERT_EQUAL(log->stacks[0].flags, LH_STACK_FIRST_IS_PC | LH_STACK_TRUNCATED);
	CU_ASSERT(memcmp(log->stacks[0].pcs, pcs, sizeof(pcs)) == 0);

	/* threads */
	CU_ASSERT_EQUAL_FATAL(log->n_threads, 2);
	t = lr_thread(log, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->id, 1);
	CU_ASSERT_EQUAL(t->parent, 0);
	CU_ASSERT_EQUAL(t->os_tid, 9001);
	CU_ASSERT_EQUAL(t->start_ns, 111);
	CU_ASSERT_EQUAL(t->end_ns, 0);
	CU_ASSERT_STRING_EQUAL(t->name, "renamed");
	t = lr_thread(log, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->parent, 1);
	CU_ASSERT_EQUAL(t->create_stack, 5);
	CU_ASSERT_EQUAL(t->os_tid, 9002);
	CU_ASSERT_EQUAL(t->start_ns, 222);
	CU_ASSERT_EQUAL(t->end_ns, 333);
	CU_ASSERT_STRING_EQUAL(t->name, "0123456789abcdef");
	CU_ASSERT_PTR_NULL(lr_thread(log, 3));

	/* locks */
	CU_ASSERT_EQUAL_FATAL(log->n_locks, 2);
	l = lr_lock(log, 10);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->addr, 0x601040);
	CU_ASSERT_EQUAL(l->kind, LH_LOCK_MUTEX);
	CU_ASSERT_EQUAL(l->init_stack, 5);
	CU_ASSERT_EQUAL(l->flags, LH_LOCKF_RECURSIVE);
	CU_ASSERT_EQUAL(l->generation, 1);
	l = lr_lock(log, 11);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->addr, 0x601080);
	CU_ASSERT_EQUAL(l->kind, LH_LOCK_RWLOCK);
	CU_ASSERT_EQUAL(l->init_stack, 0);
	CU_ASSERT_EQUAL(l->flags, LH_LOCKF_STATIC_INIT | LH_LOCKF_WRITER_PREF);
	CU_ASSERT_EQUAL(l->generation, 3);
	CU_ASSERT_PTR_NULL(lr_lock(log, 12));

	/* edge */
	CU_ASSERT_EQUAL_FATAL(log->n_edges, 1);
	CU_ASSERT_EQUAL(log->edges[0].from, 10);
	CU_ASSERT_EQUAL(log->edges[0].to, 11);
	CU_ASSERT_EQUAL(log->edges[0].thread, 2);
	CU_ASSERT_EQUAL(log->edges[0].from_stack, 5);
	CU_ASSERT_EQUAL(log->edges[0].to_stack, 6);
	CU_ASSERT_EQUAL(log->edges[0].from_mode, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(log->edges[0].to_mode, LH_MODE_SHARED);
	CU_ASSERT_EQUAL(log->edges[0].flags, LH_EDGE_FROM_STACK_PARTIAL);
	CU_ASSERT_EQUAL(log->edges[0].time_ns, 123456789);
	CU_ASSERT_EQUAL_FATAL(log->edges[0].n_gates, 2);
	CU_ASSERT_EQUAL(log->edges[0].gates[0].lock_id, 77);
	CU_ASSERT_EQUAL(log->edges[0].gates[0].mode, LH_MODE_SHARED);
	CU_ASSERT_EQUAL(log->edges[0].gates[1].lock_id, 78);
	CU_ASSERT_EQUAL(log->edges[0].gates[1].mode, LH_MODE_EXCL);

	/* finding */
	CU_ASSERT_EQUAL_FATAL(log->n_findings, 1);
	CU_ASSERT_EQUAL(log->findings[0].f.kind, LH_FIND_DEADLOCK);
	CU_ASSERT_EQUAL(log->findings[0].f.what, 3);
	CU_ASSERT_EQUAL(log->findings[0].f.thread_id, 2);
	CU_ASSERT_EQUAL(log->findings[0].f.stack_id, 5);
	CU_ASSERT_EQUAL(log->findings[0].f.lock_id, 11);
	CU_ASSERT_EQUAL(log->findings[0].f.time_ns, 444);
	CU_ASSERT_EQUAL_FATAL(log->findings[0].f.n_items, 2);
	CU_ASSERT(memcmp(log->findings[0].items, items, sizeof(items)) == 0);

	/* notes, end */
	CU_ASSERT_EQUAL_FATAL(log->n_notes, 2);
	CU_ASSERT_STRING_EQUAL(log->notes[0], "stack limit reached");
	CU_ASSERT_STRING_EQUAL(log->notes[1], "second note");
	CU_ASSERT_EQUAL(log->complete, 1);
	CU_ASSERT_EQUAL(log->end.end_ns, 999);
	CU_ASSERT_EQUAL(log->end.exit_status, 3);
	lr_free(log);
	lb_free(&b);
}

/* readers accept a payload larger than the struct they know */
static void test_record_tails_ignored(void)
{
	struct lh_rec_lock lk;
	struct lh_rec_thread th;
	struct lh_rec_end en;
	unsigned char tail[24];
	struct lb b;
	struct lr_log *log;

	memset(tail, 0xab, sizeof(tail));
	lb_init(&b);
	memset(&th, 0, sizeof(th));
	th.thread_id = 4;
	th.start_ns = 40;
	strcpy(th.name, "tailed");
	lb_rec3(&b, LH_REC_THREAD, &th, sizeof(th), tail, 8, NULL, 0);
	memset(&lk, 0, sizeof(lk));
	lk.lock_id = 9;
	lk.addr = 0x9000;
	lk.kind = LH_LOCK_SPIN;
	lk.generation = 2;
	lb_rec3(&b, LH_REC_LOCK, &lk, sizeof(lk), tail, sizeof(tail), NULL, 0);
	memset(&en, 0, sizeof(en));
	en.end_ns = 50;
	en.exit_status = -1;
	lb_rec3(&b, LH_REC_END, &en, sizeof(en), tail, 4, NULL, 0);
	lb_lock(&b, 10, 0xa000, LH_LOCK_MUTEX, 0); /* still read after the tails */

	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL_FATAL(log->n_threads, 1);
	CU_ASSERT_EQUAL(log->threads[0].id, 4);
	CU_ASSERT_EQUAL(log->threads[0].start_ns, 40);
	CU_ASSERT_STRING_EQUAL(log->threads[0].name, "tailed");
	CU_ASSERT_EQUAL_FATAL(log->n_locks, 2);
	CU_ASSERT_EQUAL(lr_lock(log, 9)->addr, 0x9000);
	CU_ASSERT_EQUAL(lr_lock(log, 9)->kind, LH_LOCK_SPIN);
	CU_ASSERT_EQUAL(lr_lock(log, 9)->generation, 2);
	CU_ASSERT_EQUAL(lr_lock(log, 10)->addr, 0xa000);
	CU_ASSERT_EQUAL(log->complete, 1);
	CU_ASSERT_EQUAL(log->end.exit_status, -1);
	lr_free(log);
	lb_free(&b);
}

/* ---- duplicates and lookups ----------------------------------------------- */

static void test_duplicate_lock_updates(void)
{
	struct lb b;
	struct lr_log *log;
	const struct lr_lock *l;

	lb_init(&b);
	lb_lock_full(&b, 5, 0x1000, LH_LOCK_MUTEX, 0, 0, 1);
	lb_lock_full(&b, 6, 0x2000, LH_LOCK_MUTEX, 0, 0, 1);
	lb_lock_full(&b, 5, 0x3000, LH_LOCK_RWLOCK, 7, LH_LOCKF_WRITER_PREF, 2);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_locks, 2);
	l = lr_lock(log, 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	CU_ASSERT_EQUAL(l->id, 5);
	CU_ASSERT_EQUAL(l->addr, 0x3000);
	CU_ASSERT_EQUAL(l->kind, LH_LOCK_RWLOCK);
	CU_ASSERT_EQUAL(l->init_stack, 7);
	CU_ASSERT_EQUAL(l->flags, LH_LOCKF_WRITER_PREF);
	CU_ASSERT_EQUAL(l->generation, 2);
	CU_ASSERT_EQUAL(lr_lock(log, 6)->addr, 0x2000);
	lr_free(log);
	lb_free(&b);
}

/* Many locks: the lock index grows several times (1024 slots at first, at
 * most half full) and every lock is still found after it, ids that differ
 * only in their high bits included; a repeated record after the growth
 * updates its lock in place. */
static void test_many_locks_index(void)
{
	const uint64_t n = 5000;
	struct lb b;
	struct lr_log *log;
	size_t bad = 0;

	lb_init(&b);
	for (uint64_t i = 1; i <= n; i++)
		lb_lock_full(&b, i << 40 | 0x10, 0x1000 + i, LH_LOCK_MUTEX, 0, 0, 1);
	lb_lock_full(&b, 3ull << 40 | 0x10, 0x9999, LH_LOCK_RWLOCK, 0, 0, 2);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_locks, n);
	for (uint64_t i = 1; i <= n; i++) {
		const struct lr_lock *l = lr_lock(log, i << 40 | 0x10);
		bad += !l || l->id != (i << 40 | 0x10) ||
		       l->addr != (i == 3 ? 0x9999 : 0x1000 + i);
		bad += lr_lock(log, i << 40) != NULL;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(lr_lock(log, 3ull << 40 | 0x10)->kind, LH_LOCK_RWLOCK);
	CU_ASSERT_EQUAL(lr_lock(log, 3ull << 40 | 0x10) - log->locks, 2);
	CU_ASSERT_PTR_NULL(lr_lock(log, (n + 1) << 40 | 0x10));
	lr_free(log);
	lb_free(&b);
}

static void test_lock_id_zero_rejected(void)
{
	struct lb b;
	struct lr_log *log;

	lb_init(&b);
	lb_lock(&b, 0, 0x1000, LH_LOCK_MUTEX, 0);
	lb_lock(&b, 1, 0x2000, LH_LOCK_MUTEX, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_locks, 1);
	CU_ASSERT_PTR_NULL(lr_lock(log, 0));
	CU_ASSERT_PTR_NOT_NULL(lr_lock(log, 1));
	CU_ASSERT_EQUAL(log->n_errors, 1);
	CU_ASSERT(lb_has_error(log, "lock id 0"));
	lr_free(log);
	lb_free(&b);
}

static void test_stack_lookup(void)
{
	struct lb b;
	struct lr_log *log;
	const struct lr_stack *s;
	uint64_t pcs[8];
	uint32_t id;

	lb_init(&b);
	/* ids out of order, sparse, one with no frames, one id 0 (= no stack) */
	for (id = 1; id <= 200; id++) {
		uint32_t sid = (id * 37u) % 1000u + 1u;
		uint32_t k, n = id % 5;
		for (k = 0; k < n; k++)
			pcs[k] = (uint64_t)sid * 0x100 + k;
		lb_stack(&b, sid, 0, pcs, n);
	}
	pcs[0] = 0xdead;
	lb_stack(&b, 0, 0, pcs, 1);
	/* the same id again after fork: the first one is kept */
	pcs[0] = 0xbad;
	lb_stack(&b, 38, 0, pcs, 1);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_stacks, 200);
	for (id = 1; id <= 200; id++) {
		uint32_t sid = (id * 37u) % 1000u + 1u;
		uint32_t k, n = id % 5;
		s = lr_stack(log, sid);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(s->id, sid);
		CU_ASSERT_EQUAL(s->n, n);
		for (k = 0; k < n && k < s->n; k++)
			CU_ASSERT_EQUAL(s->pcs[k], (uint64_t)sid * 0x100 + k);
	}
	s = lr_stack(log, 38); /* id 1 -> sid 38 */
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->n, 1);
	CU_ASSERT_EQUAL(s->pcs[0], 38 * 0x100);
	CU_ASSERT_PTR_NULL(lr_stack(log, 0));
	CU_ASSERT_PTR_NULL(lr_stack(log, 2));
	CU_ASSERT_PTR_NULL(lr_stack(log, 100000));
	lr_free(log);
	lb_free(&b);
}

static void test_thread_end_and_name(void)
{
	struct lb b;
	struct lr_log *log;
	const struct lr_thread *t;

	lb_init(&b);
	lb_thread_full(&b, 1, 0, 0, 100, 10, "main");
	lb_thread_full(&b, 2, 1, 0, 101, 20, NULL);
	lb_thread_end(&b, 2, 25);
	lb_thread_end(&b, 1, 0);       /* end_ns 0 still means "ended" */
	lb_thread_end(&b, 9, 30);      /* unknown thread: ignored */
	lb_thread_name(&b, 9, "ghost"); /* unknown thread: ignored */
	lb_thread_name(&b, 2, "worker");
	lb_thread_name(&b, 2, "fedcba9876543210"); /* renamed again, 16 chars */
	lb_thread_full(&b, 3, 1, 0, 102, 40, "third");
	lb_thread_full(&b, 3, 1, 0, 202, 50, "forked"); /* re-registered */
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_threads, 3);
	t = lr_thread(log, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_NOT_EQUAL(t->end_ns, 0);
	CU_ASSERT_STRING_EQUAL(t->name, "main");
	t = lr_thread(log, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->start_ns, 20);
	CU_ASSERT_EQUAL(t->end_ns, 25);
	CU_ASSERT_STRING_EQUAL(t->name, "fedcba9876543210");
	t = lr_thread(log, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(t->os_tid, 202);
	CU_ASSERT_EQUAL(t->start_ns, 50);
	CU_ASSERT_STRING_EQUAL(t->name, "forked");
	CU_ASSERT_PTR_NULL(lr_thread(log, 9));
	lr_free(log);
	lb_free(&b);
}

static void lb_sem_class(struct lb *b, uint64_t lock, uint32_t thread, uint32_t why)
{
	struct lh_rec_sem_class c;

	memset(&c, 0, sizeof(c));
	c.lock_id = lock;
	c.thread_id = thread;
	c.why = why;
	lb_rec(b, LH_REC_SEM_CLASS, &c, sizeof(c));
}

/* A semaphore declared no lock loses its edges, those before the record
 * and after it, and its place in gate sets; other edges stay. */
static void test_sem_class_voids_edges(void)
{
	struct lh_rec_gate g[2];
	struct lb b;
	struct lr_log *log;

	memset(g, 0, sizeof(g));
	lb_init(&b);
	lb_thread(&b, 1, 100);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	lb_lock(&b, 2, 0x2000, LH_LOCK_MUTEX, 0);
	lb_lock(&b, 3, 0x3000, LH_LOCK_SEM, 0); /* demoted below */
	lb_lock(&b, 4, 0x4000, LH_LOCK_SEM, 0); /* stays a lock */
	lb_edge(&b, 3, 1, 1, 0, 0, LH_MODE_EXCL, LH_MODE_EXCL, NULL, 0);
	g[0].lock_id = 3;
	g[1].lock_id = 4;
	lb_edge(&b, 1, 2, 1, 0, 0, LH_MODE_EXCL, LH_MODE_EXCL, g, 2);
	lb_sem_class(&b, 3, 1, LH_SEMW_POSTED_BY_OTHER);
	lb_sem_class(&b, 3, 1, LH_SEMW_POSTED_BY_OTHER); /* repeated: as once */
	lb_edge(&b, 2, 3, 1, 0, 0, LH_MODE_EXCL, LH_MODE_EXCL, NULL, 0);
	lb_edge(&b, 4, 2, 1, 0, 0, LH_MODE_EXCL, LH_MODE_EXCL, NULL, 0);
	lb_lock(&b, 3, 0x3000, LH_LOCK_SEM, 0); /* written again: still no lock */
	lb_end(&b, 77, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_void_sem_edges, 2);
	CU_ASSERT_EQUAL_FATAL(log->n_edges, 2);
	CU_ASSERT_EQUAL(log->edges[0].from, 1);
	CU_ASSERT_EQUAL(log->edges[0].to, 2);
	CU_ASSERT_EQUAL_FATAL(log->edges[0].n_gates, 1);
	CU_ASSERT_EQUAL(log->edges[0].gates[0].lock_id, 4);
	CU_ASSERT_EQUAL(log->edges[1].from, 4);
	CU_ASSERT_EQUAL(lr_lock(log, 3)->not_lock_why, LH_SEMW_POSTED_BY_OTHER);
	CU_ASSERT_EQUAL(lr_lock(log, 4)->not_lock_why, 0);
	lr_free(log);
	lb_free(&b);
}

/* a sem-class record about a lock the log does not have, or one that is
 * no semaphore, is corrupt: an error, and nothing is dropped */
static void test_sem_class_bad_reference(void)
{
	struct lb b;
	struct lr_log *log;

	lb_init(&b);
	lb_thread(&b, 1, 100);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	lb_lock(&b, 2, 0x2000, LH_LOCK_MUTEX, 0);
	lb_edge(&b, 1, 2, 1, 0, 0, LH_MODE_EXCL, LH_MODE_EXCL, NULL, 0);
	lb_sem_class(&b, 1, 1, LH_SEMW_POSTED_FREE);
	lb_sem_class(&b, 9, 1, LH_SEMW_POSTED_FREE);
	lb_end(&b, 77, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 2);
	CU_ASSERT_TRUE(lb_has_error(log, "sem-class record at byte"));
	CU_ASSERT_EQUAL(log->n_edges, 1);
	CU_ASSERT_EQUAL(log->n_void_sem_edges, 0);
	lr_free(log);
	lb_free(&b);
}

/* Format 4: an edge context and the pair records that refer to it read as
 * whole edges (the context's thread, stacks, modes, flags and time, no
 * gates), in log order among whole edge records; a pair before its
 * context, or with an unknown context, a context id 0 and a short pair are
 * corrupt and drop nothing else; a context written again replaces it. */
static void test_edge_pairs(void)
{
	struct lh_rec_edge_ctx c;
	struct lh_rec_edge_pair p;
	struct lb b;
	struct lr_log *log;

	lb_init(&b);
	lb_thread(&b, 3, 100);
	lb_stack1(&b, 5, 0x1234);
	lb_stack1(&b, 6, 0x5678);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	lb_lock(&b, 2, 0x2000, LH_LOCK_MUTEX, 0);
	lb_lock(&b, 3, 0x3000, LH_LOCK_RWLOCK, 0);
	p.ctx_id = 7; /* before its context */
	p.from_lock = 1;
	p.to_lock = 2;
	lb_rec(&b, LH_REC_EDGE_PAIR, &p, sizeof(p));
	memset(&c, 0, sizeof(c));
	c.ctx_id = 7;
	c.thread_id = 3;
	c.from_stack = 5;
	c.to_stack = 6;
	c.from_mode = LH_MODE_EXCL;
	c.to_mode = LH_MODE_SHARED;
	c.flags = LH_EDGE_FROM_STACK_PARTIAL;
	c.time_ns = 4242;
	lb_rec(&b, LH_REC_EDGE_CTX, &c, sizeof(c));
	lb_rec(&b, LH_REC_EDGE_PAIR, &p, sizeof(p));
	lb_edge(&b, 2, 3, 3, 0, 0, LH_MODE_EXCL, LH_MODE_EXCL, NULL, 0);
	p.from_lock = 2;
	p.to_lock = 3;
	lb_rec(&b, LH_REC_EDGE_PAIR, &p, sizeof(p));
	lb_rec(&b, LH_REC_EDGE_PAIR, &p, sizeof(p) - 1); /* short */
	p.ctx_id = 8; /* never defined */
	lb_rec(&b, LH_REC_EDGE_PAIR, &p, sizeof(p));
	c.ctx_id = 0;
	lb_rec(&b, LH_REC_EDGE_CTX, &c, sizeof(c));
	c.ctx_id = 7; /* again (a new log's first record of it): replaces */
	c.thread_id = 1;
	lb_rec(&b, LH_REC_EDGE_CTX, &c, sizeof(c));
	p.ctx_id = 7;
	p.from_lock = 1;
	p.to_lock = 3;
	lb_rec(&b, LH_REC_EDGE_PAIR, &p, sizeof(p));
	lb_end(&b, 77, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 4);
	CU_ASSERT_TRUE(lb_has_error(log, "edge-pair record at byte"));
	CU_ASSERT_TRUE(lb_has_error(log, "context 8 is not defined"));
	CU_ASSERT_TRUE(lb_has_error(log, "edge-context record at byte"));
	CU_ASSERT_EQUAL_FATAL(log->n_edges, 4);
	CU_ASSERT_EQUAL(log->edges[0].from, 1);
	CU_ASSERT_EQUAL(log->edges[0].to, 2);
	CU_ASSERT_EQUAL(log->edges[0].thread, 3);
	CU_ASSERT_EQUAL(log->edges[0].from_stack, 5);
	CU_ASSERT_EQUAL(log->edges[0].to_stack, 6);
	CU_ASSERT_EQUAL(log->edges[0].from_mode, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(log->edges[0].to_mode, LH_MODE_SHARED);
	CU_ASSERT_EQUAL(log->edges[0].flags, LH_EDGE_FROM_STACK_PARTIAL);
	CU_ASSERT_EQUAL(log->edges[0].time_ns, 4242);
	CU_ASSERT_EQUAL(log->edges[0].n_gates, 0);
	CU_ASSERT_PTR_NULL(log->edges[0].gates);
	CU_ASSERT_EQUAL(log->edges[1].from, 2); /* the whole record, in order */
	CU_ASSERT_EQUAL(log->edges[1].to_mode, LH_MODE_EXCL);
	CU_ASSERT_EQUAL(log->edges[2].from, 2);
	CU_ASSERT_EQUAL(log->edges[2].to, 3);
	CU_ASSERT_EQUAL(log->edges[2].thread, 3);
	CU_ASSERT_EQUAL(log->edges[3].from, 1);
	CU_ASSERT_EQUAL(log->edges[3].to, 3);
	CU_ASSERT_EQUAL(log->edges[3].thread, 1);
	lr_free(log);
	lb_free(&b);
}

/* ---- format 5: class maps ---- */

/* one class-map segment of `rows` rows of `from` bits, its bitmap at
 * payload offset bits_off (the shim pads to a page of the file) */
static void lb_cls_map(struct lb *b, uint32_t ctx, uint32_t from_cls, uint32_t to_cls, uint32_t row0,
                       uint32_t rows, uint32_t from, uint32_t bits_off, const unsigned char *bits,
                       size_t cut)
{
	struct lh_rec_cls_map r;
	size_t n = bits_off + (size_t)rows * from / 8;
	unsigned char *pl = calloc(1, n + sizeof(r));

	CU_ASSERT_PTR_NOT_NULL_FATAL(pl);
	memset(&r, 0, sizeof(r));
	r.ctx_id = ctx;
	r.from_cls = from_cls;
	r.to_cls = to_cls;
	r.row0 = row0;
	r.n_rows = rows;
	r.n_from = from;
	r.bits_off = bits_off;
	memcpy(pl, &r, sizeof(r));
	if (bits)
		memcpy(pl + bits_off, bits, (size_t)rows * from / 8);
	lb_rec(b, LH_REC_CLS_MAP, pl, n - cut);
	free(pl);
}

static void lb_member(struct lb *b, uint32_t cls, uint32_t idx, uint64_t lock_id)
{
	struct lh_rec_cls_member m = { cls, idx, lock_id };
	lb_rec(b, LH_REC_CLS_MEMBER, &m, sizeof(m));
}

static int edge_cmp(const void *x, const void *y)
{
	const struct lr_edge *a = x, *b = y;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	return (a->thread > b->thread) - (a->thread < b->thread);
}

/* the same scripted orders written as format 4 (a context and its pair
 * records) and as format 5 (the context, member records and a map whose
 * bits are the orders) */
#define SC_FROM 8  /* members of the held class (locks 100..) */
#define SC_TO 20   /* members of the acquired class (locks 200..) */
static struct lb scripted_log(int fmt5)
{
	static const int orders[][2] = { { 0, 0 }, { 1, 0 }, { 7, 3 }, { 2, 17 }, { 7, 19 }, { 0, 16 } };
	struct lh_rec_edge_ctx c;
	unsigned char bits[2][16 * SC_FROM / 8];
	struct lb b;
	size_t k;
	int i;

	memset(bits, 0, sizeof(bits));
	lb_init(&b);
	lb_thread(&b, 4, 100);
	lb_stack1(&b, 5, 0x1234);
	lb_stack1(&b, 6, 0x5678);
	memset(&c, 0, sizeof(c));
	c.ctx_id = 9;
	c.thread_id = 4;
	c.from_stack = 5;
	c.to_stack = 6;
	c.to_mode = LH_MODE_SHARED;
	c.time_ns = 777;
	lb_rec(&b, LH_REC_EDGE_CTX, &c, sizeof(c));
	for (i = 0; i < SC_FROM; i++)
		lb_lock(&b, 100 + (uint64_t)i, 0x1000 + 64 * (uint64_t)i, LH_LOCK_MUTEX, 0);
	for (i = 0; i < SC_TO; i++)
		lb_lock(&b, 200 + (uint64_t)i, 0x9000 + 64 * (uint64_t)i, LH_LOCK_RWLOCK, 0);
	for (k = 0; k < N_OF(orders); k++) {
		int f = orders[k][0], t = orders[k][1];
		if (fmt5) {
			bits[t / 16][((t % 16) * SC_FROM + f) / 8] |= (unsigned char)(1u << (f % 8));
		} else {
			struct lh_rec_edge_pair p = { 9, 100 + (uint32_t)f, 200 + (uint32_t)t };
			lb_rec(&b, LH_REC_EDGE_PAIR, &p, sizeof(p));
		}
	}
	if (fmt5) {
		/* two segments of 16 rows, the second before some members */
		lb_cls_map(&b, 9, 1, 2, 0, 16, SC_FROM, 4096 - 8, bits[0], 0);
		for (i = 0; i < SC_FROM; i++)
			lb_member(&b, 1, (uint32_t)i, 100 + (uint64_t)i);
		lb_cls_map(&b, 9, 1, 2, 16, 16, SC_FROM, sizeof(struct lh_rec_cls_map), bits[1], 0);
		for (i = 0; i < SC_TO; i++)
			lb_member(&b, 2, (uint32_t)i, 200 + (uint64_t)i);
	}
	lb_end(&b, 888, 0);
	return b;
}

/* Format 5: a class map's bits read as exactly the edges the pair records
 * of the same orders give (thread, stacks, modes, time of the context) */
static void test_cls_maps_as_pairs(void)
{
	struct lb b4 = scripted_log(0), b5 = scripted_log(1);
	struct lr_log *l4 = lb_read(&b4, err, sizeof(err)), *l5;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(l4);
	l5 = lb_read(&b5, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(l5);
	CU_ASSERT_EQUAL(l4->n_errors, 0);
	CU_ASSERT_EQUAL(l5->n_errors, 0);
	CU_ASSERT_EQUAL(l4->n_unknown_records, 0);
	CU_ASSERT_EQUAL(l5->n_unknown_records, 0);
	CU_ASSERT_EQUAL_FATAL(l4->n_edges, 6);
	CU_ASSERT_EQUAL_FATAL(l5->n_edges, l4->n_edges);
	qsort(l4->edges, l4->n_edges, sizeof(l4->edges[0]), edge_cmp);
	qsort(l5->edges, l5->n_edges, sizeof(l5->edges[0]), edge_cmp);
	for (i = 0; i < l4->n_edges; i++) {
		const struct lr_edge *a = &l4->edges[i], *e = &l5->edges[i];
		CU_ASSERT(a->from == e->from && a->to == e->to && a->thread == e->thread &&
		          a->from_stack == e->from_stack && a->to_stack == e->to_stack &&
		          a->from_mode == e->from_mode && a->to_mode == e->to_mode &&
		          a->flags == e->flags && a->time_ns == e->time_ns && e->n_gates == 0);
	}
	CU_ASSERT_EQUAL(l5->edges[0].thread, 4);
	CU_ASSERT_EQUAL(l5->edges[0].to_mode, LH_MODE_SHARED);
	lr_free(l4);
	lr_free(l5);
	lb_free(&b4);
	lb_free(&b5);
}

/* Format 5's bounds: a map one byte short of its bitmap, or longer, is
 * corrupt and the exact one kept; a map before its context, or in a
 * context with gates, bad sizes and offsets, a bit whose member has no
 * record (one error per map), a member of an unknown lock: one-line errors,
 * the rest of the log read. */
static void test_cls_map_bounds(void)
{
	struct lh_rec_edge_ctx c;
	unsigned char bits[256] = { 0x03, 0x80 }; /* (0,0), (1,0), (7,1) */
	struct lb b;
	struct lr_log *log;
	uint32_t g = 0;

	lb_init(&b);
	lb_thread(&b, 2, 100);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	lb_lock(&b, 2, 0x2000, LH_LOCK_MUTEX, 0);
	lb_lock(&b, 3, 0x3000, LH_LOCK_MUTEX, 0);
	lb_cls_map(&b, 3, 1, 2, 0, 2, 8, sizeof(struct lh_rec_cls_map), bits, 0); /* before its context */
	memset(&c, 0, sizeof(c));
	c.ctx_id = 3;
	c.thread_id = 2;
	lb_rec(&b, LH_REC_EDGE_CTX, &c, sizeof(c));
	c.ctx_id = 4;
	c.n_gates = 1;
	lb_rec3(&b, LH_REC_EDGE_CTX, &c, sizeof(c), &g, sizeof(g), NULL, 0);
	lb_cls_map(&b, 4, 1, 2, 0, 2, 8, sizeof(struct lh_rec_cls_map), bits, 0); /* gated context */
	lb_cls_map(&b, 3, 1, 2, 0, 2, 8, sizeof(struct lh_rec_cls_map), bits, 1); /* one short */
	lb_cls_map(&b, 3, 1, 2, 0, 2, 12, sizeof(struct lh_rec_cls_map), bits, 0); /* 12 bits a row */
	lb_cls_map(&b, 3, 1, 2, 0, 0, 8, sizeof(struct lh_rec_cls_map), bits, 0); /* no rows */
	lb_cls_map(&b, 3, 1, 2, 0, 16, 64, 4, bits, 0); /* bitmap inside the fixed part */
	lb_cls_map(&b, 3, 1, 2, UINT32_MAX, 2, 8, sizeof(struct lh_rec_cls_map), bits, 0); /* past 2^32 */
	{
		/* one byte longer than its bitmap */
		unsigned char pl[sizeof(struct lh_rec_cls_map) + 3] = { 0 };
		struct lh_rec_cls_map r = { 3, 1, 2, 0, 2, 8, sizeof(struct lh_rec_cls_map), 0 };
		memcpy(pl, &r, sizeof(r));
		lb_rec(&b, LH_REC_CLS_MAP, pl, sizeof(pl));
	}
	lb_cls_map(&b, 3, 1, 2, 0, 2, 8, sizeof(struct lh_rec_cls_map), bits, 0); /* exact: kept */
	lb_member(&b, 1, 0, 1);
	lb_member(&b, 1, 1, 2);
	lb_member(&b, 2, 0, 3);
	lb_member(&b, 2, 5, 99); /* lock 99 is not in the log */
	lb_end(&b, 77, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 10);
	CU_ASSERT_TRUE(lb_has_error(log, "context 3 is not defined before it"));
	CU_ASSERT_TRUE(lb_has_error(log, "context 4 is not defined before it without gates"));
	CU_ASSERT_TRUE(lb_has_error(log, "need"));
	CU_ASSERT_TRUE(lb_has_error(log, "its bitmap ends at"));
	CU_ASSERT_TRUE(lb_has_error(log, "rows of 12 bits"));
	CU_ASSERT_TRUE(lb_has_error(log, "lock 99 is not defined"));
	/* the kept map: (0,0) and (1,0); bit (7,1) names member 7 of class 1 */
	CU_ASSERT_TRUE(lb_has_error(log, "names member 7 of class 1"));
	CU_ASSERT_EQUAL_FATAL(log->n_edges, 2);
	CU_ASSERT_EQUAL(log->edges[0].from, 1);
	CU_ASSERT_EQUAL(log->edges[0].to, 3);
	CU_ASSERT_EQUAL(log->edges[1].from, 2);
	CU_ASSERT_EQUAL(log->edges[1].to, 3);
	CU_ASSERT_EQUAL(log->edges[1].thread, 2);
	lr_free(log);
	lb_free(&b);
}

/* Format 5, class tuples: a bit stands for an acquisition's orders under
 * gates, read as exactly the edges (gates and their modes included) the
 * pair records of the same orders give; a tuple whose contexts are not
 * defined with its gates, bad participants, one byte short, and a bit
 * naming a member without a record are errors. */
static void test_cls_tuples(void)
{
	struct lb b4, b5;
	struct lr_log *l4, *l5;
	struct lh_rec_edge_ctx c;
	uint32_t gmode = LH_MODE_SHARED;
	size_t i;
	int f;

	for (f = 0; f < 2; f++) {
		struct lb *b = f ? &b5 : &b4;
		lb_init(b);
		lb_thread(b, 4, 100);
		lb_lock(b, 1, 0x1000, LH_LOCK_RWLOCK, 0); /* member 0 of class 7 */
		for (i = 0; i < 4; i++)
			lb_lock(b, 10 + i, 0x2000 + 64 * i, LH_LOCK_MUTEX, 0); /* class 8 */
		for (i = 0; i < 3; i++)
			lb_lock(b, 20 + i, 0x3000 + 64 * i, LH_LOCK_MUTEX, 0); /* class 9 */
		memset(&c, 0, sizeof(c));
		c.thread_id = 4;
		c.n_gates = 1;
		c.ctx_id = 5; /* 1 -> lru, gate item */
		c.from_mode = LH_MODE_SHARED;
		gmode = LH_MODE_EXCL;
		lb_rec3(b, LH_REC_EDGE_CTX, &c, sizeof(c), &gmode, sizeof(gmode), NULL, 0);
		c.ctx_id = 6; /* item -> lru, gate 1 (shared) */
		c.from_mode = LH_MODE_EXCL;
		c.from_stack = 0;
		gmode = LH_MODE_SHARED;
		lb_rec3(b, LH_REC_EDGE_CTX, &c, sizeof(c), &gmode, sizeof(gmode), NULL, 0);
		if (!f) {
			static const uint32_t ord[][2] = { { 11, 21 }, { 13, 22 }, { 12, 21 } };
			for (i = 0; i < N_OF(ord); i++) {
				struct lh_rec_edge_pair p1 = { 5, 1, ord[i][1] }, p2 = { 6, ord[i][0], ord[i][1] };
				uint32_t g1 = ord[i][0], g2 = 1;
				lb_rec3(b, LH_REC_EDGE_PAIR, &p1, sizeof(p1), &g1, sizeof(g1), NULL, 0);
				lb_rec3(b, LH_REC_EDGE_PAIR, &p2, sizeof(p2), &g2, sizeof(g2), NULL, 0);
			}
		} else {
			/* participants: 1 (pinned), item (columns), lru (rows) */
			unsigned char pl[sizeof(struct lh_rec_cls_tuple) + 16 * 8 / 8 + 8];
			struct lh_rec_cls_tuple r;
			size_t boff = sizeof(r) + 8;
			memset(pl, 0, sizeof(pl));
			memset(&r, 0, sizeof(r));
			r.n_part = 3;
			r.col_part = 1;
			r.row_part = 2;
			r.n_rows = 16;
			r.n_from = 8;
			r.bits_off = (uint32_t)boff;
			r.cls[0] = 7;
			r.cls[1] = 8;
			r.cls[2] = 9;
			r.ctx_id[0] = 5;
			r.ctx_id[1] = 6;
			memcpy(pl, &r, sizeof(r));
			pl[boff + 1] |= 1u << 1; /* (item 1, lru 1) */
			pl[boff + 2] |= 1u << 3; /* (item 3, lru 2) */
			pl[boff + 1] |= 1u << 2; /* (item 2, lru 1) */
			lb_rec(b, LH_REC_CLS_TUPLE, pl, sizeof(pl) - 1); /* one short */
			lb_rec(b, LH_REC_CLS_TUPLE, pl, sizeof(pl));
			r.row_part = 1; /* the same participant twice */
			memcpy(pl, &r, sizeof(r));
			lb_rec(b, LH_REC_CLS_TUPLE, pl, sizeof(pl));
			r.row_part = 2;
			r.ctx_id[1] = 3; /* not defined */
			memcpy(pl, &r, sizeof(r));
			lb_rec(b, LH_REC_CLS_TUPLE, pl, sizeof(pl));
			lb_member(b, 7, 0, 1);
			for (i = 0; i < 4; i++)
				lb_member(b, 8, (uint32_t)i, 10 + i);
			for (i = 0; i < 3; i++)
				lb_member(b, 9, (uint32_t)i, 20 + i);
		}
		lb_end(b, 99, 0);
	}
	l4 = lb_read(&b4, err, sizeof(err));
	l5 = lb_read(&b5, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(l4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l5);
	CU_ASSERT_EQUAL(l4->n_errors, 0);
	CU_ASSERT_EQUAL(l5->n_errors, 3);
	CU_ASSERT_TRUE(lb_has_error(l5, "need"));
	CU_ASSERT_TRUE(lb_has_error(l5, "3 participants (1, 1)"));
	CU_ASSERT_TRUE(lb_has_error(l5, "context 3 is not defined before it with 1 gates"));
	CU_ASSERT_EQUAL_FATAL(l4->n_edges, 6);
	CU_ASSERT_EQUAL_FATAL(l5->n_edges, 6);
	qsort(l4->edges, l4->n_edges, sizeof(l4->edges[0]), edge_cmp);
	qsort(l5->edges, l5->n_edges, sizeof(l5->edges[0]), edge_cmp);
	for (i = 0; i < 6; i++) {
		const struct lr_edge *a = &l4->edges[i], *e = &l5->edges[i];
		CU_ASSERT(a->from == e->from && a->to == e->to && a->thread == e->thread &&
		          a->from_mode == e->from_mode && a->n_gates == 1 && e->n_gates == 1 &&
		          a->gates[0].lock_id == e->gates[0].lock_id &&
		          a->gates[0].mode == e->gates[0].mode);
	}
	lr_free(l4);
	lr_free(l5);
	/* LR_MAX_EDGES, lowered: a tuple's bits stop at it, for pair records
	 * and tuples alike, with one error each */
	lr_max_edges = 3;
	l4 = lb_read(&b4, err, sizeof(err));
	l5 = lb_read(&b5, err, sizeof(err));
	lr_max_edges = LR_MAX_EDGES;
	CU_ASSERT_PTR_NOT_NULL_FATAL(l4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l5);
	CU_ASSERT_EQUAL(l4->n_edges, 3);
	CU_ASSERT_EQUAL(l5->n_edges, 3);
	CU_ASSERT_EQUAL(l4->n_errors, 1);
	CU_ASSERT_EQUAL(l5->n_errors, 4);
	CU_ASSERT_TRUE(lb_has_error(l4, "more than LR_MAX_EDGES (3) lock orders"));
	CU_ASSERT_TRUE(lb_has_error(l5, "more than LR_MAX_EDGES (3) lock orders"));
	lr_free(l4);
	lr_free(l5);
	lb_free(&b4);
	lb_free(&b5);
}

/* LR_MAX_EDGES, lowered: the orders of pair records and of class maps are
 * read up to it, then one error says the rest were not; below it nothing
 * is lost and no error */
static void test_edge_limit(void)
{
	struct lb b4 = scripted_log(0), b5 = scripted_log(1);
	struct lr_log *l4, *l5;

	lr_max_edges = 4;
	l4 = lb_read(&b4, err, sizeof(err));
	l5 = lb_read(&b5, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(l4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l5);
	CU_ASSERT_EQUAL(l4->n_edges, 4);
	CU_ASSERT_EQUAL(l5->n_edges, 4);
	CU_ASSERT_EQUAL(l4->n_errors, 1);
	CU_ASSERT_EQUAL(l5->n_errors, 1);
	CU_ASSERT_TRUE(lb_has_error(l4, "more than LR_MAX_EDGES (4) lock orders; the rest were not read"));
	CU_ASSERT_TRUE(lb_has_error(l5, "more than LR_MAX_EDGES (4) lock orders; the rest were not read"));
	lr_free(l4);
	lr_free(l5);
	lr_max_edges = 6; /* exactly the log's orders */
	l4 = lb_read(&b4, err, sizeof(err));
	l5 = lb_read(&b5, err, sizeof(err));
	lr_max_edges = LR_MAX_EDGES;
	CU_ASSERT_PTR_NOT_NULL_FATAL(l4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(l5);
	CU_ASSERT_EQUAL(l4->n_edges, 6);
	CU_ASSERT_EQUAL(l5->n_edges, 6);
	CU_ASSERT_EQUAL(l4->n_errors, 0);
	CU_ASSERT_EQUAL(l5->n_errors, 0);
	lr_free(l4);
	lr_free(l5);
	lb_free(&b4);
	lb_free(&b5);
}

/* Format 4 with gates: the context's gate modes and the pair's gate lock
 * ids make the edge's gates; a pair shorter than its context's gates, and
 * a context whose gate modes are cut short, are corrupt. */
static void test_edge_pair_gates(void)
{
	struct lh_rec_edge_ctx c;
	struct lh_rec_edge_pair p;
	uint32_t modes[2] = { LH_MODE_SHARED, LH_MODE_EXCL }, gl[2] = { 3, 4 };
	struct lb b;
	struct lr_log *log;

	lb_init(&b);
	lb_thread(&b, 1, 100);
	memset(&c, 0, sizeof(c));
	c.ctx_id = 2;
	c.thread_id = 1;
	c.n_gates = 2;
	lb_rec3(&b, LH_REC_EDGE_CTX, &c, sizeof(c), modes, sizeof(modes), NULL, 0);
	c.ctx_id = 3;
	lb_rec3(&b, LH_REC_EDGE_CTX, &c, sizeof(c), modes, sizeof(modes[0]), NULL, 0); /* cut */
	p.ctx_id = 2;
	p.from_lock = 1;
	p.to_lock = 2;
	lb_rec3(&b, LH_REC_EDGE_PAIR, &p, sizeof(p), gl, sizeof(gl), NULL, 0);
	lb_rec3(&b, LH_REC_EDGE_PAIR, &p, sizeof(p), gl, sizeof(gl[0]), NULL, 0); /* short */
	lb_end(&b, 77, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 2);
	CU_ASSERT_TRUE(lb_has_error(log, "edge-context record at byte"));
	CU_ASSERT_TRUE(lb_has_error(log, "edge-pair record at byte"));
	CU_ASSERT_EQUAL_FATAL(log->n_edges, 1);
	CU_ASSERT_EQUAL_FATAL(log->edges[0].n_gates, 2);
	CU_ASSERT_EQUAL(log->edges[0].gates[0].lock_id, 3);
	CU_ASSERT_EQUAL(log->edges[0].gates[0].mode, LH_MODE_SHARED);
	CU_ASSERT_EQUAL(log->edges[0].gates[1].lock_id, 4);
	CU_ASSERT_EQUAL(log->edges[0].gates[1].mode, LH_MODE_EXCL);
	lr_free(log);
	lb_free(&b);
}

/* the gates of an edge context at LR_MAX_EDGE_GATES are kept (its pair
 * gets them all), one more is corrupt */
static void test_edge_ctx_gate_limit(void)
{
	struct lh_rec_edge_ctx c;
	struct lh_rec_edge_pair p;
	uint32_t *v = calloc(LR_MAX_EDGE_GATES + 1, sizeof(uint32_t));
	struct lb b;
	struct lr_log *log;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	lb_init(&b);
	memset(&c, 0, sizeof(c));
	c.ctx_id = 1;
	c.n_gates = LR_MAX_EDGE_GATES;
	lb_rec3(&b, LH_REC_EDGE_CTX, &c, sizeof(c), v, LR_MAX_EDGE_GATES * sizeof(uint32_t), NULL, 0);
	c.ctx_id = 2;
	c.n_gates = LR_MAX_EDGE_GATES + 1;
	lb_rec3(&b, LH_REC_EDGE_CTX, &c, sizeof(c), v, (LR_MAX_EDGE_GATES + 1) * sizeof(uint32_t), NULL,
	        0);
	p.ctx_id = 1;
	p.from_lock = 1;
	p.to_lock = 2;
	lb_rec3(&b, LH_REC_EDGE_PAIR, &p, sizeof(p), v, LR_MAX_EDGE_GATES * sizeof(uint32_t), NULL, 0);
	lb_end(&b, 77, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 1);
	CU_ASSERT_TRUE(lb_has_error(log, "gates"));
	CU_ASSERT_EQUAL_FATAL(log->n_edges, 1);
	CU_ASSERT_EQUAL(log->edges[0].n_gates, LR_MAX_EDGE_GATES);
	lr_free(log);
	lb_free(&b);
	free(v);
}

static void test_unknown_records_skipped(void)
{
	unsigned char junk[40];
	struct lb b;
	struct lr_log *log;

	memset(junk, 0x5a, sizeof(junk));
	lb_init(&b);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	lb_unknown(&b, 200, junk, sizeof(junk));
	lb_unknown(&b, LH_REC_CLS_TUPLE + 1, NULL, 0); /* the next type after the newest */
	lb_unknown(&b, 0xffff, junk, 3); /* odd size: the next header is unaligned */
	lb_lock(&b, 2, 0x2000, LH_LOCK_MUTEX, 0);
	lb_note(&b, 1, "after unknown");
	lb_end(&b, 77, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_unknown_records, 3);
	CU_ASSERT_EQUAL(log->n_locks, 2);
	CU_ASSERT_PTR_NOT_NULL(lr_lock(log, 2));
	CU_ASSERT_EQUAL_FATAL(log->n_notes, 1);
	CU_ASSERT_STRING_EQUAL(log->notes[0], "after unknown");
	CU_ASSERT_EQUAL(log->complete, 1);
	CU_ASSERT_EQUAL(log->end.end_ns, 77);
	lr_free(log);
	lb_free(&b);
}

/* ---- a finding's later stacks (LH_REC_FINDING_STACKS) ---------------------- */

/* a deadlock of threads 1 and 2 over locks 1 and 2, its stacks 1..4 */
static void dl_finding(struct lh_rec_finding *f, struct lh_rec_finding_item it[4], uint64_t time_ns)
{
	static const uint32_t thr[4] = { 1, 2, 2, 1 }, role[4] = { LH_ROLE_WAITS, LH_ROLE_HOLDS,
		                                                   LH_ROLE_WAITS, LH_ROLE_HOLDS };
	static const uint64_t lock[4] = { 1, 1, 2, 2 };
	int i;

	memset(f, 0, sizeof(*f));
	f->kind = LH_FIND_DEADLOCK;
	f->what = LH_DL_CYCLE;
	f->thread_id = 1;
	f->time_ns = time_ns;
	f->n_items = 4;
	memset(it, 0, 4 * sizeof(*it));
	for (i = 0; i < 4; i++) {
		it[i].thread_id = thr[i];
		it[i].role = role[i];
		it[i].lock_id = lock[i];
		it[i].stack_id = (uint32_t)i + 1;
	}
}

static void dl_log_start(struct lb *b)
{
	uint32_t s;

	lb_init(b);
	for (s = 1; s <= 8; s++)
		lb_stack1(b, s, 0x401000 + 16 * s);
	lb_thread(b, 1, 10);
	lb_thread(b, 2, 11);
	lb_lock(b, 1, 0x601000, LH_LOCK_MUTEX, 0);
	lb_lock(b, 2, 0x601040, LH_LOCK_MUTEX, 0);
}

static void finding_stacks(struct lb *b, const struct lh_rec_finding *f, const struct lh_rec_finding_item *it,
                           size_t len)
{
	unsigned char p[sizeof(*f) + 4 * sizeof(*it)];

	memcpy(p, f, sizeof(*f));
	memcpy(p + sizeof(*f), it, (size_t)f->n_items * sizeof(*it));
	lb_rec(b, LH_REC_FINDING_STACKS, p, len);
}

static void test_finding_stacks_merged(void)
{
	struct lh_rec_finding f, other;
	struct lh_rec_finding_item it[4], up[4], oit[4];
	struct lb b;
	struct lr_log *log;

	dl_log_start(&b);
	dl_finding(&f, it, 1000);
	lb_finding(&b, &f, it);
	/* a second, different deadlock after it: the update belongs to the
	 * first (its time), found by looking back past this one */
	dl_finding(&other, oit, 2000);
	lb_finding(&b, &other, oit);
	memcpy(up, it, sizeof(up));
	up[0].stack_id = 5;
	up[1].stack_id = 0; /* not sampled: the first record's stays */
	up[2].stack_id = 7;
	up[3].stack_id = 8;
	up[3].stack2_id = 6;
	finding_stacks(&b, &f, up, sizeof(f) + sizeof(up));
	lb_end(&b, 40, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_unknown_records, 0);
	CU_ASSERT_EQUAL_FATAL(log->n_findings, 2); /* one occurrence each, not three */
	CU_ASSERT_EQUAL(log->findings[0].f.time_ns, 1000);
	CU_ASSERT_EQUAL(log->findings[0].items[0].stack_id, 5);
	CU_ASSERT_EQUAL(log->findings[0].items[1].stack_id, 2);
	CU_ASSERT_EQUAL(log->findings[0].items[2].stack_id, 7);
	CU_ASSERT_EQUAL(log->findings[0].items[3].stack_id, 8);
	CU_ASSERT_EQUAL(log->findings[0].items[3].stack2_id, 6);
	/* the other finding is untouched */
	CU_ASSERT_EQUAL(log->findings[1].items[0].stack_id, 1);
	CU_ASSERT_EQUAL(log->findings[1].items[3].stack2_id, 0);
	lr_free(log);
	lb_free(&b);
}

/* the same log without the update (an older shim's): the first stacks */
static void test_finding_without_stacks_record(void)
{
	struct lh_rec_finding f;
	struct lh_rec_finding_item it[4];
	struct lb b;
	struct lr_log *log;

	dl_log_start(&b);
	dl_finding(&f, it, 1000);
	lb_finding(&b, &f, it);
	lb_end(&b, 40, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL_FATAL(log->n_findings, 1);
	CU_ASSERT_EQUAL(log->findings[0].items[0].stack_id, 1);
	lr_free(log);
	lb_free(&b);
}

/* an update that belongs to no earlier finding, or is short, is corrupt */
static void test_finding_stacks_orphan_or_short(void)
{
	struct lh_rec_finding f, g;
	struct lh_rec_finding_item it[4], up[4];
	struct lb b;
	struct lr_log *log;
	int variant;

	for (variant = 0; variant < 6; variant++) {
		dl_log_start(&b);
		dl_finding(&f, it, 1000);
		memcpy(up, it, sizeof(up));
		g = f;
		if (variant != 1) /* 1: the update comes before its finding */
			lb_finding(&b, &f, it);
		if (variant == 2)
			g.time_ns = 999;
		if (variant == 3)
			up[2].thread_id = 1; /* items that do not match */
		if (variant == 4)
			g.what = LH_DL_SELF;
		finding_stacks(&b, &g, up,
		               variant == 5 ? sizeof(g) + sizeof(up) - 1 : sizeof(g) + sizeof(up));
		if (variant == 1)
			lb_finding(&b, &f, it);
		lb_end(&b, 40, 0);
		log = lb_read(&b, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(log);
		CU_ASSERT_EQUAL(log->n_errors, variant == 0 ? 0 : 1);
		if (variant && log->n_errors)
			CU_ASSERT_PTR_NOT_NULL(strstr(log->errors[0], "corrupt finding-stacks record"));
		CU_ASSERT_EQUAL(log->n_findings, 1);
		lr_free(log);
		lb_free(&b);
	}
}

/* ---- truncation -------------------------------------------------------------- */

/* a log of a few hundred bytes with every record type */
static void build_sample(struct lb *b)
{
	const uint64_t pcs[2] = { 0x401010, 0x401020 };
	struct lh_rec_gate g = { 3, LH_MODE_EXCL, 0 };
	struct lh_rec_finding f;
	struct lh_rec_finding_item it;
	unsigned char junk[5] = { 1, 2, 3, 4, 5 };

	lb_init(b);
	lb_process(b, "/p", "p\0x", 4);
	lb_module(b, 0x400000, 0x400000, 0x402000, "\x01\x02\x03\x04", 4, "/p");
	lb_stack(b, 1, 0, pcs, 2);
	lb_stack1(b, 2, 0x401030);
	lb_thread_full(b, 1, 0, 0, 50, 10, "main");
	lb_thread_full(b, 2, 1, 1, 51, 20, "w");
	lb_thread_name(b, 2, "worker");
	lb_lock(b, 1, 0x601000, LH_LOCK_MUTEX, 0);
	lb_lock(b, 2, 0x601040, LH_LOCK_MUTEX, 0);
	lb_lock(b, 3, 0x601080, LH_LOCK_RWLOCK, 0);
	lb_edge(b, 1, 2, 1, 1, 2, LH_MODE_EXCL, LH_MODE_EXCL, NULL, 0);
	lb_edge(b, 2, 1, 2, 2, 1, LH_MODE_EXCL, LH_MODE_EXCL, &g, 1);
	lb_unknown(b, 99, junk, sizeof(junk));
	memset(&f, 0, sizeof(f));
	memset(&it, 0, sizeof(it));
	f.kind = LH_FIND_MISUSE;
	f.n_items = 1;
	it.thread_id = 1;
	lb_finding(b, &f, &it);
	lb_note(b, 1, "n");
	lb_thread_end(b, 2, 30);
	lb_end(b, 40, 0);
}

/* how many records of the sample log a reader should have stored, given
 * the first k records: every record adds one thing except thread-end and
 * thread-name */
static size_t stored(const struct lb *b, size_t k)
{
	size_t i, n = 0;

	for (i = 0; i < k; i++)
		if (b->rec_type[i] != LH_REC_THREAD_END && b->rec_type[i] != LH_REC_THREAD_NAME)
			n++;
	return n;
}

static size_t counted(const struct lr_log *log)
{
	return (log->exe ? 1 : 0) + log->n_modules + log->n_stacks + log->n_threads + log->n_locks +
	       log->n_edges + log->n_findings + log->n_notes + log->n_unknown_records +
	       (size_t)log->complete;
}

static void test_truncation_every_prefix(void)
{
	struct lb b;
	size_t len, k, n_null = 0, n_trunc = 0, n_clean = 0;

	build_sample(&b);
	CU_ASSERT(b.n >= 300 && b.n <= 1000); /* "a few hundred bytes" */
	for (len = 0; len <= b.n; len++) {
		struct lr_log *log;
		int boundary = 0;

		/* a copy of exactly len bytes, so valgrind/ASan see any overread */
		unsigned char *copy = malloc(len ? len : 1);
		memcpy(copy, b.p, len);
		err[0] = 0;
		log = lr_read_mem("cut.log", copy, len, err, sizeof(err));
		free(copy);

		if (len < sizeof(struct lh_file_header)) {
			CU_ASSERT_PTR_NULL(log);
			CU_ASSERT(strlen(err) > 0);
			CU_ASSERT(strstr(err, "cut.log") != NULL);
			if (len >= LH_LOG_MAGIC_LEN)
				CU_ASSERT(strstr(err, "truncated") != NULL);
			lr_free(log);
			n_null++;
			continue;
		}
		CU_ASSERT_PTR_NOT_NULL(log);
		if (!log)
			continue;
		/* complete records before the cut */
		for (k = 0; k < b.n_rec && b.rec_off[k] < len; k++)
			;
		if (len == b.n || (k < b.n_rec && b.rec_off[k] == len) || len == sizeof(struct lh_file_header))
			boundary = 1;
		if (boundary) {
			size_t whole = len == b.n ? b.n_rec : k;
			CU_ASSERT_EQUAL(log->n_errors, 0);
			CU_ASSERT_EQUAL(counted(log), stored(&b, whole));
			CU_ASSERT_EQUAL(log->complete, len == b.n);
			n_clean++;
		} else {
			/* the cut is inside record k-1 */
			CU_ASSERT_EQUAL(log->n_errors, 1);
			CU_ASSERT(log->n_errors >= 1 && strstr(log->errors[0], "truncated") != NULL);
			CU_ASSERT_EQUAL(counted(log), stored(&b, k - 1));
			CU_ASSERT_EQUAL(log->complete, 0);
			n_trunc++;
		}
		lr_free(log);
	}
	CU_ASSERT_EQUAL(n_null, sizeof(struct lh_file_header));
	CU_ASSERT_EQUAL(n_clean, b.n_rec + 1);
	CU_ASSERT_EQUAL(n_null + n_clean + n_trunc, b.n + 1);
	lb_free(&b);
}

/* ---- corruption ------------------------------------------------------------- */

static void test_corrupt_huge_size(void)
{
	struct lb b;
	struct lr_log *log;
	unsigned char pad[16] = { 0 };

	lb_init(&b);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	lb_rec_claim(&b, LH_REC_LOCK, 0xffffffffu, pad, sizeof(pad));
	lb_lock(&b, 2, 0x2000, LH_LOCK_MUTEX, 0);
	lb_end(&b, 1, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 1);
	CU_ASSERT(lb_has_error(log, "corrupt"));
	CU_ASSERT_EQUAL(log->n_locks, 1); /* reading stopped at the bad record */
	CU_ASSERT_PTR_NULL(lr_lock(log, 2));
	CU_ASSERT_EQUAL(log->complete, 0);
	lr_free(log);
	lb_free(&b);

	/* just above the limit is corrupt too; record type 0 is corrupt */
	lb_init(&b);
	lb_rec_claim(&b, LH_REC_NOTE, LH_MAX_RECORD_SIZE + 1, pad, sizeof(pad));
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT(lb_has_error(log, "corrupt"));
	lr_free(log);
	lb_free(&b);

	lb_init(&b);
	lb_rec(&b, 0, pad, 8);
	lb_lock(&b, 2, 0x2000, LH_LOCK_MUTEX, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT(lb_has_error(log, "corrupt"));
	CU_ASSERT_EQUAL(log->n_locks, 0);
	lr_free(log);
	lb_free(&b);
}

/* A mapped log (LH_HDR_MAPPED) ends at its first record header of type 0:
 * the zero tail the shim allocated ahead, or a record cut short before its
 * header was stored.  Without the flag, type 0 is corrupt as before; a
 * version 1 log is still read. */
static void test_mapped_tail(void)
{
	struct lh_file_header h;
	struct lb b;
	struct lr_log *log;
	unsigned char junk[24];

	memset(junk, 0xab, sizeof(junk));
	lb_default_header(&h);
	h.flags = LH_HDR_MAPPED;
	lb_init_hdr(&b, &h);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	lb_lock(&b, 2, 0x2000, LH_LOCK_MUTEX, 0);
	lb_raw(&b, NULL, 4096);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_locks, 2);
	CU_ASSERT_EQUAL(log->unwritten_bytes, 4096);
	CU_ASSERT_EQUAL(log->complete, 0); /* no end record: cut short */
	lr_free(log);
	lb_free(&b);

	/* a record cut short before its header: a zero header, then payload */
	lb_init_hdr(&b, &h);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	lb_raw(&b, NULL, sizeof(struct lh_rec_hdr));
	lb_raw(&b, junk, sizeof(junk));
	lb_raw(&b, NULL, 100);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_locks, 1);
	CU_ASSERT_EQUAL(log->unwritten_bytes, sizeof(struct lh_rec_hdr) + sizeof(junk) + 100);
	lr_free(log);
	lb_free(&b);

	/* a zero tail shorter than a record header; then a whole log with the
	 * end record and no tail (what a normal exit leaves) */
	lb_init_hdr(&b, &h);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	lb_raw(&b, NULL, 5);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->unwritten_bytes, 5);
	lr_free(log);
	lb_free(&b);
	lb_init_hdr(&b, &h);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	lb_end(&b, 1, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->complete, 1);
	CU_ASSERT_EQUAL(log->unwritten_bytes, 0);
	lr_free(log);
	lb_free(&b);

	/* not mapped: the same zeros are corrupt; a short tail is truncation */
	h.flags = 0;
	lb_init_hdr(&b, &h);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	lb_raw(&b, NULL, 4096);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT(lb_has_error(log, "corrupt"));
	CU_ASSERT_EQUAL(log->unwritten_bytes, 0);
	lr_free(log);
	lb_free(&b);
	lb_init_hdr(&b, &h);
	lb_raw(&b, NULL, 5);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT(lb_has_error(log, "truncated"));
	lr_free(log);
	lb_free(&b);

	/* a version 1 log (before mapping) is still read */
	h.format_version = 1;
	lb_init_hdr(&b, &h);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	lb_end(&b, 1, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_locks, 1);
	CU_ASSERT_EQUAL(log->complete, 1);
	lr_free(log);
	lb_free(&b);
}

static void test_bad_magic(void)
{
	struct lh_file_header h;
	struct lb b;
	struct lr_log *log;

	lb_default_header(&h);
	h.magic[3] = 'X';
	lb_init_hdr(&b, &h);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NULL(log);
	CU_ASSERT(strstr(err, "not a lockhound log") != NULL);
	CU_ASSERT(strstr(err, "test.log") != NULL);
	lr_free(log);
	lb_free(&b);

	/* an ELF file, say */
	log = lr_read_mem("elf", "\x7f" "ELF\2\1\1\0\0\0\0\0\0\0\0\0\0\0\0\0", 20, err, sizeof(err));
	CU_ASSERT_PTR_NULL(log);
	CU_ASSERT(strstr(err, "not a lockhound log") != NULL);
	lr_free(log);
}

/* does s contain the decimal number n as a whole word (not inside 123)? */
static int has_number(const char *s, unsigned n)
{
	char num[16];
	const char *p = s;
	size_t l;

	snprintf(num, sizeof(num), "%u", n);
	l = strlen(num);
	while ((p = strstr(p, num)) != NULL) {
		if ((p == s || p[-1] < '0' || p[-1] > '9') && (p[l] < '0' || p[l] > '9'))
			return 1;
		p++;
	}
	return 0;
}

static void test_newer_format(void)
{
	struct lh_file_header h;
	struct lb b;
	struct lr_log *log;

	lb_default_header(&h);
	h.format_version = LH_LOG_FORMAT_VERSION + 1;
	snprintf(h.tool_version, sizeof(h.tool_version), "9.9.9");
	h.header_size = sizeof(h) + 32; /* a newer, bigger header */
	lb_init_hdr(&b, &h);
	{
		unsigned char more[32] = { 0 };
		lb_raw(&b, more, sizeof(more));
	}
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NULL(log);
	/* the exact wording may change: the message must name the log's format
	 * number and this reader's, and say "newer" */
	CU_ASSERT(strstr(err, "format") != NULL);
	CU_ASSERT(has_number(err, LH_LOG_FORMAT_VERSION + 1));
	CU_ASSERT(has_number(err, LH_LOG_FORMAT_VERSION));
	CU_ASSERT(strstr(err, "newer") != NULL);
	CU_ASSERT(strstr(err, "9.9.9") != NULL);
	lr_free(log);
	lb_free(&b);

	/* a huge version number, and an unterminated tool version */
	lb_default_header(&h);
	h.format_version = 0xffffffffu;
	memset(h.tool_version, 'Z', sizeof(h.tool_version));
	lb_init_hdr(&b, &h);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NULL(log);
	CU_ASSERT(has_number(err, 4294967295u));
	CU_ASSERT(strstr(err, "newer") != NULL);
	lr_free(log);
	lb_free(&b);
}

static void test_bad_header_fields(void)
{
	struct lh_file_header h;
	struct lb b;
	struct lr_log *log;

	/* format 0 */
	lb_default_header(&h);
	h.format_version = 0;
	lb_init_hdr(&b, &h);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NULL(log);
	CU_ASSERT(strstr(err, "corrupt header") != NULL);
	lr_free(log);
	lb_free(&b);

	/* header size too large */
	lb_default_header(&h);
	h.header_size = 1u << 20;
	lb_init_hdr(&b, &h);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NULL(log);
	CU_ASSERT(strstr(err, "corrupt header") != NULL);
	lr_free(log);
	lb_free(&b);

	/* a bigger header than the reader knows: the tail is skipped */
	lb_default_header(&h);
	h.header_size = sizeof(h) + 24;
	lb_init_hdr(&b, &h);
	{
		unsigned char more[24];
		memset(more, 0xee, sizeof(more));
		lb_raw(&b, more, sizeof(more));
	}
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 0);
	CU_ASSERT_EQUAL(log->n_locks, 1);
	lr_free(log);
	lb_free(&b);
}

/* a header shorter than struct lh_file_header: what was not written must not
 * be filled from the records that follow it */
static void test_short_header(void)
{
	struct lh_file_header h;
	struct lb b;
	struct lr_log *log;

	lb_default_header(&h);
	h.header_size = 32; /* magic, version, size, pid, ppid, start_realtime_ns */
	lb_init_hdr(&b, &h);
	b.n = 32;
	lb_lock_full(&b, 0x4142434445464748ull, 0x1000, LH_LOCK_MUTEX, 0, 0, 1);
	log = lb_read(&b, err, sizeof(err));
	if (!log) {
		/* refusing it is fine too */
		CU_ASSERT(strstr(err, "corrupt header") != NULL);
	} else {
		CU_ASSERT_EQUAL(log->n_errors, 0);
		CU_ASSERT_EQUAL(log->n_locks, 1);
		CU_ASSERT_EQUAL(log->hdr.pid, 4242);
		CU_ASSERT_EQUAL(log->hdr.start_realtime_ns, 1700000000000000000ull);
		/* fields past header_size are not in this header: they must stay
		 * zero, not be taken from the record that follows */
		CU_ASSERT_EQUAL(log->hdr.start_mono_ns, 0);
		CU_ASSERT_STRING_EQUAL(log->hdr.tool_version, "");
		CU_ASSERT_EQUAL(log->hdr.pointer_size, 0);
		CU_ASSERT_EQUAL(log->hdr.flags, 0);
	}
	lr_free(log);
	lb_free(&b);
}

/* a Python frame as the shim encodes it, appended to buf at *n */
static void put_pyframe(unsigned char *buf, size_t *n, uint32_t line, const char *file,
                        const char *func)
{
	struct lh_rec_pyframe f;

	f.line = line;
	f.file_len = (uint16_t)strlen(file);
	f.func_len = (uint16_t)strlen(func);
	memcpy(buf + *n, &f, sizeof(f));
	*n += sizeof(f);
	memcpy(buf + *n, file, f.file_len);
	*n += f.file_len;
	memcpy(buf + *n, func, f.func_len);
	*n += f.func_len;
}

/* format 3: a stack record carries Python frames after its pcs; frames
 * that run past the record make it corrupt; in a format 1 or 2 log the pad
 * (the same field) is no count of Python frames */
static void test_stack_python_frames(void)
{
	struct lh_rec_stack r;
	struct lh_file_header h;
	uint64_t pcs[2] = { 0x1000, 0x2000 };
	unsigned char py[256];
	size_t n = 0;
	const struct lr_stack *s;
	struct lb b;
	struct lr_log *log;
	uint32_t v;

	put_pyframe(py, &n, 12, "app.py", "Bank.transfer");
	put_pyframe(py, &n, 30, "/usr/lib/python3.11/threading.py", "Thread.run");
	lb_init(&b);
	memset(&r, 0, sizeof(r));
	r.stack_id = 3;
	r.n_frames = 2;
	r.n_py_frames = 2;
	lb_rec3(&b, LH_REC_STACK, &r, sizeof(r), pcs, sizeof(pcs), py, n);
	r.stack_id = 4;
	r.n_py_frames = 3; /* one more than there is */
	lb_rec3(&b, LH_REC_STACK, &r, sizeof(r), pcs, sizeof(pcs), py, n);
	r.stack_id = 5;
	r.n_py_frames = 2;
	lb_rec3(&b, LH_REC_STACK, &r, sizeof(r), pcs, sizeof(pcs), py, n - 1); /* cut inside a name */
	r.stack_id = 6;
	r.n_py_frames = LR_MAX_PY_FRAMES + 1;
	lb_rec3(&b, LH_REC_STACK, &r, sizeof(r), pcs, sizeof(pcs), py, n);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 3);
	CU_ASSERT(lb_has_error(log, "Python frame"));
	s = lr_stack(log, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(s->n, 2);
	CU_ASSERT_EQUAL(s->pcs[1], 0x2000);
	CU_ASSERT_EQUAL_FATAL(s->n_py, 2);
	CU_ASSERT_STRING_EQUAL(s->py[0].file, "app.py");
	CU_ASSERT_STRING_EQUAL(s->py[0].func, "Bank.transfer");
	CU_ASSERT_EQUAL(s->py[0].line, 12);
	CU_ASSERT_STRING_EQUAL(s->py[1].file, "/usr/lib/python3.11/threading.py");
	CU_ASSERT_STRING_EQUAL(s->py[1].func, "Thread.run");
	CU_ASSERT_EQUAL(s->py[1].line, 30);
	CU_ASSERT_PTR_NULL(lr_stack(log, 4));
	CU_ASSERT_PTR_NULL(lr_stack(log, 5));
	CU_ASSERT_PTR_NULL(lr_stack(log, 6));
	lr_free(log);
	lb_free(&b);

	/* formats 1 and 2: the field was a pad; whatever it holds, no Python
	 * frames */
	for (v = 1; v < 3; v++) {
		lb_default_header(&h);
		h.format_version = v;
		lb_init_hdr(&b, &h);
		r.stack_id = 7;
		r.n_py_frames = 2;
		lb_rec3(&b, LH_REC_STACK, &r, sizeof(r), pcs, sizeof(pcs), NULL, 0);
		log = lb_read(&b, err, sizeof(err));
		CU_ASSERT_PTR_NOT_NULL_FATAL(log);
		CU_ASSERT_EQUAL(log->n_errors, 0);
		s = lr_stack(log, 7);
		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_EQUAL(s->n, 2);
		CU_ASSERT_EQUAL(s->n_py, 0);
		lr_free(log);
		lb_free(&b);
	}
}

static void test_stack_frames_beyond_payload(void)
{
	struct lh_rec_stack r;
	uint64_t pcs[2] = { 1, 2 };
	struct lb b;
	struct lr_log *log;

	lb_init(&b);
	memset(&r, 0, sizeof(r));
	r.stack_id = 7;
	r.n_frames = 10; /* only 2 follow */
	lb_rec3(&b, LH_REC_STACK, &r, sizeof(r), pcs, sizeof(pcs), NULL, 0);
	r.stack_id = 8;
	r.n_frames = 0xffffffffu;
	lb_rec3(&b, LH_REC_STACK, &r, sizeof(r), pcs, sizeof(pcs), NULL, 0);
	r.stack_id = 9;
	r.n_frames = LH_MAX_FRAMES; /* plausible count, still missing */
	lb_rec3(&b, LH_REC_STACK, &r, sizeof(r), pcs, sizeof(pcs), NULL, 0);
	lb_rec(&b, LH_REC_STACK, &r, 8); /* not even the fixed part */
	lb_stack1(&b, 10, 0x1234);      /* a good one after */
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 4);
	CU_ASSERT(lb_has_error(log, "corrupt stack record"));
	CU_ASSERT_PTR_NULL(lr_stack(log, 7));
	CU_ASSERT_PTR_NULL(lr_stack(log, 8));
	CU_ASSERT_PTR_NULL(lr_stack(log, 9));
	CU_ASSERT_EQUAL(log->n_stacks, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(lr_stack(log, 10));
	CU_ASSERT_EQUAL(lr_stack(log, 10)->pcs[0], 0x1234);
	lr_free(log);
	lb_free(&b);
}

/* counts and lengths inside other records that point past the payload */
static void test_counts_beyond_payload(void)
{
	struct lb b;
	struct lr_log *log;
	struct lh_rec_edge e;
	struct lh_rec_module m;
	struct lh_rec_note nt;
	struct lh_rec_process pr;
	struct lh_rec_finding f;
	struct lh_rec_gate g = { 1, 0, 0 };

	lb_init(&b);
	memset(&e, 0, sizeof(e));
	e.from_lock = 1;
	e.to_lock = 2;
	e.n_gates = 3; /* one follows */
	lb_rec3(&b, LH_REC_EDGE, &e, sizeof(e), &g, sizeof(g), NULL, 0);
	e.n_gates = 0x7fffffff;
	lb_rec3(&b, LH_REC_EDGE, &e, sizeof(e), &g, sizeof(g), NULL, 0);
	memset(&m, 0, sizeof(m));
	m.lo = 0x1000;
	m.hi = 0x2000;
	m.build_id_len = 0xffffffffu;
	m.path_len = 0xffffffffu; /* sum overflows 32 bits */
	lb_rec3(&b, LH_REC_MODULE, &m, sizeof(m), "/x", 3, NULL, 0);
	m.build_id_len = 0;
	m.path_len = 3;
	m.lo = m.hi; /* empty range */
	lb_rec3(&b, LH_REC_MODULE, &m, sizeof(m), "/x", 3, NULL, 0);
	nt.level = 1;
	nt.len = 100;
	lb_rec3(&b, LH_REC_NOTE, &nt, sizeof(nt), "short", 6, NULL, 0);
	pr.exe_len = 0xfffffff0u;
	pr.cmdline_len = 0x20u; /* sum overflows 32 bits */
	lb_rec3(&b, LH_REC_PROCESS, &pr, sizeof(pr), "/p", 3, NULL, 0);
	memset(&f, 0, sizeof(f));
	f.n_items = 2;
	lb_rec3(&b, LH_REC_FINDING, &f, sizeof(f), NULL, 0, NULL, 0);
	lb_rec(&b, LH_REC_END, "\0\0\0\0", 4);
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL(log->n_errors, 8);
	CU_ASSERT(lb_has_error(log, "corrupt edge record"));
	CU_ASSERT(lb_has_error(log, "corrupt module record"));
	CU_ASSERT(lb_has_error(log, "empty address range"));
	CU_ASSERT(lb_has_error(log, "corrupt note record"));
	CU_ASSERT(lb_has_error(log, "corrupt process record"));
	CU_ASSERT(lb_has_error(log, "corrupt finding record"));
	CU_ASSERT(lb_has_error(log, "corrupt end record"));
	CU_ASSERT_EQUAL(log->n_edges, 0);
	CU_ASSERT_EQUAL(log->n_modules, 0);
	CU_ASSERT_EQUAL(log->n_notes, 0);
	CU_ASSERT_PTR_NULL(log->exe);
	CU_ASSERT_EQUAL(log->n_findings, 0);
	CU_ASSERT_EQUAL(log->complete, 0);
	CU_ASSERT_EQUAL(log->n_locks, 1);
	lr_free(log);
	lb_free(&b);
}

static void test_error_cap(void)
{
	struct lb b;
	struct lr_log *log;
	int i;

	lb_init(&b);
	for (i = 0; i < 50; i++)
		lb_lock(&b, 0, 0x1000, LH_LOCK_MUTEX, 0); /* each one an error */
	lb_lock(&b, 1, 0x1000, LH_LOCK_MUTEX, 0);
	log = lb_read(&b, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(log);
	CU_ASSERT_EQUAL_FATAL(log->n_errors, 21);
	CU_ASSERT_STRING_EQUAL(log->errors[20], "further problems not shown");
	CU_ASSERT_EQUAL(log->n_locks, 1);
	lr_free(log);
	lb_free(&b);
}

/* ---- files ------------------------------------------------------------------------ */

static void test_read_file(void)
{
	char dir[] = "/tmp/lh_test_logread.XXXXXX", path[256];
	struct lb b;
	struct lr_log *log;
	FILE *fp;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	build_sample(&b);
	snprintf(path, sizeof(path), "%s/x.log", dir);
	fp = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	CU_ASSERT_EQUAL(fwrite(b.p, 1, b.n, fp), b.n);
	fclose(fp);

	log = lr_read(path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(log);
	if (log) {
		CU_ASSERT_STRING_EQUAL(log->path, path);
		CU_ASSERT_EQUAL(log->n_errors, 0);
		CU_ASSERT_EQUAL(counted(log), stored(&b, b.n_rec));
		CU_ASSERT_EQUAL(log->complete, 1);
		lr_free(log);
	}

	/* an empty file */
	fp = fopen(path, "wb");
	fclose(fp);
	log = lr_read(path, err, sizeof(err));
	CU_ASSERT_PTR_NULL(log);
	CU_ASSERT(strstr(err, path) != NULL);
	lr_free(log);
	unlink(path);

	/* missing file: the system's reason */
	log = lr_read(path, err, sizeof(err));
	CU_ASSERT_PTR_NULL(log);
	CU_ASSERT(strstr(err, strerror(ENOENT)) != NULL);
	lr_free(log);

	/* a directory */
	log = lr_read(dir, err, sizeof(err));
	CU_ASSERT_PTR_NULL(log);
	CU_ASSERT(strstr(err, "not a regular file") != NULL);
	lr_free(log);

	rmdir(dir);
	lb_free(&b);
}

/* ---- fuzz ---------------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rng(void)
{
	/* xorshift64*: deterministic across platforms */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static void check_log_sane(const struct lr_log *log)
{
	size_t i;

	CU_ASSERT(log->n_errors <= 21);
	for (i = 0; i < log->n_errors; i++)
		CU_ASSERT_PTR_NOT_NULL(log->errors[i]);
	for (i = 0; i < log->n_stacks; i++) {
		const struct lr_stack *s = lr_stack(log, log->stacks[i].id);
		CU_ASSERT(s == &log->stacks[i]);
		CU_ASSERT(log->stacks[i].n <= LH_MAX_FRAMES * 4);
	}
	for (i = 0; i < log->n_locks; i++)
		CU_ASSERT(lr_lock(log, log->locks[i].id) == &log->locks[i]);
	for (i = 0; i < log->n_threads; i++)
		CU_ASSERT(lr_thread(log, log->threads[i].id) == &log->threads[i]);
	for (i = 0; i < log->n_modules; i++)
		CU_ASSERT(log->modules[i].lo < log->modules[i].hi);
}

static void test_fuzz_byte_flips(void)
{
	struct lb b;
	int iter, n_read = 0, n_null = 0;
	unsigned char *m;

	build_sample(&b);
	m = malloc(b.n);
	rng_state = 0x10c4b0d5eedull;
	for (iter = 0; iter < 5000; iter++) {
		size_t len = b.n, k, n_flips = 1 + rng() % 8;
		struct lr_log *log;
		unsigned char *copy;

		memcpy(m, b.p, b.n);
		for (k = 0; k < n_flips; k++) {
			size_t pos;
			/* mostly past the header, where records are */
			if (rng() % 8 == 0)
				pos = rng() % b.n;
			else
				pos = sizeof(struct lh_file_header) +
				      rng() % (b.n - sizeof(struct lh_file_header));
			switch (rng() % 4) {
			case 0: m[pos] ^= (unsigned char)(1u << (rng() % 8)); break;
			case 1: m[pos] = (unsigned char)rng(); break;
			case 2: m[pos] = 0xff; break;
			default: m[pos] = 0; break;
			}
		}
		if (rng() % 4 == 0)
			len = rng() % (b.n + 1);
		copy = malloc(len ? len : 1);
		memcpy(copy, m, len);
		log = lr_read_mem("fuzz.log", copy, len, err, sizeof(err));
		free(copy);
		if (!log) {
			CU_ASSERT(strlen(err) > 0);
			n_null++;
			continue;
		}
		n_read++;
		check_log_sane(log);
		{
			struct fd_result res;
			size_t i, j;
			memset(&res, 0, sizeof(res));
			fd_analyze(log, &res);
			for (i = 0; i < res.n; i++) {
				CU_ASSERT_PTR_NOT_NULL(res.f[i].key);
				if (res.f[i].kind != FD_CYCLE)
					continue;
				for (j = 0; j < res.f[i].n; j++) {
					CU_ASSERT_EQUAL(res.f[i].edges[j]->from, res.f[i].locks[j]);
					CU_ASSERT_EQUAL(res.f[i].edges[j]->to,
					                res.f[i].locks[(j + 1) % res.f[i].n]);
				}
			}
			fd_result_free(&res);
		}
		lr_free(log);
	}
	/* the fuzz must have exercised both outcomes */
	CU_ASSERT(n_read > 1000);
	CU_ASSERT(n_null > 0);
	free(m);
	lb_free(&b);
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "empty log (header only)", test_empty_log },
		{ "round trip of every record type", test_round_trip },
		{ "record tails ignored", test_record_tails_ignored },
		{ "duplicate lock record updates", test_duplicate_lock_updates },
		{ "lock id 0 rejected", test_lock_id_zero_rejected },
		{ "5000 locks: the index grows", test_many_locks_index },
		{ "stack id lookup", test_stack_lookup },
		{ "thread end and name", test_thread_end_and_name },
		{ "unknown record types skipped", test_unknown_records_skipped },
		{ "edge contexts and pairs (format 4)", test_edge_pairs },
		{ "class maps read as their pairs (format 5)", test_cls_maps_as_pairs },
		{ "class map bounds (format 5)", test_cls_map_bounds },
		{ "edge limit (LR_MAX_EDGES)", test_edge_limit },
		{ "class tuples read as their pairs (format 5)", test_cls_tuples },
		{ "edge pairs with gates (format 4)", test_edge_pair_gates },
		{ "edge context at its gate limit", test_edge_ctx_gate_limit },
		{ "sem-class voids a semaphore's edges", test_sem_class_voids_edges },
		{ "sem-class with a bad reference", test_sem_class_bad_reference },
		{ "finding-stacks merged into its finding", test_finding_stacks_merged },
		{ "finding without finding-stacks (older shim)", test_finding_without_stacks_record },
		{ "finding-stacks orphan or short: corrupt", test_finding_stacks_orphan_or_short },
		{ "truncation at every prefix", test_truncation_every_prefix },
		{ "corrupt record size", test_corrupt_huge_size },
		{ "mapped log: zero tail ends it", test_mapped_tail },
		{ "bad magic", test_bad_magic },
		{ "newer format refused", test_newer_format },
		{ "bad header fields", test_bad_header_fields },
		{ "short header", test_short_header },
		{ "stack frames beyond payload", test_stack_frames_beyond_payload },
		{ "stack with Python frames", test_stack_python_frames },
		{ "counts beyond payload", test_counts_beyond_payload },
		{ "error list capped", test_error_cap },
		{ "lr_read from files", test_read_file },
		{ "fuzz: byte flips", test_fuzz_byte_flips },
	};
	return cunit_run("logread", tests, sizeof(tests) / sizeof(tests[0]));
}
