/*
 * monitor_tx: the transaction as the monitor approves it, and the envelope
 * it writes from that.  The session asks MAIL with the sender and RCPT
 * with each recipient; the monitor parses each path itself (lib/mail
 * path_parse), decides, and records what it approved:
 *
 *   MAIL <path> UTF8|ASCII RET ENVID
 *                           -> OK | DENIED   (the sender: any in mx mode
 *                              without AUTH; after AUTH, the user's own
 *                              addresses or what sender_login_file grants)
 *   RCPT <path> NOTIFY ORCPT
 *                           -> OK | RELAY | NOUSER | NODOMAIN | TRICK |
 *                              TEMP      (local recipients; remote ones
 *                              only after AUTH or for mynetworks)
 *
 * RET, ENVID, NOTIFY and ORCPT are RFC 3461's parameters as the client
 * sent them ("" when it did not): parsed again here (lib/dsn), recorded
 * decoded, and a value the session should have refused gets it killed.
 *
 * The envelope of a message is written by the monitor into the envelope
 * pipe of the queue writer (monitor_tx_flush, at MSGEND), from these
 * records only: "F<sender>\0" "T<rcpt>\0"... "\0", then the extension
 * of lib/queue/qmail_env.h with the message's origin (smtp) and the DSN
 * parameters approved with them.  The session holds
 * only the message pipe, so a subverted session can choose the content of
 * its message, never its envelope.  MSGSTART is refused unless a sender
 * and at least one recipient were approved (monitor_tx_ready).
 *
 * A request the honest session never sends (MAIL or RCPT before AUTH
 * where AUTH is required, RCPT before MAIL, either while a message is
 * being queued, a path that does not parse, more recipients than
 * smtpd_recipient_limit) gets the session killed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "qmail_env.h"
#include "queue_env.h"
#include "smtp_cmd.h"
#include "smtpd.h"
#include "smtpd_monitor.h"
#include "table.h"
#include "users.h"

/* One record: its tag, an address, its NUL. */
#define TX_REC_MAX	(ADDR_TEXT_MAX + 2)
/* A recipient's N and O records in the extension. */
#define TX_DSN_MAX	(DSN_NOTIFY_TEXT_MAX + DSN_ORCPT_MAX + 4)

void
monitor_tx_init(struct monitor *m)
{
	size_t	 limit = (size_t)conf_int(m->conf, "smtpd_recipient_limit");

	m->tx_open = m->tx_utf8 = 0;
	m->tx_nrcpt = 0;
	/* the sender, the recipients, the final NUL, the extension */
	buf_init(&m->tx_env, (limit + 1) * (TX_REC_MAX + TX_DSN_MAX) + 256);
	m->tx_ret = 0;
	m->tx_envid[0] = '\0';
	m->tx_notify = NULL;
	m->tx_orcpt = NULL;
	m->tx_cap = 0;
	m->env_w = -1;
	m->env_off = 0;
	m->env_sent = 0;
}

/* Forgets the recipients' DSN parameters. */
static void
tx_dsn_clear(struct monitor *m)
{
	size_t	 i;

	if (m->tx_orcpt != NULL)
		for (i = 0; i < m->tx_nrcpt && i < m->tx_cap; i++) {
			free(m->tx_orcpt[i]);
			m->tx_orcpt[i] = NULL;
		}
	m->tx_ret = 0;
	m->tx_envid[0] = '\0';
}

void
monitor_tx_reset(struct monitor *m)
{
	tx_dsn_clear(m);
	m->tx_open = m->tx_utf8 = 0;
	m->tx_nrcpt = 0;
	m->env_sent = 0;
	buf_reset(&m->tx_env);
}

void
monitor_tx_free(struct monitor *m)
{
	monitor_tx_drop(m);
	tx_dsn_clear(m);
	free(m->tx_notify);
	free(m->tx_orcpt);
	m->tx_notify = NULL;
	m->tx_orcpt = NULL;
	m->tx_cap = 0;
	buf_free(&m->tx_env);
}

static int
tx_record(struct monitor *m, int tag, const char *a, const char *b)
{
	if (buf_putc(&m->tx_env, tag) == -1 ||
	    buf_append_str(&m->tx_env, a) == -1 ||
	    (b != NULL && (buf_putc(&m->tx_env, '@') == -1 ||
	    buf_append_str(&m->tx_env, b) == -1)) ||
	    buf_putc(&m->tx_env, '\0') == -1)
		return -1;
	return 0;
}

