/*
 * session_data: DATA and BDAT.  A message starts with a MSGSTART request:
 * the monitor starts enqueue and hands over the message pipe.  The session
 * writes a Received header, then the content as lib/smtp/smtp_data.c
 * decodes it (LF line endings), closes the pipe and, only when the whole
 * message was accepted, says MSGEND: the monitor writes the envelope it
 * approved (the session never writes one) and returns enqueue's exit
 * code, and only 0 becomes 250.  A refused or broken message ends with
 * MSGABORT: no envelope, so enqueue removes what it wrote and nothing
 * partial is ever queued.
 *
 * In submission and smtps modes (RFC 6409 8.2, 8.3) a Message-ID and a
 * Date field are added when the client's header section has none: the
 * decoded content is held back until its header section ended or the
 * first flush (DATA_FLUSH octets), and the decision is made on what the
 * header section shows by then (lib/mail/header_scan.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "header_scan.h"
#include "log.h"
#include "queueid.h"
#include "smtpd.h"

#define DATA_LINE_READ	65536	/* longest line held; longer is dropped */
#define DATA_FLUSH	65536	/* pipe writes of about this size */

static struct buf	data_line;
static int		data_huge;	/* a line over DATA_LINE_READ */
static int		data_bare;	/* bare CR/LF refused (BDAT) */

/* MSGSTART: enqueue started, pipes in hand.  0, or -1 (reply 451). */
static int
data_start(struct smtpd_session *s, enum smtp_data_mode mode, int binary)
{
	struct chan_msg	 m;
	const char	*req[2] = { "MSGSTART", NULL };

	queueid_new(s->id);
	req[1] = s->id;
	if (chan_send(&s->ipc, req, 2, NULL, 0) == -1 ||
	    chan_recv(&s->ipc, &m) != 1)
		session_close(s, 421, "4.3.0", "Internal error, closing");
	if (strcmp(m.f[0], "OK") != 0 || m.nfds != 1) {
		chan_msg_close_fds(&m);
		s->id[0] = '\0';
		log_warnx("%s: could not start enqueue", s->peer_addr);
		return -1;
	}
	s->msg_fd = m.fds[0];
	s->failed = 0;
	/*
	 * The message's first line in the log, in Postfix's form (pflogsumm
	 * counts it as received; facteurctl explain shows it as the arrival).
	 */
	log_info("%s: client=%s[%s], helo=<%s>, proto=%s%s%s%s%s%s%s", s->id,
	    s->peer_name[0] != '\0' ? s->peer_name : "unknown", s->peer_addr,
	    s->helo, session_proto(s), s->tls ? ", tls=" : "",
	    s->tls ? s->tls_desc : "", s->authed ? ", sasl_method=" : "",
	    s->authed ? s->auth_mech : "", s->authed ? ", sasl_username=" :
	    "", s->authed ? s->auth_user : "");
	data_huge = data_bare = 0;
	buf_reset(&s->out);
	if (data_line.max == 0)
		buf_init(&data_line, DATA_LINE_READ);
	smtp_data_init(&s->dec, mode, s->bare_normalize ? SMTP_BARE_NORMALIZE :
	    SMTP_BARE_REJECT, binary);
	if (session_received(s, session_proto(s), &s->out) == -1)
		s->failed = 1;
	s->hdr_start = s->out.len;
	s->hdr_pending = s->opts->mode != SMTPD_MX;
	return 0;
}

/*
 * Message-ID and Date when the header section held back in s->out (from
 * hdr_start) has none; they go right after the Received field.
 */
static void
data_add_headers(struct smtpd_session *s)
{
	struct header_scan	 hs;
	struct header_field	 f;
	struct buf		 add;
	char			 date[64];
	int			 mid = 0, dat = 0, r = 0;

	s->hdr_pending = 0;
	header_scan_init(&hs, s->out.data + s->hdr_start,
	    s->out.len - s->hdr_start);
	while (header_scan_next(&hs, &f) == 1) {
		if (header_name_is(&f, "Message-ID"))
			mid = 1;
		else if (header_name_is(&f, "Date"))
			dat = 1;
	}
	if (mid && dat)
		return;
	buf_init(&add, 1024);
	if (!mid)
		r = buf_printf(&add, "Message-ID: <%s.%lld@%s>\n", s->id,
		    (long long)time(NULL), conf_myhostname(s->conf));
	if (r != -1 && !dat)
		r = session_date(date, sizeof(date)) == -1 ? -1 :
		    buf_printf(&add, "Date: %s\n", date);
	if (r == -1 || buf_reserve(&s->out, add.len) == -1) {
		s->failed = 1;
		buf_free(&add);
		return;
	}
	memmove(s->out.data + s->hdr_start + add.len,
	    s->out.data + s->hdr_start, s->out.len - s->hdr_start);
	memcpy(s->out.data + s->hdr_start, add.data, add.len);
	s->out.len += add.len;
	s->out.data[s->out.len] = '\0';
	log_debug("%s: added%s%s", s->id, mid ? "" : " Message-ID",
	    dat ? "" : " Date");
	buf_free(&add);
}

