/*
 * test_watch.c - the trap sources (preload/watch.c) on this machine, with
 * real traps: hardware watchpoints and userfaultfd write-protect, each
 * armed on this program's own memory, hits collected by a test sink.
 * A source the machine lacks prints one "SKIP name: reason" line per test
 * that needs it (the watcher core's decisions are tested everywhere with
 * scripted hits, elsewhere).
 *
 * Hazards covered: kernel writes into a protected page (read from a pipe,
 * recv, waitpid's status, stat) give the same results as unprotected; the
 * program's own SIGTRAP handler keeps getting its traps; fork children do
 * not inherit the parent's watching and get their own; exec'd programs run
 * as natively.
 */
#include "watch.h"
#include "shim_stubs.h"

extern int lh_watch_holding; /* watch.c (declared for the shim in shim.h) */

#include "cunit_run.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_HITS 256

static struct lh_watch_hit hits[MAX_HITS];
static int n_hits;        /* atomic */
static int n_released;    /* atomic */
static uint64_t hold_ns;  /* what the sink answers */
static unsigned have;     /* sources that work */

static int park_in_sink; /* the sink closes and parks the hit's slot (a hot window's end) */
static int parked_in_sink;

static uint64_t sink_hit(void *ctx, const struct lh_watch_hit *h)
{
	int i = __atomic_fetch_add(&n_hits, 1, __ATOMIC_ACQ_REL);
	if (i < MAX_HITS)
		hits[i] = *h;
	if (__atomic_load_n(&park_in_sink, __ATOMIC_RELAXED)) {
		lh_watch_hw_close(h->slot, h->window);
		parked_in_sink += lh_watch_hw_park(h->slot);
	}
	return __atomic_load_n(&hold_ns, __ATOMIC_RELAXED);
}

static void sink_released(void *ctx, const struct lh_watch_hit *h)
{
	__atomic_add_fetch(&n_released, 1, __ATOMIC_ACQ_REL);
}

static void reset(uint64_t hold)
{
	__atomic_store_n(&n_hits, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&n_released, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&hold_ns, hold, __ATOMIC_RELAXED);
	stub_reset();
}

static int hits_now(void)
{
	return __atomic_load_n(&n_hits, __ATOMIC_ACQUIRE);
}

static pid_t tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* wait (bounded) until the handler thread has seen n hits */
static int wait_hits(int n)
{
	int i;
	for (i = 0; i < 2000 && hits_now() < n; i++)
		usleep(1000);
	return hits_now();
}

/* LH_TEST_REQUIRE_SOURCES=hw,wp: on a machine known to have them, a
 * source that is off is a failure, not a SKIP (a broken self-test or open
 * would otherwise hide behind the SKIP line) */
static int skip(const char *name, enum lh_wsrc src)
{
	const char *req = getenv("LH_TEST_REQUIRE_SOURCES");

	if (have & src)
		return 0;
	if (req && strstr(req, src == LH_WSRC_HW ? "hw" : "wp")) {
		printf("\n%s: required source is off: %s\n", name, lh_watch_why(src));
		CU_FAIL("a source required by LH_TEST_REQUIRE_SOURCES is off");
		return 1;
	}
	printf("\nSKIP %s: %s\n", name, lh_watch_why(src));
	return 1;
}

/* ---------------- hardware watchpoints ---------------- */

static volatile uint64_t word_a __attribute__((aligned(64)));
static volatile uint64_t word_b __attribute__((aligned(64)));
static volatile uint32_t word_c __attribute__((aligned(64)));

__attribute__((noinline)) static void store_a(uint64_t v)
{
	word_a = v;
}

static void test_hw_store_traps(void)
{
	int i;

	if (skip("hw_store_traps", LH_WSRC_HW))
		return;
	reset(0);
	word_a = 7;
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_a, 8, 0, 41), 0);
	for (i = 1; i <= 5; i++)
		store_a(100 + (uint64_t)i);
	CU_ASSERT_EQUAL(hits_now(), 5);
	for (i = 0; i < 5 && i < hits_now(); i++) {
		CU_ASSERT_EQUAL(hits[i].window, 41);
		CU_ASSERT_EQUAL(hits[i].source, LH_WSRC_HW);
		CU_ASSERT_EQUAL(hits[i].slot, 0);
		CU_ASSERT_EQUAL(hits[i].addr, (uintptr_t)&word_a);
		CU_ASSERT_EQUAL(hits[i].tid, tid());
		CU_ASSERT_EQUAL(hits[i].write, 1);
		CU_ASSERT_EQUAL(hits[i].pc_after, 1);
		CU_ASSERT_EQUAL(hits[i].new_val, 101 + (uint64_t)i);
		CU_ASSERT_EQUAL(hits[i].old_val, i ? 100 + (uint64_t)i : 7);
		/* the pc after the store is inside store_a */
		CU_ASSERT(hits[i].pc > (uintptr_t)store_a && hits[i].pc < (uintptr_t)store_a + 64);
	}
	CU_ASSERT_EQUAL(word_a, 105); /* the program sees its stores */
	CU_ASSERT_EQUAL(lh_watch_hw_disarm(0), 1); /* moved to its park word */
	CU_ASSERT_EQUAL(lh_watch_hw_disarm(0), 0); /* parked already */
	store_a(1);
	CU_ASSERT_EQUAL(hits_now(), 5);
}

