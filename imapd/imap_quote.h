/*
 * imap_quote: IMAP strings in responses (RFC 3501 4.3, RFC 9051 4.3):
 * a quoted string where the bytes allow it, else a literal.  Shared by
 * the ENVELOPE and BODYSTRUCTURE writers; the session may use it for
 * any string it sends.
 *
 * Rules: quoted when the value has no CR, LF or 8-bit byte ('"' and
 * '\' are escaped), or, with IMAP_FMT_UTF8 (the client enabled
 * UTF8=ACCEPT, RFC 6855/9051), when its 8-bit bytes are valid UTF-8;
 * otherwise a literal {n}.  A NUL, which no IMAP string may hold, is
 * sent as U+FFFD (as Dovecot does).  NIL for an absent nstring.
 *
 * Trust: the value is any bytes from a message; what goes out is a valid
 * IMAP string whatever it holds.
 */
#ifndef FACTEUR_IMAP_QUOTE_H
#define FACTEUR_IMAP_QUOTE_H
#include <stddef.h>

struct buf;

#define IMAP_FMT_UTF8	0x1	/* UTF8=ACCEPT is enabled */

/* Appends s[0..n) as an IMAP string; 0, or -1 (out full: E2BIG). */
int	imap_quote_string(struct buf *out, const char *s, size_t n,
	    unsigned flags);
/* The same, or NIL when s is NULL. */
int	imap_quote_nstring(struct buf *out, const char *s, size_t n,
	    unsigned flags);

#endif