/* 1 if the comma-separated list names the user (case-insensitive). */
static int
tx_owner_listed(const char *list, const char *user)
{
	size_t		 n = strlen(user);
	const char	*p = list, *e;

	while (*p != '\0') {
		e = p + strcspn(p, ", \t");
		if ((size_t)(e - p) == n && strncasecmp(p, user, n) == 0)
			return 1;
		p = e + strspn(e, ", \t");
	}
	return 0;
}

/*
 * The sender of an authenticated client: its own address in every local
 * domain, or what sender_login_file lists for it (by the address, then
 * by "@domain"), keys matched as given and in lower case.
 */
static int
tx_sender_owned(const struct monitor *m, const struct mailpath *p)
{
	char		 key[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	const char	*v;
	size_t		 i;
	int		 k;

	if (p->null)
		return 1;
	if (monitor_relay_domain_local(m->conf, p->domain) &&
	    strcasecmp(p->local, m->user) == 0)
		return 1;
	if (m->senders_broken)
		return 0;
	for (k = 0; m->senders != NULL && k < 4; k++) {
		if ((size_t)snprintf(key, sizeof(key), "%s@%s",
		    k < 2 ? p->local : "", p->domain) >= sizeof(key))
			break;
		if (k % 2 == 1)
			for (i = 0; key[i] != '\0'; i++)
				key[i] = (char)tolower((unsigned char)key[i]);
		if ((v = table_get(m->senders, key)) != NULL &&
		    tx_owner_listed(v, m->user))
			return 1;
	}
	return 0;
}

int
monitor_tx_mail(struct monitor *m, struct chan_msg *msg)
{
	struct mailpath	 p;
	char		 envid[DSN_ENVID_MAX + 1];
	int		 utf8 = strcmp(msg->f[2], "UTF8") == 0, ret = 0;

	/* monitor_check saw the state allow it, and the path parse */
	if (monitor_path(m, msg, MREQ_MAIL, &p) == -1)
		return -1;
	/* RET and ENVID: what the session's parser let through, or nothing */
	envid[0] = '\0';
	if ((msg->f[3][0] != '\0' && dsn_ret_parse(msg->f[3],
	    strlen(msg->f[3]), &ret) == -1) ||
	    (msg->f[4][0] != '\0' && (strlen(msg->f[4]) > DSN_ENVID_MAX ||
	    dsn_envid_parse(msg->f[4], strlen(msg->f[4]), envid,
	    sizeof(envid)) == -1)))
		return -1;
	monitor_tx_reset(m);
	if (m->authed && !tx_sender_owned(m, &p))
		return monitor_reply(m, "DENIED", NULL);
	if (tx_record(m, 'F', p.text, NULL) == -1) {
		log_warnx("the envelope: %s", strerror(errno));
		return monitor_reply(m, "DENIED", NULL);
	}
	m->tx_open = 1;
	m->tx_utf8 = utf8;
	m->tx_ret = ret;
	(void)strlcpy(m->tx_envid, envid, sizeof(m->tx_envid));
	return monitor_reply(m, "OK", NULL);
}

/* The verdict on one recipient: "OK", "RELAY" (both approved) or another. */
static const char *
tx_rcpt_verdict(struct monitor *m, const char *local, const char *domain)
{
	const char	*answer;
	int		 local_domain;

	local_domain = monitor_relay_domain_local(m->conf, domain);
	if (monitor_relay_local_trick(local))
		return "TRICK";
	if (smtp_is_postmaster(local) && (domain[0] == '\0' || local_domain))
		return "OK";
	if (domain[0] == '\0')
		return "NOUSER";
	/* virtual aliases, virtual domains, local users (monitor_local.c) */
	if ((answer = monitor_local_rcpt(m, local, domain)) != NULL)
		return answer;
	return m->authed || m->mynet ? "RELAY" : "NODOMAIN";
}

/* Room for the DSN parameters of one more recipient; 0 or -1. */
static int
tx_dsn_room(struct monitor *m)
{
	size_t	 ncap;
	int	*nn;
	char	**no;

	if (m->tx_nrcpt < m->tx_cap)
		return 0;
	ncap = m->tx_cap == 0 ? 16 : m->tx_cap * 2;
	if ((nn = reallocarray(m->tx_notify, ncap, sizeof(*nn))) == NULL)
		return -1;
	m->tx_notify = nn;
	if ((no = reallocarray(m->tx_orcpt, ncap, sizeof(*no))) == NULL)
		return -1;
	memset(no + m->tx_cap, 0, (ncap - m->tx_cap) * sizeof(*no));
	m->tx_orcpt = no;
	m->tx_cap = ncap;
	return 0;
}

int
monitor_tx_rcpt(struct monitor *m, struct chan_msg *msg)
{
	struct mailpath	 p;
	const char	*v;
	char		 orcpt[DSN_ORCPT_MAX + 1];
	int		 r, notify = 0;

	/* monitor_check saw the state allow it, and the path parse */
	if (monitor_path(m, msg, MREQ_RCPT, &p) == -1)
		return -1;
	/* NOTIFY and ORCPT, as for MAIL's */
	orcpt[0] = '\0';
	if ((msg->f[2][0] != '\0' && dsn_notify_parse(msg->f[2],
	    strlen(msg->f[2]), &notify) == -1) ||
	    (msg->f[3][0] != '\0' && (strlen(msg->f[3]) > DSN_ORCPT_MAX ||
	    dsn_orcpt_parse(msg->f[3], strlen(msg->f[3]), orcpt,
	    sizeof(orcpt)) == -1)))
		return -1;
	v = tx_rcpt_verdict(m, p.local, p.domain);
	if ((strcmp(v, "OK") == 0 || strcmp(v, "RELAY") == 0) &&
	    tx_dsn_room(m) == -1) {
		log_warnx("the envelope: %s", strerror(errno));
		return monitor_reply(m, "TEMP", NULL);
	}
	if (strcmp(v, "OK") == 0 || strcmp(v, "RELAY") == 0) {
		/* <postmaster>: RFC 5321 4.5.1, here on this host */
		if (p.domain[0] == '\0')
			r = tx_record(m, 'T', p.local, conf_myhostname(m->conf));
		else
			r = tx_record(m, 'T', p.text, NULL);
		if (r == -1) {
			log_warnx("the envelope: %s", strerror(errno));
			return monitor_reply(m, "TEMP", NULL);
		}
		m->tx_notify[m->tx_nrcpt] = notify;
		free(m->tx_orcpt[m->tx_nrcpt]);
		m->tx_orcpt[m->tx_nrcpt] = NULL;
		if (orcpt[0] != '\0' &&
		    (m->tx_orcpt[m->tx_nrcpt] = strdup(orcpt)) == NULL) {
			log_warnx("the envelope: %s", strerror(errno));
			return monitor_reply(m, "TEMP", NULL);
		}
		m->tx_nrcpt++;
	}
	return monitor_reply(m, v, NULL);
}

/* The envelope's extension: the origin and the DSN parameters. */
static int
tx_extension(struct monitor *m)
{
	struct qmail_env_dsn	 d;
	size_t			 i;
	int			 any = 0;

	memset(&d, 0, sizeof(d));
	d.origin = QUEUE_ORIGIN_SMTP;
	d.ret = m->tx_ret;
	d.envid = m->tx_envid[0] != '\0' ? m->tx_envid : NULL;
	for (i = 0; i < m->tx_nrcpt; i++)
		if (m->tx_notify[i] != 0 || m->tx_orcpt[i] != NULL)
			any = 1;
	if (any) {
		d.notify = m->tx_notify;
		d.orcpt = (const char *const *)m->tx_orcpt;
	}
	return qmail_env_dsn_append(&m->tx_env, m->tx_nrcpt, &d);
}

int
monitor_tx_seal(struct monitor *m)
{
	if (!monitor_tx_ready(m) || buf_putc(&m->tx_env, '\0') == -1 ||
	    tx_extension(m) == -1) {
		log_warnx("%s: no envelope to write", m->id);
		monitor_tx_drop(m);
		return -1;
	}
	m->env_off = 0;
	m->env_sent = 0;
	return 0;
}

int
monitor_tx_flush(struct monitor *m)
{
	ssize_t	 n;

	if (m->env_w == -1)
		return 1;
	while (m->env_off < m->tx_env.len) {
		n = write(m->env_w, m->tx_env.data + m->env_off,
		    m->tx_env.len - m->env_off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n == -1) {
			/* the queue writer is gone; its result says so */
			log_warn("%s: writing the envelope", m->id);
			break;
		}
		m->env_off += (size_t)n;
	}
	m->env_sent = m->env_off == m->tx_env.len;
	(void)close(m->env_w);
	m->env_w = -1;
	m->env_off = 0;
	return 1;
}

void
monitor_tx_drop(struct monitor *m)
{
	if (m->env_w != -1)
		(void)close(m->env_w);
	m->env_w = -1;
	m->env_off = 0;
}
