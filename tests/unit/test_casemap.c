/*
 * Unit tests for lib/mime/casemap.c: i;unicode-casemap (RFC 5051) over
 * Latin, Greek and Cyrillic, decompositions, compatibility forms, what
 * stays (ß, Hangul), and invalid UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "casemap.h"

static void
check(const char *in, const char *want)
{
	struct buf	out;

	buf_init(&out, 4096);
	assert_int_equal(casemap_utf8(in, strlen(in), &out), 0);
	assert_int_equal(out.len, strlen(want));
	assert_memory_equal(out.data == NULL ? "" : out.data, want, out.len);
	buf_free(&out);
}

/* Two strings map to the same form. */
static void
same(const char *a, const char *b)
{
	struct buf	x, y;

	buf_init(&x, 4096);
	buf_init(&y, 4096);
	assert_int_equal(casemap_utf8(a, strlen(a), &x), 0);
	assert_int_equal(casemap_utf8(b, strlen(b), &y), 0);
	assert_int_equal(x.len, y.len);
	assert_memory_equal(x.data, y.data, x.len);
	buf_free(&x);
	buf_free(&y);
}

static void
test_ascii(void **state)
{
	(void)state;
	check("Hello, World 42!", "HELLO, WORLD 42!");
	check("", "");
	same("facteur", "FACTEUR");
}

static void
test_latin(void **state)
{
	(void)state;
	/* Precomposed letters decompose: the base letter and the mark. */
	check("\xc3\xa9", "E\xcc\x81");
	same("\xc3\xa9t\xc3\xa9", "\xc3\x89T\xc3\x89");
	same("\xc3\xa9", "e\xcc\x81");
	same("\xc5\x93", "\xc5\x92");		/* œ Œ */
	same("\xc4\xb1", "I");			/* dotless ı titlecases to I */
	same("\xc7\x86", "\xc7\x84");		/* ǆ Ǆ (via ǅ) */
	same("\xc5\xbf", "s");			/* long s */
	same("\xef\xac\x81", "fi");		/* the ligature ﬁ */
	same("\xef\xbc\xa1", "a");		/* fullwidth Ａ */
	/* Simple mappings only: ß stays ß (not "SS"). */
	check("\xc3\x9f", "\xc3\x9f");
}

static void
test_greek(void **state)
{
	(void)state;
	same("\xcf\x83", "\xce\xa3");		/* σ Σ */
	same("\xcf\x82", "\xce\xa3");		/* final ς Σ */
	same("\xce\xac", "\xce\x86");		/* ά Ά */
	same("\xce\xac", "\xce\xb1\xcc\x81");	/* ά = α + acute */
	same("\xce\x9f\xce\x94\xce\x9f\xce\xa3",
	    "\xce\xbf\xce\xb4\xce\xbf\xcf\x82");	/* ΟΔΟΣ οδος */
	same("\xe1\xbe\x88", "\xe1\xbe\x80");	/* ᾈ ᾀ */
}

static void
test_cyrillic(void **state)
{
	(void)state;
	same("\xd0\x96", "\xd0\xb6");		/* Ж ж */
	same("\xd0\x81", "\xd1\x91");		/* Ё ё */
	same("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
	    "\xd0\xbf\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2");
	same("\xd2\x91", "\xd2\x90");		/* ґ Ґ */
}

static void
test_other_scripts_and_invalid(void **state)
{
	(void)state;
	same("\xd5\xa1", "\xd4\xb1");		/* Armenian ա Ա */
	/* Hangul syllables are not decomposed (RFC 5051 uses no algorithm). */
	check("\xed\x95\x9c", "\xed\x95\x9c");
	check("\xe4\xb8\xad", "\xe4\xb8\xad");
	/* Invalid UTF-8: U+FFFD. */
	check("a\xff" "b", "A\xef\xbf\xbd" "B");
	check("\xc3", "\xef\xbf\xbd");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_latin),
		cmocka_unit_test(test_greek),
		cmocka_unit_test(test_cyrillic),
		cmocka_unit_test(test_other_scripts_and_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
