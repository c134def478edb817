/*
 * sandbox_role_delivery: lspawn's delivery worker (deliver/lspawn_worker.c),
 * entered after it dropped to its one user (and wiped what it inherited),
 * before it reads its first job.
 *
 * What it does from then on, per job: receive the job and the message's
 * descriptor from lspawn (SCM_RIGHTS), write the message into the user's
 * Maildir (mkdir -p of a missing Maildir, tmp/ created O_EXCL, write,
 * fsync, link or rename into new/, fsync of new/, shared with the user's
 * other workers through a futex; first, for a job tried before, a look
 * into new/ and cur/), reset its umask and
 * working directory, close what the job opened, send the result.  It
 * creates files (it must), but never executes anything, makes no socket
 * (syslog's reconnection gets EACCES) and connects nowhere.
 */
#include "sandbox_int.h"

SB_LIST_PRIVATE(delivery_maildir, "maildir-write",
	SB(openat), SB(mkdir), SB(mkdirat), SB(newfstatat), SB(lseek),
	SB(link), SB(linkat), SB(rename), SB(renameat), SB(renameat2),
	SB(unlink), SB(unlinkat), SB(fsync), SB(fdatasync),
	/* unique names: gethostname(3) is uname(2) */
	SB(uname),
	/* per job: umask 077, chdir /, closefrom(3) */
	SB(umask), SB(chdir), SB(close_range),
	/* a job whose earlier attempt's result was lost: is the message in
	 * cur/ already, under any flags (lib/maildir/maildir_once.c)?  And
	 * the group commit of new/ with the user's other workers
	 * (lib/base/gsync.c): is the leader alive (/proc/PID/stat, opened
	 * by openat above)? */
	SB(getdents64));

const struct sandbox_role_def sandbox_role_delivery = {
	"delivery",
	{ &sandbox_list_base, &sandbox_list_chan, &delivery_maildir, NULL }
};
