/*
 * Unit tests for lib/mail/addr_path.c: RFC 5321 paths, good forms beside the
 * malformed ones, the limits at and one past the edge, UTF-8 validation,
 * and the relay tricks parsed as exactly what they are.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"

static struct mailpath mp;

/* Parses s (all of it must be used unless want_used says otherwise). */
static void
ok_n(const char *s, size_t n, int flags, size_t want_used)
{
	const char	*why = "unset";
	size_t		 used = 12345;
	int		 r;

	r = path_parse(s, n, flags, &mp, &used, &why);
	if (r != 0)
		fail_msg("path_parse(%s) failed: %s", s, why);
	assert_int_equal(used, want_used);
}

static void
ok(const char *s, int flags)
{
	ok_n(s, strlen(s), flags, strlen(s));
}

static const char *
bad_n(const char *s, size_t n, int flags)
{
	const char	*why = NULL;
	size_t		 used = 12345;

	if (path_parse(s, n, flags, &mp, &used, &why) != -1)
		fail_msg("path_parse(%s) accepted: %s", s, mp.text);
	assert_non_null(why);
	assert_int_equal(used, 0);
	assert_string_equal(mp.text, "");
	return why;
}

static const char *
bad(const char *s, int flags)
{
	return bad_n(s, strlen(s), flags);
}

static char *
repeat(char *dst, int ch, size_t n)
{
	memset(dst, ch, n);
	dst[n] = '\0';
	return dst;
}

static void
test_simple(void **state)
{
	(void)state;
	ok("<user@example.com>", 0);
	assert_string_equal(mp.local, "user");
	assert_string_equal(mp.domain, "example.com");
	assert_string_equal(mp.text, "user@example.com");
	assert_int_equal(mp.null, 0);
	assert_int_equal(mp.utf8, 0);

	/* case is kept, in local part and domain */
	ok("<John.Doe@Example.COM>", 0);
	assert_string_equal(mp.text, "John.Doe@Example.COM");

	/* every atext character */
	ok("<!#$%&'*+-/=?^_`{|}~.a1@x-1.y2>", 0);
	assert_string_equal(mp.local, "!#$%&'*+-/=?^_`{|}~.a1");
	assert_string_equal(mp.domain, "x-1.y2");

	/* single-label domain and numeric labels are syntax-valid */
	ok("<a@localhost>", 0);
	assert_string_equal(mp.domain, "localhost");
	ok("<a@192.0.2.1>", 0);
	assert_string_equal(mp.domain, "192.0.2.1");
}

static void
test_dots(void **state)
{
	(void)state;
	ok("<a.b.c@x>", 0);
	assert_string_equal(mp.local, "a.b.c");
	assert_string_equal(bad("<a..b@x>", 0), "empty atom in local part");
	assert_string_equal(bad("<.a@x>", 0), "empty atom in local part");
	assert_string_equal(bad("<a.@x>", 0), "local part ends with a dot");
	/* quoted, the same values are fine and stay quoted */
	ok("<\"a..b\"@x>", 0);
	assert_string_equal(mp.local, "a..b");
	assert_string_equal(mp.text, "\"a..b\"@x");
	ok("<\".a\"@x>", 0);
	assert_string_equal(mp.text, "\".a\"@x");
}

