/*
 * lh_misuse.c - the misuse names (see lh_misuse.h).
 */
#include "lh_misuse.h"

#include <stddef.h>

const struct lh_misuse_desc lh_misuse_table[LH_MIS_COUNT_] = {
	[0] = { "misuse", "misuse of the threading API" },
	[LH_MIS_UNLOCK_NOT_LOCKED] = { "unlock-not-locked", "unlock of a lock that is not locked" },
	[LH_MIS_UNLOCK_OTHER_THREAD] = { "unlock-other-thread",
		                         "unlock of a lock that another thread holds" },
	[LH_MIS_DESTROY_LOCKED] = { "destroy-locked", "destroy of a lock that is locked" },
	[LH_MIS_DESTROY_WAITERS] = { "destroy-with-waiters",
		                     "destroy of a lock that other threads wait for" },
	[LH_MIS_EXIT_HOLDING] = { "exit-holding-locks", "a thread exits while it holds locks" },
	[LH_MIS_COND_NOT_HELD] = { "cond-wait-not-held",
		                   "condition wait with a mutex the thread does not hold" },
	[LH_MIS_COND_TWO_MUTEXES] = { "cond-two-mutexes",
		                      "one condition variable used with two mutexes at the same time" },
	[LH_MIS_USE_AFTER_DESTROY] = { "use-after-destroy", "use of a lock after it was destroyed" },
	[LH_MIS_BAD_TIMESPEC] = { "invalid-timespec",
		                  "timed lock or wait with an invalid timespec (it failed with EINVAL)" },
	[LH_MIS_JOIN_SELF] = { "join-self", "a thread joins itself" },
	[LH_MIS_JOIN_DETACHED] = { "join-detached",
		                   "join of a detached thread (or of one another thread joins)" },
	[LH_MIS_DETACH_DETACHED] = { "detach-detached", "detach of a thread that is already detached" },
	[LH_MIS_SEM_BAD_COUNT] = { "sem-init-invalid-count",
		                   "semaphore initialized with a count above SEM_VALUE_MAX (it failed with EINVAL)" },
	[LH_MIS_BARRIER_COUNT_ZERO] = { "barrier-count-zero",
		                        "barrier initialized with count 0 (it failed with EINVAL)" },
	[LH_MIS_SEM_REINIT] = { "sem-reinit", "semaphore initialized again without a sem_destroy" },
	[LH_MIS_SEM_NOT_INIT] = { "sem-not-initialized",
		                  "wait or post on a semaphore that was never initialized (or was destroyed)" },
	[LH_MIS_SEM_OVERWRITTEN] = { "sem-overwritten",
		                     "wait or post on a semaphore whose memory was overwritten" },
	[LH_MIS_SEM_DESTROY_WAITERS] = { "sem-destroy-waiters",
		                         "destroy of a semaphore that other threads wait on" },
	[LH_MIS_COND_DESTROY_WAITERS] = { "cond-destroy-waiters",
		                          "destroy of a condition variable that threads wait on" },
	[LH_MIS_BARRIER_DESTROY_WAITERS] = { "barrier-destroy-waiters",
		                             "destroy of a barrier that threads wait in" },
	[LH_MIS_BARRIER_REINIT_WAITERS] = { "barrier-reinit-waiters",
		                            "barrier initialized again while threads wait in it" },
	[LH_MIS_JOIN_TWICE] = { "join-twice", "join of a thread that was already joined" },
	[LH_MIS_DETACH_JOINED] = { "detach-joined", "detach of a thread that was already joined" },
	[LH_MIS_MUTEX_REINIT] = { "mutex-reinit", "mutex initialized again without a destroy" },
	[LH_MIS_COND_SIGNAL_UNLOCKED] = { "cond-signal-without-mutex",
		                          "condition variable signalled without the mutex its waiters use" },
	[LH_MIS_FREE_LOCKED] = { "free-locked", "memory freed while it holds a lock the thread holds" },
	[LH_MIS_BARRIER_EXTRA_WAITER] = { "barrier-extra-waiter",
		                          "barrier waited on by more threads than its count" },
	[LH_MIS_COND_NOT_INIT] = { "cond-not-initialized",
		                   "wait, signal or broadcast on a condition variable that was never initialized (or was destroyed)" },
	[LH_MIS_COND_OVERWRITTEN] = { "cond-overwritten",
		                      "wait, signal or broadcast on a condition variable whose memory was overwritten" },
};

static const struct lh_misuse_desc *desc(uint32_t what)
{
	const struct lh_misuse_desc *d = what < LH_MIS_COUNT_ ? &lh_misuse_table[what] : NULL;
	return d && d->name ? d : &lh_misuse_table[0];
}

const char *lh_misuse_name(uint32_t what)
{
	return desc(what)->name;
}

const char *lh_misuse_text(uint32_t what)
{
	return desc(what)->text;
}
