/*
 * shim.h - internal interfaces of liblockhound.so (never installed).
 *
 * Layering inside the shim:
 *   wrap_*.c      the interposed functions: call the real function, tell the
 *                 core one thing.  No book-keeping of their own.
 *   core.c        the events the wrappers tell (lh_core_*), one function each,
 *                 routed to the units below; wires the units to the log and
 *                 the unwinder.
 *   lockid.c      lock identities: address -> slot -> id, and the table of
 *                 pages holding locks, for free() (lh_lid_*).  Pure.
 *   edges.c       held-lock stacks and the rule "held set + acquisition ->
 *                 record or skip" (lh_edge_*, lh_held_*).  Pure: unwinding
 *                 and log writing come in through struct lh_edge_io.
 *   misuse.c      misuse decisions (pure) and the findings written for them
 *                 (lh_mis_*, lh_report_misuse).
 *   condtab.c     which mutex each condition variable is waited with
 *                 (lh_cond_*).  Pure.
 *   glibc_locks.h every read of glibc's private lock fields (lh_gl_*).
 *   glibc_mutex.h glibc's uncontended mutex protocol, done by the shim
 *                 itself for free plain mutexes (lh_gm_*).  Pure.
 *   threads.c     thread registry, start trampolines, thread ids (lh_thr_*).
 *   stacks.c      stack capture (libunwind) and the stack table (lh_stk_*).
 *   logwrite.c    the log file: open, records, fork (lh_log_*).
 *   watchdog.c    the deadlock watchdog (lh_wd_*).
 *   init.c        resolving the real functions, options, constructor (lh_init).
 *   alloc.c       the shim's own memory, from mmap, never from malloc: the
 *                 program's malloc may itself take locks we intercept.
 * "Pure" units depend only on lh_alloc, lh_mu_lock and lh_log_note (plus what
 * they are passed), so tests/unit drives them with scripted events.
 */
#ifndef LOCKHOUND_SHIM_H
#define LOCKHOUND_SHIM_H

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stddef.h>
#include <threads.h>
#include <time.h>

#include "lh_options.h"
#include "lockhound_log.h"

