/*
 * Unit tests for imapd/imap_section.c: the section grammar (good and bad
 * section texts, literals and quoted field names, limits), the lookup of
 * every kind of section in a message with an attached message (the
 * answers are Dovecot's for the same message, but where NOTES.md in
 * tests/data/bodystructure says otherwise), and <partial> copies across
 * segments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "imap_section.h"
#include "mime.h"
#include "mime_fixture.h"

static const char stored[] =
    "Content-Type: multipart/mixed; boundary=\"x y\"\n"
    "\n"
    "--x y\n"
    "Content-Type: text/plain; charset=\"utf-8\"; format=flowed\n"
    "Content-Disposition: attachment; filename=\"a.txt\"; size=12\n"
    "\n"
    "hello\n"
    "--x y \n"
    "Content-Type: message/rfc822\n"
    "\n"
    "Subject: inner\n"
    "Content-Type: multipart/alternative; boundary=in\n"
    "\n"
    "--in\n"
    "\n"
    "alt1\n"
    "--in\n"
    "Content-Type: text/html\n"
    "\n"
    "<b>alt2</b>\n"
    "--in--\n"
    "\n"
    "--x y--\n";

/* The answer to BODY[sec] of the message above, or "(none)". */
static char *
fetch(const char *sec)
{
	struct imap_section		 s;
	struct imap_section_result	 res;
	struct mime_tree		*t;
	struct buf			 w, out;
	const char			*why = NULL;
	char				*r;
	int				 found;

	assert_int_equal(fixture_wire(stored, sizeof(stored) - 1, &w), 0);
	assert_non_null(t = mime_parse(w.data, w.len));
	if (imap_section_parse(sec, strlen(sec), 0, &s, &why) == -1)
		fail_msg("%s: %s", sec, why);
	found = imap_section_find(t, &s, &res);
	assert_true(found >= 0);
	buf_init(&out, 1 << 20);
	assert_int_equal(imap_section_copy(&res, 0, SIZE_MAX, &out), 0);
	assert_int_equal(out.len, res.size);
	r = found ? buf_strdup(&out) : strdup("(none)");
	imap_section_result_free(&res);
	buf_free(&out);
	mime_free(t);
	buf_free(&w);
	return r;
}

static void
check(const char *sec, const char *want)
{
	char	*got = fetch(sec);

	if (strcmp(got, want) != 0)
		fail_msg("BODY[%s]: got \"%s\", want \"%s\"", sec, got, want);
	free(got);
}

static void
test_parts(void **state)
{
	(void)state;
	check("1", "hello");
	check("1.MIME", "Content-Type: text/plain; charset=\"utf-8\"; "
	    "format=flowed\r\nContent-Disposition: attachment; "
	    "filename=\"a.txt\"; size=12\r\n\r\n");
	check("HEADER", "Content-Type: multipart/mixed; boundary=\"x y\"\r\n"
	    "\r\n");
	check("2", "Subject: inner\r\nContent-Type: multipart/alternative; "
	    "boundary=in\r\n\r\n--in\r\n\r\nalt1\r\n--in\r\nContent-Type: "
	    "text/html\r\n\r\n<b>alt2</b>\r\n--in--\r\n");
	check("2.MIME", "Content-Type: message/rfc822\r\n\r\n");
	check("2.HEADER", "Subject: inner\r\nContent-Type: multipart/"
	    "alternative; boundary=in\r\n\r\n");
	check("2.TEXT", "--in\r\n\r\nalt1\r\n--in\r\nContent-Type: "
	    "text/html\r\n\r\n<b>alt2</b>\r\n--in--\r\n");
	check("2.1", "alt1");
	check("2.1.MIME", "\r\n");
	check("2.2", "<b>alt2</b>");
	check("2.2.MIME", "Content-Type: text/html\r\n\r\n");
}

static void
test_header_fields(void **state)
{
	(void)state;
	check("2.HEADER.FIELDS (subject content-type)", "Subject: inner\r\n"
	    "Content-Type: multipart/alternative; boundary=in\r\n\r\n");
	check("2.HEADER.FIELDS (CONTENT-TYPE)", "Content-Type: multipart/"
	    "alternative; boundary=in\r\n\r\n");
	check("2.HEADER.FIELDS.NOT (Subject)", "Content-Type: multipart/"
	    "alternative; boundary=in\r\n\r\n");
	check("HEADER.FIELDS (X-NONE)", "\r\n");
	check("HEADER.FIELDS (\"Content-Type\" {7}\r\nX-Other)",
	    "Content-Type: multipart/mixed; boundary=\"x y\"\r\n\r\n");
	check("HEADER.FIELDS (X-NONE {7+}\r\nX-Other)", "\r\n");
}

