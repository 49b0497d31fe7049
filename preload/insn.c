/*
 * insn.c - decoding the instruction at a trap with Capstone (insn.h).
 */
#include "insn.h"

#include <capstone/capstone.h>
#include <dlfcn.h>
#include <string.h>

/* Capstone is loaded by lh_insn_open (dlopen), not linked: a process that
 * never watches races (races=0, exact mode) never maps it, where linking
 * cost every process about 3.2 MiB of resident memory (the pages the loader
 * relocates in its tables).  Its callers open it only where a dlopen is
 * safe (lh_smp_init, from the shim's constructor: init.c).  The soname is
 * that of the headers compiled against (CS_API_MAJOR): the structures read
 * below are that version's. */
#define CS_STR2(x) #x
#define CS_STR(x) CS_STR2(x)
#define LH_CS_SONAME "libcapstone.so." CS_STR(CS_API_MAJOR)

static struct {
	cs_err (*open)(cs_arch arch, cs_mode mode, csh *handle);
	cs_err (*option)(csh handle, cs_opt_type type, size_t value);
	cs_insn *(*malloc)(csh handle);
	bool (*disasm_iter)(csh handle, const uint8_t **code, size_t *size, uint64_t *address,
	                    cs_insn *insn);
	cs_err (*close)(csh *handle);
} cs;
static int cs_loaded; /* 1 resolved, -1 could not be (then nothing decodes) */

/* 0 once every function above is resolved; called from lh_insn_open and
 * lh_insn_scan_rip only (one thread, at start-up) */
static int cs_load(void)
{
	void *h;

	if (cs_loaded)
		return cs_loaded > 0 ? 0 : -1;
	cs_loaded = -1;
	h = dlopen(LH_CS_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h)
		return -1;
	*(void **)&cs.open = dlsym(h, "cs_open");
	*(void **)&cs.option = dlsym(h, "cs_option");
	*(void **)&cs.malloc = dlsym(h, "cs_malloc");
	*(void **)&cs.disasm_iter = dlsym(h, "cs_disasm_iter");
	*(void **)&cs.close = dlsym(h, "cs_close");
	if (!cs.open || !cs.option || !cs.malloc || !cs.disasm_iter || !cs.close)
		return -1;
	cs_loaded = 1;
	return 0;
}


/* Instructions that only read their memory operand by definition: a
 * compare or bit test writes flags, never the operand.  Capstone 4.0.2
 * marks some of them as writing it (test r/m8, imm8: "testb $2, x(%rip)"
 * decodes read+write), which made a flag only ever tested look like a
 * write/write race; these are reads whatever Capstone says. */
static int reads_only(unsigned id)
{
	switch (id) {
	case X86_INS_TEST:
	case X86_INS_CMP:
	case X86_INS_BT:
	case X86_INS_UCOMISS:
	case X86_INS_UCOMISD:
	case X86_INS_COMISS:
	case X86_INS_COMISD:
	case X86_INS_VUCOMISS:
	case X86_INS_VUCOMISD:
	case X86_INS_VCOMISS:
	case X86_INS_VCOMISD:
	case X86_INS_PTEST:
	case X86_INS_VPTEST:
		return 1;
	default:
		return 0;
	}
}

static csh handle;
static cs_insn *buf; /* the one instruction buffer: decodes allocate nothing */
static int opened;

