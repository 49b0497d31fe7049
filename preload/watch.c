/*
 * watch.c - the trap sources of sampled race watching (interface and
 * contract in watch.h): hardware watchpoints through perf_event_open and
 * userfaultfd write-protect.  This unit arms, disarms and reports; what to
 * watch and what a hit means is the watcher core's.
 *
 * Hardware (LH_WSRC_HW).  One PERF_TYPE_BREAKPOINT event per slot, opened
 * by lh_watch_init for the calling thread with inherit=1 and
 * inherit_thread=1 before any other thread exists: every thread created
 * later gets a copy, and PERF_EVENT_IOC_MODIFY_ATTRIBUTES on the parent
 * event moves all copies at once.  The kernel rejects a modify that does
 * not repeat the original inherit/sigtrap/remove_on_exec/exclude settings
 * (EINVAL), so every modify starts from one template (hw_attr).  sigtrap=1
 * sends SIGTRAP (si_code TRAP_PERF) to the accessing thread after the
 * instruction; sig_data carries HW_TAG_MAGIC and the window tag, si_addr
 * the slot's address at trap time.  A free slot is parked: its event
 * disabled (hw_park_event), its addr the slot's private park word, which
 * nothing touches.  The self-test arms slot 0 on a private word,
 * stores once and must see exactly one trap: some hosts open breakpoint
 * events that never fire.  The watched bytes are read with
 * process_vm_readv on self: a plain load of them would trap again.
 *
 * SIGTRAP is the program's.  The shim's handler takes only traps whose
 * sig_data carries HW_TAG_MAGIC; anything else goes to the handler the
 * program installed (sigaction and signal route SIGTRAP here through
 * lh_watch_sigtrap_action, and report the program's own action back), or
 * gets the default action (the disposition is reset and the signal raised
 * again, so a stray int3 still dumps core).  A debug-exception trap that no
 * event claimed (hw_stray_trap) is a lost watchpoint trap while our
 * handler holds SIGTRAP and the program has none: dropped, counted, one
 * note at shutdown.  A process traced at start-up
 * (TracerPid in /proc/self/status) gets no hardware watching: the debugger
 * would stop on every trap and lose its own debug registers.
 *
 * Write-protect (LH_WSRC_WP).  A userfaultfd with UFFD_FEATURE_THREAD_ID and
 * UFFD_FEATURE_WP_UNPOPULATED, opened without UFFD_USER_MODE_ONLY (through
 * the system call when privileged, else /dev/userfaultfd), so that a kernel
 * write into a protected page blocks and then succeeds.  Where only
 * UFFD_USER_MODE_ONLY is allowed, kernel writes would fail with EFAULT
 * instead, so the source stays off and says so.  The descriptor is opened
 * in lh_watch_init (the constructor), even when the source starts later,
 * so that a program that drops root before its first thread keeps a
 * privileged one (wp_preopen).  A handler thread (the real
 * pthread_create, every signal blocked, never registered) reads the faults:
 * the thread id comes with the message, the pc from
 * /proc/self/task/TID/syscall while the thread is blocked.  The faulting
 * thread is held for the hold the sink returns, then the range is
 * un-protected (which wakes it and any other thread blocked on it) and
 * unregistered: a range is one-shot.  The start-up self-test protects a
 * private page, writes into it from user space and from the kernel (a raw
 * clock_gettime system call) and checks both complete.
 *
 * Descriptors: every descriptor of this unit is O_CLOEXEC and moved to
 * LH_WATCH_FD_MIN or above, out of the range a program's numbers come
 * from.  Limit: the handler thread's short-lived open of
 * /proc/self/task/TID/syscall takes the lowest free descriptor for the
 * duration of one read.
 *
 * Fork: neither source is inherited by a fork child (inherit_thread=1; no
 * UFFD_FEATURE_EVENT_FORK, so the kernel drops the registration and the
 * protection bits in the child).  lh_watch_fork_child closes the parent's
 * descriptors and opens the child's own; the handler thread starts again
 * on the child's first write-protect arm.  exec: remove_on_exec=1 (the
 * kernel requires it with sigtrap) and O_CLOEXEC leave nothing behind.
 *
 * Limits: LH_WATCH_WP_RANGES ranges armed at once (an arm past it fails
 * with -ENOSPC, and the first one leaves a note).  A thread that blocks
 * SIGTRAP gets its trap when it unblocks it (TRAP_PERF_FLAG_ASYNC): it is
 * then checked against the slot's current window and address and dropped
 * when stale; a thread that never unblocks it keeps it pending.
 */
#include "shim.h"
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

/* newer than some installed headers */
#ifndef TRAP_PERF
#define TRAP_PERF 6
#endif
#ifndef UFFD_FEATURE_EXACT_ADDRESS
#define UFFD_FEATURE_EXACT_ADDRESS (1 << 11) /* Linux 5.18 */
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13) /* Linux 6.4 */
#endif

#define LH_WATCH_FD_MIN 100      /* this unit's descriptors are moved here or above */
#define LH_WATCH_WP_RANGES 64    /* write-protect ranges armed at once */
#define HW_TAG_MAGIC 0x4c48574eu /* "LHWN": upper half of sig_data */
#define SELFTEST_WINDOW 0xfffffffeu

static struct lh_watch_sink sink;
static unsigned sources;          /* LH_WSRC_* that work (atomic relaxed) */
static char why_hw[256] = "not started", why_wp[256] = "not started";
static pid_t self_pid;

static int (*real_sigaction_fn(void))(int, const struct sigaction *, struct sigaction *)
{
	return lh_real.sigaction ? lh_real.sigaction : sigaction;
}

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define LH_WATCH_CALIB_TRAPS 8 /* timed self-test traps: what one costs */
static uint64_t hw_trap_ns, wp_trap_ns; /* lh_watch_trap_ns */
static void hw_calibrate(void);

static void hold_for(uint64_t ns)
{
	struct timespec ts;

	if (ns > LH_WATCH_HOLD_MAX_NS)
		ns = LH_WATCH_HOLD_MAX_NS;
	ts.tv_sec = (time_t)(ns / 1000000000u);
	ts.tv_nsec = (long)(ns % 1000000000u);
	/* EINTR: a signal ends the hold early, which only shortens it */
	nanosleep(&ts, NULL);
}

/* The holds in progress, for lh_watch_cut_holds: a held thread's kernel
 * id (0: free entry) and, for a hardware hold (the thread waits in its
 * own SIGTRAP handler), the futex word a cut sets.  A write-protect hold
 * is the handler thread's range (wp[].first.tid); its entry here only
 * says who is held.  Invariant: a free entry has cut == 0. */
struct hold_ent {
	pid_t tid;
	uint32_t cut;
	int wp; /* a write-protect hold */
};
static struct hold_ent holds[LH_WATCH_HOLDS];
int lh_watch_holding;

static int hold_claim(pid_t tid, int is_wp)
{
	int i;

	for (i = 0; i < LH_WATCH_HOLDS; i++) {
		pid_t z = 0;
		if (__atomic_compare_exchange_n(&holds[i].tid, &z, tid, 0, __ATOMIC_ACQ_REL,
		                                __ATOMIC_RELAXED)) {
			holds[i].wp = is_wp;
			__atomic_add_fetch(&lh_watch_holding, 1, __ATOMIC_RELEASE);
			return i;
		}
	}
	return -1;
}

static void hold_release(int i)
{
	if (i < 0)
		return;
	__atomic_sub_fetch(&lh_watch_holding, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&holds[i].cut, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&holds[i].tid, 0, __ATOMIC_RELEASE);
}

