/*
 * rt_abi.c - the compilers' thread-sanitizer runtime interface, as gcc 12
 * and clang 14 call it under -fsanitize=thread (the list came from `nm -u`
 * on objects built with both; DESIGN.md "Exact mode" has it).  Each entry
 * point does the real operation (atomics: with the requested memory order,
 * or a stronger one) and tells the race engine.
 *
 * The hot path of a plain access: the thread's state from TLS, its access
 * context from a per-thread cache (a few loads), one rc_access call.  An
 * access from a signal handler that interrupted the runtime on the same
 * thread (busy) is not checked: the engine and the report are not re-entered.
 */
#include "rt.h"

#include <string.h>

#define CALLER_PC ((uintptr_t)__builtin_return_address(0))

typedef uint8_t a8;
typedef uint16_t a16;
typedef uint32_t a32;
typedef uint64_t a64;
typedef unsigned __int128 a128;

static inline void access1(const volatile void *addr, uint32_t size, int is_write, uintptr_t pc)
{
	struct lh_rt_thread *t = lh_rt_self;
	uint32_t ctx;

	if (unlikely(t == NULL)) {
		t = lh_rt_thread_slow();
		if (!t)
			return;
	}
	if (unlikely(t->busy | t->ignore))
		return;
	ctx = lh_rt_ctx(t, pc);
	t->busy = 1;
	rc_access(lh_rt_engine, t->tid, (uintptr_t)addr, size, is_write, 0, ctx);
	t->busy = 0;
}

LH_EXPORT void __tsan_init(void)
{
	lh_rt_init();
}

/* ---- plain accesses ---- */
#define ACCESS_FNS(n)                                                                              \
	LH_EXPORT void __tsan_read##n(void *a) { access1(a, n, 0, CALLER_PC); }                    \
	LH_EXPORT void __tsan_write##n(void *a) { access1(a, n, 1, CALLER_PC); }                   \
	LH_EXPORT void __tsan_read##n##_pc(void *a, void *pc) { access1(a, n, 0, (uintptr_t)pc); } \
	LH_EXPORT void __tsan_write##n##_pc(void *a, void *pc) { access1(a, n, 1, (uintptr_t)pc); } \
	LH_EXPORT void __tsan_volatile_read##n(void *a) { access1(a, n, 0, CALLER_PC); }           \
	LH_EXPORT void __tsan_volatile_write##n(void *a) { access1(a, n, 1, CALLER_PC); }
ACCESS_FNS(1)
ACCESS_FNS(2)
ACCESS_FNS(4)
ACCESS_FNS(8)
ACCESS_FNS(16)

#define UNALIGNED_FNS(n)                                                                           \
	LH_EXPORT void __tsan_unaligned_read##n(const void *a) { access1(a, n, 0, CALLER_PC); }    \
	LH_EXPORT void __tsan_unaligned_write##n(void *a) { access1(a, n, 1, CALLER_PC); }         \
	LH_EXPORT void __tsan_unaligned_volatile_read##n(const void *a) { access1(a, n, 0, CALLER_PC); } \
	LH_EXPORT void __tsan_unaligned_volatile_write##n(void *a) { access1(a, n, 1, CALLER_PC); }
UNALIGNED_FNS(2)
UNALIGNED_FNS(4)
UNALIGNED_FNS(8)
UNALIGNED_FNS(16)

LH_EXPORT void __tsan_read_range(void *a, unsigned long n)
{
	lh_rt_range(a, n, 0, CALLER_PC - 1);
}

LH_EXPORT void __tsan_write_range(void *a, unsigned long n)
{
	lh_rt_range(a, n, 1, CALLER_PC - 1);
}

LH_EXPORT void __tsan_read_range_pc(void *a, unsigned long n, void *pc)
{
	lh_rt_range(a, n, 0, (uintptr_t)pc);
}

LH_EXPORT void __tsan_write_range_pc(void *a, unsigned long n, void *pc)
{
	lh_rt_range(a, n, 1, (uintptr_t)pc);
}

/* C++ vtable pointers: a constructor or destructor storing the value that
 * is already there is not a write (TSan's rule: no reports for the benign
 * vptr stores of a class hierarchy) */
LH_EXPORT void __tsan_vptr_update(void **vptr_p, void *new_val)
{
	if (*vptr_p != new_val)
		access1(vptr_p, sizeof(void *), 1, CALLER_PC);
}

