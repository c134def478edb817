/*
 * facteur: the master.  Started as root (or as anyone, for tests and the
 * embedded default) by init or by hand; it reads facteur.conf, binds the
 * listeners it names, and for each accepted client starts the service's
 * program with the socket on fds 0 and 1, under per-service and
 * per-client limits.  It starts queued and starts it again if it dies.
 * It reads no byte from any client: the per-connection programs drop
 * their own privileges before they do.
 *
 * The SMTP services run resident (smtpd_resident, the default): one smtpd
 * per service, started once, is handed each connection and forks for it
 * (facteur_resident.c).
 *
 *   SIGHUP   re-read facteur.conf (kept as it was if the new one has
 *            errors), rebind changed listeners, rotate the TLS session
 *            ticket keys, start new resident servers (the old ones'
 *            sessions go on), hand queued the new configuration
 *   SIGTERM  stop accepting, stop queued, let sessions finish for
 *   SIGINT   shutdown_grace, then end those left
 *
 * Every program it starts runs on the configuration the master accepted,
 * handed over in a sealed memfd (-F 4, lib/conf/conf_handoff.c), never on
 * the file as it may be now: a file refused at SIGHUP reaches no session
 * and no restarted server.
 *
 * Usage: facteur [-d] [-C file]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "conf.h"
#include "conf_log.h"
#include "facteur.h"
#include "fdio.h"
#include "log.h"
#include "lroute.h"
#include "sandbox.h"
#include "tls.h"

struct service master_services[] = {
	{ "smtp",	"smtp_listen",		"smtpd", "-mmx", {0}, {{0}}, 0, 0, 1, 0 },
	{ "submission",	"submission_listen",	"smtpd", "-msubmission", {0}, {{0}}, 0, 0, 1, 0 },
	{ "smtps",	"smtps_listen",		"smtpd", "-msmtps", {0}, {{0}}, 0, 0, 1, 0 },
	{ "pop3",	"pop3_listen",		"pop3d", NULL, {0}, {{0}}, 0, 0, 0, 0 },
	{ "pop3s",	"pop3s_listen",		"pop3d", "-s", {0}, {{0}}, 0, 0, 0, 0 },
	{ "imap",	"imap_listen",		"imapd", NULL, {0}, {{0}}, 0, 0, 0, 0 },
	{ "imaps",	"imaps_listen",		"imapd", "-s", {0}, {{0}}, 0, 0, 0, 0 },
	{ NULL, NULL, NULL, NULL, {0}, {{0}}, 0, 0, 0, 0 }
};

int		 master_debug;
int		 master_conf_fd = -1;

static void
master_conf_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

/*
 * Loads path; on success the text goes into a new sealed memfd that
 * replaces master_conf_fd, so that every program started from now on
 * runs on it.  NULL when the file has errors, names an unfit chroot
 * directory or an unknown sandbox mode, has keys of local routing that
 * do not agree, or cannot be handed on (then master_conf_fd is
 * unchanged).
 */
static struct conf *
master_conf_load(const char *path)
{
	struct conf	*c;
	char		*text, err[256];
	size_t		 len;
	int		 fd;

	err[0] = '\0';
	c = conf_load_start(path, -1, master_conf_error, NULL, &text, &len);
	if (c == NULL)
		return NULL;
	/*
	 * A chroot, a sandbox mode or keys of local routing that the
	 * programs would refuse are errors of the file: queued must not
	 * refuse what the master accepted.
	 */
	if (chroot_check_all(c, master_conf_error, NULL) > 0 ||
	    sandbox_configure(conf_str(c, "sandbox")) == -1 ||
	    lroute_conf_check(c, err, sizeof(err)) == -1) {
		if (err[0] != '\0')
			log_warnx("%s: %s", path, err);
		free(text);
		conf_free(c);
		return NULL;
	}
	fd = conf_text_fd(text, len);
	free(text);
	if (fd == -1) {
		log_warn("%s: a copy for the programs", path);
		conf_free(c);
		return NULL;
	}
	if (master_conf_fd != -1)
		(void)close(master_conf_fd);
	master_conf_fd = fd;
	return c;
}