static void
test_quoted(void **state)
{
	(void)state;
	ok("<\"john doe\"@x>", 0);
	assert_string_equal(mp.local, "john doe");
	assert_string_equal(mp.text, "\"john doe\"@x");

	ok("<\"a\\\"b\"@x>", 0);
	assert_string_equal(mp.local, "a\"b");
	assert_string_equal(mp.text, "\"a\\\"b\"@x");

	ok("<\"a\\\\b\"@x>", 0);
	assert_string_equal(mp.local, "a\\b");
	assert_string_equal(mp.text, "\"a\\\\b\"@x");

	/* quoting that is not needed is dropped from text */
	ok("<\"john\"@x>", 0);
	assert_string_equal(mp.local, "john");
	assert_string_equal(mp.text, "john@x");
	ok("<\"j\\ohn\"@x>", 0);
	assert_string_equal(mp.local, "john");
	assert_string_equal(mp.text, "john@x");

	/* specials inside quotes */
	ok("<\"<a>,b;c:d\"@x>", 0);
	assert_string_equal(mp.local, "<a>,b;c:d");
	assert_string_equal(mp.text, "\"<a>,b;c:d\"@x");

	assert_string_equal(bad("<\"\"@x>", 0), "empty local part");
	assert_string_equal(bad("<\"abc@x>", 0), "unterminated quoted string");
	assert_string_equal(bad("<\"abc\\", 0), "unterminated quoted string");
	assert_string_equal(bad("<\"a\tb\"@x>", 0),
	    "control character in address");
	assert_string_equal(bad("<\"a\\\tb\"@x>", 0),
	    "control character in address");
	assert_string_equal(bad("<\"a\"b@x>", 0), "bad character in address");
	assert_string_equal(bad("<a\"b\"@x>", 0), "bad character in address");
	/* the longest canonical text: 64 escaped characters */
	{
		char	in[200], want[200];
		size_t	i, k = 0;

		in[k++] = '<';
		in[k++] = '"';
		for (i = 0; i < 64; i++) {
			in[k++] = '\\';
			in[k++] = '"';
		}
		memcpy(in + k, "\"@x>", 5);
		ok(in, 0);
		assert_int_equal(strlen(mp.local), 64);
		k = 0;
		want[k++] = '"';
		for (i = 0; i < 64; i++) {
			want[k++] = '\\';
			want[k++] = '"';
		}
		memcpy(want + k, "\"@x", 4);
		assert_string_equal(mp.text, want);
	}
}

static void
test_literals(void **state)
{
	(void)state;
	ok("<a@[192.0.2.1]>", 0);
	assert_string_equal(mp.domain, "[192.0.2.1]");
	assert_string_equal(mp.text, "a@[192.0.2.1]");
	ok("<a@[IPv6:2001:db8::1]>", 0);
	assert_string_equal(mp.domain, "[IPv6:2001:db8::1]");
	ok("<a@[ipv6:::ffff:192.0.2.1]>", 0);
	assert_string_equal(mp.domain, "[ipv6:::ffff:192.0.2.1]");

	assert_string_equal(bad("<a@[192.0.2.256]>", 0),
	    "bad IPv4 address literal");
	assert_string_equal(bad("<a@[192.0.2]>", 0),
	    "bad IPv4 address literal");
	assert_string_equal(bad("<a@[]>", 0), "bad IPv4 address literal");
	assert_string_equal(bad("<a@[example.com]>", 0),
	    "bad IPv4 address literal");
	assert_string_equal(bad("<a@[IPv6:2001:db8:::1]>", 0),
	    "bad IPv6 address literal");
	assert_string_equal(bad("<a@[IPv6:192.0.2.1]>", 0),
	    "bad IPv6 address literal");
	assert_string_equal(bad("<a@[IPv6:fe80::1%eth0]>", 0),
	    "bad IPv6 address literal");
	assert_string_equal(bad("<a@[2001:db8::1]>", 0),
	    "general address literals are not supported");
	assert_string_equal(bad("<a@[x-tag:foo]>", 0),
	    "general address literals are not supported");
	assert_string_equal(bad("<a@[192.0.2.1>", 0),
	    "unterminated address literal");
	assert_string_equal(bad("<a@[192.0.2.1", 0),
	    "unterminated address literal");
	assert_string_equal(bad("<a@[192.0.2.1 ]>", 0), "space in address");
	assert_string_equal(bad("<a@[192.[0.2.1]>", 0),
	    "bad character in address literal");
	assert_string_equal(bad("<a@[192.0.2.1]x>", 0),
	    "bad character in address");
	assert_string_equal(bad("<a@[192.0.2.1].com>", 0),
	    "bad character in address");
}

static void
test_domains(void **state)
{
	(void)state;
	/* one trailing dot accepted and removed */
	ok("<a@example.com.>", 0);
	assert_string_equal(mp.domain, "example.com");
	assert_string_equal(mp.text, "a@example.com");
	assert_string_equal(bad("<a@example.com..>", 0), "empty domain label");
	assert_string_equal(bad("<a@example..com>", 0), "empty domain label");
	assert_string_equal(bad("<a@.example.com>", 0), "empty domain label");
	assert_string_equal(bad("<a@>", 0), "empty domain");
	assert_string_equal(bad("<a@.>", 0), "empty domain label");
	assert_string_equal(bad("<a@-x.com>", 0),
	    "domain label starts or ends with a hyphen");
	assert_string_equal(bad("<a@x-.com>", 0),
	    "domain label starts or ends with a hyphen");
	assert_string_equal(bad("<a@x_y.com>", 0), "bad character in address");
	assert_string_equal(bad("<a@x y.com>", 0), "space in address");
	ok("<a@xn--bcher-kva.example>", 0);
	assert_string_equal(mp.domain, "xn--bcher-kva.example");
}

