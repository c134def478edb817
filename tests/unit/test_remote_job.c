/*
 * Unit tests for lib/queue/remote_job.c: requests filled recipient by
 * recipient up to the frame's room, results and ends round trip, and
 * what a broken or hostile sender's frames earn: refusal of a wrong
 * field count, tag, slot, index, status, a dsn of the wrong class,
 * control bytes, leading zeros, over-long texts, an empty recipient.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "netstring.h"
#include "remote_job.h"

static struct chan_msg	msg;

/* A received frame: the fields of p[0..n) (NUL-separated) in msg. */
static struct chan_msg *
frame(const char *p, size_t n)
{
	memset(&msg, 0, sizeof(msg));
	assert_true(n <= CHAN_WIRE_MAX);
	memcpy(msg.data, p, n);
	msg.data[n] = '\0';
	msg.len = n;
	msg.nf = frame_split(msg.data, n, msg.f, CHAN_FIELDS_MAX);
	return &msg;
}

/* The frame of fields f (what chan_send would put on the wire). */
static struct chan_msg *
fields(const char *const *f, int nf)
{
	char	 b[CHAN_WIRE_MAX];
	size_t	 n = 0, k;
	int	 i;

	for (i = 0; i < nf; i++) {
		k = strlen(f[i]);
		assert_true(n + k + 1 < sizeof(b));
		memcpy(b + n, f[i], k);
		n += k;
		if (i + 1 < nf)
			b[n++] = '\0';
	}
	return frame(b, n);
}

#define FRAME(lit)	frame(lit, sizeof(lit) - 1)

static void
test_request(void **state)
{
	static struct rjob	 j;
	static struct rjob_out	 o;
	char			 rcpt[1001];
	size_t			 n, payload;
	int			 i;

	(void)state;
	assert_int_equal(rjob_begin(&o, 7, "NHCC6WBJK8GETN", "",
	    "[mx.example.org]:587"), 0);
	assert_int_equal(rjob_add_rcpt(&o, "a@b.c"), 0);
	assert_int_equal(rjob_add_rcpt(&o, "d@e.f"), 0);
	assert_string_equal(o.f[5], "a@b.c\nd@e.f");
	assert_int_equal(rjob_decode(fields(o.f, 6), &j), 0);
	assert_int_equal(j.slot, 7);
	assert_string_equal(j.id, "NHCC6WBJK8GETN");
	assert_string_equal(j.sender, "");
	assert_string_equal(j.nexthop, "[mx.example.org]:587");
	assert_int_equal(j.nrcpt, 2);
	assert_string_equal(j.rcpt[1], "d@e.f");
	/* recipients until the frame is full, then EMSGSIZE, unchanged */
	assert_int_equal(rjob_begin(&o, 0, "NHCC6WBJK8GETN", "s@t.u",
	    "example.org"), 0);
	memset(rcpt, 'r', 1000);
	rcpt[1000] = '\0';
	rcpt[500] = '@';
	for (n = 0; rjob_add_rcpt(&o, rcpt) == 0; n++)
		continue;
	assert_int_equal(errno, EMSGSIZE);
	for (payload = 0, i = 0; i < 6; i++)
		payload += strlen(o.f[i]) + (i < 5);
	assert_true(payload <= RJOB_FRAME_MAX);
	assert_true(payload + 1001 > RJOB_FRAME_MAX);
	assert_int_equal(rjob_decode(fields(o.f, 6), &j), 0);
	assert_int_equal(j.nrcpt, n);
	/* values the decoder would refuse are refused here */
	assert_int_equal(rjob_begin(&o, RJOB_SLOT_MAX, "NHCC6WBJK8GETN", "",
	    "x.y"), -1);
	assert_int_equal(rjob_begin(&o, 1, "bad id", "", "x.y"), -1);
	assert_int_equal(rjob_begin(&o, 1, "NHCC6WBJK8GETN", "a\nb", "x.y"),
	    -1);
	assert_int_equal(rjob_begin(&o, 1, "NHCC6WBJK8GETN", "", "[x"), -1);
	assert_int_equal(rjob_begin(&o, 1, "NHCC6WBJK8GETN", "", "x.y"), 0);
	assert_int_equal(rjob_add_rcpt(&o, ""), -1);
	assert_int_equal(rjob_add_rcpt(&o, "a\nb"), -1);
	assert_int_equal(rjob_add_rcpt(&o, "a\rb"), -1);
}

#define REQUEST_BAD(lit)	do {					\
	static struct rjob j_;						\
	assert_int_equal(rjob_decode(FRAME(lit), &j_), -1);		\
	assert_int_equal(errno, EBADMSG);				\
} while (0)

