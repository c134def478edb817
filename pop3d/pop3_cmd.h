/*
 * pop3_cmd: the POP3 command grammar (RFC 1939, RFC 2449 CAPA, RFC 2595
 * STLS, RFC 5034 AUTH) and the command loop, shared by pop3d's login
 * process (AUTHORIZATION) and pop3session (TRANSACTION).  The table of
 * commands, with the states each is allowed in and the shape of its
 * arguments, is here; each program gives the handlers of the commands
 * of its state, indexed by verb.  Adding a command is adding a row here
 * and a handler in the program that runs its state.
 */
#ifndef FACTEUR_POP3_CMD_H
#define FACTEUR_POP3_CMD_H
#include <stddef.h>

#include "buf.h"
#include "lineio.h"

/* RFC 2449 4: a command line is at most 255 octets with its CRLF. */
#define POP3_LINE_MAX	255

/* States (RFC 1939 3), as bits so that a command row can allow several. */
#define POP3_AUTH	0x1	/* AUTHORIZATION, in pop3d's login process */
#define POP3_TRANS	0x2	/* TRANSACTION, in pop3session */

enum pop3_verb {
	VERB_USER, VERB_PASS, VERB_AUTH, VERB_STLS, VERB_CAPA, VERB_QUIT,
	VERB_NOOP, VERB_STAT, VERB_LIST, VERB_UIDL, VERB_RETR, VERB_TOP,
	VERB_DELE, VERB_RSET,
	VERB_COUNT
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

/* One connection's line-level state, whichever process runs it. */
struct pop3_conn {
	struct lineio	 io;
	struct buf	 line;
	int		 state;		/* POP3_AUTH or POP3_TRANS */
	unsigned	 errors;
	unsigned	 error_limit;	/* pop3_error_limit */
	int		 done;		/* close after this reply */
	int		 closing;	/* the server ends it: lineio_linger */
};

/* The program's own state (pop3d's login process, or pop3session). */
struct pop3;
typedef int	(*pop3_handler)(struct pop3 *, const struct pop3_args *);

/*
 * Reads and runs commands until done: each line is matched against the
 * table, checked against c->state and parsed, then handed to
 * handlers[verb] (NULL for verbs of the other state).  0, or -1 when the
 * client is gone.
 */
int	pop3_loop(struct pop3_conn *, struct pop3 *,
	    const pop3_handler handlers[VERB_COUNT]);
/*
 * After a line read that ended in st: the last reply when a limit ended
 * it (LINE_TIMEOUT: the idle time or the login deadline; LINE_OVERFLOW),
 * nothing when the client is gone.  The connection is over either way.
 */
void	pop3_read_failed(struct pop3_conn *, enum line_status st);
/* "-ERR text", and one more error counted (closing at error_limit). */
int	pop3_err(struct pop3_conn *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	pop3_ok(struct pop3_conn *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* The CAPA reply: the common capabilities, then extra ("X\r\nY\r\n"). */
int	pop3_capa_reply(struct pop3_conn *, const char *extra);

#endif
