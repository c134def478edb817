/*
 * queue_layout: making the queue (queue_path.h: queue_layout_create and
 * queue_layout_make).  The master runs it before it opens a listener and
 * queued before it drops root, so that a queue writer never finds a folder
 * missing, whichever of them starts first or dies at start.
 *
 * Trust: nothing found in queue_dir.  As root, in a directory the queue
 * user owns and may change at any moment, every folder (and the FIFO) is
 * made, then opened O_NOFOLLOW, and checked to be what was asked for
 * before root changes its owner or mode through that descriptor: a name
 * swapped for a symbolic link or a hard link to another file is refused,
 * never chowned.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"
#include "queue_path.h"
#include "queue_path_int.h"

/* Who the queue is made for: as root, queue_user; else ourselves. */
struct layout_owner {
	int	 root;
	uid_t	 uid;
	gid_t	 gid;
};

/* As root: fd (of what) belongs to the owner with mode; 0, or -1. */
static int
layout_own(int fd, const struct stat *st, const struct layout_owner *o,
    mode_t mode, const char *what)
{
	if (!o->root)
		return 0;
	if ((st->st_uid != o->uid || st->st_gid != o->gid) &&
	    fchown(fd, o->uid, o->gid) == -1) {
		log_warn("queue: chown %s", what);
		return -1;
	}
	if ((st->st_mode & 07777) != mode && fchmod(fd, mode) == -1) {
		log_warn("queue: chmod %s", what);
		return -1;
	}
	return 0;
}

/* Makes directory name in at when missing, and owns it; 0, or -1. */
static int
layout_dir(int at, const char *name, const struct layout_owner *o,
    const char *what, int *fdp)
{
	struct stat	 st;
	int		 fd;

	if (mkdirat(at, name, 0700) == -1 && errno != EEXIST) {
		log_warn("queue: mkdir %s", what);
		return -1;
	}
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		log_warn("queue: %s (a symbolic link or no directory?)", what);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		log_warn("queue: stat %s", what);
		(void)close(fd);
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || layout_own(fd, &st, o, 0700, what) == -1) {
		if (!S_ISDIR(st.st_mode))
			log_warnx("queue: %s is not a directory", what);
		(void)close(fd);
		return -1;
	}
	if (fdp != NULL)
		*fdp = fd;
	else
		(void)close(fd);
	return 0;
}

/* The folders and the FIFO in the open queue_dir dfd; 0, or -1. */
static int
layout_in(int dfd, const struct layout_owner *o)
{
	struct stat	 st;
	int		 i, fd;

	for (i = 0; i < QUEUE_NSUB; i++)
		if (layout_dir(dfd, queue_sub_names[i], o, queue_sub_names[i],
		    NULL) == -1)
			return -1;
	if (mkfifoat(dfd, QUEUE_TRIGGER, 0600) == -1 && errno != EEXIST) {
		log_warn("queue: mkfifo " QUEUE_TRIGGER);
		return -1;
	}
	/* a FIFO opens for reading at once with O_NONBLOCK */
	if ((fd = openat(dfd, QUEUE_TRIGGER, O_RDONLY | O_NONBLOCK |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		log_warn("queue: open " QUEUE_TRIGGER);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode)) {
		log_warnx("queue: " QUEUE_TRIGGER " is not a FIFO");
		(void)close(fd);
		return -1;
	}
	i = layout_own(fd, &st, o, 0600, QUEUE_TRIGGER);
	(void)close(fd);
	return i;
}

int
queue_layout_create(const char *queue_dir, const char *queue_user)
{
	struct layout_owner	 o;
	int			 dfd, r;

	memset(&o, 0, sizeof(o));
	if ((o.root = priv_is_root() && queue_user != NULL) &&
	    priv_lookup(queue_user, &o.uid, &o.gid) == -1) {
		log_warnx("queue: queue_user %s does not exist", queue_user);
		return -1;
	}
	if (layout_dir(AT_FDCWD, queue_dir, &o, queue_dir, &dfd) == -1)
		return -1;
	r = layout_in(dfd, &o);
	(void)close(dfd);
	return r;
}

int
queue_layout_make(const struct queue *q)
{
	struct layout_owner	 o;

	memset(&o, 0, sizeof(o));
	return layout_in(q->dirfd, &o);
}
