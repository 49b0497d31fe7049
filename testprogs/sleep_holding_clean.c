/* lockhound-expect: clean timeout=20 */
/* Sleeping while holding a lock is slow, not a deadlock.  The holder
 * write-locks `index_lock`, locks `journal` and sleeps 2 s; meanwhile two
 * threads block locking `journal` and a third blocks read-locking
 * `index_lock`, and main waits in pthread_join.  Every wait outlasts the
 * watchdog's 1 s grace, but there is no cycle: the holder is asleep, not
 * waiting for anyone. */
#include <time.h>
#include "tp.h"

static pthread_mutex_t journal = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t index_lock = PTHREAD_RWLOCK_INITIALIZER;
static sem_t holder_ready;
static long entries;
static long index_version;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void *sleeper_holding_journal(void *arg)
{
	TP_CHECK(pthread_rwlock_wrlock(&index_lock));
	TP_CHECK(pthread_mutex_lock(&journal));
	tp_sem_post(&holder_ready);
	tp_sem_post(&holder_ready);
	tp_sem_post(&holder_ready);
	sleep_ms(2000);
	entries++;
	index_version++;
	TP_CHECK(pthread_mutex_unlock(&journal));
	TP_CHECK(pthread_rwlock_unlock(&index_lock));
	return NULL;
}

static void *journal_writer(void *arg)
{
	tp_sem_wait(&holder_ready);
	TP_CHECK(pthread_mutex_lock(&journal)); /* waits ~2 s */
	entries++;
	TP_CHECK(pthread_mutex_unlock(&journal));
	return NULL;
}

static void *index_reader(void *arg)
{
	tp_sem_wait(&holder_ready);
	TP_CHECK(pthread_rwlock_rdlock(&index_lock)); /* waits ~2 s */
	long seen = index_version;
	TP_CHECK(pthread_rwlock_unlock(&index_lock));
	return seen == 1 ? NULL : (void *)1;
}

int main(void)
{
	tp_sem_init(&holder_ready);
	pthread_t holder = tp_spawn(sleeper_holding_journal, NULL);
	pthread_t w1 = tp_spawn(journal_writer, NULL);
	pthread_t w2 = tp_spawn(journal_writer, NULL);
	pthread_t r = tp_spawn(index_reader, NULL);
	void *reader_result;
	tp_join(holder);
	tp_join(w1);
	tp_join(w2);
	TP_CHECK(pthread_join(r, &reader_result));
	return entries == 3 && reader_result == NULL ? 0 : 1;
}
