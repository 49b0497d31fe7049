/*
 * edges.c - the rule "held set + acquisition -> record or skip": each
 * thread's held-lock stack, the lock-order edges an acquisition adds, and
 * which of them are new enough to be written.  Pure: unwinding, the log and
 * the clock are reached only through the struct lh_edge_io the caller
 * passes, so tests/unit/test_edges.c scripts acquisitions with no threads,
 * no unwinder and no log.
 *
 * The rule (docs/DESIGN.md sections 3, 5, 6):
 *   - a lock the thread already holds (recursive mutex, nested read lock):
 *     its count goes up, no edge (a thread cannot wait for itself there);
 *   - a trylock: pushed, no edge into it (it never waits);
 *   - otherwise one edge H -> L for every held H, with its context: the
 *     thread, both modes, both call sites and the gate set (the other held
 *     locks, with their modes).
 *
 * Edge contexts are identified by a 64-bit key over (H, L, modes, call
 * sites, gate set).  The per-thread cache (edge_cache) answers "seen" in one
 * compare; a miss looks the key up in global sets without a lock and only
 * a context never seen before takes lh_edge_mu, unwinds and writes a record.
 * One context is recorded for at most LH_THREADS_PER_EDGE threads (orders
 * the class maps below answer: by every thread, as bits of its maps).  The memo
 * in the held lock's lock_cache entry lets the wrappers' fast path
 * (wrap.h) skip even the hash for a loop that takes A then B.
 *
 * Held stacks are not captured at acquisition.  Each held entry keeps the
 * call's return address and the caller's stack pointer; when a new edge needs
 * the held lock's stack, io->stack_of finds that frame in the current
 * unwind.  Limit: if the function that took H has returned since, only H's
 * call site is exact and the edge is flagged LH_EDGE_FROM_STACK_PARTIAL.
 * The Python frames of an acquisition (t->py_cur, set by the caller) are
 * kept in its held entry: an edge's stacks carry those of both ends.
 */
#include "shim.h"
#include "heldset.h"

#include <string.h>
#include <sys/mman.h>

/* lh_edge_mu guards the sets' writers and every lock's emitted_* fields */
pthread_mutex_t lh_edge_mu = PTHREAD_MUTEX_INITIALIZER; /* across fork: forklocks.c */

/* Global sets: per context who recorded it, and more (below).  Open
 * addressing over uint64 keys (0 = empty), a key and its 64-bit value side
 * by side (one cache line per probe: a program with hundreds of thousands
 * of contexts misses the cache on every probe), doubled when
 * LH_KSET_LOAD_PCT full.  Linear probing at 75% costs a few more probes on
 * a miss, but they fall in the same or the next cache lines, and the sets
 * are most of the shim's memory on a program with many lock instances
 * (memcached-mix: 20 -> 12 MiB of sets, peak RSS -8 MiB, no slower on
 * manyedges).
 * Written under lh_edge_mu only; read without it (kset_peek): a table is
 * published with a release store after it is filled, a key after its
 * value, and a table that was replaced stays mapped, so a reader sees a
 * valid table, perhaps a little old.  A reader that misses takes
 * lh_edge_mu and looks again.  Values are read and written with relaxed
 * atomics (readers without lh_edge_mu only compare them). */
struct kslot {
	uint64_t key; /* atomic: release store after the value */
	uint64_t val; /* atomic relaxed */
};
struct ktab {
	size_t cap;
	struct kslot *slots;
};
struct kset {
	struct ktab *t; /* atomic: release store once filled */
	size_t used;    /* under lh_edge_mu */
};
/* threads_by_ctx: context key -> the threads that recorded it, at most
 * LH_THREADS_PER_EDGE, packed in its value (THR_SLOT: 16 bits each, 0 free),
 * so "has this thread recorded it" is answered by the one probe that finds
 * the key: memcached's workers each form most of its pairs of lock
 * instances, and a second set keyed by (context, thread) was a second cache
 * miss per look-up and most of the sets' memory (205,000 pair records over
 * 59,000 pairs of instances in the bench's 100k set + 100k get).  A thread
 * whose id does not fit (THR_BIG and above) takes a slot marked THR_BIG and
 * is remembered in ctx_by_thread under key ^ thread, as all of them were
 * before.  kinds_by_edge: lock pair -> KIND_VAL(its first kind's tag, kinds
 * seen); kinds_seen: the kinds after the first.  pairs_by_site: new locks
 * per pair of call sites.  stacks_by_path: the stacks of a pair of call
 * paths (site_stacks_key) -> STK_VAL(to_stack, from_stack, partial). */
static struct kset ctx_by_thread, threads_by_ctx, pairs_by_site, kinds_seen, kinds_by_edge;
static struct kset stacks_by_path;
/* edge_ctxs: an edge context without its locks (thread, stacks, modes,
 * flags; edges without gates only) -> CTX_VAL(log epoch, ctx id): the
 * LH_REC_EDGE_CTX its LH_REC_EDGE_PAIR records refer to.  n_ctx: the last
 * id given (under lh_edge_mu). */
static struct kset edge_ctxs;
static uint32_t n_ctx;
/* A key's home slot.  Keys have their low bit set (0 means empty), so the
 * low bit would put every key on an odd slot: half the table, and linear
 * probing then clusters badly (the sets' look-ups were most of the cost of
 * a program with many contexts). */
/* a replaced table at least this large gives its memory back (it is then a
 * mapping of its own: lh_alloc maps requests above 256 KiB apart) */
#define LH_KSET_RELEASE (1u << 20)
/* ...in steps of this many bytes (a multiple of the page size that divides
 * LH_KSET_RELEASE) */
#define LH_KSET_RELEASE_STEP (64u << 10)
#define LH_KSET_RELEASE_SLOTS (LH_KSET_RELEASE_STEP / sizeof(struct kslot))
/* a table grows (doubles) when a new key would fill more than this
 * percentage of its slots */
#define LH_KSET_LOAD_PCT 75
#define KSLOT(key, cap) ((size_t)((key) >> 1) & ((cap) - 1))
#define THR_BIG 0xffffu /* a slot of a thread id of THR_BIG or more */
#define THR_SLOT(v, k) ((uint32_t)((v) >> (16 * (k))) & 0xffffu)
_Static_assert(LH_THREADS_PER_EDGE == 4, "threads_by_ctx packs 4 thread slots of 16 bits");
#define KIND_VAL(tag, n) ((uint64_t)(tag) << 32 | (uint32_t)(n))
#define STK_PARTIAL 0x80000000u
#define CTX_VAL(epoch, id) ((uint64_t)(epoch) << 32 | (uint32_t)(id))
#define STK_VAL(to, from, partial) ((uint64_t)(to) << 32 | (from) | ((partial) ? STK_PARTIAL : 0))

/* caller holds lh_edge_mu */
static uint64_t *kset_get(struct kset *s, uint64_t key, int *is_new)
{
	struct ktab *t = __atomic_load_n(&s->t, __ATOMIC_RELAXED); /* stored by lh_edge_mu holders only */
	size_t j;
	uint64_t k;

	if (!t || (s->used + 1) * 100 > t->cap * LH_KSET_LOAD_PCT) {
		size_t ncap = t ? t->cap * 2 : 4096, i;
		struct ktab *nt = lh_alloc(sizeof(*nt));
		if (!nt)
			return NULL;
		nt->cap = ncap;
		nt->slots = lh_alloc(ncap * sizeof(*nt->slots));
		if (!nt->slots)
			return NULL;
		/* The old table stays mapped for readers still in it, but its
		 * memory goes back: a large one (its own mapping, page-aligned)
		 * then reads as zeros, an empty table, which only sends such a
		 * reader to lh_edge_mu (held here) and then the new table.  It
		 * goes back LH_KSET_RELEASE_STEP bytes at a time as they are
		 * copied, not after the copy, so the two tables are never
		 * resident whole at once: the peak was half a table more (8 MiB
		 * of the shim's peak RSS in memcached-mix 10x). */
		int release = t && t->cap * sizeof(*t->slots) >= LH_KSET_RELEASE;
		for (i = 0; t && i < t->cap; i++) {
			k = __atomic_load_n(&t->slots[i].key, __ATOMIC_RELAXED);
			if (k) {
				for (j = KSLOT(k, ncap); __atomic_load_n(&nt->slots[j].key, __ATOMIC_RELAXED);
				     j = (j + 1) & (ncap - 1))
					;
				/* nt is not published yet: relaxed is enough */
				__atomic_store_n(&nt->slots[j].key, k, __ATOMIC_RELAXED);
				__atomic_store_n(&nt->slots[j].val,
				                 __atomic_load_n(&t->slots[i].val, __ATOMIC_RELAXED),
				                 __ATOMIC_RELAXED);
			}
			if (release && (i + 1) % LH_KSET_RELEASE_SLOTS == 0)
				madvise(&t->slots[i + 1 - LH_KSET_RELEASE_SLOTS], LH_KSET_RELEASE_STEP,
				        MADV_DONTNEED);
		}
		__atomic_store_n(&s->t, nt, __ATOMIC_RELEASE);
		t = nt;
	}
	for (j = KSLOT(key, t->cap); (k = __atomic_load_n(&t->slots[j].key, __ATOMIC_RELAXED));
	     j = (j + 1) & (t->cap - 1))
		if (k == key) {
			*is_new = 0;
			return &t->slots[j].val;
		}
	__atomic_store_n(&t->slots[j].val, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->slots[j].key, key, __ATOMIC_RELEASE);
	s->used++;
	*is_new = 1;
	return &t->slots[j].val;
}

