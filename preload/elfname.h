/*
 * elfname.h - how sampled race watching compares ELF symbol names
 * (pure, inline: tests/unit/test_elfname.c).
 *
 * binutils 2.35 and later write a copy-relocated library variable into
 * an executable's .symtab with its version ("stderr@GLIBC_2.2.5"), while
 * .dynsym has the bare name ("stderr") and the version in .gnu.version.
 * The sampler leaves the executable's exported symbols out (they are the
 * library's variables, copied in: sampler.c's `exported`), so it must
 * compare the names without the version, or `stderr` becomes a candidate
 * of the executable and takes windows from the program's own globals.
 */
#ifndef LOCKHOUND_ELFNAME_H
#define LOCKHOUND_ELFNAME_H

#include <string.h>

/* does .symtab name `sym` (possibly NAME@VER or NAME@@VER) name the
 * .dynsym symbol `dyn` (a bare name)? */
static inline int lh_elf_name_is(const char *sym, const char *dyn)
{
	size_t n = strlen(dyn);

	return strncmp(sym, dyn, n) == 0 && (sym[n] == 0 || sym[n] == '@');
}

#endif
