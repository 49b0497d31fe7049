/*
 * trapcost.c - what one trap costs on this machine, for each source of
 * sampled race watching, measured without the shim.
 *
 *   trapcost [N]     (N traps per source, default 2000)
 *
 * hw: a hardware watchpoint (perf_event_open, PERF_TYPE_BREAKPOINT, writes
 *     of 8 bytes, sigtrap=1) on a private word; N stores, each delivering a
 *     SIGTRAP to this thread.  Before timing, one store must trap (the
 *     self-test: on some CPUs the event opens but never fires).
 * wp: userfaultfd write-protect of one private anonymous page; a handler
 *     thread reads each fault and un-protects the page (which wakes the
 *     writer); the writer protects it again before each store.  Per trap:
 *     protect ioctl + fault + handler + un-protect.
 * Prints one line per source: "hw: N traps, X us per trap" (the time of a
 * store that traps minus one that does not), or "hw: unavailable: why".
 * Exit status 0 even if a source is unavailable (that is a result).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile long word;
static volatile sig_atomic_t traps;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void on_trap(int sig, siginfo_t *si, void *uc)
{
	traps++;
}

static double plain_stores_us(long n)
{
	double t0 = now_us();

	for (long i = 0; i < n; i++)
		word = i;
	return (now_us() - t0) / (double)n;
}

static void hw(long n)
{
	struct perf_event_attr a;
	struct sigaction sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTRAP, &sa, NULL);
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_BREAKPOINT;
	a.size = sizeof(a);
	a.bp_type = HW_BREAKPOINT_W;
	a.bp_addr = (uintptr_t)&word;
	a.bp_len = HW_BREAKPOINT_LEN_8;
	a.sample_period = 1;
	a.sigtrap = 1;
	a.remove_on_exec = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		printf("hw: unavailable: perf_event_open: %s\n", strerror(errno));
		return;
	}
	word = 1;
	if (traps != 1) {
		printf("hw: unavailable: the self-test store raised %d traps (want 1)\n", (int)traps);
		close(fd);
		return;
	}
	traps = 0;
	double t0 = now_us();
	for (long i = 0; i < n; i++)
		word = i;
	double per = (now_us() - t0) / (double)n;
	close(fd);
	printf("hw: %ld traps of %ld stores, %.1f us per trap\n", (long)traps, n,
	       per - plain_stores_us(n));
}

static int uffd;
static char *page;
static long wp_faults;

static void *wp_handler(void *arg)
{
	struct uffd_msg m;
	struct pollfd p = { .fd = uffd, .events = POLLIN };

	for (;;) {
		/* closed (POLLNVAL) or idle for 2 s: done */
		if (poll(&p, 1, 2000) <= 0 || !(p.revents & POLLIN))
			return NULL;
		if (read(uffd, &m, sizeof(m)) != sizeof(m))
			continue;
		if (m.event != UFFD_EVENT_PAGEFAULT)
			continue;
		struct uffdio_writeprotect w = {
			.range = { .start = (uintptr_t)page, .len = 4096 }, .mode = 0 };
		ioctl(uffd, UFFDIO_WRITEPROTECT, &w); /* un-protect: wakes the writer */
		wp_faults++;
	}
}

static void wp(long n)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	struct uffdio_register reg;
	pthread_t t;

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0) {
		printf("wp: unavailable: userfaultfd: %s\n", strerror(errno));
		return;
	}
	if (ioctl(uffd, UFFDIO_API, &api) != 0) {
		printf("wp: unavailable: UFFDIO_API (write-protect): %s\n", strerror(errno));
		return;
	}
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		printf("wp: unavailable: mmap: %s\n", strerror(errno));
		return;
	}
	page[0] = 1; /* populate it: write-protect needs a present page */
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)page;
	reg.range.len = 4096;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) {
		printf("wp: unavailable: UFFDIO_REGISTER (write-protect): %s\n", strerror(errno));
		return;
	}
	if (pthread_create(&t, NULL, wp_handler, NULL) != 0)
		return;
	double base = 0;
	for (int pass = 0; pass < 2; pass++) {
		double t0 = now_us();
		for (long i = 0; i < n; i++) {
			struct uffdio_writeprotect w = {
				.range = { .start = (uintptr_t)page, .len = 4096 },
				.mode = UFFDIO_WRITEPROTECT_MODE_WP };
			ioctl(uffd, UFFDIO_WRITEPROTECT, &w);
			if (pass == 0) {
				/* the protect and un-protect alone (no fault) */
				w.mode = 0;
				ioctl(uffd, UFFDIO_WRITEPROTECT, &w);
			} else {
				((volatile char *)page)[8] = (char)i; /* faults, waits for the handler */
			}
		}
		double per = (now_us() - t0) / (double)n;
		if (pass == 0)
			base = per;
		else
			printf("wp: %ld faults of %ld stores, %.1f us per trap (protect + fault + "
			       "un-protect; the two ioctls alone %.1f us)\n", wp_faults, n, per, base);
	}
	close(uffd); /* the handler's poll fails and it returns */
	pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000;

	if (n < 1 || n > 10000000) {
		fprintf(stderr, "usage: trapcost [N]\n");
		return 2;
	}
	hw(n);
	wp(n);
	return 0;
}
