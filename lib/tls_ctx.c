/*
 * tls_ctx: the OpenSSL contexts built from the tls_* keys of facteur.conf,
 * for the servers (certificate, key, DH, session tickets) and for the
 * client side (CA store, verification, the last session kept for
 * resumption).  Both sides share the protocol range, the cipher lists and
 * the key exchange groups.
 *
 * A server context is made in two steps.  tls_server_load, as root before
 * the chroot, reads the files into memory with plain read(2) and touches
 * no OpenSSL state; tls_server_build makes the SSL_CTX from those bytes,
 * opening no file, and wipes them.  A per-connection server thus pays for
 * OpenSSL only when the client asks for TLS (about 3 ms of CPU).
 *
 * Every problem is refused with its reason rather than worked around: a
 * context that would quietly fail every handshake (no cipher left for an
 * enabled version, a key that is not the certificate's) is an error here,
 * at start (or at the first handshake of a lazy server, which logs it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conf.h"
#include "fdio.h"
#include "tls.h"
#include "tls_int.h"

#define TLS_SESSION_CONTEXT	"facteur"
#define TLS_FILE_MAX		(1024 * 1024)	/* a PEM file we read */

/* The settings both sides share, taken from the configuration. */
struct tls_params {
	int	 minv, maxv;		/* tls_protocols */
	char	*ciphers;		/* tls_ciphers */
	char	*ciphersuites;		/* tls_ciphersuites */
	char	*curves;		/* tls_ecdh_curves */
};

/* A file read into memory: data is wiped before it is freed. */
struct tls_blob {
	char		*path;		/* for messages */
	unsigned char	*data;
	size_t		 len;
};

struct tls_material {
	struct tls_params	 params;
	struct tls_blob		 cert, key, dh;	/* dh.path NULL: automatic */
	int			 tickets;	/* tls_session_tickets */
};

static const struct {
	const char	*word;
	int		 version;
} tls_versions[] = {
	{ "TLSv1",	TLS1_VERSION },
	{ "TLSv1.1",	TLS1_1_VERSION },
	{ "TLSv1.2",	TLS1_2_VERSION },
	{ "TLSv1.3",	TLS1_3_VERSION },
};
#define TLS_NVERSIONS	(sizeof(tls_versions) / sizeof(tls_versions[0]))

static void
tls_vseterr(char *err, size_t errlen, int with_reason, const char *fmt,
    va_list ap)
{
	char		 what[512];
	const char	*reason = NULL;
	unsigned long	 e;

	e = ERR_peek_last_error();
	if (with_reason && e != 0)
		reason = ERR_reason_error_string(e);
	ERR_clear_error();
	if (err == NULL || errlen == 0)
		return;
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	if (reason != NULL)
		(void)snprintf(err, errlen, "%s: %s", what, reason);
	else
		(void)snprintf(err, errlen, "%s", what);
}

void
tls_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	tls_vseterr(err, errlen, 1, fmt, ap);
	va_end(ap);
}

void
tls_setmsg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	tls_vseterr(err, errlen, 0, fmt, ap);
	va_end(ap);
}

/* A file named by key must be there and readable: say so in plain words. */
static int
tls_file_check(const char *key, const char *path, char *err, size_t errlen)
{
	FILE	*fp;

	if (path[0] == '\0') {
		tls_setmsg(err, errlen, "%s is not set", key);
		return -1;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		tls_setmsg(err, errlen, "%s %s: %s", key, path, strerror(errno));
		return -1;
	}
	(void)fclose(fp);
	return 0;
}

static void
tls_blob_free(struct tls_blob *b)
{
	if (b->data != NULL) {
		explicit_bzero(b->data, b->len);
		free(b->data);
	}
	free(b->path);
	memset(b, 0, sizeof(*b));
}

/*
 * Reads the file named by key, a regular file of at most TLS_FILE_MAX
 * bytes, into b with read(2): no stdio buffer keeps a copy of a key.
 */
