/*
 * smtpd_monitor: the privileged half of smtpd.  It keeps the identity smtpd
 * was started with (root when installed), is not chrooted, and never reads
 * a byte from the network: it only answers the session's framed requests
 * over the socketpair.  Each request is a row of monitor_reqs with its
 * field count; a request that is malformed, unknown or out of order means
 * the session is not behaving, and it is killed.
 *
 * It can do what the chrooted session cannot: look recipients up (local
 * domains, aliases_file, users_file and system accounts), check AUTH
 * credentials (lib/auth: the only process that opens users_file for a
 * password) and the senders an authenticated user may use, and start
 * a child that queues a message (in-process with lib/queue_inject as the
 * queue's owner, or by exec of the set-uid enqueue), handing the two pipe
 * ends to the session with SCM_RIGHTS, then report its exit code.
 *
 * Relay control lives here, so that a subverted session cannot relay: a
 * remote recipient is accepted only after AUTH succeeded here or for a
 * client in mynetworks; in submission and smtps modes no recipient and no
 * sender is accepted before AUTH.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <pwd.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "auth.h"
#include "conf.h"
#include "log.h"
#include "priv.h"
#include "queue_inject.h"
#include "queueid.h"
#include "smtpd.h"
#include "table.h"
#include "users.h"

struct monitor {
	const struct conf	*conf;
	const struct smtpd_opts	*opts;
	struct ipc_chan		 chan;
	pid_t			 session;
	struct table		*aliases;
	int			 aliases_broken;
	pid_t			 enqueue;	/* -1 when none */
	char			 id[QUEUEID_LEN + 1];
	int			 mynet;		/* client in mynetworks */
	unsigned		 fails;		/* AUTH failures */
	int			 authed;
	char			 user[USER_NAME_MAX + 1];	/* AUTH's */
	struct table		*senders;	/* sender_login_file */
	int			 senders_broken;
};

struct monitor_req {
	const char	*name;
	int		 nf;		/* fields, the name included */
	int		(*fn)(struct monitor *, struct ipc_msg *);
};

static int	mon_rcpt(struct monitor *, struct ipc_msg *);
static int	mon_msgstart(struct monitor *, struct ipc_msg *);
static int	mon_msgend(struct monitor *, struct ipc_msg *);
static int	mon_msgabort(struct monitor *, struct ipc_msg *);
static int	mon_auth(struct monitor *, struct ipc_msg *);
static int	mon_sender(struct monitor *, struct ipc_msg *);

/* Adding a request is adding a row. */
static const struct monitor_req monitor_reqs[] = {
	{ "RCPT",	3, mon_rcpt },
	{ "MSGSTART",	2, mon_msgstart },
	{ "MSGEND",	1, mon_msgend },
	{ "MSGABORT",	1, mon_msgabort },
	{ "AUTH",	3, mon_auth },
	{ "SENDER",	3, mon_sender },
	{ NULL,		0, NULL }
};

static int
mon_reply(struct monitor *m, const char *a, const char *b)
{
	const char	*f[2] = { a, b };

	return ipc_send(&m->chan, f, b == NULL ? 1 : 2, NULL, 0);
}

static void
mon_table_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

/* A field from the session: printable, no blanks, bounded. */
static int
mon_field_ok(const char *s, size_t max)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= max || c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

static int
mon_user_exists(struct monitor *m, const char *name, int *temp)
{
	struct user_entry	 ue;
	const char		*file = conf_str(m->conf, "users_file");
	int			 r;

	if (strlen(name) > USER_NAME_MAX)
		return 0;
	r = users_lookup(file, conf_bool(m->conf, "system_users"), name, &ue);
	if (r == -1) {
		log_warnx("users lookup of %s failed", name);
		*temp = 1;
		return 0;
	}
	if (r == 0)
		return 0;
	/* root, daemons and other system ids never receive mail directly. */
	if (ue.uid < (uid_t)conf_int(m->conf, "first_valid_uid") && ue.system)
		return 0;
	return 1;
}

/* Submission and smtps accept nothing before AUTH. */
static int
mon_needs_auth(const struct monitor *m)
{
	return m->opts->mode != SMTPD_MX && !m->authed;
}

