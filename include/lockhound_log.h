/*
 * lockhound_log.h - the on-disk log format shared by the shim (writer) and
 * the analyzer (reader).
 *
 * A log is a file header followed by a sequence of records.  Every record
 * starts with a struct lh_rec_hdr that gives its type and the size of the
 * payload that follows, so a reader can skip record types it does not know.
 * All integers are little-endian, in the native layout of x86-64 / aarch64
 * (the shim writes the structs as they are in memory; the structs below have
 * explicit padding so that the layout is the same on every LP64 target).
 *
 * Versioning: LH_LOG_FORMAT_VERSION changes when an existing record changes
 * meaning or layout.  Adding a new record type does not change it (old
 * readers skip the new type), unless skipping it would lose what older
 * records used to say (version 4: lock orders as contexts and pairs).  A
 * record without a variable-length tail (thread, thread-end, thread-name,
 * lock, end) may also grow fields at its end: readers accept a payload
 * larger than the struct they know and ignore the rest.  Records with a
 * tail (process, module, stack, edge, edge-context, edge-pair, finding,
 * note) never grow their fixed part; new information goes into a new record
 * type.  A reader refuses a log whose format version is newer than its own,
 * with a sentence that says so.
 *
 * Writing discipline: a record is copied whole under the shim's log lock,
 * into a window of the file mapped MAP_SHARED that the shim allocated ahead
 * with zeros (LH_HDR_MAPPED), its header last; or, where the file cannot be
 * mapped, written with a single writev(2).  A log cut short by SIGKILL or a
 * crash therefore ends on a record boundary: in a mapped log the first
 * record header whose type is 0 ends the records (what follows is the
 * unwritten, zero tail, or a record cut short before its header); in a
 * written one at most one partial record is at the very end.  Anything a
 * record refers to (a stack, a lock, a thread) is written before the record
 * that refers to it.
 */
#ifndef LOCKHOUND_LOG_H
#define LOCKHOUND_LOG_H

#include <stdint.h>

#define LH_LOG_MAGIC "LHNDLOG\n" /* 8 bytes, no terminating NUL in file */
#define LH_LOG_MAGIC_LEN 8
/* 2: LH_HDR_MAPPED (a record of type 0 ends the log); version 1 logs are
 * still read.
 * 3: stack records may carry Python frames (n_py_frames, was a pad that
 * versions 1 and 2 always wrote as 0; readers take it as 0 there)
 * 4: lock orders may come as an edge context (LH_REC_EDGE_CTX) and compact
 * instance records that refer to it (LH_REC_EDGE_PAIR); a reader that
 * skipped them would silently lose orders, so older readers must refuse
 * 5: lock orders between two lock classes may come as bitmaps
 * (LH_REC_CLS_MAP, and LH_REC_CLS_TUPLE for orders under gates, with
 * LH_REC_CLS_MEMBER records naming their bits' locks); again a reader that
 * skipped them would lose orders */
#define LH_LOG_FORMAT_VERSION 5

/* Upper bound a reader accepts for one record payload; anything larger is
 * corruption (the largest legitimate record is a stack of LH_MAX_FRAMES
 * frames or a module path of PATH_MAX bytes). */
#define LH_MAX_RECORD_SIZE (1u << 20)
#define LH_MAX_FRAMES 64
#define LH_MAX_PY_FRAMES 32 /* Python frames in one stack record */
#define LH_MAX_GATES 16
/* kinds of context (modes and gate set) per edge the analyzer tries; the
 * shim notes an edge that has more */
#define LH_CTX_KINDS_PER_EDGE 64
#define LH_THREAD_NAME_LEN 16

struct lh_file_header {
	char magic[LH_LOG_MAGIC_LEN];
	uint32_t format_version;
	uint32_t header_size; /* bytes of this header as written */
	uint32_t pid;
	uint32_t ppid;
	uint64_t start_realtime_ns; /* CLOCK_REALTIME at log creation */
	uint64_t start_mono_ns;     /* CLOCK_MONOTONIC at log creation */
	char tool_version[16];      /* NUL-terminated lockhound version */
	uint32_t pointer_size;
	uint32_t flags; /* LH_HDR_* */
};

