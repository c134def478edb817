/*
 * smtpd_resident: smtpd as a long-lived server under the master
 * (smtpd -R).
 *
 * The master starts one resident per SMTP service, with a SOCK_SEQPACKET
 * channel on fd 3.  The resident has read facteur.conf, the certificate
 * and the key and built the OpenSSL context once (smtpd.c); for each
 * connection the master hands over, it forks, and the child runs exactly
 * what a per-connection smtpd runs after its start (smtpd_connection):
 * the monitor in the child, the chrooted session in the grandchild.  What
 * a connection no longer pays for: an exec, the dynamic linking of a
 * dozen libraries, parsing the configuration and building the TLS
 * context (reasons and figures in docs/architecture.md).
 *
 * The resident reads no network byte: it only receives descriptors and
 * forks.  Channel packets (lib/fdpass), text fields split by one space:
 *
 *   master -> resident   "C seq over" + the connection   serve it (over:
 *                                                       1 = answer 421)
 *   resident -> master   "S seq pid"                    pid serves it
 *                        "E seq"                        that pid exited
 *
 * seq is the master's number for the connection (1 to 2^63-1).  At end of
 * file on the channel (the master retires residents on SIGHUP, when it
 * rotates the ticket keys, and at shutdown) the resident exits at once;
 * its children go on, and the master, their subreaper, reaps them.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "users.h"

struct resident_child {
	pid_t		 pid;
	long long	 seq;
};

struct resident {
	const struct conf	*conf;
	struct smtpd_opts	*opts;
	int			 chan;
	struct resident_child	 kids[SMTPD_RESIDENT_MAX];
	size_t			 nkids;
};

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

static void __attribute__((noreturn))
resident_child(struct resident *r, int fd, int over)
{
	struct smtpd_opts	 o = *r->opts;
	struct sigaction	 sa;

	(void)prctl(PR_SET_NAME, "smtpd");
	(void)close(r->chan);
	(void)close(resident_sigpipe[0]);
	(void)close(resident_sigpipe[1]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1)
		_exit(111);
	if (fd > 1)
		(void)close(fd);
	if (fd_set_nonblock(0, 0) == -1)
		_exit(111);
	o.overloaded = over;
	_exit(smtpd_connection(r->conf, &o, 1));
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
	pid_t		 pid;

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
	if (r->nkids >= SMTPD_RESIDENT_MAX) {
		log_warnx("resident: %d connections open; closing one",
		    SMTPD_RESIDENT_MAX);
		(void)close(fd);
		resident_report(r, "E %lld", seq, 0);
		return 1;
	}
	if ((pid = fork()) == -1) {
		log_warn("resident: fork");
		(void)close(fd);
		resident_report(r, "E %lld", seq, 0);
		return 1;
	}
	if (pid == 0)
		resident_child(r, fd, over);
	(void)close(fd);
	r->kids[r->nkids].pid = pid;
	r->kids[r->nkids].seq = seq;
	r->nkids++;
	resident_report(r, "S %lld %lld", seq, (long long)pid);
	return 1;
}

static void
resident_reap(struct resident *r)
{
	pid_t	 pid;
	size_t	 i;
	int	 st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < r->nkids; i++)
			if (r->kids[i].pid == pid)
				break;
		if (i == r->nkids)
			continue;
		if (WIFSIGNALED(st) && WTERMSIG(st) != SIGTERM &&
		    WTERMSIG(st) != SIGKILL)
			log_warnx("connection process %ld killed by signal %d",
			    (long)pid, WTERMSIG(st));
		resident_report(r, "E %lld", r->kids[i].seq, 0);
		r->kids[i] = r->kids[--r->nkids];
	}
}

int
resident_run(const struct conf *conf, struct smtpd_opts *opts, int chan)
{
	static struct resident	 r;	/* big: not on the stack */
	struct pollfd		 pfd[2];
	struct sigaction	 sa;
	struct stat		 st;
	char			 drain[64];
	int			 type;
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
	 * Load the users table now, so that each connection's monitor finds
	 * it cached (it is read again only when it changes).
	 */
	if (conf_str(conf, "users_file")[0] != '\0') {
		struct user_entry ue;

		(void)users_lookup(conf_str(conf, "users_file"), 0,
		    "postmaster", &ue);
		explicit_bzero(&ue, sizeof(ue));
	}
	/* The master retires us by closing the channel, not by signal. */
	(void)signal(SIGHUP, SIG_IGN);
	log_info("resident for %s connections ready",
	    opts->mode == SMTPD_MX ? "mx" :
	    opts->mode == SMTPD_SUBMISSION ? "submission" : "smtps");

	for (;;) {
		pfd[0].fd = chan;
		pfd[0].events = POLLIN;
		pfd[1].fd = resident_sigpipe[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[1].revents & POLLIN)
			while (read(resident_sigpipe[0], drain,
			    sizeof(drain)) > 0)
				;
		resident_reap(&r);
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    resident_take(&r) == 0)
			break;
	}
	log_debug("resident: the master closed the channel; %zu connections "
	    "go on", r.nkids);
	return 0;
}
