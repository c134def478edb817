/*
 * Unit tests for lib/tls: a throwaway CA, server certificate and keys are
 * made with the OpenSSL API in a temporary directory; each test runs the
 * server side in a thread and the client in the test over a socketpair.
 * Handshake and verification (good name, wrong name, unknown CA), lines
 * through lineio over TLS both ways (over-long lines, bulk, a timeout),
 * resumption across two contexts through the ticket key file and its
 * rotation, tickets off, TLS 1.1 refused unless listed, DHE with a
 * dhparam file, STARTTLS discarding pipelined plaintext, and the
 * configuration mistakes tls_server_new must refuse with a reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define _XOPEN_SOURCE_EXTENDED 1
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

static void
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

static X509 *
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

static void
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

static EVP_PKEY *
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

static void
path_make(char *p, size_t n, const char *name)
{
	assert_true((size_t)snprintf(p, n, "%s/%s", dir, name) < n);
}

static int
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

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
group_teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- configurations ---- */

static void
conf_err(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "conf: %s\n", msg);
}

/* The base configuration plus extra lines (which may repeat no key). */
static struct conf *
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

static struct tls_server *
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

static struct tls_client *
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
static void
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

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads a line into s->st[i] and s->line[i]. */
static void
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

static void *
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
static void
fn_greet(struct side *s, struct tls_conn *c)
{
	struct lineio	 l;

	lineio_init(&l, s->fd_in, s->fd_out, TMO);
	tls_attach(&l, c);
	if (lineio_printf(&l, "220 hi\r\n") == 0 && lineio_flush(&l) == 0)
		side_read(s, &l, 0, 512);
	lineio_free(&l);
}

static void
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

static void
pair_finish(struct pair *p)
{
	assert_int_equal(close(p->sv[0]), 0);
	assert_int_equal(pthread_join(p->th, NULL), 0);
	assert_int_equal(close(p->sv[1]), 0);
	if (p->s.fd_in != p->sv[1])
		assert_int_equal(close(p->s.fd_in), 0);
}

static void
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
static void
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
static int
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


/* ---- handshakes and verification ---- */

static void
test_handshake_verify(void **state)
{
	struct tls_server	*srv = server_make("%s", "");
	struct tls_client	*cl = client_make(1, "");
	struct pair		 p;
	struct tls_conn		*c;
	char			 err[512] = "", desc[128];
	int			 alg;

	(void)state;
	pair_start(&p, srv, fn_greet);
	c = tls_connect(cl, p.sv[0], "mail.test", TMO, err, sizeof(err));
	if (c == NULL)
		fail_msg("tls_connect: %s", err);
	assert_string_equal(tls_version(c), "TLS1.3");
	assert_string_equal(tls_cipher(c), "TLS_AES_256_GCM_SHA384");
	assert_int_equal(tls_cipher_bits(c, &alg), 256);
	assert_int_equal(alg, 256);
	assert_int_equal(tls_describe(c, desc, sizeof(desc)), 0);
	assert_string_equal(desc,
	    "TLS1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)");
	assert_int_equal(tls_describe(c, desc, 10), -1);	/* cut */
	assert_false(tls_session_reused(c));
	client_greet(c, p.sv[0]);
	tls_close(c);
	pair_finish(&p);
	assert_true(p.s.accepted);
	assert_string_equal(p.s.version, "TLS1.3");
	assert_string_equal(p.s.line[0], "QUIT\r\n");
	tls_client_free(cl);
	tls_server_free(srv);
}

