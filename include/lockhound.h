/*
 * lockhound.h - annotations for programs that use locks lockhound cannot
 * see on its own (spinlocks on atomics, futex-based locks, locks from
 * another runtime).  An annotated lock takes part in lock-order checking and
 * in the deadlock watchdog's wait-for graph.  Limits: lockhound cannot read
 * an annotated lock's state, so the misuse checks that ask the lock itself
 * (unlock of an unlocked lock, destroy while locked) and the self-deadlock
 * check do not apply, and shared acquisitions are taken to be of a
 * reader-preferring lock.
 *
 * Cost: the calls go through weak references that are filled only when
 * liblockhound.so is loaded (lockhound run, or LD_PRELOAD).  Without it,
 * each annotation is one load and a branch that is never taken.  Define
 * LOCKHOUND_DISABLE before including this header to compile them out.
 *
 * Usage, for a lock `l` of your own:
 *   LOCKHOUND_LOCK_CREATED(&l);             after initializing it
 *   LOCKHOUND_LOCK_ACQUIRING(&l, 0);        before a blocking acquisition
 *   LOCKHOUND_LOCK_ACQUIRED(&l, 0);         after it succeeded
 *   LOCKHOUND_LOCK_ACQUIRED(&l, LOCKHOUND_TRY);   after a successful trylock
 *   LOCKHOUND_LOCK_RELEASED(&l);            before releasing it
 *   LOCKHOUND_LOCK_DESTROYED(&l);           before destroying it
 * Pass LOCKHOUND_SHARED for a reader's acquisition of a reader-writer lock.
 */
#ifndef LOCKHOUND_H
#define LOCKHOUND_H

#ifdef __cplusplus
extern "C" {
#endif

#define LOCKHOUND_SHARED 0x1 /* a read (shared) acquisition */
#define LOCKHOUND_TRY 0x2    /* a trylock that succeeded: adds no lock order */

void lockhound_lock_created(void *lock) __attribute__((weak));
void lockhound_lock_destroyed(void *lock) __attribute__((weak));
void lockhound_lock_acquiring(void *lock, int flags) __attribute__((weak));
void lockhound_lock_acquired(void *lock, int flags) __attribute__((weak));
void lockhound_lock_released(void *lock) __attribute__((weak));

#ifdef LOCKHOUND_DISABLE
#define LOCKHOUND_CALL_(fn, ...) ((void)0)
#else
#define LOCKHOUND_CALL_(fn, ...)                                                                   \
	do {                                                                                       \
		if (__builtin_expect(fn != 0, 0))                                                  \
			fn(__VA_ARGS__);                                                           \
	} while (0)
#endif

#define LOCKHOUND_LOCK_CREATED(l) LOCKHOUND_CALL_(lockhound_lock_created, (void *)(l))
#define LOCKHOUND_LOCK_DESTROYED(l) LOCKHOUND_CALL_(lockhound_lock_destroyed, (void *)(l))
#define LOCKHOUND_LOCK_ACQUIRING(l, f) LOCKHOUND_CALL_(lockhound_lock_acquiring, (void *)(l), (f))
#define LOCKHOUND_LOCK_ACQUIRED(l, f) LOCKHOUND_CALL_(lockhound_lock_acquired, (void *)(l), (f))
#define LOCKHOUND_LOCK_RELEASED(l) LOCKHOUND_CALL_(lockhound_lock_released, (void *)(l))

#ifdef __cplusplus
}
#endif

#endif