LH_EXPORT void __tsan_vptr_read(void **vptr_p)
{
	access1(vptr_p, sizeof(void *), 0, CALLER_PC);
}

/* ---- calls ---- */
LH_EXPORT void __tsan_func_entry(void *ret_pc)
{
	struct lh_rt_thread *t = lh_rt_self;

	if (unlikely(t == NULL)) {
		t = lh_rt_thread_slow();
		if (!t)
			return;
	}
	if (likely(t->depth < LH_RT_MAX_DEPTH)) {
		/* the same call as the last one at this level keeps its node */
		if (unlikely(t->ret[t->depth] != (uintptr_t)ret_pc)) {
			t->ret[t->depth] = (uintptr_t)ret_pc;
			if (t->valid > t->depth)
				t->valid = t->depth;
		}
	} else {
		static int noted;
		lh_rt_note_limit(&noted,
		                 "race detection: a call stack deeper than LH_RT_MAX_DEPTH (%d) frames; "
		                 "deeper frames share the context of the frame at the limit",
		                 LH_RT_MAX_DEPTH);
	}
	t->depth++;
}

LH_EXPORT void __tsan_func_exit(void)
{
	struct lh_rt_thread *t = lh_rt_self;

	if (likely(t != NULL) && likely(t->depth > 0))
		t->depth--;
}

LH_EXPORT void __tsan_ignore_thread_begin(void)
{
	struct lh_rt_thread *t = lh_rt_cur();
	if (t)
		t->ignore++;
}

LH_EXPORT void __tsan_ignore_thread_end(void)
{
	struct lh_rt_thread *t = lh_rt_cur();
	if (t && t->ignore > 0)
		t->ignore--;
}

/* annotations some libraries call directly */
LH_EXPORT void __tsan_acquire(void *addr)
{
	if (lh_rt_on)
		lh_rt_acquire(addr);
}

LH_EXPORT void __tsan_release(void *addr)
{
	if (lh_rt_on)
		lh_rt_release(addr);
}

/* ---- memory intrinsics (clang emits these names in newer releases; gcc
 * and clang 14 call memcpy itself, seen through --wrap, wrap_mem.c) ---- */
LH_EXPORT void *__tsan_memcpy(void *d, const void *s, size_t n)
{
	lh_rt_range(s, n, 0, CALLER_PC - 1);
	lh_rt_range(d, n, 1, CALLER_PC - 1);
	return memcpy(d, s, n);
}

LH_EXPORT void *__tsan_memmove(void *d, const void *s, size_t n)
{
	lh_rt_range(s, n, 0, CALLER_PC - 1);
	lh_rt_range(d, n, 1, CALLER_PC - 1);
	return memmove(d, s, n);
}

LH_EXPORT void *__tsan_memset(void *d, int c, size_t n)
{
	lh_rt_range(d, n, 1, CALLER_PC - 1);
	return memset(d, c, n);
}

/* ---- atomics ----
 * An operation that acquires or releases runs with its engine call under
 * the address's stripe lock (lh_rt_atomic_plan says which), so the clock a
 * load acquires is the one that went with the value it read. */
static struct {
	volatile int lock;
	char pad[60];
} stripes[LH_RT_STRIPES] __attribute__((aligned(64)));

struct aop {
	struct lh_rt_thread *t;
	unsigned plan;
	int stripe;
};

