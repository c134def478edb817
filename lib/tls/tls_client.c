/*
 * tls_client: the client context, for the remote delivery and the tests:
 * the CA store (tls_ca_file, or the system's CA file, read at once), peer
 * verification, and the last session a server gave, kept to resume with
 * at the next connection to the same server name; on top of the settings
 * both sides share (tls_ctx.c).
 *
 * Trust: the server is verified against the CA store unless the caller
 * says otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "conf.h"
#include "tls.h"
#include "tls_int.h"

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
	const char		*sys;

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
	} else {
		/*
		 * The system's CA file (SSL_CERT_FILE, else OpenSSL's
		 * default), read now; not its CA directory, whose files
		 * OpenSSL would look for during each handshake: the client
		 * runs in an empty chroot and a sandbox that allows no path.
		 */
		sys = getenv(X509_get_default_cert_file_env());
		if (sys == NULL || sys[0] == '\0')
			sys = X509_get_default_cert_file();
		if (SSL_CTX_load_verify_locations(cl->ctx, sys, NULL) != 1) {
			tls_seterr(err, errlen, "the system's CA file %s", sys);
			goto fail;
		}
	}
	SSL_CTX_set_verify(cl->ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    NULL);
	/* DANE is switched on per connection (tls_peer.c) */
	if (SSL_CTX_dane_enable(cl->ctx) <= 0) {
		tls_seterr(err, errlen, "TLS: DANE support");
		goto fail;
	}
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
