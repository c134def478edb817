/*
 * resident: smtpd as a long-lived server under the master
 * (smtpd -R).
 *
 * The master starts one resident per SMTP service, with a SOCK_SEQPACKET
 * channel on fd 3.  The resident has read facteur.conf, the certificate
 * and the key and built the OpenSSL context once (smtpd.c).  For each
 * connection the master hands over it has the chrooted session forked
 * (by smtpsession, resident_smtpsession.c, or here) and is that
 * session's monitor (resident_conn.c): one process per connection, where
 * a per-connection smtpd has two.  A connection pays for no exec, no
 * dynamic linking, no parsing of the configuration and no TLS context of
 * its own; a message is queued by a long-lived queue writer
 * (resident_qpool.c, qwriter.c) rather than a child of its own.  The
 * reasons are in docs/architecture.md.
 *
 * The resident reads no network byte: it receives descriptors, forks,
 * and answers the sessions' framed requests, from one poll(2) loop that
 * never waits on anything else; the sessions' channels are in an epoll
 * set, itself one descriptor of the poll, so that thousands of idle
 * sessions cost nothing per turn of the loop.  Channel frames (lib/ipc/chan.h, at
 * most CHAN_SMALL_MAX octets):
 *
 *   master -> resident   C, seq, over + the connection  serve it (over:
 *                                                       1 = answer 421)
 *   resident -> master   S, seq, pid                    pid serves it
 *                        E, seq                         that pid exited
 *
 * A bad frame from the master is fatal (the master is trusted: it is a
 * bug); the master retires a resident that sends it a bad report.
 *
 * seq is the master's number for the connection (1 to 2^63-1).  At end of
 * file on the channel (the master retires residents on SIGHUP, when it
 * rotates the ticket keys, and at shutdown, by shutting down its writing
 * side) the resident takes no more connections, goes on serving the ones
 * it has, reports their ends, and exits when the last one has ended.
 */
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "chan.h"
#include "child.h"
#include "log.h"
#include "smtpd.h"
#include "smtpd_resident.h"
#include "users.h"

/* Sends one report to the master; a master that is gone ends us. */
static void
resident_report(struct resident *r, const char *kind, long long seq,
    pid_t pid)
{
	const char	*f[3];
	char		 s[24], p[24];

	(void)snprintf(s, sizeof(s), "%lld", seq);
	(void)snprintf(p, sizeof(p), "%ld", (long)pid);
	f[0] = kind;
	f[1] = s;
	f[2] = p;
	if (chan_send(&r->chan, f, pid > 0 ? 3 : 2, NULL, 0) == -1)
		fatal("resident: report to the master");
}

void
resident_report_started(struct resident *r, long long seq, pid_t pid)
{
	resident_report(r, "S", seq, pid);
}

void
resident_report_end(struct resident *r, long long seq)
{
	resident_report(r, "E", seq, 0);
}

/* One frame from the master: 1 to go on, 0 at end of file. */
static int
resident_take(struct resident *r)
{
	struct chan_msg	 m;
	long long	 seq;
	int		 fd, over, n;
	struct rconn	*rc;

	n = chan_recv(&r->chan, &m);
	if (n == 0)
		return 0;
	if (n == -1) {
		if (errno == EBADMSG)
			fatalx("resident: bad frame from the master");
		fatal("resident: channel");
	}
	if (resident_wire_master(&m, &seq, &over) == -1)
		fatalx("resident: bad frame from the master");
	fd = m.fds[0];
	if (r->nconns >= SMTPD_RESIDENT_MAX) {
		log_warnx("resident: %d connections open; closing one",
		    SMTPD_RESIDENT_MAX);
		(void)close(fd);
		resident_report_end(r, seq);
		return 1;
	}
	resident_conn_tables(r);
	if ((rc = resident_conn_open(r, fd, seq, over)) == NULL) {
		(void)close(fd);
		resident_report_end(r, seq);
		return 1;
	}
	(void)close(fd);
	r->conns[r->nconns++] = rc;
	resident_report_started(r, seq, rc->pid);
	return 1;
}

