/*
 * tracememo.h - a thread's memo of the call paths it traced: the return
 * addresses above a lock call, answered again without a trace when the
 * stack still holds them.
 *
 * A new lock order needs the call path of its acquisition (edges.c,
 * site_stacks_key: the return addresses from the acquiring call outward),
 * and a trace costs a walk of every frame even when the path is one the
 * thread took a moment ago (memcached's workers form thousands of new
 * orders at a few call paths).  An entry is keyed by the acquiring call:
 * its return address ra and the caller's stack pointer at the call (cfa).
 * It keeps the path's return addresses ip[0..n) (ip[0] == ra) and, from an
 * unwind of the same moment, where on the stack each is stored: on x86-64
 * the return address into frame j lies just below the stack pointer frame
 * j had at its call (slot[j] = sp[j] - 8).
 *
 * Why the stored words prove the path: frame 0 (the caller) is the
 * function at ra, with the same stack pointer, so its frame ends at the
 * same place and the return address into its caller is in slot[1]; that
 * word equal to ip[1] makes frame 1 the same function at the same place,
 * and so on outward.  Limit: a function whose frame size changes between
 * two calls at the same stack pointer (alloca, variable-length arrays)
 * can make an entry name the earlier path (the same limit as the stacks
 * shared by path in edges.c).  The slots are addresses of this thread's
 * own stack at or above cfa, which stay mapped for the thread's lifetime:
 * an entry is only ever read by its thread (the memo is emptied when the
 * thread struct is reused, lh_tmemo_reset).
 *
 * Pure: no threads, log or allocation; tests/unit/test_tracememo.c drives
 * it with fake stacks in memory.  x86-64 only (the slot layout);
 * elsewhere lh_tmemo_put stores nothing and every path is traced.
 */
#ifndef LOCKHOUND_TRACEMEMO_H
#define LOCKHOUND_TRACEMEMO_H

#include <stdint.h>
#include <string.h>

#define LH_TMEMO_ENTRIES 32 /* entries per thread (a power of 2), direct-mapped by (ra, cfa) */
#define LH_TMEMO_FRAMES 48  /* frames an entry holds: a deeper path is traced every time */
#define LH_TMEMO_REBUILDS 8 /* an entry replaced this often keeps its last path (a call
                             * site reached by several paths at one stack pointer) */

struct lh_tmemo_entry {
	uintptr_t ra, cfa; /* the acquiring call; ra 0: empty */
	uint32_t n;        /* frames in ip[] and slot[] */
	uint32_t rebuilds; /* times it was replaced */
	uintptr_t ip[LH_TMEMO_FRAMES];
	uintptr_t slot[LH_TMEMO_FRAMES];
};

struct lh_tmemo {
	struct lh_tmemo_entry e[LH_TMEMO_ENTRIES];
	uint64_t hits, misses; /* for the tests and the curious */
};

static inline struct lh_tmemo_entry *lh_tmemo_slot(struct lh_tmemo *m, uintptr_t ra, uintptr_t cfa)
{
	uint64_t h = ((uint64_t)ra ^ ((uint64_t)cfa << 7)) * 0x9e3779b97f4a7c15ull;
	return &m->e[(h >> 40) & (LH_TMEMO_ENTRIES - 1)];
}

/* The path at the acquiring call (ra, cfa), from the memo: its return
 * addresses copied into ips (at most max), how many; 0 when the memo has
 * no entry for the call or the stack no longer holds the entry's path. */
static inline int lh_tmemo_get(struct lh_tmemo *m, uintptr_t ra, uintptr_t cfa, uintptr_t *ips, int max)
{
	const struct lh_tmemo_entry *e = lh_tmemo_slot(m, ra, cfa);
	uint32_t j;

	if (e->ra != ra || e->cfa != cfa || e->n == 0 || (int)e->n > max) {
		m->misses++;
		return 0;
	}
	for (j = 0; j < e->n; j++)
		if (*(const uintptr_t *)e->slot[j] != e->ip[j]) {
			m->misses++;
			return 0;
		}
	memcpy(ips, e->ip, e->n * sizeof(ips[0]));
	m->hits++;
	return (int)e->n;
}

/* Remember the path at (ra, cfa): ips[0..n_ips) its return addresses
 * (ips[0] == ra) from a trace, ip[]/sp[] (n_frames) an unwind of the same
 * moment.  Stored only when the unwind has the caller's frame (ip ra,
 * stack pointer cfa) and, from it outward, exactly the trace's return
 * addresses, each found in its slot now.  1 stored. */
static inline int lh_tmemo_put(struct lh_tmemo *m, uintptr_t ra, uintptr_t cfa, const uintptr_t *ips,
                               int n_ips, const uintptr_t *ip, const uintptr_t *sp, int n_frames)
{
#if defined(__x86_64__)
	struct lh_tmemo_entry *e = lh_tmemo_slot(m, ra, cfa);
	int i, k;

	if (n_ips <= 0 || n_ips > LH_TMEMO_FRAMES || ips[0] != ra)
		return 0;
	if (e->ra != 0 && e->rebuilds >= LH_TMEMO_REBUILDS)
		return 0;
	for (i = 0; i < n_frames; i++)
		if (sp[i] == cfa && ip[i] == ra)
			break;
	if (n_frames - i != n_ips)
		return 0;
	for (k = 0; k < n_ips; k++)
		if (ip[i + k] != ips[k] || sp[i + k] < cfa || *(const uintptr_t *)(sp[i + k] - 8) != ips[k])
			return 0;
	if (e->ra != 0)
		e->rebuilds++;
	e->ra = ra;
	e->cfa = cfa;
	e->n = (uint32_t)n_ips;
	for (k = 0; k < n_ips; k++) {
		e->ip[k] = ips[k];
		e->slot[k] = sp[i + k] - 8;
	}
	return 1;
#else
	(void)m, (void)ra, (void)cfa, (void)ips, (void)n_ips, (void)ip, (void)sp, (void)n_frames;
	return 0;
#endif
}

/* would lh_tmemo_put store a path for (ra, cfa)?  (its unwind is then
 * worth making) */
static inline int lh_tmemo_may_put(struct lh_tmemo *m, uintptr_t ra, uintptr_t cfa)
{
	const struct lh_tmemo_entry *e = lh_tmemo_slot(m, ra, cfa);
	return e->ra == 0 || e->rebuilds < LH_TMEMO_REBUILDS;
}

/* empty (a new thread's memo): only what marks an entry used is cleared
 * (a thread struct is recycled at every thread start of a program that
 * makes many threads; the whole memo is LH_TMEMO_ENTRIES entries of
 * LH_TMEMO_FRAMES frames) */
static inline void lh_tmemo_reset(struct lh_tmemo *m)
{
	int i;

	for (i = 0; i < LH_TMEMO_ENTRIES; i++) {
		m->e[i].ra = 0;
		m->e[i].n = 0;
		m->e[i].rebuilds = 0;
	}
	m->hits = m->misses = 0;
}

#endif
