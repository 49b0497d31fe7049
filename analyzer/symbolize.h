/*
 * symbolize.h - turning recorded program counters into function, file and
 * line, offline, with elfutils' libdw (prefix sym_).
 *
 * The analyzer runs after the program, possibly on another machine: it knows
 * each module's path, load bias, address range and build-id from the log,
 * and opens the files by path.  A module whose file is missing, or whose
 * build-id differs from the recorded one, still gets "module + offset"
 * frames (and one warning per module); a module without debug info still
 * gets function names from its symbol tables.  C++ names are demangled.
 * Inlined calls expand into several frames, innermost first.
 */
#ifndef LOCKHOUND_SYMBOLIZE_H
#define LOCKHOUND_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct sym_ctx;

struct sym_module_desc {
	const char *path;
	uint64_t base; /* load bias */
	uint64_t lo, hi; /* mapped range [lo, hi) */
	const uint8_t *build_id;
	size_t build_id_len;
};

/* One resolved frame.  Strings are owned by the sym_ctx and live until
 * sym_free; a field that is not known is NULL (line 0). */
struct sym_frame {
	uint64_t pc;          /* the recorded pc */
	const char *function; /* demangled */
	const char *file;
	int line;
	int column;
	const char *module; /* path of the module, NULL if pc is in none */
	uint64_t offset;    /* pc - module base, meaningful when module != NULL */
	int inlined;        /* 1 for a frame produced by inline expansion */
};

struct sym_ctx *sym_new(void);
void sym_free(struct sym_ctx *s);

/* Register a module.  Modules may be added in any order; later additions
 * whose range overlaps an earlier one (dlclose + dlopen) win for that range. */
int sym_add_module(struct sym_ctx *s, const struct sym_module_desc *m);

/* Resolve pc.  is_return_addr: pc is a return address, so the call
 * instruction is looked up (pc - 1) while frame.pc stays pc.  Writes up to
 * max_out frames (inline expansion, innermost first) and returns how many,
 * always at least 1 when max_out >= 1.  Results are cached per pc. */
size_t sym_lookup(struct sym_ctx *s, uint64_t pc, int is_return_addr,
                  struct sym_frame *out, size_t max_out);

/* A data object (STT_OBJECT symbol) containing addr: its name
 * (demangled, owned by the sym_ctx), module path, start address (run-time,
 * load bias applied) and size. */
struct sym_data {
	const char *name;
	const char *module;
	uint64_t start;
	uint64_t size;
};

/* Name the global variable at run-time address addr from the symbol table
 * of the module containing it (executable, PIE or shared library).
 * Returns 1 and fills out if an STT_OBJECT symbol covers addr (a symbol
 * of size 0 only covers its own address), 0 if none does (stripped file,
 * file missing, addr in no module, or addr in padding between objects).
 * Not cached: callers look up each variable once. */
int sym_data_lookup(struct sym_ctx *s, uint64_t addr, struct sym_data *out);

/* The section of the module's file that holds run-time address addr
 * (".bss", ".data") and addr's offset in it, for a global no symbol names
 * (a stripped module): 1 and out filled (name owned by the sym_ctx), or 0
 * (addr in no module, the file missing or changed, in no allocated
 * section). */
struct sym_section {
	const char *name;
	uint64_t offset;
};
int sym_data_section(struct sym_ctx *s, uint64_t addr, struct sym_section *out);

/* 1 if the global variable at addr is declared atomic in the module's
 * debug information (C11 _Atomic / atomic_int, C++ std::atomic<T>); 0 if
 * not, or when there is no debug information.  Sampled race watching sees
 * instructions, and on x86 atomic loads and release stores are plain
 * moves: an access to an atomic variable is never a race. */
int sym_data_atomic(struct sym_ctx *s, uint64_t addr);

/* Warnings collected so far (missing file, build-id mismatch), one per
 * line, NUL-terminated; "" if none. */
const char *sym_warnings(const struct sym_ctx *s);

/* Demangle a C++ name; returns a malloc'd string, or NULL if it is not a
 * mangled name. */
char *sym_demangle(const char *name);

#endif
