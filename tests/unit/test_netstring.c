/*
 * Unit tests for lib/base/netstring.c: strict decoding (the good forms beside
 * every malformed one), encoding, and the NUL-separated frame fields.
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
#include "netstring.h"

static int
dec(const char *s, size_t max, const char **d, size_t *dl, size_t *used)
{
	return netstring_decode(s, strlen(s), max, d, dl, used);
}

static void
test_decode_good(void **state)
{
	const char	*d;
	size_t		 dl, used;

	(void)state;
	assert_int_equal(dec("5:hello,", 100, &d, &dl, &used), 1);
	assert_int_equal(dl, 5);
	assert_memory_equal(d, "hello", 5);
	assert_int_equal(used, 8);

	/* trailing bytes after the netstring are not consumed */
	assert_int_equal(dec("3:abc,4:defg,", 100, &d, &dl, &used), 1);
	assert_int_equal(dl, 3);
	assert_int_equal(used, 6);
	assert_int_equal(dec("3:abc,4:defg," + used, 100, &d, &dl, &used), 1);
	assert_int_equal(dl, 4);
	assert_memory_equal(d, "defg", 4);

	/* exactly max is allowed */
	assert_int_equal(dec("10:0123456789,", 10, &d, &dl, &used), 1);
	assert_int_equal(dl, 10);
}

static void
test_decode_empty(void **state)
{
	const char	*d;
	size_t		 dl = 99, used = 99;

	(void)state;
	assert_int_equal(dec("0:,", 0, &d, &dl, &used), 1);
	assert_int_equal(dl, 0);
	assert_int_equal(used, 3);
}

static void
test_decode_binary(void **state)
{
	const char	 in[] = "4:a\0\r\n,";
	const char	*d;
	size_t		 dl, used;

	(void)state;
	assert_int_equal(netstring_decode(in, sizeof(in) - 1, 16, &d, &dl,
	    &used), 1);
	assert_int_equal(dl, 4);
	assert_memory_equal(d, "a\0\r\n", 4);
}

static void
test_decode_partial(void **state)
{
	const char	*full = "12:hello world!,";
	const char	*d;
	size_t		 dl, used, i;

	(void)state;
	/* every strict prefix needs more input */
	for (i = 0; i < strlen(full); i++)
		assert_int_equal(netstring_decode(full, i, 100, &d, &dl,
		    &used), 0);
	assert_int_equal(netstring_decode(full, strlen(full), 100, &d, &dl,
	    &used), 1);
	assert_int_equal(dl, 12);
}

static void
test_decode_malformed(void **state)
{
	const char	*d;
	size_t		 dl, used;

	(void)state;
	assert_int_equal(dec("01:a,", 100, &d, &dl, &used), -1);
	assert_int_equal(dec("00:,", 100, &d, &dl, &used), -1);
	assert_int_equal(dec("0", 100, &d, &dl, &used), 0);
	assert_int_equal(dec("01", 100, &d, &dl, &used), -1);
	assert_int_equal(dec(":,", 100, &d, &dl, &used), -1);
	assert_int_equal(dec("3:abc;", 100, &d, &dl, &used), -1);
	assert_int_equal(dec("3:abcd,", 100, &d, &dl, &used), -1);
	assert_int_equal(dec("-1:,", 100, &d, &dl, &used), -1);
	assert_int_equal(dec("+1:a,", 100, &d, &dl, &used), -1);
	assert_int_equal(dec(" 1:a,", 100, &d, &dl, &used), -1);
	assert_int_equal(dec("1 :a,", 100, &d, &dl, &used), -1);
	assert_int_equal(dec("x", 100, &d, &dl, &used), -1);
	assert_int_equal(dec("1a:b,", 100, &d, &dl, &used), -1);
}

static void
test_decode_over_max(void **state)
{
	const char	*d;
	size_t		 dl, used;

	(void)state;
	assert_int_equal(dec("11:0123456789a,", 10, &d, &dl, &used), -1);
	/* refused from the length alone, before the data arrives */
	assert_int_equal(dec("11:", 10, &d, &dl, &used), -1);
	assert_int_equal(dec("11", 10, &d, &dl, &used), -1);
	assert_int_equal(dec("1:a,", 0, &d, &dl, &used), -1);
}

static void
test_decode_digits_overflow(void **state)
{
	const char	*d;
	size_t		 dl, used;

	(void)state;
	/* more than NETSTRING_DIGITS_MAX digits, even with a huge max */
	assert_int_equal(dec("12345678901:", SIZE_MAX, &d, &dl, &used), -1);
	assert_int_equal(dec("99999999999999999999999999:", SIZE_MAX, &d,
	    &dl, &used), -1);
	assert_int_equal(dec("18446744073709551616:", SIZE_MAX, &d, &dl,
	    &used), -1);
	/* ten digits is still fine as a length (needs more data) */
	assert_int_equal(dec("9999999999:", SIZE_MAX, &d, &dl, &used), 0);
}