/*
 * Session ticket keys are shared by every per-connection process through
 * tls_ticket_key_file; the master rotates them at start, on SIGHUP and
 * every TICKET_ROTATE seconds (the previous key still decrypts).
 */
#define TICKET_ROTATE	(12 * 3600)

static time_t	ticket_rotated;

static void
master_rotate_tickets(const struct conf *conf)
{
	const char	*path = conf_str(conf, "tls_ticket_key_file");

	ticket_rotated = time(NULL);
	if (!conf_bool(conf, "tls_session_tickets") || path[0] == '\0')
		return;
	if (tls_ticket_keys_write(path) == -1)
		log_warn("cannot write %s", path);
	else
		log_info("TLS session ticket keys rotated in %s", path);
}

static void
master_usage(void)
{
	fprintf(stderr, "usage: facteur [-d] [-C file]\n");
	exit(64);
}

static void
master_reap(const struct conf *conf)
{
	pid_t	 pid;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (session_reap(pid, status))
			continue;
		if (resident_reap(pid, status, conf))
			continue;
		/* else queued, or a process orphaned to us (subreaper) */
		(void)queue_group_reap(pid, status, conf);
	}
	session_forget_vanished();
}

static void
master_setup_signals(void)
{
	static const int sigs[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };

	child_sigpipe(sigs, 4);
	(void)signal(SIGPIPE, SIG_IGN);
}

/* Stop accepting; let sessions finish for shutdown_grace, then end them. */
static void
master_shutdown(const struct conf *conf)
{
	time_t	 deadline = time(NULL) + conf_int(conf, "shutdown_grace");
	int	 killed = 0;

	log_info("stopping: %d sessions open", session_count());
	listen_close_all();
	resident_retire_all();
	queue_group_signal(SIGTERM);
	while (session_count() > 0 || queue_group_running() ||
	    resident_count() > 0) {
		resident_drain();
		master_reap(conf);
		if (session_count() == 0 && !queue_group_running() &&
		    resident_count() == 0)
			break;
		if (!killed && time(NULL) >= deadline) {
			log_info("grace time over: ending %d sessions",
			    session_count());
			session_signal_all(SIGTERM);
			resident_signal_all(SIGKILL);
			queue_group_signal(SIGKILL);
			killed = 1;
			deadline = time(NULL) + 5;
		} else if (killed && time(NULL) >= deadline) {
			session_signal_all(SIGKILL);
		}
		(void)poll(NULL, 0, 100);
	}
	log_info("stopped");
}

/*
 * The descriptors the servers it starts will hold: a resident smtpd keeps
 * two per session (its channel and the session's pidfd) and the
 * connections over the limit it answers; children inherit the limit.
 * A default soft limit of 1024 would stop a resident near 500 sessions.
 */
static void
master_fd_limit(const struct conf *conf)
{
	unsigned long long want;
	long long	 got;

	want = 4ULL * (unsigned long long)conf_int(conf, "max_sessions") + 1024;
	if ((got = fd_limit_raise(want)) == -1)
		log_warn("RLIMIT_NOFILE");
	else if ((unsigned long long)got < want)
		log_warnx("descriptor limit %lld, below the %llu that "
		    "max_sessions asks for: raise the hard limit "
		    "(LimitNOFILE= in the systemd unit, ulimit -Hn)", got, want);
}

