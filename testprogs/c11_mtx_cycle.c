/* lockhound-expect: lock-order-cycle count=1 locks=2 concurrent=true functions=c11_worker_ab,c11_worker_ba */
/* ABBA with C11 <threads.h>: mtx_t locks and thrd_create threads; one thread
 * locks A then B, the other B then A (sequenced, so no hang). */
#include <threads.h>
#include "tp.h"

static mtx_t mtx_a, mtx_b;
static pthread_barrier_t start, finish;
static sem_t ab_done;
static long value;

#define C11_CHECK(call)                                                       \
	do {                                                                  \
		if ((call) != thrd_success) {                                 \
			fprintf(stderr, "%s:%d: %s failed\n", __FILE__,       \
			        __LINE__, #call);                             \
			exit(2);                                              \
		}                                                             \
	} while (0)

static int c11_worker_ab(void *arg)
{
	tp_barrier_wait(&start);
	C11_CHECK(mtx_lock(&mtx_a));
	C11_CHECK(mtx_lock(&mtx_b));
	value++;
	C11_CHECK(mtx_unlock(&mtx_b));
	C11_CHECK(mtx_unlock(&mtx_a));
	tp_sem_post(&ab_done);
	tp_barrier_wait(&finish);
	return 0;
}

static int c11_worker_ba(void *arg)
{
	tp_barrier_wait(&start);
	tp_sem_wait(&ab_done);
	C11_CHECK(mtx_lock(&mtx_b));
	C11_CHECK(mtx_lock(&mtx_a));
	value++;
	C11_CHECK(mtx_unlock(&mtx_a));
	C11_CHECK(mtx_unlock(&mtx_b));
	tp_barrier_wait(&finish);
	return 0;
}

int main(void)
{
	thrd_t t1, t2;

	C11_CHECK(mtx_init(&mtx_a, mtx_plain));
	C11_CHECK(mtx_init(&mtx_b, mtx_plain));
	tp_barrier_init(&start, 2);
	tp_barrier_init(&finish, 2);
	tp_sem_init(&ab_done);

	C11_CHECK(thrd_create(&t1, c11_worker_ab, NULL));
	C11_CHECK(thrd_create(&t2, c11_worker_ba, NULL));
	C11_CHECK(thrd_join(t1, NULL));
	C11_CHECK(thrd_join(t2, NULL));
	mtx_destroy(&mtx_a);
	mtx_destroy(&mtx_b);
	return value == 2 ? 0 : 1;
}
