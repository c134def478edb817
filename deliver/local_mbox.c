/*
 * local_mbox: appending a message to an mbox file, the way Postfix's
 * local(8) does and Debian's mail(1) and mutt read it: a From_ line
 * ("From SENDER DATE", MAILER-DAEMON for the null sender), Return-Path
 * and Delivered-To, the message with ">" put before every line that
 * begins with "From ", a line end added to an unterminated last line,
 * and an empty line.  The file is fsynced before the delivery counts; a
 * write or fsync that fails truncates it to its former length.
 *
 * Locking, both kinds, as Debian's liblockfile and Postfix do: first a
 * dotlock, PATH.lock created with O_EXCL (deliver_lock_attempts tries,
 * deliver_lock_delay apart; one older than stale_lock_time is removed as
 * stale), then fcntl(F_SETLK) on the whole file (tried the same way).
 * For the user's mailbox in mail_spool_directory (Debian's /var/mail:
 * root:mail, mode 2775) the dotlock is made as Postfix makes it in a
 * group-writable spool: with the recipient's uid and the spool's group
 * as effective gid (local.c kept that group as the saved gid), the
 * mailbox is opened or created likewise, and written with the
 * recipient's own gid.  A spool that is neither world- nor
 * group-writable is refused by lspawn.  For other files (/file targets)
 * a dotlock that cannot be made for lack of permission is skipped.
 *
 * The file must be a regular file with one link (no symbolic link is
 * followed); the spool's mailbox must belong to the recipient (Postfix's
 * strict_mailbox_ownership), else the mail waits (4.2.0) for the
 * administrator.  A missing file is created, mode 0600.
 *
 * Trust: the message is a stranger's and only copied; the file and its
 * directory are the user's (or the administrator's): every property is
 * checked on the descriptor that is written.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "local.h"

#define MBOX_CHUNK	65536

struct mbox_out {
	int	 fd;
	char	 buf[MBOX_CHUNK];
	size_t	 len;
	int	 err;		/* errno of the first failed write */
};

int
local_from_line(const char *sender, time_t t, char *buf, size_t n)
{
	struct tm	tm;
	char		date[64];
	int		k;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		return -1;
	k = snprintf(buf, n, "From %s  %s\n", sender[0] != '\0' ? sender :
	    "MAILER-DAEMON", date);
	return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* Takes the spool's group as effective gid (on 1) or gives it back. */
static int
mbox_spool_gid(const struct local_job *lj, int on)
{
	if (lj->spool_gid == lj->gid)
		return 0;
	return setresgid((gid_t)-1, on ? lj->spool_gid : lj->gid, (gid_t)-1);
}

static void
mbox_flush(struct mbox_out *o)
{
	if (o->len > 0 && o->err == 0 &&
	    fd_write_full(o->fd, o->buf, o->len) == -1)
		o->err = errno != 0 ? errno : EIO;
	o->len = 0;
}

static void
mbox_put(struct mbox_out *o, const char *s, size_t n)
{
	while (n > 0) {
		size_t	k = sizeof(o->buf) - o->len;

		if (k > n)
			k = n;
		memcpy(o->buf + o->len, s, k);
		o->len += k;
		s += k;
		n -= k;
		if (o->len == sizeof(o->buf))
			mbox_flush(o);
	}
}

/*
 * Copies the message with ">From " quoting; ends it with a line end and
 * an empty line.  A line start too close to the end of what was read to
 * tell whether it is "From " is carried over to the next read.  0, or -1
 * with errno.
 */
static int
mbox_copy(struct mbox_out *o, int msgfd)
{
	char	*in;
	ssize_t	 r;
	size_t	 n, i, start, carry = 0;
	int	 bol = 1, eof = 0;
	char	 last = '\n';

	if ((in = malloc(MBOX_CHUNK)) == NULL)
		return -1;
	while (!eof) {
		r = read(msgfd, in + carry, MBOX_CHUNK - carry);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			free(in);
			return -1;
		}
		eof = r == 0;
		n = carry + (size_t)r;
		carry = 0;
		for (i = 0, start = 0; i < n; i++) {
			if (bol && n - i < 5 && !eof) {
				carry = n - i;
				break;
			}
			if (bol && n - i >= 5 &&
			    memcmp(in + i, "From ", 5) == 0) {
				mbox_put(o, in + start, i - start);
				mbox_put(o, ">", 1);
				start = i;
			}
			bol = in[i] == '\n';
		}
		mbox_put(o, in + start, i - start);
		if (i > 0)
			last = in[i - 1];
		if (carry > 0)
			memmove(in, in + i, carry);
	}
	free(in);
	if (last != '\n')
		mbox_put(o, "\n", 1);
	mbox_put(o, "\n", 1);
	mbox_flush(o);
	if (o->err != 0) {
		errno = o->err;
		return -1;
	}
	return 0;
}

/* The dotlock PATH.lock: 1 made, 0 skipped (optional), -1 (errno). */
static int
mbox_dotlock(const struct local_job *lj, const char *lock, int required)
{
	struct stat	st;
	char		pid[32];
	int		fd, i, n, removed = 0;

	for (i = 0; i < conf_int(lj->conf, "deliver_lock_attempts"); i++) {
		if (i > 0)
			(void)sleep((unsigned)conf_int(lj->conf,
			    "deliver_lock_delay"));
		fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1) {
			n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
			if (n > 0)
				(void)fd_write_full(fd, pid, (size_t)n);
			(void)close(fd);
			return 1;
		}
		if (errno != EEXIST) {
			if (!required && (errno == EACCES || errno == EPERM ||
			    errno == EROFS))
				return 0;
			return -1;
		}
		if (!removed && lstat(lock, &st) == 0 && time(NULL) -
		    st.st_mtime > conf_int(lj->conf, "stale_lock_time")) {
			local_log(lj, "removing stale lock %s", lock);
			removed = 1;
			if (unlink(lock) == 0)
				i--;	/* not a try */
		}
	}
	errno = EAGAIN;
	return -1;
}

