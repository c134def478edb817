/*
 * pop3d: the POP3 server (RFC 1939, with CAPA of RFC 2449, STLS of RFC
 * 2595, AUTH of RFC 5034 and the response codes of RFC 3206), serving
 * the Maildir of each user, one connection per process group.
 *
 * Started by the master (pop3_listen: `pop3d -C conf`; pop3s_listen:
 * `pop3d -C conf -s`), inetd (`nowait`), systemd (Accept=yes) or
 * tcpserver, with the client on fds 0 and 1, as root (or as anyone, for
 * tests: then no identity changes, which is logged once).  It reads
 * facteur.conf and the TLS certificate and key, then splits into the
 * three processes of lib/login_split: the monitor (this process: checks
 * credentials, reads no network byte), the login process (chrooted,
 * login_user: TLS and the AUTHORIZATION state, pop3d_login.c) and the
 * session process (the mailbox owner), which execs program_dir/pop3session
 * for the TRANSACTION and UPDATE states (pop3d_session.c).
 *
 * It trusts the config and the users table; everything from the network
 * is checked by the command table of pop3d/pop3_cmd.c.
 *
 * Usage (lib/login/login_server.h): pop3d [-dOs] [-C facteur.conf] [-F fd]
 *   -d  log to stderr;  -O  over a limit: answer busy and exit;
 *   -s  POP3S: TLS from the first byte;
 *   -F  the configuration's text is on fd: the master's validated copy
 *       (lib/conf/conf_handoff.c); -C then only names it.  Without -F
 *       (inetd, systemd) the file is read.
 */
#include "conf.h"
#include "login_server.h"
#include "pop3d.h"

static const struct login_server pop3d_server = {
	.name = "pop3d",
	.tls_name = "POP3S",
	.conf_error = "-ERR [SYS/TEMP] configuration error\r\n",
	.busy = "-ERR [SYS/TEMP] busy, try later\r\n",
	.login = pop3_login_main,
	.session = pop3_session_exec,
};

int
main(int argc, char *argv[])
{
	return login_server_main(&pop3d_server, argc, argv);
}
