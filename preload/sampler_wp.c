/*
 * sampler_wp.c - sampled race watching through userfaultfd write-protect
 * (the LH_WSRC_WP source of watch.h): its own watcher core (watcher.h), its
 * candidates, its windows, its hits and its race records.  sampler.c runs
 * the rotation thread and the hardware half, and calls in here.
 *
 * Candidates (write-protect covers whole pages of anonymous memory, and
 * sees writes only):
 *  - sampled heap blocks (gheap.h, wrap_malloc.c): each alone on its
 *    pages, added when it is handed out, removed (and its window ended,
 *    its pages un-protected) before its slot can be used again;
 *  - the executable's writable globals that lie on anonymous pages: the
 *    part of .bss past the last page the file backs, or, with
 *    race_source=wp, every data page after RELRO, which lh_smpwp_prepare
 *    makes anonymous at start-up (same bytes, same protection; a program
 *    that reads /proc/self/maps sees an anonymous mapping there instead of
 *    its file).  .data itself is file-backed and cannot be protected.
 * A window protects the pages of its candidate.  A protected page is one
 * shot: the first write to it (the candidate's or a neighbour's) ends the
 * protection once the writer goes on; the next tick protects it again
 * while the window lasts.  The first write to the candidate's own bytes in
 * a window holds its thread for the budget's hold (the fault holds it for
 * free); a second thread writing the same bytes meanwhile is the observed
 * verdict, written as LH_REC_RACE with detected_by write-protect.  While
 * the hold runs the page stays protected and every other writer waits at
 * its write (WT_HOLD_BLOCKS): two of them at the same bytes are observed
 * too, whichever write was held (the co-held verdict, watcher.h).  Every
 * write is also an access for the hardware half's engine (this core
 * shares it: wt_create_sharing, WT_INFER_WRITES): two plain writes of
 * different threads in one window that no seen synchronization orders are
 * the inferred verdict.
 *
 * What a write is: the faulting pc comes from /proc/self/task/TID/syscall
 * (watch.c); the instruction there is decoded (insn.c) so a locked
 * read-modify-write or xchg is never a side of a race, and gives the bytes
 * written.  Only the executable's own code counts (as for watchpoints: a
 * library writing a program's object is most often a lock's or condition
 * variable's implementation).  A kernel write on behalf of a system call
 * (read(2) into a watched buffer) is let through at once and is never a
 * side: it blocks only until the fault is answered, and never fails.
 * Misses: reads (write-protect cannot see them: a write/read race is
 * found only through a second writer), and writes from library code.
 */
#include "shim.h"
#include "watcher.h"
#include "sampler.h"
#include "insn.h"
#include "gheap.h"

#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>

#define LH_SMPWP_QUEUE 64     /* races found and not yet written */
#define LH_SMPWP_MAX_PAGES 16 /* a candidate is protected if it spans at most this many pages */

static struct wt_core *wcore;
static int wp_on;
static long page_bytes;
static uintptr_t anon_lo, anon_hi; /* the executable's data on anonymous pages */
static uint32_t tags[WT_SLOTS];
static uintptr_t range_lo[WT_SLOTS]; /* the pages each window protects */
static size_t range_len[WT_SLOTS];
static unsigned consumed;       /* windows whose protection a write ended: protect again */
static unsigned pending_disarm; /* windows the core ended from a hit */
static int noted[WT_LIMIT_N];
/* race_stats: faults in a window, those on the candidate's own bytes from
 * the executable's code, and protections of a page again */
static uint64_t st_faults, st_own, st_again;

struct wp_queued {
	struct wt_race r;
	uintptr_t alloc_site; /* heap: the allocation's return address */
	int alloc_tid;        /* heap: the allocating thread (kernel id) */
	size_t block_size;
};
static struct wp_queued queue[LH_SMPWP_QUEUE];
static int n_queue, queue_full;

/* ---- start-up ---- */

struct exe_data {
	uintptr_t load_lo, file_hi, mem_hi, relro_hi;
};

