/*
 * Unit tests for sendmail's message handling (queue/sendmail_input.c,
 * sendmail_header.c, sendmail_fields.c, linked in through
 * tests/unit/sources.mk since they are program code): the header section and
 * where it ends, the dot rule, the added fields, Bcc removal, -t
 * recipients, and the limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "buf.h"
#include "sendmail.h"

/* An input reading from a temporary file holding data. */
static int
input_from(struct sm_input *in, const char *data, size_t n)
{
	FILE *f = tmpfile();
	int fd;

	assert_non_null(f);
	fd = dup(fileno(f));
	assert_true(fd >= 0);
	fclose(f);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	input_init(in, fd);
	return fd;
}

/* Reads header and body as sendmail would; returns the header_read result. */
static int
run(const char *data, size_t n, int dot_rule, const char *const *extra,
    size_t nextra, struct buf *out, int *code)
{
	static struct sm_input in;
	struct sm_header h;
	struct buf line;
	const char *why;
	int fd, r, bol;

	fd = input_from(&in, data, n);
	header_init(&h);
	buf_init(out, 4 * 1024 * 1024);
	r = header_read(&h, &in, dot_rule, &why, code);
	if (r == 0) {
		assert_int_equal(header_compose(&h, extra, nextra, out), 0);
		bol = out->len == 0 || out->data[out->len - 1] == '\n';
		buf_init(&line, SM_IOBUF);
		while (!h.ended && input_line(&in, (buf_reset(&line), &line),
		    SM_IOBUF) == 1) {
			if (dot_rule && bol && input_is_dot(&in, line.data,
			    line.len))
				break;
			bol = line.data[line.len - 1] == '\n';
			assert_int_equal(buf_append(out, line.data, line.len),
			    0);
		}
		buf_free(&line);
	}
	header_free(&h);
	close(fd);
	return r;
}

#define S(x)	x, sizeof(x) - 1

static void
expect_n(const char *in, size_t n, int dot_rule, const char *want,
    size_t wantlen)
{
	const char *extra[] = { "X-Added: 1" };
	struct buf out;
	int code;

	assert_int_equal(run(in, n, dot_rule, extra, 1, &out, &code), 0);
	if (out.len != wantlen || memcmp(out.data, want, out.len) != 0)
		fail_msg("got [%.*s] want [%s]", (int)out.len, out.data, want);
	buf_free(&out);
}

static void
expect(const char *in, size_t n, int dot_rule, const char *want)
{
	expect_n(in, n, dot_rule, want, strlen(want));
}

static void
test_basic(void **state)
{
	(void)state;
	expect(S("Subject: a\nTo: b@c\n\nbody\n"), 1,
	    "Subject: a\nTo: b@c\nX-Added: 1\n\nbody\n");
	/* Bcc goes, with its continuation lines */
	expect(S("Subject: a\nBcc: x@y,\n  z@w\nTo: b@c\n\nbody\n"), 1,
	    "Subject: a\nTo: b@c\nX-Added: 1\n\nbody\n");
	/* CRLF message: added fields in CRLF too */
	expect(S("Subject: a\r\n\r\nbody\r\n"), 1,
	    "Subject: a\r\nX-Added: 1\r\n\r\nbody\r\n");
	/* no header at all: a blank line goes before the body */
	expect(S("just text\nmore\n"), 1,
	    "X-Added: 1\n\njust text\nmore\n");
	/* empty input */
	expect(S(""), 1, "X-Added: 1\n");
	/* header without final newline */
	expect(S("Subject: a"), 1, "Subject: a\nX-Added: 1\n");
	/* mbox From_ line dropped */
	expect(S("From bob Sat Jan  1 00:00:00 2000\nSubject: a\n\nb\n"), 1,
	    "Subject: a\nX-Added: 1\n\nb\n");
}

static void
test_dot_rule(void **state)
{
	(void)state;
	expect(S("Subject: a\n\nx\n.\ny\n"), 1,
	    "Subject: a\nX-Added: 1\n\nx\n");
	expect(S("Subject: a\n\nx\n.\r\ny\n"), 1,
	    "Subject: a\nX-Added: 1\n\nx\n");
	expect(S("Subject: a\n\nx\n."), 1, "Subject: a\nX-Added: 1\n\nx\n");
	/* a dot inside the header section ends the input there */
	expect(S("Subject: a\n.\nTo: b\n"), 1, "Subject: a\nX-Added: 1\n");
	/* lines that merely begin with a dot pass unchanged */
	expect(S("Subject: a\n\n..\n.x\n"), 1,
	    "Subject: a\nX-Added: 1\n\n..\n.x\n");
	/* -i: the dot is data */
	expect(S("Subject: a\n\nx\n.\ny"), 0,
	    "Subject: a\nX-Added: 1\n\nx\n.\ny");
	/* body bytes, NUL included, pass through */
	expect_n(S("S: a\n\n\x00\xff\r\n"), 1,
	    S("S: a\nX-Added: 1\n\n\x00\xff\r\n"));
}

