/*
 * sampler.c - sampled race watching in the shim (lh_smp_): the watcher
 * core (watcher.c) wired to the trap sources (watch.h), the program's
 * globals, the instruction decoder (insn.c) and the log.
 *
 * On when race watching is on (races=1, the default), the program is not
 * built with lockhound cc (exact mode sees every access), and a trap
 * source works.  What it does:
 *  - at start-up (lh_smp_init, from the constructor, before any other
 *    thread exists, as the hardware source needs): the candidates are the
 *    writable data symbols of the executable (its .symtab, else .dynsym,
 *    read once from /proc/self/exe through a private read-only mapping;
 *    symbols the executable exports are left out: they are copy-relocated
 *    variables of libraries, such as stdout), then the sources start;
 *  - at the first pthread_create (one thread cannot race): the rotation
 *    thread starts (the real pthread_create, never registered): every
 *    LH_SMP_TICK_NS it ends the windows whose time is up and arms the
 *    free slots with the core's next picks, and writes the races found
 *    since, one LH_REC_RACE each;
 *  - a hit (the sink) runs in the accessing thread's SIGTRAP handler: it
 *    decodes the instruction before the trap's pc (atomic? read or write?
 *    how many bytes?) and asks the core, under a spin lock that no code
 *    holding it can trap on (the core and the decoder never touch the
 *    program's memory); a race is queued (LH_SMP_QUEUE) for the rotation
 *    thread to write, since a signal handler may not take the log lock.
 *
 * Limits (each leaves one note): LH_SMP_QUEUE races waiting to be written;
 * the core's (watcher.h).  Known gaps of this first wiring, said in
 * DESIGN.md: hardware watchpoints only (write-protect is not armed yet),
 * globals of the executable only (no library globals, no sampled heap
 * blocks), accesses from the executable's own code only (a global touched
 * inside a library is most often a lock or condition variable, whose
 * implementation's atomic loads and stores are plain instructions), the
 * observed verdict only (the lock paths do not feed the engine yet), and a
 * report's stacks are the accessing instruction alone.
 */
#include "rt.h"
#include "watch.h"
#include "watcher.h"
#include "insn.h"

#include <elf.h>
#include <signal.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LH_SMP_TICK_NS 1000000ull /* the rotation thread's period: 1 ms */
#define LH_SMP_QUEUE 64           /* races found and not yet written */
#define LH_SMP_LIVE_EVERY 4       /* ticks between two counts of the program's live threads */
#define LH_SMP_SPIN 200           /* spins for the core's lock before each sched_yield */
#define LH_SMP_STRIDE 4           /* a window watches the first byte of the next 4 of its
                                   * candidate: accesses of 4 bytes and more are all seen,
                                   * a race on bytes 1-3 of a word alone is missed */

static struct wt_core *core;
static int smp_on;          /* the core and a source are ready */
static uint64_t hold_ns;    /* the budget's hold */
static int smp_started;     /* the rotation thread runs */
static int smp_stopped;     /* at exit: nothing is armed again */
static int core_spin;       /* serializes the core and the decoder */
static __thread int in_core __attribute__((tls_model("initial-exec")));

struct queued {
	struct wt_race r;
	int os_first, os_second; /* the kernel thread ids (the core's thread keys) */
};
static struct queued queue[LH_SMP_QUEUE];
static int n_queue, noted_queue;
static int noted[WT_LIMIT_N];
static uint32_t tags[WT_SLOTS]; /* the tag each hardware slot was armed with */
static unsigned pending_disarm; /* slots the core ended from a hit */
static uintptr_t exe_code_lo, exe_code_hi; /* the executable's code */
static uintptr_t watched[WT_SLOTS]; /* the byte each hardware slot watches */

static uint64_t prog_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The core's lock.  Every holder has all signals blocked (core_enter;
 * the rotation thread blocks them for good) and, holding it, neither
 * waits for anything nor touches the program's memory (the core and the
 * decoder read none of it), so a holder always finishes once it runs: a
 * thread waiting for it (in a SIGTRAP handler too) waits for a bounded
 * piece of code, spinning LH_SMP_SPIN times, then giving its CPU away
 * (a descheduled holder on a loaded machine).  No hit is dropped. */
static void spin_lock(void)
{
	int i = 0;

	while (__atomic_exchange_n(&core_spin, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&core_spin, __ATOMIC_RELAXED)) {
			if (++i < LH_SMP_SPIN) {
				__builtin_ia32_pause();
			} else {
				i = 0;
				syscall(SYS_sched_yield);
			}
		}
}

static void spin_unlock(void)
{
	__atomic_store_n(&core_spin, 0, __ATOMIC_RELEASE);
}

