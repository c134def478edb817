/*
 * monitor_check: whether a monitor takes a session's request at all,
 * before anything is looked up, forked or answered.  The session reads
 * the network, so a frame it sends is a stranger's until checked here:
 * the request must be one of the table below with exactly its fields and
 * descriptors, be allowed in the connection's state (nothing while an
 * AUTH check or a queue reply is pending in the resident, MSGEND and
 * MSGABORT only while a message is being queued, AUTH only once, SENDER
 * only after it, STARTTLS only from a session of smtpsession, outside a
 * transaction and before AUTH, with a socket), and its fields must be of
 * the documented form and length.  monitor_request (monitor.c) kills the
 * session for anything refused here; the handlers act on what passed.
 * The same function is driven by the fuzz target fuzz_smtpd_monitor.
 *
 * Trust: nothing of the frame; the monitor's own state.  It reads the
 * frame and fstat()s its descriptor, and changes nothing.
 */
#include <sys/stat.h>

#include <stddef.h>
#include <string.h>

#include "addr.h"
#include "chan.h"
#include "conf.h"
#include "queueid.h"
#include "smtpd.h"
#include "smtpd_monitor.h"
#include "smtpd_resident.h"

/* sasl.c gives AUTH a user name of at most 255 octets. */
#define CHECK_AUTH_USER_MAX	255

struct monitor_rule {
	const char	*name;
	int		 nf;		/* fields, the name included */
	int		 nfds;		/* descriptors that come with it */
	/* the state and the fields: NULL when fine, else why not */
	const char	*(*check)(const struct monitor *,
			    const struct chan_msg *);
};

static const char	*check_rcpt(const struct monitor *,
			    const struct chan_msg *);
static const char	*check_msgstart(const struct monitor *,
			    const struct chan_msg *);
static const char	*check_msgend(const struct monitor *,
			    const struct chan_msg *);
static const char	*check_auth(const struct monitor *,
			    const struct chan_msg *);
static const char	*check_sender(const struct monitor *,
			    const struct chan_msg *);
static const char	*check_starttls(const struct monitor *,
			    const struct chan_msg *);

/* Indexed by enum monitor_reqtype: adding a request is adding a row. */
static const struct monitor_rule monitor_rules[MREQ_COUNT] = {
	[MREQ_RCPT] =		{ "RCPT",	3, 0, check_rcpt },
	[MREQ_MSGSTART] =	{ "MSGSTART",	2, 0, check_msgstart },
	[MREQ_MSGEND] =		{ "MSGEND",	1, 0, check_msgend },
	[MREQ_MSGABORT] =	{ "MSGABORT",	1, 0, check_msgend },
	[MREQ_AUTH] =		{ "AUTH",	3, 0, check_auth },
	[MREQ_SENDER] =		{ "SENDER",	3, 0, check_sender },
	[MREQ_STARTTLS] =	{ "STARTTLS",	3, 1, check_starttls },
};

int
monitor_field_ok(const char *s, size_t max)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= max || c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* Submission and smtps accept nothing before AUTH. */
static int
check_needs_auth(const struct monitor *m)
{
	return m->opts->mode != SMTPD_MX && !m->authed;
}

/* 1 while a message of this connection is being queued. */
static int
check_queueing(const struct monitor *m)
{
	return m->enqueue != -1 || (m->rc != NULL && m->rc->q_on);
}

static const char *
check_rcpt(const struct monitor *m, const struct chan_msg *msg)
{
	if (check_needs_auth(m))
		return "RCPT before AUTH";
	if (msg->f[1][0] == '\0' ||
	    !monitor_field_ok(msg->f[1], ADDR_LOCAL_MAX) ||
	    !monitor_field_ok(msg->f[2], ADDR_DOMAIN_MAX))
		return "a malformed recipient";
	return NULL;
}

static const char *
check_msgstart(const struct monitor *m, const struct chan_msg *msg)
{
	if (check_queueing(m))
		return "MSGSTART while a message is being queued";
	if (!queueid_valid(msg->f[1]))
		return "a malformed queue ID";
	return NULL;
}

/* MSGEND and MSGABORT: a message is being queued, its reply not owed. */
static const char *
check_msgend(const struct monitor *m, const struct chan_msg *msg)
{
	(void)msg;
	if (!check_queueing(m) || (m->rc != NULL && m->rc->q_owed != 0))
		return "the end of no message";
	return NULL;
}

static const char *
check_auth(const struct monitor *m, const struct chan_msg *msg)
{
	if (m->authed)
		return "AUTH after AUTH";
	if (!monitor_field_ok(msg->f[1], CHECK_AUTH_USER_MAX))
		return "a malformed user name";
	return NULL;
}

static const char *
check_sender(const struct monitor *m, const struct chan_msg *msg)
{
	if (!m->authed)
		return "SENDER before AUTH";
	if (!monitor_field_ok(msg->f[1], ADDR_LOCAL_MAX) ||
	    !monitor_field_ok(msg->f[2], ADDR_DOMAIN_MAX))
		return "a malformed sender";
	return NULL;
}

/*
 * STARTTLS errors Hname + the client's socket: only in the resident,
 * from a session of smtpsession (one with a pidfd), once, outside a
 * transaction and before AUTH.
 */
static const char *
check_starttls(const struct monitor *m, const struct chan_msg *msg)
{
	struct stat	 st;
	long long	 errors;

	if (m->rc == NULL || m->rc->pidfd == -1)
		return "STARTTLS from a session that cannot hand it over";
	if (m->rc->q_on || m->authed)
		return "STARTTLS in a transaction or after AUTH";
	if (monitor_starttls_errors(m, msg->f[1], &errors) == -1 ||
	    msg->f[2][0] != 'H' ||
	    !monitor_field_ok(msg->f[2] + 1, MONITOR_PEER_NAME_MAX))
		return "a malformed STARTTLS";
	if (fstat(msg->fds[0], &st) == -1 || !S_ISSOCK(st.st_mode))
		return "STARTTLS without a socket";
	return NULL;
}

int
monitor_starttls_errors(const struct monitor *m, const char *s,
    long long *errors)
{
	return chan_field_num(s, 0, conf_int(m->conf, "smtpd_error_limit"),
	    errors);
}

int
monitor_check(const struct monitor *m, const struct chan_msg *msg,
    const char **why)
{
	int	 t;

	/* in the resident, one request at a time */
	if (m->rc != NULL && (m->rc->auth_fd != -1 || m->rc->q_owed != 0)) {
		*why = "a request while another is pending";
		return -1;
	}
	for (t = 0; t < MREQ_COUNT; t++)
		if (strcmp(monitor_rules[t].name, msg->f[0]) == 0)
			break;
	if (t == MREQ_COUNT) {
		*why = "an unknown request";
		return -1;
	}
	if (monitor_rules[t].nf != msg->nf) {
		*why = "a request with the wrong number of fields";
		return -1;
	}
	if (monitor_rules[t].nfds != msg->nfds) {
		*why = "a request with the wrong number of descriptors";
		return -1;
	}
	if ((*why = monitor_rules[t].check(m, msg)) != NULL)
		return -1;
	return t;
}

const char *
monitor_reqname(int t)
{
	return t >= 0 && t < MREQ_COUNT ? monitor_rules[t].name : "?";
}