/* The server sees two descriptors of one socket, as under inetd. */
static void
test_two_descriptors(void **state)
{
	struct tls_server	*srv = server_make("%s", "");
	struct tls_client	*cl = client_make(1, "");
	struct pair		 p;
	struct tls_conn		*c;
	char			 err[512] = "";

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p.sv), 0);
	p.s.srv = srv;
	p.s.fd_in = dup(p.sv[1]);
	p.s.fd_out = p.sv[1];
	p.s.fn = fn_greet;
	assert_true(p.s.fd_in != -1);
	assert_int_equal(pthread_create(&p.th, NULL, side_main, &p.s), 0);
	c = tls_connect(cl, p.sv[0], "127.0.0.1", TMO, err, sizeof(err));
	if (c == NULL)
		fail_msg("tls_connect: %s", err);
	client_greet(c, p.sv[0]);
	tls_close(c);
	pair_finish(&p);
	assert_string_equal(p.s.line[0], "QUIT\r\n");
	tls_client_free(cl);
	tls_server_free(srv);
}

static void
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

static void
test_verify_failures(void **state)
{
	struct tls_server	*srv;
	struct tls_client	*cl;
	char			 extra[256];

	(void)state;
	cl = client_make(1, "");
	connect_refused(cl, "other.test", "hostname mismatch");
	connect_refused(cl, "127.0.0.2", "IP address mismatch");
	tls_client_free(cl);
	/* A client trusting another CA refuses our server. */
	(void)snprintf(extra, sizeof(extra), "tls_ca_file = %s\n", p_ca2);
	cl = client_make(1, extra);
	connect_refused(cl, "mail.test", "certificate verify failed "
	    "(self-signed certificate in certificate chain)");
	tls_client_free(cl);
	/* Without verification the same client gets through. */
	cl = client_make(0, extra);
	srv = server_make("%s", "");
	assert_int_equal(session_once(srv, cl), 0);
	tls_server_free(srv);
	tls_client_free(cl);
}

/* The server is silent, or the client is: the deadline holds. */
static void
test_handshake_timeout(void **state)
{
	struct tls_server	*srv = server_make("%s", "");
	struct tls_client	*cl = client_make(1, "");
	char			 err[512] = "";
	long long		 t0;
	int			 sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	t0 = now_ms();
	assert_null(tls_accept(srv, sv[1], sv[1], 150, err, sizeof(err)));
	assert_true(now_ms() - t0 >= 140);
	assert_non_null(strstr(err, "timed out"));
	t0 = now_ms();
	assert_null(tls_connect(cl, sv[0], "mail.test", 150, err,
	    sizeof(err)));
	assert_true(now_ms() - t0 >= 140);
	assert_non_null(strstr(err, "timed out"));
	/* A peer that closes: a reason, not a hang. */
	assert_int_equal(close(sv[0]), 0);
	assert_null(tls_accept(srv, sv[1], sv[1], TMO, err, sizeof(err)));
	if (strstr(err, "closed") == NULL)
		fail_msg("reason: %s", err);
	assert_int_equal(close(sv[1]), 0);
	assert_int_equal(tls_server_timeout_ms(srv), 5000);
	tls_client_free(cl);
	tls_server_free(srv);
}

/* ---- lines through lineio over TLS ---- */

#define BULK_LINES	300
#define BULK_LEN	1000

static void
fn_lines(struct side *s, struct tls_conn *c)
{
	struct lineio	 l;
	char		 bulk[BULK_LEN + 2];
	int		 i;

	lineio_init(&l, s->fd_in, s->fd_out, TMO);
	tls_attach(&l, c);
	side_read(s, &l, 0, 1000);		/* too long */
	side_read(s, &l, 1, 1000);		/* HELLO */
	memset(bulk, 'y', BULK_LEN);
	memcpy(bulk + BULK_LEN, "\r\n", 2);
	if (lineio_printf(&l, "250 ok\r\n") == -1)
		goto done;
	for (i = 0; i < 3000; i++)
		if (lineio_write(&l, "x", 1) == -1)
			goto done;
	if (lineio_printf(&l, "\r\nAFTER\r\n") == -1)
		goto done;
	for (i = 0; i < BULK_LINES; i++)
		if (lineio_write(&l, bulk, sizeof(bulk)) == -1)
			goto done;
	if (lineio_printf(&l, "END\r\n") == -1 || lineio_flush(&l) == -1)
		goto done;
	/* Now a silent client: the read times out. */
	l.timeout_ms = 150;
	s->waited_ms = now_ms();
	side_read(s, &l, 2, 1000);
	s->waited_ms = now_ms() - s->waited_ms;
	l.timeout_ms = TMO;
	if (lineio_printf(&l, "221 bye\r\n") == 0 && lineio_flush(&l) == 0)
		side_read(s, &l, 3, 1000);
done:
	lineio_free(&l);
}