/* a program thread (or its SIGTRAP handler) takes the core: no signal
 * handler of the program runs while it holds the lock (one that waited
 * for another thread would make that thread wait for the lock forever) */
static void core_enter(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, old, _NSIG / 8);
	in_core = 1;
	spin_lock();
}

static void core_leave(const sigset_t *old)
{
	spin_unlock();
	in_core = 0;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, _NSIG / 8);
}

/* ---- the core's hooks (called with the spin lock held) ---- */

static void on_race(void *cookie, const struct wt_race *r)
{
	(void)cookie;
	if (n_queue >= LH_SMP_QUEUE) {
		noted_queue = 1; /* noted by the rotation thread */
		return;
	}
	queue[n_queue].r = *r;
	n_queue++;
}

static void on_limit(void *cookie, enum wt_limit what)
{
	(void)cookie;
	if ((unsigned)what < WT_LIMIT_N)
		__atomic_store_n(&noted[what], 1, __ATOMIC_RELAXED); /* written by the rotation thread */
}

static void *alloc_cb(void *cookie, size_t n)
{
	(void)cookie;
	return lh_alloc(n);
}

/* Capstone's memory: the shim's allocator, never freed (Capstone allocates
 * a few blocks at cs_open and none while decoding) */
static void *cs_malloc_cb(size_t n)
{
	size_t *p = lh_alloc(n + 16);
	if (!p)
		return NULL;
	p[0] = n;
	return (char *)p + 16;
}
static void *cs_calloc_cb(size_t n, size_t m)
{
	return m && n > (size_t)-1 / m / 2 ? NULL : cs_malloc_cb(n * m);
}
static void *cs_realloc_cb(void *old, size_t n)
{
	void *p = cs_malloc_cb(n);
	if (p && old) {
		size_t o = *(size_t *)((char *)old - 16);
		memcpy(p, old, o < n ? o : n);
	}
	return p;
}
static void cs_free_cb(void *p)
{
	(void)p;
}

/* ---- the sink: runs in the accessing thread's SIGTRAP handler ---- */

static uint64_t sink_hit(void *ctx, const struct lh_watch_hit *h)
{
	struct wt_hit wh;
	struct lh_insn in;
	uint8_t code[LH_INSN_BACK];
	const struct wt_window *win;
	enum wt_action a;
	uint64_t hold = 0;
	sigset_t old;
	int i;

	(void)ctx;
	if (in_core || h->source != LH_WSRC_HW || h->slot >= WT_SLOTS || !h->pc || !h->pc_after)
		return 0;
	/* only the executable's own code: a global touched inside a library
	 * is most often a synchronization object (a pthread_mutex_t or
	 * pthread_cond_t of the program), whose implementation's atomic
	 * loads and stores are plain instructions */
	if (h->pc <= exe_code_lo || h->pc > exe_code_hi)
		return 0;
	/* the code before the pc, read without a load that could fault */
	if (lh_watch_read(h->pc - LH_INSN_BACK, code, sizeof(code)) != 0)
		return 0;
	core_enter(&old);
	win = wt_slot(core, h->slot);
	if (lh_insn_decode_before(code, sizeof(code), h->pc, &in) != 0 || !win || win->cand < 0) {
		core_leave(&old);
		return 0;
	}
	memset(&wh, 0, sizeof(wh));
	wh.slot = h->slot;
	wh.tag = h->window;
	wh.thread = (uint32_t)h->tid;
	/* the slot watches one byte: every access it reports touched it */
	wh.addr = watched[h->slot];
	wh.size = 1;
	wh.is_write = in.is_write;
	wh.is_atomic = in.is_atomic;
	wh.pc = h->pc - in.len;
	i = n_queue;
	a = wt_hit(core, &wh, prog_ns());
	for (; i < n_queue; i++) {
		queue[i].os_first = (int)queue[i].r.first.thread;
		queue[i].os_second = (int)queue[i].r.second.thread;
	}
	if (a == WT_HOLD)
		hold = hold_ns;
	else if (a == WT_DISARM)
		pending_disarm |= 1u << h->slot;
	core_leave(&old);
	return hold;
}

static void sink_released(void *ctx, const struct lh_watch_hit *h)
{
	sigset_t old;

	(void)ctx;
	if (in_core || h->slot >= WT_SLOTS)
		return;
	core_enter(&old);
	wt_hold_end(core, h->slot, h->window);
	core_leave(&old);
}

/* ---- the rotation thread ---- */

