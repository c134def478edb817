/*
 * monitor_check: whether a monitor takes a session's request at all,
 * before anything is looked up, forked, written or answered.  The session
 * reads the network, so a frame it sends is a stranger's until checked
 * here: the request must be one of the table below with exactly its
 * fields and descriptors, be allowed in the connection's state (nothing
 * while an AUTH check or a queue reply is pending in the resident; MAIL
 * and RCPT only after AUTH where it is required and never while a
 * message is being queued, RCPT only after MAIL and up to
 * smtpd_recipient_limit; MSGSTART only for an approved transaction;
 * MSGEND and MSGABORT only while a message is being queued; AUTH only
 * once and never after CLOSE; STARTTLS only from a session of
 * smtpsession, outside a transaction and before AUTH, with the
 * connection's own socket), and its fields must be of the documented
 * form and length (a path that parses, RFC 3461's RET, ENVID, NOTIFY
 * and ORCPT as lib/dsn parses them, a queue ID, a user name, an error
 * count).  monitor_request (monitor.c) kills the session for anything
 * refused here; the handlers act on what passed.  The same function is
 * driven by the fuzz target fuzz_smtpd_monitor.
 *
 * Trust: nothing of the frame; the monitor's own state.  It reads the
 * frame and fstat()s and getpeername()s its descriptor, and changes
 * nothing.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <stddef.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "chan.h"
#include "conf.h"
#include "dsn.h"
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

static const char	*check_mail(const struct monitor *,
			    const struct chan_msg *);
static const char	*check_rcpt(const struct monitor *,
			    const struct chan_msg *);
static const char	*check_msgstart(const struct monitor *,
			    const struct chan_msg *);
static const char	*check_msgend(const struct monitor *,
			    const struct chan_msg *);
static const char	*check_auth(const struct monitor *,
			    const struct chan_msg *);
static const char	*check_starttls(const struct monitor *,
			    const struct chan_msg *);

/* Indexed by enum monitor_reqtype: adding a request is adding a row. */
static const struct monitor_rule monitor_rules[MREQ_COUNT] = {
	[MREQ_MAIL] =		{ "MAIL",	5, 0, check_mail },
	[MREQ_RCPT] =		{ "RCPT",	4, 0, check_rcpt },
	[MREQ_MSGSTART] =	{ "MSGSTART",	2, 0, check_msgstart },
	[MREQ_MSGEND] =		{ "MSGEND",	1, 0, check_msgend },
	[MREQ_MSGABORT] =	{ "MSGABORT",	1, 0, check_msgend },
	[MREQ_AUTH] =		{ "AUTH",	3, 0, check_auth },
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

int
monitor_needs_auth(const struct monitor *m)
{
	return m->opts->mode != SMTPD_MX && !m->authed;
}

int
monitor_queue_busy(const struct monitor *m)
{
	return m->enqueue != -1 || m->env_w != -1 ||
	    (m->rc != NULL && m->rc->q_on);
}

int
monitor_tx_ready(const struct monitor *m)
{
	return m->tx_open && m->tx_nrcpt > 0 && !monitor_needs_auth(m);
}

int
monitor_path(const struct monitor *m, const struct chan_msg *msg, int t,
    struct mailpath *p)
{
	const char	*why = NULL, *s = msg->f[1];
	size_t		 n = strlen(s), used = 0;
	int		 flags;

	if (t == MREQ_MAIL)
		flags = PATH_ALLOW_NULL | (strcmp(msg->f[2], "UTF8") == 0 ?
		    PATH_ALLOW_UTF8 : 0);
	else
		flags = PATH_ALLOW_NO_DOMAIN |
		    (m->tx_utf8 ? PATH_ALLOW_UTF8 : 0);
	if (n > ADDR_TEXT_MAX + 2 || path_parse(s, n, flags, p, &used,
	    &why) == -1 || used != n)
		return -1;
	if (t == MREQ_RCPT && (p->null || p->local[0] == '\0'))
		return -1;
	return 0;
}

static const char *
check_mail(const struct monitor *m, const struct chan_msg *msg)
{
	struct mailpath	 p;
	char		 envid[DSN_ENVID_MAX + 1];
	int		 ret;

	if (monitor_needs_auth(m))
		return "MAIL before AUTH";
	if (monitor_queue_busy(m))
		return "MAIL while a message is being queued";
	if ((strcmp(msg->f[2], "UTF8") != 0 &&
	    strcmp(msg->f[2], "ASCII") != 0) ||
	    monitor_path(m, msg, MREQ_MAIL, &p) == -1)
		return "a malformed sender";
	/* RET and ENVID: what the session's parser let through, or "" */
	if ((msg->f[3][0] != '\0' && dsn_ret_parse(msg->f[3],
	    strlen(msg->f[3]), &ret) == -1) ||
	    (msg->f[4][0] != '\0' && (strlen(msg->f[4]) > DSN_ENVID_MAX ||
	    dsn_envid_parse(msg->f[4], strlen(msg->f[4]), envid,
	    sizeof(envid)) == -1)))
		return "a malformed RET or ENVID";
	return NULL;
}

static const char *
check_rcpt(const struct monitor *m, const struct chan_msg *msg)
{
	struct mailpath	 p;
	char		 orcpt[DSN_ORCPT_MAX + 1];
	int		 notify;

	if (monitor_needs_auth(m))
		return "RCPT before AUTH";
	if (!m->tx_open)
		return "RCPT before MAIL";
	if (monitor_queue_busy(m))
		return "RCPT while a message is being queued";
	if (m->tx_nrcpt >= (size_t)conf_int(m->conf, "smtpd_recipient_limit"))
		return "RCPT past smtpd_recipient_limit";
	if (monitor_path(m, msg, MREQ_RCPT, &p) == -1)
		return "a malformed recipient";
	/* NOTIFY and ORCPT, as for MAIL's */
	if ((msg->f[2][0] != '\0' && dsn_notify_parse(msg->f[2],
	    strlen(msg->f[2]), &notify) == -1) ||
	    (msg->f[3][0] != '\0' && (strlen(msg->f[3]) > DSN_ORCPT_MAX ||
	    dsn_orcpt_parse(msg->f[3], strlen(msg->f[3]), orcpt,
	    sizeof(orcpt)) == -1)))
		return "a malformed NOTIFY or ORCPT";
	return NULL;
}

static const char *
check_msgstart(const struct monitor *m, const struct chan_msg *msg)
{
	if (monitor_queue_busy(m))
		return "MSGSTART while a message is being queued";
	if (!monitor_tx_ready(m))
		return "MSGSTART without an approved sender and recipient";
	if (!queueid_valid(msg->f[1]))
		return "a malformed queue ID";
	return NULL;
}

/* MSGEND and MSGABORT: a message is being queued, its reply not owed. */
static const char *
check_msgend(const struct monitor *m, const struct chan_msg *msg)
{
	(void)msg;
	if (!monitor_queue_busy(m) || (m->rc != NULL && m->rc->q_owed != 0))
		return "the end of no message";
	return NULL;
}

static const char *
check_auth(const struct monitor *m, const struct chan_msg *msg)
{
	if (m->authed)
		return "AUTH after AUTH";
	/*
	 * After CLOSE (too many failures) the honest session has closed:
	 * one more AUTH is a subverted session trying past auth_fail_limit.
	 */
	if (auth_fail_too_many(m->conf, m->fails))
		return "AUTH after too many failures";
	if (!monitor_field_ok(msg->f[1], CHECK_AUTH_USER_MAX))
		return "a malformed user name";
	return NULL;
}

/*
 * 1 if fd is the connection's own socket: the same socket (sockfs
 * device and inode, recorded when the connection came) with the same
 * peer address and port.
 */
static int
check_same_client(const struct rconn *rc, int fd)
{
	struct sockaddr_storage	 peer;
	struct stat		 st;
	socklen_t		 len = sizeof(peer);

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    st.st_dev != rc->sock_dev || st.st_ino != rc->sock_ino)
		return 0;
	memset(&peer, 0, sizeof(peer));
	if (getpeername(fd, (struct sockaddr *)&peer, &len) == -1)
		len = 0;
	return len == rc->peerlen && memcmp(&peer, &rc->peer, len) == 0;
}

/*
 * STARTTLS errors Hname + the client's socket: only in the resident,
 * from a session of smtpsession (spawned), once, outside a
 * transaction and before AUTH, and with the connection's own socket:
 * never another one the session opened or was given.
 */
static const char *
check_starttls(const struct monitor *m, const struct chan_msg *msg)
{
	long long	 errors;

	if (m->rc == NULL || !m->rc->spawned)
		return "STARTTLS from a session that cannot hand it over";
	if (m->rc->q_on || m->authed)
		return "STARTTLS in a transaction or after AUTH";
	if (monitor_starttls_errors(m, msg->f[1], &errors) == -1 ||
	    msg->f[2][0] != 'H' ||
	    !monitor_field_ok(msg->f[2] + 1, MONITOR_PEER_NAME_MAX))
		return "a malformed STARTTLS";
	if (!check_same_client(m->rc, msg->fds[0]))
		return "STARTTLS: the handed descriptor is not the client's "
		    "connection";
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
