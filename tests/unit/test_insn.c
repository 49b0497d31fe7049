/*
 * test_insn.c - CUnit tests for preload/insn.c: the instructions a trap can
 * land on, from their bytes: plain loads and stores of each size, locked
 * read-modify-writes and xchg (atomic), cmpxchg, lea (no access), and the
 * decode backwards from a hardware watchpoint's pc-after.
 */
#include <CUnit/Basic.h>

#include "cunit_run.h"
#include <CUnit/CUnit.h>

#include <string.h>

#include "../../preload/insn.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static struct lh_insn d(const uint8_t *b, size_t n)
{
	struct lh_insn i;

	CU_ASSERT_EQUAL(lh_insn_decode(b, n, 0x401000, &i), 0);
	CU_ASSERT_EQUAL(i.len, n);
	return i;
}

static void test_plain(void)
{
	static const uint8_t store4[] = { 0x89, 0x05, 0x10, 0x20, 0x00, 0x00 }; /* mov %eax,x(%rip) */
	static const uint8_t load8[] = { 0x48, 0x8b, 0x07 };                   /* mov (%rdi),%rax */
	static const uint8_t load1[] = { 0x0f, 0xb6, 0x07 };                   /* movzbl (%rdi),%eax */
	static const uint8_t inc4[] = { 0x83, 0x05, 0x10, 0x20, 0x00, 0x00, 0x01 }; /* addl $1,x(%rip) */
	struct lh_insn i;

	CU_ASSERT_EQUAL_FATAL(lh_insn_open(NULL), 0);
	i = d(store4, sizeof(store4));
	CU_ASSERT(i.has_mem && i.is_write && !i.is_read && !i.is_atomic);
	CU_ASSERT_EQUAL(i.mem_size, 4);
	i = d(load8, sizeof(load8));
	CU_ASSERT(i.has_mem && i.is_read && !i.is_write && !i.is_atomic);
	CU_ASSERT_EQUAL(i.mem_size, 8);
	i = d(load1, sizeof(load1));
	CU_ASSERT(i.is_read && !i.is_write);
	CU_ASSERT_EQUAL(i.mem_size, 1);
	/* a plain read-modify-write: both, not atomic (the unguarded counter) */
	i = d(inc4, sizeof(inc4));
	CU_ASSERT(i.is_read && i.is_write && !i.is_atomic);
}

static void test_atomic(void)
{
	static const uint8_t lock_add[] = { 0xf0, 0x83, 0x05, 0x10, 0x20, 0x00, 0x00, 0x01 };
	static const uint8_t lock_xadd[] = { 0xf0, 0x0f, 0xc1, 0x07 };  /* lock xadd %eax,(%rdi) */
	static const uint8_t lock_cmpxchg[] = { 0xf0, 0x48, 0x0f, 0xb1, 0x17 };
	static const uint8_t xchg[] = { 0x87, 0x07 };                   /* xchg %eax,(%rdi) */
	static const uint8_t xchg_reg[] = { 0x48, 0x87, 0xc3 };         /* xchg %rax,%rbx */
	static const uint8_t lea[] = { 0x48, 0x8d, 0x47, 0x08 };         /* lea 8(%rdi),%rax */
	struct lh_insn i;

	CU_ASSERT_EQUAL_FATAL(lh_insn_open(NULL), 0);
	i = d(lock_add, sizeof(lock_add));
	CU_ASSERT(i.is_atomic && i.is_write);
	i = d(lock_xadd, sizeof(lock_xadd));
	CU_ASSERT(i.is_atomic && i.is_write && i.is_read);
	CU_ASSERT_EQUAL(i.mem_size, 4);
	i = d(lock_cmpxchg, sizeof(lock_cmpxchg));
	CU_ASSERT(i.is_atomic);
	CU_ASSERT_EQUAL(i.mem_size, 8);
	i = d(xchg, sizeof(xchg));
	CU_ASSERT(i.is_atomic && i.is_write);
	i = d(xchg_reg, sizeof(xchg_reg));
	CU_ASSERT(!i.has_mem && !i.is_atomic);
	i = d(lea, sizeof(lea));
	CU_ASSERT(!i.has_mem);
}

/* compares and bit tests only read their memory operand, whatever the
 * decoder's access flags say (Capstone 4.0.2: testb $imm, m is read+write) */
