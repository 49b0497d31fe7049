/*
 * cunit_run.h - the main() every unit test program shares: one suite of
 * named tests, run with CUnit's basic interface.  Returns 0 when every
 * assertion passed, 1 when any failed, 2 when CUnit itself failed.
 */
#ifndef LOCKHOUND_CUNIT_RUN_H
#define LOCKHOUND_CUNIT_RUN_H

#include <CUnit/Basic.h>
#include <stddef.h>

struct cunit_test {
	const char *name;
	CU_TestFunc fn;
};

static inline int cunit_run(const char *suite, const struct cunit_test *tests, size_t n)
{
	CU_pSuite s;
	unsigned fails;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite(suite, NULL, NULL);
	if (!s) {
		CU_cleanup_registry();
		return 2;
	}
	for (i = 0; i < n; i++)
		if (!CU_add_test(s, tests[i].name, tests[i].fn)) {
			CU_cleanup_registry();
			return 2;
		}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	/* read before cleanup: cleanup clears CUnit's results */
	fails = CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}

#endif
