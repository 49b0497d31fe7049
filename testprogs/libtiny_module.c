/* libtiny_module.c - a tiny shared object (not a scenario) that
 * many_modules_clean loads again and again from copies of its file. */
int tiny_module_value(void)
{
	return 42;
}