int lh_insn_open(const struct lh_insn_mem *mem)
{
	if (opened)
		return opened > 0 ? 0 : -1;
	opened = -1;
	if (cs_load() != 0)
		return -1;
	if (mem) {
		cs_opt_mem m = { mem->malloc, mem->calloc, mem->realloc, mem->free, vsnprintf };
		if (cs.option(0, CS_OPT_MEM, (size_t)&m) != CS_ERR_OK)
			return -1;
	}
	if (cs.open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
		return -1;
	if (cs.option(handle, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK || !(buf = cs.malloc(handle))) {
		cs.close(&handle);
		return -1;
	}
	opened = 1;
	return 0;
}

int lh_insn_decode(const uint8_t *code, size_t n, uint64_t pc, struct lh_insn *out)
{
	const uint8_t *p = code;
	size_t left = n;
	uint64_t addr = pc;
	const cs_x86 *x;
	int i;

	memset(out, 0, sizeof(*out));
	if (opened <= 0 || !cs.disasm_iter(handle, &p, &left, &addr, buf))
		return -1;
	x = &buf->detail->x86;
	out->len = (uint8_t)buf->size;
	for (i = 0; i < x->op_count; i++) {
		if (x->operands[i].type != X86_OP_MEM)
			continue;
		/* lea computes an address: no access */
		if (buf->id == X86_INS_LEA || buf->id == X86_INS_NOP)
			break;
		out->has_mem = 1;
		out->mem_size = x->operands[i].size;
		out->is_read |= (x->operands[i].access & CS_AC_READ) != 0;
		out->is_write |= (x->operands[i].access & CS_AC_WRITE) != 0;
	}
	if (out->has_mem && reads_only(buf->id)) {
		out->is_read = 1;
		out->is_write = 0;
	}
	out->is_atomic = out->has_mem && (x->prefix[0] == X86_PREFIX_LOCK || buf->id == X86_INS_XCHG);
	return 0;
}

/* votes[k]: how many starts in code[0..n) decode forwards in a run of
 * instructions whose last one begins at k and ends exactly at pc */
static void vote_starts(const uint8_t *code, size_t n, uint64_t pc, uint8_t *votes)
{
	size_t o;

	memset(votes, 0, LH_INSN_BACK + 1);
	for (o = 0; o < n; o++) {
		size_t at = o, last = o;
		struct lh_insn i;
		while (at < n && lh_insn_decode(code + at, n - at, pc - n + at, &i) == 0 && i.len) {
			last = at;
			at += i.len;
		}
		if (at == n && votes[last] < 255)
			votes[last]++;
	}
}

/* x86 code cannot be decoded backwards for sure, but decoding forwards
 * resynchronizes within a few instructions: decode from every start in
 * the window, keep the starts whose run of instructions lands exactly on
 * pc, and take the last instruction most of them agree on (ties: the
 * longest).  It must access memory. */
int lh_insn_decode_before(const uint8_t *code, size_t n, uint64_t pc, struct lh_insn *out)
{
	uint8_t votes[LH_INSN_BACK + 1];
	size_t o, best = 0;
	int best_votes = 0;

	if (n > LH_INSN_BACK)
		n = LH_INSN_BACK;
	vote_starts(code, n, pc, votes);
	for (o = 0; o < n; o++)
		if (votes[o] > best_votes) {
			best_votes = votes[o];
			best = o;
		}
	if (best_votes && lh_insn_decode(code + best, n - best, pc - n + best, out) == 0 &&
	    out->len == n - best && out->has_mem)
		return 0;
	memset(out, 0, sizeof(*out));
	return -1;
}

/* the index in lh_insn_regs of a 64-bit general register, or -1 */
static int reg_index(x86_reg r)
{
	static const x86_reg order[16] = { X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX,
		                           X86_REG_RSP, X86_REG_RBP, X86_REG_RSI, X86_REG_RDI,
		                           X86_REG_R8,  X86_REG_R9,  X86_REG_R10, X86_REG_R11,
		                           X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15 };
	int i;

	for (i = 0; i < 16; i++)
		if (order[i] == r)
			return i;
	return -1;
}

/* the effective address of the memory operand of the instruction in buf
 * (just decoded, ending at end): 0, or -1 when it cannot be computed */
static int mem_ea(const struct lh_insn_regs *regs, uint64_t end, uint64_t *ea)
{
	const cs_x86 *x = &buf->detail->x86;
	int i;

	for (i = 0; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];
		uint64_t a = (uint64_t)op->mem.disp;
		int b, k;

		if (op->type != X86_OP_MEM)
			continue;
		if (op->mem.segment != X86_REG_INVALID)
			return -1;
		if (op->mem.base == X86_REG_RIP)
			a += end;
		else if (op->mem.base != X86_REG_INVALID) {
			if ((b = reg_index(op->mem.base)) < 0)
				return -1;
			a += regs->r[b];
		}
		if (op->mem.index != X86_REG_INVALID) {
			if ((k = reg_index(op->mem.index)) < 0)
				return -1;
			a += regs->r[k] * (uint64_t)op->mem.scale;
		}
		*ea = a;
		return 0;
	}
	return -1;
}

int lh_insn_decode_before_at(const uint8_t *code, size_t n, uint64_t pc,
                             const struct lh_insn_regs *regs, uint64_t addr, unsigned len,
                             struct lh_insn *out)
{
	uint8_t votes[LH_INSN_BACK + 1];
	size_t o, best = 0;
	int best_votes = 0;

	if (n > LH_INSN_BACK)
		n = LH_INSN_BACK;
	if (!len)
		len = 1;
	vote_starts(code, n, pc, votes);
	/* ascending starts: a tie keeps the first, the longest */
	for (o = 0; o < n; o++) {
		struct lh_insn i;
		uint64_t ea;

		if (votes[o] <= best_votes)
			continue;
		if (lh_insn_decode(code + o, n - o, pc - n + o, &i) != 0 || i.len != n - o ||
		    !i.has_mem || mem_ea(regs, pc, &ea) != 0)
			continue;
		/* [ea, ea+size) overlaps [addr, addr+len) */
		if (ea < addr + len && addr < ea + (i.mem_size ? i.mem_size : 1)) {
			best_votes = votes[o];
			best = o;
			*out = i;
		}
	}
	if (best_votes && out->len == n - best)
		return 0;
	memset(out, 0, sizeof(*out));
	return -1;
}

static csh scan_handle;
static cs_insn *scan_buf;
static int scan_opened;

long lh_insn_scan_rip(const uint8_t *code, size_t n, uint64_t pc,
                      void (*fn)(void *ctx, uint64_t addr, unsigned size, int is_write), void *ctx)
{
	const uint8_t *p = code;
	size_t left = n;
	uint64_t addr = pc;
	long count = 0;

	if (!scan_opened) {
		scan_opened = -1;
		if (cs_load() != 0 || cs.open(CS_ARCH_X86, CS_MODE_64, &scan_handle) != CS_ERR_OK)
			return -1;
		if (cs.option(scan_handle, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK ||
		    !(scan_buf = cs.malloc(scan_handle))) {
			cs.close(&scan_handle);
			return -1;
		}
		scan_opened = 1;
	}
	if (scan_opened < 0)
		return -1;
	while (left) {
		const cs_x86 *x;
		int i;

		if (!cs.disasm_iter(scan_handle, &p, &left, &addr, scan_buf)) {
			p++;
			left--;
			addr++;
			continue;
		}
		count++;
		if (scan_buf->id == X86_INS_LEA || scan_buf->id == X86_INS_NOP)
			continue;
		x = &scan_buf->detail->x86;
		for (i = 0; i < x->op_count; i++) {
			const cs_x86_op *op = &x->operands[i];
			if (op->type != X86_OP_MEM || op->mem.base != X86_REG_RIP ||
			    op->mem.index != X86_REG_INVALID || op->mem.segment != X86_REG_INVALID)
				continue;
			/* addr is already the next instruction's: what RIP means */
			fn(ctx, addr + (uint64_t)op->mem.disp, op->size,
			   (op->access & CS_AC_WRITE) != 0 && !reads_only(scan_buf->id));
		}
	}
	return count;
}
