/*
 * smtp_conn: one connection of the SMTP client, up to the point where
 * MAIL FROM can be sent: TCP within smtp_connect_timeout, the greeting
 * and EHLO (HELO when EHLO is refused) within smtp_helo_timeout, STARTTLS
 * as the host's TLS level asks (lib/smtp/smtp_policy.h):
 *
 *   none     never
 *   may      when offered, without a certificate check; a failed
 *            handshake is logged and the host tried again in plaintext
 *   encrypt  required; no certificate check
 *   verify   required; the chain must lead to tls_ca_file (or the
 *            system's CAs) and name the host
 *   dane     required; a TLSA record of the host must match (RFC 7672);
 *            rspawn gives a host without usable TLSA records may or
 *            encrypt instead, as the RFC says
 *
 * A required TLS that fails is never followed by plaintext: the host is
 * given up (the next one is tried).  Then AUTH, when the settings hold
 * the destination's credential: PLAIN or LOGIN, and only over TLS.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fdio.h"
#include "smtp_client.h"
#include "smtp_policy.h"

/* 0 with the connected socket in *fdp, or -1 with the reason in why. */
static int
tcp_connect(const struct smtp_host *h, int ms, long long deadline, int *fdp,
    char *why, size_t n)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sl, el = sizeof(int);
	long long		 t = fd_now_ms() + ms;
	int			 fd, e = 0, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, h->addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)h->port);
		sl = sizeof(*sin);
	} else if (inet_pton(AF_INET6, h->addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)h->port);
		sl = sizeof(*sin6);
	} else {
		(void)snprintf(why, n, "bad address %s", h->addr);
		return -1;
	}
	if (deadline > 0 && deadline < t)
		t = deadline;
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		(void)snprintf(why, n, "connect to %s[%s]:%u: %s", h->name,
		    h->addr, h->port, strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1) {
		if (errno != EINPROGRESS)
			e = errno;
		else if (fd_wait_until(fd, POLLOUT, t) == -1)
			e = errno;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == -1)
			e = errno;
	}
	if (e != 0) {
		(void)snprintf(why, n, "connect to %s[%s]:%u: %s", h->name,
		    h->addr, h->port, e == ETIMEDOUT ? "Connection timed out" :
		    strerror(e));
		(void)close(fd);
		return -1;
	}
	/* commands go out in batches anyway; the last one must not wait */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*fdp = fd;
	return 0;
}

/* The class of a reply's dsn turned temporary: the host is skipped. */
static void
dsn_temporary(const struct smtp_reply *r, char *dsn)
{
	smtp_reply_dsn(r->code, r->enhanced, dsn, 12);
	dsn[0] = '4';
}

static int
ehlo(struct smtp_conn *c, const struct smtp_settings *s,
    struct smtp_job *j, char *dsn, char *why, size_t n)
{
	struct smtp_reply	 r;
	char			 err[256];

	if (smtp_command(c, &r, s->helo_ms, j->deadline, err, sizeof(err),
	    "EHLO %s", s->helo_name) == -1) {
		(void)snprintf(why, n, "%s with %s[%s] while sending EHLO",
		    err, c->name, c->addr);
		strlcpy(dsn, "4.4.2", 12);
		return -1;
	}
	if (r.code == 250) {
		c->esmtp = 1;
		smtp_ehlo_parse(&r, &c->ext);
		return 0;
	}
	if (r.code == 421)
		goto refused;
	if (smtp_command(c, &r, s->helo_ms, j->deadline, err, sizeof(err),
	    "HELO %s", s->helo_name) == -1) {
		(void)snprintf(why, n, "%s with %s[%s] while sending HELO",
		    err, c->name, c->addr);
		strlcpy(dsn, "4.4.2", 12);
		return -1;
	}
	if (r.code == 250) {
		c->esmtp = 0;
		memset(&c->ext, 0, sizeof(c->ext));
		c->ext.size = -1;
		return 0;
	}
refused:
	smtp_said(c, &r, "EHLO/HELO command", why, n);
	dsn_temporary(&r, dsn);
	return -1;
}

static const char *
trust_word(const struct smtp_host *h)
{
	return h->level == TLS_LEVEL_VERIFY || h->level == TLS_LEVEL_DANE ?
	    "Verified" : "Untrusted";
}

/*
 * STARTTLS and the handshake; 0 (TLS on, or not wanted and off), 1 when
 * the host does not do it and plaintext may go on, -1 when this host is
 * given up (why, dsn set; *tls_failed for a may-level handshake).
 */
