/* Not a scenario: the library of shim_own_read_clean.  Named libpython*
 * and exporting the functions of CPython's API that pyframes.c needs, so
 * the shim takes it for an interpreter and calls its PyGILState_Check
 * from inside its lock wrappers.  That check reads gil_word, which the
 * program writes from one thread with no lock: the shim's own read, not
 * the program's. */
#include <stddef.h>
#include <sys/types.h>

static volatile int gil_word;

void gil_set(int v)
{
	gil_word = v;
}
int Py_IsInitialized(void) { return 1; }
/* never held: the shim calls nothing more */
int PyGILState_Check(void) { return gil_word == -1; }
void *PyThreadState_Get(void) { return NULL; }
void *PyThreadState_GetFrame(void *t) { return NULL; }
void *PyFrame_GetCode(void *f) { return NULL; }
int PyFrame_GetLineNumber(void *f) { return 0; }
void *PyFrame_GetBack(void *f) { return NULL; }
void *PyObject_GetAttr(void *a, void *b) { return NULL; }
void *PyUnicode_InternFromString(const char *s) { return NULL; }
const char *PyUnicode_AsUTF8AndSize(void *o, ssize_t *n) { return NULL; }
void Py_DecRef(void *o) { }
int PyGC_Disable(void) { return 0; }
int PyGC_Enable(void) { return 0; }
void PyErr_Fetch(void **a, void **b, void **c) { }
void PyErr_Restore(void *a, void *b, void *c) { }
void *PyInterpreterState_Main(void) { return NULL; }
void *PyInterpreterState_Next(void *m) { return NULL; }
