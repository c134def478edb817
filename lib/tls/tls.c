/*
 * tls: one TLS connection over a pair of descriptors: the handshake under
 * a deadline, what was negotiated, the lineio transport and STARTTLS (see
 * tls.h).  The contexts are built in tls_server.c and tls_client.c (what
 * they share in tls_ctx.c), the ticket keys handled in tls_ticket.c, the
 * error messages made in tls_err.c.
 *
 * OpenSSL talks to the descriptors through a small BIO of our own rather
 * than its socket BIO: it reads fd_in and writes fd_out (one socket, or
 * two descriptors under inetd), writes with MSG_NOSIGNAL so that a peer
 * that went away is EPIPE and not a signal, and works on pipes too.  Both
 * descriptors are non-blocking, so OpenSSL never waits: it says WANT_READ
 * or WANT_WRITE and the wait is a poll() here or in lineio, always bounded.
 *
 * Trust: the peer is the network: every handshake and read has a
 * deadline; the certificate and key are the administrator's, read as
 * root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "fdio.h"
#include "lineio.h"
#include "tls.h"
#include "tls_int.h"

static BIO_METHOD	*tls_bio_method;
static pthread_once_t	 tls_bio_once = PTHREAD_ONCE_INIT;

static int
tls_bio_read(BIO *b, char *p, int n)
{
	struct tls_conn	*c = BIO_get_data(b);
	ssize_t		 r;

	BIO_clear_retry_flags(b);
	if (n <= 0)
		return 0;
	do
		r = read(c->fd_in, p, (size_t)n);
	while (r == -1 && errno == EINTR);
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_read(b);
	return (int)r;
}

static int
tls_bio_write(BIO *b, const char *p, int n)
{
	struct tls_conn	*c = BIO_get_data(b);
	ssize_t		 w;

	BIO_clear_retry_flags(b);
	if (n <= 0)
		return 0;
	do {
		w = send(c->fd_out, p, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w == -1 && errno == ENOTSOCK)
			w = write(c->fd_out, p, (size_t)n);
	} while (w == -1 && errno == EINTR);
	if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		BIO_set_retry_write(b);
	return (int)w;
}

static long
tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;	/* nothing is buffered */
}

static int
tls_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void
tls_bio_method_init(void)
{
	BIO_METHOD	*m;

	m = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR |
	    BIO_get_new_index(), "facteur fd pair");
	if (m == NULL)
		return;
	if (BIO_meth_set_read(m, tls_bio_read) != 1 ||
	    BIO_meth_set_write(m, tls_bio_write) != 1 ||
	    BIO_meth_set_ctrl(m, tls_bio_ctrl) != 1 ||
	    BIO_meth_set_create(m, tls_bio_create) != 1) {
		BIO_meth_free(m);
		return;
	}
	tls_bio_method = m;
}

static long long
tls_deadline(int timeout_ms)
{
	return timeout_ms >= 0 ? fd_now_ms() + timeout_ms + 1 : 0;
}

