/*
 * Unit tests for imapd/imap_envelope.c, imap_address.c and
 * imap_quote.c: NIL against "", Sender and Reply-To defaults, address
 * lists (groups, routes, comments, missing parts, broken lists), and
 * string quoting: escapes, literals for CR/LF and 8-bit, UTF-8 only with
 * UTF8=ACCEPT, NUL as U+FFFD.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "imap_address.h"
#include "imap_envelope.h"
#include "imap_quote.h"

static char *
envelope(const char *hdr, size_t len, unsigned flags)
{
	struct buf	 out;
	char		*s;

	buf_init(&out, 1 << 20);
	assert_int_equal(imap_envelope_write(&out, hdr, len, flags), 0);
	assert_non_null(s = buf_strdup(&out));
	buf_free(&out);
	return s;
}

static void
check_env(const char *hdr, const char *want)
{
	char	*s = envelope(hdr, strlen(hdr), 0);

	assert_string_equal(s, want);
	free(s);
}

static void
check_addr(const char *value, const char *want)
{
	struct imap_address_list	 al;
	struct buf			 out;

	buf_init(&out, 1 << 20);
	imap_address_begin(&al, &out, 0);
	assert_int_equal(imap_address_add(&al, value, strlen(value)), 0);
	assert_int_equal(imap_address_end(&al), 0);
	assert_string_equal(out.data, want);
	buf_free(&out);
}

static void
check_quote(const char *s, size_t n, unsigned flags, const char *want,
    size_t wantlen)
{
	struct buf	out;

	buf_init(&out, 1024);
	assert_int_equal(imap_quote_string(&out, s, n, flags), 0);
	assert_int_equal(out.len, wantlen);
	assert_memory_equal(out.data, want, wantlen);
	buf_free(&out);
}

#define QUOTE(lit, flags, want) \
	check_quote(lit, sizeof(lit) - 1, flags, want, sizeof(want) - 1)

static void
test_rfc3501_example(void **state)
{
	(void)state;
	check_env("Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
	    "From: Terry Gray <gray@cac.washington.edu>\r\n"
	    "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
	    "To: imap@cac.washington.edu\r\n"
	    "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
	    "Message-Id: <B27397-0100000@cac.washington.edu>\r\n\r\n",
	    "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
	    "\"IMAP4rev1 WG mtg summary and minutes\" "
	    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
	    "((NIL NIL \"imap\" \"cac.washington.edu\")) "
	    "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
	    "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
	    "\"<B27397-0100000@cac.washington.edu>\")");
}

static void
test_nil_and_empty(void **state)
{
	(void)state;
	check_env("", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	check_env("Subject:\nDate: \nFrom:\nTo: \nMessage-ID:\n",
	    "(\"\" \"\" NIL NIL NIL NIL NIL NIL NIL \"\")");
	/* Sender and Reply-To naming nobody: From. */
	check_env("From: a@b\nSender:\nReply-To: (nobody)\n\n",
	    "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) "
	    "((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL)");
	check_env("From: a@b\nSender: s@b\nReply-To: r@b\n",
	    "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"s\" \"b\")) "
	    "((NIL NIL \"r\" \"b\")) NIL NIL NIL NIL NIL)");
}

static void
test_fields_first_and_folded(void **state)
{
	(void)state;
	check_env("Subject: one\r\n two\r\nsubject: second\r\n"
	    "In-Reply-To:  <a@b>\r\n\t<c@d>  \r\nX-Body: no\r\n\r\n"
	    "Subject: in the body\r\n",
	    "(NIL \"one two\" NIL NIL NIL NIL NIL NIL \"<a@b>\t<c@d>\" NIL)");
	/* Repeated address fields make one list. */
	check_env("To: a@b\nCc: c@d\nTO: e@f\n",
	    "(NIL NIL NIL NIL NIL ((NIL NIL \"a\" \"b\")(NIL NIL \"e\" \"f\")) "
	    "((NIL NIL \"c\" \"d\")) NIL NIL NIL)");
}

static void
test_addresses(void **state)
{
	(void)state;
	check_addr("\"Joe Q. Public\" <john.q.public@example.com>",
	    "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\"))");
	check_addr("Joe Q. Public <j@x>",
	    "((\"Joe Q. Public\" NIL \"j\" \"x\"))");
	check_addr("Pete(A nice \\) chap) <pete(his account)@silly.test(his "
	    "host)>", "((\"Pete\" NIL \"pete\" \"silly.test\"))");
	check_addr("jdoe@one.test (John Doe)",
	    "((\"John Doe\" NIL \"jdoe\" \"one.test\"))");
	check_addr("<@a.test,@b.test:m@c.test>",
	    "((NIL \"@a.test,@b.test\" \"m\" \"c.test\"))");
	check_addr("A Group:Ed Jones <c@a.test>,joe@where.test;, x@y",
	    "((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")"
	    "(NIL NIL \"joe\" \"where.test\")(NIL NIL NIL NIL)"
	    "(NIL NIL \"x\" \"y\"))");
	check_addr("undisclosed-recipients:;",
	    "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))");
	check_addr(":;", "((NIL NIL \"\" NIL)(NIL NIL NIL NIL))");
	check_addr("\"john doe\"@x.y", "((NIL NIL \"john doe\" \"x.y\"))");
	check_addr("a . b @ c . d", "((NIL NIL \"a.b\" \"c.d\"))");
	check_addr("bob@[192.0.2.1]", "((NIL NIL \"bob\" \"[192.0.2.1]\"))");
	check_addr("=?utf-8?q?J=C3=B6rg?= <j@x.de>",
	    "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x.de\"))");
}