static inline void stripe_lock(int i)
{
	while (__atomic_exchange_n(&stripes[i].lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&stripes[i].lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline void stripe_unlock(int i)
{
	__atomic_store_n(&stripes[i].lock, 0, __ATOMIC_RELEASE);
}

void lh_rt_stripes_lock_all(void)
{
	int i;
	for (i = 0; i < LH_RT_STRIPES; i++)
		stripe_lock(i);
}

void lh_rt_stripes_unlock_all(void)
{
	int i;
	for (i = 0; i < LH_RT_STRIPES; i++)
		stripe_unlock(i);
}

static inline struct aop aop_begin(const volatile void *a, unsigned plan)
{
	struct aop o = { lh_rt_self, plan, -1 };

	if (unlikely(o.t == NULL))
		o.t = lh_rt_thread_slow();
	if (!o.t || o.t->busy) {
		o.t = NULL;
		return o;
	}
	o.t->busy = 1;
	if (plan & LH_RTA_SERIAL) {
		o.stripe = (int)(((uintptr_t)a >> 3) & (LH_RT_STRIPES - 1));
		stripe_lock(o.stripe);
	}
	return o;
}

/* after the operation: the access (at the epoch before any release), then
 * the engine calls of its plan, still under the stripe lock */
static inline void aop_end(struct aop *o, const volatile void *a, uint32_t size, unsigned plan,
                           uintptr_t pc)
{
	struct lh_rt_thread *t = o->t;
	struct rc_engine *e = lh_rt_engine;
	uintptr_t s = (uintptr_t)a;

	if (!t)
		return;
	if ((plan & LH_RTA_ACCESS) && !t->ignore)
		rc_access(e, t->tid, s, size, (plan & LH_RTA_WRITE) != 0, 1, lh_rt_ctx(t, pc));
	if (plan & LH_RTA_ACQUIRE)
		rc_acquire(e, t->tid, s);
	if (plan & LH_RTA_RELEASE)
		rc_release(e, t->tid, s);
	if (plan & LH_RTA_RELEASE_STORE)
		rc_release_store(e, t->tid, s);
	if (plan & LH_RTA_ACQ_REL)
		rc_acq_rel(e, t->tid, s);
	if (plan & LH_RTA_RELEASE_RMW)
		rc_release_rmw(e, t->tid, s);
	if (plan & LH_RTA_RELAXED_RMW)
		rc_relaxed_rmw(e, t->tid, s);
	if (plan & LH_RTA_RELAXED_LOAD)
		rc_relaxed_load(e, t->tid, s);
	if (plan & LH_RTA_RELAXED_STORE)
		rc_relaxed_store(e, t->tid, s);
	if (o->stripe >= 0)
		stripe_unlock(o->stripe);
	t->busy = 0;
}

/* The real operation, with a constant memory order for each order the
 * compiler may pass (a load never releases, a store never acquires; a
 * stronger order than asked is always correct). */
static inline int mo_of(int mo)
{
	mo &= 0xff;
	return mo > 5 ? 5 : mo;
}
#define MO_LOAD(mo, M, stmt)                                                                       \
	switch (mo_of(mo)) {                                                                       \
	case 0: { const int M = __ATOMIC_RELAXED; stmt; } break;                                   \
	case 1:                                                                                    \
	case 2: { const int M = __ATOMIC_ACQUIRE; stmt; } break;                                   \
	default: { const int M = __ATOMIC_SEQ_CST; stmt; } break;                                  \
	}
#define MO_STORE(mo, M, stmt)                                                                      \
	switch (mo_of(mo)) {                                                                       \
	case 0: { const int M = __ATOMIC_RELAXED; stmt; } break;                                   \
	case 3: { const int M = __ATOMIC_RELEASE; stmt; } break;                                   \
	default: { const int M = __ATOMIC_SEQ_CST; stmt; } break;                                  \
	}
#define MO_RMW(mo, M, F, stmt)                                                                     \
	switch (mo_of(mo)) {                                                                       \
	case 0: { const int M = __ATOMIC_RELAXED, F = __ATOMIC_RELAXED; stmt; } break;             \
	case 1:                                                                                    \
	case 2: { const int M = __ATOMIC_ACQUIRE, F = __ATOMIC_ACQUIRE; stmt; } break;             \
	case 3: { const int M = __ATOMIC_RELEASE, F = __ATOMIC_RELAXED; stmt; } break;             \
	case 4: { const int M = __ATOMIC_ACQ_REL, F = __ATOMIC_ACQUIRE; stmt; } break;             \
	default: { const int M = __ATOMIC_SEQ_CST, F = __ATOMIC_SEQ_CST; stmt; } break;            \
	}

/* gcc and clang accept a non-constant order as seq_cst; the constants
 * above keep the order asked for */
#define ATOMIC_FNS(bits, T)                                                                        \
	LH_EXPORT T __tsan_atomic##bits##_load(const volatile T *a, int mo)                        \
	{                                                                                          \
		unsigned plan = lh_rt_atomic_plan(LH_AOP_LOAD, mo);                                \
		struct aop o = aop_begin(a, plan);                                                 \
		T v;                                                                               \
		MO_LOAD(mo, M, v = __atomic_load_n(a, M));                                         \
		aop_end(&o, a, sizeof(T), plan, CALLER_PC - 1);                                    \
		return v;                                                                          \
	}                                                                                          \
	LH_EXPORT void __tsan_atomic##bits##_store(volatile T *a, T v, int mo)                     \
	{                                                                                          \
		unsigned plan = lh_rt_atomic_plan(LH_AOP_STORE, mo);                               \
		struct aop o = aop_begin(a, plan);                                                 \
		MO_STORE(mo, M, __atomic_store_n(a, v, M));                                        \
		aop_end(&o, a, sizeof(T), plan, CALLER_PC - 1);                                    \
	}                                                                                          \
	RMW_FN(bits, T, exchange, __atomic_exchange_n)                                             \
	RMW_FN(bits, T, fetch_add, __atomic_fetch_add)                                             \
	RMW_FN(bits, T, fetch_sub, __atomic_fetch_sub)                                             \
	RMW_FN(bits, T, fetch_and, __atomic_fetch_and)                                             \
	RMW_FN(bits, T, fetch_or, __atomic_fetch_or)                                               \
	RMW_FN(bits, T, fetch_xor, __atomic_fetch_xor)                                             \
	RMW_FN(bits, T, fetch_nand, __atomic_fetch_nand)                                           \
	CAS_FNS(bits, T)

#define RMW_FN(bits, T, name, builtin)                                                             \
	LH_EXPORT T __tsan_atomic##bits##_##name(volatile T *a, T v, int mo)                       \
	{                                                                                          \
		unsigned plan = lh_rt_atomic_plan(LH_AOP_RMW, mo);                                 \
		struct aop o = aop_begin(a, plan);                                                 \
		T r;                                                                               \
		MO_RMW(mo, M, F, (void)F; r = builtin(a, v, M));                                   \
		aop_end(&o, a, sizeof(T), plan, CALLER_PC - 1);                                    \
		return r;                                                                          \
	}

/* the lock is taken if either outcome needs it; the plan follows the
 * outcome (success: a read-modify-write with mo; failure: a load with fmo) */
static inline unsigned cas_plan_any(int mo, int fmo)
{
	return (lh_rt_atomic_plan(LH_AOP_RMW, mo) | lh_rt_atomic_plan(LH_AOP_CAS_FAIL, fmo)) &
	       LH_RTA_SERIAL;
}

#define CAS_FNS(bits, T)                                                                           \
	static inline int cas##bits(volatile T *a, T *c, T v, int weak, int mo, int fmo, uintptr_t pc) \
	{                                                                                          \
		struct aop o = aop_begin(a, cas_plan_any(mo, fmo));                                \
		int ok = 0;                                                                        \
		unsigned plan;                                                                     \
		MO_RMW(mo, M, F, ok = weak ? __atomic_compare_exchange_n(a, c, v, 1, M, F)         \
		                           : __atomic_compare_exchange_n(a, c, v, 0, M, F));       \
		plan = ok ? lh_rt_atomic_plan(LH_AOP_RMW, mo) : lh_rt_atomic_plan(LH_AOP_CAS_FAIL, fmo); \
		aop_end(&o, a, sizeof(T), plan, pc);                                               \
		return ok;                                                                         \
	}                                                                                          \
	LH_EXPORT int __tsan_atomic##bits##_compare_exchange_strong(volatile T *a, T *c, T v, int mo, \
	                                                          int fmo)                         \
	{                                                                                          \
		return cas##bits(a, c, v, 0, mo, fmo, CALLER_PC - 1);                                           \
	}                                                                                          \
	LH_EXPORT int __tsan_atomic##bits##_compare_exchange_weak(volatile T *a, T *c, T v, int mo, \
	                                                        int fmo)                           \
	{                                                                                          \
		return cas##bits(a, c, v, 1, mo, fmo, CALLER_PC - 1);                                           \
	}                                                                                          \
	LH_EXPORT T __tsan_atomic##bits##_compare_exchange_val(volatile T *a, T c, T v, int mo, int fmo) \
	{                                                                                          \
		cas##bits(a, &c, v, 0, mo, fmo, CALLER_PC - 1);                                               \
		return c;                                                                          \
	}

ATOMIC_FNS(8, a8)
ATOMIC_FNS(16, a16)
ATOMIC_FNS(32, a32)
ATOMIC_FNS(64, a64)

/* 128 bits: one lock cmpxchg16b does each operation, so the shim needs no
 * libatomic (x86-64; the operand is 16-byte aligned as the ABI requires) */
#if defined(__x86_64__)
#define CX16 __attribute__((target("cx16")))
CX16 static inline a128 cas128v(volatile a128 *a, a128 c, a128 v)
{
	return __sync_val_compare_and_swap(a, c, v);
}
CX16 static inline a128 load128(volatile a128 *a)
{
	return cas128v(a, 0, 0);
}
#define RMW128(name, expr)                                                                         \
	CX16 LH_EXPORT a128 __tsan_atomic128_##name(volatile a128 *a, a128 v, int mo)              \
	{                                                                                          \
		unsigned plan = lh_rt_atomic_plan(LH_AOP_RMW, mo);                                 \
		struct aop o = aop_begin(a, plan);                                                 \
		a128 old = load128(a), seen;                                                       \
		while ((seen = cas128v(a, old, (expr))) != old)                                    \
			old = seen;                                                                \
		aop_end(&o, a, 16, plan, CALLER_PC - 1);                                           \
		return old;                                                                        \
	}
RMW128(exchange, v)
RMW128(fetch_add, old + v)
RMW128(fetch_sub, old - v)
RMW128(fetch_and, old &v)
RMW128(fetch_or, old | v)
RMW128(fetch_xor, old ^ v)
RMW128(fetch_nand, ~(old & v))

CX16 LH_EXPORT a128 __tsan_atomic128_load(const volatile a128 *a, int mo)
{
	unsigned plan = lh_rt_atomic_plan(LH_AOP_LOAD, mo);
	struct aop o = aop_begin(a, plan);
	a128 v = load128((volatile a128 *)a);
	aop_end(&o, a, 16, plan, CALLER_PC - 1);
	return v;
}

CX16 LH_EXPORT void __tsan_atomic128_store(volatile a128 *a, a128 v, int mo)
{
	unsigned plan = lh_rt_atomic_plan(LH_AOP_STORE, mo);
	struct aop o = aop_begin(a, plan);
	a128 old = load128(a), seen;
	while ((seen = cas128v(a, old, v)) != old)
		old = seen;
	aop_end(&o, a, 16, plan, CALLER_PC - 1);
}

CX16 static inline int cas128(volatile a128 *a, a128 *c, a128 v, int mo, int fmo, uintptr_t pc)
{
	struct aop o = aop_begin(a, cas_plan_any(mo, fmo));
	a128 seen = cas128v(a, *c, v);
	int ok = seen == *c;
	unsigned plan = ok ? lh_rt_atomic_plan(LH_AOP_RMW, mo) : lh_rt_atomic_plan(LH_AOP_CAS_FAIL, fmo);

	*c = seen;
	aop_end(&o, a, 16, plan, pc);
	return ok;
}

CX16 LH_EXPORT int __tsan_atomic128_compare_exchange_strong(volatile a128 *a, a128 *c, a128 v, int mo,
                                                             int fmo)
{
	return cas128(a, c, v, mo, fmo, CALLER_PC - 1);
}

CX16 LH_EXPORT int __tsan_atomic128_compare_exchange_weak(volatile a128 *a, a128 *c, a128 v, int mo,
                                                           int fmo)
{
	return cas128(a, c, v, mo, fmo, CALLER_PC - 1);
}

CX16 LH_EXPORT a128 __tsan_atomic128_compare_exchange_val(volatile a128 *a, a128 c, a128 v, int mo,
                                                           int fmo)
{
	cas128(a, &c, v, mo, fmo, CALLER_PC - 1);
	return c;
}
#endif

LH_EXPORT void __tsan_atomic_thread_fence(int mo)
{
	unsigned plan = lh_rt_atomic_plan(LH_AOP_FENCE, mo);
	struct lh_rt_thread *t;

	MO_RMW(mo, M, F, (void)F; __atomic_thread_fence(M));
	t = lh_rt_cur();
	if (!t || t->busy)
		return;
	if (plan & LH_RTA_FENCE_ACQ)
		rc_fence_acquire(lh_rt_engine, t->tid);
	if (plan & LH_RTA_FENCE_REL)
		rc_fence_release(lh_rt_engine, t->tid);
}

/* a fence against a signal handler on the same thread orders nothing
 * between threads */
LH_EXPORT void __tsan_atomic_signal_fence(int mo)
{
	MO_RMW(mo, M, F, (void)F; __atomic_signal_fence(M));
}
