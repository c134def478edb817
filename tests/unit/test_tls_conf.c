/*
 * Unit tests for lib/tls, configuration: TLS 1.1 refused unless listed
 * (and spoken when it is), DHE with a tls_dhparam_file, and every mistake
 * tls_server_new and tls_client_new must refuse with its reason: key and
 * certificate that do not match, missing files, bad protocol words and
 * ranges, cipher lists that leave a version without a cipher, unknown
 * groups, bad DH and ticket key files; tls_server_load then
 * tls_server_build: the files may go between the two, each mistake is
 * refused by the step that can see it, a lazily built context handshakes
 * and resumes with the ticket keys read at load.
 */
#include "tls_fixture.h"

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

/* ---- tls_server_load, then tls_server_build ---- */

/* Copies src to dst, mode 0600. */
static void
file_copy(const char *src, const char *dst)
{
	char	 data[65536];
	ssize_t	 n;
	int	 in, out;

	assert_true((in = open(src, O_RDONLY)) != -1);
	assert_true((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1);
	assert_true((n = read(in, data, sizeof(data))) > 0);
	assert_int_equal(write(out, data, (size_t)n), n);
	assert_int_equal(close(in), 0);
	assert_int_equal(close(out), 0);
}

/* tls_server_load over conf_make(extra), which must succeed. */
static struct tls_server *
server_load(const char *fmt, ...)
{
	struct tls_server	*srv;
	struct conf		*conf;
	char			 err[512] = "", extra[1024];
	va_list			 ap;

	va_start(ap, fmt);
	assert_true((size_t)vsnprintf(extra, sizeof(extra), fmt, ap) <
	    sizeof(extra));
	va_end(ap);
	conf = conf_make("%s", extra);
	if ((srv = tls_server_load(conf, err, sizeof(err))) == NULL)
		fail_msg("tls_server_load: %s", err);
	conf_free(conf);
	return srv;
}

/* The bytes are in memory: the files may go before the build. */
static void
test_load_then_build(void **state)
{
	struct tls_server	*srv;
	struct tls_client	*cl = client_make(1, "");
	char			 cert[160], key[160], err[512] = "";

	(void)state;
	path_make(cert, sizeof(cert), "lazy.pem");
	path_make(key, sizeof(key), "lazy.key");
	file_copy(p_cert, cert);
	file_copy(p_key, key);
	srv = server_load("tls_cert_file = %s\ntls_key_file = %s\n"
	    "tls_dhparam_file = %s\n", cert, key, p_dh);
	assert_int_equal(unlink(cert), 0);
	assert_int_equal(unlink(key), 0);
	if (tls_server_build(srv, err, sizeof(err)) == -1)
		fail_msg("tls_server_build: %s", err);
	assert_int_equal(tls_server_build(srv, err, sizeof(err)), 0);
	assert_int_equal(session_once(srv, cl), 0);
	tls_server_free(srv);
	/* Never built by hand: the handshake builds it. */
	file_copy(p_cert, cert);
	file_copy(p_key, key);
	srv = server_load("tls_cert_file = %s\ntls_key_file = %s\n", cert,
	    key);
	assert_int_equal(unlink(cert), 0);
	assert_int_equal(unlink(key), 0);
	assert_int_equal(session_once(srv, cl), 0);
	tls_server_free(srv);
	/* Loaded and freed without a build: nothing leaks. */
	tls_server_free(server_load("%s", ""));
	tls_client_free(cl);
}

/* tls_server_load refuses what it can see without OpenSSL. */
static void
load_refused(const char *want, const char *fmt, ...)
{
	struct conf	*conf;
	char		 err[512] = "", extra[1024];
	va_list		 ap;

	va_start(ap, fmt);
	assert_true((size_t)vsnprintf(extra, sizeof(extra), fmt, ap) <
	    sizeof(extra));
	va_end(ap);
	conf = conf_make("%s", extra);
	assert_null(tls_server_load(conf, err, sizeof(err)));
	if (strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
	conf_free(conf);
}

/* tls_server_load accepts, tls_server_build refuses (twice, the same). */
static void
build_refused(const char *want, const char *fmt, ...)
{
	struct tls_server	*srv;
	struct tls_client	*cl = client_make(1, "");
	struct pair		 p;
	char			 err[512] = "", extra[1024];
	va_list			 ap;

	va_start(ap, fmt);
	assert_true((size_t)vsnprintf(extra, sizeof(extra), fmt, ap) <
	    sizeof(extra));
	va_end(ap);
	srv = server_load("%s", extra);
	assert_int_equal(tls_server_build(srv, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", err, want);
	err[0] = '\0';
	assert_int_equal(tls_server_build(srv, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("second reason \"%s\" lacks \"%s\"", err, want);
	/* A handshake on it fails with the same reason. */
	pair_start(&p, srv, fn_greet);
	assert_null(tls_connect(cl, p.sv[0], "mail.test", TMO, err,
	    sizeof(err)));
	pair_finish(&p);
	assert_false(p.s.accepted);
	if (strstr(p.s.err, want) == NULL)
		fail_msg("handshake's reason \"%s\" lacks \"%s\"", p.s.err,
		    want);
	tls_server_free(srv);
	tls_client_free(cl);
}

static void
test_load_build_errors(void **state)
{
	char	 big[160];
	int	 fd;

	(void)state;
	load_refused("No such file", "tls_cert_file = %s/nope.pem\n", dir);
	load_refused("No such file", "tls_key_file = %s/nope.key\n", dir);
	load_refused("tls_key_file is not set", "tls_key_file =\n");
	load_refused("No such file", "tls_dhparam_file = %s/nope\n", dir);
	load_refused("not a regular file", "tls_cert_file = %s\n", dir);
	load_refused("\"TLSv1.4\" is not a TLS version",
	    "tls_protocols = TLSv1.4\n");
	path_make(big, sizeof(big), "big.pem");
	assert_true((fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1);
	assert_int_equal(ftruncate(fd, 1024 * 1024 + 1), 0);
	assert_int_equal(close(fd), 0);
	load_refused("larger than 1 MB", "tls_cert_file = %s\n", big);
	assert_int_equal(unlink(big), 0);
	assert_int_equal(tls_ticket_keys_write(p_tickets), 0);
	assert_int_equal(chmod(p_tickets, 0644), 0);
	load_refused("mode must be 0600", "tls_ticket_key_file = %s\n",
	    p_tickets);
	assert_int_equal(unlink(p_tickets), 0);
	build_refused("does not match", "tls_key_file = %s\n", p_key2);
	build_refused("no PEM certificate", "tls_cert_file = %s\n", p_key);
	build_refused("no PEM private key", "tls_key_file = %s\n", p_ca);
	build_refused("no PEM DH parameters", "tls_dhparam_file = %s\n",
	    p_ca);
	build_refused("no cipher for TLSv1.3", "tls_ciphersuites =\n");
	build_refused("tls_ecdh_curves", "tls_ecdh_curves = X99999\n");
}

/* Tickets from the file read at load: two lazy contexts resume. */
static void
test_lazy_resume(void **state)
{
	struct tls_server	*srv1, *srv2;
	struct tls_client	*cl = client_make(1, "");

	(void)state;
	(void)unlink(p_tickets);
	assert_int_equal(tls_ticket_keys_write(p_tickets), 0);
	srv1 = server_load("tls_ticket_key_file = %s\n", p_tickets);
	srv2 = server_load("tls_ticket_key_file = %s\n", p_tickets);
	assert_int_equal(unlink(p_tickets), 0);
	assert_int_equal(session_once(srv1, cl), 0);
	assert_int_equal(session_once(srv2, cl), 1);
	tls_server_free(srv1);
	tls_server_free(srv2);
	tls_client_free(cl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls11_refused_by_default),
		cmocka_unit_test(test_connect_refused_reason),
		cmocka_unit_test(test_dhparam),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_load_then_build),
		cmocka_unit_test(test_load_build_errors),
		cmocka_unit_test(test_lazy_resume),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
