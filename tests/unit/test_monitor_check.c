/*
 * Unit tests for smtpd/monitor_check.c, the check every request from an
 * smtpd session passes before its handler: each request of the table is
 * taken in the state it is allowed in and refused in the others (MAIL and
 * RCPT before AUTH in submission, RCPT before MAIL or past
 * smtpd_recipient_limit, either while a message is being queued,
 * MSGSTART without an approved sender and recipient, MSGEND with no
 * message, AUTH twice or after CLOSE, STARTTLS but from a resident's
 * smtpsession session outside a transaction and before AUTH with the
 * connection's own socket, anything while the resident owes a reply);
 * wrong field and descriptor counts for every request, unknown names,
 * paths that do not parse, fields with control bytes or too long (each
 * limit from both sides: a local part, a path, a user name, the host
 * name STARTTLS hands on), malformed queue IDs and error counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "chan.h"
#include "conf.h"
#include "dsn.h"
#include "smtpd.h"
#include "smtpd_monitor.h"
#include "smtpd_resident.h"

#define QID	"0RJ4V1K3A5B7C9"

static struct conf		*conf;
static struct smtpd_opts	 opts;
static struct monitor		 mon;
static struct rconn		 rc;
static struct chan_msg		 msg;

/* A monitor of its own (resident 0) or the resident's, in mode. */
static void
fresh(enum smtpd_mode mode, int resident)
{
	memset(&opts, 0, sizeof(opts));
	opts.mode = mode;
	memset(&mon, 0, sizeof(mon));
	memset(&rc, 0, sizeof(rc));
	mon.conf = conf;
	mon.opts = &opts;
	mon.enqueue = mon.env_w = -1;
	rc.spawned = 0;
	rc.auth_fd = rc.q_writer = -1;
	rc.auth_pid = rc.q_child = -1;
	if (resident)
		mon.rc = &rc;
}

/* monitor_check of a frame of these fields and descriptors. */
static int
check(const char *const *f, int nf, int fd)
{
	const char	*why = NULL;
	int		 i, t;

	memset(&msg, 0, sizeof(msg));
	for (i = 0; i < nf; i++)
		msg.f[i] = (char *)f[i];
	msg.nf = nf;
	if (fd != -1) {
		msg.fds[0] = fd;
		msg.nfds = 1;
	}
	t = monitor_check(&mon, &msg, &why);
	if (t == -1)
		assert_non_null(why);
	return t;
}

#define CHECK(fd, ...) \
	check((const char *const[]){ __VA_ARGS__ }, \
	    (int)(sizeof((const char *const[]){ __VA_ARGS__ }) / \
	    sizeof(const char *)), (fd))

/* MAIL and RCPT without DSN parameters (the session sends "" for each) */
#define MAIL(path, mode)	CHECK(-1, "MAIL", (path), (mode), "", "")
#define RCPT(path)		CHECK(-1, "RCPT", (path), "", "")

static int
setup(void **state)
{
	(void)state;
	conf = conf_defaults();
	return conf == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	conf_free(conf);
	return 0;
}

static void
test_mail(void **state)
{
	(void)state;
	fresh(SMTPD_MX, 0);
	assert_int_equal(MAIL("<bob@example.net>", "ASCII"),
	    MREQ_MAIL);
	assert_int_equal(MAIL("<>", "ASCII"), MREQ_MAIL);
	assert_int_equal(MAIL("<j\xc3\xb6rg@example.net>",
	    "UTF8"), MREQ_MAIL);
	assert_int_equal(MAIL("<j\xc3\xb6rg@example.net>",
	    "ASCII"), -1);
	assert_int_equal(MAIL("<bob@example.net>", "utf8"), -1);
	assert_int_equal(MAIL("bob@example.net", "ASCII"), -1);
	assert_int_equal(MAIL("<bob@example.net> x", "ASCII"),
	    -1);
	assert_int_equal(CHECK(-1, "MAIL", "<bob@example.net>"), -1);
	assert_int_equal(CHECK(-1, "MAIL", "<bob@example.net>", "ASCII"), -1);
	/* a new MAIL while a message is being queued */
	mon.env_w = 9;
	assert_int_equal(MAIL("<bob@example.net>", "ASCII"), -1);
	/* submission: nothing before AUTH */
	fresh(SMTPD_SUBMISSION, 0);
	assert_int_equal(MAIL("<bob@example.net>", "ASCII"), -1);
	mon.authed = 1;
	assert_int_equal(MAIL("<bob@example.net>", "ASCII"),
	    MREQ_MAIL);
}