static void
test_lines(void **state)
{
	struct tls_server	*srv = server_make("%s", "");
	struct tls_client	*cl = client_make(1, "");
	struct pair		 p;
	struct tls_conn		*c;
	struct lineio		 l;
	char			 err[512] = "", bulk[BULK_LEN + 3];
	char			 big[3000];
	int			 i;

	(void)state;
	pair_start(&p, srv, fn_lines);
	c = tls_connect(cl, p.sv[0], "mail.test", TMO, err, sizeof(err));
	if (c == NULL)
		fail_msg("tls_connect: %s", err);
	lineio_init(&l, p.sv[0], p.sv[0], TMO);
	tls_attach(&l, c);
	memset(big, 'z', sizeof(big));
	assert_int_equal(lineio_write(&l, big, sizeof(big)), 0);
	assert_int_equal(lineio_printf(&l, "\r\nHELLO\r\n"), 0);
	assert_int_equal(lineio_flush(&l), 0);
	expect_line(&l, 1000, LINE_OK, "250 ok\r\n");
	expect_line(&l, 1000, LINE_TOOLONG, NULL);
	expect_line(&l, 1000, LINE_OK, "AFTER\r\n");
	memset(bulk, 'y', BULK_LEN);
	memcpy(bulk + BULK_LEN, "\r\n", 3);
	for (i = 0; i < BULK_LINES; i++)
		expect_line(&l, 1002, LINE_OK, bulk);
	expect_line(&l, 1000, LINE_OK, "END\r\n");
	/* We say nothing: the server's 150 ms read times out, then 221. */
	expect_line(&l, 1000, LINE_OK, "221 bye\r\n");
	/* Our own read times out too while the server waits for us. */
	l.timeout_ms = 100;
	expect_line(&l, 1000, LINE_TIMEOUT, NULL);
	l.timeout_ms = TMO;
	assert_int_equal(lineio_printf(&l, "QUIT\r\n"), 0);
	assert_int_equal(lineio_flush(&l), 0);
	/* The server closes with close_notify: a clean EOF. */
	expect_line(&l, 1000, LINE_EOF, NULL);
	lineio_free(&l);
	tls_close(c);
	pair_finish(&p);
	assert_int_equal(p.s.st[0], LINE_TOOLONG);
	assert_int_equal(p.s.st[1], LINE_OK);
	assert_string_equal(p.s.line[1], "HELLO\r\n");
	assert_int_equal(p.s.st[2], LINE_TIMEOUT);
	assert_true(p.s.waited_ms >= 140 && p.s.waited_ms < 2000);
	assert_int_equal(p.s.st[3], LINE_OK);
	assert_string_equal(p.s.line[3], "QUIT\r\n");
	tls_client_free(cl);
	tls_server_free(srv);
}

/* ---- resumption ---- */