static int exe_phdrs(struct dl_phdr_info *info, size_t size, void *data)
{
	struct exe_data *d = data;
	int i;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		uintptr_t a = info->dlpi_addr + p->p_vaddr;
		if (p->p_type == PT_LOAD && (p->p_flags & PF_W) && a + p->p_memsz > d->mem_hi) {
			d->load_lo = a;
			d->file_hi = a + p->p_filesz;
			d->mem_hi = a + p->p_memsz;
		} else if (p->p_type == PT_GNU_RELRO) {
			d->relro_hi = a + p->p_memsz;
		}
	}
	return 1; /* the first object is the executable */
}

static uintptr_t page_up(uintptr_t a)
{
	return (a + (uintptr_t)page_bytes - 1) & ~(uintptr_t)(page_bytes - 1);
}

static uintptr_t page_down(uintptr_t a)
{
	return a & ~(uintptr_t)(page_bytes - 1);
}

/* the only thread of the process (a library constructor may have started
 * others, which could write the pages while they are copied) */
static int alone(void)
{
	char buf[4096];
	ssize_t n;
	const char *t;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	t = strstr(buf, "\nThreads:");
	return t && strtol(t + 9, NULL, 10) == 1;
}

void lh_smpwp_prepare(int remap)
{
	struct exe_data d;
	sigset_t all, old;
	uintptr_t lo, hi;
	void *copy;

	page_bytes = sysconf(_SC_PAGESIZE);
	memset(&d, 0, sizeof(d));
	dl_iterate_phdr(exe_phdrs, &d);
	if (!d.mem_hi)
		return;
	/* anonymous already: the pages of .bss past the file's last page */
	anon_lo = page_up(d.file_hi);
	anon_hi = page_up(d.mem_hi);
	if (!remap)
		return;
	lo = page_down(d.load_lo);
	if (d.relro_hi > lo && d.relro_hi <= d.mem_hi)
		lo = page_up(d.relro_hi); /* RELRO is read-only after start-up: left alone */
	hi = anon_lo;
	if (lo >= hi || !alone())
		return;
	copy = mmap(NULL, hi - lo, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (copy == MAP_FAILED)
		return;
	/* no handler of the program may see the pages while they are zero */
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, _NSIG / 8);
	memcpy(copy, (void *)lo, hi - lo);
	if (mmap((void *)lo, hi - lo, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
	         -1, 0) == (void *)lo) {
		memcpy((void *)lo, copy, hi - lo);
		anon_lo = lo;
	} else {
		/* MAP_FIXED failed before it unmapped anything: the pages are the file's */
		lh_log_note("race watching: the executable's data pages could not be made anonymous; "
		            "write-protect watches only its .bss past the file's pages");
	}
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
	munmap(copy, hi - lo);
}

static void on_race(void *cookie, const struct wt_race *r)
{
	struct wp_queued *q;

	(void)cookie;
	if (n_queue >= LH_SMPWP_QUEUE) {
		queue_full = 1;
		return;
	}
	q = &queue[n_queue++];
	memset(q, 0, sizeof(*q));
	q->r = *r;
	if (r->kind == WT_HEAP)
		lh_gh_block_info((int)r->name, &q->alloc_site, &q->alloc_tid, &q->block_size);
}

static void on_limit(void *cookie, enum wt_limit what)
{
	(void)cookie;
	if ((unsigned)what < WT_LIMIT_N)
		__atomic_store_n(&noted[what], 1, __ATOMIC_RELAXED);
}

static void *alloc_cb(void *cookie, size_t n)
{
	(void)cookie;
	return lh_alloc(n);
}

/* the data pages already candidates (a small set: the executable's
 * anonymous data pages, LH_SMPWP_DATA_PAGES at most; beyond, not watched) */
#define LH_SMPWP_DATA_PAGES 1024
static uintptr_t data_pages[LH_SMPWP_DATA_PAGES];
static int n_data_pages;

static int page_known(uintptr_t pg)
{
	int i;

	for (i = 0; i < n_data_pages; i++)
		if (data_pages[i] == pg)
			return 1;
	return n_data_pages >= LH_SMPWP_DATA_PAGES; /* full: as if known (not added) */
}

