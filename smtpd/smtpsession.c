/*
 * smtpsession: the plaintext SMTP sessions of a resident smtpd (mx and
 * submission modes), forked from a process that maps no TLS library.
 *
 * A session forked straight from the resident keeps everything the
 * resident has mapped (libcrypto, libssl, PAM, crypt and the heap with
 * the OpenSSL context); the figures are in docs/architecture.md ("A
 * resident's plaintext sessions come from smtpsession").  So the
 * resident executes this program once, as root, and has it fork the
 * sessions: it links libc, libbsd and c-ares, statically, and its heap
 * holds little more than the configuration.
 * The session code is smtpd's own (session.c, session_cmd.c,
 * session_data.c, session_auth.c); only TLS differs: STARTTLS hands the
 * connection back to the resident, which continues it in a session of
 * its own image (session_handoff.c, resident_conn.c).  The sessions'
 * monitor stays the resident: they talk to it over the channel it made.
 *
 * Started by the resident (resident_smtpsession.c) with
 *   fd 3  its channel (lib/ipc/chan.h, SOCK_SEQPACKET);
 *   fd 4  the configuration text the resident parsed (a memfd), read
 *         once: both parse the same bytes, whatever the file holds now;
 * and its arguments: -C the configuration's name (for messages), -m the
 * mode, -u/-g smtpd_user's ids (as root), -T when STARTTLS is offered,
 * -d to log to stderr.  Frames:
 *
 *   smtpsession -> resident  "R"                 ready
 *   resident -> smtpsession  "C over" + 2 fds    a session for the client
 *                                                (first fd) talking to the
 *                                                resident on the second
 *   smtpsession -> resident  "P pid" + a pidfd   forked, or
 *                            "F"                 not (the fds are closed)
 *
 * At end of file on fd 3 it exits: the resident is going and has no
 * session left.  Its sessions die with it (PR_SET_PDEATHSIG), and it
 * dies with the resident.
 */
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/types.h>
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

#include "chan.h"
#include "child.h"
#include "conf.h"
#include "fdio.h"
#include "log.h"
#include "sandbox.h"
#include "smtpd.h"


static void
conf_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: smtpsession [-dT] -C conf -m mx|submission "
	    "[-u uid -g gid]\n");
	exit(64);
}

static long long
number(const char *s, long long max)
{
	const char	*err = NULL;
	long long	 v;

	v = strtonum(s, 0, max, &err);
	if (err != NULL)
		usage();
	return v;
}

/* The configuration the resident parsed, from fd 4. */
static struct conf *
read_conf(const char *name)
{
	struct conf	*conf;
	char		*text;
	ssize_t		 n;

	if ((text = malloc(CONF_FILE_MAX + 1)) == NULL)
		fatal("smtpsession: configuration");
	if ((n = fd_read_full(SMTPSESSION_CONF_FD, text, CONF_FILE_MAX + 1)) == -1)
		fatal("smtpsession: configuration");
	if (n > CONF_FILE_MAX)
		fatalx("smtpsession: configuration too long");
	(void)close(SMTPSESSION_CONF_FD);
	conf = conf_load_buf(text, (size_t)n, name, conf_error, NULL);
	free(text);
	if (conf == NULL)
		fatalx("%s: configuration errors", name);
	/*
	 * A static program looks no user up (NSS): the file's owner is not
	 * checked here; the resident, which started us, checked it.
	 */
	if (conf_str(conf, "log_file")[0] != '\0' &&
	    log_file_open(conf_str(conf, "log_file"), conf_myhostname(conf),
	    LOG_OWNER_ANY) == -1)
		log_warn("log_file %s", conf_str(conf, "log_file"));
	return conf;
}

/* In the child: become the session of the client on fd. */
static void __attribute__((noreturn))
child_session(const struct conf *conf, struct smtpd_opts *opts, int fd,
    int sock)
{
	const int	 fds[SMTPD_SESSION_CHAN_FD + 1] = { fd, fd, 2, sock };

	if (child_fds(fds, SMTPD_SESSION_CHAN_FD + 1) == -1)
		_exit(111);
	log_reopen();
	if (fd_set_nonblock(0, 0) == -1)
		_exit(111);
	smtpd_prepare(conf, opts);
	session_run(conf, opts, SMTPD_SESSION_CHAN_FD);
	_exit(111);
}

/* One request: fork the session it asks for and answer. */
static void
serve(const struct conf *conf, struct smtpd_opts *opts, struct chan *ch,
    struct chan_msg *m)
{
	const char	*fail[1] = { "F" };
	const char	*ok[2];
	char		 num[24];
	pid_t		 pid;
	int		 pidfd;

