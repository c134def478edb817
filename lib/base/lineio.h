/*
 * lineio: buffered line reading and writing on a connection with timeouts
 * and a maximum line length.  The transport is a pair of functions so that
 * TLS (lib/tls) plugs in under the same API as a plain descriptor.
 *
 * A line is returned with its terminator bytes and the caller is told how
 * it ended, because protocol servers must tell CRLF from a bare LF.  A line
 * longer than the maximum is never truncated and accepted: the reader
 * discards it through the next LF and returns LINE_TOOLONG.
 *
 * Trust: see lineio.c.
 */
#ifndef FACTEUR_LINEIO_H
#define FACTEUR_LINEIO_H
#include <stddef.h>
#include <sys/types.h>
#include "buf.h"

#define LINEIO_RBUF	16384

enum line_status {
	LINE_OK,	/* a whole line, terminator included */
	LINE_EOF,	/* clean end of input before any byte of a line */
	LINE_PARTIAL,	/* end of input after some bytes without LF */
	LINE_TOOLONG,	/* over the maximum; discarded through its LF */
	LINE_TIMEOUT,
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
	int	 timeout_ms;		/* per read or write wait; <0 = none */
	long long deadline;		/* fd_now_ms() past which every wait
					   fails with ETIMEDOUT; 0 = none */
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

#endif
