/*
 * mime_decode: base64 and quoted-printable, streamed (see mime_decode.h).
 *
 * Trust: the encoded data is a stranger's; a full output buffer stops the
 * decoding with an error.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mime_decode.h"

/* 1-64 for the alphabet (the value + 1), 65 for '=', 66 for blanks and
 * line ends, 0 for the rest. */
static const unsigned char b64val[256] = {
	['A'] = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
	['a'] = 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41,
	42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52,
	['0'] = 53, 54, 55, 56, 57, 58, 59, 60, 61, 62,
	['+'] = 63, ['/'] = 64, ['='] = 65,
	[' '] = 66, ['\t'] = 66, ['\r'] = 66, ['\n'] = 66,
};

void
mime_b64_init(struct mime_b64 *b, unsigned flags)
{
	b->acc = 0;
	b->nacc = 0;
	b->pad = 0;
	b->flags = flags;
	b->bad = 0;
}

static int
b64_bad(struct mime_b64 *b)
{
	b->bad = 1;
	return (b->flags & MIME_DECODE_STRICT) ? MIME_DECODE_EDATA : 0;
}

int
mime_b64_decode(struct mime_b64 *b, const char *in, size_t n,
    struct buf *out)
{
	const unsigned char	*u = (const unsigned char *)in;
	unsigned char		 q[3];
	size_t			 i;
	unsigned		 v;

	if (b->bad && (b->flags & MIME_DECODE_STRICT))
		return MIME_DECODE_EDATA;
	for (i = 0; i < n; i++) {
		v = b64val[u[i]];
		if (v == 66)
			continue;
		if (v == 0) {
			if (b64_bad(b) != 0)
				return MIME_DECODE_EDATA;
			continue;
		}
		if (v == 65) {
			/* Padding ends a quantum of two or three sextets. */
			if (b->nacc < 2 && b->pad == 0) {
				if (b64_bad(b) != 0)
					return MIME_DECODE_EDATA;
				continue;
			}
			b->pad++;
			continue;
		}
		if (b->pad > 0) {
			/* Data after the padding: a new stream (lenient). */
			if (b64_bad(b) != 0)
				return MIME_DECODE_EDATA;
			if (mime_b64_end(b, out) == MIME_DECODE_EFULL)
				return MIME_DECODE_EFULL;
			b->pad = 0;
		}
		b->acc = b->acc << 6 | (v - 1);
		if (++b->nacc == 4) {
			q[0] = (unsigned char)(b->acc >> 16);
			q[1] = (unsigned char)(b->acc >> 8);
			q[2] = (unsigned char)b->acc;
			if (buf_append(out, q, 3) == -1)
				return MIME_DECODE_EFULL;
			b->acc = 0;
			b->nacc = 0;
		}
	}
	return 0;
}

int
mime_b64_end(struct mime_b64 *b, struct buf *out)
{
	unsigned char	q[2];
	int		r = 0;

	switch (b->nacc) {
	case 0:
		break;
	case 1:		/* six bits make no octet */
		r = b64_bad(b);
		break;
	case 2:
		q[0] = (unsigned char)(b->acc >> 4);
		if (buf_append(out, q, 1) == -1)
			return MIME_DECODE_EFULL;
		if (b->pad == 0)
			r = b64_bad(b);
		break;
	case 3:
		q[0] = (unsigned char)(b->acc >> 10);
		q[1] = (unsigned char)(b->acc >> 2);
		if (buf_append(out, q, 2) == -1)
			return MIME_DECODE_EFULL;
		if (b->pad == 0)
			r = b64_bad(b);
		break;
	}
	b->acc = 0;
	b->nacc = 0;
	if (r == 0 && b->bad && (b->flags & MIME_DECODE_STRICT))
		r = MIME_DECODE_EDATA;
	return r;
}

void
mime_qp_init(struct mime_qp *q, unsigned flags)
{
	q->flags = flags;
	q->bad = 0;
	q->state = 0;
	q->hex1 = 0;
	q->nblank = 0;
}

int
mime_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
mime_unescape_hex(const char *s, size_t n, int esc, int underscore,
    struct buf *out)
{
	size_t	i, run = 0;
	int	h, l;

	for (i = 0; i < n; i++) {
		if (s[i] == '_' && underscore) {
			if (buf_append(out, s + run, i - run) == -1 ||
			    buf_putc(out, ' ') == -1)
				return -1;
			run = i + 1;
		} else if (s[i] == esc && n - i >= 3 &&
		    (h = mime_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = mime_hexval((unsigned char)s[i + 2])) >= 0) {
			if (buf_append(out, s + run, i - run) == -1 ||
			    buf_putc(out, h << 4 | l) == -1)
				return -1;
			i += 2;
			run = i + 1;
		}
	}
	return buf_append(out, s + run, n - run);
}

static int
qp_bad(struct mime_qp *q)
{
	q->bad = 1;
	return (q->flags & MIME_DECODE_STRICT) ? MIME_DECODE_EDATA : 0;
}