static void
test_broken_addresses(void **state)
{
	(void)state;
	check_addr("", "NIL");
	check_addr(" , ,, ", "NIL");
	check_addr("nodomain", "((NIL NIL \"nodomain\" \"MISSING_DOMAIN\"))");
	check_addr("<>", "((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))");
	check_addr("@b", "((NIL NIL \"MISSING_MAILBOX\" \"b\"))");
	check_addr("a@", "((NIL NIL \"a\" \"MISSING_DOMAIN\"))");
	check_addr("\"Just a name\"",
	    "((\"Just a name\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))");
	check_addr("a@b c@d, e@f",
	    "((NIL NIL \"a\" \"b\")(NIL NIL \"e\" \"f\"))");
	check_addr("a@b@c", "((NIL NIL \"a\" \"b\"))");
	check_addr("\"unterminated <x@y>",
	    "((\"unterminated <x@y>\" NIL \"MISSING_MAILBOX\" "
	    "\"MISSING_DOMAIN\"))");
	check_addr("(unterminated comment a@b", "NIL");
	check_addr("<a@b", "((NIL NIL \"a\" \"b\"))");
	check_addr(">>;;)) a@b", "((NIL NIL \"a\" \"b\"))");
	check_addr("g: a@b", "((NIL NIL \"g\" NIL)(NIL NIL \"a\" \"b\")"
	    "(NIL NIL NIL NIL))");
	check_addr("g1: g2: a@b;;", "((NIL NIL \"g1\" NIL)"
	    "(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))");
}

static void
test_quote(void **state)
{
	(void)state;
	QUOTE("plain", 0, "\"plain\"");
	QUOTE("", 0, "\"\"");
	QUOTE("a\"b\\c", 0, "\"a\\\"b\\\\c\"");
	QUOTE("tab\there", 0, "\"tab\there\"");
	QUOTE("two\r\nlines", 0, "{10}\r\ntwo\r\nlines");
	QUOTE("caf\xc3\xa9", 0, "{5}\r\ncaf\xc3\xa9");
	QUOTE("caf\xc3\xa9", IMAP_FMT_UTF8, "\"caf\xc3\xa9\"");
	/* Not UTF-8: a literal even after UTF8=ACCEPT. */
	QUOTE("caf\xe9", IMAP_FMT_UTF8, "{4}\r\ncaf\xe9");
	/* NUL is sent as U+FFFD. */
	QUOTE("a\0b", 0, "{5}\r\na\xef\xbf\xbd" "b");
	QUOTE("a\0\"", IMAP_FMT_UTF8, "\"a\xef\xbf\xbd\\\"\"");
}

static void
test_envelope_utf8(void **state)
{
	static const char	 hdr[] =
	    "Subject: caf\xc3\xa9\nFrom: J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc.de>\n"
	    "Message-ID: <a\0b>\n";
	char			*s;

	(void)state;
	s = envelope(hdr, sizeof(hdr) - 1, 0);
	assert_non_null(strstr(s, "{5}\r\ncaf\xc3\xa9"));
	assert_non_null(strstr(s, "(({5}\r\nJ\xc3\xb6rg NIL {5}\r\nj\xc3\xb6rg "
	    "{6}\r\nb\xc3\xbc.de))"));
	assert_non_null(strstr(s, "{7}\r\n<a\xef\xbf\xbd" "b>"));
	free(s);
	s = envelope(hdr, sizeof(hdr) - 1, IMAP_FMT_UTF8);
	assert_non_null(strstr(s, "\"caf\xc3\xa9\""));
	assert_non_null(strstr(s, "((\"J\xc3\xb6rg\" NIL \"j\xc3\xb6rg\" "
	    "\"b\xc3\xbc.de\"))"));
	free(s);
}

static void
test_output_full(void **state)
{
	struct buf	out;

	(void)state;
	buf_init(&out, 40);
	assert_int_equal(imap_envelope_write(&out, "Subject: a long subject "
	    "that will not fit\nFrom: a@b\n", 50, 0), -1);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3501_example),
		cmocka_unit_test(test_nil_and_empty),
		cmocka_unit_test(test_fields_first_and_folded),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_broken_addresses),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_envelope_utf8),
		cmocka_unit_test(test_output_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