/* Sends what is decoded to enqueue (or drops it for a refused message). */
static void
data_write(struct smtpd_session *s, int force)
{
	if (s->out.len == 0 || (!force && s->out.len < DATA_FLUSH))
		return;
	if (s->hdr_pending)
		data_add_headers(s);
	if (!s->failed && s->dec.flags == (s->dec.flags &
	    (SMTP_DATA_8BIT | SMTP_DATA_NUL | SMTP_DATA_BARE)) &&
	    s->dec.out_total <= s->size_limit &&
	    fd_write_full(s->msg_fd, s->out.data, s->out.len) == -1) {
		log_warn("%s: write to enqueue", s->id);
		s->failed = 1;
	}
	buf_reset(&s->out);
}

void
session_data_abort(struct smtpd_session *s)
{
	struct chan_msg	 m;
	const char	*req[1] = { "MSGABORT" };

	if (s->msg_fd != -1)
		(void)close(s->msg_fd);
	s->msg_fd = -1;
	if (s->id[0] == '\0')
		return;
	s->id[0] = '\0';
	if (chan_send(&s->ipc, req, 1, NULL, 0) == -1 ||
	    chan_recv(&s->ipc, &m) != 1) {
		log_warnx("monitor gone");
		exit(1);
	}
}

/* Closes the content; MSGEND: the monitor's envelope, enqueue's code. */
static int
data_commit(struct smtpd_session *s)
{
	struct chan_msg	 m;
	const char	*req[1] = { "MSGEND" };
	const char	*errstr = NULL;
	int		 code;

	if (close(s->msg_fd) == -1) {
		/* the content may be short: no envelope, nothing queued */
		log_warn("%s: close message", s->id);
		s->msg_fd = -1;
		session_data_abort(s);
		return 111;
	}
	s->msg_fd = -1;
	if (chan_send(&s->ipc, req, 1, NULL, 0) == -1 ||
	    chan_recv(&s->ipc, &m) != 1 || m.nf != 2 ||
	    strcmp(m.f[0], "EXIT") != 0)
		session_close(s, 421, "4.3.0", "Internal error, closing");
	s->id[0] = '\0';
	code = (int)strtonum(m.f[1], 0, 255, &errstr);
	return errstr != NULL ? 111 : code;
}

/* The end of a message: refuse it or commit it, and reply. */
static void
data_finish(struct smtpd_session *s)
{
	char	 id[QUEUEID_LEN + 1];
	int	 code;

	data_write(s, 1);
	(void)strlcpy(id, s->id, sizeof(id));
	if (data_huge) {
		session_close(s, 554, "5.6.0",
		    "Message refused: line too long, closing");
	}
	if (s->dec.flags & SMTP_DATA_TOOLONG) {
		session_data_abort(s);
		session_error(s, 554, "5.6.0",
		    "Message refused: line longer than 1000 octets");
	} else if (s->dec.out_total > s->size_limit) {
		session_data_abort(s);
		session_error(s, 552, "5.3.4", "Message size exceeds fixed limit");
	} else if (data_bare) {
		session_data_abort(s);
		session_error(s, 554, "5.6.0",
		    "Message refused: bare <CR> or <LF>");
	} else if (s->failed) {
		session_data_abort(s);
		session_reply(s, 451, "4.3.0", "Temporary failure, try again");
	} else {
		code = data_commit(s);
		if (code == 0) {
			log_info("%s: from=<%s>, size=%llu, nrcpt=%zu, "
			    "client=%s, proto=%s", id, s->mail.path.text,
			    s->dec.out_total, s->nrcpt, s->peer_addr,
			    session_proto(s));
			session_reply(s, 250, "2.0.0", "Ok: queued as %s", id);
		} else {
			log_warnx("%s: enqueue exited %d", id, code);
			if (code == 31)
				session_reply(s, 552, "5.3.4",
				    "Message size exceeds fixed limit");
			else if (code == 13)
				session_reply(s, 554, "5.5.3",
				    "Too many recipients");
			else if (code >= 11 && code <= 40)
				session_reply(s, 554, "5.3.0",
				    "Message refused by the queue");
			else if (code == 71)	/* QMAIL_EXIT_NOSPACE */
				session_reply(s, 452, "4.3.1",
				    "Insufficient system storage");
			else
				session_reply(s, 451, "4.3.0",
				    "Temporary failure, try again");
		}
	}
	session_reset(s);
}

