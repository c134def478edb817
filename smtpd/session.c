/*
 * session: the unprivileged half of smtpd.  Chroots to smtpd_chroot
 * and drops to smtpd_user (when started as root) before it reads a byte
 * from the client, and enters its sandbox (lib/sandbox, role
 * smtp-session: no file, no socket, no program; a forbidden call kills
 * it), then greets and runs the command loop: read a line
 * (at most 512 octets with its CRLF), check its ending, hand it to the
 * command table (session_cmd.c).  It holds no file and no privilege; what
 * it needs from outside it asks of the monitor.
 *
 * Replies are buffered and sent when the client has nothing more
 * pipelined (RFC 2920), so replies always go out in command order.
 *
 * Time: a command line must arrive whole within smtpd_timeout of the
 * server being ready for it (a DATA line within smtpd_data_timeout),
 * however the client spreads its bytes, and the whole session within
 * smtpd_session_timeout: lineio bounds each line, session_timeout the
 * sum.  A line over its limit is refused (500) if its LF comes within
 * LINEIO_DRAIN_MAX more bytes, and closes the connection otherwise.
 *
 * In smtps mode the TLS handshake comes first, after the privileges are
 * dropped and before the greeting; in the other modes STARTTLS
 * (session_auth.c) starts it.  Either way the lineio then reads and writes
 * through TLS, and the rest of the session does not know the difference.
 * This file calls no TLS function: smtpd's are in session_tls.c, and
 * smtpsession, which links no TLS library, has session_handoff.c.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "conf.h"
#include "log.h"
#include "priv.h"
#include "sandbox.h"
#include "sasl.h"
#include "smtpd.h"

void
session_reply(struct smtpd_session *s, int code, const char *enh,
    const char *fmt, ...)
{
	char	 text[512];
	va_list	 ap;
	int	 r;

	va_start(ap, fmt);
	r = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (r < 0)
		(void)strlcpy(text, "Error", sizeof(text));
	if (lineio_printf(&s->io, "%d %s%s%s\r\n", code, enh != NULL ? enh : "",
	    enh != NULL ? " " : "", text) == -1) {
		log_warnx("lost connection with %s while replying",
		    s->peer_addr);
		session_data_abort(s);
		exit(0);
	}
	if (code >= 400)
		log_debug("%s: reply %d %s %s", s->peer_addr, code,
		    enh != NULL ? enh : "", text);
}

int
session_flush(struct smtpd_session *s)
{
	if (lineio_flush(&s->io) == -1) {
		log_warnx("lost connection with %s while sending",
		    s->peer_addr);
		session_data_abort(s);
		exit(0);
	}
	return 0;
}

/*
 * Ends the session: the last replies, TLS close_notify, exit.  linger:
 * the server is the one closing, and the client may still be sending;
 * its last reply must not be lost to a reset (lineio_linger).
 */
static void __attribute__((noreturn))
session_end(struct smtpd_session *s, int linger)
{
	(void)lineio_flush(&s->io);
	session_tls_end(s);
	if (linger)
		lineio_linger(&s->io);
	lineio_free(&s->io);
	/*
	 * _exit: nothing is buffered (replies are flushed, logs are written
	 * as they come), and the exit handlers and library destructors would
	 * only copy pages shared with the process that forked this one.
	 */
	_exit(0);
}

void
session_close(struct smtpd_session *s, int code, const char *enh,
    const char *text)
{
	session_data_abort(s);
	if (code != 0) {
		session_reply(s, code, enh, "%s", text);
		log_info("%s: closing: %d %s", s->peer_addr, code, text);
	}
	session_end(s, code != 0);
}

int
session_auth_offered(const struct smtpd_session *s)
{
	return s->tls || conf_bool(s->conf, "smtpd_plaintext_auth");
}

size_t
session_read_sasl(struct smtpd_session *s, struct buf *line)
{
	enum line_status	 st;
	int			 crlf;

	session_flush(s);
	session_timeout(s, conf_int(s->conf, "smtpd_timeout"));
	st = lineio_read(&s->io, line, SASL_LINE_MAX + 2, &crlf);
	switch (st) {
	case LINE_OK:
		break;
	case LINE_TOOLONG:
		return SIZE_MAX;
	case LINE_OVERFLOW:
		session_close(s, 500, "5.5.2", "Line too long, closing");
		/* NOTREACHED */
	case LINE_TIMEOUT:
		session_close(s, 421, "4.4.2", "Timeout, closing");
		/* NOTREACHED */
	default:
		log_info("%s: disconnected in AUTH", s->peer_addr);
		session_close(s, 0, NULL, NULL);
	}
	return line->len - (crlf ? 2 : 1);
}

void
session_error(struct smtpd_session *s, int code, const char *enh,
    const char *text)
{
	session_reply(s, code, enh, "%s", text);
	if (++s->errors >= (int)conf_int(s->conf, "smtpd_error_limit"))
		session_close(s, 421, "4.7.0", "Too many errors, closing");
}

void
session_timeout(struct smtpd_session *s, long long seconds)
{
	time_t	 now = time(NULL);

	if (now >= s->deadline)
		session_close(s, 421, "4.4.2", "Session time limit exceeded");
	if (seconds > (long long)(s->deadline - now))
		seconds = (long long)(s->deadline - now);
	s->io.timeout_ms = (int)(seconds * 1000);
}

void
session_reset(struct smtpd_session *s)
{
	session_data_abort(s);
	memset(&s->mail, 0, sizeof(s->mail));
	s->nrcpt = 0;
	s->bdat_bad = 0;
	s->state = s->helo[0] != '\0' ? ST_HELO : ST_GREETED;
}

