/*
 * mcload.c - a small memcached load generator for the lockhound benchmarks.
 *
 *   mcload HOST PORT CONNS KEYS ROUNDS [WAIT_S [MODE]]
 *
 * MODE check (the default): CONNS connections (one thread each) share KEYS keys.  Every round, each
 * connection sets its keys (pipelined, 64 requests in flight) and then gets
 * them back one `get` per key (pipelined too) and checks every value is the
 * one it set in that round.  Values are 32..287 bytes, derived from the key
 * and the round, so a wrong or stale value is caught.  The client waits up
 * to WAIT_S seconds (default 60) for the server to accept connections; the
 * time it prints (elapsed=) runs from all connections being open to the
 * last reply.  Exit status 0 only if every reply was right.
 *
 * MODE mix: a set-heavy load over many distinct keys, as memcaslap makes
 * it.  The connections run KEYS * ROUNDS operations in all, pipelined
 * BATCH at a time: half sets, half gets, each of a key drawn at random from
 * KEYS.  A key is 16..64 bytes long, a value 16..1200 bytes whose bytes
 * follow from its key and its length, so whatever a get returns is
 * checked (another connection may have set it since, and a miss is fine:
 * the server evicts).  It also prints hits=.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXVAL 288
#define MIX_MINVAL 16
#define MIX_MAXVAL 1200

static const char *host;
static int port, conns, rounds;
static long keys;
static double wait_s = 60;
static int mix;

struct conn {
	int id, fd;
	char rbuf[1 << 16];
	size_t rlen, rpos;
	long sets, gets, errors, hits, ops;
	uint64_t rng;
	char err[256];
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* the value of key k in round r */
static size_t make_value(long k, int r, char *out)
{
	uint64_t h = hash64((uint64_t)k * 1000003u + (uint64_t)r);
	size_t len = 32 + (size_t)(h % 256), i;

	for (i = 0; i < len; i++) {
		h = h * 6364136223846793005ull + 1442695040888963407ull;
		out[i] = (char)('a' + (h >> 59) % 26);
	}
	return len;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fill(struct conn *c)
{
	ssize_t n;

	if (c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	if (c->rlen == sizeof(c->rbuf))
		return -1;
	do
		n = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	c->rlen += (size_t)n;
	return 0;
}

/* next line without its \r\n, or NULL */
static char *read_line(struct conn *c, size_t *len)
{
	for (;;) {
		char *s = c->rbuf + c->rpos;
		char *e = memmem(s, c->rlen - c->rpos, "\r\n", 2);
		if (e) {
			*e = 0;
			*len = (size_t)(e - s);
			c->rpos += *len + 2;
			return s;
		}
		if (fill(c))
			return NULL;
	}
}

static char *read_n(struct conn *c, size_t n)
{
	while (c->rlen - c->rpos < n)
		if (fill(c))
			return NULL;
	c->rpos += n;
	return c->rbuf + c->rpos - n;
}

static int fail(struct conn *c, const char *what, long k)
{
	if (!c->errors++)
		snprintf(c->err, sizeof(c->err), "conn %d: %s (key %ld)", c->id, what, k);
	return -1;
}

static int do_sets(struct conn *c, long *ks, int n, int r)
{
	static __thread char out[BATCH * (MAXVAL + 64)];
	char val[MAXVAL];
	size_t o = 0, len, vl;
	int i;

	for (i = 0; i < n; i++) {
		vl = make_value(ks[i], r, val);
		o += (size_t)sprintf(out + o, "set key:%08ld 0 0 %zu\r\n", ks[i], vl);
		memcpy(out + o, val, vl);
		o += vl;
		memcpy(out + o, "\r\n", 2);
		o += 2;
	}
	if (write_all(c->fd, out, o))
		return fail(c, "write failed", ks[0]);
	for (i = 0; i < n; i++) {
		char *l = read_line(c, &len);
		if (!l)
			return fail(c, "connection closed", ks[i]);
		if (strcmp(l, "STORED"))
			return fail(c, "set not STORED", ks[i]);
		c->sets++;
	}
	return 0;
}

static int do_gets(struct conn *c, long *ks, int n, int r)
{
	static __thread char out[BATCH * 32];
	char val[MAXVAL], want[64];
	size_t o = 0, len, vl;
	int i;

	for (i = 0; i < n; i++)
		o += (size_t)sprintf(out + o, "get key:%08ld\r\n", ks[i]);
	if (write_all(c->fd, out, o))
		return fail(c, "write failed", ks[0]);
	for (i = 0; i < n; i++) {
		char *l, *d;
		vl = make_value(ks[i], r, val);
		snprintf(want, sizeof(want), "VALUE key:%08ld 0 %zu", ks[i], vl);
		l = read_line(c, &len);
		if (!l)
			return fail(c, "connection closed", ks[i]);
		if (strcmp(l, want))
			return fail(c, !strcmp(l, "END") ? "get missed" : "bad VALUE line", ks[i]);
		d = read_n(c, vl + 2);
		if (!d || memcmp(d, val, vl) || memcmp(d + vl, "\r\n", 2))
			return fail(c, "value differs from the one set", ks[i]);
		l = read_line(c, &len);
		if (!l || strcmp(l, "END"))
			return fail(c, "no END after value", ks[i]);
		c->gets++;
	}
	return 0;
}

static int connect_to(void)
{
	struct sockaddr_in sa;
	double deadline = now() + wait_s;
	int one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			return fd;
		}
		close(fd);
		if (now() > deadline)
			return -1;
		usleep(20000);
	}
}

