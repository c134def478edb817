/*
 * resident_conn: one connection of the resident smtpd.  The resident forks
 * the session for it (the same chrooted, unprivileged session_run as a
 * per-connection smtpd's) and is its monitor: the session's requests
 * arrive on its channel (lib/ipc/chan.h) and are answered by
 * monitor_request (monitor.c), from the resident's poll loop.  So a
 * connection is one process, not two, and the resident never waits for
 * it:
 *
 *  - AUTH is checked in a child (resident_auth.c);
 *  - a message is read by a queue writer (resident_qpool.c) or, failing
 *    that, by a child of its own (monitor_queue_child); MSGEND and
 *    MSGABORT are answered when it is done;
 *  - a session that sends a request while one of these is pending, or
 *    anything that is not a request, is killed, as a monitor of its own
 *    would kill it.
 */
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "chan.h"
#include "child.h"
#include "conf.h"
#include "fdio.h"
#include "log.h"
#include "smtpd.h"
#include "smtpd_resident.h"
#include "table.h"
#include "tls.h"
#include "users.h"


static void
resident_conn_table_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

/* Loads the table at path again when its file changed since the last time. */
static void
resident_conn_table_refresh(struct rtable *rt, const char *path,
    enum table_format fmt, const char *what)
{
	struct stat	 st;
	int		 have_st;

	if (path[0] == '\0') {
		if (rt->t != NULL)
			table_free(rt->t);
		memset(rt, 0, sizeof(*rt));
		return;
	}
	have_st = stat(path, &st) == 0;
	if (have_st && rt->t != NULL &&
	    st.st_dev == rt->dev && st.st_ino == rt->ino &&
	    st.st_size == rt->size &&
	    st.st_mtim.tv_sec == rt->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == rt->mtime.tv_nsec)
		return;
	if (rt->t != NULL)
		table_free(rt->t);
	memset(rt, 0, sizeof(*rt));
	if ((rt->t = table_load(path, fmt, resident_conn_table_error, NULL)) == NULL) {
		log_warnx("%s: cannot load; %s", path, what);
		rt->broken = 1;
		return;
	}
	/* without a stat the identity stays zero: loaded again next time */
	if (have_st) {
		rt->dev = st.st_dev;
		rt->ino = st.st_ino;
		rt->size = st.st_size;
		rt->mtime = st.st_mtim;
	}
}

void
resident_conn_tables(struct resident *r)
{
	resident_conn_table_refresh(&r->aliases, conf_str(r->conf, "aliases_file"),
	    TABLE_ALIASES, "recipients get 451");
	resident_conn_table_refresh(&r->senders, conf_str(r->conf,
	    "sender_login_file"), TABLE_MAP, "only own addresses");
	resident_conn_table_refresh(&r->valias, conf_str(r->conf,
	    "virtual_alias_maps"), TABLE_ADDRS, "recipients get 451");
}

/*
 * In a forked child about to be a session: the client on fds 0 and 1,
 * stderr as it was, its channel on SMTPD_SESSION_CHAN_FD, nothing else.
 */
static void
resident_conn_child_session_fds(int fd, int sock)
{
	const int	 fds[SMTPD_SESSION_CHAN_FD + 1] = { fd, fd, 2, sock };

	(void)signal(SIGHUP, SIG_DFL);
	/* Nothing of the other connections, the writers, the master. */
	if (child_fds(fds, SMTPD_SESSION_CHAN_FD + 1) == -1)
		_exit(111);
	log_reopen();
	/* The users table (password hashes) stays with the resident. */
	users_cache_wipe();
	if (fd_set_nonblock(0, 0) == -1)
		_exit(111);
}

/*
 * Forks, here, a session for the client on fd talking on sock[1]: a new
 * one, or, with h, one that goes on after a handed-over STARTTLS.  Its
 * pid, or -1.
 */