static void
test_nothing_there(void **state)
{
	(void)state;
	/* Dovecot answers "" for all of these. */
	check("3", "(none)");
	check("2.3", "(none)");
	check("1.HEADER", "(none)");
	check("1.TEXT", "(none)");
	check("2.1.HEADER", "(none)");
	check("2.2.TEXT", "(none)");
	check("2.1.2", "(none)");
	/* Dovecot answers "alt1" and "hello" here: a leaf has no parts. */
	check("2.1.1", "(none)");
	check("1.1", "(none)");
}

static void
test_single_part_messages(void **state)
{
	static const char	plain[] = "Subject: x\r\n\r\nbody";
	static const char	msg822[] =
	    "Subject: x\r\nContent-Type: message/rfc822\r\n\r\n"
	    "Subject: in\r\n\r\nbody";
	struct imap_section		 s;
	struct imap_section_result	 res;
	struct mime_tree		*t;
	const char			*why;
	struct buf			 out;

	(void)state;
	buf_init(&out, 1024);
	assert_non_null(t = mime_parse(plain, sizeof(plain) - 1));
	assert_int_equal(imap_section_parse("1", 1, 0, &s, &why), 0);
	assert_int_equal(imap_section_find(t, &s, &res), 1);
	assert_int_equal(imap_section_copy(&res, 0, SIZE_MAX, &out), 0);
	assert_string_equal(out.data, "body");
	imap_section_result_free(&res);
	buf_reset(&out);
	/* 1.MIME of a single-part message: its header. */
	assert_int_equal(imap_section_parse("1.MIME", 6, 0, &s, &why), 0);
	assert_int_equal(imap_section_find(t, &s, &res), 1);
	assert_int_equal(imap_section_copy(&res, 0, SIZE_MAX, &out), 0);
	assert_string_equal(out.data, "Subject: x\r\n\r\n");
	imap_section_result_free(&res);
	buf_reset(&out);
	assert_int_equal(imap_section_parse("2", 1, 0, &s, &why), 0);
	assert_int_equal(imap_section_find(t, &s, &res), 0);
	imap_section_result_free(&res);
	mime_free(t);

	/* A message that is a message/rfc822: 1.1 is the inner body. */
	assert_non_null(t = mime_parse(msg822, sizeof(msg822) - 1));
	assert_int_equal(imap_section_parse("1.1", 3, 0, &s, &why), 0);
	assert_int_equal(imap_section_find(t, &s, &res), 1);
	assert_int_equal(imap_section_copy(&res, 0, SIZE_MAX, &out), 0);
	assert_string_equal(out.data, "body");
	imap_section_result_free(&res);
	buf_reset(&out);
	assert_int_equal(imap_section_parse("1.HEADER", 8, 0, &s, &why), 0);
	assert_int_equal(imap_section_find(t, &s, &res), 1);
	assert_int_equal(imap_section_copy(&res, 0, SIZE_MAX, &out), 0);
	assert_string_equal(out.data, "Subject: in\r\n\r\n");
	imap_section_result_free(&res);
	buf_reset(&out);
	/* BODY[] is the whole message. */
	assert_int_equal(imap_section_parse("", 0, 0, &s, &why), 0);
	assert_int_equal(imap_section_find(t, &s, &res), 1);
	assert_int_equal(res.size, sizeof(msg822) - 1);
	imap_section_result_free(&res);
	mime_free(t);
	buf_free(&out);
}