/*
 * RFC 3461's parameters as the session passes them on (as sent, or ""):
 * what lib/dsn parses is taken, anything else kills the session.
 */
static void
test_dsn(void **state)
{
	static const char *const mail_ok[][2] = {
		{ "FULL", "" }, { "HDRS", "QQ+2B314159" }, { "", "x" },
		{ "hdrs", "" },
	};
	static const char *const mail_bad[][2] = {
		{ "ALL", "" }, { "FULL ", "" }, { "", "a+0Db" }, { "", "a b" },
		{ "", "a+2" }, { "", "\x01" },
	};
	static const char *const rcpt_ok[][2] = {
		{ "NEVER", "" }, { "SUCCESS,FAILURE,DELAY", "" },
		{ "", "rfc822;bob+2Bx@example.net" }, { "delay", "rfc822;b@c" },
	};
	static const char *const rcpt_bad[][2] = {
		{ "NEVER,SUCCESS", "" }, { "SOMETIMES", "" }, { "SUCCESS,", "" },
		{ "", "bob@example.net" }, { "", "rfc822;b+0A" },
		{ "", ";b@c" },
	};
	char		 big[DSN_ORCPT_MAX + 16];
	size_t		 i;

	(void)state;
	fresh(SMTPD_MX, 0);
	for (i = 0; i < sizeof(mail_ok) / sizeof(mail_ok[0]); i++)
		assert_int_equal(CHECK(-1, "MAIL", "<>", "ASCII",
		    mail_ok[i][0], mail_ok[i][1]), MREQ_MAIL);
	for (i = 0; i < sizeof(mail_bad) / sizeof(mail_bad[0]); i++)
		assert_int_equal(CHECK(-1, "MAIL", "<>", "ASCII",
		    mail_bad[i][0], mail_bad[i][1]), -1);
	/* ENVID: 100 octets decoded at most */
	memset(big, 'e', sizeof(big));
	big[DSN_ENVID_MAX] = '\0';
	assert_int_equal(CHECK(-1, "MAIL", "<>", "ASCII", "", big), MREQ_MAIL);
	big[DSN_ENVID_MAX] = 'e';
	big[DSN_ENVID_MAX + 1] = '\0';
	assert_int_equal(CHECK(-1, "MAIL", "<>", "ASCII", "", big), -1);
	mon.tx_open = 1;
	for (i = 0; i < sizeof(rcpt_ok) / sizeof(rcpt_ok[0]); i++)
		assert_int_equal(CHECK(-1, "RCPT", "<a@b.example>",
		    rcpt_ok[i][0], rcpt_ok[i][1]), MREQ_RCPT);
	for (i = 0; i < sizeof(rcpt_bad) / sizeof(rcpt_bad[0]); i++)
		assert_int_equal(CHECK(-1, "RCPT", "<a@b.example>",
		    rcpt_bad[i][0], rcpt_bad[i][1]), -1);
	/* ORCPT: 500 octets at most */
	memcpy(big, "rfc822;", 7);
	memset(big + 7, 'o', sizeof(big) - 7);
	big[DSN_ORCPT_MAX + 1] = '\0';
	assert_int_equal(CHECK(-1, "RCPT", "<a@b.example>", "", big), -1);
}

static void
test_rcpt(void **state)
{
	(void)state;
	fresh(SMTPD_MX, 0);
	assert_int_equal(RCPT("<alice@example.org>"), -1);
	mon.tx_open = 1;
	assert_int_equal(RCPT("<alice@example.org>"), MREQ_RCPT);
	assert_int_equal(RCPT("<postmaster>"), MREQ_RCPT);
	assert_int_equal(RCPT("<>"), -1);
	assert_int_equal(RCPT("<al\tice@example.org>"), -1);
	assert_int_equal(CHECK(-1, "RCPT", "<alice@example.org>", "", "", "x"),
	    -1);
	assert_int_equal(RCPT("<j\xc3\xb6rg@example.org>"), -1);
	mon.tx_utf8 = 1;
	assert_int_equal(RCPT("<j\xc3\xb6rg@example.org>"),
	    MREQ_RCPT);
	mon.tx_nrcpt = (size_t)conf_int(conf, "smtpd_recipient_limit") - 1;
	assert_int_equal(RCPT("<alice@example.org>"), MREQ_RCPT);
	mon.tx_nrcpt++;
	assert_int_equal(RCPT("<alice@example.org>"), -1);
	fresh(SMTPD_SMTPS, 1);
	mon.tx_open = 1;
	assert_int_equal(RCPT("<bob@example.net>"), -1);
}

