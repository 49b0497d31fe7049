/*
 * libtsan_preinit.c - an empty stand-in for gcc's libtsan_preinit.o.
 *
 * gcc links libtsan_preinit.o and -ltsan into every program linked with
 * -fsanitize=thread.  `lockhound cc` links lockhound's runtime instead and
 * puts the directory holding this object, the empty libtsan.so linker
 * script (tsan-stub/libtsan.so) and an empty libtsan.a (made by the
 * Makefile, for -static-libtsan) first in gcc's search path (-B), so no
 * part of libtsan gets in.  lockhound's runtime starts from its own
 * constructor; nothing has to run before it.
 */
typedef int lh_tsan_preinit_stub_unused;
