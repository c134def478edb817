/*
 * sandbox_role_imap_session: imapd's session, the mailbox owner (being
 * written; its developer calls sandbox_enter(SANDBOX_IMAP_SESSION) once
 * the session has changed to the home and opened what it needs, before
 * it answers the login, and adjusts this list).
 *
 * Unlike pop3session it writes: Maildir++ folders (CREATE, DELETE,
 * RENAME), APPEND and COPY (tmp/, fsync, link or rename), flags (rename),
 * EXPUNGE (unlink), and its own state files beside the messages (UIDs,
 * keywords, subscriptions: temp file, fsync, rename).  It never executes
 * anything, makes no socket (syslog's reconnection gets EACCES) and
 * connects nowhere.
 */
#include "sandbox_int.h"

SB_LIST_PRIVATE(imap_session_maildir, "maildir-imap",
	SB(openat), SB(getdents64), SB(lseek), SB(newfstatat),
	SB(mkdir), SB(mkdirat), SB(rmdir),
	SB(link), SB(linkat), SB(rename), SB(renameat), SB(renameat2),
	SB(unlink), SB(unlinkat), SB(fsync), SB(fdatasync), SB(ftruncate),
	SB(flock), SB(uname), SB(umask));

const struct sandbox_role_def sandbox_role_imap_session = {
	"imap-session",
	{ &sandbox_list_base, &imap_session_maildir, NULL }
};
