/*
 * test_auth_state: the parser of one per-address failure record,
 * `C<count>\0T<time>\0`: good records beside every way to spoil one,
 * including signs and spaces that strtonum alone would take.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>

#include "auth_state_int.h"

#define PARSE(lit, c, w)	auth_state_parse(lit, sizeof(lit) - 1, c, w)

static void
test_good(void **st)
{
	long long	 c, w;

	(void)st;
	assert_int_equal(PARSE("C1\0T1764255600\0", &c, &w), 0);
	assert_int_equal(c, 1);
	assert_int_equal(w, 1764255600);
	assert_int_equal(PARSE("C0\0T0\0", &c, &w), 0);
	assert_int_equal(c, 0);
	assert_int_equal(w, 0);
	assert_int_equal(PARSE("C1000000\0T9223372036854775807\0", &c, &w),
	    0);
	assert_int_equal(c, AUTH_STATE_COUNT_MAX);
	assert_true(w == LLONG_MAX);
	assert_int_equal(PARSE("C007\0T08\0", &c, &w), 0);
	assert_int_equal(c, 7);
	assert_int_equal(w, 8);
}

static void
test_bad(void **st)
{
	long long	 c, w;

	(void)st;
	assert_int_equal(auth_state_parse("", 0, &c, &w), -1);
	assert_int_equal(PARSE("C1\0T1", &c, &w), -1);
	assert_int_equal(PARSE("C1\0T1\0x", &c, &w), -1);
	assert_int_equal(PARSE("C1\0T1\0\0", &c, &w), -1);
	assert_int_equal(PARSE("C\0T1\0", &c, &w), -1);
	assert_int_equal(PARSE("C1\0T\0", &c, &w), -1);
	assert_int_equal(PARSE("C1\0X1\0", &c, &w), -1);
	assert_int_equal(PARSE("T1\0C1\0", &c, &w), -1);
	assert_int_equal(PARSE("C1000001\0T1\0", &c, &w), -1);
	assert_int_equal(PARSE("C1\0T9223372036854775808\0", &c, &w), -1);
	assert_int_equal(PARSE("C1x\0T1\0", &c, &w), -1);
}

/* Only digits: strtonum alone takes a sign and leading white space. */
static void
test_digits_only(void **st)
{
	long long	 c, w;

	(void)st;
	assert_int_equal(PARSE("C+5\0T7\0", &c, &w), -1);
	assert_int_equal(PARSE("C-0\0T7\0", &c, &w), -1);
	assert_int_equal(PARSE("C 5\0T7\0", &c, &w), -1);
	assert_int_equal(PARSE("C5\0T 7\0", &c, &w), -1);
	assert_int_equal(PARSE("C5\0T+7\0", &c, &w), -1);
	assert_int_equal(PARSE("C5\0T\t7\0", &c, &w), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_digits_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