static void
test_message(void **state)
{
	(void)state;
	fresh(SMTPD_MX, 0);
	/* only for an approved sender and recipient */
	assert_int_equal(CHECK(-1, "MSGSTART", QID), -1);
	mon.tx_open = 1;
	assert_int_equal(CHECK(-1, "MSGSTART", QID), -1);
	mon.tx_nrcpt = 1;
	assert_int_equal(CHECK(-1, "MSGSTART", QID), MREQ_MSGSTART);
	assert_int_equal(CHECK(-1, "MSGSTART", "0RJ4V1K3A5B7CI"), -1);
	assert_int_equal(CHECK(-1, "MSGSTART", "../../etc/passw"), -1);
	assert_int_equal(CHECK(-1, "MSGEND"), -1);
	assert_int_equal(CHECK(-1, "MSGABORT"), -1);
	mon.enqueue = 4242;
	assert_int_equal(CHECK(-1, "MSGSTART", QID), -1);
	assert_int_equal(CHECK(-1, "MSGEND"), MREQ_MSGEND);
	assert_int_equal(CHECK(-1, "MSGABORT"), MREQ_MSGABORT);
	assert_int_equal(CHECK(-1, "MSGEND", "0"), -1);
	assert_int_equal(RCPT("<alice@example.org>"), -1);

	/* the resident: by its queue state, one reply owed at a time */
	fresh(SMTPD_MX, 1);
	mon.tx_open = 1;
	mon.tx_nrcpt = 1;
	assert_int_equal(CHECK(-1, "MSGEND"), -1);
	rc.q_on = 1;
	assert_int_equal(CHECK(-1, "MSGSTART", QID), -1);
	assert_int_equal(CHECK(-1, "MSGEND"), MREQ_MSGEND);
	rc.q_owed = 'E';
	assert_int_equal(CHECK(-1, "MSGEND"), -1);
	assert_int_equal(CHECK(-1, "MSGABORT"), -1);
	assert_int_equal(MAIL("<>", "ASCII"), -1);
}

static void
test_auth(void **state)
{
	char	 user[257];

	(void)state;
	fresh(SMTPD_SUBMISSION, 0);
	assert_int_equal(CHECK(-1, "AUTH", "alice", "secret"), MREQ_AUTH);
	assert_int_equal(CHECK(-1, "AUTH", "alice"), -1);
	assert_int_equal(CHECK(-1, "AUTH", "al\nice", "secret"), -1);
	memset(user, 'u', 256);
	user[256] = '\0';
	assert_int_equal(CHECK(-1, "AUTH", user, "secret"), -1);
	user[255] = '\0';
	assert_int_equal(CHECK(-1, "AUTH", user, "secret"), MREQ_AUTH);
	/* after CLOSE, more AUTH is a subverted session */
	mon.fails = (unsigned)conf_int(conf, "auth_fail_limit");
	assert_int_equal(CHECK(-1, "AUTH", "alice", "secret"), -1);
	mon.fails = 0;
	mon.authed = 1;
	assert_int_equal(CHECK(-1, "AUTH", "alice", "secret"), -1);
	/* the resident takes nothing while an AUTH check is pending */
	fresh(SMTPD_SUBMISSION, 1);
	rc.auth_fd = 7;
	assert_int_equal(CHECK(-1, "AUTH", "alice", "secret"), -1);
}

/* The resident's record of the client's connection, as resident_conn.c. */
static void
identify(int fd)
{
	struct stat	 st;

	assert_int_equal(fstat(fd, &st), 0);
	rc.sock_dev = st.st_dev;
	rc.sock_ino = st.st_ino;
	rc.peerlen = sizeof(rc.peer);
	assert_int_equal(getpeername(fd, (struct sockaddr *)&rc.peer,
	    &rc.peerlen), 0);
}

