/*
 * tls_fixture: what the TLS unit tests (test_tls*.c) share, included by
 * each: a throwaway CA, server certificates and keys made with the
 * OpenSSL API in a temporary directory (group_setup), configurations over
 * them, and the server side of a session run in a thread over a
 * socketpair while the test plays the client.
 */
#ifndef FACTEUR_TLS_FIXTURE_H
#define FACTEUR_TLS_FIXTURE_H

/* Not every test file uses every helper. */
#define TLSF	static __attribute__((unused))

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "conf.h"
#include "lineio.h"
#include "tls.h"

#define TMO	5000	/* ms: a handshake that hangs fails the test */

static char	 dir[64];
static char	 p_ca[128], p_cert[128], p_key[128], p_key2[128], p_ca2[128],
		 p_dh[128], p_tickets[128], p_rsacert[128], p_rsakey[128];

/* ---- the throwaway PKI ---- */

TLSF void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;

	X509V3_set_ctx(&v3, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

TLSF X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *signkey)
{
	static long	 serial = 1;
	X509		*x;
	X509_NAME	*name;

	assert_non_null(x = X509_new());
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : name), 1);
	add_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (issuer == NULL) {
		add_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
		add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
		add_ext(x, issuer, NID_subject_alt_name,
		    "DNS:mail.test,IP:127.0.0.1");
	}
	assert_true(X509_sign(x, signkey, EVP_sha256()) > 0);
	return x;
}

TLSF void
write_pem(const char *path, X509 *x1, X509 *x2, EVP_PKEY *key,
    EVP_PKEY *params)
{
	FILE	*fp;

	assert_non_null(fp = fopen(path, "w"));
	if (x1 != NULL)
		assert_int_equal(PEM_write_X509(fp, x1), 1);
	if (x2 != NULL)
		assert_int_equal(PEM_write_X509(fp, x2), 1);
	if (key != NULL)
		assert_int_equal(PEM_write_PrivateKey(fp, key, NULL, NULL, 0,
		    NULL, NULL), 1);
	if (params != NULL) {
		BIO	*bio = BIO_new_fp(fp, BIO_NOCLOSE);

		assert_non_null(bio);
		assert_int_equal(PEM_write_bio_Parameters(bio, params), 1);
		BIO_free(bio);
	}
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, 0600), 0);
}

TLSF EVP_PKEY *
make_dh(void)
{
	EVP_PKEY_CTX	*pctx;
	EVP_PKEY	*dh = NULL;

	assert_non_null(pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL));
	assert_int_equal(EVP_PKEY_paramgen_init(pctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_group_name(pctx, "ffdhe2048"), 1);
	assert_int_equal(EVP_PKEY_paramgen(pctx, &dh), 1);
	EVP_PKEY_CTX_free(pctx);
	return dh;
}

TLSF void
path_make(char *p, size_t n, const char *name)
{
	assert_true((size_t)snprintf(p, n, "%s/%s", dir, name) < n);
}

TLSF int
group_setup(void **state)
{
	EVP_PKEY	*cakey, *key, *key2, *ca2key, *dh, *rsakey;
	X509		*ca, *cert, *ca2, *rsacert;

	(void)state;
	strlcpy(dir, "/tmp/test_tls.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		return -1;
	path_make(p_ca, sizeof(p_ca), "ca.pem");
	path_make(p_cert, sizeof(p_cert), "server.pem");
	path_make(p_key, sizeof(p_key), "server.key");
	path_make(p_key2, sizeof(p_key2), "other.key");
	path_make(p_ca2, sizeof(p_ca2), "ca2.pem");
	path_make(p_dh, sizeof(p_dh), "dh.pem");
	path_make(p_tickets, sizeof(p_tickets), "tickets");
	path_make(p_rsacert, sizeof(p_rsacert), "rsa.pem");
	path_make(p_rsakey, sizeof(p_rsakey), "rsa.key");
	cakey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	key2 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ca2key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	rsakey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (cakey == NULL || key == NULL || key2 == NULL || ca2key == NULL ||
	    rsakey == NULL)
		return -1;
	ca = make_cert(cakey, "facteur test CA", NULL, cakey);
	cert = make_cert(key, "mail.test", ca, cakey);
	ca2 = make_cert(ca2key, "another CA", NULL, ca2key);
	rsacert = make_cert(rsakey, "mail.test", ca, cakey);
	dh = make_dh();
	write_pem(p_ca, ca, NULL, NULL, NULL);
	write_pem(p_cert, cert, ca, NULL, NULL);	/* leaf, then chain */
	write_pem(p_key, NULL, NULL, key, NULL);
	write_pem(p_key2, NULL, NULL, key2, NULL);
	write_pem(p_ca2, ca2, NULL, NULL, NULL);
	write_pem(p_dh, NULL, NULL, NULL, dh);
	write_pem(p_rsacert, rsacert, ca, NULL, NULL);
	write_pem(p_rsakey, NULL, NULL, rsakey, NULL);
	X509_free(rsacert);
	EVP_PKEY_free(rsakey);
	X509_free(ca);
	X509_free(cert);
	X509_free(ca2);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
	EVP_PKEY_free(ca2key);
	EVP_PKEY_free(dh);
	return 0;
}

TLSF int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

TLSF int
group_teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- configurations ---- */

TLSF void
conf_err(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "conf: %s\n", msg);
}