static void
test_partial(void **state)
{
	static const char	 msg[] =
	    "A: 1\r\nB: 2\r\nA: 3\r\nC: 4\r\n\r\nbody";
	struct imap_section		 s;
	struct imap_section_result	 res;
	struct mime_tree		*t;
	const char			*why;
	struct buf			 out;

	(void)state;
	assert_non_null(t = mime_parse(msg, sizeof(msg) - 1));
	assert_int_equal(imap_section_parse("HEADER.FIELDS (A C)", 19, 0, &s,
	    &why), 0);
	assert_int_equal(imap_section_find(t, &s, &res), 1);
	/* "A: 1", then "A: 3" and "C: 4" joined, then CRLF: 3 segments. */
	assert_int_equal(res.nseg, 3);
	assert_int_equal(res.size, 20);
	buf_init(&out, 1024);
	assert_int_equal(imap_section_copy(&res, 4, 6, &out), 0);
	assert_string_equal(out.data, "\r\nA: 3");
	buf_reset(&out);
	assert_int_equal(imap_section_copy(&res, 17, 100, &out), 0);
	assert_string_equal(out.data, "\n\r\n");
	buf_reset(&out);
	assert_int_equal(imap_section_copy(&res, 20, 100, &out), 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(imap_section_copy(&res, SIZE_MAX, 1, &out), 0);
	assert_int_equal(out.len, 0);
	buf_free(&out);
	imap_section_result_free(&res);
	mime_free(t);
}

static void
test_bad_sections(void **state)
{
	static const char *const bad[] = {
		"0", "1.", ".1", "1..2", "01", "MIME", "HEADER.FIELDS",
		"HEADER.FIELDS ()", "HEADER.FIELDS (A", "HEADER.FIELDS (A B",
		"HEADER.FIELDS(A)", "HEADER.FIELDS  (A)", "HEADER.FIELDS (A:B)",
		"HEADER.FIELDS (\"A\\\"B\")", "HEADER.FIELDS ({2}\r\nA)",
		"HEADER.FIELDS ({99999}\r\nA)", "TEXTX", "HEADERS", "1.TEXT ",
		"4294967296", "1.BODY", "header.fields.not",
		"HEADER.FIELDS (\xc3\xa9)", "HEADER.FIELDS (\"\")",
	};
	struct imap_section	 s;
	const char		*why;
	struct buf		 m;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (imap_section_parse(bad[i], strlen(bad[i]), 0, &s, &why) !=
		    -1)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_non_null(why);
	}
	/* Case does not matter; the biggest part number does fit. */
	assert_int_equal(imap_section_parse("1.header.fields.not (a)", 23, 0,
	    &s, &why), 0);
	assert_int_equal(s.kind, IMAP_SECTION_FIELDS_NOT);
	assert_int_equal(imap_section_parse("4294967295.mime", 15, 0, &s,
	    &why), 0);
	assert_int_equal(s.part[0], 4294967295u);
	/* BINARY takes part numbers only. */
	assert_int_equal(imap_section_parse("1.2", 3, IMAP_SECTION_BINARY, &s,
	    &why), 0);
	assert_int_equal(imap_section_parse("1.HEADER", 8, IMAP_SECTION_BINARY,
	    &s, &why), -1);
	assert_int_equal(imap_section_parse("1.MIME", 6, IMAP_SECTION_BINARY,
	    &s, &why), -1);
	/* Limits: part numbers and field names. */
	buf_init(&m, 1 << 20);
	for (i = 0; i <= IMAP_SECTION_PARTS_MAX; i++)
		assert_int_equal(buf_append_str(&m, i ? ".1" : "1"), 0);
	assert_int_equal(imap_section_parse(m.data, m.len, 0, &s, &why), -1);
	buf_reset(&m);
	assert_int_equal(buf_append_str(&m, "HEADER.FIELDS (A"), 0);
	for (i = 0; i < IMAP_SECTION_FIELDS_MAX; i++)
		assert_int_equal(buf_append_str(&m, " A"), 0);
	assert_int_equal(buf_append_str(&m, ")"), 0);
	assert_int_equal(imap_section_parse(m.data, m.len, 0, &s, &why), -1);
	buf_free(&m);
}

static void
test_top_without_tree(void **state)
{
	static const char *const secs[] = {
		"", "HEADER", "TEXT", "HEADER.FIELDS (content-type x)",
		"HEADER.FIELDS.NOT (Content-Type)", "1", "2.HEADER",
	};
	struct imap_section		 s;
	struct imap_section_result	 a, b;
	struct mime_tree		*t;
	struct buf			 w, x, y;
	const char			*why;
	size_t				 i;
	int				 ra, rb;

	(void)state;
	assert_int_equal(fixture_wire(stored, sizeof(stored) - 1, &w), 0);
	assert_non_null(t = mime_parse(w.data, w.len));
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		assert_int_equal(imap_section_parse(secs[i], strlen(secs[i]),
		    0, &s, &why), 0);
		ra = imap_section_find(t, &s, &a);
		rb = imap_section_find_top(w.data, w.len, &s, &b);
		if (!imap_section_is_top(&s)) {
			assert_int_equal(rb, 0);
			imap_section_result_free(&a);
			imap_section_result_free(&b);
			continue;
		}
		assert_int_equal(ra, 1);
		assert_int_equal(rb, 1);
		buf_init(&x, 1 << 20);
		buf_init(&y, 1 << 20);
		assert_int_equal(imap_section_copy(&a, 0, SIZE_MAX, &x), 0);
		assert_int_equal(imap_section_copy(&b, 0, SIZE_MAX, &y), 0);
		assert_int_equal(x.len, y.len);
		assert_memory_equal(x.data, y.data, x.len);
		buf_free(&x);
		buf_free(&y);
		imap_section_result_free(&a);
		imap_section_result_free(&b);
	}
	mime_free(t);
	buf_free(&w);
}