#define LH_HDR_FORKED_CHILD 0x1u /* log of a child created by fork() */
/* written through a mapping of a file allocated ahead (format 2): the first
 * record header of type 0 ends the records; the rest of the file is the
 * unwritten tail (zeros, or a record cut short before its header was
 * written).  A process that ends normally cuts the tail off. */
#define LH_HDR_MAPPED 0x2u

struct lh_rec_hdr {
	uint16_t type;  /* LH_REC_* */
	uint16_t flags; /* reserved, 0 */
	uint32_t size;  /* payload bytes following this header */
};

enum lh_rec_type {
	LH_REC_PROCESS = 1,
	LH_REC_MODULE = 2,
	LH_REC_STACK = 3,
	LH_REC_THREAD = 4,
	LH_REC_THREAD_END = 5,
	LH_REC_THREAD_NAME = 6,
	LH_REC_LOCK = 7,
	LH_REC_EDGE = 8,
	LH_REC_FINDING = 9,
	LH_REC_END = 10,
	LH_REC_NOTE = 11,
	LH_REC_RACE = 12,
	LH_REC_FINDING_STACKS = 13,
	LH_REC_SEM_CLASS = 14,
	LH_REC_EDGE_CTX = 15,  /* format 4 */
	LH_REC_EDGE_PAIR = 16, /* format 4 */
	LH_REC_CLS_MEMBER = 17, /* format 5 */
	LH_REC_CLS_MAP = 18,    /* format 5 */
	LH_REC_CLS_TUPLE = 19,  /* format 5 */
};

/* LH_REC_PROCESS: followed by exe_len bytes of the executable path and
 * cmdline_len bytes of the arguments, each NUL-terminated. */
struct lh_rec_process {
	uint32_t exe_len;
	uint32_t cmdline_len;
};

/* LH_REC_MODULE: one loaded object.  Written for every object at start-up
 * and again for objects that appear after a dlopen.  followed by
 * build_id_len bytes of GNU build-id, then path_len bytes of path (with
 * its NUL).  [lo, hi) is the union of the object's PT_LOAD segments in the
 * process; base is the load bias (0 for a non-PIE executable). */
struct lh_rec_module {
	uint64_t base;
	uint64_t lo;
	uint64_t hi;
	uint32_t build_id_len;
	uint32_t path_len;
};

/* LH_REC_STACK: a call stack, stored once and referred to by id.  Stack id
 * 0 means "no stack".  followed by n_frames uint64_t program counters,
 * innermost first, then (format 3) n_py_frames Python frames, innermost
 * first: the frames of the Python code the thread was running (a CPython
 * interpreter, read while the thread held the GIL), each a struct
 * lh_rec_pyframe followed by file_len bytes of the code's file name and
 * func_len bytes of its function's qualified name (no NULs, no padding).
 * Frames are return addresses (the analyzer looks up pc-1) unless
 * LH_STACK_FIRST_IS_PC says frame 0 is an exact pc. */
struct lh_rec_stack {
	uint32_t stack_id;
	uint32_t n_frames;
	uint32_t flags;       /* LH_STACK_* */
	uint32_t n_py_frames; /* formats 1 and 2: a pad, always 0 */
};
#define LH_STACK_FIRST_IS_PC 0x1u
#define LH_STACK_TRUNCATED 0x2u    /* deeper frames were dropped */
#define LH_STACK_PY_TRUNCATED 0x4u /* deeper Python frames were dropped */
struct lh_rec_pyframe {
	uint32_t line; /* 0: not known */
	uint16_t file_len;
	uint16_t func_len;
};

/* LH_REC_THREAD: a thread started.  Thread ids are small numbers assigned
 * by the shim in order of creation (1 = the first thread the shim saw,
 * normally main). parent_id 0 = no parent known. */
struct lh_rec_thread {
	uint32_t thread_id;
	uint32_t parent_id;
	uint32_t create_stack; /* stack of the pthread_create/thrd_create call */
	uint32_t os_tid;
	uint64_t start_ns; /* CLOCK_MONOTONIC */
	char name[LH_THREAD_NAME_LEN];
};