static pid_t
resident_conn_fork_session(struct rconn *rc, int fd, const int sock[2],
    const struct session_handoff *h)
{
	const struct conf	*conf = rc->res->conf;
	pid_t			 pid;

	if ((pid = child_fork("smtpd", 0)) == -1) {
		log_warn("resident: fork");
		return -1;
	}
	if (pid != 0)
		return pid;
	(void)close(sock[0]);
	resident_conn_child_session_fds(fd, sock[1]);
	if (h != NULL)
		session_resume_tls(conf, &rc->opts, SMTPD_SESSION_CHAN_FD, h);
	smtpd_prepare(conf, &rc->opts);
	session_run(conf, &rc->opts, SMTPD_SESSION_CHAN_FD);
	_exit(111);
}

/* Records what identifies the client's socket (0), or -1. */
static int
resident_conn_identify(struct rconn *rc, int fd)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode))
		return -1;
	rc->sock_dev = st.st_dev;
	rc->sock_ino = st.st_ino;
	rc->peerlen = sizeof(rc->peer);
	if (getpeername(fd, (struct sockaddr *)&rc->peer, &rc->peerlen) == -1)
		rc->peerlen = 0;
	return 0;
}

struct rconn *
resident_conn_open(struct resident *r, int fd, long long seq, int over)
{
	struct rconn	*rc;
	int		 sp[2], pidfd;
	pid_t		 pid;

	if ((rc = calloc(1, sizeof(*rc))) == NULL) {
		log_warn("resident: connection");
		return NULL;
	}
	rc->opts = *r->opts;
	rc->opts.overloaded = over;
	rc->opts.monitor = getpid();
	smtpd_peer_of(fd, rc->opts.peer_addr, sizeof(rc->opts.peer_addr));
	rc->res = r;
	rc->seq = seq;
	rc->start = time(NULL);
	rc->auth_pid = rc->q_child = -1;
	rc->auth_fd = rc->q_writer = -1;
	if (resident_conn_identify(rc, fd) == -1) {
		log_warnx("resident: the connection is not a socket");
		free(rc);
		return NULL;
	}
	if (chan_pair(sp) == -1) {
		log_warn("resident: socketpair");
		free(rc);
		return NULL;
	}
	/* plaintext sessions come from smtpsession, when there is one */
	pid = smtpsession_fork(r, fd, sp[1], over, &pidfd);
	if (pid > 0) {
		/* its channel's end tells its end: no descriptor kept */
		(void)close(pidfd);
		rc->spawned = 1;
	} else if (pid == -1)
		pid = resident_conn_fork_session(rc, fd, sp, NULL);
	if (pid <= 0) {
		(void)close(sp[0]);
		(void)close(sp[1]);
		free(rc);
		return NULL;
	}
	(void)close(sp[1]);
	(void)fd_set_nonblock(sp[0], 1);
	rc->pid = pid;
	rc->mon.conf = r->conf;
	rc->mon.opts = &rc->opts;
	rc->mon.session = pid;
	rc->mon.enqueue = -1;
	rc->mon.mynet = monitor_relay_mynetworks(r->conf, rc->opts.peer_addr);
	rc->mon.rc = rc;
	monitor_tx_init(&rc->mon);
	chan_init(&rc->mon.chan, sp[0], CHAN_PACKET, SMTPD_CHAN_MAX);
	if (resident_conn_watch(rc) == -1) {
		log_warn("resident: epoll");
		resident_conn_kill(rc);
		chan_close(&rc->mon.chan);
		free(rc);
		return NULL;
	}
	return rc;
}

int
resident_conn_watch(struct rconn *rc)
{
	struct epoll_event	 ev;

	if (rc->watched || rc->mon.chan.fd == -1)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = rc;
	if (epoll_ctl(rc->res->epfd, EPOLL_CTL_ADD, rc->mon.chan.fd, &ev) ==
	    -1)
		return -1;
	rc->watched = 1;
	return 0;
}

void
resident_conn_unwatch(struct rconn *rc)
{
	if (!rc->watched)
		return;
	if (epoll_ctl(rc->res->epfd, EPOLL_CTL_DEL, rc->mon.chan.fd, NULL) ==
	    -1)
		log_warn("resident: epoll_ctl del");
	rc->watched = 0;
}

