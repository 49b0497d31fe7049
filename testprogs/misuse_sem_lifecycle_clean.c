/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* The correct twin of misuse_sem_reinit, misuse_sem_not_initialized,
 * misuse_sem_overwritten and misuse_sem_destroy_waiters:
 *  - a semaphore initialized, destroyed and initialized again;
 *  - one on the stack of a function called twice that never destroys it
 *    (a no-op in glibc): the second call's sem_init is a new semaphore;
 *  - the memory next to a semaphore overwritten, the semaphore left alone;
 *  - a heap semaphore freed without sem_destroy, its memory allocated again
 *    for a new one (sem_init there is no re-initialization);
 *  - a semaphore destroyed after its waiter has woken and been joined;
 *  - a process-shared semaphore initialized by the parent in shared memory
 *    and used by a forked child through a second mapping at an address the
 *    child's shim never saw initialized (another process's semaphore). */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tp.h"

static sem_t cycle_sem, work;

static void stack_semaphore(void)
{
	sem_t local;
	if (sem_init(&local, 0, 1) != 0)
		tp_die("sem_init");
	tp_sem_wait(&local);
	tp_sem_post(&local);
}

static void *waiter(void *arg)
{
	tp_sem_wait(&work);
	return NULL;
}

static void shared_with_child(void)
{
	int fd = memfd_create("lockhound-sem", 0);
	sem_t *s, *again;
	pid_t pid;
	int status;

	if (fd < 0 || ftruncate(fd, 4096) != 0)
		tp_die("memfd");
	s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED)
		tp_die("mmap");
	if (sem_init(s, 1, 0) != 0)
		tp_die("sem_init");
	pid = fork();
	if (pid < 0)
		tp_die("fork");
	if (pid == 0) {
		again = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (again == MAP_FAILED)
			exit(2);
		tp_sem_post(again);
		exit(0);
	}
	tp_sem_wait(s);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		tp_die("child");
	sem_destroy(s);
	munmap(s, 4096);
	close(fd);
}

int main(void)
{
	struct {
		char buf[32];
		sem_t done;
	} job;
	sem_t *heap;
	int i;

	if (sem_init(&cycle_sem, 0, 1) != 0 || sem_destroy(&cycle_sem) != 0 ||
	    sem_init(&cycle_sem, 0, 1) != 0)
		tp_die("sem_init");
	tp_sem_wait(&cycle_sem);
	tp_sem_post(&cycle_sem);

	stack_semaphore();
	stack_semaphore();

	for (i = 0; i < 2; i++) {
		heap = malloc(sizeof(*heap));
		if (!heap || sem_init(heap, 0, 0) != 0)
			tp_die("sem_init");
		tp_sem_post(heap);
		tp_sem_wait(heap);
		free(heap); /* not destroyed: freeing it ends it */
	}

	if (sem_init(&job.done, 0, 0) != 0)
		tp_die("sem_init");
	memset(job.buf, 0xff, sizeof(job.buf));
	tp_sem_post(&job.done);
	tp_sem_wait(&job.done);
	sem_destroy(&job.done);

	if (sem_init(&work, 0, 0) != 0)
		tp_die("sem_init");
	pthread_t t1 = tp_spawn(waiter, NULL);
	pthread_t t2 = tp_spawn(waiter, NULL);
	tp_sem_post(&work);
	tp_sem_post(&work);
	tp_join(t1);
	tp_join(t2);
	if (sem_destroy(&work) != 0)
		tp_die("sem_destroy");

	shared_with_child();
	return 0;
}
