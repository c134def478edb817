/*
 * sandbox_role_imap_session: imapsession, the mailbox owner, entered in
 * imapd/imapsession.c `main` once the Maildir is open (created if need
 * be, with the special-use folders of imap_special_use_folders), just
 * before the login is answered and the first client byte read.
 *
 * Unlike pop3session it writes: Maildir++ folders (CREATE, DELETE,
 * RENAME), APPEND (a spool opened O_TMPFILE, the file's time set to the
 * INTERNALDATE: utimensat) and COPY (tmp/, fsync, link or rename), flags
 * (rename), EXPUNGE (unlink), and its own state files beside the
 * messages (the UID list appended and rewritten with pread and pwrite
 * under flock; keywords, subscriptions: temp file, fchmod, fsync,
 * rename).  It watches the selected folder with inotify (IDLE, and at
 * every command), lists directories through a dup of a folder's
 * descriptor, and maps its cache file.  It never executes anything,
 * makes no socket (syslog's reconnection gets EACCES) and connects
 * nowhere.
 *
 * A mapping with PROT_EXEC fails with EPERM instead of killing
 * (SB_EXEC_EPERM): glibc's iconv loads a charset's gconv module with
 * dlopen when SEARCH first decodes text in it, and the session must not
 * die of a stranger's message in KOI8-R.  The load fails, no new code
 * is mapped, and the charset is unknown: SEARCH compares text in it as
 * its bytes read as windows-1252 (so "привет" in KOI8-R matches no
 * search string in Cyrillic).  The charsets lib/mime converts itself
 * (us-ascii, utf-8, iso-8859-1, windows-1252) and the ones built into
 * glibc (UTF-16, UTF-32, UTF-7, UCS-2, UCS-4) are unaffected; with
 * sandbox = off every charset glibc has is converted.  Opening the
 * converters before sandbox_enter instead was measured: sixteen common
 * ones (ISO-8859-2, -7, -9, -15, KOI8-R, KOI8-U, WINDOWS-1250, -1251,
 * -1256, ISO-2022-JP, EUC-JP, WINDOWS-31J, GB18030, BIG5-HKSCS, CP949,
 * TIS-620) cost 0.6 to 4.5 ms and about 1 MB of private memory in every
 * session, whose idle whole is 140 kB: too much for text few searches
 * read.
 */
#include "sandbox_int.h"

SB_LIST_PRIVATE(imap_session_maildir, "maildir-imap",
	SB(openat), SB(getdents64), SB(lseek), SB(newfstatat),
	SB(pread64), SB(pwrite64), SB(dup),
	SB(mkdir), SB(mkdirat), SB(rmdir),
	SB(link), SB(linkat), SB(rename), SB(renameat), SB(renameat2),
	SB(unlink), SB(unlinkat), SB(fsync), SB(fdatasync), SB(ftruncate),
	SB(utimensat), SB(fchmod), SB(flock), SB(uname), SB(umask),
	SB(inotify_init1), SB(inotify_add_watch), SB(inotify_rm_watch),
	SB_IF(mmap, SB_EXEC_EPERM));

const struct sandbox_role_def sandbox_role_imap_session = {
	"imap-session",
	{ &sandbox_list_base, &imap_session_maildir, NULL }
};
