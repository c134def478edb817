/*
 * Unit tests for lib/smtp/smtp_reply.c: replies of one and many lines,
 * the enhanced code, the text on one line, the EHLO keywords, and every
 * refusal a server's bytes can earn: no code, a code out of range, no
 * separator, codes that change, a line after the end, control bytes, a
 * bare CR, a line or a reply over the limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "smtp_reply.h"

/* Feeds text line by line (each ends in LF); the last return value. */
static int
feed(struct smtp_reply *r, const char *text, const char **why)
{
	const char	*p = text, *nl;
	int		 k = 0;

	smtp_reply_init(r);
	*why = NULL;
	while (*p != '\0') {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		k = smtp_reply_line(r, p, (size_t)(nl - p + 1), why);
		if (k != 0)
			return k;
		p = nl + 1;
	}
	return k;
}

static void
test_one_line(void **state)
{
	struct smtp_reply	 r;
	const char		*why;
	char			 one[128];

	(void)state;
	assert_int_equal(feed(&r, "250 2.1.0 Ok\r\n", &why), 1);
	assert_int_equal(r.code, 250);
	assert_string_equal(r.enhanced, "2.1.0");
	assert_int_equal(r.nlines, 1);
	smtp_reply_oneline(&r, one, sizeof(one));
	assert_string_equal(one, "250 2.1.0 Ok");
	/* a bare code, and a bare LF, are whole replies */
	assert_int_equal(feed(&r, "354\n", &why), 1);
	assert_int_equal(r.code, 354);
	assert_string_equal(r.enhanced, "");
	/* an enhanced code of another class is text, not a code */
	assert_int_equal(feed(&r, "550 4.1.1 odd\r\n", &why), 1);
	assert_string_equal(r.enhanced, "");
	assert_int_equal(feed(&r, "250 2.1.0x\r\n", &why), 1);
	assert_string_equal(r.enhanced, "");
}

static void
test_many_lines(void **state)
{
	struct smtp_reply	 r;
	const char		*why;
	char			 one[128];

	(void)state;
	assert_int_equal(feed(&r, "550-5.1.1 <a@b>: no\r\n"
	    "550-5.1.1 such\r\n550 5.1.1 user\r\n", &why), 1);
	assert_int_equal(r.nlines, 3);
	assert_string_equal(smtp_reply_text(&r, 1), "5.1.1 such");
	assert_null(smtp_reply_text(&r, 3));
	smtp_reply_oneline(&r, one, sizeof(one));
	assert_string_equal(one, "550 5.1.1 <a@b>: no such user");
	/* cut to the room, always terminated */
	smtp_reply_oneline(&r, one, 8);
	assert_string_equal(one, "550 5.1");
	/* bytes beyond ASCII become '?' on one line */
	assert_int_equal(feed(&r, "250 caf\xc3\xa9\r\n", &why), 1);
	smtp_reply_oneline(&r, one, sizeof(one));
	assert_string_equal(one, "250 caf??");
}

static void
bad(const char *text, const char *want)
{
	struct smtp_reply	 r;
	const char		*why;

	assert_int_equal(feed(&r, text, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, want);
	/* a failed reply stays failed */
	assert_int_equal(smtp_reply_line(&r, "250 ok\r\n", 8, &why), -1);
}

static void
test_refusals(void **state)
{
	struct smtp_reply	 r;
	const char		*why;
	char			 big[SMTP_REPLY_LINE_MAX + 8];
	int			 i;

	(void)state;
	bad("hello\r\n", "reply line does not start with a code");
	bad("25\r\n", "reply line does not start with a code");
	bad("150 old\r\n", "reply line does not start with a code");
	bad("650 x\r\n", "reply line does not start with a code");
	bad("260 x\r\n", "reply line does not start with a code");
	bad("25O x\r\n", "reply line does not start with a code");
	bad("250x\r\n", "no space or hyphen after the reply code");
	bad("250-a\r\n251 b\r\n", "reply lines with different codes");
	bad("250-a\r\ngarbage\r\n", "reply line does not start with a code");
	bad("250 a\rb\r\n", "control byte in reply");
	bad("250 a\033[1m\r\n", "control byte in reply");
	/* the NUL inside: fed with its real length */
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_line(&r, "250 a\0b\r\n", 9, &why), -1);
	assert_string_equal(why, "control byte in reply");
	/* no LF at all */
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_line(&r, "250 ok", 6, &why), -1);
	/* a line after the end */
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_line(&r, "250 ok\r\n", 8, &why), 1);
	assert_int_equal(smtp_reply_line(&r, "250 ok\r\n", 8, &why), -1);
	assert_string_equal(why, "line after the end of a reply");
	/* a line over the limit */
	memset(big, 'x', sizeof(big));
	memcpy(big, "250 ", 4);
	big[SMTP_REPLY_LINE_MAX] = '\n';
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_line(&r, big, SMTP_REPLY_LINE_MAX + 1,
	    &why), -1);
	assert_string_equal(why, "reply line too long");
	big[SMTP_REPLY_LINE_MAX - 1] = '\n';
	smtp_reply_init(&r);
	assert_int_equal(smtp_reply_line(&r, big, SMTP_REPLY_LINE_MAX, &why),
	    1);
	/* too many lines */
	smtp_reply_init(&r);
	for (i = 0; i < SMTP_REPLY_LINES_MAX; i++)
		assert_int_equal(smtp_reply_line(&r, "250-x\r\n", 7, &why), 0);
	assert_int_equal(smtp_reply_line(&r, "250 x\r\n", 7, &why), -1);
	assert_string_equal(why, "reply with too many lines");
}

