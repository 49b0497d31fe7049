/*
 * logwrite.c - the log file: creating it safely, writing records whole,
 * and the module map.
 *
 * The log is created with O_CREAT|O_EXCL|O_NOFOLLOW and mode 0600: it never
 * follows a symlink planted at its name, never truncates an existing file,
 * and only the owner can read it (stacks and addresses are not for others).
 * The name carries the pid, and a counter if that name is taken (exec keeps
 * the pid).
 *
 * Records are copied into a window of the file mapped MAP_SHARED: no system
 * call per record (a program forming hundreds of thousands of lock orders
 * would otherwise pay several per order).  The mapped pages are the file's
 * page cache, so abort(), SIGKILL or a crash lose nothing already recorded.
 * The file is allocated ahead of the records (fallocate, so a full disk is
 * an error here and never a SIGBUS later) by as much as it holds already,
 * from LH_LOG_MAP_FIRST up to LH_LOG_MAP_CHUNK at a time;
 * the bytes past the last record are zero, and the reader stops at the
 * first zero record header of a log whose header has LH_HDR_MAPPED.  A
 * record's header is stored after its payload, so a record cut by SIGKILL
 * reads as that zero end.  At the END record the file is cut to its
 * records.  When the file cannot be allocated or mapped (a file system
 * without fallocate, a full disk, the file size limit near), the records
 * go through one writev each, as before, on the same file.
 */
#include "shim.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

pthread_mutex_t lh_log_mu = PTHREAD_MUTEX_INITIALIZER;
uint32_t lh_log_epoch = 1;
static int log_fd = -1;
/* set while this thread writes a record: a signal handler that calls exit()
 * meanwhile must not wait for the log lock its own thread holds */
static __thread int writing __attribute__((tls_model("initial-exec")));
static int log_failed;
/* The file size limit (RLIMIT_FSIZE, `ulimit -f`): a write past it would
 * raise SIGXFSZ, whose default action kills the program.  The log stops
 * LH_LOG_FSIZE_RESERVE bytes short of the limit: that room takes the note
 * saying the log was cut, and the end record, so the log still ends
 * properly.  log_cut: only the end record is written from then on. */
#define LH_LOG_FSIZE_RESERVE 4096
static int log_cut;
static char log_path[LH_PATH_MAX + 128];
static dev_t log_dev; /* what log_fd must still be: programs close or dup2 */
static ino_t log_ino; /* over descriptors they do not own (daemons, closefrom) */

/* The mapped window, all under lh_log_mu.  Invariants: write_off <=
 * file_len; the file's bytes in [write_off, file_len) are zero; when win is
 * set it maps [win_off, win_off + win_len) of the file, win_off <=
 * write_off and win_off + win_len == file_len.  map_on: records go to the
 * window (growing it as needed); off: through writev (write_off unused). */
#define LH_LOG_MAP_CHUNK (1u << 20) /* bytes allocated and mapped ahead at a time, at most */
/* ...and at first: a process that ends without its end record (_exit, as
 * shells do; exec; a signal) keeps the zero tail allocated ahead, so a
 * small log must not carry a large one (was a 1 MiB file per such process) */
#define LH_LOG_MAP_FIRST (16u << 10)
static int map_on;
static char *win;
static off_t win_off, write_off, file_len;
static size_t win_len;

const char *lh_log_path(void)
{
	return log_path;
}

/* keep the descriptor away from the low numbers programs dup2 onto */
static int move_high(int fd)
{
	if (fd < 100) {
		int hi = fcntl(fd, F_DUPFD_CLOEXEC, 100);
		if (hi >= 0) {
			close(fd);
			fd = hi;
		}
	}
	return fd;
}

/* the log's birth time where the file system keeps one: an inode number is
 * reused as soon as a removed file's last descriptor closes, so device and
 * inode alone would take a file created later at the log's name for the
 * log */
static int log_has_btime;
static struct statx_timestamp log_btime;

