/*
 * test_dsn: lib/dsn/dsn.c, RFC 3461's parameters: NOTIFY lists (good,
 * repeated, NEVER with others, empty words), the default of an absent
 * NOTIFY, RET, xtext both ways (every octet round-trips; bad hex, '='
 * and blanks refused), ENVID (printable ASCII, at most 100 octets) and
 * ORCPT (an atom, ';', an address without control bytes, 500 octets).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dsn.h"

#define LIT(s)	s, sizeof(s) - 1

static void
test_notify(void **state)
{
	char	 t[DSN_NOTIFY_TEXT_MAX];
	int	 f;

	(void)state;
	assert_int_equal(dsn_notify_parse(LIT("SUCCESS"), &f), 0);
	assert_int_equal(f, DSN_NOTIFY_SUCCESS);
	assert_int_equal(dsn_notify_parse(LIT("delay,Failure,success"), &f),
	    0);
	assert_int_equal(f, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE |
	    DSN_NOTIFY_DELAY);
	dsn_notify_text(f, t, sizeof(t));
	assert_string_equal(t, "SUCCESS,FAILURE,DELAY");
	assert_int_equal(dsn_notify_parse(LIT("never"), &f), 0);
	assert_int_equal(f, DSN_NOTIFY_NEVER);
	dsn_notify_text(f, t, sizeof(t));
	assert_string_equal(t, "NEVER");
	dsn_notify_text(0, t, sizeof(t));
	assert_string_equal(t, "");
	/* refused */
	assert_int_equal(dsn_notify_parse(LIT(""), &f), -1);
	assert_int_equal(dsn_notify_parse(LIT("NEVER,DELAY"), &f), -1);
	assert_int_equal(dsn_notify_parse(LIT("DELAY,NEVER"), &f), -1);
	assert_int_equal(dsn_notify_parse(LIT("DELAY,DELAY"), &f), -1);
	assert_int_equal(dsn_notify_parse(LIT("DELAY,"), &f), -1);
	assert_int_equal(dsn_notify_parse(LIT(",DELAY"), &f), -1);
	assert_int_equal(dsn_notify_parse(LIT("DELAY,,SUCCESS"), &f), -1);
	assert_int_equal(dsn_notify_parse(LIT("SUCCES"), &f), -1);
	assert_int_equal(dsn_notify_parse(LIT("SUCCESSX"), &f), -1);
	assert_int_equal(dsn_notify_parse(LIT("DELAY SUCCESS"), &f), -1);
	assert_int_equal(dsn_notify_parse(LIT("DELAY\0SUCCESS"), &f), -1);
}

static void
test_notify_wants(void **state)
{
	(void)state;
	/* nothing said: failures and delays, as Postfix */
	assert_true(dsn_notify_wants(0, DSN_NOTIFY_FAILURE));
	assert_true(dsn_notify_wants(0, DSN_NOTIFY_DELAY));
	assert_false(dsn_notify_wants(0, DSN_NOTIFY_SUCCESS));
	assert_false(dsn_notify_wants(DSN_NOTIFY_NEVER, DSN_NOTIFY_FAILURE));
	assert_false(dsn_notify_wants(DSN_NOTIFY_NEVER, DSN_NOTIFY_DELAY));
	assert_true(dsn_notify_wants(DSN_NOTIFY_SUCCESS, DSN_NOTIFY_SUCCESS));
	assert_false(dsn_notify_wants(DSN_NOTIFY_SUCCESS, DSN_NOTIFY_FAILURE));
	assert_false(dsn_notify_wants(DSN_NOTIFY_FAILURE, DSN_NOTIFY_DELAY));
}

static void
test_ret(void **state)
{
	int	 r;

	(void)state;
	assert_int_equal(dsn_ret_parse(LIT("full"), &r), 0);
	assert_int_equal(r, DSN_RET_FULL);
	assert_string_equal(dsn_ret_text(r), "FULL");
	assert_int_equal(dsn_ret_parse(LIT("HDRS"), &r), 0);
	assert_int_equal(r, DSN_RET_HDRS);
	assert_string_equal(dsn_ret_text(DSN_RET_NONE), "");
	assert_int_equal(dsn_ret_parse(LIT("HEADERS"), &r), -1);
	assert_int_equal(dsn_ret_parse(LIT(""), &r), -1);
	assert_int_equal(dsn_ret_parse(LIT("FUL"), &r), -1);
}

