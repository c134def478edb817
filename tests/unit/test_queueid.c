/*
 * Unit tests for lib/queue/queueid.c: the form (length, alphabet), the validity
 * check against bad IDs, and uniqueness over 100,000 IDs in one process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "queueid.h"

#define NIDS	100000

static void
test_form(void **state)
{
	char	 id[QUEUEID_LEN + 1];
	size_t	 i;
	int	 n;

	(void)state;
	for (n = 0; n < 1000; n++) {
		memset(id, 'x', sizeof(id));
		queueid_new(id);
		assert_int_equal(strlen(id), QUEUEID_LEN);
		for (i = 0; i < QUEUEID_LEN; i++) {
			assert_non_null(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ",
			    id[i]));
			assert_null(strchr("ILOU", id[i]));
		}
		assert_int_equal(queueid_valid(id), 1);
	}
}

static void
test_valid_bad(void **state)
{
	(void)state;
	assert_int_equal(queueid_valid("0123456789ABCD"), 1);
	assert_int_equal(queueid_valid("ZZZZZZ0000ZZZZ"), 1);
	assert_int_equal(queueid_valid(NULL), 0);
	assert_int_equal(queueid_valid(""), 0);
	assert_int_equal(queueid_valid("0123456789ABC"), 0);	/* 13 */
	assert_int_equal(queueid_valid("0123456789ABCDE"), 0);	/* 15 */
	assert_int_equal(queueid_valid("0123456789abcd"), 0);	/* lower */
	assert_int_equal(queueid_valid("0123456789ABCI"), 0);
	assert_int_equal(queueid_valid("0123456789ABCL"), 0);
	assert_int_equal(queueid_valid("0123456789ABCO"), 0);
	assert_int_equal(queueid_valid("0123456789ABCU"), 0);
	assert_int_equal(queueid_valid("012345/789ABCD"), 0);
	assert_int_equal(queueid_valid("0123456789ABC\n"), 0);
	assert_int_equal(queueid_valid("0123456789ABC "), 0);
	assert_int_equal(queueid_valid("../../etc/pass"), 0);
	/* microseconds field over 999999 */
	assert_int_equal(queueid_valid("000000ZZZZ0000"), 0);
	assert_int_equal(queueid_valid("000000YGHZ0000"), 1);	/* 999999 */
	assert_int_equal(queueid_valid("000000YGJ00000"), 0);	/* 1000000 */
}

static int
cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, QUEUEID_LEN + 1);
}

static void
test_unique(void **state)
{
	char	(*ids)[QUEUEID_LEN + 1];
	size_t	 i;

	(void)state;
	ids = calloc(NIDS, sizeof(*ids));
	assert_non_null(ids);
	for (i = 0; i < NIDS; i++)
		queueid_new(ids[i]);
	qsort(ids, NIDS, sizeof(*ids), cmp_id);
	for (i = 1; i < NIDS; i++)
		assert_int_not_equal(memcmp(ids[i - 1], ids[i],
		    QUEUEID_LEN + 1), 0);
	free(ids);
}

static void
test_sorts_by_time(void **state)
{
	char	 a[QUEUEID_LEN + 1], b[QUEUEID_LEN + 1];

	(void)state;
	queueid_new(a);
	usleep(2000);
	queueid_new(b);
	/* the time part (10 chars) grows; the alphabet is in ASCII order */
	assert_true(memcmp(a, b, 10) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_valid_bad),
		cmocka_unit_test(test_unique),
		cmocka_unit_test(test_sorts_by_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
