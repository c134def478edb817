/*
 * crlf: the wire form of a stored message.  facteur stores messages with
 * LF line ends (docs/architecture.md); POP3, IMAP and the SMTP client send
 * them with CRLF, and POP3 RETR/TOP and SMTP DATA also dot-stuff.  Counting
 * and converting share one state, so that a size announced before sending
 * (POP3 LIST, IMAP RFC822.SIZE, SMTP SIZE=) is the octets then sent.
 *
 * Trust: the input is a stored message, any bytes; no limit on its size
 * (the caller streams it in chunks); the output buffer's maximum bounds
 * each call, and a full buffer is an error, never a truncation.
 */
#ifndef CRLF_H
#define CRLF_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Streamed conversion.  crlf_state starts zeroed; feed the file in
 * chunks, then finish.  out gets the converted bytes (LF -> CRLF, and with
 * dot-stuffing when stuff is set).
 */
struct crlf_state {
	int	 last;		/* last byte seen, -1 at the start */
	int	 bol;		/* at the beginning of a line */
	size_t	 lines;		/* LFs seen */
};
void	crlf_init(struct crlf_state *);
/* Octets the chunk adds on the wire (without dot-stuffing). */
size_t	crlf_count(struct crlf_state *, const char *, size_t);
/* Octets finishing adds: 2 when the data did not end with LF, else 0. */
size_t	crlf_count_end(const struct crlf_state *);
/* Wire size of a whole file on fd (read to its end), or -1. */
ssize_t	crlf_size_fd(int fd);
/* Appends the wire form of the chunk to out; 0, or -1 (out full). */
struct buf;
int	crlf_convert(struct crlf_state *, const char *, size_t, int stuff,
	    struct buf *out);
/* Appends the final CRLF when the data did not end with LF. */
int	crlf_convert_end(struct crlf_state *, struct buf *out);

#endif