static void
test_text_kept_within_room(void **state)
{
	struct smtp_reply	 r;
	const char		*why;
	char			 line[1100];
	int			 i;

	(void)state;
	memset(line, 'a', sizeof(line));
	memcpy(line, "250-", 4);
	line[sizeof(line) - 2] = '\r';
	line[sizeof(line) - 1] = '\n';
	smtp_reply_init(&r);
	for (i = 0; i < 10; i++)
		assert_int_equal(smtp_reply_line(&r, line, sizeof(line), &why),
		    0);
	assert_int_equal(smtp_reply_line(&r, "250 end\r\n", 9, &why), 1);
	assert_int_equal(r.nlines, 11);
	assert_true(r.nkept < 11);
	assert_true(r.textlen <= SMTP_REPLY_TEXT_MAX);
	assert_null(smtp_reply_text(&r, 10));
}

static void
test_ehlo(void **state)
{
	struct smtp_reply	 r;
	struct smtp_ext		 e;
	const char		*why;

	(void)state;
	assert_int_equal(feed(&r, "250-mx.example.org hello\r\n"
	    "250-PIPELINING\r\n250-SIZE 52428800\r\n250-8bitmime\r\n"
	    "250-STARTTLS\r\n250-AUTH LOGIN PLAIN CRAM-MD5\r\n"
	    "250-SMTPUTF8\r\n250-DSN\r\n250 CHUNKING\r\n", &why), 1);
	smtp_ehlo_parse(&r, &e);
	assert_true(e.pipelining && e.eightbitmime && e.starttls &&
	    e.smtputf8 && e.dsn && e.auth_plain && e.auth_login);
	assert_int_equal(e.size, 52428800);
	/* SIZE without a number: no limit; a bad one: as if none */
	assert_int_equal(feed(&r, "250-x\r\n250 SIZE\r\n", &why), 1);
	smtp_ehlo_parse(&r, &e);
	assert_int_equal(e.size, 0);
	assert_int_equal(feed(&r, "250-x\r\n250 SIZE 12x\r\n", &why), 1);
	smtp_ehlo_parse(&r, &e);
	assert_int_equal(e.size, -1);
	assert_int_equal(feed(&r, "250-x\r\n250 SIZE 99999999999999999999\r\n",
	    &why), 1);
	smtp_ehlo_parse(&r, &e);
	assert_int_equal(e.size, -1);
	/* the old AUTH=, and the first line is the greeting, not a keyword */
	assert_int_equal(feed(&r, "250-STARTTLS\r\n250 AUTH=LOGIN\r\n", &why),
	    1);
	smtp_ehlo_parse(&r, &e);
	assert_false(e.starttls);
	assert_true(e.auth_login);
	assert_false(e.auth_plain);
	/* a refusal offers nothing */
	assert_int_equal(feed(&r, "502 no\r\n", &why), 1);
	smtp_ehlo_parse(&r, &e);
	assert_false(e.pipelining);
	assert_int_equal(e.size, -1);
}

static void
test_dsn(void **state)
{
	char	d[12];

	(void)state;
	smtp_reply_dsn(550, "5.1.1 no", d, sizeof(d));
	assert_string_equal(d, "5.1.1");
	smtp_reply_dsn(550, "no code", d, sizeof(d));
	assert_string_equal(d, "5.0.0");
	smtp_reply_dsn(451, "5.1.1 mismatch", d, sizeof(d));
	assert_string_equal(d, "4.0.0");
	smtp_reply_dsn(250, "2.0.0", d, sizeof(d));
	assert_string_equal(d, "2.0.0");
	smtp_reply_dsn(421, "4.1234.1 too long", d, sizeof(d));
	assert_string_equal(d, "4.0.0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_many_lines),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_text_kept_within_room),
		cmocka_unit_test(test_ehlo),
		cmocka_unit_test(test_dsn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
