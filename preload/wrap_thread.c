/*
 * wrap_thread.c - thread creation, join, exit and names (pthread and C11).
 */
#include "wrap.h"

#include <string.h>

static int attr_detached(const pthread_attr_t *attr)
{
	int st = PTHREAD_CREATE_JOINABLE;

	if (attr)
		pthread_attr_getdetachstate(attr, &st);
	return st == PTHREAD_CREATE_DETACHED;
}

LH_EXPORT int pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	struct lh_start *s;
	int rc;

	if (lh_pass())
		return lh_real.create(t, attr, fn, arg);
	struct lh_thread *td;
	uint32_t id;

	LH_TELL(s = lh_thr_prepare((void *)fn, arg, 0, LH_RA));
	LH_TELL(lh_wd_kick()); /* two threads can deadlock: watch from now on */
	LH_TELL(lh_smp_kick()); /* two threads can race */
	if (!s)
		return lh_real.create(t, attr, fn, arg);
	td = lh_thr_start_td(s, &id);
	LH_RT_HOOK(td->rt = lh_rt_thread_new());
	lh_smp_thread_new(td);
	lh_smp_create_begin();
	rc = lh_real.create(t, attr, lh_thr_trampoline, s);
	lh_smp_create_end();
	if (rc != 0) {
		LH_RT_HOOK(lh_rt_thread_create_failed(td->rt));
		lh_smp_thread_failed(td);
		LH_TELL(lh_thr_prepare_failed(s));
	} else {
		LH_RT_HOOK(lh_rt_thread_created(td->rt, *t, attr_detached(attr)));
		lh_thr_created(td, id, *t);
		LH_TELL(lh_mis_joined_forget(*t)); /* the handle names a new thread now */
		LH_TELL(lh_gh_handed(arg, lh_self_td ? lh_self_td->id : 0, id));
	}
	return rc;
}

LH_EXPORT int thrd_create(thrd_t *t, thrd_start_t fn, void *arg)
{
	struct lh_start *s;
	int rc;

	if (lh_pass())
		return lh_real.thrd_create(t, fn, arg);
	struct lh_thread *td;
	uint32_t id;

	LH_TELL(s = lh_thr_prepare((void *)fn, arg, 1, LH_RA));
	LH_TELL(lh_wd_kick());
	LH_TELL(lh_smp_kick());
	if (!s)
		return lh_real.thrd_create(t, fn, arg);
	td = lh_thr_start_td(s, &id);
	LH_RT_HOOK(td->rt = lh_rt_thread_new());
	lh_smp_thread_new(td);
	lh_smp_create_begin();
	rc = lh_real.thrd_create(t, lh_thr_trampoline_c11, s);
	lh_smp_create_end();
	if (rc != thrd_success) {
		LH_RT_HOOK(lh_rt_thread_create_failed(td->rt));
		lh_smp_thread_failed(td);
		LH_TELL(lh_thr_prepare_failed(s));
	} else {
		LH_RT_HOOK(lh_rt_thread_created(td->rt, (pthread_t)*t, 0));
		lh_thr_created(td, id, (pthread_t)*t);
		LH_TELL(lh_mis_joined_forget((pthread_t)*t));
		LH_TELL(lh_gh_handed(arg, lh_self_td ? lh_self_td->id : 0, id));
	}
	return rc;
}

static void join_cancelled(void *unused)
{
	/* cancelled while joining: the cancellation unwound out of LH_GUARDED,
	 * so undo its mark; the wait is over */
	lh_in_shim--;
	lh_core_wait_end();
}

/* A join or detach of a thread already joined is reported before the
 * call: glibc's answer for a freed thread handle is undefined (it may
 * crash). */
static int joined_again(pthread_t t, int is_join, uintptr_t ra)
{
	int what = lh_mis_join_again(is_join, lh_mis_joined_has(t));

	if (what)
		lh_report_misuse(what, NULL, 0, ra, NULL, 0);
	return what;
}

