/*
 * maildir: creating Maildirs, naming their files, and delivering into
 * them the way D. J. Bernstein's Maildir specifies, with Linux's need for
 * explicit fsyncs added: the message is written to tmp/NAME (created with
 * O_EXCL), fsynced and closed with the result checked, linked into
 * new/NAME (renamed where the filesystem refuses hard links), and new/ is
 * fsynced before the delivery counts.  Any failure removes what was
 * written and keeps errno, so the caller can tell a full disk or quota
 * (ENOSPC, EDQUOT: temporary) from the rest.  Used by deliver, and by
 * pop3d/imapd when they need names of their own.
 *
 * Trust: the Maildir is the recipient's own, whom the caller already
 * runs as; names are made here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fdio.h"
#include "gsync.h"
#include "log.h"
#include "maildir.h"

#define MAILDIR_CHUNK	(64 * 1024)
#define MAILDIR_TRIES	5		/* fresh names after EEXIST */
#define MAILDIR_HOST_MAX	(HOST_NAME_MAX + 1)

static unsigned long	maildir_counter;

/* mkdir that accepts an existing directory (and only a directory). */
static int
maildir_mkdir(const char *path, mode_t mode)
{
	struct stat	 st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -1;
	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

int
maildir_create(const char *dir, mode_t mode)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	char	 path[PATH_MAX];
	size_t	 i, len;
	int	 r;

	if (dir == NULL || *dir == '\0') {
		errno = EINVAL;
		return -1;
	}
	if ((len = strlcpy(path, dir, sizeof(path))) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* mkdir -p: every parent first, skipping a leading '/'. */
	for (i = 1; i < len; i++) {
		if (path[i] != '/' || path[i - 1] == '/')
			continue;
		path[i] = '\0';
		r = maildir_mkdir(path, mode);
		path[i] = '/';
		if (r == -1)
			return -1;
	}
	if (maildir_mkdir(path, mode) == -1)
		return -1;
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		r = snprintf(path, sizeof(path), "%s/%s", dir, subs[i]);
		if (r < 0 || (size_t)r >= sizeof(path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (maildir_mkdir(path, mode) == -1)
			return -1;
	}
	return 0;
}

/*
 * The host part: '/' and ':' become \057 and \072 as the Maildir spec
 * says; other bytes that have no place in a file name are escaped the
 * same way.
 */
int
maildir_host(char *out, size_t n)
{
	char		 host[MAILDIR_HOST_MAX];
	size_t		 i, o = 0;
	unsigned char	 c;
	int		 r;

	if (gethostname(host, sizeof(host)) == -1)
		return -1;
	host[sizeof(host) - 1] = '\0';
	if (host[0] == '\0')
		(void)strlcpy(host, "localhost", sizeof(host));
	for (i = 0; host[i] != '\0'; i++) {
		c = (unsigned char)host[i];
		if (c == '/' || c == ':' || c == '\\' || c <= 0x20 ||
		    c >= 0x7f) {
			r = snprintf(out + o, n - o, "\\%03o", c);
			if (r < 0 || (size_t)r >= n - o)
				goto toolong;
			o += (size_t)r;
		} else {
			if (o + 1 >= n)
				goto toolong;
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return 0;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}

int
maildir_unique(char *out, size_t n)
{
	char		 host[4 * MAILDIR_HOST_MAX];
	struct timespec	 ts;
	int		 r;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	if (maildir_host(host, sizeof(host)) == -1)
		return -1;
	r = snprintf(out, n, "%lld.M%ldP%ldQ%lu.%s", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000, (long)getpid(), ++maildir_counter, host);
	if (r < 0 || (size_t)r >= n || r > MAILDIR_NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
maildir_path(char *out, size_t n, const char *dir, const char *sub,
    const char *name)
{
	int	 r;

	r = snprintf(out, n, "%s/%s/%s", dir, sub, name);
	if (r < 0 || (size_t)r >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Writes head and the whole of msgfd to fd; *size counts the octets. */
static int
maildir_copy(int fd, const void *head, size_t hlen, int msgfd, size_t *size)
{
	char	*chunk;
	ssize_t	 r;

	if (hlen > 0) {
		if (fd_write_full(fd, head, hlen) == -1)
			return -1;
		*size += hlen;
	}
	if ((chunk = malloc(MAILDIR_CHUNK)) == NULL)
		return -1;
	for (;;) {
		r = read(msgfd, chunk, MAILDIR_CHUNK);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (fd_write_full(fd, chunk, (size_t)r) == -1) {
			r = -1;
			break;
		}
		*size += (size_t)r;
	}
	free(chunk);
	return r == 0 ? 0 : -1;
}

/* Opens tmp/NAME under a fresh name; fills name and tmp. */
static int
maildir_open_tmp(const char *dir, char *name, size_t namesz, char *tmp,
    size_t tmpsz)
{
	int	 fd, i;

	for (i = 0; i < MAILDIR_TRIES; i++) {
		if (maildir_unique(name, namesz) == -1 ||
		    maildir_path(tmp, tmpsz, dir, "tmp", name) == -1)
			return -1;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
	}
	return -1;
}

/* link(2) is refused here but rename(2) may work: AFS, some FUSE, vfat. */
static int
maildir_link_refused(int e)
{
	return e == EPERM || e == EXDEV || e == ENOSYS || e == EOPNOTSUPP ||
	    e == EMLINK || e == ENOTSUP;
}

/*
 * Makes new/NAME point to the file written at tmp, never over an existing
 * new/NAME: 0 when it was linked (or renamed), 1 when new/NAME was there
 * already (tmp is then removed), -1 with errno.
 */
static int
maildir_place(const char *tmp, const char *new)
{
	if (link(tmp, new) == 0) {
		if (unlink(tmp) == -1)	/* delivered; tmp/ cleaning gets it */
			log_warn("maildir: unlink %s", tmp);
		return 0;
	}
	if (errno == EEXIST) {
		(void)unlink(tmp);
		return 1;
	}
	if (!maildir_link_refused(errno))
		return -1;
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, new, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST) {
		(void)unlink(tmp);
		return 1;
	}
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	/*
	 * Neither link nor an exclusive rename: a plain rename, which may
	 * replace a copy an earlier attempt made under the same name (the
	 * same message for the same recipient: still one copy).
	 */
	return rename(tmp, new) == 0 ? 0 : -1;
}

/* fsync of new/, shared with the recipient's other deliveries (gsync). */
static int
maildir_sync_new(const char *newdir, const struct maildir_put *put)
{
	int	 fd, r, saved;

	if ((fd = open(newdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = gsync_dir(put != NULL ? put->gsync : NULL, fd,
	    put != NULL ? put->window_ms : 0);
	saved = errno;
	if (close(fd) == -1 && r == 0)
		return -1;
	errno = saved;
	return r;
}

int
maildir_deliver_put(const char *dir, const struct maildir_put *put,
    const void *head, size_t hlen, int msgfd, char *name, size_t namesz,
    size_t *size, int *already)
{
	char	 tmp[PATH_MAX], new[PATH_MAX], newdir[PATH_MAX];
	char	 tmpname[MAILDIR_NAME_MAX + 1];
	int	 fd, saved, r, newfd;

	*size = 0;
	*already = 0;
	if (maildir_path(newdir, sizeof(newdir), dir, "new", "") == -1)
		return -1;
	if (put != NULL && put->name != NULL) {
		if (strlcpy(name, put->name, namesz) >= namesz) {
			errno = ENAMETOOLONG;
			return -1;
		}
		/* an earlier attempt's copy, in new/ or read into cur/ */
		if (put->check && (r = maildir_has(dir, name)) != 0) {
			if (r == -1)
				return -1;
			*already = 1;
			return maildir_sync_new(newdir, put) == -1 ? -1 : 0;
		}
	}
	/* said early, so that a leader of new/'s fsync waits for us */
	newfd = -1;
	if (put != NULL && put->gsync != NULL && (newfd = open(newdir,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
		(void)gsync_intend(put->gsync, newfd);
	if (put != NULL && put->name != NULL)
		fd = maildir_open_tmp(dir, tmpname, sizeof(tmpname), tmp,
		    sizeof(tmp));
	else
		fd = maildir_open_tmp(dir, name, namesz, tmp, sizeof(tmp));
	if (fd == -1) {
		saved = errno;
		goto fail;
	}
	if (maildir_path(new, sizeof(new), dir, "new", name) == -1 ||
	    maildir_copy(fd, head, hlen, msgfd, size) == -1 ||
	    fsync(fd) == -1) {
		saved = errno;
		(void)close(fd);
		goto fail_tmp;
	}
	if (close(fd) == -1) {		/* NFS reports quota here */
		saved = errno;
		goto fail_tmp;
	}
	if ((r = maildir_place(tmp, new)) == -1) {
		saved = errno;
		goto fail_tmp;
	}
	*already = r == 1;
	if (newfd != -1) {
		r = gsync_dir(put->gsync, newfd, put->window_ms);
		saved = errno;
		(void)close(newfd);
		errno = saved;
	} else
		r = maildir_sync_new(newdir, put);
	if (r == -1) {
		/*
		 * Not durable: take ours back so a retry does not duplicate;
		 * an earlier attempt's copy stays for the retry to find.
		 */
		saved = errno;
		if (!*already)
			(void)unlink(new);
		errno = saved;
		return -1;
	}
	return 0;
fail_tmp:
	(void)unlink(tmp);
fail:
	if (newfd != -1) {
		gsync_cancel(put->gsync, newfd);
		(void)close(newfd);
	}
	errno = saved;
	return -1;
}

int
maildir_deliver(const char *dir, const void *head, size_t hlen, int msgfd,
    char *name, size_t namesz, size_t *size)
{
	int	 already;

	return maildir_deliver_put(dir, NULL, head, hlen, msgfd, name, namesz,
	    size, &already);
}