int
main(int argc, char *argv[])
{
	const char	*confpath = NULL;
	struct conf	*conf, *nconf;
	struct pollfd	 pfd[1 + 7 * MASTER_LISTEN_MAX + MASTER_RESIDENTS_MAX];
	struct service	*map[1 + 7 * MASTER_LISTEN_MAX];
	int		 ch, n, nres, i, j, stop = 0;

	while ((ch = getopt(argc, argv, "C:d")) != -1) {
		switch (ch) {
		case 'C':
			confpath = optarg;
			break;
		case 'd':
			master_debug = 1;
			break;
		default:
			master_usage();
		}
	}
	if (optind != argc)
		master_usage();
	log_init("facteur", master_debug);
	if (fd_ensure_std() == -1)
		fatal("standard descriptors");
	confpath = conf_find_path(confpath, 1);
	if ((conf = master_conf_load(confpath)) == NULL)
		fatalx("%s: configuration has errors", confpath);
	log_set_debug(conf_bool(conf, "log_debug"));
	/* log_file: made for queue_user, then every child writes it */
	(void)conf_log_create(conf);
	(void)conf_log_open(conf);
	if (!(geteuid() == 0))
		log_info("not running as root: programs run as uid %ld "
		    "without privilege changes", (long)getuid());

	master_setup_signals();
	/*
	 * Sessions of a retired or crashed resident server become ours, to
	 * be reaped and counted out (facteur_resident.c).
	 */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		fatal("prctl PR_SET_CHILD_SUBREAPER");
	master_fd_limit(conf);
	master_rotate_tickets(conf);
	queue_group_prepare(conf);
	listen_apply(conf);
	resident_apply(conf, confpath);
	queue_group_start(conf, confpath, master_debug);
	log_info("started, configuration %s", confpath);

	while (!stop) {
		n = 0;
		pfd[n].fd = child_sigpipe_fd();
		pfd[n].events = POLLIN;
		map[n++] = NULL;
		for (struct service *svc = master_services; svc->name; svc++)
			for (j = 0; j < svc->nfds; j++) {
				pfd[n].fd = svc->fds[j];
				pfd[n].events = POLLIN;
				map[n++] = svc;
			}
		nres = resident_pollfds(pfd + n, MASTER_RESIDENTS_MAX);
		if (poll(pfd, (nfds_t)(n + nres), 1000) == -1 && errno != EINTR)
			fatal("poll");
		for (i = n; i < n + nres; i++)
			if (pfd[i].revents != 0) {
				resident_drain();
				break;
			}
		if (pfd[0].revents & POLLIN) {
			int	 sigs[8], r = child_sigpipe_read(sigs, 8);

			for (i = 0; i < r; i++) {
				switch (sigs[i]) {
				case SIGCHLD:
					master_reap(conf);
					break;
				case SIGHUP:
					/*
					 * A refused file is never seen by
					 * the programs: they are all handed
					 * master_conf_fd, which changes only
					 * here, on success.
					 */
					nconf = master_conf_load(confpath);
					if (nconf == NULL) {
						log_warnx("%s has errors; "
						    "keeping the running "
						    "configuration", confpath);
						break;
					}
					conf_free(conf);
					conf = nconf;
					log_set_debug(conf_bool(conf,
					    "log_debug"));
					master_fd_limit(conf);
					listen_apply(conf);
					master_rotate_tickets(conf);
					resident_apply(conf, confpath);
					queue_group_reload();
					log_info("configuration re-read");
					break;
				case SIGTERM:
				case SIGINT:
					stop = 1;
					break;
				}
			}
		}
		for (i = 1; i < n && !stop; i++)
			if (pfd[i].revents & POLLIN)
				session_accept(map[i], pfd[i].fd, conf, confpath);
		master_reap(conf);
		if (!stop) {
			queue_group_tick(conf, confpath, master_debug);
			resident_tick(conf, confpath);
		}
		if (!stop && time(NULL) - ticket_rotated >= TICKET_ROTATE) {
			master_rotate_tickets(conf);
			/* residents read the ticket keys when they start */
			resident_apply(conf, confpath);
		}
	}
	master_shutdown(conf);
	conf_free(conf);
	return 0;
}