static void test_hw_read_write(void)
{
	uint64_t v;

	if (skip("hw_read_write", LH_WSRC_HW))
		return;
	reset(0);
	word_b = 3;
	CU_ASSERT_EQUAL(lh_watch_hw_arm(1, (uintptr_t)&word_b, 8, 1, 42), 0);
	v = word_b; /* a read */
	CU_ASSERT_EQUAL(v, 3);
	word_b = 4;
	CU_ASSERT_EQUAL(hits_now(), 2);
	if (hits_now() == 2) {
		CU_ASSERT_EQUAL(hits[0].write, 0);
		CU_ASSERT_EQUAL(hits[0].new_val, 3);
		CU_ASSERT_EQUAL(hits[1].write, 1);
		CU_ASSERT_EQUAL(hits[1].old_val, 3);
		CU_ASSERT_EQUAL(hits[1].new_val, 4);
		CU_ASSERT_EQUAL(hits[1].slot, 1);
	}
	lh_watch_hw_disarm(1);
}

static void test_hw_move_and_limits(void)
{
	unsigned s;

	if (skip("hw_move_and_limits", LH_WSRC_HW))
		return;
	reset(0);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(2, (uintptr_t)&word_a, 8, 0, 50), 0);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(2, (uintptr_t)&word_c, 4, 0, 51), 0);
	word_a = 9; /* the old address: not watched any more */
	CU_ASSERT_EQUAL(hits_now(), 0);
	word_c = 9;
	CU_ASSERT_EQUAL(hits_now(), 1);
	if (hits_now() == 1) {
		CU_ASSERT_EQUAL(hits[0].window, 51);
		CU_ASSERT_EQUAL(hits[0].addr, (uintptr_t)&word_c);
		CU_ASSERT_EQUAL(hits[0].new_val, 9);
	}
	CU_ASSERT_EQUAL(lh_watch_hw_arm(LH_WATCH_HW_SLOTS, (uintptr_t)&word_a, 8, 0, 1), -EINVAL);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_a + 1, 4, 0, 1), -EINVAL); /* unaligned */
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_a, 3, 0, 1), -EINVAL);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_a, 8, 0, 0), -EINVAL); /* no tag */
	/* all four slots at once, one store each */
	reset(0);
	{
		static volatile uint64_t four[LH_WATCH_HW_SLOTS][8] __attribute__((aligned(64)));
		for (s = 0; s < LH_WATCH_HW_SLOTS; s++)
			CU_ASSERT_EQUAL(lh_watch_hw_arm(s, (uintptr_t)&four[s][0], 8, 0, 60 + s), 0);
		for (s = 0; s < LH_WATCH_HW_SLOTS; s++)
			four[s][0] = s + 1;
		CU_ASSERT_EQUAL(hits_now(), LH_WATCH_HW_SLOTS);
		for (s = 0; s < LH_WATCH_HW_SLOTS && (int)s < hits_now(); s++) {
			CU_ASSERT_EQUAL(hits[s].slot, s);
			CU_ASSERT_EQUAL(hits[s].window, 60 + s);
		}
		for (s = 0; s < LH_WATCH_HW_SLOTS; s++)
			lh_watch_hw_disarm(s);
		four[0][0] = 0;
		CU_ASSERT_EQUAL(hits_now(), LH_WATCH_HW_SLOTS);
	}
}

static void trap_mask(int how)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTRAP);
	syscall(SYS_rt_sigprocmask, how, &set, NULL, _NSIG / 8);
}

/* a trap delivered late (SIGTRAP was blocked) after its slot moved is not
 * a hit on the new address: by window tag, and by address when the tag is
 * the same */
static void test_hw_late_trap_dropped(void)
{
	if (skip("hw_late_trap_dropped", LH_WSRC_HW))
		return;
	reset(0);
	trap_mask(SIG_BLOCK);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_a, 8, 0, 300), 0);
	store_a(1); /* trap pending */
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_b, 8, 0, 301), 0);
	trap_mask(SIG_UNBLOCK);
	CU_ASSERT_EQUAL(hits_now(), 0);
	trap_mask(SIG_BLOCK);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_a, 8, 0, 302), 0);
	store_a(2);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_b, 8, 0, 302), 0);
	trap_mask(SIG_UNBLOCK);
	CU_ASSERT_EQUAL(hits_now(), 0);
	/* the slot re-armed on the same address for a new window */
	trap_mask(SIG_BLOCK);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_a, 8, 0, 303), 0);
	store_a(3);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_a, 8, 0, 304), 0);
	trap_mask(SIG_UNBLOCK);
	CU_ASSERT_EQUAL(hits_now(), 0);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_b, 8, 0, 302), 0);
	/* a late trap on the slot's current address and window is a hit */
	trap_mask(SIG_BLOCK);
	word_b = 5;
	trap_mask(SIG_UNBLOCK);
	CU_ASSERT_EQUAL(hits_now(), 1);
	if (hits_now() == 1) {
		CU_ASSERT_EQUAL(hits[0].window, 302);
		CU_ASSERT_EQUAL(hits[0].addr, (uintptr_t)&word_b);
	}
	lh_watch_hw_disarm(0);
}

