/* lockhound-expect: deadlock count=1 what=cycle locks=2 ended_process=true functions=c11_hold_a_lock_b,c11_hold_b_lock_a timeout=20 max_seconds=10 */
/* A real ABBA deadlock with C11 <threads.h>: mtx_t locks, threads made by
 * thrd_create and joined by thrd_join.  Both threads hold their first mtx
 * (barrier) before asking for the other's, so this hangs forever natively. */
#include <threads.h>
#include "tp.h"

static mtx_t mtx_a, mtx_b;
static pthread_barrier_t both_hold_first;

#define C11_CHECK(call)                                                       \
	do {                                                                  \
		if ((call) != thrd_success) {                                 \
			fprintf(stderr, "%s:%d: %s failed\n", __FILE__,       \
			        __LINE__, #call);                             \
			exit(2);                                              \
		}                                                             \
	} while (0)

static int c11_hold_a_lock_b(void *arg)
{
	C11_CHECK(mtx_lock(&mtx_a));
	tp_barrier_wait(&both_hold_first);
	C11_CHECK(mtx_lock(&mtx_b)); /* blocks forever */
	C11_CHECK(mtx_unlock(&mtx_b));
	C11_CHECK(mtx_unlock(&mtx_a));
	return 0;
}

static int c11_hold_b_lock_a(void *arg)
{
	C11_CHECK(mtx_lock(&mtx_b));
	tp_barrier_wait(&both_hold_first);
	C11_CHECK(mtx_lock(&mtx_a)); /* blocks forever */
	C11_CHECK(mtx_unlock(&mtx_a));
	C11_CHECK(mtx_unlock(&mtx_b));
	return 0;
}

int main(void)
{
	thrd_t t1, t2;

	C11_CHECK(mtx_init(&mtx_a, mtx_plain));
	C11_CHECK(mtx_init(&mtx_b, mtx_plain));
	tp_barrier_init(&both_hold_first, 2);

	C11_CHECK(thrd_create(&t1, c11_hold_a_lock_b, NULL));
	C11_CHECK(thrd_create(&t2, c11_hold_b_lock_a, NULL));
	C11_CHECK(thrd_join(t1, NULL));
	C11_CHECK(thrd_join(t2, NULL));
	fprintf(stderr, "deadlock_c11: finished, which should be impossible\n");
	return 1;
}