static void
resident_reap(struct resident *r)
{
	struct rconn	*rc;
	pid_t		 pid;
	size_t		 i;
	int		 st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (qpool_reaped(&r->pool, pid) || smtpsession_reaped(r, pid, st))
			continue;
		for (i = 0; i < r->nconns; i++) {
			rc = r->conns[i];
			if (rc->pid == pid) {
				if (WIFSIGNALED(st) && WTERMSIG(st) != SIGTERM &&
				    WTERMSIG(st) != SIGKILL)
					log_warnx("session %ld killed by "
					    "signal %d", (long)pid,
					    WTERMSIG(st));
				rc->pid = -1;
				resident_conn_close(rc);
				r->conns[i] = r->conns[--r->nconns];
				break;
			}
			if (rc->q_child == pid) {
				if (!WIFEXITED(st))
					log_warnx("enqueue %ld killed by signal "
					    "%d", (long)pid, WTERMSIG(st));
				if ((WIFEXITED(st) ? resident_conn_job_done(rc,
				    WEXITSTATUS(st)) : resident_conn_job_lost(rc))
				    == -1)
					resident_conn_kill(rc);
				break;
			}
		}
		/* else an AUTH child or a retired writer: nothing to do */
	}
}

/* A session of smtpsession ended (its channel did). */
static void
resident_session_gone(struct resident *r, size_t i)
{
	struct rconn	*rc = r->conns[i];

	rc->pid = -1;
	resident_conn_close(rc);
	r->conns[i] = r->conns[--r->nconns];
}

/*
 * The descriptor limit (RLIMIT_NOFILE, raised by the master) and what
 * the resident keeps below it: a connection costs one descriptor while
 * idle (its channel), one more during AUTH or while its envelope waits
 * to be written; a frame that carries a descriptor (the master's next
 * connection, smtpsession's answer, a STARTTLS hand-back) needs one free
 * when it arrives, or it is cut short.  So no connection is taken from
 * the master unless RESIDENT_FD_SPARE descriptors stay free beyond them;
 * until then the master serves new ones per connection.
 */
#define RESIDENT_FD_SPARE	64

static long long
resident_fd_limit(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return LLONG_MAX;
	return (long long)rl.rlim_cur;
}

/* Frames from a session whose channel is ready (from the epoll set). */
static int
resident_sessions_ready(struct resident *r)
{
	struct epoll_event	 ev[256];
	struct rconn		*rc;
	int			 n, i, gone = 0;

	if ((n = epoll_wait(r->epfd, ev, (int)(sizeof(ev) / sizeof(ev[0])),
	    0)) == -1) {
		if (errno == EINTR)
			return 0;
		fatal("epoll_wait");
	}
	for (i = 0; i < n; i++) {
		rc = ev[i].data.ptr;
		if (rc->eof)
			continue;
		if (resident_conn_readable(rc) == -1)
			resident_conn_kill(rc);
		if (rc->gone)
			gone = 1;
	}
	return gone;
}

