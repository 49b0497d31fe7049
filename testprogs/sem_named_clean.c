/* lockhound-expect: clean min_edges=2 min_threads=3 */
/* Named semaphores used correctly:
 *  - a binary one opened twice (glibc maps it once: the same semaphore),
 *    the second time while main has it, then used as a lock through both
 *    handles: table -> it, it -> log (min_edges=2; were the second open a
 *    new semaphore, main's post through it would show it is no lock, and
 *    neither order would be recorded);
 *  - closed by both handles and unlinked; the name made again with O_CREAT
 *    and 0, a new semaphore, used as a signal from one thread to another;
 *  - sem_open without O_CREAT of an existing one (its value read), posted
 *    and waited on by main.
 * Nothing of it is a finding: no order through the signalling semaphore,
 * no misuse (opened twice is no re-initialization). */
#include <fcntl.h>
#include <unistd.h>
#include "tp.h"

static char name[64];
static pthread_mutex_t table, log_mu;
static sem_t *signal_sem;

static void *signaller(void *arg)
{
	TP_CHECK(pthread_mutex_lock(&log_mu));
	tp_sem_post(signal_sem);
	TP_CHECK(pthread_mutex_unlock(&log_mu));
	return NULL;
}

static void *receiver(void *arg)
{
	tp_sem_wait(signal_sem);
	TP_CHECK(pthread_mutex_lock(&log_mu));
	TP_CHECK(pthread_mutex_unlock(&log_mu));
	return NULL;
}

int main(void)
{
	sem_t *one, *two, *existing;

	snprintf(name, sizeof(name), "/lockhound-named-%d", (int)getpid());
	TP_CHECK(pthread_mutex_init(&table, NULL));
	TP_CHECK(pthread_mutex_init(&log_mu, NULL));
	one = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
	if (one == SEM_FAILED)
		tp_die("sem_open");
	tp_sem_wait(one);
	two = sem_open(name, O_CREAT, 0600, 1); /* while main has it: still main's */
	if (two == SEM_FAILED)
		tp_die("sem_open");
	tp_sem_post(two);
	/* a lock through both handles: table -> it, it -> log */
	TP_CHECK(pthread_mutex_lock(&table));
	tp_sem_wait(two);
	tp_sem_post(one);
	TP_CHECK(pthread_mutex_unlock(&table));
	tp_sem_wait(one);
	TP_CHECK(pthread_mutex_lock(&log_mu));
	TP_CHECK(pthread_mutex_unlock(&log_mu));
	tp_sem_post(two);
	sem_close(one);
	sem_close(two);
	sem_unlink(name);

	signal_sem = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
	if (signal_sem == SEM_FAILED)
		tp_die("sem_open");
	existing = sem_open(name, 0);
	if (existing == SEM_FAILED)
		tp_die("sem_open");
	pthread_t r = tp_spawn(receiver, NULL);
	pthread_t s = tp_spawn(signaller, NULL);
	tp_join(r);
	tp_join(s);
	TP_CHECK(pthread_mutex_lock(&table));
	tp_sem_post(existing);
	tp_sem_wait(signal_sem);
	TP_CHECK(pthread_mutex_unlock(&table));
	sem_close(existing);
	sem_close(signal_sem);
	sem_unlink(name);
	return 0;
}
