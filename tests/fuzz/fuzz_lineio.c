/*
 * libFuzzer target for lib/base/lineio.c: lineio_read and lineio_read_raw over
 * an in-memory transport.  The first bytes of the input choose the line
 * maximum, the line buffer's own maximum, how the transport splits what
 * it delivers (including EINTR and EAGAIN), and a sequence of line and
 * raw reads; the rest is what the peer sends.  The same reads run three
 * times: with those splits, with whole reads and with one byte a read.
 *
 * Every result is checked against a model of lineio.h's contract, which
 * depends only on the input and the position reached, so results cannot
 * depend on the splits:
 *   - LINE_OK: the next bytes of the input through the first LF, at most
 *     the maximum (the smaller of max and the line buffer's), *crlf set
 *     exactly when they end in CRLF;
 *   - LINE_TOOLONG: the next line (through its LF, or to the end of input)
 *     is over the maximum but within LINEIO_DRAIN_MAX more bytes, and all
 *     of it is consumed, none returned;
 *   - LINE_OVERFLOW: the next line is longer than the maximum plus
 *     LINEIO_DRAIN_MAX, without counting its LF; the run ends there (the
 *     caller can only close the connection);
 *   - LINE_PARTIAL: end of input after 1..max bytes without LF, returned;
 *   - LINE_EOF: nothing left, and again on every later call;
 *   - a raw read of n gives 1..n next bytes of the input, 0 only at EOF;
 *   - what was returned plus what was discarded is the input so far, and
 *     lineio_buffered is what the transport delivered minus that.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"

#define HDR		15	/* max(2) linemax(1) splits(8) ops(4) */
#define NSPLIT		8
#define NOPS		4
#define LINEBUF_MAX	(1 << 20)

enum split_mode { SPLIT_INPUT, SPLIT_WHOLE, SPLIT_BYTE };

struct feed {
	const uint8_t	*in;
	size_t		 inlen, delivered;
	const uint8_t	*splits;
	size_t		 calls;
	int		 failed;	/* the last call was EINTR/EAGAIN */
	enum split_mode	 mode;
};

static ssize_t
feed_read(void *ctx, void *p, size_t n)
{
	struct feed	*f = ctx;
	size_t		 want = n;
	uint8_t		 s;

	if (f->mode == SPLIT_BYTE)
		want = 1;
	else if (f->mode == SPLIT_INPUT) {
		s = f->splits[f->calls++ % NSPLIT];
		/* A failure never follows a failure: reads make progress. */
		if ((s == 0 || s == 255) && !f->failed) {
			f->failed = 1;
			errno = s == 0 ? EINTR : EAGAIN;
			return -1;
		}
		f->failed = 0;
		if (s == 0 || s == 255)
			want = 1;
		else
			want = s < 200 ? s : (size_t)(s - 199) * 700;
	}
	if (want > n)
		want = n;
	if (want > f->inlen - f->delivered)
		want = f->inlen - f->delivered;
	memcpy(p, f->in + f->delivered, want);
	f->delivered += want;
	return (ssize_t)want;
}

/* Always "bytes pending", so lineio polls the dummy fd only after EAGAIN. */
static int
feed_pending(void *ctx)
{
	(void)ctx;
	return 1;
}

/* The model: the line starting at pos; returns its length, LF included. */
static size_t
model_line(const uint8_t *in, size_t inlen, size_t pos, int *has_lf)
{
	const uint8_t	*lf;

	lf = memchr(in + pos, '\n', inlen - pos);
	*has_lf = lf != NULL;
	return lf != NULL ? (size_t)(lf - (in + pos)) + 1 : inlen - pos;
}