int
resident_run(const struct conf *conf, struct smtpd_opts *opts, int chan,
    char *conftext, size_t conflen)
{
	static struct resident	 r;	/* big: not on the stack */
	static const int	 sigs[] = { SIGCHLD };
	struct pollfd		*pfd;
	struct stat		 st;
	struct rconn		*rc;
	size_t			 cap, n, k, pool_at, extra;
	long			*who;
	long long		 fd_limit;
	int			 type, master_at, spawn_at, ep_at, np, gone;
	int			 got[2], timeout;
	socklen_t		 tlen = sizeof(type);

	if (fstat(chan, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(chan, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1 ||
	    type != SOCK_SEQPACKET)
		fatalx("resident: fd %d is not the master's channel", chan);
	if (fd_set_cloexec(chan, 1) == -1 || fd_set_nonblock(chan, 0) == -1)
		fatal("resident: channel");
	(void)prctl(PR_SET_NAME, "smtpd-resident");
	r.conf = conf;
	r.opts = opts;
	chan_init(&r.chan, chan, CHAN_PACKET, CHAN_SMALL_MAX);
	if ((r.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("resident: epoll_create1");
	child_sigpipe(sigs, 1);
	/*
	 * Load the users table now, so that the first recipient lookup and
	 * every AUTH child find it cached (it is read again only when it
	 * changes).  The sessions drop it (resident_conn.c).
	 */
	if (conf_str(conf, "users_file")[0] != '\0') {
		struct user_entry ue;

		(void)users_lookup(conf_str(conf, "users_file"), 0,
		    "postmaster", &ue);
		explicit_bzero(&ue, sizeof(ue));
	}
	qpool_init(&r.pool, conf, opts);
	resident_conn_tables(&r);
	(void)smtpsession_start(&r, conftext, conflen);
	fd_limit = resident_fd_limit();
	/*
	 * The poll set holds the few descriptors that are not sessions'
	 * channels (those are in the epoll set): at most two per connection
	 * that is in AUTH or has an envelope to write.
	 */
	cap = 5 + 2 * (size_t)SMTPD_RESIDENT_MAX + (size_t)r.pool.max;
	if ((pfd = reallocarray(NULL, cap, sizeof(*pfd))) == NULL ||
	    (who = reallocarray(NULL, cap, sizeof(*who))) == NULL)
		fatal("resident: poll set");
	/* The master retires us by closing the channel, not by signal. */
	(void)signal(SIGHUP, SIG_IGN);
	/*
	 * Every session is forked from here and starts with the page tables
	 * of this heap: give back what reading the configuration and the
	 * certificate freed.
	 */
	(void)malloc_trim(0);
	log_info("resident for %s connections ready",
	    opts->mode == SMTPD_MX ? "mx" :
	    opts->mode == SMTPD_SUBMISSION ? "submission" : "smtps");

	for (;;) {
		if (r.eof && r.nconns == 0)
			break;
		n = 0;
		pfd[n].fd = child_sigpipe_fd();
		pfd[n].events = POLLIN;
		who[n++] = -1;
		ep_at = (int)n;
		pfd[n].fd = r.epfd;
		pfd[n].events = POLLIN;
		who[n++] = -1;
		master_at = -1;
		extra = 0;
		for (k = 0; k < r.nconns; k++) {
			rc = r.conns[k];
			if (rc->auth_fd != -1) {
				pfd[n].fd = rc->auth_fd;
				pfd[n].events = POLLIN;
				who[n++] = (long)k * 2;
				extra++;
			}
			/* an envelope the pipe could not take at once */
			if (rc->mon.env_w != -1 && rc->q_owed != 0) {
				pfd[n].fd = rc->mon.env_w;
				pfd[n].events = POLLOUT;
				who[n++] = (long)k * 2 + 1;
			}
			if (rc->mon.env_w != -1)
				extra++;
		}
		if (!r.eof && r.nconns < SMTPD_RESIDENT_MAX &&
		    (long long)(r.nconns + extra + 2 * (size_t)r.pool.max) +
		    RESIDENT_FD_SPARE < fd_limit) {
			master_at = (int)n;
			pfd[n].fd = chan;
			pfd[n].events = POLLIN;
			who[n++] = -1;
		}
		/* a restarted smtpsession, until it says it is ready */
		spawn_at = -1;
		if (r.spawn.fd != -1 && !r.spawn_ready) {
			spawn_at = (int)n;
			pfd[n].fd = r.spawn.fd;
			pfd[n].events = POLLIN;
			who[n++] = -1;
		}
		pool_at = n;
		np = qpool_pollfds(&r.pool, pfd + n, (int)(cap - n));
		n += (size_t)np;
		timeout = smtpsession_poll_ms(&r, time(NULL));
		if (timeout == -1 || timeout > 5000)
			timeout = 5000;
		if (poll(pfd, n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & POLLIN)
			(void)child_sigpipe_read(got, 2);
		gone = 0;
		for (k = 0; k < pool_at; k++) {
			if (who[k] < 0 ||
			    !(pfd[k].revents & (POLLIN | POLLOUT | POLLHUP |
			    POLLERR)))
				continue;
			rc = r.conns[who[k] / 2];
			if (who[k] % 2 == 0) {
				if (resident_auth_readable(rc) == -1)
					resident_conn_kill(rc);
			} else
				(void)monitor_tx_flush(&rc->mon);
		}
		if (pfd[ep_at].revents & POLLIN)
			gone = resident_sessions_ready(&r);
		/* Closed after the loop: closing moves connections in conns. */
		for (k = 0; gone && k < r.nconns; )
			if (r.conns[k]->gone)
				resident_session_gone(&r, k);
			else
				k++;
		qpool_events(&r.pool, pfd + pool_at, np);
		if (master_at != -1 && (pfd[master_at].revents &
		    (POLLIN | POLLHUP | POLLERR)) && resident_take(&r) == 0) {
			r.eof = 1;
			log_debug("resident: retired; %zu connections go on",
			    r.nconns);
		}
		if (spawn_at != -1 && (pfd[spawn_at].revents &
		    (POLLIN | POLLHUP | POLLERR)))
			smtpsession_readable(&r);
		resident_reap(&r);
		qpool_tick(&r.pool, time(NULL));
		smtpsession_tick(&r, time(NULL));
	}
	qpool_close(&r.pool);
	smtpsession_free(&r);
	(void)close(r.epfd);
	free(pfd);
	free(who);
	return 0;
}