static struct tls_conn *
tls_conn_new(SSL_CTX *ctx, int fd_in, int fd_out, int timeout_ms, char *err,
    size_t errlen)
{
	struct tls_conn	*c;
	BIO		*bio;

	if (pthread_once(&tls_bio_once, tls_bio_method_init) != 0 ||
	    tls_bio_method == NULL) {
		tls_seterr(err, errlen, "TLS: cannot create the BIO method");
		return NULL;
	}
	if (fd_set_nonblock(fd_in, 1) == -1 || fd_set_nonblock(fd_out, 1) == -1) {
		tls_setmsg(err, errlen, "TLS: descriptors: %s", strerror(errno));
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		tls_setmsg(err, errlen, "out of memory");
		return NULL;
	}
	c->fd_in = fd_in;
	c->fd_out = fd_out;
	c->timeout_ms = timeout_ms;
	ERR_clear_error();
	if ((c->ssl = SSL_new(ctx)) == NULL ||
	    (bio = BIO_new(tls_bio_method)) == NULL) {
		tls_seterr(err, errlen, "TLS: new connection");
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	BIO_set_data(bio, c);
	SSL_set_bio(c->ssl, bio, bio);
	if (SSL_set_app_data(c->ssl, c) != 1) {
		tls_seterr(err, errlen, "TLS: new connection");
		SSL_free(c->ssl);
		free(c);
		return NULL;
	}
	return c;
}

/* The reason a handshake or an I/O call failed, for err. */
static void
tls_conn_reason(struct tls_conn *c, int sslerr, int saved, const char *what,
    char *err, size_t errlen)
{
	const char	*reason;
	long		 v;

	switch (sslerr) {
	case SSL_ERROR_ZERO_RETURN:
		tls_setmsg(err, errlen, "%s: the peer closed the connection",
		    what);
		break;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_last_error() != 0)
			tls_seterr(err, errlen, "%s", what);
		else if (saved == 0 || saved == EPIPE || saved == ECONNRESET)
			tls_setmsg(err, errlen, "%s: the peer closed the "
			    "connection", what);
		else
			tls_setmsg(err, errlen, "%s: %s", what,
			    strerror(saved));
		break;
	default:
		v = SSL_get_verify_result(c->ssl);
		if (c->client == NULL || v == X509_V_OK) {
			tls_seterr(err, errlen, "%s", what);
			break;
		}
		reason = ERR_reason_error_string(ERR_peek_last_error());
		tls_setmsg(err, errlen, "%s: %s (%s)", what,
		    reason != NULL ? reason : "certificate verify failed",
		    X509_verify_cert_error_string(v));
		break;
	}
}

static int
tls_handshake(struct tls_conn *c, int timeout_ms, char *err, size_t errlen)
{
	long long	 deadline = tls_deadline(timeout_ms);
	int		 r, e, saved;

	for (;;) {
		ERR_clear_error();
		errno = 0;
		r = c->client == NULL ? SSL_accept(c->ssl) :
		    SSL_connect(c->ssl);
		if (r == 1)
			return 0;
		saved = errno;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			r = fd_wait_until(c->fd_in, POLLIN, deadline);
		else if (e == SSL_ERROR_WANT_WRITE)
			r = fd_wait_until(c->fd_out, POLLOUT, deadline);
		else {
			tls_conn_reason(c, e, saved, "TLS handshake failed",
			    err, errlen);
			return -1;
		}
		if (r == -1) {
			if (errno == ETIMEDOUT)
				tls_setmsg(err, errlen, "TLS handshake timed "
				    "out after %d ms", timeout_ms);
			else
				tls_setmsg(err, errlen, "TLS handshake: poll: "
				    "%s", strerror(errno));
			return -1;
		}
	}
}

struct tls_conn *
tls_accept(struct tls_server *srv, int fd_in, int fd_out, int timeout_ms,
    char *err, size_t errlen)
{
	struct tls_conn	*c;

	if (tls_server_build(srv, err, errlen) == -1)
		return NULL;
	if ((c = tls_conn_new(srv->ctx, fd_in, fd_out, timeout_ms, err,
	    errlen)) == NULL)
		return NULL;
	if (tls_handshake(c, timeout_ms, err, errlen) == -1) {
		c->failed = 1;
		tls_close(c);
		return NULL;
	}
	return c;
}

