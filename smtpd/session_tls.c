/*
 * session_tls: TLS in an smtpd session process, with OpenSSL through
 * lib/tls: the smtps handshake before the greeting, STARTTLS (RFC 3207),
 * close_notify at the end, and the continuation of a session that said
 * STARTTLS in smtpsession and was handed to the resident.
 *
 * STARTTLS first builds the TLS context when it is not yet (mx mode
 * builds it only then): if that fails, 454 and the session goes on in
 * plaintext without offering STARTTLS again.  Then lib/tls discards any
 * plaintext pipelined behind the command before the handshake, and the
 * session forgets everything the client said before: HELO, the
 * transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "sandbox.h"
#include "smtpd.h"
#include "tls.h"

/* TLS is on: the name of what was agreed, logged. */
static void
session_tls_on(struct smtpd_session *s, const char *what)
{
	s->tls = 1;
	if (tls_describe(s->conn, s->tls_desc, sizeof(s->tls_desc)) == -1)
		s->tls_desc[0] = '\0';
	log_info("%s: %s: %s", s->peer_addr, what, s->tls_desc);
}

void
session_tls_accept(struct smtpd_session *s)
{
	char	 err[256];

	s->conn = tls_accept(s->tlsctx, 0, 1, tls_server_timeout_ms(s->tlsctx),
	    err, sizeof(err));
	if (s->conn == NULL) {
		log_info("%s: smtps: %s", s->peer_addr, err);
		exit(0);
	}
	tls_attach(&s->io, s->conn);
	session_tls_on(s, "TLS established");
}

/* After the 220: the handshake, then a session that starts from EHLO. */
static void
session_starttls_handshake(struct smtpd_session *s)
{
	char	 err[256];

	if (tls_starttls(&s->io, s->tlsctx, &s->conn, err, sizeof(err)) == -1) {
		log_info("%s: STARTTLS failed: %s", s->peer_addr, err);
		session_data_abort(s);
		exit(0);
	}
	session_tls_on(s, "STARTTLS");
	/* RFC 3207 4.2: the client starts again from EHLO. */
	s->helo[0] = '\0';
	s->esmtp = 0;
	session_reset(s);
}

void
session_starttls(struct smtpd_session *s)
{
	char	 err[256];

	if (s->tlsctx == NULL ||
	    tls_server_build(s->tlsctx, err, sizeof(err)) == -1) {
		log_warnx("%s: STARTTLS: TLS not available: %s", s->peer_addr,
		    s->tlsctx == NULL ? "no context" : err);
		/* EHLO offers STARTTLS no more. */
		s->tls_broken = 1;
		s->tlsctx = NULL;
		session_reply(s, 454, "4.7.0", "TLS not available");
		return;
	}
	session_reset(s);
	session_reply(s, 220, "2.0.0", "Ready to start TLS");
	session_starttls_handshake(s);
}

void
session_tls_end(struct smtpd_session *s)
{
	if (s->conn != NULL)
		tls_close(s->conn);
	s->conn = NULL;
}

void
session_resume_tls(const struct conf *conf, const struct smtpd_opts *opts,
    int sock, const struct session_handoff *h)
{
	struct smtpd_session	 s;

	session_start(&s, conf, opts, sock);
	sandbox_enter(SANDBOX_SMTP_SESSION);
	s.errors = h->errors;
	s.deadline = h->deadline;
	(void)strlcpy(s.peer_name, h->peer_name, sizeof(s.peer_name));
	if (s.tlsctx == NULL) {
		/* the resident checked; a context lost since ends the session */
		log_warnx("%s: STARTTLS: TLS not available", s.peer_addr);
		exit(0);
	}
	session_timeout(&s, conf_int(conf, "smtpd_timeout"));
	session_reply(&s, 220, "2.0.0", "Ready to start TLS");
	session_starttls_handshake(&s);
	session_loop(&s);
}