/* with or without lh_edge_mu */
static uint64_t *kset_peek(struct kset *s, uint64_t key)
{
	struct ktab *t = __atomic_load_n(&s->t, __ATOMIC_ACQUIRE);
	size_t j;
	uint64_t k;

	if (!t)
		return NULL;
	for (j = KSLOT(key, t->cap); (k = __atomic_load_n(&t->slots[j].key, __ATOMIC_ACQUIRE));
	     j = (j + 1) & (t->cap - 1))
		if (k == key)
			return &t->slots[j].val;
	return NULL;
}

static inline uint64_t val_get(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

static inline void val_set(uint64_t *v, uint64_t x)
{
	__atomic_store_n(v, x, __ATOMIC_RELAXED);
}

/* a value that readers without lh_edge_mu act on (map_order_quick): set
 * with release once the records it names are in the log, read with
 * acquire */
static inline void val_publish(uint64_t *v, uint64_t x)
{
	__atomic_store_n(v, x, __ATOMIC_RELEASE);
}

static inline uint64_t val_acquire(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_ACQUIRE);
}

/* Edge contexts are identified by a 64-bit key alone (the sets store no
 * more), so two different contexts with the same key would silently drop
 * the second one's edge.  Each component goes through a full 64-bit
 * finalizer (splitmix64's) before it is combined, so a collision is a 2^-64
 * chance per pair of contexts, not a pattern of small lock ids. */
static inline uint64_t fmix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	return fmix(h * 0x9E3779B97F4A7C15ull + fmix(v + 0x632BE59BD9B4E019ull));
}

/* has thread `tid` recorded the context of threads_by_ctx value v (key
 * `key`)?  1 also when LH_THREADS_PER_EDGE threads have: nobody records it
 * again.  With or without lh_edge_mu. */
static int thr_done(uint64_t v, uint64_t key, uint32_t tid)
{
	int k, big = 0;

	for (k = 0; k < LH_THREADS_PER_EDGE; k++) {
		uint32_t s = THR_SLOT(v, k);
		if (s == 0)
			break;
		if (s == tid)
			return 1;
		big |= s == THR_BIG;
	}
	if (k == LH_THREADS_PER_EDGE)
		return 1;
	return big && tid >= THR_BIG && kset_peek(&ctx_by_thread, mix(key, tid) | 1) != NULL;
}

/* caller holds lh_edge_mu and !thr_done(*v, key, tid): thread tid takes
 * the next free slot; 0 if it cannot be remembered (no memory) */
static int thr_add(uint64_t *v, uint64_t key, uint32_t tid)
{
	uint64_t x = val_get(v);
	int k, is_new;

	for (k = 0; THR_SLOT(x, k) != 0; k++)
		;
	if (tid >= THR_BIG) {
		if (!kset_get(&ctx_by_thread, mix(key, tid) | 1, &is_new) || !is_new)
			return 0;
		tid = THR_BIG;
	}
	val_set(v, x | (uint64_t)tid << (16 * k));
	return 1;
}

/* A held lock's part of a gate set.  Gate sets are sums of these terms, so
 * the order in which the gates were taken does not matter, as in the
 * analyzer's feasibility check. */
static inline uint64_t gate_term(const struct lh_held *h)
{
	return mix(h->lock_id, h->mode) | 1;
}

uint64_t lh_edge_key(uint64_t from_id, uint64_t to_id, unsigned from_mode, unsigned to_mode,
                     uintptr_t from_ra, uintptr_t to_ra, uint64_t gates)
{
	return mix(mix(mix(from_id, to_id), (from_mode << 1) | to_mode), mix(mix(from_ra, to_ra), gates)) | 1;
}

/* ---- LOCK records ---- */

static void sem_class_written(const struct lh_edge_io *io, struct lh_lock *lk, uint64_t id);
static void member_written(const struct lh_edge_io *io, struct lh_lock *lk, uint64_t id);

/* caller holds lh_edge_mu: write the LOCK record of (lk, id) unless the
 * current log has it */
static void lock_written(const struct lh_edge_io *io, struct lh_lock *lk, uint64_t id)
{
	struct lh_rec_lock r;
	uint32_t epoch = __atomic_load_n(&lh_log_epoch, __ATOMIC_RELAXED);

	if (lk->emitted_id == id && lk->emitted_epoch == epoch)
		return;
	memset(&r, 0, sizeof(r));
	lh_lid_describe(lk, id, &r);
	io->write_lock(&r);
	member_written(io, lk, id);
	/* a semaphore demoted before its first record (a stale held entry
	 * still names it): the record that voids its orders follows at once */
	if (r.kind == LH_LOCK_SEM)
		sem_class_written(io, lk, id);
	/* last, epoch with release: lock_emitted() without lh_edge_mu then
	 * knows the records above are in the log */
	__atomic_store_n(&lk->emitted_id, id, __ATOMIC_RELAXED);
	__atomic_store_n(&lk->emitted_epoch, epoch, __ATOMIC_RELEASE);
}

/* Are the LOCK record of (lk, id) and its member record in the current
 * log (of epoch)?  Without lh_edge_mu: the epoch is loaded with acquire
 * first (lock_written stores it last, with release). */
static inline int lock_emitted(const struct lh_lock *lk, uint64_t id, uint32_t epoch)
{
	return __atomic_load_n(&lk->emitted_epoch, __ATOMIC_ACQUIRE) == epoch &&
	       __atomic_load_n(&lk->emitted_id, __ATOMIC_RELAXED) == id;
}

/* caller holds lh_edge_mu and the LOCK record of (lk, id) is in the log:
 * write its LH_REC_SEM_CLASS if it is a semaphore that is not a lock.
 * Racing with a demotion is harmless: the demoter's CAS comes before it
 * takes lh_edge_mu, so whichever of the two takes the mutex second writes
 * the record (both may: a reader takes it twice as once). */
static void sem_class_written(const struct lh_edge_io *io, struct lh_lock *lk, uint64_t id)
{
	uint64_t st = __atomic_load_n(&lk->sem_state, __ATOMIC_ACQUIRE);
	struct lh_rec_sem_class c;
	uint32_t who = 0;
	int why;

	if (lh_sem_is_lock(st) || !io->write_sem_class)
		return;
	why = lh_sem_why(st, &who);
	if (why == 0)
		return; /* never a lock: no edge names it */
	memset(&c, 0, sizeof(c));
	c.lock_id = id;
	c.thread_id = who;
	c.why = (uint32_t)why;
	c.time_ns = io->now_ns();
	io->write_sem_class(&c);
}

void lh_edge_sem_demoted(const struct lh_edge_io *io, struct lh_lock *lk, uint64_t id)
{
	lh_mu_lock(&lh_edge_mu);
	if (lk->emitted_id == id && lk->emitted_epoch == __atomic_load_n(&lh_log_epoch, __ATOMIC_RELAXED))
		sem_class_written(io, lk, id);
	lh_mu_unlock(&lh_edge_mu);
}

void lh_edge_lock_written(const struct lh_edge_io *io, struct lh_lock *lk, uint64_t id)
{
	lh_mu_lock(&lh_edge_mu);
	lock_written(io, lk, id);
	lh_mu_unlock(&lh_edge_mu);
}

/* ---- recording one edge ---- */

/* New locks recorded per pair of call sites.  A loop that creates a lock
 * per request and takes it under a global lock would otherwise add an edge
 * per request, forever.  Edges into a lock that no recorded edge has
 * touched yet count against a quota per pair of call sites; past it they
 * are not recorded (noted once in the log).  Edges between locks already
 * recorded always are, so transfer(a, b) then transfer(b, a) over many
 * objects still closes its cycles.  Limit: an inversion that first
 * involves a lock past the quota is missed.  LH_PAIRS_PER_SITE: shim.h. */

struct edge_ctx {
	struct lh_frames frames; /* unwound lazily, once per acquisition */
	int unwound;
	uint32_t to_stack;
	/* the return addresses alone, traced lazily, once per acquisition */
	int traced, n_ips;
	uint64_t path; /* their hash from the acquiring call outwards, 0 none */
	uintptr_t ips[LH_MAX_FRAMES + 16];
};

/* A new kind of context for an edge (kinds: docs/DESIGN.md section 8, the
 * modes and the gate set) beyond LH_CTX_KINDS_PER_EDGE: the analyzer tries
 * only that many per edge, so say so once.  Called for each new context;
 * the edge's first kind is kept in its own entry (most edges have one), the
 * others in kinds_seen.  The note is the counting's only result and is
 * written once per process, so once it is written nothing more is counted
 * and both sets give their memory back (kinds_drop): a program whose gates
 * are lock instances (memcached holds an item lock while it takes an LRU
 * lock) would otherwise keep a key per instance pair in each, half the
 * shim's memory there.  Limit: a second kind whose 32-bit tag equals the
 * first's is not counted (the note may come one kind late).  Caller holds
 * lh_edge_mu. */
static int kinds_noted;

/* caller holds lh_edge_mu (the kinds sets have no readers without it) */
static void kinds_drop(struct kset *s)
{
	struct ktab *t = s->t;

	if (t && t->cap * sizeof(*t->slots) >= LH_KSET_RELEASE)
		madvise(t->slots, t->cap * sizeof(*t->slots), MADV_DONTNEED);
	__atomic_store_n(&s->t, NULL, __ATOMIC_RELAXED); /* the small ones stay allocated */
	s->used = 0;
}

size_t lh_edge_kinds_keys(void)
{
	size_t n;

	lh_mu_lock(&lh_edge_mu);
	n = kinds_by_edge.used + kinds_seen.used;
	lh_mu_unlock(&lh_edge_mu);
	return n;
}