/* Writes the blanks held back: they were not at the end of a line. */
static int
qp_flush_blanks(struct mime_qp *q, struct buf *out)
{
	if (q->nblank > 0 && buf_append(out, q->blank, q->nblank) == -1)
		return MIME_DECODE_EFULL;
	q->nblank = 0;
	return 0;
}

static int
qp_text(struct mime_qp *q, int c, struct buf *out)
{
	if (c == ' ' || c == '\t') {
		if (q->nblank == MIME_QP_HOLD &&
		    qp_flush_blanks(q, out) != 0)
			return MIME_DECODE_EFULL;
		q->blank[q->nblank++] = (char)c;
		return 0;
	}
	if (c == '\r' || c == '\n')
		q->nblank = 0;		/* trailing blanks are dropped */
	else if (qp_flush_blanks(q, out) != 0)
		return MIME_DECODE_EFULL;
	return buf_putc(out, c) == -1 ? MIME_DECODE_EFULL : 0;
}

/* Byte c after a bad escape or a false soft break: read as if anew. */
static int
qp_restart(struct mime_qp *q, int c, struct buf *out)
{
	q->state = 0;
	if (c == '=') {
		q->state = 1;
		return 0;
	}
	return qp_text(q, c, out);
}

int
mime_qp_decode(struct mime_qp *q, const char *in, size_t n, struct buf *out)
{
	const unsigned char	*u = (const unsigned char *)in;
	size_t			 i;
	int			 c, h, r;

	for (i = 0; i < n; i++) {
		c = u[i];
		switch (q->state) {
		case 0:
			if (c == '=') {
				if (qp_flush_blanks(q, out) != 0)
					return MIME_DECODE_EFULL;
				q->state = 1;
				continue;
			}
			if ((r = qp_text(q, c, out)) != 0)
				return r;
			continue;
		case 1:
			if (mime_hexval(c) >= 0) {
				q->hex1 = (char)c;
				q->state = 2;
				continue;
			}
			if (c == '\r' || c == '\n' || c == ' ' || c == '\t') {
				/* A soft line break, maybe after blanks. */
				q->state = c == '\n' ? 0 : 3;
				continue;
			}
			/* '=' that starts nothing: kept as it is. */
			if ((r = qp_bad(q)) != 0)
				return r;
			if (buf_putc(out, '=') == -1)
				return MIME_DECODE_EFULL;
			if ((r = qp_restart(q, c, out)) != 0)
				return r;
			continue;
		case 2:
			if ((h = mime_hexval(c)) >= 0) {
				h |= mime_hexval(q->hex1) << 4;
				if (buf_putc(out, h) == -1)
					return MIME_DECODE_EFULL;
				q->state = 0;
				continue;
			}
			if ((r = qp_bad(q)) != 0)
				return r;
			if (buf_putc(out, '=') == -1 ||
			    buf_putc(out, q->hex1) == -1)
				return MIME_DECODE_EFULL;
			if ((r = qp_restart(q, c, out)) != 0)
				return r;
			continue;
		case 3:
			/* After "= ": blanks, then the line end. */
			if (c == '\n')
				q->state = 0;
			else if (c != ' ' && c != '\t' && c != '\r') {
				/* Not a soft break after all: text. */
				if ((r = qp_bad(q)) != 0 ||
				    (r = qp_restart(q, c, out)) != 0)
					return r;
			}
			continue;
		}
	}
	return 0;
}

int
mime_qp_end(struct mime_qp *q, struct buf *out)
{
	int	r = 0;

	switch (q->state) {
	case 1:		/* '=' at the very end: a soft break */
	case 3:
		break;
	case 2:
		if ((r = qp_bad(q)) == 0 && (buf_putc(out, '=') == -1 ||
		    buf_putc(out, q->hex1) == -1))
			return MIME_DECODE_EFULL;
		break;
	}
	q->state = 0;
	q->nblank = 0;		/* blanks at the end of the data: dropped */
	return r;
}

int
mime_part_decode(const struct mime_tree *t, const struct mime_part *p,
    unsigned flags, struct buf *out)
{
	const char	*s = t->msg + p->body_off;
	struct mime_b64	 b;
	struct mime_qp	 q;
	int		 r;

	switch (p->cte) {
	case MIME_CTE_7BIT:
	case MIME_CTE_8BIT:
	case MIME_CTE_BINARY:
		return buf_append(out, s, p->body_len) == -1 ?
		    MIME_DECODE_EFULL : 0;
	case MIME_CTE_BASE64:
		mime_b64_init(&b, flags);
		if ((r = mime_b64_decode(&b, s, p->body_len, out)) != 0)
			return r;
		return mime_b64_end(&b, out);
	case MIME_CTE_QP:
		mime_qp_init(&q, flags);
		if ((r = mime_qp_decode(&q, s, p->body_len, out)) != 0)
			return r;
		return mime_qp_end(&q, out);
	case MIME_CTE_UNKNOWN:
		break;
	}
	errno = EINVAL;
	return MIME_DECODE_ECTE;
}
