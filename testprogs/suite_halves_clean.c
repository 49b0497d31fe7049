/* lockhound-expect: clean */
/* Clean twin of suite_halves_cycle: the driver starts itself (posix_spawn)
 * for two test cases, and each takes two heap locks with the same code,
 * take_both(first, second), in opposite orders of kind: case "queue" takes
 * a queue lock and then a worker lock, case "pool" a worker lock and then a
 * queue lock.  But they are locks of different classes: each case
 * initializes its own at its own call sites (queue_new/worker_new against
 * pool_queue_new/pool_worker_new), so nothing joins the two orders into a
 * cycle. */
#include "tp.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct obj {
	pthread_mutex_t lock;
	long n;
};

static struct obj *obj_alloc(void)
{
	struct obj *o = calloc(1, sizeof(*o));

	if (!o)
		tp_die("calloc");
	return o;
}

static struct obj *queue_new(void)
{
	struct obj *o = obj_alloc();
	TP_CHECK(pthread_mutex_init(&o->lock, NULL));
	return o;
}

static struct obj *worker_new(void)
{
	struct obj *o = obj_alloc();
	TP_CHECK(pthread_mutex_init(&o->lock, NULL));
	return o;
}

static struct obj *pool_queue_new(void)
{
	struct obj *o = obj_alloc();
	TP_CHECK(pthread_mutex_init(&o->lock, NULL));
	return o;
}

static struct obj *pool_worker_new(void)
{
	struct obj *o = obj_alloc();
	TP_CHECK(pthread_mutex_init(&o->lock, NULL));
	return o;
}

static void take_both(struct obj *first, struct obj *second)
{
	TP_CHECK(pthread_mutex_lock(&first->lock));
	TP_CHECK(pthread_mutex_lock(&second->lock));
	first->n++;
	second->n++;
	TP_CHECK(pthread_mutex_unlock(&second->lock));
	TP_CHECK(pthread_mutex_unlock(&first->lock));
}

static int run_case(const char *name)
{
	if (!strcmp(name, "queue")) {
		struct obj *q = queue_new(), *w = worker_new();
		take_both(q, w);
	} else if (!strcmp(name, "pool")) {
		struct obj *q = pool_queue_new(), *w = pool_worker_new();
		take_both(w, q);
	} else {
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *cases[] = { "queue", "pool" };
	int status;

	if (argc > 1)
		return run_case(argv[1]);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *args[] = { argv[0], (char *)cases[i], NULL };
		pid_t pid;
		int rc = posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ);
		if (rc != 0) {
			errno = rc;
			tp_die("posix_spawn");
		}
		if (waitpid(pid, &status, 0) != pid)
			tp_die("waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return 3;
	}
	return 0;
}
