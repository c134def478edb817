/*
 * pop3session: declarations shared by the files of the POP3 session
 * program (TRANSACTION and UPDATE states, as the mailbox owner): the
 * command handlers (pop3session_cmd.c), RETR and TOP
 * (pop3session_retr.c).  The command grammar and loop are lib/pop3_cmd's.
 */
#ifndef FACTEUR_POP3SESSION_H
#define FACTEUR_POP3SESSION_H
#include <stddef.h>

#include "maildir_list.h"
#include "pop3_cmd.h"

#define POP3_LOCK_FILE	"facteur-pop3.lock"
#define POP3_LOCK_WAIT_MS 3000	/* for a lock held, before [IN-USE] */

/* One connection's TRANSACTION state. */
struct pop3 {
	struct pop3_conn	 c;
	struct maildir_list	 box;
	int			 lockfd;	/* the mailbox lock */
	unsigned char		*deleted;	/* one byte per message */
	size_t			 ndeleted;
	int			 mark_seen;	/* pop3_mark_seen */
};

/* pop3session_cmd.c */
extern const pop3_handler pop3_session_handlers[VERB_COUNT];
/* Locks, lists and answers the login: 0, or -1 after an -ERR. */
int	pop3_open_box(struct pop3 *, const char *user, const char *home,
	    const char *maildir);
void	pop3_close_box(struct pop3 *, const char *user);
void	pop3_totals(const struct pop3 *, size_t *, unsigned long long *);

/* pop3session_retr.c */
int	pop3_cmd_retr(struct pop3 *, const struct pop3_args *);
int	pop3_cmd_top(struct pop3 *, const struct pop3_args *);

#endif
