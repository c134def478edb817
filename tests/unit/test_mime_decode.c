/*
 * Unit tests for lib/mime/mime_decode.c: base64 and quoted-printable,
 * whole and streamed a byte at a time, lenient and strict (BINARY), the
 * bad inputs (bytes outside the alphabet, data after padding, cut-off
 * quanta, bad escapes), an unknown encoding, and a full output buffer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "mime.h"
#include "mime_decode.h"

static int
b64(const char *in, unsigned flags, int bytewise, struct buf *out)
{
	struct mime_b64	b;
	size_t		i, n = strlen(in);
	int		r;

	buf_init(out, 1024);
	mime_b64_init(&b, flags);
	if (bytewise) {
		for (i = 0; i < n; i++)
			if ((r = mime_b64_decode(&b, in + i, 1, out)) != 0)
				return r;
	} else if ((r = mime_b64_decode(&b, in, n, out)) != 0)
		return r;
	return mime_b64_end(&b, out);
}

static int
qp(const char *in, unsigned flags, int bytewise, struct buf *out)
{
	struct mime_qp	q;
	size_t		i, n = strlen(in);
	int		r;

	buf_init(out, 1024);
	mime_qp_init(&q, flags);
	if (bytewise) {
		for (i = 0; i < n; i++)
			if ((r = mime_qp_decode(&q, in + i, 1, out)) != 0)
				return r;
	} else if ((r = mime_qp_decode(&q, in, n, out)) != 0)
		return r;
	return mime_qp_end(&q, out);
}

static void
check_b64(const char *in, unsigned flags, int want_r, const char *want)
{
	struct buf	out;
	int		bw;

	for (bw = 0; bw < 2; bw++) {
		assert_int_equal(b64(in, flags, bw, &out), want_r);
		if (want != NULL) {
			assert_int_equal(out.len, strlen(want));
			assert_memory_equal(out.data == NULL ? "" : out.data,
			    want, out.len);
		}
		buf_free(&out);
	}
}

static void
check_qp(const char *in, unsigned flags, int want_r, const char *want)
{
	struct buf	out;
	int		bw;

	for (bw = 0; bw < 2; bw++) {
		assert_int_equal(qp(in, flags, bw, &out), want_r);
		if (want != NULL) {
			assert_int_equal(out.len, strlen(want));
			assert_memory_equal(out.data == NULL ? "" : out.data,
			    want, out.len);
		}
		buf_free(&out);
	}
}

static void
test_base64_good(void **state)
{
	(void)state;
	check_b64("", MIME_DECODE_STRICT, 0, "");
	check_b64("QUJD", MIME_DECODE_STRICT, 0, "ABC");
	check_b64("QUI=", MIME_DECODE_STRICT, 0, "AB");
	check_b64("QQ==", MIME_DECODE_STRICT, 0, "A");
	check_b64("SGVs\r\nbG8s\r\n IHdv\tcmxk\r\n", MIME_DECODE_STRICT, 0,
	    "Hello, world");
	check_b64("+/+/", MIME_DECODE_STRICT, 0, "\xfb\xff\xbf");
}

static void
test_base64_bad(void **state)
{
	(void)state;
	/* Bytes outside the alphabet: skipped leniently, refused strictly. */
	check_b64("QU@JD", 0, 0, "ABC");
	check_b64("QU@JD", MIME_DECODE_STRICT, MIME_DECODE_EDATA, NULL);
	check_b64("iVBORw0KGgo@@@@notbase64", MIME_DECODE_STRICT,
	    MIME_DECODE_EDATA, NULL);
	/* Data after the padding. */
	check_b64("QQ==QUJD", 0, 0, "AABC");
	check_b64("QQ==QUJD", MIME_DECODE_STRICT, MIME_DECODE_EDATA, NULL);
	/* A cut-off quantum: one sextet makes no octet. */
	check_b64("QUJDR", 0, 0, "ABC");
	check_b64("QUJDR", MIME_DECODE_STRICT, MIME_DECODE_EDATA, NULL);
	/* Two sextets without padding: the octet, but strict says no. */
	check_b64("QUJDQQ", 0, 0, "ABCA");
	check_b64("QUJDQQ", MIME_DECODE_STRICT, MIME_DECODE_EDATA, NULL);
	/* Padding too early. */
	check_b64("=QUJD", MIME_DECODE_STRICT, MIME_DECODE_EDATA, NULL);
	/* NUL bytes in the data. */
	check_b64("QU\0JD", 0, 0, "A");
}