static int hold_find_wp(pid_t tid)
{
	int i;

	for (i = 0; i < LH_WATCH_HOLDS; i++)
		if (holds[i].wp && __atomic_load_n(&holds[i].tid, __ATOMIC_ACQUIRE) == tid)
			return i;
	return -1;
}

/* a hardware hold: this thread waits in its SIGTRAP handler for ns, or
 * until lh_watch_cut_holds sets its entry's word */
static void hw_hold(pid_t self, uint64_t ns)
{
	uint64_t end;
	int i;

	if (ns > LH_WATCH_HOLD_MAX_NS)
		ns = LH_WATCH_HOLD_MAX_NS;
	i = hold_claim(self, 0);
	if (i < 0) {
		hold_for(ns); /* LH_WATCH_HOLDS at once: this one cannot be cut */
		return;
	}
	end = now_ns() + ns;
	for (;;) {
		uint64_t t = now_ns();
		struct timespec ts;
		if (t >= end || __atomic_load_n(&holds[i].cut, __ATOMIC_ACQUIRE))
			break;
		ts.tv_sec = (time_t)((end - t) / 1000000000u);
		ts.tv_nsec = (long)((end - t) % 1000000000u);
		/* EINTR, EAGAIN (cut meanwhile): look again */
		syscall(SYS_futex, &holds[i].cut, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
	}
	hold_release(i);
}

int lh_watch_held_tids(pid_t *out, int max)
{
	int i, n = 0;

	for (i = 0; i < LH_WATCH_HOLDS && n < max; i++) {
		pid_t t = __atomic_load_n(&holds[i].tid, __ATOMIC_ACQUIRE);
		if (t)
			out[n++] = t;
	}
	return n;
}

static void wp_cut(pid_t tid);

void lh_watch_cut_holds(pid_t tid)
{
	int i, any_wp = 0;

	for (i = 0; i < LH_WATCH_HOLDS; i++) {
		pid_t t = __atomic_load_n(&holds[i].tid, __ATOMIC_ACQUIRE);
		if (!t || (tid && t != tid))
			continue;
		if (holds[i].wp) {
			any_wp = 1;
			continue;
		}
		/* a stale cut (the entry was released and claimed again
		 * meanwhile) only shortens another hold */
		__atomic_store_n(&holds[i].cut, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, &holds[i].cut, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	if (any_wp)
		wp_cut(tid);
}

/* a descriptor of ours: close-on-exec, out of the program's low numbers.
 * Under a descriptor limit (RLIMIT_NOFILE) of at most LH_WATCH_FD_MIN it
 * stays where it is, as the log's does, and watching goes on: a program's
 * dup2 onto it would replace it, as one onto 100 or above would. */
static int move_high(int fd)
{
	int hi;

	if (fd < 0 || fd >= LH_WATCH_FD_MIN)
		return fd;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, LH_WATCH_FD_MIN);
	if (hi < 0)
		return fd;
	close(fd);
	return hi;
}

int lh_watch_read(uintptr_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { (void *)addr, len };
	pid_t pid = __atomic_load_n(&self_pid, __ATOMIC_RELAXED);
	long n;

	if (!pid)
		pid = getpid();
	n = syscall(SYS_process_vm_readv, pid, &local, 1ul, &remote, 1ul, 0ul);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

static void set_why(char *why, size_t n, const char *what, int err)
{
	size_t k = strlen(what);

	if (k >= n)
		k = n - 1;
	memcpy(why, what, k);
	why[k] = 0;
	if (err && k + 3 < n) {
		const char *e = strerror(err);
		size_t m = strlen(e);
		why[k++] = ':';
		why[k++] = ' ';
		if (k + m >= n)
			m = n - 1 - k;
		memcpy(why + k, e, m);
		why[k + m] = 0;
	}
}

/* ======================= hardware watchpoints ======================= */

struct hw_slot {
	int fd;           /* the parent event, -1 if none */
	uintptr_t addr;   /* atomic: what the slot watches now (its park word if parked) */
	uint32_t window;  /* atomic: its window tag, 0 if free */
	uint32_t len;
	int rw;
	uint64_t last;    /* atomic: the watched bytes as last seen */
	/* its moves (arm, disarm, park): one slot's move never waits for
	 * another's, so a handler can park a hot slot while the rotation
	 * thread moves a neighbour (lh_watch_hw_park) */
	pthread_mutex_t mu;
};
static struct hw_slot hw[LH_WATCH_HW_SLOTS] = {
	[0 ... LH_WATCH_HW_SLOTS - 1] = { .fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER },
};
static uint64_t hw_park[LH_WATCH_HW_SLOTS] __attribute__((aligned(64)));
static volatile uint64_t hw_selftest_word __attribute__((aligned(64)));
static volatile int hw_selftest_traps;
static pthread_mutex_t hw_mu = PTHREAD_MUTEX_INITIALIZER; /* the chained SIGTRAP action */
static int hw_handler_on; /* our SIGTRAP handler is installed */

/* the program's own SIGTRAP action, chained (under hw_mu for writers) */
static struct sigaction user_trap;
static int user_trap_set; /* user_trap is meaningful */
static uint64_t hw_stale;  /* late traps dropped (atomic) */
static uint64_t hw_stray;  /* debug-exception traps of no event dropped (atomic) */
static int hw_stray_code;  /* the si_code of the last one */

/* Every event starts from this template, and every modify repeats it:
 * the kernel refuses a modify that changes inherit/sigtrap/exclude_*. */
static void hw_attr(struct perf_event_attr *a, uintptr_t addr, unsigned len, int rw,
                    uint32_t window)
{
	memset(a, 0, sizeof(*a));
	a->type = PERF_TYPE_BREAKPOINT;
	a->size = sizeof(*a);
	a->bp_type = rw ? HW_BREAKPOINT_RW : HW_BREAKPOINT_W;
	a->bp_addr = addr;
	a->bp_len = len;
	a->sample_period = 1;
	a->inherit = 1;
	a->inherit_thread = 1;
	a->remove_on_exec = 1;
	a->sigtrap = 1;
	a->exclude_kernel = 1;
	a->exclude_hv = 1;
	a->sig_data = ((uint64_t)HW_TAG_MAGIC << 32) | window;
}

static int hw_len_ok(uintptr_t addr, unsigned len)
{
	return (len == 1 || len == 2 || len == 4 || len == 8) && (addr & (len - 1)) == 0;
}

/* the default action of a SIGTRAP that is not ours: reset and raise again
 * (the kernel delivers it once we return, since it is then unblocked) */
static void trap_default(void)
{
	struct sigaction dfl;
	sigset_t set;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	real_sigaction_fn()(SIGTRAP, &dfl, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTRAP);
	syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, NULL, _NSIG / 8);
	syscall(SYS_tgkill, getpid(), my_tid(), SIGTRAP);
}

static void trap_chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction a;
	sigset_t old;

	if (!__atomic_load_n(&user_trap_set, __ATOMIC_ACQUIRE)) {
		trap_default();
		return;
	}
	a = user_trap;
	if (!(a.sa_flags & SA_SIGINFO) && a.sa_handler == SIG_IGN)
		return;
	if (!(a.sa_flags & SA_SIGINFO) && a.sa_handler == SIG_DFL) {
		trap_default();
		return;
	}
	/* the program's mask for its handler, as the kernel would set it */
	if (!(a.sa_flags & SA_NODEFER))
		sigaddset(&a.sa_mask, sig);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &a.sa_mask, &old, _NSIG / 8);
	if (a.sa_flags & SA_RESETHAND) {
		memset(&user_trap, 0, sizeof(user_trap));
		user_trap.sa_handler = SIG_DFL;
	}
	if (a.sa_flags & SA_SIGINFO)
		a.sa_sigaction(sig, si, uc);
	else
		a.sa_handler(sig);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
}

