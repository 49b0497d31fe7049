/*
 * wfg.c - the watchdog's wait-for graph search (see wfg.h for the rules).
 *
 * Pure: no shim state, no allocation (the caller's work area), no clock.
 * The graph is never built as lists of edges.  Only the addresses that
 * threads wait for matter, so they go into a small hash table (at most one
 * per thread), and every held entry and every exclusive waiter of such an
 * address is chained to its slot.  A depth-first search then walks each
 * waiting thread's successors off those chains; its stack is the current
 * path, so a back edge gives the cycle directly.
 */
#include "wfg.h"

#include "lockhound_log.h"

#include <string.h>

struct wslot {
	const void *addr; /* NULL: free */
	int32_t held_head; /* first held entry of addr, -1 none */
	int32_t wait_head; /* first thread waiting exclusively for addr, -1 none */
	int32_t held_tail, wait_tail;
	uint8_t writer_pref; /* some holder's entry says writer-preferring */
};

struct islot {
	uint32_t id; /* 0: free (thread ids start at 1) */
	int32_t node;
};

struct frame {
	int32_t node;
	int32_t phase; /* 0: holders, 1: queued writers, 2: done */
	int32_t cur;   /* next chain entry to look at, -1 start of phase */
};

struct lh_wfg_work {
	uint32_t max_thr, max_held, n_slots; /* n_slots: power of 2 >= 2 * max_thr */
	uint32_t mask; /* of the part of slots and ids this snapshot uses (build): a power of 2
	                * >= 2 * its threads (slots_for), at most n_slots; only that part
	                * is cleared per tick (clearing all n_slots, 640 KiB, took a quarter of
	                * the CPU time of bench/micro/churn, whose threads wake the watchdog) */
	struct wslot *slots;
	struct islot *ids;
	int32_t *held_next;  /* per held entry: next entry of the same address */
	int32_t *held_owner; /* per held entry: its thread's index */
	int32_t *wait_next;  /* per thread: next exclusive waiter of its address */
	int32_t *wait_slot;  /* per thread: the slot of its address, -1 */
	uint8_t *color;      /* per thread: 0 unseen, 1 on the path, 2 done */
	int32_t *pos;        /* per thread on the path: its depth */
	struct frame *stack;
};

static uint32_t slots_for(uint32_t max_thr)
{
	uint32_t n = 16;
	while (n < 2 * max_thr && n < (1u << 30))
		n <<= 1;
	return n;
}

#define ALIGN(x) (((x) + 15) & ~(size_t)15)

size_t lh_wfg_work_bytes(uint32_t max_thr, uint32_t max_held)
{
	size_t ns = slots_for(max_thr);
	return ALIGN(sizeof(struct lh_wfg_work)) + ALIGN(ns * sizeof(struct wslot)) +
	       ALIGN(ns * sizeof(struct islot)) + 2 * ALIGN((size_t)max_held * sizeof(int32_t)) +
	       3 * ALIGN((size_t)max_thr * sizeof(int32_t)) + ALIGN(max_thr) +
	       ALIGN((size_t)max_thr * sizeof(struct frame));
}

struct lh_wfg_work *lh_wfg_work_init(void *mem, uint32_t max_thr, uint32_t max_held)
{
	char *p = mem;
	struct lh_wfg_work *w = mem;
	size_t ns = slots_for(max_thr);

	if (!mem)
		return NULL;
	p += ALIGN(sizeof(*w));
	w->max_thr = max_thr;
	w->max_held = max_held;
	w->n_slots = (uint32_t)ns;
	w->mask = (uint32_t)ns - 1;
	w->slots = (struct wslot *)p;
	p += ALIGN(ns * sizeof(struct wslot));
	w->ids = (struct islot *)p;
	p += ALIGN(ns * sizeof(struct islot));
	w->held_next = (int32_t *)p;
	p += ALIGN((size_t)max_held * sizeof(int32_t));
	w->held_owner = (int32_t *)p;
	p += ALIGN((size_t)max_held * sizeof(int32_t));
	w->wait_next = (int32_t *)p;
	p += ALIGN((size_t)max_thr * sizeof(int32_t));
	w->wait_slot = (int32_t *)p;
	p += ALIGN((size_t)max_thr * sizeof(int32_t));
	w->pos = (int32_t *)p;
	p += ALIGN((size_t)max_thr * sizeof(int32_t));
	w->color = (uint8_t *)p;
	p += ALIGN(max_thr);
	w->stack = (struct frame *)p;
	return w;
}

int lh_wfg_waits(const struct lh_wfg_thread *t)
{
	if (t->reported)
		return 0;
	switch (t->wait) {
	case LH_WFG_LOCK:
		return !t->timed;
	case LH_WFG_JOIN:
	case LH_WFG_BARRIER:
	case LH_WFG_DESTROY:
		return 1;
	case LH_WFG_COND:
		/* past its deadline a timed wait re-takes the mutex with no
		 * timeout: from then on it can deadlock */
		return !t->timed || t->clock_now_ns >= t->deadline_ns;
	case LH_WFG_SEM:
		return !t->timed;
	}
	return 0;
}

