/*
 * rt_report.c - the race engine's race hook: one LH_REC_RACE record per
 * distinct (variable, current-side context, previous-side context), with
 * everything it refers to (stacks, LOCK and THREAD records) written first.
 *
 * The hook runs on the accessing thread, inside rc_access.  Two bounded
 * tables keep it cheap and the log bounded: `seen` answers "this address
 * with these two contexts was handled already" in a few loads (a racy loop
 * reports each iteration to the hook), `races` holds what was written.
 * When either is full the race is still reported (seen) or dropped with a
 * note (races).  A third, `pairs`, counts the addresses classified for each
 * pair of contexts: code racing on the many objects of one allocation site
 * (a field of every request) is classified LH_RT_PAIR_VARS times, not once
 * per object (each classification looks the block up).  A race met in a signal handler (wrap_sigaction.c), or
 * while the shim itself runs on this thread, is not written: that would
 * take the log lock and intern stacks in a handler; it is counted, noted
 * at exit, and written if it happens again outside a handler.
 *
 * Both stacks come from the shadow call stack (frame 0 = the access's pc),
 * not from an unwind: LH_RACC_STACK_APPROX.
 */
#include "rt.h"

#include <dlfcn.h>
#include <string.h>

static struct lh_itab seen, races, pairs;
static uint8_t *pair_vars; /* pairs id -> addresses classified for it (<= LH_RT_PAIR_VARS) */
static int noted_races, noted_pairs, noted_nothread;
static uint32_t unsafe_dropped;

/* a note from inside the hook, where lh_in_shim is already raised by the
 * hook itself (lh_rt_note_limit would wait for a safer moment) */
