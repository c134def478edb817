/*
 * Unit tests for deliver/deliver_wire.c: job and result frames round trip
 * through the channel's framing (the null sender too), and the decoders
 * refuse what a broken or hostile peer could send: wrong field counts, a
 * wrong tag or status, an empty, over-long or control-byte text; frames
 * past DELIVER_WIRE_MAX do not get through the channel at all.  lspawn's
 * verdict on what a worker sends: a result only from a worker with a
 * job and without a descriptor; a refused frame kills the worker, its
 * end or a socket error only retires it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "deliver_wire.h"
#include "netstring.h"

static char	wire[CHAN_WIRE_MAX + 1];
static char	*fields[CHAN_FIELDS_MAX];

/* The fields a receiver gets for this payload, as the channel frames it. */
static int
payload(const char *data, size_t len)
{
	struct buf	 b;
	int		 nf;

	buf_init(&b, CHAN_WIRE_MAX);
	if (netstring_encode(&b, data, len) == -1) {
		buf_free(&b);
		return -1;
	}
	memcpy(wire, b.data, b.len);
	nf = chan_parse(wire, b.len, DELIVER_WIRE_MAX, fields,
	    CHAN_FIELDS_MAX);
	buf_free(&b);
	return nf;
}

/* The fields a receiver gets for these sent fields. */
static int
sent(const char *const *f, int nf)
{
	struct buf	 b;
	int		 n;

	buf_init(&b, CHAN_WIRE_MAX);
	assert_int_equal(frame_encode(&b, f, nf), 0);
	memcpy(wire, b.data, b.len);
	n = chan_parse(wire, b.len, DELIVER_WIRE_MAX, fields,
	    CHAN_FIELDS_MAX);
	buf_free(&b);
	return n;
}

static void
test_job_round_trip(void **state)
{
	struct delivery	 in = { "a@example.org", "bob@example.org",
			    "4ABCDEFGHJKLMN", "/home/bob/Maildir", 0, NULL, 0 },
			 out;
	const char	*f[DELIVER_JOB_FIELDS];
	int		 nf;

	(void)state;
	assert_int_equal(deliver_job_fields(&in, f), 0);
	assert_string_equal(f[0], "J");
	nf = sent(f, DELIVER_JOB_FIELDS);
	assert_int_equal(deliver_job_decode(fields, nf, &out), 0);
	assert_string_equal(out.id, in.id);
	assert_string_equal(out.sender, in.sender);
	assert_string_equal(out.rcpt, in.rcpt);
	assert_string_equal(out.maildir, in.maildir);
	assert_int_equal(out.check, 0);
	/* the flag to look in the Maildir first */
	in.check = 1;
	assert_int_equal(deliver_job_fields(&in, f), 0);
	assert_string_equal(f[5], "1");
	nf = sent(f, DELIVER_JOB_FIELDS);
	assert_int_equal(deliver_job_decode(fields, nf, &out), 0);
	assert_int_equal(out.check, 1);
	in.check = 0;
	/* the null sender is an empty field, kept */
	in.sender = "";
	assert_int_equal(deliver_job_fields(&in, f), 0);
	nf = sent(f, DELIVER_JOB_FIELDS);
	assert_int_equal(deliver_job_decode(fields, nf, &out), 0);
	assert_string_equal(out.sender, "");
	assert_string_equal(out.rcpt, in.rcpt);
}

static void
test_job_fields_refuse(void **state)
{
	struct delivery	 d = { "", "bob@example.org", "4ABCDEFGHJKLMN",
			    "/m", 0, NULL, 0 };
	const char	*f[DELIVER_JOB_FIELDS];

	(void)state;
	d.maildir = NULL;
	errno = 0;
	assert_int_equal(deliver_job_fields(&d, f), -1);
	assert_int_equal(errno, EINVAL);
	d.maildir = "/m";
	d.rcpt = "";
	assert_int_equal(deliver_job_fields(&d, f), -1);
	d.rcpt = "bob@example.org";
	d.id = "";
	assert_int_equal(deliver_job_fields(&d, f), -1);
}

