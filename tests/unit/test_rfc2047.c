/*
 * Unit tests for lib/mime/rfc2047.c: encoded words in B and Q, blanks
 * between words, a character split across two words, charsets known and
 * unknown, malformed words, raw 8-bit text, NUL, folds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "charset.h"
#include "rfc2047.h"
#include "utf8.h"

static void
check(const char *in, size_t n, const char *want)
{
	struct buf	out;

	buf_init(&out, 4096);
	assert_int_equal(rfc2047_decode(in, n, &out), 0);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.data == NULL ? "" : out.data, want, out.len);
	assert_true(utf8_valid(out.data == NULL ? "" : out.data, out.len));
	assert_null(memchr(out.data == NULL ? "" : out.data, '\0', out.len));
	buf_free(&out);
}

#define CHECK(lit, want)	check(lit, sizeof(lit) - 1, want)

static void
test_words(void **state)
{
	(void)state;
	CHECK("plain text", "plain text");
	CHECK("=?UTF-8?Q?Caf=C3=A9_tomorrow=3F?=", "Caf\xc3\xa9 tomorrow?");
	CHECK("=?utf-8?b?Q2Fmw6k=?=", "Caf\xc3\xa9");
	CHECK("=?ISO-8859-1?Q?Unterlagen_f=FCr_M=FCnchen?=",
	    "Unterlagen f\xc3\xbcr M\xc3\xbcnchen");
	CHECK("Re: =?koi8-r?B?8NLJ18XU?= !", "Re: \xd0\x9f\xd1\x80\xd0\xb8"
	    "\xd0\xb2\xd0\xb5\xd1\x82 !");
	/* An RFC 2231 language suffix. */
	CHECK("=?utf-8*fr?q?=C3=A9t=C3=A9?=", "\xc3\xa9t\xc3\xa9");
	/* Lower-case hex in Q, '=' that escapes nothing. */
	CHECK("=?utf-8?q?a=c3=a9=zz?=", "a\xc3\xa9=zz");
}

static void
test_blanks_between_words(void **state)
{
	(void)state;
	/* Dropped between two words, kept next to text. */
	CHECK("=?utf-8?q?a?= =?utf-8?q?b?=", "ab");
	CHECK("=?utf-8?q?a?=\r\n\t=?utf-8?q?b?=", "ab");
	CHECK("x =?utf-8?q?a?= y", "x a y");
	CHECK("=?utf-8?q?a_?= =?iso-8859-1?q?b?= c", "a b c");
}

static void
test_split_character(void **state)
{
	(void)state;
	/* U+00E9 split across two B words: joined before conversion. */
	CHECK("=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?=", "\xc3\xa9\xc3\xa9");
	CHECK("=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "\xc3\xa9");
	/* ... but not across charsets. */
	CHECK("=?utf-8?q?=C3?= =?iso-8859-1?q?=A9?=",
	    "\xef\xbf\xbd\xc2\xa9");
}

static void
test_unknown_and_malformed(void **state)
{
	(void)state;
	CHECK("=?x-unknown?q?abc?= rest", "=?x-unknown?q?abc?= rest");
	CHECK("=?utf-8?x?abc?=", "=?utf-8?x?abc?=");
	CHECK("=?utf-8?q?abc", "=?utf-8?q?abc");
	CHECK("=?" "?q?abc?=", "=?" "?q?abc?=");
	CHECK("=?utf-8?q?a b?=", "=?utf-8?q?a b?=");
	CHECK("=?", "=?");
	CHECK("=?utf-8?q?" "?=", "");
	/* Invalid bytes inside a utf-8 word: U+FFFD. */
	CHECK("=?utf-8?q?a=FFb?=", "a\xef\xbf\xbd" "b");
}

static void
test_raw_8bit_and_nul(void **state)
{
	(void)state;
	CHECK("caf\xc3\xa9", "caf\xc3\xa9");
	CHECK("caf\xe9 \x80", "caf\xc3\xa9 \xe2\x82\xac");
	CHECK("a\0b", "a\xef\xbf\xbd" "b");
	CHECK("=?utf-8?q?a=00b?=", "a\xef\xbf\xbd" "b");
	/* Folds are removed, their blanks kept. */
	CHECK("one\r\n two\n\tthree", "one two\tthree");
}

static void
test_output_full(void **state)
{
	struct buf	out;

	(void)state;
	buf_init(&out, 3);
	assert_int_equal(rfc2047_decode("=?utf-8?q?abcdef?=", 18, &out), -1);
	buf_free(&out);
	charset_cache_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_blanks_between_words),
		cmocka_unit_test(test_split_character),
		cmocka_unit_test(test_unknown_and_malformed),
		cmocka_unit_test(test_raw_8bit_and_nul),
		cmocka_unit_test(test_output_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
