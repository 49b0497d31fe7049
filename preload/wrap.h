/*
 * wrap.h - what every interposed function shares: the pass-through test,
 * the caller's return address and stack pointer, and errno preservation.
 *
 * A wrapper passes straight through to the real function while the shim is
 * not ready, is disabled, or is itself running (re-entry from libunwind,
 * dl_iterate_phdr or write).  Otherwise it calls the real function and tells
 * the core one thing.  Blocking acquisitions try the lock first: only when
 * that fails does the thread note that it waits (for the watchdog) before it
 * blocks, so an uncontended lock costs one real trylock, as a lock would.
 */
#ifndef LOCKHOUND_WRAP_H
#define LOCKHOUND_WRAP_H

#include "shim.h"

#include <errno.h>

/* the caller of the interposed function: its return address, and its stack
 * pointer at the call (the wrapper's canonical frame address) */
#define LH_RA ((uintptr_t)__builtin_return_address(0))
#define LH_CFA ((uintptr_t)__builtin_dwarf_cfa())

static inline int lh_pass(void)
{
	if (likely(__atomic_load_n(&lh_ready, __ATOMIC_ACQUIRE) && !lh_in_shim && !lh_disabled))
		return 0;
	if (!lh_real.mutex_lock || !lh_ready)
		lh_init();
	return !lh_ready || lh_in_shim || lh_disabled;
}

/* run the core's book-keeping without letting it change errno */
#define LH_TELL(stmt)                                                                              \
	do {                                                                                       \
		int lh_saved_errno_ = errno;                                                       \
		stmt;                                                                              \
		errno = lh_saved_errno_;                                                           \
	} while (0)

/* try first; wait (visibly to the watchdog) only if the lock is taken */
#define LH_ACQUIRE(acq, try_call, busy_rc, lock_call)                                              \
	({                                                                                         \
		int lh_rc_ = (try_call);                                                           \
		if (lh_rc_ == (busy_rc)) {                                                         \
			LH_TELL(lh_core_wait_begin(&(acq)));                                       \
			lh_rc_ = (lock_call);                                                      \
			lh_core_wait_end();                                                        \
		}                                                                                  \
		lh_rc_;                                                                            \
	})

#endif