static void
test_label_limits(void **state)
{
	char	label[80], in[200];

	(void)state;
	repeat(label, 'l', 63);
	assert_true(snprintf(in, sizeof(in), "<a@%s.com>", label) > 0);
	ok(in, 0);
	repeat(label, 'l', 64);
	assert_true(snprintf(in, sizeof(in), "<a@%s.com>", label) > 0);
	assert_string_equal(bad(in, 0), "domain label over 63 octets");
}

static void
test_null(void **state)
{
	(void)state;
	ok("<>", PATH_ALLOW_NULL);
	assert_int_equal(mp.null, 1);
	assert_string_equal(mp.text, "");
	assert_string_equal(mp.local, "");
	assert_string_equal(mp.domain, "");
	assert_string_equal(bad("<>", 0), "null path not allowed");
	assert_string_equal(bad("<>", PATH_NO_BRACKETS),
	    "null path not allowed");
	ok_n("<> SIZE=10", 10, PATH_ALLOW_NULL, 2);
	assert_int_equal(mp.null, 1);
	assert_string_equal(bad("", PATH_ALLOW_NULL), "empty address");
	assert_string_equal(bad("< >", PATH_ALLOW_NULL), "space in address");
}

static void
test_route(void **state)
{
	(void)state;
	ok("<@a.example,@b.example:user@c.example>", 0);
	assert_string_equal(mp.local, "user");
	assert_string_equal(mp.domain, "c.example");
	assert_string_equal(mp.text, "user@c.example");
	ok("<@local:user@remote>", 0);
	assert_string_equal(mp.domain, "remote");
	assert_string_equal(mp.text, "user@remote");

	assert_string_equal(bad("<@a.example user@c>", 0), "space in address");
	assert_string_equal(bad("<@a.example>", 0), "bad source route");
	assert_string_equal(bad("<@a.example,user@c>", 0), "bad source route");
	assert_string_equal(bad("<@:user@c>", 0), "bad character in address");
	assert_string_equal(bad("<@[192.0.2.1]:user@c>", 0),
	    "address literal in source route");
	assert_string_equal(bad("<@a,@-b:user@c>", 0),
	    "domain label starts or ends with a hyphen");
	/* no route outside angle brackets */
	assert_string_equal(bad("@a:user@c", PATH_NO_BRACKETS),
	    "empty local part");
}

static void
test_relay_tricks(void **state)
{
	(void)state;
	ok("<user%remote@local>", 0);
	assert_string_equal(mp.local, "user%remote");
	assert_string_equal(mp.domain, "local");

	ok("<\"user@remote\"@local>", 0);
	assert_string_equal(mp.local, "user@remote");
	assert_string_equal(mp.domain, "local");
	assert_string_equal(mp.text, "\"user@remote\"@local");

	ok("<user!remote@local>", 0);
	assert_string_equal(mp.local, "user!remote");
	assert_string_equal(mp.domain, "local");

	ok("<@local:user@remote>", 0);
	assert_string_equal(mp.domain, "remote");

	assert_string_equal(bad("<user@remote@local>", 0),
	    "bad character in address");
	/* without ALLOW_NO_DOMAIN, a local part alone is no address */
	assert_string_equal(bad("<user%remote>", 0), "address has no domain");
}

