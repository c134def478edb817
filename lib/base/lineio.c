/*
 * lineio: buffered line reading and writing on a connection, with a
 * timeout on every wait and a maximum line length (see lineio.h).
 *
 * Every wait is a poll() bounded by an absolute time: the end of the
 * line being read (timeout_ms after lineio_read was called), else
 * timeout_ms from the wait's start, and never past the connection's
 * deadline.  So a silent peer costs at most timeout_ms per wait and a
 * dribbling one at most timeout_ms per line.  Reads happen only after poll()
 * says the descriptor is readable, or when the transport (TLS) already
 * holds decrypted bytes (pending > 0), which poll() cannot see.  Writes to
 * a socket use MSG_DONTWAIT, so a peer that stops reading cannot block us
 * past the timeout even on a blocking descriptor; writes to anything else
 * (a pipe) go in chunks of at most PIPE_BUF after POLLOUT.
 *
 * Lines are byte arrays with a length: NUL bytes inside a line are kept
 * for the caller to refuse.  Output collects in wbuf and goes out when it
 * passes LINEIO_WFLUSH bytes or on lineio_flush().
 *
 * Trust: the peer is the network client or a process of another
 * privilege: every read is bounded in length and in time.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fdio.h"
#include "lineio.h"

#define LINEIO_WMAX	(1024 * 1024)	/* most output ever held */
#define LINEIO_WFLUSH	(64 * 1024)	/* send once this much is pending */

void
lineio_init(struct lineio *l, int fd_in, int fd_out, int timeout_ms)
{
	memset(l, 0, sizeof(*l));
	l->fd_in = fd_in;
	l->fd_out = fd_out;
	l->timeout_ms = timeout_ms;
	buf_init(&l->wbuf, LINEIO_WMAX);
}

void
lineio_set_transport(struct lineio *l, const struct line_transport *tr)
{
	l->tr = *tr;
}

void
lineio_free(struct lineio *l)
{
	/* Input may have held credentials (AUTH PLAIN, PASS). */
	explicit_bzero(l->rbuf, sizeof(l->rbuf));
	l->rpos = l->rlen = 0;
	buf_wipe(&l->wbuf);
}

void
lineio_set_deadline(struct lineio *l, long long deadline_ms)
{
	l->deadline = deadline_ms;
}

int
lineio_expired(const struct lineio *l)
{
	return l->deadline != 0 && fd_now_ms() >= l->deadline;
}

void
lineio_grace(struct lineio *l)
{
	l->deadline = fd_now_ms() + LINEIO_GRACE_MS;
}

long long
lineio_wait_deadline(const struct lineio *l)
{
	long long	 end = 0;

	if (l->line_end != 0)
		end = l->line_end;
	else if (l->timeout_ms >= 0)
		end = fd_now_ms() + l->timeout_ms;
	if (l->deadline != 0 && (end == 0 || l->deadline < end))
		end = l->deadline;
	return end;
}

/* Waits for fd until lineio_wait_deadline (see fd_wait_until). */
static int
lineio_wait(const struct lineio *l, int fd, short events)
{
	long long	 end = lineio_wait_deadline(l);

	/* Passed is passed, even for a peer that keeps bytes coming. */
	if (end != 0 && fd_now_ms() >= end) {
		errno = ETIMEDOUT;
		return -1;
	}
	return fd_wait_until(fd, events, end);
}

/* One read from the transport, waiting as needed: >0, 0 at EOF, or -1. */
static ssize_t
lineio_read_some(struct lineio *l, void *p, size_t n)
{
	ssize_t	 r;
	int	 again = 0;

	for (;;) {
		/*
		 * Bytes pending inside the transport are read without a wait,
		 * unless the transport just said EAGAIN (half a TLS record):
		 * then only the socket can make progress.
		 */
		if (again || l->tr.read == NULL || l->tr.pending == NULL ||
		    l->tr.pending(l->tr.ctx) <= 0) {
			if (lineio_wait(l, l->fd_in, POLLIN) == -1)
				return -1;
		}
		if (l->tr.read != NULL)
			r = l->tr.read(l->tr.ctx, p, n);
		else
			r = read(l->fd_in, p, n);
		if (r >= 0)
			return r;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		again = errno != EINTR;
	}
}

/* One write to the transport without blocking past the timeout. */
static ssize_t
lineio_write_some(struct lineio *l, const void *p, size_t n)
{
	ssize_t	 w;

	if (lineio_wait(l, l->fd_out, POLLOUT) == -1)
		return -1;
	if (l->tr.write != NULL)
		return l->tr.write(l->tr.ctx, p, n);
	w = send(l->fd_out, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w == -1 && errno == ENOTSOCK)
		w = write(l->fd_out, p, n > PIPE_BUF ? PIPE_BUF : n);
	return w;
}