static void
resume_check(const char *client_extra)
{
	struct tls_server	*srv1, *srv2, *srv3, *srv4;
	struct tls_client	*cl = client_make(1, client_extra);

	(void)unlink(p_tickets);
	assert_int_equal(tls_ticket_keys_write(p_tickets), 0);
	srv1 = server_make("tls_ticket_key_file = %s\n", p_tickets);
	srv2 = server_make("tls_ticket_key_file = %s\n", p_tickets);
	assert_int_equal(session_once(srv1, cl), 0);
	/* Another context (another process) reading the same file. */
	assert_int_equal(session_once(srv2, cl), 1);
	/* After one rotation the previous key still decrypts. */
	assert_int_equal(tls_ticket_keys_write(p_tickets), 0);
	srv3 = server_make("tls_ticket_key_file = %s\n", p_tickets);
	assert_int_equal(session_once(srv3, cl), 1);
	/* Two more, and whatever ticket the client holds is dead. */
	assert_int_equal(tls_ticket_keys_write(p_tickets), 0);
	assert_int_equal(tls_ticket_keys_write(p_tickets), 0);
	srv4 = server_make("tls_ticket_key_file = %s\n", p_tickets);
	assert_int_equal(session_once(srv4, cl), 0);
	/* Each resumption hands out a new ticket: it goes on resuming. */
	assert_int_equal(session_once(srv4, cl), 1);
	assert_int_equal(session_once(srv4, cl), 1);
	assert_int_equal(session_once(srv4, cl), 1);
	tls_server_free(srv1);
	tls_server_free(srv2);
	tls_server_free(srv3);
	tls_server_free(srv4);
	tls_client_free(cl);
}

static void
test_resume_tls13(void **state)
{
	(void)state;
	resume_check("");
}

static void
test_resume_tls12(void **state)
{
	(void)state;
	resume_check("tls_protocols = TLSv1.2\n");
}

static void
test_resume_needs_the_file(void **state)
{
	struct tls_server	*srv1, *srv2;
	struct tls_client	*cl = client_make(1, "");

	(void)state;
	/* No file: each context has keys of its own. */
	srv1 = server_make("tls_ticket_key_file = %s/none\n", dir);
	srv2 = server_make("tls_ticket_key_file = %s/none\n", dir);
	assert_int_equal(session_once(srv1, cl), 0);
	assert_int_equal(session_once(srv2, cl), 0);
	tls_server_free(srv1);
	tls_server_free(srv2);
	/* Tickets off: nothing resumes even with the file. */
	assert_int_equal(tls_ticket_keys_write(p_tickets), 0);
	srv1 = server_make("tls_session_tickets = no\n"
	    "tls_ticket_key_file = %s\n", p_tickets);
	assert_int_equal(session_once(srv1, cl), 0);
	assert_int_equal(session_once(srv1, cl), 0);
	tls_server_free(srv1);
	tls_client_free(cl);
}

static void
test_ticket_file(void **state)
{
	unsigned char	 a[200], b[200];
	struct stat	 st;
	ssize_t		 na, nb;
	int		 fd;
	char		 path[160];

	(void)state;
	(void)unlink(p_tickets);
	assert_int_equal(tls_ticket_keys_write(p_tickets), 0);
	assert_int_equal(stat(p_tickets, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 8 + 80);
	fd = open(p_tickets, O_RDONLY);
	assert_true(fd != -1);
	na = read(fd, a, sizeof(a));
	assert_int_equal(close(fd), 0);
	assert_int_equal(na, 88);
	assert_memory_equal(a, "FTTKEYS1", 8);
	assert_int_equal(tls_ticket_keys_write(p_tickets), 0);
	fd = open(p_tickets, O_RDONLY);
	assert_true(fd != -1);
	nb = read(fd, b, sizeof(b));
	assert_int_equal(close(fd), 0);
	assert_int_equal(nb, 8 + 160);
	/* The old current key is now the second; the new one is fresh. */
	assert_memory_equal(b + 88, a + 8, 80);
	assert_memory_not_equal(b + 8, a + 8, 80);
	/* A file we cannot write. */
	(void)snprintf(path, sizeof(path), "%s/no/such/dir/t", dir);
	assert_int_equal(tls_ticket_keys_write(path), -1);
	assert_int_equal(errno, ENOENT);
	/* A damaged file is replaced with a single fresh key. */
	fd = open(p_tickets, O_WRONLY | O_TRUNC);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "junk", 4), 4);
	assert_int_equal(close(fd), 0);
	assert_int_equal(tls_ticket_keys_write(p_tickets), 0);
	assert_int_equal(stat(p_tickets, &st), 0);
	assert_int_equal(st.st_size, 88);
}

