/*
 * imapsession: declarations shared by the files of the IMAP session
 * program (the authenticated and selected states, as the mailbox owner):
 * the command table and the untagged updates (imap_cmd.c), responses
 * (imap_resp.c), mailboxes (imap_mailbox.c, imap_list.c,
 * imap_folders.c), the selected folder (imap_select.c), FETCH
 * (imap_fetch.c, imap_fetch_body.c, imap_mime.c), STORE (imap_store.c),
 * COPY and MOVE (imap_copy.c), APPEND (imap_append.c), SEARCH
 * (imap_search_keys.c, imap_search.c) and IDLE (imap_idle.c).
 */
#ifndef FACTEUR_IMAPSESSION_H
#define FACTEUR_IMAPSESSION_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "imap_parse.h"
#include "imap_read.h"
#include "imap_seq.h"
#include "lineio.h"
#include "mailbox_name.h"
#include "store.h"

#define IMAP_AUTH	0x1	/* authenticated state */
#define IMAP_SELECTED	0x2	/* selected state */

#define IMAP_IDLE_KEEPALIVE_S	120	/* "* OK still here" while idle */

struct imap_session {
	struct lineio	 io;
	struct imap_reader rd;
	struct imap_command cmd;
	const char	*user;
	char		*root;		/* the Maildir, absolute */
	int		 rootfd;
	int		 state;
	unsigned	 errors;
	unsigned	 error_limit;
	int		 done;
	int		 timeout_s;
	int		 literal_minus;	/* LITERAL- rather than LITERAL+ */
	uint64_t	 append_max;	/* imap_append_limit */

	/* ENABLE (RFC 5161) */
	int		 rev2;		/* IMAP4rev2 */
	int		 utf8;		/* UTF8=ACCEPT, or IMAP4rev2 */

	/* the selected folder */
	struct folder	 box;
	size_t		 exists;	/* EXISTS last announced */
	size_t		 recent_sent;	/* RECENT last announced */
	size_t		 nkw_sent;	/* keywords in the last FLAGS */
	struct imap_seq	 saved;		/* SEARCHRES "$", as UIDs */
	int		 saved_ok;	/* a SAVE happened in this mailbox */

	/* the command being run */
	int		 uid;		/* UID FETCH, UID STORE, ... */
	int		 no_expunge;	/* FETCH, STORE, SEARCH: no EXPUNGE */
	const struct imap_arg *args;	/* its first argument */
	struct buf	 out;		/* a response being built */
	char		 tagged[1024];	/* its tagged reply, sent after the
					   untagged updates */
};

/* imapsession.c */
extern const char imap_server_id[];

/* imap_cmd.c */
int	imap_session_loop(struct imap_session *);
/* Capabilities after login, for CAPABILITY and the LOGIN reply. */
const char *imap_capabilities(const struct imap_session *);
/*
 * Tagged replies.  imap_bad counts towards imap_error_limit.  All return
 * 0, or -1 when the client is gone.
 */
