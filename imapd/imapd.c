/*
 * imapd: the IMAP server (RFC 9051 IMAP4rev2 and RFC 3501 IMAP4rev1),
 * serving the Maildir++ of each user, one connection per process group.
 *
 * Started by the master (imap_listen: `imapd -C conf`; imaps_listen:
 * `imapd -C conf -s`), inetd (`nowait`), systemd (Accept=yes) or
 * tcpserver, with the client on fds 0 and 1, as root (or as anyone, for
 * tests: then no identity changes, which is logged once).  It reads
 * facteur.conf and the TLS certificate and key, then splits into the
 * three processes of lib/login/login_split: the monitor (this process:
 * checks credentials, reads no network byte), the login process
 * (chrooted, login_user: TLS and the not-authenticated state,
 * imapd_login.c) and the session process (the mailbox owner), which
 * execs program_dir/imapsession for the authenticated and selected
 * states (imapd_session.c).
 *
 * It trusts the config and the users table; everything from the network
 * is checked by imap_read and imap_parse.
 *
 * Usage: imapd [-dOs] [-C facteur.conf] [-F fd]
 *   -d  log to stderr;  -O  over a limit: answer BYE and exit;
 *   -s  IMAPS: TLS from the first byte;
 *   -F  the configuration's text is on fd: the master's validated copy
 *       (lib/conf/conf_handoff.c); -C then only names it.  Without -F
 *       (inetd, systemd) the file is read.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fdio.h"
#include "imapd.h"
#include "log.h"
#include "login_split.h"
#include "sandbox.h"
#include "tls.h"

static void
imapd_conf_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

static void __attribute__((noreturn))
imapd_usage(void)
{
	fprintf(stderr, "usage: imapd [-dOs] [-C conf] [-F fd]\n");
	exit(64);
}

/* A reply straight on fd 1, before any process split (plain IMAP only). */
static void __attribute__((noreturn))
imapd_refuse(const struct imapd_opts *o, const char *line, int code)
{
	if (!o->implicit_tls)
		(void)fd_write_full(1, line, strlen(line));
	exit(code);
}

extern char **environ;

int
main(int argc, char *argv[])
{
	static struct imapd_opts opts;
	struct login_proto	 proto;
	struct tls_server	*tls = NULL;
	struct conf		*conf;
	const char		*path;
	char			 err[512];
	int			 ch, conffd = -1;

	/* Titles tell the three processes apart in ps(1). */
	setproctitle_init(argc, argv, environ);
	while ((ch = getopt(argc, argv, "C:dF:Os")) != -1) {
		switch (ch) {
		case 'C':
			opts.confpath = optarg;
			break;
		case 'F':
			if ((conffd = conf_fd_option(optarg)) == -1)
				imapd_usage();
			break;
		case 'd':
			opts.debug = 1;
			break;
		case 'O':
			opts.overloaded = 1;
			break;
		case 's':
			opts.implicit_tls = 1;
			break;
		default:
			imapd_usage();
		}
	}
	if (optind != argc)
		imapd_usage();
	if (fd_ensure_std() == -1)
		exit(111);
	log_init("imapd", opts.debug);
	(void)signal(SIGPIPE, SIG_IGN);

	path = conf_find_path(opts.confpath, 1);
	if ((conf = conf_load_start(path, conffd, imapd_conf_error, NULL,
	    NULL, NULL)) == NULL ||
	    sandbox_configure(conf_str(conf, "sandbox")) == -1) {
		log_warnx("%s: configuration errors", path);
		imapd_refuse(&opts, "* BYE [UNAVAILABLE] configuration "
		    "error\r\n", 111);
	}
	log_set_debug(conf_bool(conf, "log_debug"));
	if (login_split_check(conf, err, sizeof(err)) == -1) {
		log_warnx("%s: %s; refusing to start", path, err);
		imapd_refuse(&opts, "* BYE [UNAVAILABLE] configuration "
		    "error\r\n", 111);
	}
	if (opts.overloaded && !opts.implicit_tls)
		imapd_refuse(&opts, "* BYE [UNAVAILABLE] busy, try later\r\n",
		    0);

	/*
	 * The certificate and key are read now, as root; the OpenSSL
	 * context is built in the login process when a client starts TLS,
	 * so the monitor, and the session forked from it, never carry
	 * OpenSSL's pages.
	 */
	if (*conf_str(conf, "tls_cert_file") != '\0') {
		if ((tls = tls_server_load(conf, err, sizeof(err))) == NULL) {
			log_warnx("TLS: %s", err);
			if (opts.implicit_tls)
				exit(111);
		}
	} else if (opts.implicit_tls) {
		log_warnx("-s (IMAPS) needs tls_cert_file");
		exit(111);
	}

	memset(&proto, 0, sizeof(proto));
	proto.name = "imapd";
	proto.login = imap_login_main;
	proto.session = imap_session_exec;
	proto.arg = &opts;
	ch = login_split_run(conf, &proto, tls);
	conf_free(conf);
	return ch;
}