/* LH_REC_THREAD_END: the thread returned, called pthread_exit, or was the
 * thread that called exit(). */
struct lh_rec_thread_end {
	uint32_t thread_id;
	uint32_t pad;
	uint64_t end_ns;
};

/* LH_REC_THREAD_NAME: pthread_setname_np or prctl gave the thread a name */
struct lh_rec_thread_name {
	uint32_t thread_id;
	uint32_t pad;
	char name[LH_THREAD_NAME_LEN];
};

enum lh_lock_kind {
	LH_LOCK_MUTEX = 1,
	LH_LOCK_RWLOCK = 2,
	LH_LOCK_SPIN = 3,
	LH_LOCK_C11_MTX = 4,
	LH_LOCK_USER = 5, /* annotated through lockhound.h */
	LH_LOCK_SEM = 6,     /* a POSIX semaphore: a lock of the graph while it is used as one
	                      * (LH_REC_SEM_CLASS), else named only by findings */
	LH_LOCK_BARRIER = 7, /* a pthread barrier named by a misuse or stall finding */
	LH_LOCK_COND = 8,    /* a condition variable (pthread or C11) named by a misuse or
	                      * stall finding (not in the lock graph) */
};

/* LH_REC_LOCK: a lock's identity.  lock_id is unique within the log: the
 * same address after destroy + init gets a new id.  Written the first time
 * the lock takes part in something recorded (an edge, a finding). */
struct lh_rec_lock {
	uint64_t lock_id;
	uint64_t addr;
	uint32_t kind;       /* enum lh_lock_kind */
	uint32_t init_stack; /* 0: no init call seen (a static initializer, a C++
	                      * std::mutex): tracked from first use */
	uint32_t flags;      /* LH_LOCKF_* */
	uint32_t generation; /* 1 for the first lock at this address, then 2.. */
};
#define LH_LOCKF_RECURSIVE 0x1u
#define LH_LOCKF_ERRORCHECK 0x2u
#define LH_LOCKF_STATIC_INIT 0x4u /* first seen in use, with no init call */
#define LH_LOCKF_WRITER_PREF 0x8u /* rwlock: readers queue behind waiting writers */
#define LH_LOCKF_PSHARED 0x10u    /* semaphore, condition variable: initialized process-shared */
#define LH_LOCKF_COND_MONOTONIC 0x20u /* condition variable: initialized with CLOCK_MONOTONIC */

enum lh_mode {
	LH_MODE_EXCL = 0,   /* mutex, spinlock, write lock */
	LH_MODE_SHARED = 1, /* read lock */
};

/* LH_REC_EDGE: thread thread_id acquired to_lock while holding from_lock.
 * Recorded once per distinct (from, to, modes, gate set, thread, call
 * sites).  followed by n_gates struct lh_rec_gate: the other locks the
 * thread held at that moment. */
struct lh_rec_edge {
	uint64_t from_lock;
	uint64_t to_lock;
	uint32_t thread_id;
	uint32_t from_stack; /* where from_lock was acquired */
	uint32_t to_stack;   /* where to_lock was acquired */
	uint16_t from_mode;  /* enum lh_mode */
	uint16_t to_mode;
	uint32_t flags; /* LH_EDGE_* */
	uint32_t n_gates;
	uint64_t time_ns; /* CLOCK_MONOTONIC when first seen */
};
#define LH_EDGE_FROM_STACK_PARTIAL 0x1u /* from_stack: only the call site is exact */
#define LH_EDGE_TO_TRYLOCK 0x2u         /* never written: trylocks add no edge */

struct lh_rec_gate {
	uint64_t lock_id;
	uint32_t mode;
	uint32_t pad;
};

/* LH_REC_EDGE_CTX (format 4): everything an edge record says except its
 * locks: the thread, both stacks, both modes, the flags, when the first
 * edge of the context was seen, and how many gates its edges have, with
 * their modes (n_gates uint32_t follow, in the order of the gates of its
 * pair records).  ctx_id (never 0) is unique within the log; the
 * LH_REC_EDGE_PAIR records after it refer to it.  A program that takes
 * many pairs of lock instances at the same call paths (an item lock, then
 * an LRU lock) writes one context and then one small pair record per pair
 * of instances. */