static uintptr_t uc_pc(void *ucv)
{
#if defined(__x86_64__)
	ucontext_t *uc = ucv;
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	ucontext_t *uc = ucv;
	return (uintptr_t)uc->uc_mcontext.pc;
#else
	(void)ucv;
	return 0;
#endif
}

/* what the kernel puts after si_addr for TRAP_PERF (asm-generic/siginfo.h;
 * glibc's siginfo_t does not name these fields) */
struct trap_perf {
	unsigned long data;
	uint32_t type;
	uint32_t flags;
};

/* A SIGTRAP the kernel raised from a debug exception that no perf event
 * claimed (TRAP_HWBKPT; on x86 also TRAP_BRKPT, which there comes only
 * from a #DB whose DR6 names no cause: an int3 is SI_KERNEL).  While our
 * breakpoints hold the debug registers and no tracer is attached (none at
 * start, or hardware watching would be off), nothing but they can have
 * caused it: a watchpoint's #DB whose DR6 bit the hypervisor or the
 * kernel lost (seen once in ~40 runs of a 4-thread program on a loaded
 * VM).  Taking the default action would kill the program for the shim's
 * own trap. */
static int hw_stray_trap(const siginfo_t *si)
{
	if (si->si_code == TRAP_HWBKPT)
		return 1;
#if defined(__x86_64__) || defined(__i386__)
	if (si->si_code == TRAP_BRKPT)
		return 1;
#endif
	return 0;
}

static void on_sigtrap(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	const struct trap_perf *tp = (const void *)((const char *)&si->si_addr + sizeof(void *));
	uint64_t data;
	uint32_t window;
	struct lh_watch_hit h;
	uint64_t hold;
	unsigned i;

	if (si->si_code != TRAP_PERF || tp->type != PERF_TYPE_BREAKPOINT ||
	    (uint32_t)((uint64_t)tp->data >> 32) != HW_TAG_MAGIC) {
		if (hw_stray_trap(si) && __atomic_load_n(&hw_handler_on, __ATOMIC_ACQUIRE) &&
		    !__atomic_load_n(&user_trap_set, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&hw_stray_code, si->si_code, __ATOMIC_RELAXED);
			__atomic_add_fetch(&hw_stray, 1, __ATOMIC_RELAXED);
			errno = saved;
			return;
		}
		trap_chain(sig, si, uc);
		errno = saved;
		return;
	}
	data = tp->data;
	window = (uint32_t)data;
	if (window == SELFTEST_WINDOW) {
		hw_selftest_traps++;
		errno = saved;
		return;
	}
	for (i = 0; i < LH_WATCH_HW_SLOTS; i++)
		if (__atomic_load_n(&hw[i].window, __ATOMIC_ACQUIRE) == window && window &&
		    __atomic_load_n(&hw[i].addr, __ATOMIC_RELAXED) == (uintptr_t)si->si_addr)
			break;
	if (i == LH_WATCH_HW_SLOTS) {
		/* the slot moved since the trap was raised: a late trap */
		__atomic_add_fetch(&hw_stale, 1, __ATOMIC_RELAXED);
		errno = saved;
		return;
	}
	memset(&h, 0, sizeof(h));
	h.window = window;
	h.source = LH_WSRC_HW;
	h.slot = (uint8_t)i;
	h.pc_after = 1;
	h.tid = my_tid();
	h.addr = (uintptr_t)si->si_addr;
	h.pc = uc_pc(uc);
	h.uc = uc;
	h.t_ns = now_ns();
	if (lh_watch_read(h.addr, &h.new_val, hw[i].len) == 0) {
		h.old_val = __atomic_exchange_n(&hw[i].last, h.new_val, __ATOMIC_RELAXED);
		h.write = !hw[i].rw || h.old_val != h.new_val;
	} else {
		h.write = !hw[i].rw;
	}
	hold = sink.hit ? sink.hit(sink.ctx, &h) : 0;
	if (hold) {
		hw_hold(h.tid, hold);
		if (sink.released)
			sink.released(sink.ctx, &h);
	}
	errno = saved;
}

static int hw_install_handler(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigtrap;
	/* no SA_ONSTACK: an alternate signal stack is the program's (it may
	 * be small, or unwritable on purpose); a trap runs on the stack the
	 * thread is on */
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (real_sigaction_fn()(SIGTRAP, &sa, &old) != 0)
		return -errno;
	if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) {
		__atomic_store_n(&user_trap_set, 0, __ATOMIC_RELEASE);
	} else if (old.sa_sigaction != on_sigtrap) {
		user_trap = old;
		__atomic_store_n(&user_trap_set, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&hw_handler_on, 1, __ATOMIC_RELEASE);
	return 0;
}

int lh_watch_sigtrap_action(const struct sigaction *act, struct sigaction *old, int *rc)
{
	struct sigaction was;

	if (!__atomic_load_n(&hw_handler_on, __ATOMIC_ACQUIRE))
		return 0;
	lh_mu_lock(&hw_mu);
	if (__atomic_load_n(&user_trap_set, __ATOMIC_ACQUIRE)) {
		was = user_trap;
	} else {
		memset(&was, 0, sizeof(was));
		was.sa_handler = SIG_DFL;
	}
	if (act) {
		if (act->sa_flags & SA_SIGINFO || (act->sa_handler != SIG_DFL)) {
			__atomic_store_n(&user_trap_set, 0, __ATOMIC_RELEASE);
			user_trap = *act;
			__atomic_store_n(&user_trap_set, 1, __ATOMIC_RELEASE);
		} else {
			__atomic_store_n(&user_trap_set, 0, __ATOMIC_RELEASE);
		}
	}
	lh_mu_unlock(&hw_mu);
	if (old)
		*old = was;
	*rc = 0;
	return 1;
}

static int hw_park_event(unsigned slot);

static int hw_open(unsigned slot)
{
	struct perf_event_attr a;
	int fd;

	hw_attr(&a, (uintptr_t)&hw_park[slot], 8, 0, 0);
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	fd = move_high(fd);
	if (fd < 0)
		return -errno;
	hw[slot].fd = fd;
	__atomic_store_n(&hw[slot].addr, (uintptr_t)&hw_park[slot], __ATOMIC_RELAXED);
	__atomic_store_n(&hw[slot].window, 0, __ATOMIC_RELAXED);
	hw[slot].len = 8;
	hw[slot].rw = 0;
	return hw_park_event(slot);
}

/* Parks slot: its event is disabled, in every thread (the parent's ioctl
 * reaches each inherited copy, and a thread created meanwhile inherits
 * it disabled); the next modify (an arm, whose attributes say enabled)
 * enables it everywhere again.  A parked event that stayed enabled on a
 * private word was installed in the debug registers at every context
 * switch of every thread: a VM's debug-register writes are hypervisor
 * exits, and a condition-variable ping-pong ran 1.5x slower with four
 * parked events than with none, 0.9-1.2x with four disabled ones
 * (2 threads, 50,000 round trips, Intel host).  hw[slot].addr says
 * parked (the handler drops a late trap); the event keeps its last
 * address. */