LH_EXPORT int pthread_join(pthread_t t, void **ret)
{
	int rc, again;

	if (lh_pass())
		return lh_real.join(t, ret);
	struct lh_rt_thread *jt = NULL;
	LH_TELL(again = joined_again(t, 1, LH_RA));
	LH_RT_HOOK(jt = lh_rt_join_target(t)); /* before: its pthread_t may be reused after */
	LH_TELL(lh_join_begin(t, LH_RA, LH_CFA));
	pthread_cleanup_push(join_cancelled, NULL);
	rc = LH_GUARDED(lh_real.join(t, ret));
	pthread_cleanup_pop(0);
	lh_core_wait_end();
	if (rc == 0 && jt)
		lh_rt_joined(jt);
	if (rc == 0) {
		lh_smp_joined(t);
		LH_TELL(lh_mis_joined_add(t));
	} else if (!again && lh_mis_join(rc, pthread_equal(t, pthread_self())))
		LH_TELL(lh_report_misuse(lh_mis_join(rc, pthread_equal(t, pthread_self())), NULL, 0,
		                         LH_RA, NULL, 0));
	return rc;
}

LH_EXPORT int thrd_join(thrd_t t, int *res)
{
	int rc;

	if (lh_pass())
		return lh_real.thrd_join(t, res);
	struct lh_rt_thread *jt = NULL;
	LH_TELL(joined_again((pthread_t)t, 1, LH_RA));
	LH_RT_HOOK(jt = lh_rt_join_target((pthread_t)t));
	LH_TELL(lh_join_begin((pthread_t)t, LH_RA, LH_CFA));
	rc = LH_GUARDED(lh_real.thrd_join(t, res));
	lh_core_wait_end();
	if (rc == thrd_success && jt)
		lh_rt_joined(jt);
	if (rc == thrd_success) {
		lh_smp_joined((pthread_t)t);
		LH_TELL(lh_mis_joined_add((pthread_t)t));
	}
	return rc;
}

LH_EXPORT int pthread_detach(pthread_t t)
{
	int rc, again = 0;

	if (!lh_real.detach)
		lh_init();
	if (!lh_pass())
		LH_TELL(again = joined_again(t, 0, LH_RA));
	rc = lh_real.detach(t);
	if (rc == 0)
		LH_RT_HOOK(lh_rt_detach(t));
	else if (!again && lh_mis_detach(rc) && !lh_pass())
		LH_TELL(lh_report_misuse(lh_mis_detach(rc), NULL, 0, LH_RA, NULL, 0));
	return rc;
}

LH_EXPORT int thrd_detach(thrd_t t)
{
	int rc;

	if (!lh_real.thrd_detach)
		lh_init();
	if (!lh_pass())
		LH_TELL(joined_again((pthread_t)t, 0, LH_RA));
	rc = lh_real.thrd_detach(t);
	if (rc == thrd_success)
		LH_RT_HOOK(lh_rt_detach((pthread_t)t));
	return rc;
}

LH_EXPORT void pthread_exit(void *ret)
{
	struct lh_thread *t;

	if (!lh_real.exit)
		lh_init();
	/* Locks still held are reported here, while the frames that took them
	 * are on the stack.  The thread's end itself is recorded by the key
	 * destructor, which runs for pthread_exit, a return from the start
	 * function and cancellation alike. */
	t = lh_fast_self();
	if (t)
		LH_TELL(lh_core_thread_exiting(t, LH_RA));
	lh_real.exit(ret);
}

LH_EXPORT _Noreturn void thrd_exit(int res)
{
	if (!lh_real.thrd_exit)
		lh_init();
	lh_real.thrd_exit(res);
}

LH_EXPORT int pthread_setname_np(pthread_t t, const char *name)
{
	int rc;

	if (lh_pass())
		return lh_real.setname(t, name);
	rc = lh_real.setname(t, name);
	if (rc == 0) {
		struct lh_thread *o;
		int e = errno;
		lh_in_shim++;
		lh_mu_lock(&lh_thr_mu);
		for (o = lh_thr_list; o; o = o->next)
			if (pthread_equal(o->self, t) && !o->exiting)
				break;
		lh_mu_unlock(&lh_thr_mu);
		if (o)
			lh_thr_set_name(o, name);
		lh_in_shim--;
		errno = e;
	}
	return rc;
}