static int
mon_rcpt(struct monitor *m, struct ipc_msg *msg)
{
	const char	*local = msg->f[1], *domain = msg->f[2];
	char		 lower[ADDR_LOCAL_MAX + 1];
	size_t		 i;
	int		 temp = 0, local_domain;

	if (!mon_field_ok(local, ADDR_LOCAL_MAX) || local[0] == '\0' ||
	    !mon_field_ok(domain, ADDR_DOMAIN_MAX) || mon_needs_auth(m))
		return -1;
	local_domain = relay_domain_local(m->conf, domain);
	if (relay_local_trick(local))
		return mon_reply(m, "TRICK", NULL);
	if (smtp_is_postmaster(local) && (domain[0] == '\0' || local_domain))
		return mon_reply(m, "OK", NULL);
	if (domain[0] == '\0')
		return mon_reply(m, "NOUSER", NULL);
	if (!local_domain)
		return mon_reply(m, m->authed || m->mynet ? "RELAY" :
		    "NODOMAIN", NULL);
	if (m->aliases_broken)
		return mon_reply(m, "TEMP", NULL);
	if (m->aliases != NULL && table_get(m->aliases, local) != NULL)
		return mon_reply(m, "OK", NULL);
	if (mon_user_exists(m, local, &temp))
		return mon_reply(m, "OK", NULL);
	/* Local parts are matched as given, then in lower case. */
	for (i = 0; local[i] != '\0'; i++)
		lower[i] = (char)tolower((unsigned char)local[i]);
	lower[i] = '\0';
	if (strcmp(lower, local) != 0 && !temp &&
	    mon_user_exists(m, lower, &temp))
		return mon_reply(m, "OK", NULL);
	return mon_reply(m, temp ? "TEMP" : "NOUSER", NULL);
}

/* Execs program with the qmail-queue protocol on fds 0 and 1. */
static void __attribute__((noreturn))
mon_exec_queue_program(struct monitor *m, const char *path, int filter)
{
	const char	*argv[8];
	char		 envid[32 + QUEUEID_LEN], envconf[1100];
	char		*envp[4] = { "PATH=/usr/bin:/bin", NULL, NULL, NULL };
	int		 argc = 0;

	(void)signal(SIGPIPE, SIG_DFL);
	if (m->opts->ids_known)
		priv_drop(m->opts->user_uid, m->opts->user_gid, NULL);
	else
		priv_drop_user(conf_str(m->conf, "smtpd_user"), NULL);
	if (filter) {
		/*
		 * A filter gets no options and a clean environment: the queue
		 * ID smtpd chose (to pass on with enqueue -i) and the config.
		 */
		argv[argc++] = path;
		if ((size_t)snprintf(envid, sizeof(envid), "FACTEUR_QUEUE_ID=%s",
		    m->id) >= sizeof(envid))
			_exit(111);
		envp[1] = envid;
		if (m->opts->confpath != NULL && m->opts->confpath[0] != '\0') {
			if ((size_t)snprintf(envconf, sizeof(envconf),
			    "FACTEUR_CONF=%s", m->opts->confpath) >= sizeof(envconf))
				_exit(111);
			envp[2] = envconf;
		}
	} else {
		argv[argc++] = "enqueue";
		if (m->opts->confpath != NULL && m->opts->confpath[0] != '\0') {
			argv[argc++] = "-C";
			argv[argc++] = m->opts->confpath;
		}
		argv[argc++] = "-i";
		argv[argc++] = m->id;
	}
	argv[argc] = NULL;
	execve(path, (char *const *)argv, filter ? envp : environ);
	log_warn("exec %s", path);
	_exit(111);
}

/*
 * In the child made for one message: queue it, one of three ways.
 *  - smtpd_queue_filter set: exec that program (a content filter speaking
 *    the qmail-queue protocol, which ends by running enqueue);
 *  - the monitor can become the owner of queue_dir (it is root, or already
 *    that user): queue in-process with lib/queue_inject, as that user,
 *    which saves an exec per message;
 *  - otherwise: exec the set-uid program_dir/enqueue as smtpd_user.
 * The child never returns; its exit code is enqueue's.
 */
static void __attribute__((noreturn))
mon_exec_enqueue(struct monitor *m, int msg_r, int env_r)
{
	char			 path[1024];
	const char		*filter = conf_str(m->conf, "smtpd_queue_filter");
	struct queue_inject	 qi;
	struct passwd		*pw;
	struct stat		 st;
	uid_t			 injector;
	gid_t			 gid;
	int			 dirfd;

	(void)signal(SIGCHLD, SIG_DFL);
	if (dup2(msg_r, 0) == -1 || dup2(env_r, 1) == -1)
		_exit(111);
	closefrom(3);
	/* Nothing of the monitor's tables may reach another identity. */
	users_cache_wipe();
	if (filter[0] != '\0')
		mon_exec_queue_program(m, filter, 1);
	if ((size_t)snprintf(path, sizeof(path), "%s/enqueue",
	    conf_str(m->conf, "program_dir")) >= sizeof(path))
		_exit(111);
	dirfd = open(conf_str(m->conf, "queue_dir"),
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1 || fstat(dirfd, &st) == -1 ||
	    (!priv_is_root() && st.st_uid != geteuid()))
		mon_exec_queue_program(m, path, 0);

	queue_inject_init(&qi);
	if (priv_is_root()) {
		/* The U record names smtpd_user, as an exec of enqueue did. */
		if (m->opts->ids_known)
			injector = m->opts->user_uid;
		else if (priv_lookup(conf_str(m->conf, "smtpd_user"),
		    &injector, &gid) == -1)
			_exit(111);
		qi.uid = injector;
		if (st.st_uid != 0) {
			gid = st.st_gid;
			if (m->opts->ids_known && st.st_uid == m->opts->queue_uid)
				gid = m->opts->queue_gid;
			else if ((pw = getpwuid(st.st_uid)) != NULL)
				gid = pw->pw_gid;
			priv_drop(st.st_uid, gid, NULL);
		}
	}
	(void)prctl(PR_SET_DUMPABLE, 0);
	(void)prctl(PR_SET_NAME, "enqueue", 0, 0, 0);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR ||
	    signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
		_exit(111);
	umask(077);
	log_init("enqueue", m->opts->debug);
	log_set_debug(conf_bool(m->conf, "log_debug"));
	qi.dirfd = dirfd;
	qi.wanted_id = m->id;
	_exit(queue_inject(m->conf, &qi, 0, 1));
}

