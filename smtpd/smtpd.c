/*
 * smtpd: the SMTP server (RFC 5321): per connection (a monitor and a
 * session), or resident under the master (-R: one process for all
 * connections' monitors, a session per connection).  smtpd.h lists every
 * process and the files that hold its code.
 *
 * Started by the master, inetd (`nowait`), systemd (Accept=yes) or
 * tcpserver with the client on fd 0 and fd 1, as root (or as anyone, for
 * tests: then nothing changes identity, which is logged once).  It reads
 * facteur.conf, then splits in two, as OpenSSH's privilege separation does:
 *
 *   monitor (this process, stays root, not chrooted, reads no network byte):
 *     answers the session's requests over its channel (monitor.c,
 *     lib/ipc/chan.h): recipient checks against local domains, aliases
 *     and users, relay control, the password check of AUTH, and a child
 *     per message that queues it (monitor_queue.c).
 *   session (the child; chroot to smtpd_chroot, runs as smtpd_user): speaks
 *     SMTP with the client (session.c, session_cmd.c, session_data.c) and
 *     streams each accepted message into the enqueue pipes it was handed.
 *
 * Writes nothing itself: the message goes to the queue only through
 * enqueue, and 250 is answered only after enqueue exited 0.
 *
 * Modes: mx (port 25: STARTTLS offered, relaying only for authenticated
 * clients and mynetworks), submission (port 587, RFC 6409: AUTH before
 * MAIL) and smtps (port 465, RFC 8314: submission inside implicit TLS).
 * The certificate and the key (readable by root only) are read here,
 * before the split and the chroot (tls_server_load).  In mx mode the
 * OpenSSL context is built from them only when a client says STARTTLS
 * (most peers never do, and building costs more CPU than the rest of a
 * short session); submission and smtps sessions all need it, so it is
 * built here, and a bad certificate is refused at once with 421.
 *
 * Resident mode (-R, resident.c): started once per service by the
 * master, which hands it each accepted connection over fd 3; it does all
 * of the above once (configuration, certificate, key and the OpenSSL
 * context) and has a session forked for each connection (by smtpsession,
 * which maps no TLS library, in mx and submission modes; by itself in
 * smtps mode), running the session code a per-connection smtpd runs; it
 * is the monitor of all of them.
 *
 * Usage: smtpd [-d] [-O] [-C facteur.conf] [-F fd] [-m mx|submission|smtps]
 *        smtpd -R [-d] [-C facteur.conf] [-F fd] [-m mx|submission|smtps]
 *   -F  the configuration's text is on fd: the master's validated copy
 *       (lib/conf/conf_handoff.c), never the file as it may be now; -C
 *       then only names it.  Without -F (inetd, systemd) the file is
 *       read.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "child.h"
#include "conf.h"
#include "conf_log.h"
#include "fdio.h"
#include "log.h"
#include "priv.h"
#include "sandbox.h"
#include "smtpd.h"
#include "tls.h"

static void
smtpd_conf_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

static void __attribute__((noreturn))
smtpd_usage(void)
{
	fprintf(stderr, "usage: smtpd [-dOR] [-C conf] [-F fd] "
	    "[-m mx|submission|smtps]\n");
	exit(64);
}

/* Checks a per-connection smtpd makes before it talks: 0, or -1 (logged). */
static int
smtpd_conf_check(const struct conf *conf, const char *path)
{
	const char	*bare;
	char		 err[256];

	bare = conf_str(conf, "smtpd_bare_lf");
	if (strcmp(bare, "reject") != 0 && strcmp(bare, "normalize") != 0) {
		log_warnx("%s: smtpd_bare_lf must be reject or normalize",
		    path);
		return -1;
	}
	if (monitor_relay_conf_check(conf, err, sizeof(err)) == -1) {
		log_warnx("%s: %s", path, err);
		return -1;
	}
	/* Refused here, with the reason, rather than in each session. */
	if (priv_is_root() && priv_chroot_check(conf_str(conf,
	    "smtpd_chroot"), err, sizeof(err)) == -1) {
		log_warnx("%s: smtpd_chroot is unfit for a chroot: %s; "
		    "refusing to start", path, err);
		return -1;
	}
	if (sandbox_configure(conf_str(conf, "sandbox")) == -1)
		return -1;
	return 0;
}

/*
 * Reads the certificate and key (as root, before any split).  build: also
 * build the OpenSSL context now; in mx mode of a per-connection smtpd it
 * is built only at STARTTLS.  A context that cannot be built is kept in
 * mx mode (STARTTLS then fails with the reason) and dropped otherwise.
 */