static void count_kind(const struct lh_held *h, uint64_t to_id, unsigned to_mode, uint64_t gates)
{
	uint64_t pair = mix(h->lock_id, to_id) | 1;
	uint64_t kind = mix(pair, mix((uint64_t)(h->mode << 1) | to_mode, gates)) | 1;
	uint32_t tag = (uint32_t)(kind >> 32);
	uint64_t *n;
	int is_new;

	if (kinds_noted)
		return;
	n = kset_get(&kinds_by_edge, pair, &is_new);
	if (!n)
		return;
	if (is_new) {
		val_set(n, KIND_VAL(tag, 1));
		return;
	}
	if ((uint32_t)(val_get(n) >> 32) == tag)
		return;
	if (!kset_get(&kinds_seen, kind, &is_new) || !is_new)
		return;
	val_set(n, val_get(n) + 1);
	if ((uint32_t)val_get(n) == LH_CTX_KINDS_PER_EDGE + 1) {
		kinds_noted = 1;
		lh_log_note("an edge between two locks (ids %llu and %llu) has more than %d kinds of "
		            "context (modes and gate sets); the analyzer considers only %d of them, so "
		            "a cycle through it may be missed",
		            (unsigned long long)h->lock_id, (unsigned long long)to_id,
		            LH_CTX_KINDS_PER_EDGE, LH_CTX_KINDS_PER_EDGE);
		kinds_drop(&kinds_by_edge);
		kinds_drop(&kinds_seen);
	}
}

/* The stacks of an edge come from its two call paths, not from its two
 * locks: a program that takes many pairs of lock instances at the same two
 * call sites (an item lock, then an LRU lock) would otherwise unwind for
 * every new pair, and an unwind that finds each frame's stack pointer (the
 * held stack needs them) costs microseconds.  The return addresses alone
 * (io->trace) cost a fraction of that.  They name the acquired stack
 * exactly; with the held call's return address and its distance from the
 * acquiring call's frame (a->cfa - h->cfa: the frames between them are
 * these very functions) they also fix which frame took the held lock.  So
 * the first edge at such a key unwinds and remembers its two stack ids, and
 * every later edge at the key reuses them, into any locks, from any thread.
 * The key includes both ends' Python frames (t->py_cur, h->py).
 * The instance-level edge is still recorded.  0: no trace, or the
 * acquiring call is not in it (then every new edge unwinds).  Limit: a
 * function whose frame changes size (alloca, variable-length arrays)
 * between the two calls can make the key name the first such edge's held
 * stack. */
static uint64_t path_hash(struct edge_ctx *ec, uintptr_t to_ra)
{
	uint64_t hsh = 0x5bd1e9955bd1e995ull;
	int i, j;

	for (i = 0; i < ec->n_ips; i++)
		if (ec->ips[i] == to_ra)
			break;
	if (i == ec->n_ips)
		return 0;
	for (j = i; j < ec->n_ips; j++)
		hsh = mix(hsh, ec->ips[j]);
	return hsh | 1;
}

static uint64_t site_stacks_key(const struct lh_edge_io *io, struct edge_ctx *ec,
                                const struct lh_thread *t, const struct lh_held *h,
                                const struct lh_acq *a)
{
	if (!ec->traced) {
		ec->traced = 1;
		ec->n_ips = io->trace ? io->trace(ec->ips, (int)(sizeof(ec->ips) / sizeof(ec->ips[0])), a->ra,
		                                  a->cfa)
		                      : 0;
		ec->path = ec->n_ips > 0 ? path_hash(ec, a->ra) : 0;
	}
	if (!ec->path)
		return 0;
	/* the Python frames of both ends too: every Python function's lock
	 * calls share one native path through the interpreter (interned, so
	 * equal frames are one pointer) */
	return mix(mix(ec->path, mix(h->ra, (uint64_t)(a->cfa - h->cfa))),
	           mix((uint64_t)(uintptr_t)t->py_cur, (uint64_t)(uintptr_t)h->py)) | 1;
}

/* An edge as an LH_REC_EDGE_PAIR: its context (thread, stacks, modes,
 * flags, the gates' modes) is written once as an LH_REC_EDGE_CTX, and
 * every edge in it after that costs a record of 20 bytes plus 4 per gate,
 * no clock and no unwind.  0 if it must be written whole (no such io, a
 * lock id past 32 bits, context ids used up).  The LOCK records of the
 * edge's locks are written.  Caller holds lh_edge_mu. */
/* the key of e's context in edge_ctxs */
static inline uint64_t ctx_key(const struct lh_rec_edge *e, const struct lh_rec_gate *g, int n_g)
{
	uint64_t key = mix(mix(mix(e->thread_id, e->from_stack), mix(e->to_stack, e->flags)),
	                   (uint64_t)(e->from_mode << 1) | e->to_mode);
	int k;

	for (k = 0; k < n_g; k++)
		key = mix(key, g[k].mode + 1);
	return mix(key, (uint64_t)n_g) | 1;
}

/* The id of e's context (its LH_REC_EDGE_CTX written now if the current
 * log does not have it); 0 if there is none (no such io, ids used up, no
 * memory).  Caller holds lh_edge_mu. */
static uint32_t ctx_of(const struct lh_edge_io *io, struct lh_thread *t, const struct lh_rec_edge *e,
                       const struct lh_rec_gate *g, int n_g)
{
	uint32_t epoch = __atomic_load_n(&lh_log_epoch, __ATOMIC_RELAXED);
	uint64_t key, *v;
	int is_new, k;

	if (!io->write_edge_ctx)
		return 0;
	key = ctx_key(e, g, n_g);
	v = kset_get(&edge_ctxs, key, &is_new);
	if (!v)
		return 0;
	if (is_new || (uint32_t)(val_get(v) >> 32) != epoch) {
		/* new, or written in a log before this one (a log recreated) */
		struct lh_rec_edge_ctx c;
		uint32_t modes[LH_MAX_GATES];
		if (n_ctx == UINT32_MAX) {
			val_set(v, 0); /* never the current epoch's: looked at again each time */
			return 0;
		}
		memset(&c, 0, sizeof(c));
		c.ctx_id = ++n_ctx;
		c.thread_id = e->thread_id;
		c.from_stack = e->from_stack;
		c.to_stack = e->to_stack;
		c.from_mode = e->from_mode;
		c.to_mode = e->to_mode;
		c.flags = e->flags;
		c.time_ns = io->now_ns();
		c.n_gates = (uint32_t)n_g;
		for (k = 0; k < n_g; k++)
			modes[k] = g[k].mode;
		io->write_edge_ctx(t, &c, modes);
		val_publish(v, CTX_VAL(epoch, c.ctx_id));
	}
	return (uint32_t)val_get(v);
}

static int write_pair(const struct lh_edge_io *io, struct lh_thread *t, const struct lh_rec_edge *e,
                      const struct lh_rec_gate *g, int n_g)
{
	struct lh_rec_edge_pair p;
	uint32_t gl[LH_MAX_GATES];
	int k;

	if (!io->write_edge_pair || e->from_lock > UINT32_MAX || e->to_lock > UINT32_MAX)
		return 0;
	for (k = 0; k < n_g; k++) {
		if (g[k].lock_id > UINT32_MAX)
			return 0;
		gl[k] = (uint32_t)g[k].lock_id;
	}
	p.ctx_id = ctx_of(io, t, e, g, n_g);
	if (!p.ctx_id)
		return 0;
	p.from_lock = (uint32_t)e->from_lock;
	p.to_lock = (uint32_t)e->to_lock;
	io->write_edge_pair(&p, gl, n_g);
	return 1;
}

/* e (its gates aside) for the order h -> (lk, id) of acquisition a: the
 * stacks come from stacks_by_path or an unwind.  Caller holds lh_edge_mu. */
/* e (its gates aside) for the order h -> id of t's acquisition a, with
 * its two stacks (partial: the held one is) */
static void edge_of(struct lh_rec_edge *e, const struct lh_thread *t, const struct lh_held *h,
                    uint64_t id, const struct lh_acq *a, uint32_t to_stack, uint32_t from_stack,
                    int partial)
{
	memset(e, 0, sizeof(*e));
	e->to_stack = to_stack;
	e->from_stack = from_stack;
	e->from_lock = h->lock_id;
	e->to_lock = id;
	e->thread_id = t->id;
	e->from_mode = h->mode;
	e->to_mode = (uint16_t)((a->flags & LH_ACQ_SHARED) ? LH_MODE_SHARED : LH_MODE_EXCL);
	e->flags = partial ? LH_EDGE_FROM_STACK_PARTIAL : 0;
}

/* the same from v, a value of stacks_by_path */
static void edge_of_val(struct lh_rec_edge *e, const struct lh_thread *t, const struct lh_held *h,
                        uint64_t id, const struct lh_acq *a, uint64_t v)
{
	edge_of(e, t, h, id, a, (uint32_t)(v >> 32), (uint32_t)v & ~STK_PARTIAL,
	        ((uint32_t)v & STK_PARTIAL) != 0);
}

static void edge_fill(const struct lh_edge_io *io, struct lh_thread *t, const struct lh_held *h,
                      struct lh_lock *lk, uint64_t id, const struct lh_acq *a, struct edge_ctx *ec,
                      struct lh_rec_edge *e)
{
	uint64_t *stacks, path;
	uint32_t from_stack;
	int is_new, partial = 0;