static void remember_identity(void)
{
	struct stat st;
	struct statx stx;

	if (fstat(log_fd, &st) == 0) {
		log_dev = st.st_dev;
		log_ino = st.st_ino;
	}
	log_has_btime = statx(log_fd, "", AT_EMPTY_PATH, STATX_BTIME, &stx) == 0 &&
	                (stx.stx_mask & STATX_BTIME);
	if (log_has_btime)
		log_btime = stx.stx_btime;
}

/* is fd the log the shim created?  *size (if not NULL): its size */
static int is_our_log(int fd, off_t *size)
{
	struct stat st;
	struct statx stx;

	if (fstat(fd, &st) != 0 || st.st_dev != log_dev || st.st_ino != log_ino)
		return 0;
	if (log_has_btime &&
	    (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &stx) != 0 || !(stx.stx_mask & STATX_BTIME) ||
	     stx.stx_btime.tv_sec != log_btime.tv_sec || stx.stx_btime.tv_nsec != log_btime.tv_nsec))
		return 0;
	if (size)
		*size = st.st_size;
	return 1;
}

/* Is log_fd still our log?  If the program closed it, or put a file of its
 * own on that number, our records must not go there: open the log again by
 * name (appending; it is recreated, owner-only and O_EXCL, if it was
 * removed).  The name keeps the creation's guarantees: what is found there
 * must be the very file the shim created (same device, inode and birth
 * time), so a
 * file, FIFO or device put in its place after a removal gets no records and
 * cannot block the open (O_RDWR | O_NONBLOCK: opening a FIFO for reading
 * and writing never waits); the shim then stops recording (EEXIST).  The
 * log is opened for reading too because a shared mapping needs it.  The
 * old number is the
 * program's now and is left alone.  *size is the log's size.  Caller holds
 * lh_log_mu. */
static int check_fd(off_t *size)
{
	struct stat st;
	int fd;

	if (is_our_log(log_fd, size))
		return 0;
	fd = open(log_path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd >= 0 && !is_our_log(fd, NULL)) {
		close(fd);
		errno = EEXIST;
		return -1;
	}
	if (fd < 0 && errno == ENOENT)
		fd = open(log_path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	/* a regular file: O_NONBLOCK changes nothing for it, but clear it */
	fcntl(fd, F_SETFL, O_APPEND);
	log_fd = move_high(fd);
	remember_identity();
	*size = fstat(log_fd, &st) == 0 ? st.st_size : 0;
	return 0;
}

/* write all of iov, retrying short writes and EINTR */
static int write_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t n = writev(fd, iov, cnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static void write_header(int forked_child)
{
	struct lh_file_header h;
	struct timespec ts;
	struct iovec iov;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, LH_LOG_MAGIC, LH_LOG_MAGIC_LEN);
	h.format_version = LH_LOG_FORMAT_VERSION;
	h.header_size = sizeof(h);
	h.pid = (uint32_t)getpid();
	h.ppid = (uint32_t)getppid();
	clock_gettime(CLOCK_REALTIME, &ts);
	h.start_realtime_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	h.start_mono_ns = lh_now_ns();
	strncpy(h.tool_version, LOCKHOUND_VERSION, sizeof(h.tool_version) - 1);
	h.pointer_size = sizeof(void *);
	h.flags = (forked_child ? LH_HDR_FORKED_CHILD : 0) | LH_HDR_MAPPED;
	iov.iov_base = &h;
	iov.iov_len = sizeof(h);
	if (write_all(log_fd, &iov, 1) < 0)
		log_failed = 1;
}

static void write_process(void)
{
	static char exe[LH_PATH_MAX];
	static char cmd[8192];
	struct lh_rec_process p;
	ssize_t n;
	int fd;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	p.exe_len = (uint32_t)strlen(exe) + 1;
	p.cmdline_len = 0;
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		if (n > 0) {
			cmd[n] = 0;
			p.cmdline_len = (uint32_t)n + 1;
		}
	}
	lh_log_record(LH_REC_PROCESS, &p, sizeof(p), exe, p.exe_len, cmd, p.cmdline_len);
}