static void
test_starttls(void **state)
{
	int	 conn[2], other[2], pp[2], dup_conn;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, other), 0);
	assert_int_equal(pipe(pp), 0);
	assert_true((dup_conn = dup(conn[0])) != -1);
	fresh(SMTPD_MX, 1);
	identify(conn[0]);
	/* a session the resident forked itself cannot hand over */
	assert_int_equal(CHECK(dup_conn, "STARTTLS", "0", "Hmail.example"),
	    -1);
	rc.spawned = 1;
	assert_int_equal(CHECK(dup_conn, "STARTTLS", "0", "Hmail.example"),
	    MREQ_STARTTLS);
	assert_int_equal(CHECK(dup_conn, "STARTTLS", "10", "H"),
	    MREQ_STARTTLS);
	assert_int_equal(CHECK(dup_conn, "STARTTLS", "11", "H"), -1);
	assert_int_equal(CHECK(dup_conn, "STARTTLS", "07", "H"), -1);
	assert_int_equal(CHECK(dup_conn, "STARTTLS", "+1", "H"), -1);
	assert_int_equal(CHECK(dup_conn, "STARTTLS", "", "H"), -1);
	assert_int_equal(CHECK(dup_conn, "STARTTLS", "0", "mail.example"), -1);
	assert_int_equal(CHECK(dup_conn, "STARTTLS", "0", "Hmail\x01"), -1);
	/* only the connection's own socket */
	assert_int_equal(CHECK(other[0], "STARTTLS", "0", "Hmail.example"),
	    -1);
	assert_int_equal(CHECK(conn[1], "STARTTLS", "0", "Hmail.example"),
	    -1);
	assert_int_equal(CHECK(pp[0], "STARTTLS", "0", "Hmail.example"), -1);
	assert_int_equal(CHECK(-1, "STARTTLS", "0", "Hmail.example"), -1);
	rc.q_on = 1;
	assert_int_equal(CHECK(dup_conn, "STARTTLS", "0", "H"), -1);
	rc.q_on = 0;
	mon.authed = 1;
	assert_int_equal(CHECK(dup_conn, "STARTTLS", "0", "H"), -1);
	/* never to a monitor of its own */
	fresh(SMTPD_MX, 0);
	assert_int_equal(CHECK(dup_conn, "STARTTLS", "0", "H"), -1);
	(void)close(conn[0]);
	(void)close(conn[1]);
	(void)close(other[0]);
	(void)close(other[1]);
	(void)close(pp[0]);
	(void)close(pp[1]);
	(void)close(dup_conn);
}

static void
test_unknown(void **state)
{
	int	 sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fresh(SMTPD_MX, 0);
	mon.tx_open = 1;
	assert_int_equal(CHECK(-1, "HELO", "x"), -1);
	assert_int_equal(CHECK(-1, "SENDER", "alice", "example.org"), -1);
	assert_int_equal(CHECK(-1, "rcpt", "<alice@example.org>"), -1);
	assert_int_equal(CHECK(-1, ""), -1);
	/* a descriptor with a request that takes none */
	assert_int_equal(CHECK(sv[0], "RCPT", "<alice@example.org>", "", ""), -1);
	assert_string_equal(monitor_reqname(MREQ_STARTTLS), "STARTTLS");
	(void)close(sv[0]);
	(void)close(sv[1]);
}

