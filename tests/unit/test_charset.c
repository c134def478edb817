/*
 * Unit tests for lib/mime/charset.c and utf8.c: the charsets converted
 * by hand (us-ascii, utf-8, iso-8859-1 read as windows-1252) and through
 * iconv (Cyrillic, Japanese, Chinese, Korean, stateful ISO-2022-JP and
 * UTF-7), aliases, unknown and hostile names, and invalid input, which
 * becomes U+FFFD and never fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "charset.h"
#include "utf8.h"

static void
check(const char *cs, const char *in, size_t n, const char *want)
{
	struct buf	out;

	buf_init(&out, 4096);
	assert_int_equal(charset_to_utf8(cs, strlen(cs), in, n, &out), 0);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.data == NULL ? "" : out.data, want, out.len);
	assert_true(utf8_valid(out.data == NULL ? "" : out.data, out.len));
	buf_free(&out);
}

#define CHECK(cs, lit, want)	check(cs, lit, sizeof(lit) - 1, want)

static void
test_native(void **state)
{
	(void)state;
	CHECK("utf-8", "caf\xc3\xa9", "caf\xc3\xa9");
	CHECK("UTF8", "caf\xc3\xa9", "caf\xc3\xa9");
	CHECK(" utf-8 ", "x", "x");
	/* Invalid UTF-8: each bad byte is U+FFFD; overlong and surrogates. */
	CHECK("utf-8", "a\xc3(b", "a\xef\xbf\xbd(b");
	CHECK("utf-8", "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");
	CHECK("utf-8", "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK("utf-8", "\xf4\x90\x80\x80",
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	CHECK("utf-8", "a\0b", "a\xef\xbf\xbd" "b");
	/* iso-8859-1 is read as windows-1252 (0x80 is the euro sign). */
	CHECK("ISO-8859-1", "caf\xe9 \x80", "caf\xc3\xa9 \xe2\x82\xac");
	CHECK("latin1", "\xff", "\xc3\xbf");
	CHECK("windows-1252", "\x93q\x94", "\xe2\x80\x9cq\xe2\x80\x9d");
	/* us-ascii holding UTF-8 (a common mislabel) or 8-bit text. */
	CHECK("us-ascii", "caf\xc3\xa9", "caf\xc3\xa9");
	CHECK("US-ASCII", "caf\xe9", "caf\xc3\xa9");
}

static void
test_iconv(void **state)
{
	(void)state;
	CHECK("koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4",
	    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	CHECK("windows-1251", "\xcf\xf0\xe8",
	    "\xd0\x9f\xd1\x80\xd0\xb8");
	CHECK("iso-8859-7", "\xd3\xf3",	"\xce\xa3\xcf\x83");
	CHECK("iso-8859-2", "\xb1", "\xc4\x85");
	CHECK("shift_jis", "\x93\xfa\x96\x7b", "\xe6\x97\xa5\xe6\x9c\xac");
	/* windows-31j: the NEC row 13 circled digit shift_jis lacks. */
	CHECK("Shift_JIS", "\x87\x40", "\xe2\x91\xa0");
	CHECK("gb2312", "\xd6\xd0\xce\xc4", "\xe4\xb8\xad\xe6\x96\x87");
	CHECK("euc-kr", "\xc7\xd1", "\xed\x95\x9c");
	CHECK("ks_c_5601-1987", "\xc7\xd1", "\xed\x95\x9c");
	CHECK("big5", "\xa4\xa4", "\xe4\xb8\xad");
	CHECK("iso-2022-jp", "\x1b$BF|K\\\x1b(B!",
	    "\xe6\x97\xa5\xe6\x9c\xac!");
	CHECK("utf-7", "Hi Mom -+Jjo--!", "Hi Mom -\xe2\x98\xba-!");
	CHECK("iso-8859-8-i", "\xf9", "\xd7\xa9");
}

static void
test_iconv_invalid_input(void **state)
{
	(void)state;
	/* A byte shift_jis does not define, and one cut off at the end. */
	CHECK("shift_jis", "a\xa0" "b", "a\xef\xbf\xbd" "b");
	CHECK("shift_jis", "a\x93", "a\xef\xbf\xbd");
	CHECK("utf-16le", "a\0b", "a\xef\xbf\xbd");
	/* The cached descriptor starts clean after an error. */
	CHECK("iso-2022-jp", "\x1b$BF|", "\xe6\x97\xa5");
	CHECK("iso-2022-jp", "K\\", "K\\");
}

static void
test_unknown(void **state)
{
	static const char *const names[] = {
		"x-unknown", "unknown-8bit", "no-such-charset", "",
		"utf-8//TRANSLIT", "UTF-8,ISO-8859-1", "utf 8", "\xc3\xa9",
		"x-user-defined",
		"a-charset-name-that-is-far-too-long-to-be-any-real-charset-name",
	};
	struct buf	out;
	size_t		i;

	(void)state;
	buf_init(&out, 64);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(charset_to_utf8(names[i], strlen(names[i]),
		    "x", 1, &out), 1);
		assert_false(charset_known(names[i], strlen(names[i])));
	}
	assert_int_equal(out.len, 0);
	assert_true(charset_known("UTF-8", 5));
	assert_true(charset_known("koi8-u", 6));
	buf_free(&out);
	charset_cache_free();
}

static void
test_cache(void **state)
{
	static const char *const names[] = {
		"koi8-r", "iso-8859-2", "iso-8859-5", "big5", "gbk",
		"euc-jp", "koi8-r", "iso-8859-15",
	};
	size_t	i, k;

	(void)state;
	/* More charsets than cache slots, again and again. */
	for (k = 0; k < 3; k++)
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			check(names[i], "abc", 3, "abc");
	charset_cache_free();
	check("koi8-r", "abc", 3, "abc");
	charset_cache_free();
}

static void
test_output_full(void **state)
{
	struct buf	out;

	(void)state;
	buf_init(&out, 4);
	assert_int_equal(charset_to_utf8("koi8-r", 6, "\xf0\xd2\xc9", 3,
	    &out), -1);
	assert_int_equal(charset_to_utf8("utf-8", 5, "abcdef", 6, &out), -1);
	buf_free(&out);
	charset_cache_free();
}

static void
test_utf8_decode(void **state)
{
	uint32_t	cp;
	char		enc[4];

	(void)state;
	assert_int_equal(utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80",
	    4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	assert_int_equal(utf8_encode(cp, enc), 4);
	assert_memory_equal(enc, "\xf0\x9f\x98\x80", 4);
	assert_int_equal(utf8_decode((const unsigned char *)"\xf0\x9f\x98",
	    3, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"\xe0\x80\x80",
	    3, &cp), 0);
	assert_int_equal(utf8_decode((const unsigned char *)"\x80", 1, &cp),
	    0);
	assert_false(utf8_valid("\xff", 1));
	assert_true(utf8_valid("", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_native),
		cmocka_unit_test(test_iconv),
		cmocka_unit_test(test_iconv_invalid_input),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_output_full),
		cmocka_unit_test(test_utf8_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