static uint32_t hash_ptr(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (uint32_t)x;
}

/* the slot of addr; with add, made if missing; -1 if absent */
static int32_t slot_of(struct lh_wfg_work *w, const void *addr, int add)
{
	uint32_t mask = w->mask, j = hash_ptr(addr) & mask;

	for (; w->slots[j].addr; j = (j + 1) & mask)
		if (w->slots[j].addr == addr)
			return (int32_t)j;
	if (!add)
		return -1;
	w->slots[j].addr = addr;
	w->slots[j].held_head = w->slots[j].wait_head = -1;
	w->slots[j].held_tail = w->slots[j].wait_tail = -1;
	w->slots[j].writer_pref = 0;
	return (int32_t)j;
}

static int32_t node_of(const struct lh_wfg_work *w, uint32_t id)
{
	uint32_t mask = w->mask, j = hash_ptr((const void *)(uintptr_t)id) & mask;

	for (; w->ids[j].id; j = (j + 1) & mask)
		if (w->ids[j].id == id)
			return w->ids[j].node;
	return -1;
}

/* index the snapshot; -1 if it does not fit the work area or is malformed */
static int build(const struct lh_wfg_snap *s, struct lh_wfg_work *w)
{
	uint32_t i, e, mask, used;

	if (s->n_thr > w->max_thr || s->n_held > w->max_held)
		return -1;
	/* keys: one id per thread (ids), one address per waiting thread
	 * (slots; a held entry only looks its address up): at most n_thr
	 * each, and n_thr <= max_thr keeps this within n_slots */
	used = slots_for(s->n_thr);
	w->mask = mask = used - 1;
	memset(w->slots, 0, used * sizeof(*w->slots));
	memset(w->ids, 0, used * sizeof(*w->ids));
	for (i = 0; i < s->n_thr; i++) {
		const struct lh_wfg_thread *t = &s->thr[i];
		if ((uint64_t)t->first_held + t->n_held > s->n_held)
			return -1;
		for (e = t->first_held; e < t->first_held + t->n_held; e++) {
			w->held_owner[e] = (int32_t)i;
			w->held_next[e] = -1;
		}
		w->wait_next[i] = -1;
		w->wait_slot[i] = -1;
		w->color[i] = 0;
		if (t->id) {
			uint32_t j = hash_ptr((const void *)(uintptr_t)t->id) & mask;
			while (w->ids[j].id && w->ids[j].id != t->id)
				j = (j + 1) & mask;
			if (!w->ids[j].id) { /* a duplicate id keeps the first */
				w->ids[j].id = t->id;
				w->ids[j].node = (int32_t)i;
			}
		}
		if ((t->wait == LH_WFG_LOCK || t->wait == LH_WFG_COND || t->wait == LH_WFG_SEM) &&
		    lh_wfg_waits(t) && t->addr) {
			int32_t sl = slot_of(w, t->addr, 1);
			struct wslot *ws = &w->slots[sl];
			w->wait_slot[i] = sl;
			if (t->wait == LH_WFG_LOCK && t->mode == LH_MODE_EXCL) {
				if (ws->wait_tail < 0)
					ws->wait_head = (int32_t)i;
				else
					w->wait_next[ws->wait_tail] = (int32_t)i;
				ws->wait_tail = (int32_t)i;
			}
		}
	}
	/* chain the held entries of waited-for addresses, in snapshot order */
	for (e = 0; e < s->n_held; e++) {
		int32_t sl;
		struct wslot *ws;
		if (!s->held[e].addr || (sl = slot_of(w, s->held[e].addr, 0)) < 0)
			continue;
		ws = &w->slots[sl];
		if (ws->held_tail < 0)
			ws->held_head = (int32_t)e;
		else
			w->held_next[ws->held_tail] = (int32_t)e;
		ws->held_tail = (int32_t)e;
		if (s->held[e].writer_pref)
			ws->writer_pref = 1;
	}
	return 0;
}

/* Is held entry e in a mode that blocks thread u's wait? */
static int blocks(const struct lh_wfg_thread *u, const struct lh_wfg_held *h)
{
	if (u->wait == LH_WFG_LOCK && u->mode == LH_MODE_SHARED)
		return h->mode == LH_MODE_EXCL; /* readers do not block a reader */
	return 1;
}