static void
test_no_domain(void **state)
{
	(void)state;
	ok("<postmaster>", PATH_ALLOW_NO_DOMAIN);
	assert_string_equal(mp.local, "postmaster");
	assert_string_equal(mp.domain, "");
	assert_string_equal(mp.text, "postmaster");
	assert_string_equal(bad("<postmaster>", 0), "address has no domain");
	ok("user", PATH_NO_BRACKETS | PATH_ALLOW_NO_DOMAIN);
	assert_string_equal(mp.text, "user");
	assert_string_equal(bad("user", PATH_NO_BRACKETS),
	    "address has no domain");
	ok("\"a b\"", PATH_NO_BRACKETS | PATH_ALLOW_NO_DOMAIN);
	assert_string_equal(mp.text, "\"a b\"");
	ok_n("user rest", 9, PATH_NO_BRACKETS | PATH_ALLOW_NO_DOMAIN, 4);
	assert_string_equal(bad("user@", PATH_NO_BRACKETS |
	    PATH_ALLOW_NO_DOMAIN), "empty domain");
}

static void
test_brackets(void **state)
{
	(void)state;
	ok("user@example.com", PATH_NO_BRACKETS);
	assert_string_equal(mp.text, "user@example.com");
	/* brackets are still fine with PATH_NO_BRACKETS */
	ok("<user@example.com>", PATH_NO_BRACKETS);
	assert_string_equal(bad("user@example.com", 0),
	    "address must be in angle brackets");
	assert_string_equal(bad(" <user@example.com>", 0), "space in address");
	assert_string_equal(bad("<user@example.com", 0), "missing '>'");
}

static void
test_used(void **state)
{
	(void)state;
	ok_n("<a@b> SIZE=100", 14, 0, 5);
	assert_string_equal(mp.text, "a@b");
	ok_n("<a@b> SIZE=100 BODY=8BITMIME", 28, 0, 5);
	/* parsing stops right after '>': the caller judges what follows */
	ok_n("<a@b>x", 6, 0, 5);
	ok_n("<\"a b\"@c> NOTIFY=NEVER", 22, 0, 9);
	assert_string_equal(mp.local, "a b");
	ok_n("a@b SIZE=1", 10, PATH_NO_BRACKETS, 3);
	ok_n("<@r:a@b> X", 10, 0, 8);
	/* n is honoured: bytes past it are never read */
	ok_n("<a@b>garbage", 5, 0, 5);
	assert_string_equal(bad_n("<a@b>", 4, 0), "missing '>'");
	assert_string_equal(bad("a@b>", PATH_NO_BRACKETS),
	    "bad character in address");
	assert_string_equal(bad("a@b\t", PATH_NO_BRACKETS),
	    "control character in address");
}

static void
test_controls(void **state)
{
	(void)state;
	assert_string_equal(bad_n("<a\0b@x>", 7, 0), "NUL in address");
	assert_string_equal(bad_n("<ab@x\0>", 7, 0), "NUL in address");
	assert_string_equal(bad_n("<\"a\0\"@x>", 8, 0), "NUL in address");
	assert_string_equal(bad_n("\0", 1, PATH_NO_BRACKETS), "NUL in address");
	assert_string_equal(bad("<a\r\n@x>", 0), "CR or LF in address");
	assert_string_equal(bad("<a@x\r\n>", 0), "CR or LF in address");
	ok_n("<a@x>\r\n", 7, 0, 5);	/* the caller judges what follows */
	assert_string_equal(bad("<\"a\r\nb\"@x>", 0), "CR or LF in address");
	assert_string_equal(bad("<\"a\\\nb\"@x>", 0), "CR or LF in address");
	assert_string_equal(bad("<a\x7f@x>", 0), "control character in address");
	assert_string_equal(bad("<a\x1b@x>", 0), "control character in address");
	assert_string_equal(bad("<a b@x>", 0), "space in address");
	assert_string_equal(bad("<a@x >", 0), "space in address");
	assert_string_equal(bad("<a\\b@x>", 0), "bad character in address");
	assert_string_equal(bad("<(c)a@x>", 0), "bad character in address");
}

static void
test_local_limits(void **state)
{
	char	local[80], in[300];

	(void)state;
	repeat(local, 'a', 64);
	assert_true(snprintf(in, sizeof(in), "<%s@x>", local) > 0);
	ok(in, 0);
	assert_string_equal(mp.local, local);
	repeat(local, 'a', 65);
	assert_true(snprintf(in, sizeof(in), "<%s@x>", local) > 0);
	assert_string_equal(bad(in, 0), "local part too long");
	/* the unquoted value counts: 64 octets plus quotes is fine */
	repeat(local, 'b', 64);
	assert_true(snprintf(in, sizeof(in), "<\"%s\"@x>", local) > 0);
	ok(in, 0);
	repeat(local, 'b', 65);
	assert_true(snprintf(in, sizeof(in), "<\"%s\"@x>", local) > 0);
	assert_string_equal(bad(in, 0), "local part too long");
}

