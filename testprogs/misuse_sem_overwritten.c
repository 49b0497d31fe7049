/* lockhound-expect: misuse count=1 what=sem-overwritten locks=1 functions=post_after_clobber min_edges=0 min_threads=1 */
/* A semaphore whose memory is overwritten after sem_init: a memset meant
 * for the buffer next to it zeroes `job.done` as well, a process-shared
 * semaphore, which glibc now takes for a private one.  lockhound reports
 * sem-overwritten at the post that follows.  The correct twin is
 * misuse_sem_lifecycle_clean. */
#include "tp.h"

static struct {
	char buf[32];
	sem_t done;
} job;

static void post_after_clobber(void)
{
	memset(&job, 0, sizeof(job)); /* the bug: meant sizeof(job.buf) */
	(void)sem_post(&job.done);
}

int main(void)
{
	if (sem_init(&job.done, 1, 0) != 0)
		tp_die("sem_init");
	post_after_clobber();
	if (sem_destroy(&job.done) != 0)
		tp_die("sem_destroy");
	return 0;
}