/* Checks one lineio_read; 1 when it was LINE_OVERFLOW (the run ends). */
static int
check_line(struct lineio *l, struct buf *line, const uint8_t *in,
    size_t inlen, size_t *pos, size_t max, size_t effmax)
{
	enum line_status st;
	size_t		 seg;
	int		 crlf = -1, has_lf;

	st = lineio_read(l, line, max, &crlf);
	seg = model_line(in, inlen, *pos, &has_lf);
	if (line->len > effmax)
		abort();
	if (st != LINE_OK && crlf != 0)
		abort();
	switch (st) {
	case LINE_OK:
		if (!has_lf || seg > effmax || line->len != seg ||
		    memcmp(line->data, in + *pos, seg) != 0)
			abort();
		if (crlf != (seg >= 2 && in[*pos + seg - 2] == '\r'))
			abort();
		break;
	case LINE_TOOLONG:
		if (seg <= effmax ||
		    seg - (has_lf ? 1 : 0) > effmax + LINEIO_DRAIN_MAX)
			abort();
		break;
	case LINE_OVERFLOW:
		if (seg - (has_lf ? 1 : 0) <= effmax + LINEIO_DRAIN_MAX)
			abort();
		return 1;
	case LINE_PARTIAL:
		if (has_lf || seg == 0 || seg > effmax || line->len != seg ||
		    memcmp(line->data, in + *pos, seg) != 0)
			abort();
		break;
	case LINE_EOF:
		if (seg != 0 || line->len != 0)
			abort();
		break;
	default:
		abort();	/* the transport never fails or times out */
	}
	*pos += seg;
	return 0;
}

static void
check_raw(struct lineio *l, const uint8_t *in, size_t inlen, size_t *pos,
    size_t n)
{
	static char	 raw[64 * 37 + 1];
	ssize_t		 r;

	r = lineio_read_raw(l, raw, n);
	if (r < 0 || (size_t)r > n || (size_t)r > inlen - *pos)
		abort();
	if (r == 0 && *pos != inlen)
		abort();
	if (memcmp(raw, in + *pos, (size_t)r) != 0)
		abort();
	*pos += (size_t)r;
}

static void
fuzz_run(const uint8_t *hdr, const uint8_t *in, size_t inlen,
    enum split_mode mode)
{
	static int		 devnull = -1;
	struct feed		 f;
	struct line_transport	 tr;
	struct lineio		*l;
	struct buf		 line;
	size_t			 max, linemax, effmax, pos = 0, op, eofs = 0;
	uint8_t			 o;

	if (devnull == -1 && (devnull = open("/dev/null", O_RDWR)) == -1)
		abort();
	max = (size_t)hdr[0] | (size_t)(hdr[1] & 0x7f) << 8;
	linemax = hdr[2] & 0x80 ? (size_t)(hdr[2] & 0x7f) * 3 : LINEBUF_MAX;
	effmax = max < linemax ? max : linemax;
	memset(&f, 0, sizeof(f));
	f.in = in;
	f.inlen = inlen;
	f.splits = hdr + 3;
	f.mode = mode;
	if ((l = malloc(sizeof(*l))) == NULL)
		abort();
	lineio_init(l, devnull, devnull, 1000);
	tr.read = feed_read;
	tr.write = NULL;	/* nothing is written */
	tr.pending = feed_pending;
	tr.ctx = &f;
	lineio_set_transport(l, &tr);
	buf_init(&line, linemax);
	/* Every read consumes a byte until EOF; stop after two EOFs. */
	for (op = 0; eofs < 2; op++) {
		if (op > inlen + 2)
			abort();	/* no progress */
		o = hdr[3 + NSPLIT + op % NOPS];
		if (pos == inlen)
			eofs++;
		if (o < 0xc0) {
			if (check_line(l, &line, in, inlen, &pos, max,
			    effmax) == 1)
				goto done;
		} else
			check_raw(l, in, inlen, &pos,
			    (size_t)(o & 0x3f) * 37 + 1);
		/* Returned plus discarded is the input read so far. */
		if (pos > f.delivered || lineio_buffered(l) != f.delivered - pos)
			abort();
	}
	if (pos != inlen || f.delivered != inlen)
		abort();
done:
	lineio_free(l);
	free(l);
	buf_free(&line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	if (n < HDR)
		return 0;
	fuzz_run(data, data + HDR, n - HDR, SPLIT_INPUT);
	fuzz_run(data, data + HDR, n - HDR, SPLIT_WHOLE);
	fuzz_run(data, data + HDR, n - HDR, SPLIT_BYTE);
	return 0;
}
