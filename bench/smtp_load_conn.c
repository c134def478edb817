/*
 * smtp_load_conn: one client connection of bench/smtp_load (see
 * smtp_load.c): connect, the replies and EHLO keywords, STARTTLS or
 * implicit TLS with the thread's session kept for resumption, close.
 */
#include "smtp_load.h"

int
conn_write(struct conn *c, const char *p, size_t n)
{
	ssize_t	w;
	int	r;

	while (n > 0) {
		if (c->ssl != NULL) {
			r = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
			if (r <= 0)
				return -1;
			w = r;
		} else {
			w = send(c->fd, p, n, MSG_NOSIGNAL);
			if (w == -1 && errno == EINTR)
				continue;
			if (w <= 0)
				return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
conn_fill(struct conn *c)
{
	ssize_t	r;
	int	sr;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len == sizeof(c->buf))
		return -1;
	if (c->ssl != NULL) {
		sr = SSL_read(c->ssl, c->buf + c->len,
		    (int)(sizeof(c->buf) - c->len));
		if (sr <= 0)
			return -1;
		r = sr;
	} else {
		do
			r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		while (r == -1 && errno == EINTR);
		if (r <= 0)
			return -1;
	}
	c->len += (size_t)r;
	return 0;
}

/* One reply; returns its code, or -1.  Notes EHLO keywords on the way. */
int
conn_reply(struct conn *c)
{
	char	*line, *nl;
	int	 code;

	for (;;) {
		while ((nl = memchr(c->buf + c->off, '\n', c->len - c->off)) ==
		    NULL) {
			if (conn_fill(c) == -1)
				return -1;
		}
		line = c->buf + c->off;
		c->off = (size_t)(nl - c->buf) + 1;
		if (nl - line < 4 || line[0] < '2' || line[0] > '5')
			return -1;
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (nl - line >= 12 && strncasecmp(line + 4, "STARTTLS", 8) == 0)
			c->has_starttls = 1;
		if (nl - line >= 14 && strncasecmp(line + 4, "PIPELINING", 10) == 0)
			c->has_pipelining = 1;
		if (line[3] == ' ' || line[3] == '\r')
			return code;
		if (line[3] != '-')
			return -1;
	}
}

int
conn_cmd(struct conn *c, const char *line, int want)
{
	size_t	n = strlen(line);

	if (conn_write(c, line, n) == -1)
		return -1;
	return conn_reply(c) == want ? 0 : -1;
}

static int
conn_connect(struct conn *c)
{
	struct sockaddr_in	sin;
	struct timeval		tv;
	int			one = 1;

	memset(c, 0, sizeof(*c));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)o.port);
	if (inet_pton(AF_INET, o.host, &sin.sin_addr) != 1)
		return -1;
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	tv.tv_sec = o.timeout;
	tv.tv_usec = 0;
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		return -1;
	return 0;
}

/*
 * The newest session of this thread's connection, kept for the next one:
 * TLS 1.3 tickets arrive after the handshake, and a resumed connection
 * gets a fresh ticket that replaces the one it used.
 */
int
tls_new_session(SSL *ssl, SSL_SESSION *s)
{
	(void)ssl;
	if (tl_ticket != NULL)
		SSL_SESSION_free(tl_ticket);
	tl_ticket = s;
	return 1;
}

static int
conn_tls(struct conn *c, SSL_SESSION **sess)
{
	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return -1;
	if (tl_ticket != NULL) {
		if (*sess != NULL)
			SSL_SESSION_free(*sess);
		*sess = tl_ticket;
		tl_ticket = NULL;
	}
	if (*sess != NULL && SSL_set_session(c->ssl, *sess) != 1)
		return -1;
	if (SSL_connect(c->ssl) != 1) {
		ERR_print_errors_fp(stderr);
		return -1;
	}
	if (SSL_session_reused(c->ssl))
		atomic_fetch_add(&n_resumed, 1);
	c->len = c->off = 0;
	return 0;
}

void
conn_close(struct conn *c, SSL_SESSION **sess)
{
	if (c->ssl != NULL) {
		if (sess != NULL && tl_ticket != NULL) {
			if (*sess != NULL)
				SSL_SESSION_free(*sess);
			*sess = tl_ticket;
			tl_ticket = NULL;
		}
		(void)SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1)
		(void)close(c->fd);
	c->fd = -1;
}

/* Connect, greeting, EHLO (and STARTTLS with a second EHLO). */
int
session_open(struct conn *c, SSL_SESSION **sess)
{
	char	line[512];
	int	n;

	if (conn_connect(c) == -1)
		return -1;
	if (o.tls == TLS_IMPLICIT && conn_tls(c, sess) == -1)
		return -1;
	if (conn_reply(c) != 220)
		return -1;
	n = snprintf(line, sizeof(line), "EHLO %s\r\n", o.helo);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	if (conn_cmd(c, line, 250) == -1)
		return -1;
	if (o.tls == TLS_STARTTLS) {
		if (!c->has_starttls) {
			atomic_store(&no_starttls, 1);
			return -1;
		}
		if (conn_cmd(c, "STARTTLS\r\n", 220) == -1 ||
		    conn_tls(c, sess) == -1)
			return -1;
		c->has_pipelining = 0;
		if (conn_cmd(c, line, 250) == -1)
			return -1;
	}
	if (!o.pipelining)
		c->has_pipelining = 0;
	return 0;
}
