/*
 * Unit tests for lib/queue/qmail_env.c: the qmail-queue envelope reader, fed
 * whole and one byte at a time, with each bad input and its exit code,
 * and the encoder round-tripping through the reader; the envelope
 * extension (DSN parameters, the origin) read and refused the same way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "qmail_env.h"
#include "queue_env.h"

#define LIT(s)	s, sizeof(s) - 1

/* Feeds p[0..n) in pieces of `step` bytes; returns the final status. */
static enum qmail_env_status
feed_steps(struct qmail_env *e, const char *p, size_t n, size_t step,
    size_t *total)
{
	enum qmail_env_status st = QMAIL_ENV_MORE;
	size_t off = 0, used, k;

	*total = 0;
	while (off < n) {
		k = n - off < step ? n - off : step;
		st = qmail_env_feed(e, p + off, k, &used);
		*total += used;
		if (st != QMAIL_ENV_MORE)
			return st;
		assert_int_equal(used, k);
		off += k;
	}
	return qmail_env_eof(e);
}

static void
test_good(void **state)
{
	static const char env[] = "Fa@b.example\0Tc@d.example\0Te@f\0\0";
	size_t steps[] = { 1, 2, 3, 7, sizeof(env) };
	size_t i, total;
	struct qmail_env e;

	(void)state;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		qmail_env_init(&e);
		assert_int_equal(feed_steps(&e, env, sizeof(env) - 1, steps[i],
		    &total), QMAIL_ENV_DONE);
		/* Everything up to and including the final NUL. */
		assert_int_equal(total, strlen("Fa@b.example") + 1 +
		    strlen("Tc@d.example") + 1 + strlen("Te@f") + 1 + 1);
		assert_null(e.notify);
		assert_null(e.orcpt);
		assert_null(e.envid);
		assert_int_equal(e.ret, 0);
		assert_string_equal(e.sender, "a@b.example");
		assert_int_equal(e.nrcpt, 2);
		assert_string_equal(e.rcpt[0], "c@d.example");
		assert_string_equal(e.rcpt[1], "e@f");
		qmail_env_free(&e);
	}
}

static void
test_extension(void **state)
{
	static const char env[] = "Fa@b\0Tc@d\0Te@f\0\0X1\0Psmtp\0RHDRS\0"
	    "DQ42.x\0NSUCCESS,DELAY\0Orfc822;C@D\0N\0O\0E\0";
	size_t steps[] = { 1, 5, sizeof(env) };
	size_t i, total;
	struct qmail_env e;

	(void)state;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		qmail_env_init(&e);
		assert_int_equal(feed_steps(&e, env, sizeof(env) - 1, steps[i],
		    &total), QMAIL_ENV_DONE);
		assert_int_equal(total, sizeof(env) - 1);
		assert_int_equal(e.nrcpt, 2);
		assert_int_equal(e.origin, 1);		/* smtp */
		assert_int_equal(e.ret, 2);		/* HDRS */
		assert_string_equal(e.envid, "Q42.x");
		assert_non_null(e.notify);
		assert_int_equal(e.notify[0], 0x05);	/* SUCCESS, DELAY */
		assert_int_equal(e.notify[1], 0);
		assert_string_equal(e.orcpt[0], "rfc822;C@D");
		assert_null(e.orcpt[1]);
		qmail_env_free(&e);
	}
	/* the extension's end is the end: nothing after it is read */
	qmail_env_init(&e);
	assert_int_equal(feed_steps(&e, LIT("Fa@b\0Tc@d\0\0X1\0E\0junk"),
	    64, &total), QMAIL_ENV_DONE);
	assert_int_equal(total, 5 + 5 + 1 + 3 + 2);
	qmail_env_free(&e);
	/* RET alone, no recipient records */
	qmail_env_init(&e);
	assert_int_equal(feed_steps(&e, LIT("Fa@b\0Tc@d\0\0X1\0RFULL\0E\0"),
	    1, &total), QMAIL_ENV_DONE);
	assert_int_equal(e.ret, 1);
	assert_null(e.notify);
	qmail_env_free(&e);
}