static void remember_page(uintptr_t pg)
{
	if (n_data_pages < LH_SMPWP_DATA_PAGES)
		data_pages[n_data_pages++] = pg;
}

int lh_smpwp_start(struct wt_core *from, const struct wt_budget *b)
{
	struct rc_alloc a = { alloc_cb, NULL };
	struct wt_hooks h = { on_race, on_limit, NULL };

	/* the hardware half's engine: it gets every thread and lock event */
	wcore = from ? wt_create_sharing(b, &a, &h, from, WT_INFER_WRITES | WT_HOLD_BLOCKS) : NULL;
	if (!wcore)
		return -1;
	memset(tags, 0, sizeof(tags));
	memset(range_len, 0, sizeof(range_len));
	__atomic_store_n(&wp_on, 1, __ATOMIC_RELEASE);
	return 0;
}

/* once, by the rotation thread after the other half read the modules'
 * globals: every anonymous page of the executable's data that holds one
 * of them is a candidate here.  A page, not each global: a window
 * protects whole pages anyway, and the fault gives the exact bytes, so
 * the observed verdict still needs two threads on the same bytes; one
 * window per page instead of one per global sharing it (windows on the
 * same page would refuse each other) */
void lh_smpwp_add_globals(struct wt_core *from)
{
	static int done;
	uintptr_t last = 0;
	int i, n;

	if (done || !lh_smpwp_on() || !from)
		return;
	done = 1;
	lh_smp_lock();
	n = wt_n_cands(from);
	for (i = 0; i < n; i++) {
		uintptr_t addr, pg;
		uint32_t size;
		if (wt_cand_range(from, i, &addr, &size) != 0 || addr < anon_lo ||
		    addr + size > anon_hi)
			continue;
		for (pg = page_down(addr); pg < addr + size; pg += (uintptr_t)page_bytes)
			if (pg != last && !page_known(pg)) {
				wt_cand_add(wcore, WT_GLOBAL, pg, (uint32_t)page_bytes, (uint32_t)i);
				remember_page(pg);
				last = pg;
			}
	}
	lh_smp_unlock();
}

int lh_smpwp_on(void)
{
	return __atomic_load_n(&wp_on, __ATOMIC_ACQUIRE);
}

int lh_smpwp_n_cands(void)
{
	return lh_smpwp_on() && wcore ? wt_n_cands(wcore) : 0;
}

/* ---- heap blocks (wrap_malloc.c, any program thread) ---- */

/* Without write-protect, sampled heap blocks are the hardware half's
 * candidates (watched a word at a time, like globals); their candidate
 * numbers carry HW_CAND. */
static struct wt_core *hw_core;
#define HW_CAND 0x40000000

void lh_smpwp_heap_to_hw(struct wt_core *c)
{
	hw_core = c;
}

int lh_smp_heap_add(int gslot, uintptr_t addr, size_t size)
{
	sigset_t old;
	int c;

	if (lh_smp_is_in_core() || size > UINT32_MAX || (!lh_smpwp_on() && !hw_core))
		return -1;
	lh_smp_enter(&old);
	if (lh_smpwp_on()) {
		c = wt_cand_add(wcore, WT_HEAP, addr, (uint32_t)size, (uint32_t)gslot);
	} else {
		c = wt_cand_add(hw_core, WT_HEAP, addr, (uint32_t)size, (uint32_t)gslot);
		if (c >= 0)
			c |= HW_CAND;
	}
	lh_smp_leave(&old);
	return c;
}

/* a sampled block handed to a new thread (pthread_create's argument) */
void lh_smp_heap_handed(int cand, uint32_t from, uint32_t to)
{
	sigset_t old;

	if (cand < 0 || lh_smp_is_in_core())
		return;
	if (cand & HW_CAND) {
		if (!hw_core)
			return;
		lh_smp_enter(&old);
		wt_cand_handed(hw_core, cand & ~HW_CAND, from, to);
		lh_smp_leave(&old);
		return;
	}
	if (!lh_smpwp_on())
		return;
	lh_smp_enter(&old);
	wt_cand_handed(wcore, cand, from, to);
	lh_smp_leave(&old);
}