/* a window closed in the handler stops trapping once the handler parks
 * its slot: no late trap after it (a hot word trapped every thread until
 * the rotation thread moved it) */
static void test_hw_park_in_handler(void)
{
	uint64_t late0;

	if (skip("hw_park_in_handler", LH_WSRC_HW))
		return;
	reset(0);
	parked_in_sink = 0;
	CU_ASSERT_EQUAL(lh_watch_hw_arm(2, (uintptr_t)&word_a, 8, 0, 60), 0);
	/* closed only: the word still traps, each trap late */
	late0 = lh_watch_hw_late();
	store_a(1);
	CU_ASSERT_EQUAL(hits_now(), 1);
	lh_watch_hw_close(2, 60);
	store_a(2);
	store_a(3);
	CU_ASSERT_EQUAL(hits_now(), 1);
	CU_ASSERT_EQUAL(lh_watch_hw_late(), late0 + 2);
	/* a slot that holds a window is not parked */
	CU_ASSERT_EQUAL(lh_watch_hw_arm(2, (uintptr_t)&word_a, 8, 0, 61), 0);
	CU_ASSERT_EQUAL(lh_watch_hw_park(2), 0);
	store_a(4);
	CU_ASSERT_EQUAL(hits_now(), 2);
	/* the handler closes and parks: later stores do not trap at all */
	__atomic_store_n(&park_in_sink, 1, __ATOMIC_RELAXED);
	late0 = lh_watch_hw_late();
	store_a(5);
	__atomic_store_n(&park_in_sink, 0, __ATOMIC_RELAXED);
	CU_ASSERT_EQUAL(hits_now(), 3);
	CU_ASSERT_EQUAL(parked_in_sink, 1);
	store_a(6);
	store_a(7);
	CU_ASSERT_EQUAL(hits_now(), 3);
	CU_ASSERT_EQUAL(lh_watch_hw_late(), late0);
	CU_ASSERT_EQUAL(word_a, 7);
	CU_ASSERT_EQUAL(lh_watch_hw_disarm(2), 0); /* parked already */
	/* and the slot arms again */
	CU_ASSERT_EQUAL(lh_watch_hw_arm(2, (uintptr_t)&word_a, 8, 0, 62), 0);
	store_a(8);
	CU_ASSERT_EQUAL(hits_now(), 4);
	CU_ASSERT_EQUAL(lh_watch_hw_disarm(2), 1);
}

static int mover_stop;

/* moves slot 0 back and forth until told to stop */
static void *mover(void *arg)
{
	uint32_t k = 0;

	(void)arg;
	while (!__atomic_load_n(&mover_stop, __ATOMIC_ACQUIRE)) {
		lh_watch_hw_arm(0, (uintptr_t)&word_b, 8, 0, 400 + (k++ & 63));
		lh_watch_hw_disarm(0);
	}
	return NULL;
}

/* each slot moves under its own lock: a handler parks its hot slot while
 * another thread moves a different slot (with one lock for all slots the
 * handler's trylock found it taken by the other move about half the time) */
static void test_hw_park_while_other_moves(void)
{
	pthread_t t;
	int i, n = 1000;

	if (skip("hw_park_while_other_moves", LH_WSRC_HW))
		return;
	reset(0);
	parked_in_sink = 0;
	__atomic_store_n(&mover_stop, 0, __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, mover, NULL), 0);
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(lh_watch_hw_arm(2, (uintptr_t)&word_a, 8, 0, 500 + (uint32_t)i), 0);
		__atomic_store_n(&park_in_sink, 1, __ATOMIC_RELAXED);
		store_a((uint64_t)i);
		__atomic_store_n(&park_in_sink, 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&mover_stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(hits_now(), n);
	CU_ASSERT_EQUAL(parked_in_sink, n);
	lh_watch_hw_disarm(0);
	lh_watch_hw_disarm(2);
}

static void *store_a_thread(void *arg)
{
	store_a((uint64_t)(uintptr_t)arg);
	return (void *)(intptr_t)tid();
}

/* threads created after the events were opened inherit them; a hold
 * keeps the accessing thread, and a second thread's access arrives while
 * the first is held */
