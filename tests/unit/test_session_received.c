/*
 * Unit tests for smtpd/session_received.c: the HELO argument in the
 * Received field.  Every octet value, at the start, in the middle and at
 * the end, and every length up to 300: what is written is a domain or an
 * address literal as given, or a comment body of RFC 5322 ctext only, and
 * never longer than the buffer; and the whole field stays one header field
 * with balanced comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "conf.h"
#include "smtpd.h"

/* 1 if every octet of s is RFC 5322 ctext (3.2.2). */
static int
all_ctext(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 33 || c > 126 || c == '(' || c == ')' || c == '\\')
			return 0;
	}
	return 1;
}

static void
check(const char *helo)
{
	char	 out[SMTP_HELO_MAX + 1];
	int	 r;

	r = session_received_helo(helo, out, sizeof(out));
	assert_true(r == 0 || r == 1);
	assert_true(strlen(out) < sizeof(out));
	/* a token or a comment body: either way ctext only here */
	assert_true(all_ctext(out));
	if (r == 1)
		assert_string_equal(out, helo);
	else
		assert_int_equal(strlen(out), strlen(helo) < sizeof(out) ?
		    strlen(helo) : sizeof(out) - 1);
}

static void
test_valid_kept(void **state)
{
	static const char *const ok[] = {
		"client.test", "a", "1", "mx-1.example.org", "EXAMPLE.ORG",
		"[192.0.2.1]", "[IPv6:2001:db8::1]", "[IPv6:::1]",
		"123.example", "xn--caf-dma.example"
	};
	char	 out[SMTP_HELO_MAX + 1];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(session_received_helo(ok[i], out,
		    sizeof(out)), 1);
		assert_string_equal(out, ok[i]);
	}
}

static void
test_invalid_neutered(void **state)
{
	static const struct {
		const char	*in, *out;
	} t[] = {
		{ "a(b", "a?b" },
		{ "a)b", "a?b" },
		{ "a\\b", "a?b" },
		{ "x)(y", "x??y" },
		{ "(comment", "?comment" },
		{ "host) by evil.example", "host??by?evil.example" },
		{ "a\r\nX-Evil: 1", "a??X-Evil:?1" },
		{ "a\tb", "a?b" },
		{ "caf\xc3\xa9", "caf??" },
		{ "a;b", "a;b" },
		{ "a\"b", "a\"b" },
		{ "-a", "-a" },
		{ "a-", "a-" },
		{ "a..b", "a..b" },
		{ ".a", ".a" },
		{ "a.", "a." },
		{ "a_b", "a_b" },
		{ "[a]b", "[a]b" },
		{ "[a[b]", "[a[b]" },
		{ "[a\\]", "[a?]" },
		{ "[]", "[]" },
		{ "@evil", "@evil" },
		{ "\x7f", "?" }
	};
	char	 out[SMTP_HELO_MAX + 1];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(session_received_helo(t[i].in, out,
		    sizeof(out)), 0);
		assert_string_equal(out, t[i].out);
	}
	/* the empty argument (no HELO at all) */
	assert_int_equal(session_received_helo("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void
test_every_octet(void **state)
{
	char	 helo[8];
	int	 c, pos;

	(void)state;
	for (c = 1; c < 256; c++)
		for (pos = 0; pos < 3; pos++) {
			memcpy(helo, "ab.cd", 6);
			helo[pos == 0 ? 0 : pos == 1 ? 2 : 4] = (char)c;
			check(helo);
		}
}

static void
test_every_length(void **state)
{
	char	 helo[301], out[SMTP_HELO_MAX + 1], small[8];
	size_t	 n;

	(void)state;
	for (n = 0; n <= 300; n++) {
		memset(helo, 'a', n);
		helo[n] = '\0';
		check(helo);
		if (n > 0) {
			helo[n / 2] = '(';
			check(helo);
		}
	}
	/* a valid word longer than the buffer is never cut and kept as valid */
	memset(helo, 'a', 300);
	helo[300] = '\0';
	assert_int_equal(session_received_helo(helo, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), SMTP_HELO_MAX);
	assert_int_equal(session_received_helo("client.test", small,
	    sizeof(small)), 0);
	assert_string_equal(small, "client.");
	assert_int_equal(session_received_helo("x", out, 0), -1);
}

/* The whole field: one header field, comments balanced. */
static void
test_field(void **state)
{
	static const char *const helos[] = {
		"client.test", "x)(y", "a\\)b", "((((", "))))", "", "[1.2.3.4]"
	};
	struct conf		*conf;
	struct smtpd_session	 s;
	struct buf		 out;
	size_t			 i, k;
	int			 depth;
	static const char	 text[] = "myhostname = mx.example\n";

	(void)state;
	conf = conf_load_buf(text, sizeof(text) - 1, "test", NULL, NULL);
	assert_non_null(conf);
	for (i = 0; i < sizeof(helos) / sizeof(helos[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.conf = conf;
		(void)strlcpy(s.helo, helos[i], sizeof(s.helo));
		(void)strlcpy(s.peer_addr, "192.0.2.7", sizeof(s.peer_addr));
		(void)strlcpy(s.id, "NHC00000000000", sizeof(s.id));
		buf_init(&out, 4096);
		assert_int_equal(session_received(&s, "ESMTP", &out), 0);
		assert_memory_equal(out.data, "Received: from ", 15);
		depth = 0;
		for (k = 0; k < out.len; k++) {
			unsigned char c = (unsigned char)out.data[k];

			if (c == '\n') {
				/* only the end, or a folded line (a tab) */
				assert_true(k + 1 == out.len ||
				    out.data[k + 1] == '\t');
				continue;
			}
			assert_true(c == '\t' || (c >= 32 && c < 127));
			assert_true(c != '\\');
			if (c == '(')
				depth++;
			if (c == ')')
				depth--;
			assert_true(depth >= 0);
		}
		assert_int_equal(depth, 0);
		buf_free(&out);
	}
	conf_free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_kept),
		cmocka_unit_test(test_invalid_neutered),
		cmocka_unit_test(test_every_octet),
		cmocka_unit_test(test_every_length),
		cmocka_unit_test(test_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
