/* lockhound-expect: clean min_edges=300 */
/* Two limits of edge recording, reached on purpose in one thread with no
 * cycle: (1) locks taken while holding more than LH_MAX_GATES (16) others,
 * so an edge's gate set is cut to 16; (2) one edge A -> B taken under more
 * than LH_CTX_KINDS_PER_EDGE (64) different gate locks, more kinds of
 * context than the analyzer tries.  Both leave a note in the log, and the
 * report says it may be incomplete (checked by the core_limits_noted test,
 * tests/integration/core_tests.py). */
#include "tp.h"

#define N_OUTER 18 /* held at once: 17 gates for the edges into the last */
#define N_GATES 66 /* one edge, this many gate sets */

static pthread_mutex_t outer[N_OUTER], inner;
static pthread_mutex_t gate[N_GATES], lock_a, lock_b;
static long value;

static void hold_many_then_inner(void)
{
	int i;

	for (i = 0; i < N_OUTER; i++)
		TP_CHECK(pthread_mutex_lock(&outer[i]));
	TP_CHECK(pthread_mutex_lock(&inner));
	value++;
	TP_CHECK(pthread_mutex_unlock(&inner));
	for (i = N_OUTER - 1; i >= 0; i--)
		TP_CHECK(pthread_mutex_unlock(&outer[i]));
}

static void pair_under_gate(int g)
{
	TP_CHECK(pthread_mutex_lock(&gate[g]));
	TP_CHECK(pthread_mutex_lock(&lock_a));
	TP_CHECK(pthread_mutex_lock(&lock_b));
	value++;
	TP_CHECK(pthread_mutex_unlock(&lock_b));
	TP_CHECK(pthread_mutex_unlock(&lock_a));
	TP_CHECK(pthread_mutex_unlock(&gate[g]));
}

int main(void)
{
	int i;

	for (i = 0; i < N_OUTER; i++)
		TP_CHECK(pthread_mutex_init(&outer[i], NULL));
	for (i = 0; i < N_GATES; i++)
		TP_CHECK(pthread_mutex_init(&gate[i], NULL));
	TP_CHECK(pthread_mutex_init(&inner, NULL));
	TP_CHECK(pthread_mutex_init(&lock_a, NULL));
	TP_CHECK(pthread_mutex_init(&lock_b, NULL));
	hold_many_then_inner();
	for (i = 0; i < N_GATES; i++)
		pair_under_gate(i);
	return value == 1 + N_GATES ? 0 : 1;
}