/* The base configuration plus extra lines (which may repeat no key). */
TLSF struct conf *
conf_make(const char *fmt, ...)
{
	struct buf	 b;
	struct conf	*conf;
	va_list		 ap;

	char		 extra[1024];

	va_start(ap, fmt);
	assert_true((size_t)vsnprintf(extra, sizeof(extra), fmt, ap) <
	    sizeof(extra));
	va_end(ap);
	buf_init(&b, 65536);
	assert_int_equal(buf_printf(&b, "tls_handshake_timeout = 5s\n"), 0);
	if (strstr(extra, "tls_ca_file") == NULL)
		assert_int_equal(buf_printf(&b, "tls_ca_file = %s\n", p_ca), 0);
	if (strstr(extra, "tls_cert_file") == NULL)
		assert_int_equal(buf_printf(&b, "tls_cert_file = %s\n",
		    p_cert), 0);
	if (strstr(extra, "tls_key_file") == NULL)
		assert_int_equal(buf_printf(&b, "tls_key_file = %s\n",
		    p_key), 0);
	assert_int_equal(buf_append_str(&b, extra), 0);
	conf = conf_load_buf(b.data, b.len, "test.conf", conf_err, NULL);
	assert_non_null(conf);
	buf_free(&b);
	return conf;
}

TLSF struct tls_server *
server_make(const char *fmt, ...)
{
	struct tls_server	*srv;
	struct conf		*conf;
	char			 err[512] = "";
	char			 extra[1024];
	va_list			 ap;

	va_start(ap, fmt);
	assert_true((size_t)vsnprintf(extra, sizeof(extra), fmt, ap) <
	    sizeof(extra));
	va_end(ap);
	conf = conf_make("%s", extra);
	srv = tls_server_new(conf, err, sizeof(err));
	if (srv == NULL)
		fprintf(stderr, "tls_server_new: %s\n", err);
	assert_non_null(srv);
	conf_free(conf);
	return srv;
}

TLSF struct tls_client *
client_make(int verify, const char *extra)
{
	struct tls_client	*cl;
	struct conf		*conf;
	char			 err[512] = "";

	conf = conf_make("%s", extra);
	cl = tls_client_new(conf, verify, err, sizeof(err));
	if (cl == NULL)
		fprintf(stderr, "tls_client_new: %s\n", err);
	assert_non_null(cl);
	conf_free(conf);
	return cl;
}

