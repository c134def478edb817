/*
 * session_handoff: TLS in smtpsession, which links no TLS library.  A
 * session that says STARTTLS sends the replies before it, then hands the
 * connection to the resident over its channel ("STARTTLS errors H<name>"
 * with the client's descriptor).  The resident forks a session of its
 * own image, which has the TLS context, to say 220, do the handshake and
 * go on, and answers OK, after which this process exits; or it answers
 * NOTLS when its context cannot be built, and this session says 454 and
 * goes on in plaintext.  What the client pipelined behind STARTTLS is in
 * this process's buffer and goes with it: never executed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "smtpd.h"

void
session_tls_accept(struct smtpd_session *s)
{
	/* smtps sessions are never started here (resident.c). */
	fatalx("%s: smtps in smtpsession", s->peer_addr);
}

void
session_starttls(struct smtpd_session *s)
{
	char			 num[16], name[sizeof(s->peer_name) + 1];
	const char		*f[3] = { "STARTTLS", num, name };
	struct chan_msg		 rep;
	int			 fd = 0, ok;

	session_reset(s);
	/* the replies before STARTTLS's, in order; its own comes from there */
	session_flush(s);
	(void)snprintf(num, sizeof(num), "%d", s->errors);
	(void)snprintf(name, sizeof(name), "H%s", s->peer_name);
	if (chan_send(&s->ipc, f, 3, &fd, 1) == -1 ||
	    chan_recv(&s->ipc, &rep) != 1) {
		log_warnx("%s: STARTTLS: the monitor is gone", s->peer_addr);
		_exit(111);
	}
	chan_msg_close_fds(&rep);
	ok = rep.nf == 1 && strcmp(rep.f[0], "OK") == 0;
	if (rep.nf == 1 && strcmp(rep.f[0], "NOTLS") == 0) {
		/* the resident's context cannot be built: EHLO drops it */
		s->tls_broken = 1;
		session_reply(s, 454, "4.7.0", "TLS not available");
		return;
	}
	if (!ok)
		log_warnx("%s: STARTTLS: not handed over", s->peer_addr);
	/* The session goes on in the resident; nothing of it is here. */
	_exit(0);
}

void
session_tls_end(struct smtpd_session *s)
{
	(void)s;
}