struct lh_rec_edge_ctx {
	uint32_t ctx_id;
	uint32_t thread_id;
	uint32_t from_stack;
	uint32_t to_stack;
	uint16_t from_mode; /* enum lh_mode */
	uint16_t to_mode;
	uint32_t flags;   /* LH_EDGE_* */
	uint64_t time_ns; /* CLOCK_MONOTONIC when its first edge was seen */
	uint32_t n_gates; /* at most LH_MAX_GATES */
	uint32_t pad;
};

/* LH_REC_EDGE_PAIR (format 4): one edge from_lock -> to_lock in the context
 * ctx_id, written earlier in the log, followed by the lock ids of its
 * context's n_gates gates (uint32_t each).  Lock ids that fit 32 bits only
 * (an edge with a larger one is an LH_REC_EDGE).  Read as the LH_REC_EDGE
 * it stands for, with the context's time.  12 bytes, plus 4 per gate. */
struct lh_rec_edge_pair {
	uint32_t ctx_id;
	uint32_t from_lock;
	uint32_t to_lock;
};

/* LH_REC_CLS_MEMBER (format 5): lock lock_id is member idx of lock class
 * cls (classes: docs/DESIGN.md section 3, "Class maps").  Written once per
 * log, after the lock's LH_REC_LOCK and before any LH_REC_CLS_MAP bit that
 * names it is set. */
struct lh_rec_cls_member {
	uint32_t cls;
	uint32_t idx;
	uint64_t lock_id;
};

/* LH_REC_CLS_MAP (format 5): lock orders of one edge context as bits.  The
 * context ctx_id (an LH_REC_EDGE_CTX earlier in the log, with no gates)
 * gives their thread, stacks, modes and flags.  A bitmap of n_rows rows of
 * n_from bits follows at payload offset bits_off (the bytes between are
 * zero padding: the shim places the bitmap on a page boundary of the file
 * and maps it on its own); the payload ends with the bitmap.  Bit f of row
 * r (byte (r * n_from + f) / 8, bit value 1 << (f % 8)) stands for the edge
 * from the member f of class from_cls to the member row0 + r of class
 * to_cls.  The shim sets bits after the record is written, with stores
 * into the mapped file, so a reader sees every bit set up to a SIGKILL.
 * n_from is a multiple of 8. */
struct lh_rec_cls_map {
	uint32_t ctx_id;
	uint32_t from_cls;
	uint32_t to_cls;
	uint32_t row0;     /* the to_cls member index of row 0 */
	uint32_t n_rows;
	uint32_t n_from;   /* bits per row */
	uint32_t bits_off; /* payload offset of the bitmap, >= sizeof(this) */
	uint32_t pad;
};

/* LH_REC_CLS_TUPLE (format 5): the orders of acquisitions made while
 * holding n_part - 1 locks (2 or 3: orders under gates), as bits.  The
 * participants 0 .. n_part - 2 are the held locks in the order they were
 * taken, n_part - 1 the acquired lock; participant p is of class cls[p].
 * Two of them are free: col_part (the bit's column, of n_from per row) and
 * row_part (row0 + the bit's row); every other participant is member 0 of
 * its class.  A set bit stands for one acquisition's n_part - 1 edges:
 * edge e (e < n_part - 1) from participant e to the acquired lock, in the
 * context ctx_id[e] (an LH_REC_EDGE_CTX earlier in the log with n_part - 2
 * gates), its gates the other held participants in their order.  The
 * bitmap follows at payload offset bits_off and ends the payload, as in
 * LH_REC_CLS_MAP. */
