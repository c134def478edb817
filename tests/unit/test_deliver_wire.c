/*
 * Unit tests for deliver/deliver_wire.c: job and result packets round trip
 * (the null sender too), and the decoders refuse what a broken or
 * hostile peer could send: wrong field counts, a wrong tag or status, an
 * empty, over-long or control-byte text, packets past DELIVER_WIRE_MAX.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "deliver_wire.h"

static char	pkt[DELIVER_WIRE_MAX + 1];

/* Copies len octets into pkt and NUL-terminates, as fdpass_recv_max does. */
static char *
packet(const char *data, size_t len)
{
	assert_true(len <= DELIVER_WIRE_MAX);
	memcpy(pkt, data, len);
	pkt[len] = '\0';
	return pkt;
}

static void
test_job_round_trip(void **state)
{
	struct delivery	 in = { "a@example.org", "bob@example.org",
			    "4ABCDEFGHJKLMN", "/home/bob/Maildir" }, out;
	char		 buf[DELIVER_WIRE_MAX];
	size_t		 len;

	(void)state;
	assert_int_equal(deliver_job_encode(&in, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 2 + 15 + 14 + 16 + 17);
	assert_memory_equal(buf, "J\0004ABCDEFGHJKLMN\0a@example.org\0"
	    "bob@example.org\0/home/bob/Maildir", len);
	assert_int_equal(deliver_job_decode(packet(buf, len), len, &out), 0);
	assert_string_equal(out.id, in.id);
	assert_string_equal(out.sender, in.sender);
	assert_string_equal(out.rcpt, in.rcpt);
	assert_string_equal(out.maildir, in.maildir);
	/* the null sender is an empty field, kept */
	in.sender = "";
	assert_int_equal(deliver_job_encode(&in, buf, sizeof(buf), &len), 0);
	assert_int_equal(deliver_job_decode(packet(buf, len), len, &out), 0);
	assert_string_equal(out.sender, "");
	assert_string_equal(out.rcpt, in.rcpt);
}

static void
test_job_encode_refuses(void **state)
{
	static char	 big[DELIVER_WIRE_MAX + 10];
	struct delivery	 d = { "", "bob@example.org", "4ABCDEFGHJKLMN",
			    "/m" };
	char		 buf[DELIVER_WIRE_MAX];
	size_t		 len;

	(void)state;
	/* too long for the buffer, or for any packet */
	errno = 0;
	assert_int_equal(deliver_job_encode(&d, buf, 20, &len), -1);
	assert_int_equal(errno, EMSGSIZE);
	memset(big, 'm', sizeof(big) - 1);
	big[0] = '/';
	d.maildir = big;
	errno = 0;
	assert_int_equal(deliver_job_encode(&d, buf, sizeof(buf), &len), -1);
	assert_int_equal(errno, EMSGSIZE);
	/* values missing */
	d.maildir = NULL;
	errno = 0;
	assert_int_equal(deliver_job_encode(&d, buf, sizeof(buf), &len), -1);
	assert_int_equal(errno, EINVAL);
	d.maildir = "/m";
	d.rcpt = "";
	assert_int_equal(deliver_job_encode(&d, buf, sizeof(buf), &len), -1);
}

static void
job_bad(const char *data, size_t len)
{
	struct delivery	 d;

	errno = 0;
	assert_int_equal(deliver_job_decode(packet(data, len), len, &d), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_job_decode_refuses(void **state)
{
	(void)state;
	job_bad("J\0id\0s\0r", 8);			/* four fields */
	job_bad("J\0id\0s\0r\0/m\0", 12);		/* six (trailing NUL) */
	job_bad("J\0id\0s\0r\0/m\0x", 13);		/* six */
	job_bad("X\0id\0s\0r\0/m", 11);		/* not a job */
	job_bad("JJ\0id\0s\0r\0/m", 12);
	job_bad("J\0\0s\0r\0/m", 9);			/* no id */
	job_bad("J\0id\0s\0\0/m", 10);		/* no recipient */
	job_bad("J\0id\0s\0r\0", 9);			/* no maildir */
	job_bad("", 0);
}

static void
test_result_round_trip(void **state)
{
	char		 buf[DELIVER_WIRE_MAX], text[DELIVER_TEXT_MAX + 1], st;
	const char	*t;
	size_t		 len;

	(void)state;
	assert_int_equal(deliver_result_encode('K', "delivered to maildir",
	    buf, sizeof(buf), &len), 0);
	assert_memory_equal(buf, "R\0K\0delivered to maildir", len);
	assert_int_equal(deliver_result_decode(packet(buf, len), len, &st, &t),
	    0);
	assert_int_equal(st, 'K');
	assert_string_equal(t, "delivered to maildir");
	/* the longest text */
	memset(text, 'x', DELIVER_TEXT_MAX);
	text[DELIVER_TEXT_MAX] = '\0';
	assert_int_equal(deliver_result_encode('D', text, buf, sizeof(buf),
	    &len), 0);
	assert_int_equal(deliver_result_decode(packet(buf, len), len, &st, &t),
	    0);
	assert_int_equal(st, 'D');
	assert_int_equal(strlen(t), DELIVER_TEXT_MAX);
	/* the encoder refuses what the decoder would */
	assert_int_equal(deliver_result_encode('X', "t", buf, sizeof(buf),
	    &len), -1);
	assert_int_equal(deliver_result_encode('Z', "", buf, sizeof(buf),
	    &len), -1);
	assert_int_equal(deliver_result_encode('Z', "a\nb", buf, sizeof(buf),
	    &len), -1);
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

	errno = 0;
	assert_int_equal(deliver_result_decode(packet(data, len), len, &st,
	    &t), -1);
	assert_int_equal(errno, EBADMSG);
}

static void
test_result_decode_refuses(void **state)
{
	static char	 big[DELIVER_TEXT_MAX + 5];

	(void)state;
	result_bad("R\0K", 3);				/* two fields */
	result_bad("R\0K\0ok\0", 7);			/* four */
	result_bad("R\0K\0ok\0more", 11);
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
	result_bad("", 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_job_round_trip),
		cmocka_unit_test(test_job_encode_refuses),
		cmocka_unit_test(test_job_decode_refuses),
		cmocka_unit_test(test_result_round_trip),
		cmocka_unit_test(test_result_decode_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
