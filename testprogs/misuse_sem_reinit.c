/* lockhound-expect: misuse count=1 what=sem-reinit locks=1 functions=reset_pool min_edges=0 min_threads=1 */
/* A semaphore initialized twice without a sem_destroy between: reset_pool
 * calls sem_init on the global `slots` that setup_pool initialized and
 * nobody destroyed.  lockhound reports sem-reinit at the second sem_init,
 * naming the semaphore and where it was first initialized.  The correct
 * twin is misuse_sem_lifecycle_clean. */
#include "tp.h"

static sem_t slots;

static void setup_pool(void)
{
	if (sem_init(&slots, 0, 2) != 0)
		tp_die("sem_init");
}

static void reset_pool(void)
{
	if (sem_init(&slots, 0, 2) != 0) /* the bug: no sem_destroy before */
		tp_die("sem_init");
}

int main(void)
{
	setup_pool();
	tp_sem_wait(&slots);
	reset_pool();
	tp_sem_wait(&slots);
	tp_sem_post(&slots);
	if (sem_destroy(&slots) != 0)
		tp_die("sem_destroy");
	return 0;
}