static void
test_qp_good(void **state)
{
	(void)state;
	check_qp("", MIME_DECODE_STRICT, 0, "");
	check_qp("caf=C3=A9 =e2=82=ac\r\n", MIME_DECODE_STRICT, 0,
	    "caf\xc3\xa9 \xe2\x82\xac\r\n");
	/* Soft line breaks, CRLF and bare LF, with blanks after the '='. */
	check_qp("long li=\r\nne, lo=\nng=  \r\nest", MIME_DECODE_STRICT, 0,
	    "long line, longest");
	/* Blanks at the end of a line are dropped, inside kept. */
	check_qp("a  b  \r\nc\t\n  \r\nd ", MIME_DECODE_STRICT, 0,
	    "a  b\r\nc\n\r\nd");
	/* Blanks before a soft break are text. */
	check_qp("a  =\r\nb", MIME_DECODE_STRICT, 0, "a  b");
	/* '=' at the very end: a soft break. */
	check_qp("end=", MIME_DECODE_STRICT, 0, "end");
	check_qp("=3D=3d", MIME_DECODE_STRICT, 0, "==");
}

static void
test_qp_bad(void **state)
{
	(void)state;
	check_qp("a=ZZb", 0, 0, "a=ZZb");
	check_qp("a=ZZb", MIME_DECODE_STRICT, MIME_DECODE_EDATA, NULL);
	check_qp("a=4", 0, 0, "a=4");
	check_qp("a=4", MIME_DECODE_STRICT, MIME_DECODE_EDATA, NULL);
	check_qp("a=4x", 0, 0, "a=4x");
	check_qp("a==41", 0, 0, "a=A");
	check_qp("a==41", MIME_DECODE_STRICT, MIME_DECODE_EDATA, NULL);
	check_qp("nul\0byte", MIME_DECODE_STRICT, 0, "nul");
}

static void
test_qp_long_blank_run(void **state)
{
	char		in[400];
	struct buf	out;

	(void)state;
	/* More blanks than are held back, then text: all of them kept. */
	memset(in, ' ', 300);
	strcpy(in + 300, "x\r\n");
	assert_int_equal(qp(in, MIME_DECODE_STRICT, 0, &out), 0);
	assert_int_equal(out.len, 303);
	buf_free(&out);
	/* ... then a line end: those past the hold are not dropped. */
	strcpy(in + 300, "\r\n");
	assert_int_equal(qp(in, MIME_DECODE_STRICT, 1, &out), 0);
	assert_int_equal(out.len, (299 / MIME_QP_HOLD) * MIME_QP_HOLD + 2);
	buf_free(&out);
}

static void
test_output_full(void **state)
{
	struct mime_b64	b;
	struct mime_qp	q;
	struct buf	out;

	(void)state;
	buf_init(&out, 2);
	mime_b64_init(&b, 0);
	assert_int_equal(mime_b64_decode(&b, "QUJD", 4, &out),
	    MIME_DECODE_EFULL);
	assert_int_equal(errno, E2BIG);
	buf_free(&out);
	buf_init(&out, 2);
	mime_qp_init(&q, 0);
	assert_int_equal(mime_qp_decode(&q, "abc", 3, &out),
	    MIME_DECODE_EFULL);
	buf_free(&out);
}

static void
test_part_decode(void **state)
{
	static const char	 msg[] =
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\n"
	    "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "x=3Dy\r\n"
	    "--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n"
	    "--b\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\xe9t\xe9\r\n"
	    "--b\r\nContent-Transfer-Encoding: base64\r\n\r\nQU@JD\r\n"
	    "--b--\r\n";
	struct mime_tree	*t;
	const struct mime_part	*p;
	struct buf		 out;

	(void)state;
	assert_non_null(t = mime_parse(msg, sizeof(msg) - 1));
	buf_init(&out, 1024);
	p = t->root->child;
	assert_int_equal(mime_part_decode(t, p, MIME_DECODE_STRICT, &out), 0);
	assert_string_equal(out.data, "ABC");
	buf_reset(&out);
	p = p->next;
	assert_int_equal(mime_part_decode(t, p, MIME_DECODE_STRICT, &out), 0);
	assert_string_equal(out.data, "x=y");
	buf_reset(&out);
	p = p->next;
	assert_int_equal(p->cte, MIME_CTE_UNKNOWN);
	assert_int_equal(mime_part_decode(t, p, 0, &out), MIME_DECODE_ECTE);
	p = p->next;
	assert_int_equal(mime_part_decode(t, p, MIME_DECODE_STRICT, &out), 0);
	assert_string_equal(out.data, "\xe9t\xe9");
	buf_reset(&out);
	p = p->next;
	assert_int_equal(mime_part_decode(t, p, MIME_DECODE_STRICT, &out),
	    MIME_DECODE_EDATA);
	buf_reset(&out);
	assert_int_equal(mime_part_decode(t, p, 0, &out), 0);
	assert_string_equal(out.data, "ABC");
	buf_free(&out);
	mime_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_good),
		cmocka_unit_test(test_base64_bad),
		cmocka_unit_test(test_qp_good),
		cmocka_unit_test(test_qp_bad),
		cmocka_unit_test(test_qp_long_blank_run),
		cmocka_unit_test(test_output_full),
		cmocka_unit_test(test_part_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
