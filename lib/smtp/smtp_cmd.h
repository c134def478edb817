/*
 * smtp_cmd: parsing of SMTP command lines (RFC 5321) for smtpd: the split
 * of a line into verb and argument, and the arguments of MAIL, RCPT, BDAT
 * and HELO/EHLO with their ESMTP parameters.  Pure functions on bytes, no
 * I/O, so they are unit tested and fuzzed on their own.
 *
 * Limits: a command line is at most SMTP_CMD_LINE_MAX octets including
 * its CRLF (RFC 5321 section 4.5.3.1.4); a verb at most SMTP_VERB_MAX.
 *
 * Trust: see smtp_cmd.c.
 */
#ifndef FACTEUR_SMTP_CMD_H
#define FACTEUR_SMTP_CMD_H
#include <stddef.h>
#include "addr.h"
#include "dsn.h"

#define SMTP_CMD_LINE_MAX	512	/* octets, CRLF included */
#define SMTP_TEXT_LINE_MAX	1000	/* octets, CRLF included */
#define SMTP_VERB_MAX		15
#define SMTP_HELO_MAX		255	/* a domain or an address literal */
#define SMTP_PARAMS_MAX		16	/* ESMTP parameters on one MAIL/RCPT */

/* A reply for a refused argument: code, enhanced code, text (static). */
struct smtp_err {
	int		 code;		/* 501, 553, 555, ... */
	const char	*enh;		/* "5.5.4" */
	const char	*text;
};

struct smtp_cmd {
	char		 verb[SMTP_VERB_MAX + 1];	/* upper case */
	const char	*arg;		/* after the blanks; "" if none */
	size_t		 arglen;
};

/*
 * Splits line[0..n) (terminator already removed) into verb and argument.
 * Refuses NUL, CR, LF and other control bytes except HT in the argument,
 * a verb that is not letters only or is longer than SMTP_VERB_MAX, and a
 * line over SMTP_CMD_LINE_MAX - 2.  Returns 0, or -1 with *err.
 */
int	smtp_cmd_split(const char *line, size_t n, struct smtp_cmd *,
	    struct smtp_err *err);

enum smtp_body { SMTP_BODY_NONE, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME,
	SMTP_BODY_BINARYMIME };

struct smtp_mail_args {
	struct mailpath	 path;
	long long	 size;		/* SIZE=, or -1 when not given */
	enum smtp_body	 body;
	int		 smtputf8;
	int		 ret;		/* RET= (enum dsn_ret) */
	char		 envid[DSN_ENVID_MAX + 1];	/* ENVID=, as sent */
};

/*
 * MAIL argument: "FROM:<path> [params]".  Blanks after the colon are
 * tolerated (as Postfix does); the path may be <>.  Parameters: SIZE=n,
 * BODY=7BIT|8BITMIME|BINARYMIME, SMTPUTF8, and RFC 3461's RET=FULL|HDRS
 * and ENVID=xtext (kept as sent, checked by lib/dsn/dsn.h); each at most
 * once.  A non-ASCII path needs SMTPUTF8.  Unknown parameter: 555 5.5.4.
 */
int	smtp_mail_parse(const char *arg, size_t n, struct smtp_mail_args *,
	    struct smtp_err *err);

struct smtp_rcpt_args {
	struct mailpath	 path;
	int		 notify;	/* NOTIFY= (DSN_NOTIFY_*), 0: none */
	char		 orcpt[DSN_ORCPT_MAX + 1];	/* ORCPT=, as sent */
};

/*
 * RCPT argument: "TO:<path> [params]"; the parameters of RFC 3461,
 * NOTIFY=list and ORCPT=addr-type;xtext (kept as sent, checked by
 * lib/dsn/dsn.h), each at most once; any other is 555.  `utf8` says
 * whether the transaction was opened with SMTPUTF8.  A path without a
 * domain is returned as parsed (only postmaster may have none; the
 * caller decides).  smtp_rcpt_parse is the same without the parameters'
 * values.
 */
int	smtp_rcpt_parse_args(const char *arg, size_t n, int utf8,
	    struct smtp_rcpt_args *, struct smtp_err *err);
int	smtp_rcpt_parse(const char *arg, size_t n, int utf8,
	    struct mailpath *, struct smtp_err *err);

/*
 * BDAT argument: "size [LAST]" (RFC 3030).  size is decimal, at most
 * `max` (the caller's message size limit, so an absurd chunk is refused
 * before any byte of it is accepted).
 */
int	smtp_bdat_parse(const char *arg, size_t n, unsigned long long max,
	    unsigned long long *size, int *last, struct smtp_err *err);

/*
 * HELO/EHLO argument: one word of printable ASCII (a domain or an address
 * literal; clients send junk often enough that only the bytes are checked),
 * at most SMTP_HELO_MAX octets.  Copies it into out (SMTP_HELO_MAX + 1).
 */
int	smtp_helo_parse(const char *arg, size_t n, char *out,
	    struct smtp_err *err);

/* 1 if the local part is "postmaster" in any case (RFC 5321 4.5.1). */
int	smtp_is_postmaster(const char *local);

#endif