/* Every request, in a state that takes it, with a field too few or more. */
static void
test_counts(void **state)
{
	int	 conn[2], fds[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
	fresh(SMTPD_MX, 1);
	identify(conn[0]);
	rc.spawned = 1;
	assert_int_equal(MAIL("<>", "ASCII"), MREQ_MAIL);
	assert_int_equal(CHECK(-1, "MAIL", "<>"), -1);
	assert_int_equal(CHECK(-1, "MAIL", "<>", "ASCII", "", "", "x"), -1);
	assert_int_equal(CHECK(-1, "AUTH", "alice", "secret"), MREQ_AUTH);
	assert_int_equal(CHECK(-1, "AUTH", "alice", "secret", "x"), -1);
	assert_int_equal(CHECK(conn[0], "STARTTLS", "0", "H"), MREQ_STARTTLS);
	assert_int_equal(CHECK(conn[0], "STARTTLS", "0"), -1);
	assert_int_equal(CHECK(conn[0], "STARTTLS", "0", "H", "x"), -1);
	assert_int_equal(CHECK(conn[0], "STARTTLS"), -1);
	/* the connection's socket twice */
	memset(&msg, 0, sizeof(msg));
	msg.f[0] = (char *)"STARTTLS";
	msg.f[1] = (char *)"0";
	msg.f[2] = (char *)"H";
	msg.nf = 3;
	fds[0] = fds[1] = conn[0];
	memcpy(msg.fds, fds, sizeof(fds));
	msg.nfds = 2;
	{
		const char	*why = NULL;

		assert_int_equal(monitor_check(&mon, &msg, &why), -1);
		assert_non_null(why);
	}
	mon.tx_open = 1;
	mon.tx_nrcpt = 1;
	assert_int_equal(CHECK(-1, "MSGSTART", QID), MREQ_MSGSTART);
	assert_int_equal(CHECK(-1, "MSGSTART"), -1);
	assert_int_equal(CHECK(-1, "MSGSTART", QID, QID), -1);
	assert_int_equal(RCPT("<a@b.example>"), MREQ_RCPT);
	assert_int_equal(CHECK(-1, "RCPT"), -1);
	rc.q_on = 1;
	assert_int_equal(CHECK(-1, "MSGEND"), MREQ_MSGEND);
	assert_int_equal(CHECK(-1, "MSGABORT"), MREQ_MSGABORT);
	assert_int_equal(CHECK(-1, "MSGABORT", ""), -1);
	(void)close(conn[0]);
	(void)close(conn[1]);
}

/* In the resident, nothing while an AUTH check or a queue reply is owed. */
static void
test_pending(void **state)
{
	int	 conn[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
	fresh(SMTPD_MX, 1);
	identify(conn[0]);
	rc.spawned = 1;
	rc.auth_fd = 7;
	assert_int_equal(MAIL("<>", "ASCII"), -1);
	assert_int_equal(CHECK(conn[0], "STARTTLS", "0", "H"), -1);
	rc.auth_fd = -1;
	mon.tx_open = 1;
	mon.tx_nrcpt = 1;
	rc.q_owed = 'E';
	assert_int_equal(RCPT("<a@b.example>"), -1);
	assert_int_equal(CHECK(-1, "MSGSTART", QID), -1);
	assert_int_equal(CHECK(-1, "AUTH", "alice", "secret"), -1);
	rc.q_owed = 0;
	assert_int_equal(RCPT("<a@b.example>"), MREQ_RCPT);
	(void)close(conn[0]);
	(void)close(conn[1]);
}

/* Each limit of a field from both sides. */
static void
test_limits(void **state)
{
	char	 local[ADDR_LOCAL_MAX + 2], path[ADDR_TEXT_MAX + 16];
	char	 host[MONITOR_PEER_NAME_MAX + 3];
	int	 conn[2];

	(void)state;
	fresh(SMTPD_MX, 0);
	memset(local, 'l', sizeof(local) - 1);
	local[ADDR_LOCAL_MAX] = '\0';
	(void)snprintf(path, sizeof(path), "<%s@example.net>", local);
	assert_int_equal(MAIL(path, "ASCII"), MREQ_MAIL);
	local[ADDR_LOCAL_MAX] = 'l';
	local[ADDR_LOCAL_MAX + 1] = '\0';
	(void)snprintf(path, sizeof(path), "<%s@example.net>", local);
	assert_int_equal(MAIL(path, "ASCII"), -1);
	/* longer than any path the parser gives back */
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '<';
	path[sizeof(path) - 2] = '>';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(MAIL(path, "ASCII"), -1);
	/* a recipient needs a local part; <> is a sender's only */
	mon.tx_open = 1;
	assert_int_equal(RCPT("<\"\"@example.org>"), -1);
	assert_int_equal(RCPT("<@example.org>"), -1);
	assert_int_equal(RCPT("<alice@example.org"), -1);
	assert_int_equal(RCPT("alice@example.org>"), -1);
	/* STARTTLS: "H" and a host name of at most MONITOR_PEER_NAME_MAX */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, conn), 0);
	fresh(SMTPD_MX, 1);
	identify(conn[0]);
	rc.spawned = 1;
	host[0] = 'H';
	memset(host + 1, 'h', MONITOR_PEER_NAME_MAX);
	host[MONITOR_PEER_NAME_MAX + 1] = '\0';
	assert_int_equal(CHECK(conn[0], "STARTTLS", "0", host), MREQ_STARTTLS);
	host[MONITOR_PEER_NAME_MAX + 1] = 'h';
	host[MONITOR_PEER_NAME_MAX + 2] = '\0';
	assert_int_equal(CHECK(conn[0], "STARTTLS", "0", host), -1);
	assert_int_equal(CHECK(conn[0], "STARTTLS", "0", "H\x7f"), -1);
	(void)close(conn[0]);
	(void)close(conn[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail),
		cmocka_unit_test(test_rcpt),
		cmocka_unit_test(test_dsn),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
