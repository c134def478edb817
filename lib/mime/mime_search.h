/*
 * mime_search: IMAP SEARCH text keys (RFC 3501 6.4.4, RFC 9051 6.4.4)
 * over a parsed message: does a header field, the body or the whole text
 * contain a string?  Matching is by substring under i;unicode-casemap
 * (casemap.h) on decoded text:
 *  - header fields: unfolded, RFC 2047 words decoded (rfc2047.h);
 *    SUBJECT, FROM, TO, CC, BCC and HEADER name a field; every field of
 *    that name counts.  HEADER with an empty string matches a message
 *    that has the field at all (RFC 9051).
 *  - BODY: every text part (text/ *, and a part without a valid
 *    Content-Type), inside multiparts and encapsulated messages, decoded
 *    from its Content-Transfer-Encoding (leniently) and converted from
 *    its charset to UTF-8 (an unknown charset: the bytes as they are).
 *    Other parts (images, PDFs, ...) are not searched: no text extraction.
 *  - TEXT: every header field of every header section (the message's,
 *    each part's MIME header, each encapsulated message's) and BODY.
 *
 * The caller turns the client's string into UTF-8 first (SEARCH CHARSET;
 * RFC 9051 requires UTF-8 and US-ASCII).  Memory: one part's decoded
 * text at a time, up to the search's maximum (a part larger than that is
 * an error, never a partial search).
 *
 * Trust: the message and the string are strangers' (the string is checked
 * to be UTF-8 without NUL); the maximum bounds the memory.
 */
#ifndef FACTEUR_MIME_SEARCH_H
#define FACTEUR_MIME_SEARCH_H
#include <stddef.h>

#include "buf.h"
#include "mime.h"

struct mime_search {
	struct buf	 needle;	/* the mapped form of the string */
	struct buf	 a, b;		/* scratch: decoded, converted, mapped */
	size_t		 max;
};

/*
 * Prepares a search for the UTF-8 string s[0..n); max bounds the text
 * held at once (per part or field).  Returns 0, or -1 when s is not
 * valid UTF-8 (errno EILSEQ: BAD [BADCHARSET] in IMAP terms) or memory
 * ran out.
 */
int	mime_search_init(struct mime_search *, const char *s, size_t n,
	    size_t max);
void	mime_search_free(struct mime_search *);

/*
 * 1 if a field named `field` (any field when NULL) of the header section
 * hdr[0..len) contains the string, 0 if not, -1 on error (errno E2BIG:
 * a field larger than max; ENOMEM).
 */
int	mime_search_header(struct mime_search *, const char *hdr, size_t len,
	    const char *field);
/*
 * 1 if one header field's raw value value[0..n) (as header_scan gives
 * it: folds kept, RFC 2047 words encoded) contains the string, else 0;
 * -1 on error.  For a caller that walks the header itself.
 */
int	mime_search_value(struct mime_search *, const char *value, size_t n);
/* The same for the body (BODY) and for the whole message (TEXT). */
int	mime_search_body(struct mime_search *, const struct mime_tree *);
int	mime_search_text(struct mime_search *, const struct mime_tree *);

#endif
