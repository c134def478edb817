/*
 * smtp_io: the SMTP client's reads and writes.  Every wait is bounded
 * twice: by the timeout of the step (RFC 5321 4.5.3.2: the smtp_*_timeout
 * keys), taken as an absolute deadline for the whole reply, so a server
 * that dribbles a byte at a time still ends there; and by the deadline of
 * the whole delivery (smtp_delivery_timeout).  Replies are read line by
 * line through the strict parser of lib/smtp/smtp_reply.c; a line over
 * SMTP_REPLY_LINE_MAX is refused, never cut (and not even drained past
 * LINEIO_DRAIN_MAX more: the connection is dropped either way).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "smtp_client.h"

static long long
step_deadline(int ms, long long deadline)
{
	long long	t = fd_now_ms() + ms;

	return deadline > 0 && deadline < t ? deadline : t;
}

int
smtp_read_reply(struct smtp_conn *c, struct smtp_reply *r, int ms,
    long long deadline, char *err, size_t errlen, int *timeout)
{
	struct buf	 line;
	const char	*why;
	int		 crlf, k = 0;

	*timeout = 0;
	smtp_reply_init(r);
	buf_init(&line, SMTP_REPLY_LINE_MAX);
	lineio_set_deadline(&c->io, step_deadline(ms, deadline));
	c->io.timeout_ms = ms;
	while (k == 0) {
		switch (lineio_read(&c->io, &line, SMTP_REPLY_LINE_MAX, &crlf)) {
		case LINE_OK:
			break;
		case LINE_TIMEOUT:
			*timeout = 1;
			(void)snprintf(err, errlen, "timed out");
			goto fail;
		case LINE_TOOLONG:
		case LINE_OVERFLOW:
			(void)snprintf(err, errlen, "malformed reply: a line "
			    "longer than %d octets", SMTP_REPLY_LINE_MAX);
			goto fail;
		case LINE_EOF:
		case LINE_PARTIAL:
			(void)snprintf(err, errlen, "lost connection");
			goto fail;
		case LINE_ERROR:
			if (errno == ETIMEDOUT) {
				*timeout = 1;
				(void)snprintf(err, errlen, "timed out");
			} else
				(void)snprintf(err, errlen, "lost connection "
				    "(%s)", strerror(errno));
			goto fail;
		}
		k = smtp_reply_line(r, line.data, line.len, &why);
		if (k == -1) {
			(void)snprintf(err, errlen, "malformed reply: %s", why);
			goto fail;
		}
	}
	buf_free(&line);
	return 0;
fail:
	buf_free(&line);
	c->usable = 0;
	return -1;
}

int
smtp_put(struct smtp_conn *c, const char *fmt, ...)
{
	char	 cmd[SMTP_REPLY_LINE_MAX];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd) - 2) {
		errno = E2BIG;
		return -1;
	}
	memcpy(cmd + n, "\r\n", 2);
	return lineio_write(&c->io, cmd, (size_t)n + 2);
}

int
smtp_flush(struct smtp_conn *c, int ms, long long deadline)
{
	lineio_set_deadline(&c->io, step_deadline(ms, deadline));
	c->io.timeout_ms = ms;
	if (lineio_flush(&c->io) == -1) {
		c->usable = 0;
		return -1;
	}
	return 0;
}

int
smtp_command(struct smtp_conn *c, struct smtp_reply *r, int ms,
    long long deadline, char *err, size_t errlen, const char *fmt, ...)
{
	char	 cmd[SMTP_REPLY_LINE_MAX];
	va_list	 ap;
	int	 n, timeout;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd)) {
		(void)snprintf(err, errlen, "command too long");
		return -1;
	}
	if (smtp_put(c, "%s", cmd) == -1 || smtp_flush(c, ms, deadline) == -1) {
		(void)snprintf(err, errlen, "lost connection (%s)",
		    errno == ETIMEDOUT ? "timed out" : strerror(errno));
		c->usable = 0;
		return -1;
	}
	return smtp_read_reply(c, r, ms, deadline, err, errlen, &timeout);
}

void
smtp_said(const struct smtp_conn *c, const struct smtp_reply *r,
    const char *what, char *out, size_t n)
{
	char	 one[RJOB_TEXT_MAX + 1];

	smtp_reply_oneline(r, one, sizeof(one));
	(void)snprintf(out, n, "host %s[%s] said: %.*s (in reply to %s)",
	    c->name, c->addr, (int)(n > 128 ? n - 128 : 1), one, what);
}

void
smtp_close(struct smtp_conn *c, const struct smtp_settings *s, int polite)
{
	struct smtp_reply	 r;
	char			 err[128];
	int			 t;

	if (c->fd == -1)
		return;
	if (polite && c->usable &&
	    smtp_put(c, "QUIT") == 0 &&
	    smtp_flush(c, s->quit_ms, 0) == 0)
		(void)smtp_read_reply(c, &r, s->quit_ms, 0, err, sizeof(err),
		    &t);
	if (c->tls != NULL) {
		tls_close(c->tls);
		c->tls = NULL;
	}
	lineio_free(&c->io);
	(void)close(c->fd);
	c->fd = -1;
	c->usable = 0;
	c->uses = 0;
	c->tls_info[0] = '\0';
}
