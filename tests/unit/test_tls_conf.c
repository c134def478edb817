/*
 * Unit tests for lib/tls, configuration: TLS 1.1 refused unless listed
 * (and spoken when it is), DHE with a tls_dhparam_file, and every mistake
 * tls_server_new and tls_client_new must refuse with its reason: key and
 * certificate that do not match, missing files, bad protocol words and
 * ranges, cipher lists that leave a version without a cipher, unknown
 * groups, bad DH and ticket key files.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls11_refused_by_default),
		cmocka_unit_test(test_connect_refused_reason),
		cmocka_unit_test(test_dhparam),
		cmocka_unit_test(test_bad_configs),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