/* before the block's slot can be used again: the candidate goes, and its
 * window's pages are un-protected (any thread held on them goes on), or
 * its watchpoint moved off it */
void lh_smp_heap_remove(int cand)
{
	sigset_t old;
	uintptr_t lo = 0;
	size_t len = 0;
	int slot;

	if (cand < 0 || lh_smp_is_in_core())
		return;
	if (cand & HW_CAND) {
		if (!hw_core)
			return;
		lh_smp_enter(&old);
		slot = wt_cand_remove(hw_core, cand & ~HW_CAND);
		if (slot >= 0)
			lh_smp_hw_disarm_later((unsigned)slot);
		lh_smp_leave(&old);
		return;
	}
	if (!lh_smpwp_on())
		return;
	lh_smp_enter(&old);
	slot = wt_cand_remove(wcore, cand);
	if (slot >= 0) {
		lo = range_lo[slot];
		len = range_len[slot];
		range_len[slot] = 0;
		consumed &= ~(1u << slot);
		pending_disarm &= ~(1u << slot);
	}
	lh_smp_leave(&old);
	/* outside the lock: the source's release calls back into the core */
	if (len)
		lh_watch_wp_disarm(lo, len);
}

/* ---- the sink (the source's handler thread) ---- */

static int slot_of_tag(uint32_t tag)
{
	int i;

	for (i = 0; i < WT_SLOTS; i++)
		if (range_len[i] && tags[i] == tag)
			return i;
	return -1;
}

/* this thread's CPU time, for the cost budget (the program's own time:
 * a descheduled handler thread is not charged the wait) */
static uint64_t wp_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t lh_smpwp_hit(const struct lh_watch_hit *h)
{
	uint8_t code[LH_INSN_MAX];
	struct lh_insn in;
	struct wt_hit wh;
	enum wt_action a;
	uint64_t hold = 0;
	sigset_t old;
	size_t n;
	int slot, locked = 0, in_shim = 0;
	uint32_t id = 0;
	rc_tid tid = 0;
	uint64_t t_cpu = wp_cpu_ns();

	if (!lh_smpwp_on())
		return 0;
	n = 0;
	/* a kernel write (a system call's) is no side of a race: let it go */
	if (!h->kernel && h->pc && lh_smp_exe_code(h->pc)) {
		/* the instruction's bytes; near the end of a mapping fewer */
		for (n = sizeof(code); n > 0 && lh_watch_read(h->pc, code, n) != 0; n--)
			;
		/* a thread the shim never registered cannot be named; one
		 * inside the shim (its own call into the program's code, such
		 * as PyGILState_Check) is not the program's access */
		if (n && lh_smp_thread_of(h->tid, &id, &tid, &locked, &in_shim) != 0)
			n = 0;
		else if (n && in_shim) {
			__atomic_add_fetch(&lh_smp_hits_in_shim, 1, __ATOMIC_RELAXED);
			n = 0;
		}
	}
	lh_smp_enter(&old);
	slot = slot_of_tag(h->window);
	if (slot >= 0) {
		consumed |= 1u << slot; /* the source ends the protection after this hit */
		st_faults++;
	}
	if (slot < 0 || !n || lh_insn_decode(code, n, h->pc, &in) != 0 || !in.has_mem) {
		/* no side (a kernel write, the C library's code writing a
		 * mutex in the block, a late fault): it cost its delivery and
		 * this work all the same.  Uncharged, a block whose mutex the C
		 * library writes faulted once per tick for nothing while the
		 * budget saw only the re-protection */
		wt_cost(wcore, lh_watch_trap_ns(LH_WSRC_WP) + (wp_cpu_ns() - t_cpu));
		lh_smp_leave(&old);
		return 0;
	}
	memset(&wh, 0, sizeof(wh));
	wh.slot = (uint32_t)slot;
	wh.tag = h->window;
	wh.thread = id;
	wh.tid = tid; /* the inferred verdict's engine slot */
	wh.locked = (uint8_t)locked;
	wh.addr = h->addr;
	wh.size = in.mem_size ? in.mem_size : 1;
	wh.is_write = 1; /* a write-protect fault is a write */
	wh.is_atomic = in.is_atomic;
	wh.pc = h->pc;
	{
		const struct wt_window *w = wt_slot(wcore, slot);
		if (w->cand >= 0 && h->addr < w->addr + w->len && h->addr + wh.size > w->addr)
			st_own++;
	}
	/* the first hit of a window: the lock paths feed the engine from now
	 * on (the faulting thread is blocked until this returns) */
	if (!wt_slot(wcore, slot)->hits)
		lh_smp_window_reached();
	a = wt_hit(wcore, &wh, lh_smp_prog_ns());
	if (a == WT_HOLD)
		hold = lh_smp_hold_ns;
	else if (a == WT_DISARM)
		pending_disarm |= 1u << slot;
	/* the fault's cost: its delivery (measured at start-up) and the
	 * handler thread's work here (the decode, the core) */
	wt_cost(wcore, lh_watch_trap_ns(LH_WSRC_WP) + (wp_cpu_ns() - t_cpu));
	lh_smp_leave(&old);
	return hold;
}

