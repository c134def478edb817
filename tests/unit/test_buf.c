/*
 * Unit tests for lib/base/buf.c: appends up to the limit and one byte past it,
 * E2BIG keeping the old content, size overflow, printf (fitting and not),
 * consume, reset, strdup and wipe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static void
test_append_limit(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_append(&b, "01234", 5), 0);
	assert_int_equal(buf_append(&b, "56789", 5), 0);	/* exactly max */
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "0123456789");
	errno = 0;
	assert_int_equal(buf_putc(&b, 'x'), -1);		/* max + 1 */
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "0123456789");
	assert_int_equal(buf_append(&b, "", 0), 0);		/* nothing */
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void
test_e2big_keeps_content(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_append_str(&b, "abc"), 0);
	errno = 0;
	assert_int_equal(buf_append_str(&b, "defghi"), -1);	/* 9 > 8 */
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "abc");
	assert_int_equal(buf_printf(&b, "%s", "123456"), -1);
	assert_int_equal(errno, E2BIG);
	assert_string_equal(b.data, "abc");
	assert_int_equal(buf_reserve(&b, 6), -1);
	assert_int_equal(buf_reserve(&b, 5), 0);
	assert_int_equal(buf_append_str(&b, "defgh"), 0);
	assert_string_equal(b.data, "abcdefgh");
	buf_free(&b);
}

static void
test_overflow(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, SIZE_MAX);
	assert_int_equal(buf_append_str(&b, "abc"), 0);
	/* len + extra would wrap around: refused, not wrapped */
	errno = 0;
	assert_int_equal(buf_reserve(&b, SIZE_MAX), -1);
	assert_int_equal(buf_reserve(&b, SIZE_MAX - 2), -1);
	assert_int_equal(buf_reserve(&b, SIZE_MAX - 3), -1);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "abc");
	buf_free(&b);

	/* max 0: nothing at all fits, but the empty buffer is usable */
	buf_init(&b, 0);
	assert_int_equal(buf_putc(&b, 'a'), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_binary_and_nul(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 100);
	assert_int_equal(buf_append(&b, "a\0b", 3), 0);
	assert_int_equal(buf_putc(&b, 0), 0);
	assert_int_equal(buf_putc(&b, 0xff), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "a\0b\0\xff", 5);
	assert_int_equal(b.data[5], '\0');	/* always terminated */
	buf_free(&b);
}

static void
test_growth(void **state)
{
	struct buf	 b;
	size_t		 i;

	(void)state;
	buf_init(&b, 100000);
	for (i = 0; i < 100000; i++)
		assert_int_equal(buf_putc(&b, (int)('a' + i % 26)), 0);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap >= 100001);
	assert_true(b.cap <= 100001 + 64);	/* never past max + NUL */
	for (i = 0; i < 100000; i++)
		assert_int_equal(b.data[i], (char)('a' + i % 26));
	assert_int_equal(b.data[100000], '\0');
	assert_int_equal(buf_putc(&b, 'x'), -1);
	buf_free(&b);
}

static void
test_printf(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_printf(&b, "%s: size=%zu", "ABC", (size_t)42), 0);
	assert_string_equal(b.data, "ABC: size=42");
	assert_int_equal(buf_printf(&b, ", nrcpt=%d", 3), 0);
	assert_string_equal(b.data, "ABC: size=42, nrcpt=3");
	assert_int_equal(b.len, strlen("ABC: size=42, nrcpt=3"));
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_int_equal(b.len, 21);
	buf_reset(&b);
	/* exactly max fits, max+1 does not */
	assert_int_equal(buf_printf(&b, "%064d", 7), 0);
	assert_int_equal(b.len, 64);
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "%065d", 7), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 0);
	buf_free(&b);

	/* printf into a fresh buffer */
	buf_init(&b, 10);
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	buf_free(&b);
}

static void
test_consume(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(buf_append_str(&b, "hello world"), 0);
	buf_consume(&b, 6);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "world");
	buf_consume(&b, 0);
	assert_string_equal(b.data, "world");
	buf_consume(&b, 5);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(buf_append_str(&b, "xy"), 0);
	buf_consume(&b, 100);		/* more than there is */
	assert_int_equal(b.len, 0);
	buf_free(&b);

	/* consume on a buffer never used */
	buf_init(&b, 8);
	buf_consume(&b, 3);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_reset_strdup_wipe(void **state)
{
	struct buf	 b;
	char		*s;
	size_t		 cap;

	(void)state;
	buf_init(&b, 64);
	s = buf_strdup(&b);			/* empty, never allocated */
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(buf_append_str(&b, "secret"), 0);
	cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, cap);		/* storage kept */
	assert_string_equal(b.data, "");
	assert_int_equal(buf_append(&b, "a\0b", 3), 0);
	s = buf_strdup(&b);
	assert_non_null(s);
	assert_memory_equal(s, "a\0b", 4);
	free(s);
	buf_wipe(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	/* usable again after a wipe */
	assert_int_equal(buf_append_str(&b, "again"), 0);
	assert_string_equal(b.data, "again");
	buf_free(&b);
	buf_wipe(&b);				/* on a freed buffer */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_limit),
		cmocka_unit_test(test_e2big_keeps_content),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_binary_and_nul),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_consume),
		cmocka_unit_test(test_reset_strdup_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
