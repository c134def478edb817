/*
 * imap_bodystructure: BODYSTRUCTURE and BODY (RFC 3501 7.4.2, RFC 9051
 * 7.5.2) of a part of a parsed message (lib/mime/mime.h), extension data
 * included for BODYSTRUCTURE.
 *
 * What is written, where the RFCs leave a choice, is Dovecot's answer
 * (tests/data/bodystructure/ compares the two and notes where they
 * differ):
 *  - type, subtype, parameter names and values as written in the header
 *    (an RFC 2231 value stays in its extended form under `name*`,
 *    continuations joined); a text part without a charset gets
 *    ("charset" "us-ascii") after its parameters; a part without a valid
 *    Content-Type is text/plain; charset=us-ascii (RFC 2045 5.2);
 *  - Content-Transfer-Encoding as written, "7bit" when absent;
 *  - sizes and line counts of the wire form (the tree's input);
 *  - a multipart left whole by the depth limit is written as
 *    application/octet-stream with its parameters (as Dovecot does);
 *  - message/rfc822 and message/global: envelope, body and lines;
 *  - Content-Language is always a list; the other extension fields are
 *    nstrings, NIL when absent.
 * Values go through imap_quote (literals for CR, LF and 8-bit; UTF-8 in
 * quoted strings with IMAP_FMT_UTF8).
 *
 * Trust: the message is a stranger's; every string goes out through
 * imap_quote, bounded by the caller's buffer.
 */
#ifndef FACTEUR_IMAP_BODYSTRUCTURE_H
#define FACTEUR_IMAP_BODYSTRUCTURE_H
#include <stddef.h>

struct buf;
struct mime_tree;
struct mime_part;

/*
 * Appends the body structure of part p of tree t (t->root for FETCH
 * BODYSTRUCTURE) to out; extended: 1 for BODYSTRUCTURE, 0 for BODY.
 * Returns 0, or -1 (out full, or memory ran out).
 */
int	imap_bodystructure_write(struct buf *out, const struct mime_tree *t,
	    const struct mime_part *p, int extended, unsigned flags);

#endif
