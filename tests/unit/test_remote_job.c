/*
 * Unit tests for lib/queue/remote_job.c: requests filled recipient by
 * recipient up to the frame's room, results and ends round trip, and
 * what a broken or hostile sender's frames earn: refusal of a wrong
 * field count, tag, slot, index, status, a dsn of the wrong class,
 * control bytes, leading zeros, over-long texts, an empty recipient,
 * and DSN parameters (RET, ENVID, NOTIFY, ORCPT) not in their one form.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dsn.h"
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
	    "[mx.example.org]:587", DSN_RET_NONE, NULL), 0);
	assert_int_equal(rjob_add_rcpt(&o, "a@b.c", 0, NULL), 0);
	assert_int_equal(rjob_add_rcpt(&o, "d@e.f", 0, ""), 0);
	assert_string_equal(o.f[5], "");
	assert_string_equal(o.f[6], "");
	assert_string_equal(o.f[7], "a@b.c\t\t\nd@e.f\t\t");
	assert_int_equal(rjob_decode(fields(o.f, RJOB_REQ_FIELDS), &j), 0);
	assert_int_equal(j.slot, 7);
	assert_string_equal(j.id, "NHCC6WBJK8GETN");
	assert_string_equal(j.sender, "");
	assert_string_equal(j.nexthop, "[mx.example.org]:587");
	assert_int_equal(j.ret, DSN_RET_NONE);
	assert_string_equal(j.envid, "");
	assert_int_equal(j.nrcpt, 2);
	assert_string_equal(j.rcpt[1], "d@e.f");
	assert_int_equal(j.notify[1], 0);
	assert_string_equal(j.orcpt[1], "");
	/* recipients until the frame is full, then EMSGSIZE, unchanged */
	assert_int_equal(rjob_begin(&o, 0, "NHCC6WBJK8GETN", "s@t.u",
	    "example.org", DSN_RET_NONE, NULL), 0);
	memset(rcpt, 'r', 1000);
	rcpt[1000] = '\0';
	rcpt[500] = '@';
	for (n = 0; rjob_add_rcpt(&o, rcpt, 0, NULL) == 0; n++)
		continue;
	assert_int_equal(errno, EMSGSIZE);
	for (payload = 0, i = 0; i < RJOB_REQ_FIELDS; i++)
		payload += strlen(o.f[i]) + (i < RJOB_REQ_FIELDS - 1);
	assert_true(payload <= RJOB_FRAME_MAX);
	assert_true(payload + 1003 > RJOB_FRAME_MAX);
	assert_int_equal(rjob_decode(fields(o.f, RJOB_REQ_FIELDS), &j), 0);
	assert_int_equal(j.nrcpt, n);
	/* values the decoder would refuse are refused here */
	assert_int_equal(rjob_begin(&o, RJOB_SLOT_MAX, "NHCC6WBJK8GETN", "",
	    "x.y", 0, NULL), -1);
	assert_int_equal(rjob_begin(&o, 1, "bad id", "", "x.y", 0, NULL), -1);
	assert_int_equal(rjob_begin(&o, 1, "NHCC6WBJK8GETN", "a\nb", "x.y",
	    0, NULL), -1);
	assert_int_equal(rjob_begin(&o, 1, "NHCC6WBJK8GETN", "", "[x", 0,
	    NULL), -1);
	assert_int_equal(rjob_begin(&o, 1, "NHCC6WBJK8GETN", "", "x.y", 3,
	    NULL), -1);
	assert_int_equal(rjob_begin(&o, 1, "NHCC6WBJK8GETN", "", "x.y", 0,
	    "a\tb"), -1);
	assert_int_equal(rjob_begin(&o, 1, "NHCC6WBJK8GETN", "", "x.y", 0,
	    NULL), 0);
	assert_int_equal(rjob_add_rcpt(&o, "", 0, NULL), -1);
	assert_int_equal(rjob_add_rcpt(&o, "a\nb", 0, NULL), -1);
	assert_int_equal(rjob_add_rcpt(&o, "a\rb", 0, NULL), -1);
	assert_int_equal(rjob_add_rcpt(&o, "a\tb", 0, NULL), -1);
	assert_int_equal(rjob_add_rcpt(&o, "a@b", DSN_NOTIFY_NEVER |
	    DSN_NOTIFY_SUCCESS, NULL), -1);
	assert_int_equal(rjob_add_rcpt(&o, "a@b", 0x10, NULL), -1);
	assert_int_equal(rjob_add_rcpt(&o, "a@b", 0, "rfc822"), -1);
	assert_int_equal(rjob_add_rcpt(&o, "a@b", 0, "rfc822;a\tb"), -1);
	assert_int_equal(o.nrcpt, 0);
}

