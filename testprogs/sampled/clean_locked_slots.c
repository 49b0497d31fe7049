/* lockhound-sampled: clean */
/* Eight threads take and give back slots of a global table of size classes
 * under one mutex, the way memcached's slab allocator keeps slabclass[]
 * (a free list head and a count per class, under slabs_lock), with work
 * outside the lock in between.  Write-protect once reported it as observed
 * on a loaded machine: the source un-protected a held writer's pages and
 * let it go (it then released the mutex) before it told the core the hold
 * was over, and the next tick protected the pages again, so the next owner
 * of the mutex faulted while the core still counted the first as held. */
#include "sb.h"

#define N_THREADS 8
#define N_CLASSES 8

struct size_class {
	unsigned size, perslab;
	void *slots;      /* the free list's head */
	unsigned sl_curr; /* free slots */
	unsigned slabs;
	void **slab_list;
	unsigned list_size;
};

static struct size_class classes[N_CLASSES] __attribute__((aligned(4096)));
static pthread_mutex_t classes_lock = PTHREAD_MUTEX_INITIALIZER;
static long given[N_THREADS];
static void *items[N_THREADS];

static void *churn(void *arg)
{
	int me = (int)(intptr_t)arg;
	volatile unsigned spin = 0;
	unsigned c = (unsigned)me;

	while (sb_running()) {
		SB_CHECK(pthread_mutex_lock(&classes_lock));
		classes[c % N_CLASSES].sl_curr++;
		classes[c % N_CLASSES].slots = &items[me];
		SB_CHECK(pthread_mutex_unlock(&classes_lock));
		given[me]++;
		for (int k = 0; k < 200; k++)
			spin++;
		c++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[N_THREADS];
	long sum = 0, counted = 0;

	sb_end_ns = sb_deadline(argc, argv);
	sb_spawn(t, N_THREADS, churn);
	sb_join(t, N_THREADS);
	for (int i = 0; i < N_THREADS; i++)
		sum += given[i];
	for (int i = 0; i < N_CLASSES; i++)
		counted += classes[i].sl_curr;
	printf("clean_locked_slots: %s\n", sum == counted ? "count exact" : "COUNT WRONG");
	return sum != counted;
}
