/*
 * Unit tests for lib/queue/remote_job.c: requests filled recipient by
 * recipient up to the packet's room, results and ends round trip, and
 * what a broken or hostile sender's packets earn: refusal of a wrong
 * field count, tag, slot, index, status, a dsn of the wrong class,
 * control bytes, leading zeros, over-long texts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "remote_job.h"

static char	pkt[RJOB_PACKET_MAX + 1];

static char *
packet(const char *data, size_t len)
{
	assert_true(len <= RJOB_PACKET_MAX);
	memcpy(pkt, data, len);
	pkt[len] = '\0';
	return pkt;
}

static void
test_request(void **state)
{
	static struct rjob	 j;
	char			 buf[RJOB_PACKET_MAX];
	char			 rcpt[1001];
	size_t			 len, n;

	(void)state;
	assert_int_equal(rjob_begin(buf, sizeof(buf), &len, 7,
	    "NHCC6WBJK8GETN", "", "[mx.example.org]:587"), 0);
	assert_int_equal(rjob_add_rcpt(buf, sizeof(buf), &len, "a@b.c"), 0);
	assert_int_equal(rjob_add_rcpt(buf, sizeof(buf), &len, "d@e.f"), 0);
	assert_int_equal(rjob_decode(packet(buf, len), len, &j), 0);
	assert_int_equal(j.slot, 7);
	assert_string_equal(j.id, "NHCC6WBJK8GETN");
	assert_string_equal(j.sender, "");
	assert_string_equal(j.nexthop, "[mx.example.org]:587");
	assert_int_equal(j.nrcpt, 2);
	assert_string_equal(j.rcpt[1], "d@e.f");
	/* recipients until the packet is full, then EMSGSIZE, unchanged */
	assert_int_equal(rjob_begin(buf, sizeof(buf), &len, 0,
	    "NHCC6WBJK8GETN", "s@t.u", "example.org"), 0);
	memset(rcpt, 'r', 1000);
	rcpt[1000] = '\0';
	rcpt[500] = '@';
	for (n = 0; rjob_add_rcpt(buf, sizeof(buf), &len, rcpt) == 0; n++)
		continue;
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(n, (RJOB_PACKET_MAX - len) / 1001 + n);
	assert_int_equal(rjob_decode(packet(buf, len), len, &j), 0);
	assert_int_equal(j.nrcpt, n);
	/* values the decoder would refuse are refused here */
	assert_int_equal(rjob_begin(buf, sizeof(buf), &len, RJOB_SLOT_MAX,
	    "NHCC6WBJK8GETN", "", "x.y"), -1);
	assert_int_equal(rjob_begin(buf, sizeof(buf), &len, 1, "bad id", "",
	    "x.y"), -1);
	assert_int_equal(rjob_begin(buf, sizeof(buf), &len, 1,
	    "NHCC6WBJK8GETN", "a\nb", "x.y"), -1);
	assert_int_equal(rjob_begin(buf, sizeof(buf), &len, 1,
	    "NHCC6WBJK8GETN", "", "[x"), -1);
	assert_int_equal(rjob_begin(buf, sizeof(buf), &len, 1,
	    "NHCC6WBJK8GETN", "", "x.y"), 0);
	assert_int_equal(rjob_add_rcpt(buf, sizeof(buf), &len, ""), -1);
	assert_int_equal(rjob_add_rcpt(buf, sizeof(buf), &len, "a\rb"), -1);
}

static void
request_bad(const char *p, size_t n)
{
	static struct rjob	j;

	assert_int_equal(rjob_decode(packet(p, n), n, &j), -1);
	assert_int_equal(errno, EBADMSG);
}

#define REQUEST_BAD(lit)	request_bad(lit, sizeof(lit) - 1)

