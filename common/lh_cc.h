/*
 * lh_cc.h - what `lockhound cc` / `lockhound c++` add to a link step, in one
 * list shared by the compiler driver (analyzer/cc.c) and the exact-mode
 * runtime inside liblockhound.so, which relies on these options (for
 * example `-Wl,--wrap=SYMBOL` for a libc call the runtime has to see in
 * instrumented objects that the compiler does not route through the
 * thread-sanitizer ABI).
 *
 * Every entry is passed to the compiler as one argument, after the runtime
 * and before the program's own arguments, on every link step (executables
 * and -shared libraries; not on -r partial links).
 */
#ifndef LOCKHOUND_CC_H
#define LOCKHOUND_CC_H

/* one -Wl,--wrap=NAME per function of lh_wrap_syms.h: the program's
 * allocations and memory/string calls reach the runtime's __wrap_NAME */
#include "lh_wrap_syms.h"
#define LH_CC_WRAP_OPTION(name) "-Wl,--wrap=" #name,
#define LH_CC_LINK_OPTIONS \
	{ LH_WRAP_SYMS(LH_CC_WRAP_OPTION) NULL }

/* The runtime's file name, and the directory (relative to the runtime's
 * directory) with stand-ins for gcc's libtsan.so, libtsan.a and
 * libtsan_preinit.o: gcc
 * has no option to instrument without linking libtsan, so the driver puts
 * this directory first in gcc's search path (-B) and gcc's `-ltsan` and
 * preinit object resolve to empty stand-ins.  clang is told
 * -fno-sanitize-link-runtime instead. */
#define LH_CC_RUNTIME "liblockhound.so"
#define LH_CC_STUB_DIR "tsan-stub"

#endif
