/* lockhound-expect: misuse count=1 what=exit-holding-locks functions=load_config min_edges=0 */
/* main returns while it holds a lock: load_config takes config_mu and an
 * early return skips the unlock; main then returns from main with the lock
 * still held (a thread created later, or an exit handler, would block on
 * it).  lockhound reports exit-holding-locks for the main thread, naming
 * where the lock was taken.  The correct twin is misuse_exit_join_clean. */
#include "tp.h"

static pthread_mutex_t config_mu = PTHREAD_MUTEX_INITIALIZER;
static int config_loaded;

static int load_config(void)
{
	TP_CHECK(pthread_mutex_lock(&config_mu));
	if (config_loaded)
		return 0; /* forgets the unlock */
	config_loaded = 1;
	TP_CHECK(pthread_mutex_unlock(&config_mu));
	return 1;
}

int main(void)
{
	load_config();
	load_config();
	return 0;
}
