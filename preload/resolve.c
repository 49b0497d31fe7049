/*
 * resolve.c - the table of real functions the shim calls (struct lh_real)
 * and the one routine that fills it, given a look-up function (init.c
 * passes dlsym(RTLD_NEXT); the unit tests pass scripted ones).
 *
 * Safe to call from several threads at once, and twice: every caller that
 * finds the table not yet complete fills all of it itself (the values are
 * the same whoever looks them up; each slot is stored atomically), and
 * returns only when it is done.  No caller ever goes on with a half-filled
 * table, and none waits for another: a second early thread may be running a
 * library constructor with the loader's lock held, which the first thread's
 * dlsym needs.
 *
 * Required functions exist in every glibc the shim supports; if one is
 * missing the shim turns itself off (init.c).  Optional ones came later
 * (pthread_*_clock* in glibc 2.30, C11 threads in 2.28): when the C library
 * lacks one, its slot gets a stand-in that fails the way an unsupported
 * call does (ENOSYS, thrd_error), so the wrapper of a function the program
 * cannot have linked against stays unused instead of turning the whole
 * shim off.
 */
#include "shim.h"

#include <errno.h>
#include <stddef.h>

/* ---- stand-ins for optional functions the C library lacks ---- */
static int no_mutex_clocklock(pthread_mutex_t *m, clockid_t c, const struct timespec *t)
{
	return ENOSYS;
}
static int no_rw_clocklock(pthread_rwlock_t *l, clockid_t c, const struct timespec *t)
{
	return ENOSYS;
}
static int no_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t k,
                             const struct timespec *t)
{
	return ENOSYS;
}
static int no_setname(pthread_t t, const char *name)
{
	return ENOSYS;
}
static int no_mtx_init(mtx_t *m, int type)
{
	return thrd_error;
}
static void no_mtx_destroy(mtx_t *m)
{
}
static int no_mtx_op(mtx_t *m)
{
	return thrd_error;
}
static int no_mtx_timedlock(mtx_t *__restrict m, const struct timespec *__restrict t)
{
	return thrd_error;
}
static int no_cnd_wait(cnd_t *c, mtx_t *m)
{
	return thrd_error;
}
static int no_cnd_timedwait(cnd_t *__restrict c, mtx_t *__restrict m,
                            const struct timespec *__restrict t)
{
	return thrd_error;
}
static int no_thrd_create(thrd_t *t, thrd_start_t fn, void *arg)
{
	return thrd_error;
}
static int no_thrd_join(thrd_t t, int *res)
{
	return thrd_error;
}
static int no_thrd_detach(thrd_t t)
{
	return thrd_error;
}
static int no_cnd_op(cnd_t *c)
{
	return thrd_error;
}
static void no_cnd_destroy(cnd_t *c)
{
}
static void no_call_once(once_flag *o, void (*fn)(void))
{
	/* unreachable: a program can call call_once only where the C
	 * library has it */
}
static int no_sem_clockwait(sem_t *__restrict s, clockid_t c, const struct timespec *__restrict t)
{
	errno = ENOSYS;
	return -1;
}
static void (*c11_exit)(void *); /* the real pthread_exit */
static void no_thrd_exit(int res)
{
	/* glibc's thrd_exit is pthread_exit with the result as a pointer */
	c11_exit((void *)(intptr_t)res);
	__builtin_unreachable();
}

#define REQ(field, name, ver) { name, ver, offsetof(struct lh_real, field), NULL }
#define OPT(field, name, fallback) { name, NULL, offsetof(struct lh_real, field), (void *)fallback }

/* the condition variable functions exist in two versions; the old one
 * expects the pre-2.3.2 layout, so the current one is asked for by name */
