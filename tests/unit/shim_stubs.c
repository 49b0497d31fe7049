/*
 * shim_stubs.c - the rest of the shim, as far as the pure units need it
 * (see shim_stubs.h).  Linked into every unit test with UNIT_PRELOAD_OBJ.
 */
#include "shim.h"
#include "shim_stubs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct lh_real lh_real;
struct lh_options lh_opt = { .quiet = 1 };
__thread int lh_in_shim;
int lh_gh_spin; /* wrap_malloc.c's, which the unit tests do not link */
int lh_own_threads; /* threads.c's, which the unit tests do not link */
uint32_t lh_log_epoch = 1;

int stub_n_notes;
char stub_notes[STUB_MAX_NOTES][256];
int stub_n_recs;
struct stub_rec stub_recs[STUB_MAX_RECS];

void stub_reset(void)
{
	stub_n_notes = 0;
	stub_n_recs = 0;
}

int stub_notes_with(const char *text)
{
	int i, n = 0;

	for (i = 0; i < stub_n_notes && i < STUB_MAX_NOTES; i++)
		if (strstr(stub_notes[i], text))
			n++;
	return n;
}

int stub_recs_of(uint16_t type)
{
	int i, n = 0;

	for (i = 0; i < stub_n_recs && i < STUB_MAX_RECS; i++)
		if (stub_recs[i].type == type)
			n++;
	return n;
}

void lh_log_note(const char *fmt, ...)
{
	va_list ap;

	if (stub_n_notes < STUB_MAX_NOTES) {
		va_start(ap, fmt);
		vsnprintf(stub_notes[stub_n_notes], sizeof(stub_notes[0]), fmt, ap);
		va_end(ap);
	}
	stub_n_notes++;
}

void lh_warn(const char *fmt, ...)
{
	(void)fmt;
}

void lh_log_record(uint16_t type, const void *p1, size_t n1, const void *p2, size_t n2,
                   const void *p3, size_t n3)
{
	struct stub_rec *r;

	if (stub_n_recs >= STUB_MAX_RECS)
		return;
	r = &stub_recs[stub_n_recs++];
	r->type = type;
	r->len = 0;
	if (n1 && r->len + n1 <= STUB_REC_BYTES)
		memcpy(r->data + r->len, p1, n1), r->len += n1;
	if (n2 && r->len + n2 <= STUB_REC_BYTES)
		memcpy(r->data + r->len, p2, n2), r->len += n2;
	if (n3 && r->len + n3 <= STUB_REC_BYTES)
		memcpy(r->data + r->len, p3, n3), r->len += n3;
}

/* the shim's locks that live in files not linked here (forklocks.c's list) */
pthread_mutex_t lh_thr_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lh_log_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lh_stk_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lh_mods_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lh_py_mu = PTHREAD_MUTEX_INITIALIZER;
__thread int lh_locks_held;

/* pyframes.c: no Python here (tests set t->py_cur themselves) */
int lh_py_on, lh_py_retry;

const struct lh_pystk *lh_py_for(struct lh_thread *t, const void *addr)
{
	(void)t;
	(void)addr;
	return NULL;
}

const struct lh_pystk *lh_py_take(struct lh_thread *t, const void *addr)
{
	(void)t;
	(void)addr;
	return NULL;
}

long stub_edge_mu_locks;

void lh_mu_lock(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
	lh_locks_held++;
	if (m == &lh_edge_mu)
		__atomic_fetch_add(&stub_edge_mu_locks, 1, __ATOMIC_RELAXED);
}

int lh_mu_trylock(pthread_mutex_t *m)
{
	int rc = pthread_mutex_trylock(m);

	if (rc == 0)
		lh_locks_held++;
	return rc;
}

void lh_mu_unlock(pthread_mutex_t *m)
{
	lh_locks_held--;
	pthread_mutex_unlock(m);
}

uint64_t lh_now_ns(void)
{
	return 0;
}

/* misuse.c's findings: the current thread is whatever the test set */
struct lh_thread *stub_self;

struct lh_thread *lh_thr_current_raw(void)
{
	return stub_self;
}

void lh_thr_ensure(struct lh_thread *t)
{
	(void)t;
}

void lh_thr_ensure_id(uint32_t id)
{
	(void)id;
}

uint32_t lh_stk_capture(uintptr_t ra)
{
	return ra ? 7 : 0;
}

uint64_t lh_core_lock_id_emit(void *addr, int kind)
{
	(void)kind;
	return (uint64_t)(uintptr_t)addr;
}
