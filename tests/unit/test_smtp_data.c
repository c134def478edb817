/*
 * Unit tests for lib/smtp/smtp_data.c: end of data, dot-unstuffing, bare CR/LF
 * in both policies, the SMTP smuggling sequences, line length, BDAT mode,
 * and that any split of the input gives the same result.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "smtp_data.h"

struct result {
	ssize_t		 used;
	int		 flags;
	int		 done;
	char		 out[4096];
	size_t		 outlen;
};

/* Feeds in pieces of `step` bytes (0 = all at once). */
static void
run(const char *in, size_t n, enum smtp_data_mode mode, enum smtp_bare bare,
    int binary, size_t step, struct result *r)
{
	struct smtp_data	 d;
	struct buf		 out;
	size_t			 i = 0;

	memset(r, 0, sizeof(*r));
	buf_init(&out, 1 << 20);
	smtp_data_init(&d, mode, bare, binary);
	while (i < n && !d.done) {
		size_t	 k = step == 0 ? n - i : (n - i < step ? n - i : step);
		ssize_t	 u = smtp_data_feed(&d, in + i, k, &out);

		if (u < 0) {
			r->used = -1;
			break;
		}
		i += (size_t)u;
		if ((size_t)u < k)
			break;
	}
	if (r->used != -1) {
		r->used = (ssize_t)i;
		if (mode == SMTP_DATA_BDAT && smtp_data_finish(&d, &out) == -1)
			r->used = -1;
	}
	r->flags = d.flags;
	r->done = d.done;
	assert_true(out.len < sizeof(r->out));
	if (out.len > 0)
		memcpy(r->out, out.data, out.len);
	r->outlen = out.len;
	buf_free(&out);
}

#define S(x)	x, sizeof(x) - 1

static void
expect_dot(const char *in, size_t n, enum smtp_bare bare, ssize_t used,
    const char *out, size_t outlen, int done)
{
	struct result	 r;
	size_t		 step;

	/* Every split must give the same answer. */
	for (step = 0; step <= 7; step++) {
		run(in, n, SMTP_DATA_DOT, bare, 0, step, &r);
		assert_int_equal(r.used, used);
		if (used >= 0) {
			assert_int_equal(r.done, done);
			assert_int_equal(r.outlen, outlen);
			assert_memory_equal(r.out, out, outlen);
		}
	}
}

static void
test_simple(void **state)
{
	(void)state;
	expect_dot(S("Subject: x\r\n\r\nhello\r\n.\r\n"), SMTP_BARE_REJECT,
	    24, S("Subject: x\n\nhello\n"), 1);
	expect_dot(S(".\r\n"), SMTP_BARE_REJECT, 3, S(""), 1);
}

static void
test_rest_is_not_consumed(void **state)
{
	(void)state;
	/* Pipelined commands after the end are not data. */
	expect_dot(S("a\r\n.\r\nQUIT\r\n"), SMTP_BARE_REJECT, 6, S("a\n"), 1);
}

static void
test_unstuff(void **state)
{
	(void)state;
	expect_dot(S("..\r\n...x\r\n.y\r\n.\r\n"), SMTP_BARE_REJECT, 17,
	    S(".\n..x\ny\n"), 1);
	/* " ." is not a dot line. */
	expect_dot(S(" .\r\n.\r\n"), SMTP_BARE_REJECT, 7, S(" .\n"), 1);
}

static void
test_unterminated(void **state)
{
	(void)state;
	expect_dot(S("abc\r\n.\r"), SMTP_BARE_REJECT, 7, S("abc\n"), 0);
	expect_dot(S("abc\r\n."), SMTP_BARE_REJECT, 6, S("abc\n"), 0);
}

static void
test_bare_lf_reject(void **state)
{
	(void)state;
	expect_dot(S("abc\ndef\r\n.\r\n"), SMTP_BARE_REJECT, -1, S(""), 0);
	expect_dot(S("abc\r\n.\n"), SMTP_BARE_REJECT, -1, S(""), 0);
	expect_dot(S("abc\rdef\r\n.\r\n"), SMTP_BARE_REJECT, -1, S(""), 0);
	expect_dot(S("\n"), SMTP_BARE_REJECT, -1, S(""), 0);
}

static void
test_bare_normalize(void **state)
{
	(void)state;
	expect_dot(S("abc\ndef\rghi\r\n.\r\n"), SMTP_BARE_NORMALIZE, 16,
	    S("abc\ndef\nghi\n"), 1);
}

/* The three smuggling sequences never end the data. */
static void
test_smuggling(void **state)
{
	const char	*seqs[] = { "\n.\n", "\r.\r\n", "\n.\r\n", "\r\n.\n",
			    "\r\n.\r", "\r\n.\r\r\n", "\n.\r\r\n" };
	size_t		 i;
	struct result	 r;

	(void)state;
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		char	 in[256];
		int	 len;

		len = snprintf(in, sizeof(in),
		    "Subject: a%sMAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\nDATA\r\n"
		    "smuggled\r\n.\r\n", seqs[i]);
		assert_true(len > 0 && (size_t)len < sizeof(in));
		/* reject: an error before any end */
		run(in, (size_t)len, SMTP_DATA_DOT, SMTP_BARE_REJECT, 0, 0, &r);
		assert_int_equal(r.used, -1);
		assert_int_equal(r.done, 0);
		/* normalize: all of it is one message, ended at the real end */
		run(in, (size_t)len, SMTP_DATA_DOT, SMTP_BARE_NORMALIZE, 0, 0,
		    &r);
		assert_int_equal(r.used, len);
		assert_int_equal(r.done, 1);
		assert_non_null(memmem(r.out, r.outlen, "smuggled\n", 9));
		assert_non_null(memmem(r.out, r.outlen, "MAIL FROM", 9));
	}
	/* The dot of a bare-ended dot line stays. */
	expect_dot(S("a\n.\nb\r\n.\r\n"), SMTP_BARE_NORMALIZE, 10,
	    S("a\n.\nb\n"), 1);
	expect_dot(S("a\r.\r\nb\r\n.\r\n"), SMTP_BARE_NORMALIZE, 11,
	    S("a\n.\nb\n"), 1);
}