/* Opens (or creates) the mbox and checks it; -1 with res set. */
static int
mbox_open(const struct local_job *lj, const char *path, int spool,
    struct stat *st, struct local_result *res)
{
	int	fd;

	fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd == -1) {
		local_set(res, errno == ELOOP || errno == EISDIR ? 'D' : 'Z',
		    "%s cannot open %s: %s", errno == ELOOP ||
		    errno == EISDIR ? "5.2.0" : "4.2.0", path,
		    errno == ELOOP ? "a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, st) == -1 || fd_set_nonblock(fd, 0) == -1) {
		local_set(res, 'Z', "4.2.0 cannot stat %s: %s", path,
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode) || st->st_nlink != 1) {
		local_set(res, 'D', "5.2.0 %s is not a regular file with one "
		    "link", path);
		(void)close(fd);
		return -1;
	}
	if (spool && st->st_uid != lj->uid) {
		local_set(res, 'Z', "4.2.0 mailbox %s is not owned by the "
		    "recipient", path);
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* fcntl(F_SETLK) on the whole file, deliver_lock_attempts times. */
static int
mbox_fcntl_lock(const struct local_job *lj, int fd)
{
	struct flock	fl;
	int		i;

	for (i = 0; i < conf_int(lj->conf, "deliver_lock_attempts"); i++) {
		if (i > 0)
			(void)sleep((unsigned)conf_int(lj->conf,
			    "deliver_lock_delay"));
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			return -1;
	}
	errno = EAGAIN;
	return -1;
}

/* Writes the message at the end of fd, fsyncs; truncates on failure. */
static void
mbox_write(const struct local_job *lj, const char *path, int fd, int msgfd,
    struct local_result *res)
{
	struct mbox_out	*o;
	char		 prefix[2 * LOCAL_PATH_MAX];
	off_t		 end;
	int		 plen, saved;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		local_set(res, 'Z', "4.3.0 out of memory");
		return;
	}
	o->fd = fd;
	if ((end = lseek(fd, 0, SEEK_END)) == -1 ||
	    lseek(msgfd, 0, SEEK_SET) == -1 ||
	    (plen = local_prefix(lj, 1, prefix, sizeof(prefix))) == -1) {
		local_set(res, 'Z', "4.3.0 cannot prepare the delivery to %s",
		    path);
		free(o);
		return;
	}
	mbox_put(o, prefix, (size_t)plen);
	if (mbox_copy(o, msgfd) == -1 || fsync(fd) == -1) {
		saved = errno;
		if (ftruncate(fd, end) == -1)
			local_log(lj, "cannot truncate %s back: %s", path,
			    strerror(errno));
		local_set(res, saved == EFBIG || saved == EDQUOT ? 'D' : 'Z',
		    "%s cannot write to %s: %s", saved == EFBIG ||
		    saved == EDQUOT ? "5.2.2" : "4.3.0", path,
		    strerror(saved));
	} else
		local_set(res, 'K', "delivered to %s: %s", lj->mbox &&
		    strcmp(path, lj->mailbox) == 0 ? "mailbox" : "file", path);
	free(o);
}

void
local_mbox(const struct local_job *lj, const char *path, int spool,
    int msgfd, struct local_result *res)
{
	struct stat	 st;
	char		 lock[LOCAL_PATH_MAX + 8];
	int		 fd, locked = 0;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >=
	    sizeof(lock)) {
		local_set(res, 'D', "5.3.0 mailbox path too long");
		return;
	}
	if (spool && mbox_spool_gid(lj, 1) == -1) {
		local_set(res, 'Z', "4.3.0 cannot take the spool's group: %s",
		    strerror(errno));
		return;
	}
	if ((locked = mbox_dotlock(lj, lock, spool)) == -1) {
		local_set(res, 'Z', "4.2.0 cannot lock %s: %s", path,
		    errno == EAGAIN ? "locked by another process" :
		    strerror(errno));
		if (spool)
			(void)mbox_spool_gid(lj, 0);
		return;
	}
	fd = mbox_open(lj, path, spool, &st, res);
	if (spool && mbox_spool_gid(lj, 0) == -1 && fd != -1) {
		local_set(res, 'Z', "4.3.0 cannot give the spool's group back");
		(void)close(fd);
		fd = -1;
	}
	if (fd != -1) {
		if (mbox_fcntl_lock(lj, fd) == -1)
			local_set(res, 'Z', "4.2.0 cannot lock %s: %s", path,
			    errno == EAGAIN ? "locked by another process" :
			    strerror(errno));
		else
			mbox_write(lj, path, fd, msgfd, res);
		if (close(fd) == -1 && res->status == 'K')
			local_set(res, 'Z', "4.3.0 close %s: %s", path,
			    strerror(errno));
	}
	if (locked == 1) {
		if (spool)
			(void)mbox_spool_gid(lj, 1);
		if (unlink(lock) == -1)
			local_log(lj, "cannot remove %s: %s", lock,
			    strerror(errno));
		if (spool)
			(void)mbox_spool_gid(lj, 0);
	}
}