static const char *limit_text(enum wt_limit what)
{
	switch (what) {
	case WT_LIMIT_CANDS:
		return "race watching: more than WT_MAX_CANDS candidates; the rest are not watched";
	case WT_LIMIT_SITES:
		return "race watching: the allocation-site table (WT_LOG2_SITES) is full; new sites are "
		       "sampled sparsely";
	case WT_LIMIT_HITS_SEC:
		return "race watching: the hits-per-second budget was reached; windows were cut short";
	case WT_LIMIT_HOT:
		return "race watching: a hot address used up its hits per window and backed off";
	case WT_LIMIT_RING:
		return "race watching: a race's earlier access was no longer remembered (WT_RING); "
		       "it was not reported";
	case WT_LIMIT_MEMORY:
		return "race watching: out of memory; some accesses were not checked";
	case WT_LIMIT_HEAP:
		return "race watching: budget.max_heap sampled blocks live; allocations not sampled";
	default:
		return "race watching: a limit was reached";
	}
}

static void fill_access(struct lh_rec_race_access *a, const struct wt_access *w, int os_tid)
{
	uintptr_t pc = w->pc;

	memset(a, 0, sizeof(*a));
	a->thread_id = lh_core_thread_of_tid(os_tid);
	a->stack_id = pc ? lh_stk_intern(&pc, 1, LH_STACK_FIRST_IS_PC) : 0;
	a->addr = w->addr;
	a->size = w->size;
	a->flags = w->is_write ? LH_RACC_WRITE : 0; /* frame 0 is the exact pc, the only frame */
	if (a->thread_id)
		lh_thr_ensure_id(a->thread_id);
}

/* with the spin lock NOT held: takes the log lock */
static void write_race(const struct queued *q)
{
	struct lh_rec_race rec;
	uintptr_t lo, hi;

	memset(&rec, 0, sizeof(rec));
	lo = q->r.first.addr > q->r.second.addr ? q->r.first.addr : q->r.second.addr;
	hi = q->r.first.addr + q->r.first.size < q->r.second.addr + q->r.second.size
	             ? q->r.first.addr + q->r.first.size
	             : q->r.second.addr + q->r.second.size;
	if (lo < q->r.base)
		lo = q->r.base;
	if (hi > q->r.base + q->r.var_size)
		hi = q->r.base + q->r.var_size;
	if (hi <= lo)
		return;
	rec.addr = lo;
	rec.size = (uint32_t)(hi - lo);
	rec.var_kind = LH_VAR_GLOBAL;
	rec.detected_by = LH_RACE_BY_WATCHPOINT;
	rec.time_ns = lh_now_ns();
	fill_access(&rec.cur, &q->r.second, q->os_second);
	fill_access(&rec.prev, &q->r.first, q->os_first);
	/* a side on a thread the shim never registered cannot be named */
	if (!rec.cur.thread_id || !rec.prev.thread_id)
		return;
	lh_log_record(LH_REC_RACE, &rec, sizeof(rec), NULL, 0, NULL, 0);
}

/* arm: fill the free slots (0: only write what was found) */
static void tick(int arm)
{
	struct queued out[LH_SMP_QUEUE];
	int n_out, i, q_full;
	unsigned done;
	uint64_t now = prog_ns();

	in_core = 1;
	spin_lock();
	if (smp_stopped) {
		spin_unlock();
		in_core = 0;
		return;
	}
	done = wt_expired(core, now) | pending_disarm;
	pending_disarm = 0;
	for (i = 0; i < WT_SLOTS; i++) {
		if (done & (1u << i)) {
			lh_watch_hw_disarm((unsigned)i);
			wt_disarm(core, i, now);
		}
		if (arm && wt_slot(core, i)->cand < 0) {
			struct wt_window win;
			if (wt_arm(core, i, LH_SMP_STRIDE, now, &win) == 0) {
				/* one byte of the word, inside the candidate: a
				 * watchpoint reports the word, not the bytes an
				 * access touched, and two threads on neighbouring
				 * bytes of one word do not race */
				uintptr_t lo, b = win.addr;
				uint32_t sz;
				wt_cand_range(core, win.cand, &lo, &sz);
				if (b < lo)
					b = lo;
				tags[i] = win.tag;
				watched[i] = b;
				if (lh_watch_hw_arm((unsigned)i, b, 1, 1, win.tag) != 0)
					wt_disarm(core, i, now);
			}
		}
	}
	n_out = n_queue;
	memcpy(out, queue, (size_t)n_out * sizeof(out[0]));
	n_queue = 0;
	q_full = noted_queue;
	spin_unlock();
	in_core = 0;
	for (i = 0; i < n_out; i++)
		write_race(&out[i]);
	for (i = 1; i < WT_LIMIT_N; i++)
		if (__atomic_exchange_n(&noted[i], 0, __ATOMIC_RELAXED))
			lh_log_note("%s", limit_text((enum wt_limit)i));
	if (q_full && q_full != 2) {
		noted_queue = 2;
		lh_log_note("race watching: more than LH_SMP_QUEUE (%d) races found between two "
		            "ticks; some were not written", LH_SMP_QUEUE);
	}
}