static void
test_line_length(void **state)
{
	char		 in[2100];
	struct result	 r;
	size_t		 n;

	(void)state;
	/* 998 octets + CR LF: fine. */
	memset(in, 'x', 998);
	memcpy(in + 998, "\r\n.\r\n", 5);
	run(in, 1003, SMTP_DATA_DOT, SMTP_BARE_REJECT, 0, 0, &r);
	assert_int_equal(r.flags & SMTP_DATA_TOOLONG, 0);
	assert_int_equal(r.done, 1);
	/* A stuffing dot does not count. */
	in[0] = '.';
	memset(in + 1, 'x', 998);
	memcpy(in + 999, "\r\n.\r\n", 5);
	run(in, 1004, SMTP_DATA_DOT, SMTP_BARE_REJECT, 0, 0, &r);
	assert_int_equal(r.flags & SMTP_DATA_TOOLONG, 0);
	assert_int_equal(r.outlen, 999);
	/* 999 octets: too long, but decoding goes on to the end. */
	memset(in, 'x', 999);
	memcpy(in + 999, "\r\nnext\r\n.\r\nQUIT\r\n", 17);
	n = 999 + 17;
	run(in, n, SMTP_DATA_DOT, SMTP_BARE_REJECT, 0, 3, &r);
	assert_true(r.flags & SMTP_DATA_TOOLONG);
	assert_int_equal(r.done, 1);
	assert_int_equal(r.used, (ssize_t)(n - 6));
}

static void
test_flags(void **state)
{
	struct result	 r;

	(void)state;
	run(S("caf\xc3\xa9\r\n.\r\n"), SMTP_DATA_DOT, SMTP_BARE_REJECT, 0, 0,
	    &r);
	assert_true(r.flags & SMTP_DATA_8BIT);
	run(S("a\0b\r\n.\r\n"), SMTP_DATA_DOT, SMTP_BARE_REJECT, 0, 0, &r);
	assert_true(r.flags & SMTP_DATA_NUL);
	assert_int_equal(r.outlen, 4);
}

static void
test_bdat(void **state)
{
	struct result	 r;

	(void)state;
	/* No dot handling, no end marker, CR LF -> LF. */
	run(S("a\r\n.\r\n..b\r\nc"), SMTP_DATA_BDAT, SMTP_BARE_REJECT, 0, 2,
	    &r);
	assert_int_equal(r.used, 12);
	assert_int_equal(r.done, 0);
	assert_int_equal(r.outlen, 10);
	assert_memory_equal(r.out, "a\n.\n..b\nc\n", 10);
	/* A CR at a chunk end waits for the next byte. */
	run(S("a\r\nb\r"), SMTP_DATA_BDAT, SMTP_BARE_REJECT, 0, 1, &r);
	assert_int_equal(r.used, -1);		/* bare CR at the end */
	run(S("a\nb"), SMTP_DATA_BDAT, SMTP_BARE_REJECT, 0, 0, &r);
	assert_int_equal(r.used, -1);
	run(S("a\nb\rc\r\n"), SMTP_DATA_BDAT, SMTP_BARE_NORMALIZE, 0, 0, &r);
	assert_int_equal(r.outlen, 6);
	assert_memory_equal(r.out, "a\nb\nc\n", 6);
	/* BINARYMIME: bytes pass, CR LF still becomes LF. */
	run(S("a\nb\rc\r\n\0"), SMTP_DATA_BDAT, SMTP_BARE_REJECT, 1, 1, &r);
	assert_int_equal(r.used, 8);
	assert_int_equal(r.outlen, 7);
	assert_memory_equal(r.out, "a\nb\rc\n\0", 7);
}

/* A line the caller could not hold counts as over-long, ended by CR LF. */
static void
test_drop_line(void **state)
{
	struct smtp_data	 d;
	struct buf		 out;

	(void)state;
	buf_init(&out, 1024);
	smtp_data_init(&d, SMTP_DATA_DOT, SMTP_BARE_REJECT, 0);
	assert_int_equal(smtp_data_feed(&d, S("a\r\n"), &out), 3);
	smtp_data_drop_line(&d);
	assert_true(d.flags & SMTP_DATA_TOOLONG);
	assert_int_equal(smtp_data_feed(&d, S(".\r\nQUIT\r\n"), &out), 3);
	assert_int_equal(d.done, 1);
	assert_int_equal(out.len, 2);
	buf_free(&out);
}

static void
test_buffer_limit(void **state)
{
	struct smtp_data	 d;
	struct buf		 out;

	(void)state;
	buf_init(&out, 4);
	smtp_data_init(&d, SMTP_DATA_DOT, SMTP_BARE_REJECT, 0);
	assert_int_equal(smtp_data_feed(&d, S("abcdefgh\r\n"), &out), -1);
	assert_int_equal(errno, E2BIG);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_rest_is_not_consumed),
		cmocka_unit_test(test_unstuff),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_bare_lf_reject),
		cmocka_unit_test(test_bare_normalize),
		cmocka_unit_test(test_smuggling),
		cmocka_unit_test(test_line_length),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_bdat),
		cmocka_unit_test(test_drop_line),
		cmocka_unit_test(test_buffer_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