static int
starttls(struct smtp_conn *c, const struct smtp_settings *s,
    struct smtp_job *j, const struct smtp_host *h, char *dsn, char *why,
    size_t n, int *tls_failed)
{
	struct smtp_reply	 r;
	struct tls_peer		 peer;
	char			 err[256], desc[128], check[160];
	int			 required = h->level >= TLS_LEVEL_ENCRYPT;
	long long		 left;

	if (s->tls == NULL || !c->ext.starttls) {
		if (!required)
			return 1;
		(void)snprintf(why, n, "TLS is required, but was not offered "
		    "by host %s[%s]", c->name, c->addr);
		strlcpy(dsn, "4.7.4", 12);
		return -1;
	}
	if (smtp_command(c, &r, s->starttls_ms, j->deadline, err, sizeof(err),
	    "STARTTLS") == -1) {
		(void)snprintf(why, n, "%s with %s[%s] while sending STARTTLS",
		    err, c->name, c->addr);
		strlcpy(dsn, "4.4.2", 12);
		return -1;
	}
	if (r.code != 220) {
		if (!required) {
			smtp_log("%s[%s]:%u offered STARTTLS but refused it; "
			    "going on in plaintext", c->name, c->addr,
			    c->port);
			return 1;
		}
		smtp_said(c, &r, "STARTTLS command", why, n);
		dsn_temporary(&r, dsn);
		return -1;
	}
	memset(&peer, 0, sizeof(peer));
	peer.name = h->name;
	peer.check = h->level == TLS_LEVEL_VERIFY ? TLS_CHECK_PKIX :
	    h->level == TLS_LEVEL_DANE ? TLS_CHECK_DANE : TLS_CHECK_NONE;
	peer.tlsa = h->tlsa;
	peer.ntlsa = h->ntlsa;
	/* plaintext the server pipelined behind its 220 is dropped */
	lineio_discard_input(&c->io);
	left = j->deadline - fd_now_ms();
	c->tls = tls_connect_peer(s->tls, c->fd, &peer,
	    left < s->starttls_ms ? (int)(left > 0 ? left : 1) :
	    s->starttls_ms, err, sizeof(err));
	if (c->tls == NULL) {
		(void)snprintf(why, n, "TLS handshake with %s[%s]:%u failed: "
		    "%s", c->name, c->addr, c->port, err);
		strlcpy(dsn, "4.7.5", 12);
		if (!required)
			*tls_failed = 1;
		return -1;
	}
	if (!tls_peer_verified(c->tls, check, sizeof(check))) {
		(void)snprintf(why, n, "Server certificate not verified: "
		    "%s[%s]:%u: %s", c->name, c->addr, c->port, check);
		strlcpy(dsn, "4.7.5", 12);
		return -1;
	}
	tls_attach(&c->io, c->tls);
	if (tls_describe(c->tls, desc, sizeof(desc)) == -1)
		strlcpy(desc, "TLS", sizeof(desc));
	(void)snprintf(c->tls_info, sizeof(c->tls_info), "%s", desc);
	smtp_log("%s TLS connection established to %s[%s]:%u: %s",
	    trust_word(h), c->name, c->addr, c->port, desc);
	return 0;
}