static int
lineio_write_all(struct lineio *l, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		w = lineio_write_some(l, p, n);
		if (w == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EPIPE;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Refills rbuf (which must be empty): >0, 0 at EOF, -1 on error. */
static ssize_t
lineio_fill(struct lineio *l)
{
	ssize_t	 r;

	l->rpos = l->rlen = 0;
	if (l->eof)
		return 0;
	r = lineio_read_some(l, l->rbuf, sizeof(l->rbuf));
	if (r == 0)
		l->eof = 1;
	else if (r > 0)
		l->rlen = (size_t)r;
	return r;
}

/* The body of lineio_read, with the line's deadline set. */
static enum line_status
lineio_read_line(struct lineio *l, struct buf *line, size_t max, int *crlf)
{
	const char	*start, *lf;
	size_t		 chunk, dropped = 0;
	ssize_t		 r;
	int		 toolong = 0, done;

	for (;;) {
		if (l->rpos == l->rlen) {
			r = lineio_fill(l);
			if (r == -1)
				return errno == ETIMEDOUT ? LINE_TIMEOUT :
				    LINE_ERROR;
			if (r == 0) {
				if (toolong)
					return LINE_TOOLONG;
				return line->len > 0 ? LINE_PARTIAL : LINE_EOF;
			}
		}
		start = l->rbuf + l->rpos;
		lf = memchr(start, '\n', l->rlen - l->rpos);
		done = lf != NULL;
		chunk = done ? (size_t)(lf - start) + 1 : l->rlen - l->rpos;
		if (!toolong && (chunk > max || line->len > max - chunk)) {
			/* Over the limit: drop it all through the LF. */
			toolong = 1;
			dropped = line->len;
			buf_reset(line);
		}
		if (toolong) {
			dropped += chunk;
			if (dropped - (done ? 1 : 0) > max + LINEIO_DRAIN_MAX) {
				/* Still no LF: stop reading it. */
				l->rpos = l->rlen;
				return LINE_OVERFLOW;
			}
		}
		l->rpos += chunk;
		if (!toolong && buf_append(line, start, chunk) == -1)
			return LINE_ERROR;	/* out of memory */
		if (done)
			break;
	}
	if (toolong)
		return LINE_TOOLONG;
	*crlf = line->len >= 2 && line->data[line->len - 2] == '\r';
	return LINE_OK;
}

enum line_status
lineio_read(struct lineio *l, struct buf *line, size_t max, int *crlf)
{
	enum line_status	 st;

	buf_reset(line);
	*crlf = 0;
	if (max > line->max)
		max = line->max;	/* the line buffer's own limit binds too */
	/* The whole line within timeout_ms, not each of its reads. */
	l->line_end = l->timeout_ms >= 0 ? fd_now_ms() + l->timeout_ms : 0;
	st = lineio_read_line(l, line, max, crlf);
	l->line_end = 0;
	return st;
}

ssize_t
lineio_read_raw(struct lineio *l, void *p, size_t n)
{
	size_t	 avail = l->rlen - l->rpos;
	ssize_t	 r;

	if (n == 0)
		return 0;
	if (avail > 0) {
		if (avail > n)
			avail = n;
		memcpy(p, l->rbuf + l->rpos, avail);
		l->rpos += avail;
		return (ssize_t)avail;
	}
	if (l->eof)
		return 0;
	/* Nothing buffered: read straight into the caller's memory. */
	r = lineio_read_some(l, p, n);
	if (r == 0)
		l->eof = 1;
	return r;
}

size_t
lineio_buffered(const struct lineio *l)
{
	return l->rlen - l->rpos;
}

void
lineio_discard_input(struct lineio *l)
{
	explicit_bzero(l->rbuf, l->rlen);
	l->rpos = l->rlen = 0;
}

int
lineio_write(struct lineio *l, const void *p, size_t n)
{
	if (l->wbuf.len > 0 && n > LINEIO_WFLUSH - l->wbuf.len &&
	    lineio_flush(l) == -1)
		return -1;
	if (n >= LINEIO_WFLUSH)
		return lineio_write_all(l, p, n);	/* too big to copy */
	return buf_append(&l->wbuf, p, n);
}

int
lineio_printf(struct lineio *l, const char *fmt, ...)
{
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = buf_vprintf(&l->wbuf, fmt, ap);
	va_end(ap);
	if (r == -1 && errno == E2BIG && l->wbuf.len > 0) {
		/* Make room and try once more on an empty buffer. */
		if (lineio_flush(l) == -1)
			return -1;
		va_start(ap, fmt);
		r = buf_vprintf(&l->wbuf, fmt, ap);
		va_end(ap);
	}
	if (r == -1)
		return -1;
	if (l->wbuf.len >= LINEIO_WFLUSH)
		return lineio_flush(l);
	return 0;
}

int
lineio_flush(struct lineio *l)
{
	ssize_t	 w;

	while (l->wbuf.len > 0) {
		w = lineio_write_some(l, l->wbuf.data, l->wbuf.len);
		if (w == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EPIPE;
			return -1;
		}
		buf_consume(&l->wbuf, (size_t)w);
	}
	return 0;
}

void
lineio_linger(struct lineio *l)
{
	char		 b[4096];
	long long	 end = fd_now_ms() + LINEIO_GRACE_MS;
	ssize_t		 r;

	if (shutdown(l->fd_out, SHUT_WR) == -1)
		return;		/* not a socket, or already gone */
	while (fd_wait_until(l->fd_in, POLLIN, end) == 0) {
		r = recv(l->fd_in, b, sizeof(b), MSG_DONTWAIT);
		if (r == 0 || (r == -1 && errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK))
			break;
	}
	explicit_bzero(b, sizeof(b));
}
