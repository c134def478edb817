/*
 * pop3d: declarations shared by the files of the POP3 server's monitor
 * and login process: the AUTHORIZATION state (pop3d_login.c) and the
 * start of pop3session, which runs the TRANSACTION and UPDATE states as
 * the mailbox owner (pop3d_session.c).  The command grammar and loop are
 * lib/pop3_cmd's.
 */
#ifndef FACTEUR_POP3D_H
#define FACTEUR_POP3D_H
#include <stddef.h>

#include "pop3_cmd.h"
#include "login_server.h"

struct conf;
struct login_split;
struct tls_server;
struct tls_conn;
struct user_entry;

/* One connection's AUTHORIZATION state, in the login process. */
struct pop3 {
	struct pop3_conn	 c;
	const struct conf	*conf;
	const struct login_opts	*opts;
	struct login_split	*split;
	struct tls_server	*tls;
	struct tls_conn		*conn;		/* TLS is on */
	char			 user[256];	/* USER given, awaiting PASS */
};

/* pop3d_login.c */
int	pop3_login_main(struct login_split *, void *arg);

/* pop3d_session.c: in the session process, as the mailbox owner */
int	pop3_session_exec(const struct conf *, const struct user_entry *,
	    int fd, void *arg);

#endif