static void
test_request_refusals(void **state)
{
	(void)state;
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GETN\0\0x.y");	/* no rcpt */
	REQUEST_BAD("K\0" "1\0" "NHCC6WBJK8GETN\0\0x.y\0a@b");
	REQUEST_BAD("J\0" "01\0" "NHCC6WBJK8GETN\0\0x.y\0a@b");
	REQUEST_BAD("J\0" "1000\0" "NHCC6WBJK8GETN\0\0x.y\0a@b");
	REQUEST_BAD("J\0" "-1\0" "NHCC6WBJK8GETN\0\0x.y\0a@b");
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GET\0\0x.y\0a@b");
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GETN\0\0[x.y\0a@b");
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GETN\0\0x.y\0");	/* empty rcpt */
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GETN\0\0x.y\0a\tb");
	request_bad("", 0);
}

static void
test_replies(void **state)
{
	struct rjob_result	 r = { 3, 12, 'D', "5.1.1", "mx[192.0.2.1]:25",
				    "host mx said: 550 no" }, rr;
	struct rjob_end		 e = { 3, 1, 10, 20, 30, 2 }, ee;
	char			 buf[RJOB_PACKET_MAX];
	size_t			 len;
	int			 kind;

	(void)state;
	assert_int_equal(rjob_result_encode(&r, buf, sizeof(buf), &len), 0);
	assert_int_equal(rjob_reply_decode(packet(buf, len), len, &kind, &rr,
	    &ee), 0);
	assert_int_equal(kind, 'R');
	assert_int_equal(rr.slot, 3);
	assert_int_equal(rr.index, 12);
	assert_int_equal(rr.status, 'D');
	assert_string_equal(rr.dsn, "5.1.1");
	assert_string_equal(rr.relay, "mx[192.0.2.1]:25");
	assert_string_equal(rr.text, "host mx said: 550 no");
	assert_int_equal(rjob_end_encode(&e, buf, sizeof(buf), &len), 0);
	assert_int_equal(rjob_reply_decode(packet(buf, len), len, &kind, &rr,
	    &ee), 0);
	assert_int_equal(kind, 'E');
	assert_int_equal(ee.site, 1);
	assert_int_equal(ee.xfer_ms, 30);
	assert_int_equal(ee.conn_use, 2);
	/* the dsn's class must match the status */
	r.dsn = "4.1.1";
	assert_int_equal(rjob_result_encode(&r, buf, sizeof(buf), &len), -1);
	assert_true(rjob_dsn_ok("2.0.0", 'K'));
	assert_true(rjob_dsn_ok("4.123.456", 'Z'));
	assert_false(rjob_dsn_ok("4.1234.1", 'Z'));
	assert_false(rjob_dsn_ok("5.1", 'D'));
	assert_false(rjob_dsn_ok("5.1.1 ", 'D'));
	assert_false(rjob_dsn_ok("2.0.0", 'X'));
}

static void
reply_bad(const char *p, size_t n)
{
	struct rjob_result	r;
	struct rjob_end		e;
	int			kind;

	assert_int_equal(rjob_reply_decode(packet(p, n), n, &kind, &r, &e),
	    -1);
	assert_int_equal(errno, EBADMSG);
}

#define REPLY_BAD(lit)	reply_bad(lit, sizeof(lit) - 1)

static void
test_reply_refusals(void **state)
{
	char	big[RJOB_PACKET_MAX];
	size_t	n;

	(void)state;
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0relay\0ok\0more");	/* 8 */
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0relay");	/* 6 fields */
	REPLY_BAD("R\0" "0\0" "1000\0K\0" "2.0.0\0r\0ok");	/* index */
	REPLY_BAD("R\0" "0\0" "00\0K\0" "2.0.0\0r\0ok");
	REPLY_BAD("R\0" "0\0" "0\0Q\0" "2.0.0\0r\0ok");	/* status */
	REPLY_BAD("R\0" "0\0" "0\0KK\0" "2.0.0\0r\0ok");
	REPLY_BAD("R\0" "0\0" "0\0K\0" "5.0.0\0r\0ok");	/* class */
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0\0ok");	/* relay */
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0r\0");	/* text */
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0r\0a\nb");
	REPLY_BAD("E\0" "0\0" "2\0" "1\0" "1\0" "1\0" "1");	/* site */
	REPLY_BAD("E\0" "0\0" "1\0" "1\0" "1\0" "1");	/* 6 fields */
	REPLY_BAD("E\0" "0\0" "1\0" "1\0" "1\0" "9999999999\0" "1");
	REPLY_BAD("X\0" "0");
	n = (size_t)snprintf(big, sizeof(big), "R%c0%c0%cK%c2.0.0%cr%c",
	    0, 0, 0, 0, 0, 0);
	memset(big + n, 't', RJOB_TEXT_MAX + 1);
	reply_bad(big, n + RJOB_TEXT_MAX + 1);
	memset(big + n, 't', RJOB_TEXT_MAX);
	{
		struct rjob_result	r;
		struct rjob_end		e;
		int			kind;

		assert_int_equal(rjob_reply_decode(packet(big, n +
		    RJOB_TEXT_MAX), n + RJOB_TEXT_MAX, &kind, &r, &e), 0);
	}
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
