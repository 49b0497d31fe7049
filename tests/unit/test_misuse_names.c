/*
 * test_misuse_names.c - CUnit tests for common/lh_misuse.c: every value of
 * enum lh_misuse has a name and a text, the names are distinct, and a
 * value this build does not know gets the generic entry.
 */
#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include <string.h>

#include "cunit_run.h"
#include "lh_misuse.h"

static void test_every_value_named(void)
{
	uint32_t w, v;

	for (w = 0; w < LH_MIS_COUNT_; w++) {
		CU_ASSERT_PTR_NOT_NULL(lh_misuse_table[w].name);
		CU_ASSERT_PTR_NOT_NULL(lh_misuse_table[w].text);
		/* the lookup returns the value's own entry, not the fallback */
		CU_ASSERT(lh_misuse_name(w) == lh_misuse_table[w].name);
		CU_ASSERT(lh_misuse_text(w) == lh_misuse_table[w].text);
		if (w > 0)
			CU_ASSERT(strcmp(lh_misuse_name(w), "misuse") != 0);
		for (v = 0; v < w; v++)
			if (lh_misuse_table[w].name && lh_misuse_table[v].name)
				CU_ASSERT(strcmp(lh_misuse_table[w].name, lh_misuse_table[v].name) != 0);
	}
	/* the names the JSON report has always used */
	CU_ASSERT_STRING_EQUAL(lh_misuse_name(LH_MIS_UNLOCK_NOT_LOCKED), "unlock-not-locked");
	CU_ASSERT_STRING_EQUAL(lh_misuse_name(LH_MIS_EXIT_HOLDING), "exit-holding-locks");
	CU_ASSERT_STRING_EQUAL(lh_misuse_name(LH_MIS_USE_AFTER_DESTROY), "use-after-destroy");
}

static void test_unknown_value(void)
{
	CU_ASSERT_STRING_EQUAL(lh_misuse_name(LH_MIS_COUNT_), "misuse");
	CU_ASSERT_STRING_EQUAL(lh_misuse_name(0xffffffffu), "misuse");
	CU_ASSERT_STRING_EQUAL(lh_misuse_text(1000), "misuse of the threading API");
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "every enum lh_misuse value has a name", test_every_value_named },
		{ "unknown values: the generic entry", test_unknown_value },
	};
	return cunit_run("misuse names", tests, sizeof(tests) / sizeof(tests[0]));
}
