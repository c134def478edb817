/*
 * login_server: the start of pop3d and imapd (see login_server.h).
 *
 * Started by the master, inetd (`nowait`), systemd (Accept=yes) or
 * tcpserver, with the client on fds 0 and 1, as root (or as anyone, for
 * tests: then no identity changes, which login_split logs once).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "conf_log.h"
#include "fdio.h"
#include "log.h"
#include "login_server.h"
#include "sandbox.h"
#include "tls.h"

extern char **environ;

static void
login_server_conf_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

static void __attribute__((noreturn))
login_server_usage(const struct login_server *srv)
{
	fprintf(stderr, "usage: %s [-dOs] [-C conf] [-F fd]\n", srv->name);
	exit(64);
}

/* A reply straight on fd 1, before any process split (plain text only). */
static void __attribute__((noreturn))
login_server_refuse(const struct login_opts *o, const char *line, int code)
{
	if (!o->implicit_tls)
		(void)fd_write_full(1, line, strlen(line));
	exit(code);
}

int
login_server_main(const struct login_server *srv, int argc, char *argv[])
{
	static struct login_opts opts;
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
				login_server_usage(srv);
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
			login_server_usage(srv);
		}
	}
	if (optind != argc)
		login_server_usage(srv);
	if (fd_ensure_std() == -1)
		exit(111);
	log_init(srv->name, opts.debug);
	(void)signal(SIGPIPE, SIG_IGN);

	path = conf_find_path(opts.confpath, 1);
	if ((conf = conf_load_start(path, conffd, login_server_conf_error,
	    NULL, NULL, NULL)) == NULL ||
	    sandbox_configure(conf_str(conf, "sandbox")) == -1) {
		log_warnx("%s: configuration errors", path);
		login_server_refuse(&opts, srv->conf_error, 111);
	}
	log_set_debug(conf_bool(conf, "log_debug"));
	if (login_split_check(conf, err, sizeof(err)) == -1) {
		log_warnx("%s: %s; refusing to start", path, err);
		login_server_refuse(&opts, srv->conf_error, 111);
	}
	/* log_file, when set: opened now, kept by the processes forked */
	(void)conf_log_open(conf);
	if (opts.overloaded && !opts.implicit_tls)
		login_server_refuse(&opts, srv->busy, 0);

	/*
	 * The certificate and key are read now, as root, before anything is
	 * dropped; the OpenSSL context is built later, in the login process,
	 * when a client starts TLS.  So the monitor, and the session forked
	 * from it, never carry OpenSSL's pages.
	 */
	if (*conf_str(conf, "tls_cert_file") != '\0') {
		if ((tls = tls_server_load(conf, err, sizeof(err))) == NULL) {
			log_warnx("TLS: %s", err);
			if (opts.implicit_tls)
				exit(111);
		}
	} else if (opts.implicit_tls) {
		log_warnx("-s (%s) needs tls_cert_file", srv->tls_name);
		exit(111);
	}

	memset(&proto, 0, sizeof(proto));
	proto.name = srv->name;
	proto.login = srv->login;
	proto.session = srv->session;
	proto.arg = &opts;
	ch = login_split_run(conf, &proto, tls);
	conf_free(conf);
	return ch;
}
