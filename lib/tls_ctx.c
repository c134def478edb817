/*
 * tls_ctx: the OpenSSL contexts built from the tls_* keys of facteur.conf,
 * for the servers (certificate, key, DH, session tickets) and for the
 * client side (CA store, verification, the last session kept for
 * resumption).  Both sides share the protocol range, the cipher lists and
 * the key exchange groups.
 *
 * Every problem is refused with its reason rather than worked around: a
 * context that would quietly fail every handshake (no cipher left for an
 * enabled version, a key that is not the certificate's) is an error here,
 * at start, where the administrator sees it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conf.h"
#include "tls.h"
#include "tls_int.h"

#define TLS_SESSION_CONTEXT	"facteur"

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

/*
 * tls_protocols: a contiguous range of known versions.  TLS 1.0 and 1.1
 * sign with SHA-1, which OpenSSL 3 allows only at security level 0: when
 * the administrator lists them, that level is what they asked for.
 */
static int
tls_ctx_protocols(SSL_CTX *ctx, const struct conf *conf, int *minv, int *maxv,
    char *err, size_t errlen)
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
	if (SSL_CTX_set_min_proto_version(ctx, *minv) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, *maxv) != 1) {
		tls_seterr(err, errlen, "tls_protocols");
		return -1;
	}
	if (*minv < TLS1_2_VERSION)
		SSL_CTX_set_security_level(ctx, 0);
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

/* What both sides share: protocols, ciphers, groups, options. */
static SSL_CTX *
tls_ctx_new(const struct conf *conf, int server, char *err, size_t errlen)
{
	SSL_CTX		*ctx;
	const char	*s;
	int		 minv, maxv;

	ERR_clear_error();
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (ctx == NULL) {
		tls_seterr(err, errlen, "SSL_CTX_new");
		return NULL;
	}
	if (tls_ctx_protocols(ctx, conf, &minv, &maxv, err, errlen) == -1)
		goto fail;
	s = conf_str(conf, "tls_ciphers");
	if (minv < TLS1_3_VERSION && SSL_CTX_set_cipher_list(ctx, s) != 1) {
		tls_seterr(err, errlen, "tls_ciphers \"%s\"", s);
		goto fail;
	}
	s = conf_str(conf, "tls_ciphersuites");
	if (SSL_CTX_set_ciphersuites(ctx, s) != 1) {
		tls_seterr(err, errlen, "tls_ciphersuites \"%s\"", s);
		goto fail;
	}
	if (tls_ctx_check_ciphers(ctx, minv, maxv, err, errlen) == -1)
		goto fail;
	s = conf_str(conf, "tls_ecdh_curves");
	if (SSL_CTX_set1_groups_list(ctx, s) != 1) {
		tls_seterr(err, errlen, "tls_ecdh_curves \"%s\"", s);
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

static int
tls_server_certkey(SSL_CTX *ctx, const struct conf *conf, char *err,
    size_t errlen)
{
	const char	*cert = conf_str(conf, "tls_cert_file");
	const char	*key = conf_str(conf, "tls_key_file");
	BIO		*bio;
	EVP_PKEY	*pkey;
	X509		*x;

	if (tls_file_check("tls_cert_file", cert, err, errlen) == -1 ||
	    tls_file_check("tls_key_file", key, err, errlen) == -1)
		return -1;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_seterr(err, errlen, "tls_cert_file %s: no PEM certificate "
		    "chain", cert);
		return -1;
	}
	if ((bio = BIO_new_file(key, "r")) == NULL) {
		tls_seterr(err, errlen, "tls_key_file %s", key);
		return -1;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, tls_no_passphrase, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		tls_seterr(err, errlen, "tls_key_file %s: no PEM private key "
		    "(or one with a passphrase)", key);
		return -1;
	}
	x = SSL_CTX_get0_certificate(ctx);
	if (x == NULL || X509_check_private_key(x, pkey) != 1) {
		EVP_PKEY_free(pkey);
		tls_setmsg(err, errlen, "tls_key_file %s does not match the "
		    "certificate of tls_cert_file %s", key, cert);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		EVP_PKEY_free(pkey);
		tls_seterr(err, errlen, "tls_key_file %s", key);
		return -1;
	}
	EVP_PKEY_free(pkey);
	return 0;
}

static int
tls_server_dh(SSL_CTX *ctx, const struct conf *conf, char *err, size_t errlen)
{
	const char	*path = conf_str(conf, "tls_dhparam_file");
	BIO		*bio;
	EVP_PKEY	*dh;

	if (path[0] == '\0') {
		if (SSL_CTX_set_dh_auto(ctx, 1) != 1) {
			tls_seterr(err, errlen, "automatic DH parameters");
			return -1;
		}
		return 0;
	}
	if (tls_file_check("tls_dhparam_file", path, err, errlen) == -1)
		return -1;
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		tls_seterr(err, errlen, "tls_dhparam_file %s", path);
		return -1;
	}
	dh = PEM_read_bio_Parameters(bio, NULL);
	BIO_free(bio);
	if (dh == NULL || !EVP_PKEY_is_a(dh, "DH")) {
		EVP_PKEY_free(dh);
		tls_seterr(err, errlen, "tls_dhparam_file %s: no PEM DH "
		    "parameters", path);
		return -1;
	}
	if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
		EVP_PKEY_free(dh);
		tls_seterr(err, errlen, "tls_dhparam_file %s", path);
		return -1;
	}
	return 0;			/* the context owns dh now */
}

