/*
 * Unit tests for lib/header_scan: fields, folding, CRLF and LF endings,
 * the end of the header section, lines that are not fields, NUL bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "header_scan.h"

#define S(lit)	(lit), (sizeof(lit) - 1)

static void
test_simple_fields(void **state)
{
	static const char	 msg[] =
	    "From: a@example.org\nTo:  b@example.org \nSubject:hi\n\nbody\n";
	struct header_scan	 hs;
	struct header_field	 f;
	char			 v[64];

	(void)state;
	header_scan_init(&hs, S(msg));
	assert_int_equal(header_scan_next(&hs, &f), 1);
	assert_true(header_name_is(&f, "from"));
	assert_int_equal(header_value_unfold(&f, v, sizeof(v)), 13);
	assert_string_equal(v, "a@example.org");
	assert_int_equal(header_scan_next(&hs, &f), 1);
	assert_true(header_name_is(&f, "TO"));
	assert_false(header_name_is(&f, "T"));
	assert_false(header_name_is(&f, "Tox"));
	assert_int_equal(header_value_unfold(&f, v, sizeof(v)), 13);
	assert_string_equal(v, "b@example.org");
	assert_int_equal(header_scan_next(&hs, &f), 1);
	assert_true(header_name_is(&f, "Subject"));
	assert_int_equal(header_value_unfold(&f, v, sizeof(v)), 2);
	assert_string_equal(v, "hi");
	assert_int_equal(header_scan_next(&hs, &f), 0);
	assert_int_equal(header_scan_next(&hs, &f), 0);
	assert_true(hs.ended);
}

static void
test_folded_lf(void **state)
{
	static const char	 msg[] =
	    "Delivered-To:\n\tuser@example.org\nX-Long: one\n two\n  three\n\n";
	struct header_scan	 hs;
	struct header_field	 f;
	char			 v[64];

	(void)state;
	header_scan_init(&hs, S(msg));
	assert_int_equal(header_scan_next(&hs, &f), 1);
	assert_true(header_value_equal(&f, "USER@example.org"));
	assert_int_equal(header_scan_next(&hs, &f), 1);
	assert_true(header_name_is(&f, "x-long"));
	assert_int_equal(header_value_unfold(&f, v, sizeof(v)), 14);
	assert_string_equal(v, "one two  three");
	assert_int_equal(header_scan_next(&hs, &f), 0);
}

static void
test_folded_crlf(void **state)
{
	static const char	 msg[] =
	    "X-A: one\r\n two\r\nDelivered-To: \r\n u@h \r\n\r\nbody\r\n";
	struct header_scan	 hs;
	struct header_field	 f;
	char			 v[64];

	(void)state;
	header_scan_init(&hs, S(msg));
	assert_int_equal(header_scan_next(&hs, &f), 1);
	assert_int_equal(header_value_unfold(&f, v, sizeof(v)), 7);
	assert_string_equal(v, "one two");
	assert_int_equal(header_scan_next(&hs, &f), 1);
	assert_true(header_value_equal(&f, "u@h"));
	assert_false(header_value_equal(&f, "u@"));
	assert_false(header_value_equal(&f, "u@hh"));
	assert_int_equal(header_scan_next(&hs, &f), 0);
	assert_int_equal(header_count_value(S(msg), "delivered-to", "U@H"), 1);
}

static void
test_body_not_header(void **state)
{
	static const char	lf[] =
	    "From: a\n\nDelivered-To: u@h\n";
	static const char	crlf[] =
	    "From: a\r\n\r\nDelivered-To: u@h\r\n";
	static const char	first[] =
	    "\nDelivered-To: u@h\n";

	(void)state;
	assert_int_equal(header_count_value(S(lf), "Delivered-To", "u@h"), 0);
	assert_int_equal(header_count_value(S(crlf), "Delivered-To", "u@h"), 0);
	assert_int_equal(header_count_value(S(first), "Delivered-To", "u@h"), 0);
}

static void
test_no_blank_line(void **state)
{
	static const char	msg[] = "From: a\nDelivered-To: u@h";
	size_t			body = 99;

	(void)state;
	assert_int_equal(header_count_value(S(msg), "Delivered-To", "u@h"), 1);
	assert_int_equal(header_section_end(S(msg), &body), 0);
	assert_int_equal(body, 99);
	assert_int_equal(header_count_value("", 0, "Delivered-To", "u@h"), 0);
}

static void
test_section_end(void **state)
{
	size_t	body;

	(void)state;
	assert_int_equal(header_section_end(S("A: b\n\nx"), &body), 1);
	assert_int_equal(body, 6);
	assert_int_equal(header_section_end(S("A: b\r\n\r\nx"), &body), 1);
	assert_int_equal(body, 8);
	assert_int_equal(header_section_end(S("\r\nx"), &body), 1);
	assert_int_equal(body, 2);
	assert_int_equal(header_section_end(S("A: b\n"), &body), 0);
	assert_int_equal(header_section_end(S("A: b\n\r"), &body), 0);
	assert_int_equal(header_section_end(S("A: b\n \nB: c\n"), &body), 0);
	assert_int_equal(header_section_end("", 0, &body), 0);
}

static void
test_not_fields(void **state)
{
	static const char	msg[] =
	    " orphan: continuation\n"
	    "From someone Mon Jan 1\n"
	    ": no name\n"
	    "Na me: space in name\n"
	    "Subject : obsolete blank before colon\n"
	    "Delivered-To: u@h\n\n";
	struct header_scan	hs;
	struct header_field	f;

	(void)state;
	header_scan_init(&hs, S(msg));
	assert_int_equal(header_scan_next(&hs, &f), 1);
	assert_true(header_name_is(&f, "subject"));
	assert_int_equal(header_scan_next(&hs, &f), 1);
	assert_true(header_name_is(&f, "delivered-to"));
	assert_int_equal(header_scan_next(&hs, &f), 0);
}

static void
test_nul_bytes(void **state)
{
	static const char	msg[] =
	    "X-Bin: a\0b\nDelivered-To: u@h\0\nDelivered-To: u@h\n\n";
	struct header_scan	hs;
	struct header_field	f;
	char			v[16];

	(void)state;
	header_scan_init(&hs, S(msg));
	assert_int_equal(header_scan_next(&hs, &f), 1);
	assert_int_equal(f.valuelen, 4);
	assert_int_equal(header_value_unfold(&f, v, sizeof(v)), 3);
	assert_memory_equal(v, "a\0b", 4);
	/* "u@h\0" is not "u@h"; the field after it is still found. */
	assert_int_equal(header_count_value(S(msg), "Delivered-To", "u@h"), 1);
}

