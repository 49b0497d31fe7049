/*
 * insn.c - decoding the instruction at a trap with Capstone (insn.h).
 */
#include "insn.h"

#include <capstone/capstone.h>
#include <string.h>

static csh handle;
static cs_insn *buf; /* the one instruction buffer: decodes allocate nothing */
static int opened;

int lh_insn_open(const struct lh_insn_mem *mem)
{
	if (opened)
		return opened > 0 ? 0 : -1;
	opened = -1;
	if (mem) {
		cs_opt_mem m = { mem->malloc, mem->calloc, mem->realloc, mem->free, vsnprintf };
		if (cs_option(0, CS_OPT_MEM, (size_t)&m) != CS_ERR_OK)
			return -1;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
		return -1;
	if (cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK || !(buf = cs_malloc(handle))) {
		cs_close(&handle);
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
	if (opened <= 0 || !cs_disasm_iter(handle, &p, &left, &addr, buf))
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
	out->is_atomic = out->has_mem && (x->prefix[0] == X86_PREFIX_LOCK || buf->id == X86_INS_XCHG);
	return 0;
}

int lh_insn_decode_before(const uint8_t *code, size_t n, uint64_t pc, struct lh_insn *out)
{
	size_t k;

	if (n > LH_INSN_MAX)
		n = LH_INSN_MAX;
	for (k = n; k >= 1; k--) {
		if (lh_insn_decode(code + n - k, k, pc - k, out) == 0 && out->len == k && out->has_mem)
			return 0;
	}
	memset(out, 0, sizeof(*out));
	return -1;
}