/* Builds a domain of exactly len octets from 63-octet labels. */
static void
domain_make(char *d, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		d[i] = (i % 64 == 63) ? '.' : 'd';
	d[len] = '\0';
	if (d[len - 1] == '.')
		d[len - 1] = 'e';
}

static void
test_domain_limits(void **state)
{
	char	dom[300], in[600];

	(void)state;
	/* a 255-octet domain passes the domain limit but no path holds it */
	domain_make(dom, 255);
	assert_true(snprintf(in, sizeof(in), "<a@%s>", dom) > 0);
	assert_string_equal(bad(in, 0), "path too long");
	domain_make(dom, 256);
	assert_true(snprintf(in, sizeof(in), "<a@%s>", dom) > 0);
	assert_string_equal(bad(in, 0), "domain too long");
	/* a trailing dot does not count */
	domain_make(dom, 251);
	assert_true(snprintf(in, sizeof(in), "<a@%s.>", dom) > 0);
	ok(in, 0);
	assert_string_equal(mp.domain, dom);
	/* literal over the domain limit */
	memset(in, 0, sizeof(in));
	memcpy(in, "<a@[", 4);
	memset(in + 4, '1', 300);
	assert_string_equal(bad(in, 0), "domain too long");
}

static void
test_path_limits(void **state)
{
	char	local[80], dom[300], in[600];

	(void)state;
	/* exactly 256: 1 + 64 + 1 + 189 + 1 */
	repeat(local, 'a', 64);
	domain_make(dom, 189);
	assert_true(snprintf(in, sizeof(in), "<%s@%s>", local, dom) == 256);
	ok(in, 0);
	domain_make(dom, 190);
	assert_true(snprintf(in, sizeof(in), "<%s@%s>", local, dom) == 257);
	assert_string_equal(bad(in, 0), "path too long");
	/* bare: the brackets count although absent */
	domain_make(dom, 189);
	assert_true(snprintf(in, sizeof(in), "%s@%s", local, dom) == 254);
	ok(in, PATH_NO_BRACKETS);
	domain_make(dom, 190);
	assert_true(snprintf(in, sizeof(in), "%s@%s", local, dom) == 255);
	assert_string_equal(bad(in, PATH_NO_BRACKETS), "path too long");
	/* the source route counts */
	domain_make(dom, 200);
	assert_true(snprintf(in, sizeof(in), "<@%s:%s@x>", dom, "a") > 0);
	ok(in, 0);
	assert_true(snprintf(in, sizeof(in), "<@%s:%s@x>", dom, local) > 0);
	assert_string_equal(bad(in, 0), "path too long");
	/* a long run of route domains stops at the limit */
	{
		char	big[4000];
		size_t	k = 0;

		big[k++] = '<';
		while (k < sizeof(big) - 20) {
			memcpy(big + k, "@ab,", 4);
			k += 4;
		}
		memcpy(big + k, "@c:a@b>", 8);
		assert_string_equal(bad(big, 0), "path too long");
	}
}