static void
job_bad(const char *data, size_t len)
{
	struct delivery	 d;
	int		 nf;

	if ((nf = payload(data, len)) == -1)
		return;		/* the channel refuses it already */
	errno = 0;
	assert_int_equal(deliver_job_decode(fields, nf, &d), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_job_decode_refuses(void **state)
{
	static char	 big[DELIVER_WIRE_MAX + 2];

	(void)state;
	job_bad("J\0id\0s\0r", 8);			/* four fields */
	job_bad("J\0id\0s\0r\0/m", 11);		/* five */
	job_bad("J\0id\0s\0r\0/m\0" "0\0x", 15);	/* seven */
	job_bad("X\0id\0s\0r\0/m\0" "0", 13);	/* not a job */
	job_bad("JJ\0id\0s\0r\0/m\0" "0", 14);
	job_bad("J\0\0s\0r\0/m\0" "0", 11);		/* no id */
	job_bad("J\0id\0s\0\0/m\0" "0", 12);		/* no recipient */
	job_bad("J\0id\0s\0r\0\0" "0", 11);		/* no maildir */
	job_bad("J\0id\0s\0r\0/m\0" "2", 13);	/* check: 0 or 1 */
	job_bad("J\0id\0s\0r\0/m\0", 12);		/* no check */
	job_bad("J\0id\0s\0r\0/m\0" "01", 14);
	assert_int_equal(payload("", 0), -1);		/* no field */
	/* one octet past the limit never reaches the decoder */
	memcpy(big, "J\0id\0s\0r\0/", 10);
	memset(big + 10, 'm', sizeof(big) - 10);
	assert_int_equal(payload(big, DELIVER_WIRE_MAX + 1), -1);
	assert_true(payload(big, DELIVER_WIRE_MAX) > 0);
}

static void
test_result_round_trip(void **state)
{
	const char	*f[DELIVER_RESULT_FIELDS], *t;
	char		 text[DELIVER_TEXT_MAX + 1], st, s2[2];
	int		 nf;

	(void)state;
	assert_int_equal(deliver_result_fields('K', "delivered to maildir",
	    s2, f), 0);
	nf = sent(f, DELIVER_RESULT_FIELDS);
	assert_int_equal(nf, 3);
	assert_int_equal(deliver_result_decode(fields, nf, &st, &t), 0);
	assert_int_equal(st, 'K');
	assert_string_equal(t, "delivered to maildir");
	/* the longest text */
	memset(text, 'x', DELIVER_TEXT_MAX);
	text[DELIVER_TEXT_MAX] = '\0';
	assert_int_equal(deliver_result_fields('D', text, s2, f), 0);
	nf = sent(f, DELIVER_RESULT_FIELDS);
	assert_int_equal(deliver_result_decode(fields, nf, &st, &t), 0);
	assert_int_equal(st, 'D');
	assert_int_equal(strlen(t), DELIVER_TEXT_MAX);
	/* the encoder refuses what the decoder would */
	assert_int_equal(deliver_result_fields('X', "t", s2, f), -1);
	assert_int_equal(deliver_result_fields('Z', "", s2, f), -1);
	assert_int_equal(deliver_result_fields('Z', "a\nb", s2, f), -1);
	assert_int_equal(deliver_status(DELIVER_OK), 'K');
	assert_int_equal(deliver_status(DELIVER_PERM), 'D');
	assert_int_equal(deliver_status(DELIVER_TEMP), 'Z');
	assert_int_equal(deliver_status(1), 'Z');
}

static void
result_bad(const char *data, size_t len)
{
	const char	*t = NULL;
	char		 st = 0;
	int		 nf;

	if ((nf = payload(data, len)) == -1)
		return;
	errno = 0;
	assert_int_equal(deliver_result_decode(fields, nf, &st, &t), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_result_decode_refuses(void **state)
{
	static char	 big[DELIVER_TEXT_MAX + 5];

	(void)state;
	result_bad("R\0K", 3);				/* two fields */
	result_bad("R\0K\0ok\0more", 11);		/* four */
	result_bad("J\0K\0ok", 6);			/* wrong tag */
	result_bad("R\0k\0ok", 6);			/* wrong status */
	result_bad("R\0KZ\0ok", 7);
	result_bad("R\0\0ok", 5);
	result_bad("R\0K\0", 4);			/* empty text */
	result_bad("R\0K\0a\rb", 7);			/* control bytes */
	result_bad("R\0K\0a\nb", 7);
	result_bad("R\0K\0a\177", 6);
	memcpy(big, "R\0K\0", 4);
	memset(big + 4, 'y', DELIVER_TEXT_MAX + 1);	/* one octet too many */
	result_bad(big, 4 + DELIVER_TEXT_MAX + 1);
}

/* lspawn's verdict on what a worker sends (deliver_result_take). */
static void
test_result_take(void **state)
{
	char		*f[3] = { (char *)"R", (char *)"K", (char *)"ok" };
	const char	*text = NULL;
	char		 status = 0;

	(void)state;
	assert_int_equal(deliver_result_take(1, 0, f, 3, 0, 1, &status,
	    &text), WIRE_RESULT);
	assert_int_equal(status, 'K');
	assert_string_equal(text, "ok");
	/* from a worker without a job, with a descriptor: killed */
	assert_int_equal(deliver_result_take(1, 0, f, 3, 0, 0, &status,
	    &text), WIRE_KILL);
	assert_int_equal(deliver_result_take(1, 0, f, 3, 1, 1, &status,
	    &text), WIRE_KILL);
	f[1] = (char *)"Q";
	assert_int_equal(deliver_result_take(1, 0, f, 3, 0, 1, &status,
	    &text), WIRE_KILL);
	/* a frame the channel refused kills; its end or an error does not */
	assert_int_equal(deliver_result_take(-1, EBADMSG, f, 0, 0, 1,
	    &status, &text), WIRE_KILL);
	assert_int_equal(deliver_result_take(-1, ECONNRESET, f, 0, 0, 1,
	    &status, &text), WIRE_END);
	assert_int_equal(deliver_result_take(0, 0, f, 0, 0, 1, &status,
	    &text), WIRE_END);
	assert_int_equal(deliver_result_take(0, 0, f, 0, 0, 0, &status,
	    &text), WIRE_END);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_round_trip),
		cmocka_unit_test(test_job_fields_refuse),
		cmocka_unit_test(test_job_decode_refuses),
		cmocka_unit_test(test_result_round_trip),
		cmocka_unit_test(test_result_decode_refuses),
		cmocka_unit_test(test_result_take),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
