/*
 * imap_utf7: IMAP's modified UTF-7 (RFC 3501 5.1.3), the form of mailbox
 * names on the wire for clients that have not enabled UTF-8 (RFC 6855,
 * IMAP4rev2), and on disk in Maildir++ folder names (as Courier and
 * Dovecot write them).
 *
 * Decoding is strict, so that one name has one spelling: printable ASCII
 * only outside shifts, "&-" for '&', every shift closed by '-', base64
 * of UTF-16 with zero padding bits, no printable ASCII or lone surrogate
 * inside a shift, no empty or adjacent shifts.
 */
#ifndef FACTEUR_IMAP_UTF7_H
#define FACTEUR_IMAP_UTF7_H
#include <stddef.h>

/*
 * Decodes s[0..n) into UTF-8 in out (size outlen, NUL-ended): 0, or -1
 * when malformed or when it does not fit.
 */
int	imap_utf7_decode(const char *s, size_t n, char *out, size_t outlen);
/*
 * Encodes the UTF-8 string s[0..n) (checked: -1 when invalid) into
 * modified UTF-7 in out (size outlen, NUL-ended): 0, or -1.
 */
int	imap_utf7_encode(const char *s, size_t n, char *out, size_t outlen);

#endif