static int
mon_msgstart(struct monitor *m, struct ipc_msg *msg)
{
	int	 pm[2] = { -1, -1 }, pe[2] = { -1, -1 }, fds[2];
	pid_t	 pid;

	if (m->enqueue != -1 || !queueid_valid(msg->f[1]))
		return -1;
	(void)strlcpy(m->id, msg->f[1], sizeof(m->id));
	if (pipe2(pm, O_CLOEXEC) == -1 || pipe2(pe, O_CLOEXEC) == -1) {
		log_warn("%s: pipe", m->id);
		goto temp;
	}
	if ((pid = fork()) == -1) {
		log_warn("%s: fork", m->id);
		goto temp;
	}
	if (pid == 0)
		mon_exec_enqueue(m, pm[0], pe[0]);
	m->enqueue = pid;
	(void)close(pm[0]);
	(void)close(pe[0]);
	fds[0] = pm[1];
	fds[1] = pe[1];
	{
		const char	*f[1] = { "OK" };
		int		 r = ipc_send(&m->chan, f, 1, fds, 2);

		(void)close(pm[1]);
		(void)close(pe[1]);
		return r;
	}
temp:
	if (pm[0] != -1) {
		(void)close(pm[0]);
		(void)close(pm[1]);
	}
	if (pe[0] != -1) {
		(void)close(pe[0]);
		(void)close(pe[1]);
	}
	return mon_reply(m, "TEMP", NULL);
}

/* Waits for enqueue; its exit code, or 111 (temporary) when killed. */
static int
mon_reap(struct monitor *m)
{
	int	 st, code;

	if (m->enqueue == -1)
		return -1;
	while (waitpid(m->enqueue, &st, 0) == -1) {
		if (errno != EINTR) {
			log_warn("%s: waitpid enqueue", m->id);
			m->enqueue = -1;
			return 111;
		}
	}
	m->enqueue = -1;
	if (WIFEXITED(st))
		code = WEXITSTATUS(st);
	else {
		log_warnx("%s: enqueue killed by signal %d", m->id,
		    WTERMSIG(st));
		code = 111;
	}
	return code;
}

static int
mon_msgend(struct monitor *m, struct ipc_msg *msg)
{
	char	 num[16];
	int	 code;

	(void)msg;
	if ((code = mon_reap(m)) == -1)
		return -1;
	(void)snprintf(num, sizeof(num), "%d", code);
	return mon_reply(m, "EXIT", num);
}

static int
mon_msgabort(struct monitor *m, struct ipc_msg *msg)
{
	(void)msg;
	/*
	 * The session closed both pipes without an envelope, so enqueue
	 * fails and removes what it wrote; we only collect it.
	 */
	if (mon_reap(m) == -1)
		return -1;
	return mon_reply(m, "OK", NULL);
}

static int
mon_auth(struct monitor *m, struct ipc_msg *msg)
{
	struct auth_result	 res;
	enum auth_status	 st;
	const char		*user = msg->f[1];
	int			 r;

	/* sasl.c allows 255 octets without control bytes. */
	if (m->authed || !mon_field_ok(user, 255)) {
		explicit_bzero(msg->data, sizeof(msg->data));
		return -1;
	}
	st = auth_check(m->conf, user, msg->f[2], m->opts->peer_addr, &res);
	explicit_bzero(msg->data, sizeof(msg->data));
	if (st == AUTH_OK) {
		m->authed = 1;
		(void)strlcpy(m->user, res.user.name, sizeof(m->user));
		r = mon_reply(m, "OK", NULL);
	} else if (st == AUTH_BAD) {
		m->fails++;
		auth_sleep_ms(auth_fail_delay_ms(m->conf, m->fails, &res));
		r = mon_reply(m, auth_fail_too_many(m->conf, m->fails) ?
		    "CLOSE" : "BAD", NULL);
	} else
		r = mon_reply(m, "TEMP", NULL);
	explicit_bzero(&res, sizeof(res));
	return r;
}

