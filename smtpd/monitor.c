/*
 * monitor: the privileged half of smtpd.  It keeps the identity smtpd
 * was started with (root when installed), is not chrooted, and never reads
 * a byte from the network: it only answers the session's framed requests
 * over the socketpair.  Each request is checked first by monitor_check
 * (monitor_check.c: its fields, descriptors and the state it is allowed
 * in); a request that is malformed, unknown or out of order means the
 * session is not behaving, and it is killed.
 *
 * It can do what the chrooted session cannot: approve the sender and each
 * recipient (monitor_tx.c: local domains, aliases_file, users_file and
 * system accounts; relay control), check AUTH credentials (lib/auth: the
 * only process that opens users_file for a password), and have a message
 * queued (monitor_queue.c): the session gets only the message pipe and
 * the monitor writes the envelope from what it approved, so a subverted
 * session can neither relay nor queue for a recipient it was refused.
 * A remote recipient is approved only after AUTH succeeded here or for a
 * client in mynetworks; in submission and smtps modes no sender and no
 * recipient is approved before AUTH.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "lroute.h"
#include "auth.h"
#include "conf.h"
#include "log.h"
#include "priv.h"
#include "queue_inject.h"
#include "queueid.h"
#include "smtpd.h"
#include "smtpd_monitor.h"
#include "table.h"
#include "users.h"


static int	mon_auth(struct monitor *, struct chan_msg *);
static int	mon_starttls(struct monitor *, struct chan_msg *);

/*
 * The handler of each request, which monitor_check (monitor_check.c)
 * has checked: adding a request is adding a row there and here.
 */
static int (*const monitor_handlers[MREQ_COUNT])(struct monitor *,
    struct chan_msg *) = {
	[MREQ_MAIL] =		monitor_tx_mail,
	[MREQ_RCPT] =		monitor_tx_rcpt,
	[MREQ_MSGSTART] =	monitor_queue_start,
	[MREQ_MSGEND] =		monitor_queue_end,
	[MREQ_MSGABORT] =	monitor_queue_abort,
	[MREQ_AUTH] =		mon_auth,
	[MREQ_STARTTLS] =	mon_starttls,
};

int
monitor_reply(struct monitor *m, const char *a, const char *b)
{
	const char	*f[2] = { a, b };

	return chan_send(&m->chan, f, b == NULL ? 1 : 2, NULL, 0);
}

static void
mon_table_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

static int
mon_auth(struct monitor *m, struct chan_msg *msg)
{
	struct auth_result	 res;
	enum auth_status	 st;
	const char		*user = msg->f[1];
	int			 r;

	/* monitor_check saw no AUTH before, nor CLOSE, and the user's form */
	if (m->rc != NULL)
		return resident_auth_start(m, msg);
	st = auth_check(m->conf, user, msg->f[2], m->opts->peer_addr, &res);
	chan_msg_wipe(msg);
	if (st == AUTH_OK) {
		m->authed = 1;
		(void)strlcpy(m->user, res.user.name, sizeof(m->user));
		r = monitor_reply(m, "OK", NULL);
	} else if (st == AUTH_BAD) {
		m->fails++;
		auth_sleep_ms(auth_fail_delay_ms(m->conf, m->fails, &res));
		r = monitor_reply(m, auth_fail_too_many(m->conf, m->fails) ?
		    "CLOSE" : "BAD", NULL);
	} else
		r = monitor_reply(m, "TEMP", NULL);
	explicit_bzero(&res, sizeof(res));
	return r;
}

/* Only a session of smtpsession hands STARTTLS over, to a resident. */
static int
mon_starttls(struct monitor *m, struct chan_msg *msg)
{
	return resident_conn_starttls(m, msg);
}

static int
mon_wait_session(struct monitor *m)
{
	int	 st;

	while (waitpid(m->session, &st, 0) == -1)
		if (errno != EINTR)
			return 111;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WTERMSIG(st) != SIGKILL && WTERMSIG(st) != SIGTERM)
		log_warnx("session killed by signal %d", WTERMSIG(st));
	return 111;
}

int
monitor_request(struct monitor *m, struct chan_msg *msg)
{
	const char	*why;
	int		 t;

	if ((t = monitor_check(m, msg, &why)) == -1) {
		/* a password in a refused AUTH goes too */
		chan_msg_wipe(msg);
		log_warnx("%s: %s; killing the session", m->opts->peer_addr,
		    why);
		return -1;
	}
	if (monitor_handlers[t](m, msg) == -1) {
		log_warnx("request %s failed; ending the session",
		    monitor_reqname(t));
		return -1;
	}
	return 0;
}

int
monitor_run(const struct conf *conf, const struct smtpd_opts *opts, int sock,
    pid_t session)
{
	struct monitor	 m;
	struct chan_msg	 msg;
	struct table	*aliases = NULL, *senders = NULL, *valias;
	const char	*afile;
	int		 r, code;

	memset(&m, 0, sizeof(m));
	m.conf = conf;
	m.opts = opts;
	m.session = session;
	m.enqueue = -1;
	monitor_tx_init(&m);
	chan_init(&m.chan, sock, CHAN_PACKET, SMTPD_CHAN_MAX);
	afile = conf_str(conf, "aliases_file");
	if (afile[0] != '\0' && (aliases = table_load(afile, TABLE_ALIASES,
	    mon_table_error, NULL)) == NULL) {
		log_warnx("%s: cannot load; recipients get 451", afile);
		m.aliases_broken = 1;
	}
	m.aliases = aliases;
	m.valias = valias = lroute_virtual_load(conf, mon_table_error, NULL,
	    &m.valias_broken);
	if (m.valias_broken)
		log_warnx("virtual_alias_maps: cannot load; recipients get "
		    "451");
	m.mynet = monitor_relay_mynetworks(conf, opts->peer_addr);
	afile = conf_str(conf, "sender_login_file");
	if (afile[0] != '\0' && (senders = table_load(afile, TABLE_MAP,
	    mon_table_error, NULL)) == NULL) {
		log_warnx("%s: cannot load; only own addresses", afile);
		m.senders_broken = 1;
	}
	m.senders = senders;
	for (;;) {
		r = chan_recv(&m.chan, &msg);
		if (r == 0)
			break;
		if (r == -1)
			log_warnx("malformed request from the session; killing it");
		if (r == -1 || monitor_request(&m, &msg) == -1) {
			(void)kill(m.session, SIGKILL);
			break;
		}
	}
	code = mon_wait_session(&m);
	if (r != 0)
		code = 1;
	/* a message in progress gets no envelope: enqueue gives up */
	monitor_tx_drop(&m);
	(void)monitor_queue_reap(&m);
	monitor_tx_free(&m);
	if (aliases != NULL)
		table_free(aliases);
	table_free(valias);
	if (senders != NULL)
		table_free(senders);
	chan_close(&m.chan);
	return code;
}
