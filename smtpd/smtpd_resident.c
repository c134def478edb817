/*
 * smtpd_resident: smtpd as a long-lived server under the master
 * (smtpd -R).
 *
 * The master starts one resident per SMTP service, with a SOCK_SEQPACKET
 * channel on fd 3.  The resident has read facteur.conf, the certificate
 * and the key and built the OpenSSL context once (smtpd.c).  For each
 * connection the master hands over it forks the chrooted session and is
 * that session's monitor (smtpd_rconn.c): one process per connection,
 * where a per-connection smtpd has two.  What a connection no longer
 * pays for: an exec, the dynamic linking of a dozen libraries, parsing
 * the configuration, building the TLS context, and the monitor's fork
 * and exit; what a message no longer pays for: the fork of its queue
 * child (smtpd_qwriter.c).  Reasons and figures: docs/architecture.md.
 *
 * The resident reads no network byte: it receives descriptors, forks,
 * and answers the sessions' framed requests, from one poll(2) loop that
 * never waits on anything else.  Channel packets (lib/fdpass), text
 * fields split by one space:
 *
 *   master -> resident   "C seq over" + the connection   serve it (over:
 *                                                       1 = answer 421)
 *   resident -> master   "S seq pid"                    pid serves it
 *                        "E seq"                        that pid exited
 *
 * seq is the master's number for the connection (1 to 2^63-1).  At end of
 * file on the channel (the master retires residents on SIGHUP, when it
 * rotates the ticket keys, and at shutdown, by shutting down its writing
 * side) the resident takes no more connections, goes on serving the ones
 * it has, reports their ends, and exits when the last one has ended.
 */
#include <sys/prctl.h>
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
#include "fdpass.h"
#include "log.h"
#include "smtpd.h"
#include "smtpd_resident.h"
#include "users.h"

static int	resident_sigpipe[2] = { -1, -1 };

static void
resident_on_sigchld(int sig)
{
	int	 saved = errno;

	(void)sig;
	if (write(resident_sigpipe[1], "c", 1) == -1) {
		/* full: a wake-up is already pending */
	}
	errno = saved;
}

/* Sends one report to the master; a master that is gone ends us. */
static void
resident_report(struct resident *r, const char *fmt, long long seq,
    long long pid)
{
	char	 pkt[64];
	int	 n;

	n = snprintf(pkt, sizeof(pkt), fmt, seq, pid);
	if (n <= 0 || (size_t)n >= sizeof(pkt))
		fatalx("resident report too long");
	if (fdpass_send(r->chan, pkt, (size_t)n, -1, 0) == -1)
		fatal("resident: report to the master");
}

void
resident_report_started(struct resident *r, long long seq, pid_t pid)
{
	resident_report(r, "S %lld %lld", seq, (long long)pid);
}

void
resident_report_end(struct resident *r, long long seq)
{
	resident_report(r, "E %lld", seq, 0);
}

/* "C seq over": 0 with seq and over set, or -1. */
static int
resident_parse(const char *pkt, long long *seq, int *over)
{
	char		 num[24];
	const char	*sp, *err = NULL;
	size_t		 n;

	if (pkt[0] != 'C' || pkt[1] != ' ')
		return -1;
	pkt += 2;
	if ((sp = strchr(pkt, ' ')) == NULL ||
	    (n = (size_t)(sp - pkt)) == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, pkt, n);
	num[n] = '\0';
	*seq = strtonum(num, 1, LLONG_MAX, &err);
	if (err != NULL)
		return -1;
	if (strcmp(sp + 1, "0") == 0)
		*over = 0;
	else if (strcmp(sp + 1, "1") == 0)
		*over = 1;
	else
		return -1;
	return 0;
}

/* One packet from the master: 1 to go on, 0 at end of file. */
static int
resident_take(struct resident *r)
{
	char		 pkt[FDPASS_DATA_MAX + 1];
	ssize_t		 n;
	long long	 seq;
	int		 fd, over;
	struct rconn	*rc;

	n = fdpass_recv(r->chan, pkt, sizeof(pkt), &fd);
	if (n == 0)
		return 0;
	if (n == -1) {
		if (errno == EAGAIN)
			return 1;
		fatal("resident: channel");
	}
	if (fd == -1 || resident_parse(pkt, &seq, &over) == -1)
		fatalx("resident: bad packet from the master");
	if (r->nconns >= SMTPD_RESIDENT_MAX) {
		log_warnx("resident: %d connections open; closing one",
		    SMTPD_RESIDENT_MAX);
		(void)close(fd);
		resident_report(r, "E %lld", seq, 0);
		return 1;
	}
	rconn_tables(r);
	if ((rc = rconn_open(r, fd, seq, over)) == NULL) {
		(void)close(fd);
		resident_report(r, "E %lld", seq, 0);
		return 1;
	}
	(void)close(fd);
	r->conns[r->nconns++] = rc;
	resident_report_started(r, seq, rc->pid);
	return 1;
}

