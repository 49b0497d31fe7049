/*
 * genlog.c - write a large, valid lockhound log for timing the analyzer.
 *
 *   genlog OUT LOCKS EDGES [CYCLES] [THREADS] [BACK]
 *
 * The log follows include/lockhound_log.h: file header, process record, a
 * module record, stack records, thread records, lock records, edge records,
 * thread-end records and an end record; everything a record refers to is
 * written before it.  The lock graph is a large acyclic graph plus CYCLES
 * (default 8) small lock-order cycles on locks of their own:
 *
 *   - LOCKS - 3*CYCLES locks form the acyclic part.  They are ordered by a
 *     fixed permutation of their ids; edges go from a lock to one later in
 *     that order: (i, i+1) for every i, then (i, i+2), ... until the edge
 *     count is reached, so every (from, to) pair is distinct.  One edge in
 *     ten carries a gate lock (an earlier lock, held too).
 *   - BACK (default 0): that many edges of the acyclic part in 1000 are
 *     taken the other way round (to, from), which makes it cycle-rich: one
 *     huge strongly connected component with more cycles than any search
 *     can enumerate, for checking that the analysis budgets bound it.
 *   - cycle c has 2 + c%2 locks (3 locks for odd c) taken in opposite
 *     orders by different threads, with overlapping lifetimes and no
 *     common gate: each is a real finding.
 *
 * Stacks are synthetic (pcs inside the module record's range, no file to
 * symbolize against), so the report shows addresses.  Output is
 * deterministic.  Prints a one-line summary on stdout.
 *
 *   genlog OUT --rotated N [ROUNDS]
 *   genlog OUT --random N ROUNDS
 *
 * The dense stress cases of the bounded analysis (bench/analyzer_stress.py):
 * N locks, each round taking all of them while holding every one taken
 * before (edges from each held lock, gate sets the first LH_MAX_GATES other
 * held locks, as the shim records them), one call site for every edge, each
 * round its own thread and the rounds one after another.  --rotated: round
 * r starts at lock r * N / ROUNDS (ROUNDS defaults to N) and goes round in
 * order; --random: each round is a random permutation.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockhound_log.h"

#define N_STACKS 4096
#define MOD_BASE 0x555555554000ull
#define MOD_SIZE 0x400000ull

static FILE *out;
static uint64_t n_records, rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void put(const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, out) != n) {
		perror("genlog: write");
		exit(1);
	}
}

static void record3(uint16_t type, const void *p1, size_t n1, const void *p2, size_t n2,
                    const void *p3, size_t n3)
{
	struct lh_rec_hdr h = { type, 0, (uint32_t)(n1 + n2 + n3) };
	put(&h, sizeof(h));
	put(p1, n1);
	put(p2, n2);
	put(p3, n3);
	n_records++;
}

static void record(uint16_t type, const void *p1, size_t n1, const void *p2, size_t n2)
{
	record3(type, p1, n1, p2, n2, NULL, 0);
}

static uint32_t n_threads = 16;

static void edge(uint64_t from, uint64_t to, uint32_t thread, const struct lh_rec_gate *gate,
                 uint64_t t_ns)
{
	struct lh_rec_edge e;

	memset(&e, 0, sizeof(e));
	e.from_lock = from;
	e.to_lock = to;
	e.thread_id = thread;
	e.from_stack = 1 + (uint32_t)(rnd() % N_STACKS);
	e.to_stack = 1 + (uint32_t)(rnd() % N_STACKS);
	e.from_mode = LH_MODE_EXCL;
	e.to_mode = LH_MODE_EXCL;
	e.n_gates = gate ? 1 : 0;
	e.time_ns = t_ns;
	record(LH_REC_EDGE, &e, sizeof(e), gate, gate ? sizeof(*gate) : 0);
}

static void header_and_process(void)
{
	struct lh_file_header fh;
	static const char exe[] = "/usr/bin/genlog-synthetic";
	static const char cmd[] = "genlog-synthetic";

	memset(&fh, 0, sizeof(fh));
	memcpy(fh.magic, LH_LOG_MAGIC, LH_LOG_MAGIC_LEN);
	fh.format_version = LH_LOG_FORMAT_VERSION;
	fh.header_size = sizeof(fh);
	fh.pid = 4242;
	fh.ppid = 1;
	fh.start_realtime_ns = 1700000000ull * 1000000000ull;
	fh.start_mono_ns = 1000000000ull;
	strcpy(fh.tool_version, "genlog");
	fh.pointer_size = 8;
	put(&fh, sizeof(fh));
	{
		struct lh_rec_process p = { sizeof(exe), sizeof(cmd) };
		record3(LH_REC_PROCESS, &p, sizeof(p), exe, sizeof(exe), cmd, sizeof(cmd));
	}
	{
		/* a module nobody can open: frames resolve to module+offset only */
		static const char path[] = "/nonexistent/genlog-synthetic";
		struct lh_rec_module m = { MOD_BASE, MOD_BASE, MOD_BASE + MOD_SIZE, 0, sizeof(path) };
		record(LH_REC_MODULE, &m, sizeof(m), path, sizeof(path));
	}
}

