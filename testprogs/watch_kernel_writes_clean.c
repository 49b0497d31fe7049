/* lockhound-expect: clean min_edges=0 min_threads=2 */
/* Hazard scenario for sampled race watching: the kernel writes into
 * buffers a thread owns (a global in .bss, a heap block) through read from
 * a pipe, recv of a datagram, stat, waitpid's status and fread, while race
 * watching may have the pages write-protected or watched.  Every call must
 * give exactly the native result (no EFAULT, no lost datagram, no lost
 * child status, no stream error); the program prints what it got, and the
 * test compares that with a native run.  The buffers are handed over
 * through pthread_join: no race. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char gbuf[3 * 4096];
static struct stat gst;
static int gstatus;

static void *worker(void *arg)
{
	char *hbuf = arg;
	int p[2], sv[2];
	pid_t c;
	FILE *f;
	size_t got;
	ssize_t n;
	int i;

	for (i = 0; i < 3; i++) {
		if (pipe(p) != 0)
			return NULL;
		if (write(p[1], "pipe-data", 9) != 9)
			return NULL;
		errno = 0;
		n = read(p[0], gbuf + 4096 * i + 100, 9);
		printf("read gbuf: %zd errno=%d\n", n, errno);
		if (write(p[1], "heap-data", 9) != 9)
			return NULL;
		errno = 0;
		n = read(p[0], hbuf + 4096 * i + 7, 9);
		printf("read hbuf: %zd errno=%d\n", n, errno);
		close(p[0]);
		close(p[1]);
	}
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0) {
		send(sv[1], "datagram", 8, 0);
		errno = 0;
		n = recv(sv[0], hbuf + 8000, 64, 0);
		printf("recv: %zd errno=%d\n", n, errno);
		close(sv[0]);
		close(sv[1]);
	}
	i = stat("/", &gst);
	printf("stat: %d ino-ok=%d\n", i, gst.st_ino != 0);
	fflush(stdout);
	c = fork();
	if (c == 0)
		exit(23);
	i = waitpid(c, &gstatus, 0) == c;
	printf("waitpid: %d status=%d\n", i, WEXITSTATUS(gstatus));
	f = tmpfile();
	if (f) {
		fputs("stream-contents", f);
		rewind(f);
		got = fread(hbuf + 12000, 1, 15, f);
		printf("fread: %zu error=%d\n", got, ferror(f));
		fclose(f);
	}
	return hbuf;
}

int main(void)
{
	pthread_t t;
	char *hbuf = calloc(1, 16384);
	int i;

	if (!hbuf)
		return 1;
	pthread_create(&t, NULL, worker, hbuf);
	pthread_join(t, NULL);
	for (i = 0; i < 3; i++)
		printf("gbuf[%d]=%.9s hbuf[%d]=%.9s\n", i, gbuf + 4096 * i + 100, i, hbuf + 4096 * i + 7);
	printf("dgram=%.8s stream=%.15s status=%d\n", hbuf + 8000, hbuf + 12000, WEXITSTATUS(gstatus));
	free(hbuf);
	return 0;
}
