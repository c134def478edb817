/*
 * Unit tests for smtpd/monitor_check.c, the check every request from an
 * smtpd session passes before its handler: each request of the table is
 * taken in the state it is allowed in and refused in the others (RCPT
 * before AUTH in submission, MSGSTART while queueing, MSGEND with no
 * message, AUTH twice, SENDER before AUTH, STARTTLS but from a resident's
 * smtpsession session outside a transaction and before AUTH, anything
 * while the resident owes a reply); wrong field and descriptor counts,
 * unknown names, fields with control bytes or too long, malformed queue
 * IDs and error counts, and a STARTTLS descriptor that is not a socket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chan.h"
#include "conf.h"
#include "smtpd.h"
#include "smtpd_monitor.h"
#include "smtpd_resident.h"

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
	mon.enqueue = -1;
	rc.pidfd = rc.auth_fd = rc.q_writer = -1;
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
test_rcpt(void **state)
{
	char	 local[66];

	(void)state;
	fresh(SMTPD_MX, 0);
	assert_int_equal(CHECK(-1, "RCPT", "alice", "example.org"), MREQ_RCPT);
	assert_int_equal(CHECK(-1, "RCPT", "postmaster", ""), MREQ_RCPT);
	assert_int_equal(CHECK(-1, "RCPT", "", "example.org"), -1);
	assert_int_equal(CHECK(-1, "RCPT", "al\tice", "example.org"), -1);
	assert_int_equal(CHECK(-1, "RCPT", "alice", "exa\x7fmple"), -1);
	assert_int_equal(CHECK(-1, "RCPT", "alice"), -1);
	assert_int_equal(CHECK(-1, "RCPT", "alice", "example.org", "x"), -1);
	memset(local, 'a', 64);
	local[64] = '\0';
	assert_int_equal(CHECK(-1, "RCPT", local, "example.org"), MREQ_RCPT);
	local[64] = 'a';
	local[65] = '\0';
	assert_int_equal(CHECK(-1, "RCPT", local, "example.org"), -1);
	/* 8-bit octets are not control bytes */
	assert_int_equal(CHECK(-1, "RCPT", "j\xc3\xb6rg", "example.org"),
	    MREQ_RCPT);

	/* submission and smtps: nothing before AUTH */
	fresh(SMTPD_SUBMISSION, 0);
	assert_int_equal(CHECK(-1, "RCPT", "bob", "example.net"), -1);
	mon.authed = 1;
	assert_int_equal(CHECK(-1, "RCPT", "bob", "example.net"), MREQ_RCPT);
	fresh(SMTPD_SMTPS, 1);
	assert_int_equal(CHECK(-1, "RCPT", "bob", "example.net"), -1);
}

static void
test_message(void **state)
{
	(void)state;
	fresh(SMTPD_MX, 0);
	assert_int_equal(CHECK(-1, "MSGSTART", "0RJ4V1K3A5B7C9"),
	    MREQ_MSGSTART);
	assert_int_equal(CHECK(-1, "MSGSTART", "0RJ4V1K3A5B7CI"), -1);
	assert_int_equal(CHECK(-1, "MSGSTART", "../../etc/passw"), -1);
	assert_int_equal(CHECK(-1, "MSGSTART", ""), -1);
	assert_int_equal(CHECK(-1, "MSGEND"), -1);
	assert_int_equal(CHECK(-1, "MSGABORT"), -1);
	mon.enqueue = 4242;
	assert_int_equal(CHECK(-1, "MSGSTART", "0RJ4V1K3A5B7C9"), -1);
	assert_int_equal(CHECK(-1, "MSGEND"), MREQ_MSGEND);
	assert_int_equal(CHECK(-1, "MSGABORT"), MREQ_MSGABORT);
	assert_int_equal(CHECK(-1, "MSGEND", "0"), -1);

	/* the resident: by its queue state, one reply owed at a time */
	fresh(SMTPD_MX, 1);
	assert_int_equal(CHECK(-1, "MSGEND"), -1);
	rc.q_on = 1;
	assert_int_equal(CHECK(-1, "MSGSTART", "0RJ4V1K3A5B7C9"), -1);
	assert_int_equal(CHECK(-1, "MSGEND"), MREQ_MSGEND);
	rc.q_owed = 'E';
	assert_int_equal(CHECK(-1, "MSGEND"), -1);
	assert_int_equal(CHECK(-1, "MSGABORT"), -1);
	assert_int_equal(CHECK(-1, "RCPT", "alice", "example.org"), -1);
}