/* The DSN parameters: RET, ENVID, and per recipient NOTIFY and ORCPT. */
static void
test_request_dsn(void **state)
{
	static struct rjob	 j;
	static struct rjob_out	 o;

	(void)state;
	assert_int_equal(rjob_begin(&o, 2, "NHCC6WBJK8GETN", "s@t.u",
	    "example.org", DSN_RET_HDRS, "env id+1"), 0);
	assert_int_equal(rjob_add_rcpt(&o, "a@b.c", DSN_NOTIFY_SUCCESS |
	    DSN_NOTIFY_DELAY, "rfc822;A@B.C"), 0);
	assert_int_equal(rjob_add_rcpt(&o, "d@e.f", DSN_NOTIFY_NEVER, NULL),
	    0);
	assert_string_equal(o.f[5], "HDRS");
	assert_string_equal(o.f[6], "env id+1");
	assert_string_equal(o.f[7], "a@b.c\tSUCCESS,DELAY\trfc822;A@B.C\n"
	    "d@e.f\tNEVER\t");
	assert_int_equal(rjob_decode(fields(o.f, RJOB_REQ_FIELDS), &j), 0);
	assert_int_equal(j.ret, DSN_RET_HDRS);
	assert_string_equal(j.envid, "env id+1");
	assert_int_equal(j.nrcpt, 2);
	assert_string_equal(j.rcpt[0], "a@b.c");
	assert_int_equal(j.notify[0], DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY);
	assert_string_equal(j.orcpt[0], "rfc822;A@B.C");
	assert_int_equal(j.notify[1], DSN_NOTIFY_NEVER);
	assert_string_equal(j.orcpt[1], "");
	assert_int_equal(rjob_begin(&o, 2, "NHCC6WBJK8GETN", "", "x.y",
	    DSN_RET_FULL, ""), 0);
	assert_string_equal(o.f[5], "FULL");
}

#define REQUEST_BAD(lit)	do {					\
	static struct rjob j_;						\
	assert_int_equal(rjob_decode(FRAME(lit), &j_), -1);		\
	assert_int_equal(errno, EBADMSG);				\
} while (0)

#define ID	"NHCC6WBJK8GETN\0"
static void
test_request_refusals(void **state)
{
	static struct rjob j;

	(void)state;
	/* the good one, then each field spoiled */
	assert_int_equal(rjob_decode(FRAME("J\0" "1\0" ID "\0x.y\0FULL\0e\0"
	    "a@b\tFAILURE\trfc822;a@b"), &j), 0);
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0a@b\t\t");	/* 7 fields */
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0a@b\t\t");	/* 6 fields */
	REQUEST_BAD("K\0" "1\0" ID "\0x.y\0\0\0a@b\t\t");
	REQUEST_BAD("J\0" "01\0" ID "\0x.y\0\0\0a@b\t\t");
	REQUEST_BAD("J\0" "1000\0" ID "\0x.y\0\0\0a@b\t\t");
	REQUEST_BAD("J\0" "-1\0" ID "\0x.y\0\0\0a@b\t\t");
	REQUEST_BAD("J\0" "1\0" "NHCC6WBJK8GET\0\0x.y\0\0\0a@b\t\t");
	REQUEST_BAD("J\0" "1\0" ID "\0[x.y\0\0\0a@b\t\t");
	REQUEST_BAD("J\0" "1\0" ID "a\rb\0x.y\0\0\0a@b\t\t");
	/* recipients: empty, empty lines, no tabs, control bytes */
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a@b\t\t\n");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0\na@b\t\t");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a@b\t\t\n\nc@d\t\t");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a@b");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a@b\t");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a@b\t\t\t");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0\t\t");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a\rb\t\t");
	/* RET: FULL or HDRS, as written */
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0full\0\0a@b\t\t");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0NONE\0\0a@b\t\t");
	/* ENVID: printable ASCII, at most DSN_ENVID_MAX */
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0a\x80\0a@b\t\t");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\0a@b\t\t");
	/* NOTIFY: the canonical text only */
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a@b\tsuccess\t");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a@b\tDELAY,SUCCESS\t");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a@b\tNEVER,DELAY\t");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a@b\tSOMETIMES\t");
	/* ORCPT: addr-type;address */
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a@b\t\ta@b");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a@b\t\trfc822;");
	REQUEST_BAD("J\0" "1\0" ID "\0x.y\0\0\0a@b\t\trfc 822;a@b");
}
#undef ID