void lh_smpwp_released(const struct lh_watch_hit *h)
{
	sigset_t old;
	int slot;

	/* in_core: the rotation thread ending a held window (the window goes,
	 * its hold with it) */
	if (!lh_smpwp_on() || lh_smp_is_in_core())
		return;
	lh_smp_enter(&old);
	slot = slot_of_tag(h->window);
	if (slot >= 0)
		wt_hold_end(wcore, slot, h->window);
	lh_smp_leave(&old);
}

/* ---- windows (the rotation thread, the lock held) ---- */

static void end_window(int i, uint64_t now)
{
	if (range_len[i])
		lh_watch_wp_disarm(range_lo[i], range_len[i]); /* -ENOENT once consumed */
	range_len[i] = 0;
	consumed &= ~(1u << i);
	wt_disarm(wcore, i, now);
}

/* the core's lock is held: the windows armed now that a hit reached */
int lh_smpwp_reached(void)
{
	return wcore ? wt_reached(wcore) : 0;
}

int lh_smpwp_tick(uint64_t now, int arm)
{
	unsigned done;
	int i, reached = 0;

	if (!wp_on)
		return 0;
	done = wt_expired(wcore, now) | pending_disarm;
	pending_disarm = 0;
	for (i = 0; i < WT_SLOTS; i++) {
		const struct wt_window *w = wt_slot(wcore, i);

		if (w->cand >= 0 && (done & (1u << i) || !arm)) {
			end_window(i, now);
			continue;
		}
		if (w->cand >= 0 && (consumed & (1u << i))) {
			/* a write ended the protection: again, while the window
			 * lasts and the cost budget has credit (-EBUSY: the
			 * writer is still held).  Not while the core still counts
			 * its first writer as held: the source un-protects (and
			 * the writer goes on, releases its lock) before it reports
			 * the release, and a write faulting on pages protected
			 * again meanwhile, by the next owner of that lock, looked
			 * like one made during the hold (memcached's slabclass[]
			 * and LRU heads, written under slabs_lock and the LRU
			 * locks, were reported observed) */
			uint64_t t0;
			if (w->held)
				continue;
			t0 = wp_cpu_ns();
			if (wt_cost_credit(wcore, now) <= 0) {
				end_window(i, now);
				continue;
			}
			if (lh_watch_wp_arm(range_lo[i], range_len[i], tags[i]) == 0) {
				consumed &= ~(1u << i);
				st_again++;
			}
			wt_cost(wcore, wp_cpu_ns() - t0);
			continue;
		}
		if (arm && w->cand < 0) {
			struct wt_window win;
			uintptr_t lo, hi;
			uint64_t t0;
			int rc;
			/* a length that is no power of two: the whole candidate */
			if (wt_arm(wcore, i, 3, now, &win) != 0)
				continue;
			t0 = wp_cpu_ns();
			lo = page_down(win.addr);
			hi = page_up(win.addr + win.len);
			rc = hi - lo > (uintptr_t)LH_SMPWP_MAX_PAGES * (uintptr_t)page_bytes ||
			     lh_watch_wp_arm(lo, hi - lo, win.tag) != 0;
			wt_cost_move(wcore, wp_cpu_ns() - t0);
			if (rc) {
				/* too big, or its pages are another window's (-EBUSY) */
				wt_disarm(wcore, i, now);
				continue;
			}
			tags[i] = win.tag;
			range_lo[i] = lo;
			range_len[i] = hi - lo;
		}
	}
	for (i = 0; i < WT_SLOTS; i++)
		reached += wt_slot(wcore, i)->cand >= 0 && wt_slot(wcore, i)->hits > 0;
	return reached;
}

