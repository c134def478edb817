/*
 * Unit tests for lib/mail/addr_list.c and its tokenizer lib/mail/addr_token.c: RFC
 * 5322 address lists as found in To, Cc and Bcc.  Each case lists the
 * addresses the parser must hand over, joined by '|', or the reason it
 * must refuse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

struct collect {
	char	out[8192];
	size_t	count;
	size_t	stop_at;	/* cb returns 7 at this address (1-based) */
	int	utf8;
};

static int
collect_cb(void *arg, const struct mailpath *mp)
{
	struct collect *c = arg;

	c->count++;
	c->utf8 |= mp->utf8;
	if (c->out[0] != '\0')
		(void)strlcat(c->out, "|", sizeof(c->out));
	(void)strlcat(c->out, mp->text, sizeof(c->out));
	if (c->stop_at != 0 && c->count == c->stop_at)
		return 7;
	return 0;
}

static struct collect col;

static void
ok_flags(const char *s, int flags, const char *want)
{
	const char *why = "unset";

	memset(&col, 0, sizeof(col));
	if (addrlist_parse(s, strlen(s), flags, collect_cb, &col, &why) != 0)
		fail_msg("addrlist_parse(%s) failed: %s", s, why);
	assert_string_equal(col.out, want);
}

static void
ok(const char *s, const char *want)
{
	ok_flags(s, 0, want);
}

static const char *
bad_n(const char *s, size_t n, int flags)
{
	const char *why = NULL;

	memset(&col, 0, sizeof(col));
	if (addrlist_parse(s, n, flags, collect_cb, &col, &why) != -1)
		fail_msg("addrlist_parse(%s) accepted: %s", s, col.out);
	assert_non_null(why);
	return why;
}

static const char *
bad(const char *s)
{
	return bad_n(s, strlen(s), 0);
}

static void
test_plain(void **state)
{
	(void)state;
	ok("a@b.example", "a@b.example");
	ok("a@b, c@d", "a@b|c@d");
	ok(" a@b ,c@d ,  e@f  ", "a@b|c@d|e@f");
	ok("", "");
	ok("   ", "");
	ok("John.Doe@Example.COM", "John.Doe@Example.COM");
	ok("a@[192.0.2.1]", "a@[192.0.2.1]");
	ok("a@[IPv6:2001:db8::1]", "a@[IPv6:2001:db8::1]");
	ok("a@b.example.", "a@b.example");
	ok("user%remote@local", "user%remote@local");
}