int	imap_ok(struct imap_session *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	imap_no(struct imap_session *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	imap_bad(struct imap_session *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Brings the selected folder in step and tells the client: EXISTS,
 * RECENT, FETCH FLAGS of changed messages and, when allowed, EXPUNGE.
 * 0, or -1 when the session must end.
 */
int	imap_updates(struct imap_session *, int allow_expunge);

/* imap_resp.c: strings on the wire */
/* Appends s[0..n) as an atom-safe quoted string or a literal. */
int	resp_string(struct buf *, const char *s, size_t n, int utf8);
/* NIL for NULL, else resp_string. */
int	resp_nstring(struct buf *, const char *s, size_t n, int utf8);
/* A mailbox name in the client's form (modified UTF-7 or UTF-8). */
int	resp_mailbox(struct imap_session *, struct buf *, const char *name);
/* "(\Seen \Answered kw1 ...)" of message i. */
int	resp_flags(struct imap_session *, struct buf *, size_t i);
/* The folder's flags list, for FLAGS and PERMANENTFLAGS. */
int	resp_flag_list(struct imap_session *, struct buf *, int permanent);
/* "dd-Mon-yyyy hh:mm:ss +zzzz" */
int	resp_date(struct buf *, time_t);
/* Writes b as is and resets it. */
int	resp_send(struct imap_session *, struct buf *);

/* imap_mailbox.c: names, paths and the Maildir++ tree */
/*
 * The mailbox name of argument a (astring, in the client's form).  0, or
 * -1 after a BAD or NO reply (*replied) or when the client is gone.
 */
int	mbox_arg(struct imap_session *, const struct imap_arg *a, char *out,
	    size_t outlen);
/* The directory path of a folder; 0 or -1. */
int	mbox_path(const struct imap_session *, const char *name, char *out,
	    size_t outlen);
/* 1 when the folder exists (a Maildir with cur/). */
int	mbox_exists(const struct imap_session *, const char *name);
/* Creates a folder (and its parents' place in the tree is implied). */
int	mbox_create(const struct imap_session *, const char *name);
/* The special-use attribute of a name ("\\Sent"), or NULL. */
const char *mbox_special_use(const char *name);
/* Creates the special-use folders that are missing. */
void	mbox_create_special(const struct imap_session *);
/* Names of every folder, INBOX first; the caller frees each and v. */
int	mbox_list_all(const struct imap_session *, char ***v, size_t *n);
void	mbox_list_free(char **v, size_t n);
/* Subscriptions. */
int	mbox_subs_load(const struct imap_session *, char ***v, size_t *n);
int	mbox_subs_set(const struct imap_session *, const char *name, int on);
/* Subscriptions to from and its children follow a RENAME to to. */
int	mbox_subs_rename(const struct imap_session *, const char *from,
	    const char *to);

/* imap_select.c */
int	cmd_select(struct imap_session *);
int	cmd_examine(struct imap_session *);
int	cmd_close(struct imap_session *);
int	cmd_unselect(struct imap_session *);
int	cmd_expunge(struct imap_session *);
int	cmd_check(struct imap_session *);
int	cmd_status(struct imap_session *);
/* Closes the selected folder, if any (no expunge). */
void	select_close(struct imap_session *);
/*
 * STATUS items of a folder into b ("MESSAGES 3 UIDNEXT 4"); items is a
 * list argument.  0, -1 on a bad item (*why), -2 when it cannot be read.
 */
int	status_items(struct imap_session *, const char *name,
	    const struct imap_arg *items, struct buf *b, const char **why);

/* imap_list.c */
int	cmd_list(struct imap_session *);
int	cmd_lsub(struct imap_session *);
int	cmd_create(struct imap_session *);
int	cmd_delete(struct imap_session *);
int	cmd_rename(struct imap_session *);
int	cmd_subscribe(struct imap_session *);
int	cmd_unsubscribe(struct imap_session *);
int	cmd_namespace(struct imap_session *);

/* imap_fetch.c */
int	cmd_fetch(struct imap_session *);
/*
 * The sequence set argument a as message indices: the set over indices
 * 0..n-1 (uid: matched by UID).  0, or -1 after a BAD/NO reply.
 */
int	seq_arg(struct imap_session *, const struct imap_arg *a,
	    struct imap_seq *idx);

/* imap_store.c */
int	cmd_store(struct imap_session *);
/* Parses a flag list (or one flag) into system flags and keywords. */
int	flags_arg(struct imap_session *, const struct imap_arg *a,
	    uint8_t *flags, char ***kw, size_t *nkw, const char **why);

/* imap_copy.c */
int	cmd_copy(struct imap_session *);
int	cmd_move(struct imap_session *);
/*
 * The destination folder of COPY, MOVE or APPEND, opened to add
 * messages: 0, or -1 after a NO or BAD reply ([TRYCREATE] when missing).
 */
int	copy_dest(struct imap_session *, const struct imap_arg *a,
	    struct folder *d);
/* fsync of the directory sub of dirfd. */
int	fsync_dir_at(int dirfd, const char *sub);

/* imap_append.c */
int	cmd_append(struct imap_session *);
/* An fd for a big APPEND literal (imap_read's spool). */
int	append_spool(void *arg);

/* imap_search.c */
int	cmd_search(struct imap_session *);

/* imap_idle.c */
int	cmd_idle(struct imap_session *);

#endif