/* Stop writing through the map: unmap the window and, unless the file is
 * not ours to change (a forked child's copy of the parent's state), cut the
 * file to its records so that writev appends right after them.  Caller
 * holds lh_log_mu (or is the only thread). */
static void map_stop(int cut)
{
	if (win)
		munmap(win, win_len);
	win = NULL;
	win_off = 0;
	win_len = 0;
	if (map_on && cut && is_our_log(log_fd, NULL) && ftruncate(log_fd, write_off) != 0) {
		/* the zero tail stays; the reader stops at it */
	}
	map_on = 0;
}

/* Make room for a record of len bytes at write_off: allocate the file
 * further and map a new window over it.  0 if the record fits in the
 * window now; -1 if the log cannot be mapped (then map_stop, and the
 * caller writes it with writev).  Caller holds lh_log_mu. */
static int map_more(size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	struct rlimit rl;
	off_t size = 0, new_len, new_off, ahead;
	void *p;

	if (page <= 0)
		page = 4096;
	/* the program may have closed or replaced our descriptor: the file we
	 * allocate and map must be the one whose tail we wrote */
	if (!is_our_log(log_fd, &size) || size != file_len)
		goto fail;
	new_off = write_off & ~(off_t)(page - 1);
	/* ahead: as much as the log holds, within [LH_LOG_MAP_FIRST,
	 * LH_LOG_MAP_CHUNK] (a few more moves while the log is small) */
	ahead = write_off < (off_t)LH_LOG_MAP_FIRST   ? (off_t)LH_LOG_MAP_FIRST
	        : write_off > (off_t)LH_LOG_MAP_CHUNK ? (off_t)LH_LOG_MAP_CHUNK
	                                              : write_off;
	new_len = ((write_off + (off_t)len + ahead + page - 1) & ~(off_t)(page - 1));
	/* the file size limit: allocating past it would raise SIGXFSZ; the
	 * writev path (fits) cuts the log properly near it */
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (uint64_t)new_len + LH_LOG_FSIZE_RESERVE > rl.rlim_cur)
		goto fail;
	if (new_len > file_len && fallocate(log_fd, 0, file_len, new_len - file_len) != 0)
		goto fail;
	file_len = new_len;
	if (win)
		munmap(win, win_len);
	win = NULL;
	p = mmap(NULL, (size_t)(new_len - new_off), PROT_READ | PROT_WRITE, MAP_SHARED, log_fd,
	         new_off);
	if (p == MAP_FAILED)
		goto fail;
	win = p;
	win_off = new_off;
	win_len = (size_t)(new_len - new_off);
	return 0;
fail:
	map_stop(1);
	return -1;
}

/* the log was just written through writev up to its current size: records
 * go through the map from here (the window is made by the first one) */
static void map_start(void)
{
	struct stat st;

	win = NULL;
	win_off = 0;
	win_len = 0;
	map_on = fstat(log_fd, &st) == 0;
	write_off = file_len = map_on ? st.st_size : 0;
}

/* copy a whole record to write_off: the payload first, then the header's
 * size, then its type, so that a record cut short by SIGKILL has a zero
 * type (the end, for the reader).  Caller holds lh_log_mu. */
