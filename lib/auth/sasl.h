/*
 * sasl: the server side of SASL PLAIN (RFC 4616) and LOGIN
 * (draft-murchison-sasl-login), as a small state machine that knows
 * nothing of the protocol carrying it (SMTP AUTH of RFC 4954, POP3 AUTH of
 * RFC 5034, IMAP AUTHENTICATE of RFC 9051).
 *
 *	struct sasl s;
 *	sasl_init(&s);
 *	r = sasl_start(&s, "PLAIN", initial_or_NULL);
 *	while (r == SASL_CONTINUE) {
 *		send sasl_challenge(&s) ("334 " / "+ " and the base64 text);
 *		read one line, without its CRLF;
 *		r = sasl_step(&s, line, len);
 *	}
 *	if (r == SASL_DONE) check s.creds.authcid and s.creds.password;
 *	else reply as sasl_error(&s) says (sasl_smtp_reply for SMTP);
 *	sasl_clear(&s);		(always: it wipes the password)
 *
 * Every client line is base64 of at most SASL_LINE_MAX bytes, decoded
 * strictly (no blanks, no line breaks, canonical padding only); "*" alone
 * cancels.  An initial response of "=" is an empty one (RFC 4954 4).
 * authcid and authzid are at most SASL_NAME_MAX bytes without control bytes;
 * the password at most SASL_PASS_MAX bytes without NUL.  A non-empty authzid
 * must equal authcid: facteur does not let one user act as another.
 *
 * Trust: the lines are the client's; the caller checks the credentials
 * that come out (lib/auth).
 */
#ifndef FACTEUR_SASL_H
#define FACTEUR_SASL_H
#include <stddef.h>
#include <sys/types.h>

#define SASL_LINE_MAX	8192	/* base64 bytes in one client line */
#define SASL_NAME_MAX	255	/* authcid, authzid */
#define SASL_PASS_MAX	1024	/* password */
#define SASL_CHALLENGE_MAX 64	/* base64 challenge, with its NUL */

enum sasl_status {
	SASL_CONTINUE,		/* send sasl_challenge(), then sasl_step() */
	SASL_DONE,		/* creds are filled in */
	SASL_ERROR		/* sasl_error() says why; the exchange is over */
};

enum sasl_err {
	SASL_ERR_NONE,
	SASL_ERR_MECH,		/* unknown mechanism (SMTP 504 5.5.4) */
	SASL_ERR_BASE64,	/* malformed base64 (SMTP 501 5.5.2) */
	SASL_ERR_CANCELLED,	/* the client sent "*" (SMTP 501 5.0.0) */
	SASL_ERR_SYNTAX,	/* decoded message malformed (SMTP 501 5.5.2) */
	SASL_ERR_TOO_LONG,	/* over a limit (SMTP 500 5.5.6) */
	SASL_ERR_AUTHZID,	/* authzid is not authcid (SMTP 535 5.7.8) */
	SASL_ERR_STATE		/* step without a pending challenge (a bug) */
};

enum sasl_mech { SASL_MECH_NONE, SASL_MECH_PLAIN, SASL_MECH_LOGIN };

struct sasl_creds {
	char	authzid[SASL_NAME_MAX + 1];
	char	authcid[SASL_NAME_MAX + 1];
	char	password[SASL_PASS_MAX + 1];
};

struct sasl {
	enum sasl_mech	 mech;
	int		 step;		/* challenges answered so far */
	enum sasl_err	 err;
	char		 challenge[SASL_CHALLENGE_MAX];
	struct sasl_creds creds;
};

void		 sasl_init(struct sasl *);
/*
 * mech is matched ASCII case-insensitively; initial is the initial
 * response as sent (base64, "=" for empty) or NULL when there was none.
 */
enum sasl_status sasl_start(struct sasl *, const char *mech,
		    const char *initial);
/* One client line, CRLF removed; it need not be NUL-terminated. */
enum sasl_status sasl_step(struct sasl *, const char *line, size_t len);
/* The base64 challenge to send ("" for an empty one). */
const char	*sasl_challenge(const struct sasl *);
enum sasl_err	 sasl_error(const struct sasl *);
/* Short text for a log line or a protocol reply. */
const char	*sasl_strerror(enum sasl_err);
/* A complete SMTP reply without CRLF, e.g. "501 5.5.2 ...". */
const char	*sasl_smtp_reply(enum sasl_err);
/* 1 for PLAIN and LOGIN, else 0: what to list in EHLO/CAPA/CAPABILITY. */
int		 sasl_mech_known(const char *mech);
/* Wipes the credentials; call after every exchange, whatever its end. */
void		 sasl_clear(struct sasl *);

/*
 * Strict base64 (RFC 4648 4, no line breaks): len must be a multiple of 4,
 * '=' only as the last one or two bytes, unused bits zero.  Returns the
 * decoded length, or -1 when malformed or longer than outsize.
 */
ssize_t		 sasl_b64_decode(const char *in, size_t len,
		    unsigned char *out, size_t outsize);
/* Writes the NUL-terminated encoding; -1 when it does not fit. */
ssize_t		 sasl_b64_encode(const unsigned char *in, size_t len,
		    char *out, size_t outsize);

#endif