static void test_hw_threads_and_hold(void)
{
	pthread_t t1, t2;
	void *r1, *r2;
	uint64_t t0;

	if (skip("hw_threads_and_hold", LH_WSRC_HW))
		return;
	reset(30u * 1000 * 1000 > LH_WATCH_HOLD_MAX_NS ? LH_WATCH_HOLD_MAX_NS : 30u * 1000 * 1000);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_a, 8, 0, 70), 0);
	t0 = mono_ns();
	pthread_create(&t1, NULL, store_a_thread, (void *)1);
	pthread_create(&t2, NULL, store_a_thread, (void *)2);
	pthread_join(t1, &r1);
	pthread_join(t2, &r2);
	CU_ASSERT_EQUAL(hits_now(), 2);
	CU_ASSERT_EQUAL(__atomic_load_n(&n_released, __ATOMIC_ACQUIRE), 2);
	if (hits_now() == 2) {
		pid_t a = hits[0].tid, b = hits[1].tid;
		CU_ASSERT(a != b);
		CU_ASSERT((a == (pid_t)(intptr_t)r1 && b == (pid_t)(intptr_t)r2) ||
		          (a == (pid_t)(intptr_t)r2 && b == (pid_t)(intptr_t)r1));
		CU_ASSERT(a != tid() && b != tid());
		/* each held for the hold: the second arrived within the first's */
		CU_ASSERT(mono_ns() - t0 >= LH_WATCH_HOLD_MAX_NS);
	}
	lh_watch_hw_disarm(0);
}

/* a hold is cut short (lh_watch_cut_holds, what a thread waiting for a lock
 * the held thread holds does): the held thread is listed while held and
 * goes on at the cut, long before its hold is over; a cut of another
 * thread's id leaves it held */
static void test_hw_hold_cut(void)
{
	pthread_t t1;
	pid_t held[LH_WATCH_HOLDS];
	uint64_t t_cut, dt;
	int n, i;

	if (skip("hw_hold_cut", LH_WSRC_HW))
		return;
	reset(LH_WATCH_HOLD_MAX_NS);
	CU_ASSERT_EQUAL(__atomic_load_n(&lh_watch_holding, __ATOMIC_ACQUIRE), 0);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_a, 8, 0, 72), 0);
	pthread_create(&t1, NULL, store_a_thread, (void *)7);
	CU_ASSERT_EQUAL(wait_hits(1), 1);
	/* the hit is in: the hold starts right after the sink returns */
	for (i = 0; i < 2000 && !__atomic_load_n(&lh_watch_holding, __ATOMIC_ACQUIRE); i++)
		usleep(10);
	n = lh_watch_held_tids(held, LH_WATCH_HOLDS);
	CU_ASSERT_EQUAL(n, 1);
	if (n == 1 && hits_now() >= 1) {
		CU_ASSERT_EQUAL(held[0], hits[0].tid);
		lh_watch_cut_holds(held[0] + 100000); /* not a held thread */
		CU_ASSERT_EQUAL(lh_watch_held_tids(held, LH_WATCH_HOLDS), 1);
	}
	t_cut = mono_ns();
	lh_watch_cut_holds(hits_now() >= 1 ? hits[0].tid : 0);
	pthread_join(t1, NULL);
	dt = mono_ns() - t_cut;
	CU_ASSERT(dt < LH_WATCH_HOLD_MAX_NS / 2);
	CU_ASSERT_EQUAL(__atomic_load_n(&n_released, __ATOMIC_ACQUIRE), 1);
	CU_ASSERT_EQUAL(__atomic_load_n(&lh_watch_holding, __ATOMIC_ACQUIRE), 0);
	CU_ASSERT_EQUAL(lh_watch_held_tids(held, LH_WATCH_HOLDS), 0);
	lh_watch_hw_disarm(0);
}

static volatile int user_traps;
static volatile long user_code;
static void user_trap_handler(int sig, siginfo_t *si, void *uc)
{
	user_traps++;
	user_code = si->si_code;
}

/* the program's own SIGTRAP handler: installed through the sigaction
 * wrapper's route, it gets every SIGTRAP that is not a watch hit, and an
 * old action names it, never the shim's handler */