static int hw_park_event(unsigned slot)
{
	if (ioctl(hw[slot].fd, PERF_EVENT_IOC_DISABLE, 0) != 0)
		return -errno;
	return 0;
}

static int hw_modify(unsigned slot, uintptr_t addr, unsigned len, int rw, uint32_t window)
{
	struct perf_event_attr a;

	hw_attr(&a, addr, len, rw, window);
	if (ioctl(hw[slot].fd, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, &a) != 0)
		return -errno;
	return 0;
}

static void hw_close_all(void)
{
	unsigned i;

	for (i = 0; i < LH_WATCH_HW_SLOTS; i++) {
		if (hw[i].fd >= 0)
			close(hw[i].fd);
		hw[i].fd = -1;
		__atomic_store_n(&hw[i].window, 0, __ATOMIC_RELEASE);
	}
}

/* from /proc/self/status: a tracer's pid (0 none) and the thread count */
static void read_status(int *tracer, int *threads)
{
	char buf[4096];
	ssize_t n;
	char *p;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	*tracer = 0;
	*threads = 1;
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	if ((p = strstr(buf, "TracerPid:")))
		*tracer = atoi(p + 10);
	if ((p = strstr(buf, "Threads:")))
		*threads = atoi(p + 8);
}

static int hw_start(void)
{
	unsigned i;
	int err;

	int tracer, threads;

	for (i = 0; i < LH_WATCH_HW_SLOTS; i++)
		hw[i].fd = -1;
	read_status(&tracer, &threads);
	if (tracer) {
		set_why(why_hw, sizeof(why_hw), "hardware watchpoints: a debugger is attached", 0);
		return -1;
	}
	/* the events are inherited only by threads created from now on */
	if (threads > 1)
		lh_log_note("race watching: %d threads existed before hardware watching started; "
		            "their accesses are not seen by watchpoints (the result may be incomplete)",
		            threads - 1);
	if ((err = hw_install_handler()) != 0) {
		set_why(why_hw, sizeof(why_hw), "hardware watchpoints: cannot install a SIGTRAP handler", -err);
		return -1;
	}
	for (i = 0; i < LH_WATCH_HW_SLOTS; i++) {
		if ((err = hw_open(i)) != 0) {
			set_why(why_hw, sizeof(why_hw), "hardware watchpoints: perf_event_open", -err);
			hw_close_all();
			return -1;
		}
	}
	/* self-test: one store to a private word must give one trap */
	if ((err = hw_modify(0, (uintptr_t)&hw_selftest_word, 8, 0, SELFTEST_WINDOW)) != 0) {
		set_why(why_hw, sizeof(why_hw), "hardware watchpoints: PERF_EVENT_IOC_MODIFY_ATTRIBUTES", -err);
		hw_close_all();
		return -1;
	}
	hw_selftest_traps = 0;
	hw_selftest_word = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	err = hw_selftest_traps;
	hw_park_event(0);
	if (err != 1) {
		set_why(why_hw, sizeof(why_hw),
		        err ? "hardware watchpoints: self-test saw more than one trap for one store"
		            : "hardware watchpoints: self-test store did not trap (this CPU or VM does not deliver them)",
		        0);
		hw_close_all();
		return -1;
	}
	hw_calibrate();
	why_hw[0] = 0;
	return 0;
}

/* what a trap costs here: the fastest of LH_WATCH_CALIB_TRAPS stores to a
 * watched private word, each timed (the kernel's delivery and our
 * handler's shortest path) */
static void hw_calibrate(void)
{
	uint64_t best = 0;
	int k;

	if (hw_modify(0, (uintptr_t)&hw_selftest_word, 8, 0, SELFTEST_WINDOW) != 0)
		return;
	for (k = 0; k < LH_WATCH_CALIB_TRAPS; k++) {
		uint64_t t0 = now_ns(), d;
		hw_selftest_word = (uint64_t)k;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		d = now_ns() - t0;
		if (!best || d < best)
			best = d;
	}
	hw_park_event(0);
	hw_trap_ns = best;
}

uint64_t lh_watch_trap_ns(enum lh_wsrc src)
{
	return src == LH_WSRC_HW ? hw_trap_ns : src == LH_WSRC_WP ? wp_trap_ns : 0;
}

/* hw[slot].mu held: parks slot unless it is parked already (1 parked now, 0
 * parked before: no second ioctl, or -errno) */
static int hw_park_locked(unsigned slot)
{
	int rc;

	if (__atomic_load_n(&hw[slot].addr, __ATOMIC_RELAXED) == (uintptr_t)&hw_park[slot])
		return 0;
	__atomic_store_n(&hw[slot].addr, (uintptr_t)&hw_park[slot], __ATOMIC_RELAXED);
	rc = hw_park_event(slot);
	return rc ? rc : 1;
}

int lh_watch_hw_arm(unsigned slot, uintptr_t addr, unsigned len, int rw, uint32_t window)
{
	int rc;
	uint64_t v = 0;

	if (!(__atomic_load_n(&sources, __ATOMIC_RELAXED) & LH_WSRC_HW))
		return -ENODEV;
	if (slot >= LH_WATCH_HW_SLOTS || !window || window == SELFTEST_WINDOW || !hw_len_ok(addr, len))
		return -EINVAL;
	if (lh_watch_read(addr, &v, len) != 0)
		return -EFAULT;
	lh_mu_lock(&hw[slot].mu);
	/* close the slot to the handler while it moves: a trap raised on the
	 * old address in between is stale either way */
	__atomic_store_n(&hw[slot].window, 0, __ATOMIC_RELEASE);
	hw[slot].len = len;
	hw[slot].rw = rw != 0;
	__atomic_store_n(&hw[slot].last, v, __ATOMIC_RELAXED);
	__atomic_store_n(&hw[slot].addr, addr, __ATOMIC_RELAXED);
	__atomic_store_n(&hw[slot].window, window, __ATOMIC_RELEASE);
	rc = hw_modify(slot, addr, len, rw != 0, window);
	if (rc) {
		__atomic_store_n(&hw[slot].window, 0, __ATOMIC_RELEASE);
		hw_park_locked(slot);
	}
	lh_mu_unlock(&hw[slot].mu);
	return rc;
}

int lh_watch_hw_disarm(unsigned slot)
{
	int rc;

	if (!(__atomic_load_n(&sources, __ATOMIC_RELAXED) & LH_WSRC_HW))
		return -ENODEV;
	if (slot >= LH_WATCH_HW_SLOTS)
		return -EINVAL;
	lh_mu_lock(&hw[slot].mu);
	__atomic_store_n(&hw[slot].window, 0, __ATOMIC_RELEASE);
	rc = hw_park_locked(slot);
	lh_mu_unlock(&hw[slot].mu);
	return rc;
}

/* A closed window's word goes on trapping every thread that touches it
 * until the slot moves, and the rotation thread, woken at once, reached
 * the slot 4-10 ms later on a loaded machine (racy_stats_many: sixteen
 * threads reading one global, up to 1271 late traps of ~16 us each in
 * one 300 ms run, charged to the cost budget, which then had nothing left
 * for the race).  The handler that closed it parks it now: one ioctl (an
 * interrupt of each CPU running a thread of the program) instead.  A
 * trylock of the slot's own lock, never a wait: the program's thread
 * never holds it outside the shim's own arm and disarm, and a handler
 * that interrupted such a call finds the lock taken and leaves the move
 * to it.  A park only disables the event: no attribute and no
 * breakpoint slot of a thread changes, so it may run while a thread is
 * being created (a modify may not, see sampler.c's clone_mu): 20,000
 * pthread_create calls while another thread disabled and enabled an
 * inherited event 49,000 times all succeeded (Intel host). */