#define LH_HIDDEN __attribute__((visibility("hidden")))
#define LH_EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- real functions (init.c) ---- */
struct lh_real {
	int (*mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
	int (*mutex_destroy)(pthread_mutex_t *);
	int (*mutex_lock)(pthread_mutex_t *);
	int (*mutex_trylock)(pthread_mutex_t *);
	int (*mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
	int (*mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
	int (*mutex_unlock)(pthread_mutex_t *);
	int (*rw_init)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
	int (*rw_destroy)(pthread_rwlock_t *);
	int (*rw_rdlock)(pthread_rwlock_t *);
	int (*rw_tryrdlock)(pthread_rwlock_t *);
	int (*rw_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
	int (*rw_clockrdlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
	int (*rw_wrlock)(pthread_rwlock_t *);
	int (*rw_trywrlock)(pthread_rwlock_t *);
	int (*rw_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
	int (*rw_clockwrlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
	int (*rw_unlock)(pthread_rwlock_t *);
	int (*spin_init)(pthread_spinlock_t *, int);
	int (*spin_destroy)(pthread_spinlock_t *);
	int (*spin_lock)(pthread_spinlock_t *);
	int (*spin_trylock)(pthread_spinlock_t *);
	int (*spin_unlock)(pthread_spinlock_t *);
	int (*cond_wait)(pthread_cond_t *, pthread_mutex_t *);
	int (*cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
	int (*cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
	int (*create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
	int (*join)(pthread_t, void **);
	int (*detach)(pthread_t);
	void (*exit)(void *) __attribute__((noreturn));
	int (*setname)(pthread_t, const char *);
	int (*mtx_init)(mtx_t *, int);
	void (*mtx_destroy)(mtx_t *);
	int (*mtx_lock)(mtx_t *);
	int (*mtx_trylock)(mtx_t *);
	int (*mtx_timedlock)(mtx_t *__restrict, const struct timespec *__restrict);
	int (*mtx_unlock)(mtx_t *);
	int (*cnd_wait)(cnd_t *, mtx_t *);
	int (*cnd_timedwait)(cnd_t *__restrict, mtx_t *__restrict, const struct timespec *__restrict);
	int (*thrd_create)(thrd_t *, thrd_start_t, void *);
	int (*thrd_join)(thrd_t, int *);
	void (*thrd_exit)(int) __attribute__((noreturn));
	int (*thrd_detach)(thrd_t);
	int (*cond_signal)(pthread_cond_t *);
	int (*cond_broadcast)(pthread_cond_t *);
	int (*cnd_signal)(cnd_t *);
	int (*cnd_broadcast)(cnd_t *);
	int (*barrier_wait)(pthread_barrier_t *);
	int (*barrier_init)(pthread_barrier_t *, const pthread_barrierattr_t *, unsigned);
	int (*barrier_destroy)(pthread_barrier_t *);
	int (*cond_init)(pthread_cond_t *, const pthread_condattr_t *);
	int (*cond_destroy)(pthread_cond_t *);
	int (*cnd_init)(cnd_t *);
	void (*cnd_destroy)(cnd_t *);
	int (*once)(pthread_once_t *, void (*)(void));
	void (*call_once)(once_flag *, void (*)(void));
	int (*sem_init)(sem_t *, int, unsigned);
	int (*sem_destroy)(sem_t *);
	int (*sem_post)(sem_t *);
	int (*sem_wait)(sem_t *);
	int (*sem_trywait)(sem_t *);
	int (*sem_timedwait)(sem_t *__restrict, const struct timespec *__restrict);
	int (*sem_clockwait)(sem_t *__restrict, clockid_t, const struct timespec *__restrict);
	sem_t *(*sem_open)(const char *, int, ...);
	int (*sem_close)(sem_t *);
	int (*register_atfork)(void (*)(void), void (*)(void), void (*)(void), void *);
	int (*thread_sigmask)(int, const sigset_t *, sigset_t *);
	int (*sigprocmask)(int, const sigset_t *, sigset_t *);
	int (*sigaction)(int, const struct sigaction *__restrict, struct sigaction *__restrict);
	sighandler_t (*signal)(int, sighandler_t);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execv)(const char *, char *const[]);
	int (*execvp)(const char *, char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	int (*fexecve)(int, char *const[], char *const[]);
};
extern struct lh_real lh_real LH_HIDDEN;

/* Filling struct lh_real (resolve.c): one entry per function; a required
 * one (fallback NULL) missing turns the shim off, an optional one missing
 * gets its fallback, which fails like an unsupported call. */
struct lh_sym {
	const char *name;
	const char *version; /* asked for with dlvsym first, or NULL */
	size_t offset;       /* of its slot in struct lh_real */
	void *fallback;
};
extern const struct lh_sym lh_syms[] LH_HIDDEN;
extern const size_t lh_n_syms LH_HIDDEN;
typedef void *(*lh_lookup_fn)(const char *name, const char *version, void *ctx);
struct lh_resolve_state {
	int done;      /* 1: some pass completed the table (release/acquire) */
	int n_missing; /* required functions that pass did not find */
};
/* Fill every slot of dst through lookup, unless a pass completed already;
 * returns how many required functions are missing, *missing naming the
 * first (NULL if none or if an earlier pass did the work).  Safe to call
 * from several threads at once: each returns with the table complete. */
LH_HIDDEN int lh_resolve(struct lh_resolve_state *st, struct lh_real *dst, lh_lookup_fn lookup,
                         void *ctx, const char **missing);
extern struct lh_options lh_opt LH_HIDDEN;
extern int lh_ready LH_HIDDEN;   /* 1 once init finished: tracking on */
extern int lh_disabled LH_HIDDEN; /* 1: pass everything through */

LH_HIDDEN void lh_init(void);
LH_HIDDEN void lh_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
LH_HIDDEN uint64_t lh_now_ns(void);

/* ---- memory (alloc.c): zeroed, from mmap, never freed ---- */
LH_HIDDEN void *lh_alloc(size_t size);

/* ---- the shim's own lock: real pthread functions, never intercepted ---- */
LH_HIDDEN void lh_mu_lock(pthread_mutex_t *m);
LH_HIDDEN void lh_mu_unlock(pthread_mutex_t *m);
/* 0 and held (release with lh_mu_unlock), or nonzero: taken by another
 * call; never waits (a signal handler may use it) */
LH_HIDDEN int lh_mu_trylock(pthread_mutex_t *m);
/* how many of the shim's locks the calling thread holds (lh_mu_lock and
 * the allocator's spin count them): non-zero in a signal handler that
 * interrupted the shim */
extern __thread int lh_locks_held LH_HIDDEN;

/* ---- the shim's locks across fork (forklocks.c) ----
 * Every lock of the shim, in the one order in which they nest (outer
 * first); forklocks.c has the list and the reasons.  The fork handlers
 * (init.c) take them all before fork, release them after it in the parent,
 * and make them anew in the child. */
extern pthread_mutex_t lh_edge_mu LH_HIDDEN;     /* edges.c */
extern pthread_mutex_t lh_stk_mu LH_HIDDEN;      /* stacks.c */
extern pthread_mutex_t lh_py_mu LH_HIDDEN;       /* pyframes.c */
extern pthread_mutex_t lh_mods_mu LH_HIDDEN;     /* logwrite.c, the module map */
extern pthread_mutex_t lh_cond_mu LH_HIDDEN;     /* condtab.c */
extern pthread_mutex_t lh_lid_grow_mu LH_HIDDEN; /* lockid.c */
extern pthread_mutex_t lh_mis_seen_mu LH_HIDDEN; /* misuse.c */
extern int lh_alloc_spin LH_HIDDEN;              /* alloc.c */
extern int lh_gh_spin LH_HIDDEN;                 /* wrap_malloc.c */
struct lh_fork_lock {
	const char *name;
	pthread_mutex_t *mu; /* a mutex, or */
	int *spin;           /* a spin (0 free, 1 held) */
};
extern const struct lh_fork_lock lh_fork_locks[] LH_HIDDEN;
extern const size_t lh_n_fork_locks LH_HIDDEN;
LH_HIDDEN void lh_fork_lock_all(void);   /* in the order of lh_fork_locks */
LH_HIDDEN void lh_fork_unlock_all(void); /* in reverse order */
LH_HIDDEN void lh_fork_reset_all(void);  /* the child: all free again */

/* ---- per-thread state (threads.c) ---- */
#define LH_MAX_HELD 64
#define LH_EDGE_CACHE 512 /* per-thread cache of edge keys at first, power of 2 */
/* ... grown 4x at a time, up to this, by a thread whose misses keep
 * finding contexts recorded already (edges.c) */
#define LH_EDGE_CACHE_MAX 16384
#define LH_LOCK_CACHE 256 /* per-thread cache addr -> lock slot at first, power of 2 */
/* ... grown 4x at a time, up to this, by a thread whose misses keep finding
 * locks that have an identity already (lockid.c, lh_lid_get) */
#define LH_LOCK_CACHE_MAX 4096

/* A lock's identity (lockid.c owns it).  The slot for an address is made
 * once and never moves, so pointers to it stay valid.
 * Publication: `id` is claimed (LH_LID_BUSY | fork generation) before kind,
 * flags, init_stack and gen are written and published (release) after; read
 * `id` (acquire) before them.  Valid ids are 1 .. 2^63 - 1 and every claim
 * has bit 63 set, so one signed compare, (int64_t)id <= 0, tells "no usable
 * id" on the fast path. */
#define LH_LID_BUSY (UINT64_C(1) << 63)
struct lh_lock {
	uintptr_t addr;   /* atomic: set once by CAS, never changed */
	uint64_t id;      /* atomic acquire/release: current identity; 0: next
	                   * use starts a new one; bit 63 (LH_LID_BUSY): being made */
	uint32_t gen;     /* atomic relaxed: identities this address has had */
	uint16_t kind;    /* atomic relaxed: enum lh_lock_kind */
	uint16_t flags;   /* atomic relaxed: LH_LOCKF_* */
	uint32_t init_stack; /* atomic relaxed: stack id of the init, 0 none */
	uint32_t emitted_epoch; /* under edges.c's lh_edge_mu: the LH_REC_LOCK of */
	uint64_t emitted_id;    /* emitted_id is in the log of emitted_epoch */
	/* semaphores (semmodel.c): the model's word and its posters, both
	 * atomic and changed only through semmodel.c; reset to 0 (not a lock,
	 * no poster) with every new identity, before it is published.
	 * Barriers use the same two words (misuse_live.c, atomic): bar_threads
	 * a bit per thread that arrived (thread id mod 64), bar_arrivals the
	 * arrivals of threads whose bit was clear, LH_BAR_AGAIN once a bit was
	 * already set (a thread arrived again, or two ids shared a bit) */
	union {
		uint64_t sem_state;
		uint64_t bar_threads;
	};
	union {
		uint32_t sem_posters;
		uint32_t bar_arrivals;
	};
	/* sem_open calls minus sem_close calls that returned this address
	 * (glibc maps a named semaphore once per process and counts its
	 * opens): atomic relaxed; not reset with the identity */
	uint32_t sem_opens;
	/* Reset to 0 with every new identity, atomic.  Condition variables:
	 * the mutex of the latest wait on it (for cond-signal-without-mutex,
	 * misuse_live.c), 0 none; relaxed.  Every other kind (edges.c): its
	 * lock class and dense index in it, for the identity whose low 32 bits
	 * are the high half (LH_CLS_* in edges.c), 0 not given yet; written
	 * under lh_edge_mu, read without it (acquire: after the class map it
	 * names is made). */
	union {
		uintptr_t cond_mutex;
		uint64_t cls_word;
	};
};

/* an unwind with stack pointers (stacks.c) */
struct lh_frames {
	int n;
	uintptr_t ip[LH_MAX_FRAMES + 8];
	uintptr_t sp[LH_MAX_FRAMES + 8];
};

/* Python frames (pyframes.c): interned, immutable once made, never freed,
 * so a pointer to one may be read by any thread and kept forever.  Equal
 * frames are the same pointer. */
#define LH_PY_MAX_FRAMES LH_MAX_PY_FRAMES /* Python frames per stack; deeper ones dropped */
#define LH_PY_MAX_NAME 240  /* bytes kept of a file or function name */
struct lh_pystr {
	uint32_t len;
	char s[];
};
struct lh_pyframe {
	const struct lh_pystr *file, *func;
	uint64_t line;
};
struct lh_pystk {
	uint64_t hash;
	uint32_t n;
	uint32_t flags; /* LH_STACK_PY_TRUNCATED */
	const unsigned char *rec; /* the frames as LH_REC_STACK carries them */
	size_t rec_len;
	struct lh_pyframe f[];
};

struct lh_held {
	void *addr;
	const struct lh_pystk *py; /* Python frames of the acquisition, or NULL */
	struct lh_lock *lk;
	uint64_t lock_id;
	uintptr_t ra;  /* return address of the acquiring call */
	uintptr_t cfa; /* the caller's stack pointer at that call */
	uint32_t count; /* recursive depth (recursive mutex, nested rdlock) */
	uint32_t exit_stack; /* its stack, captured at pthread_exit, or 0 */
	union {
		struct {
			uint8_t mode; /* enum lh_mode */
			uint8_t kind; /* enum lh_lock_kind */
		};
		uint16_t mode_kind; /* both, written at once (heldset.h) */
	};
};

/* What a thread is blocked on right now, read by the watchdog without a
 * lock: written by the owning thread only, with release stores. */
enum lh_wait_kind {
	LH_WAIT_NONE = 0,
	LH_WAIT_LOCK = 1, /* blocked acquiring wait_addr */
	LH_WAIT_JOIN = 2, /* in pthread_join/thrd_join of wait_thread */
	LH_WAIT_COND = 3, /* in a condition wait on mutex wait_addr: waits for
	                   * the mutex only while another thread holds it, and
	                   * for a signal on condition variable wait_obj */
	LH_WAIT_BARRIER = 4, /* in pthread_barrier_wait on wait_addr */
	LH_WAIT_DESTROY = 5, /* in pthread_cond_destroy / pthread_barrier_destroy of
	                      * wait_addr (wait_mode: its enum lh_lock_kind), which
	                      * glibc ends only once the object's waiters have left */
	LH_WAIT_SEM = 6,  /* in a blocking wait on semaphore wait_addr: waits for
	                   * its holder (a lock) or for wait_thread, the only
	                   * thread that posted it so far (0: nobody known) */
};

/* an entry of a thread's lock cache (lockid.c); the memo_* fields: edges.c */
struct lh_lock_ce {
	void *addr;
	struct lh_lock *lk;
	uint64_t memo_from_id, memo_to_id;
	uintptr_t memo_from_ra, memo_to_ra;
	uint32_t memo_modes;
};

#define LH_REL_RECENT 4 /* releases remembered per thread (a power of 2) */
struct lh_thread {
	uint32_t id;
	uint32_t parent;
	int os_tid;
	uint32_t create_stack;
	uint64_t start_ns;
	pthread_t self;
	char name[LH_THREAD_NAME_LEN];

	/* Invariant: held[0..n_held) are the locks this thread holds, in
	 * acquisition order, each address at most once; n_held <= LH_MAX_HELD.
	 * Locks acquired past the limit are not tracked (overflow counts them
	 * so their unlocks stay balanced).  Other threads read n_held and
	 * held[] without a lock: the owner changes them only through
	 * heldset.h, inside held_seq (a seqlock; the ordering of each field is
	 * stated there), and readers copy them with lh_held_read. */
	int n_held;                      /* see heldset.h */
	uint32_t held_seq;               /* odd while held[] changes; heldset.h */
	int overflow;                    /* owner only */
	struct lh_held held[LH_MAX_HELD]; /* see heldset.h */
	/* the last LH_REL_RECENT locks this thread released (any kind, a ring,
	 * owner only: lh_rel_note), for cond-signal-without-mutex: a signal
	 * sent just after the unlock of the waiters' mutex is fine.  Not
	 * cleared when the struct is recycled: a stale entry can only hide a
	 * finding */
	void *rel_recent[LH_REL_RECENT];
	uint32_t rel_next;

	/* Wait state for the watchdog.  Written by the owning thread only, read
	 * by the watchdog without a lock: every access is atomic.  wait_kind is
	 * stored with release after the other fields and loaded with acquire
	 * before them; the others are relaxed (the watchdog tolerates a torn
	 * read: it reports only a cycle seen unchanged on two ticks, with the
	 * same wait_seq). */
	int wait_kind;             /* enum lh_wait_kind; release/acquire */
	void *wait_addr;           /* the lock, mutex, semaphore, barrier or destroyed object; relaxed */
	void *wait_obj;            /* the condition variable, when LH_WAIT_COND; relaxed */
	uint8_t wait_external;     /* the object is process-shared: another process
	                            * may end the wait (never part of a stall); relaxed */
	uint32_t wait_thread;      /* thread id, when LH_WAIT_JOIN or LH_WAIT_SEM; relaxed */
	uint8_t wait_mode;         /* relaxed */
	uint8_t wait_timed;        /* a timed wait ends by itself...; relaxed */
	clockid_t wait_clock;      /* ...unless it is a condition wait past */
	uint64_t wait_deadline_ns; /* its deadline: it then re-takes the mutex; relaxed */
	uintptr_t wait_ra, wait_cfa; /* relaxed */
	const struct lh_pystk *wait_py; /* Python frames of the wait; relaxed */
	uint32_t wait_seq;         /* bumped by every wait; relaxed */
	/* the watchdog's own notes, watchdog thread only: when it first saw
	 * wait number wd_seq */
	uint32_t wd_seq;
	uint64_t wd_seen_ns;
	/* the wait last reported in a deadlock, written by the watchdog or by
	 * the thread itself (self-deadlock): wd_reported_seq relaxed, then
	 * wd_reported release; read in the opposite order */
	uint32_t wd_reported_seq;
	int wd_reported;

	/* Stack sample taken by the watchdog's signal while blocked: the
	 * watchdog sets sample, then sample_state 1 (release); the handler
	 * loads the state (acquire), fills sample, stores 2 (release). */
	int sample_state; /* 0 idle, 1 requested, 2 done */
	struct lh_frames *sample;

	/* edge keys seen: edge_cache0, or a larger array once grown (kept
	 * when the struct is recycled for another thread); edge_mask is its
	 * size - 1.  NULL: not set up yet (edges.c does it).  known_misses:
	 * misses since the last growth that found the context recorded. */
	uint64_t *edge_cache;
	uint32_t edge_mask;
	uint32_t known_misses;
	uint64_t edge_cache0[LH_EDGE_CACHE];
	/* addr -> slot, plus a memo of the last edge recorded out of this lock
	 * when it was the only lock held: a loop taking A then B skips hashing.
	 * Direct-mapped (lh_lc_entry): lock_cache0, or a larger array once
	 * grown (kept when the struct is recycled, as edge_cache);
	 * lock_mask is its size - 1.  Set up by lh_lid_thread_init before the
	 * thread's first lock call (td_alloc), never NULL after.
	 * lock_known_misses: misses since the last growth that found a lock
	 * with an identity. */
	struct lh_lock_ce *lock_cache;
	uint32_t lock_mask;
	uint32_t lock_known_misses;
	struct lh_lock_ce lock_cache0[LH_LOCK_CACHE];

	/* Python frames, owner only: those of the acquisition edges.c is
	 * recording (set by core.c around lh_edge_acquired), and those of the
	 * last failed try on py_try_addr, for the blocking wait that follows
	 * it without the GIL (pyframes.c) */
	const struct lh_pystk *py_cur;
	const struct lh_pystk *py_try;
	const void *py_try_addr;

	/* edges.c: the thread's bitmaps of instance orders by class pair,
	 * made at its first order between two locks of indexed classes; kept
	 * with the struct when it is recycled (emptied: lh_edge_thread_reset) */
	struct lh_cls_maps *cls_maps;
	/* stacks.c: the call paths this thread traced (tracememo.h), made at
	 * its first trace; kept with the struct when it is recycled, emptied */
	struct lh_tmemo *trace_memo;
	uint32_t log_epoch; /* edge_cache and cls_maps are valid for this log epoch only */
	int exiting;
	int started; /* the thread runs (a creator registers it before) */
	uint32_t emitted_epoch; /* log epoch of its LH_REC_THREAD, 0 = not yet */
	int exit_checked; /* held locks at exit already reported */
	int exit_rounds;  /* calls of the exit key's destructor so far */
	uint32_t exit_call_stack; /* the pthread_exit call, if any */
	uintptr_t stack_lo; /* lowest address of the thread's stack, 0 unknown */
	struct lh_rt_thread *rt; /* exact mode: its race-runtime state, made by the creator */
	const int *in_shim;      /* its lh_in_shim (set by itself at start): write-protect's
	                          * handler thread reads it, with lh_watch_read, while the
	                          * thread is blocked on its fault */
	uint32_t smp_tid;        /* sampled watching: its slot in the watcher core's engine
	                          * (0: none), made by the creator */
	struct lh_smp_last *smp_last; /* sampled watching: its last trap (sampler.c),
	                               * kept with the state when it is recycled */
	struct lh_thread *next, *prev; /* registry, under lh_thr_mu */
};

/* ---- Python frames (pyframes.c) ---- */
extern int lh_py_on LH_HIDDEN;    /* 1: a CPython whose frames can be read */
extern int lh_py_retry LH_HIDDEN; /* a libpython was loaded: look again */
/* find CPython's functions (dlsym), if lh_py_seen_lib said to */
LH_HIDDEN void lh_py_init(void);
/* logwrite.c: the executable is python*, or a libpython* was loaded */
LH_HIDDEN void lh_py_seen_lib(void);
/* the calling thread's Python frames now, if it holds the GIL, else NULL */
LH_HIDDEN const struct lh_pystk *lh_py_now(void);
/* for a wait on addr: those of the failed try on addr before it, or now */
LH_HIDDEN const struct lh_pystk *lh_py_for(struct lh_thread *t, const void *addr);
/* a try on addr failed: remember its frames for the wait that follows */
LH_HIDDEN void lh_py_try_failed(struct lh_thread *t, const void *addr);
/* for the acquisition of addr: lh_py_for's answer, which is then forgotten */
LH_HIDDEN const struct lh_pystk *lh_py_take(struct lh_thread *t, const void *addr);

/* Sampled race watching's holds in progress (watch.c, relaxed loads): a
 * thread about to wait for a lock that a held thread holds cuts that hold
 * short (lh_smp_lock_wait), since the waiter cannot bring the second
 * access the hold waits for and every waiter would stall with it. */
extern int lh_watch_holding LH_HIDDEN;
LH_HIDDEN void lh_smp_lock_wait(const void *lock);

/* Note, for the watchdog, what t is about to wait for: thread-local stores
 * only, published by the release store of wait_kind (the watchdog times
 * the wait itself).  Callers set wait_thread (joins), wait_obj (condition
 * waits), or wait_clock and wait_deadline_ns (timed condition waits)
 * before.  external: the object is process-shared (wait_external). */
static inline void lh_wait_note_ext(struct lh_thread *t, int kind, void *addr, uint8_t mode,
                                    uint8_t timed, uint8_t external, uintptr_t ra, uintptr_t cfa)
{
	/* relaxed atomics: plain moves on x86-64, no fences */
	__atomic_store_n(&t->wait_addr, addr, __ATOMIC_RELAXED);
	__atomic_store_n(&t->wait_mode, mode, __ATOMIC_RELAXED);
	__atomic_store_n(&t->wait_timed, timed, __ATOMIC_RELAXED);
	__atomic_store_n(&t->wait_external, external, __ATOMIC_RELAXED);
	__atomic_store_n(&t->wait_ra, ra, __ATOMIC_RELAXED);
	__atomic_store_n(&t->wait_cfa, cfa, __ATOMIC_RELAXED);
	__atomic_store_n(&t->wait_py, unlikely(lh_py_on | lh_py_retry) ? lh_py_for(t, addr) : NULL,
	                 __ATOMIC_RELAXED);
	__atomic_store_n(&t->wait_seq, __atomic_load_n(&t->wait_seq, __ATOMIC_RELAXED) + 1,
	                 __ATOMIC_RELAXED);
	__atomic_store_n(&t->wait_kind, kind, __ATOMIC_RELEASE);
	if (unlikely(__atomic_load_n(&lh_watch_holding, __ATOMIC_RELAXED)) && kind == LH_WAIT_LOCK)
		lh_smp_lock_wait(addr);
}

static inline void lh_wait_note(struct lh_thread *t, int kind, void *addr, uint8_t mode,
                                uint8_t timed, uintptr_t ra, uintptr_t cfa)
{
	lh_wait_note_ext(t, kind, addr, mode, timed, 0, ra, cfa);
}

static inline void lh_wait_clear(struct lh_thread *t)
{
	__atomic_store_n(&t->wait_kind, LH_WAIT_NONE, __ATOMIC_RELEASE);
}

/* The calling thread's state, created on first use; NULL while the shim is
 * not ready, inside the shim itself (re-entry), or while the thread exits. */
extern __thread struct lh_thread *lh_self_td __attribute__((tls_model("initial-exec"))) LH_HIDDEN;
LH_HIDDEN struct lh_thread *lh_thr_self(void);
LH_HIDDEN struct lh_thread *lh_thr_current_raw(void);
LH_HIDDEN void lh_thr_init_main(void);
LH_HIDDEN void lh_thr_after_fork_child(void);
/* The shim's own threads that run now (the watchdog, race watching's
 * rotation and fault-handler threads): each adds itself at the start of
 * its body and removes itself before it returns (lh_own_thread_begin/end),
 * so the watchdog can tell the program's threads it never saw from the
 * kernel's count.  Atomic; 0 again in a fork child. */
extern int lh_own_threads LH_HIDDEN;
static inline void lh_own_thread_begin(void)
{
	__atomic_add_fetch(&lh_own_threads, 1, __ATOMIC_RELAXED);
}
static inline void lh_own_thread_end(void)
{
	__atomic_sub_fetch(&lh_own_threads, 1, __ATOMIC_RELAXED);
}
LH_HIDDEN uint32_t lh_thr_count(void); /* threads this process ran */
LH_HIDDEN void lh_thr_emit(struct lh_thread *t); /* write its LH_REC_THREAD */
/* Threads are written to the log only when something recorded refers to
 * them (an edge, a finding), so a program that starts a million short
 * threads does not grow its log by a million records.  These write the
 * record (and its living ancestors') if the current log lacks it. */
LH_HIDDEN void lh_thr_ensure(struct lh_thread *t);
LH_HIDDEN void lh_thr_ensure_id(uint32_t id);
LH_HIDDEN void lh_thr_emit_all(void);
LH_HIDDEN void lh_thr_set_name(struct lh_thread *t, const char *name);
LH_HIDDEN void lh_thr_at_exit(void); /* the process is exiting */
LH_HIDDEN uint32_t lh_thr_id_of(pthread_t t);
extern pthread_mutex_t lh_thr_mu LH_HIDDEN;
extern struct lh_thread *lh_thr_list LH_HIDDEN;

struct lh_start; /* a thread being created */
LH_HIDDEN struct lh_start *lh_thr_prepare(void *fn, void *arg, int c11, uintptr_t ra);
LH_HIDDEN void lh_thr_prepare_failed(struct lh_start *s);
LH_HIDDEN struct lh_thread *lh_thr_start_td(struct lh_start *s, uint32_t *id);
LH_HIDDEN void lh_thr_created(struct lh_thread *td, uint32_t id, pthread_t pt);
LH_HIDDEN void *lh_thr_trampoline(void *s);
LH_HIDDEN int lh_thr_trampoline_c11(void *s);

/* re-entry guard: the shim calls libunwind, dl_iterate_phdr, write(2); any
 * lock those take must pass straight through.  Nests. */
extern __thread int lh_in_shim LH_HIDDEN;
/* set while the shim unwinds a stack (see wrap_signal.c) */
extern __thread int lh_unwinding LH_HIDDEN;

/* ---- stacks (stacks.c) ---- */
/* Capture the caller's stack starting at the frame whose return address is
 * `ra` (frames inside the shim are dropped); returns a stack id (0 if
 * nothing could be captured).  Writes the stack record if new. */
LH_HIDDEN uint32_t lh_stk_capture(uintptr_t ra);
/* Intern a stack given as pcs; writes the record if new. */
LH_HIDDEN uint32_t lh_stk_intern(const uintptr_t *pcs, int n, uint32_t flags);
/* the same with Python frames (NULL: none) */
LH_HIDDEN uint32_t lh_stk_intern_py(const uintptr_t *pcs, int n, uint32_t flags,
                                    const struct lh_pystk *py);
LH_HIDDEN void lh_stk_unwind(struct lh_frames *f);
/* the current stack's return addresses only, no stack pointers: fast (0 if too
 * little stack is left) */
/* the return addresses of the current stack (at most max), for the lock
 * call with return address ra and caller stack pointer cfa: from the
 * thread's trace memo when the stack still holds the path (tracememo.h),
 * the path then starting at ra; how many, 0 if none */
LH_HIDDEN int lh_stk_trace(uintptr_t *ips, int max, uintptr_t ra, uintptr_t cfa);
/* The part of an unwind that belongs to the acquisition whose caller had
 * stack pointer cfa and return address ra, with the Python frames py (NULL:
 * none); *partial is set when the caller frame is no longer on the stack
 * and only ra is known. */
LH_HIDDEN uint32_t lh_stk_from_frames(const struct lh_frames *f, uintptr_t ra, uintptr_t cfa,
                                      const struct lh_pystk *py, int *partial);
LH_HIDDEN void lh_stk_after_fork_child(void);
/* Code ranges of the shim's own dependencies (libunwind and what it needs
 * besides the C library), found at start-up: calls from there pass through
 * (wrap.h, lh_from_dep). */
#define LH_MAX_DEP_RANGES 8
struct lh_dep_range {
	uintptr_t lo, hi;
	char name[40]; /* the object's file name, for the note (lh_dep_unwatched) */
};
extern struct lh_dep_range lh_dep_ranges[LH_MAX_DEP_RANGES] LH_HIDDEN;
extern int lh_n_dep_ranges LH_HIDDEN;
/* every range above lies in [lh_dep_lo, lh_dep_lo + lh_dep_span): written
 * before lh_n_dep_ranges grows (release), so a reader that loaded
 * lh_n_dep_ranges (acquire) finds them inside; span 0 while there are none */
extern uintptr_t lh_dep_lo LH_HIDDEN, lh_dep_span LH_HIDDEN;
LH_HIDDEN void lh_stk_find_deps(void);
/* A wrapper passed a call from the dependency code at ra straight through
 * while the shim was watching (wrap.h): the first time in a process, a
 * note names the library whose threads and locks go unwatched. */
LH_HIDDEN void lh_dep_unwatched(uintptr_t ra);
/* Make sure the record of stack `id` is in the current log (after a fork,
 * stacks captured earlier belong to the parent's log); returns id. */
LH_HIDDEN uint32_t lh_stk_rewrite(uint32_t id);

/* ---- log (logwrite.c) ---- */
LH_HIDDEN int lh_log_open(int forked_child);
/* fork child: drop the copy of the parent's mapped window (nothing is
 * written to the parent's log through it) */
LH_HIDDEN void lh_log_forget_parent_map(void);
/* write one record made of up to 3 parts, atomically (one writev) */
LH_HIDDEN void lh_log_record(uint16_t type, const void *p1, size_t n1, const void *p2, size_t n2,
                             const void *p3, size_t n3);
LH_HIDDEN void lh_log_modules(void); /* write records for objects not yet written */
LH_HIDDEN void lh_log_modules_if_changed(void); /* same, if the loader says anything changed */
LH_HIDDEN void lh_log_modules_after_fork_child(void); /* the known ones, into the child's log */
LH_HIDDEN void lh_log_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* an LH_REC_CLS_MAP with its bitmap of n_bytes mapped on its own (NULL: not
 * possible now; write pair records) */
LH_HIDDEN void *lh_log_map_bits(struct lh_rec_cls_map *r, size_t n_bytes);
LH_HIDDEN void *lh_log_map_tuple_bits(struct lh_rec_cls_tuple *r, size_t n_bytes);
LH_HIDDEN void lh_log_unmap_bits(void *bits, size_t n_bytes);
LH_HIDDEN void lh_log_end(int status, uint32_t flags); /* flags: LH_END_* */
/* a log was opened for this process (init, fork child): an exec from it
 * ends that log first (wrap_exec.c) */
LH_HIDDEN void lh_exec_log_opened(void);

/* ---- the at-exit report of programs linked with the shim (exitreport.c) ---- */
/* decide whether this process reports at exit, and where its log goes;
 * after the options, before the log is opened */
LH_HIDDEN void lh_xr_init(void);
/* sampled heap blocks (wrap_malloc.c, gheap.h): start sampling with a
 * budget of max_live guarded blocks (0: off); stop; the limit notes at
 * exit; whether p is a guarded block in flight */
LH_HIDDEN void lh_gh_start(unsigned max_live, unsigned dense);
LH_HIDDEN void lh_gh_stop(void);
LH_HIDDEN void lh_gh_at_exit(void);
LH_HIDDEN int lh_gh_owns(const void *p);
/* a guarded block's allocation site, allocating thread and size, by slot */
LH_HIDDEN void lh_gh_block_info(int slot, uintptr_t *site, int *tid, size_t *size);
LH_HIDDEN void lh_gh_adopt(void); /* blocks in flight become candidates */
LH_HIDDEN void lh_gh_drain(void); /* the frees deferred while lh_smp_creating */
/* free() without its free-locked check: what the shim's free does with p */
LH_HIDDEN void lh_free_unchecked(void *p);
LH_HIDDEN int lh_smp_creating(void); /* sampler.c: this thread is inside a thread creation */
/* sampled heap blocks as write-protect candidates (sampler_wp.c): a block
 * handed out (its candidate, or -1), one going away (before its pages can
 * be another block's: its window ends, its pages are un-protected) */
LH_HIDDEN int lh_smp_heap_add(int gslot, uintptr_t addr, size_t size);
LH_HIDDEN void lh_smp_heap_remove(int cand);
/* pthread_create's argument: a sampled block handed from thread `from` to
 * the new thread `to` is biased in the rotation (both will touch it) */
LH_HIDDEN void lh_gh_handed(const void *arg, uint32_t from, uint32_t to);
LH_HIDDEN void lh_smp_heap_handed(int cand, uint32_t from, uint32_t to);
LH_HIDDEN int lh_xr_active(void);   /* 1: this process reports itself */
LH_HIDDEN int lh_xr_temp_log(void); /* 1: the log is in a private temporary directory */
/* run the analyzer on this process's log (and ended children's) and print
 * the report on stderr if there are findings: 1 findings, 0 none, -1 not
 * done (not active, done already, or failed: one warning line).  Once per
 * process. */
LH_HIDDEN int lh_xr_report(int flush_stdio);
LH_HIDDEN const char *lh_log_path(void);
extern uint32_t lh_log_epoch LH_HIDDEN; /* bumped when a new log is opened (fork) */
extern pthread_mutex_t lh_log_mu LH_HIDDEN;

/* ---- core (core.c): one function per event ---- */
enum lh_acq_flags {
	LH_ACQ_TRY = 1,    /* trylock: held after success, but adds no edge */
	LH_ACQ_SHARED = 2, /* read lock */
	LH_ACQ_TIMED = 4,  /* timed: a wait that ends by itself */
};
struct lh_acq {
	void *addr;
	uint8_t kind;   /* enum lh_lock_kind */
	uint8_t flags;  /* enum lh_acq_flags */
	uint16_t lflags; /* LH_LOCKF_* known at the call (recursive mutex) */
	uintptr_t ra, cfa;
};
LH_HIDDEN void lh_core_init_lock(void *addr, int kind, uint32_t lflags, uintptr_t ra);
LH_HIDDEN void lh_core_destroy_lock(void *addr, int kind, uintptr_t ra);
/* about to block on a lock (the trylock failed) / stopped waiting */
LH_HIDDEN void lh_core_wait_begin(const struct lh_acq *a);
LH_HIDDEN void lh_core_wait_end(void);
LH_HIDDEN void lh_core_acquired(const struct lh_acq *a);
LH_HIDDEN void lh_core_released(void *addr, int kind, uintptr_t ra);
/* semaphores (semmodel.c decides which waits and posts are lock events) */
LH_HIDDEN void lh_core_sem_init(sem_t *s, int pshared, unsigned value, uintptr_t ra);
LH_HIDDEN void lh_core_sem_destroy(sem_t *s, uintptr_t ra);
LH_HIDDEN void lh_core_sem_open(sem_t *s, int known, unsigned value, uintptr_t ra);
LH_HIDDEN void lh_core_sem_close(sem_t *s, uintptr_t ra);
LH_HIDDEN void lh_core_sem_wait_begin(sem_t *s, int timed, uintptr_t ra, uintptr_t cfa);
LH_HIDDEN void lh_core_sem_try_begin(sem_t *s, uintptr_t ra);
LH_HIDDEN void lh_core_sem_acquired(sem_t *s, uintptr_t ra, uintptr_t cfa);
LH_HIDDEN void lh_core_sem_post(sem_t *s, uintptr_t ra);
/* condition wait: the mutex is released for the wait, re-acquired after;
 * cond_enter's result (LH_COND_*) goes back to cond_leave */
LH_HIDDEN void lh_core_cond_release(void *mutex, int kind, uintptr_t ra);
/* fork: take the units' locks before the registry and log locks (prepare),
 * release them in the parent; the child re-creates them */
LH_HIDDEN void lh_core_after_fork_child(void);
LH_HIDDEN uint32_t lh_core_mutex_flags(const pthread_mutex_t *m);
/* misuse checks, on the paths where they cost nothing extra */
LH_HIDDEN void lh_core_destroy_check(void *addr, int kind, uintptr_t ra);
LH_HIDDEN void lh_core_lock_failed(void *addr, int kind, int rc, uintptr_t ra);
/* a try on addr found it taken (a blocking wait may follow) */
LH_HIDDEN void lh_core_try_failed(void *addr);
LH_HIDDEN int lh_core_cond_enter(void *cond, void *mutex, int kind, uintptr_t ra, uintptr_t cfa,
                                 const struct timespec *deadline, clockid_t clk);
LH_HIDDEN void lh_core_cond_leave(void *cond, int entered);
LH_HIDDEN void lh_core_thread_exit_check(struct lh_thread *t);
/* barriers and destroys of condition variables and barriers: the waits
 * the watchdog's stall rule sees, and the misuses found on the way in */
LH_HIDDEN void lh_core_barrier_wait_begin(pthread_barrier_t *b, uintptr_t ra, uintptr_t cfa);
LH_HIDDEN void lh_core_barrier_init_check(pthread_barrier_t *b, uintptr_t ra);
LH_HIDDEN void lh_core_object_destroy_begin(void *obj, int kind, uintptr_t ra, uintptr_t cfa);
LH_HIDDEN void lh_core_thread_exiting(struct lh_thread *t, uintptr_t ra); /* at pthread_exit */
LH_HIDDEN int lh_stack_is_short(void); /* too little stack left to unwind */
LH_HIDDEN uint64_t lh_core_lock_id_emit(void *addr, int kind); /* id, LOCK record written */
LH_HIDDEN void lh_core_freed(void *ptr, size_t size); /* memory freed: its locks are gone */
LH_HIDDEN uint32_t lh_core_thread_of_tid(int os_tid);
/* a HOLDS item for the thread with kernel tid owner (0 if none is known) */
LH_HIDDEN int lh_core_owner_item(int owner, void *addr, int kind, struct lh_rec_finding_item *it);
/* ---- misuse checks that read the shim's live state (misuse_live.c) ---- */
/* before pthread_mutex_init / mtx_init: mutex-reinit */
LH_HIDDEN void lh_mis_mutex_init_check(void *m, int kind, uintptr_t ra);
/* is addr in a loaded object's data (static storage)?  dladdr: not on hot paths */
LH_HIDDEN int lh_mis_static_storage(const void *addr);
/* a condition wait on cond with mutex is starting: the association */
LH_HIDDEN void lh_mis_cond_waited(struct lh_thread *t, void *cond, void *mutex);
/* before pthread_cond_signal/broadcast, cnd_signal/broadcast (kind: the
 * mutex's, LH_LOCK_MUTEX or LH_LOCK_C11_MTX) */
LH_HIDDEN void lh_mis_cond_signal_check(void *cond, int kind, uintptr_t ra);
/* before every wait, signal and broadcast (pthread and C11):
 * cond-not-initialized, cond-overwritten (lh_mis_cond_use) */
LH_HIDDEN void lh_mis_cond_use_check(void *cond, uintptr_t ra);
/* the LH_LOCKF_* a freshly initialized condition variable's fields imply */
LH_HIDDEN uint32_t lh_mis_cond_init_flags(const void *cond);
/* free, a moving realloc or operator delete of [p, p + size) (size 0:
 * ask malloc_usable_size) while t holds locks: free-locked for those in
 * the block.  Callers test t->n_held first (LH_FREE_CHECK), so a free by
 * a thread that holds nothing costs one load */
LH_HIDDEN void lh_mis_free_check(struct lh_thread *t, void *p, size_t size, uintptr_t ra);
/* could a lock t holds lie in a block at p?  Only locks at most
 * LH_FREE_NEAR bytes past p are looked for (no size needed) */
#define LH_FREE_NEAR ((uintptr_t)1 << 20)
LH_HIDDEN int lh_mis_free_may_hold(const struct lh_thread *t, const void *p);
#define LH_FREE_CHECK(p, size, ra)                                                                 \
	do {                                                                                       \
		struct lh_thread *lh_ft_ = lh_self_td;                                             \
		if (__builtin_expect(lh_ft_ != NULL && lh_ft_->n_held != 0, 0) && (p))             \
			lh_mis_free_check(lh_ft_, (p), (size), (ra));                              \
	} while (0)
/* t arrives at barrier b (before the real wait) */
LH_HIDDEN void lh_mis_barrier_arrived(struct lh_thread *t, pthread_barrier_t *b);
#define LH_BAR_AGAIN 0x80000000u
/* the watchdog found thread `waiter` stalled in barrier b, waiting at
 * stack: barrier-extra-waiter if b is a one-round barrier that more
 * threads than its count arrived at */
LH_HIDDEN void lh_mis_barrier_stalled(void *b, uint32_t waiter, uint32_t stack);
/* t released addr (the fast and slow release paths) */
static inline void lh_rel_note(struct lh_thread *t, void *addr)
{
	t->rel_recent[t->rel_next++ & (LH_REL_RECENT - 1)] = addr;
}

/* ---- lock identities (lockid.c) ---- */
/* the slot of addr, made if `create`; NULL if the table is full (noted) */
LH_HIDDEN struct lh_lock *lh_lid_lookup(uintptr_t addr, int create);
/* the same through t's cache of address -> slot */
LH_HIDDEN struct lh_lock *lh_lid_get(struct lh_thread *t, void *addr);
/* a thread's lock cache, empty, at its first size (td_alloc; a recycled
 * struct keeps a grown array, emptied) */
LH_HIDDEN void lh_lid_thread_init(struct lh_thread *t);
/* the entry of t's lock cache that addr maps to */
static inline struct lh_lock_ce *lh_lc_entry(const struct lh_thread *t, const void *addr)
{
	return &t->lock_cache[((uintptr_t)addr >> 3) & t->lock_mask];
}
/* the current id; a lock with none gets a new one, flagged static init */
LH_HIDDEN uint64_t lh_lid_id(struct lh_lock *lk, int kind, uint32_t lflags);
/* init: a new identity, whatever the slot had */
LH_HIDDEN uint64_t lh_lid_new(struct lh_lock *lk, int kind, uint32_t lflags, uint32_t init_stack);
/* a new semaphore identity whose model starts at sem_state (semmodel.c) */
LH_HIDDEN uint64_t lh_lid_new_sem(struct lh_lock *lk, uint32_t lflags, uint32_t init_stack,
                                  uint64_t sem_state);
LH_HIDDEN void lh_lid_end(struct lh_lock *lk); /* destroy: the next use starts a new id */
LH_HIDDEN void lh_lid_freed(void *ptr, size_t size); /* end the locks in freed memory */
LH_HIDDEN uint64_t lh_lid_peek(const struct lh_lock *lk); /* the usable id or 0, no side effect */
LH_HIDDEN void lh_lid_describe(const struct lh_lock *lk, uint64_t id, struct lh_rec_lock *r);
LH_HIDDEN void lh_lid_after_fork_child(void);
/* id (from lh_lid_peek) was made before this process was forked from its
 * parent: 0 in a process not forked, or for 0 */
LH_HIDDEN int lh_lid_before_fork(uint64_t id);
enum lh_lid_stage { LH_LID_STAGE_CLAIMED = 1, LH_LID_STAGE_FILLED, LH_LID_STAGE_PUBLISHED };

/* ---- edges (edges.c) ---- */
#define LH_THREADS_PER_EDGE 4 /* threads recorded per edge context */
#define LH_PAIRS_PER_SITE 1024 /* new locks recorded per pair of call sites (edges.c) */
/* the world as edge recording sees it (core.c's shim_io; tests script it) */
struct lh_edge_io {
	void (*unwind)(struct lh_frames *f); /* the current stack; f->n = 0 if none */
	/* the stack of the acquisition at (ra, cfa) within f, with the Python
	 * frames py (NULL: none) */
	uint32_t (*stack_of)(const struct lh_frames *f, uintptr_t ra, uintptr_t cfa,
	                     const struct lh_pystk *py, int *partial);
	void (*write_lock)(const struct lh_rec_lock *r);
	void (*write_edge)(struct lh_thread *t, const struct lh_rec_edge *e,
	                   const struct lh_rec_gate *gates, int n_gates);
	uint64_t (*now_ns)(void);
	/* the current stack's return addresses only (cheaper than unwind);
	 * how many, 0 if none; NULL: not available (every new edge unwinds) */
	int (*trace)(uintptr_t *ips, int max, uintptr_t ra, uintptr_t cfa);
	void (*write_sem_class)(const struct lh_rec_sem_class *r); /* NULL: none */
	/* a new edge context (thread t's; c->n_gates gate modes follow), and
	 * an edge in a context written before (LH_REC_EDGE_CTX,
	 * LH_REC_EDGE_PAIR, with the lock ids of its n gates); NULL: every edge
	 * is written whole with write_edge */
	void (*write_edge_ctx)(struct lh_thread *t, const struct lh_rec_edge_ctx *c,
	                       const uint32_t *gate_modes);
	void (*write_edge_pair)(const struct lh_rec_edge_pair *p, const uint32_t *gate_locks, int n);
	/* a class member (LH_REC_CLS_MEMBER), and a class map whose bitmap
	 * of n_bytes is returned mapped (LH_REC_CLS_MAP; NULL: not possible,
	 * the orders go as pair records); NULL: no class-map records */
	void (*write_cls_member)(const struct lh_rec_cls_member *r);
	void *(*map_cls_bits)(struct lh_rec_cls_map *r, size_t n_bytes);
	void (*unmap_cls_bits)(void *bits, size_t n_bytes);
	/* the same for orders under gates (LH_REC_CLS_TUPLE); NULL: none */
	void *(*map_tuple_bits)(struct lh_rec_cls_tuple *r, size_t n_bytes);
};
enum lh_acq_result {
	LH_ACQ_PUSHED = 1,  /* now held (edges recorded unless a trylock) */
	LH_ACQ_NESTED = 2,  /* already held: its count went up, no edge */
	LH_ACQ_UNTRACKED = 3, /* beyond LH_MAX_HELD: counted in overflow */
};
enum lh_rel_result { LH_REL_RELEASED = 1, LH_REL_OVERFLOW = 2, LH_REL_NOT_HELD = 3 };
/* t acquired lk (identity id) as described by a: the rule, edges, push */
/* keys the kinds-of-context sets hold now (for tests: 0 once the note of
 * LH_CTX_KINDS_PER_EDGE is written) */
LH_HIDDEN size_t lh_edge_kinds_keys(void);
LH_HIDDEN int lh_edge_acquired(const struct lh_edge_io *io, struct lh_thread *t, struct lh_lock *lk,
                               uint64_t id, const struct lh_acq *a);
/* would t, about to block for a, wait for itself forever? */
LH_HIDDEN int lh_edge_self_blocks(const struct lh_thread *t, const struct lh_acq *a);
/* the key of an edge context (gates: the sum of the gates' terms) */
LH_HIDDEN uint64_t lh_edge_key(uint64_t from_id, uint64_t to_id, unsigned from_mode,
                               unsigned to_mode, uintptr_t from_ra, uintptr_t to_ra, uint64_t gates);
/* make sure the LOCK record of (lk, id) is in the current log */
LH_HIDDEN void lh_edge_lock_written(const struct lh_edge_io *io, struct lh_lock *lk, uint64_t id);
/* semaphore (lk, id) is not a lock (semmodel.c): its LH_REC_SEM_CLASS, if
 * its LOCK record is in the current log (else no edge names it) */
LH_HIDDEN void lh_edge_sem_demoted(const struct lh_edge_io *io, struct lh_lock *lk, uint64_t id);
/* drop t's held semaphores that are no longer its locks (demoted, given up
 * by another thread's post, re-initialized); returns how many */
LH_HIDDEN int lh_held_prune_sems(struct lh_thread *t);
LH_HIDDEN void lh_edge_after_fork_child(void);
/* forget what t has recorded (edge cache, class maps, the lock cache's
 * order memos): a recycled struct
 * for a new thread, or the forking thread in the child */
LH_HIDDEN void lh_edge_thread_reset(struct lh_thread *t);
/* how many class maps t uses now (for tests) */
LH_HIDDEN int lh_edge_cls_maps_used(const struct lh_thread *t);
/* has t recorded (or found known) the order h -> (lk, id), acquired at ra
 * in to_mode with only h held, by its class maps?  Reads only (wrap.h's
 * fast path); 0 also when no map covers it */
LH_HIDDEN int lh_edge_known(const struct lh_thread *t, const struct lh_held *h, const struct lh_lock *lk,
                            uint64_t id, uintptr_t ra, unsigned to_mode);
/* the same for an acquisition under two or three held locks: is it one
 * t's tuple maps have recorded?  Only reads (edges.c) */
LH_HIDDEN int lh_tuple_known(const struct lh_thread *t, struct lh_lock *lk, uint64_t id,
                             uintptr_t ra, unsigned to_mode);
LH_HIDDEN int lh_held_find(const struct lh_thread *t, const void *addr); /* index or -1 */
LH_HIDDEN int lh_held_release(struct lh_thread *t, void *addr);          /* enum lh_rel_result */
LH_HIDDEN int lh_held_drop(struct lh_thread *t, void *addr); /* all counts (cond wait); 1 if held */

/* ---- semaphores as locks (semmodel.c): pure, see its header ---- */
enum lh_sem_class { LH_SEMC_NOT_LOCK = 0, LH_SEMC_LOCK = 1 };
enum lh_sem_act {
	LH_SEM_NOTHING = 0,
	LH_SEM_TAKE = 1,    /* the caller now has the lock: push it */
	LH_SEM_GIVE = 2,    /* the caller gave the lock up: pop it */
	LH_SEM_DEMOTED = 3, /* it is not a lock after all: write LH_REC_SEM_CLASS */
};
#define LH_SEM_MANY_POSTERS UINT32_MAX
/* the word of a new semaphore; known: its initial value is value */
LH_HIDDEN uint64_t lh_sem_initial(int known, unsigned value);
/* thread tid calls a blocking wait (sem_wait, sem_timedwait, sem_clockwait) */
LH_HIDDEN int lh_sem_wait_call(uint64_t *st, uint32_t tid, int *why);
/* a wait of thread tid succeeded (any kind, trywait included) */
LH_HIDDEN int lh_sem_waited(uint64_t *st, uint32_t tid, int *why);
/* thread tid is about to post */
LH_HIDDEN int lh_sem_posting(uint64_t *st, uint32_t tid, int *why);
LH_HIDDEN int lh_sem_is_lock(uint64_t st);
LH_HIDDEN uint32_t lh_sem_holder(uint64_t st); /* of a lock, 0 free or not a lock */
/* not a lock: why (0: from its start), *who the thread that decided it */
LH_HIDDEN int lh_sem_why(uint64_t st, uint32_t *who);
LH_HIDDEN void lh_sem_posted_by(uint32_t *posters, uint32_t tid);
LH_HIDDEN uint32_t lh_sem_only_poster(uint32_t posters); /* 0: none or several */

/* ---- condition variables (condtab.c) ---- */
#define LH_COND_SLOTS 4096 /* condition variables waited on at once */
#define LH_COND_PROBE 64   /* slots probed per condition variable */
enum lh_cond_result {
	LH_COND_OK = 1,
	LH_COND_OTHER_MUTEX = 2, /* others wait on it with another mutex: see *other */
	LH_COND_UNTRACKED = 3,   /* no slot within LH_COND_PROBE (noted once) */
};
struct lh_cond_other {
	void *mutex;
	uint32_t thread;
	uintptr_t ra;
};
LH_HIDDEN int lh_cond_enter(void *cond, void *mutex, uint32_t thread, uintptr_t ra,
                            struct lh_cond_other *other);
LH_HIDDEN void lh_cond_leave(void *cond, int entered); /* entered: lh_cond_enter's result */
LH_HIDDEN int lh_cond_waiters(const void *cond);
LH_HIDDEN void lh_cond_after_fork_child(void);

/* ---- misuse (misuse.c) ---- */
struct lh_gl_state;
#define LH_MIS_SITES 1024 /* distinct (misuse, call site) pairs recorded */
/* the decisions: an LH_MIS_* value, or 0 for no misuse */
LH_HIDDEN int lh_mis_unlock(const struct lh_gl_state *s, int self_tid);
LH_HIDDEN int lh_mis_destroy(const struct lh_gl_state *s, int held_by_self, int others_wait);
LH_HIDDEN int lh_mis_cond_wait(int held_by_self, const struct lh_gl_state *s, int self_tid);
LH_HIDDEN int lh_mis_lock_failed(int kind, int rc, int destroyed);
LH_HIDDEN int lh_mis_timespec(int rc, const struct timespec *ts);
LH_HIDDEN int lh_mis_join(int rc, int is_self);
LH_HIDDEN int lh_mis_detach(int rc);
LH_HIDDEN int lh_mis_sem_init(int rc, unsigned value);
LH_HIDDEN int lh_mis_barrier_init(int rc, unsigned count);
LH_HIDDEN int lh_mis_sem_reinit(int live_init, int static_storage);
LH_HIDDEN int lh_mis_mutex_reinit(int live_init, int static_storage, int parent_identity,
                                  int locked_by_self);
LH_HIDDEN int lh_mis_cond_signal(int mutex_known, int held, int released_recently);
LH_HIDDEN int lh_mis_free_counts(int kind);
LH_HIDDEN int lh_mis_barrier_extra(uint32_t arrivals, unsigned count);
struct lh_gl_sem;
LH_HIDDEN int lh_mis_sem_use(int identity, int initialized, int pshared, const struct lh_gl_sem *g);
struct lh_gl_cond;
LH_HIDDEN int lh_mis_cond_use(int identity, int initialized, uint32_t init_bits, const struct lh_gl_cond *g);
LH_HIDDEN int lh_mis_sem_destroy(int others_wait, uint32_t nwaiters);
#define LH_JOINED_SLOTS 4096 /* handles of joined threads remembered */
LH_HIDDEN void lh_mis_joined_add(pthread_t t);
LH_HIDDEN int lh_mis_joined_has(pthread_t t);
LH_HIDDEN void lh_mis_joined_forget(pthread_t t);
LH_HIDDEN int lh_mis_join_again(int is_join, int was_joined);
LH_HIDDEN int lh_mis_exit_counts(int kind, int robust);
enum { LH_MIS_OP_DESTROY = 1, LH_MIS_OP_INIT = 2 };
LH_HIDDEN int lh_mis_object_waited(int op, int kind, int n_waiters);
enum { LH_MIS_FIRST = 1, LH_MIS_SEEN = 2 };
/* first time for (what, call site)?  LH_MIS_SEEN also past LH_MIS_SITES */
LH_HIDDEN int lh_mis_once(int what, uintptr_t ra, const void *addr);
LH_HIDDEN void lh_mis_after_fork_child(void);
LH_HIDDEN void lh_report_misuse(int what, void *addr, int kind, uintptr_t ra,
                                const struct lh_rec_finding_item *items, int n_items);
LH_HIDDEN void lh_report_misuse_stack(int what, void *addr, int kind, uint32_t stack,
                                      const struct lh_rec_finding_item *items, int n_items);
/* the same for thread `thread_id`, from another thread (the watchdog) */
LH_HIDDEN void lh_report_misuse_of(int what, void *addr, int kind, uint32_t thread_id, uint32_t stack,
                                   const struct lh_rec_finding_item *items, int n_items);

/* ---- watchdog (watchdog.c) ---- */
LH_HIDDEN void lh_wd_kick(void);            /* start it if not running */
LH_HIDDEN void lh_wd_thread_gone(void);     /* a thread left the registry */
LH_HIDDEN void lh_wd_after_fork_child(void);

/* ---- sampled race watching (sampler.c) ---- */
LH_HIDDEN void lh_smp_init(void);       /* start-up, before other threads */
LH_HIDDEN void lh_smp_kick(void);       /* a thread is created: start rotating */
LH_HIDDEN void lh_smp_stop(void);       /* at exit, before the sources shut down */
LH_HIDDEN void lh_smp_fork_child(void);
/* a new thread, first thing: while sampled watching is on, its THREAD
 * record is written now (a race found after it ended still names it) */
LH_HIDDEN void lh_smp_thread_begin(struct lh_thread *t);
/* Happens-before for the inferred verdict (sampler.c).  Threads always
 * (the creator makes the child's engine slot; its end releases what a
 * join acquires), synchronization only while a window is armed: the
 * lock paths test lh_smp_windows (one relaxed load, LH_SMP_HOOK). */
extern int lh_smp_windows LH_HIDDEN;
extern int lh_smp_active LH_HIDDEN; /* sampled watching runs in this process */
#define LH_SMP_HOOK(call)                                                                          \
	do {                                                                                       \
		if (unlikely(__atomic_load_n(&lh_smp_windows, __ATOMIC_RELAXED)))                  \
			call;                                                                      \
	} while (0)
LH_HIDDEN void lh_smp_thread_new(struct lh_thread *child); /* the creator, before it runs */
/* around the real thread creation: no watchpoint moves meanwhile */
LH_HIDDEN void lh_smp_create_begin(void);
LH_HIDDEN void lh_smp_create_end(void);
LH_HIDDEN void lh_smp_thread_failed(struct lh_thread *child);
LH_HIDDEN void lh_smp_thread_exit(struct lh_thread *t);  /* its last moment */
LH_HIDDEN void lh_smp_joined(pthread_t t);                 /* a join of t succeeded */
LH_HIDDEN void lh_smp_acquire(const void *sync);
LH_HIDDEN void lh_smp_release(const void *sync);
LH_HIDDEN void lh_smp_lock_acquired(void *addr, int kind, int mode);
LH_HIDDEN void lh_smp_lock_released(void *addr, int kind, int mode, int held); /* as lh_rt_lock_released */
LH_HIDDEN void lh_wd_self_deadlock(struct lh_thread *t, void *addr, int kind);
LH_HIDDEN void lh_join_begin(pthread_t target, uintptr_t ra, uintptr_t cfa);

#endif
