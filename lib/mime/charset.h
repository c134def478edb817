/*
 * charset: text in a MIME charset (RFC 2045 and the IANA registry names
 * mail uses) converted to UTF-8, for SEARCH, RFC 2047 words and RFC 2231
 * parameters.
 *
 * us-ascii, utf-8, iso-8859-1 and windows-1252 are converted here;
 * every other charset through iconv(3) (glibc's gconv modules, which a
 * statically linked program loads at run time from the glibc it was
 * built with).  Names are matched case-insensitively, with the aliases
 * mail uses mapped to the superset that decodes what senders really
 * put under the label (WHATWG Encoding's choices: iso-8859-1 and
 * us-ascii are read as windows-1252, gb2312 as GB18030, shift_jis as
 * windows-31j, euc-kr and ks_c_5601-1987 as CP949, big5 as BIG5-HKSCS).
 * us-ascii text that holds valid UTF-8 is taken as UTF-8 (a common
 * mislabel).
 *
 * Invalid input never fails a conversion: a byte sequence the charset
 * does not define becomes U+FFFD (in a utf-8 text too), so the output
 * is always valid UTF-8 without NUL.
 *
 * Trust: the names and texts come from strangers' messages; names longer
 * than CHARSET_NAME_MAX are unknown.  iconv descriptors are cached
 * (CHARSET_CACHE of them; the process is single-threaded).
 */
#ifndef FACTEUR_CHARSET_H
#define FACTEUR_CHARSET_H
#include <stddef.h>

struct buf;

#define CHARSET_NAME_MAX	64
#define CHARSET_CACHE		4

/*
 * Appends in[0..n), in the charset named name[0..namelen), to out as
 * UTF-8.  Returns 0; 1 when the charset is unknown (nothing appended);
 * -1 when out is full or memory ran out (errno E2BIG or ENOMEM).
 */
int	charset_to_utf8(const char *name, size_t namelen, const char *in,
	    size_t n, struct buf *out);

/* 1 if charset_to_utf8 would convert from this charset. */
int	charset_known(const char *name, size_t namelen);

/* Closes the cached iconv descriptors. */
void	charset_cache_free(void);

#endif
