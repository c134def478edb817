/*
 * smtp_data: byte-at-a-time decoder of DATA and BDAT content.  It holds
 * no buffer of its own, only a small state, so a message of any size and
 * any split into reads gives the same output; that is what makes the end
 * of data exact and the SMTP smuggling sequences plain content.
 *
 * Trust: every byte is the client's (fuzzed).
 */
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "smtp_data.h"

enum {
	ST_LINE_START,	/* nothing of this line yet */
	ST_DOT,		/* the line so far is "." (DOT mode) */
	ST_DOT_CR,	/* the line so far is "." CR */
	ST_MID,		/* inside a line */
	ST_CR		/* inside a line, after a CR */
};

void
smtp_data_init(struct smtp_data *d, enum smtp_data_mode mode,
    enum smtp_bare bare, int binary)
{
	memset(d, 0, sizeof(*d));
	d->mode = mode;
	d->bare = bare;
	d->binary = binary;
	d->state = ST_LINE_START;
	d->prev_crlf = 1;	/* the DATA command line ended in CR LF */
}

static int
smtp_data_out(struct smtp_data *d, struct buf *out, const char *p, size_t n)
{
	if (buf_append(out, p, n) == -1)
		return -1;
	d->out_total += n;
	return 0;
}

static void
smtp_data_count(struct smtp_data *d, const unsigned char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (p[i] >= 0x80)
			d->flags |= SMTP_DATA_8BIT;
		else if (p[i] == '\0')
			d->flags |= SMTP_DATA_NUL;
	}
	d->linelen += n;
	if (!d->binary && d->linelen > SMTP_DATA_LINE_MAX - 2)
		d->flags |= SMTP_DATA_TOOLONG;
}

/* A line ended; crlf says whether by a real CR LF. */
static int
smtp_data_eol(struct smtp_data *d, struct buf *out, int crlf)
{
	if (smtp_data_out(d, out, "\n", 1) == -1)
		return -1;
	d->prev_crlf = crlf;
	d->linelen = 0;
	d->state = ST_LINE_START;
	return 0;
}

/*
 * A bare CR or LF: an error, or (normalize) the end of a line that can
 * never be followed by the end of data.  Returns 0 to go on, -1 to stop.
 */
static int
smtp_data_bare(struct smtp_data *d, struct buf *out)
{
	d->flags |= SMTP_DATA_BARE;
	if (d->bare == SMTP_BARE_REJECT) {
		errno = EPROTO;
		return -1;
	}
	return smtp_data_eol(d, out, 0);
}

ssize_t
smtp_data_feed(struct smtp_data *d, const char *p, size_t n, struct buf *out)
{
	const unsigned char	*u = (const unsigned char *)p;
	size_t			 i = 0;

	while (i < n && !d->done) {
		unsigned char c = u[i];

		switch (d->state) {
		case ST_LINE_START:
			if (c == '.' && d->mode == SMTP_DATA_DOT) {
				d->state = ST_DOT;
				i++;
				break;
			}
			d->state = ST_MID;
			continue;	/* same byte, as inside a line */
		case ST_DOT:
			if (c == '\r') {
				d->state = ST_DOT_CR;
				i++;
				break;
			}
			if (c == '\n') {
				/* "." LF: never an end; the dot stays. */
				if (d->binary)
					break;	/* not reached: DOT mode */
				d->flags |= SMTP_DATA_BARE;
				if (d->bare == SMTP_BARE_REJECT) {
					errno = EPROTO;
					return -1;
				}
				if (smtp_data_out(d, out, ".", 1) == -1 ||
				    smtp_data_eol(d, out, 0) == -1)
					return -1;
				i++;
				break;
			}
			/* Dot-unstuffing: the leading dot goes. */
			d->state = ST_MID;
			continue;
		case ST_DOT_CR:
			if (c == '\n') {
				i++;
				if (d->prev_crlf) {
					d->done = 1;
					break;
				}
				/* "." CR LF after a bare line end: content. */
				if (smtp_data_out(d, out, ".", 1) == -1 ||
				    smtp_data_eol(d, out, 1) == -1)
					return -1;
				break;
			}
			/* "." then a bare CR. */
			d->flags |= SMTP_DATA_BARE;
			if (d->bare == SMTP_BARE_REJECT) {
				errno = EPROTO;
				return -1;
			}
			if (smtp_data_out(d, out, ".", 1) == -1 ||
			    smtp_data_eol(d, out, 0) == -1)
				return -1;
			continue;	/* reprocess c at a line start */
		case ST_MID: {
			size_t	 j = i;

			while (j < n && u[j] != '\r' && u[j] != '\n')
				j++;
			if (j > i) {
				smtp_data_count(d, u + i, j - i);
				if (smtp_data_out(d, out, p + i, j - i) == -1)
					return -1;
				i = j;
				break;
			}
			if (c == '\r') {
				d->state = ST_CR;
				i++;
				break;
			}
			/* bare LF */
			i++;
			if (d->binary) {
				if (smtp_data_out(d, out, "\n", 1) == -1)
					return -1;
				d->linelen = 0;
				break;
			}
			if (smtp_data_bare(d, out) == -1)
				return -1;
			break;
		}
		case ST_CR:
			if (c == '\n') {
				i++;
				if (smtp_data_eol(d, out, 1) == -1)
					return -1;
				break;
			}
			if (d->binary) {
				if (smtp_data_out(d, out, "\r", 1) == -1)
					return -1;
				d->linelen++;
				d->state = ST_MID;
				continue;
			}
			if (smtp_data_bare(d, out) == -1)
				return -1;
			continue;	/* reprocess c at a line start */
		}
	}
	return (ssize_t)i;
}

void
smtp_data_drop_line(struct smtp_data *d)
{
	d->flags |= SMTP_DATA_TOOLONG;
	d->prev_crlf = 1;
	d->linelen = 0;
	d->state = ST_LINE_START;
}

int
smtp_data_finish(struct smtp_data *d, struct buf *out)
{
	switch (d->state) {
	case ST_CR:
		if (d->binary) {
			if (smtp_data_out(d, out, "\r", 1) == -1)
				return -1;
			d->state = ST_MID;
			break;
		}
		return smtp_data_bare(d, out);
	case ST_DOT:
	case ST_DOT_CR:
		/* Cannot happen in BDAT mode; keep the dot if it does. */
		if (smtp_data_out(d, out, ".", 1) == -1)
			return -1;
		d->state = ST_MID;
		break;
	default:
		break;
	}
	if (d->state == ST_MID && !d->binary)
		return smtp_data_eol(d, out, 1);
	return 0;
}
