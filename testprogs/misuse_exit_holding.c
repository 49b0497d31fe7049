/* lockhound-expect: misuse count=1 what=exit-holding-locks locks=1 functions=take_log_lock */
/* A thread returns while still holding a mutex (a forgotten unlock on an
 * early-return path).  lockhound must report exit-holding-locks - and
 * nothing else.  main never touches that mutex again (it would block for
 * ever), and exits 0. */
#include "tp.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_lines;

static void take_log_lock(void)
{
	TP_CHECK(pthread_mutex_lock(&log_lock));
}

static void *writer_forgets_unlock(void *arg)
{
	take_log_lock();
	log_lines++;
	if (log_lines > 0)
		return NULL; /* early return: log_lock is still held */
	TP_CHECK(pthread_mutex_unlock(&log_lock));
	return NULL;
}

int main(void)
{
	pthread_t t = tp_spawn(writer_forgets_unlock, NULL);
	tp_join(t);
	return log_lines == 1 ? 0 : 1;
}