static void map_put(const struct lh_rec_hdr *h, const struct iovec *iov, int cnt)
{
	char *at = win + (write_off - win_off);
	size_t off = sizeof(*h);
	int i;

	for (i = 1; i < cnt; i++) {
		memcpy(at + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	memcpy(at + offsetof(struct lh_rec_hdr, flags), &h->flags, sizeof(h->flags));
	memcpy(at + offsetof(struct lh_rec_hdr, size), &h->size, sizeof(h->size));
	__atomic_signal_fence(__ATOMIC_RELEASE); /* the type last, even against a signal */
	memcpy(at + offsetof(struct lh_rec_hdr, type), &h->type, sizeof(h->type));
	write_off += (off_t)off;
}

/* in a forked child, before anything is written: the window is the
 * parent's file, which the child must not touch */
void lh_log_forget_parent_map(void)
{
	map_stop(0);
}

/* stderr is a terminal (isatty's ENOTTY is not left in the program's errno) */
static int stderr_is_terminal(void)
{
	int saved = errno, tty = isatty(2);
	errno = saved;
	return tty;
}

int lh_log_open(int forked_child)
{
	const char *dir = lh_opt.log_dir[0] ? lh_opt.log_dir : ".";
	int i, fd = -1;

	map_stop(0); /* a fork child's copy of the parent's window */
	if (log_fd >= 0) {
		/* the parent's log (in a fork child): close our copy, unless the
		 * number now holds a file of the program's */
		if (is_our_log(log_fd, NULL))
			close(log_fd);
		log_fd = -1;
	}
	for (i = 0; i < 1000 && fd < 0; i++) {
		if (i == 0)
			snprintf(log_path, sizeof(log_path), "%s/%s.%d.log", dir, lh_opt.log_prefix,
			         (int)getpid());
		else
			snprintf(log_path, sizeof(log_path), "%s/%s.%d.%d.log", dir, lh_opt.log_prefix,
			         (int)getpid(), i);
		fd = open(log_path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_APPEND,
		          0600);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		lh_warn("cannot create a log in %s: %s; lockhound is off for this process", dir,
		        strerror(errno));
		return -1;
	}
	fd = move_high(fd);
	log_fd = fd;
	remember_identity();
	log_failed = 0;
	log_cut = 0;
	if (forked_child)
		__atomic_add_fetch(&lh_log_epoch, 1, __ATOMIC_RELAXED);
	write_header(forked_child);
	write_process();
	map_start();
	/* Where the log went is told to a person at a terminal only.  A
	 * stderr that is a pipe or a file is read by a program (Tcl's exec
	 * fails when its child writes anything on stderr; configure tests
	 * and test suites compare it), which must see what it sees natively. */
	if (!lh_opt.quiet && !lh_xr_temp_log() && stderr_is_terminal()) {
		char buf[LH_PATH_MAX + 160];
		int n = snprintf(buf, sizeof(buf), "lockhound: pid %d: writing log to %s\n",
		                 (int)getpid(), log_path);
		if (n >= (int)sizeof(buf))
			n = (int)sizeof(buf) - 1;
		if (write(2, buf, (size_t)n) < 0) {
			/* stderr is closed: nothing to tell */
		}
	}
	return 0;
}

/* Can a record of len bytes be written to a log of size bytes without going
 * past the file size limit?  When it cannot, the log is cut: a note says
 * so, and only the end record may follow.  Caller holds lh_log_mu. */
static int fits(uint16_t type, off_t size, size_t len)
{
	static const char why[] = "the log was cut here: it reached the file size limit (ulimit -f, "
	                          "RLIMIT_FSIZE); the result may be incomplete";
	struct rlimit rl;
	struct lh_rec_hdr h;
	struct lh_rec_note n;
	struct iovec iov[3];
	uint64_t lim, end = (uint64_t)size + len;

	if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 1;
	lim = rl.rlim_cur;
	if (type == LH_REC_END ? end <= lim : !log_cut && end + LH_LOG_FSIZE_RESERVE <= lim)
		return 1;
	if (log_cut)
		return 0;
	log_cut = 1;
	lh_warn("%s reached the file size limit (ulimit -f); recording stops here", log_path);
	n.level = 1;
	n.len = sizeof(why);
	h.type = LH_REC_NOTE;
	h.flags = 0;
	h.size = (uint32_t)(sizeof(n) + sizeof(why));
	if ((uint64_t)size + sizeof(h) + h.size <= lim) {
		iov[0].iov_base = &h;
		iov[0].iov_len = sizeof(h);
		iov[1].iov_base = &n;
		iov[1].iov_len = sizeof(n);
		iov[2].iov_base = (void *)why;
		iov[2].iov_len = sizeof(why);
		if (write_all(log_fd, iov, 3) == 0)
			size += (off_t)(sizeof(h) + h.size);
	}
	/* the end record has room if it is the one being written */
	return type == LH_REC_END && (uint64_t)size + len <= lim;
}

void lh_log_record(uint16_t type, const void *p1, size_t n1, const void *p2, size_t n2,
                   const void *p3, size_t n3)
{
	struct lh_rec_hdr h;
	struct iovec iov[4];
	int cnt = 0, fail_errno = 0;
	off_t size = 0;

	if (log_fd < 0 || log_failed || writing || (log_cut && type != LH_REC_END))
		return;
	h.type = type;
	h.flags = 0;
	h.size = (uint32_t)(n1 + n2 + n3);
	iov[cnt].iov_base = &h;
	iov[cnt++].iov_len = sizeof(h);
	if (n1) {
		iov[cnt].iov_base = (void *)p1;
		iov[cnt++].iov_len = n1;
	}
	if (n2) {
		iov[cnt].iov_base = (void *)p2;
		iov[cnt++].iov_len = n2;
	}
	if (n3) {
		iov[cnt].iov_base = (void *)p3;
		iov[cnt++].iov_len = n3;
	}
	lh_in_shim++;
	writing = 1;
	lh_mu_lock(&lh_log_mu);
	if (map_on && ((win && write_off + (off_t)sizeof(h) + h.size <= win_off + (off_t)win_len) ||
	               map_more(sizeof(h) + h.size) == 0)) {
		map_put(&h, iov, cnt);
		/* the end of the program's records: cut the zero tail off; what
		 * other threads write after it is appended with writev */
		if (type == LH_REC_END)
			map_stop(1);
	} else if (check_fd(&size) < 0) {
		fail_errno = errno;
	} else if (fits(type, size, sizeof(h) + h.size)) {
		if (write_all(log_fd, iov, cnt) < 0)
			fail_errno = errno;
	}
	/* a full disk and a file size limit end alike: the program goes on */
	if (fail_errno && !log_failed) {
		log_failed = 1;
		lh_warn("writing %s failed: %s; recording stops here", log_path, strerror(fail_errno));
	}
	lh_mu_unlock(&lh_log_mu);
	writing = 0;
	lh_in_shim--;
}

static void *lh_log_map_rec(uint16_t type, void *r, size_t n_r, uint32_t *bits_off, size_t n_bytes);

/* An LH_REC_CLS_MAP (or LH_REC_CLS_TUPLE) whose bitmap (n_bytes, a multiple of the page size)
 * starts on a page of the file, mapped MAP_SHARED on its own: the caller
 * sets bits with plain stores into the page cache, which outlive a SIGKILL
 * like any record.  Written through the window only (allocated ahead with
 * fallocate, so the bitmap's pages exist and a store never raises SIGBUS);
 * NULL when the log is not mapped (writev), is cut, or the mapping fails:
 * the caller then writes pair records instead.  Padding: the zero bytes
 * between the fixed part and the page boundary (r->bits_off says where the
 * bitmap starts).  The bitmap's mapping outlives the window and this
 * descriptor; lh_log_unmap_bits gives it back. */
void *lh_log_map_bits(struct lh_rec_cls_map *r, size_t n_bytes)
{
	return lh_log_map_rec(LH_REC_CLS_MAP, r, sizeof(*r), &r->bits_off, n_bytes);
}

void *lh_log_map_tuple_bits(struct lh_rec_cls_tuple *r, size_t n_bytes)
{
	return lh_log_map_rec(LH_REC_CLS_TUPLE, r, sizeof(*r), &r->bits_off, n_bytes);
}

/* the record of type `type` with the fixed part r of n_r bytes, whose
 * bits_off (a field of r) is set here, and a bitmap of n_bytes */
static void *lh_log_map_rec(uint16_t type, void *r, size_t n_r, uint32_t *bits_off, size_t n_bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	struct lh_rec_hdr h;
	off_t start, bits_at;
	size_t total;
	char *at;
	void *p = NULL;

	if (page <= 0)
		page = 4096;
	if (log_fd < 0 || log_failed || writing || log_cut || n_bytes % (size_t)page)
		return NULL;
	lh_in_shim++;
	writing = 1;
	lh_mu_lock(&lh_log_mu);
	if (!map_on)
		goto out;
	start = write_off;
	bits_at = (start + (off_t)(sizeof(h) + n_r) + page - 1) & ~(off_t)(page - 1);
	total = (size_t)(bits_at - start) + n_bytes;
	if (total - sizeof(h) > LH_MAX_RECORD_SIZE)
		goto out;
	if (!(win && start + (off_t)total <= win_off + (off_t)win_len) && map_more(total) != 0)
		goto out; /* map_more stopped the window: writev from here */
	p = mmap(NULL, n_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, log_fd, bits_at);
	if (p == MAP_FAILED) {
		p = NULL;
		goto out;
	}
	*bits_off = (uint32_t)(bits_at - start - (off_t)sizeof(h));
	at = win + (start - win_off);
	/* the padding and the bitmap are the file's zero tail already */
	memcpy(at + sizeof(h), r, n_r);
	h.type = type;
	h.flags = 0;
	h.size = (uint32_t)(total - sizeof(h));
	memcpy(at + offsetof(struct lh_rec_hdr, flags), &h.flags, sizeof(h.flags));
	memcpy(at + offsetof(struct lh_rec_hdr, size), &h.size, sizeof(h.size));
	__atomic_signal_fence(__ATOMIC_RELEASE); /* the type last, as map_put does */
	memcpy(at + offsetof(struct lh_rec_hdr, type), &h.type, sizeof(h.type));
	write_off += (off_t)total;
out:
	lh_mu_unlock(&lh_log_mu);
	writing = 0;
	lh_in_shim--;
	return p;
}

void lh_log_unmap_bits(void *bits, size_t n_bytes)
{
	if (bits)
		munmap(bits, n_bytes);
}

void lh_log_note(const char *fmt, ...)
{
	char buf[512];
	struct lh_rec_note n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	n.level = 1;
	n.len = (uint32_t)strlen(buf) + 1;
	lh_log_record(LH_REC_NOTE, &n, sizeof(n), buf, n.len, NULL, 0);
}

void lh_log_end(int status, uint32_t flags)
{
	struct lh_rec_end e;

	memset(&e, 0, sizeof(e));
	e.end_ns = lh_now_ns();
	e.exit_status = status;
	e.flags = flags;
	e.n_threads = lh_thr_count();
	lh_log_record(LH_REC_END, &e, sizeof(e), NULL, 0, NULL, 0);
}

/* ---- module map ----
 *
 * Every loaded object gets a MODULE record before any stack that could
 * point into it.  The shim does not wrap dlopen (glibc resolves $ORIGIN,
 * RUNPATH and the namespace from dlopen's caller, which would become the
 * shim): before it writes a new stack it asks the loader whether objects
 * were added or removed since it last looked (dl_iterate_phdr's
 * dlpi_adds/dlpi_subs), which is one cheap call on a rare path.
 *
 * The records written are also kept in shim memory, so a forked child
 * writes them to its own log without calling dl_iterate_phdr: the loader's
 * lock may have been held by another thread at the moment of fork, and it
 * is not reset in the child. */

#define MAX_MODS 4096
struct mod {
	uintptr_t base, lo, hi;
	uint32_t build_id_len, path_len;
	uint8_t *build_id;
	char *path;
};
static struct mod mods[MAX_MODS];
static int n_mods;
static int mods_full_noted; /* the note that objects are left out, once */
static unsigned long long seen_adds, seen_subs;
pthread_mutex_t lh_mods_mu = PTHREAD_MUTEX_INITIALIZER; /* across fork: forklocks.c */

static size_t find_build_id(struct dl_phdr_info *info, const uint8_t **out)
{
	int i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p, *end;

		if (ph->p_type != PT_NOTE)
			continue;
		p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			size_t namesz = (nh->n_namesz + 3) & ~3u, descsz = (nh->n_descsz + 3) & ~3u;
			const char *name = p + sizeof(*nh);
			if (name + namesz + descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
				*out = (const uint8_t *)(name + namesz);
				return nh->n_descsz;
			}
			p = name + namesz + descsz;
		}
	}
	return 0;
}

