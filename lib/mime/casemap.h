/*
 * casemap: the i;unicode-casemap collation (RFC 5051), which IMAP SEARCH
 * uses (RFC 9051 6.4.4; RFC 3501's "case-insensitive"): each character
 * is replaced by its titlecase, then by its full decomposition (canonical
 * and compatibility), repeatedly; two strings match when their mapped
 * forms do, and a substring search is a search in the mapped forms.  So
 * "STRASSE" finds "strasse", "σ" finds "Σ" and "ς", "é" finds "É" and
 * "e\u0301", and "e" finds "é" (as RFC 5051 intends: diacritics are
 * marks that follow the base letter).
 *
 * The table covers every code point of Unicode 14.0 (Latin, Greek,
 * Cyrillic, Armenian, Georgian, Cherokee, the fullwidth forms, ...;
 * 6,733 code points map to something else).  What it does not do, as
 * RFC 5051 does not: full case folding (ß stays ß, not "ss"), Hangul
 * syllable decomposition, and reordering of combining marks.  Invalid
 * UTF-8 bytes map to U+FFFD.
 *
 * Trust: the text is a stranger's (a message, a client's search string);
 * the output buffer's maximum bounds the work.
 */
#ifndef FACTEUR_CASEMAP_H
#define FACTEUR_CASEMAP_H
#include <stddef.h>
#include <stdint.h>

struct buf;

/* Appends the mapped form of the UTF-8 text in[0..n) to out; 0, or -1. */
int	casemap_utf8(const char *in, size_t n, struct buf *out);

/*
 * The mapping of one code point: *out points to len code points (a
 * static table or cp itself in *one).
 */
size_t	casemap_cp(uint32_t cp, const uint32_t **out, uint32_t *one);

#endif