static void
test_utf8(void **state)
{
	(void)state;
	ok("<j\xc3\xb6rg@b\xc3\xbc" "cher.example>", PATH_ALLOW_UTF8);
	assert_int_equal(mp.utf8, 1);
	assert_string_equal(mp.local, "j\xc3\xb6rg");
	assert_string_equal(mp.domain, "b\xc3\xbc" "cher.example");
	assert_string_equal(mp.text, "j\xc3\xb6rg@b\xc3\xbc" "cher.example");
	/* 3- and 4-octet sequences, and the edges U+FFFF and U+10FFFF */
	ok("<\xe2\x82\xac\xf0\x9f\x93\xa7@x>", PATH_ALLOW_UTF8);
	ok("<\xef\xbf\xbf\xf4\x8f\xbf\xbf@x>", PATH_ALLOW_UTF8);
	ok("<\"\xc3\xa9 t\xc3\xa9\"@x>", PATH_ALLOW_UTF8);
	assert_string_equal(mp.text, "\"\xc3\xa9 t\xc3\xa9\"@x");
	assert_int_equal(mp.utf8, 1);
	/* ASCII input under the flag is not utf8 */
	ok("<a@b>", PATH_ALLOW_UTF8);
	assert_int_equal(mp.utf8, 0);
	/* nor is an address whose only UTF-8 was in the dropped route */
	ok("<@b\xc3\xbc.x:a@b>", PATH_ALLOW_UTF8);
	assert_int_equal(mp.utf8, 0);
	assert_string_equal(mp.text, "a@b");
	assert_string_equal(bad("<@b\xc3\xbc.x:a@b>", 0),
	    "8-bit character without SMTPUTF8");

	/* without the flag any byte >= 0x80 is refused */
	assert_string_equal(bad("<j\xc3\xb6rg@x>", 0),
	    "8-bit character without SMTPUTF8");
	assert_string_equal(bad("<a@b\xc3\xbc.x>", 0),
	    "8-bit character without SMTPUTF8");
	assert_string_equal(bad("<\"\xc3\xb6\"@x>", 0),
	    "8-bit character without SMTPUTF8");

	/* invalid sequences */
	assert_string_equal(bad("<\xc0\x80@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* overlong NUL */
	assert_string_equal(bad("<\xc1\xbf@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* overlong */
	assert_string_equal(bad("<\xe0\x80\xaf@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* overlong '/' */
	assert_string_equal(bad("<\xf0\x80\x80\xaf@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* overlong '/' */
	assert_string_equal(bad("<\xed\xa0\x80@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* surrogate */
	assert_string_equal(bad("<\xed\xbf\xbf@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* surrogate */
	assert_string_equal(bad("<\xf4\x90\x80\x80@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* > U+10FFFF */
	assert_string_equal(bad("<\xf5\x80\x80\x80@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");
	assert_string_equal(bad("<\xff@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");
	assert_string_equal(bad("<\x80@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* lone continuation */
	assert_string_equal(bad("<\xc3@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* truncated */
	assert_string_equal(bad("<\xe2\x82@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* truncated */
	assert_string_equal(bad("<\xf0\x9f\x93@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* truncated */
	assert_string_equal(bad_n("<a@x\xc3", 5, PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* cut by n */
	assert_string_equal(bad("<\xc2\x85@x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");		/* C1 control NEL */
	assert_string_equal(bad("<a@b\xed\xa0\x80.x>", PATH_ALLOW_UTF8),
	    "invalid UTF-8 in address");
	/* quoted-pair is ASCII only */
	assert_string_equal(bad("<\"\\\xc3\xa9\"@x>", PATH_ALLOW_UTF8),
	    "bad character in address");
}

static void
test_utf8_limits(void **state)
{
	char	in[300];
	size_t	k = 0, i;

	(void)state;
	/* 32 two-octet characters = 64 octets: fits; one more does not */
	in[k++] = '<';
	for (i = 0; i < 32; i++) {
		in[k++] = '\xc3';
		in[k++] = '\xa9';
	}
	memcpy(in + k, "@x>", 4);
	ok(in, PATH_ALLOW_UTF8);
	assert_int_equal(strlen(mp.local), 64);
	k = 1;
	for (i = 0; i < 21; i++) {
		memcpy(in + k, "\xe2\x82\xac", 3);
		k += 3;
	}
	memcpy(in + k, "ab@x>", 6);		/* 63 + 2 = 65 */
	assert_string_equal(bad(in, PATH_ALLOW_UTF8), "local part too long");
	k = 1;
	for (i = 0; i < 21; i++) {
		memcpy(in + k, "\xe2\x82\xac", 3);
		k += 3;
	}
	memcpy(in + k, "\xc3\xa9@x>", 6);	/* 63 + 2 = 65, split char */
	assert_string_equal(bad(in, PATH_ALLOW_UTF8), "local part too long");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_dots),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_label_limits),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_relay_tricks),
		cmocka_unit_test(test_no_domain),
		cmocka_unit_test(test_brackets),
		cmocka_unit_test(test_used),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_local_limits),
		cmocka_unit_test(test_domain_limits),
		cmocka_unit_test(test_path_limits),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_utf8_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