static void
test_xtext(void **state)
{
	char	 in[256], enc[1024], dec[256];
	int	 i, n;

	(void)state;
	assert_int_equal(xtext_decode(LIT("a+2Bb+3Dc"), dec, sizeof(dec)), 5);
	assert_string_equal(dec, "a+b=c");
	assert_int_equal(xtext_decode(LIT("x+2b"), dec, sizeof(dec)), 2);
	assert_string_equal(dec, "x+");
	/* refused: '=', a blank, a bad or cut hex pair, empty, no room */
	assert_int_equal(xtext_decode(LIT("a=b"), dec, sizeof(dec)), -1);
	assert_int_equal(xtext_decode(LIT("a b"), dec, sizeof(dec)), -1);
	assert_int_equal(xtext_decode(LIT("a+G0"), dec, sizeof(dec)), -1);
	assert_int_equal(xtext_decode(LIT("a+2"), dec, sizeof(dec)), -1);
	assert_int_equal(xtext_decode(LIT("a+"), dec, sizeof(dec)), -1);
	assert_int_equal(xtext_decode(LIT(""), dec, sizeof(dec)), -1);
	assert_int_equal(xtext_decode(LIT("abcd"), dec, 4), -1);
	assert_int_equal(xtext_decode(LIT("a\x80"), dec, sizeof(dec)), -1);
	/* every octet but NUL round-trips */
	for (i = 1; i < 256; i++)
		in[i - 1] = (char)i;
	in[255] = '\0';
	n = xtext_encode(in, enc, sizeof(enc));
	assert_true(n > 0);
	for (i = 0; i < n; i++)
		assert_true(enc[i] > 32 && enc[i] < 127 && enc[i] != '=');
	assert_int_equal(xtext_decode(enc, (size_t)n, dec, sizeof(dec)), 255);
	assert_memory_equal(dec, in, 255);
	assert_int_equal(xtext_encode("a+b", enc, 5), -1);
	assert_int_equal(xtext_encode("a+b", enc, 6), 5);
	assert_string_equal(enc, "a+2Bb");
}

static void
test_envid(void **state)
{
	char	 out[DSN_ENVID_MAX + 1], big[300];

	(void)state;
	assert_int_equal(dsn_envid_parse(LIT("QQ314159+20x"), out,
	    sizeof(out)), 0);
	assert_string_equal(out, "QQ314159 x");
	assert_int_equal(dsn_envid_parse(LIT("a+0Ab"), out, sizeof(out)), -1);
	assert_int_equal(dsn_envid_parse(LIT("caf+C3+A9"), out, sizeof(out)),
	    -1);
	memset(big, 'e', 101);
	assert_int_equal(dsn_envid_parse(big, 100, out, sizeof(out)), 0);
	assert_int_equal(dsn_envid_parse(big, 101, out, sizeof(out)), -1);
	assert_true(dsn_envid_ok("x y"));
	assert_false(dsn_envid_ok(""));
	assert_false(dsn_envid_ok("a\tb"));
}

