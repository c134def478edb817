/*
 * Linked into the programs (never into lib/ or the unit tests) when they
 * are built with sanitizers, for `make check-integration-asan`.  Leak
 * checking stays on in the unit tests; in the programs it is off: a
 * set-uid enqueue is not dumpable, and LeakSanitizer, which needs ptrace,
 * then aborts at every exit instead of reporting anything.  Memory errors
 * and undefined behaviour are still reported and still fail the tests.
 */
const char	*__asan_default_options(void);
const char	*__lsan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}

const char *
__lsan_default_options(void)
{
	return "detect_leaks=0";
}