/* the program's threads that have not begun to exit */
static int count_live(void)
{
	struct lh_thread *t;
	int live = 0;

	lh_mu_lock(&lh_thr_mu);
	for (t = lh_thr_list; t && live < 2; t = t->next)
		if (!t->exiting)
			live++;
	lh_mu_unlock(&lh_thr_mu);
	return live;
}

/* every window ends (nothing armed while no rotation thread runs) */
static void end_all_windows(void)
{
	uint64_t now = prog_ns();
	int i;

	spin_lock();
	for (i = 0; i < WT_SLOTS; i++)
		if (wt_slot(core, i)->cand >= 0) {
			lh_watch_hw_disarm((unsigned)i);
			wt_disarm(core, i, now);
		}
	pending_disarm = 0;
	spin_unlock();
}

static void *rotation_main(void *arg)
{
	struct timespec ts = { 0, (long)LH_SMP_TICK_NS };
	unsigned n = 0;

	(void)arg;
	in_core = 0;
	lh_in_shim++; /* this thread's calls are the shim's own */
	for (;;) {
		if (__atomic_load_n(&lh_rt_on, __ATOMIC_RELAXED)) /* exact mode sees every access */
			break;
		tick(1);
		nanosleep(&ts, NULL);
		if (++n % LH_SMP_LIVE_EVERY == 0 && count_live() <= 1) {
			/* One thread cannot race.  Nor may this thread outlive the
			 * program's: glibc ends a process whose main called
			 * pthread_exit when its last thread is gone, and counts
			 * this one.  A later thread creation starts rotating
			 * again (lh_smp_kick); the watchdog's hand-over. */
			int zero = 0;
			end_all_windows();
			tick(0); /* the races found before */
			__atomic_store_n(&smp_started, 0, __ATOMIC_SEQ_CST);
			if (count_live() <= 1 ||
			    !__atomic_compare_exchange_n(&smp_started, &zero, 1, 0, __ATOMIC_SEQ_CST,
			                                 __ATOMIC_SEQ_CST))
				break;
		}
	}
	return NULL;
}

/* ---- candidates: the executable's writable data symbols ---- */

static uintptr_t exe_bias;
static int first_module(struct dl_phdr_info *info, size_t size, void *data)
{
	int i;

	(void)size;
	(void)data;
	exe_bias = info->dlpi_addr; /* the first object is the executable */
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type != PT_LOAD || !(p->p_flags & PF_X))
			continue;
		if (!exe_code_lo || info->dlpi_addr + p->p_vaddr < exe_code_lo)
			exe_code_lo = info->dlpi_addr + p->p_vaddr;
		if (info->dlpi_addr + p->p_vaddr + p->p_memsz > exe_code_hi)
			exe_code_hi = info->dlpi_addr + p->p_vaddr + p->p_memsz;
	}
	return 1;
}

/* is name among the defined symbols of .dynsym (exported: a copy-relocated
 * library variable such as stdout, or the program's own exports) */
static int exported(const char *base, size_t len, const Elf64_Shdr *dynsym, const char *name)
{
	const Elf64_Sym *s;
	const char *str;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(base + ((const Elf64_Ehdr *)base)->e_shoff);
	size_t i, n;

	if (!dynsym || dynsym->sh_link >= ((const Elf64_Ehdr *)base)->e_shnum)
		return 0;
	str = base + sh[dynsym->sh_link].sh_offset;
	s = (const Elf64_Sym *)(base + dynsym->sh_offset);
	n = dynsym->sh_size / sizeof(*s);
	for (i = 0; i < n; i++)
		if (s[i].st_shndx != SHN_UNDEF && s[i].st_name < sh[dynsym->sh_link].sh_size &&
		    strcmp(str + s[i].st_name, name) == 0)
			return 1;
	(void)len;
	return 0;
}