#define LH_CLS_TUPLE_MAX 4 /* participants of an LH_REC_CLS_TUPLE, at most */
struct lh_rec_cls_tuple {
	uint32_t n_part;
	uint32_t col_part;
	uint32_t row_part;
	uint32_t row0;
	uint32_t n_rows;
	uint32_t n_from;   /* bits per row, a multiple of 8 */
	uint32_t bits_off; /* payload offset of the bitmap, >= sizeof(this) */
	uint32_t cls[LH_CLS_TUPLE_MAX];
	uint32_t ctx_id[LH_CLS_TUPLE_MAX - 1];
};

/* LH_REC_FINDING: something the shim decided live (a deadlock it watched
 * happen, a misuse of the API).  followed by n_items struct
 * lh_rec_finding_item, one per thread/lock involved. */
enum lh_finding_kind {
	LH_FIND_DEADLOCK = 1,
	LH_FIND_MISUSE = 2,
	LH_FIND_RACE = 3,
};
/* what, for LH_FIND_DEADLOCK */
enum lh_deadlock_what {
	LH_DL_CYCLE = 1, /* threads each blocked on the next */
	LH_DL_SELF = 2,  /* a thread blocked on a lock it holds itself */
	LH_DL_STALL = 3, /* every thread blocked, some on an event (a signal, a barrier's
	                  * other arrivals, waiters leaving) no thread is left to cause */
};
/* what, for LH_FIND_MISUSE */
enum lh_misuse {
	LH_MIS_UNLOCK_NOT_LOCKED = 1,
	LH_MIS_UNLOCK_OTHER_THREAD = 2,
	LH_MIS_DESTROY_LOCKED = 3,
	LH_MIS_DESTROY_WAITERS = 4,
	LH_MIS_EXIT_HOLDING = 5,
	LH_MIS_COND_NOT_HELD = 6,
	LH_MIS_COND_TWO_MUTEXES = 7,
	LH_MIS_USE_AFTER_DESTROY = 8,
	LH_MIS_BAD_TIMESPEC = 9, /* a timed lock or wait failed with EINVAL for its timespec */
	LH_MIS_JOIN_SELF = 10,       /* pthread_join of the calling thread (EDEADLK) */
	LH_MIS_JOIN_DETACHED = 11,   /* pthread_join of a detached or already joined-by thread (EINVAL) */
	LH_MIS_DETACH_DETACHED = 12, /* pthread_detach of a detached thread (EINVAL) */
	LH_MIS_SEM_BAD_COUNT = 13,     /* sem_init with a count above SEM_VALUE_MAX (EINVAL) */
	LH_MIS_BARRIER_COUNT_ZERO = 14, /* pthread_barrier_init with count 0 (EINVAL) */
	LH_MIS_SEM_REINIT = 15,        /* sem_init of a semaphore initialized and not destroyed */
	LH_MIS_SEM_NOT_INIT = 16,      /* wait or post on a semaphore never initialized (or destroyed) */
	LH_MIS_SEM_OVERWRITTEN = 17,   /* wait or post on a semaphore whose memory was overwritten */
	LH_MIS_SEM_DESTROY_WAITERS = 18, /* sem_destroy while threads wait on it */
	LH_MIS_COND_DESTROY_WAITERS = 19,    /* pthread_cond_destroy while threads wait on it */
	LH_MIS_BARRIER_DESTROY_WAITERS = 20, /* pthread_barrier_destroy while threads wait in it */
	LH_MIS_BARRIER_REINIT_WAITERS = 21,  /* pthread_barrier_init while threads wait in it */
	LH_MIS_JOIN_TWICE = 22,     /* pthread_join of a thread already joined */
	LH_MIS_DETACH_JOINED = 23,  /* pthread_detach of a thread already joined */
	LH_MIS_MUTEX_REINIT = 24,   /* pthread_mutex_init / mtx_init of a mutex initialized and not destroyed */
	LH_MIS_COND_SIGNAL_UNLOCKED = 25, /* signal/broadcast by a thread that does not hold (nor just released) the waiters' mutex */
	LH_MIS_FREE_LOCKED = 26,    /* free, realloc (moving) or delete of memory holding a lock the thread holds */
	LH_MIS_BARRIER_EXTRA_WAITER = 27, /* a one-round barrier waited on by more threads than its count: stalled */
	LH_MIS_COND_NOT_INIT = 28,  /* wait/signal/broadcast on a condition variable never initialized (or destroyed) */
	LH_MIS_COND_OVERWRITTEN = 29, /* the same on an initialized one whose memory was overwritten */
	LH_MIS_COUNT_ /* keep last: the size of common/lh_misuse.c's name table */
};
struct lh_rec_finding {
	uint32_t kind; /* enum lh_finding_kind */
	uint32_t what; /* enum lh_deadlock_what or enum lh_misuse */
	uint32_t thread_id;
	uint32_t stack_id; /* the bad call, or where the thread blocked */
	uint64_t lock_id;
	uint64_t time_ns;
	uint32_t n_items;
	uint32_t pad;
};
/* LH_REC_FINDING_STACKS: fuller stacks for a finding written earlier.
 * The watchdog writes a deadlock finding first, with the call sites of the
 * waits as stacks, and only then samples the blocked threads' stacks (a
 * signal the program may have made fatal, or that may never be answered);
 * what sampling found follows in this record.  Same layout as
 * LH_REC_FINDING.  It refers to the latest earlier LH_REC_FINDING with the
 * same kind, what, thread_id, time_ns and n_items, whose items it matches
 * one for one (thread_id, role, lock_id, target_thread): a reader replaces
 * that finding's stack ids (stack_id of the finding, stack_id and stack2_id
 * of each item) with the non-zero ones given here.  It is the same finding,
 * not a second occurrence; one that refers to no earlier finding is
 * corrupt.  A reader that does not know the type skips it and keeps the
 * first record's stacks. */
