/*
 * wrap_user.c - the public annotation API of lockhound.h: locks the program
 * makes itself, reported by the program.  They are "user" locks; the core
 * treats them like mutexes (exclusive) or rwlocks (LOCKHOUND_SHARED).
 */
#include "wrap.h"

#include "lockhound.h"

LH_EXPORT void lockhound_lock_created(void *lock)
{
	if (lh_pass())
		return;
	LH_TELL(lh_core_init_lock(lock, LH_LOCK_USER, 0, LH_RA));
}

LH_EXPORT void lockhound_lock_destroyed(void *lock)
{
	if (lh_pass())
		return;
	LH_TELL(lh_core_destroy_lock(lock, LH_LOCK_USER, LH_RA));
}

LH_EXPORT void lockhound_lock_acquiring(void *lock, int flags)
{
	struct lh_acq a = { lock, LH_LOCK_USER, (flags & LOCKHOUND_SHARED) ? LH_ACQ_SHARED : 0, 0,
		            LH_RA, LH_CFA };

	if (lh_pass())
		return;
	LH_TELL(lh_core_wait_begin(&a));
}

LH_EXPORT void lockhound_lock_acquired(void *lock, int flags)
{
	struct lh_acq a = { lock, LH_LOCK_USER,
		            (uint8_t)(((flags & LOCKHOUND_SHARED) ? LH_ACQ_SHARED : 0) |
		                      ((flags & LOCKHOUND_TRY) ? LH_ACQ_TRY : 0)),
		            0, LH_RA, LH_CFA };

	if (lh_pass())
		return;
	lh_core_wait_end();
	LH_TELL(lh_core_acquired(&a));
}

LH_EXPORT void lockhound_lock_released(void *lock)
{
	if (lh_pass())
		return;
	LH_TELL(lh_core_released(lock, LH_LOCK_USER, LH_RA));
}
