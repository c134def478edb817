/*
 * sandbox_role_pop3_session: pop3session, entered after it has taken the
 * mailbox lock, moved new/ to cur/, listed cur/ and rewritten the size
 * cache (pop3_open_box), before it answers the login.
 *
 * What it still does, in the Maildir it runs in: open messages to read
 * them (RETR, TOP), read cur/ again to find a message another program
 * renamed, rename a message to add a flag (pop3_mark_seen), unlink the
 * deleted messages at QUIT.  Every open is read-only: it creates and
 * writes no file.  It never executes anything, makes no socket (syslog's
 * reconnection gets EACCES) and connects nowhere.
 */
#include "sandbox_int.h"

SB_LIST_PRIVATE(pop3_session_maildir, "maildir-read",
	/* messages and cur/ (opendir), read-only */
	SB_IF(openat, SB_RDONLY), SB(getdents64), SB(lseek),
	/* fstatat of directory entries while looking a message up */
	SB(newfstatat),
	/* a flag is a new name; DELE removes at QUIT */
	SB(rename), SB(renameat), SB(renameat2), SB(unlink), SB(unlinkat));

const struct sandbox_role_def sandbox_role_pop3_session = {
	"pop3-session",
	{ &sandbox_list_base, &pop3_session_maildir, NULL }
};
