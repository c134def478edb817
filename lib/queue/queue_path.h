/*
 * queue_path: the queue's layout, owned here.  No other file spells the
 * name of a folder of queue_dir (msg, tmp, env, state, corrupt, free),
 * of the trigger FIFO or of queued's lock: every program reaches a queue
 * file through a struct queue (the open queue_dir) and queue_path(), and
 * a folder through the queue_sub_* functions.  docs/queue.md describes
 * the layout and who writes what.
 *
 * A struct queue holds a descriptor of queue_dir and, per folder, a
 * descriptor of its own.  queue_path() answers "which descriptor and
 * which name relative to it" (struct queue_loc), for openat(),
 * renameat(), unlinkat() and the like: "<id>" relative to the folder's
 * own descriptor, or "msg/<id>" relative to queue_dir for a queue made
 * with queue_init (unit tests), whose folders have none.
 *
 * Trust: queue_open() trusts no directory on its word.  queue_dir and
 * each folder are opened O_DIRECTORY | O_NOFOLLOW, and each must be a
 * directory that nobody but its owner may write, all with one owner:
 * the effective uid, or any one user when the process is root (which
 * then takes that user's identity, queue_owner.h, or, lspawn, checks
 * that every queue file it opens is that user's).  From then on every
 * file is reached through those descriptors with openat() and the like,
 * so a folder swapped for a symbolic link afterwards changes nothing.
 * Names come from queue IDs, spare and free-pool names made by the
 * queue's own programs; queue_path() still refuses an empty name, ".",
 * "..", a '/' and anything too long (QUEUE_NAME_MAX), logs it and
 * returns -1, so a path is never truncated or sent elsewhere.
 */
#ifndef FACTEUR_QUEUE_PATH_H
#define FACTEUR_QUEUE_PATH_H
#include <sys/types.h>

#include <dirent.h>
#include <stddef.h>

enum queue_sub {
	QUEUE_MSG,		/* message content */
	QUEUE_TMP,		/* envelopes being written; spares */
	QUEUE_ENV,		/* committed envelopes */
	QUEUE_STATE,		/* per-recipient state */
	QUEUE_CORRUPT,		/* set aside for a human */
	QUEUE_FREE,		/* finished files kept for reuse */
	QUEUE_NSUB
};

#define QUEUE_NAME_MAX	56	/* octets of a name in a folder, with NUL */
#define QUEUE_LOC_MAX	(QUEUE_NAME_MAX + 8)	/* "corrupt/" + name */

struct queue {
	int	 dirfd;			/* queue_dir, or AT_FDCWD */
	int	 subfd[QUEUE_NSUB];	/* a folder's own descriptor, or -1 */
	int	 owned;			/* dirfd was opened by queue_open */
	uid_t	 owner;			/* queue_dir's owner (queue_open) */
	gid_t	 group;			/* queue_dir's group (queue_open) */
};

/* A file of the queue: openat(at, name, ...).  path is for messages. */
struct queue_loc {
	int	 at;
	char	 name[QUEUE_LOC_MAX];	/* relative to at */
	char	 path[QUEUE_LOC_MAX];	/* "msg/<id>", whatever at is */
};

/*
 * A queue reached through dirfd, unchecked and without folder
 * descriptors (unit tests that build a queue in a scratch directory).
 */
void	queue_init(struct queue *, int dirfd);
/*
 * Opens queue_dir and every folder with the checks above.  0; or -1,
 * logged with the reason (a folder missing, a symbolic link, not a
 * directory, another owner, writable by others), errno set (EPERM for
 * an owner or mode that is refused).
 */
int	queue_open(struct queue *, const char *queue_dir)
	    __attribute__((warn_unused_result));
/* Closes what queue_open and queue_sub_open opened. */
void	queue_close(struct queue *);
/*
 * Opens a folder's own descriptor, O_DIRECTORY | O_NOFOLLOW, with the
 * checks of queue_open against the owner queue_dir had (a queue made with
 * queue_init: against its descriptor's owner); from then on its files are
 * reached through it.  0, or -1 (logged) with errno.
 */
int	queue_sub_open(struct queue *, enum queue_sub);
/*
 * Whether an open queue file may be used: a regular file of the queue's
 * owner with one link (not a hard link to someone else's file, not a
 * FIFO or a device).  1, or 0 (errno EPERM).
 */
int	queue_file_ok(const struct queue *, int fd);

/* "msg", "tmp", ...: a folder's name, for messages. */
const char *queue_sub_name(enum queue_sub);
/*
 * Where file name of folder sub is.  0, or -1 (logged, errno EINVAL or
 * ENAMETOOLONG) when the name is not a plain file name that fits.
 */
int	queue_path(const struct queue *, enum queue_sub, const char *name,
	    struct queue_loc *) __attribute__((warn_unused_result));
/* fsync(2) of folder sub: 0, or -1 with errno. */
int	queue_sub_sync(const struct queue *, enum queue_sub);
/* opendir(3) of folder sub (its own descriptor is not consumed). */
DIR	*queue_sub_opendir(const struct queue *, enum queue_sub);

/*
 * Makes what is missing of the queue: queue_dir, its folders (0700) and
 * the trigger FIFO (0600).  Run by queued at start and by the master
 * before it opens a listener, so that no writer ever finds a folder
 * missing.  As root, queue_dir is made to belong to queue_user (mode
 * 0700), and so is every folder and the FIFO: each is opened
 * O_NOFOLLOW and checked before it is changed, so the queue user
 * cannot turn root's chown against another file.  Not as root (or
 * with queue_user NULL), the queue is made for the process itself.
 * 0, or -1 (logged).
 */
int	queue_layout_create(const char *queue_dir, const char *queue_user);
/* The same in an open queue (unit tests): makes the folders and FIFO. */
int	queue_layout_make(const struct queue *);
/*
 * Takes queued's single-instance lock (flock of queued.lock, kept for the
 * process's life): its descriptor, or -1 with errno (EWOULDBLOCK: another
 * queued holds it).
 */
int	queue_lock_take(const struct queue *);
/*
 * Opens the trigger FIFO (O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC added to
 * flags).  The descriptor, or -1 with errno (ENXIO for a writer when no
 * queued reads; EINVAL when it is no FIFO or not the queue owner's).
 */
int	queue_trigger_open(const struct queue *, int flags);

#endif