static void
test_encode(void **state)
{
	struct buf	 b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(netstring_encode(&b, "hello", 5), 0);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "5:hello,", 8);
	assert_int_equal(netstring_encode(&b, "", 0), 0);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.data, "5:hello,0:,", 11);
	buf_free(&b);

	/* over the buffer's max: refused, the old content kept */
	buf_init(&b, 10);
	assert_int_equal(netstring_encode(&b, "abc", 3), 0);
	assert_int_equal(netstring_encode(&b, "abcdef", 6), -1);
	assert_int_equal(errno, E2BIG);
	assert_int_equal(b.len, 6);
	assert_string_equal(b.data, "3:abc,");
	buf_free(&b);
}

static void
test_encode_decode_roundtrip(void **state)
{
	struct buf	 b;
	char		 data[1000];
	const char	*d;
	size_t		 dl, used, i;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7);
	buf_init(&b, 2000);
	assert_int_equal(netstring_encode(&b, data, sizeof(data)), 0);
	assert_int_equal(netstring_decode(b.data, b.len, sizeof(data), &d,
	    &dl, &used), 1);
	assert_int_equal(dl, sizeof(data));
	assert_int_equal(used, b.len);
	assert_memory_equal(d, data, sizeof(data));
	buf_free(&b);
}

static void
test_frame_split(void **state)
{
	char	 f1[] = "a\0bc\0def";	/* last field ended by data[dlen] */
	char	 f2[] = "F<x>\0T<y>\0";	/* qmail style: each field NUL-ended */
	char	 f3[] = "a\0b\0c\0d";
	char	 f4[] = "\0";
	char	*fields[4];

	(void)state;
	assert_int_equal(frame_split(f1, sizeof(f1) - 1, fields, 4), 3);
	assert_string_equal(fields[0], "a");
	assert_string_equal(fields[1], "bc");
	assert_string_equal(fields[2], "def");

	assert_int_equal(frame_split(f2, sizeof(f2) - 1, fields, 4), 2);
	assert_string_equal(fields[0], "F<x>");
	assert_string_equal(fields[1], "T<y>");

	assert_int_equal(frame_split(f3, sizeof(f3) - 1, fields, 3), -1);
	assert_int_equal(frame_split(f3, sizeof(f3) - 1, fields, 4), 4);

	assert_int_equal(frame_split(f4, 1, fields, 4), 1);
	assert_string_equal(fields[0], "");
	assert_int_equal(frame_split(f4, 0, fields, 4), 0);
}

static void
test_frame_roundtrip(void **state)
{
	static const char *const sets[][4] = {
		{ "K", "delivered", "x", NULL },
		{ "", "", "", NULL },
		{ "a", "", NULL, NULL },
		{ "", NULL, NULL, NULL },
		{ "one", NULL, NULL, NULL },
	};
	static const int counts[] = { 3, 3, 2, 1, 1 };
	struct buf	 b;
	const char	*d;
	char		*fields[8];
	size_t		 dl, used, s;
	int		 i, nf;

	(void)state;
	for (s = 0; s < sizeof(counts) / sizeof(counts[0]); s++) {
		buf_init(&b, 256);
		assert_int_equal(frame_encode(&b, sets[s], counts[s]), 0);
		assert_int_equal(netstring_decode(b.data, b.len, 256, &d, &dl,
		    &used), 1);
		assert_int_equal(used, b.len);
		/* the ',' after the data is ours to overwrite */
		nf = frame_split(b.data + (d - b.data), dl, fields, 8);
		assert_int_equal(nf, counts[s]);
		for (i = 0; i < nf; i++)
			assert_string_equal(fields[i], sets[s][i]);
		buf_free(&b);
	}

	/* zero fields */
	buf_init(&b, 16);
	assert_int_equal(frame_encode(&b, NULL, 0), 0);
	assert_string_equal(b.data, "0:,");
	buf_free(&b);

	/* plain three-field frame keeps the documented byte layout */
	buf_init(&b, 64);
	assert_int_equal(frame_encode(&b, sets[0], 3), 0);
	assert_int_equal(b.len, 17);
	assert_memory_equal(b.data, "13:K\0delivered\0x,", 17);
	buf_free(&b);

	/* too big for out's max */
	buf_init(&b, 8);
	assert_int_equal(frame_encode(&b, sets[0], 3), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_good),
		cmocka_unit_test(test_decode_empty),
		cmocka_unit_test(test_decode_binary),
		cmocka_unit_test(test_decode_partial),
		cmocka_unit_test(test_decode_malformed),
		cmocka_unit_test(test_decode_over_max),
		cmocka_unit_test(test_decode_digits_overflow),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_encode_decode_roundtrip),
		cmocka_unit_test(test_frame_split),
		cmocka_unit_test(test_frame_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
