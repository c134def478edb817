/*
 * lineio: buffered line reading and writing on a connection with timeouts
 * and a maximum line length.  The transport is a pair of functions so that
 * TLS (lib/tls) plugs in under the same API as a plain descriptor.
 *
 * A line is returned with its terminator bytes and the caller is told how
 * it ended, because protocol servers must tell CRLF from a bare LF.  A line
 * longer than the maximum is never truncated and accepted: the reader
 * discards it through the next LF and returns LINE_TOOLONG, as long as
 * that LF comes within LINEIO_DRAIN_MAX bytes past the maximum; a line
 * longer than that is LINE_OVERFLOW, after which the caller can only
 * close the connection.
 *
 * Time: timeout_ms bounds a whole lineio_read, from its call to its end,
 * however the peer spreads the bytes (one byte every few seconds does
 * not keep a line open), and each raw read and each write.  A deadline
 * set with lineio_set_deadline bounds everything on the connection,
 * whatever timeout_ms says.
 *
 * Trust: see lineio.c.
 */
#ifndef FACTEUR_LINEIO_H
#define FACTEUR_LINEIO_H
#include <stddef.h>
#include <sys/types.h>
#include "buf.h"

#define LINEIO_RBUF	16384
#define LINEIO_DRAIN_MAX (64 * 1024)	/* bytes of an over-long line dropped */

enum line_status {
	LINE_OK,	/* a whole line, terminator included */
	LINE_EOF,	/* clean end of input before any byte of a line */
	LINE_PARTIAL,	/* end of input after some bytes without LF */
	LINE_TOOLONG,	/* over the maximum; discarded through its LF */
	LINE_OVERFLOW,	/* over the maximum and LINEIO_DRAIN_MAX more: close */
	LINE_TIMEOUT,	/* timeout_ms or the deadline passed */
	LINE_ERROR	/* errno set */
};

/* Transport: read/write at most n bytes; -1 with errno (EAGAIN allowed). */
struct line_transport {
	ssize_t	(*read)(void *ctx, void *, size_t);
	ssize_t	(*write)(void *ctx, const void *, size_t);
	int	(*pending)(void *ctx);	/* bytes buffered below us, or NULL */
	void	*ctx;
};

struct lineio {
	int	 fd_in, fd_out;
	int	 timeout_ms;		/* per line read, raw read or write; <0 = none */
	long long deadline;		/* fd_now_ms() end of it all; 0 = none */
	long long line_end;		/* while a line is read: its deadline */
	struct line_transport tr;	/* plain fds when tr.read == NULL */
	char	 rbuf[LINEIO_RBUF];
	size_t	 rpos, rlen;
	struct buf wbuf;		/* pending output */
	int	 eof;
};

void	lineio_init(struct lineio *, int fd_in, int fd_out, int timeout_ms);
void	lineio_set_transport(struct lineio *, const struct line_transport *);
void	lineio_free(struct lineio *);
/*
 * Sets the absolute deadline (fd_now_ms() milliseconds; 0 removes it):
 * no read or write waits past it, whatever timeout_ms says.
 */
void	lineio_set_deadline(struct lineio *, long long deadline_ms);
/* 1 when a deadline is set and has passed (to word the error). */
int	lineio_expired(const struct lineio *);
/*
 * For the last reply of a connection that ran out of time: the deadline
 * becomes LINEIO_GRACE_MS from now, so that reply still goes out (to a
 * peer that reads) and nothing waits longer.
 */
#define LINEIO_GRACE_MS	2000
void	lineio_grace(struct lineio *);
/*
 * When the wait that starts now must end (fd_now_ms() time, 0 for never):
 * what a transport below (TLS) uses for its own waits.
 */
long long lineio_wait_deadline(const struct lineio *);
/*
 * Reads one line into `line` (reset first), at most `max` bytes including
 * the terminator.  *crlf is set to 1 when it ended in CRLF, 0 for a bare LF.
 */
enum line_status lineio_read(struct lineio *, struct buf *line, size_t max,
	    int *crlf);
/* Reads up to n raw bytes (buffered first); 0 at EOF; -1 on error/timeout. */
ssize_t	lineio_read_raw(struct lineio *, void *, size_t n);
/* Bytes already read from the transport but not yet consumed. */
size_t	lineio_buffered(const struct lineio *);
/* Drops buffered input (STARTTLS: plaintext pipelined behind the command). */
void	lineio_discard_input(struct lineio *);
int	lineio_write(struct lineio *, const void *, size_t);	/* buffered */
int	lineio_printf(struct lineio *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	lineio_flush(struct lineio *);	/* 0, or -1 (timeout/error) */
/*
 * Closing on a peer that may still be sending (a limit ran out): a
 * socket closed with unread input is reset, and the reset can make the
 * peer's system drop the last reply unread.  So this shuts the sending
 * side (the peer sees the end after everything sent) and reads and drops
 * what comes until the peer closes too, for at most LINEIO_GRACE_MS.
 * Call it after the last flush (and after a TLS close); nothing is sent
 * after it.  Does nothing when fd_out is not a socket.
 */
void	lineio_linger(struct lineio *);

#endif