void
session_data_cmd(struct smtpd_session *s)
{
	enum line_status	 st;
	ssize_t			 used;
	int			 crlf;

	if (data_start(s, SMTP_DATA_DOT, 0) == -1) {
		session_reply(s, 451, "4.3.0", "Temporary failure, try again");
		return;
	}
	session_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	session_flush(s);
	while (!s->dec.done) {
		session_timeout(s, conf_int(s->conf, "smtpd_data_timeout"));
		st = lineio_read(&s->io, &data_line, DATA_LINE_READ, &crlf);
		switch (st) {
		case LINE_OK:
			break;
		case LINE_TOOLONG:
			data_huge = 1;
			smtp_data_drop_line(&s->dec);
			continue;
		case LINE_OVERFLOW:
			session_close(s, 554, "5.6.0",
			    "Message refused: line too long, closing");
			/* NOTREACHED */
		case LINE_TIMEOUT:
			session_close(s, 421, "4.4.2", "Timeout, closing");
			/* NOTREACHED */
		default:
			log_info("%s: %s: disconnected in DATA", s->peer_addr,
			    s->id);
			session_close(s, 0, NULL, NULL);
		}
		used = smtp_data_feed(&s->dec, data_line.data, data_line.len,
		    &s->out);
		if (used == -1) {
			if (s->dec.flags & SMTP_DATA_BARE)
				session_close(s, 521, "5.5.2",
				    "Bare <CR> or <LF> received, closing");
			s->failed = 1;
			buf_reset(&s->out);
			continue;
		}
		data_write(s, 0);
	}
	data_finish(s);
}

/* Reads and drops n octets of a chunk that is refused. */
static void
bdat_discard(struct smtpd_session *s, unsigned long long n)
{
	char	 tmp[16384];
	ssize_t	 r;

	while (n > 0) {
		session_timeout(s, conf_int(s->conf, "smtpd_data_timeout"));
		r = lineio_read_raw(&s->io, tmp,
		    n < sizeof(tmp) ? (size_t)n : sizeof(tmp));
		if (r <= 0)
			session_close(s, r == 0 ? 0 : 421, "4.4.2",
			    "Timeout, closing");
		n -= (unsigned long long)r;
	}
}

void
session_bdat_cmd(struct smtpd_session *s, unsigned long long size, int last)
{
	char	 tmp[16384];
	ssize_t	 r;

	if (s->state != ST_RCPT && s->state != ST_BDAT &&
	    (SESSION_CHECKS || s->state != ST_MAIL)) {
		bdat_discard(s, size);
		if (s->state == ST_MAIL)
			session_error(s, 554, "5.5.1", "No valid recipients");
		else
			session_error(s, 503, "5.5.1",
			    "Bad sequence of commands");
		return;
	}
	if (s->state != ST_BDAT) {
		if (data_start(s, SMTP_DATA_BDAT,
		    s->mail.body == SMTP_BODY_BINARYMIME) == -1) {
			bdat_discard(s, size);
			session_reset(s);
			session_reply(s, 451, "4.3.0",
			    "Temporary failure, try again");
			return;
		}
		s->state = ST_BDAT;
	}
	while (size > 0) {
		session_timeout(s, conf_int(s->conf, "smtpd_data_timeout"));
		r = lineio_read_raw(&s->io, tmp,
		    size < sizeof(tmp) ? (size_t)size : sizeof(tmp));
		if (r == 0) {
			log_info("%s: %s: disconnected in BDAT", s->peer_addr,
			    s->id);
			session_close(s, 0, NULL, NULL);
		}
		if (r < 0)
			session_close(s, 421, "4.4.2", "Timeout, closing");
		size -= (unsigned long long)r;
		if (data_bare || s->failed)
			continue;
		if (smtp_data_feed(&s->dec, tmp, (size_t)r, &s->out) == -1) {
			if (s->dec.flags & SMTP_DATA_BARE)
				data_bare = 1;
			else
				s->failed = 1;
			buf_reset(&s->out);
			continue;
		}
		data_write(s, 0);
	}
	if (!last) {
		session_reply(s, 250, "2.0.0", "Chunk accepted");
		return;
	}
	if (!data_bare && !s->failed &&
	    smtp_data_finish(&s->dec, &s->out) == -1) {
		if (s->dec.flags & SMTP_DATA_BARE)
			data_bare = 1;
		else
			s->failed = 1;
	}
	data_finish(s);
}