int lh_watch_hw_park(unsigned slot)
{
	int moved = 0, saved = errno;

	if (slot >= LH_WATCH_HW_SLOTS || !(__atomic_load_n(&sources, __ATOMIC_RELAXED) & LH_WSRC_HW))
		return 0;
	if (lh_mu_trylock(&hw[slot].mu) != 0)
		return 0;
	if (!__atomic_load_n(&hw[slot].window, __ATOMIC_ACQUIRE))
		moved = hw_park_locked(slot) == 1;
	lh_mu_unlock(&hw[slot].mu);
	errno = saved;
	return moved;
}

uint64_t lh_watch_hw_late(void)
{
	return __atomic_load_n(&hw_stale, __ATOMIC_RELAXED);
}

void lh_watch_hw_close(unsigned slot, uint32_t window)
{
	uint32_t w = window;

	/* the handler matches a trap's window against hw[].window: a zero
	 * there drops it as late; a newer window is left alone */
	if (slot < LH_WATCH_HW_SLOTS && window)
		__atomic_compare_exchange_n(&hw[slot].window, &w, 0, 0, __ATOMIC_ACQ_REL,
		                            __ATOMIC_RELAXED);
}

/* The shim's own threads that end and arm windows and answer faults (the
 * rotation thread, write-protect's handler thread) ask the scheduler for a
 * short slice (EEVDF's custom slice of SCHED_OTHER, Linux 6.12:
 * sched_attr.sched_runtime; no privilege needed, nothing else changes),
 * so that a wake-up preempts the program's busy threads: with the
 * default slice, the rotation thread's 1 ms tick ran 94 ms late on the
 * loaded machine while sixteen threads ran, and its window on their page
 * stayed un-protected all that time (racy_stats_many under write-protect,
 * 2 misses in 20).  An older kernel refuses or ignores it: nothing
 * changes then. */
#define LH_WATCH_SLICE_NS 100000ull /* 0.1 ms, the kernel's smallest */
void lh_watch_short_slice(void)
{
	struct {
		uint32_t size, policy;
		uint64_t flags;
		int32_t nice;
		uint32_t prio;
		uint64_t runtime, deadline, period;
	} a;
	int saved = errno;

	/* only a thread of the default policy, keeping its nice value (the
	 * creator's: a program that runs at nice 10 keeps the shim there) */
	if (sched_getscheduler(0) != SCHED_OTHER)
		return;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.policy = SCHED_OTHER;
	errno = 0;
	a.nice = getpriority(PRIO_PROCESS, 0); /* this thread's */
	if (errno == 0) {
		a.runtime = LH_WATCH_SLICE_NS;
		syscall(SYS_sched_setattr, 0, &a, 0);
	}
	errno = saved;
}

/* ======================= userfaultfd write-protect ======================= */

struct wp_range {
	uintptr_t addr;     /* 0: free entry */
	size_t len;
	uint32_t window;
	int holding;        /* a hit is being held */
	uint64_t until_ns;  /* end of the hold */
	int hold_i;         /* its entry in holds[] while the hold runs, else -1 */
	struct lh_watch_hit first; /* the held hit */
};
static struct wp_range wp[LH_WATCH_WP_RANGES];
static pthread_mutex_t wp_mu = PTHREAD_MUTEX_INITIALIZER; /* wp[], wp_fd, wp_thread_on */
static int wp_fd = -1;
static int wp_thread_on;   /* the handler thread runs */
static unsigned wp_gen;    /* the handler thread's generation: an older one reads no fault */
static int wp_stop_pipe[2] = { -1, -1 }; /* wakes the handler thread to stop */
static int wp_full_noted;
static volatile int wp_selftest_seen;
static long page_size;

static int wp_open_once(int exact);

/* with the exact faulting address (UFFD_FEATURE_EXACT_ADDRESS, Linux 5.18)
 * if the kernel has it, else the page's (then a hit's address is the
 * page's first byte: a caller watching a block alone on its pages still
 * knows which block it was) */
static int wp_open(void)
{
	return wp_open_once(1) == 0 ? 0 : wp_open_once(0);
}

static int wp_open_once(int exact)
{
	struct uffdio_api api;
	int fd, err;

	fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err = errno;
		int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
		if (dev >= 0) {
			fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
			err = errno;
			close(dev);
		}
		if (fd < 0) {
			int um = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
			if (um >= 0) {
				close(um);
				set_why(why_wp, sizeof(why_wp),
				        "write-protect: only UFFD_USER_MODE_ONLY is allowed (kernel writes into a "
				        "watched page would fail with EFAULT; needs root, CAP_SYS_PTRACE, "
				        "vm.unprivileged_userfaultfd=1 or access to /dev/userfaultfd)",
				        0);
			} else {
				set_why(why_wp, sizeof(why_wp), "write-protect: userfaultfd", err);
			}
			return -1;
		}
	}
	fd = move_high(fd);
	if (fd < 0) {
		set_why(why_wp, sizeof(why_wp), "write-protect: no descriptor", errno);
		return -1;
	}
	memset(&api, 0, sizeof(api));
	api.api = UFFD_API;
	api.features = UFFD_FEATURE_THREAD_ID | UFFD_FEATURE_PAGEFAULT_FLAG_WP | UFFD_FEATURE_WP_UNPOPULATED;
	if (exact)
		api.features |= UFFD_FEATURE_EXACT_ADDRESS;
	if (ioctl(fd, UFFDIO_API, &api) != 0) {
		set_why(why_wp, sizeof(why_wp), "write-protect: UFFDIO_API (thread ids, write-protect of unpopulated pages)", errno);
		close(fd);
		return -1;
	}
	wp_fd = fd;
	return 0;
}

static int wp_protect(uintptr_t addr, size_t len, int on)
{
	struct uffdio_writeprotect w;

	memset(&w, 0, sizeof(w));
	w.range.start = addr;
	w.range.len = len;
	w.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0; /* un-protect also wakes */
	return ioctl(wp_fd, UFFDIO_WRITEPROTECT, &w) == 0 ? 0 : -errno;
}

static int wp_register(uintptr_t addr, size_t len)
{
	struct uffdio_register r;

	memset(&r, 0, sizeof(r));
	r.range.start = addr;
	r.range.len = len;
	r.mode = UFFDIO_REGISTER_MODE_WP;
	return ioctl(wp_fd, UFFDIO_REGISTER, &r) == 0 ? 0 : -errno;
}

static void wp_unregister(uintptr_t addr, size_t len)
{
	struct uffdio_range r = { addr, len };
	ioctl(wp_fd, UFFDIO_UNREGISTER, &r);
}

static uint64_t wp_no_pc; /* faults whose pc could not be read (EACCES) */

/* Can this process read its threads' /proc/self/task/TID/syscall?  A
 * process that changed its user ids (a server started as root that
 * becomes nobody) is made not dumpable by the kernel, which then gives its
 * /proc files to root with mode 0400: a fault's pc cannot be read, so no
 * fault could be told from a kernel write or decoded.  Making it dumpable
 * again (PR_SET_DUMPABLE) would change what the program sees (core dumps,
 * who may ptrace it), so the source is off instead, with the reason. */