static void test_hw_user_sigtrap(void)
{
	struct sigaction sa, old;
	int rc = -1;

	if (skip("hw_user_sigtrap", LH_WSRC_HW))
		return;
	reset(0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = user_trap_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	memset(&old, 0xff, sizeof(old));
	CU_ASSERT_EQUAL(lh_watch_sigtrap_action(&sa, &old, &rc), 1);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT(!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL);
	raise(SIGTRAP);
	CU_ASSERT_EQUAL(user_traps, 1);
	CU_ASSERT_EQUAL(user_code, SI_TKILL);
	/* a watch hit is not the program's */
	CU_ASSERT_EQUAL(lh_watch_hw_arm(3, (uintptr_t)&word_b, 8, 0, 80), 0);
	word_b = 11;
	CU_ASSERT_EQUAL(user_traps, 1);
	CU_ASSERT_EQUAL(hits_now(), 1);
	lh_watch_hw_disarm(3);
	CU_ASSERT_EQUAL(lh_watch_sigtrap_action(NULL, &old, &rc), 1);
	CU_ASSERT((old.sa_flags & SA_SIGINFO) && old.sa_sigaction == user_trap_handler);
	/* back to the default: the action reads SIG_DFL again */
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = 0;
	CU_ASSERT_EQUAL(lh_watch_sigtrap_action(&sa, NULL, &rc), 1);
	CU_ASSERT_EQUAL(lh_watch_sigtrap_action(NULL, &old, &rc), 1);
	CU_ASSERT(!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL);
}

/* a SIGTRAP that is not ours with the default action still kills with
 * SIGTRAP (in a child) */
static void test_hw_default_sigtrap_kills(void)
{
	pid_t p;
	int st = 0;

	if (skip("hw_default_sigtrap_kills", LH_WSRC_HW))
		return;
	p = fork();
	if (p == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		lh_watch_fork_child();
		raise(SIGTRAP);
		_exit(3);
	}
	CU_ASSERT_EQUAL(waitpid(p, &st, 0), p);
	CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGTRAP);
}

/* fork: the child does not inherit the parent's watching, opens its own;
 * exec'd programs run as natively */
static void test_hw_fork_exec(void)
{
	pid_t p;
	int st = 0;

	if (skip("hw_fork_exec", LH_WSRC_HW))
		return;
	reset(0);
	CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_a, 8, 0, 90), 0);
	p = fork();
	if (p == 0) {
		int code = 0;
		store_a(5); /* the parent's slot: no trap before fork_child */
		if (hits_now() != 0)
			code |= 1;
		lh_watch_fork_child();
		store_a(6); /* the child's new events are parked */
		if (hits_now() != 0)
			code |= 2;
		if (lh_watch_hw_arm(0, (uintptr_t)&word_a, 8, 0, 91) != 0)
			code |= 4;
		store_a(7);
		if (hits_now() != 1 || hits[0].window != 91 || hits[0].tid != tid())
			code |= 8;
		_exit(code);
	}
	CU_ASSERT_EQUAL(waitpid(p, &st, 0), p);
	CU_ASSERT(WIFEXITED(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
	/* the child's arm did not move the parent's slot */
	store_a(8);
	CU_ASSERT_EQUAL(hits_now(), 1);
	if (hits_now() == 1)
		CU_ASSERT_EQUAL(hits[0].window, 90);
	/* exec under watching: a shell runs and exits as natively */
	p = fork();
	if (p == 0) {
		lh_watch_fork_child();
		lh_watch_hw_arm(0, (uintptr_t)&word_a, 8, 0, 92);
		execl("/bin/sh", "sh", "-c", "x=1; x=$((x+41)); exit $x", (char *)NULL);
		_exit(127);
	}
	CU_ASSERT_EQUAL(waitpid(p, &st, 0), p);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 42);
	lh_watch_hw_disarm(0);
}

static volatile int early_go;
static void *early_thread(void *arg)
{
	while (!__atomic_load_n(&early_go, __ATOMIC_ACQUIRE))
		usleep(1000);
	store_a(77);
	return NULL;
}

/* a thread that existed before the events were opened does not inherit
 * them: its accesses are missed, and start-up says so in a note */
