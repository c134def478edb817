/*
 * Unit tests for lib/mime/mime_search.c: SEARCH SUBJECT/HEADER/BODY/TEXT
 * over decoded text: RFC 2047 headers, base64 and quoted-printable
 * bodies in several charsets, nested messages, parts that are not text,
 * case-insensitivity beyond ASCII, and the bad cases (invalid UTF-8 in
 * the search string, unknown charsets and encodings, a part too large).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "charset.h"
#include "mime.h"
#include "mime_search.h"

static const char msg[] =
    "From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <jm@example.de>\r\n"
    "To: Bob <bob@example.net>\r\n"
    "Subject: =?ISO-8859-7?B?0/3t7/jn?= =?utf-8?q?_report?=\r\n"
    "X-Tag: alpha\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "preamble is not searched: zanzibar\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=koi8-r\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "8NLJ18XULCDNydI=\r\n"			/* Привет, мир */
    "--b\r\n"
    "Content-Type: text/html; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<p>Gr=FC=DFe aus dem Caf=E9, long wo=\r\n"
    "rd here</p>\r\n"
    "--b\r\n"
    "Content-Type: image/png\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "aGlkZGVuIGluIGFuIGltYWdl\r\n"		/* hidden in an image */
    "--b\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner subject\r\n"
    "Content-Type: text/plain; charset=x-no-such\r\n"
    "\r\n"
    "inner body \xe9t\xe9\r\n"
    "--b\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Transfer-Encoding: x-uuencode\r\n"
    "\r\n"
    "begin 644 uuencoded\r\n"
    "--b--\r\n";

static int
search(const char *what, const char *s)
{
	struct mime_search	 ms;
	struct mime_tree	*t;
	int			 r;
	size_t			 hl;

	assert_int_equal(mime_search_init(&ms, s, strlen(s), 1 << 20), 0);
	assert_non_null(t = mime_parse(msg, sizeof(msg) - 1));
	hl = mime_header_len(msg, sizeof(msg) - 1);
	if (strcmp(what, "BODY") == 0)
		r = mime_search_body(&ms, t);
	else if (strcmp(what, "TEXT") == 0)
		r = mime_search_text(&ms, t);
	else
		r = mime_search_header(&ms, msg, hl, what);
	mime_free(t);
	mime_search_free(&ms);
	return r;
}

static void
test_header(void **state)
{
	(void)state;
	assert_int_equal(search("Subject", "report"), 1);
	/* ISO-8859-7 "Σύνοψη", decoded, in any case. */
	assert_int_equal(search("subject", "\xcf\x83\xcf\x8d\xce\xbd"), 1);
	assert_int_equal(search("Subject", "\xce\xa3\xce\x8e\xce\x9d"), 1);
	assert_int_equal(search("Subject", "\xcf\x83\xcf\x8d\xce\xbd"
	    "\xce\xbf\xcf\x88\xce\xb7 report"), 1);
	assert_int_equal(search("From", "j\xc3\xb6rg m\xc3\xbcller"), 1);
	assert_int_equal(search("From", "JM@EXAMPLE"), 1);
	assert_int_equal(search("To", "jm@example"), 0);
	assert_int_equal(search("X-Tag", "ALPHA"), 1);
	/* Empty string: the field is there, whatever it holds. */
	assert_int_equal(search("X-Tag", ""), 1);
	assert_int_equal(search("X-Missing", ""), 0);
	/* Not in the top header: the inner message's Subject. */
	assert_int_equal(search("Subject", "inner"), 0);
}

static void
test_body(void **state)
{
	(void)state;
	/* koi8-r in base64, searched in another case. */
	assert_int_equal(search("BODY", "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92"
	    "\xd0\x95\xd0\xa2, \xd0\x9c\xd0\x98\xd0\xa0"), 1);
	/* iso-8859-1 quoted-printable; a soft break inside a word. */
	assert_int_equal(search("BODY", "gr\xc3\xbc\xc3\x9f" "e"), 1);
	assert_int_equal(search("BODY", "CAF\xc3\x89"), 1);
	assert_int_equal(search("BODY", "caf"), 1);
	assert_int_equal(search("BODY", "long word here"), 1);
	/* Diacritics are marks after the letter: "cafe" finds "café". */
	assert_int_equal(search("BODY", "cafe"), 1);
	/* Not text: images, the preamble, headers. */
	assert_int_equal(search("BODY", "hidden"), 0);
	assert_int_equal(search("BODY", "zanzibar"), 0);
	assert_int_equal(search("BODY", "alpha"), 0);
	/* The inner message's body, in an unknown charset: its bytes. */
	assert_int_equal(search("BODY", "inner body \xc3\xa9t\xc3\xa9"), 1);
	/* An unknown transfer encoding: the bytes as they are. */
	assert_int_equal(search("BODY", "uuencoded"), 1);
	assert_int_equal(search("BODY", "nowhere at all"), 0);
}

static void
test_text(void **state)
{
	(void)state;
	assert_int_equal(search("TEXT", "alpha"), 1);
	assert_int_equal(search("TEXT", "x-tag: alpha"), 1);
	assert_int_equal(search("TEXT", "inner subject"), 1);
	assert_int_equal(search("TEXT", "image/png"), 1);
	assert_int_equal(search("TEXT", "\xd0\xbc\xd0\xb8\xd1\x80"), 1);
	assert_int_equal(search("TEXT", "hidden"), 0);
}

static void
test_value(void **state)
{
	struct mime_search	ms;

	(void)state;
	assert_int_equal(mime_search_init(&ms, "caf\xc3\xa9 OK", 8, 1024), 0);
	assert_int_equal(mime_search_value(&ms, " =?utf-8?q?CAF=C3=89?=\r\n"
	    " ok", 27), 1);
	assert_int_equal(mime_search_value(&ms, " cafe ok", 8), 0);
	mime_search_free(&ms);
}

static void
test_bad_needle(void **state)
{
	struct mime_search	ms;

	(void)state;
	assert_int_equal(mime_search_init(&ms, "a\xff", 2, 1024), -1);
	assert_int_equal(errno, EILSEQ);
	mime_search_free(&ms);
	assert_int_equal(mime_search_init(&ms, "a\0b", 3, 1024), -1);
	mime_search_free(&ms);
}

static void
test_part_too_large(void **state)
{
	struct mime_search	 ms;
	struct mime_tree	*t;

	(void)state;
	/* A limit smaller than a part: an error, not a "not found". */
	assert_int_equal(mime_search_init(&ms, "zzz", 3, 8), 0);
	assert_non_null(t = mime_parse(msg, sizeof(msg) - 1));
	assert_int_equal(mime_search_body(&ms, t), -1);
	assert_int_equal(errno, E2BIG);
	mime_free(t);
	mime_search_free(&ms);
	charset_cache_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_value),
		cmocka_unit_test(test_bad_needle),
		cmocka_unit_test(test_part_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