static void
test_auth_sender(void **state)
{
	char	 user[257];

	(void)state;
	fresh(SMTPD_SUBMISSION, 0);
	assert_int_equal(CHECK(-1, "SENDER", "alice", "example.org"), -1);
	assert_int_equal(CHECK(-1, "AUTH", "alice", "secret"), MREQ_AUTH);
	assert_int_equal(CHECK(-1, "AUTH", "alice"), -1);
	assert_int_equal(CHECK(-1, "AUTH", "al\nice", "secret"), -1);
	memset(user, 'u', 256);
	user[256] = '\0';
	assert_int_equal(CHECK(-1, "AUTH", user, "secret"), -1);
	user[255] = '\0';
	assert_int_equal(CHECK(-1, "AUTH", user, "secret"), MREQ_AUTH);
	mon.authed = 1;
	assert_int_equal(CHECK(-1, "AUTH", "alice", "secret"), -1);
	assert_int_equal(CHECK(-1, "SENDER", "alice", "example.org"),
	    MREQ_SENDER);
	assert_int_equal(CHECK(-1, "SENDER", "", "example.org"), MREQ_SENDER);
	assert_int_equal(CHECK(-1, "SENDER", "alice", "exa\rmple"), -1);

	/* the resident takes nothing while an AUTH check is pending */
	fresh(SMTPD_SUBMISSION, 1);
	rc.auth_fd = 7;
	assert_int_equal(CHECK(-1, "AUTH", "alice", "secret"), -1);
}

static void
test_starttls(void **state)
{
	int	 sv[2], pp[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pipe(pp), 0);
	fresh(SMTPD_MX, 1);
	/* a session the resident forked itself cannot hand over */
	assert_int_equal(CHECK(sv[0], "STARTTLS", "0", "Hmail.example"), -1);
	rc.pidfd = 9;
	assert_int_equal(CHECK(sv[0], "STARTTLS", "0", "Hmail.example"),
	    MREQ_STARTTLS);
	assert_int_equal(CHECK(sv[0], "STARTTLS", "10", "H"), MREQ_STARTTLS);
	assert_int_equal(CHECK(sv[0], "STARTTLS", "11", "H"), -1);
	assert_int_equal(CHECK(sv[0], "STARTTLS", "07", "H"), -1);
	assert_int_equal(CHECK(sv[0], "STARTTLS", "+1", "H"), -1);
	assert_int_equal(CHECK(sv[0], "STARTTLS", "", "H"), -1);
	assert_int_equal(CHECK(sv[0], "STARTTLS", "0", "mail.example"), -1);
	assert_int_equal(CHECK(sv[0], "STARTTLS", "0", "Hmail\x01"), -1);
	assert_int_equal(CHECK(pp[0], "STARTTLS", "0", "Hmail.example"), -1);
	assert_int_equal(CHECK(-1, "STARTTLS", "0", "Hmail.example"), -1);
	rc.q_on = 1;
	assert_int_equal(CHECK(sv[0], "STARTTLS", "0", "H"), -1);
	rc.q_on = 0;
	mon.authed = 1;
	assert_int_equal(CHECK(sv[0], "STARTTLS", "0", "H"), -1);
	/* never to a monitor of its own */
	fresh(SMTPD_MX, 0);
	assert_int_equal(CHECK(sv[0], "STARTTLS", "0", "H"), -1);
	(void)close(sv[0]);
	(void)close(sv[1]);
	(void)close(pp[0]);
	(void)close(pp[1]);
}

static void
test_unknown(void **state)
{
	int	 sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fresh(SMTPD_MX, 0);
	assert_int_equal(CHECK(-1, "HELO", "x"), -1);
	assert_int_equal(CHECK(-1, "rcpt", "alice", "example.org"), -1);
	assert_int_equal(CHECK(-1, ""), -1);
	/* a descriptor with a request that takes none */
	assert_int_equal(CHECK(sv[0], "RCPT", "alice", "example.org"), -1);
	assert_string_equal(monitor_reqname(MREQ_STARTTLS), "STARTTLS");
	(void)close(sv[0]);
	(void)close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rcpt),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_auth_sender),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
