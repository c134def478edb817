/*
 * test_maildir_name: Maildir file names as other programs write them:
 * the unique part, ",W=<size>", the arrival seconds, and adding a flag
 * to ":2,<flags>" (in order, once, refused when it does not fit, and
 * never giving a name that the next flag change cannot read).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "maildir_list_int.h"

static void
test_unique_and_wire(void **st)
{
	const char	*n = "1764255600.M1P2.host,S=1200,W=1234:2,S";
	size_t		 ulen = maildir_name_unique_len(n), size = 0;

	(void)st;
	assert_int_equal(ulen, strchr(n, ':') - n);
	assert_int_equal(maildir_name_unique_len("abc"), 3);
	assert_int_equal(maildir_name_wire_size(n, ulen, &size), 1);
	assert_int_equal(size, 1234);
	assert_int_equal(maildir_name_wire_size("a,W=12,S=3", 10, &size), 1);
	assert_int_equal(size, 12);
	assert_int_equal(maildir_name_wire_size("a,W=", 4, &size), 0);
	assert_int_equal(maildir_name_wire_size("a,W=12x", 7, &size), 0);
	/* Only the unique part counts. */
	assert_int_equal(maildir_name_wire_size("a:2,W=12", 1, &size), 0);
	assert_int_equal(maildir_name_wire_size("a,W=99999999999999999999",
	    24, &size), 0);
	assert_true(maildir_name_sec("1764255600.M1P2.host") == 1764255600);
	assert_true(maildir_name_sec("x1764255600") == 0);
}

static void
test_add_flag(void **st)
{
	char	 out[NAME_MAX + 1];

	(void)st;
	assert_int_equal(maildir_name_add_flag("a:2,FT", 1, 'S', out,
	    sizeof(out)), 0);
	assert_string_equal(out, "a:2,FST");
	assert_int_equal(maildir_name_add_flag("a", 1, 'S', out,
	    sizeof(out)), 0);
	assert_string_equal(out, "a:2,S");
	assert_int_equal(maildir_name_add_flag("a:2,RS", 1, 'S', out,
	    sizeof(out)), 1);
	errno = 0;
	assert_int_equal(maildir_name_add_flag("abc:2,", 3, 'S', out, 7), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(maildir_name_add_flag("abc:2,", 3, 'S', out, 8), 0);
	assert_string_equal(out, "abc:2,S");
}

/*
 * The most flags a name may hold is the most add_flag reads: a name it
 * makes must take the same flag again (1), never fail as too long.
 */
static void
test_add_flag_limit(void **st)
{
	char	 name[NAME_MAX + 1], out[NAME_MAX + 1], again[NAME_MAX + 1];
	size_t	 nf, k;
	int	 r;

	(void)st;
	for (nf = 55; nf <= 63; nf++) {
		memcpy(name, "a:2,", 4);
		for (k = 0; k < nf; k++)	/* '0'.., skipping 'S' */
			name[4 + k] = (char)('0' + k + ('0' + k >= 'S'));
		name[4 + nf] = '\0';
		r = maildir_name_add_flag(name, 1, 'S', out, sizeof(out));
		if (r == -1) {
			assert_int_equal(errno, ENAMETOOLONG);
			continue;
		}
		assert_int_equal(r, 0);
		assert_non_null(strchr(out + 4, 'S'));
		assert_int_equal(maildir_name_add_flag(out, 1, 'S', again,
		    sizeof(again)), 1);
	}
	/* Up to 61 flags, one more always fits. */
	name[4 + 61] = '\0';
	assert_int_equal(maildir_name_add_flag(name, 1, 'S', out,
	    sizeof(out)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unique_and_wire),
		cmocka_unit_test(test_add_flag),
		cmocka_unit_test(test_add_flag_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
