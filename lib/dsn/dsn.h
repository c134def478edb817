/*
 * dsn: the parameters of RFC 3461 (SMTP Delivery Status Notifications)
 * as smtpd receives them, the queue keeps them and the notices use them:
 * NOTIFY (per recipient: SUCCESS, FAILURE, DELAY, or NEVER alone),
 * ORCPT (per recipient: the original recipient, "addr-type;address"),
 * RET (per message: FULL or HDRS) and ENVID (per message: the sender's
 * envelope identifier).  ORCPT and ENVID travel as xtext in SMTP and are
 * kept decoded, as Postfix keeps them; xtext_encode gives them back for
 * a peer that speaks DSN.
 *
 * Limits: ENVID at most DSN_ENVID_MAX octets decoded, printable ASCII
 * only (RFC 3461 4.4 limits the encoded form to 100 characters); ORCPT at
 * most DSN_ORCPT_MAX octets decoded (RFC 3461 4.2: 500), its address free
 * of control bytes and its addr-type an atom.
 *
 * Trust: every input is a stranger's (an SMTP client, or a local user
 * through sendmail); every parser refuses what it does not fully
 * understand, and nothing it accepts holds a control byte.
 */
#ifndef FACTEUR_DSN_H
#define FACTEUR_DSN_H
#include <stddef.h>

#define DSN_NOTIFY_SUCCESS	0x01
#define DSN_NOTIFY_FAILURE	0x02
#define DSN_NOTIFY_DELAY	0x04
#define DSN_NOTIFY_NEVER	0x08
/* NOTIFY as text, the longest: "SUCCESS,FAILURE,DELAY" */
#define DSN_NOTIFY_TEXT_MAX	24

#define DSN_ENVID_MAX		100
#define DSN_ORCPT_MAX		500

enum dsn_ret { DSN_RET_NONE = 0, DSN_RET_FULL, DSN_RET_HDRS };

/*
 * NOTIFY's value (s, n octets): a comma-separated list of SUCCESS,
 * FAILURE and DELAY (any case, each at most once), or NEVER alone.
 * 0 with the DSN_NOTIFY_* bits in *flags, or -1.
 */
int		 dsn_notify_parse(const char *s, size_t n, int *flags);
/*
 * The canonical text of flags ("SUCCESS,FAILURE,DELAY" in that order,
 * "NEVER", or "" for 0) into out (at least DSN_NOTIFY_TEXT_MAX octets).
 */
void		 dsn_notify_text(int flags, char *out, size_t n);
/*
 * Whether a notice of kind want (one DSN_NOTIFY_* bit: SUCCESS, FAILURE
 * or DELAY) is sent for a recipient with these flags: never with NEVER;
 * with no NOTIFY at all, FAILURE and DELAY (RFC 3461 4.1 leaves the
 * default to the MTA; this is Postfix's); otherwise as listed.
 */
int		 dsn_notify_wants(int flags, int want);
/* RET's value: FULL or HDRS (any case).  0 with *ret, or -1. */
int		 dsn_ret_parse(const char *s, size_t n, int *ret);
/* "FULL", "HDRS", or "" for DSN_RET_NONE. */
const char	*dsn_ret_text(int ret);

/*
 * xtext (RFC 3461 4): decodes s (n octets) into out (outsz, NUL-ended):
 * xchars (33-126 but '+' and '='), "+HH" for any other octet.  The
 * decoded length, or -1 for bad syntax, an empty value or no room.
 */
int		 xtext_decode(const char *s, size_t n, char *out, size_t outsz);
/* Encodes s into out as xtext; the length, or -1 when it does not fit. */
int		 xtext_encode(const char *s, char *out, size_t outsz);

/*
 * ENVID's xtext value decoded into out (at least DSN_ENVID_MAX + 1):
 * 0, or -1 when it is malformed, too long or not printable ASCII.
 */
int		 dsn_envid_parse(const char *s, size_t n, char *out,
		    size_t outsz);
/*
 * ORCPT's value, "addr-type;xtext", as "addr-type;decoded" into out (at
 * least DSN_ORCPT_MAX + 1): 0, or -1.
 */
int		 dsn_orcpt_parse(const char *s, size_t n, char *out,
		    size_t outsz);
/* The checks of the decoded values, for what the queue reads back. */
int		 dsn_envid_ok(const char *);
int		 dsn_orcpt_ok(const char *);

/*
 * The parameters an SMTP client adds for a server that lists DSN, each
 * with a leading space, as Postfix writes them: on MAIL FROM, " RET=FULL"
 * or " RET=HDRS" and " ENVID=xtext" (ret DSN_RET_NONE and envid NULL or
 * "" give none); on RCPT TO, " NOTIFY=SUCCESS,DELAY" (notify 0 gives
 * none) and " ORCPT=addr-type;xtext" (orcpt decoded, as the queue keeps
 * it; NULL or "" gives none).  0, or -1 when out (n octets) is too small
 * or a value is not valid.  DSN_MAIL_PARAMS_MAX and DSN_RCPT_PARAMS_MAX
 * are always enough.
 */
#define DSN_MAIL_PARAMS_MAX	(16 + 7 + 3 * DSN_ENVID_MAX + 1)
#define DSN_RCPT_PARAMS_MAX	(8 + DSN_NOTIFY_TEXT_MAX + 7 + \
				    3 * DSN_ORCPT_MAX + 1)
int		 dsn_mail_params(int ret, const char *envid, char *out,
		    size_t n);
int		 dsn_rcpt_params(int notify, const char *orcpt, char *out,
		    size_t n);

#endif
