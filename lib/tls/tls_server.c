/*
 * tls_server: the server context, from the certificate, key, DH parameters
 * and session tickets named by the tls_* keys of facteur.conf, on top of
 * the settings both sides share (tls_ctx.c).
 *
 * A server context is made in two steps.  tls_server_load, as root before
 * the chroot, reads the files into memory with plain read(2) and touches
 * no OpenSSL state; tls_server_build makes the SSL_CTX from those bytes,
 * opening no file, and wipes them.  A per-connection server thus pays for
 * building a context only when the client asks for TLS.  A build
 * that fails keeps its reason, and every later build gives it again.
 *
 * Trust: the files named by the administrator, read as root before the
 * chroot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
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
