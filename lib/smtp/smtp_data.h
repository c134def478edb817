/*
 * smtp_data: the decoder of an SMTP message body, fed raw bytes as they
 * come from the client, writing the message with LF line endings.
 *
 * DATA mode (RFC 5321 4.1.1.4, 4.5.2): only CR LF . CR LF ends the data,
 * where the CR LF before the dot is a real CR LF (or the start of data);
 * a leading dot is removed from a line that has more after it
 * (dot-unstuffing).  A bare LF or a bare CR is an error (SMTP_BARE_REJECT:
 * feeding stops and the caller closes the connection, qmail's rule) or, with
 * SMTP_BARE_NORMALIZE, ends the line as if it were CR LF, as Postfix 3.9
 * does, but never counts towards the end of data: <LF>.<LF>, <CR>.<CR><LF>
 * and <LF>.<CR><LF> are plain content.
 *
 * BDAT mode (RFC 3030): no dot handling and no end marker (the caller counts
 * octets); CR LF becomes LF, bare CR/LF follow the same policy but never end
 * anything; with `binary` (BODY=BINARYMIME) bytes pass as they are, except
 * that CR LF still becomes LF.
 *
 * A line longer than SMTP_DATA_LINE_MAX octets (CR LF included, stuffing dot
 * excluded) sets SMTP_DATA_TOOLONG and decoding goes on to the end, so that
 * the caller can refuse the whole message in step with the client.
 *
 * Trust: see smtp_data.c.
 */
#ifndef FACTEUR_SMTP_DATA_H
#define FACTEUR_SMTP_DATA_H
#include <stddef.h>
#include <sys/types.h>
#include "buf.h"

#define SMTP_DATA_LINE_MAX	1000

enum smtp_data_mode { SMTP_DATA_DOT, SMTP_DATA_BDAT };
enum smtp_bare { SMTP_BARE_REJECT, SMTP_BARE_NORMALIZE };

/* flags */
#define SMTP_DATA_TOOLONG	0x01	/* a line was over the maximum */
#define SMTP_DATA_BARE		0x02	/* a bare CR or LF was seen */
#define SMTP_DATA_8BIT		0x04	/* a byte >= 0x80 was seen */
#define SMTP_DATA_NUL		0x08	/* a NUL byte was seen */

struct smtp_data {
	enum smtp_data_mode	 mode;
	enum smtp_bare		 bare;
	int			 binary;
	int			 state;		/* private */
	int			 prev_crlf;	/* last line ended in real CR LF */
	size_t			 linelen;	/* content octets of this line */
	int			 flags;
	int			 done;		/* end of data seen (DOT mode) */
	unsigned long long	 out_total;	/* octets written to out */
};

void	smtp_data_init(struct smtp_data *, enum smtp_data_mode,
	    enum smtp_bare, int binary);
/*
 * Decodes p[0..n) appending to out.  Returns the octets consumed: all n,
 * or fewer when the end of data came first (the rest belongs to the next
 * command).  Returns -1 on a bare CR/LF in SMTP_BARE_REJECT mode (and not
 * binary), or -1 with errno when out refused an append.
 */
ssize_t	smtp_data_feed(struct smtp_data *, const char *p, size_t n,
	    struct buf *out);
/*
 * The caller dropped one whole line, through its LF, without feeding it
 * (its reader refused a line longer than it could hold): it counts as an
 * over-long line ended by CR LF.  Only at a line start.
 */
void	smtp_data_drop_line(struct smtp_data *);
/*
 * End of input in BDAT mode (after the LAST chunk): flushes a pending CR
 * and ends an unterminated last line.  0, or -1 as smtp_data_feed.
 */
int	smtp_data_finish(struct smtp_data *, struct buf *out);

#endif
