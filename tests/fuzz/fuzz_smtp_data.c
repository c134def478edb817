/*
 * libFuzzer target for lib/smtp/smtp_data.c.  The first input byte picks the
 * mode (DATA or BDAT), the bare CR/LF policy, BINARYMIME and a chunk size;
 * the rest is decoded once whole and once in chunks, and both runs must
 * agree exactly (consumed octets, output, flags, end seen).  Outside
 * BINARYMIME the output never holds a CR, and DATA ends only right after
 * CR LF "." CR LF (or "." CR LF at the very start).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "smtp_data.h"

struct run {
	ssize_t	 used;
	int	 flags, done;
	struct buf out;
};

static void
decode(const char *p, size_t n, enum smtp_data_mode mode, enum smtp_bare bare,
    int binary, size_t step, struct run *r)
{
	struct smtp_data	 d;
	size_t			 i = 0;

	buf_init(&r->out, 4 * n + 16);
	smtp_data_init(&d, mode, bare, binary);
	r->used = 0;
	while (i < n && !d.done) {
		size_t	 k = n - i < step ? n - i : step;
		ssize_t	 u = smtp_data_feed(&d, p + i, k, &r->out);

		if (u < 0) {
			r->used = -1;
			break;
		}
		if ((size_t)u > k)
			abort();
		i += (size_t)u;
		if ((size_t)u < k)
			break;
	}
	if (r->used == 0) {
		r->used = (ssize_t)i;
		if (mode == SMTP_DATA_BDAT && smtp_data_finish(&d, &r->out) == -1)
			r->used = -1;
	}
	r->flags = d.flags;
	r->done = d.done;
	if (d.out_total != r->out.len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	enum smtp_data_mode	 mode;
	enum smtp_bare		 bare;
	struct run		 a, b;
	const char		*p;
	int			 binary;
	size_t			 step;

	if (n < 1)
		return 0;
	mode = (data[0] & 1) ? SMTP_DATA_BDAT : SMTP_DATA_DOT;
	bare = (data[0] & 2) ? SMTP_BARE_NORMALIZE : SMTP_BARE_REJECT;
	binary = mode == SMTP_DATA_BDAT && (data[0] & 4);
	step = (size_t)(data[0] >> 3) + 1;
	p = (const char *)data + 1;
	n--;

	decode(p, n, mode, bare, binary, n + 1, &a);
	decode(p, n, mode, bare, binary, step, &b);
	if (a.used != b.used || a.done != b.done || a.flags != b.flags)
		abort();
	if (a.used >= 0 && (a.out.len != b.out.len ||
	    (a.out.len > 0 && memcmp(a.out.data, b.out.data, a.out.len) != 0)))
		abort();
	if (a.used >= 0 && !binary && a.out.len > 0 &&
	    memchr(a.out.data, '\r', a.out.len) != NULL)
		abort();
	if (a.done) {
		size_t u = (size_t)a.used;

		if (mode != SMTP_DATA_DOT)
			abort();
		if (!(u == 3 && memcmp(p, ".\r\n", 3) == 0) &&
		    !(u >= 5 && memcmp(p + u - 5, "\r\n.\r\n", 5) == 0))
			abort();
	}
	if (a.used >= 0 && bare == SMTP_BARE_REJECT && !binary &&
	    (a.flags & SMTP_DATA_BARE))
		abort();
	buf_free(&a.out);
	buf_free(&b.out);
	return 0;
}