struct lh_rec_finding_item {
	uint32_t thread_id;
	uint32_t role;      /* LH_ROLE_* */
	uint64_t lock_id;   /* the lock this item is about, 0 if none */
	uint32_t stack_id;  /* where it blocked / where it acquired */
	uint32_t stack2_id; /* where it acquired what it holds */
	uint32_t mode;
	uint32_t target_thread; /* for joins: the thread waited for */
};
enum lh_role {
	LH_ROLE_WAITS = 1, /* thread_id waits for lock_id (or target_thread) */
	LH_ROLE_HOLDS = 2, /* thread_id holds lock_id */
	LH_ROLE_JOINS = 3, /* thread_id waits in join for target_thread */
	LH_ROLE_POSTER = 8, /* thread_id is the only thread that has posted the
	                     * semaphore lock_id, which the item before waits on */
	/* stall findings (LH_DL_STALL): what a blocked thread waits for, lock_id
	 * naming the object (a cond or barrier lock record), mode 0 */
	LH_ROLE_SIGNAL = 4,   /* in a condition wait on lock_id, for a signal */
	LH_ROLE_BARRIER = 5,  /* in pthread_barrier_wait on lock_id, for the other arrivals */
	LH_ROLE_DESTROYS = 6, /* in a destroy of lock_id, for its waiters to leave */
};

/* LH_REC_END: the process finished normally (exit, return from main, or
 * lockhound ended it after a deadlock).  A log without it was cut short. */
struct lh_rec_end {
	uint64_t end_ns;
	int32_t exit_status; /* -1 if not known */
	uint32_t flags;      /* LH_END_* */
	/* grown at its end (readers accept the LH_REC_END_V1_SIZE bytes an
	 * older shim wrote, and then know no count): */
	uint32_t n_threads;  /* threads this process ran: main, every thread it
	                      * created, threads the shim first saw running;
	                      * 0 = not known */
	uint32_t pad;
};
#define LH_REC_END_V1_SIZE 16 /* end_ns, exit_status, flags */
#define LH_END_DEADLOCK 0x1u /* lockhound ended the process after a deadlock */
#define LH_END_EXEC 0x2u     /* the process exec'd (its new image has its own log);
                              * a failed exec is followed by more records */

/* LH_REC_NOTE: a warning the shim wants shown with the report, e.g. that a
 * limit was reached.  followed by len bytes of text with its NUL. */
struct lh_rec_note {
	uint32_t level; /* 1 = warning */
	uint32_t len;
};

