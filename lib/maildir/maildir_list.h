/*
 * maildir_list: a Maildir's cur/ as a mailbox server sees it (pop3d now,
 * imapd later): new/ moved into cur/, every message's unique name (the
 * file name up to ':', which flag changes never touch), its size as sent
 * on the wire (CRLF line ends, a final CRLF added when the file lacks one),
 * and the helpers that send a message that way.
 *
 * Wire sizes cost a read of the whole message, so they are computed once
 * and kept: from Dovecot/Courier's ",W=<size>" in the file name when
 * present, else from the size cache file MAILDIR_SIZE_CACHE in the Maildir
 * (NUL-separated records "unique\0rawsize\0size\0", rewritten atomically;
 * a record counts only when the file's size on disk still matches).
 *
 * Trust: see maildir_list.c.
 */
#ifndef FACTEUR_MAILDIR_LIST_H
#define FACTEUR_MAILDIR_LIST_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAILDIR_SIZE_CACHE	"facteur-sizes"
#define MAILDIR_LIST_MAX	1000000		/* messages in one listing */
#define MAILDIR_UIDL_MAX	70		/* RFC 1939 7: 1 to 70 octets */

/*
 * The listing is kept compact, as a session holds it while it is idle:
 * one array of small fixed records and every file name in one block.
 */
struct maildir_msg {
	size_t		 size;		/* octets on the wire (CRLF ends) */
	uint32_t	 name;		/* offset of the file name in names */
	uint16_t	 ulen;		/* length of its unique part */
};

struct maildir_list {
	char			*dir;		/* the Maildir */
	struct maildir_msg	*msgs;
	size_t			 n, cap;
	char			*names;		/* NUL-ended names in cur/ */
	size_t			 nameslen, namescap;
	int			 computed;	/* sizes not found in any cache */
	size_t			 cached;	/* records the cache file held */
};

/*
 * Renames every message of new/ into cur/ with ":2," appended.  Returns
 * the number moved, or -1 with errno (what was moved stays moved).
 */
int	maildir_list_take_new(const char *dir);
/*
 * Lists cur/ (at most MAILDIR_LIST_MAX messages: more is E2BIG) sorted
 * by arrival, with wire sizes; saves the size cache when it learnt
 * something.  0, or -1 with errno.
 */
int	maildir_list_scan(struct maildir_list *, const char *dir);
void	maildir_list_free(struct maildir_list *);
/* The current file name of message i in cur/. */
const char *maildir_list_name(const struct maildir_list *, size_t i);
/*
 * Opens message i read-only, following a rename by another program (an
 * IMAP flag change) through its unique name.  fd, or -1 with errno
 * (ENOENT: the message is gone).
 */
int	maildir_list_open(struct maildir_list *, size_t i);
/* Adds flag (e.g. 'S') to message i's name, keeping flags sorted. */
int	maildir_list_add_flag(struct maildir_list *, size_t i, char flag);
/* Unlinks message i; a message already gone counts as removed. */
int	maildir_list_remove(struct maildir_list *, size_t i);
/* The UIDL of message i: its unique name, or "H" + hash when unfit. */
void	maildir_list_uidl(const struct maildir_list *, size_t i, char *out,
	    size_t outlen);

#endif