static void
test_unfold_limits(void **state)
{
	static const char	msg[] = "A: 12345\n\n";
	struct header_scan	hs;
	struct header_field	f;
	char			v[8];

	(void)state;
	header_scan_init(&hs, S(msg));
	assert_int_equal(header_scan_next(&hs, &f), 1);
	assert_int_equal(header_value_unfold(&f, v, 5), -1);
	assert_string_equal(v, "");
	assert_int_equal(header_value_unfold(&f, v, 6), 5);
	assert_int_equal(header_value_unfold(&f, v, 0), -1);
}

static void
test_empty_value(void **state)
{
	static const char	msg[] = "Delivered-To:\nDelivered-To:   \n\n";

	(void)state;
	assert_int_equal(header_count_value(S(msg), "Delivered-To", ""), 2);
	assert_int_equal(header_count_value(S(msg), "Delivered-To", "u"), 0);
}

static void
test_bare_cr(void **state)
{
	/* A CR not followed by LF is content, not a line ending. */
	static const char	msg[] = "Delivered-To: u@h\rX: y\n\n";

	(void)state;
	assert_int_equal(header_count_value(S(msg), "Delivered-To", "u@h"), 0);
	assert_int_equal(header_count_value(S(msg), "Delivered-To",
	    "u@h\rX: y"), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_fields),
		cmocka_unit_test(test_folded_lf),
		cmocka_unit_test(test_folded_crlf),
		cmocka_unit_test(test_body_not_header),
		cmocka_unit_test(test_no_blank_line),
		cmocka_unit_test(test_section_end),
		cmocka_unit_test(test_not_fields),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_unfold_limits),
		cmocka_unit_test(test_empty_value),
		cmocka_unit_test(test_bare_cr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