/* LH_REC_RACE: two accesses to overlapping bytes, from different threads,
 * at least one a write, not both atomic, not ordered by happens-before.
 * Written once per distinct (variable, pair of code locations) the shim
 * sees; the analyzer groups them into one finding per variable.
 * followed by n_locks_cur then n_locks_prev uint64_t lock ids: the locks
 * each side held at its access (their LH_REC_LOCK records come first). */
/* LH_REC_SEM_CLASS: the semaphore lock_id turned out not to be a lock.
 * The shim takes a semaphore initialized to 1 as a lock (edges to and from
 * it are recorded) until something shows it is not: a post by a thread that
 * did not take it, a post while nobody had it, a second wait while it was
 * taken.  From that moment its recorded orders are void, including those
 * written before this record: a reader drops every edge and gate of
 * lock_id.  Written after the semaphore's LH_REC_LOCK, only when that is in
 * the log (a semaphore no edge named needs no record); may be repeated. */
enum lh_sem_why {
	LH_SEMW_POSTED_BY_OTHER = 1, /* posted by a thread other than the one that took it */
	LH_SEMW_POSTED_FREE = 2,     /* posted while no thread had it: its count went above 1 */
	LH_SEMW_WAITED_TWICE = 3,    /* a wait succeeded, or blocked, while a thread had it */
};
struct lh_rec_sem_class {
	uint64_t lock_id;
	uint32_t thread_id; /* the thread whose call decided it */
	uint32_t why;       /* enum lh_sem_why */
	uint64_t time_ns;   /* CLOCK_MONOTONIC */
};

enum lh_race_var {
	LH_VAR_UNKNOWN = 0,
	LH_VAR_GLOBAL = 1, /* in a module's data: the analyzer names the symbol */
	LH_VAR_HEAP = 2,   /* in a heap block: var_base/var_size/alloc_* say which */
	LH_VAR_STACK = 3,  /* on a thread's stack: var_thread is its owner */
};
struct lh_rec_race_access {
	uint32_t thread_id;
	uint32_t stack_id; /* frame 0 is the access's exact pc (LH_STACK_FIRST_IS_PC) */
	uint64_t addr;     /* first byte accessed */
	uint32_t size;     /* bytes accessed */
	uint32_t flags;    /* LH_RACC_* */
};
#define LH_RACC_WRITE 0x1u
#define LH_RACC_ATOMIC 0x2u
#define LH_RACC_STACK_APPROX 0x4u /* stack rebuilt from the calling context, not unwound */
struct lh_rec_race {
	uint64_t addr; /* first overlapping byte */
	uint32_t size; /* overlapping bytes */
	uint32_t var_kind; /* enum lh_race_var */
	uint64_t var_base; /* heap: block start; unnamed global: the variable's
	                      first byte when an 8-byte access names it, else 0;
	                      stack: 0 */
	uint64_t var_size; /* heap: block size; unnamed global: its bytes (or 0) */
	uint32_t alloc_stack;  /* heap: where the block was allocated */
	uint32_t alloc_thread; /* heap: the allocating thread; stack: the owner */
	uint32_t detected_by;  /* LH_RACE_BY_* */
	uint32_t flags;        /* LH_RACE_DECIDED_* (sampled records), else 0 */
	uint64_t time_ns;      /* CLOCK_MONOTONIC */
	struct lh_rec_race_access cur;  /* the later access */
	struct lh_rec_race_access prev; /* the earlier one */
	uint32_t n_locks_cur;
	uint32_t n_locks_prev;
};
#define LH_RACE_BY_INSTRUMENTATION 1 /* exact mode: lockhound cc */
#define LH_RACE_BY_WATCHPOINT 2      /* sampled: hardware watchpoint */
#define LH_RACE_BY_WRITE_PROTECT 3   /* sampled: userfaultfd write-protect */
/* how a sampled race was decided (lh_rec_race.flags; older logs: 0) */
#define LH_RACE_DECIDED_OBSERVED 0x1u /* the second access came while the first thread was held */
#define LH_RACE_DECIDED_INFERRED 0x2u /* unordered by the happens-before seen over the window */

#endif
