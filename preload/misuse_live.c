/*
 * misuse_live.c - the misuse checks that need the shim's live state (lock
 * identities, other threads' held stacks, glibc's fields of the object now)
 * to feed the pure decisions of misuse.c; the wrappers call them before the
 * real call, so the finding names the object as it was (its first init
 * stack, its holder).  docs/DESIGN.md section 12.
 */
#include "shim.h"
#include "glibc_locks.h"

#include <dlfcn.h>
#include <string.h>

int lh_mis_static_storage(const void *addr)
{
	Dl_info info;
	return dladdr(addr, &info) != 0 && info.dli_fbase != NULL;
}

/* Before the real init: a live identity that came from an init (not from a
 * first use, which PTHREAD_MUTEX_INITIALIZER allows to be followed by one
 * init) is mutex-reinit, named with that identity (its init stack) and,
 * while locked, the holder and where it took it.  dladdr only when the
 * identity is live: an init of fresh memory costs one slot look-up. */
void lh_mis_mutex_init_check(void *m, int kind, uintptr_t ra)
{
	struct lh_thread *t = lh_thr_self();
	struct lh_rec_finding_item it;
	struct lh_gl_state s;
	struct lh_lock *lk;
	int live;

	if (!t)
		return;
	lk = lh_lid_get(t, m);
	if (!lk)
		return;
	live = lh_lid_peek(lk) != 0 && __atomic_load_n(&lk->kind, __ATOMIC_RELAXED) == kind &&
	       !(__atomic_load_n(&lk->flags, __ATOMIC_RELAXED) & LH_LOCKF_STATIC_INIT);
	if (!live || !lh_mis_mutex_reinit(live, lh_mis_static_storage(m)))
		return;
	s = lh_gl_lock_state(m, kind, 0);
	lh_report_misuse(LH_MIS_MUTEX_REINIT, m, kind, ra, &it,
	                 s.locked == 1 ? lh_core_owner_item(s.owner, m, kind, &it) : 0);
}