void lh_smpwp_end_all(void)
{
	uint64_t now = lh_smp_prog_ns();
	int i;

	if (!wp_on)
		return;
	for (i = 0; i < WT_SLOTS; i++)
		if (wt_slot(wcore, i)->cand >= 0)
			end_window(i, now);
	pending_disarm = 0;
}

/* race_stats=1: where write-protect's windows went (a note; called with
 * the core's lock not held) */
void lh_smpwp_stats_note(void)
{
	struct wt_stats st;
	struct wt_cand_stat top[LH_SMP_TOP_CANDS];
	sigset_t old;
	uint64_t faults, own, again;
	int n_top;

	if (!wp_on)
		return;
	lh_smp_enter(&old);
	wt_stats(wcore, &st);
	n_top = lh_smp_top_cands(wcore, top);
	faults = st_faults;
	own = st_own;
	again = st_again;
	lh_smp_leave(&old);
	lh_log_note("race watching statistics (write-protect): %llu windows, %llu faults in them, "
	            "%llu on the candidate's bytes from the executable's code, %llu protections "
	            "again, %llu holds, %llu hold back-offs, %llu observed (%llu of two writers waiting "
	            "in one hold), %llu inferred, %llu cut by the cost budget, %llu ms charged",
	            (unsigned long long)st.windows, (unsigned long long)faults,
	            (unsigned long long)own, (unsigned long long)again, (unsigned long long)st.holds,
	            (unsigned long long)st.hold_skips, (unsigned long long)st.observed,
	            (unsigned long long)st.co_held, (unsigned long long)st.inferred,
	            (unsigned long long)st.cost_cut,
	            (unsigned long long)(st.cost_ns / 1000000));
	lh_smp_top_note("write-protect", top, n_top);
}

void lh_smpwp_fork_child(void)
{
	uint64_t now = lh_smp_prog_ns();
	int i;

	if (!wp_on)
		return;
	n_queue = 0;
	pending_disarm = 0;
	consumed = 0;
	for (i = 0; i < WT_SLOTS; i++) {
		range_len[i] = 0; /* the parent's registrations are not the child's */
		wt_disarm(wcore, i, now);
	}
}

/* ---- records (the rotation thread, without the lock) ---- */

static const char *limit_text(enum wt_limit what)
{
	switch (what) {
	case WT_LIMIT_CANDS:
		return "race watching (write-protect): more than WT_MAX_CANDS candidates; the rest are "
		       "not watched";
	case WT_LIMIT_COST:
		return "race watching (write-protect): the cost budget (race_budget, per mille of the "
		       "program's time) was spent; windows were cut short and holds skipped";
	case WT_LIMIT_HITS_SEC:
		return "race watching (write-protect): the hits-per-second budget was reached; windows "
		       "were cut short";
	case WT_LIMIT_HOT:
		return "race watching (write-protect): a hot address used up its hits per window and "
		       "backed off";
	case WT_LIMIT_MEMORY:
		return "race watching (write-protect): out of memory; some writes were not checked";
	case WT_LIMIT_WAITERS:
		return "race watching (write-protect): more than WT_WAITERS writes waited in one "
		       "hold; the later ones were checked against those kept, not kept themselves";
	default:
		return "race watching (write-protect): a limit was reached";
	}
}