static void
test_limits(void **state)
{
	struct buf in, out;
	int code, i;

	(void)state;
	assert_int_equal(run(S("Subject: a\x00z\n\nb\n"), 1, NULL, 0, &out,
	    &code), -1);
	assert_int_equal(code, EX_DATAERR);
	buf_free(&out);

	for (i = SM_HEADER_LINES; i <= SM_HEADER_LINES + 1; i++) {
		int k;

		buf_init(&in, 1024 * 1024);
		for (k = 0; k < i; k++)
			assert_int_equal(buf_printf(&in, "X-%d: v\n", k), 0);
		assert_int_equal(buf_append_str(&in, "\nbody\n"), 0);
		assert_int_equal(run(in.data, in.len, 1, NULL, 0, &out, &code),
		    i == SM_HEADER_LINES ? 0 : -1);
		buf_free(&out);
		buf_free(&in);
	}

	/* one field over SM_HEADER_MAX octets */
	buf_init(&in, 2 * SM_HEADER_MAX + 100);
	assert_int_equal(buf_append_str(&in, "X: "), 0);
	while (in.len <= SM_HEADER_MAX)
		assert_int_equal(buf_putc(&in, 'v'), 0);
	assert_int_equal(buf_append_str(&in, "\n\nbody\n"), 0);
	assert_int_equal(run(in.data, in.len, 1, NULL, 0, &out, &code), -1);
	assert_int_equal(code, EX_DATAERR);
	buf_free(&out);
	buf_free(&in);
}

struct collect {
	char	list[1024];
};

static int
collect_cb(void *arg, const struct mailpath *mp)
{
	struct collect *c = arg;

	(void)strlcat(c->list, mp->text, sizeof(c->list));
	(void)strlcat(c->list, ";", sizeof(c->list));
	return 0;
}

static void
test_recipients(void **state)
{
	static const char msg[] = "To: \"A, B\" <a@x.org>,\n\tb@y.org\n"
	    "cc: undisclosed-recipients:;\nBCC: c (comment) \nSubject: x\n"
	    "Reply-To: not@this\n\nTo: not@body\n";
	struct sm_input in;
	struct sm_header h;
	struct collect c;
	const char *why;
	char bad[8];
	int code, fd;

	(void)state;
	memset(&c, 0, sizeof(c));
	fd = input_from(&in, msg, sizeof(msg) - 1);
	header_init(&h);
	assert_int_equal(header_read(&h, &in, 1, &why, &code), 0);
	assert_int_equal(header_recipients(&h, collect_cb, &c, &why, bad,
	    sizeof(bad)), 0);
	assert_string_equal(c.list, "a@x.org;b@y.org;c;");
	assert_true(header_has(&h, "subject"));
	assert_false(header_has(&h, "Date"));
	header_free(&h);
	close(fd);

	fd = input_from(&in, S("Cc: ok@x, bad@@x\n\n"));
	header_init(&h);
	assert_int_equal(header_read(&h, &in, 1, &why, &code), 0);
	assert_int_equal(header_recipients(&h, collect_cb, &c, &why, bad,
	    sizeof(bad)), -1);
	assert_string_equal(bad, "Cc");
	header_free(&h);
	close(fd);
}

static void
test_fields(void **state)
{
	char v[256];
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	assert_int_equal(field_from(&b, NULL, "a@b"), 0);
	assert_string_equal(b.data, "a@b");
	buf_reset(&b);
	assert_int_equal(field_from(&b, "Jo Doe", "a@b"), 0);
	assert_string_equal(b.data, "Jo Doe <a@b>");
	buf_reset(&b);
	assert_int_equal(field_from(&b, "Doe, Jo \"x\\y\"", "a@b"), 0);
	assert_string_equal(b.data, "\"Doe, Jo \\\"x\\\\y\\\"\" <a@b>");
	buf_reset(&b);
	assert_int_equal(field_from(&b, "\xc3\x89lodie", "a@b"), 0);
	assert_string_equal(b.data, "=?UTF-8?B?w4lsb2RpZQ==?= <a@b>");
	buf_free(&b);

	assert_true(field_fullname_ok("Jo Doe"));
	assert_true(field_fullname_ok("\xc3\x89lodie"));
	assert_false(field_fullname_ok("a\nb"));
	assert_false(field_fullname_ok("\xc3("));
	assert_false(field_fullname_ok("\xed\xa0\x80"));	/* surrogate */

	assert_int_equal(field_date(v, sizeof(v), 0), 0);
	/* "Thu, 01 Jan 1970 00:00:00 +0000" in UTC; the zone may differ */
	assert_int_equal(strlen(v), 31);
	assert_int_equal(v[3], ',');
	assert_true(v[26] == '+' || v[26] == '-');

	assert_int_equal(field_message_id(v, sizeof(v), "h.example", 0), 0);
	assert_int_equal(strncmp(v, "<19700101000000.", 16), 0);
	assert_string_equal(v + strlen(v) - 11, "@h.example>");
	assert_int_equal(field_message_id(v, 20, "h.example", 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_dot_rule),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_recipients),
		cmocka_unit_test(test_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
