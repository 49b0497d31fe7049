/* lockhound-expect: clean logs=2 min_edges=0 min_threads=3 */
/* The correct twin of misuse_atfork_reinit: the fork-safety idiom of a
 * library (jemalloc's postfork child handler, Redis's BGSAVE child).  A
 * static mutex `lib_mu`, initialized by pthread_mutex_init, has
 * pthread_atfork handlers: prepare locks it, the parent's handler unlocks
 * it, the child's handler initializes it again.  A second static mutex
 * `queue_mu` is held by a worker when main forks; the child, which has no
 * worker, initializes it again right after fork().  The child then uses
 * both, from its main thread and from a thread of its own, and exits 0.
 * Each is the child's first init of a mutex its parent made: no finding. */
#include "tp.h"

#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lib_mu;
static pthread_mutex_t queue_mu;
static long lib_count, queue_len;
static sem_t worker_holds, worker_may_go;

static void lib_prepare(void)
{
	TP_CHECK(pthread_mutex_lock(&lib_mu));
}

static void lib_parent(void)
{
	TP_CHECK(pthread_mutex_unlock(&lib_mu));
}

static void lib_child(void)
{
	TP_CHECK(pthread_mutex_init(&lib_mu, NULL));
}

static void use_both(void)
{
	TP_CHECK(pthread_mutex_lock(&lib_mu));
	lib_count++;
	TP_CHECK(pthread_mutex_unlock(&lib_mu));
	TP_CHECK(pthread_mutex_lock(&queue_mu));
	queue_len++;
	TP_CHECK(pthread_mutex_unlock(&queue_mu));
}

static void *child_thread(void *arg)
{
	(void)arg;
	use_both();
	return NULL;
}

static void *holder(void *arg)
{
	(void)arg;
	TP_CHECK(pthread_mutex_lock(&queue_mu));
	queue_len++;
	tp_sem_post(&worker_holds);
	tp_sem_wait(&worker_may_go);
	TP_CHECK(pthread_mutex_unlock(&queue_mu));
	return NULL;
}

int main(void)
{
	pthread_t w;
	pid_t pid;
	int st;

	tp_sem_init(&worker_holds);
	tp_sem_init(&worker_may_go);
	TP_CHECK(pthread_mutex_init(&lib_mu, NULL));
	TP_CHECK(pthread_mutex_init(&queue_mu, NULL));
	TP_CHECK(pthread_atfork(lib_prepare, lib_parent, lib_child));
	w = tp_spawn(holder, NULL);
	tp_sem_wait(&worker_holds);
	pid = fork();
	if (pid < 0)
		tp_die("fork");
	if (pid == 0) {
		/* the worker that held queue_mu is not in this process */
		TP_CHECK(pthread_mutex_init(&queue_mu, NULL));
		use_both();
		tp_join(tp_spawn(child_thread, NULL));
		exit(lib_count == 2 && queue_len == 3 ? 0 : 1);
	}
	tp_sem_post(&worker_may_go);
	tp_join(w);
	use_both();
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		tp_die("child");
	return 0;
}
