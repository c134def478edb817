/*
 * queue_path: the queue's layout (queue_path.h).  The only file that
 * spells the names of queue_dir's folders, of the trigger FIFO and of
 * queued's lock.  It trusts no directory it did not check (queue_open:
 * O_NOFOLLOW, the owner, the mode) and no name: each is checked before it
 * becomes a path.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "log.h"
#include "priv.h"
#include "queue_path.h"
#include "queue_path_int.h"

const char *const queue_sub_names[QUEUE_NSUB] = {
	[QUEUE_MSG] = "msg",
	[QUEUE_TMP] = "tmp",
	[QUEUE_ENV] = "env",
	[QUEUE_STATE] = "state",
	[QUEUE_CORRUPT] = "corrupt",
	[QUEUE_FREE] = "free",
};

void
queue_init(struct queue *q, int dirfd)
{
	struct stat	 st;
	int		 i;

	q->dirfd = dirfd;
	q->owned = 0;
	for (i = 0; i < QUEUE_NSUB; i++)
		q->subfd[i] = -1;
	q->owner = geteuid();
	q->group = getegid();
	if (fstatat(dirfd, ".", &st, 0) == 0) {
		q->owner = st.st_uid;
		q->group = st.st_gid;
	}
}

/*
 * Why a directory of the queue that open(O_DIRECTORY | O_NOFOLLOW)
 * refused was refused, for the log: the link or the file seen in its
 * place, or errno's text.
 */
static const char *
queue_dir_refusal(int at, const char *name, int err)
{
	struct stat	 st;

	if ((err == ENOTDIR || err == ELOOP) &&
	    fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return "a symbolic link (refused)";
		if (!S_ISDIR(st.st_mode))
			return "not a directory";
	}
	return strerror(err);
}

int
queue_dir_trusted(const struct stat *st, uid_t owner, const char *what)
{
	if (!S_ISDIR(st->st_mode)) {
		log_warnx("queue: %s is not a directory", what);
		errno = ENOTDIR;
		return 0;
	}
	if (st->st_uid != owner) {
		log_warnx("queue: %s belongs to uid %lu, not to uid %lu%s",
		    what, (unsigned long)st->st_uid, (unsigned long)owner,
		    owner == geteuid() ? " (this process)" : " (queue_dir's)");
		errno = EPERM;
		return 0;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warnx("queue: %s is writable by its group or by others "
		    "(mode %04o)", what, (unsigned)(st->st_mode & 07777));
		errno = EPERM;
		return 0;
	}
	return 1;
}