static void
test_display_names(void **state)
{
	(void)state;
	ok("John Doe <jdoe@example.com>", "jdoe@example.com");
	ok("\"Doe, John\" <jdoe@example.com>, x@y", "jdoe@example.com|x@y");
	ok("<jdoe@example.com>", "jdoe@example.com");
	ok("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	    "mary@x.test|jdoe@example.org|one@y.test");
	ok("\"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
	    "sysservices@example.net");
	/* obs-phrase: dots in display names */
	ok("John Q. Public <JQP@example.com>", "JQP@example.com");
	/* tolerated: an unquoted address as display name */
	ok("jdoe@example.com <jdoe@example.com>", "jdoe@example.com");
	/* raw 8-bit in a display name is thrown away with it */
	ok("J\xc3\xb6rg <j@x>", "j@x");
	ok("=?utf-8?q?J=C3=B6rg?= <j@x>", "j@x");
	assert_string_equal(bad("John <a@b"), "unbalanced angle bracket");
	assert_string_equal(bad("John a@b>"), "unbalanced angle bracket");
	assert_string_equal(bad("John <a@b> <c@d>"),
	    "expected ',' between addresses");
	assert_string_equal(bad("John <>"), "empty angle address");
	assert_string_equal(bad("John <<a@b>>"), "expected an address");
	assert_string_equal(bad("John Doe"), "address has no domain");
	assert_string_equal(bad("John Doe, a@b"), "address has no domain");
	assert_string_equal(bad("a@b c@d"), "expected ',' between addresses");
}

static void
test_quoted_local(void **state)
{
	(void)state;
	ok("\"john doe\"@x", "\"john doe\"@x");
	ok("\"a\\\"b\"@x", "\"a\\\"b\"@x");
	ok("\"john\"@x", "john@x");
	ok("Name <\"user@remote\"@local>", "\"user@remote\"@local");
	/* obs-local-part: quoted and atom words joined by dots */
	ok("\"a b\".c@x", "\"a b.c\"@x");
	ok("a . b @ c . d", "a.b@c.d");
	assert_string_equal(bad("a..b@x"), "bad local part");
	assert_string_equal(bad("\"a..b@x"), "unbalanced quote");
	assert_string_equal(bad("a.@x"), "bad local part");
	assert_string_equal(bad("a@b@c"), "expected ',' between addresses");
	assert_string_equal(bad("a@"), "bad domain");
	assert_string_equal(bad("a@b..c"), "empty domain label");
	assert_string_equal(bad("@b"), "expected an address");
}

static void
test_groups(void **state)
{
	(void)state;
	ok("undisclosed-recipients:;", "");
	ok("undisclosed-recipients: ;", "");
	ok("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
	    "c@a.test|joe@where.test|jdoe@one.test");
	ok("friends: a@b, c@d;, e@f", "a@b|c@d|e@f");
	ok("g: a@b;, h: c@d;", "a@b|c@d");
	ok("g:,a@b,,;", "a@b");
	/* tolerated: the input ends before the ';' */
	ok("undisclosed-recipients:", "");
	ok("g: a@b, c@d", "a@b|c@d");
	assert_string_equal(bad(": a@b;"), "group without a name");
	assert_string_equal(bad("g: h: a@b;;"), "group inside a group");
	assert_string_equal(bad("g: a@b; c@d"),
	    "expected ',' between addresses");
	assert_string_equal(bad("g: a@b c@d;"),
	    "expected ',' or ';' after address");
	assert_string_equal(bad("g: <a@b;"), "bad character after address");
	assert_string_equal(bad("g: a@b>;"), "unbalanced angle bracket");
}

static void
test_comments(void **state)
{
	(void)state;
	ok("(comment) a@b (another)", "a@b");
	ok("a(c)@(d)b", "a@b");
	ok("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	    "pete@silly.test");
	ok("a@b (nested (comments (deep)) here)", "a@b");
	ok("a@b (\\(unbalanced in a quoted-pair)", "a@b");
	ok("a@b (\xc3\xa9t\xc3\xa9)", "a@b");
	ok("\"(not a comment)\"@x", "\"(not a comment)\"@x");
	assert_string_equal(bad("a@b (open"), "unbalanced parenthesis");
	assert_string_equal(bad("a@b (open (nested)"), "unbalanced parenthesis");
	assert_string_equal(bad("a@b )"), "unbalanced parenthesis");
	assert_string_equal(bad("a@b (x\\"), "unbalanced parenthesis");
	assert_string_equal(bad_n("a@b (x\0)", 8, 0),
	    "control character in address list");
}

static void
test_folding(void **state)
{
	(void)state;
	ok("a@b,\r\n c@d", "a@b|c@d");
	ok("a@b,\n\tc@d", "a@b|c@d");
	ok("John\r\n Doe <a@b>", "a@b");
	ok("\"john\r\n doe\"@x", "\"john doe\"@x");
	ok("a@b (comment\r\n folded)", "a@b");
	ok("a@b\r\n", "a@b");
	ok("a@b\n", "a@b");
	assert_string_equal(bad("a@b,\r\nc@d"),
	    "line break without folding white space");
	assert_string_equal(bad("a@b,\nc@d"),
	    "line break without folding white space");
	assert_string_equal(bad("a@b\r c@d"),
	    "line break without folding white space");
	assert_string_equal(bad("a@b\r\n\r\n"),
	    "line break without folding white space");
	assert_string_equal(bad("\"a\rb\"@x"),
	    "line break without folding white space");
	assert_string_equal(bad("\"a\\\r\n b\"@x"),
	    "control character in address list");
	assert_string_equal(bad("(a\nb) x@y"),
	    "line break without folding white space");
	/* header injection attempts */
	assert_string_equal(bad("a@b\r\nBcc: evil@x"),
	    "line break without folding white space");
	assert_string_equal(bad("a@b\nSubject: x"),
	    "line break without folding white space");
}

static void
test_obsolete(void **state)
{
	(void)state;
	/* trailing and duplicate commas (obs-addr-list) */
	ok(",a@b,,c@d,", "a@b|c@d");
	ok(",,,", "");
	ok(" , (c) , ", "");
	/* obs-route */
	ok("<@a.example,@b.example:user@c.example>", "user@c.example");
	ok("Joe <@local:user@remote>", "user@remote");
	ok("<,@a,,@b:u@c>", "u@c");
	ok("<@[192.0.2.1]:u@c>", "u@c");
	assert_string_equal(bad("<@a u@c>"), "bad route");
	assert_string_equal(bad("<@a,b:u@c>"), "bad route");
	assert_string_equal(bad("<@:u@c>"), "bad route");
}

static void
test_bcc(void **state)
{
	(void)state;
	/* Bcc is often empty or a single bare address */
	ok("", "");
	ok("hidden@example.com", "hidden@example.com");
	ok("hidden@example.com, \"Other\" <o@example.com>",
	    "hidden@example.com|o@example.com");
}

static void
test_no_domain(void **state)
{
	(void)state;
	ok_flags("root", PATH_ALLOW_NO_DOMAIN, "root");
	ok_flags("root, Admin <admin>, a@b", PATH_ALLOW_NO_DOMAIN,
	    "root|admin|a@b");
	ok_flags("\"x y\"", PATH_ALLOW_NO_DOMAIN, "\"x y\"");
	assert_string_equal(bad("root"), "address has no domain");
	assert_string_equal(bad("Admin <admin>"), "address has no domain");
}

static void
test_utf8(void **state)
{
	(void)state;
	ok_flags("J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.example>",
	    PATH_ALLOW_UTF8, "j\xc3\xb6rg@b\xc3\xbc" "cher.example");
	assert_int_equal(col.utf8, 1);
	ok_flags("\"\xc3\xa9 t\xc3\xa9\"@x", PATH_ALLOW_UTF8,
	    "\"\xc3\xa9 t\xc3\xa9\"@x");
	assert_string_equal(bad("j\xc3\xb6rg@x"),
	    "8-bit character without SMTPUTF8");
	assert_string_equal(bad_n("\xc0\x80@x", 4, PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");
	assert_string_equal(bad_n("a@\xed\xa0\x80", 5, PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");
	assert_string_equal(bad_n("a@b\xe2\x82", 5, PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");
}

static void
test_garbage(void **state)
{
	(void)state;
	assert_string_equal(bad("<"), "expected an address");
	assert_string_equal(bad(">"), "unbalanced angle bracket");
	assert_string_equal(bad("a@b>"), "unbalanced angle bracket");
	assert_string_equal(bad(";"), "expected an address");
	assert_string_equal(bad("\"unterminated"), "unbalanced quote");
	assert_string_equal(bad("a@[1.2.3.4"), "unbalanced bracket");
	assert_string_equal(bad("a@1.2.3.4]"), "unbalanced bracket");
	assert_string_equal(bad("a@[1.2 .3.4]"), "bad domain literal");
	assert_string_equal(bad("a@[1.2.3.4.5]"), "bad IPv4 address literal");
	assert_string_equal(bad("a\\b@c"), "bad character in address list");
	assert_string_equal(bad("a@b\x01"), "control character in address list");
	assert_string_equal(bad_n("a@b\0", 4, 0),
	    "control character in address list");
	assert_string_equal(bad("a@b\x7f"), "control character in address list");
	assert_string_equal(bad("a@-b"), "domain label starts or ends with a hyphen");
	assert_string_equal(bad("a@b_c"), "bad character in address");
	assert_string_equal(bad("a!@b!"), "bad character in address");
}

static void
test_limits(void **state)
{
	char	*big;
	size_t	 i, k;

	(void)state;
	/* local part: 64 fine, 65 refused */
	{
		char	in[200];

		memset(in, 'a', 64);
		memcpy(in + 64, "@x", 3);
		ok(in, in);
		memset(in, 'a', 65);
		memcpy(in + 65, "@x", 3);
		assert_string_equal(bad(in), "local part too long");
		in[0] = '"';
		memset(in + 1, 'a', 65);
		memcpy(in + 66, "\"@x", 4);
		assert_string_equal(bad(in), "local part too long");
	}
	/* 10,000 addresses are fine, 10,001 are not; 64 KB is the most */
	big = malloc(70000);
	assert_non_null(big);
	for (i = 0, k = 0; i < 10000; i++) {
		memcpy(big + k, "a@b,", 4);
		k += 4;
	}
	memset(&col, 0, sizeof(col));
	{
		const char *why = NULL;

		assert_int_equal(addrlist_parse(big, k, 0, collect_cb, &col,
		    &why), 0);
		assert_int_equal(col.count, 10000);
		memcpy(big + k, "a@b", 3);
		assert_string_equal(bad_n(big, k + 3, 0),
		    "too many addresses");
		memset(big, ' ', 65537);
		assert_string_equal(bad_n(big, 65537, 0),
		    "address list too long");
		assert_int_equal(addrlist_parse(big, 65536, 0, collect_cb,
		    &col, &why), 0);
	}
	/* deep comment nesting is a counter, not recursion */
	memset(big, '(', 30000);
	memset(big + 30000, ')', 30000);
	memcpy(big + 60000, "a@b", 3);
	ok_flags("", 0, "");
	{
		const char *why = NULL;

		memset(&col, 0, sizeof(col));
		assert_int_equal(addrlist_parse(big, 60003, 0, collect_cb,
		    &col, &why), 0);
		assert_string_equal(col.out, "a@b");
	}
	free(big);
}

static void
test_callback_stop(void **state)
{
	const char *why = NULL;

	(void)state;
	memset(&col, 0, sizeof(col));
	col.stop_at = 2;
	assert_int_equal(addrlist_parse("a@b, c@d, e@f", 13, 0, collect_cb,
	    &col, &why), 7);
	assert_string_equal(col.out, "a@b|c@d");
	memset(&col, 0, sizeof(col));
	col.stop_at = 1;
	assert_int_equal(addrlist_parse("g: a@b, c@d;", 12, 0, collect_cb,
	    &col, &why), 7);
	assert_string_equal(col.out, "a@b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_display_names),
		cmocka_unit_test(test_quoted_local),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_obsolete),
		cmocka_unit_test(test_bcc),
		cmocka_unit_test(test_no_domain),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_callback_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
