/*
 * libcxxplugin.so - a C++ shared object that dlopen_cxx_local loads with
 * dlopen(RTLD_LOCAL) (not a scenario itself).  Its constructor and its one
 * function allocate with new and free with every form of operator delete the
 * shim interposes (plain, array, sized, aligned, sized aligned).  It links
 * libstdc++, which then sits only in its own local scope: the program never
 * had it in the global one.
 */
#include <cstddef>
#include <new>
#include <string>

static std::string *text;

__attribute__((constructor)) static void plugin_init()
{
	text = new std::string(100, 'x');
	delete text;
}

struct alignas(64) wide {
	long v[8];
};

extern "C" int plugin_answer()
{
	int *p = new int(40);
	int v = *p;
	delete p;                                /* _ZdlPvm */
	::operator delete(::operator new(8));    /* _ZdlPv */
	char *a = new char[16];
	a[0] = 1;
	v += a[0];
	delete[] a;                              /* _ZdaPv */
	::operator delete(::operator new(24), static_cast<std::size_t>(24)); /* _ZdlPvm */
	::operator delete[](::operator new[](24), static_cast<std::size_t>(24)); /* _ZdaPvm */
	wide *w = new wide();
	w->v[0] = 1;
	v += (int)w->v[0];
	delete w;                                /* aligned (sized) */
	wide *wa = new wide[2];
	delete[] wa;                             /* aligned array */
	void *q = ::operator new(64, std::align_val_t(128));
	::operator delete(q, std::align_val_t(128));
	q = ::operator new[](64, std::align_val_t(128));
	::operator delete[](q, std::align_val_t(128));
	q = ::operator new(64, std::align_val_t(128));
	::operator delete(q, static_cast<std::size_t>(64), std::align_val_t(128));
	q = ::operator new[](64, std::align_val_t(128));
	::operator delete[](q, static_cast<std::size_t>(64), std::align_val_t(128));
	return v;
}