static int
tls_file_read(const char *key, const char *path, struct tls_blob *b,
    char *err, size_t errlen)
{
	struct stat	 st;
	ssize_t		 r;
	int		 fd, saved;

	if (path[0] == '\0') {
		tls_setmsg(err, errlen, "%s is not set", key);
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		tls_setmsg(err, errlen, "%s %s: %s", key, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		saved = errno;
		(void)close(fd);
		tls_setmsg(err, errlen, "%s %s: %s", key, path, strerror(saved));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > TLS_FILE_MAX) {
		(void)close(fd);
		tls_setmsg(err, errlen, "%s %s: %s", key, path,
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    "larger than 1 MB");
		return -1;
	}
	/* Room for one byte more than the file: a file that grew is seen. */
	b->len = (size_t)st.st_size + 1;
	if ((b->path = strdup(path)) == NULL ||
	    (b->data = malloc(b->len)) == NULL) {
		(void)close(fd);
		tls_blob_free(b);
		tls_setmsg(err, errlen, "out of memory");
		return -1;
	}
	r = fd_read_full(fd, b->data, b->len);
	saved = errno;
	(void)close(fd);
	if (r == -1 || (size_t)r == b->len) {
		tls_blob_free(b);
		tls_setmsg(err, errlen, "%s %s: %s", key, path, r == -1 ?
		    strerror(saved) : "changed while it was read");
		return -1;
	}
	b->len = (size_t)r;
	return 0;
}

/*
 * tls_protocols: a contiguous range of known versions.  TLS 1.0 and 1.1
 * sign with SHA-1, which OpenSSL 3 allows only at security level 0: when
 * the administrator lists them, that level is what they asked for.
 */
static int
tls_protocols_parse(const struct conf *conf, int *minv, int *maxv, char *err,
    size_t errlen)
{
	const char *const	*words;
	size_t			 n, i, j;
	unsigned int		 mask = 0;
	int			 lo = -1, hi = -1;

	words = conf_list(conf, "tls_protocols", &n);
	if (n == 0) {
		tls_setmsg(err, errlen, "tls_protocols is empty");
		return -1;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < TLS_NVERSIONS; j++)
			if (strcasecmp(words[i], tls_versions[j].word) == 0 ||
			    (j == 0 && strcasecmp(words[i], "TLSv1.0") == 0))
				break;
		if (j == TLS_NVERSIONS) {
			tls_setmsg(err, errlen, "tls_protocols: \"%s\" is not "
			    "a TLS version (TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)",
			    words[i]);
			return -1;
		}
		mask |= 1U << j;
	}
	for (j = 0; j < TLS_NVERSIONS; j++) {
		if ((mask & (1U << j)) == 0)
			continue;
		if (lo == -1)
			lo = (int)j;
		hi = (int)j;
	}
	for (j = (size_t)lo; j <= (size_t)hi; j++)
		if ((mask & (1U << j)) == 0) {
			tls_setmsg(err, errlen, "tls_protocols: %s is missing "
			    "between %s and %s (the versions are a range)",
			    tls_versions[j].word, tls_versions[lo].word,
			    tls_versions[hi].word);
			return -1;
		}
	*minv = tls_versions[lo].version;
	*maxv = tls_versions[hi].version;
	return 0;
}

static void
tls_params_free(struct tls_params *p)
{
	free(p->ciphers);
	free(p->ciphersuites);
	free(p->curves);
	memset(p, 0, sizeof(*p));
}