/* the dense cases: see the top of the file */
static int dense(const char *path, int rotated, uint64_t n, uint64_t rounds)
{
	const uint64_t t0 = 1000000000ull;
	uint64_t *order, r, i, j, k, made = 0;
	uint64_t pcs[2] = { MOD_BASE + 0x1010, MOD_BASE + 0x2010 };

	if (n < 2 || n > 100000 || rounds < 1 || rounds > 100000) {
		fprintf(stderr, "genlog: need 2 <= N <= 100000 and 1 <= ROUNDS <= 100000\n");
		return 2;
	}
	out = fopen(path, "wb");
	if (!out) {
		perror(path);
		return 1;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	header_and_process();
	{
		struct lh_rec_stack s = { 1, 2, 0, 0 };
		record(LH_REC_STACK, &s, sizeof(s), pcs, sizeof(pcs));
	}
	for (r = 0; r < rounds; r++) {
		struct lh_rec_thread t;
		memset(&t, 0, sizeof(t));
		t.thread_id = (uint32_t)(r + 1);
		t.os_tid = 5000 + (uint32_t)r;
		t.start_ns = t0 + r * 1000000;
		snprintf(t.name, sizeof(t.name), "round-%llu", (unsigned long long)r);
		record(LH_REC_THREAD, &t, sizeof(t), NULL, 0);
	}
	for (i = 1; i <= n; i++) {
		struct lh_rec_lock l;
		memset(&l, 0, sizeof(l));
		l.lock_id = i;
		l.addr = 0x7f0000000000ull + i * 64;
		l.kind = LH_LOCK_MUTEX;
		l.init_stack = 1;
		l.generation = 1;
		record(LH_REC_LOCK, &l, sizeof(l), NULL, 0);
	}
	order = malloc(n * sizeof(*order));
	if (!order) {
		perror("genlog");
		return 1;
	}
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++)
			order[i] = rotated ? 1 + (r * n / rounds + i) % n : i + 1;
		if (!rotated)
			for (i = n - 1; i > 0; i--) {
				uint64_t x = rnd() % (i + 1), y = order[i];
				order[i] = order[x];
				order[x] = y;
			}
		for (j = 1; j < n; j++)
			for (i = 0; i < j; i++) {
				struct lh_rec_edge e;
				struct lh_rec_gate g[LH_MAX_GATES];
				uint32_t ng = 0;

				for (k = 0; k < j && ng < LH_MAX_GATES; k++) {
					if (k == i)
						continue;
					memset(&g[ng], 0, sizeof(g[ng]));
					g[ng].lock_id = order[k];
					g[ng].mode = LH_MODE_EXCL;
					ng++;
				}
				memset(&e, 0, sizeof(e));
				e.from_lock = order[i];
				e.to_lock = order[j];
				e.thread_id = (uint32_t)(r + 1);
				e.from_stack = 1;
				e.to_stack = 1;
				e.from_mode = LH_MODE_EXCL;
				e.to_mode = LH_MODE_EXCL;
				e.n_gates = ng;
				e.time_ns = t0 + r * 1000000 + j;
				record(LH_REC_EDGE, &e, sizeof(e), g, ng * sizeof(g[0]));
				made++;
			}
	}
	for (r = 0; r < rounds; r++) {
		struct lh_rec_thread_end t = { (uint32_t)(r + 1), 0, t0 + r * 1000000 + 500000 };
		record(LH_REC_THREAD_END, &t, sizeof(t), NULL, 0);
	}
	{
		struct lh_rec_end e;
		memset(&e, 0, sizeof(e));
		e.end_ns = t0 + rounds * 1000000;
		e.n_threads = (uint32_t)rounds;
		record(LH_REC_END, &e, sizeof(e), NULL, 0);
	}
	free(order);
	if (fclose(out)) {
		perror("genlog: close");
		return 1;
	}
	printf("genlog: %s: %s, %llu locks, %llu rounds, %llu edges, %llu records\n", path,
	       rotated ? "rotated" : "random", (unsigned long long)n, (unsigned long long)rounds,
	       (unsigned long long)made, (unsigned long long)n_records);
	return 0;
}