static void
test_binary(void **state)
{
	static const char	 msg[] =
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Transfer-Encoding: base64\r\n\r\nQQBC\r\n"
	    "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "caf=C3=A9\r\n"
	    "--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n"
	    "--b\r\nContent-Transfer-Encoding: base64\r\n\r\nQU@JD\r\n"
	    "--b--\r\n";
	struct imap_section	 s;
	struct mime_tree	*t;
	struct buf		 out;
	const char		*why;
	int			 nul;

	(void)state;
	assert_non_null(t = mime_parse(msg, sizeof(msg) - 1));
	buf_init(&out, 1024);
	assert_int_equal(imap_section_parse("1", 1, IMAP_SECTION_BINARY, &s,
	    &why), 0);
	assert_int_equal(imap_section_binary(t, &s, &out, &nul), 1);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.data, "A\0B", 3);
	assert_true(nul);
	buf_reset(&out);
	assert_int_equal(imap_section_parse("2", 1, IMAP_SECTION_BINARY, &s,
	    &why), 0);
	assert_int_equal(imap_section_binary(t, &s, &out, &nul), 1);
	assert_string_equal(out.data, "caf\xc3\xa9");
	assert_false(nul);
	buf_reset(&out);
	/* Unknown encoding, and base64 that is not: NO [UNKNOWN-CTE]. */
	assert_int_equal(imap_section_parse("3", 1, IMAP_SECTION_BINARY, &s,
	    &why), 0);
	assert_int_equal(imap_section_binary(t, &s, &out, &nul),
	    IMAP_BINARY_UNKNOWN_CTE);
	assert_int_equal(imap_section_parse("4", 1, IMAP_SECTION_BINARY, &s,
	    &why), 0);
	assert_int_equal(imap_section_binary(t, &s, &out, &nul),
	    IMAP_BINARY_UNKNOWN_CTE);
	assert_int_equal(out.len, 0);
	assert_int_equal(imap_section_parse("5", 1, IMAP_SECTION_BINARY, &s,
	    &why), 0);
	assert_int_equal(imap_section_binary(t, &s, &out, &nul), 0);
	/* BINARY[]: the whole message, as it is. */
	assert_int_equal(imap_section_parse("", 0, IMAP_SECTION_BINARY, &s,
	    &why), 0);
	assert_int_equal(imap_section_binary(t, &s, &out, &nul), 1);
	assert_int_equal(out.len, sizeof(msg) - 1);
	buf_free(&out);
	mime_free(t);
}

static void
test_deep_part_numbers(void **state)
{
	struct imap_section		 s;
	struct imap_section_result	 res;
	struct mime_tree		*t;
	struct buf			 m, sec;
	const char			*why;
	int				 i;

	(void)state;
	/* 50 messages, each inside the one before: 1.1.1...1 is the body. */
	buf_init(&m, 1 << 20);
	buf_init(&sec, 1 << 20);
	for (i = 0; i < 50; i++)
		assert_int_equal(buf_append_str(&m,
		    "Content-Type: message/rfc822\r\n\r\n"), 0);
	assert_int_equal(buf_append_str(&m, "Subject: x\r\n\r\nbody"), 0);
	assert_non_null(t = mime_parse(m.data, m.len));
	for (i = 0; i <= 50; i++)
		assert_int_equal(buf_append_str(&sec, i ? ".1" : "1"), 0);
	assert_int_equal(imap_section_parse(sec.data, sec.len, 0, &s, &why), 0);
	assert_int_equal(imap_section_find(t, &s, &res), 1);
	assert_int_equal(res.size, 4);
	imap_section_result_free(&res);
	mime_free(t);
	buf_free(&m);
	buf_free(&sec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_nothing_there),
		cmocka_unit_test(test_single_part_messages),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_bad_sections),
		cmocka_unit_test(test_top_without_tree),
		cmocka_unit_test(test_binary),
		cmocka_unit_test(test_deep_part_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