	(void)lk;
	path = site_stacks_key(io, ec, t, h, a);
	stacks = path ? kset_peek(&stacks_by_path, path) : NULL;
	if (stacks) {
		edge_of_val(e, t, h, id, a, val_get(stacks));
		return;
	}
	if (!ec->unwound) {
		io->unwind(&ec->frames);
		ec->to_stack = io->stack_of(&ec->frames, a->ra, a->cfa, t->py_cur, &partial);
		ec->unwound = 1;
	}
	partial = 0;
	from_stack = io->stack_of(&ec->frames, h->ra, h->cfa, h->py, &partial);
	/* only a real unwind is shared (a short stack gave call sites only) */
	if (path && ec->frames.n > 0 && ec->to_stack && from_stack && !(from_stack & STK_PARTIAL)) {
		uint64_t *sv = kset_get(&stacks_by_path, path, &is_new);
		if (sv)
			val_publish(sv, STK_VAL(ec->to_stack, from_stack, partial));
	}
	edge_of(e, t, h, id, a, ec->to_stack, from_stack, partial);
}

/* The quota of new locks per pair of call sites (LH_PAIRS_PER_SITE): the
 * key of held lock h's call site, the acquisition's and both modes; is it
 * spent; count one more new lock there.  Under lh_edge_mu. */
static inline uint64_t site_key(const struct lh_held *h, const struct lh_acq *a, unsigned to_mode)
{
	return mix(mix(h->ra, a->ra), (uint64_t)(h->mode << 1) | to_mode) | 1;
}

static inline int site_spent(uint64_t site)
{
	uint64_t *pairs = kset_peek(&pairs_by_site, site);
	return pairs && val_get(pairs) >= LH_PAIRS_PER_SITE;
}

static void site_count(uint64_t site)
{
	int is_new;
	uint64_t *pairs = kset_get(&pairs_by_site, site, &is_new);
	if (pairs)
		val_set(pairs, val_get(pairs) + 1);
}

/* 1 if an edge record was written, 0 if the context was known already
 * (also: enough threads recorded it), -1 if it was skipped and nothing
 * remembered: past its call sites' quota (LH_PAIRS_PER_SITE), or no memory.
 * A skipped order may be recorded later (its lock recorded through another
 * order), so the class maps only remember the first two. */
static int record_edge(const struct lh_edge_io *io, struct lh_thread *t, int i, struct lh_lock *lk,
                       uint64_t id, const struct lh_acq *a, uint64_t key, uint64_t gates,
                       struct edge_ctx *ec)
{
	struct lh_held *h = &t->held[i];
	struct lh_rec_edge e;
	struct lh_rec_gate g_out[LH_MAX_GATES];
	uint64_t *nthreads;
	unsigned to_mode = (a->flags & LH_ACQ_SHARED) ? LH_MODE_SHARED : LH_MODE_EXCL;
	int ctx_new, g, j, written = -1;
	static int gates_noted;

	/* Known already (the per-thread cache forgot it)?  Answered without
	 * the lock, so a program with many lock pairs does not serialize here. */
	nthreads = kset_peek(&threads_by_ctx, key);
	if (nthreads && thr_done(val_get(nthreads), key, t->id))
		return 0;
	lh_in_shim++;
	lh_mu_lock(&lh_edge_mu);
	/* A context into a lock no recorded edge has touched yet: within the
	 * quota of its call sites?  Checked before anything is remembered, so
	 * a program that makes a new lock per request stops growing here. */
	if (lk->emitted_id != id || lk->emitted_epoch != __atomic_load_n(&lh_log_epoch, __ATOMIC_RELAXED)) {
		uint64_t site = site_key(h, a, to_mode);
		if (site_spent(site)) {
			uint64_t *pairs = kset_peek(&pairs_by_site, site);
			if (val_get(pairs) == LH_PAIRS_PER_SITE) {
				val_set(pairs, LH_PAIRS_PER_SITE + 1);
				lh_log_note("more than %d new locks taken at the same two call sites (0x%lx, "
				            "0x%lx); further ones there are not recorded",
				            LH_PAIRS_PER_SITE, (unsigned long)h->ra, (unsigned long)a->ra);
			}
			goto out;
		}
		nthreads = kset_get(&threads_by_ctx, key, &ctx_new);
		if (!nthreads)
			goto out;
		if (ctx_new)
			site_count(site);
	} else {
		nthreads = kset_get(&threads_by_ctx, key, &ctx_new);
		if (!nthreads)
			goto out;
	}
	/* enough threads recorded this context already: nothing to remember
	 * per thread either (thread churn must not grow the sets) */
	if (!ctx_new && thr_done(val_get(nthreads), key, t->id)) {
		written = 0;
		goto out;
	}
	if (!thr_add(nthreads, key, t->id))
		goto out;
	if (ctx_new)
		count_kind(h, id, to_mode, gates);
	edge_fill(io, t, h, lk, id, a, ec, &e);
	/* the gate set, at most LH_MAX_GATES of it (the key has all of it) */
	for (g = 0, j = 0; j < t->n_held; j++) {
		if (j == i)
			continue;
		if (g == LH_MAX_GATES) {
			if (!gates_noted) {
				gates_noted = 1;
				lh_log_note("thread T%u acquired a lock while holding %d others; only %d of "
				            "them are recorded as its gate set, so a cycle that the others "
				            "make harmless may be reported",
				            t->id, t->n_held - 1, LH_MAX_GATES);
			}
			break;
		}
		lock_written(io, t->held[j].lk, t->held[j].lock_id);
		g_out[g].lock_id = t->held[j].lock_id;
		g_out[g].mode = t->held[j].mode;
		g_out[g].pad = 0;
		g++;
	}
	e.n_gates = (uint32_t)g;
	lock_written(io, h->lk, h->lock_id);
	lock_written(io, lk, id);
	/* a pair record in the edge's context, or the whole record */
	if (!write_pair(io, t, &e, g_out, g)) {
		e.time_ns = io->now_ns();
		io->write_edge(t, &e, g_out, g);
	}
	written = 1;
out:
	lh_mu_unlock(&lh_edge_mu);
	lh_in_shim--;
	return written;
}

/* ---- instance orders by lock class ----
 * A program with many locks of one kind (memcached: an item lock of
 * thousands, then one of 16 LRU locks) forms more instance orders than the
 * per-thread cache holds, and each miss looked the context up in
 * threads_by_ctx: a cache miss per nested acquisition.  So locks are
 * grouped in classes, as lockdep keys them: a lock initialized at a call
 * path (its init stack) is of that path's class, per kind; a lock with no
 * init stack (a static initializer, first use without init) is a class of
 * its own, index 0 (up to LH_CLS_SINGLES such classes), so memcached's item
 * locks into its static slabs and stats locks (and those into item locks)
 * are answered by maps too.  Each lock
 * identity of a class gets a small dense index when it is first in an
 * order (class_of), and each thread keeps, per context of an order between
 * two classes with no gates (both classes, both call sites, both modes), a
 * bitmap indexed by the two locks' indices: its bit set means the thread
 * has recorded that instance order in this log epoch, and the bit is the
 * record (log format 5): the map's segments are LH_REC_CLS_MAP records
 * whose bitmaps are mapped from the log file (io's map_cls_bits), so
 * setting a bit is one store into the page cache, and each lock with an
 * index gets an LH_REC_CLS_MEMBER after its LOCK record (member_written)
 * so the reader can name the bit's locks.  Orders a map answers never go
 * through the global sets (one key per pair of instances there was most of
 * the shim's memory on memcached-mix) nor write pair records (most of its
 * log).  An order record_edge would skip (past its call sites' quota)
 * sets no bit and goes to record_edge, which notes it; it is asked again,
 * so it is recorded once its lock is recorded through another order, as
 * without the maps.  The question touches one bit of a map that stays in
 * the thread's cache.  Outside the maps, nothing changes: locks with no
 * init stack past LH_CLS_SINGLES, orders with gates, an index of
 * LH_CLS_FROM_IDX or more at the held end or of LH_CLS_TO_IDX or more at
 * the acquired end, a thread's contexts past LH_CLS_MAPS, classes past
 * LH_CLS_MAX, a log written by writev (no segment can be mapped): those
 * take the per-thread cache, the global sets and pair records as before
 * (slower, nothing lost, so no note).
 * cls_word (shim.h): identity's low 32 bits << 32 | CLS_HAS | class << 12 |
 * index, or CLS_NONE for a lock that gets no index. */
#define LH_CLS_FROM_IDX 4096 /* indices of the held end a map covers */
#define LH_CLS_TO_IDX 256    /* indices of the acquired end a map covers */
#define LH_CLS_MAPS 16       /* contexts with a map, per thread */
#define LH_CLS_MAX (1u << 18) /* classes given a number */
#define LH_CLS_SINGLES 4096   /* of them, classes of one lock with no init stack */
#define CLS_SINGLE_TAG 0x53494e474c45ull /* keys those apart from init stacks */
#define CLS_HAS 0x80000000u
#define CLS_NONE 0x40000000u
#define CLS_IDX_BITS 12 /* the index field; larger indices are CLS_NONE */
#define CLS_NO(w) (((uint32_t)(w) & ~(CLS_HAS | CLS_NONE)) >> CLS_IDX_BITS)
#define CLS_IDX(w) ((uint32_t)(w) & ((1u << CLS_IDX_BITS) - 1))
_Static_assert(LH_CLS_FROM_IDX <= 1u << CLS_IDX_BITS && LH_CLS_TO_IDX <= 1u << CLS_IDX_BITS,
               "a map's indices fit the index field");
_Static_assert(LH_CLS_MAX <= 1u << (30 - CLS_IDX_BITS), "class numbers fit cls_word");

/* a map's context, compared whole (no hash on the hot path) */
struct cls_ctx {
	uintptr_t from_ra, to_ra;
	uint32_t from_cls, to_cls;
	uint32_t modes; /* from_mode << 1 | to_mode */
};
/* A map's bitmap is the LH_REC_CLS_MAP records of its segments: rows
 * (acquired-end indices) in groups of LH_CLS_SEG_ROWS, each group written
 * and mapped from the log file when a bit in it is first set (io's
 * map_cls_bits), so a map of the few rows a program uses costs a few pages
 * of log.  seg[i][s] NULL: not written yet (every bit clear). */