/* Base64 of n octets into out (4 * ((n + 2) / 3) + 1 octets). */
static void
b64(const unsigned char *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static int
auth(struct smtp_conn *c, const struct smtp_settings *s, struct smtp_job *j,
    char *dsn, char *why, size_t n)
{
	struct smtp_reply	 r;
	unsigned char		 raw[1024];
	char			 enc[1400], err[256];
	size_t			 ul, pl;
	int			 ret = -1, k;

	if (s->auth_user == NULL)
		return 0;
	if (c->tls == NULL) {
		(void)snprintf(why, n, "not sending credentials to %s[%s] "
		    "without TLS", c->name, c->addr);
		strlcpy(dsn, "4.7.0", 12);
		return -1;
	}
	if (!c->ext.auth_plain && !c->ext.auth_login)
		return 0;	/* it asks for none: the mail goes without */
	ul = strlen(s->auth_user);
	pl = strlen(s->auth_pass);
	if (ul + pl + 2 > sizeof(raw)) {
		(void)snprintf(why, n, "credentials too long");
		strlcpy(dsn, "4.7.0", 12);
		return -1;
	}
	if (c->ext.auth_plain) {
		raw[0] = '\0';
		memcpy(raw + 1, s->auth_user, ul);
		raw[1 + ul] = '\0';
		memcpy(raw + 2 + ul, s->auth_pass, pl);
		b64(raw, ul + pl + 2, enc);
		k = smtp_command(c, &r, s->mail_ms, j->deadline, err,
		    sizeof(err), "AUTH PLAIN %s", enc);
	} else {
		k = smtp_command(c, &r, s->mail_ms, j->deadline, err,
		    sizeof(err), "AUTH LOGIN");
		if (k == 0 && r.code == 334) {
			b64((const unsigned char *)s->auth_user, ul, enc);
			k = smtp_command(c, &r, s->mail_ms, j->deadline, err,
			    sizeof(err), "%s", enc);
		}
		if (k == 0 && r.code == 334) {
			b64((const unsigned char *)s->auth_pass, pl, enc);
			k = smtp_command(c, &r, s->mail_ms, j->deadline, err,
			    sizeof(err), "%s", enc);
		}
	}
	if (k == -1) {
		(void)snprintf(why, n, "%s with %s[%s] during AUTH", err,
		    c->name, c->addr);
		strlcpy(dsn, "4.4.2", 12);
	} else if (r.code != 235) {
		char said[RJOB_TEXT_MAX + 1];

		smtp_said(c, &r, "AUTH command", said, sizeof(said));
		(void)snprintf(why, n, "SASL authentication failed; %s", said);
		dsn_temporary(&r, dsn);
	} else
		ret = 0;
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(enc, sizeof(enc));
	/* the write buffer held the credential too */
	explicit_bzero(c->io.wbuf.data, c->io.wbuf.cap);
	return ret;
}

int
smtp_conn_open(struct smtp_conn *c, const struct smtp_settings *s,
    struct smtp_job *j, const struct smtp_host *h, int no_tls, char *dsn,
    char *why, size_t n, int *tls_failed)
{
	struct smtp_reply	 r;
	char			 err[256];
	int			 fd, t, k;

	*tls_failed = 0;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	strlcpy(c->name, h->name, sizeof(c->name));
	strlcpy(c->addr, h->addr, sizeof(c->addr));
	c->port = h->port;
	(void)snprintf(c->relay, sizeof(c->relay), "%.200s[%s]:%u", h->name,
	    h->addr, h->port);
	if (tcp_connect(h, s->connect_ms, j->deadline, &fd, why, n) == -1) {
		strlcpy(dsn, "4.4.1", 12);
		return -1;
	}
	c->fd = fd;
	c->usable = 1;
	lineio_init(&c->io, fd, fd, s->helo_ms);
	if (smtp_read_reply(c, &r, s->helo_ms, j->deadline, err, sizeof(err),
	    &t) == -1) {
		(void)snprintf(why, n, "%s with %s[%s] while receiving the "
		    "initial server greeting", t ? "conversation timed out" :
		    err, c->name, c->addr);
		strlcpy(dsn, "4.4.2", 12);
		goto fail;
	}
	if (r.code != 220) {
		char said[RJOB_TEXT_MAX + 1];

		smtp_reply_oneline(&r, said, sizeof(said));
		(void)snprintf(why, n, "host %s[%s] refused to talk to me: %s",
		    c->name, c->addr, said);
		dsn_temporary(&r, dsn);
		goto fail;
	}
	if (ehlo(c, s, j, dsn, why, n) == -1)
		goto fail;
	if (h->level != TLS_LEVEL_NONE && !no_tls) {
		k = starttls(c, s, j, h, dsn, why, n, tls_failed);
		if (k == -1)
			goto fail;
		if (k == 0 && ehlo(c, s, j, dsn, why, n) == -1)
			goto fail;
	} else if (h->level >= TLS_LEVEL_ENCRYPT) {
		(void)snprintf(why, n, "TLS is required for %s[%s]", c->name,
		    c->addr);
		strlcpy(dsn, "4.7.4", 12);
		goto fail;
	}
	if (auth(c, s, j, dsn, why, n) == -1)
		goto fail;
	return 0;
fail:
	c->usable = c->usable && *tls_failed == 0;
	smtp_close(c, s, c->usable);
	return -1;
}

int
smtp_conn_reset(struct smtp_conn *c, const struct smtp_settings *s,
    long long deadline)
{
	struct smtp_reply	 r;
	struct pollfd		 pfd;
	char			 err[256];

	if (c->fd == -1)
		return -1;
	if (!c->usable || c->uses >= s->reuse_limit) {
		smtp_close(c, s, c->usable);
		return -1;
	}
	/* a server that closed or talked while idle is not reused */
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (lineio_buffered(&c->io) > 0 || (poll(&pfd, 1, 0) == 1 &&
	    c->tls == NULL)) {
		smtp_close(c, s, 0);
		return -1;
	}
	if (smtp_command(c, &r, s->rset_ms, deadline, err, sizeof(err),
	    "RSET") == -1 || r.code != 250) {
		smtp_close(c, s, 0);
		return -1;
	}
	return 0;
}
