/*
 * Unit tests for lib/tls, session resumption: a session resumes in a
 * second, separately built context that reads the same ticket key file
 * (TLS 1.3 and 1.2), still after one rotation, no more after three; TLS
 * 1.3 tickets are renewed at each resumption; nothing resumes without the
 * file or with tickets off; the file's shape, mode and rotation.
 */
#include "tls_fixture.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resume_tls13),
		cmocka_unit_test(test_resume_tls12),
		cmocka_unit_test(test_resume_needs_the_file),
		cmocka_unit_test(test_ticket_file),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
