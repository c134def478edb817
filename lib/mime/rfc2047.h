/*
 * rfc2047: the text of a header field value, in UTF-8: folds removed,
 * RFC 2047 encoded words (=?charset?B|Q?...?=) decoded, for SEARCH and
 * anything that shows a header to a person.  ENVELOPE and BODYSTRUCTURE
 * do not use it: IMAP sends header values encoded.
 *
 * Lenient, as mail readers are: an encoded word is recognized where it
 * stands (also inside a word or a quoted string, though RFC 2047 forbids
 * both); blanks between two encoded words are dropped; adjacent words in
 * the same charset are joined before conversion, so a character split
 * across two words survives; an RFC 2231 language suffix (`utf-8*en`)
 * is ignored.  An encoded word in an unknown charset, or malformed, is
 * kept as written.  Raw 8-bit text is taken as UTF-8 where it is valid
 * and as windows-1252 where not.  The output is valid UTF-8 without NUL.
 *
 * Trust: the value is a stranger's; the output's maximum bounds the work
 * of one call (a full buffer is an error, never a truncation).
 */
#ifndef FACTEUR_RFC2047_H
#define FACTEUR_RFC2047_H
#include <stddef.h>

struct buf;

/* Appends the decoded text of in[0..n) to out; 0, or -1 (out full). */
int	rfc2047_decode(const char *in, size_t n, struct buf *out);

#endif