static int add_globals(void)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh, *symtab = NULL, *dynsym = NULL;
	const Elf64_Sym *s;
	const char *str, *base;
	struct stat st;
	size_t i, n;
	int fd, added = 0;
	void *m;

	dl_iterate_phdr(first_module, NULL);
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return 0;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 0;
	base = m;
	eh = m;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > (uint64_t)st.st_size)
		goto out;
	sh = (const Elf64_Shdr *)(base + eh->e_shoff);
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_offset + sh[i].sh_size > (uint64_t)st.st_size)
			goto out;
		if (sh[i].sh_type == SHT_SYMTAB)
			symtab = &sh[i];
		else if (sh[i].sh_type == SHT_DYNSYM)
			dynsym = &sh[i];
	}
	if (!symtab)
		symtab = dynsym;
	if (!symtab || symtab->sh_link >= eh->e_shnum)
		goto out;
	str = base + sh[symtab->sh_link].sh_offset;
	s = (const Elf64_Sym *)(base + symtab->sh_offset);
	n = symtab->sh_size / sizeof(*s);
	for (i = 0; i < n; i++) {
		const Elf64_Shdr *sec;
		if (ELF64_ST_TYPE(s[i].st_info) != STT_OBJECT || !s[i].st_size || s[i].st_shndx == SHN_UNDEF ||
		    s[i].st_shndx >= eh->e_shnum || s[i].st_size > UINT32_MAX ||
		    s[i].st_name >= sh[symtab->sh_link].sh_size)
			continue;
		sec = &sh[s[i].st_shndx];
		if ((sec->sh_flags & (SHF_WRITE | SHF_ALLOC)) != (SHF_WRITE | SHF_ALLOC) ||
		    (sec->sh_flags & SHF_TLS))
			continue;
		if (symtab != dynsym && exported(base, (size_t)st.st_size, dynsym, str + s[i].st_name))
			continue;
		if (wt_cand_add(core, WT_GLOBAL, exe_bias + s[i].st_value, (uint32_t)s[i].st_size,
		                (uint32_t)i) >= 0)
			added++;
	}
out:
	munmap(m, (size_t)st.st_size);
	return added;
}

/* ---- start-up, threads, fork ---- */

void lh_smp_init(void)
{
	struct wt_budget b;
	struct rc_alloc a = { alloc_cb, NULL };
	struct wt_hooks h = { on_race, on_limit, NULL };
	struct lh_insn_mem mem = { cs_malloc_cb, cs_calloc_cb, cs_realloc_cb, cs_free_cb };
	static const struct lh_watch_sink sink = { sink_hit, sink_released, NULL };

	if (!lh_opt.races || lh_rt_on)
		return;
	wt_budget_default(&b);
	hold_ns = b.hold_ns;
	core = wt_create(&b, &a, &h, 0);
	if (!core || lh_insn_open(&mem) != 0) {
		lh_log_note("race watching: could not start (memory or the instruction decoder)");
		return;
	}
	if (add_globals() == 0)
		return; /* nothing to watch: no source opened, nothing changed */
	if (!(lh_watch_init(LH_WSRC_HW, &sink, 0) & LH_WSRC_HW))
		return;
	__atomic_store_n(&smp_on, 1, __ATOMIC_RELEASE);
}

/* the first thread the program creates: start rotating (one thread
 * cannot race) */
void lh_smp_kick(void)
{
	pthread_t th;
	pthread_attr_t attr;
	sigset_t all, old;
	int expected = 0;

	if (likely(!__atomic_load_n(&smp_on, __ATOMIC_ACQUIRE)) ||
	    __atomic_load_n(&smp_started, __ATOMIC_RELAXED) ||
	    !__atomic_compare_exchange_n(&smp_started, &expected, 1, 0, __ATOMIC_ACQ_REL,
	                                 __ATOMIC_RELAXED))
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* the program's signals are never delivered to this thread */
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, _NSIG / 8);
	if (lh_real.create(&th, &attr, rotation_main, NULL) != 0)
		lh_log_note("race watching: the rotation thread could not start; nothing is watched");
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
	pthread_attr_destroy(&attr);
}

void lh_smp_stop(void)
{
	sigset_t old;
	int i;

	if (!__atomic_load_n(&smp_on, __ATOMIC_ACQUIRE))
		return;
	core_enter(&old);
	smp_stopped = 1;
	for (i = 0; i < WT_SLOTS; i++)
		if (wt_slot(core, i)->cand >= 0)
			lh_watch_hw_disarm((unsigned)i);
	core_leave(&old);
}

/* fork child: the rotation thread is gone and the sources were re-opened
 * disarmed (lh_watch_fork_child); the core's windows end too */
void lh_smp_fork_child(void)
{
	int i;

	if (!smp_on)
		return;
	core_spin = 0;
	n_queue = 0;
	pending_disarm = 0;
	for (i = 0; i < WT_SLOTS; i++)
		wt_disarm(core, i, prog_ns());
	smp_started = 0;
}