static int wp_pc_readable(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)syscall(SYS_gettid));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* the user pc of a thread blocked in the kernel: the last field of
 * /proc/self/task/TID/syscall ("-1 SP PC" in a fault, "NR ARGS.. SP PC" in
 * a system call); *in_syscall set when it is a system call */
static uintptr_t blocked_pc(pid_t tid, int *in_syscall)
{
	char path[64], buf[256];
	ssize_t n;
	int fd;
	char *last;

	*in_syscall = 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		/* EACCES: the program changed its user id after write-protect
		 * started (wp_pc_readable); a note at shutdown */
		if (errno == EACCES)
			__atomic_add_fetch(&wp_no_pc, 1, __ATOMIC_RELAXED);
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	if (buf[0] != '-')
		*in_syscall = buf[0] >= '0' && buf[0] <= '9';
	last = strrchr(buf, ' ');
	if (!last)
		return 0;
	return (uintptr_t)strtoull(last + 1, NULL, 16);
}

static struct wp_range *wp_find(uintptr_t a)
{
	unsigned i;

	for (i = 0; i < LH_WATCH_WP_RANGES; i++)
		if (wp[i].addr && a >= wp[i].addr && a - wp[i].addr < wp[i].len)
			return &wp[i];
	return NULL;
}

/* un-protect (waking every thread blocked on it) and forget; under wp_mu */
static void wp_end(struct wp_range *r)
{
	wp_protect(r->addr, r->len, 0);
	wp_unregister(r->addr, r->len);
	r->addr = 0;
	r->holding = 0;
	if (r->hold_i >= 0)
		hold_release(r->hold_i);
	r->hold_i = -1;
}

/* lh_watch_cut_holds for write-protect: the held ranges of thread tid (0:
 * all) end now, from the calling thread, as wp_expire would end them */
static void wp_cut(pid_t tid)
{
	struct lh_watch_hit done[LH_WATCH_WP_RANGES];
	unsigned i, n = 0;

	lh_mu_lock(&wp_mu);
	for (i = 0; i < LH_WATCH_WP_RANGES; i++) {
		if (!wp[i].addr || !wp[i].holding || !wp[i].until_ns ||
		    (tid && wp[i].first.tid != tid))
			continue;
		done[n++] = wp[i].first;
		wp_end(&wp[i]);
	}
	lh_mu_unlock(&wp_mu);
	for (i = 0; i < n; i++)
		if (sink.released)
			sink.released(sink.ctx, &done[i]);
}

static void wp_fault(const struct uffd_msg *m)
{
	uintptr_t a = (uintptr_t)m->arg.pagefault.address;
	struct wp_range *r;
	struct lh_watch_hit h;
	uint64_t hold;
	int in_sys;

	memset(&h, 0, sizeof(h));
	h.source = LH_WSRC_WP;
	h.slot = LH_WATCH_SLOT_WP;
	h.write = 1;
	h.tid = (pid_t)m->arg.pagefault.feat.ptid;
	h.addr = a;
	h.t_ns = now_ns();
	h.pc = blocked_pc(h.tid, &in_sys);
	h.kernel = (uint8_t)in_sys;
	h.pc_after = (uint8_t)in_sys;

	lh_mu_lock(&wp_mu);
	r = wp_find(a);
	if (!r) {
		/* disarmed meanwhile, or a page left protected: let it go */
		uintptr_t pg = a & ~(uintptr_t)(page_size - 1);
		wp_protect(pg, (size_t)page_size, 0);
		lh_mu_unlock(&wp_mu);
		return;
	}
	h.window = r->window;
	if (r->window == SELFTEST_WINDOW) {
		wp_selftest_seen++;
		wp_end(r);
		lh_mu_unlock(&wp_mu);
		return;
	}
	if (r->holding) {
		/* a second thread while the first is held: it waits with it */
		lh_mu_unlock(&wp_mu);
		if (sink.hit)
			sink.hit(sink.ctx, &h);
		return;
	}
	r->holding = 1;
	r->first = h;
	lh_mu_unlock(&wp_mu);
	hold = sink.hit ? sink.hit(sink.ctx, &h) : 0;
	if (hold > LH_WATCH_HOLD_MAX_NS)
		hold = LH_WATCH_HOLD_MAX_NS;
	lh_mu_lock(&wp_mu);
	if (r->addr && r->holding) {
		if (hold) {
			r->until_ns = now_ns() + hold;
			if (hold_find_wp(r->first.tid) < 0) /* one entry per held thread */
				r->hold_i = hold_claim(r->first.tid, 1);
		} else {
			struct lh_watch_hit first = r->first;
			wp_end(r);
			lh_mu_unlock(&wp_mu);
			if (sink.released)
				sink.released(sink.ctx, &first);
			return;
		}
	}
	lh_mu_unlock(&wp_mu);
}

/* end the holds that are due; returns ms to the next one, -1 if none */
static int wp_expire(void)
{
	struct lh_watch_hit done[LH_WATCH_WP_RANGES];
	uint64_t now = now_ns(), next = 0;
	unsigned i, n = 0;

	lh_mu_lock(&wp_mu);
	for (i = 0; i < LH_WATCH_WP_RANGES; i++) {
		if (!wp[i].addr || !wp[i].holding || !wp[i].until_ns)
			continue;
		if (wp[i].until_ns <= now) {
			done[n++] = wp[i].first;
			wp_end(&wp[i]);
		} else if (!next || wp[i].until_ns < next) {
			next = wp[i].until_ns;
		}
	}
	lh_mu_unlock(&wp_mu);
	for (i = 0; i < n; i++)
		if (sink.released)
			sink.released(sink.ctx, &done[i]);
	if (!next)
		return -1;
	return (int)((next - now + 999999) / 1000000);
}

static void *wp_main(void *arg)
{
	struct pollfd p[2];
	struct uffd_msg m;
	int fd = (int)((uintptr_t)arg & 0xffffffffu);
	unsigned gen = (unsigned)((uintptr_t)arg >> 32); /* the generation it was started for */

	lh_own_thread_begin();
	lh_watch_short_slice();
	p[0].fd = fd;
	p[0].events = POLLIN;
	p[1].fd = wp_stop_pipe[0]; /* this thread's: it closes it when told to stop */
	p[1].events = POLLIN;
	for (;;) {
		int timeout = wp_expire();
		int n = poll(p, 2, timeout);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (p[1].revents & (POLLIN | POLLHUP)))
			break;
		if (n > 0 && (p[0].revents & (POLLERR | POLLHUP)))
			break;
		/* told to stop meanwhile (lh_watch_wp_idle): the faults are
		 * the next handler thread's */
		while (__atomic_load_n(&wp_gen, __ATOMIC_ACQUIRE) == gen &&
		       read(fd, &m, sizeof(m)) == (ssize_t)sizeof(m))
			if (m.event == UFFD_EVENT_PAGEFAULT)
				wp_fault(&m);
		if (__atomic_load_n(&wp_gen, __ATOMIC_ACQUIRE) != gen)
			break;
	}
	close(p[1].fd);
	lh_own_thread_end();
	return NULL;
}

