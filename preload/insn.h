/*
 * insn.h - what the instruction at a trap did (lh_insn_): read or write,
 * how many bytes, atomic or not.  Capstone decodes; this unit only asks it.
 * Used by sampled race watching: a trap source knows the address and the
 * pc, not whether the access was a locked read-modify-write (never a
 * race) or which bytes a read touched.
 *
 * Pure but for Capstone, which lh_insn_open loads (dlopen: a caller
 * calls it only where that is safe); one decoder, so the caller serializes (the
 * watcher's lock).  lh_insn_decode allocates nothing (cs_disasm_iter into
 * the buffer lh_insn_open made), so it may run in a signal handler.
 */
#ifndef LOCKHOUND_INSN_H
#define LOCKHOUND_INSN_H

#include <stddef.h>
#include <stdint.h>

#define LH_INSN_MAX 15  /* the longest x86 instruction, in bytes */
#define LH_INSN_BACK 32 /* bytes before a pc-after decoded to find the instruction */

struct lh_insn {
	uint8_t len;       /* instruction bytes */
	uint8_t has_mem;   /* it has a memory operand */
	uint8_t is_read;   /* of that operand */
	uint8_t is_write;
	uint8_t is_atomic; /* lock prefix, or xchg with memory (locked without one) */
	uint8_t mem_size;  /* bytes of the memory operand */
};

/* Memory for Capstone (its tables and the one instruction buffer):
 * malloc-like functions, or NULL for the C library's. */
struct lh_insn_mem {
	void *(*malloc)(size_t n);
	void *(*calloc)(size_t n, size_t m);
	void *(*realloc)(void *p, size_t n);
	void (*free)(void *p);
};

/* 0, or -1 when Capstone cannot be loaded or opened (then every decode
 * fails).  Loads it (dlopen): call it only where a dlopen cannot deadlock
 * or recurse (not inside another library's allocator or initialization) */
int lh_insn_open(const struct lh_insn_mem *mem);
/* the instruction starting at code[0] (n bytes available), which lives at
 * address pc.  0, or -1 when it does not decode. */
int lh_insn_decode(const uint8_t *code, size_t n, uint64_t pc, struct lh_insn *out);
/* the instruction ending just before pc (a hardware watchpoint reports the
 * pc after the access): code holds the n <= LH_INSN_BACK bytes before pc.
 * x86 code cannot be decoded backwards for sure: decoding forwards from
 * every start in the window, the last instruction most runs that land
 * exactly on pc agree on is taken; it must access memory.  0, or -1 when
 * none fits. */
int lh_insn_decode_before(const uint8_t *code, size_t n, uint64_t pc, struct lh_insn *out);

/* The general registers at the trap, in the x86 encoding's order (rax,
 * rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15), for the effective address
 * of a candidate's memory operand. */
struct lh_insn_regs {
	uint64_t r[16];
};

/* lh_insn_decode_before, keeping only candidates whose memory operand,
 * computed from regs (base + index*scale + disp; RIP-relative from the
 * candidate's own end; a segment override cannot be computed and does not
 * fit), overlaps [addr, addr+len): the bytes a watchpoint trapped on.
 * Among those the one most runs agree on (ties: the longest).  The last
 * two bytes of "mov 0x178(%r15),%eax" decode as "add %al,(%rax)": by votes
 * alone a read became a write.  -1 when no candidate fits: what the access
 * was is unknown. */
int lh_insn_decode_before_at(const uint8_t *code, size_t n, uint64_t pc,
                             const struct lh_insn_regs *regs, uint64_t addr, unsigned len,
                             struct lh_insn *out);

/* Linear sweep of code[0..n) (at address pc) for the memory it names
 * directly: every instruction with a RIP-relative memory operand (lea
 * excepted) calls fn with the address it accesses, its size and whether
 * it writes.  Bytes that do not decode are stepped over one at a time.
 * Uses a Capstone handle of its own (opened on first use), so it may run
 * while another thread decodes a trap; one caller at a time.  Returns the
 * instructions decoded, or -1 when Capstone cannot be opened. */
long lh_insn_scan_rip(const uint8_t *code, size_t n, uint64_t pc,
                      void (*fn)(void *ctx, uint64_t addr, unsigned size, int is_write), void *ctx);

#endif