/* 1 if the comma-separated list names the user (case-insensitive). */
static int
mon_owner_listed(const char *list, const char *user)
{
	size_t	 n = strlen(user);
	const char *p = list, *e;

	while (*p != '\0') {
		e = p + strcspn(p, ", \t");
		if ((size_t)(e - p) == n && strncasecmp(p, user, n) == 0)
			return 1;
		p = e + strspn(e, ", \t");
	}
	return 0;
}

/*
 * MAIL FROM of an authenticated client: its own address in every local
 * domain, or what sender_login_file lists for it (by the address, then
 * by "@domain"), keys matched as given and in lower case.
 */
static int
mon_sender(struct monitor *m, struct ipc_msg *msg)
{
	const char	*local = msg->f[1], *domain = msg->f[2], *v;
	char		 key[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2];
	size_t		 i;
	int		 k;

	if (!m->authed || !mon_field_ok(local, ADDR_LOCAL_MAX) ||
	    !mon_field_ok(domain, ADDR_DOMAIN_MAX))
		return -1;
	if (relay_domain_local(m->conf, domain) &&
	    strcasecmp(local, m->user) == 0)
		return mon_reply(m, "OK", NULL);
	if (m->senders_broken)
		return mon_reply(m, "DENIED", NULL);
	for (k = 0; m->senders != NULL && k < 4; k++) {
		if ((size_t)snprintf(key, sizeof(key), "%s@%s",
		    k < 2 ? local : "", domain) >= sizeof(key))
			break;
		if (k % 2 == 1)
			for (i = 0; key[i] != '\0'; i++)
				key[i] = (char)tolower((unsigned char)key[i]);
		if ((v = table_get(m->senders, key)) != NULL &&
		    mon_owner_listed(v, m->user))
			return mon_reply(m, "OK", NULL);
	}
	return mon_reply(m, "DENIED", NULL);
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
monitor_run(const struct conf *conf, const struct smtpd_opts *opts, int sock,
    pid_t session)
{
	struct monitor			 m;
	struct ipc_msg			 msg;
	const struct monitor_req	*rq;
	const char			*afile;
	int				 r;

	memset(&m, 0, sizeof(m));
	m.conf = conf;
	m.opts = opts;
	m.session = session;
	m.enqueue = -1;
	ipc_init(&m.chan, sock);
	afile = conf_str(conf, "aliases_file");
	if (afile[0] != '\0' && (m.aliases = table_load(afile, TABLE_ALIASES,
	    mon_table_error, NULL)) == NULL) {
		log_warnx("%s: cannot load; recipients get 451", afile);
		m.aliases_broken = 1;
	}
	m.mynet = relay_in_mynetworks(conf, opts->peer_addr);
	afile = conf_str(conf, "sender_login_file");
	if (afile[0] != '\0' && (m.senders = table_load(afile, TABLE_MAP,
	    mon_table_error, NULL)) == NULL) {
		log_warnx("%s: cannot load; only own addresses", afile);
		m.senders_broken = 1;
	}
	for (;;) {
		r = ipc_recv(&m.chan, &msg);
		if (r == 0)
			break;
		if (r == -1) {
			log_warnx("malformed request from the session; killing it");
			goto kill;
		}
		if (msg.nfds > 0) {
			ipc_msg_close_fds(&msg);
			log_warnx("descriptors from the session; killing it");
			goto kill;
		}
		for (rq = monitor_reqs; rq->name != NULL; rq++)
			if (strcmp(rq->name, msg.f[0]) == 0)
				break;
		if (rq->name == NULL || rq->nf != msg.nf) {
			log_warnx("bad request from the session; killing it");
			goto kill;
		}
		if (rq->fn(&m, &msg) == -1) {
			log_warnx("request %s failed; ending the session",
			    rq->name);
			goto kill;
		}
	}
	(void)mon_reap(&m);
	if (m.aliases != NULL)
		table_free(m.aliases);
	if (m.senders != NULL)
		table_free(m.senders);
	buf_wipe(&m.chan.in);
	return mon_wait_session(&m);
kill:
	(void)kill(m.session, SIGKILL);
	(void)mon_wait_session(&m);
	(void)mon_reap(&m);
	if (m.aliases != NULL)
		table_free(m.aliases);
	if (m.senders != NULL)
		table_free(m.senders);
	buf_wipe(&m.chan.in);
	return 1;
}
