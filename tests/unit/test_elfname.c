/* test_elfname.c - lh_elf_name_is: a versioned .symtab name against a
 * bare .dynsym one (preload/elfname.h) */
#include "cunit_run.h"

#include "elfname.h"

static void test_bare_names(void)
{
	CU_ASSERT_TRUE(lh_elf_name_is("ready", "ready"));
	CU_ASSERT_FALSE(lh_elf_name_is("ready", "read"));
	CU_ASSERT_FALSE(lh_elf_name_is("read", "ready"));
}

static void test_versioned_names(void)
{
	CU_ASSERT_TRUE(lh_elf_name_is("stderr@GLIBC_2.2.5", "stderr"));
	CU_ASSERT_TRUE(lh_elf_name_is("environ@@GLIBC_2.2.5", "environ"));
	CU_ASSERT_FALSE(lh_elf_name_is("stderr_copy@GLIBC_2.2.5", "stderr"));
	CU_ASSERT_FALSE(lh_elf_name_is("std@GLIBC_2.2.5", "stderr"));
}

int main(void)
{
	static const struct cunit_test tests[] = {
		{ "bare_names", test_bare_names },
		{ "versioned_names", test_versioned_names },
	};
	return cunit_run("elfname", tests, sizeof(tests) / sizeof(tests[0]));
}