static void
test_orcpt(void **state)
{
	char	 out[DSN_ORCPT_MAX + 1], big[1200];

	(void)state;
	assert_int_equal(dsn_orcpt_parse(LIT("rfc822;Bob+2BX@Example.COM"),
	    out, sizeof(out)), 0);
	assert_string_equal(out, "rfc822;Bob+X@Example.COM");
	assert_int_equal(dsn_orcpt_parse(LIT("utf-8;caf+C3+A9@x"), out,
	    sizeof(out)), 0);
	assert_string_equal(out, "utf-8;caf\xc3\xa9@x");
	/* refused */
	assert_int_equal(dsn_orcpt_parse(LIT("bob@x"), out, sizeof(out)), -1);
	assert_int_equal(dsn_orcpt_parse(LIT(";bob@x"), out, sizeof(out)), -1);
	assert_int_equal(dsn_orcpt_parse(LIT("rfc822;"), out, sizeof(out)),
	    -1);
	assert_int_equal(dsn_orcpt_parse(LIT("rfc 822;b@x"), out, sizeof(out)),
	    -1);
	assert_int_equal(dsn_orcpt_parse(LIT("rfc822;b+0D+0A@x"), out,
	    sizeof(out)), -1);
	assert_int_equal(dsn_orcpt_parse(LIT("rfc822;b@x y"), out,
	    sizeof(out)), -1);
	memcpy(big, "rfc822;", 7);
	memset(big + 7, 'a', sizeof(big) - 7);
	assert_int_equal(dsn_orcpt_parse(big, 500, out, sizeof(out)), 0);
	assert_int_equal(dsn_orcpt_parse(big, 501, out, sizeof(out)), -1);
	assert_true(dsn_orcpt_ok("rfc822;a@b"));
	assert_false(dsn_orcpt_ok("rfc822;a\x7f@b"));
	assert_false(dsn_orcpt_ok("a@b"));
}

/* What the SMTP client adds for a server that lists DSN, as Postfix. */
static void
test_client_params(void **state)
{
	char	 out[DSN_RCPT_PARAMS_MAX], small[12];
	char	 orcpt[DSN_ORCPT_MAX + 1];

	(void)state;
	assert_int_equal(dsn_mail_params(DSN_RET_HDRS, "id 1+x=y", out,
	    sizeof(out)), 0);
	assert_string_equal(out, " RET=HDRS ENVID=id+201+2Bx+3Dy");
	assert_int_equal(dsn_mail_params(DSN_RET_FULL, NULL, out,
	    sizeof(out)), 0);
	assert_string_equal(out, " RET=FULL");
	assert_int_equal(dsn_mail_params(DSN_RET_NONE, "", out, sizeof(out)),
	    0);
	assert_string_equal(out, "");
	assert_int_equal(dsn_mail_params(DSN_RET_NONE, "e", out, sizeof(out)),
	    0);
	assert_string_equal(out, " ENVID=e");
	assert_int_equal(dsn_mail_params(7, NULL, out, sizeof(out)), -1);
	assert_int_equal(dsn_mail_params(DSN_RET_NONE, "a\tb", out,
	    sizeof(out)), -1);
	assert_int_equal(dsn_mail_params(DSN_RET_FULL, "abcdef", small,
	    sizeof(small)), -1);
	assert_string_equal(small, "");

	assert_int_equal(dsn_rcpt_params(DSN_NOTIFY_SUCCESS |
	    DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY, "rfc822;Bob+x@b.example",
	    out, sizeof(out)), 0);
	assert_string_equal(out, " NOTIFY=SUCCESS,FAILURE,DELAY "
	    "ORCPT=rfc822;Bob+2Bx@b.example");
	assert_int_equal(dsn_rcpt_params(DSN_NOTIFY_NEVER, NULL, out,
	    sizeof(out)), 0);
	assert_string_equal(out, " NOTIFY=NEVER");
	assert_int_equal(dsn_rcpt_params(0, "rfc822;a b@c", out, sizeof(out)),
	    0);
	assert_string_equal(out, " ORCPT=rfc822;a+20b@c");
	assert_int_equal(dsn_rcpt_params(0, NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(dsn_rcpt_params(0, "nosemicolon", out, sizeof(out)),
	    -1);
	assert_int_equal(dsn_rcpt_params(DSN_NOTIFY_SUCCESS, "rfc822;a@b",
	    small, sizeof(small)), -1);
	assert_string_equal(small, "");
	/* the longest ORCPT, every octet encoded, fits the documented max */
	memset(orcpt, ' ', DSN_ORCPT_MAX);
	memcpy(orcpt, "rfc822;", 7);
	orcpt[DSN_ORCPT_MAX] = '\0';
	assert_int_equal(dsn_rcpt_params(DSN_NOTIFY_SUCCESS |
	    DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY, orcpt, out, sizeof(out)),
	    0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_notify_wants),
		cmocka_unit_test(test_ret),
		cmocka_unit_test(test_xtext),
		cmocka_unit_test(test_envid),
		cmocka_unit_test(test_orcpt),
		cmocka_unit_test(test_client_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