/*
 * A client that talks before the greeting is a spam engine's tell.  With
 * smtpd_greet_pause the session watches for its bytes that long before
 * greeting (sendmail's greet_pause, Postfix's postscreen_greet_wait);
 * without it, only bytes that are already here count.
 */
static void
session_early_talker(struct smtpd_session *s)
{
	struct pollfd	 pfd = { .fd = 0, .events = POLLIN };
	long long	 pause = conf_int(s->conf, "smtpd_greet_pause");
	char		 c;
	ssize_t		 r;

	if (pause > 0 && poll(&pfd, 1, (int)(pause * 1000)) == -1 &&
	    errno != EINTR)
		return;
	r = recv(0, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r <= 0)
		return;
	log_info("%s: client talked before the greeting", s->peer_addr);
	if (conf_bool(s->conf, "smtpd_reject_early_talkers"))
		session_close(s, 554, "5.5.0",
		    "Talking before the greeting is not allowed");
}

/*
 * Reads one command line.  Returns its length without the terminator, or
 * -1 when the line was refused (and the reply queued).
 */
static ssize_t
session_read_command(struct smtpd_session *s)
{
	enum line_status	 st;
	int			 crlf;
	size_t			 n;

	if (lineio_buffered(&s->io) == 0)
		session_flush(s);
	session_timeout(s, conf_int(s->conf, "smtpd_timeout"));
	st = lineio_read(&s->io, &s->line, SMTP_CMD_LINE_MAX, &crlf);
	switch (st) {
	case LINE_OK:
		break;
	case LINE_TOOLONG:
		session_error(s, 500, "5.5.2", "Line too long");
		return -1;
	case LINE_OVERFLOW:
		session_close(s, 500, "5.5.2", "Line too long, closing");
		/* NOTREACHED */
	case LINE_TIMEOUT:
		session_close(s, 421, "4.4.2", "Timeout, closing");
		/* NOTREACHED */
	case LINE_EOF:
	case LINE_PARTIAL:
		log_info("%s: disconnected", s->peer_addr);
		session_close(s, 0, NULL, NULL);
		/* NOTREACHED */
	case LINE_ERROR:
	default:
		log_warn("%s: read", s->peer_addr);
		session_close(s, 0, NULL, NULL);
	}
	n = s->line.len - (crlf ? 2 : 1);
	if ((!crlf || memchr(s->line.data, '\r', n) != NULL) &&
	    !s->bare_normalize)
		session_close(s, 521, "5.5.2",
		    "Bare <CR> or <LF> received, closing");
	return (ssize_t)n;
}

void
session_start(struct smtpd_session *s, const struct conf *conf,
    const struct smtpd_opts *opts, int sock)
{
	memset(s, 0, sizeof(*s));
	s->conf = conf;
	s->opts = opts;
	s->msg_fd = -1;
	s->state = ST_GREETED;
	s->bare_normalize = strcmp(conf_str(conf, "smtpd_bare_lf"),
	    "normalize") == 0;
	s->size_limit = (unsigned long long)conf_int(conf,
	    "message_size_limit");
	s->deadline = time(NULL) + (time_t)conf_int(conf,
	    "smtpd_session_timeout");
	s->tlsctx = opts->tls;
	s->starttls = smtpd_tls_usable(opts);
	chan_init(&s->ipc, sock, CHAN_PACKET, SMTPD_CHAN_MAX);
	(void)strlcpy(s->peer_addr, opts->peer_addr, sizeof(s->peer_addr));

#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer needs /proc, which the chroot hides: check now. */
	if (priv_is_root())
		__lsan_do_leak_check();
#endif
	/* Nothing from the client is read before this point. */
	/* As root the ids were looked up before (smtpd_ids); else a no-op. */
	if (!opts->ids_known && priv_is_root())
		fatalx("session: smtpd_user's ids are not known");
	priv_drop(opts->user_uid, opts->user_gid,
	    conf_str(conf, "smtpd_chroot"));
	/*
	 * The session must not outlive its monitor (or, forked by
	 * smtpsession, its parent).  Set after the uid change, which clears
	 * it.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		fatal("prctl");
	if (getppid() != opts->monitor)
		exit(111);

	lineio_init(&s->io, 0, 1, (int)(conf_int(conf, "smtpd_timeout") *
	    1000));
	buf_init(&s->line, SMTP_CMD_LINE_MAX);
	buf_init(&s->out, 256 * 1024);
}

void
session_loop(struct smtpd_session *s)
{
	ssize_t	 n;

	for (;;) {
		if ((n = session_read_command(s)) == -1)
			continue;
		session_cmd_dispatch(s, s->line.data, (size_t)n);
		if (s->quit)
			session_close(s, 0, NULL, NULL);
	}
}

void
session_run(const struct conf *conf, const struct smtpd_opts *opts, int sock)
{
	struct smtpd_session	 s;

	session_start(&s, conf, opts, sock);
	if (conf_bool(conf, "smtpd_reverse_lookup"))
		session_dns_reverse(conf_str(conf, "dns_resolver"), s.peer_addr,
		    s.peer_name, sizeof(s.peer_name));
	sandbox_enter(SANDBOX_SMTP_SESSION);
	log_info("connect from %s[%s]", s.peer_name[0] != '\0' ?
	    s.peer_name : "unknown", s.peer_addr);
	if (opts->mode == SMTPD_SMTPS)
		session_tls_accept(&s);
	else
		session_early_talker(&s);
	session_reply(&s, 220, NULL, "%s ESMTP facteur",
	    conf_myhostname(conf));
	session_loop(&s);
}