static void test_hw_threads_before_start_noted(void)
{
	pid_t p;
	int st = 0;

	if (skip("hw_threads_before_start_noted", LH_WSRC_HW))
		return;
	p = fork();
	if (p == 0) {
		struct lh_watch_sink s = { sink_hit, sink_released, NULL };
		pthread_t t, t2;
		int code = 0;

		/* no lh_watch_fork_child: the child has no events, and the
		 * init below opens all four (a task has four debug registers) */
		pthread_create(&t, NULL, early_thread, NULL);
		reset(0);
		if (!(lh_watch_init(LH_WSRC_HW, &s, 1) & LH_WSRC_HW)) {
			printf("child: %s\n", lh_watch_why(LH_WSRC_HW));
			fflush(stdout);
			_exit(9);
		}
		if (stub_notes_with("threads existed before hardware watching started") != 1)
			code |= 1;
		lh_watch_hw_arm(0, (uintptr_t)&word_a, 8, 0, 400);
		__atomic_store_n(&early_go, 1, __ATOMIC_RELEASE);
		pthread_join(t, NULL);
		if (hits_now() != 0) /* the early thread: not watched */
			code |= 2;
		pthread_create(&t2, NULL, store_a_thread, (void *)5);
		pthread_join(t2, NULL);
		if (hits_now() != 1) /* a later thread: watched */
			code |= 4;
		_exit(code);
	}
	CU_ASSERT_EQUAL(waitpid(p, &st, 0), p);
	CU_ASSERT(WIFEXITED(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
}

/* ---------------- userfaultfd write-protect ---------------- */

static char *pages;  /* 8 pages of anonymous memory */
static long pg;

__attribute__((noinline)) static void store_byte(volatile char *p, char v)
{
	*p = v;
}

static void *writer(void *arg)
{
	store_byte((volatile char *)arg, 'w');
	return (void *)(intptr_t)tid();
}

static void test_wp_user_write(void)
{
	pthread_t t;
	void *r;

	if (skip("wp_user_write", LH_WSRC_WP))
		return;
	reset(0);
	pages[10] = 'a';
	CU_ASSERT_EQUAL(lh_watch_wp_arm((uintptr_t)pages, (size_t)pg, 100), 0);
	CU_ASSERT_EQUAL(pages[10], 'a'); /* reads go on unseen */
	pthread_create(&t, NULL, writer, pages + 10);
	pthread_join(t, &r);
	CU_ASSERT_EQUAL(pages[10], 'w');
	CU_ASSERT_EQUAL(hits_now(), 1);
	/* with no hold the handler thread wakes the writer before it calls
	 * released(): wait for that call (1 s at most), or it lands in the
	 * next test's count */
	for (int i = 0; i < 1000 && !__atomic_load_n(&n_released, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	CU_ASSERT_EQUAL(__atomic_load_n(&n_released, __ATOMIC_ACQUIRE), 1);
	if (hits_now() == 1) {
		CU_ASSERT_EQUAL(hits[0].source, LH_WSRC_WP);
		CU_ASSERT_EQUAL(hits[0].slot, LH_WATCH_SLOT_WP);
		CU_ASSERT_EQUAL(hits[0].window, 100);
		CU_ASSERT_EQUAL(hits[0].tid, (pid_t)(intptr_t)r);
		CU_ASSERT_EQUAL(hits[0].write, 1);
		CU_ASSERT_EQUAL(hits[0].kernel, 0);
		CU_ASSERT_EQUAL(hits[0].pc_after, 0);
		CU_ASSERT_EQUAL(hits[0].addr & ~(uintptr_t)(pg - 1), (uintptr_t)pages);
		/* the faulting instruction is in store_byte */
		CU_ASSERT(hits[0].pc >= (uintptr_t)store_byte && hits[0].pc < (uintptr_t)store_byte + 64);
	}
	/* one shot: the range is un-protected after its hit */
	store_byte(pages + 11, 'x');
	CU_ASSERT_EQUAL(hits_now(), 1);
	CU_ASSERT_EQUAL(lh_watch_wp_disarm((uintptr_t)pages, (size_t)pg), -ENOENT);
}

/* the second writer: already running, it stores once the first writer's
 * hit is in (bounded wait: 20 s) */
static void *writer_after_first(void *arg)
{
	for (int i = 0; i < 200000 && hits_now() < 1; i++)
		usleep(100);
	return writer(arg);
}

/* the first writer is held for the hold; a second one meanwhile is seen
 * while the first is still held; both writes complete after.  The second
 * thread runs before the first stores and stores as soon as the first's
 * hit is in (not after a sleep, which a loaded machine or ASan may outlast
 * before the first even faults, or before the second is created); the
 * hold is the longest there is (LH_WATCH_HOLD_MAX_NS). */
#define HOLD2_NS LH_WATCH_HOLD_MAX_NS
static void test_wp_hold_second_thread(void)
{
	pthread_t t1, t2;
	uint64_t t0, dt;

	if (skip("wp_hold_second_thread", LH_WSRC_WP))
		return;
	reset(HOLD2_NS);
	CU_ASSERT_EQUAL(lh_watch_wp_arm((uintptr_t)pages + pg, (size_t)pg, 101), 0);
	t0 = mono_ns();
	pthread_create(&t2, NULL, writer_after_first, pages + pg + 2);
	pthread_create(&t1, NULL, writer, pages + pg + 1);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	dt = mono_ns() - t0;
	CU_ASSERT(dt >= HOLD2_NS);
	CU_ASSERT_EQUAL(pages[pg + 1], 'w');
	CU_ASSERT_EQUAL(pages[pg + 2], 'w');
	CU_ASSERT_EQUAL(hits_now(), 2);
	/* the handler thread wakes the writers (un-protect) before it calls
	 * released(): the joins can return first; wait for it, 1 s at most */
	for (int i = 0; i < 1000 && !__atomic_load_n(&n_released, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	CU_ASSERT_EQUAL(__atomic_load_n(&n_released, __ATOMIC_ACQUIRE), 1);
	if (hits_now() == 2) {
		CU_ASSERT(hits[0].tid != hits[1].tid);
		CU_ASSERT(hits[1].t_ns - hits[0].t_ns < HOLD2_NS);
	}
}

/* a write-protect hold is cut short from another thread: the range ends
 * (the writer goes on, its write lands) and released() is called by the
 * cutting thread */
static void test_wp_hold_cut(void)
{
	pthread_t t1;
	pid_t held[LH_WATCH_HOLDS];
	uint64_t t_cut, dt;
	int i;

	if (skip("wp_hold_cut", LH_WSRC_WP))
		return;
	reset(LH_WATCH_HOLD_MAX_NS);
	CU_ASSERT_EQUAL(lh_watch_wp_arm((uintptr_t)pages + 3 * pg, (size_t)pg, 103), 0);
	pthread_create(&t1, NULL, writer, pages + 3 * pg + 5);
	CU_ASSERT_EQUAL(wait_hits(1), 1);
	for (i = 0; i < 2000 && !__atomic_load_n(&lh_watch_holding, __ATOMIC_ACQUIRE); i++)
		usleep(10);
	CU_ASSERT_EQUAL(lh_watch_held_tids(held, LH_WATCH_HOLDS), 1);
	CU_ASSERT_EQUAL(pages[3 * pg + 5], 0); /* held before its write */
	t_cut = mono_ns();
	lh_watch_cut_holds(0);
	pthread_join(t1, NULL);
	dt = mono_ns() - t_cut;
	CU_ASSERT(dt < LH_WATCH_HOLD_MAX_NS / 2);
	CU_ASSERT_EQUAL(pages[3 * pg + 5], 'w');
	CU_ASSERT_EQUAL(__atomic_load_n(&n_released, __ATOMIC_ACQUIRE), 1);
	CU_ASSERT_EQUAL(__atomic_load_n(&lh_watch_holding, __ATOMIC_ACQUIRE), 0);
}

/* kernel writes into a protected page complete exactly as natively */
static void test_wp_kernel_writes(void)
{
	int fds[2], sv[2], st;
	char *buf = pages + 2 * pg;
	struct stat native, *sp = (struct stat *)(void *)(pages + 3 * pg);
	pid_t p;
	int *status = (int *)(void *)(pages + 4 * pg);

	if (skip("wp_kernel_writes", LH_WSRC_WP))
		return;
	reset(0);
	/* read(2) from a pipe */
	CU_ASSERT_EQUAL(pipe(fds), 0);
	CU_ASSERT_EQUAL(write(fds[1], "hello", 5), 5);
	CU_ASSERT_EQUAL(lh_watch_wp_arm((uintptr_t)buf, (size_t)pg, 110), 0);
	errno = 0;
	CU_ASSERT_EQUAL(read(fds[0], buf, 5), 5);
	CU_ASSERT_EQUAL(errno, 0);
	CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
	CU_ASSERT_EQUAL(hits_now(), 1);
	if (hits_now() == 1)
		CU_ASSERT_EQUAL(hits[0].kernel, 1);
	close(fds[0]);
	close(fds[1]);
	/* recv on a datagram socket: the datagram is not lost */
	CU_ASSERT_EQUAL(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CU_ASSERT_EQUAL(send(sv[1], "dgram", 5, 0), 5);
	CU_ASSERT_EQUAL(lh_watch_wp_arm((uintptr_t)buf, (size_t)pg, 111), 0);
	CU_ASSERT_EQUAL(recv(sv[0], buf + 100, 64, 0), 5);
	CU_ASSERT_EQUAL(memcmp(buf + 100, "dgram", 5), 0);
	close(sv[0]);
	close(sv[1]);
	/* stat into a protected page */
	CU_ASSERT_EQUAL(stat("/", &native), 0);
	CU_ASSERT_EQUAL(lh_watch_wp_arm((uintptr_t)sp, (size_t)pg, 112), 0);
	CU_ASSERT_EQUAL(stat("/", sp), 0);
	CU_ASSERT_EQUAL(sp->st_ino, native.st_ino);
	CU_ASSERT_EQUAL(sp->st_mode, native.st_mode);
	/* waitpid's status into a protected page: the status is not lost */
	p = fork();
	if (p == 0)
		_exit(23);
	CU_ASSERT_EQUAL(lh_watch_wp_arm((uintptr_t)status, (size_t)pg, 113), 0);
	*(volatile int *)(pages + 5 * pg) = 0; /* another page: unseen */
	CU_ASSERT_EQUAL(waitpid(p, status, 0), p);
	st = *status;
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 23);
	CU_ASSERT_EQUAL(hits_now(), 4);
}

/* what the kernel cannot protect is refused; the range limit is noted */
static void test_wp_refused_and_limit(void)
{
	char path[] = "/tmp/lh_watch_XXXXXX";
	int fd, i, rc, n_ok = 0;
	char *file, *many;

	if (skip("wp_refused_and_limit", LH_WSRC_WP))
		return;
	reset(0);
	fd = mkstemp(path);
	CU_ASSERT(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, pg), 0);
	file = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CU_ASSERT(file != MAP_FAILED);
	CU_ASSERT(lh_watch_wp_arm((uintptr_t)file, (size_t)pg, 120) < 0);
	munmap(file, (size_t)pg);
	close(fd);
	unlink(path);
	CU_ASSERT_EQUAL(lh_watch_wp_arm((uintptr_t)pages + 1, (size_t)pg, 121), -EINVAL);
	many = mmap(NULL, (size_t)pg * 70, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (i = 0; i < 70; i++) {
		rc = lh_watch_wp_arm((uintptr_t)many + (uintptr_t)i * (uintptr_t)pg, (size_t)pg, 200 + i);
		if (rc == 0)
			n_ok++;
		else
			CU_ASSERT_EQUAL(rc, -ENOSPC);
	}
	CU_ASSERT(n_ok > 0 && n_ok <= 64);
	CU_ASSERT_EQUAL(stub_notes_with("LH_WATCH_WP_RANGES"), 1);
	/* disarm un-protects: writes go on unseen, nothing blocks */
	for (i = 0; i < 70; i++)
		lh_watch_wp_disarm((uintptr_t)many + (uintptr_t)i * (uintptr_t)pg, (size_t)pg);
	for (i = 0; i < 70; i++)
		many[(size_t)i * (size_t)pg] = 1;
	CU_ASSERT_EQUAL(hits_now(), 0);
	munmap(many, (size_t)pg * 70);
}

/* fork under write-protect: the child's pages are not protected (no
 * EVENT_FORK), its writes complete, and it can arm its own */
static void test_wp_fork(void)
{
	pid_t p;
	int st = 0;
	char *c = pages + 6 * pg;

	if (skip("wp_fork", LH_WSRC_WP))
		return;
	reset(0);
	CU_ASSERT_EQUAL(lh_watch_wp_arm((uintptr_t)c, (size_t)pg, 130), 0);
	p = fork();
	if (p == 0) {
		int code = 0;
		lh_watch_fork_child();
		c[0] = 'c'; /* not protected in the child: must not block */
		if (hits_now() != 0)
			code |= 1;
		if (lh_watch_wp_arm((uintptr_t)c, (size_t)pg, 131) != 0)
			code |= 2;
		c[1] = 'd';
		if (wait_hits(1) != 1 || hits[0].window != 131)
			code |= 4;
		_exit(code);
	}
	CU_ASSERT_EQUAL(waitpid(p, &st, 0), p);
	CU_ASSERT(WIFEXITED(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
	c[0] = 'p';
	CU_ASSERT_EQUAL(wait_hits(1), 1);
	if (hits_now() == 1)
		CU_ASSERT_EQUAL(hits[0].window, 130);
}

static void test_read_does_not_trap(void)
{
	uint64_t v = 0;

	reset(0);
	word_b = 77;
	if (have & LH_WSRC_HW)
		CU_ASSERT_EQUAL(lh_watch_hw_arm(0, (uintptr_t)&word_b, 8, 1, 140), 0);
	CU_ASSERT_EQUAL(lh_watch_read((uintptr_t)&word_b, &v, 8), 0);
	CU_ASSERT_EQUAL(v, 77);
	CU_ASSERT_EQUAL(hits_now(), 0);
	CU_ASSERT_EQUAL(lh_watch_read(0, &v, 8), -EFAULT);
	if (have & LH_WSRC_HW)
		lh_watch_hw_disarm(0);
}

int main(void)
{
	struct lh_watch_sink s = { sink_hit, sink_released, NULL };
	static const struct cunit_test tests[] = {
		{ "read_does_not_trap", test_read_does_not_trap },
		{ "hw_store_traps", test_hw_store_traps },
		{ "hw_read_write", test_hw_read_write },
		{ "hw_move_and_limits", test_hw_move_and_limits },
		{ "hw_late_trap_dropped", test_hw_late_trap_dropped },
		{ "hw_park_in_handler", test_hw_park_in_handler },
		{ "hw_park_while_other_moves", test_hw_park_while_other_moves },
		{ "hw_threads_and_hold", test_hw_threads_and_hold },
		{ "hw_hold_cut", test_hw_hold_cut },
		{ "hw_user_sigtrap", test_hw_user_sigtrap },
		{ "hw_default_sigtrap_kills", test_hw_default_sigtrap_kills },
		{ "hw_fork_exec", test_hw_fork_exec },
		{ "hw_threads_before_start_noted", test_hw_threads_before_start_noted },
		{ "wp_user_write", test_wp_user_write },
		{ "wp_hold_second_thread", test_wp_hold_second_thread },
		{ "wp_hold_cut", test_wp_hold_cut },
		{ "wp_kernel_writes", test_wp_kernel_writes },
		{ "wp_refused_and_limit", test_wp_refused_and_limit },
		{ "wp_fork", test_wp_fork },
	};

	pg = sysconf(_SC_PAGESIZE);
	pages = mmap(NULL, (size_t)pg * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* before any thread exists, like the shim's start-up */
	have = lh_watch_init(LH_WSRC_HW | LH_WSRC_WP, &s, 1);
	printf("trap sources: hardware %s; write-protect %s\n",
	       have & LH_WSRC_HW ? "on" : lh_watch_why(LH_WSRC_HW),
	       have & LH_WSRC_WP ? "on" : lh_watch_why(LH_WSRC_WP));
	return cunit_run("watch", tests, N_OF(tests));
}
