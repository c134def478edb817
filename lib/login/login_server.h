/*
 * login_server: the start of a mailbox server program (pop3d, imapd), up
 * to the three processes of login_split: its options, the configuration
 * (the master's text with -F, else the file), the login split's checks,
 * the refusal of a connection over a limit, the TLS certificate and key.
 * A program gives its name, its protocol's refusal lines and its login
 * and session functions; everything else is the same for both servers.
 *
 * Usage of such a program: NAME [-dOs] [-C facteur.conf] [-F fd]
 *   -d  log to stderr;  -O  over a limit: refuse and exit;
 *   -s  TLS from the first byte (POP3S, IMAPS);
 *   -F  the configuration's text is on fd (lib/conf/conf_handoff.c).
 */
#ifndef FACTEUR_LOGIN_SERVER_H
#define FACTEUR_LOGIN_SERVER_H

#include "login_split.h"

/* The options, handed to the protocol's code as login_proto's arg. */
struct login_opts {
	const char	*confpath;
	int		 debug;
	int		 overloaded;	/* -O */
	int		 implicit_tls;	/* -s */
};

struct login_server {
	const char	*name;		/* "pop3d": the log's and ps's name */
	const char	*tls_name;	/* "POP3S": for -s in messages */
	const char	*conf_error;	/* the line for a configuration error */
	const char	*busy;		/* the line for a connection over a limit */
	int		(*login)(struct login_split *, void *arg);
	int		(*session)(const struct conf *,
			    const struct user_entry *, int fd, void *arg);
};

/* main() of the program: runs the connection; its exit status. */
int	login_server_main(const struct login_server *, int argc,
	    char *argv[]);

#endif
