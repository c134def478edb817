/*
 * libFuzzer target for lib/mail/crlf.c: a stored message, which anyone
 * who can send mail writes, counted and converted to its wire form.
 * Byte 0 picks the chunk size, the rest is the message.  Checks the
 * promise LIST relies on, that the size counted is the octets RETR sends;
 * that the result does not depend on how the file is split into reads;
 * that every LF goes out as CRLF and the data ends with CRLF; and that
 * dot-stuffing adds one '.' to exactly the lines that start with one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crlf.h"

#define WIRE_OUT_MAX	(1024 * 1024)

/* Converts p in chunks of step bytes; returns the octets counted. */
static size_t
wire(const char *p, size_t n, size_t step, int stuff, struct buf *out)
{
	struct crlf_state	 cc, cv;
	size_t			 i, k, total = 0;

	crlf_init(&cc);
	crlf_init(&cv);
	buf_reset(out);
	for (i = 0; i < n; i += k) {
		k = n - i < step ? n - i : step;
		total += crlf_count(&cc, p + i, k);
		if (crlf_convert(&cv, p + i, k, stuff, out) == -1)
			abort();
	}
	total += crlf_count_end(&cc);
	if (crlf_convert_end(&cv, out) == -1)
		abort();
	if (cc.lines != cv.lines)
		abort();
	return total;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static struct buf	 plain, whole, stuffed;
	const char		*p = (const char *)data + 1;
	size_t			 step, total, i, j;

	if (n < 1)
		return 0;
	step = 1 + data[0] % 64;
	n--;
	if (plain.max == 0) {
		buf_init(&plain, WIRE_OUT_MAX);
		buf_init(&whole, WIRE_OUT_MAX);
		buf_init(&stuffed, WIRE_OUT_MAX);
	}
	total = wire(p, n, step, 0, &plain);
	if (total != plain.len)
		abort();
	if (wire(p, n, n > 0 ? n : 1, 0, &whole) != total ||
	    whole.len != plain.len || (plain.len > 0 &&
	    memcmp(whole.data, plain.data, plain.len) != 0))
		abort();
	if (n > 0 && (plain.len < 2 ||
	    memcmp(plain.data + plain.len - 2, "\r\n", 2) != 0))
		abort();
	for (i = 0; i < plain.len; i++)
		if (plain.data[i] == '\n' &&
		    (i == 0 || plain.data[i - 1] != '\r'))
			abort();

	/* Stuffed: the plain form with '.' added before each leading '.'. */
	(void)wire(p, n, step, 1, &stuffed);
	for (i = j = 0; i < stuffed.len; i++, j++) {
		if ((i == 0 || stuffed.data[i - 1] == '\n') &&
		    stuffed.data[i] == '.') {
			if (i + 1 >= stuffed.len || stuffed.data[i + 1] != '.')
				abort();
			i++;
		}
		if (j >= plain.len || stuffed.data[i] != plain.data[j])
			abort();
	}
	if (j != plain.len)
		abort();
	return 0;
}
