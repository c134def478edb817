/*
 * imapd: declarations shared by the files of the IMAP server's monitor
 * and login process: the not-authenticated state (imapd_login.c) and the
 * start of imapsession, which runs the authenticated and selected states
 * as the mailbox owner (imapd_session.c).
 */
#ifndef FACTEUR_IMAPD_H
#define FACTEUR_IMAPD_H
#include <stddef.h>

#include "imap_parse.h"
#include "imap_read.h"
#include "lineio.h"
#include "login_server.h"

struct conf;
struct login_split;
struct tls_server;
struct tls_conn;
struct user_entry;

/*
 * The first line the login process sends the session after a login,
 * before relaying the client's bytes: "FACTEUR-LOGIN <tag>" CRLF, the tag
 * of the LOGIN or AUTHENTICATE command the session's first reply answers.
 * The session checks it as client input: the login process relays what
 * any client could send anyway.
 */
#define IMAP_LOGIN_PREAMBLE	"FACTEUR-LOGIN "

/* One connection's not-authenticated state, in the login process. */
struct imap_login {
	const struct conf	*conf;
	const struct login_opts	*opts;
	struct login_split	*split;
	struct tls_server	*tls;
	struct tls_conn		*conn;		/* TLS is on */
	struct lineio		 io;
	struct imap_reader	 rd;
	struct imap_command	 cmd;
	unsigned		 errors;
	unsigned		 error_limit;	/* imap_error_limit */
	int			 done;
	int			 closing;	/* we end it: linger */
};

/* imapd_login.c */
int	imap_login_main(struct login_split *, void *arg);

/* imapd_session.c: in the session process, as the mailbox owner */
int	imap_session_exec(const struct conf *, const struct user_entry *,
	    int fd, void *arg);

#endif
