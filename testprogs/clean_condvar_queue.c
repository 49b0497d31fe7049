/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* lockhound-build: cc clang */
/* A producer/consumer queue of heap items under a mutex and a condition
 * variable: the producer fills an item, then pushes it and signals; the
 * consumer waits, pops, reads and frees it.  Freed items are reused by
 * malloc: a new object, never a race with the old one's accesses.  "unsync"
 * makes the producer fill the item after pushing it, which races with the
 * consumer's read (at least for the last item: earlier ones may be ordered
 * by the producer's next push); the items are then freed by main after the
 * joins, so the consumer never frees an item the producer still writes. */
#include "tp.h"

#define N_ITEMS 200

struct item {
	struct item *next;
	int value;
};

static pthread_mutex_t queue_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cv = PTHREAD_COND_INITIALIZER;
static struct item *head, *tail;
static struct item *popped[N_ITEMS];
static int unsync;

static void push_item(struct item *it)
{
	pthread_mutex_lock(&queue_mu);
	if (tail)
		tail->next = it;
	else
		head = it;
	tail = it;
	pthread_cond_signal(&queue_cv);
	pthread_mutex_unlock(&queue_mu);
}

static struct item *pop_item(void)
{
	struct item *it;
	pthread_mutex_lock(&queue_mu);
	while (!head)
		pthread_cond_wait(&queue_cv, &queue_mu);
	it = head;
	head = it->next;
	if (!head)
		tail = NULL;
	pthread_mutex_unlock(&queue_mu);
	return it;
}

static void *produce_items(void *arg)
{
	for (int i = 1; i <= N_ITEMS; i++) {
		struct item *it = calloc(1, sizeof(*it));
		if (!it)
			tp_die("calloc");
		if (unsync) {
			push_item(it);
			it->value = i;
		} else {
			it->value = i;
			push_item(it);
		}
	}
	return arg;
}

static void *consume_items(void *arg)
{
	long sum = 0;
	for (int i = 0; i < N_ITEMS; i++) {
		struct item *it = pop_item();
		sum += it->value;
		if (unsync)
			popped[i] = it;
		else
			free(it);
	}
	*(long *)arg = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	long sum = 0;
	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	pthread_t c = tp_spawn(consume_items, &sum);
	pthread_t p = tp_spawn(produce_items, NULL);
	tp_join(p);
	tp_join(c);
	for (int i = 0; i < N_ITEMS; i++)
		free(popped[i]);
	printf("sum = %ld\n", sum);
	return 0;
}
