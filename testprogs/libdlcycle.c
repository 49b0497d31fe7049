/*
 * libdlcycle.so - a shared library loaded with dlopen by dlopen_cycle and
 * dlopen_clean (not a scenario itself).  lib_lock_ab takes the library's lock
 * A then B, lib_lock_ba takes B then A.
 */
#include <pthread.h>

static pthread_mutex_t lib_lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lib_lock_b = PTHREAD_MUTEX_INITIALIZER;
static long lib_counter;

long lib_lock_ab(void)
{
	long v;

	pthread_mutex_lock(&lib_lock_a);
	pthread_mutex_lock(&lib_lock_b);
	v = ++lib_counter;
	pthread_mutex_unlock(&lib_lock_b);
	pthread_mutex_unlock(&lib_lock_a);
	return v;
}

long lib_lock_ba(void)
{
	long v;

	pthread_mutex_lock(&lib_lock_b);
	pthread_mutex_lock(&lib_lock_a);
	v = ++lib_counter;
	pthread_mutex_unlock(&lib_lock_a);
	pthread_mutex_unlock(&lib_lock_b);
	return v;
}