static void
smtpd_tls_setup(const struct conf *conf, struct smtpd_opts *opts, int build)
{
	char	 err[256];

	if (conf_str(conf, "tls_cert_file")[0] == '\0')
		return;
	if ((opts->tls = tls_server_load(conf, err, sizeof(err))) == NULL) {
		log_warnx("TLS not available: %s", err);
		return;
	}
	if (!build && opts->mode == SMTPD_MX)
		return;
	if (tls_server_build(opts->tls, err, sizeof(err)) == -1) {
		log_warnx("TLS not available: %s", err);
		if (opts->mode != SMTPD_MX) {
			tls_server_free(opts->tls);
			opts->tls = NULL;
		}
	}
}

/*
 * As root: smtpd_user's ids and the queue owner's, once.  0, or -1 when
 * smtpd_user does not exist (logged).  A queue directory that cannot be
 * read now is looked up again by the queue child (queue_identity).
 */
static int
smtpd_ids(const struct conf *conf, struct smtpd_opts *opts)
{
	const char	*user = conf_str(conf, "smtpd_user");

	if (!priv_is_root())
		return 0;
	if (priv_lookup(user, &opts->user_uid, &opts->user_gid) == -1) {
		log_warnx("smtpd_user %s: no such user", user);
		return -1;
	}
	(void)queue_owner_lookup(conf_str(conf, "queue_dir"),
	    &opts->queue_owner);
	opts->ids_known = 1;
	return 0;
}

int
smtpd_connection(const struct conf *conf, struct smtpd_opts *opts)
{
	int	 sp[2], null;
	pid_t	 pid;

	smtpd_prepare(conf, opts);
	if (chan_pair(sp) == -1)
		fatal("socketpair");
	opts->monitor = getpid();
	if ((pid = child_fork(NULL, 0)) == -1)
		fatal("fork");
	if (pid == 0) {
		(void)close(sp[0]);
		session_run(conf, opts, sp[1]);
		/* NOTREACHED */
		_exit(111);
	}
	(void)close(sp[1]);
	/* The key stays with the session only. */
	tls_server_free(opts->tls);
	opts->tls = NULL;
	/* The monitor reads no network byte: drop the client descriptors. */
	if ((null = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(null, 0) == -1 || dup2(null, 1) == -1)
		fatal("/dev/null");
	if (null > 2)
		(void)close(null);
	return monitor_run(conf, opts, sp[0], pid);
}

int
main(int argc, char *argv[])
{
	struct smtpd_opts	 opts;
	struct conf		*conf;
	const char		*path, *mode = "mx";
	char			*text = NULL;
	size_t			 textlen = 0;
	int			 ch, resident = 0, conffd = -1;

	memset(&opts, 0, sizeof(opts));
	while ((ch = getopt(argc, argv, "C:dF:Om:R")) != -1) {
		switch (ch) {
		case 'C':
			opts.confpath = optarg;
			break;
		case 'F':
			if ((conffd = conf_fd_option(optarg)) == -1)
				smtpd_usage();
			break;
		case 'd':
			opts.debug = 1;
			break;
		case 'O':
			opts.overloaded = 1;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'R':
			resident = 1;
			break;
		default:
			smtpd_usage();
		}
	}
	if (optind != argc)
		smtpd_usage();
	if (fd_ensure_std() == -1)
		exit(111);
	log_init("smtpd", opts.debug);
	(void)signal(SIGPIPE, SIG_IGN);
	/* A launcher may leave SIGCHLD ignored; the monitor needs waitpid. */
	(void)signal(SIGCHLD, SIG_DFL);

	if (strcmp(mode, "mx") == 0)
		opts.mode = SMTPD_MX;
	else if (strcmp(mode, "submission") == 0)
		opts.mode = SMTPD_SUBMISSION;
	else if (strcmp(mode, "smtps") == 0)
		opts.mode = SMTPD_SMTPS;
	else
		smtpd_usage();

	path = conf_find_path(opts.confpath, 1);
	/* A resident keeps the text: its smtpsession parses the same bytes. */
	conf = conf_load_start(path, conffd, smtpd_conf_error, NULL, &text,
	    &textlen);
	if (conf == NULL)
		log_warnx("%s: configuration errors", path);
	opts.confpath = path;
	if (conf != NULL) {
		log_set_debug(conf_bool(conf, "log_debug"));
		(void)conf_log_open(conf);
	}
	if (conf == NULL || smtpd_conf_check(conf, path) == -1 ||
	    smtpd_ids(conf, &opts) == -1) {
		if (resident)
			exit(78);
		smtpd_refuse("421 4.3.5 Configuration error\r\n", 111);
	}
	if (resident) {
		smtpd_tls_setup(conf, &opts, 1);
		sandbox_prepare(SANDBOX_SMTP_SESSION);
		/* resident_run frees the text */
		return resident_run(conf, &opts, SMTPD_RESIDENT_FD, text,
		    textlen);
	}
	free(text);
	if (!opts.overloaded)
		smtpd_tls_setup(conf, &opts, 0);
	ch = smtpd_connection(conf, &opts);
	conf_free(conf);
	return ch;
}
