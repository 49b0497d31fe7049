/* lockhound-expect: clean min_edges=0 min_threads=3 */
/* lockhound-build: cc */
/* A mailbox handed over with a semaphore: the sender writes it, then
 * sem_post; the receiver's sem_wait returns only after that post, so the
 * write happens before the read.  "unsync" reads the mailbox before waiting:
 * that races. */
#include "tp.h"

static sem_t mail_sem;
static int unsync;
char mailbox[64];

static void *send_mail(void *arg)
{
	static const char msg[] = "hello from the sender";
	for (size_t i = 0; i < sizeof(msg); i++)
		mailbox[i] = msg[i];
	tp_sem_post(&mail_sem);
	return arg;
}

static void *receive_mail(void *arg)
{
	char first = 0;
	if (unsync)
		first = mailbox[0];
	tp_sem_wait(&mail_sem);
	*(size_t *)arg = strlen(mailbox) + (size_t)(first & 0);
	return NULL;
}

int main(int argc, char **argv)
{
	size_t len = 0;
	unsync = argc > 1 && !strcmp(argv[1], "unsync");
	tp_sem_init(&mail_sem);
	pthread_t r = tp_spawn(receive_mail, &len);
	pthread_t s = tp_spawn(send_mail, NULL);
	tp_join(s);
	tp_join(r);
	printf("received %zu bytes\n", len);
	return 0;
}