/*
 * A session of our own is killed by pid: it is our child, so its pid is
 * not reused before we reap it.  One that smtpsession forked is not: a
 * pidfd is opened now, and the signal sent only if its channel has not
 * ended since.  The session holds the only other end of the channel and
 * the kernel closes it when the process exits, before smtpsession can
 * reap it; so a channel still open after pidfd_open returned shows that
 * the pidfd is the session's, not a new process's under the same pid.
 */
void
resident_conn_kill(struct rconn *rc)
{
	struct pollfd	 p;
	int		 pfd;

	if (rc->pid <= 0)
		return;
	if (!rc->spawned) {
		(void)kill(rc->pid, SIGKILL);
		return;
	}
	if (rc->eof || rc->mon.chan.fd == -1 ||
	    (pfd = pidfd_open(rc->pid, 0)) == -1)
		return;
	p.fd = rc->mon.chan.fd;
	p.events = POLLIN;
	p.revents = 0;
	if (poll(&p, 1, 0) != -1 && !(p.revents & (POLLHUP | POLLERR)))
		(void)pidfd_send_signal(pfd, SIGKILL, NULL, 0);
	(void)close(pfd);
}

int
resident_conn_starttls(struct monitor *m, struct chan_msg *msg)
{
	struct rconn		*rc = m->rc;
	struct session_handoff	 h;
	long long		 errors;
	char			 err[256];
	int			 fd = msg->fds[0], sp[2];
	pid_t			 pid;

	/*
	 * monitor_check saw it once, from smtpsession, outside a transaction,
	 * before AUTH, with the connection's own socket (never another one
	 * the session opened or was given), errors and a host name of their
	 * form.
	 */
	memset(&h, 0, sizeof(h));
	if (monitor_starttls_errors(m, msg->f[1], &errors) == -1) {
		chan_msg_close_fds(msg);
		return -1;
	}
	h.errors = (int)errors;
	if (rc->opts.tls == NULL ||
	    tls_server_build(rc->opts.tls, err, sizeof(err)) == -1) {
		chan_msg_close_fds(msg);
		log_warnx("%s: STARTTLS: TLS not available: %s",
		    rc->opts.peer_addr, rc->opts.tls == NULL ? "no context" :
		    err);
		return monitor_reply(m, "NOTLS", NULL);
	}
	(void)strlcpy(h.peer_name, msg->f[2] + 1, sizeof(h.peer_name));
	/* the session's time counts from the connection, not from now */
	h.deadline = rc->start + (time_t)conf_int(m->conf,
	    "smtpd_session_timeout");
	if (chan_pair(sp) == -1) {
		log_warn("resident: socketpair");
		chan_msg_close_fds(msg);
		return -1;
	}
	pid = resident_conn_fork_session(rc, fd, sp, &h);
	chan_msg_close_fds(msg);
	if (pid == -1) {
		(void)close(sp[0]);
		(void)close(sp[1]);
		return -1;
	}
	(void)close(sp[1]);
	/* The old session exits at OK; this connection is the new one's. */
	if (monitor_reply(m, "OK", NULL) == -1)
		log_debug("STARTTLS: the plaintext session is gone");
	/* the new session is our child; the old one ends by itself */
	rc->spawned = 0;
	/* RFC 3207 4.2: nothing of the plaintext transaction goes on */
	monitor_tx_reset(m);
	resident_conn_unwatch(rc);
	chan_close(&m->chan);
	(void)fd_set_nonblock(sp[0], 1);
	chan_init(&m->chan, sp[0], CHAN_PACKET, SMTPD_CHAN_MAX);
	rc->pid = pid;
	m->session = pid;
	rc->eof = 0;
	if (resident_conn_watch(rc) == -1) {
		log_warn("resident: epoll");
		return -1;
	}
	resident_report_started(rc->res, rc->seq, pid);
	return 0;
}