/* the handler thread, on first need (start-up; a fork child's first arm) */
static int wp_thread_start(void)
{
	pthread_attr_t attr;
	pthread_t th;
	sigset_t all, old;
	int rc, fl;

	if (wp_thread_on)
		return 0;
	if (pipe2(wp_stop_pipe, O_CLOEXEC) != 0)
		return -errno;
	wp_stop_pipe[0] = move_high(wp_stop_pipe[0]);
	wp_stop_pipe[1] = move_high(wp_stop_pipe[1]);
	fl = fcntl(wp_stop_pipe[1], F_GETFL);
	fcntl(wp_stop_pipe[1], F_SETFL, fl | O_NONBLOCK);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, _NSIG / 8);
	rc = (lh_real.create ? lh_real.create : pthread_create)(&th, &attr, wp_main,
	                                                        (void *)((uintptr_t)(unsigned)wp_fd |
	                                                                 (uintptr_t)__atomic_load_n(&wp_gen, __ATOMIC_ACQUIRE) << 32));
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		close(wp_stop_pipe[0]);
		close(wp_stop_pipe[1]);
		wp_stop_pipe[0] = wp_stop_pipe[1] = -1;
		return -rc;
	}
	wp_thread_on = 1;
	return 0;
}

/* under wp_mu: the handler thread ends (it closes its end of the pipe);
 * the next arm starts another */
static void wp_thread_stop(void)
{
	if (!wp_thread_on)
		return;
	if (write(wp_stop_pipe[1], "", 1) < 0) {
		/* cannot happen: an empty pipe of our own */
	}
	close(wp_stop_pipe[1]);
	wp_stop_pipe[0] = wp_stop_pipe[1] = -1;
	wp_thread_on = 0;
	__atomic_add_fetch(&wp_gen, 1, __ATOMIC_ACQ_REL);
}

static int wp_arm_locked(uintptr_t addr, size_t len, uint32_t window)
{
	unsigned i;
	int rc;

	for (i = 0; i < LH_WATCH_WP_RANGES; i++)
		if (!wp[i].addr)
			break;
	if (i == LH_WATCH_WP_RANGES) {
		if (!wp_full_noted) {
			wp_full_noted = 1;
			lh_log_note("race watching: more than LH_WATCH_WP_RANGES (%d) write-protected ranges "
			            "wanted at once; further ones were not watched (the result may be incomplete)",
			            LH_WATCH_WP_RANGES);
		}
		return -ENOSPC;
	}
	if (wp_find(addr) || wp_find(addr + len - 1))
		return -EBUSY;
	if ((rc = wp_register(addr, len)) != 0)
		return rc;
	wp[i].len = len;
	wp[i].window = window;
	wp[i].holding = 0;
	wp[i].until_ns = 0;
	wp[i].hold_i = -1;
	wp[i].addr = addr;
	if ((rc = wp_protect(addr, len, 1)) != 0) {
		wp_unregister(addr, len);
		wp[i].addr = 0;
	}
	return rc;
}

/* The descriptor opened early (wp_preopen), while the process may still
 * be privileged: a server started as root that drops to another user
 * before its first thread (memcached -u nobody) could otherwise open
 * only a UFFD_USER_MODE_ONLY one, which the source refuses.  The kernel
 * checks the privilege when the descriptor is made, not when it is used,
 * so a descriptor made while privileged keeps kernel writes working after
 * the drop.  wp_early_dev/ino: what it was, to see that the program has
 * not closed it and reused its number before wp_start uses it. */
static int wp_early;
static dev_t wp_early_dev;
static ino_t wp_early_ino;

static void wp_preopen(void)
{
	struct stat st;

	if (wp_fd >= 0 || wp_open() != 0)
		return; /* wp_start tries again and says why */
	if (fstat(wp_fd, &st) != 0) {
		close(wp_fd);
		wp_fd = -1;
		return;
	}
	wp_early = 1;
	wp_early_dev = st.st_dev;
	wp_early_ino = st.st_ino;
}

/* the early descriptor, if it is still ours (else it is forgotten, not
 * closed: the number is the program's now) */
static int wp_early_ok(void)
{
	struct stat st;

	if (!wp_early || wp_fd < 0)
		return 0;
	wp_early = 0;
	if (fstat(wp_fd, &st) == 0 && st.st_dev == wp_early_dev && st.st_ino == wp_early_ino)
		return 1;
	lh_log_note("race watching: write-protect: the descriptor opened at start-up was closed by "
	            "the program; opening another one");
	wp_fd = -1;
	return 0;
}

static int wp_start(void)
{
	static char page[1] __attribute__((unused));
	char *test;
	struct timespec ts;
	int rc;

	page_size = sysconf(_SC_PAGESIZE);
	if (!wp_early_ok() && wp_open() != 0)
		return -1;
	if (!wp_pc_readable()) {
		set_why(why_wp, sizeof(why_wp),
		        "write-protect: /proc/self/task/TID/syscall cannot be read (the process changed "
		        "its user id and is not dumpable), so a fault's pc is unknown",
		        errno);
		close(wp_fd);
		wp_fd = -1;
		return -1;
	}
	if ((rc = wp_thread_start()) != 0) {
		set_why(why_wp, sizeof(why_wp), "write-protect: cannot start the handler thread", -rc);
		close(wp_fd);
		wp_fd = -1;
		return -1;
	}
	/* self-test: a user write and a kernel write into a protected page
	 * both complete, each through one fault */
	test = mmap(NULL, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (test == MAP_FAILED) {
		set_why(why_wp, sizeof(why_wp), "write-protect: mmap", errno);
		return -1;
	}
	lh_mu_lock(&wp_mu);
	rc = wp_arm_locked((uintptr_t)test, (size_t)page_size, SELFTEST_WINDOW);
	lh_mu_unlock(&wp_mu);
	if (rc) {
		set_why(why_wp, sizeof(why_wp), "write-protect: UFFDIO_REGISTER/WRITEPROTECT", -rc);
		munmap(test, (size_t)page_size);
		return -1;
	}
	{
		uint64_t t0 = now_ns();
		*(volatile char *)test = 1;
		wp_trap_ns = now_ns() - t0;
	}
	lh_mu_lock(&wp_mu);
	rc = wp_arm_locked((uintptr_t)test, (size_t)page_size, SELFTEST_WINDOW);
	lh_mu_unlock(&wp_mu);
	if (rc == 0 && syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (struct timespec *)(void *)test) != 0)
		rc = -errno;
	memcpy(&ts, test, sizeof(ts));
	munmap(test, (size_t)page_size);
	if (rc || __atomic_load_n(&wp_selftest_seen, __ATOMIC_ACQUIRE) != 2 || ts.tv_sec == 0) {
		set_why(why_wp, sizeof(why_wp),
		        rc ? "write-protect: a kernel write into a protected page failed"
		           : "write-protect: self-test writes were not seen",
		        rc ? -rc : 0);
		return -1;
	}
	why_wp[0] = 0;
	return 0;
}

int lh_watch_wp_arm(uintptr_t addr, size_t len, uint32_t window)
{
	int rc;

	if (!(__atomic_load_n(&sources, __ATOMIC_RELAXED) & LH_WSRC_WP))
		return -ENODEV;
	if (!window || window == SELFTEST_WINDOW || !len || (addr | len) & (uintptr_t)(page_size - 1))
		return -EINVAL;
	lh_mu_lock(&wp_mu);
	rc = wp_thread_start();
	if (rc == 0)
		rc = wp_arm_locked(addr, len, window);
	lh_mu_unlock(&wp_mu);
	return rc;
}