/* tls_server_new must refuse, with want in the reason. */
TLSF void
server_refused(const char *want, const char *fmt, ...)
{
	struct conf	*conf;
	char		 err[512] = "", extra[1024];
	va_list		 ap;

	va_start(ap, fmt);
	assert_true((size_t)vsnprintf(extra, sizeof(extra), fmt, ap) <
	    sizeof(extra));
	va_end(ap);
	conf = conf_make("%s", extra);
	assert_null(tls_server_new(conf, err, sizeof(err)));
	if (strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
	conf_free(conf);
}

/* ---- the server side, in a thread ---- */

struct side {
	struct tls_server	*srv;
	int			 fd_in, fd_out;
	void			(*fn)(struct side *, struct tls_conn *);
	int			 accepted, reused;
	char			 err[512];
	char			 version[16];
	enum line_status	 st[4];
	char			 line[4][128];
	size_t			 before, after;	/* STARTTLS: buffered bytes */
	long long		 waited_ms;
};

struct pair {
	int		 sv[2];		/* 0: the client, 1: the server */
	pthread_t	 th;
	struct side	 s;
};

TLSF long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads a line into s->st[i] and s->line[i]. */
TLSF void
side_read(struct side *s, struct lineio *l, int i, size_t max)
{
	struct buf	 line;
	int		 crlf;

	buf_init(&line, 1 << 20);
	s->st[i] = lineio_read(l, &line, max, &crlf);
	if (s->st[i] == LINE_OK)
		(void)strlcpy(s->line[i], line.data, sizeof(s->line[i]));
	buf_free(&line);
}

TLSF void *
side_main(void *arg)
{
	struct side	*s = arg;
	struct tls_conn	*c;

	c = tls_accept(s->srv, s->fd_in, s->fd_out, TMO, s->err,
	    sizeof(s->err));
	if (c == NULL)
		return NULL;
	s->accepted = 1;
	s->reused = tls_session_reused(c);
	(void)strlcpy(s->version, tls_version(c), sizeof(s->version));
	if (s->fn != NULL)
		s->fn(s, c);
	tls_close(c);
	return NULL;
}

/* Greets, then waits for one line (QUIT). */
TLSF void
fn_greet(struct side *s, struct tls_conn *c)
{
	struct lineio	 l;

	lineio_init(&l, s->fd_in, s->fd_out, TMO);
	tls_attach(&l, c);
	if (lineio_printf(&l, "220 hi\r\n") == 0 && lineio_flush(&l) == 0)
		side_read(s, &l, 0, 512);
	lineio_free(&l);
}

TLSF void
pair_start(struct pair *p, struct tls_server *srv,
    void (*fn)(struct side *, struct tls_conn *))
{
	memset(p, 0, sizeof(*p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->sv), 0);
	p->s.srv = srv;
	p->s.fd_in = p->s.fd_out = p->sv[1];
	p->s.fn = fn;
	assert_int_equal(pthread_create(&p->th, NULL, side_main, &p->s), 0);
}

TLSF void
pair_finish(struct pair *p)
{
	assert_int_equal(close(p->sv[0]), 0);
	assert_int_equal(pthread_join(p->th, NULL), 0);
	assert_int_equal(close(p->sv[1]), 0);
	if (p->s.fd_in != p->sv[1])
		assert_int_equal(close(p->s.fd_in), 0);
}

TLSF void
expect_line(struct lineio *l, size_t max, enum line_status want,
    const char *text)
{
	struct buf	 line;
	int		 crlf;

	buf_init(&line, 1 << 20);
	assert_int_equal(lineio_read(l, &line, max, &crlf), want);
	if (text != NULL)
		assert_string_equal(line.data, text);
	buf_free(&line);
}

/* Client half of fn_greet: read the greeting, say QUIT. */
TLSF void
client_greet(struct tls_conn *c, int fd)
{
	struct lineio	 l;

	lineio_init(&l, fd, fd, TMO);
	tls_attach(&l, c);
	expect_line(&l, 512, LINE_OK, "220 hi\r\n");
	assert_int_equal(lineio_printf(&l, "QUIT\r\n"), 0);
	assert_int_equal(lineio_flush(&l), 0);
	lineio_free(&l);
}

/* One whole session of fn_greet; returns whether it resumed. */
TLSF int
session_once(struct tls_server *srv, struct tls_client *cl)
{
	struct pair	 p;
	struct tls_conn	*c;
	char		 err[512] = "";
	int		 reused;

	pair_start(&p, srv, fn_greet);
	c = tls_connect(cl, p.sv[0], "mail.test", TMO, err, sizeof(err));
	if (c == NULL)
		fail_msg("tls_connect: %s", err);
	client_greet(c, p.sv[0]);
	reused = tls_session_reused(c);
	tls_close(c);
	pair_finish(&p);
	assert_true(p.s.accepted);
	assert_int_equal(p.s.st[0], LINE_OK);
	assert_string_equal(p.s.line[0], "QUIT\r\n");
	assert_int_equal(p.s.reused, reused);
	return reused;
}


TLSF void
connect_refused(struct tls_client *cl, const char *name, const char *want)
{
	struct tls_server	*srv = server_make("%s", "");
	struct pair		 p;
	char			 err[512] = "";

	pair_start(&p, srv, fn_greet);
	assert_null(tls_connect(cl, p.sv[0], name, TMO, err, sizeof(err)));
	if (strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
	pair_finish(&p);
	assert_false(p.s.accepted);
	assert_true(p.s.err[0] != '\0');
	tls_server_free(srv);
}


#endif