static void fill_access(struct lh_rec_race_access *a, const struct wt_access *w)
{
	uintptr_t pc = w->pc;

	memset(a, 0, sizeof(*a));
	a->thread_id = w->thread; /* the shim's id (lh_smp_thread_of) */
	a->stack_id = pc ? lh_stk_intern(&pc, 1, LH_STACK_FIRST_IS_PC) : 0;
	a->addr = w->addr;
	a->size = w->size;
	a->flags = w->is_write ? LH_RACC_WRITE : 0; /* a side from the hardware half may read */
	if (a->thread_id)
		lh_thr_ensure_id(a->thread_id);
}

/* a heap candidate's record fields: the block, where and by whom it was
 * allocated (site 0: unknown) */
static void fill_heap(struct lh_rec_race *rec, uintptr_t base, size_t size, uintptr_t site,
                      int tid)
{
	rec->var_kind = LH_VAR_HEAP;
	rec->var_base = base;
	rec->var_size = size;
	rec->alloc_stack = site ? lh_stk_intern(&site, 1, 0) : 0; /* a return address */
	rec->alloc_thread = tid ? lh_core_thread_of_tid(tid) : 0;
	if (rec->alloc_thread)
		lh_thr_ensure_id(rec->alloc_thread);
}

/* the hardware half's heap candidates (lh_smpwp_heap_to_hw), at write
 * time: the block's slot may have been given out again meanwhile (then the
 * allocation site is the newer block's; the race's bytes are right) */
void lh_smpwp_heap_record(struct lh_rec_race *rec, const struct wt_race *r)
{
	uintptr_t site;
	size_t size;
	int tid;

	if (r->kind != WT_HEAP)
		return;
	lh_gh_block_info((int)r->name, &site, &tid, &size);
	fill_heap(rec, r->base, size ? size : r->var_size, site, tid);
}

static void write_race(const struct wp_queued *q)
{
	struct lh_rec_race rec;
	const struct wt_race *r = &q->r;
	uintptr_t lo, hi;

	memset(&rec, 0, sizeof(rec));
	lo = r->first.addr > r->second.addr ? r->first.addr : r->second.addr;
	hi = r->first.addr + r->first.size < r->second.addr + r->second.size
	             ? r->first.addr + r->first.size
	             : r->second.addr + r->second.size;
	if (lo < r->base)
		lo = r->base;
	if (hi > r->base + r->var_size)
		hi = r->base + r->var_size;
	if (hi <= lo)
		return;
	rec.addr = lo;
	rec.size = (uint32_t)(hi - lo);
	rec.detected_by = LH_RACE_BY_WRITE_PROTECT;
	rec.flags = r->how == WT_BY_OBSERVED ? LH_RACE_DECIDED_OBSERVED : LH_RACE_DECIDED_INFERRED;
	rec.time_ns = lh_now_ns();
	if (r->kind == WT_HEAP) {
		fill_heap(&rec, r->base, q->block_size ? q->block_size : r->var_size, q->alloc_site,
		          q->alloc_tid);
	} else {
		rec.var_kind = LH_VAR_GLOBAL;
	}
	fill_access(&rec.cur, &r->second);
	fill_access(&rec.prev, &r->first);
	if (!rec.cur.thread_id || !rec.prev.thread_id)
		return; /* a thread the shim never registered cannot be named */
	lh_log_record(LH_REC_RACE, &rec, sizeof(rec), NULL, 0, NULL, 0);
}

void lh_smpwp_flush(void)
{
	struct wp_queued out[LH_SMPWP_QUEUE];
	static int full_noted;
	int n, i, full;

	if (!wp_on)
		return;
	lh_smp_lock();
	n = n_queue;
	memcpy(out, queue, (size_t)n * sizeof(out[0]));
	n_queue = 0;
	full = queue_full;
	lh_smp_unlock();
	for (i = 0; i < n; i++)
		write_race(&out[i]);
	for (i = 1; i < WT_LIMIT_N; i++)
		if (__atomic_exchange_n(&noted[i], 0, __ATOMIC_RELAXED))
			lh_log_note("%s", limit_text((enum wt_limit)i));
	if (full && !full_noted) {
		full_noted = 1;
		lh_log_note("race watching (write-protect): more than LH_SMPWP_QUEUE (%d) races found "
		            "between two ticks; some were not written",
		            LH_SMPWP_QUEUE);
	}
}
