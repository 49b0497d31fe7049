/*
 * test_tracememo.c - the trace memo (preload/tracememo.h) on fake stacks:
 * an array laid out as x86-64 frames are (the return address into frame
 * j just below frame j's stack pointer), with an "unwind" of it (each
 * frame's ip and stack pointer) below a few frames of the shim.
 */
#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <stdint.h>
#include <string.h>

#include "tracememo.h"

#define N_PATH 5   /* frames from the lock call outward */
#define N_SHIM 2   /* the shim's own frames below them in the unwind */

static uintptr_t stack[128];
static struct lh_tmemo memo;
static uintptr_t path[N_PATH];           /* the trace from the lock call outward */
static uintptr_t uw_ip[N_SHIM + N_PATH]; /* the unwind */
static uintptr_t uw_sp[N_SHIM + N_PATH];

/* frame k of the path at stack[base + 6k]; its return address stored
 * below its stack pointer; the lock call's ra is path[0], cfa its frame's
 * stack pointer */
static uintptr_t build(int base, uintptr_t ra)
{
	int k;

	memset(stack, 0, sizeof(stack));
	for (k = 0; k < N_PATH; k++) {
		uintptr_t *sp = &stack[base + 6 * k];
		path[k] = k == 0 ? ra : 0x400000 + 0x100 * (uintptr_t)k;
		sp[-1] = path[k];
		uw_ip[N_SHIM + k] = path[k];
		uw_sp[N_SHIM + k] = (uintptr_t)sp;
	}
	for (k = 0; k < N_SHIM; k++) {
		uw_ip[k] = 0x7f0000 + (uintptr_t)k;
		uw_sp[k] = (uintptr_t)&stack[2 + k];
	}
	return uw_sp[N_SHIM];
}

static int put(uintptr_t ra, uintptr_t cfa)
{
	return lh_tmemo_put(&memo, ra, cfa, path, N_PATH, uw_ip, uw_sp, N_SHIM + N_PATH);
}

/* a stored path comes back while the stack holds it, and not once any of
 * its return addresses changed (another caller at the same stack pointer) */
static void test_hit_while_the_stack_holds_it(void)
{
	uintptr_t ips[64], cfa;
	int j;

	lh_tmemo_reset(&memo);
	cfa = build(20, 0x401000);
	CU_ASSERT_EQUAL(lh_tmemo_get(&memo, 0x401000, cfa, ips, 64), 0); /* nothing yet */
	CU_ASSERT_EQUAL_FATAL(put(0x401000, cfa), 1);
	memset(ips, 0, sizeof(ips));
	CU_ASSERT_EQUAL(lh_tmemo_get(&memo, 0x401000, cfa, ips, 64), N_PATH);
	CU_ASSERT_EQUAL(memcmp(ips, path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(memo.hits, 1);
	/* each frame of the path in turn reached from another caller */
	for (j = 1; j < N_PATH; j++) {
		uintptr_t *slot = &stack[20 + 6 * j - 1];
		*slot += 0x10;
		CU_ASSERT_EQUAL(lh_tmemo_get(&memo, 0x401000, cfa, ips, 64), 0);
		*slot -= 0x10;
	}
	CU_ASSERT_EQUAL(lh_tmemo_get(&memo, 0x401000, cfa, ips, 64), N_PATH);
	/* another call site, another stack pointer, too small a buffer */
	CU_ASSERT_EQUAL(lh_tmemo_get(&memo, 0x401008, cfa, ips, 64), 0);
	CU_ASSERT_EQUAL(lh_tmemo_get(&memo, 0x401000, cfa + 16, ips, 64), 0);
	CU_ASSERT_EQUAL(lh_tmemo_get(&memo, 0x401000, cfa, ips, N_PATH - 1), 0);
	CU_ASSERT_EQUAL(memo.hits, 2);
	lh_tmemo_reset(&memo);
	CU_ASSERT_EQUAL(lh_tmemo_get(&memo, 0x401000, cfa, ips, 64), 0);
}

/* nothing is stored unless trace and unwind agree and the stack holds
 * each return address where the unwind says */
static void test_put_refuses_disagreement(void)
{
	uintptr_t cfa;

	lh_tmemo_reset(&memo);
	cfa = build(30, 0x402000);
	CU_ASSERT_EQUAL(put(0x402008, cfa), 0);     /* the trace does not start at ra */
	CU_ASSERT_EQUAL(put(0x402000, cfa + 8), 0); /* no frame of the unwind has cfa */
	uw_ip[N_SHIM + 3] ^= 0x40;                  /* the unwind saw another frame */
	CU_ASSERT_EQUAL(put(0x402000, cfa), 0);
	uw_ip[N_SHIM + 3] ^= 0x40;
	stack[30 + 6 * 2 - 1] = 0x1234; /* the stack does not hold frame 2's address */
	CU_ASSERT_EQUAL(put(0x402000, cfa), 0);
	stack[30 + 6 * 2 - 1] = path[2];
	CU_ASSERT_EQUAL(lh_tmemo_put(&memo, 0x402000, cfa, path, N_PATH - 1, uw_ip, uw_sp,
	                             N_SHIM + N_PATH),
	                0); /* the trace stops short of the unwind */
	CU_ASSERT_EQUAL(lh_tmemo_put(&memo, 0x402000, cfa, path, LH_TMEMO_FRAMES + 1, uw_ip, uw_sp,
	                             N_SHIM + N_PATH),
	                0); /* deeper than an entry holds */
	CU_ASSERT_EQUAL(put(0x402000, cfa), 1);
}

/* an entry replaced LH_TMEMO_REBUILDS times keeps its last path: a call
 * site that several paths reach at one stack pointer stops costing an
 * unwind per miss */
static void test_rebuilds_bounded(void)
{
	uintptr_t cfa, ips[64];
	int i;

	lh_tmemo_reset(&memo);
	cfa = build(40, 0x403000);
	CU_ASSERT_EQUAL_FATAL(put(0x403000, cfa), 1);
	for (i = 0; i < LH_TMEMO_REBUILDS; i++) {
		CU_ASSERT_TRUE(lh_tmemo_may_put(&memo, 0x403000, cfa));
		CU_ASSERT_EQUAL(put(0x403000, cfa), 1);
	}
	CU_ASSERT_FALSE(lh_tmemo_may_put(&memo, 0x403000, cfa));
	CU_ASSERT_EQUAL(put(0x403000, cfa), 0);
	CU_ASSERT_EQUAL(lh_tmemo_get(&memo, 0x403000, cfa, ips, 64), N_PATH); /* still answers */
	/* a new thread's memo (reset): empty, and takes paths again */
	lh_tmemo_reset(&memo);
	CU_ASSERT_EQUAL(lh_tmemo_get(&memo, 0x403000, cfa, ips, 64), 0);
	CU_ASSERT_TRUE(lh_tmemo_may_put(&memo, 0x403000, cfa));
	CU_ASSERT_EQUAL(put(0x403000, cfa), 1);
	CU_ASSERT_EQUAL(put(0x403000, cfa), 1); /* its rebuilds counted from 0 again */
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "hit while the stack holds it", test_hit_while_the_stack_holds_it },
		{ "put refuses disagreement", test_put_refuses_disagreement },
		{ "rebuilds bounded", test_rebuilds_bounded },
	};
	return cunit_run("tracememo", tests, sizeof(tests) / sizeof(tests[0]));
}