/* the next successor of the frame's thread that itself waits, or -1 */
static int32_t next_succ(const struct lh_wfg_snap *s, struct lh_wfg_work *w, struct frame *f)
{
	int32_t u = f->node, v;
	const struct lh_wfg_thread *t = &s->thr[u];
	const struct wslot *ws;

	if (t->wait == LH_WFG_JOIN) {
		if (f->phase++ != 0)
			return -1;
		v = node_of(w, t->target);
		return v >= 0 && v != u && lh_wfg_waits(&s->thr[v]) ? v : -1;
	}
	if (w->wait_slot[u] < 0)
		return -1;
	ws = &w->slots[w->wait_slot[u]];
	while (f->phase == 0) {
		int32_t e = f->cur < 0 ? ws->held_head : w->held_next[f->cur];
		if (e < 0) {
			f->phase = 1;
			f->cur = -1;
			break;
		}
		f->cur = e;
		v = w->held_owner[e];
		/* a condition wait released its mutex: only others hold it; a
		 * semaphore's holder that waits on it again waits for a post */
		if ((t->wait == LH_WFG_COND || t->wait == LH_WFG_SEM) && v == u)
			continue;
		if (blocks(t, &s->held[e]) && lh_wfg_waits(&s->thr[v]))
			return v;
	}
	/* a semaphore's only poster so far, which could post it again */
	if (t->wait == LH_WFG_SEM) {
		if (f->phase++ != 1 || !t->target)
			return -1;
		v = node_of(w, t->target);
		return v >= 0 && v != u && lh_wfg_waits(&s->thr[v]) ? v : -1;
	}
	/* a reader of a writer-preferring rwlock queues behind its writers */
	while (f->phase == 1) {
		if (t->wait != LH_WFG_LOCK || t->mode != LH_MODE_SHARED || !ws->writer_pref) {
			f->phase = 2;
			break;
		}
		v = f->cur < 0 ? ws->wait_head : w->wait_next[f->cur];
		if (v < 0) {
			f->phase = 2;
			break;
		}
		f->cur = v;
		if (v != u)
			return v;
	}
	return -1;
}

/* every thread of the process blocked, one on an event: see wfg.h */
static int find_stall(const struct lh_wfg_snap *s, struct lh_wfg_cycle *out)
{
	uint32_t i, events = 0;

	if (s->n_live == 0 || s->n_thr != s->n_live)
		return 0;
	for (i = 0; i < s->n_thr; i++) {
		const struct lh_wfg_thread *t = &s->thr[i];
		/* a semaphore wait may end by a post from a signal handler
		 * (sem_post is async-signal-safe): that thread may yet run */
		if (!lh_wfg_waits(t) || t->external || t->wait == LH_WFG_SEM)
			return 0;
		events += t->wait == LH_WFG_COND || t->wait == LH_WFG_BARRIER || t->wait == LH_WFG_DESTROY;
	}
	if (events == 0)
		return 0;
	out->truncated = s->n_thr > LH_WFG_MAX_CYCLE;
	out->n = out->truncated ? LH_WFG_MAX_CYCLE : s->n_thr;
	for (i = 0; i < out->n; i++)
		out->idx[i] = i;
	out->stall = 1;
	return 1;
}

int lh_wfg_find(const struct lh_wfg_snap *s, struct lh_wfg_work *w, struct lh_wfg_cycle *out)
{
	uint32_t start;

	memset(out, 0, sizeof(*out) - sizeof(out->idx));
	if (build(s, w) < 0)
		return -1;
	for (start = 0; start < s->n_thr; start++) {
		int32_t sp = 0;
		if (w->color[start] || !lh_wfg_waits(&s->thr[start]))
			continue;
		w->stack[0] = (struct frame){ (int32_t)start, 0, -1 };
		w->color[start] = 1;
		w->pos[start] = 0;
		while (sp >= 0) {
			struct frame *f = &w->stack[sp];
			int32_t v = next_succ(s, w, f);
			if (v < 0) {
				w->color[f->node] = 2;
				sp--;
				continue;
			}
			if (w->color[v] == 1) {
				/* back edge: the path from v to the top is the cycle */
				int32_t k, n = sp - w->pos[v] + 1;
				out->truncated = n > LH_WFG_MAX_CYCLE;
				out->n = out->truncated ? LH_WFG_MAX_CYCLE : (uint32_t)n;
				for (k = 0; k < (int32_t)out->n; k++)
					out->idx[k] = (uint32_t)w->stack[w->pos[v] + k].node;
				out->self = n == 1;
				return 1;
			}
			if (w->color[v] == 0) {
				sp++;
				w->stack[sp] = (struct frame){ v, 0, -1 };
				w->color[v] = 1;
				w->pos[v] = sp;
			}
		}
	}
	return find_stall(s, out);
}

int lh_wfg_tick(struct lh_wfg_state *st, const struct lh_wfg_snap *s, uint64_t grace_ns,
                struct lh_wfg_work *w, struct lh_wfg_cycle *out)
{
	uint32_t i, k;
	uint64_t newest = 0;
	int same;

	if (lh_wfg_find(s, w, out) != 1) {
		st->n = 0;
		return 0;
	}
	/* the same threads in the same waits as on the last tick? */
	same = out->n == st->n;
	for (i = 0; same && i < out->n; i++) {
		const struct lh_wfg_thread *t = &s->thr[out->idx[i]];
		int found = 0;
		for (k = 0; k < st->n && !found; k++)
			found = st->id[k] == t->id && st->seq[k] == t->seq;
		same = found;
	}
	for (i = 0; i < out->n; i++) {
		const struct lh_wfg_thread *t = &s->thr[out->idx[i]];
		st->id[i] = t->id;
		st->seq[i] = t->seq;
		if (t->since_ns > newest)
			newest = t->since_ns;
	}
	st->n = out->n;
	return same && s->now_ns >= newest && s->now_ns - newest >= grace_ns;
}
