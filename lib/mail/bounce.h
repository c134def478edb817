/*
 * bounce: the text of a delivery status notification (RFC 3464
 * multipart/report with report-type=delivery-status), built from the
 * recipients it reports on and the original message.  Three parts: a
 * human-readable text/plain, a message/delivery-status, and the
 * original headers as text/rfc822-headers or, for a failure whose
 * sender asked for the whole message (bounce_info.full), the message as
 * message/rfc822.  Lines end in LF, as messages in the queue do.
 *
 * Three kinds (bounce_info.kind): a non-delivery report (BOUNCE_FAILED,
 * Action: failed, status 5.x.x), a delay warning (BOUNCE_DELAYED,
 * Action: delayed, 4.x.x, with Will-Retry-Until), and a success notice
 * (BOUNCE_DELIVERED, Action: delivered or relayed, 2.0.0).  The DSN
 * parameters of the original message (RFC 3461) appear as RFC 3464 asks:
 * ENVID as Original-Envelope-Id, a recipient's ORCPT as its
 * Original-Recipient.
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
	/* "addr-type;address" from ORCPT: the Original-Recipient; NULL */
	const char	*orcpt;
	/* NULL: the kind's ("failed", "delayed", "delivered"); "relayed" */
	const char	*action;
};

enum bounce_kind { BOUNCE_FAILED = 0, BOUNCE_DELAYED, BOUNCE_DELIVERED };

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
	/* issue 14: the kind, the sender's ENVID, the whole message */
	int		 kind;		/* enum bounce_kind */
	const char	*envid;		/* Original-Envelope-Id; NULL: none */
	long long	 retry_until;	/* BOUNCE_DELAYED: Will-Retry-Until */
	int		 full;		/* headers holds the whole message */
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
/* The same for a class of the caller's: '5', '4' (delays) or '2'. */
const char *bounce_status_class(const char *diag, int cls, char *code,
	    size_t n);
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