int main(int argc, char **argv)
{
	struct lh_file_header fh;
	uint64_t n_locks, n_edges, n_dag, made = 0, i, k, *perm;
	uint32_t cycles = 8, back = 0, t;
	uint64_t t0 = 1000000000ull;
	static const char exe[] = "/usr/bin/genlog-synthetic";
	static const char cmd[] = "genlog-synthetic";

	if (argc >= 4 && argc <= 5 && !strcmp(argv[2], "--rotated")) {
		uint64_t n = strtoull(argv[3], NULL, 10);
		return dense(argv[1], 1, n, argc > 4 ? strtoull(argv[4], NULL, 10) : n);
	}
	if (argc == 5 && !strcmp(argv[2], "--random"))
		return dense(argv[1], 0, strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10));
	if (argc < 4 || argc > 7) {
		fprintf(stderr, "usage: genlog OUT LOCKS EDGES [CYCLES] [THREADS] [BACK]\n"
		                "       genlog OUT --rotated N [ROUNDS]\n"
		                "       genlog OUT --random N ROUNDS\n");
		return 2;
	}
	n_locks = strtoull(argv[2], NULL, 10);
	n_edges = strtoull(argv[3], NULL, 10);
	if (argc > 4)
		cycles = (uint32_t)strtoul(argv[4], NULL, 10);
	if (argc > 5)
		n_threads = (uint32_t)strtoul(argv[5], NULL, 10);
	if (argc > 6)
		back = (uint32_t)strtoul(argv[6], NULL, 10);
	if (back > 1000) {
		fprintf(stderr, "genlog: BACK is per 1000 edges: at most 1000\n");
		return 2;
	}
	if (n_threads < 2 || n_locks < 3ull * cycles + 2 || n_edges < 3ull * cycles) {
		fprintf(stderr, "genlog: need THREADS >= 2, LOCKS >= 3*CYCLES+2, EDGES >= 3*CYCLES\n");
		return 2;
	}
	n_dag = n_locks - 3ull * cycles;
	out = fopen(argv[1], "wb");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);

	memset(&fh, 0, sizeof(fh));
	memcpy(fh.magic, LH_LOG_MAGIC, LH_LOG_MAGIC_LEN);
	fh.format_version = LH_LOG_FORMAT_VERSION;
	fh.header_size = sizeof(fh);
	fh.pid = 4242;
	fh.ppid = 1;
	fh.start_realtime_ns = 1700000000ull * 1000000000ull;
	fh.start_mono_ns = t0;
	strcpy(fh.tool_version, "genlog");
	fh.pointer_size = 8;
	put(&fh, sizeof(fh));

	{
		struct lh_rec_process p = { sizeof(exe), sizeof(cmd) };
		record3(LH_REC_PROCESS, &p, sizeof(p), exe, sizeof(exe), cmd, sizeof(cmd));
	}
	{
		/* a module nobody can open: frames resolve to module+offset only */
		static const char path[] = "/nonexistent/genlog-synthetic";
		struct lh_rec_module m = { MOD_BASE, MOD_BASE, MOD_BASE + MOD_SIZE, 0, sizeof(path) };
		record(LH_REC_MODULE, &m, sizeof(m), path, sizeof(path));
	}
	for (i = 1; i <= N_STACKS; i++) {
		uint64_t pcs[8];
		struct lh_rec_stack s = { (uint32_t)i, 2 + (uint32_t)(rnd() % 7), 0, 0 };
		for (k = 0; k < s.n_frames; k++)
			pcs[k] = MOD_BASE + 0x1000 + rnd() % (MOD_SIZE - 0x2000);
		record(LH_REC_STACK, &s, sizeof(s), pcs, s.n_frames * 8);
	}
	for (t = 1; t <= n_threads; t++) {
		struct lh_rec_thread r;
		memset(&r, 0, sizeof(r));
		r.thread_id = t;
		r.parent_id = t == 1 ? 0 : 1;
		r.create_stack = t == 1 ? 0 : 1 + t;
		r.os_tid = 5000 + t;
		r.start_ns = t0 + t;
		snprintf(r.name, sizeof(r.name), "worker-%u", t);
		record(LH_REC_THREAD, &r, sizeof(r), NULL, 0);
	}

	/* lock ids: a permutation of 1..LOCKS, so ids and order differ */
	perm = malloc((size_t)n_locks * sizeof(*perm));
	for (i = 0; i < n_locks; i++)
		perm[i] = i + 1;
	for (i = n_locks - 1; i > 0; i--) {
		uint64_t j = rnd() % (i + 1), x = perm[i];
		perm[i] = perm[j];
		perm[j] = x;
	}
	for (i = 0; i < n_locks; i++) {
		struct lh_rec_lock l;
		memset(&l, 0, sizeof(l));
		l.lock_id = perm[i];
		l.addr = 0x7f0000000000ull + perm[i] * 64;
		l.kind = LH_LOCK_MUTEX;
		l.init_stack = 1 + (uint32_t)(rnd() % N_STACKS);
		l.generation = 1;
		record(LH_REC_LOCK, &l, sizeof(l), NULL, 0);
	}

	/* the cycles first, so a capped search would still meet them early */
	for (t = 0; t < cycles; t++) {
		uint64_t *c = &perm[n_dag + 3ull * t];
		uint32_t len = 2 + (t & 1), j;
		for (j = 0; j < len; j++)
			edge(c[j], c[(j + 1) % len], 1 + (j + t) % n_threads, NULL, t0 + 100 + t);
		made += len;
		/* and one edge into the cycle from the acyclic part */
		edge(perm[rnd() % n_dag], c[0], 1 + t % n_threads, NULL, t0 + 100 + t);
		made++;
	}
	/* the acyclic part: distances 1, 2, 3, ... in the permuted order */
	for (k = 1; made < n_edges && k < n_dag; k++) {
		for (i = 0; i + k < n_dag && made < n_edges; i++) {
			struct lh_rec_gate g = { perm[i / 2], LH_MODE_EXCL, 0 };
			int gated = i > 1 && rnd() % 10 == 0;
			int rev = back && rnd() % 1000 < back;
			edge(perm[rev ? i + k : i], perm[rev ? i : i + k],
			     1 + (uint32_t)(rnd() % n_threads), gated ? &g : NULL, t0 + 1000 + made);
			made++;
		}
	}
	for (t = 1; t <= n_threads; t++) {
		struct lh_rec_thread_end r = { t, 0, t0 + 1000 + made + t };
		record(LH_REC_THREAD_END, &r, sizeof(r), NULL, 0);
	}
	{
		struct lh_rec_end e;
		memset(&e, 0, sizeof(e));
		e.end_ns = t0 + 2000 + made;
		record(LH_REC_END, &e, sizeof(e), NULL, 0);
	}
	if (fclose(out)) {
		perror("genlog: close");
		return 1;
	}
	printf("genlog: %s: %llu locks, %llu edges (%u cycles, %u per 1000 reversed), %u threads, "
	       "%d stacks, %llu records\n",
	       argv[1], (unsigned long long)n_locks, (unsigned long long)made, cycles, back,
	       n_threads, N_STACKS, (unsigned long long)n_records);
	free(perm);
	return 0;
}