int
queue_open(struct queue *q, const char *queue_dir)
{
	struct stat	 st;
	int		 fd, i, saved;

	queue_init(q, AT_FDCWD);
	if ((fd = open(queue_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		saved = errno;
		log_warnx("queue: queue_dir %s: %s", queue_dir,
		    queue_dir_refusal(AT_FDCWD, queue_dir, saved));
		errno = saved;
		return -1;
	}
	/* root takes whoever owns it (and becomes it); others must own it */
	if (fstat(fd, &st) == -1 || !queue_dir_trusted(&st,
	    priv_is_root() ? st.st_uid : geteuid(), "queue_dir")) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	q->dirfd = fd;
	q->owned = 1;
	q->owner = st.st_uid;
	q->group = st.st_gid;
	for (i = 0; i < QUEUE_NSUB; i++)
		if (queue_sub_open(q, (enum queue_sub)i) == -1) {
			saved = errno;
			queue_close(q);
			errno = saved;
			return -1;
		}
	return 0;
}

void
queue_close(struct queue *q)
{
	int	 i;

	for (i = 0; i < QUEUE_NSUB; i++)
		if (q->subfd[i] != -1) {
			(void)close(q->subfd[i]);
			q->subfd[i] = -1;
		}
	if (q->owned && q->dirfd >= 0)
		(void)close(q->dirfd);
	q->dirfd = AT_FDCWD;
	q->owned = 0;
}

const char *
queue_sub_name(enum queue_sub sub)
{
	if ((unsigned)sub >= QUEUE_NSUB)
		return "?";
	return queue_sub_names[sub];
}

int
queue_sub_open(struct queue *q, enum queue_sub sub)
{
	struct stat	 st;
	char		 what[32];
	int		 fd, saved;

	if ((unsigned)sub >= QUEUE_NSUB) {
		errno = EINVAL;
		return -1;
	}
	(void)snprintf(what, sizeof(what), "%s/", queue_sub_names[sub]);
	if ((fd = openat(q->dirfd, queue_sub_names[sub], O_RDONLY |
	    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		saved = errno;
		log_warnx("queue: %s: %s", what, queue_dir_refusal(q->dirfd,
		    queue_sub_names[sub], saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !queue_dir_trusted(&st, q->owner,
	    what)) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	if (q->subfd[sub] != -1)
		(void)close(q->subfd[sub]);
	q->subfd[sub] = fd;
	return 0;
}

int
queue_file_ok(const struct queue *q, int fd)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1)
		return 0;
	if (!S_ISREG(st.st_mode) || st.st_uid != q->owner ||
	    st.st_nlink != 1) {
		errno = EPERM;
		return 0;
	}
	return 1;
}

/* A plain file name: not empty, not "." or "..", no '/', no control byte. */
static int
queue_name_ok(const char *name)
{
	const unsigned char	*p;

	if (name[0] == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return 0;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int
queue_path(const struct queue *q, enum queue_sub sub, const char *name,
    struct queue_loc *l)
{
	int	 n;

	l->at = -1;
	l->name[0] = l->path[0] = '\0';
	if ((unsigned)sub >= QUEUE_NSUB || name == NULL ||
	    !queue_name_ok(name)) {
		log_warnx("queue path: bad name in %s/", queue_sub_name(sub));
		errno = EINVAL;
		return -1;
	}
	if (strlen(name) >= QUEUE_NAME_MAX ||
	    (n = snprintf(l->path, sizeof(l->path), "%s/%s",
	    queue_sub_names[sub], name)) < 0 || (size_t)n >= sizeof(l->path)) {
		log_warnx("queue path: name too long in %s/",
		    queue_sub_names[sub]);
		l->path[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	if (q->subfd[sub] != -1) {
		l->at = q->subfd[sub];
		(void)strlcpy(l->name, name, sizeof(l->name));
	} else {
		l->at = q->dirfd;
		(void)strlcpy(l->name, l->path, sizeof(l->name));
	}
	return 0;
}

/* A new descriptor of folder sub (its own is kept). */
static int
queue_sub_fd(const struct queue *q, enum queue_sub sub)
{
	if ((unsigned)sub >= QUEUE_NSUB) {
		errno = EINVAL;
		return -1;
	}
	/* "." of the folder's own descriptor: a fresh offset, no name */
	if (q->subfd[sub] != -1)
		return openat(q->subfd[sub], ".", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
	return openat(q->dirfd, queue_sub_names[sub], O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
}

int
queue_sub_sync(const struct queue *q, enum queue_sub sub)
{
	if ((unsigned)sub >= QUEUE_NSUB) {
		errno = EINVAL;
		return -1;
	}
	if (q->subfd[sub] != -1)
		return fsync(q->subfd[sub]);
	return fsync_dirat(q->dirfd, queue_sub_names[sub]);
}

DIR *
queue_sub_opendir(const struct queue *q, enum queue_sub sub)
{
	DIR	*d;
	int	 fd, saved;

	if ((fd = queue_sub_fd(q, sub)) == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		(void)close(fd);
		errno = saved;
	}
	return d;
}

int
queue_lock_take(const struct queue *q)
{
	int	 fd, saved;

	if ((fd = openat(q->dirfd, QUEUE_LOCK, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
queue_trigger_open(const struct queue *q, int flags)
{
	struct stat	 st;
	int		 fd;

	if ((fd = openat(q->dirfd, QUEUE_TRIGGER, flags | O_NONBLOCK |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode) ||
	    st.st_uid != q->owner) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}
