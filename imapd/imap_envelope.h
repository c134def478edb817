/*
 * imap_envelope: the ENVELOPE of a message (RFC 3501 7.4.2, RFC 9051
 * 7.5.2) from its header section alone, so that FETCH ENVELOPE reads no
 * body (mime_header_len() says how much of a message that is).
 *
 *   (date subject from sender reply-to to cc bcc in-reply-to message-id)
 *
 * Date, Subject, In-Reply-To and Message-ID are the first field of that
 * name (RFC 5322 allows one; Dovecot takes the last); repeated address
 * fields (two To: lines) make one list, as in Dovecot.  Date, Subject,
 * In-Reply-To and Message-ID are the raw values, unfolded
 * (CR and LF removed) and trimmed of blanks: NIL when the field is
 * absent, "" when it is empty; RFC 2047 words stay encoded.  Address
 * lists come from imap_address.h; Sender and Reply-To, when absent or
 * naming no address, are the From list (RFC 3501).  Strings are quoted
 * or sent as literals by imap_quote.h, in UTF-8 only with IMAP_FMT_UTF8.
 *
 * Trust: the header is a stranger's, any bytes; work is linear in its
 * size and memory is a few buffers no larger than one field.
 */
#ifndef FACTEUR_IMAP_ENVELOPE_H
#define FACTEUR_IMAP_ENVELOPE_H
#include <stddef.h>

struct buf;

/*
 * Appends the ENVELOPE of the header section hdr[0..len) (CRLF or LF
 * line ends) to out.  Returns 0, or -1 (out full, or memory ran out).
 */
int	imap_envelope_write(struct buf *out, const char *hdr, size_t len,
	    unsigned flags);

#endif
