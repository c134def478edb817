/*
 * Unit tests for lib/smtp/smtp_cmd.c: command split, MAIL and RCPT arguments
 * with ESMTP parameters, BDAT and HELO arguments; refused inputs beside
 * accepted ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "smtp_cmd.h"

#define S(x)	x, sizeof(x) - 1

static void
test_split(void **state)
{
	struct smtp_cmd	 c;
	struct smtp_err	 e;

	(void)state;
	assert_int_equal(smtp_cmd_split(S("ehlo example.org"), &c, &e), 0);
	assert_string_equal(c.verb, "EHLO");
	assert_int_equal(c.arglen, 11);
	assert_memory_equal(c.arg, "example.org", 11);
	assert_int_equal(smtp_cmd_split(S("QUIT"), &c, &e), 0);
	assert_string_equal(c.verb, "QUIT");
	assert_int_equal(c.arglen, 0);
	assert_int_equal(smtp_cmd_split(S("NOOP   x  "), &c, &e), 0);
	assert_int_equal(c.arglen, 1);
	assert_int_equal(smtp_cmd_split(S("MAIL FROM:<a@b>"), &c, &e), 0);
	assert_string_equal(c.verb, "MAIL");
	/* refused */
	assert_int_equal(smtp_cmd_split(S("NO\0OP"), &c, &e), -1);
	assert_int_equal(e.code, 500);
	assert_string_equal(e.enh, "5.5.2");
	assert_int_equal(smtp_cmd_split(S("NOOP a\rb"), &c, &e), -1);
	assert_int_equal(smtp_cmd_split(S("NOOP a\nb"), &c, &e), -1);
	assert_int_equal(smtp_cmd_split(S(""), &c, &e), -1);
	assert_int_equal(smtp_cmd_split(S(" NOOP"), &c, &e), -1);
	assert_int_equal(smtp_cmd_split(S("NO-OP"), &c, &e), -1);
	assert_int_equal(smtp_cmd_split(S("ABCDEFGHIJKLMNOPQ"), &c, &e), -1);
	assert_int_equal(smtp_cmd_split(S("NOOP\x7f"), &c, &e), -1);
}

static void
test_split_length(void **state)
{
	char		 line[600];
	struct smtp_cmd	 c;
	struct smtp_err	 e;

	(void)state;
	memset(line, 'a', sizeof(line));
	memcpy(line, "NOOP ", 5);
	assert_int_equal(smtp_cmd_split(line, 510, &c, &e), 0);
	assert_int_equal(smtp_cmd_split(line, 511, &c, &e), -1);
	assert_int_equal(e.code, 500);
	assert_string_equal(e.enh, "5.5.2");
}

static void
test_mail(void **state)
{
	struct smtp_mail_args	 m;
	struct smtp_err		 e;

	(void)state;
	assert_int_equal(smtp_mail_parse(S("FROM:<alice@example.org>"), &m,
	    &e), 0);
	assert_string_equal(m.path.text, "alice@example.org");
	assert_int_equal(m.size, -1);
	assert_int_equal(m.body, SMTP_BODY_NONE);
	assert_int_equal(smtp_mail_parse(S("from: <>"), &m, &e), 0);
	assert_int_equal(m.path.null, 1);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> SIZE=1000 "
	    "BODY=8bitmime"), &m, &e), 0);
	assert_int_equal(m.size, 1000);
	assert_int_equal(m.body, SMTP_BODY_8BITMIME);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> BODY=BINARYMIME"),
	    &m, &e), 0);
	assert_int_equal(m.body, SMTP_BODY_BINARYMIME);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> BODY=7BIT"), &m, &e),
	    0);
	assert_int_equal(m.body, SMTP_BODY_7BIT);
	assert_int_equal(smtp_mail_parse(S("FROM:<j\xc3\xb6rg@b.c> SMTPUTF8"),
	    &m, &e), 0);
	assert_int_equal(m.smtputf8, 1);
	assert_int_equal(m.path.utf8, 1);
}

