/* lockhound-expect: deadlock count=1 what=self locks=1 ended_process=true functions=spin_relock_worker timeout=20 max_seconds=10 */
/* Self-deadlock on a spinlock: a thread takes a pthread spinlock and then
 * takes it again.  Natively the second pthread_spin_lock spins forever
 * (burning a CPU); lockhound must report a "self" deadlock at once and end
 * the process. */
#include "tp.h"

static pthread_spinlock_t stats_spin;
static long stats_hits;

static void *spin_relock_worker(void *arg)
{
	TP_CHECK(pthread_spin_lock(&stats_spin));
	stats_hits++;
	TP_CHECK(pthread_spin_lock(&stats_spin)); /* spins forever */
	stats_hits++;
	TP_CHECK(pthread_spin_unlock(&stats_spin));
	TP_CHECK(pthread_spin_unlock(&stats_spin));
	return NULL;
}

int main(void)
{
	TP_CHECK(pthread_spin_init(&stats_spin, PTHREAD_PROCESS_PRIVATE));
	pthread_t t = tp_spawn(spin_relock_worker, NULL);
	tp_join(t);
	fprintf(stderr, "deadlock_self_spin: finished, which should be impossible\n");
	return 1;
}