struct tls_server *
tls_server_new(const struct conf *conf, char *err, size_t errlen)
{
	struct tls_server	*srv;
	long long		 secs;

	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		tls_setmsg(err, errlen, "out of memory");
		return NULL;
	}
	secs = conf_int(conf, "tls_handshake_timeout");
	srv->timeout_ms = (int)(secs > 3600 ? 3600000 : secs * 1000);
	if ((srv->ctx = tls_ctx_new(conf, 1, err, errlen)) == NULL)
		goto fail;
	SSL_CTX_set_app_data(srv->ctx, srv);
	if (tls_server_certkey(srv->ctx, conf, err, errlen) == -1 ||
	    tls_server_dh(srv->ctx, conf, err, errlen) == -1)
		goto fail;
	if (SSL_CTX_set_session_id_context(srv->ctx,
	    (const unsigned char *)TLS_SESSION_CONTEXT,
	    sizeof(TLS_SESSION_CONTEXT) - 1) != 1) {
		tls_seterr(err, errlen, "session id context");
		goto fail;
	}
	/* One process per connection: an in-memory cache is never hit. */
	(void)SSL_CTX_set_session_cache_mode(srv->ctx, SSL_SESS_CACHE_OFF);
	if (!conf_bool(conf, "tls_session_tickets")) {
		(void)SSL_CTX_set_options(srv->ctx, SSL_OP_NO_TICKET);
		(void)SSL_CTX_set_num_tickets(srv->ctx, 0);
		return srv;
	}
	(void)SSL_CTX_set_num_tickets(srv->ctx, 1);
	if (tls_ticket_keys_load(srv, conf_str(conf, "tls_ticket_key_file"),
	    err, errlen) == -1)
		goto fail;
	if (srv->nkeys > 0 && tls_ticket_keys_use(srv) == -1) {
		tls_seterr(err, errlen, "tls_ticket_key_file");
		goto fail;
	}
	return srv;
fail:
	tls_server_free(srv);
	return NULL;
}

void
tls_server_free(struct tls_server *srv)
{
	if (srv == NULL)
		return;
	SSL_CTX_free(srv->ctx);
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
	const char		*ca = conf_str(conf, "tls_ca_file");

	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		tls_setmsg(err, errlen, "out of memory");
		return NULL;
	}
	cl->verify = verify;
	if ((cl->ctx = tls_ctx_new(conf, 0, err, errlen)) == NULL)
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