#define LH_CLS_SEG_ROWS 16
#define LH_CLS_SEGS (LH_CLS_TO_IDX / LH_CLS_SEG_ROWS)
#define LH_CLS_SEG_BYTES (LH_CLS_SEG_ROWS * LH_CLS_FROM_IDX / 8) /* 8 KiB: whole pages */
_Static_assert(LH_CLS_TO_IDX % LH_CLS_SEG_ROWS == 0 && LH_CLS_FROM_IDX % 8 == 0,
               "a map is whole segments of whole bytes");
/* A tuple map's context: the participants of an acquisition under gates
 * (the held locks in order, then the acquired one; n of them), each with
 * its call site, class and mode, and which of them are pinned: member 0 of
 * their class (the other two index the bitmap).  Zeroed past n, so it is
 * compared whole. */
#define LH_TUP_MAPS 16 /* tuple maps per thread */
struct tup_ctx {
	uintptr_t ra[LH_CLS_TUPLE_MAX];
	uint32_t cls[LH_CLS_TUPLE_MAX];
	uint8_t mode[LH_CLS_TUPLE_MAX];
	uint8_t n;
	uint8_t pinned; /* bit p: participant p is member 0 */
	uint8_t pad[2];
};
struct lh_cls_maps {
	/* tuple maps (orders under gates, LH_REC_CLS_TUPLE): map i < tn has
	 * context tctx[i], its edges' contexts tctx_id[i], the participants
	 * of its columns and rows tcol[i], trow[i], and its segments */
	struct tup_ctx tctx[LH_TUP_MAPS];
	uint32_t tctx_id[LH_TUP_MAPS][LH_CLS_TUPLE_MAX - 1];
	uint8_t tcol[LH_TUP_MAPS], trow[LH_TUP_MAPS];
	unsigned char *tseg[LH_TUP_MAPS][LH_CLS_SEGS];
	int tn;
	struct cls_ctx ctx[LH_CLS_MAPS]; /* the context of map i < n */
	/* the edge context (LH_REC_EDGE_CTX) map i's bits are orders of: one
	 * map context has a map per edge context its orders were first seen
	 * in (call paths that reach the same call sites) */
	uint32_t ctx_id[LH_CLS_MAPS];
	unsigned char *seg[LH_CLS_MAPS][LH_CLS_SEGS];
	/* a segment could not be written to the log (not mapped): this
	 * thread's orders take the global sets and pair records from here, as
	 * without maps, until lh_edge_thread_reset */
	int off;
	int n;    /* maps in use */
	int last; /* the map found last (looked at first) */
	void (*unmap)(void *bits, size_t n_bytes); /* io's, for lh_edge_thread_reset */
};

static inline int cls_ctx_is(const struct cls_ctx *c, const struct cls_ctx *k)
{
	return c->from_ra == k->from_ra && c->to_ra == k->to_ra && c->from_cls == k->from_cls &&
	       c->to_cls == k->to_cls && c->modes == k->modes;
}

/* class key -> (class number << 32 | indices given); under lh_edge_mu */
static struct kset classes;
static uint32_t n_classes, n_singles;

/* caller holds lh_edge_mu and the LOCK record of (lk, id) is in the
 * current log: write its LH_REC_CLS_MEMBER if it has a class index (the
 * reader turns map bits into locks with them) */
static void member_written_as(const struct lh_edge_io *io, uint64_t w, uint64_t id)
{
	struct lh_rec_cls_member r;

	if (!io->write_cls_member || (w >> 32) != (uint32_t)id || !(w & CLS_HAS))
		return;
	r.cls = CLS_NO(w);
	r.idx = CLS_IDX(w);
	r.lock_id = id;
	io->write_cls_member(&r);
}

static void member_written(const struct lh_edge_io *io, struct lh_lock *lk, uint64_t id)
{
	member_written_as(io, __atomic_load_n(&lk->cls_word, __ATOMIC_RELAXED), id);
}

/* the class word of (lk, id), given now if it has none (takes lh_edge_mu) */
static __attribute__((noinline)) uint64_t class_give(const struct lh_edge_io *io, struct lh_lock *lk,
                                                     uint64_t id)
{
	uint64_t tag = (uint64_t)(uint32_t)id << 32, w;
	uint32_t stack = __atomic_load_n(&lk->init_stack, __ATOMIC_RELAXED);
	uint16_t kind = __atomic_load_n(&lk->kind, __ATOMIC_RELAXED);

	lh_in_shim++;
	lh_mu_lock(&lh_edge_mu);
	w = __atomic_load_n(&lk->cls_word, __ATOMIC_ACQUIRE);
	if ((w & ~(uint64_t)UINT32_MAX) != tag || !(w & (CLS_HAS | CLS_NONE))) {
		int is_new;
		uint64_t *v = NULL;
		w = tag | CLS_NONE;
		if (kind != LH_LOCK_COND && lh_lid_peek(lk) == id) {
			if (stack)
				v = kset_get(&classes, mix(stack, kind) | 1, &is_new);
			else if (n_singles < LH_CLS_SINGLES) {
				/* no init stack: a class of its own (index 0) */
				v = kset_get(&classes, mix(mix(id, kind), CLS_SINGLE_TAG) | 1, &is_new);
				n_singles += v && is_new;
			}
		}
		if (v) {
			uint64_t x = val_get(v);
			if (is_new) {
				x = n_classes < LH_CLS_MAX ? (uint64_t)n_classes++ << 32 : UINT64_MAX;
				val_set(v, x);
			}
			if (x != UINT64_MAX && (uint32_t)x < (1u << CLS_IDX_BITS)) {
				w = tag | CLS_HAS | (x >> 32) << CLS_IDX_BITS | (uint32_t)x;
				val_set(v, x + 1);
			}
		}
		/* its LOCK record came first (through another order): the
		 * member record follows it now, before the class is seen
		 * (map_order_quick sets bits of a lock whose records are in the
		 * log and whose class it sees, without lh_edge_mu) */
		if (lk->emitted_id == id &&
		    lk->emitted_epoch == __atomic_load_n(&lh_log_epoch, __ATOMIC_RELAXED))
			member_written_as(io, w, id);
		__atomic_store_n(&lk->cls_word, w, __ATOMIC_RELEASE);
	}
	lh_mu_unlock(&lh_edge_mu);
	lh_in_shim--;
	return w;
}

static inline uint64_t class_of(const struct lh_edge_io *io, struct lh_lock *lk, uint64_t id)
{
	uint64_t w = __atomic_load_n(&lk->cls_word, __ATOMIC_ACQUIRE);

	if (likely((w >> 32) == (uint32_t)id && (w & (CLS_HAS | CLS_NONE))))
		return w;
	return class_give(io, lk, id);
}

/* Is the order h -> (lk, id) (a's call site, to_mode) one t's maps
 * cover?  Then *k is its map context and *fi, *ti the two locks' indices. */
static int cls_key(const struct lh_edge_io *io, struct lh_thread *t, const struct lh_held *h,
                   struct lh_lock *lk, uint64_t id, const struct lh_acq *a, unsigned to_mode,
                   struct cls_ctx *k, uint32_t *fi, uint32_t *ti)
{
	uint64_t wf, wt;
	struct lh_cls_maps *m = t->cls_maps;
	int i;

	if (!io->map_cls_bits || !io->write_cls_member || (m && m->off))
		return 0;
	wf = class_of(io, h->lk, h->lock_id);
	if (!(wf & CLS_HAS) || (*fi = CLS_IDX(wf)) >= LH_CLS_FROM_IDX)
		return 0;
	wt = class_of(io, lk, id);
	if (!(wt & CLS_HAS) || (*ti = CLS_IDX(wt)) >= LH_CLS_TO_IDX)
		return 0;
	/* two locks each alone in its class: the per-thread cache holds them */
	if (*fi == 0 && *ti == 0)
		return 0;
	k->from_ra = h->ra;
	k->to_ra = a->ra;
	k->from_cls = CLS_NO(wf);
	k->to_cls = CLS_NO(wt);
	k->modes = (uint32_t)(h->mode << 1) | to_mode;
	if (unlikely(!m)) {
		m = lh_alloc(sizeof(*m));
		if (!m)
			return 0;
		m->unmap = io->unmap_cls_bits;
		t->cls_maps = m;
	}
	if (m->n < LH_CLS_MAPS)
		return 1;
	/* all maps in use: covered only if one has this context */
	for (i = 0; i < m->n; i++)
		if (cls_ctx_is(&m->ctx[i], k))
			return 1;
	return 0;
}

/* the byte of a segment that holds the bit of column fi, row ti (bit fi & 7) */
static inline size_t seg_byte(uint32_t fi, uint32_t ti)
{
	return ((ti % LH_CLS_SEG_ROWS) * LH_CLS_FROM_IDX + fi) / 8;
}

static inline int seg_bit(const unsigned char *seg, uint32_t fi, uint32_t ti)
{
	return seg && (seg[seg_byte(fi, ti)] & (1u << (fi & 7)));
}

/* Has t recorded the order (fi, ti) of map context k, in any of the maps
 * of k (one per edge context: call paths that reach the same call sites)?
 * The map found last is looked at first. */
static int cls_seen(struct lh_cls_maps *m, const struct cls_ctx *k, uint32_t fi, uint32_t ti)
{
	int i = m->last;

	if (i < m->n && cls_ctx_is(&m->ctx[i], k) && seg_bit(m->seg[i][ti / LH_CLS_SEG_ROWS], fi, ti))
		return 1;
	for (i = 0; i < m->n; i++)
		if (cls_ctx_is(&m->ctx[i], k) && seg_bit(m->seg[i][ti / LH_CLS_SEG_ROWS], fi, ti)) {
			m->last = i;
			return 1;
		}
	return 0;
}

