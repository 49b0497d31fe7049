/*
 * watch.h - the trap sources of sampled race watching (issue 10), behind
 * one interface.  The watcher core (watcher.c) decides what to watch and
 * what a hit means; a trap source only arms, disarms and reports.
 *
 * Two sources:
 *   LH_WSRC_HW    hardware watchpoints: perf_event_open(PERF_TYPE_BREAKPOINT)
 *                 with sigtrap=1, one inherited event per slot, opened by
 *                 lh_watch_init before any other thread exists and moved
 *                 with PERF_EVENT_IOC_MODIFY_ATTRIBUTES, so a slot covers
 *                 every thread, later ones included.  LH_WATCH_HW_SLOTS
 *                 slots, 1/2/4/8 aligned bytes each, reads and writes (or
 *                 writes only).  Hits arrive as SIGTRAP in the accessing
 *                 thread; the sink's hit() runs inside that signal handler.
 *                 Used only where the start-up self-test saw a trap.
 *   LH_WSRC_WP    userfaultfd write-protect: whole pages of anonymous
 *                 memory (heap, anonymous .bss, the sampler's own guarded
 *                 blocks), writes only.  The faulting thread is blocked in
 *                 the kernel; the sink's hit() runs on the source's handler
 *                 thread (never registered, never seen by the program), and
 *                 the faulting thread stays blocked for the hold the sink
 *                 returns (DataCollider's delay for free).  A kernel write
 *                 into a protected page (read(2), recv, waitpid's status)
 *                 blocks the same way and then succeeds: never EFAULT.
 *
 * Threading: lh_watch_init, the arm/disarm calls and lh_watch_fork_child
 * are called by the watcher core, not from a signal handler.  arm/disarm
 * may be called from any program thread (serialized inside the source).
 * The sink's callbacks must be async-signal-safe (no locks, no malloc, no
 * stdio): hit() runs in a SIGTRAP handler for LH_WSRC_HW.
 *
 * Windows: every arm carries a window tag chosen by the caller (non-zero).
 * A hit carries the tag the slot had when the trap was raised (sig_data),
 * so a late trap, delivered after the slot moved (a thread that had
 * SIGTRAP blocked), is not mistaken for a hit on the new address; the
 * source also drops a trap whose address is not the slot's.
 */
#ifndef LOCKHOUND_WATCH_H
#define LOCKHOUND_WATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LH_WATCH_HW_SLOTS 4 /* x86 debug registers per thread */
#define LH_WATCH_SLOT_WP 0xffu /* lh_watch_hit.slot of a write-protect hit */

enum lh_wsrc {
	LH_WSRC_HW = 1, /* hardware watchpoints (bit in lh_watch_sources()) */
	LH_WSRC_WP = 2, /* userfaultfd write-protect */
};

/* one access seen by a trap source */
struct lh_watch_hit {
	uint32_t window;  /* the tag the slot/range was armed with */
	uint8_t source;   /* enum lh_wsrc */
	uint8_t slot;     /* hardware slot 0..LH_WATCH_HW_SLOTS-1, or LH_WATCH_SLOT_WP */
	uint8_t write;    /* 1: a write; 0: a read, or a write of the same value
	                   * (hardware, read/write slot: old != new tells only
	                   * that it was a write; decode the instruction) */
	uint8_t pc_after; /* 1: pc is the instruction after the access
	                   * (hardware traps fire after the instruction);
	                   * 0: pc is the faulting instruction itself */
	uint8_t kernel;   /* write-protect: 1 when the kernel writes on behalf
	                   * of a system call (read(2) into the page); pc is
	                   * then the instruction after the syscall */
	pid_t tid;        /* kernel thread id of the accessing thread */
	uintptr_t addr;   /* accessed address: the slot's address (hardware) or
	                   * the faulting address (write-protect) */
	uintptr_t pc;     /* user pc, see pc_after; 0 if it could not be read */
	uint64_t old_val; /* hardware: the watched bytes before (last known) */
	uint64_t new_val; /* hardware: the watched bytes after the access;
	                   * write-protect: 0 (the write has not happened yet) */
	uint64_t t_ns;    /* CLOCK_MONOTONIC when the source saw it */
	const void *uc;   /* hardware: the trapping thread's ucontext_t (its
	                   * registers); write-protect: NULL */
};

/* The watcher core's side, passed to lh_watch_init. */
struct lh_watch_sink {
	/* A hit.  Returns how long to hold the accessing thread before it
	 * goes on, in ns (0: at once; capped at LH_WATCH_HOLD_MAX_NS).  Hits
	 * of other threads can arrive (in other threads for hardware, on the
	 * handler thread for write-protect) while one is held: that is the
	 * "observed simultaneously" verdict's input.  A write-protect range is
	 * disarmed by the source after its hit (one shot: arm again to go on
	 * watching); a hardware slot stays armed. */
	uint64_t (*hit)(void *ctx, const struct lh_watch_hit *h);
	/* the held thread of h goes on now (may be NULL) */
	void (*released)(void *ctx, const struct lh_watch_hit *h);
	void *ctx;
};
#define LH_WATCH_HOLD_MAX_NS (20ull * 1000 * 1000) /* 20 ms */

/* Holds in progress (both sources; relaxed loads): while it is 0 a lock
 * wait pays one load for lh_watch_cut_holds.  A hold's purpose is to catch
 * a second thread's access while the first waits; a thread that blocks on
 * a lock the held thread holds cannot bring one, and with the hold every
 * waiter of that lock would stall too, so the lock wait cuts it short. */
