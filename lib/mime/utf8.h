/*
 * utf8: reading and writing UTF-8 (RFC 3629) for the MIME decoders, the
 * charset conversion and the search collation.  Valid means: shortest
 * form, no surrogates, nothing above U+10FFFF.
 *
 * Trust: any bytes; nothing here reads past the length given.
 */
#ifndef FACTEUR_UTF8_H
#define FACTEUR_UTF8_H
#include <stddef.h>
#include <stdint.h>

struct buf;

#define UTF8_REPLACEMENT	0xFFFD

/*
 * Decodes the character at s[0..n) (n > 0): returns its length (1-4) and
 * *cp, or 0 when the bytes there are not valid UTF-8 (*cp is then the
 * first byte's value, and one byte should be skipped).
 */
size_t	utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Writes cp (<= U+10FFFF, not a surrogate) into out[4]; returns 1-4. */
size_t	utf8_encode(uint32_t cp, char out[4]);
/* 1 if s[0..n) is valid UTF-8. */
int	utf8_valid(const char *s, size_t n);
/* The Unicode character windows-1252 gives byte c (>= 0x80). */
uint32_t utf8_cp1252(unsigned char c);

#define UTF8_FALLBACK_FFFD	0	/* an invalid byte becomes U+FFFD */
#define UTF8_FALLBACK_CP1252	1	/* ... the windows-1252 character */
/*
 * Appends s[0..n) to out as valid UTF-8: valid sequences as they are,
 * every other byte as `fallback` says; NUL becomes U+FFFD too (a NUL
 * can be in no IMAP string).  0, or -1 (out full: errno E2BIG).
 */
int	utf8_sanitize(const char *s, size_t n, int fallback, struct buf *out);

#endif
