/*
 * tls_ctx: what the server and the client contexts share, built from the
 * tls_* keys of facteur.conf: the protocol range, the cipher lists and
 * the key exchange groups, and the OpenSSL context made from them.  The
 * server side is in tls_server.c, the client side in tls_client.c.
 *
 * Every problem is refused with its reason rather than worked around: a
 * context that would quietly fail every handshake (no cipher left for an
 * enabled version, a key that is not the certificate's) is an error here,
 * at start (or at the first handshake of a lazy server, which logs it).
 *
 * Trust: the tls_* keys of facteur.conf, checked; a setting OpenSSL
 * refuses is an error.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "tls_int.h"

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

void
tls_params_free(struct tls_params *p)
{
	free(p->ciphers);
	free(p->ciphersuites);
	free(p->curves);
	memset(p, 0, sizeof(*p));
}

/* The shared settings, checked as far as can be without OpenSSL. */
int
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
SSL_CTX *
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