/* The wrappers' fast path (wrap.h), when the held lock's memo names
 * another order: is h -> (lk, id) known to t's class maps?  Only reads
 * (but the thread's own m->last): no class is given, no map made, no lock
 * taken, so a thread that cycles over thousands of item locks under a few
 * LRU locks stays on the fast path.  0 sends the acquisition to the full
 * path (add_edges), which answers the same question and more. */
int lh_edge_known(const struct lh_thread *t, const struct lh_held *h, const struct lh_lock *lk,
                  uint64_t id, uintptr_t ra, unsigned to_mode)
{
	struct lh_cls_maps *m = t->cls_maps;
	uint64_t wf, wt;
	uint32_t fi, ti;
	struct cls_ctx k;
	int i;

	if (!m || !m->n)
		return 0;
	wf = __atomic_load_n(&h->lk->cls_word, __ATOMIC_ACQUIRE);
	wt = __atomic_load_n(&lk->cls_word, __ATOMIC_ACQUIRE);
	if ((wf >> 32) != (uint32_t)h->lock_id || !(wf & CLS_HAS) ||
	    (fi = CLS_IDX(wf)) >= LH_CLS_FROM_IDX || (wt >> 32) != (uint32_t)id || !(wt & CLS_HAS) ||
	    (ti = CLS_IDX(wt)) >= LH_CLS_TO_IDX)
		return 0;
	/* the map found last, compared field by field: a struct cls_ctx built
	 * on the stack and compared at once stalled on the narrow stores of
	 * its class numbers (most of this function's samples in itemlru) */
	i = m->last;
	if (i < m->n && m->ctx[i].from_ra == h->ra && m->ctx[i].to_ra == ra &&
	    m->ctx[i].from_cls == CLS_NO(wf) && m->ctx[i].to_cls == CLS_NO(wt) &&
	    m->ctx[i].modes == ((uint32_t)(h->mode << 1) | to_mode) &&
	    seg_bit(m->seg[i][ti / LH_CLS_SEG_ROWS], fi, ti))
		return 1;
	k.from_ra = h->ra;
	k.to_ra = ra;
	k.from_cls = CLS_NO(wf);
	k.to_cls = CLS_NO(wt);
	k.modes = (uint32_t)(h->mode << 1) | to_mode;
	return cls_seen(m, &k, fi, ti);
}

/* The order h -> (lk, id) of map context k (indices fi, ti), which t has
 * not recorded: recorded by setting its bit in the map of k and of its
 * edge context (made now if there is none) (1), or -2 if no map takes it:
 * a new lock past its call sites' quota (LH_PAIRS_PER_SITE: record_edge
 * skips it and writes the note; no bit is set, so it is asked again), no
 * map left (LH_CLS_MAPS), or a segment that cannot be written to the log
 * (then none of t's maps takes more orders: the log is written by writev
 * from here): the caller records it as without maps.  The LOCK and member
 * records of both locks come before the bit.  Caller holds no lock. */
/* map_order's common case, without lh_edge_mu: both locks' records are
 * in the current log (no quota to count, nothing to write), the stacks of
 * the acquisition's call path are known (stacks_by_path), their edge
 * context is in the current log (edge_ctxs) and t has a map of it whose
 * segment for ti is mapped.  Only lock-free reads of the global sets and
 * t's own maps; 1 recorded, 0 not answered (map_order takes the lock). */
static int map_order_quick(const struct lh_edge_io *io, struct lh_thread *t, struct lh_lock *lk,
                           uint64_t id, const struct lh_acq *a, struct edge_ctx *ec,
                           const struct cls_ctx *k, uint32_t fi, uint32_t ti)
{
	struct lh_cls_maps *m = t->cls_maps;
	const struct lh_held *h = &t->held[0];
	uint32_t epoch = __atomic_load_n(&lh_log_epoch, __ATOMIC_RELAXED);
	uint64_t path, v, *sv, *cv;
	struct lh_rec_edge e;
	unsigned char *seg;
	uint32_t ctx;
	int i;

	if (!lock_emitted(lk, id, epoch) || !lock_emitted(h->lk, h->lock_id, epoch))
		return 0;
	path = site_stacks_key(io, ec, t, h, a);
	sv = path ? kset_peek(&stacks_by_path, path) : NULL;
	if (!sv || !(v = val_acquire(sv)))
		return 0; /* unknown, or being made */
	edge_of_val(&e, t, h, id, a, v); /* as edge_fill makes it from known stacks */
	cv = kset_peek(&edge_ctxs, ctx_key(&e, NULL, 0));
	if (!cv || (uint32_t)((v = val_acquire(cv)) >> 32) != epoch || !(ctx = (uint32_t)v))
		return 0;
	for (i = 0; i < m->n; i++)
		if (m->ctx_id[i] == ctx && cls_ctx_is(&m->ctx[i], k))
			break;
	if (i == m->n || !(seg = m->seg[i][ti / LH_CLS_SEG_ROWS]))
		return 0;
	m->last = i;
	seg[seg_byte(fi, ti)] |= (unsigned char)(1u << (fi & 7));
	return 1;
}

static int map_order(const struct lh_edge_io *io, struct lh_thread *t, struct lh_lock *lk,
                     uint64_t id, const struct lh_acq *a, struct edge_ctx *ec,
                     const struct cls_ctx *k, uint32_t fi, uint32_t ti)
{
	struct lh_cls_maps *m = t->cls_maps;
	struct lh_held *h = &t->held[0];
	unsigned to_mode = (a->flags & LH_ACQ_SHARED) ? LH_MODE_SHARED : LH_MODE_EXCL;
	unsigned char **seg;
	uint64_t site = 0;
	struct lh_rec_edge e;
	uint32_t ctx;
	int r = -2, i;

	if (map_order_quick(io, t, lk, id, a, ec, k, fi, ti))
		return 1;
	lh_in_shim++;
	lh_mu_lock(&lh_edge_mu);
	/* the quota of record_edge: a new lock at these call sites counts */
	if (lk->emitted_id != id || lk->emitted_epoch != __atomic_load_n(&lh_log_epoch, __ATOMIC_RELAXED)) {
		site = site_key(h, a, to_mode);
		if (site_spent(site))
			goto out; /* record_edge skips it, with its note */
	}
	edge_fill(io, t, h, lk, id, a, ec, &e);
	ctx = ctx_of(io, t, &e, NULL, 0);
	if (!ctx)
		goto out;
	for (i = 0; i < m->n; i++)
		if (m->ctx_id[i] == ctx && cls_ctx_is(&m->ctx[i], k))
			break;
	if (i == m->n) {
		if (m->n == LH_CLS_MAPS)
			goto out;
		m->ctx[i] = *k;
		m->ctx_id[i] = ctx;
		memset(m->seg[i], 0, sizeof(m->seg[i]));
		m->n++;
	}
	seg = &m->seg[i][ti / LH_CLS_SEG_ROWS];
	if (!*seg) {
		struct lh_rec_cls_map rec;
		memset(&rec, 0, sizeof(rec));
		rec.ctx_id = ctx;
		rec.from_cls = k->from_cls;
		rec.to_cls = k->to_cls;
		rec.row0 = ti - ti % LH_CLS_SEG_ROWS;
		rec.n_rows = LH_CLS_SEG_ROWS;
		rec.n_from = LH_CLS_FROM_IDX;
		*seg = io->map_cls_bits(&rec, LH_CLS_SEG_BYTES);
		if (!*seg) {
			m->off = 1;
			goto out;
		}
	}
	m->last = i;
	if (site)
		site_count(site);
	lock_written(io, h->lk, h->lock_id);
	lock_written(io, lk, id);
	(*seg)[seg_byte(fi, ti)] |= (unsigned char)(1u << (fi & 7));
	r = 1;
out:
	lh_mu_unlock(&lh_edge_mu);
	lh_in_shim--;
	return r;
}

/* ---- tuple maps: orders under gates ----
 * An acquisition made while holding two or three locks forms an order from
 * each, its gates the others (memcached's LRU maintainer holds a lock of
 * its own and an item lock when it takes an LRU lock: an order per triple
 * of instances, half of memcached-mix's pair records).  When all but two of
 * its participants are member 0 of their classes (a lock of a class of its
 * own always is), the two others index a bitmap as the class maps' two
 * ends do, and a bit stands for the acquisition's orders together.  The
 * participant with the larger index at the map's making gets the columns
 * (LH_CLS_FROM_IDX of them), the other the rows (LH_CLS_TO_IDX); an
 * acquisition whose indices do not fit a map of its context that way gets
 * a second map with the roles the other way round (memcached's LRU
 * maintainer first met an item lock of a low index, then took thousands
 * more under the same LRU locks).  An index past both ways, more than two
 * participants past member 0, a thread's tuple maps past LH_TUP_MAPS: the
 * orders take the global sets and records
 * as before (nothing lost, so no note).  Same log records, quota and
 * fallback as the class maps (map_order). */

/* Is the acquisition of (lk, id) under t's held locks one a tuple map may
 * cover?  Then *k is its context and idx[] its participants' indices. */
/* The participants of the acquisition of (lk, id) at call site ra, in
 * to_mode, under t's held locks (at most LH_CLS_TUPLE_MAX in all), as a
 * tuple map's context *k and indices idx[]: 1 when exactly two of them are
 * past member 0 of their class.  With io a lock without a class is given
 * one (class_of); with io NULL they are only read, and such a lock
 * answers 0. */
