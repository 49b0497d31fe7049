/*
 * livefind.c - findings the shim decides while the program runs (misuse of
 * the threading API), written to the log as LH_REC_FINDING records.
 *
 * Each (kind of misuse, call site) is recorded once: a loop that unlocks an
 * unlocked mutex a million times is one record.  The program goes on: the
 * real function has been (or will be) called exactly as the program asked,
 * and its return value and errno are the program's.
 */
#include "shim.h"
#include "lh_misuse.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SEEN_MAX 1024
static uint64_t seen[SEEN_MAX];
static int n_seen;
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;

static void report(int what, void *addr, int kind, uintptr_t ra, uint32_t stack,
                   const struct lh_rec_finding_item *items, int n_items);

void lh_report_misuse(int what, void *addr, int kind, uintptr_t ra,
                      const struct lh_rec_finding_item *items, int n_items)
{
	report(what, addr, kind, ra, 0, items, n_items);
}

void lh_report_misuse_stack(int what, void *addr, int kind, uint32_t stack,
                            const struct lh_rec_finding_item *items, int n_items)
{
	report(what, addr, kind, 0, stack, items, n_items);
}

static void report(int what, void *addr, int kind, uintptr_t ra, uint32_t stack,
                   const struct lh_rec_finding_item *items, int n_items)
{
	struct lh_thread *t = lh_thr_current_raw();
	struct lh_rec_finding f;
	uint64_t key = ((uint64_t)(ra ? ra : (uintptr_t)addr) * 0x9E3779B97F4A7C15ull) ^ (uint64_t)what;
	int i, dup = 0, full = 0;

	if (!t)
		return;
	lh_in_shim++;
	lh_mu_lock(&seen_mu);
	for (i = 0; i < n_seen; i++)
		if (seen[i] == key)
			dup = 1;
	if (!dup && n_seen < SEEN_MAX)
		seen[n_seen++] = key;
	else if (!dup)
		full = n_seen++ == SEEN_MAX; /* counts past the end once, to note it */
	lh_mu_unlock(&seen_mu);
	if (full)
		lh_log_note("more than %d distinct misuse call sites; further ones are not recorded",
		            SEEN_MAX);
	if (dup || n_seen > SEEN_MAX) {
		lh_in_shim--;
		return;
	}
	lh_thr_ensure(t);
	for (i = 0; i < n_items; i++)
		lh_thr_ensure_id(items[i].thread_id);
	memset(&f, 0, sizeof(f));
	f.kind = LH_FIND_MISUSE;
	f.what = (uint32_t)what;
	f.thread_id = t->id;
	f.stack_id = ra ? lh_stk_capture(ra) : stack;
	f.lock_id = lh_core_lock_id_emit(addr, kind);
	f.time_ns = lh_now_ns();
	f.n_items = (uint32_t)(n_items > 0 ? n_items : 0);
	lh_log_record(LH_REC_FINDING, &f, sizeof(f), items, f.n_items * sizeof(*items), NULL, 0);
	if (!lh_opt.quiet)
		lh_warn("T%u: %s (lock at %p); see the report", t->id, lh_misuse_text((uint32_t)what), addr);
	lh_in_shim--;
}

void lh_livefind_after_fork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	seen_mu = fresh;
	n_seen = 0; /* the child's log has none of them */
}