static void
test_mail_bad(void **state)
{
	struct smtp_mail_args	 m;
	struct smtp_err		 e;

	(void)state;
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> FOO=bar"), &m, &e),
	    -1);
	assert_int_equal(e.code, 555);
	assert_string_equal(e.enh, "5.5.4");
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> SIZE=x"), &m, &e), -1);
	assert_int_equal(e.code, 501);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> SIZE=1 SIZE=2"), &m,
	    &e), -1);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> SIZE"), &m, &e), -1);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> SIZE="), &m, &e), -1);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> "
	    "SIZE=99999999999999999999999"), &m, &e), -1);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> BODY=9BIT"), &m, &e),
	    -1);
	assert_int_equal(e.code, 501);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> SMTPUTF8=yes"), &m,
	    &e), -1);
	assert_int_equal(smtp_mail_parse(S("FROM:<j\xc3\xb6rg@b.c>"), &m, &e),
	    -1);
	assert_int_equal(e.code, 553);
	assert_int_equal(smtp_mail_parse(S("FROM:a@b.c"), &m, &e), -1);
	assert_int_equal(e.code, 501);
	assert_int_equal(smtp_mail_parse(S("TO:<a@b.c>"), &m, &e), -1);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c>x"), &m, &e), -1);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c"), &m, &e), -1);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@@b.c>"), &m, &e), -1);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> =x"), &m, &e), -1);
}

static void
test_rcpt(void **state)
{
	struct mailpath	 p;
	struct smtp_err	 e;

	(void)state;
	assert_int_equal(smtp_rcpt_parse(S("TO:<bob@example.org>"), 0, &p, &e),
	    0);
	assert_string_equal(p.local, "bob");
	assert_string_equal(p.domain, "example.org");
	assert_int_equal(smtp_rcpt_parse(S("to: <Postmaster>"), 0, &p, &e), 0);
	assert_string_equal(p.domain, "");
	assert_true(smtp_is_postmaster(p.local));
	assert_int_equal(smtp_rcpt_parse(S("TO:<@relay.example:bob@x.org>"), 0,
	    &p, &e), 0);
	assert_string_equal(p.local, "bob");
	assert_int_equal(smtp_rcpt_parse(S("TO:<j\xc3\xb6rg@b.c>"), 1, &p, &e),
	    0);
	/* refused */
	assert_int_equal(smtp_rcpt_parse(S("TO:<j\xc3\xb6rg@b.c>"), 0, &p, &e),
	    -1);
	assert_int_equal(e.code, 553);
	assert_int_equal(smtp_rcpt_parse(S("TO:<>"), 0, &p, &e), -1);
	assert_int_equal(smtp_rcpt_parse(S("TO:<a@b.c> XFOO=1"), 0, &p,
	    &e), -1);
	assert_int_equal(e.code, 555);
	assert_int_equal(smtp_rcpt_parse(S("FROM:<a@b.c>"), 0, &p, &e), -1);
	assert_int_equal(smtp_rcpt_parse(S("TO:"), 0, &p, &e), -1);
}