static int tup_participants(const struct lh_edge_io *io, const struct lh_thread *t, struct lh_lock *lk,
                            uint64_t id, uintptr_t ra, unsigned to_mode, struct tup_ctx *k,
                            uint32_t *idx)
{
	int n = t->n_held + 1, p, n_free = 0;

	memset(k, 0, sizeof(*k));
	k->n = (uint8_t)n;
	for (p = 0; p < n; p++) {
		const struct lh_held *h = p < n - 1 ? &t->held[p] : NULL;
		struct lh_lock *l = h ? h->lk : lk;
		uint64_t lid = h ? h->lock_id : id;
		uint64_t w = io ? class_of(io, l, lid) : __atomic_load_n(&l->cls_word, __ATOMIC_ACQUIRE);
		if ((w >> 32) != (uint32_t)lid || !(w & CLS_HAS))
			return 0;
		idx[p] = CLS_IDX(w);
		k->cls[p] = CLS_NO(w);
		k->ra[p] = h ? h->ra : ra;
		k->mode[p] = (uint8_t)(h ? h->mode : to_mode);
		if (idx[p] == 0)
			k->pinned |= (uint8_t)(1u << p);
		else
			n_free++;
	}
	return n_free == 2;
}

static int tup_key(const struct lh_edge_io *io, struct lh_thread *t, struct lh_lock *lk, uint64_t id,
                   const struct lh_acq *a, unsigned to_mode, struct tup_ctx *k, uint32_t *idx)
{
	struct lh_cls_maps *m = t->cls_maps;

	if (!io->map_tuple_bits || !io->write_cls_member || t->n_held + 1 > LH_CLS_TUPLE_MAX ||
	    (m && m->off))
		return 0;
	if (!tup_participants(io, t, lk, id, a->ra, to_mode, k, idx))
		return 0;
	if (unlikely(!m)) {
		m = lh_alloc(sizeof(*m));
		if (!m)
			return 0;
		m->unmap = io->unmap_cls_bits;
		t->cls_maps = m;
	}
	return 1;
}

static inline int tup_bit(const struct lh_cls_maps *m, int i, const uint32_t *idx)
{
	uint32_t c = idx[m->tcol[i]], r = idx[m->trow[i]];

	return c < LH_CLS_FROM_IDX && r < LH_CLS_TO_IDX && seg_bit(m->tseg[i][r / LH_CLS_SEG_ROWS], c, r);
}

/* has t recorded the acquisition of context k, indices idx, in any map? */
static int tup_seen(const struct lh_cls_maps *m, const struct tup_ctx *k, const uint32_t *idx)
{
	int i;

	for (i = 0; i < m->tn; i++)
		if (!memcmp(&m->tctx[i], k, sizeof(*k)) && tup_bit(m, i, idx))
			return 1;
	return 0;
}

/* The wrappers' fast path (wrap.h) for a thread holding two or three
 * locks: is the acquisition of (lk, id) at call site ra one t's tuple maps
 * have recorded?  tup_key and tup_seen with reads only: no class is given
 * (a lock without one answers 0), no map made, no lock taken.  0 sends the
 * acquisition to the full path (add_edges), which answers the same
 * question and more. */
int lh_tuple_known(const struct lh_thread *t, struct lh_lock *lk, uint64_t id, uintptr_t ra,
                   unsigned to_mode)
{
	const struct lh_cls_maps *m = t->cls_maps;
	uint32_t idx[LH_CLS_TUPLE_MAX];
	struct tup_ctx k;

	if (!m || !m->tn || m->off || t->n_held + 1 > LH_CLS_TUPLE_MAX)
		return 0;
	return tup_participants(NULL, t, lk, id, ra, to_mode, &k, idx) && tup_seen(m, &k, idx);
}

/* The acquisition of (lk, id) of tuple context k, which t has not
 * recorded: its orders recorded by a bit (1), or -2 as map_order's.
 * Caller holds no lock. */
static int tup_order(const struct lh_edge_io *io, struct lh_thread *t, struct lh_lock *lk,
                     uint64_t id, const struct lh_acq *a, struct edge_ctx *ec,
                     const struct tup_ctx *k, const uint32_t *idx)
{
	struct lh_cls_maps *m = t->cls_maps;
	unsigned to_mode = (a->flags & LH_ACQ_SHARED) ? LH_MODE_SHARED : LH_MODE_EXCL;
	int n = k->n, nh = n - 1, r = -2, i, j, g, q, lk_new;
	uint64_t sites[LH_CLS_TUPLE_MAX], all_gates = 0;
	uint32_t ctx[LH_CLS_TUPLE_MAX - 1], c, rw;
	unsigned char **seg;

	lh_in_shim++;
	lh_mu_lock(&lh_edge_mu);
	lk_new = lk->emitted_id != id ||
	         lk->emitted_epoch != __atomic_load_n(&lh_log_epoch, __ATOMIC_RELAXED);
	for (i = 0; i < nh; i++) {
		const struct lh_held *h = &t->held[i];
		sites[i] = site_key(h, a, to_mode);
		if (lk_new && site_spent(sites[i]))
			goto out; /* record_edge skips it, with its note */
		all_gates += gate_term(h);
	}
	for (i = 0; i < nh; i++) {
		struct lh_rec_gate gs[LH_CLS_TUPLE_MAX];
		struct lh_rec_edge e;
		for (g = 0, j = 0; j < nh; j++)
			if (j != i) {
				gs[g].lock_id = t->held[j].lock_id;
				gs[g].mode = t->held[j].mode;
				gs[g++].pad = 0;
			}
		edge_fill(io, t, &t->held[i], lk, id, a, ec, &e);
		e.n_gates = (uint32_t)g;
		ctx[i] = ctx_of(io, t, &e, gs, g);
		if (!ctx[i])
			goto out;
	}
	/* a map of this context whose columns and rows hold these indices: the
	 * roles were given by the indices of the map's first acquisition, so a
	 * later one may need the other way round (a second map) */
	for (i = 0; i < m->tn; i++)
		if (!memcmp(&m->tctx[i], k, sizeof(*k)) &&
		    !memcmp(m->tctx_id[i], ctx, (size_t)nh * sizeof(ctx[0])) &&
		    idx[m->tcol[i]] < LH_CLS_FROM_IDX && idx[m->trow[i]] < LH_CLS_TO_IDX)
			break;
	if (i == m->tn) {
		int p0 = -1, p1 = -1;
		if (m->tn == LH_TUP_MAPS)
			goto out;
		for (q = 0; q < n; q++)
			if (!(k->pinned & (1u << q)))
				*(p0 < 0 ? &p0 : &p1) = q;
		m->tctx[i] = *k;
		memset(m->tctx_id[i], 0, sizeof(m->tctx_id[i]));
		memcpy(m->tctx_id[i], ctx, (size_t)nh * sizeof(ctx[0]));
		m->tcol[i] = (uint8_t)(idx[p0] >= idx[p1] ? p0 : p1);
		m->trow[i] = (uint8_t)(idx[p0] >= idx[p1] ? p1 : p0);
		memset(m->tseg[i], 0, sizeof(m->tseg[i]));
		m->tn++;
	}
	c = idx[m->tcol[i]];
	rw = idx[m->trow[i]];
	if (c >= LH_CLS_FROM_IDX || rw >= LH_CLS_TO_IDX)
		goto out;
	seg = &m->tseg[i][rw / LH_CLS_SEG_ROWS];
	if (!*seg) {
		struct lh_rec_cls_tuple rec;
		memset(&rec, 0, sizeof(rec));
		rec.n_part = (uint32_t)n;
		rec.col_part = m->tcol[i];
		rec.row_part = m->trow[i];
		rec.row0 = rw - rw % LH_CLS_SEG_ROWS;
		rec.n_rows = LH_CLS_SEG_ROWS;
		rec.n_from = LH_CLS_FROM_IDX;
		memcpy(rec.cls, k->cls, sizeof(rec.cls));
		memcpy(rec.ctx_id, ctx, (size_t)nh * sizeof(ctx[0]));
		*seg = io->map_tuple_bits(&rec, LH_CLS_SEG_BYTES);
		if (!*seg) {
			m->off = 1;
			goto out;
		}
	}
	for (i = 0; i < nh; i++) {
		const struct lh_held *h = &t->held[i];
		if (lk_new)
			site_count(sites[i]);
		count_kind(h, id, to_mode, all_gates - gate_term(h));
		lock_written(io, h->lk, h->lock_id);
	}
	lock_written(io, lk, id);
	(*seg)[seg_byte(c, rw)] |= (unsigned char)(1u << (c & 7));
	r = 1;
out:
	lh_mu_unlock(&lh_edge_mu);
	lh_in_shim--;
	return r;
}

int lh_edge_cls_maps_used(const struct lh_thread *t)
{
	return t->cls_maps ? t->cls_maps->n : 0;
}

void lh_edge_thread_reset(struct lh_thread *t)
{
	struct lh_cls_maps *m = t->cls_maps;

	int i, j;

	if (t->edge_cache)
		memset(t->edge_cache, 0, ((size_t)t->edge_mask + 1) * sizeof(*t->edge_cache));
	for (i = 0; t->lock_cache && (uint32_t)i <= t->lock_mask; i++)
		t->lock_cache[i].memo_to_id = 0;
	if (m && m->n) {
		/* the segments are records of the log this thread wrote to (a
		 * fork child's: the parent's, not to be touched) */
		for (i = 0; i < m->n; i++)
			for (j = 0; j < LH_CLS_SEGS; j++)
				if (m->seg[i][j] && m->unmap)
					m->unmap(m->seg[i][j], LH_CLS_SEG_BYTES);
		memset(m->seg, 0, sizeof(m->seg));
		m->n = 0;
		m->last = 0;
	}
	if (m && m->tn) {
		for (i = 0; i < m->tn; i++)
			for (j = 0; j < LH_CLS_SEGS; j++)
				if (m->tseg[i][j] && m->unmap)
					m->unmap(m->tseg[i][j], LH_CLS_SEG_BYTES);
		memset(m->tseg, 0, sizeof(m->tseg));
		m->tn = 0;
	}
	if (m)
		m->off = 0;
}

