/*
 * bounce: the text of a non-delivery report (RFC 3464 multipart/report
 * with report-type=delivery-status), built from the failed recipients
 * and the original message's headers.  Three parts: a human-readable
 * text/plain, a message/delivery-status, and the original headers as
 * text/rfc822-headers.  Lines end in LF, as messages in the queue do.
 *
 * A diagnostic in the remote delivery's form, "[code] host NAME[ADDR]
 * said: REPLY (in reply to WHAT command)", is what a remote server
 * answered: the report names it (Remote-MTA: dns; NAME) and gives the
 * reply as Diagnostic-Code: smtp; REPLY.  Other diagnostics are facteur's
 * own (Diagnostic-Code: X-Facteur; text).
 *
 * Every string that goes into a header or a status field must be free
 * of control bytes; bounce_build refuses (-1, EINVAL) otherwise.  Limits:
 * BOUNCE_RCPT_MAX recipients listed, BOUNCE_HEADERS_MAX octets of the
 * original headers (cut at a line boundary, with a note).
 *
 * Trust: see bounce.c.
 */
#ifndef FACTEUR_BOUNCE_H
#define FACTEUR_BOUNCE_H
#include <stddef.h>
#include "buf.h"

#define BOUNCE_RCPT_MAX		1000
#define BOUNCE_HEADERS_MAX	(64 * 1024)
#define BOUNCE_BOUNDARY_MAX	70	/* RFC 2046 */

struct bounce_rcpt {
	const char	*rcpt;		/* final recipient */
	const char	*orig;		/* original recipient; NULL or same: omitted */
	const char	*status;	/* "5.1.1"; NULL: taken from diag or 5.0.0 */
	const char	*diag;		/* diagnostic text, one line */
};

struct bounce_info {
	const char	*id;		/* queue ID of the failed message */
	const char	*myhostname;	/* Reporting-MTA, From domain */
	const char	*sender;	/* original sender: the To of the report */
	const char	*boundary;	/* MIME boundary, see bounce_boundary */
	long long	 arrival;	/* seconds since the epoch */
	long long	 now;		/* Date of the report */
	const struct bounce_rcpt *rcpt;
	size_t		 nrcpt;
	const char	*headers;	/* original header section; may be NULL */
	size_t		 hlen;
};

/* Appends the whole report, headers included.  0, or -1 with errno. */
int	bounce_build(struct buf *, const struct bounce_info *);
/* A boundary unlikely to appear in a message: "=_facteur_<id>_<random>". */
void	bounce_boundary(char *out, size_t n, const char *id);
/* RFC 5322 date-time in UTC: "Tue, 14 Nov 2023 22:13:20 +0000". */
int	bounce_date(char *out, size_t n, long long t);
/*
 * The enhanced status code at the start of diag ("5.1.1 ..."), copied
 * into code (at least 16 bytes), or "5.0.0" when there is none or it is
 * not a 5.x.x.  Returns the text after the code.
 */
const char *bounce_status(const char *diag, char *code, size_t n);
/*
 * When text (a diagnostic after its status code) is a remote server's
 * reply in the form above: 1, with the host name in mta (size n) and the
 * reply, text[*off .. *off + *len).  Otherwise 0.
 */
int	bounce_remote_reply(const char *text, char *mta, size_t n,
	    size_t *off, size_t *len);
/*
 * Length of the header section at the start of a message (up to and
 * including the empty line), at most max.  *cut = 1 when it was longer.
 */
size_t	bounce_headers_len(const char *msg, size_t n, size_t max, int *cut);

#endif
