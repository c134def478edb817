/*
 * Unit tests for lib/tls, connections: handshake and what was negotiated,
 * two descriptors of one socket (inetd), verification (good name, wrong
 * name, wrong IP, unknown CA, no verification), handshake deadlines and a
 * peer that closes, lines through lineio over TLS both ways (over-long
 * lines, bulk, timeouts, close_notify), and STARTTLS discarding plaintext
 * pipelined behind the command.  The fixture is tls_fixture.h.
 */
#include "tls_fixture.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_verify),
		cmocka_unit_test(test_two_descriptors),
		cmocka_unit_test(test_verify_failures),
		cmocka_unit_test(test_handshake_timeout),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_starttls_discards_pipelined),
		cmocka_unit_test(test_starttls_plaintext_after_reply),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