static void
test_request_refusals(void **state)
{
	(void)state;
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GETN\0\0x.y");	/* 5 fields */
	REQUEST_BAD("K\0" "1\0" "NHCC6WBJK8GETN\0\0x.y\0a@b");
	REQUEST_BAD("J\0" "01\0" "NHCC6WBJK8GETN\0\0x.y\0a@b");
	REQUEST_BAD("J\0" "1000\0" "NHCC6WBJK8GETN\0\0x.y\0a@b");
	REQUEST_BAD("J\0" "-1\0" "NHCC6WBJK8GETN\0\0x.y\0a@b");
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GET\0\0x.y\0a@b");
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GETN\0\0[x.y\0a@b");
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GETN\0\0x.y\0a@b\n");
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GETN\0\0x.y\0\na@b");
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GETN\0\0x.y\0a@b\n\nc@d");
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GETN\0\0x.y\0a\tb");
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GETN\0a\rb\0x.y\0a@b");
}

static void
test_replies(void **state)
{
	struct rjob_result	 r = { 3, 12, 'D', "5.1.1", "mx[192.0.2.1]:25",
				    "host mx said: 550 no" }, rr;
	struct rjob_end		 e = { 3, 1, 10, 20, 30, 2 }, ee;
	struct rjob_fields	 o;
	int			 kind;

	(void)state;
	assert_int_equal(rjob_result_fields(&r, &o), 0);
	assert_int_equal(rjob_reply_decode(fields(o.f, 7), &kind, &rr, &ee),
	    0);
	assert_int_equal(kind, 'R');
	assert_int_equal(rr.slot, 3);
	assert_int_equal(rr.index, 12);
	assert_int_equal(rr.status, 'D');
	assert_string_equal(rr.dsn, "5.1.1");
	assert_string_equal(rr.relay, "mx[192.0.2.1]:25");
	assert_string_equal(rr.text, "host mx said: 550 no");
	assert_int_equal(rjob_end_fields(&e, &o), 0);
	assert_int_equal(rjob_reply_decode(fields(o.f, 7), &kind, &rr, &ee),
	    0);
	assert_int_equal(kind, 'E');
	assert_int_equal(ee.site, RJOB_SITE_DOWN);
	assert_int_equal(ee.xfer_ms, 30);
	assert_int_equal(ee.conn_use, 2);
	e.site = RJOB_SITE_UNTRIED;
	assert_int_equal(rjob_end_fields(&e, &o), 0);
	assert_string_equal(o.f[2], "2");
	assert_int_equal(rjob_reply_decode(fields(o.f, 7), &kind, &rr, &ee),
	    0);
	assert_int_equal(ee.site, RJOB_SITE_UNTRIED);
	e.site = 3;
	assert_int_equal(rjob_end_fields(&e, &o), -1);
	/* the dsn's class must match the status */
	r.dsn = "4.1.1";
	assert_int_equal(rjob_result_fields(&r, &o), -1);
	assert_true(rjob_dsn_ok("2.0.0", 'K'));
	assert_true(rjob_dsn_ok("4.123.456", 'Z'));
	assert_false(rjob_dsn_ok("4.1234.1", 'Z'));
	assert_false(rjob_dsn_ok("5.1", 'D'));
	assert_false(rjob_dsn_ok("5.1.1 ", 'D'));
	assert_false(rjob_dsn_ok("2.0.0", 'X'));
}

#define REPLY_BAD(lit)	do {						\
	struct rjob_result r_;						\
	struct rjob_end e_;						\
	int k_;								\
	assert_int_equal(rjob_reply_decode(FRAME(lit), &k_, &r_, &e_), -1); \
	assert_int_equal(errno, EBADMSG);				\
} while (0)

static void
test_reply_refusals(void **state)
{
	struct rjob_result	 r;
	struct rjob_end		 e;
	char			 big[RJOB_TEXT_MAX + 2];
	const char		*f[7] = { "R", "0", "0", "K", "2.0.0", "r", big };
	int			 kind;

	(void)state;
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0relay");		/* 6 */
	REPLY_BAD("R\0" "0\0" "1000\0K\0" "2.0.0\0r\0ok");	/* index */
	REPLY_BAD("R\0" "0\0" "00\0K\0" "2.0.0\0r\0ok");
	REPLY_BAD("R\0" "0\0" "0\0Q\0" "2.0.0\0r\0ok");		/* status */
	REPLY_BAD("R\0" "0\0" "0\0KK\0" "2.0.0\0r\0ok");
	REPLY_BAD("R\0" "0\0" "0\0K\0" "5.0.0\0r\0ok");		/* class */
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0\0ok");		/* relay */
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0r\0a\nb");	/* text */
	REPLY_BAD("E\0" "0\0" "3\0" "1\0" "1\0" "1\0" "1");	/* site */
	REPLY_BAD("E\0" "0\0" "01\0" "1\0" "1\0" "1\0" "1");
	REPLY_BAD("E\0" "0\0" "1\0" "1\0" "1\0" "1");		/* 6 */
	REPLY_BAD("E\0" "0\0" "1\0" "1\0" "1\0" "9999999999\0" "1");
	REPLY_BAD("X\0" "0");
	memset(big, 't', RJOB_TEXT_MAX + 1);
	big[RJOB_TEXT_MAX + 1] = '\0';
	assert_int_equal(rjob_reply_decode(fields(f, 7), &kind, &r, &e), -1);
	big[RJOB_TEXT_MAX] = '\0';
	assert_int_equal(rjob_reply_decode(fields(f, 7), &kind, &r, &e), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_reply_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