/* The shared settings, checked as far as can be without OpenSSL. */
static int
tls_params_get(struct tls_params *p, const struct conf *conf, char *err,
    size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (tls_protocols_parse(conf, &p->minv, &p->maxv, err, errlen) == -1)
		return -1;
	if ((p->ciphers = strdup(conf_str(conf, "tls_ciphers"))) == NULL ||
	    (p->ciphersuites = strdup(conf_str(conf,
	    "tls_ciphersuites"))) == NULL ||
	    (p->curves = strdup(conf_str(conf, "tls_ecdh_curves"))) == NULL) {
		tls_params_free(p);
		tls_setmsg(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Every enabled version must keep at least one cipher: a throwaway
 * connection limited to each version says which ones OpenSSL would use
 * (after the security level and the version limits of each cipher).
 */
static int
tls_ctx_check_ciphers(SSL_CTX *ctx, int minv, int maxv, char *err,
    size_t errlen)
{
	STACK_OF(SSL_CIPHER)	*sk;
	SSL			*ssl;
	size_t			 j;
	int			 v, n;

	for (j = 0; j < TLS_NVERSIONS; j++) {
		v = tls_versions[j].version;
		if (v < minv || v > maxv)
			continue;
		if ((ssl = SSL_new(ctx)) == NULL) {
			tls_seterr(err, errlen, "SSL_new");
			return -1;
		}
		n = 0;
		if (SSL_set_min_proto_version(ssl, v) == 1 &&
		    SSL_set_max_proto_version(ssl, v) == 1 &&
		    (sk = SSL_get1_supported_ciphers(ssl)) != NULL) {
			n = sk_SSL_CIPHER_num(sk);
			sk_SSL_CIPHER_free(sk);
		}
		SSL_free(ssl);
		if (n <= 0) {
			tls_setmsg(err, errlen, "%s leaves no cipher for %s",
			    v == TLS1_3_VERSION ? "tls_ciphersuites" :
			    "tls_ciphers", tls_versions[j].word);
			return -1;
		}
	}
	return 0;
}

/*
 * What both sides share: protocols, ciphers, groups, options.  OpenSSL is
 * initialised without openssl.cnf, so that a context built in a chroot
 * (where that file is not) is the one built outside, and building opens
 * no file; and without its exit handler, which walks and frees all of
 * OpenSSL's state when the process exits: in a child of a resident smtpd
 * that state is the resident's memory, and freeing it at each exit
 * copied every page it touched (a third of the CPU of a short SMTP
 * session).  The kernel frees it all at exit anyway.
 */
static SSL_CTX *
tls_ctx_new(const struct tls_params *p, int server, char *err, size_t errlen)
{
	SSL_CTX		*ctx;

	if (OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG |
	    OPENSSL_INIT_NO_ATEXIT, NULL) != 1) {
		tls_seterr(err, errlen, "OpenSSL initialisation");
		return NULL;
	}
	ERR_clear_error();
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL) {
		tls_seterr(err, errlen, "SSL_CTX_new");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, p->minv) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, p->maxv) != 1) {
		tls_seterr(err, errlen, "tls_protocols");
		goto fail;
	}
	if (p->minv < TLS1_2_VERSION)
		SSL_CTX_set_security_level(ctx, 0);
	if (p->minv < TLS1_3_VERSION &&
	    SSL_CTX_set_cipher_list(ctx, p->ciphers) != 1) {
		tls_seterr(err, errlen, "tls_ciphers \"%s\"", p->ciphers);
		goto fail;
	}
	if (SSL_CTX_set_ciphersuites(ctx, p->ciphersuites) != 1) {
		tls_seterr(err, errlen, "tls_ciphersuites \"%s\"",
		    p->ciphersuites);
		goto fail;
	}
	if (tls_ctx_check_ciphers(ctx, p->minv, p->maxv, err, errlen) == -1)
		goto fail;
	if (SSL_CTX_set1_groups_list(ctx, p->curves) != 1) {
		tls_seterr(err, errlen, "tls_ecdh_curves \"%s\"", p->curves);
		goto fail;
	}
	(void)SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_IGNORE_UNEXPECTED_EOF |
	    (server ? SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	(void)SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* A key with a passphrase cannot be used unattended: never prompt. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

/* The leaf certificate, then the chain, from the bytes of tls_cert_file. */
static int
tls_server_cert(SSL_CTX *ctx, const struct tls_blob *b, char *err,
    size_t errlen)
{
	BIO		*bio;
	X509		*x;
	unsigned long	 e;
	int		 ok = 0;

	if ((bio = BIO_new_mem_buf(b->data, (int)b->len)) == NULL) {
		tls_seterr(err, errlen, "tls_cert_file %s", b->path);
		return -1;
	}
	ERR_clear_error();
	if ((x = PEM_read_bio_X509_AUX(bio, NULL, tls_no_passphrase,
	    NULL)) == NULL)
		goto done;
	if (SSL_CTX_use_certificate(ctx, x) != 1) {
		X509_free(x);
		goto done;
	}
	X509_free(x);
	if (SSL_CTX_clear_chain_certs(ctx) != 1)
		goto done;
	while ((x = PEM_read_bio_X509(bio, NULL, tls_no_passphrase,
	    NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			goto done;
		}
	/* The end of the data, and nothing else, ends the chain. */
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
		ERR_clear_error();
		ok = 1;
	}
done:
	BIO_free(bio);
	if (!ok) {
		tls_seterr(err, errlen, "tls_cert_file %s: no PEM certificate "
		    "chain", b->path);
		return -1;
	}
	return 0;
}

static int
tls_server_key(SSL_CTX *ctx, const struct tls_material *m, char *err,
    size_t errlen)
{
	BIO		*bio;
	EVP_PKEY	*pkey;
	X509		*x;

	if ((bio = BIO_new_mem_buf(m->key.data, (int)m->key.len)) == NULL) {
		tls_seterr(err, errlen, "tls_key_file %s", m->key.path);
		return -1;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, tls_no_passphrase, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		tls_seterr(err, errlen, "tls_key_file %s: no PEM private key "
		    "(or one with a passphrase)", m->key.path);
		return -1;
	}
	x = SSL_CTX_get0_certificate(ctx);
	if (x == NULL || X509_check_private_key(x, pkey) != 1) {
		EVP_PKEY_free(pkey);
		tls_setmsg(err, errlen, "tls_key_file %s does not match the "
		    "certificate of tls_cert_file %s", m->key.path,
		    m->cert.path);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		EVP_PKEY_free(pkey);
		tls_seterr(err, errlen, "tls_key_file %s", m->key.path);
		return -1;
	}
	EVP_PKEY_free(pkey);
	return 0;
}

static int
tls_server_dh(SSL_CTX *ctx, const struct tls_blob *b, char *err,
    size_t errlen)
{
	BIO		*bio;
	EVP_PKEY	*dh;

	if (b->path == NULL) {
		if (SSL_CTX_set_dh_auto(ctx, 1) != 1) {
			tls_seterr(err, errlen, "automatic DH parameters");
			return -1;
		}
		return 0;
	}
	if ((bio = BIO_new_mem_buf(b->data, (int)b->len)) == NULL) {
		tls_seterr(err, errlen, "tls_dhparam_file %s", b->path);
		return -1;
	}
	dh = PEM_read_bio_Parameters(bio, NULL);
	BIO_free(bio);
	if (dh == NULL || !EVP_PKEY_is_a(dh, "DH")) {
		EVP_PKEY_free(dh);
		tls_seterr(err, errlen, "tls_dhparam_file %s: no PEM DH "
		    "parameters", b->path);
		return -1;
	}
	if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
		EVP_PKEY_free(dh);
		tls_seterr(err, errlen, "tls_dhparam_file %s", b->path);
		return -1;
	}
	return 0;			/* the context owns dh now */
}

static void
tls_material_free(struct tls_material *m)
{
	if (m == NULL)
		return;
	tls_params_free(&m->params);
	tls_blob_free(&m->cert);
	tls_blob_free(&m->key);
	tls_blob_free(&m->dh);
	free(m);
}

struct tls_server *
tls_server_load(const struct conf *conf, char *err, size_t errlen)
{
	struct tls_server	*srv;
	struct tls_material	*m;
	const char		*dh;
	long long		 secs;

	if ((srv = calloc(1, sizeof(*srv))) == NULL ||
	    (srv->mat = m = calloc(1, sizeof(*m))) == NULL) {
		free(srv);
		tls_setmsg(err, errlen, "out of memory");
		return NULL;
	}
	secs = conf_int(conf, "tls_handshake_timeout");
	srv->timeout_ms = (int)(secs > 3600 ? 3600000 : secs * 1000);
	if (tls_params_get(&m->params, conf, err, errlen) == -1 ||
	    tls_file_read("tls_cert_file", conf_str(conf, "tls_cert_file"),
	    &m->cert, err, errlen) == -1 ||
	    tls_file_read("tls_key_file", conf_str(conf, "tls_key_file"),
	    &m->key, err, errlen) == -1)
		goto fail;
	dh = conf_str(conf, "tls_dhparam_file");
	if (dh[0] != '\0' && tls_file_read("tls_dhparam_file", dh, &m->dh,
	    err, errlen) == -1)
		goto fail;
	m->tickets = conf_bool(conf, "tls_session_tickets");
	if (m->tickets && tls_ticket_keys_load(srv, conf_str(conf,
	    "tls_ticket_key_file"), err, errlen) == -1)
		goto fail;
	return srv;
fail:
	tls_server_free(srv);
	return NULL;
}

static int
tls_server_make(struct tls_server *srv, const struct tls_material *m,
    char *err, size_t errlen)
{
	if ((srv->ctx = tls_ctx_new(&m->params, 1, err, errlen)) == NULL)
		return -1;
	SSL_CTX_set_app_data(srv->ctx, srv);
	if (tls_server_cert(srv->ctx, &m->cert, err, errlen) == -1 ||
	    tls_server_key(srv->ctx, m, err, errlen) == -1 ||
	    tls_server_dh(srv->ctx, &m->dh, err, errlen) == -1)
		return -1;
	if (SSL_CTX_set_session_id_context(srv->ctx,
	    (const unsigned char *)TLS_SESSION_CONTEXT,
	    sizeof(TLS_SESSION_CONTEXT) - 1) != 1) {
		tls_seterr(err, errlen, "session id context");
		return -1;
	}
	/* One process per connection: an in-memory cache is never hit. */
	(void)SSL_CTX_set_session_cache_mode(srv->ctx, SSL_SESS_CACHE_OFF);
	if (!m->tickets) {
		(void)SSL_CTX_set_options(srv->ctx, SSL_OP_NO_TICKET);
		(void)SSL_CTX_set_num_tickets(srv->ctx, 0);
		return 0;
	}
	(void)SSL_CTX_set_num_tickets(srv->ctx, 1);
	if (srv->nkeys > 0 && tls_ticket_keys_use(srv) == -1) {
		tls_seterr(err, errlen, "tls_ticket_key_file");
		return -1;
	}
	return 0;
}

int
tls_server_build(struct tls_server *srv, char *err, size_t errlen)
{
	char	 why[512];

	if (srv->ctx != NULL)
		return 0;
	if (srv->failed != NULL) {
		tls_setmsg(err, errlen, "%s", srv->failed);
		return -1;
	}
	why[0] = '\0';
	if (tls_server_make(srv, srv->mat, why, sizeof(why)) == 0) {
		tls_material_free(srv->mat);
		srv->mat = NULL;
		return 0;
	}
	/* The material is of no more use: wipe it, keep the reason. */
	SSL_CTX_free(srv->ctx);
	srv->ctx = NULL;
	tls_material_free(srv->mat);
	srv->mat = NULL;
	explicit_bzero(srv->keys, sizeof(srv->keys));
	srv->nkeys = 0;
	srv->failed = strdup(why[0] != '\0' ? why : "TLS context not built");
	tls_setmsg(err, errlen, "%s", why[0] != '\0' ? why :
	    "TLS context not built");
	return -1;
}

struct tls_server *
tls_server_new(const struct conf *conf, char *err, size_t errlen)
{
	struct tls_server	*srv;

	if ((srv = tls_server_load(conf, err, errlen)) == NULL)
		return NULL;
	if (tls_server_build(srv, err, errlen) == -1) {
		tls_server_free(srv);
		return NULL;
	}
	return srv;
}

void
tls_server_free(struct tls_server *srv)
{
	if (srv == NULL)
		return;
	SSL_CTX_free(srv->ctx);
	tls_material_free(srv->mat);
	free(srv->failed);
	explicit_bzero(srv->keys, sizeof(srv->keys));
	free(srv);
}

int
tls_server_timeout_ms(const struct tls_server *srv)
{
	return srv->timeout_ms;
}

/* A new session from a server: keep it for the next connection there. */
static int
tls_client_session_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_conn		*c = SSL_get_app_data(ssl);
	struct tls_client	*cl;
	char			*name;

	if (c == NULL || (cl = c->client) == NULL || c->servername == NULL ||
	    !SSL_SESSION_is_resumable(sess))
		return 0;
	if ((name = strdup(c->servername)) == NULL)
		return 0;
	SSL_SESSION_free(cl->session);
	free(cl->session_name);
	cl->session = sess;
	cl->session_name = name;
	return 1;			/* we keep the reference */
}