/* int lh_watch_holding: declared in shim.h (the lock wait's hook) */
#define LH_WATCH_HOLDS 16 /* holds tracked at once (more: they run their full length) */
/* end now the holds of thread `tid` (0: every hold) */
void lh_watch_cut_holds(pid_t tid);
/* the threads held now: up to max kernel thread ids into out; their number */
int lh_watch_held_tids(pid_t *out, int max);
/* what one hit costs the program beyond the sink's own time, measured by
 * the self-test (the trap's delivery: ns; 0 if the source is off) */
uint64_t lh_watch_trap_ns(enum lh_wsrc src);
/* hardware traps dropped as late so far (their window had moved or been
 * closed): the caller charges their delivery to its cost budget */
uint64_t lh_watch_hw_late(void);

/* Start the sources: self-tests, the inherited hardware events, the
 * userfaultfd and its handler thread.  Call once, from the shim's start-up
 * before any other thread exists (hardware events are only inherited by
 * threads created after they are opened).  want: the LH_WSRC_* bits to try.
 * Returns the bits that work.  When none works, prints once
 * "lockhound: race watching unavailable: <why>" (unless quiet) and leaves
 * a note in the log.  A source that works partly says so in a note. */
unsigned lh_watch_init(unsigned want, const struct lh_watch_sink *sink, int quiet);
/* In want: write-protect is wanted but started later, by
 * lh_watch_start_wp, in a context where the shim may start a thread (the
 * program's first pthread_create): the shim may start inside another
 * library's allocator initialization (tcmalloc's), where creating the
 * handler thread would wait for that allocator's lock.  No "unavailable"
 * line yet when the hardware source fails. */
#define LH_WATCH_WP_LATER 0x100
/* the write-protect source's self-test and handler thread; returns the
 * LH_WSRC_* bits that work now, and says "race watching unavailable"
 * (unless quiet) when none does.  Once. */
unsigned lh_watch_start_wp(int quiet);
unsigned lh_watch_sources(void); /* the LH_WSRC_* bits that work now */
/* why a source is off ("" if it is on); for notes and tests */
const char *lh_watch_why(enum lh_wsrc src);

/* Hardware: watch len bytes (1, 2, 4 or 8, addr aligned to len) at addr in
 * slot, writes only or reads and writes.  0 or -errno.  Re-arming a slot
 * moves it.  The watched bytes are read (process_vm_readv, never a plain
 * load that would trap) for old_val. */
int lh_watch_hw_arm(unsigned slot, uintptr_t addr, unsigned len, int rw, uint32_t window);
/* 1: the slot is parked now (its event disabled); 0: it was parked
 * already (lh_watch_hw_park); or -errno */
int lh_watch_hw_disarm(unsigned slot);
/* Async-signal-safe (a SIGTRAP handler): the slot's window `window` ends
 * for the handler now: its later traps are dropped as late ones, before
 * the sink, until the slot is armed again.  The watchpoint itself stays
 * armed until lh_watch_hw_park, lh_watch_hw_disarm or a new arm parks
 * or moves it (an ioctl).  Nothing if the slot was moved to another
 * window meanwhile. */
void lh_watch_hw_close(unsigned slot, uint32_t window);
/* Async-signal-safe: after lh_watch_hw_close, the calling thread (a trap
 * handler) parks the slot itself (its event disabled), so that
 * a hot word stops trapping every thread before the rotation thread gets
 * to it.  Nothing if another thread is arming or disarming (it moves the
 * slot anyway) or the slot holds a window again.  1 if it moved it. */
int lh_watch_hw_park(unsigned slot);
/* the calling thread (the shim's own: the rotation thread, write-protect's
 * handler thread) asks for a short scheduler slice, LH_WATCH_SLICE_NS, so
 * that its wake-ups preempt busy program threads; errno kept */
void lh_watch_short_slice(void);

/* Write-protect: whole pages [addr, addr + len) (page-aligned, anonymous
 * private memory).  0 or -errno (-EINVAL: not a kind of memory the kernel
 * protects, e.g. file-backed .data).  Disarm un-protects and wakes any
 * thread blocked on the range. */
int lh_watch_wp_arm(uintptr_t addr, size_t len, uint32_t window);
int lh_watch_wp_disarm(uintptr_t addr, size_t len);
/* Nothing is armed for now: every range is disarmed (waking any thread
 * blocked on it, without the sink's released()) and the handler thread
 * ends.  glibc counts it among the process's threads, so it must not
 * outlive the program's own: a process whose main called pthread_exit
 * ends with its last thread.  The next lh_watch_wp_arm starts it again.
 * (The self-test at start-up leaves no thread running either.) */
void lh_watch_wp_idle(void);

/* Read len bytes of this process at addr without touching them with a
 * load (process_vm_readv on self): no trap, no fault on a watched word.
 * 0 or -errno.  Async-signal-safe. */
int lh_watch_read(uintptr_t addr, void *buf, size_t len);

/* SIGTRAP belongs to the program: the sigaction wrapper routes the
 * program's SIGTRAP disposition here while hardware watching holds the
 * signal.  Same contract as sigaction(SIGTRAP, act, old): the program's
 * own handler is stored and chained (traps that are not ours go to it,
 * SIG_DFL ones kill as before), and old reports the program's previous
 * action, never the shim's.  Returns 1 if handled here (then *rc is the
 * result), 0 if the caller should call the real sigaction. */
struct sigaction;
int lh_watch_sigtrap_action(const struct sigaction *act, struct sigaction *old, int *rc);

/* fork child: the parent's events and userfaultfd are the parent's (not
 * inherited: inherit_thread=1, no UFFD_FEATURE_EVENT_FORK); the child
 * closes them and opens its own, every slot and range disarmed. */
void lh_watch_fork_child(void);
/* at exit: disarm everything and wake every held thread */
void lh_watch_shutdown(void);

#endif