/* RFC 3461: MAIL RET= ENVID=, RCPT NOTIFY= ORCPT=, good and bad. */
static void
test_dsn_params(void **state)
{
	struct smtp_mail_args	 m;
	struct smtp_rcpt_args	 r;
	struct smtp_err		 e;

	(void)state;
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> RET=hdrs "
	    "ENVID=QQ+2B1"), &m, &e), 0);
	assert_int_equal(m.ret, DSN_RET_HDRS);
	assert_string_equal(m.envid, "QQ+2B1");
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c>"), &m, &e), 0);
	assert_int_equal(m.ret, DSN_RET_NONE);
	assert_string_equal(m.envid, "");
	assert_int_equal(smtp_rcpt_parse_args(S("TO:<x@y.z> "
	    "NOTIFY=SUCCESS,DELAY ORCPT=rfc822;X+2BY@y.z"), 0, &r, &e), 0);
	assert_int_equal(r.notify, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY);
	assert_string_equal(r.orcpt, "rfc822;X+2BY@y.z");
	assert_string_equal(r.path.local, "x");
	assert_int_equal(smtp_rcpt_parse_args(S("TO:<x@y.z> NOTIFY=never"), 0,
	    &r, &e), 0);
	assert_int_equal(r.notify, DSN_NOTIFY_NEVER);
	/* refused, each 501 */
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> RET=ALL"), &m, &e),
	    -1);
	assert_int_equal(e.code, 501);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> RET=FULL RET=HDRS"),
	    &m, &e), -1);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> RET"), &m, &e), -1);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> ENVID=a+0Db"), &m,
	    &e), -1);
	assert_int_equal(e.code, 501);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> ENVID=a ENVID=b"),
	    &m, &e), -1);
	assert_int_equal(smtp_mail_parse(S("FROM:<a@b.c> ENVID=aaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaa"), &m, &e), -1);
	assert_int_equal(smtp_rcpt_parse_args(S("TO:<x@y.z> NOTIFY=NEVER,DELAY"),
	    0, &r, &e), -1);
	assert_int_equal(e.code, 501);
	assert_int_equal(smtp_rcpt_parse_args(S("TO:<x@y.z> NOTIFY=SUCCESS "
	    "NOTIFY=DELAY"), 0, &r, &e), -1);
	assert_int_equal(smtp_rcpt_parse_args(S("TO:<x@y.z> ORCPT=x@y.z"), 0,
	    &r, &e), -1);
	assert_int_equal(e.code, 501);
	assert_int_equal(smtp_rcpt_parse_args(S("TO:<x@y.z> ORCPT=rfc822;"
	    "x+0A@y.z"), 0, &r, &e), -1);
	assert_int_equal(smtp_rcpt_parse_args(S("TO:<x@y.z> ORCPT=rfc822;a "
	    "ORCPT=rfc822;b"), 0, &r, &e), -1);
}

static void
test_bdat(void **state)
{
	unsigned long long	 sz;
	int			 last;
	struct smtp_err		 e;

	(void)state;
	assert_int_equal(smtp_bdat_parse(S("100"), 1000, &sz, &last, &e), 0);
	assert_int_equal(sz, 100);
	assert_int_equal(last, 0);
	assert_int_equal(smtp_bdat_parse(S("0 last"), 1000, &sz, &last, &e), 0);
	assert_int_equal(sz, 0);
	assert_int_equal(last, 1);
	assert_int_equal(smtp_bdat_parse(S("1001"), 1000, &sz, &last, &e), -1);
	assert_int_equal(e.code, 552);
	assert_int_equal(smtp_bdat_parse(S("99999999999999999999999"), ~0ULL,
	    &sz, &last, &e), -1);
	assert_int_equal(smtp_bdat_parse(S(""), 1000, &sz, &last, &e), -1);
	assert_int_equal(smtp_bdat_parse(S("-1"), 1000, &sz, &last, &e), -1);
	assert_int_equal(smtp_bdat_parse(S("10 FIRST"), 1000, &sz, &last, &e),
	    -1);
	assert_int_equal(e.code, 501);
}

static void
test_helo(void **state)
{
	char		 out[SMTP_HELO_MAX + 1];
	char		 big[SMTP_HELO_MAX + 2];
	struct smtp_err	 e;

	(void)state;
	assert_int_equal(smtp_helo_parse(S("mx.example.org"), out, &e), 0);
	assert_string_equal(out, "mx.example.org");
	assert_int_equal(smtp_helo_parse(S("[127.0.0.1]"), out, &e), 0);
	assert_int_equal(smtp_helo_parse(S(""), out, &e), -1);
	assert_int_equal(smtp_helo_parse(S("a b"), out, &e), -1);
	assert_int_equal(smtp_helo_parse(S("a\xc3\xa9"), out, &e), -1);
	memset(big, 'a', sizeof(big));
	assert_int_equal(smtp_helo_parse(big, SMTP_HELO_MAX, out, &e), 0);
	assert_int_equal(smtp_helo_parse(big, SMTP_HELO_MAX + 1, out, &e), -1);
	assert_true(smtp_is_postmaster("PostMaster"));
	assert_false(smtp_is_postmaster("postmaster2"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_length),
		cmocka_unit_test(test_mail),
		cmocka_unit_test(test_mail_bad),
		cmocka_unit_test(test_rcpt),
		cmocka_unit_test(test_dsn_params),
		cmocka_unit_test(test_bdat),
		cmocka_unit_test(test_helo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