/* The per-thread cache answers most acquisitions, but a thread that takes
 * thousands of distinct pairs over and over (memcached: an item lock of
 * thousands, then an LRU lock) misses it each time and looks the context
 * up in the global sets, a cache miss each.  Such a thread's cache grows
 * 4x (to at most LH_EDGE_CACHE_MAX entries) once its misses since the last
 * growth that found a known context outnumber its size (a direct-mapped
 * cache as full as it is large hits only about 1 in e of keys taken in a
 * cycle); a thread that only forms new contexts keeps the small one. */
static void edge_cache_grow(struct lh_thread *t)
{
	size_t n = ((size_t)t->edge_mask + 1) * 4;
	uint64_t *nc;

	t->known_misses = 0;
	if (n > LH_EDGE_CACHE_MAX)
		return;
	nc = lh_alloc(n * sizeof(*nc)); /* zeroed: the shim's memory comes from mmap */
	if (!nc)
		return;
	t->edge_cache = nc; /* starts empty: the next misses fill it */
	t->edge_mask = (uint32_t)(n - 1);
}

static void add_edges(const struct lh_edge_io *io, struct lh_thread *t, struct lh_lock *lk,
                      uint64_t id, const struct lh_acq *a)
{
	uint64_t all_gates = 0;
	unsigned to_mode = (a->flags & LH_ACQ_SHARED) ? 1 : 0;
	uint32_t epoch = __atomic_load_n(&lh_log_epoch, __ATOMIC_RELAXED);
	struct edge_ctx ec;
	int i;

	if (unlikely(!t->edge_cache)) {
		t->edge_cache = t->edge_cache0;
		t->edge_mask = LH_EDGE_CACHE - 1;
	}
	if (unlikely(t->log_epoch != epoch)) {
		lh_edge_thread_reset(t);
		t->log_epoch = epoch;
	}
	ec.unwound = 0;
	ec.traced = 0;
	if (t->n_held == 1) {
		/* no gates: the class maps may answer */
		uint32_t fi, ti;
		struct cls_ctx k;
		if (cls_key(io, t, &t->held[0], lk, id, a, to_mode, &k, &fi, &ti)) {
			if (cls_seen(t->cls_maps, &k, fi, ti) ||
			    map_order(io, t, lk, id, a, &ec, &k, fi, ti) == 1)
				goto memo;
		}
	} else if (t->n_held < LH_CLS_TUPLE_MAX) {
		/* two or three held: a tuple map may answer */
		uint32_t idx[LH_CLS_TUPLE_MAX];
		struct tup_ctx k;
		if (tup_key(io, t, lk, id, a, to_mode, &k, idx) &&
		    (tup_seen(t->cls_maps, &k, idx) || tup_order(io, t, lk, id, a, &ec, &k, idx) == 1))
			return;
	}
	for (i = 0; i < t->n_held; i++)
		all_gates += gate_term(&t->held[i]);
	for (i = 0; i < t->n_held; i++) {
		const struct lh_held *h = &t->held[i];
		uint64_t gates = all_gates - gate_term(h);
		uint64_t key = lh_edge_key(h->lock_id, id, h->mode, to_mode, h->ra, a->ra, gates);
		size_t slot = (size_t)(key >> 20) & t->edge_mask;

		if (likely(t->edge_cache[slot] == key))
			continue;
		if (record_edge(io, t, i, lk, id, a, key, gates, &ec) == 0 &&
		    ++t->known_misses > t->edge_mask + 1) {
			edge_cache_grow(t);
			slot = (size_t)(key >> 20) & t->edge_mask;
		}
		t->edge_cache[slot] = key;
	}
memo:
	if (t->n_held == 1) {
		const struct lh_held *h = &t->held[0];
		struct lh_lock_ce *e = t->lock_cache ? lh_lc_entry(t, h->addr) : NULL;
		if (e && e->addr == h->addr) {
			e->memo_from_id = h->lock_id;
			e->memo_from_ra = h->ra;
			e->memo_to_id = id;
			e->memo_to_ra = a->ra;
			e->memo_modes = (uint32_t)(h->mode << 1) | (uint32_t)to_mode;
		}
	}
}

/* ---- the held-lock stack ---- */

int lh_held_find(const struct lh_thread *t, const void *addr)
{
	int i;

	for (i = t->n_held - 1; i >= 0; i--)
		if (t->held[i].addr == addr)
			return i;
	return -1;
}

/* drop held[i]; the entries above it move down (acquisition order kept) */
static void held_remove(struct lh_thread *t, int i)
{
	int j, n = t->n_held;

	lh_held_begin(t);
	for (j = i; j + 1 < n; j++)
		lh_held_move(t, j, j + 1);
	lh_held_set_n(t, n - 1);
	lh_held_end(t);
}

int lh_edge_acquired(const struct lh_edge_io *io, struct lh_thread *t, struct lh_lock *lk, uint64_t id,
                     const struct lh_acq *a)
{
	int i = lh_held_find(t, a->addr);

	if (i >= 0) {
		t->held[i].count++;
		return LH_ACQ_NESTED;
	}
	if (!(a->flags & LH_ACQ_TRY) && t->n_held > 0)
		add_edges(io, t, lk, id, a);
	if (unlikely(t->n_held == LH_MAX_HELD)) {
		if (!t->overflow++)
			lh_log_note("thread T%u holds more than %d locks at once; deeper locks are not "
			            "tracked",
			            t->id, LH_MAX_HELD);
		return LH_ACQ_UNTRACKED;
	}
	lh_held_push(t, t->n_held, a->addr, lk, id, a->ra, a->cfa,
	             (a->flags & LH_ACQ_SHARED) ? LH_MODE_SHARED : LH_MODE_EXCL, a->kind, t->py_cur);
	return LH_ACQ_PUSHED;
}

int lh_held_release(struct lh_thread *t, void *addr)
{
	int i = lh_held_find(t, addr);

	if (i >= 0) {
		if (--t->held[i].count == 0)
			held_remove(t, i);
		return LH_REL_RELEASED;
	}
	if (t->overflow > 0) {
		t->overflow--;
		return LH_REL_OVERFLOW;
	}
	return LH_REL_NOT_HELD;
}

/* A held semaphore stays this thread's lock only while the model says this
 * thread has that identity: another thread's post (a hand-off), a demotion
 * or a new identity at its address (sem_init again, free) end it without
 * this thread's knowledge, so its entry is dropped the next time it looks. */
int lh_held_prune_sems(struct lh_thread *t)
{
	int i, n = 0;

	for (i = t->n_held - 1; i >= 0; i--) {
		const struct lh_held *h = &t->held[i];
		if (h->kind != LH_LOCK_SEM)
			continue;
		if (lh_lid_peek(h->lk) == h->lock_id &&
		    lh_sem_holder(__atomic_load_n(&h->lk->sem_state, __ATOMIC_ACQUIRE)) == t->id)
			continue;
		held_remove(t, i);
		n++;
	}
	return n;
}

int lh_held_drop(struct lh_thread *t, void *addr)
{
	int i = lh_held_find(t, addr);

	if (i < 0)
		return 0;
	held_remove(t, i);
	return 1;
}

/* Is t about to block on a lock it holds itself, for good?  A recursive
 * mutex never gets here (its trylock succeeds); an error-checking mutex
 * returns EDEADLK instead of blocking; glibc also refuses a read lock on a
 * rwlock the thread write-holds (EDEADLK).  What is left blocks forever: a
 * normal mutex, a spinlock, and a write lock on a rwlock the thread
 * read-holds (glibc does not track readers, so it cannot refuse).  Timed
 * waits end by themselves; annotated locks are of no known type. */
int lh_edge_self_blocks(const struct lh_thread *t, const struct lh_acq *a)
{
	int i = lh_held_find(t, a->addr);

	if (i < 0 || (a->flags & LH_ACQ_TIMED))
		return 0;
	switch (a->kind) {
	case LH_LOCK_MUTEX:
	case LH_LOCK_C11_MTX:
		return !(a->lflags & (LH_LOCKF_ERRORCHECK | LH_LOCKF_RECURSIVE));
	case LH_LOCK_SPIN:
		return 1;
	case LH_LOCK_RWLOCK:
		return !(a->flags & LH_ACQ_SHARED) && t->held[i].mode == LH_MODE_SHARED;
	}
	return 0;
}

void lh_edge_after_fork_child(void)
{
	/* lh_edge_mu was re-made by lh_fork_reset_all; the child's log starts empty: contexts must be recorded again */
	memset(&ctx_by_thread, 0, sizeof(ctx_by_thread));
	memset(&threads_by_ctx, 0, sizeof(threads_by_ctx));
	memset(&pairs_by_site, 0, sizeof(pairs_by_site));
	memset(&kinds_seen, 0, sizeof(kinds_seen));
	memset(&kinds_by_edge, 0, sizeof(kinds_by_edge));
	/* the stack ids stay valid, but the child's log must get their records */
	memset(&stacks_by_path, 0, sizeof(stacks_by_path));
	memset(&edge_ctxs, 0, sizeof(edge_ctxs));
	n_ctx = 0;
	/* classes and indices stay: they only number locks (the forking
	 * thread's maps: lh_edge_thread_reset) */
}