static void
test_replies(void **state)
{
	struct rjob_result	 r = { 3, 12, 'D', "5.1.1", "mx[192.0.2.1]:25",
				    "host mx said: 550 no", 0 }, rr;
	struct rjob_end		 e = { 3, 1, 10, 20, 30, 2 }, ee;
	struct rjob_fields	 o;
	int			 kind;

	(void)state;
	assert_int_equal(rjob_result_fields(&r, &o), 0);
	assert_int_equal(o.nf, RJOB_RES_FIELDS);
	assert_string_equal(o.f[7], "0");
	assert_int_equal(rjob_reply_decode(fields(o.f, o.nf), &kind, &rr,
	    &ee), 0);
	assert_int_equal(kind, 'R');
	assert_int_equal(rr.dsn_peer, 0);
	assert_int_equal(rr.slot, 3);
	assert_int_equal(rr.index, 12);
	assert_int_equal(rr.status, 'D');
	assert_string_equal(rr.dsn, "5.1.1");
	assert_string_equal(rr.relay, "mx[192.0.2.1]:25");
	assert_string_equal(rr.text, "host mx said: 550 no");
	/* accepted by a server that listed DSN */
	r.status = 'K';
	r.dsn = "2.0.0";
	r.dsn_peer = 1;
	assert_int_equal(rjob_result_fields(&r, &o), 0);
	assert_string_equal(o.f[7], "1");
	assert_int_equal(rjob_reply_decode(fields(o.f, o.nf), &kind, &rr,
	    &ee), 0);
	assert_int_equal(rr.dsn_peer, 1);
	r.dsn_peer = 2;
	assert_int_equal(rjob_result_fields(&r, &o), -1);
	r.status = 'D';
	r.dsn = "5.1.1";
	r.dsn_peer = 0;
	assert_int_equal(rjob_end_fields(&e, &o), 0);
	assert_int_equal(o.nf, RJOB_END_FIELDS);
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
	const char		*f[8] = { "R", "0", "0", "K", "2.0.0", "r", big,
				    "0" };
	int			 kind;

	(void)state;
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0relay");		/* 6 */
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0r\0ok");		/* 7 */
	REPLY_BAD("R\0" "0\0" "1000\0K\0" "2.0.0\0r\0ok\0" "0");	/* index */
	REPLY_BAD("R\0" "0\0" "00\0K\0" "2.0.0\0r\0ok\0" "0");
	REPLY_BAD("R\0" "0\0" "0\0Q\0" "2.0.0\0r\0ok\0" "0");	/* status */
	REPLY_BAD("R\0" "0\0" "0\0KK\0" "2.0.0\0r\0ok\0" "0");
	REPLY_BAD("R\0" "0\0" "0\0K\0" "5.0.0\0r\0ok\0" "0");	/* class */
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0\0ok\0" "0");	/* relay */
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0r\0a\nb\0" "0");	/* text */
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0r\0ok\0" "2");	/* peer */
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0r\0ok\0" "01");
	REPLY_BAD("R\0" "0\0" "0\0K\0" "2.0.0\0r\0ok\0");
	REPLY_BAD("E\0" "0\0" "1\0" "1\0" "1\0" "1\0" "1\0" "0");	/* 8 */
	REPLY_BAD("E\0" "0\0" "3\0" "1\0" "1\0" "1\0" "1");	/* site */
	REPLY_BAD("E\0" "0\0" "01\0" "1\0" "1\0" "1\0" "1");
	REPLY_BAD("E\0" "0\0" "1\0" "1\0" "1\0" "1");		/* 6 */
	REPLY_BAD("E\0" "0\0" "1\0" "1\0" "1\0" "9999999999\0" "1");
	REPLY_BAD("X\0" "0");
	memset(big, 't', RJOB_TEXT_MAX + 1);
	big[RJOB_TEXT_MAX + 1] = '\0';
	assert_int_equal(rjob_reply_decode(fields(f, 8), &kind, &r, &e), -1);
	big[RJOB_TEXT_MAX] = '\0';
	assert_int_equal(rjob_reply_decode(fields(f, 8), &kind, &r, &e), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_request_dsn),
		cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_reply_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
