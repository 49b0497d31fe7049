/* lockhound-sampled: racy variable=io var_kind=global */
/* A racy counter next to buffers the kernel writes into: two reader
 * threads read(2) chunks from their own pipe into their own buffer of the
 * global `io` and stat(2) into it, and both add to io.bytes_seen with no
 * lock.  The race is on bytes_seen; the buffers share its page, so a trap
 * source that protects the page sees the kernel's writes too and must let
 * them succeed.  Write-protect holds the first writer of bytes_seen, and
 * with it every writer of the page, so the other reader is most often
 * held at its read(2) into the page and writes bytes_seen only later:
 * found by the inferred verdict (two unordered writes in one window), a
 * watchpoint also by the observed one.  Every chunk carries its sequence number and is checked:
 * the program's output is the same as natively (an EFAULT or a short or
 * corrupted read would change it). */
#include <sys/stat.h>
#include <unistd.h>

#include "sb.h"

#define CHUNK 512

struct io_state {
	char buf[2][CHUNK];      /* filled by read(2), one per reader */
	struct stat st[2];       /* filled by stat(2) */
	long bytes_seen;         /* both readers, no lock: the race */
};

struct io_state io;
static int pipes[2][2];
static int bad[2];

static void *feeder(void *arg)
{
	int me = (int)(intptr_t)arg;
	char chunk[CHUNK];
	long seq = 0;

	while (sb_running()) {
		memset(chunk, (int)('a' + seq % 26), CHUNK);
		memcpy(chunk, &seq, sizeof(seq));
		if (write(pipes[me][1], chunk, CHUNK) != CHUNK) { /* CHUNK <= PIPE_BUF: atomic */
			bad[me] = 1;
			break;
		}
		seq++;
	}
	close(pipes[me][1]);
	return NULL;
}

static void *reader(void *arg)
{
	int me = (int)(intptr_t)arg;
	long want = 0;

	for (;;) {
		ssize_t n = 0, got;

		while (n < CHUNK) {
			got = read(pipes[me][0], io.buf[me] + n, CHUNK - (size_t)n);
			if (got <= 0)
				break;
			n += got;
		}
		if (n == 0)
			break;
		long seq;
		memcpy(&seq, io.buf[me], sizeof(seq));
		if (n != CHUNK || seq != want || io.buf[me][CHUNK - 1] != (char)('a' + seq % 26))
			bad[me] = 1;
		want++;
		io.bytes_seen += n; /* no lock */
		if (want % 64 == 0 && stat("/", &io.st[me]) != 0)
			bad[me] = 1;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t f[2], r[2];

	for (int i = 0; i < 2; i++)
		if (pipe(pipes[i]) != 0) {
			perror("pipe");
			return 2;
		}
	sb_end_ns = sb_deadline(argc, argv);
	for (int i = 0; i < 2; i++) {
		SB_CHECK(pthread_create(&r[i], NULL, reader, (void *)(intptr_t)i));
		SB_CHECK(pthread_create(&f[i], NULL, feeder, (void *)(intptr_t)i));
	}
	for (int i = 0; i < 2; i++) {
		SB_CHECK(pthread_join(f[i], NULL));
		SB_CHECK(pthread_join(r[i], NULL));
	}
	printf("racy_kernel_buffers: %s\n", bad[0] || bad[1] ? "CORRUPTED" : "all chunks intact");
	return bad[0] || bad[1];
}
