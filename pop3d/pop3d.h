/*
 * pop3d: declarations shared by the files of the POP3 server: the command
 * table and its parsers (pop3d_cmd.c), the AUTHORIZATION state in the
 * login process (pop3d_login.c), the TRANSACTION and UPDATE states in the
 * session process (pop3d_session.c, pop3d_retr.c).
 */
#ifndef FACTEUR_POP3D_H
#define FACTEUR_POP3D_H
#include <stddef.h>

#include "buf.h"
#include "lineio.h"
#include "maildir_list.h"

/* RFC 2449 4: a command line is at most 255 octets with its CRLF. */
#define POP3_LINE_MAX	255
#define POP3_LOCK_FILE	"facteur-pop3.lock"

/* States (RFC 1939 3), as bits so that a command row can allow several. */
#define POP3_AUTH	0x1	/* AUTHORIZATION, in the login process */
#define POP3_TRANS	0x2	/* TRANSACTION, in the session process */

struct conf;
struct login_split;
struct tls_server;
struct tls_conn;

struct pop3_opts {
	const char	*confpath;
	int		 debug;
	int		 overloaded;	/* -O */
	int		 implicit_tls;	/* -s: POP3S */
};

/* One connection's protocol state, in whichever process runs it. */
struct pop3 {
	const struct conf	*conf;
	const struct pop3_opts	*opts;
	struct lineio		 io;
	struct buf		 line;
	int			 state;		/* POP3_AUTH or POP3_TRANS */
	unsigned		 errors;
	int			 done;		/* close after this reply */

	/* login process */
	struct login_split	*split;
	struct tls_server	*tls;
	struct tls_conn		*conn;		/* TLS is on */
	char			 user[256];	/* USER given, awaiting PASS */
	int			 session_fd;	/* after a login */

	/* session process */
	struct maildir_list	 box;
	int			 lockfd;	/* the mailbox lock */
	unsigned char		*deleted;	/* one byte per message */
	size_t			 ndeleted;
	int			 mark_seen;
};

enum pop3_arg {
	ARG_NONE,	/* no argument */
	ARG_MSG,	/* a message number */
	ARG_OPTMSG,	/* an optional message number */
	ARG_TOP,	/* a message number and a line count */
	ARG_WORD,	/* one word (USER) */
	ARG_REST,	/* the rest of the line, may hold blanks (PASS) */
	ARG_AUTH	/* [mechanism [initial-response]] */
};

struct pop3_args {
	size_t		 msg;		/* 1-based, 0 when absent */
	unsigned long	 lines;
	const char	*s1, *s2;
};

struct pop3_cmd {
	const char	*name;
	int		 states;
	enum pop3_arg	 arg;
	int		(*fn)(struct pop3 *, const struct pop3_args *);
};

/* pop3d_cmd.c */
/* Reads and runs commands until done; 0, or -1 when the client is gone. */
int	pop3_loop(struct pop3 *);
/* "-ERR text" and one more error counted. */
int	pop3_err(struct pop3 *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	pop3_ok(struct pop3 *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* The CAPA reply for the current state. */
int	pop3_capa(struct pop3 *, const struct pop3_args *);

/* pop3d_login.c: command handlers of the AUTHORIZATION state */
int	pop3_login_main(struct login_split *, void *arg);
int	pop3_cmd_user(struct pop3 *, const struct pop3_args *);
int	pop3_cmd_pass(struct pop3 *, const struct pop3_args *);
int	pop3_cmd_auth(struct pop3 *, const struct pop3_args *);
int	pop3_cmd_stls(struct pop3 *, const struct pop3_args *);
int	pop3_login_allowed(const struct pop3 *);

/* pop3d_session.c: TRANSACTION and UPDATE */
struct user_entry;
int	pop3_session_main(const struct conf *, const struct user_entry *,
	    int fd, void *arg);
int	pop3_cmd_quit(struct pop3 *, const struct pop3_args *);
int	pop3_cmd_noop(struct pop3 *, const struct pop3_args *);
int	pop3_cmd_stat(struct pop3 *, const struct pop3_args *);
int	pop3_cmd_list(struct pop3 *, const struct pop3_args *);
int	pop3_cmd_uidl(struct pop3 *, const struct pop3_args *);
int	pop3_cmd_dele(struct pop3 *, const struct pop3_args *);
int	pop3_cmd_rset(struct pop3 *, const struct pop3_args *);

/* pop3d_retr.c */
int	pop3_cmd_retr(struct pop3 *, const struct pop3_args *);
int	pop3_cmd_top(struct pop3 *, const struct pop3_args *);

#endif
