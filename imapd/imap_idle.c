/*
 * imap_idle: IDLE (RFC 2177, RFC 9051 6.3.13).  While the client idles,
 * changes to the selected folder are told at once: the folder's inotify
 * descriptor wakes the session (without inotify, the folder is looked at
 * every IDLE_POLL_S seconds).  "* OK Still here" every
 * IMAP_IDLE_KEEPALIVE_S keeps NAT and firewall state alive; the session
 * ends after imap_timeout of idling, as after any silence.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <strings.h>

#include "fdio.h"
#include "imapsession.h"

#define IDLE_POLL_S	5
#define IDLE_LINE_MAX	64

/* Reads the line that ends IDLE: 1 for DONE, 0 for anything else, -1. */
static int
idle_done(struct imap_session *s)
{
	struct buf	 line;
	int		 crlf, r;

	buf_init(&line, IDLE_LINE_MAX);
	if (lineio_read(&s->io, &line, IDLE_LINE_MAX, &crlf) != LINE_OK) {
		buf_free(&line);
		return -1;
	}
	r = crlf && line.len == 6 && strncasecmp(line.data, "DONE", 4) == 0;
	buf_free(&line);
	return r;
}

int
cmd_idle(struct imap_session *s)
{
	struct pollfd	 pfd[2];
	long long	 now, deadline, keepalive;
	int		 n, wait, r;

	if (s->args != NULL)
		return imap_bad(s, "IDLE takes no arguments");
	/* What happened before IDLE is told first. */
	if (imap_updates(s, 1) == -1)
		return s->done ? 0 : -1;
	if (lineio_printf(&s->io, "+ idling\r\n") == -1 ||
	    lineio_flush(&s->io) == -1)
		return -1;
	now = fd_now_ms();
	deadline = now + (long long)s->timeout_s * 1000;
	keepalive = now + IMAP_IDLE_KEEPALIVE_S * 1000;
	for (;;) {
		if (lineio_buffered(&s->io) > 0)
			break;
		now = fd_now_ms();
		if (now >= deadline) {
			(void)lineio_printf(&s->io, "* BYE autologout: idle "
			    "for too long\r\n");
			s->done = 1;
			return lineio_flush(&s->io) == -1 ? -1 : 0;
		}
		if (now >= keepalive) {
			if (lineio_printf(&s->io, "* OK Still here\r\n") == -1 ||
			    lineio_flush(&s->io) == -1)
				return -1;
			keepalive = now + IMAP_IDLE_KEEPALIVE_S * 1000;
		}
		wait = (int)((keepalive < deadline ? keepalive : deadline) - now);
		pfd[0].fd = s->io.fd_in;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		n = 1;
		if (s->state == IMAP_SELECTED) {
			if (s->box.ifd != -1) {
				pfd[1].fd = s->box.ifd;
				pfd[1].events = POLLIN;
				pfd[1].revents = 0;
				n = 2;
			} else if (wait > IDLE_POLL_S * 1000)
				wait = IDLE_POLL_S * 1000;
		}
		r = poll(pfd, (nfds_t)n, wait);
		if (r == -1 && errno != EINTR)
			return -1;
		if (r > 0 && pfd[0].revents != 0)
			break;
		if (s->state == IMAP_SELECTED &&
		    (s->box.ifd == -1 || (n == 2 && pfd[1].revents != 0))) {
			if (imap_updates(s, 1) == -1)
				return s->done ? 0 : -1;
			if (lineio_flush(&s->io) == -1)
				return -1;
		}
	}
	switch (idle_done(s)) {
	case 1:
		return imap_ok(s, "IDLE terminated");
	case 0:
		return imap_bad(s, "IDLE ends with DONE");
	default:
		return -1;
	}
}