struct tls_client *
tls_client_new(const struct conf *conf, int verify, char *err, size_t errlen)
{
	struct tls_client	*cl;
	struct tls_params	 params;
	const char		*ca = conf_str(conf, "tls_ca_file");

	if (tls_params_get(&params, conf, err, errlen) == -1)
		return NULL;
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		tls_params_free(&params);
		tls_setmsg(err, errlen, "out of memory");
		return NULL;
	}
	cl->verify = verify;
	cl->ctx = tls_ctx_new(&params, 0, err, errlen);
	tls_params_free(&params);
	if (cl->ctx == NULL)
		goto fail;
	if (ca[0] != '\0') {
		if (tls_file_check("tls_ca_file", ca, err, errlen) == -1)
			goto fail;
		if (SSL_CTX_load_verify_locations(cl->ctx, ca, NULL) != 1) {
			tls_seterr(err, errlen, "tls_ca_file %s", ca);
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(cl->ctx) != 1) {
		tls_seterr(err, errlen, "the system's CA store");
		goto fail;
	}
	SSL_CTX_set_verify(cl->ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    NULL);
	(void)SSL_CTX_set_session_cache_mode(cl->ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(cl->ctx, tls_client_session_cb);
	return cl;
fail:
	tls_client_free(cl);
	return NULL;
}

void
tls_client_free(struct tls_client *cl)
{
	if (cl == NULL)
		return;
	SSL_SESSION_free(cl->session);
	free(cl->session_name);
	SSL_CTX_free(cl->ctx);
	free(cl);
}