	if (m->nf != 2 || strcmp(m->f[0], "C") != 0 || m->nfds != 2 ||
	    (strcmp(m->f[1], "0") != 0 && strcmp(m->f[1], "1") != 0))
		fatalx("smtpsession: bad request from the resident");
	opts->overloaded = m->f[1][0] == '1';
	opts->monitor = getpid();
	if ((pid = child_fork("smtpd", 0)) == -1) {
		log_warn("smtpsession: fork");
		chan_msg_close_fds(m);
		if (chan_send(ch, fail, 1, NULL, 0) == -1)
			fatal("smtpsession: channel");
		return;
	}
	if (pid == 0) {
		(void)close(ch->fd);
		child_session(conf, opts, m->fds[0], m->fds[1]);
	}
	chan_msg_close_fds(m);
	/* Not reaped before the pidfd exists: the pid cannot be reused. */
	if ((pidfd = pidfd_open(pid, 0)) == -1) {
		log_warn("smtpsession: pidfd_open");
		(void)kill(pid, SIGKILL);
		if (chan_send(ch, fail, 1, NULL, 0) == -1)
			fatal("smtpsession: channel");
		return;
	}
	(void)snprintf(num, sizeof(num), "%ld", (long)pid);
	ok[0] = "P";
	ok[1] = num;
	if (chan_send(ch, ok, 2, &pidfd, 1) == -1)
		fatal("smtpsession: channel");
	(void)close(pidfd);
}

static void
reap(void)
{
	pid_t	 pid;
	int	 st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (WIFSIGNALED(st) && WTERMSIG(st) != SIGTERM &&
		    WTERMSIG(st) != SIGKILL)
			log_warnx("session %ld killed by signal %d",
			    (long)pid, WTERMSIG(st));
}

int
main(int argc, char *argv[])
{
	struct smtpd_opts	 opts;
	struct conf		*conf;
	static const int	 sigs[] = { SIGCHLD };
	struct chan		 ch;
	struct chan_msg		 m;
	struct pollfd		 pfd[2];
	const char		*name = NULL, *mode = NULL, *ready[1] = { "R" };
	int			 c, debug = 0, have_u = 0, have_g = 0, r, got[2];

	memset(&opts, 0, sizeof(opts));
	while ((c = getopt(argc, argv, "C:dg:m:Tu:")) != -1) {
		switch (c) {
		case 'C':
			name = optarg;
			break;
		case 'd':
			debug = 1;
			break;
		case 'g':
			opts.user_gid = (gid_t)number(optarg, INT_MAX);
			have_g = 1;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'T':
			opts.tls_handoff = 1;
			break;
		case 'u':
			opts.user_uid = (uid_t)number(optarg, INT_MAX);
			have_u = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || name == NULL || mode == NULL || have_u != have_g)
		usage();
	if (strcmp(mode, "mx") == 0)
		opts.mode = SMTPD_MX;
	else if (strcmp(mode, "submission") == 0)
		opts.mode = SMTPD_SUBMISSION;
	else
		usage();
	log_init("smtpd", debug);
	opts.debug = debug;
	opts.confpath = name;
	opts.ids_known = have_u;
	(void)signal(SIGPIPE, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	conf = read_conf(name);
	if (sandbox_configure(conf_str(conf, "sandbox")) == -1)
		fatalx("%s: configuration errors", name);
	sandbox_prepare(SANDBOX_SMTP_SESSION);
	log_set_debug(conf_bool(conf, "log_debug"));
	child_sigpipe(sigs, 1);
	if (fd_set_cloexec(SMTPSESSION_CHAN_FD, 1) == -1)
		fatal("smtpsession: channel");
	chan_init(&ch, SMTPSESSION_CHAN_FD, CHAN_PACKET, SMTPD_CHAN_MAX);
	if (chan_send(&ch, ready, 1, NULL, 0) == -1)
		fatal("smtpsession: channel");

	for (;;) {
		pfd[0].fd = SMTPSESSION_CHAN_FD;
		pfd[0].events = POLLIN;
		pfd[1].fd = child_sigpipe_fd();
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if ((pfd[1].revents & POLLIN) &&
		    child_sigpipe_read(got, 2) > 0)
			reap();
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((r = chan_recv(&ch, &m)) == 0)
				break;
			if (r == -1)
				fatalx("smtpsession: bad frame from the "
				    "resident");
			serve(conf, &opts, &ch, &m);
		}
	}
	conf_free(conf);
	return 0;
}