/* Sends the reply owed for the message, if it is due. */
static int
resident_conn_queue_reply(struct rconn *rc)
{
	char	 num[16];
	int	 owed = rc->q_owed;

	if (!rc->q_done || owed == 0)
		return 0;
	rc->q_on = rc->q_done = rc->q_owed = 0;
	rc->mon.id[0] = '\0';
	/* a writer that died may have left some of the envelope unread */
	monitor_tx_drop(&rc->mon);
	monitor_tx_reset(&rc->mon);
	if (owed == 'A')
		return monitor_reply(&rc->mon, "OK", NULL);
	(void)snprintf(num, sizeof(num), "%d", rc->q_code);
	return monitor_reply(&rc->mon, "EXIT", num);
}

int
resident_conn_queue_start(struct monitor *m, int msg_r, int env_r)
{
	struct rconn	*rc = m->rc;
	pid_t		 pid;
	int		 slot;

	if (rc->q_on) {
		(void)close(msg_r);
		(void)close(env_r);
		return -1;
	}
	rc->q_done = rc->q_owed = 0;
	if ((slot = qpool_submit(&rc->res->pool, rc, m->id, msg_r,
	    env_r)) != -1) {
		rc->q_writer = slot;
		rc->q_on = 1;
		return 0;
	}
	if ((pid = child_fork(NULL, 0)) == -1) {
		log_warn("%s: fork", m->id);
		(void)close(msg_r);
		(void)close(env_r);
		return -1;
	}
	if (pid == 0)
		monitor_queue_child(m, msg_r, env_r);
	(void)close(msg_r);
	(void)close(env_r);
	rc->q_child = pid;
	rc->q_on = 1;
	return 0;
}

int
resident_conn_queue_end(struct monitor *m, int abort)
{
	struct rconn	*rc = m->rc;

	/* monitor_check saw a message being queued, no reply owed */
	rc->q_owed = abort ? 'A' : 'E';
	return resident_conn_queue_reply(rc);
}

int
resident_conn_job_done(struct rconn *rc, int code)
{
	if (!rc->q_on)
		return 0;
	rc->q_done = 1;
	rc->q_code = code;
	rc->q_writer = -1;
	rc->q_child = -1;
	return resident_conn_queue_reply(rc);
}

int
resident_conn_job_lost(struct rconn *rc)
{
	if (!rc->q_on)
		return 0;
	return resident_conn_job_done(rc, monitor_queue_lost(&rc->mon));
}

int
resident_conn_readable(struct rconn *rc)
{
	struct resident	*r = rc->res;
	struct chan_msg	 msg;
	int		 n;

	for (;;) {
		n = chan_recv_nowait(&rc->mon.chan, &msg);
		if (n == 2)
			return 0;
		if (n == 0) {
			/*
			 * the session is ending: one of ours is reaped soon;
			 * smtpsession's is gone (it held the only other end)
			 */
			rc->eof = 1;
			resident_conn_unwatch(rc);
			if (rc->spawned)
				rc->gone = 1;
			return 0;
		}
		if (n == -1) {
			log_warnx("malformed request from the session; "
			    "killing it");
			return -1;
		}
		/* the tables as they are now (reloaded between connections) */
		rc->mon.aliases = r->aliases.t;
		rc->mon.aliases_broken = r->aliases.broken;
		rc->mon.valias = r->valias.t;
		rc->mon.valias_broken = r->valias.broken;
		rc->mon.senders = r->senders.t;
		rc->mon.senders_broken = r->senders.broken;
		if (monitor_request(&rc->mon, &msg) == -1)
			return -1;
	}
}

void
resident_conn_close(struct rconn *rc)
{
	if (rc->auth_pid > 0)
		(void)kill(rc->auth_pid, SIGKILL);
	if (rc->auth_fd != -1)
		(void)close(rc->auth_fd);
	if (rc->q_writer != -1)
		qpool_detach(&rc->res->pool, rc->q_writer);
	/* no envelope: the writer refuses the message and goes on */
	monitor_tx_free(&rc->mon);
	/* a child queueing for it sees end of file and fails on its own */
	resident_conn_unwatch(rc);
	chan_close(&rc->mon.chan);
	resident_report_end(rc->res, rc->seq);
	explicit_bzero(rc, sizeof(*rc));
	free(rc);
}