/* ---- protocol versions and DH ---- */

#define OLD_CLIENT	"tls_protocols = TLSv1.1\ntls_ciphers = ECDHE+AES\n"

static void
test_tls11_refused_by_default(void **state)
{
	struct tls_client	*cl = client_make(1, OLD_CLIENT);
	struct tls_server	*srv;
	struct pair		 p;
	struct tls_conn		*c;
	char			 err[512] = "";

	(void)state;
	connect_refused(cl, "mail.test", "TLS handshake failed");
	/* Listed (with ciphers it can use), TLS 1.1 is spoken. */
	srv = server_make("tls_protocols = TLSv1.1 TLSv1.2 TLSv1.3\n"
	    "tls_ciphers = ECDHE+AESGCM:ECDHE+AES\n");
	pair_start(&p, srv, fn_greet);
	c = tls_connect(cl, p.sv[0], "mail.test", TMO, err, sizeof(err));
	if (c == NULL)
		fail_msg("tls_connect: %s", err);
	assert_string_equal(tls_version(c), "TLS1.1");
	client_greet(c, p.sv[0]);
	tls_close(c);
	pair_finish(&p);
	assert_string_equal(p.s.version, "TLS1.1");
	tls_server_free(srv);
	tls_client_free(cl);
}

static void
test_connect_refused_reason(void **state)
{
	struct tls_client	*cl = client_make(1, OLD_CLIENT);
	struct tls_server	*srv = server_make("%s", "");
	struct pair		 p;
	char			 err[512] = "";

	(void)state;
	pair_start(&p, srv, fn_greet);
	assert_null(tls_connect(cl, p.sv[0], "mail.test", TMO, err,
	    sizeof(err)));
	pair_finish(&p);
	assert_false(p.s.accepted);
	if (strstr(p.s.err, "unsupported protocol") == NULL)
		fail_msg("server's reason: %s", p.s.err);
	tls_server_free(srv);
	tls_client_free(cl);
}

static void
test_dhparam(void **state)
{
	struct tls_server	*srv;
	struct tls_client	*cl;
	struct pair		 p;
	struct tls_conn		*c;
	char			 err[512] = "";

	(void)state;
	/* (DHE signs with RSA: this server has an RSA certificate.) */
	srv = server_make("tls_dhparam_file = %s\n"
	    "tls_ciphers = DHE+AESGCM\n"
	    "tls_cert_file = %s\ntls_key_file = %s\n", p_dh, p_rsacert,
	    p_rsakey);
	cl = client_make(1, "tls_protocols = TLSv1.2\n"
	    "tls_ciphers = DHE+AESGCM\n");
	pair_start(&p, srv, fn_greet);
	c = tls_connect(cl, p.sv[0], "mail.test", TMO, err, sizeof(err));
	if (c == NULL)
		fail_msg("tls_connect: %s", err);
	assert_string_equal(tls_version(c), "TLS1.2");
	assert_memory_equal(tls_cipher(c), "DHE-RSA-", 8);
	client_greet(c, p.sv[0]);
	tls_close(c);
	pair_finish(&p);
	tls_server_free(srv);
	tls_client_free(cl);
}

/* ---- STARTTLS ---- */