static void test_reads_only(void)
{
	static const uint8_t testb[] = { 0xf6, 0x05, 0x00, 0x00, 0x00, 0x00, 0x02 }; /* testb $2,x(%rip) */
	static const uint8_t testl[] = { 0xf7, 0x05, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00 };
	static const uint8_t testr[] = { 0x85, 0x05, 0x00, 0x00, 0x00, 0x00 };       /* test %eax,x(%rip) */
	static const uint8_t cmpl[] = { 0x83, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00 };  /* cmpl $0,x(%rip) */
	static const uint8_t cmpr[] = { 0x39, 0x05, 0x00, 0x00, 0x00, 0x00 };        /* cmp %eax,x(%rip) */
	static const uint8_t btl[] = { 0x0f, 0xba, 0x25, 0x00, 0x00, 0x00, 0x00, 0x03 }; /* btl $3,x(%rip) */
	static const uint8_t cmpb[] = { 0x80, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x00 };  /* cmpb $0,x(%rip) */
	static const uint8_t ucomisd[] = { 0x66, 0x0f, 0x2e, 0x05, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t testb_r[] = { 0xf6, 0x47, 0x10, 0x02 };                  /* testb $2,0x10(%rdi) */
	const struct { const uint8_t *b; size_t n; unsigned size; } c[] = {
		{ testb, sizeof(testb), 1 },   { testl, sizeof(testl), 4 }, { testr, sizeof(testr), 4 },
		{ cmpl, sizeof(cmpl), 4 },     { cmpr, sizeof(cmpr), 4 },   { btl, sizeof(btl), 4 },
		{ cmpb, sizeof(cmpb), 1 },     { ucomisd, sizeof(ucomisd), 8 },
		{ testb_r, sizeof(testb_r), 1 },
	};
	size_t k;

	CU_ASSERT_EQUAL_FATAL(lh_insn_open(NULL), 0);
	for (k = 0; k < N_OF(c); k++) {
		struct lh_insn i = d(c[k].b, c[k].n);
		CU_ASSERT(i.has_mem && i.is_read && !i.is_write && !i.is_atomic);
		CU_ASSERT_EQUAL(i.mem_size, c[k].size);
	}
}

static void test_before(void)
{
	/* nop; nop; mov %eax,x(%rip): the trap's pc is after the store */
	static const uint8_t code[] = { 0x90, 0x90, 0x89, 0x05, 0x10, 0x20, 0x00, 0x00 };
	/* ... mov (%rdi),%rax; then lock xadd */
	static const uint8_t code2[] = { 0x48, 0x8b, 0x07, 0xf0, 0x0f, 0xc1, 0x07 };
	static const uint8_t none[] = { 0x90, 0x90, 0x90 };
	struct lh_insn i;

	CU_ASSERT_EQUAL_FATAL(lh_insn_open(NULL), 0);
	CU_ASSERT_EQUAL(lh_insn_decode_before(code, sizeof(code), 0x401008, &i), 0);
	CU_ASSERT_EQUAL(i.len, 6);
	CU_ASSERT(i.is_write && !i.is_atomic);
	CU_ASSERT_EQUAL(lh_insn_decode_before(code2, sizeof(code2), 0x401007, &i), 0);
	CU_ASSERT_EQUAL(i.len, 4);
	CU_ASSERT(i.is_atomic);
	CU_ASSERT_EQUAL(lh_insn_decode_before(code2, 3, 0x401003, &i), 0);
	CU_ASSERT(i.is_read && !i.is_write && !i.is_atomic);
	CU_ASSERT_EQUAL(lh_insn_decode_before(none, sizeof(none), 0x401003, &i), -1);
	/* garbage does not crash */
	CU_ASSERT_EQUAL(lh_insn_decode_before(none, 0, 0x401003, &i), -1);
}

/* the 32 bytes before pc 0x4f9328 in CPython 3.11's take_gil: ...; jne;
 * mov 0x178(%r15),%eax.  Its last two bytes, 00 00, decode as
 * "add %al,(%rax)", which the votes alone pick: a read became a write. */
static void test_before_at(void)
{
	static const uint8_t code[] = {
		0x00, 0x00, 0x4c, 0x89, 0xef, 0x48, 0x89, 0x44, 0x24, 0x08, 0xe8, 0x69, 0x78, 0xf2, 0xff, 0x89,
		0xc6, 0x85, 0xc0, 0x0f, 0x85, 0x44, 0xc3, 0xf2, 0xff, 0x41, 0x8b, 0x87, 0x78, 0x01, 0x00, 0x00,
	};
	const uint64_t pc = 0x4f9328, r15 = 0x7f0000001000, rax = 0x7f0000002000;
	struct lh_insn_regs regs;
	struct lh_insn i;

	CU_ASSERT_EQUAL_FATAL(lh_insn_open(NULL), 0);
	memset(&regs, 0, sizeof(regs));
	regs.r[0] = rax;
	regs.r[15] = r15;
	/* the watched word is r15+0x178: the mov, a 4-byte read */
	CU_ASSERT_EQUAL(lh_insn_decode_before_at(code, sizeof(code), pc, &regs, r15 + 0x178, 4, &i), 0);
	CU_ASSERT_EQUAL(i.len, 7);
	CU_ASSERT(i.has_mem && i.is_read && !i.is_write);
	CU_ASSERT_EQUAL(i.mem_size, 4);
	/* a byte inside the word, as a hardware slot watches */
	CU_ASSERT_EQUAL(lh_insn_decode_before_at(code, sizeof(code), pc, &regs, r15 + 0x17a, 1, &i), 0);
	CU_ASSERT_EQUAL(i.len, 7);
	CU_ASSERT(!i.is_write);
	/* if rax pointed at the watched byte, the add would be it */
	CU_ASSERT_EQUAL(lh_insn_decode_before_at(code, sizeof(code), pc, &regs, rax, 1, &i), 0);
	CU_ASSERT_EQUAL(i.len, 2);
	CU_ASSERT(i.is_write);
	/* neither covers the address: unknown, no write reported */
	CU_ASSERT_EQUAL(lh_insn_decode_before_at(code, sizeof(code), pc, &regs, r15 + 0x200, 4, &i), -1);
	CU_ASSERT(!i.is_write && !i.has_mem);
	/* RIP-relative from the candidate's own end: mov %eax,0x2010(%rip) ending at 0x401008 */
	{
		static const uint8_t st[] = { 0x90, 0x90, 0x89, 0x05, 0x10, 0x20, 0x00, 0x00 };
		CU_ASSERT_EQUAL(lh_insn_decode_before_at(st, sizeof(st), 0x401008, &regs, 0x401008 + 0x2010, 1, &i), 0);
		CU_ASSERT(i.is_write && i.len == 6);
		CU_ASSERT_EQUAL(lh_insn_decode_before_at(st, sizeof(st), 0x401008, &regs, 0x401008 + 0x2014, 1, &i), -1);
	}
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "plain", test_plain },
		{ "atomic", test_atomic },
		{ "reads_only", test_reads_only },
		{ "before", test_before },
		{ "before_at", test_before_at },
	};
	return cunit_run("insn", tests, N_OF(tests));
}
