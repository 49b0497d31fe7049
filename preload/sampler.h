/*
 * sampler.h - what sampler.c (the hardware-watchpoint half of sampled race
 * watching, and the rotation thread) shares with sampler_wp.c (the
 * userfaultfd write-protect half).  Internal to the two.
 *
 * One lock serializes both halves' watcher cores (watcher.h) and the
 * instruction decoder: lh_smp_enter/leave from a program thread (all
 * signals blocked while held), lh_smp_lock/unlock from the rotation thread
 * (which blocks them for good).  Holding it, nothing waits for anything
 * and nothing touches the program's memory.
 */
#ifndef LOCKHOUND_SAMPLER_H
#define LOCKHOUND_SAMPLER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "watch.h"
#include "watcher.h"

/* ---- sampler.c, for sampler_wp.c ---- */
LH_HIDDEN void lh_smp_enter(sigset_t *old);
LH_HIDDEN void lh_smp_leave(const sigset_t *old);
LH_HIDDEN void lh_smp_lock(void);
LH_HIDDEN void lh_smp_unlock(void);
LH_HIDDEN uint64_t lh_smp_prog_ns(void);   /* the windows' clock: the process's CPU time */
LH_HIDDEN int lh_smp_exe_code(uintptr_t pc); /* pc is in the executable's code */
LH_HIDDEN int lh_smp_is_in_core(void);     /* this thread holds the lock (or is taking it) */
LH_HIDDEN void lh_smp_hw_disarm_later(unsigned slot); /* with the lock held: at the next tick */
/* the shim's id, engine slot, "holds a lock" and "is inside the shim" of
 * the thread with kernel tid os_tid, from any thread without a lock; 0, or
 * -1 when unknown */
/* hits dropped because the accessing thread was inside the shim (atomic) */
extern uint64_t lh_smp_hits_in_shim LH_HIDDEN;
LH_HIDDEN int lh_smp_thread_of(int os_tid, uint32_t *id, rc_tid *tid, int *locked, int *in_shim);
/* a window's first hit: the lock paths feed the engine from now on */
LH_HIDDEN void lh_smp_window_reached(void);
extern uint64_t lh_smp_hold_ns LH_HIDDEN;  /* the budget's hold */

/* ---- sampler_wp.c, for sampler.c ---- */
/* Before lh_watch_init, in the only thread: with remap, the executable's
 * writable data pages after RELRO become anonymous memory (same bytes,
 * same protection) so that write-protect can watch its globals.  */
LH_HIDDEN void lh_smpwp_prepare(int remap);
/* at the first thread creation, once lh_watch_start_wp found the
 * write-protect source working: its core, which feeds the engine of
 * `from` (the inferred verdict over writes: wt_create_sharing).  0, or -1
 * (then the write-protect half stays off). */
LH_HIDDEN int lh_smpwp_start(struct wt_core *from, const struct wt_budget *b);
LH_HIDDEN int lh_smpwp_on(void);
/* with the lock held: the write-protect half's candidates (0: none, or off) */
LH_HIDDEN int lh_smpwp_n_cands(void);
/* the rotation thread, once, after the modules' globals were read: those
 * on anonymous pages become write-protect candidates too */
LH_HIDDEN void lh_smpwp_add_globals(struct wt_core *from);
/* without write-protect: sampled heap blocks go to the hardware half's core */
LH_HIDDEN void lh_smpwp_heap_to_hw(struct wt_core *c);
/* a hardware race on such a block: its record's heap fields */
struct lh_rec_race;
LH_HIDDEN void lh_smpwp_heap_record(struct lh_rec_race *rec, const struct wt_race *r);
/* the sink's write-protect side (the source's handler thread) */
LH_HIDDEN uint64_t lh_smpwp_hit(const struct lh_watch_hit *h);
LH_HIDDEN void lh_smpwp_released(const struct lh_watch_hit *h);
/* the rotation thread, with the lock held: end, re-arm and arm windows
 * (arm 0: only end them); returns the windows armed that a hit reached */
LH_HIDDEN int lh_smpwp_tick(uint64_t now, int arm);
/* its windows armed now that a hit reached (the core's lock held) */
LH_HIDDEN int lh_smpwp_reached(void);
/* the rotation thread, without the lock: write the races found */
LH_HIDDEN void lh_smpwp_flush(void);
/* with the lock held: every window ends (exit, no rotation thread) */
LH_HIDDEN void lh_smpwp_end_all(void);
/* fork child: the windows are gone with the parent's userfaultfd */
LH_HIDDEN void lh_smpwp_fork_child(void);
/* race_stats=1: a note of where write-protect's windows went */
LH_HIDDEN void lh_smpwp_stats_note(void);
/* race_stats=1: the LH_SMP_TOP_CANDS candidates of core w with the most
 * windows, copied into top[] (called with the core's lock held; returns
 * how many), and their note (without the lock; half names the core) */
#define LH_SMP_TOP_CANDS 8
struct wt_core;
struct wt_cand_stat;
LH_HIDDEN int lh_smp_top_cands(const struct wt_core *w, struct wt_cand_stat *top);
LH_HIDDEN void lh_smp_top_note(const char *half, const struct wt_cand_stat *top, int n);

#endif
