/*
 * wfg.h - the watchdog's wait-for graph search, as a pure unit.
 *
 * Input: a snapshot of the threads that wait or hold locks (what each waits
 * for, which locks it holds in which mode, when the watchdog first saw the
 * wait).  Output: a deadlock, a cycle of threads each waiting for the next
 * (a cycle of one is a self-deadlock).  No threads, signals, clocks or
 * logging here: watchdog.c takes the snapshot from the thread registry and
 * reports what this unit finds; tests/unit/test_wfg.c drives it with
 * scripted snapshots.
 *
 * Who waits for whom (lh_wfg_successors):
 *   - a thread waiting for a lock exclusively (mutex, spinlock, write lock,
 *     C11 mtx, exclusive annotated lock) waits for every thread holding it,
 *     in any mode, itself included (a self-deadlock);
 *   - a thread waiting to read-lock waits for the threads that write-hold
 *     it; if the rwlock is writer-preferring (LH_LOCKF_WRITER_PREF, glibc's
 *     PREFER_WRITER_NONRECURSIVE_NP) it also queues behind every thread
 *     waiting to write-lock it.  Readers never block readers otherwise;
 *   - a thread in a condition wait, untimed or past its deadline, waits for
 *     the holders of its mutex (it cannot return without it);
 *   - a thread in pthread_join/thrd_join waits for the joined thread;
 *   - a thread in an untimed sem_wait waits for the thread that has the
 *     semaphore, if it is a lock (semmodel.c: its holder's held entry),
 *     and for target, the one thread that has posted it so far, if it is
 *     not (the caller says target 0 when there is no such thread: then it
 *     waits for nobody known, and is never on a cycle);
 *   - a timed lock wait, and a timed condition wait before its deadline,
 *     wait for nobody: they end by themselves.  So does a wait already
 *     reported.
 *   - a thread in a barrier wait, or in a destroy that waits for an
 *     object's waiters to leave, has no successor: it waits for no thread
 *     in particular, so it is never on a cycle (but see stalls below).
 * A thread that holds a lock but does not wait (it runs) has no successor,
 * so it is never on a cycle.
 *
 * A stall (no cycle, out->stall): every thread of the process
 * (snap->n_live of them, counted by the caller, threads the shim cannot
 * see included) is in the snapshot, each in a wait that counts
 * (lh_wfg_waits) on no process-shared object (external) and not on a
 * semaphore (a signal handler may post it: sem_post is async-signal-safe), and at least one
 * waits for an event rather than a thread: a condition signal, a barrier's
 * other arrivals, a destroyed object's waiters leaving.  No thread is left
 * to cause it.  All the threads are listed, in snapshot order.
 *
 * When a cycle is a deadlock (lh_wfg_tick): it was found on two
 * consecutive ticks with the same threads in the same waits (same wait
 * sequence numbers), and every wait in it has been seen for at least the
 * grace period (deadlock_grace_ms).
 *
 * Limits: a cycle longer than LH_WFG_MAX_CYCLE threads is reported with its
 * first LH_WFG_MAX_CYCLE threads and flagged truncated (the caller notes it
 * in the log).  The search costs O(threads + held entries) per tick.
 */
#ifndef LOCKHOUND_WFG_H
#define LOCKHOUND_WFG_H

#include <stddef.h>
#include <stdint.h>

#define LH_WFG_MAX_CYCLE 512 /* threads listed in one reported cycle */

/* the same numbers as enum lh_wait_kind in shim.h */
enum lh_wfg_wait {
	LH_WFG_NONE = 0,
	LH_WFG_LOCK = 1, /* acquiring addr in mode */
	LH_WFG_JOIN = 2, /* joining thread target */
	LH_WFG_COND = 3, /* in a condition wait with mutex addr, on condition obj */
	LH_WFG_BARRIER = 4, /* in a barrier wait on addr */
	LH_WFG_DESTROY = 5, /* in a destroy of addr, for its waiters to leave */
	LH_WFG_SEM = 6,  /* in sem_wait on addr; target: its only poster, 0 none */
};

struct lh_wfg_held {
	const void *addr;
	uint8_t mode;        /* LH_MODE_EXCL or LH_MODE_SHARED */
	uint8_t writer_pref; /* the lock is a writer-preferring rwlock */
};

struct lh_wfg_thread {
	uint32_t id;
	uint8_t wait;     /* enum lh_wfg_wait */
	uint8_t mode;     /* LH_MODE_* of a lock wait */
	uint8_t timed;    /* the wait has a timeout or deadline */
	uint8_t reported; /* this wait was reported already: not searched */
	uint8_t external; /* on a process-shared object: never part of a stall */
	const void *addr; /* the lock (LOCK), the mutex (COND), the object */
	const void *obj;  /* the condition variable (COND) */
	uint32_t target;  /* the joined thread's id (JOIN), the poster (SEM) */
	uint32_t seq;     /* the wait's sequence number */
	uint64_t since_ns; /* when the watchdog first saw the wait count */
	/* timed COND: its deadline, and the time now, both on the wait's clock */
	uint64_t deadline_ns, clock_now_ns;
	/* Invariant: held[first_held .. first_held + n_held) of the snapshot
	 * are this thread's locks */
	uint32_t first_held, n_held;
};

struct lh_wfg_snap {
	const struct lh_wfg_thread *thr;
	uint32_t n_thr;
	const struct lh_wfg_held *held;
	uint32_t n_held;
	uint64_t now_ns; /* the watchdog's clock (since_ns is on it) */
	uint32_t n_live; /* threads of the process that could act; 0: no stall search */
};

struct lh_wfg_cycle {
	uint32_t n;        /* threads in the cycle: idx[0] waits for idx[1] .. */
	uint8_t self;      /* n == 1: a thread waits for a lock it holds */
	uint8_t stall;     /* no cycle: every thread blocked (see above) */
	uint8_t truncated; /* longer than LH_WFG_MAX_CYCLE: only the first listed */
	uint32_t idx[LH_WFG_MAX_CYCLE]; /* indices into the snapshot's threads */
};

/* The search's memory, sized for a snapshot of at most max_thr threads and
 * max_held held entries: lh_wfg_work_bytes() bytes, provided by the caller
 * (the shim allocates it once with lh_alloc), zeroed or not. */
struct lh_wfg_work;
size_t lh_wfg_work_bytes(uint32_t max_thr, uint32_t max_held);
struct lh_wfg_work *lh_wfg_work_init(void *mem, uint32_t max_thr, uint32_t max_held);

/* Does thread t's wait count for the graph (a wait that does not end by
 * itself, not reported yet)? */
int lh_wfg_waits(const struct lh_wfg_thread *t);

/* Find a cycle, else a stall, in the snapshot now (no grace, no
 * confirmation).  Returns 1 and fills out, or 0.  Deterministic: the first cycle in thread order.
 * Returns -1 if the snapshot is larger than the work area. */
int lh_wfg_find(const struct lh_wfg_snap *s, struct lh_wfg_work *w, struct lh_wfg_cycle *out);

/* The watchdog's memory between ticks: the cycle found last time. */
struct lh_wfg_state {
	uint32_t n;
	uint32_t id[LH_WFG_MAX_CYCLE], seq[LH_WFG_MAX_CYCLE];
};

/* One tick: returns 1 (and out) when a cycle or a stall is a deadlock by
 * the rules above, 0 otherwise.  st starts zeroed. */
int lh_wfg_tick(struct lh_wfg_state *st, const struct lh_wfg_snap *s, uint64_t grace_ns,
                struct lh_wfg_work *w, struct lh_wfg_cycle *out);

#endif