static int
tls_is_ip(const char *name)
{
	unsigned char	 a[16];

	return inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

struct tls_conn *
tls_connect_peer(struct tls_client *cl, int fd, const struct tls_peer *peer,
    int timeout_ms, char *err, size_t errlen)
{
	struct tls_conn	*c;
	const char	*servername = peer->name;
	int		 ok = 1, check = cl->verify || peer->check != TLS_CHECK_NONE;

	if ((c = tls_conn_new(cl->ctx, fd, fd, timeout_ms, err, errlen)) ==
	    NULL)
		return NULL;
	c->client = cl;
	c->check = peer->check;
	if ((c->servername = strdup(servername != NULL ? servername : "")) ==
	    NULL) {
		tls_setmsg(err, errlen, "out of memory");
		goto fail;
	}
	if (servername != NULL && servername[0] != '\0') {
		if (tls_is_ip(servername)) {
			if (check)
				ok = X509_VERIFY_PARAM_set1_ip_asc(
				    SSL_get0_param(c->ssl), servername) == 1;
		} else {
			ok = SSL_set_tlsext_host_name(c->ssl, servername) == 1;
			if (ok && check && peer->check != TLS_CHECK_DANE)
				ok = SSL_set1_host(c->ssl, servername) == 1;
		}
		if (!ok) {
			tls_seterr(err, errlen, "TLS: server name \"%s\"",
			    servername);
			goto fail;
		}
	}
	if (peer->check == TLS_CHECK_DANE &&
	    tls_peer_dane(c, peer, err, errlen) == -1)
		goto fail;
	/* a resumed session skips the checks: offered only without them */
	if (peer->check == TLS_CHECK_NONE && cl->session != NULL &&
	    cl->session_name != NULL &&
	    strcmp(cl->session_name, c->servername) == 0 &&
	    SSL_set_session(c->ssl, cl->session) != 1) {
		tls_seterr(err, errlen, "TLS: resuming a session");
		goto fail;
	}
	if (tls_handshake(c, timeout_ms, err, errlen) == -1)
		goto fail;
	return c;
fail:
	c->failed = 1;
	tls_close(c);
	return NULL;
}

struct tls_conn *
tls_connect(struct tls_client *cl, int fd, const char *servername,
    int timeout_ms, char *err, size_t errlen)
{
	struct tls_peer	 peer;

	memset(&peer, 0, sizeof(peer));
	peer.name = servername;
	peer.check = TLS_CHECK_NONE;
	return tls_connect_peer(cl, fd, &peer, timeout_ms, err, errlen);
}

const char *
tls_version(const struct tls_conn *c)
{
	switch (SSL_version(c->ssl)) {
	case TLS1_3_VERSION:
		return "TLS1.3";
	case TLS1_2_VERSION:
		return "TLS1.2";
	case TLS1_1_VERSION:
		return "TLS1.1";
	case TLS1_VERSION:
		return "TLS1.0";
	default:
		return "unknown";
	}
}

const char *
tls_cipher(const struct tls_conn *c)
{
	const char	*name = SSL_get_cipher_name(c->ssl);

	return name != NULL ? name : "unknown";
}

int
tls_cipher_bits(const struct tls_conn *c, int *alg_bits)
{
	int	 alg = 0, bits;

	bits = SSL_CIPHER_get_bits(SSL_get_current_cipher(c->ssl), &alg);
	if (alg_bits != NULL)
		*alg_bits = alg;
	return bits;
}

int
tls_describe(const struct tls_conn *c, char *out, size_t n)
{
	int	 bits, alg, r;

	bits = tls_cipher_bits(c, &alg);
	r = snprintf(out, n, "%s with cipher %s (%d/%d bits)", tls_version(c),
	    tls_cipher(c), bits, alg);
	return r < 0 || (size_t)r >= n ? -1 : 0;
}

int
tls_session_reused(const struct tls_conn *c)
{
	return SSL_session_reused(c->ssl) == 1;
}

void
tls_set_timeout(struct tls_conn *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms;
}

void
tls_close(struct tls_conn *c)
{
	if (c == NULL)
		return;
	ERR_clear_error();
	/* One try at close_notify; a peer that is not reading loses it. */
	if (!c->failed && SSL_is_init_finished(c->ssl))
		(void)SSL_shutdown(c->ssl);
	ERR_clear_error();
	SSL_free(c->ssl);
	free(c->servername);
	free(c);
}

/* A wait inside a lineio read or write ends when lineio's would. */
static long long
tls_io_deadline(const struct tls_conn *c)
{
	if (c->io == NULL)
		return tls_deadline(c->timeout_ms);
	return lineio_wait_deadline(c->io);
}

/*
 * After SSL_read_ex or SSL_write_ex failed with e: 1 when the caller should
 * retry now (a wait for the other direction succeeded), or -1 with errno
 * (EAGAIN: lineio waits for its own direction).
 */
static int
tls_io_failed(struct tls_conn *c, int e, int saved, int reading)
{
	switch (e) {
	case SSL_ERROR_WANT_READ:
		if (reading)
			break;
		return fd_wait_until(c->fd_in, POLLIN, tls_io_deadline(c)) == 0 ?
		    1 : -1;
	case SSL_ERROR_WANT_WRITE:
		if (!reading)
			break;
		return fd_wait_until(c->fd_out, POLLOUT, tls_io_deadline(c)) == 0 ?
		    1 : -1;
	case SSL_ERROR_ZERO_RETURN:
		errno = EPIPE;		/* only a write gets here */
		return -1;
	case SSL_ERROR_SYSCALL:
		c->failed = 1;
		ERR_clear_error();
		errno = saved != 0 ? saved : (reading ? EIO : EPIPE);
		return -1;
	default:
		c->failed = 1;
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
	errno = EAGAIN;
	return -1;
}

static ssize_t
tls_tr_read(void *ctx, void *p, size_t n)
{
	struct tls_conn	*c = ctx;
	size_t		 got = 0;
	int		 e, saved;

	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		if (SSL_read_ex(c->ssl, p, n, &got) == 1)
			return (ssize_t)got;
		saved = errno;
		e = SSL_get_error(c->ssl, 0);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;	/* close_notify, or EOF (ignored) */
		if (tls_io_failed(c, e, saved, 1) == -1)
			return -1;
	}
}

static ssize_t
tls_tr_write(void *ctx, const void *p, size_t n)
{
	struct tls_conn	*c = ctx;
	size_t		 done = 0;
	int		 e, saved;

	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	for (;;) {
		ERR_clear_error();
		errno = 0;
		if (SSL_write_ex(c->ssl, p, n, &done) == 1)
			return (ssize_t)done;
		saved = errno;
		e = SSL_get_error(c->ssl, 0);
		if (tls_io_failed(c, e, saved, 0) == -1)
			return -1;
	}
}

static int
tls_tr_pending(void *ctx)
{
	struct tls_conn	*c = ctx;

	return SSL_pending(c->ssl);
}

void
tls_transport(struct tls_conn *c, struct line_transport *tr)
{
	tr->read = tls_tr_read;
	tr->write = tls_tr_write;
	tr->pending = tls_tr_pending;
	tr->ctx = c;
}

void
tls_attach(struct lineio *l, struct tls_conn *c)
{
	struct line_transport	 tr;

	tls_transport(c, &tr);
	lineio_set_transport(l, &tr);
	c->io = l;
}

int
tls_starttls(struct lineio *l, struct tls_server *srv,
    struct tls_conn **connp, char *err, size_t errlen)
{
	struct tls_conn	*c;
	long long	 ms = srv->timeout_ms, left;

	*connp = NULL;
	if (l->tr.read != NULL) {
		tls_setmsg(err, errlen, "STARTTLS: TLS is already active");
		return -1;
	}
	if (tls_server_build(srv, err, errlen) == -1)
		return -1;
	if (lineio_flush(l) == -1) {
		tls_setmsg(err, errlen, "STARTTLS: sending the reply: %s",
		    strerror(errno));
		return -1;
	}
	/* Plaintext behind STARTTLS is the command-injection bug class. */
	lineio_discard_input(l);
	/* The handshake ends by the connection's deadline too. */
	if (l->deadline != 0) {
		left = l->deadline - fd_now_ms();
		if (ms < 0 || left < ms)
			ms = left > 0 ? left : 0;
	}
	if ((c = tls_accept(srv, l->fd_in, l->fd_out, (int)ms, err,
	    errlen)) == NULL)
		return -1;
	tls_attach(l, c);
	*connp = c;
	return 0;
}
