/*
 * session_auth: STARTTLS (RFC 3207) and AUTH (RFC 4954) in the session.
 * (The sender of an authenticated client is checked by the monitor, at
 * MAIL: monitor_tx.c.)
 *
 * STARTTLS is checked here (not twice, not after AUTH, only when offered)
 * and then started by session_starttls: in smtpd (session_tls.c) in this
 * process, in smtpsession (session_handoff.c) by handing the connection
 * to the resident.  Either way any plaintext pipelined behind the command
 * is discarded, never executed, and the client starts again from EHLO.  AUTH runs the SASL exchange (PLAIN, LOGIN) here and
 * sends only the user name and the password to the monitor, which checks
 * them against the users table, applies the failure delays and counts the
 * failures; the session never sees the table.  The password is wiped from
 * every buffer it went through and is never logged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "sasl.h"
#include "smtpd.h"

void
session_auth_starttls(struct smtpd_session *s)
{
	if (s->tls) {
		session_error(s, 503, "5.5.1", "TLS already active");
		return;
	}
	if (s->tls_broken) {
		session_reply(s, 454, "4.7.0", "TLS not available");
		return;
	}
	if (!s->starttls) {
		session_error(s, 502, "5.5.1", "Command not implemented");
		return;
	}
	if (s->authed) {
		session_error(s, 503, "5.5.1", "Already authenticated");
		return;
	}
	session_starttls(s);
}

/* A reply of sasl_smtp_reply(): "501 5.5.2 text". */
static void
auth_sasl_reply(struct smtpd_session *s, enum sasl_err e)
{
	const char	*r = sasl_smtp_reply(e), *sp;
	char		 enh[16];
	int		 code;
	size_t		 n;

	code = (int)strtol(r, NULL, 10);
	if (code < 400 || code > 599 || (sp = strchr(r + 4, ' ')) == NULL ||
	    (n = (size_t)(sp - (r + 4))) >= sizeof(enh)) {
		session_error(s, 501, "5.5.2", "Authentication failed");
		return;
	}
	memcpy(enh, r + 4, n);
	enh[n] = '\0';
	session_error(s, code, enh, sp + 1);
}

/* The monitor's verdict on the credentials; the password is wiped. */
static void
auth_check_creds(struct smtpd_session *s, struct sasl *x)
{
	const char	*req[3] = { "AUTH", x->creds.authcid, x->creds.password };
	struct chan_msg	 m;
	int		 r;

	r = chan_send(&s->ipc, req, 3, NULL, 0);
	sasl_clear(x);
	if (r == -1 || chan_recv(&s->ipc, &m) != 1 || m.nfds != 0 || m.nf != 1)
		session_close(s, 421, "4.3.0", "Internal error, closing");
	if (strcmp(m.f[0], "OK") == 0) {
		s->authed = 1;
		session_reply(s, 235, "2.7.0", "Authentication successful");
	} else if (strcmp(m.f[0], "BAD") == 0)
		session_reply(s, 535, "5.7.8",
		    "Authentication credentials invalid");
	else if (strcmp(m.f[0], "CLOSE") == 0) {
		session_reply(s, 535, "5.7.8",
		    "Authentication credentials invalid");
		session_close(s, 421, "4.7.0",
		    "Too many failed authentications, closing");
	} else
		session_reply(s, 454, "4.7.0",
		    "Temporary authentication failure");
}

void
session_auth_cmd(struct smtpd_session *s, const char *arg, size_t n)
{
	static struct buf	 line;
	struct sasl		 x;
	enum sasl_status	 r;
	char			 mech[32], initial[SASL_LINE_MAX + 1];
	const char		*sp;
	size_t			 mlen, len;

	if (!session_auth_offered(s)) {
		session_error(s, 538, "5.7.11",
		    "Encryption required for requested authentication mechanism");
		return;
	}
	if (s->authed) {
		session_error(s, 503, "5.5.1", "Already authenticated");
		return;
	}
	sp = memchr(arg, ' ', n);
	mlen = sp != NULL ? (size_t)(sp - arg) : n;
	if (mlen == 0 || mlen >= sizeof(mech) || (sp != NULL &&
	    (n - mlen - 1 == 0 || n - mlen - 1 > SASL_LINE_MAX ||
	    memchr(sp + 1, ' ', n - mlen - 1) != NULL))) {
		session_error(s, 501, "5.5.4", "Syntax: AUTH mechanism [initial]");
		return;
	}
	memcpy(mech, arg, mlen);
	mech[mlen] = '\0';
	if (!sasl_mech_known(mech)) {
		session_error(s, 504, "5.5.4", "Unrecognized authentication type");
		return;
	}
	if (sp != NULL) {
		memcpy(initial, sp + 1, n - mlen - 1);
		initial[n - mlen - 1] = '\0';
	}
	sasl_init(&x);
	r = sasl_start(&x, mech, sp != NULL ? initial : NULL);
	if (sp != NULL)
		explicit_bzero(initial, n - mlen - 1);
	if (line.max == 0)
		buf_init(&line, SASL_LINE_MAX + 2);
	while (r == SASL_CONTINUE) {
		session_reply(s, 334, NULL, "%s", sasl_challenge(&x));
		len = session_read_sasl(s, &line);
		if (len == SIZE_MAX) {
			buf_wipe(&line);
			sasl_clear(&x);
			session_error(s, 500, "5.5.6", "Authentication line too long");
			return;
		}
		r = sasl_step(&x, line.data, len);
		buf_wipe(&line);
		buf_init(&line, SASL_LINE_MAX + 2);
	}
	if (r == SASL_ERROR) {
		enum sasl_err e = sasl_error(&x);

		sasl_clear(&x);
		log_info("%s: AUTH %s: %s", s->peer_addr, mech,
		    sasl_strerror(e));
		auth_sasl_reply(s, e);
		return;
	}
	(void)strlcpy(s->auth_user, x.creds.authcid, sizeof(s->auth_user));
	auth_check_creds(s, &x);
	if (!s->authed)
		s->auth_user[0] = '\0';
	else
		log_sanitize(s->auth_mech, mech, sizeof(s->auth_mech));
}
