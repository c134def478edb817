/*
 * queue_path: the queue's layout (queue_path.h).  The only file that
 * spells the names of queue_dir's folders, of the trigger FIFO and of
 * queued's lock.  It trusts the descriptors its callers opened; it
 * trusts no name: each is checked before it becomes a path.
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
#include "queue_path.h"

static const char *const queue_sub_names[QUEUE_NSUB] = {
	[QUEUE_MSG] = "msg",
	[QUEUE_TMP] = "tmp",
	[QUEUE_ENV] = "env",
	[QUEUE_STATE] = "state",
	[QUEUE_CORRUPT] = "corrupt",
	[QUEUE_FREE] = "free",
};

#define QUEUE_TRIGGER	"trigger"
#define QUEUE_LOCK	"queued.lock"

void
queue_init(struct queue *q, int dirfd)
{
	int	 i;

	q->dirfd = dirfd;
	q->owned = 0;
	for (i = 0; i < QUEUE_NSUB; i++)
		q->subfd[i] = -1;
}

int
queue_open(struct queue *q, const char *queue_dir)
{
	int	 fd;

	queue_init(q, AT_FDCWD);
	if ((fd = open(queue_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	q->dirfd = fd;
	q->owned = 1;
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
queue_sub_open(struct queue *q, enum queue_sub sub, int flags)
{
	int	 fd;

	if ((unsigned)sub >= QUEUE_NSUB) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = openat(q->dirfd, queue_sub_names[sub], O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC | flags)) == -1)
		return -1;
	if (q->subfd[sub] != -1)
		(void)close(q->subfd[sub]);
	q->subfd[sub] = fd;
	return 0;
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
	if (q->subfd[sub] != -1)
		return fcntl(q->subfd[sub], F_DUPFD_CLOEXEC, 0);
	return openat(q->dirfd, queue_sub_names[sub], O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
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
	if (q->subfd[sub] != -1 && lseek(fd, 0, SEEK_SET) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return NULL;
	}
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		(void)close(fd);
		errno = saved;
	}
	return d;
}

int
queue_layout_make(const struct queue *q)
{
	int	 i;

	for (i = 0; i < QUEUE_NSUB; i++)
		if (mkdirat(q->dirfd, queue_sub_names[i], 0700) == -1 &&
		    errno != EEXIST) {
			log_warn("mkdir %s", queue_sub_names[i]);
			return -1;
		}
	if (mkfifoat(q->dirfd, QUEUE_TRIGGER, 0600) == -1 && errno != EEXIST) {
		log_warn("mkfifo " QUEUE_TRIGGER);
		return -1;
	}
	return 0;
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
	if (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode)) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}
