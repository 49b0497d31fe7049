/*
 * semmodel.c - one model of a POSIX semaphore: is it a lock?  Pure: the
 * state is a word the caller keeps (in the semaphore's struct lh_lock) and
 * every decision is a function of that word and the calling thread's id, so
 * tests/unit/test_semmodel.c scripts waits and posts with no threads, no
 * semaphores and no log.  docs/DESIGN.md section 26 has the model.
 *
 * A semaphore is a lock of the lock graph while it is used as one: its
 * initial value was 1 (sem_init, or sem_open finding it at 1) and every
 * post so far came from the thread whose wait took it.  Everything else is
 * not a lock, from its start (a counting semaphore, a pool of 3; a
 * signalling one, initial 0; one the shim saw no initialization of) or from
 * the first event that breaks the rule (demoted, for good):
 *   - a post by another thread than the one that took it (a hand-off);
 *   - a post while no thread had it (its count goes above 1);
 *   - a wait that succeeded while a thread had it (the count was above 1),
 *     and a blocking wait by the thread that has it (it waits for another
 *     thread's post, which is how CPython's threading.Condition uses its
 *     waiter locks).
 * A demotion cannot take back the orders recorded while the semaphore
 * looked like a lock: the caller writes an LH_REC_SEM_CLASS record and the
 * analyzer drops every edge of that semaphore (lockhound_log.h).
 *
 * Word layout (one 64-bit atomic, changed by compare-and-swap, so a wait in
 * one thread and a post in another never lose an update):
 *   bits 0-7    class: LH_SEMC_*
 *   bits 8-15   why (LH_SEMW_*, lockhound_log.h) once demoted, 0 otherwise
 *   bits 32-63  LOCK: the thread that has it, 0 free; demoted: the thread
 *               whose call demoted it
 * The order of the caller's calls against the real ones makes the CAS
 * enough: a post is decided before the real sem_post (the holder gives it
 * up before any waiter can get through), a wait after the real wait
 * returned (the waiter has it before it says so).
 *
 * Posters, for the watchdog: the one thread that has posted the semaphore
 * so far, LH_SEM_MANY_POSTERS once a second one did, 0 none yet.
 */
#include "shim.h"

#define CLS(w) ((unsigned)((w)&0xff))
#define WHY(w) ((unsigned)(((w) >> 8) & 0xff))
#define WHO(w) ((uint32_t)((w) >> 32))
#define WORD(cls, why, who) ((uint64_t)(cls) | ((uint64_t)(why) << 8) | ((uint64_t)(who) << 32))

uint64_t lh_sem_initial(int known, unsigned value)
{
	return WORD(known && value == 1 ? LH_SEMC_LOCK : LH_SEMC_NOT_LOCK, 0, 0);
}

/* move *st from cur to next; 1 if it was still cur */
static int move(uint64_t *st, uint64_t *cur, uint64_t next)
{
	return __atomic_compare_exchange_n(st, cur, next, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

int lh_sem_wait_call(uint64_t *st, uint32_t tid, int *why)
{
	uint64_t cur = __atomic_load_n(st, __ATOMIC_ACQUIRE);

	while (CLS(cur) == LH_SEMC_LOCK && WHO(cur) == tid && tid != 0)
		if (move(st, &cur, WORD(LH_SEMC_NOT_LOCK, LH_SEMW_WAITED_TWICE, tid))) {
			*why = LH_SEMW_WAITED_TWICE;
			return LH_SEM_DEMOTED;
		}
	return LH_SEM_NOTHING;
}

int lh_sem_waited(uint64_t *st, uint32_t tid, int *why)
{
	uint64_t cur = __atomic_load_n(st, __ATOMIC_ACQUIRE);

	while (CLS(cur) == LH_SEMC_LOCK) {
		if (WHO(cur) == 0) {
			if (move(st, &cur, WORD(LH_SEMC_LOCK, 0, tid)))
				return LH_SEM_TAKE;
		} else if (move(st, &cur, WORD(LH_SEMC_NOT_LOCK, LH_SEMW_WAITED_TWICE, tid))) {
			*why = LH_SEMW_WAITED_TWICE;
			return LH_SEM_DEMOTED;
		}
	}
	return LH_SEM_NOTHING;
}

int lh_sem_posting(uint64_t *st, uint32_t tid, int *why)
{
	uint64_t cur = __atomic_load_n(st, __ATOMIC_ACQUIRE);

	while (CLS(cur) == LH_SEMC_LOCK) {
		if (WHO(cur) == tid && tid != 0) {
			if (move(st, &cur, WORD(LH_SEMC_LOCK, 0, 0)))
				return LH_SEM_GIVE;
		} else {
			int w = WHO(cur) == 0 ? LH_SEMW_POSTED_FREE : LH_SEMW_POSTED_BY_OTHER;
			if (move(st, &cur, WORD(LH_SEMC_NOT_LOCK, w, tid))) {
				*why = w;
				return LH_SEM_DEMOTED;
			}
		}
	}
	return LH_SEM_NOTHING;
}

int lh_sem_is_lock(uint64_t st)
{
	return CLS(st) == LH_SEMC_LOCK;
}

uint32_t lh_sem_holder(uint64_t st)
{
	return CLS(st) == LH_SEMC_LOCK ? WHO(st) : 0;
}

int lh_sem_why(uint64_t st, uint32_t *who)
{
	if (CLS(st) == LH_SEMC_LOCK)
		return 0;
	*who = WHO(st);
	return (int)WHY(st);
}

void lh_sem_posted_by(uint32_t *posters, uint32_t tid)
{
	uint32_t cur = __atomic_load_n(posters, __ATOMIC_RELAXED);

	/* relaxed: a hint for the watchdog, which confirms on two ticks */
	while (cur != tid && cur != LH_SEM_MANY_POSTERS &&
	       !__atomic_compare_exchange_n(posters, &cur, cur == 0 ? tid : LH_SEM_MANY_POSTERS, 0,
	                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

uint32_t lh_sem_only_poster(uint32_t posters)
{
	return posters == LH_SEM_MANY_POSTERS ? 0 : posters;
}