int lh_watch_wp_disarm(uintptr_t addr, size_t len)
{
	struct wp_range *r;
	struct lh_watch_hit first;
	int held = 0;

	if (!(__atomic_load_n(&sources, __ATOMIC_RELAXED) & LH_WSRC_WP))
		return -ENODEV;
	lh_mu_lock(&wp_mu);
	r = wp_find(addr);
	if (!r || r->addr != addr || r->len != len) {
		lh_mu_unlock(&wp_mu);
		return -ENOENT;
	}
	if (r->holding && r->until_ns) {
		held = 1;
		first = r->first;
	}
	wp_end(r);
	lh_mu_unlock(&wp_mu);
	if (held && sink.released)
		sink.released(sink.ctx, &first);
	return 0;
}

void lh_watch_wp_idle(void)
{
	unsigned i;

	if (!(__atomic_load_n(&sources, __ATOMIC_RELAXED) & LH_WSRC_WP))
		return;
	lh_mu_lock(&wp_mu);
	for (i = 0; i < LH_WATCH_WP_RANGES; i++)
		if (wp[i].addr)
			wp_end(&wp[i]); /* wakes any thread blocked on it */
	wp_thread_stop();
	lh_mu_unlock(&wp_mu);
}

/* ======================= start, fork, exit ======================= */

static void say_unavailable(int quiet);

unsigned lh_watch_init(unsigned want, const struct lh_watch_sink *s, int quiet)
{
	unsigned got = 0;

	self_pid = getpid();
	if (s)
		sink = *s;
	if (want & LH_WSRC_HW) {
		if (hw_start() == 0)
			got |= LH_WSRC_HW;
		else
			lh_log_note("race watching: %s", why_hw);
	} else {
		set_why(why_hw, sizeof(why_hw), "hardware watchpoints: not asked for", 0);
	}
	/* the write-protect self-test starts a thread: after the hardware
	 * events are open, so they are inherited like any later thread's */
	if (want & LH_WATCH_WP_LATER) {
		set_why(why_wp, sizeof(why_wp), "write-protect: not started yet", 0);
		wp_preopen();
	} else if (want & LH_WSRC_WP) {
		if (wp_start() == 0)
			got |= LH_WSRC_WP;
		else
			lh_log_note("race watching: %s", why_wp);
	} else {
		set_why(why_wp, sizeof(why_wp), "write-protect: not asked for", 0);
	}
	__atomic_store_n(&sources, got, __ATOMIC_RELEASE);
	if (!got && want && !(want & LH_WATCH_WP_LATER))
		say_unavailable(quiet);
	return got;
}

unsigned lh_watch_start_wp(int quiet)
{
	unsigned got;

	if (wp_start() == 0)
		__atomic_or_fetch(&sources, LH_WSRC_WP, __ATOMIC_ACQ_REL);
	else
		lh_log_note("race watching: %s", why_wp);
	got = __atomic_load_n(&sources, __ATOMIC_ACQUIRE);
	if (!got)
		say_unavailable(quiet);
	return got;
}

static void say_unavailable(int quiet)
{
	{
		char line[600];
		int n = snprintf(line, sizeof(line), "lockhound: race watching unavailable: %s; %s\n",
		                 why_hw, why_wp);
		if (n > (int)sizeof(line) - 1)
			n = (int)sizeof(line) - 1;
		if (!quiet && write(2, line, (size_t)n) < 0) {
			/* stderr is gone */
		}
		lh_log_note("race watching unavailable (the result has no data races): %s; %s", why_hw,
		            why_wp);
	}
}

unsigned lh_watch_sources(void)
{
	return __atomic_load_n(&sources, __ATOMIC_ACQUIRE);
}

const char *lh_watch_why(enum lh_wsrc src)
{
	return src == LH_WSRC_HW ? why_hw : why_wp;
}

void lh_watch_fork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	unsigned got = __atomic_load_n(&sources, __ATOMIC_RELAXED), i;

	self_pid = getpid();
	hw_mu = fresh;
	for (i = 0; i < LH_WATCH_HW_SLOTS; i++)
		hw[i].mu = fresh;
	wp_mu = fresh;
	/* the parent's holds are the parent's threads' */
	memset(holds, 0, sizeof(holds));
	__atomic_store_n(&lh_watch_holding, 0, __ATOMIC_RELAXED);
	if (got & LH_WSRC_HW) {
		hw_close_all();
		for (i = 0; i < LH_WATCH_HW_SLOTS; i++) {
			if (hw_open(i) != 0) {
				hw_close_all();
				got &= ~(unsigned)LH_WSRC_HW;
				set_why(why_hw, sizeof(why_hw), "hardware watchpoints: perf_event_open failed in a fork child", 0);
				lh_log_note("race watching: %s", why_hw);
				break;
			}
		}
	}
	if (!(got & LH_WSRC_WP) && wp_early && wp_fd >= 0) {
		/* the parent's early descriptor (write-protect not started
		 * yet) belongs to the parent's memory: the child opens its
		 * own, early too */
		if (wp_early_ok())
			close(wp_fd);
		wp_fd = -1;
		wp_preopen();
	}
	if (got & LH_WSRC_WP) {
		/* the parent's: the child's ranges are neither registered nor
		 * protected (no UFFD_FEATURE_EVENT_FORK) */
		memset(wp, 0, sizeof(wp));
		close(wp_fd);
		wp_fd = -1;
		if (wp_stop_pipe[0] >= 0) {
			close(wp_stop_pipe[0]);
			close(wp_stop_pipe[1]);
		}
		wp_stop_pipe[0] = wp_stop_pipe[1] = -1;
		wp_thread_on = 0;
		if (wp_open() != 0) {
			got &= ~(unsigned)LH_WSRC_WP;
			lh_log_note("race watching: %s (fork child)", why_wp);
		}
	}
	__atomic_store_n(&sources, got, __ATOMIC_RELEASE);
}

void lh_watch_shutdown(void)
{
	unsigned got = __atomic_exchange_n(&sources, 0, __ATOMIC_ACQ_REL), i;

	if (got & LH_WSRC_HW) {
		for (i = 0; i < LH_WATCH_HW_SLOTS; i++) {
			lh_mu_lock(&hw[i].mu);
			__atomic_store_n(&hw[i].window, 0, __ATOMIC_RELEASE);
			hw_park_locked(i);
			lh_mu_unlock(&hw[i].mu);
		}
		/* late traps (hw_stale) are no note: each belongs to a window
		 * that had ended, like an access outside any window */
		if (__atomic_load_n(&hw_stray, __ATOMIC_RELAXED))
			lh_log_note("race watching: %llu debug-exception SIGTRAPs of no watchpoint event "
			            "dropped (si_code %d; a lost watchpoint trap, whose access is not seen: "
			            "the result may be incomplete)",
			            (unsigned long long)__atomic_load_n(&hw_stray, __ATOMIC_RELAXED),
			            __atomic_load_n(&hw_stray_code, __ATOMIC_RELAXED));
	}
	if (got & LH_WSRC_WP) {
		lh_mu_lock(&wp_mu);
		for (i = 0; i < LH_WATCH_WP_RANGES; i++)
			if (wp[i].addr)
				wp_end(&wp[i]);
		lh_mu_unlock(&wp_mu);
		if (__atomic_load_n(&wp_no_pc, __ATOMIC_RELAXED))
			lh_log_note("race watching: write-protect: the pc of %llu faults could not be read "
			            "(/proc/self/task/TID/syscall: the program changed its user id after "
			            "watching started); those writes were not seen (the result may be "
			            "incomplete)",
			            (unsigned long long)__atomic_load_n(&wp_no_pc, __ATOMIC_RELAXED));
		if (wp_stop_pipe[1] >= 0 && write(wp_stop_pipe[1], "", 1) < 0) {
			/* the thread ends with the process anyway */
		}
	}
}