/* Exit status of a queue child as enqueue's code. */
static int
resident_queue_code(pid_t pid, int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	log_warnx("enqueue %ld killed by signal %d", (long)pid, WTERMSIG(st));
	return 111;
}

static void
resident_reap(struct resident *r)
{
	struct rconn	*rc;
	pid_t		 pid;
	size_t		 i;
	int		 st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (qpool_reaped(&r->pool, pid) || spawn_reaped(r, pid, st))
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
				rconn_close(rc);
				r->conns[i] = r->conns[--r->nconns];
				break;
			}
			if (rc->q_child == pid) {
				if (rconn_job_done(rc,
				    resident_queue_code(pid, st)) == -1)
					rconn_kill(rc);
				break;
			}
		}
		/* else an AUTH child or a retired writer: nothing to do */
	}
}

/* A session of smtpsession ended (its pidfd is readable). */
static void
resident_session_gone(struct resident *r, size_t i)
{
	struct rconn	*rc = r->conns[i];

	rc->pid = -1;
	rconn_close(rc);
	r->conns[i] = r->conns[--r->nconns];
}

int
resident_run(const struct conf *conf, struct smtpd_opts *opts, int chan,
    char *conftext, size_t conflen)
{
	static struct resident	 r;	/* big: not on the stack */
	struct pollfd		*pfd;
	struct sigaction	 sa;
	struct stat		 st;
	struct rconn		*rc;
	char			 drain[64];
	size_t			 cap, n, k, pool_at;
	long			*who;
	int			 type, master_at, np, gone;
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
	r.chan = chan;
	if (pipe2(resident_sigpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = resident_on_sigchld;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	if (sigaction(SIGCHLD, &sa, NULL) == -1)
		fatal("sigaction");
	/*
	 * Load the users table now, so that the first recipient lookup and
	 * every AUTH child find it cached (it is read again only when it
	 * changes).  The sessions drop it (smtpd_rconn.c).
	 */
	if (conf_str(conf, "users_file")[0] != '\0') {
		struct user_entry ue;

		(void)users_lookup(conf_str(conf, "users_file"), 0,
		    "postmaster", &ue);
		explicit_bzero(&ue, sizeof(ue));
	}
	qpool_init(&r.pool, conf, opts);
	rconn_tables(&r);
	(void)spawn_start(&r, conftext, conflen);
	free(conftext);
	cap = 2 + 3 * (size_t)SMTPD_RESIDENT_MAX + (size_t)r.pool.max;
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
		pfd[n].fd = resident_sigpipe[0];
		pfd[n].events = POLLIN;
		who[n++] = -1;
		master_at = -1;
		if (!r.eof && r.nconns < SMTPD_RESIDENT_MAX) {
			master_at = (int)n;
			pfd[n].fd = chan;
			pfd[n].events = POLLIN;
			who[n++] = -1;
		}
		for (k = 0; k < r.nconns; k++) {
			rc = r.conns[k];
			if (!rc->eof) {
				pfd[n].fd = rc->mon.chan.fd;
				pfd[n].events = POLLIN;
				who[n++] = (long)k * 3;
			}
			if (rc->auth_fd != -1) {
				pfd[n].fd = rc->auth_fd;
				pfd[n].events = POLLIN;
				who[n++] = (long)k * 3 + 1;
			}
			if (rc->pidfd != -1) {
				pfd[n].fd = rc->pidfd;
				pfd[n].events = POLLIN;
				who[n++] = (long)k * 3 + 2;
			}
		}
		pool_at = n;
		np = qpool_pollfds(&r.pool, pfd + n, (int)(cap - n));
		n += (size_t)np;
		if (poll(pfd, n, 5000) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & POLLIN)
			while (read(resident_sigpipe[0], drain,
			    sizeof(drain)) > 0)
				;
		gone = 0;
		for (k = 0; k < pool_at; k++) {
			if (who[k] < 0 ||
			    !(pfd[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			rc = r.conns[who[k] / 3];
			switch (who[k] % 3) {
			case 0:
				if (rconn_readable(rc) == -1)
					rconn_kill(rc);
				break;
			case 1:
				if (rconn_auth_readable(rc) == -1)
					rconn_kill(rc);
				break;
			default:
				/* after its channel's last frames, above */
				rc->gone = 1;
				gone = 1;
			}
		}
		/* Closed after the loop: closing moves connections in conns. */
		for (k = 0; gone && k < r.nconns; )
			if (r.conns[k]->gone && r.conns[k]->pidfd != -1)
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
		resident_reap(&r);
		qpool_tick(&r.pool, time(NULL));
	}
	qpool_close(&r.pool);
	spawn_stop(&r);
	free(pfd);
	free(who);
	return 0;
}
