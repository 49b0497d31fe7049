/*
 * condtab.c - which mutex each condition variable is being waited with,
 * so that a wait with a second mutex while another thread waits with the
 * first (cond-two-mutexes, docs/DESIGN.md section 12) is seen.  Pure: no
 * threads' state, no log records; tests/unit/test_condtab.c drives it.
 *
 * An open-addressing table of LH_COND_SLOTS entries under lh_cond_mu.  A
 * condition variable's entry lives while it has waiters; a free entry
 * (no waiters) is reused by the next condition variable that probes it.
 * Limit: a condition variable that finds neither its entry nor a free one
 * within LH_COND_PROBE probes is not tracked for that wait (noted once in
 * the log): a two-mutex misuse with it is missed.
 */
#include "shim.h"

#include <string.h>

struct cond_slot {
	void *cond;
	void *mutex;     /* the mutex the waiters wait with */
	int waiters;     /* 0: the entry is free */
	uint32_t thread; /* a thread waiting with `mutex` */
	uintptr_t ra;    /* and where it waits */
};
/* every field under lh_cond_mu */
static struct cond_slot conds[LH_COND_SLOTS];
pthread_mutex_t lh_cond_mu = PTHREAD_MUTEX_INITIALIZER; /* across fork: forklocks.c */

static inline size_t cond_hash(const void *cond)
{
	return ((uintptr_t)cond >> 4) % LH_COND_SLOTS;
}

/* the entry of cond, or NULL; caller holds lh_cond_mu */
static struct cond_slot *find(const void *cond, struct cond_slot **free_slot)
{
	size_t j = cond_hash(cond), k;

	if (free_slot)
		*free_slot = NULL;
	for (k = 0; k < LH_COND_PROBE; k++, j = (j + 1) % LH_COND_SLOTS) {
		if (conds[j].waiters > 0 && conds[j].cond == cond)
			return &conds[j];
		if (conds[j].waiters == 0 && free_slot && !*free_slot)
			*free_slot = &conds[j];
	}
	return NULL;
}

int lh_cond_enter(void *cond, void *mutex, uint32_t thread, uintptr_t ra, struct lh_cond_other *other)
{
	struct cond_slot *s, *free_slot;
	int rc = LH_COND_OK;
	static int full_noted;

	lh_mu_lock(&lh_cond_mu);
	s = find(cond, &free_slot);
	if (s) {
		if (s->mutex != mutex) {
			other->mutex = s->mutex;
			other->thread = s->thread;
			other->ra = s->ra;
			rc = LH_COND_OTHER_MUTEX;
		}
		s->waiters++;
	} else if (free_slot) {
		free_slot->cond = cond;
		free_slot->mutex = mutex;
		free_slot->thread = thread;
		free_slot->ra = ra;
		free_slot->waiters = 1;
	} else {
		rc = LH_COND_UNTRACKED;
		if (!full_noted) {
			full_noted = 1;
			lh_log_note("the table of condition variables being waited on is full near %p (%d "
			            "probes): waits on some are not checked for use with two mutexes",
			            cond, LH_COND_PROBE);
		}
	}
	lh_mu_unlock(&lh_cond_mu);
	return rc;
}

void lh_cond_leave(void *cond, int entered)
{
	struct cond_slot *s;

	if (entered == LH_COND_UNTRACKED)
		return;
	lh_mu_lock(&lh_cond_mu);
	s = find(cond, NULL);
	if (s)
		s->waiters--;
	lh_mu_unlock(&lh_cond_mu);
}

int lh_cond_waiters(const void *cond)
{
	struct cond_slot *s;
	int n;

	lh_mu_lock(&lh_cond_mu);
	s = find(cond, NULL);
	n = s ? s->waiters : 0;
	lh_mu_unlock(&lh_cond_mu);
	return n;
}

void lh_cond_after_fork_child(void)
{
	/* lh_cond_mu was re-made by lh_fork_reset_all */
	memset(conds, 0, sizeof(conds)); /* the waiters were other threads */
}
