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
 * Usage (lib/login/login_server.h): imapd [-dOs] [-C facteur.conf] [-F fd]
 *   -d  log to stderr;  -O  over a limit: answer BYE and exit;
 *   -s  IMAPS: TLS from the first byte;
 *   -F  the configuration's text is on fd: the master's validated copy
 *       (lib/conf/conf_handoff.c); -C then only names it.  Without -F
 *       (inetd, systemd) the file is read.
 */
#include "conf.h"
#include "login_server.h"
#include "imapd.h"

static const struct login_server imapd_server = {
	.name = "imapd",
	.tls_name = "IMAPS",
	.conf_error = "* BYE [UNAVAILABLE] configuration error\r\n",
	.busy = "* BYE [UNAVAILABLE] busy, try later\r\n",
	.login = imap_login_main,
	.session = imap_session_exec,
};

int
main(int argc, char *argv[])
{
	return login_server_main(&imapd_server, argc, argv);
}