/* The writer's side: what it encodes, the reader reads back. */
static void
test_extension_encode(void **state)
{
	const char *rcpt[] = { "c@d", "e@f" };
	const int notify[] = { 0x08, 0x03 };
	const char *orcpt[] = { NULL, "rfc822;E@F" };
	struct qmail_env_dsn d;
	struct qmail_env e;
	struct buf b;
	size_t total;

	(void)state;
	memset(&d, 0, sizeof(d));
	buf_init(&b, 4096);
	/* nothing to add: the plain envelope */
	assert_int_equal(qmail_env_encode_dsn(&b, "a@b", rcpt, 2, &d), 0);
	assert_int_equal(b.len, 5 + 5 + 5 + 1);
	buf_reset(&b);
	d.ret = 1;
	d.envid = "abc";
	d.notify = notify;
	d.orcpt = orcpt;
	assert_int_equal(qmail_env_encode_dsn(&b, "a@b", rcpt, 2, &d), 0);
	qmail_env_init(&e);
	assert_int_equal(feed_steps(&e, b.data, b.len, 3, &total),
	    QMAIL_ENV_DONE);
	assert_int_equal(e.notify[0], 0x08);
	assert_int_equal(e.notify[1], 0x03);
	assert_null(e.orcpt[0]);
	assert_string_equal(e.orcpt[1], "rfc822;E@F");
	assert_string_equal(e.envid, "abc");
	qmail_env_free(&e);
	/* one NOTIFY for all (sendmail -N) */
	memset(&d, 0, sizeof(d));
	d.notify_all = 0x04;
	buf_reset(&b);
	assert_int_equal(qmail_env_encode_dsn(&b, "a@b", rcpt, 2, &d), 0);
	qmail_env_init(&e);
	assert_int_equal(feed_steps(&e, b.data, b.len, 64, &total),
	    QMAIL_ENV_DONE);
	assert_int_equal(e.notify[0], 0x04);
	assert_int_equal(e.notify[1], 0x04);
	qmail_env_free(&e);
	/* refused values leave the buffer as it was */
	buf_reset(&b);
	d.envid = "two\x01words";
	assert_int_equal(qmail_env_encode_dsn(&b, "a@b", rcpt, 2, &d), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_null_sender_and_8bit(void **state)
{
	static const char env[] = "F\0T\xc3\xa9l\xc3\xa8ve@ex.example\0\0";
	struct qmail_env e;
	size_t total;

	(void)state;
	qmail_env_init(&e);
	assert_int_equal(feed_steps(&e, env, sizeof(env) - 1, 1, &total),
	    QMAIL_ENV_DONE);
	assert_string_equal(e.sender, "");
	assert_int_equal(e.nrcpt, 1);
	assert_string_equal(e.rcpt[0], "\xc3\xa9l\xc3\xa8ve@ex.example");
	qmail_env_free(&e);
}

struct bad_case {
	const char	*data;
	size_t		 len;
	int		 code;
};

static void
test_bad(void **state)
{
	static const struct bad_case cases[] = {
		{ LIT(""), QMAIL_EXIT_READ },
		{ LIT("Fa@b"), QMAIL_EXIT_READ },
		{ LIT("Fa@b\0Tc@d\0"), QMAIL_EXIT_READ },
		{ LIT("\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Ta@b\0\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Xc@d\0\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0T\0\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa\nb\0Tc@d\0\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc\r@d\0\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\x7f\0\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0\x01" "c@d\0\0"), QMAIL_EXIT_ENV_BAD },
		/* after the envelope: only the extension */
		{ LIT("Fa@b\0Tc@d\0\0trailing"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X2\0E\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0"), QMAIL_EXIT_READ },
		{ LIT("Fa@b\0Tc@d\0\0X1\0E"), QMAIL_EXIT_READ },
		{ LIT("Fa@b\0Tc@d\0\0X1\0E1\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0Plocal\0E\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0RALL\0E\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0D\xe9\0E\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0D\0E\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0RHDRS\0PSMTP\0E\0"),
		  QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0NNEVER,DELAY\0O\0E\0"),
		  QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0NSUCCESS\0E\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0NSUCCESS\0O\0NDELAY\0O\0E\0"),
		  QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0Te@f\0\0X1\0NSUCCESS\0O\0E\0"),
		  QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0N\0Oc@d\0E\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0N\0O;c@d\0E\0"), QMAIL_EXIT_ENV_BAD },
		{ LIT("Fa@b\0Tc@d\0\0X1\0N\0Orfc822;c\x01@d\0E\0"),
		  QMAIL_EXIT_ENV_BAD },
	};
	size_t i, total, step;
	struct qmail_env e;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (step = 1; step <= 2; step++) {
			qmail_env_init(&e);
			if (feed_steps(&e, cases[i].data, cases[i].len,
			    step == 1 ? 1 : cases[i].len + 1, &total) !=
			    QMAIL_ENV_ERROR)
				fail_msg("case %zu: not refused", i);
			if (e.code != cases[i].code)
				fail_msg("case %zu: code %d, want %d (%s)", i,
				    e.code, cases[i].code, e.why);
			assert_non_null(e.why);
			qmail_env_free(&e);
		}
	}
}

static void
test_address_length(void **state)
{
	struct buf b;
	struct qmail_env e;
	size_t total;
	int len;

	(void)state;
	for (len = QUEUE_ADDR_MAX; len <= QUEUE_ADDR_MAX + 1; len++) {
		buf_init(&b, 4 * QUEUE_ADDR_MAX);
		assert_int_equal(buf_append_str(&b, "Fs@x"), 0);
		assert_int_equal(buf_putc(&b, '\0'), 0);
		assert_int_equal(buf_putc(&b, 'T'), 0);
		while (b.len < (size_t)len + 6)
			assert_int_equal(buf_putc(&b, 'a'), 0);
		assert_int_equal(buf_append(&b, "\0\0", 2), 0);
		qmail_env_init(&e);
		if (len == QUEUE_ADDR_MAX) {
			assert_int_equal(feed_steps(&e, b.data, b.len, 100,
			    &total), QMAIL_ENV_DONE);
			assert_int_equal(strlen(e.rcpt[0]), QUEUE_ADDR_MAX);
		} else {
			assert_int_equal(feed_steps(&e, b.data, b.len, 100,
			    &total), QMAIL_ENV_ERROR);
			assert_int_equal(e.code, QMAIL_EXIT_ADDR_LONG);
		}
		qmail_env_free(&e);
		buf_free(&b);
	}
}

static void
test_too_many(void **state)
{
	struct buf b;
	struct qmail_env e;
	size_t total, i;

	(void)state;
	buf_init(&b, 1024 * 1024);
	assert_int_equal(buf_append(&b, "F\0", 2), 0);
	for (i = 0; i <= QUEUE_RCPT_MAX; i++)
		assert_int_equal(buf_printf(&b, "Tr%zu@x", i), 0),
		assert_int_equal(buf_putc(&b, '\0'), 0);
	assert_int_equal(buf_putc(&b, '\0'), 0);
	qmail_env_init(&e);
	assert_int_equal(feed_steps(&e, b.data, b.len, 4096, &total),
	    QMAIL_ENV_ERROR);
	assert_int_equal(e.code, QMAIL_EXIT_RCPT_MANY);
	assert_int_equal(e.nrcpt, QUEUE_RCPT_MAX);
	qmail_env_free(&e);
	buf_free(&b);
}

static void
test_encode(void **state)
{
	const char *rcpt[] = { "a@b", "c@d" };
	const char *bad[] = { "a@b", "c\n@d" };
	const char *empty[] = { "" };
	struct buf b;
	struct qmail_env e;
	size_t total;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(qmail_env_encode(&b, "", rcpt, 2), 0);
	assert_int_equal(b.len, 13);
	assert_memory_equal(b.data, "F\0Ta@b\0Tc@d\0\0", 13);
	qmail_env_init(&e);
	assert_int_equal(feed_steps(&e, b.data, b.len, 5, &total),
	    QMAIL_ENV_DONE);
	assert_string_equal(e.sender, "");
	assert_int_equal(e.nrcpt, 2);
	qmail_env_free(&e);

	/* A refused encoding leaves the buffer as it was. */
	assert_int_equal(qmail_env_encode(&b, "x@y", bad, 2), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(b.len, 13);
	assert_int_equal(qmail_env_encode(&b, "x@y", empty, 1), -1);
	assert_int_equal(qmail_env_encode(&b, "x@y", rcpt, 0), -1);
	assert_int_equal(b.len, 13);
	buf_free(&b);
}

static void
test_exit_codes(void **state)
{
	(void)state;
	assert_true(qmail_exit_permanent(QMAIL_EXIT_TOO_BIG));
	assert_true(qmail_exit_permanent(QMAIL_EXIT_ADDR_LONG));
	assert_false(qmail_exit_permanent(QMAIL_EXIT_WRITE));
	assert_false(qmail_exit_permanent(0));
	assert_string_equal(qmail_exit_text(31), "message too large");
	assert_string_equal(qmail_exit_text(99), "temporary failure");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_extension),
		cmocka_unit_test(test_extension_encode),
		cmocka_unit_test(test_null_sender_and_8bit),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_address_length),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_exit_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
