/*
 * mime_decode: Content-Transfer-Encoding decoders (RFC 2045 6.7
 * quoted-printable, 6.8 base64), streamed into a struct buf whose
 * maximum bounds the output, for BINARY[section], BINARY.SIZE and SEARCH.
 *
 * Two modes.  Lenient (SEARCH, display): base64 skips every byte outside
 * its alphabet and decodes what it can; quoted-printable keeps a '=' that
 * starts no escape.  Strict (MIME_DECODE_STRICT, for BINARY): any such
 * byte, data after base64 padding or a cut-off quantum is an error, and
 * the caller answers NO [UNKNOWN-CTE] (RFC 3516 4.3; Dovecot says
 * [PARSE] for bad data and [UNKNOWN-CTE] for an unknown encoding).
 * Both modes drop the blanks at the end of a quoted-printable line (RFC
 * 2045 6.7 rule 3), keep its line ends as they are (CRLF stays CRLF), and
 * accept lower-case hex digits.
 *
 * Trust: the input is a stranger's; a full output buffer is an error,
 * never a truncation.  Decoder states are small structs, no allocation.
 */
#ifndef FACTEUR_MIME_DECODE_H
#define FACTEUR_MIME_DECODE_H
#include <stddef.h>
#include <stdint.h>

#include "mime.h"

struct buf;

#define MIME_DECODE_STRICT	0x1

/* Results: 0, or one of these (negative). */
#define MIME_DECODE_EFULL	(-1)	/* out full or no memory (errno) */
#define MIME_DECODE_EDATA	(-2)	/* strict: invalid encoded data */
#define MIME_DECODE_ECTE	(-3)	/* unknown Content-Transfer-Encoding */

struct mime_b64 {
	uint32_t	 acc;		/* bits not yet written */
	unsigned	 nacc;		/* sextets in acc */
	unsigned	 pad;		/* '=' seen */
	unsigned	 flags;
	int		 bad;
};

void	mime_b64_init(struct mime_b64 *, unsigned flags);
int	mime_b64_decode(struct mime_b64 *, const char *in, size_t n,
	    struct buf *out);
/* The end of the data: checks the last quantum (strict). */
int	mime_b64_end(struct mime_b64 *, struct buf *out);

#define MIME_QP_HOLD	80	/* blanks held back at most */

struct mime_qp {
	unsigned	 flags;
	int		 bad;
	unsigned	 state;		/* 0 text, 1 after '=', 2 '=X', 3 soft */
	char		 hex1;
	size_t		 nblank;	/* blanks held: dropped at a line end */
	char		 blank[MIME_QP_HOLD];
};

void	mime_qp_init(struct mime_qp *, unsigned flags);
int	mime_qp_decode(struct mime_qp *, const char *in, size_t n,
	    struct buf *out);
int	mime_qp_end(struct mime_qp *, struct buf *out);

/* The value of a hex digit (either case), or -1. */
int	mime_hexval(int c);
/*
 * Appends s[0..n) with each `esc` followed by two hex digits decoded (an
 * escape that is not one stays as written), and with '_' as a blank when
 * underscore is set: RFC 2231's %XX (esc '%') and RFC 2047's Q encoding
 * (esc '=', underscore).  0, or -1 (out full).
 */
int	mime_unescape_hex(const char *s, size_t n, int esc, int underscore,
	    struct buf *out);

/*
 * Appends the body of part p of tree t, decoded by its
 * Content-Transfer-Encoding (7bit, 8bit and binary as they are), to out.
 * Returns 0 or a MIME_DECODE_E* value.
 */
int	mime_part_decode(const struct mime_tree *t, const struct mime_part *p,
	    unsigned flags, struct buf *out);

#endif
