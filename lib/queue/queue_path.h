/*
 * queue_path: the queue's layout, owned here.  No other file spells the
 * name of a folder of queue_dir (msg, tmp, env, state, corrupt, free),
 * of the trigger FIFO or of queued's lock: every program reaches a queue
 * file through a struct queue (the open queue_dir) and queue_path(), and
 * a folder through the queue_sub_* functions.  docs/queue.md describes
 * the layout and who writes what.
 *
 * A struct queue holds a descriptor of queue_dir and, per folder, a
 * descriptor of its own or -1.  queue_path() answers "which descriptor
 * and which name relative to it" (struct queue_loc), for openat(),
 * renameat(), unlinkat() and the like: "msg/<id>" relative to queue_dir
 * while the folder has no descriptor, "<id>" relative to the folder once
 * it has one (queue_sub_open).  So a caller that opens the folders
 * itself, with whatever checks it needs, changes no other line.
 *
 * Trust: names come from queue IDs, spare and free-pool names made by
 * the queue's own programs; queue_path() still refuses an empty name,
 * ".", "..", a '/' and anything too long (QUEUE_NAME_MAX), logs it and
 * returns -1, so a path is never truncated or sent elsewhere.  It trusts
 * the descriptors it holds to be the queue's: the caller opened them.
 */
#ifndef FACTEUR_QUEUE_PATH_H
#define FACTEUR_QUEUE_PATH_H
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
};

/* A file of the queue: openat(at, name, ...).  path is for messages. */
struct queue_loc {
	int	 at;
	char	 name[QUEUE_LOC_MAX];	/* relative to at */
	char	 path[QUEUE_LOC_MAX];	/* "msg/<id>", whatever at is */
};

/* A queue reached through dirfd (AT_FDCWD: the process is in queue_dir). */
void	queue_init(struct queue *, int dirfd);
/* Opens queue_dir (O_DIRECTORY): 0, or -1 with errno. */
int	queue_open(struct queue *, const char *queue_dir);
/* Closes what queue_open and queue_sub_open opened. */
void	queue_close(struct queue *);
/*
 * Opens a folder's own descriptor with flags added to O_RDONLY |
 * O_DIRECTORY | O_CLOEXEC (O_NOFOLLOW, say); from then on its files are
 * reached through it.  0, or -1 with errno.
 */
int	queue_sub_open(struct queue *, enum queue_sub, int flags);

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
 * queued's start-up, in queue_dir: makes the missing folders (0700) and
 * the trigger FIFO (0600).  0, or -1 (logged).
 */
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
 * queued reads; EINVAL when it is no FIFO).
 */
int	queue_trigger_open(const struct queue *, int flags);

#endif