static void *
starttls_main(void *arg)
{
	struct side	*s = arg;
	struct lineio	 l;
	struct tls_conn	*c = NULL, *c2 = NULL;
	char		 err2[256] = "";

	lineio_init(&l, s->fd_in, s->fd_out, TMO);
	side_read(s, &l, 0, 512);		/* STARTTLS */
	s->before = lineio_buffered(&l);
	if (lineio_printf(&l, "220 2.0.0 Ready to start TLS\r\n") == -1 ||
	    tls_starttls(&l, s->srv, &c, s->err, sizeof(s->err)) == -1)
		goto done;
	s->accepted = 1;
	s->after = lineio_buffered(&l);
	side_read(s, &l, 1, 512);		/* the first line over TLS */
	/* A second STARTTLS is refused. */
	if (tls_starttls(&l, s->srv, &c2, err2, sizeof(err2)) == -1 &&
	    c2 == NULL && strstr(err2, "already") != NULL)
		s->reused = 1;			/* (reused as "refused") */
	if (lineio_printf(&l, "250 2.0.0 ok\r\n") == 0 &&
	    lineio_flush(&l) == 0)
		side_read(s, &l, 2, 512);
done:
	lineio_free(&l);
	tls_close(c);
	return NULL;
}

static void
test_starttls_discards_pipelined(void **state)
{
	const char		 in[] = "STARTTLS\r\nMAIL FROM:<evil@x>\r\n"
				    "RCPT TO:<victim@y>\r\n";
	struct tls_server	*srv = server_make("%s", "");
	struct tls_client	*cl = client_make(1, "");
	struct pair		 p;
	struct tls_conn		*c;
	struct lineio		 l;
	char			 err[512] = "";

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p.sv), 0);
	/* The command and what is pipelined behind it arrive together. */
	assert_int_equal(write(p.sv[0], in, sizeof(in) - 1),
	    (ssize_t)(sizeof(in) - 1));
	p.s.srv = srv;
	p.s.fd_in = p.s.fd_out = p.sv[1];
	assert_int_equal(pthread_create(&p.th, NULL, starttls_main, &p.s), 0);
	lineio_init(&l, p.sv[0], p.sv[0], TMO);
	expect_line(&l, 512, LINE_OK, "220 2.0.0 Ready to start TLS\r\n");
	assert_int_equal(lineio_buffered(&l), 0);
	c = tls_connect(cl, p.sv[0], "mail.test", TMO, err, sizeof(err));
	if (c == NULL)
		fail_msg("tls_connect: %s", err);
	tls_attach(&l, c);
	assert_int_equal(lineio_printf(&l, "NOOP\r\n"), 0);
	assert_int_equal(lineio_flush(&l), 0);
	expect_line(&l, 512, LINE_OK, "250 2.0.0 ok\r\n");
	assert_int_equal(lineio_printf(&l, "QUIT\r\n"), 0);
	assert_int_equal(lineio_flush(&l), 0);
	lineio_free(&l);
	tls_close(c);
	pair_finish(&p);
	assert_string_equal(p.s.line[0], "STARTTLS\r\n");
	assert_true(p.s.before > 0);	/* the pipelined bytes were read... */
	assert_true(p.s.accepted);
	assert_int_equal(p.s.after, 0);	/* ...and dropped */
	assert_int_equal(p.s.st[1], LINE_OK);
	assert_string_equal(p.s.line[1], "NOOP\r\n");
	assert_true(p.s.reused);
	assert_string_equal(p.s.line[2], "QUIT\r\n");
	tls_client_free(cl);
	tls_server_free(srv);
}

/* Plaintext sent after the reply (instead of a ClientHello) fails TLS. */
static void
test_starttls_plaintext_after_reply(void **state)
{
	struct tls_server	*srv = server_make("%s", "");
	struct pair		 p;
	struct lineio		 l;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p.sv), 0);
	assert_int_equal(write(p.sv[0], "STARTTLS\r\n", 10), 10);
	p.s.srv = srv;
	p.s.fd_in = p.s.fd_out = p.sv[1];
	assert_int_equal(pthread_create(&p.th, NULL, starttls_main, &p.s), 0);
	lineio_init(&l, p.sv[0], p.sv[0], TMO);
	expect_line(&l, 512, LINE_OK, "220 2.0.0 Ready to start TLS\r\n");
	assert_int_equal(lineio_printf(&l, "MAIL FROM:<evil@x>\r\n"), 0);
	assert_int_equal(lineio_flush(&l), 0);
	lineio_free(&l);
	pair_finish(&p);
	assert_false(p.s.accepted);
	assert_non_null(strstr(p.s.err, "TLS handshake failed"));
	tls_server_free(srv);
}