const struct lh_sym lh_syms[] = {
	REQ(mutex_init, "pthread_mutex_init", NULL),
	REQ(mutex_destroy, "pthread_mutex_destroy", NULL),
	REQ(mutex_lock, "pthread_mutex_lock", NULL),
	REQ(mutex_trylock, "pthread_mutex_trylock", NULL),
	REQ(mutex_timedlock, "pthread_mutex_timedlock", NULL),
	OPT(mutex_clocklock, "pthread_mutex_clocklock", no_mutex_clocklock),
	REQ(mutex_unlock, "pthread_mutex_unlock", NULL),
	REQ(rw_init, "pthread_rwlock_init", NULL),
	REQ(rw_destroy, "pthread_rwlock_destroy", NULL),
	REQ(rw_rdlock, "pthread_rwlock_rdlock", NULL),
	REQ(rw_tryrdlock, "pthread_rwlock_tryrdlock", NULL),
	REQ(rw_timedrdlock, "pthread_rwlock_timedrdlock", NULL),
	OPT(rw_clockrdlock, "pthread_rwlock_clockrdlock", no_rw_clocklock),
	REQ(rw_wrlock, "pthread_rwlock_wrlock", NULL),
	REQ(rw_trywrlock, "pthread_rwlock_trywrlock", NULL),
	REQ(rw_timedwrlock, "pthread_rwlock_timedwrlock", NULL),
	OPT(rw_clockwrlock, "pthread_rwlock_clockwrlock", no_rw_clocklock),
	REQ(rw_unlock, "pthread_rwlock_unlock", NULL),
	REQ(spin_init, "pthread_spin_init", NULL),
	REQ(spin_destroy, "pthread_spin_destroy", NULL),
	REQ(spin_lock, "pthread_spin_lock", NULL),
	REQ(spin_trylock, "pthread_spin_trylock", NULL),
	REQ(spin_unlock, "pthread_spin_unlock", NULL),
	REQ(cond_wait, "pthread_cond_wait", "GLIBC_2.3.2"),
	REQ(cond_timedwait, "pthread_cond_timedwait", "GLIBC_2.3.2"),
	OPT(cond_clockwait, "pthread_cond_clockwait", no_cond_clockwait),
	REQ(create, "pthread_create", NULL),
	REQ(join, "pthread_join", NULL),
	REQ(detach, "pthread_detach", NULL),
	REQ(exit, "pthread_exit", NULL),
	OPT(setname, "pthread_setname_np", no_setname),
	OPT(mtx_init, "mtx_init", no_mtx_init),
	OPT(mtx_destroy, "mtx_destroy", no_mtx_destroy),
	OPT(mtx_lock, "mtx_lock", no_mtx_op),
	OPT(mtx_trylock, "mtx_trylock", no_mtx_op),
	OPT(mtx_timedlock, "mtx_timedlock", no_mtx_timedlock),
	OPT(mtx_unlock, "mtx_unlock", no_mtx_op),
	OPT(cnd_wait, "cnd_wait", no_cnd_wait),
	OPT(cnd_timedwait, "cnd_timedwait", no_cnd_timedwait),
	OPT(thrd_create, "thrd_create", no_thrd_create),
	OPT(thrd_join, "thrd_join", no_thrd_join),
	OPT(thrd_exit, "thrd_exit", no_thrd_exit),
	OPT(thrd_detach, "thrd_detach", no_thrd_detach),
	REQ(cond_signal, "pthread_cond_signal", "GLIBC_2.3.2"),
	REQ(cond_broadcast, "pthread_cond_broadcast", "GLIBC_2.3.2"),
	OPT(cnd_signal, "cnd_signal", no_cnd_op),
	OPT(cnd_broadcast, "cnd_broadcast", no_cnd_op),
	REQ(barrier_wait, "pthread_barrier_wait", NULL),
	REQ(barrier_init, "pthread_barrier_init", NULL),
	REQ(barrier_destroy, "pthread_barrier_destroy", NULL),
	REQ(cond_init, "pthread_cond_init", "GLIBC_2.3.2"),
	REQ(cond_destroy, "pthread_cond_destroy", "GLIBC_2.3.2"),
	OPT(cnd_init, "cnd_init", no_cnd_op),
	OPT(cnd_destroy, "cnd_destroy", no_cnd_destroy),
	REQ(once, "pthread_once", NULL),
	OPT(call_once, "call_once", no_call_once),
	REQ(sem_init, "sem_init", NULL),
	REQ(sem_destroy, "sem_destroy", NULL),
	REQ(sem_post, "sem_post", NULL),
	REQ(sem_wait, "sem_wait", NULL),
	REQ(sem_trywait, "sem_trywait", NULL),
	REQ(sem_timedwait, "sem_timedwait", NULL),
	OPT(sem_clockwait, "sem_clockwait", no_sem_clockwait),
	REQ(sem_open, "sem_open", NULL),
	REQ(sem_close, "sem_close", NULL),
	REQ(register_atfork, "__register_atfork", NULL),
	REQ(thread_sigmask, "pthread_sigmask", NULL),
	REQ(sigprocmask, "sigprocmask", NULL),
	REQ(sigaction, "sigaction", NULL),
	REQ(signal, "signal", NULL),
	REQ(execve, "execve", NULL),
	REQ(execv, "execv", NULL),
	REQ(execvp, "execvp", NULL),
	REQ(execvpe, "execvpe", NULL),
	REQ(fexecve, "fexecve", NULL),
};
const size_t lh_n_syms = sizeof(lh_syms) / sizeof(lh_syms[0]);

int lh_resolve(struct lh_resolve_state *st, struct lh_real *dst, lh_lookup_fn lookup, void *ctx,
               const char **missing)
{
	int n = 0;
	size_t i;

	if (missing)
		*missing = NULL;
	if (__atomic_load_n(&st->done, __ATOMIC_ACQUIRE))
		return __atomic_load_n(&st->n_missing, __ATOMIC_RELAXED);
	for (i = 0; i < lh_n_syms; i++) {
		const struct lh_sym *s = &lh_syms[i];
		void *p = lookup(s->name, s->version, ctx);
		if (!p && s->fallback)
			p = s->fallback;
		if (!p) {
			if (!n++ && missing)
				*missing = s->name;
			continue;
		}
		__atomic_store_n((void **)((char *)dst + s->offset), p, __ATOMIC_RELAXED);
	}
	if (dst->exit)
		__atomic_store_n(&c11_exit, dst->exit, __ATOMIC_RELAXED);
	__atomic_store_n(&st->n_missing, n, __ATOMIC_RELAXED);
	__atomic_store_n(&st->done, 1, __ATOMIC_RELEASE);
	return n;
}