/* ---- mix mode ---- */

/* key k's name: 16..64 bytes, fixed by k */
static size_t mix_key(long k, char *out)
{
	size_t len = 16 + (size_t)(hash64((uint64_t)k + 77) % 49), i;

	snprintf(out, 17, "k%015ld", k);
	for (i = 16; i < len; i++)
		out[i] = (char)('a' + (k + (long)i) % 26);
	out[len] = 0;
	return len;
}

/* the value of key k with length len */
static void mix_value(long k, size_t len, char *out)
{
	uint64_t h = hash64((uint64_t)k * 31 + len);
	size_t i;

	for (i = 0; i < len; i++) {
		h = h * 6364136223846793005ull + 1442695040888963407ull;
		out[i] = (char)('a' + (h >> 59) % 26);
	}
}

static uint64_t next_rand(struct conn *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static int mix_batch(struct conn *c, int n)
{
	static __thread char out[BATCH * (MIX_MAXVAL + 128)];
	char val[MIX_MAXVAL], got_key[128], key[72];
	long ks[BATCH];
	int is_set[BATCH], i;
	size_t o = 0, len, kl, vl;

	for (i = 0; i < n; i++) {
		ks[i] = (long)(next_rand(c) % (uint64_t)keys);
		is_set[i] = (int)(next_rand(c) & 1);
		kl = mix_key(ks[i], key);
		if (is_set[i]) {
			vl = MIX_MINVAL + (size_t)(next_rand(c) % (MIX_MAXVAL - MIX_MINVAL + 1));
			mix_value(ks[i], vl, val);
			o += (size_t)sprintf(out + o, "set %s 0 0 %zu\r\n", key, vl);
			memcpy(out + o, val, vl);
			o += vl;
			memcpy(out + o, "\r\n", 2);
			o += 2;
		} else {
			memcpy(out + o, "get ", 4);
			memcpy(out + o + 4, key, kl);
			memcpy(out + o + 4 + kl, "\r\n", 2);
			o += 6 + kl;
		}
	}
	if (write_all(c->fd, out, o))
		return fail(c, "write failed", ks[0]);
	for (i = 0; i < n; i++) {
		char *l = read_line(c, &len), *d;
		if (!l)
			return fail(c, "connection closed", ks[i]);
		if (is_set[i]) {
			/* under memory pressure a set may be refused: not a wrong reply */
			if (strcmp(l, "STORED") && strncmp(l, "SERVER_ERROR out of memory", 26))
				return fail(c, "set not STORED", ks[i]);
			c->sets++;
			continue;
		}
		c->gets++;
		if (!strcmp(l, "END"))
			continue; /* a miss: never set, or evicted */
		mix_key(ks[i], key);
		if (sscanf(l, "VALUE %127s 0 %zu", got_key, &vl) != 2 || strcmp(got_key, key) ||
		    vl < MIX_MINVAL || vl > MIX_MAXVAL)
			return fail(c, "bad VALUE line", ks[i]);
		d = read_n(c, vl + 2);
		mix_value(ks[i], vl, val);
		if (!d || memcmp(d, val, vl) || memcmp(d + vl, "\r\n", 2))
			return fail(c, "value differs from any set", ks[i]);
		l = read_line(c, &len);
		if (!l || strcmp(l, "END"))
			return fail(c, "no END after value", ks[i]);
		c->hits++;
	}
	return 0;
}

static pthread_barrier_t ready;

static void *run_conn(void *p)
{
	struct conn *c = p;
	long ks[BATCH], k;
	int r, n;

	pthread_barrier_wait(&ready);
	if (mix) {
		long total = keys * rounds / conns + (c->id < keys * rounds % conns);
		c->rng = hash64((uint64_t)c->id + 1) | 1;
		while (c->ops < total && !c->errors) {
			n = total - c->ops < BATCH ? (int)(total - c->ops) : BATCH;
			mix_batch(c, n);
			c->ops += n;
		}
		return NULL;
	}
	for (r = 0; r < rounds && !c->errors; r++) {
		n = 0;
		for (k = c->id; k < keys && !c->errors; k += conns) {
			ks[n++] = k;
			if (n == BATCH || k + conns >= keys) {
				do_sets(c, ks, n, r);
				n = 0;
			}
		}
		n = 0;
		for (k = c->id; k < keys && !c->errors; k += conns) {
			ks[n++] = k;
			if (n == BATCH || k + conns >= keys) {
				do_gets(c, ks, n, r);
				n = 0;
			}
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct conn *c;
	pthread_t *t;
	long sets = 0, gets = 0, errors = 0, hits = 0;
	double t0, t1;
	int i;

	if (argc < 6 || argc > 8) {
		fprintf(stderr, "usage: mcload HOST PORT CONNS KEYS ROUNDS [WAIT_S [check|mix]]\n");
		return 2;
	}
	host = argv[1];
	port = atoi(argv[2]);
	conns = atoi(argv[3]);
	keys = atol(argv[4]);
	rounds = atoi(argv[5]);
	if (argc >= 7)
		wait_s = atof(argv[6]);
	if (argc == 8) {
		if (strcmp(argv[7], "mix") && strcmp(argv[7], "check")) {
			fprintf(stderr, "mcload: unknown mode %s\n", argv[7]);
			return 2;
		}
		mix = !strcmp(argv[7], "mix");
	}
	if (port <= 0 || conns < 1 || conns > 256 || keys < conns || rounds < 1) {
		fprintf(stderr, "mcload: bad arguments\n");
		return 2;
	}
	c = calloc((size_t)conns, sizeof(*c));
	t = calloc((size_t)conns, sizeof(*t));
	for (i = 0; i < conns; i++) {
		c[i].id = i;
		c[i].fd = connect_to();
		if (c[i].fd < 0) {
			fprintf(stderr, "mcload: cannot connect to %s:%d\n", host, port);
			return 1;
		}
	}
	pthread_barrier_init(&ready, NULL, (unsigned)conns + 1);
	for (i = 0; i < conns; i++)
		pthread_create(&t[i], NULL, run_conn, &c[i]);
	t0 = now();
	pthread_barrier_wait(&ready);
	for (i = 0; i < conns; i++)
		pthread_join(t[i], NULL);
	t1 = now();
	for (i = 0; i < conns; i++) {
		sets += c[i].sets;
		gets += c[i].gets;
		errors += c[i].errors;
		hits += c[i].hits;
		if (c[i].errors)
			fprintf(stderr, "mcload: %s\n", c[i].err);
		close(c[i].fd);
	}
	if (mix) {
		printf("mcload %s mix sets=%ld gets=%ld hits=%ld elapsed=%.6f\n", errors ? "FAIL" : "ok",
		       sets, gets, hits, t1 - t0);
		return errors || sets + gets != keys * rounds ? 1 : 0;
	}
	printf("mcload %s sets=%ld gets=%ld elapsed=%.6f\n", errors ? "FAIL" : "ok", sets, gets,
	       t1 - t0);
	return errors || sets != keys * rounds || gets != keys * rounds ? 1 : 0;
}