static void emit_module(const struct mod *m)
{
	struct lh_rec_module r;

	memset(&r, 0, sizeof(r));
	r.base = m->base;
	r.lo = m->lo;
	r.hi = m->hi;
	r.build_id_len = m->build_id_len;
	r.path_len = m->path_len;
	lh_log_record(LH_REC_MODULE, &r, sizeof(r), m->build_id, m->build_id_len, m->path, m->path_len);
}

static int module_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	static char exe[LH_PATH_MAX];
	const uint8_t *bid = NULL;
	const char *path = info->dlpi_name;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	struct mod *m;
	size_t plen;
	int i;

	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
		seen_adds = info->dlpi_adds;
		seen_subs = info->dlpi_subs;
	}
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		if (info->dlpi_addr + ph->p_vaddr < lo)
			lo = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi)
			hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	if (hi == 0)
		return 0;
	if (!path || !path[0]) {
		/* the main program has no name here */
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = 0;
		path = exe;
	}
	if (!strncmp(path, "linux-vdso", 10) || !strncmp(path, "linux-gate", 10))
		return 0; /* no file behind it */
	plen = strlen(path) + 1;
	/* known already: same range and same file (after dlclose, another
	 * object can be loaded at the same address) */
	for (i = 0; i < n_mods; i++)
		if (mods[i].base == info->dlpi_addr && mods[i].lo == lo && mods[i].hi == hi &&
		    mods[i].path_len == plen && !memcmp(mods[i].path, path, plen))
			return 0;
	if (n_mods == MAX_MODS) {
		if (!mods_full_noted++)
			lh_log_note("more than %d loaded objects (MAX_MODS): stacks in the others cannot "
			            "be symbolized; the result may be incomplete",
			            MAX_MODS);
		return 0;
	}
	m = &mods[n_mods];
	m->base = info->dlpi_addr;
	m->lo = lo;
	m->hi = hi;
	m->build_id_len = (uint32_t)find_build_id(info, &bid);
	m->path_len = (uint32_t)plen;
	m->build_id = lh_alloc(m->build_id_len + 1);
	m->path = lh_alloc(plen);
	if (!m->build_id || !m->path) {
		if (!mods_full_noted++)
			lh_log_note("out of memory for the module map: stacks in %s cannot be "
			            "symbolized; the result may be incomplete",
			            path);
		return 0;
	}
	memcpy(m->build_id, bid, m->build_id_len);
	memcpy(m->path, path, plen);
	n_mods++;
	{
		/* a CPython interpreter, or an embedding program that loaded
		 * libpython: its API may be there (pyframes.c) */
		const char *b = strrchr(path, '/');
		b = b ? b + 1 : path;
		if (!strncmp(b, "libpython", 9) || (path == exe && !strncmp(b, "python", 6)))
			lh_py_seen_lib();
	}
	emit_module(m);
	return 0;
}

void lh_log_modules(void)
{
	lh_in_shim++;
	lh_mu_lock(&lh_mods_mu);
	dl_iterate_phdr(module_cb, NULL);
	lh_mu_unlock(&lh_mods_mu);
	lh_in_shim--;
}

static int counters_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	unsigned long long *c = data;

	if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof(info->dlpi_subs)) {
		c[0] = info->dlpi_adds;
		c[1] = info->dlpi_subs;
	} else {
		c[0] = ~0ull; /* an old loader: always rescan */
	}
	return 1; /* the counters are the same in every entry: one is enough */
}

void lh_log_modules_if_changed(void)
{
	unsigned long long c[2] = { 0, 0 };

	lh_in_shim++;
	dl_iterate_phdr(counters_cb, c);
	lh_in_shim--;
	if (c[0] != seen_adds || c[1] != seen_subs)
		lh_log_modules();
}

void lh_log_modules_after_fork_child(void)
{
	int i;

	/* lh_mods_mu was re-made by lh_fork_reset_all */
	for (i = 0; i < n_mods; i++)
		emit_module(&mods[i]);
}