static void note_once(int *noted, const char *text)
{
	int z = 0;

	if (__atomic_compare_exchange_n(noted, &z, 1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		lh_log_note("%s", text);
}

static void *alloc_cb(void *cookie, size_t n)
{
	(void)cookie;
	return lh_alloc(n);
}

static int tables_ready;

/* at __tsan_init, before the engine can report anything */
int lh_rt_report_init(void)
{
	struct rc_alloc a = { alloc_cb, NULL };

	if (lh_itab_init(&seen, LH_RT_LOG2_RACES_SEEN, &a) < 0 || lh_itab_init(&races, LH_RT_LOG2_RACES, &a) < 0 ||
	    lh_itab_init(&pairs, LH_RT_LOG2_PAIRS, &a) < 0 ||
	    !(pair_vars = lh_alloc((size_t)1 << LH_RT_LOG2_PAIRS)))
		return -1;
	__atomic_store_n(&tables_ready, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Frames inside liblockhound itself (the start trampoline a thread's first
 * instrumented function returns to) are left out of reports. */
static int in_shim_text(uintptr_t pc)
{
	static void *self_base;
	Dl_info d;

	if (!self_base && dladdr((void *)&lh_rt_race_hook, &d))
		self_base = d.dli_fbase;
	return self_base && dladdr((void *)pc, &d) && d.dli_fbase == self_base;
}

static int drop_shim_frames(uintptr_t *pcs, int n, int keep_first)
{
	int i, k = keep_first ? 1 : 0;

	for (i = k; i < n; i++)
		if (!in_shim_text(pcs[i]))
			pcs[k++] = pcs[i];
	return k;
}

/* a side's stack, interned; frame 0 is the access's exact pc */
static uint32_t side_stack(uint32_t ctx, uint32_t *lockset)
{
	uintptr_t pcs[LH_MAX_FRAMES];
	int trunc, n = lh_ctx_stack(&lh_rt_ctxtab, ctx, pcs, lh_opt.stack_depth, &trunc, lockset);

	n = drop_shim_frames(pcs, n, 1);
	if (n == 0)
		return 0;
	return lh_stk_intern(pcs, n, LH_STACK_FIRST_IS_PC | (trunc ? LH_STACK_TRUNCATED : 0));
}

/* the lock ids of a lock set, their LOCK records written */
static int side_locks(uint32_t lockset, uint64_t *ids)
{
	const struct lh_lockref *l;
	int n = lh_ls_locks(&lh_rt_locksets, lockset, &l), i, k = 0;

	for (i = 0; i < n; i++) {
		uint64_t id = lh_core_lock_id_emit((void *)(uintptr_t)l[i].addr, (int)l[i].kind);
		if (id)
			ids[k++] = id;
	}
	return k;
}

static void fill_side(struct lh_rec_race_access *a, const struct rc_side *s, uint32_t *lockset)
{
	memset(a, 0, sizeof(*a));
	a->thread_id = lh_rt_thread_id(s->tid);
	a->stack_id = side_stack(s->ctx, lockset);
	a->addr = s->addr;
	a->size = s->size;
	a->flags = (s->is_write ? LH_RACC_WRITE : 0) | (s->is_atomic ? LH_RACC_ATOMIC : 0) |
	           (a->stack_id ? LH_RACC_STACK_APPROX : 0);
	lh_thr_ensure_id(a->thread_id);
}

static uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t x = a * 0x9e3779b97f4a7c15ull ^ b;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	return x;
}

void lh_rt_race_hook(void *cookie, const struct rc_race *r)
{
	struct lh_rec_race rec;
	struct lh_heap_block b;
	uint64_t var_key, ctx_pair = ((uint64_t)r->cur.ctx << 32) | r->prev.ctx;
	uint64_t locks_cur[LH_LOCKSET_MAX], locks_prev[LH_LOCKSET_MAX];
	uint32_t ls_cur = 0, ls_prev = 0, owner;
	int is_new = 0, n_cur, n_prev;
	Dl_info dli;

	(void)cookie;
	if (!__atomic_load_n(&tables_ready, __ATOMIC_ACQUIRE))
		return;
	/* not in a handler, nor inside the shim: counted, and written if it
	 * happens again elsewhere (the seen table does not take it yet) */
	if (lh_in_shim || lh_rt_in_signal) {
		__atomic_add_fetch(&unsafe_dropped, 1, __ATOMIC_RELAXED);
		return;
	}
	if (lh_itab_get(&seen, r->lo, ctx_pair, &is_new) != 0 && !is_new)
		return;
	/* a new address for a known pair of contexts: one more object of the
	 * same allocation site, most likely; classifying it costs look-ups in
	 * the block table, so each pair gets LH_RT_PAIR_VARS of them */
	{
		uint32_t pid = lh_itab_get(&pairs, ctx_pair, 0, NULL);
		if (pid && __atomic_fetch_add(&pair_vars[pid - 1], 0, __ATOMIC_RELAXED) >= LH_RT_PAIR_VARS) {
			lh_rt_note_limit(&noted_pairs,
			                 "race detection: the same two calling contexts raced at more than "
			                 "LH_RT_PAIR_VARS (%d) addresses; further addresses of such a pair "
			                 "are not classified (a variable only they touch is not reported)",
			                 LH_RT_PAIR_VARS);
			return;
		}
		if (pid)
			__atomic_add_fetch(&pair_vars[pid - 1], 1, __ATOMIC_RELAXED);
	}
	lh_in_shim++;
	memset(&rec, 0, sizeof(rec));
	rec.addr = r->lo;
	rec.size = (uint32_t)(r->hi - r->lo);
	/* the variable: a heap block, a thread's stack, a module's data */
	if (lh_heap_find(&lh_rt_heap, r->lo, &b)) {
		int trunc;
		uintptr_t pcs[LH_MAX_FRAMES];
		int n = lh_ctx_node_stack(&lh_rt_ctxtab, b.alloc_node, pcs, lh_opt.stack_depth, &trunc);
		n = drop_shim_frames(pcs, n, 0);
		rec.var_kind = LH_VAR_HEAP;
		rec.var_base = b.base;
		rec.var_size = b.size;
		rec.alloc_stack = n ? lh_stk_intern(pcs, n, trunc ? LH_STACK_TRUNCATED : 0) : 0;
		rec.alloc_thread = b.thread;
		var_key = mix(mix(1, b.alloc_node), r->lo - b.base);
	} else if ((owner = lh_rt_stack_owner(r->lo)) != 0) {
		rec.var_kind = LH_VAR_STACK;
		rec.alloc_thread = owner;
		var_key = mix(mix(3, owner), r->lo);
	} else if (dladdr((void *)(uintptr_t)r->lo, &dli) && dli.dli_fbase) {
		rec.var_kind = LH_VAR_GLOBAL;
		var_key = mix(2, r->lo);
	} else {
		rec.var_kind = LH_VAR_UNKNOWN;
		var_key = mix(4, r->lo);
	}
	is_new = 0;
	if (lh_itab_get(&races, var_key, ctx_pair, &is_new) == 0) {
		note_once(&noted_races, "race detection: more distinct races than LH_RT_LOG2_RACES "
		                        "allows; later ones are not reported");
		goto out;
	}
	if (!is_new)
		goto out;
	/* a side whose thread the shim never registered (its first access came
	 * while the registry could not take it) cannot be named: not written */
	if (!lh_rt_thread_id(r->cur.tid) || !lh_rt_thread_id(r->prev.tid)) {
		note_once(&noted_nothread, "race detection: a race involving a thread the shim never "
		                           "registered was not written");
		goto out;
	}
	rec.detected_by = LH_RACE_BY_INSTRUMENTATION;
	rec.time_ns = lh_now_ns();
	fill_side(&rec.cur, &r->cur, &ls_cur);
	fill_side(&rec.prev, &r->prev, &ls_prev);
	if (rec.alloc_thread)
		lh_thr_ensure_id(rec.alloc_thread);
	n_cur = side_locks(ls_cur, locks_cur);
	n_prev = side_locks(ls_prev, locks_prev);
	rec.n_locks_cur = (uint32_t)n_cur;
	rec.n_locks_prev = (uint32_t)n_prev;
	lh_log_record(LH_REC_RACE, &rec, sizeof(rec), locks_cur, (size_t)n_cur * sizeof(uint64_t),
	              locks_prev, (size_t)n_prev * sizeof(uint64_t));
out:
	lh_in_shim--;
}

void lh_rt_at_exit(void)
{
	uint32_t n = __atomic_load_n(&unsafe_dropped, __ATOMIC_RELAXED);

	lh_rt_flush_notes();
	if (n)
		lh_log_note("race detection: %u race reports from inside signal handlers (or from "
		            "code that interrupted the shim) were not written; races there may be missing",
		            n);
}