/* ---- what tls_server_new and tls_client_new refuse ---- */

static void
test_bad_configs(void **state)
{
	struct conf	*conf;
	char		 err[512];
	int		 fd;

	(void)state;
	server_refused("does not match", "tls_key_file = %s\n", p_key2);
	server_refused("No such file", "tls_cert_file = %s/nope.pem\n", dir);
	server_refused("No such file", "tls_key_file = %s/nope.key\n", dir);
	server_refused("tls_cert_file is not set", "tls_cert_file =\n");
	server_refused("no PEM certificate", "tls_cert_file = %s\n", p_key);
	server_refused("no PEM private key", "tls_key_file = %s\n", p_ca);
	server_refused("\"TLSv1.4\" is not a TLS version",
	    "tls_protocols = TLSv1.2, TLSv1.4\n");
	server_refused("\"SSLv3\" is not a TLS version",
	    "tls_protocols = SSLv3 TLSv1.2\n");
	server_refused("TLSv1.1 is missing", "tls_protocols = TLSv1 TLSv1.2\n");
	server_refused("tls_protocols is empty", "tls_protocols =\n");
	server_refused("no cipher for TLSv1.1",
	    "tls_protocols = TLSv1.1, TLSv1.2\n");
	server_refused("no cipher for TLSv1.3", "tls_ciphersuites =\n");
	server_refused("tls_ciphers", "tls_ciphers = NOSUCHCIPHER\n");
	server_refused("tls_ecdh_curves", "tls_ecdh_curves = X99999\n");
	server_refused("No such file", "tls_dhparam_file = %s/nope\n", dir);
	server_refused("no PEM DH parameters", "tls_dhparam_file = %s\n",
	    p_ca);
	/* Ticket key files: readable by others, or not one at all. */
	assert_int_equal(tls_ticket_keys_write(p_tickets), 0);
	assert_int_equal(chmod(p_tickets, 0644), 0);
	server_refused("mode must be 0600", "tls_ticket_key_file = %s\n",
	    p_tickets);
	fd = open(p_tickets, O_WRONLY | O_TRUNC);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "FTTKEYS1short", 13), 13);
	assert_int_equal(close(fd), 0);
	assert_int_equal(chmod(p_tickets, 0600), 0);
	server_refused("not a ticket key file", "tls_ticket_key_file = %s\n",
	    p_tickets);
	server_refused("not a regular file", "tls_ticket_key_file = %s\n",
	    dir);
	/* Tickets off: the file is not even read. */
	tls_server_free(server_make("tls_session_tickets = no\n"
	    "tls_ticket_key_file = %s\n", p_tickets));
	/* The client side. */
	conf = conf_make("tls_ca_file = %s/nope\n", dir);
	assert_null(tls_client_new(conf, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "tls_ca_file"));
	assert_non_null(strstr(err, "No such file"));
	conf_free(conf);
	conf = conf_make("tls_protocols = TLSv2\n");
	assert_null(tls_client_new(conf, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "TLSv2"));
	conf_free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_verify),
		cmocka_unit_test(test_two_descriptors),
		cmocka_unit_test(test_verify_failures),
		cmocka_unit_test(test_handshake_timeout),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_resume_tls13),
		cmocka_unit_test(test_resume_tls12),
		cmocka_unit_test(test_resume_needs_the_file),
		cmocka_unit_test(test_ticket_file),
		cmocka_unit_test(test_tls11_refused_by_default),
		cmocka_unit_test(test_connect_refused_reason),
		cmocka_unit_test(test_dhparam),
		cmocka_unit_test(test_starttls_discards_pipelined),
		cmocka_unit_test(test_starttls_plaintext_after_reply),
		cmocka_unit_test(test_bad_configs),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
